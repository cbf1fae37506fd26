"""The bureau's yearly cycle (issue 12): 出错说明 round trip, a status for every unit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from gridbudget.check.engine import RULES
from gridbudget.check.findings import ERROR, WARNING, finding_status
from gridbudget.check.rules.handout import HANDOUT_CODES
from gridbudget.read.explain import explanation_key, read_explanations, read_submission
from gridbudget.read.book import open_book
from gridbudget.submission import flatten
from gridbudget.write.annotate import EXPLAIN_COLUMN, NOT_EXPLAINABLE
from gridbudget.write.template import TemplateOptions, write_template
from helpers import EXAMPLE_JSON, EXAMPLE_XLSX, sha256

CYCLE_CODES = HANDOUT_CODES      # the F- rules, each fired below (test_validate's tested set)


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gridbudget", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def _fill(data: dict, path: Path) -> Path:
    flat = flatten(data)
    unit = data["overall"]["unit"]
    write_template(path, TemplateOptions(unit=unit, projects=max(1, len(flat["projects"]))), flat)
    return path


def _seed() -> dict:
    return json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))


def _validate(path: Path) -> dict:
    proc = _cli("validate", str(path), "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)["files"][0]


def _table(ws):
    """(header row, rows below it that are findings) of a 审核结果 sheet."""
    header = next(r for r in range(1, 60) if ws.cell(r, 1).value == "序号")
    rows = [r for r in range(header + 1, ws.max_row + 1) if isinstance(ws.cell(r, 1).value, int)]
    return header, rows


def _explain(src: Path, dst: Path, answers: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Write an explanation beside the first finding of each code in ``answers`` (the unit's side, openpyxl)."""
    wb = openpyxl.load_workbook(src)
    ws = wb["审核结果"]
    _, rows = _table(ws)
    where = {}
    for r in rows:
        code = ws.cell(r, 3).value
        if code in answers and code not in where:
            ws.cell(r, EXPLAIN_COLUMN).value = answers[code]
            where[code] = (ws.cell(r, 7).value, ws.cell(r, 8).value)
    wb.save(dst)
    return where


def explain_every_warning(src: Path, copy: Path, dst: Path, say) -> Path:
    """The unit's answer: ``validate --annotate`` ``src`` into ``copy``, write ``say(row, code)`` in the
    出错说明 column of every 警告 of its 审核结果 sheet, save as ``dst`` (openpyxl, as Excel would)."""
    proc = _cli("validate", str(src), "--annotate", str(copy))
    assert proc.returncode in (0, 1), proc.stderr
    wb = openpyxl.load_workbook(copy)
    ws = wb["审核结果"]
    _, rows = _table(ws)
    for r in rows:
        if ws.cell(r, 2).value == "警告":
            ws.cell(r, EXPLAIN_COLUMN).value = say(r, ws.cell(r, 3).value)
    wb.save(dst)
    return dst


# --------------------------------------------------------------------------- the rule catalogue


def test_every_rule_says_whether_it_can_be_explained():
    from gridbudget.check import rules  # noqa: F401

    assert all(isinstance(r.explainable, bool) for r in RULES.values())
    # arithmetic that cannot be right cannot be explained away; a warning can
    for code in ("W-INCOME-SUM", "W-EXEC-RATE", "S-SCORE-SUM", "W-PROJECTS-TOTAL"):
        assert RULES[code].severity == ERROR and not RULES[code].explainable, code
    assert all(r.explainable for r in RULES.values() if r.severity != ERROR)
    assert RULES["Y-PREV-FINAL"].explainable            # an audited restatement of last year's figure
    proc = _cli("rules", "--format", "json")
    listed = {r["code"]: r["explainable"] for r in json.loads(proc.stdout)}
    assert listed == {c: r.explainable for c, r in RULES.items()}
    text = _cli("rules").stdout
    assert "[不可说明] 执行率计算有误" in text and "[可说明] 金额数量级异常" in text


# --------------------------------------------------------------------------- 出错说明 round trip


def test_explanation_round_trip(tmp_path):
    data = _seed()
    data["overall"]["income"]["general"] = 100          # 按收入性质分 ≠ 全年执行数: W-INCOME-SUM, an error
    src = _fill(data, tmp_path / "unit.xlsx")
    before = sha256(src)
    first = _validate(src)
    codes = {f["code"]: f for f in first["findings"]}
    assert codes["W-INCOME-SUM"]["severity"] == ERROR and not codes["W-INCOME-SUM"]["explainable"]
    assert codes["S-SCORE-DIFF"]["severity"] == WARNING and codes["S-SCORE-DIFF"]["explainable"]
    assert first["status"] == "有错误"

    copy1 = tmp_path / "审核副本.xlsx"
    assert _cli("validate", str(src), "--annotate", str(copy1)).returncode == 1
    wb = openpyxl.load_workbook(copy1)
    ws = wb["审核结果"]
    header, rows = _table(ws)
    assert ws.cell(header, EXPLAIN_COLUMN).value == "出错说明"
    assert ws.protection.sheet and not ws.protection.password          # protected, no password
    for r in rows:
        answer = ws.cell(r, EXPLAIN_COLUMN)
        if ws.cell(r, 3).value == "W-INCOME-SUM":
            assert answer.protection.locked and answer.value == NOT_EXPLAINABLE
        else:
            assert not answer.protection.locked and answer.value is None
            assert answer.fill.fgColor.rgb[-6:] == "FFF9DB"          # the template's input yellow

    # the unit answers a warning and (in vain) the error, and sends the copy back
    returned = tmp_path / "returned.xlsx"
    text = "年中调减预算后按调整后预算数执行，执行率得分按实际执行情况自评。"
    wb = openpyxl.load_workbook(copy1)
    ws = wb["审核结果"]
    _, rows = _table(ws)
    for r in rows:
        if ws.cell(r, 3).value == "S-SCORE-DIFF" and ws.cell(r, 7).value == "整体支出自评表":
            ws.cell(r, EXPLAIN_COLUMN).value = text
        if ws.cell(r, 3).value == "W-INCOME-SUM":
            ws.cell(r, EXPLAIN_COLUMN).value = "其他收入漏填"
    wb.save(returned)

    again = _validate(returned)
    # the tables read the same: the 审核结果 sheet is not a self-evaluation table
    assert [(f["code"], f["sheet"], f["cell"]) for f in again["findings"]] == \
        [(f["code"], f["sheet"], f["cell"]) for f in first["findings"]]
    got = {f["code"]: f for f in again["findings"] if f["sheet"] != "项目支出自评表-1"}
    assert got["S-SCORE-DIFF"]["explanation"] == text and got["S-SCORE-DIFF"]["severity"] == WARNING
    assert got["W-INCOME-SUM"]["explanation"] == "其他收入漏填" and got["W-INCOME-SUM"]["severity"] == ERROR
    assert again["counts"]["explained"] == 1 and again["status"] == "有错误"
    out = _cli("validate", str(returned))
    assert out.returncode == 1                        # the error stands
    line = next(x for x in out.stdout.splitlines() if "S-SCORE-DIFF" in x and "整体支出自评表!" in x)
    assert line.endswith("【已说明】" + text)
    assert "【说明不能代替改正】其他收入漏填" in out.stdout
    assert "（其中已说明 1 项）" in out.stdout.splitlines()[-1]

    # re-annotation keeps the text (and replaces the old 审核结果 and comments instead of piling them up)
    copy2 = tmp_path / "审核副本2.xlsx"
    _cli("validate", str(returned), "--annotate", str(copy2))
    wb2 = openpyxl.load_workbook(copy2)
    assert [n for n in wb2.sheetnames if n.startswith("审核结果")] == ["审核结果"]
    ws2 = wb2["审核结果"]
    _, rows2 = _table(ws2)
    answers = {ws2.cell(r, 3).value: ws2.cell(r, EXPLAIN_COLUMN).value for r in rows2
               if ws2.cell(r, 7).value != "项目支出自评表-1"}
    assert answers["S-SCORE-DIFF"] == text and answers["W-INCOME-SUM"] == NOT_EXPLAINABLE
    comments = [c.comment.text for s in wb2.worksheets for row in s.iter_rows() for c in row if c.comment]
    first_comments = [c.comment.text for s in openpyxl.load_workbook(copy1).worksheets
                      for row in s.iter_rows() for c in row if c.comment]
    assert len(comments) == len(first_comments)
    assert not any(t.count("S-SCORE-DIFF") > 1 for t in comments)
    assert any("已说明：" + text in t for t in comments)
    assert sha256(src) == before                              # inputs never modified


def test_fixing_the_error_and_explaining_the_warnings_passes(tmp_path):
    src = _fill(_seed(), tmp_path / "unit.xlsx")
    first = _validate(src)
    assert first["status"] == "待说明"
    explain_every_warning(src, tmp_path / "copy.xlsx", tmp_path / "back.xlsx", lambda r, _code: f"说明 {r}")
    again = _validate(tmp_path / "back.xlsx")
    assert again["status"] == "通过" and again["counts"]["explained"] == 10
    assert _cli("validate", str(tmp_path / "back.xlsx"), "--strict").returncode == 0    # explained warnings
    assert _cli("validate", str(src), "--strict").returncode == 1


def test_explanation_sheet_in_the_original_workbook(tmp_path):
    """The unit may instead add a 出错说明 sheet to its own workbook."""
    src = tmp_path / "unit.xlsx"
    src.write_bytes(EXAMPLE_XLSX.read_bytes())
    wb = openpyxl.load_workbook(src)
    ws = wb.create_sheet("出错说明")
    ws.append(["规则代码", "工作表", "单元格", "出错说明"])
    ws.append(["S-SCORE-DIFF", "整体支出自评表", "$I$4", "执行率得分按单位办法自评"])
    ws.append(["X-NOPE", "整体支出自评表", "A1", "不对应任何问题"])
    wb.save(src)
    sub, explanations = read_submission(src)
    assert explanations[explanation_key("S-SCORE-DIFF", "整体支出自评表", "I4")] == "执行率得分按单位办法自评"
    assert "出错说明" not in {t.sheet for t in sub.tables}
    rep = _validate(src)
    got = [f for f in rep["findings"] if f["explanation"]]
    assert [(f["code"], f["cell"]) for f in got] == [("S-SCORE-DIFF", "I4")]
    assert rep["counts"] == {"error": 0, "warning": 10, "info": 5, "explained": 1}
    assert rep["notes"] == ["出错说明中有 1 条没有对应的问题（问题可能已改正，或规则代码、工作表、单元格被改动），已忽略。"]
    assert read_explanations(open_book(EXAMPLE_XLSX)) == {}


def test_seed_still_reads_the_same():
    out = _cli("validate", str(EXAMPLE_XLSX))
    assert out.stdout.splitlines()[-1] == "共检查 1 个文件：错误 0 项，警告 10 项，提示 5 项。"


def test_finding_status():
    assert finding_status([]) == "通过"
    assert finding_status([{"severity": "info"}]) == "通过"
    assert finding_status([{"severity": "warning"}]) == "待说明"
    assert finding_status([{"severity": "warning", "explainable": True, "explanation": "x"}]) == "通过"
    assert finding_status([{"severity": "error", "explainable": False, "explanation": "x"}]) == "有错误"
    assert finding_status([], unreadable=True) == "未能读取"



# --------------------------------------------------------------------------- a status for every unit


def _unit(data: dict, name: str, department: str) -> dict:
    data = json.loads(json.dumps(data))
    for part in ("basic", "overall"):
        data[part]["unit"] = name
    for p in data["projects"]:
        p["unit"], p["department"] = name, department
    return data


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    """Four listed units: one with an error, one leaving its warnings, one explaining them all, one silent."""
    d = tmp_path_factory.mktemp("cycle")
    inbox = d / "收件箱"
    inbox.mkdir()
    wrong = _unit(_seed(), "甲单位", "一局")
    wrong["overall"]["income"]["general"] = 100
    _fill(wrong, inbox / "甲单位.xlsx")
    _fill(_unit(_seed(), "乙单位", "一局"), inbox / "乙单位.xlsx")
    src = _fill(_unit(_seed(), "丙单位", "二局"), d / "丙单位.xlsx")
    explain_every_warning(src, d / "丙单位-审核.xlsx", inbox / "丙单位-交回.xlsx", lambda _r, code: f"丙单位说明：{code}")
    units = d / "单位名单.csv"
    units.write_text("单位编码,单位,主管部门\n001,甲单位,一局\n002,乙单位,一局\n003,丙单位,二局\n004,丁单位,二局\n",
                     encoding="utf-8")
    out = d / "汇总.xlsx"
    proc = _cli("summarize", str(inbox), "--units", str(units), "-o", str(out))
    assert proc.returncode in (0, 1), proc.stderr
    js = d / "汇总.json"
    _cli("summarize", str(inbox), "--units", str(units), "-o", str(js), "--format", "json")
    return out, json.loads(js.read_text(encoding="utf-8"))


def test_summary_status_of_every_unit(cycle):
    out, data = cycle
    status = {u["unit"]: u["status"] for u in data["units"]}
    assert status == {"甲单位": "有错误", "乙单位": "待说明", "丙单位": "通过", "丁单位": "未提交"}
    by = {u["unit"]: u for u in data["units"]}
    assert by["丙单位"]["explained"] == 10 and by["乙单位"]["explained"] == 0
    assert by["丁单位"]["file"] == "" and by["丁单位"]["department"] == "二局" and by["丁单位"]["counted"] == ""
    wb = openpyxl.load_workbook(out)
    ws = wb["汇总"]
    top = next(r for r in range(1, 30) if ws.cell(r, 1).value == "主管部门")
    head = [c.value for c in ws[top]]
    col = {h: i for i, h in enumerate(head)}
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=top + 1)]
    shown = [(r[0], r[1], r[col["状态"]]) for r in rows if r[0]]
    assert shown == [("一局", "乙单位", "待说明"), ("一局", "甲单位", "有错误"),
                     ("二局", "丁单位", "未提交"), ("二局", "丙单位", "通过")]     # by name: 丁 U+4E01 before 丙 U+4E19
    notes = {r[1]: r[col["备注"]] for r in rows if not r[0]}
    assert notes["小计：一局"] == "计 2 个单位；待说明 1，有错误 1"
    assert notes["小计：二局"] == "计 1 个单位；通过 1，未提交 1"
    assert notes["合计"] == "计 3 个单位；通过 1，待说明 1，有错误 1，未提交 1"
    status_cell = ws.cell(top + 1 + [r[1] for r in rows].index("丁单位"), col["状态"] + 1)
    assert status_cell.fill.fgColor.rgb[-6:] == "EDEDED"
    unit_cell = ws.cell(status_cell.row, col["单位"] + 1)
    assert not str(getattr(unit_cell.font.color, "rgb", "") or "").endswith("7F7F7F")     # not greyed like a duplicate
    # 问题清单: explanations beside the findings
    fl = wb["问题清单"]
    ftop = next(r for r in range(1, 30) if fl.cell(r, 1).value == "单位")
    fhead = [c.value for c in fl[ftop]]
    assert fhead[-1] == "出错说明"
    frows = [[c.value for c in r] for r in fl.iter_rows(min_row=ftop + 1)]
    explained = [r for r in frows if r[0] == "丙单位" and r[-1]]
    assert len(explained) == 10 and all(r[-1] == f"丙单位说明：{r[fhead.index('规则代码')]}" for r in explained)
    assert not any(r[-1] for r in frows if r[0] in ("甲单位", "乙单位"))
    about = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    assert "未提交：--units 单位名单中有" in about


# --------------------------------------------------------------------------- distribute and the fingerprint

BUDGET_LIST = ("2024年度预算清单\n"
               "单位编码,单位名称,主管部门,项目名称,年初预算数（元）,调整后预算数（元）\n"
               "001,甲单位,一局,,1205400,1179800\n"
               "001,甲单位,一局,移动网格平台,600000,580000\n"
               "002,乙单位,一局,道路养护,\"300,000\",300000\n"
               "002,乙单位,一局,绿化,100000,90000\n"
               "003,丙单位,二局,办公设备,50000,50000\n")


@pytest.fixture(scope="module")
def handed(tmp_path_factory):
    d = tmp_path_factory.mktemp("handout")
    lst = d / "预算清单.csv"
    lst.write_text(BUDGET_LIST, encoding="gb18030")          # as Excel saves a CSV on Chinese Windows
    before = sha256(lst)
    proc = _cli("distribute", str(lst), "--year", "2024", "--deadline", "2025年3月31日", "-o", str(d / "下发"))
    assert proc.returncode == 0, proc.stderr
    assert sha256(lst) == before
    return d, sorted((d / "下发").iterdir())


def _codes(rep: dict) -> list[tuple[str, str | None, str | None]]:
    return [(f["code"], f["sheet"], f["cell"]) for f in rep["findings"] if f["code"].startswith("F-")]


def test_distribute_prefills_and_locks_the_budget(handed):
    _d, files = handed
    assert [p.name for p in files] == ["001-甲单位.xlsx", "002-乙单位.xlsx", "003-丙单位.xlsx"]
    wb = openpyxl.load_workbook(files[0])
    assert wb.sheetnames[-1] == "gb_下发信息" and wb["gb_下发信息"].sheet_state == "veryHidden"
    ws = wb["项目支出自评表-1"]
    assert ws["C2"].value == "移动网格平台" and ws["C3"].value == "一局" and ws["F3"].value == "甲单位"
    assert (ws["D5"].value, ws["E5"].value) == (60, 58)                     # 元 in the list, 万元 in the form
    assert ws["D5"].protection.locked and ws["E5"].protection.locked and ws.protection.sheet
    assert not ws["F5"].protection.locked                                   # the unit fills 全年执行数
    overall = wb["整体支出自评表"]
    assert (overall["D4"].value, overall["E4"].value) == (120.54, 117.98)
    guide = "\n".join(str(c.value) for row in wb["填表说明"].iter_rows() for c in row if c.value)
    for part in ("下发说明", "单位编码 001", "不能修改", "出错说明", "请于 2025年3月31日 前交回。"):
        assert part in guide, part
    two = openpyxl.load_workbook(files[1])
    assert [two[n]["C2"].value for n in two.sheetnames if n.startswith("项目支出自评表")] == ["道路养护", "绿化"]
    sub, _ = read_submission(files[0])
    assert sub.handout is not None and sub.handout.info["单位编码"] == "001"
    assert sub.handout.computed_hash() == sub.handout.fingerprint
    assert "gb_下发信息" not in {t.sheet for t in sub.tables}
    rep = _validate(files[0])
    assert _codes(rep) == []                                                # nothing changed yet
    assert not any(f["code"] == "C-HIDDEN-SHEET" for f in rep["findings"])


def test_a_changed_handed_out_figure_is_reported_on_its_cell(handed, tmp_path):
    _d, files = handed
    wb = openpyxl.load_workbook(files[0])
    ws = wb["项目支出自评表-1"]
    ws.protection.sheet = False                                             # no password: easy to remove
    ws["E5"].value = 70
    ws["F5"].value = 56
    back = tmp_path / "甲单位-交回.xlsx"
    wb.save(back)
    rep = _validate(back)
    assert _codes(rep) == [("F-FIGURE-CHANGED", "项目支出自评表-1", "E5")]
    f = next(f for f in rep["findings"] if f["code"] == "F-FIGURE-CHANGED")
    assert f["severity"] == ERROR and not f["explainable"] and f["expected"] == "58.00" and f["found"] == "70"
    assert "全年预算数下发为“58.00”" in f["message"]           # the label the unit sees on the form
    assert rep["status"] == "有错误"


def test_a_dropped_sheet_and_an_edited_record(handed, tmp_path):
    _d, files = handed
    wb = openpyxl.load_workbook(files[1])
    del wb["项目支出自评表-2"]
    wb.save(tmp_path / "dropped.xlsx")
    assert _codes(_validate(tmp_path / "dropped.xlsx")) == [("F-TABLE-MISSING", "项目支出自评表-2", None)]
    wb = openpyxl.load_workbook(files[2])
    rec = wb["gb_下发信息"]
    row = next(r for r in range(1, rec.max_row + 1) if rec.cell(r, 3).value == "funds.total.budget")
    rec.cell(row, 4).value = "9.00"                           # the record lowered to match a changed figure
    wb["项目支出自评表-1"]["E5"].value = 9
    wb.save(tmp_path / "record.xlsx")
    codes = _codes(_validate(tmp_path / "record.xlsx"))
    assert ("F-RECORD-CHANGED", "gb_下发信息", None) in codes
    assert not any(c[0] == "F-FIGURE-CHANGED" for c in codes)  # the record now agrees: the fingerprint does not
    wb = openpyxl.load_workbook(files[2])
    wb["gb_下发信息"].sheet_state = "visible"
    wb.save(tmp_path / "shown.xlsx")
    shown = [f for f in _validate(tmp_path / "shown.xlsx")["findings"] if f["code"].startswith("F-")]
    assert [(f["code"], f["severity"]) for f in shown] == [("F-RECORD-CHANGED", WARNING)]


def test_distribute_usage_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("甲,乙\n1,2\n", encoding="utf-8")
    proc = _cli("distribute", str(bad), "-o", str(tmp_path / "out"))
    assert proc.returncode == 3 and "没有找到表头" in proc.stderr
    assert _cli("distribute", str(tmp_path / "nosuch.csv"), "-o", str(tmp_path / "out")).returncode == 2
    assert not (tmp_path / "out").exists()


def test_summary_shows_the_changed_figure_and_who_did_not_return(handed, tmp_path):
    d, files = handed
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    wb = openpyxl.load_workbook(files[0])
    wb["项目支出自评表-1"]["E5"].value = 70
    wb.save(inbox / "001-甲单位.xlsx")
    (inbox / "002-乙单位.xlsx").write_bytes(files[1].read_bytes())
    units = tmp_path / "名单.csv"
    units.write_text("单位编码,单位,主管部门\n001,甲单位,一局\n002,乙单位,一局\n003,丙单位,二局\n", encoding="utf-8")
    out = tmp_path / "汇总.json"
    _cli("summarize", str(inbox), "--units", str(units), "-o", str(out), "--format", "json")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {u["unit"]: u["status"] for u in data["units"]} == {"甲单位": "有错误", "乙单位": "有错误", "丙单位": "未提交"}
    changed = [(f["unit"], f["sheet"], f["cell"], f["expected"]) for f in data["findings"] if f["code"].startswith("F-")]
    assert changed == [("甲单位", "项目支出自评表-1", "E5", "58.00")]


@pytest.mark.libreoffice
def test_distributed_workbook_recalculates_and_prints_in_libreoffice(handed, tmp_path):
    """LibreOffice opens a handed-out workbook, computes its formulas and prints it; the record sheet does not print."""
    from gridbudget.write import libreoffice as lo
    from printcheck import render_pages

    if not lo.available():
        pytest.skip("LibreOffice is needed")
    _d, files = handed
    wb = openpyxl.load_workbook(files[0])
    wb["项目支出自评表-1"]["F5"].value = 56                 # the unit's 全年执行数
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    (out,) = lo.convert([filled], tmp_path / "lo", "xlsx")
    got = openpyxl.load_workbook(out, data_only=True)
    assert abs(got["项目支出自评表-1"]["H5"].value - 56 / 58) < 1e-9        # 执行率 computed
    # budgets handed out, 全年执行数 not yet typed: no 0.00% before the unit enters what it spent
    assert got["整体支出自评表"]["E4"].value == 117.98 and got["整体支出自评表"]["F4"].value is None
    assert got["整体支出自评表"]["H4"].value in (None, "")
    assert got["gb_下发信息"].sheet_state in ("hidden", "veryHidden")      # LibreOffice keeps it hidden, not very hidden
    pages = render_pages(files[0], tmp_path / "png")
    assert len(pages) == 6           # 填表说明, 基础数据表, two pages each for the 整体 and the one 项目 table
    rep = _validate(out)             # LibreOffice's copy keeps the record and the figures
    assert _codes(rep) == []
