"""The exit-code contract of README (退出码), command by command, through ``gridbudget.cli.run``
(the function ``main`` calls): every code each command can end with is produced here."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from gridbudget import cli
from gridbudget.errors import EXIT_CODES
from helpers import EXAMPLE_JSON, EXAMPLE_XLSX, ROOT


def test_readme_table_is_the_contract():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| (\d) \| (.+?) \|$", text, re.M))
    assert sorted(int(k) for k in table) == sorted(EXIT_CODES)


@pytest.fixture()
def logs(tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDBUDGET_LOG_DIR", str(tmp_path / "logs"))
    return tmp_path / "logs"


def _boom(*_a, **_k):
    raise RuntimeError("simulated bug")


def _run(argv, capsys) -> tuple[int, str]:
    rc = cli.run([str(a) for a in argv])
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text
    return rc, text


# (command, argv builder, expected code, words); tmp is the test's folder
CASES = [
    ("template", lambda t: ["template", "-o", t / "t.xlsx"], 0, "已生成模板"),
    ("template", lambda t: ["template", "-o", t / "t.txt"], 3, "应以 .xlsx 结尾"),
    ("template", lambda t: ["template", "--family", "nosuch", "-o", t / "t.xlsx"], 3, "没有表式"),
    ("fill", lambda t: ["fill", EXAMPLE_JSON, "-o", t / "f.xlsx"], 0, "已生成"),
    ("fill", lambda t: ["fill", t / "nosuch.json", "-o", t / "f.xlsx"], 2, "nosuch.json"),
    ("fill", lambda t: ["fill", EXAMPLE_JSON, "-o", t / "f.json"], 3, "应以 .xlsx 结尾"),
    ("export", lambda t: ["export", EXAMPLE_XLSX, "-o", t / "e.json"], 0, "已导出"),
    ("export", lambda t: ["export", t / "nosuch.xlsx"], 2, "nosuch.xlsx"),
    ("export", lambda t: ["export", EXAMPLE_XLSX, "--format", "csv"], 3, "不支持的格式"),
    ("validate", lambda t: ["validate", EXAMPLE_XLSX], 0, "警告 10 项"),
    ("validate", lambda t: ["validate", EXAMPLE_XLSX, "--report",
                            ROOT / "examples" / "seed" / "junshan-grid-center-2024-self-evaluation.txt"], 1, "错误 2 项"),
    ("validate", lambda t: ["validate", t / "nosuch.xlsx"], 2, "找不到文件"),
    ("validate", lambda t: ["validate", EXAMPLE_XLSX, "--profile", "nosuch"], 3, "评分方案"),
    ("score", lambda t: ["score", EXAMPLE_XLSX, "-o", t / "s.xlsx"], 0, "已生成评分副本"),
    ("score", lambda t: ["score", t / "nosuch.xlsx"], 2, "nosuch.xlsx"),
    ("score", lambda t: ["score", EXAMPLE_XLSX, "-o", t / "s.csv"], 3, "应以 .xlsx 或 .xlsm 结尾"),
    ("summarize", lambda t: ["summarize", EXAMPLE_XLSX, "-o", t / "h.xlsx"], 0, "已汇总 1 个文件，0 个未能读取"),
    ("summarize", lambda t: ["summarize", EXAMPLE_XLSX, t / "nosuch.xlsx", "-o", t / "h.xlsx"], 2, "1 个未能读取"),
    ("summarize", lambda t: ["summarize", EXAMPLE_XLSX, "-o", t / "h.xlsx", "--timeout", "-1"], 3, "--timeout"),
    ("rules", lambda t: ["rules"], 0, "W-"),
    ("rules", lambda t: ["rules", "--format", "html"], 3, "不支持的格式"),
]


@pytest.mark.parametrize("command,argv,code,words", CASES, ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(CASES)])
def test_each_command_each_code(tmp_path, capsys, logs, command, argv, code, words):
    rc, text = _run(argv(tmp_path), capsys)
    assert rc == code, text
    assert words in text, text


@pytest.mark.parametrize("command,target,argv", [
    ("template", "gridbudget.write.template.write_template", lambda t: ["template", "-o", t / "t.xlsx"]),
    ("fill", "gridbudget.write.template.write_template", lambda t: ["fill", EXAMPLE_JSON, "-o", t / "f.xlsx"]),
    ("export", "gridbudget.read.export.export_submission", lambda t: ["export", EXAMPLE_XLSX]),
    ("validate", "gridbudget.check.engine.validate_submission", lambda t: ["validate", EXAMPLE_XLSX]),
    ("score", "gridbudget.score.engine.score_submission", lambda t: ["score", EXAMPLE_XLSX]),
    ("summarize", "gridbudget.score.engine.score_submission", lambda t: ["summarize", EXAMPLE_XLSX, "-o", t / "h.xlsx"]),
    ("rules", "gridbudget.check.catalogue.render_catalogue", lambda t: ["rules"]),
])
def test_an_internal_error_is_code_4_with_a_log(tmp_path, capsys, logs, monkeypatch, command, target, argv):
    module, name = target.rsplit(".", 1)
    monkeypatch.setattr(__import__(module, fromlist=[name]), name, _boom)
    rc, text = _run(argv(tmp_path), capsys)
    assert rc == 4, text
    assert "程序内部出错" in text
    written = list(logs.iterdir())
    assert written
    if command == "summarize":                      # the log is named in the summary's 未能读取 sheet
        import openpyxl

        rows = list(openpyxl.load_workbook(tmp_path / "h.xlsx")["未能读取"].iter_rows(values_only=True))
        assert any(str(written[0]) in str(c) for r in rows for c in r)
    else:
        assert any(str(p) in text for p in written)
    assert any("simulated bug" in p.read_text(encoding="utf-8") for p in written)


def test_usage_errors_are_code_3_in_chinese(capsys):
    for argv, words in ((["validate", "--nope"], "没有选项 --nope"), (["validate"], "缺少参数"),
                        (["frob"], "没有命令"), (["template", "--projects", "x"], "--projects"),
                        (["template", "--projects", "0"], "--projects")):
        rc, text = _run(argv, capsys)
        assert rc == 3 and words in text and "Usage" not in text, (argv, text)


def test_help_and_version(capsys):
    rc, text = _run(["--help"], capsys)
    assert rc == 0 and "用法" in text and "命令" in text and "退出码" in text
    rc, text = _run(["validate", "--help"], capsys)
    assert rc == 0 and "--timeout" in text and "显示本帮助并退出" in text
    rc, text = _run(["--version"], capsys)
    assert rc == 0 and text.startswith("gridbudget ")


def test_blank_template_prints_one_workbook_heading(tmp_path, capsys):
    _run(["template", "-o", tmp_path / "b.xlsx", "--projects", "2"], capsys)
    rc, text = _run(["validate", tmp_path / "b.xlsx"], capsys)
    assert rc == 1
    assert text.count("【工作簿】") == 1
    assert "2 张项目支出绩效自评表（项目支出自评表-1、项目支出自评表-2）都没有填写" in text
    assert "没有找到项目支出绩效自评表" not in text


def test_sigterm_leaves_no_temporary_files(tmp_path):
    """A batch stopped with SIGTERM removes its SQLite store and leaves no partial output."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(300):
        (inbox / f"u{i:03}.xlsx").write_bytes(EXAMPLE_XLSX.read_bytes())
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(tmp))
    p = subprocess.Popen([sys.executable, "-m", "gridbudget.cli", "summarize", str(inbox), "-o",
                          str(tmp_path / "h.xlsx"), "--jobs", "1"], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list(tmp.glob("gridbudget-batch-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    p.send_signal(signal.SIGTERM)
    _out, err = p.communicate(timeout=60)
    assert p.returncode == 143, err.decode("utf-8", "replace")
    assert b"Traceback" not in err
    assert list(tmp.iterdir()) == []
    assert not (tmp_path / "h.xlsx").exists()
    assert not list(tmp_path.glob(".*.tmp"))
