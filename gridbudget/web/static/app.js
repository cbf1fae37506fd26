// gridbudget serve: drag and drop, progress while a check runs, filters on the results page.
// Plain JavaScript, no network beyond this server (the page's CSP allows only this file).
(function () {
  "use strict";

  function setupUpload() {
    var form = document.getElementById("check-form");
    if (!form) return;
    var input = document.getElementById("file");
    var drop = document.getElementById("drop");
    var chosen = document.getElementById("chosen");
    var progress = document.getElementById("progress");
    var text = document.getElementById("progress-text");
    var button = document.getElementById("submit");

    function show() {
      chosen.textContent = input.files.length ? "已选择：" + input.files[0].name : "";
    }
    input.addEventListener("change", show);
    ["dragenter", "dragover"].forEach(function (ev) {
      drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (ev) {
      drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
        show();
      }
    });
    form.addEventListener("submit", function (e) {
      if (!input.files.length) return;
      var maxMb = parseInt(form.getAttribute("data-max-mb") || "0", 10);
      if (maxMb && input.files[0].size > maxMb * 1024 * 1024) {
        e.preventDefault();
        chosen.textContent = "文件太大：上传的工作簿不能超过 " + maxMb + " MB。";
        return;
      }
      progress.hidden = false;
      button.disabled = true;
      text.textContent = "正在上传并审核 " + input.files[0].name + "，请稍候……";
      var started = Date.now();
      setInterval(function () {
        text.textContent = "正在审核 " + input.files[0].name + "……已用 " +
          Math.round((Date.now() - started) / 1000) + " 秒";
      }, 1000);
    });
  }

  function setupFilters() {
    var filters = document.getElementById("filters");
    if (!filters) return;
    var boxes = filters.querySelectorAll(".f-sev");
    var table = document.getElementById("f-table");
    var shown = document.getElementById("shown");

    function apply() {
      var wanted = {};
      boxes.forEach(function (b) { wanted[b.value] = b.checked; });
      var total = 0;
      document.querySelectorAll(".group").forEach(function (g) {
        var inTable = !table.value || g.getAttribute("data-group") === table.value;
        var visible = 0;
        g.querySelectorAll(".finding").forEach(function (row) {
          var on = inTable && wanted[row.getAttribute("data-severity")];
          row.hidden = !on;
          if (on) visible += 1;
        });
        g.hidden = visible === 0;
        total += visible;
      });
      shown.textContent = "显示 " + total + " 项";
    }
    boxes.forEach(function (b) { b.addEventListener("change", apply); });
    table.addEventListener("change", apply);
    apply();
  }

  function setupPickers() {
    document.querySelectorAll("input[type=file][data-chosen]").forEach(function (input) {
      input.addEventListener("change", function () {
        var target = document.getElementById(input.getAttribute("data-chosen"));
        if (target) target.textContent = input.files.length ? "已选择：" + input.files[0].name : "";
      });
    });
  }

  function setupCopy() {
    document.querySelectorAll("[data-copy]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var target = document.getElementById(btn.getAttribute("data-copy"));
        if (target && navigator.clipboard) navigator.clipboard.writeText(target.value || target.textContent);
      });
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupUpload();
    setupFilters();
    setupCopy();
    setupPickers();
  });
})();
