"""gridbudget serve (issue 14): the web app through Starlette's TestClient, and one end-to-end
test in a real headless Chromium (marker ``browser``, skipped when Chromium is absent)."""

from __future__ import annotations

import json
import re
import warnings

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from gridbudget import cli
from gridbudget.web import security
from gridbudget.web.app import create_app
from helpers import EXAMPLE_JSON, EXAMPLE_XLSX

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture()
def client(tmp_path):
    with TestClient(create_app(tmp_path / "data", timeout=60)) as c:
        yield c


def upload(c, name: str, content: bytes, csrf: str | None = "auto"):
    if csrf == "auto":
        csrf = csrf_of(c.get("/").text)
    data = {} if csrf is None else {"csrf": csrf}
    return c.post("/check", data=data, files={"file": (name, content, XLSX)})


def test_upload_the_example_gives_the_ten_warnings_and_both_copies(client, tmp_path):
    r = upload(client, "junshan-2024.xlsx", EXAMPLE_XLSX.read_bytes())
    assert r.status_code == 200 and "/check/" in str(r.url)
    text = text_of(r.text)
    assert "错误 0 项" in text and "警告 10 项" in text and "提示 5 项" in text
    assert text.count("S-SCORE-DIFF") == 2 and "整体支出自评表!I4" in text
    assert "【基础数据表】" in text and "【项目支出绩效自评表：移动网格平台】" in text
    # recomputed scores beside the unit's own
    assert re.search(r"总分 98 99\.91", text) and re.search(r"预算执行率 9 8\.12", text)
    annotated = client.get(str(r.url) + "/download/annotated")
    assert annotated.status_code == 200 and annotated.content[:2] == b"PK"
    assert "filename*=UTF-8''junshan-2024-" in annotated.headers["content-disposition"]
    scored = client.get(str(r.url) + "/download/scored")
    assert scored.status_code == 200 and scored.content[:2] == b"PK"
    from openpyxl import load_workbook

    path = tmp_path / "a.xlsx"
    path.write_bytes(annotated.content)
    assert load_workbook(path).sheetnames[0] == "审核结果"
    path.write_bytes(scored.content)
    assert load_workbook(path).sheetnames[0] == "评分汇总"
    # stored by content hash, never under the uploaded name
    import hashlib

    digest = hashlib.sha256(EXAMPLE_XLSX.read_bytes()).hexdigest()
    uploads = list((tmp_path / "data" / "uploads").iterdir())
    assert [p.name for p in uploads] == [f"{digest}.xlsx"]


def test_security_headers_and_no_inline_script(client):
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in r.text and '<script src="/static/app.js"' in r.text
    assert "HttpOnly" in r.headers["set-cookie"] and "SameSite=Strict" in r.headers["set-cookie"]
    assert "首页" in r.text and "下载空白模板" in r.text and "开始审核" in r.text


def test_csrf_missing_or_wrong_is_refused(client):
    r = upload(client, "junshan-2024.xlsx", EXAMPLE_XLSX.read_bytes(), csrf=None)
    assert r.status_code == 403 and "安全令牌" in r.text
    r = upload(client, "junshan-2024.xlsx", EXAMPLE_XLSX.read_bytes(), csrf="x" * 32)
    assert r.status_code == 403
    r = client.post("/template", data={"unit": "甲", "year": "2024", "projects": "1"})
    assert r.status_code == 403 and "安全令牌" in r.text


def test_csrf_token_of_another_session_is_refused(tmp_path):
    app = create_app(tmp_path / "data")
    with TestClient(app) as a, TestClient(app) as b:
        token_a = csrf_of(a.get("/").text)
        b.get("/")
        assert upload(b, "junshan-2024.xlsx", EXAMPLE_XLSX.read_bytes(), csrf=token_a).status_code == 403


def test_oversized_upload_is_refused_while_streaming(tmp_path):
    with TestClient(create_app(tmp_path / "data", max_upload=2**20)) as c:
        r = upload(c, "big.xlsx", b"PK" + b"\0" * (2 * 2**20))
        assert r.status_code == 413 and "文件太大" in r.text and "1 MB" in r.text
    assert not list((tmp_path / "data" / "uploads").iterdir())


def test_corrupt_and_renamed_exe_uploads_are_refused_in_chinese(client):
    r = upload(client, "坏的.xlsx", b"PK\x03\x04" + b"\x00garbage" * 100)
    assert r.status_code == 422 and "无法读取 坏的.xlsx" in text_of(r.text)
    exe = b"MZ\x90\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode"
    r = upload(client, "setup.xlsx", exe)
    assert r.status_code == 422 and "无法读取 setup.xlsx" in text_of(r.text)
    r = upload(client, "setup.exe", exe)
    assert r.status_code == 415 and "不支持的文件类型“.exe”" in r.text
    r = upload(client, "空.xlsx", b"")
    assert r.status_code == 400 and "空的" in r.text


def test_results_are_seen_only_by_the_uploading_browser(tmp_path):
    app = create_app(tmp_path / "data")
    with TestClient(app) as a, TestClient(app) as b:
        r = upload(a, "junshan-2024.xlsx", EXAMPLE_XLSX.read_bytes())
        url = str(r.url)
        assert b.get(url).status_code == 404
        assert b.get(url + "/download/annotated").status_code == 404
        assert a.get(url).status_code == 200
        assert a.get("/check/../../secret.key").status_code == 404
        assert a.get("/check/short").status_code == 404
        assert a.get(url + "/download/record").status_code == 404


def _script_workbook(path):
    from gridbudget.submission import flatten
    from gridbudget.write.template import TemplateOptions, write_template

    nested = json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))
    nested["overall"]["ind"]["output"]["quantity"]["rows"][1]["name"] = "<script>alert(1)</script>"
    nested["basic"]["unit"] = "<b>某单位</b>"
    flat = flatten(nested)
    write_template(path, TemplateOptions(unit="<b>某单位</b>", projects=len(flat["projects"])), flat)
    return path


def test_script_indicator_is_shown_as_text(client, tmp_path):
    book = _script_workbook(tmp_path / "<img src=x onerror=alert(1)>.xlsx")
    r = upload(client, book.name, book.read_bytes())
    assert r.status_code == 200
    assert "<script>alert(1)</script>" not in r.text and "<b>某单位</b>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "<img src=x" not in r.text and "&lt;img src=x onerror=alert(1)&gt;.xlsx" in r.text


def test_blank_template_download(client, tmp_path):
    token = csrf_of(client.get("/").text)
    r = client.post("/template", data={"csrf": token, "unit": "某某中心", "year": "2024", "projects": "3"})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    path = tmp_path / "t.xlsx"
    path.write_bytes(r.content)
    from openpyxl import load_workbook

    names = load_workbook(path).sheetnames
    assert sum(1 for n in names if n.startswith("项目支出自评表")) == 3
    r = client.post("/template", data={"csrf": token, "unit": "x", "year": "1800", "projects": "1"})
    assert r.status_code == 400 and "年度应在" in r.text


def test_non_local_host_needs_the_administrator_password(tmp_path, capsys):
    rc = cli.run(["serve", "--host", "0.0.0.0", "--data", str(tmp_path / "d")])
    err = capsys.readouterr().err
    assert rc == 3 and "管理员密码" in err
    with pytest.raises(ValueError):
        create_app(tmp_path / "d", require_login=True)
    assert cli.run(["serve", "--port", "70000", "--data", str(tmp_path / "d")]) == 3
    (tmp_path / "f").write_text("x")
    assert cli.run(["serve", "--data", str(tmp_path / "f")]) == 3
    assert "Traceback" not in capsys.readouterr().err


def test_login_with_the_administrator_password(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    security.set_admin_password(data, "correct horse")
    record = json.loads((data / "admin.json").read_text())
    assert record["algorithm"] == "scrypt" and "correct horse" not in json.dumps(record)
    assert (data / "admin.json").stat().st_mode & 0o077 == 0
    with TestClient(create_app(data, require_login=True)) as c:
        r = c.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        token = csrf_of(c.get("/login").text)
        assert c.post("/login", data={"csrf": token, "password": "wrong password"}).status_code == 403
        assert c.post("/login", data={"password": "correct horse"}).status_code == 403     # no CSRF token
        r = c.post("/login", data={"csrf": token, "password": "correct horse"})
        assert r.status_code == 200 and "审核一份自评附表工作簿" in r.text
        assert "开始审核" in c.get("/").text
        # a new password ends the sessions made before it
        security.set_admin_password(data, "another horse")
        r = c.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"


def test_other_host_names_are_refused_when_local(tmp_path):
    """DNS rebinding: a page of another site that resolves to 127.0.0.1 sends its own Host."""
    app = create_app(tmp_path / "data", allowed_hosts=("127.0.0.1", "localhost"))
    with TestClient(app, base_url="http://evil.example") as c:
        r = c.get("/")
        assert r.status_code == 400 and "主机名" in r.text
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        assert c.get("/").status_code == 200


def test_a_check_over_its_time_is_reported_not_hung(tmp_path):
    with TestClient(create_app(tmp_path / "data", timeout=0.001)) as c:
        r = upload(c, "junshan-2024.xlsx", EXAMPLE_XLSX.read_bytes())
        assert r.status_code == 422 and "超时" in r.text


def test_uploads_and_data_files_are_never_served(client):
    upload(client, "junshan-2024.xlsx", EXAMPLE_XLSX.read_bytes())
    import hashlib

    digest = hashlib.sha256(EXAMPLE_XLSX.read_bytes()).hexdigest()
    for path in (f"/static/../uploads/{digest}.xlsx", f"/uploads/{digest}.xlsx", "/static/../secret.key",
                 "/static/%2e%2e/collect.db", "/collect.db", "/admin.json"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert not r.content.startswith(b"PK")


def test_login_mode_keeps_unit_links_open_and_the_bureau_closed(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    security.set_admin_password(data, "correct horse")
    app = create_app(data, require_login=True)
    with TestClient(app) as admin, TestClient(app) as stranger:
        token = csrf_of(admin.get("/login").text)
        admin.post("/login", data={"csrf": token, "password": "correct horse"})
        _task_url, links = _task(admin)
        for path in ("/tasks", "/tasks/1", "/tasks/1/summary", "/"):
            r = stranger.get(path, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/login", path
        r = stranger.get(links["甲单位"])
        assert r.status_code == 200 and "甲单位" in r.text
        r = _unit_upload(stranger, links["甲单位"], "junshan-2024.xlsx", EXAMPLE_XLSX.read_bytes())
        assert r.status_code == 200 and "警告 10 项" in text_of(r.text)


def test_too_many_wrong_passwords_pause_the_login(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    security.set_admin_password(data, "correct horse")
    with TestClient(create_app(data, require_login=True)) as c:
        token = csrf_of(c.get("/login").text)
        for _ in range(5):
            assert c.post("/login", data={"csrf": token, "password": "nope nope"}).status_code == 403
        r = c.post("/login", data={"csrf": token, "password": "correct horse"})
        assert r.status_code == 429 and "一分钟" in r.text


# ---------------------------------------------------------------------------
# collection for a bureau
# ---------------------------------------------------------------------------
def _task(c, units="甲单位,某局\n乙单位,某局\n丙单位"):
    token = csrf_of(c.get("/tasks").text)
    r = c.post("/tasks", data={"csrf": token, "year": "2024", "title": "2024 年度自评", "units": units})
    assert r.status_code == 200 and "/tasks/" in str(r.url)
    links = dict(re.findall(r'<tr data-unit="([^"]+)">.*?value="http://testserver(/u/[A-Za-z0-9_-]+)"', r.text, re.S))
    return str(r.url), links


def _unit_upload(c, link, name, content):
    token = csrf_of(c.get(link).text)
    return c.post(link, data={"csrf": token}, files={"file": (name, content, XLSX)})


def test_collection_three_units_status_and_summary(client, tmp_path):
    task_url, links = _task(client)
    assert sorted(links) == ["丙单位", "乙单位", "甲单位"]
    r = _unit_upload(client, links["甲单位"], "junshan-2024.xlsx", EXAMPLE_XLSX.read_bytes())
    assert r.status_code == 200 and "警告 10 项" in text_of(r.text)
    assert client.get(str(r.url) + "/download/annotated").content[:2] == b"PK"
    r = _unit_upload(client, links["乙单位"], "坏.xlsx", b"PK\x03\x04broken")
    assert r.status_code == 422 and "无法读取 坏.xlsx" in text_of(r.text)
    page = client.get(task_url).text
    status = dict(re.findall(r'<tr data-unit="([^"]+)">.*?class="status status-[^"]+">([^<]+)<', page, re.S))
    assert status == {"甲单位": "待说明", "乙单位": "未能读取", "丙单位": "未提交"}
    r = _unit_upload(client, links["甲单位"], "第二版.xlsx", EXAMPLE_XLSX.read_bytes())      # a second submission
    page = client.get(task_url).text
    history = re.search(r'href="(/tasks/\d+/units/\d+)">共 2 次', page).group(1)
    text = text_of(client.get(history).text)
    assert "甲单位 的提交记录" in text and "第二版.xlsx" in text and "junshan-2024.xlsx" in text
    assert client.get(task_url + "/units/9999").status_code == 404
    summary = client.get(task_url + "/summary")
    assert summary.status_code == 200 and summary.content[:2] == b"PK"
    path = tmp_path / "h.xlsx"
    path.write_bytes(summary.content)
    from openpyxl import load_workbook

    wb = load_workbook(path)
    assert "汇总" in wb.sheetnames
    cells = " ".join(str(v) for row in wb["汇总"].iter_rows(values_only=True) for v in row if v is not None)
    assert "岳阳市君山区社会治理网格化中心" in cells and "-甲单位.xlsx" in cells and "待说明" in cells
    unread = " ".join(str(v) for row in wb["未能读取"].iter_rows(values_only=True) for v in row if v is not None)
    assert "-乙单位.xlsx" in unread
    # every submission kept with its time, hash and findings
    import sqlite3

    db = sqlite3.connect(tmp_path / "data" / "collect.db")
    assert db.execute("SELECT version FROM schema_version").fetchone()[0] == 1
    rows = db.execute("SELECT status, sha256, warnings, created, findings FROM submissions ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["待说明", "未能读取", "待说明"] and rows[0][2] == 10 and len(rows[0][1]) == 64
    assert len(json.loads(rows[0][4])) == 15


def test_a_unit_sees_only_its_own_submissions(tmp_path):
    app = create_app(tmp_path / "data")
    with TestClient(app) as bureau, TestClient(app) as a, TestClient(app) as b:
        _task_url, links = _task(bureau)
        r = _unit_upload(a, links["甲单位"], "junshan-2024.xlsx", EXAMPLE_XLSX.read_bytes())
        sub = str(r.url).rsplit("/s/", 1)[1]
        assert b.get(f"{links['乙单位']}/s/{sub}").status_code == 404
        assert b.get(f"{links['乙单位']}/s/{sub}/download/annotated").status_code == 404
        assert "junshan-2024.xlsx" not in b.get(links["乙单位"]).text
        assert "junshan-2024.xlsx" in b.get(links["甲单位"]).text       # the link is the key, not the browser
        assert "收集任务" not in b.get(links["乙单位"]).text               # no way to the bureau's pages


def test_wrong_and_revoked_unit_tokens_are_refused(client):
    task_url, links = _task(client)
    assert client.get("/u/" + "A" * 32).status_code == 403
    assert "上传链接无效" in client.get("/u/" + "A" * 32).text
    page = client.get(task_url).text
    uid = re.search(r'/units/(\d+)/revoke', page).group(1)
    token = csrf_of(page)
    assert client.post(f"{task_url}/units/{uid}/revoke", data={}).status_code == 403      # CSRF
    r = client.post(f"{task_url}/units/{uid}/revoke", data={"csrf": token})
    assert r.status_code == 200 and "已作废" in r.text
    revoked = [u for u in links.values() if u not in r.text]
    assert len(revoked) == 1
    r = client.get(revoked[0])
    assert r.status_code == 403 and "已作废" in r.text
    r = _unit_upload(client, [u for u in links.values() if u in client.get(task_url).text][0], "x.exe", b"MZ")
    assert r.status_code == 415
    r = client.post(revoked[0], data={"csrf": token}, files={"file": ("a.xlsx", EXAMPLE_XLSX.read_bytes(), XLSX)})
    assert r.status_code == 403
    r = client.post(f"{task_url}/units/{uid}/renew", data={"csrf": token})
    assert client.get(revoked[0]).status_code == 403                        # the old link stays dead
    assert r.text.count("/u/") >= 3


def test_schema_is_versioned_and_a_newer_database_refused(tmp_path):
    from gridbudget.web.collect import SchemaError, connect

    db = connect(tmp_path / "c.db")
    assert db.execute("SELECT version FROM schema_version").fetchone()[0] == 1
    db.execute("UPDATE schema_version SET version = 99")
    db.close()
    with pytest.raises(SchemaError):
        connect(tmp_path / "c.db")


def test_unit_names_are_escaped_on_the_bureau_page(client):
    task_url, _links = _task(client, units="<script>alert(1)</script>,<i>局</i>")
    page = client.get(task_url).text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<i>局</i>" not in page


# ---------------------------------------------------------------------------
# end to end in a real headless Chromium (Debian packages chromium, chromium-driver)
# ---------------------------------------------------------------------------
def _browser_paths():
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return chromium, driver


@pytest.fixture()
def live_server(tmp_path):
    """The app served by uvicorn on a free local port in a thread: its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(tmp_path / "data", allowed_hosts=("127.0.0.1", "localhost"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture()
def browser(tmp_path):
    chromium, driver = _browser_paths()
    if not chromium or not driver:
        pytest.skip("没有安装 Chromium 和 chromedriver（apt-get install chromium chromium-driver）")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1600", "--lang=zh-CN", "--no-first-run", "--disable-extensions"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False,
                                           "safebrowsing.enabled": False})
    drv = webdriver.Chrome(service=Service(driver), options=opts)
    drv.downloads = downloads
    try:
        yield drv
    finally:
        drv.quit()


def _shots(tmp_path):
    import os
    from pathlib import Path

    folder = Path(os.environ.get("GRIDBUDGET_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shoot(drv, folder, name: str) -> None:
    """A full-page screenshot: the window is made as tall as the page first."""
    height = drv.execute_script("return document.documentElement.scrollHeight")
    drv.set_window_size(1280, max(900, min(int(height) + 40, 6000)))
    drv.save_screenshot(str(folder / f"{name}.png"))


def _wait_for_file(folder, pattern: str, seconds: float = 20):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(pattern) if not p.name.endswith(".crdownload")]
        if done:
            return done[0]
        time.sleep(0.2)
    return None


@pytest.mark.browser
def test_browser_checks_the_example_and_downloads_the_annotated_copy(live_server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    shots = _shots(tmp_path)
    drv = browser
    drv.get(live_server + "/")
    assert "审核一份自评附表工作簿" in drv.page_source
    _shoot(drv, shots, "01-首页")
    # drag and drop: a file dropped on the dashed box becomes the form's file
    drv.execute_script("""
        var dt = new DataTransfer();
        dt.items.add(new File(["x"], "拖入的表.xlsx"));
        var drop = document.getElementById("drop");
        drop.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
        drop.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
    """)
    assert "拖入的表.xlsx" in drv.find_element(By.ID, "chosen").text
    assert drv.execute_script("return document.getElementById('file').files[0].name") == "拖入的表.xlsx"
    drv.find_element(By.ID, "file").send_keys(str(EXAMPLE_XLSX))
    assert "junshan-2024.xlsx" in drv.find_element(By.ID, "chosen").text
    # the progress indication: the page's own submit handler runs; this once the test holds the request back
    drv.execute_script("document.getElementById('check-form').addEventListener('submit',"
                       " function (e) { e.preventDefault(); }, {once: true});")
    drv.find_element(By.ID, "submit").click()
    assert drv.find_element(By.ID, "progress").is_displayed()
    assert "正在上传并审核 junshan-2024.xlsx" in drv.find_element(By.ID, "progress-text").text
    assert not drv.find_element(By.ID, "submit").is_enabled()
    _shoot(drv, shots, "01b-审核中")
    drv.execute_script("HTMLFormElement.prototype.submit.call(document.getElementById('check-form'));")
    WebDriverWait(drv, 60).until(ec.presence_of_element_located((By.ID, "totals")))
    assert "警告 10 项" in drv.find_element(By.ID, "totals").text
    assert len(drv.find_elements(By.CSS_SELECTOR, "tr.finding[data-severity=warning]")) == 10
    _shoot(drv, shots, "02-审核结果")
    # the filters: only warnings, then only the project table
    for box in drv.find_elements(By.CSS_SELECTOR, ".f-sev"):
        if box.get_attribute("value") != "warning":
            box.click()
    assert "显示 10 项" in drv.find_element(By.ID, "shown").text
    from selenium.webdriver.support.ui import Select

    Select(drv.find_element(By.ID, "f-table")).select_by_index(3)
    assert "显示 6 项" in drv.find_element(By.ID, "shown").text
    _shoot(drv, shots, "03-筛选后")
    drv.find_element(By.ID, "dl-annotated").click()
    got = _wait_for_file(browser.downloads, "*.xlsx")
    assert got is not None and got.name == "junshan-2024-审核批注.xlsx"
    from openpyxl import load_workbook

    assert load_workbook(got).sheetnames[0] == "审核结果"
    # a refused upload shows its Chinese message on the page
    drv.get(live_server + "/")
    bad = tmp_path / "setup.exe"
    bad.write_bytes(b"MZ" + b"\0" * 100)
    drv.find_element(By.ID, "file").send_keys(str(bad))
    drv.find_element(By.ID, "submit").click()
    WebDriverWait(drv, 30).until(ec.presence_of_element_located((By.ID, "error")))
    assert "不支持的文件类型" in drv.find_element(By.ID, "error").text
    _shoot(drv, shots, "04-拒绝的文件")
    # over the limit: the page says so before sending anything
    big = tmp_path / "大.xlsx"
    with open(big, "wb") as fh:
        fh.truncate(21 * 2**20)
    drv.find_element(By.ID, "file").send_keys(str(big))
    drv.find_element(By.ID, "submit").click()
    assert "文件太大" in drv.find_element(By.ID, "chosen").text
    assert drv.find_element(By.ID, "submit").is_enabled()


@pytest.mark.browser
def test_browser_collects_three_units(live_server, browser, tmp_path):
    """The bureau sets up a task for three units; each unit submits through its own link;
    the bureau sees every status and downloads the summary workbook."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from gridbudget.submission import flatten
    from gridbudget.write.template import TemplateOptions, write_template

    shots = _shots(tmp_path)
    drv = browser
    nested = json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))
    nested["overall"]["ind"]["output"]["quantity"]["rows"][0]["score"] = 12        # over its weight: an error
    flat = flatten(nested)
    with_error = write_template(tmp_path / "乙单位-2024.xlsx", TemplateOptions(projects=len(flat["projects"])), flat)

    drv.get(live_server + "/tasks")
    year = drv.find_element(By.NAME, "year")
    year.clear()
    year.send_keys("2024")
    drv.find_element(By.NAME, "title").send_keys("2024 年度部门整体支出绩效自评")
    drv.find_element(By.NAME, "units").send_keys("甲单位,某局\n乙单位,某局\n丙单位,另一局")
    _shoot(drv, shots, "05-新建收集任务")
    drv.find_element(By.CSS_SELECTOR, "#new-task button[type=submit]").click()
    WebDriverWait(drv, 20).until(ec.presence_of_element_located((By.ID, "units")))
    links = {row.get_attribute("data-unit"): row.find_element(By.CSS_SELECTOR, "input.link-field").get_attribute("value")
             for row in drv.find_elements(By.CSS_SELECTOR, "#units tbody tr")}
    task_url = drv.current_url
    assert sorted(links) == ["丙单位", "乙单位", "甲单位"]

    def submit(link: str, path) -> None:
        drv.get(link)
        drv.find_element(By.ID, "file").send_keys(str(path))
        drv.find_element(By.ID, "submit").click()
        WebDriverWait(drv, 60).until(lambda d: d.find_elements(By.ID, "totals") or d.find_elements(By.ID, "error"))

    submit(links["甲单位"], EXAMPLE_XLSX)
    assert "警告 10 项" in drv.find_element(By.ID, "totals").text
    assert not drv.find_elements(By.LINK_TEXT, "收集任务")          # a unit's pages lead nowhere else
    submit(links["乙单位"], with_error)
    assert "错误 1 项" in drv.find_element(By.ID, "totals").text
    _shoot(drv, shots, "06-单位提交后的审核结果")
    drv.get(links["乙单位"])
    _shoot(drv, shots, "07-单位页面")
    bad = tmp_path / "丙单位.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    submit(links["丙单位"], bad)
    assert "无法读取" in drv.find_element(By.ID, "error").text

    drv.get(task_url)
    status = {row.get_attribute("data-unit"): row.find_element(By.CSS_SELECTOR, "td.status").text
              for row in drv.find_elements(By.CSS_SELECTOR, "#units tbody tr")}
    assert status == {"甲单位": "待说明", "乙单位": "有错误", "丙单位": "未能读取"}
    _shoot(drv, shots, "08-各单位提交情况")
    drv.find_element(By.ID, "dl-summary").click()
    got = _wait_for_file(browser.downloads, "*汇总.xlsx", 60)
    assert got is not None
    from openpyxl import load_workbook

    assert load_workbook(got).sheetnames[0] == "汇总"
    got.unlink()
    # a reviewer's zip of workbooks
    import zipfile

    bundle = tmp_path / "一批工作簿.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        zf.write(EXAMPLE_XLSX, "甲单位.xlsx")
        zf.write(with_error, "乙单位.xlsx")
    drv.find_element(By.CSS_SELECTOR, "#zip-form input[type=file]").send_keys(str(bundle))
    assert "一批工作簿.zip" in drv.find_element(By.ID, "zip-chosen").text
    drv.find_element(By.CSS_SELECTOR, "#zip-form button[type=submit]").click()
    WebDriverWait(drv, 60).until(ec.presence_of_element_located((By.ID, "batch-result")))
    assert "已汇总 2 个工作簿" in drv.find_element(By.ID, "batch-result").text
    _shoot(drv, shots, "09-压缩包汇总")
    drv.find_element(By.ID, "dl-batch").click()
    got = _wait_for_file(browser.downloads, "*汇总.xlsx", 60)
    assert got is not None and load_workbook(got).sheetnames[0] == "汇总"


def test_first_start_on_another_host_sets_the_password(tmp_path):
    from gridbudget.errors import UsageError
    from gridbudget.web.server import prepare

    with pytest.raises(UsageError, match="至少 8 个字符"):
        prepare("0.0.0.0", 8000, tmp_path / "d", 60, prompt=lambda _t: "short", interactive=True)
    _app, folder = prepare("0.0.0.0", 8000, tmp_path / "d", 60, prompt=lambda _t: "long enough", interactive=True)
    assert security.verify_password("long enough", security.load_admin(folder))
    assert not security.verify_password("long enougH", security.load_admin(folder))
    # the next start finds the password: no prompt
    prepare("0.0.0.0", 8000, tmp_path / "d", 60, prompt=None, interactive=False)


def test_reviewer_zip_of_workbooks_gives_a_summary(client, tmp_path):
    import io
    import zipfile

    task_url, _links = _task(client)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("收件箱/甲单位.xlsx", EXAMPLE_XLSX.read_bytes())
        zf.writestr("../../乙单位.xlsx", EXAMPLE_XLSX.read_bytes())        # a hostile name stays inside
        zf.writestr("坏.xlsx", b"PK\x03\x04 broken")
        zf.writestr("说明.txt", "不是工作簿")
        zf.writestr("里面.zip", b"PK")
    token = csrf_of(client.get(task_url).text)
    r = client.post(task_url + "/zip", data={"csrf": token}, files={"file": ("一批.zip", buf.getvalue(), "application/zip")})
    assert r.status_code == 200, text_of(r.text)[:500]
    text = text_of(r.text)
    assert "已汇总 3 个工作簿" in text and "1 个未能展开" in text and "压缩包中又有压缩包" in text
    link = re.search(r'href="(/tasks/\d+/zip/[A-Za-z0-9_-]+)"', r.text).group(1)
    got = client.get(link)
    assert got.status_code == 200 and got.content[:2] == b"PK"
    path = tmp_path / "z.xlsx"
    path.write_bytes(got.content)
    from openpyxl import load_workbook

    wb = load_workbook(path)
    unread = " ".join(str(v) for row in wb["未能读取"].iter_rows(values_only=True) for v in row if v is not None)
    assert "-坏.xlsx" in unread
    assert not any((tmp_path / "data" / "batches").glob("*/files/*.xlsx"))       # laid-out files removed
    assert not (tmp_path / "乙单位.xlsx").exists() and not (tmp_path / "data" / "乙单位.xlsx").exists()
    with TestClient(create_app(tmp_path / "data")) as other:
        assert other.get(link).status_code == 404
    r = client.post(task_url + "/zip", data={"csrf": token}, files={"file": ("a.xlsx", b"PK", XLSX)})
    assert r.status_code == 415 and ".zip" in r.text
    r = client.post(task_url + "/zip", data={"csrf": token}, files={"file": ("a.zip", b"not a zip", "application/zip")})
    assert r.status_code == 422 and "没有可以汇总的工作簿" in r.text


def test_unit_list_uploaded_as_a_file(client):
    token = csrf_of(client.get("/tasks").text)
    listing = "单位,主管部门\n甲单位,某局\n乙单位,某局\n".encode("gb18030")           # as Excel saves it on Chinese Windows
    r = client.post("/tasks", data={"csrf": token, "year": "2024", "units": "丙单位"},
                    files={"units_file": ("名单.csv", listing, "text/csv")})
    assert r.status_code == 200
    names = re.findall(r'<tr data-unit="([^"]+)">', r.text)
    assert sorted(names) == ["丙单位", "乙单位", "甲单位"]
    r = client.post("/tasks", data={"csrf": token, "year": "2024"},
                    files={"units_file": ("名单.csv", "名称\n甲\n".encode(), "text/csv")})
    assert r.status_code == 422 and "单位名单 名单.csv 中没有找到“单位”列" in r.text and "/uploads/" not in r.text
    r = client.post("/tasks", data={"csrf": token, "year": "2024"},
                    files={"units_file": ("名单.exe", b"MZ", "application/octet-stream")})
    assert r.status_code == 415


def test_unit_list_from_the_distribute_budget_list(client):
    pytest.importorskip("gridbudget.distribute")
    token = csrf_of(client.get("/tasks").text)
    budget = ("单位编码,单位名称,主管部门,项目名称,年初预算数\n001,甲单位,某局,,100\n001,甲单位,某局,网格项目,20\n"
              "002,乙 单位（二）,另一局,,50\n").encode("utf-8-sig")
    r = client.post("/tasks", data={"csrf": token, "year": "2024"},
                    files={"units_file": ("预算清单.csv", budget, "text/csv")})
    assert r.status_code == 200, text_of(r.text)[:300]
    assert sorted(re.findall(r'<tr data-unit="([^"]+)">', r.text)) == ["乙 单位（二）", "甲单位"]


def test_explanations_are_shown(client, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    src = tmp_path / "unit.xlsx"
    src.write_bytes(EXAMPLE_XLSX.read_bytes())
    wb = openpyxl.load_workbook(src)
    ws = wb.create_sheet("出错说明")
    ws.append(["规则代码", "工作表", "单元格", "出错说明"])
    ws.append(["S-SCORE-DIFF", "整体支出自评表", "$I$4", "执行率得分按<b>单位</b>办法自评"])
    wb.save(src)
    r = upload(client, "unit.xlsx", src.read_bytes())
    if "explanation" not in r.text and "已说明" not in r.text:
        pytest.skip("this checkout reads no 出错说明")
    assert "【已说明】执行率得分按&lt;b&gt;单位&lt;/b&gt;办法自评" in r.text
    assert "其中已说明 1 项" in text_of(r.text)


def test_hostile_workbooks_are_refused_and_the_server_stays_up(client, tmp_path):
    """Files from the hostile corpus (tests/hostile/make.py), uploaded: each a Chinese message, no crash."""
    import importlib.util

    from helpers import ROOT

    spec = importlib.util.spec_from_file_location("hostile_make", ROOT / "tests" / "hostile" / "make.py")
    make = importlib.util.module_from_spec(spec)
    import sys

    sys.modules.setdefault("hostile_make", make)          # its dataclasses look their module up
    spec.loader.exec_module(make)
    cases = {
        "doctype.xlsx": (make.patch_xlsx(tmp_path / "doctype.xlsx", {"xl/workbook.xml": lambda b: b.replace(
            b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>', 1)}), "不安全"),
        "zip-bomb-part.xlsx": (make.patch_xlsx(tmp_path / "zip-bomb-part.xlsx",
                                               {"xl/media/zeros.bin": b"\0" * (50 * 2**20)}), "内容过大"),
        "ods-repeat-bomb.ods": (make.ods(tmp_path / "ods-repeat-bomb.ods", make.ODS_BOMB), "内容过大"),
        "encrypted.xlsx": (make.encrypted_xlsx(tmp_path / "encrypted.xlsx"), "设有打开密码"),
        "report.xlsx": (None, "PDF"),
    }
    (tmp_path / "report.xlsx").write_bytes(b"%PDF-1.7\n" + b"x" * 2000)
    for name, (path, words) in cases.items():
        content = (path or tmp_path / name).read_bytes()
        assert len(content) < 20 * 2**20
        r = upload(client, name, content)
        assert r.status_code == 422, name
        assert f"无法读取 {name}" in text_of(r.text) and words in r.text, (name, text_of(r.text)[:400])
    assert "警告 10 项" in text_of(upload(client, "junshan-2024.xlsx", EXAMPLE_XLSX.read_bytes()).text)
