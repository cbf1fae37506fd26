"""Declared targets through the yearly cycle (issue 12): 绩效目标申报表 → distribute --targets →
fill --into → returned, tampered with or explained → validate / summarize."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from gridbudget.check.findings import ERROR, WARNING
from gridbudget.forms.families import FAMILY_BY_KEY
from gridbudget.read.book import open_book
from gridbudget.read.explain import read_submission
from gridbudget.read.tables import read_book
from gridbudget.read.targets import read_targets
from helpers import EXAMPLE_JSON, sha256
from test_cycle import _unit, explain_every_warning

SEED = json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))
SEED_PROJECT = SEED["projects"][0]
PROJECT = SEED_PROJECT["name"]                       # 移动网格平台


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gridbudget", *args], capture_output=True, text=True, timeout=180)


def _seed_indicators() -> list[tuple[str, str, str, str]]:
    """(一级, 二级, 三级, 指标值) of the seed project, as a 申报表 lists them."""
    out = []
    for l1 in SEED_PROJECT["ind"].values():
        for key, l2 in l1.items():
            if key == "label":
                continue
            for row in l2.get("rows", []):
                out.append((l1["label"], l2["label"], row["name"], row["target"]))
    return out


def declaration_book(path: Path, unit: str, department: str, project: str, goals: str,
                     indicators: list[tuple[str, str, str, str]], *, grid2021: bool = False, overall: bool = False) -> Path:
    """A 申报表 as units publish it: label rows over an indicator grid (2021+: 指标性质 / 指标值 / 度量单位)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "申报表"
    ws["A1"] = "部门整体支出绩效目标申报表" if overall else "项目支出绩效目标申报表"
    ws.merge_cells("A1:G1")
    ws["A2"] = "（2024年度）"
    if overall:
        ws["A3"], ws["B3"] = "部门（单位）名称", unit
    else:
        ws["A3"], ws["B3"] = "项目名称", project
        ws["A4"], ws["B4"], ws["D4"], ws["E4"] = "主管部门", department, "实施单位", unit
        ws["A5"], ws["B5"], ws["D5"] = "项目资金（万元）", "年度资金总额", 50
        ws["B6"], ws["D6"] = "其中：财政拨款", 50
        ws["B7"], ws["D7"] = "其他资金", 0
    ws["A8"], ws["B8"] = "年度绩效目标", goals
    head = ["绩效指标", "一级指标", "二级指标", "三级指标"] + (["指标性质", "指标值", "度量单位"] if grid2021 else ["指标值"])
    for c, h in enumerate(head, 1):
        ws.cell(9, c, h)
    for r, (l1, l2, name, target) in enumerate(indicators, 10):
        ws.cell(r, 2, l1)
        ws.cell(r, 3, l2)
        ws.cell(r, 4, name)
        m = re.fullmatch(r"([≥≤=]?)([\d.]+)(.*)", str(target))
        if not grid2021:
            ws.cell(r, 5, target)
        elif m:
            ws.cell(r, 5, m.group(1) or ("≤" if l2 == "成本指标" else "≥"))     # 指标性质 is never left blank
            ws.cell(r, 6, float(m.group(2)) if "." in m.group(2) else int(m.group(2)))
            ws.cell(r, 7, m.group(3))
        else:
            ws.cell(r, 5, "定性")
            ws.cell(r, 6, target)
    wb.save(path)
    return path


UNITS = (("001", "甲单位", "一局"), ("002", "乙单位", "一局"), ("003", "丙单位", "二局"), ("004", "丁单位", "二局"))


def _budget_list(path: Path) -> Path:
    lines = ["2024年度部门预算清单", "单位编码,单位名称,主管部门,项目名称,年初预算数,调整后预算数"]
    for code, unit, dept in UNITS:
        lines.append(f"{code},{unit},{dept},,120.54,117.98")
        lines.append(f"{code},{unit},{dept},{PROJECT},50,50")          # the same project name in every unit
    path.write_text("\n".join(lines) + "\n", encoding="gb18030")
    return path


def _unit_data(unit: str, department: str) -> dict:
    return _unit(SEED, unit, department)


def _findings(path: Path, *extra: str) -> list[dict]:
    proc = _cli("validate", str(path), "--format", "json", *extra)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)["files"][0]["findings"]


def _f(findings: list[dict]) -> list[tuple[str, str, str | None]]:
    return [(f["code"], f["sheet"], f["cell"]) for f in findings if f["code"].startswith("F-")]


# --------------------------------------------------------------------------- the 申报表 family


def test_declarations_are_one_more_family_read_by_the_same_reader(tmp_path):
    inds = _seed_indicators()
    a = declaration_book(tmp_path / "a.xlsx", "甲单位", "一局", PROJECT, "建成平台", inds)
    b = declaration_book(tmp_path / "b.xlsx", "乙单位", "一局", PROJECT, "建成平台", inds, grid2021=True)
    c = declaration_book(tmp_path / "c.xlsx", "丙单位", "", "", "履职尽责", inds[:3], overall=True)
    decls, problems = read_targets([tmp_path])
    assert problems == []
    by = {(d.unit, d.kind): d for d in decls}
    assert set(by) == {("甲单位", "project"), ("乙单位", "project"), ("丙单位", "overall")}
    for d in (by["甲单位", "project"], by["乙单位", "project"]):
        assert d.project == PROJECT and d.department == "一局" and d.goals == ["建成平台"]
        assert [(i.name, i.target) for i in d.indicators][:3] == [
            ("君山区网格化平台基础数据累计录入", "≥10000"), ("网格化治理全覆盖", "100%" if d.unit == "甲单位" else "≥100%"),
            ("推动网格信息应用", "≥98%")]
        assert d.indicators[0].block == "ind.output.quantity" and d.indicators[0].where == "申报表!D10"
        assert len(d.indicators) == len(inds) and d.unplaced == []
    assert by["丙单位", "overall"].goals == ["履职尽责"]
    # a 申报表 is not a self-evaluation: validate names it and checks nothing
    sub = read_book(open_book(a))
    assert [t.fam.key for t in sub.found] == ["declaration-project"] and sub.tables == []
    proc = _cli("validate", str(a))
    assert proc.returncode == 2 and "项目支出绩效目标申报表" in proc.stdout + proc.stderr
    assert FAMILY_BY_KEY["declaration-project"].declaration and FAMILY_BY_KEY["declaration-overall"].declaration
    assert c.exists() and b.exists()


def test_a_folder_of_targets_says_what_it_could_not_use(tmp_path):
    declaration_book(tmp_path / "ok.xlsx", "甲单位", "一局", PROJECT, "目标", _seed_indicators())
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not a zip")
    seedbook = Path(__file__).resolve().parents[1] / "examples" / "junshan-2024.xlsx"
    (tmp_path / "自评表.xlsx").write_bytes(seedbook.read_bytes())
    decls, problems = read_targets([tmp_path])
    assert [d.unit for d in decls] == ["甲单位"]
    assert len(problems) == 2
    assert any("broken.xlsx" in p for p in problems)
    assert any("自评表.xlsx" in p and "没有找到绩效目标申报表" in p for p in problems)


# --------------------------------------------------------------------------- distribute --targets


@pytest.fixture(scope="module")
def handed(tmp_path_factory):
    d = tmp_path_factory.mktemp("targets")
    lst = _budget_list(d / "预算清单.csv")
    decl = d / "申报表"
    decl.mkdir()
    for code, unit, dept in UNITS:
        goals = next(g["expected"] for g in SEED_PROJECT["goals"])
        declaration_book(decl / f"{code}.xlsx", unit, dept, PROJECT, goals, _seed_indicators(), grid2021=code == "002")
    declaration_book(decl / "其他.xlsx", "戊单位", "三局", "不在清单中的项目", "目标", _seed_indicators()[:2])
    before = {p.name: sha256(p) for p in decl.iterdir()}
    proc = _cli("distribute", str(lst), "--year", "2024", "--targets", str(decl), "-o", str(d / "下发"))
    assert proc.returncode == 0, proc.stderr
    assert "提示：项目“不在清单中的项目”" in proc.stderr and "没有预填" in proc.stderr
    assert {p.name: sha256(p) for p in decl.iterdir()} == before          # inputs never change
    return d, {p.name[:3]: p for p in (d / "下发").iterdir()}


def test_declared_targets_are_prefilled_locked_and_recorded(handed):
    _d, files = handed
    wb = openpyxl.load_workbook(files["001"])
    ws = wb["项目支出自评表-1"]
    rows = {ws.cell(r, 4).value: r for r in range(1, ws.max_row + 1) if ws.cell(r, 4).value}
    r = rows["推动网格信息应用"]
    assert ws.cell(r, 5).value == "≥98%"
    assert ws.cell(r, 4).protection.locked and ws.cell(r, 5).protection.locked
    assert not ws.cell(r, 6).protection.locked and not ws.cell(r, 8).protection.locked    # 实际完成值, 得分: the unit's
    goal = next(c for c in ws["B"] if c.value == SEED_PROJECT["goals"][0]["expected"])
    assert goal.protection.locked and not ws.cell(goal.row, 6).protection.locked           # 实际完成情况: the unit's
    rec = wb["gb_下发信息"]
    keys = {rec.cell(i, 3).value: rec.cell(i, 4).value for i in range(1, rec.max_row + 1)}
    assert keys["ind.output.quality[0].name"] == "推动网格信息应用" and keys["ind.output.quality[0].target"] == "≥98%"
    assert keys["goals[0].expected"] == SEED_PROJECT["goals"][0]["expected"]
    # the 2021+ declaration (指标性质 / 指标值 / 度量单位) comes out as one 指标值
    two = openpyxl.load_workbook(files["002"])["项目支出自评表-1"]
    assert any(c.value == "≥100%" for c in two["E"])
    sub, _ = read_submission(files["001"])
    assert sub.handout.computed_hash() == sub.handout.fingerprint
    assert _f(_findings(files["001"])) == []                   # nothing changed yet


def test_unreadable_targets_stop_before_anything_is_written(tmp_path):
    lst = _budget_list(tmp_path / "预算清单.csv")
    bad = tmp_path / "坏的申报表.xlsx"
    bad.write_bytes(b"PK\x03\x04 garbage")
    proc = _cli("distribute", str(lst), "--targets", str(bad), "-o", str(tmp_path / "下发"))
    assert proc.returncode == 2 and "坏的申报表.xlsx" in proc.stderr and "没有下发" in proc.stderr
    assert not (tmp_path / "下发").exists()


def _tamper(src: Path, dst: Path, edit) -> Path:
    wb = openpyxl.load_workbook(src)
    ws = wb["项目支出自评表-1"]
    ws.protection.sheet = False                                    # no password: easy to remove
    rows = {ws.cell(r, 4).value: r for r in range(1, ws.max_row + 1) if ws.cell(r, 4).value}
    edit(ws, rows)
    wb.save(dst)
    return dst


def test_dropped_renamed_added_lowered_and_changed_indicators(handed, tmp_path):
    _d, files = handed

    def edit(ws, rows):
        ws.cell(rows["推动网格信息应用"], 5).value = "≥90%"                 # lowered (≥: smaller)
        ws.cell(rows["控制在预算内"], 5).value = "≤60万元"                    # lowered (≤: larger)
        ws.cell(rows["群众安全感满意度"], 5).value = "≥99%"                   # raised: changed, not lowered
        ws.cell(rows["网格化治理全覆盖"], 4).value = "网格覆盖率"              # renamed in its cell
        ws.cell(rows["助力人居环境"], 4).value = None                         # dropped
        ws.cell(rows["助力人居环境"], 5).value = None
        spare = rows["推动网格信息应用"] + 2                                   # a blank row of the block
        ws.cell(spare, 4).value, ws.cell(spare, 5).value = "新增培训次数", "≥2次"  # added

    back = _tamper(files["001"], tmp_path / "back.xlsx", edit)
    got = {f["code"] + ":" + (f["found"] or f["expected"] or ""): f for f in _findings(back) if f["code"].startswith("F-")}
    assert set(got) == {"F-TARGET-LOWERED:≥90%", "F-TARGET-LOWERED:≤60万元", "F-FIGURE-CHANGED:≥99%",
                        "F-INDICATOR-RENAMED:网格覆盖率", "F-INDICATOR-DROPPED:助力人居环境", "F-INDICATOR-ADDED:新增培训次数"}
    low = got["F-TARGET-LOWERED:≥90%"]
    assert low["expected"] == "≥98%" and low["severity"] == ERROR and not low["explainable"]
    assert low["sheet"] == "项目支出自评表-1" and re.fullmatch(r"E\d+", low["cell"])
    assert got["F-INDICATOR-ADDED:新增培训次数"]["severity"] == WARNING and got["F-INDICATOR-ADDED:新增培训次数"]["explainable"]
    assert got["F-INDICATOR-RENAMED:网格覆盖率"]["expected"] == "网格化治理全覆盖"
    dropped = got["F-INDICATOR-DROPPED:助力人居环境"]
    assert dropped["cell"].startswith("D") and dropped["severity"] == ERROR


def test_an_indicator_moved_to_another_row_is_not_a_change(handed, tmp_path):
    _d, files = handed

    def edit(ws, rows):
        a, b = rows["推动网格信息应用"], rows["提升网格化管理水平"]
        for c in (4, 5):
            ws.cell(a, c).value, ws.cell(b, c).value = ws.cell(b, c).value, ws.cell(a, c).value

    assert _f(_findings(_tamper(files["001"], tmp_path / "moved.xlsx", edit))) == []


def test_direction_turned_round_is_lowered(handed, tmp_path):
    _d, files = handed

    def edit(ws, rows):
        ws.cell(rows["推动网格信息应用"], 5).value = "≤98%"

    assert [c for c, _s, _x in _f(_findings(_tamper(files["001"], tmp_path / "turned.xlsx", edit)))] == ["F-TARGET-LOWERED"]


def test_severity_by_profile(handed, tmp_path):
    _d, files = handed

    def edit(ws, rows):
        ws.cell(rows["推动网格信息应用"], 5).value = "≥90%"
        spare = rows["推动网格信息应用"] + 2
        ws.cell(spare, 4).value, ws.cell(spare, 5).value = "新增培训次数", "≥2次"

    back = _tamper(files["001"], tmp_path / "p.xlsx", edit)
    prof = tmp_path / "严格.toml"
    prof.write_text('[profile]\nname = "严格"\nextends = "national-2020"\n\n[rules]\n'
                    '"F-INDICATOR-ADDED" = "error"\n"F-TARGET-LOWERED" = "warning"\n', encoding="utf-8")
    sev = {f["code"]: f["severity"] for f in _findings(back, "--profile", str(prof)) if f["code"].startswith("F-")}
    assert sev == {"F-INDICATOR-ADDED": ERROR, "F-TARGET-LOWERED": WARNING}


def test_a_project_sheet_the_unit_added_is_flagged(handed, tmp_path):
    _d, files = handed
    wb = openpyxl.load_workbook(files["001"])
    extra = wb.copy_worksheet(wb["项目支出自评表-1"])
    extra.title = "自加项目"
    extra["C2"].value = "自行增加的项目"
    wb.save(tmp_path / "added.xlsx")
    got = [f for f in _findings(tmp_path / "added.xlsx") if f["code"] == "F-TABLE-ADDED"]
    assert [(f["sheet"], f["found"], f["severity"]) for f in got] == [("自加项目", "自行增加的项目", WARNING)]


def test_fill_into_keeps_what_was_handed_out(handed, tmp_path):
    _d, files = handed
    data = _unit_data("甲单位", "一局")
    data["projects"][0]["funds"]["total"]["budget"] = 70                 # the unit's data disagrees with the bureau
    data["projects"][0]["ind"]["output"]["quality"]["rows"][0]["target"] = "≥90%"
    src = tmp_path / "甲.json"
    src.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "甲-填好.xlsx"
    proc = _cli("fill", str(src), "--into", str(files["001"]), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "全年预算数是下发数，保留下发值“50.00”（数据中为“70”）" in proc.stderr
    assert "三级指标“推动网格信息应用”的年度指标值是下发的，保留下发值“≥98%”（数据中为“≥90%”）" in proc.stderr
    ws = openpyxl.load_workbook(out)["项目支出自评表-1"]
    assert ws["E5"].value == 50 and ws["E5"].protection.locked and ws["F5"].value == 40.6
    findings = _findings(out)
    assert _f(findings) == []                                          # the record and its fingerprint came along
    assert not any(f["code"] == "C-REQUIRED" for f in findings)        # the unit's actuals and scores filled in
    proc = _cli("fill", str(src), "--into", str(Path(__file__).resolve().parents[1] / "examples" / "junshan-2024.xlsx"),
                "-o", str(tmp_path / "x.xlsx"))
    assert proc.returncode == 3 and "不是财政局下发" in proc.stderr


# --------------------------------------------------------------------------- the whole season


@pytest.fixture(scope="module")
def season(handed):
    """甲 lowers a target and edits a locked budget figure, 乙 leaves its warnings, 丙 explains them, 丁 never returns."""
    d, files = handed
    inbox = d / "收件箱"
    inbox.mkdir()
    filled = {}
    for code, unit, dept in UNITS[:3]:
        src = d / f"{code}.json"
        src.write_text(json.dumps(_unit_data(unit, dept), ensure_ascii=False), encoding="utf-8")
        filled[code] = d / f"{code}-填好.xlsx"
        proc = _cli("fill", str(src), "--into", str(files[code]), "-o", str(filled[code]))
        assert proc.returncode == 0, proc.stderr

    def lower(ws, rows):
        ws.cell(rows["推动网格信息应用"], 5).value = "≥90%"
        ws["E5"].value = 45                                          # 全年预算数, handed out as 50

    _tamper(filled["001"], inbox / "001-甲单位.xlsx", lower)
    (inbox / "002-乙单位.xlsx").write_bytes(filled["002"].read_bytes())
    explain_every_warning(filled["003"], d / "003-审核.xlsx", inbox / "003-丙单位-交回.xlsx",
                          lambda _r, code: f"丙单位说明：{code}")
    lst = d / "预算清单.csv"
    js = d / "汇总.json"
    proc = _cli("summarize", str(inbox), "--units", str(lst), "-o", str(js), "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    assert "单位状态：通过 1，待说明 1，有错误 1，未提交 1。" in proc.stderr
    out = d / "汇总.xlsx"
    assert _cli("summarize", str(inbox), "--units", str(lst), "-o", str(out)).returncode in (0, 1)
    return json.loads(js.read_text(encoding="utf-8")), out


def test_the_season_summary(season):
    data, out = season
    assert {u["unit"]: u["status"] for u in data["units"]} == {
        "甲单位": "有错误", "乙单位": "待说明", "丙单位": "通过", "丁单位": "未提交"}
    handed = sorted((f["unit"], f["code"], f["sheet"], f["cell"], f["expected"], f["found"])
                    for f in data["findings"] if f["code"].startswith("F-"))
    assert [h[:3] for h in handed] == [("甲单位", "F-FIGURE-CHANGED", "项目支出自评表-1"),
                                       ("甲单位", "F-TARGET-LOWERED", "项目支出自评表-1")]
    assert handed[0][3:] == ("E5", "50.00", "45")
    assert handed[1][4:] == ("≥98%", "≥90%") and re.fullmatch(r"E\d+", handed[1][3])
    wb = openpyxl.load_workbook(out)
    fl = wb["问题清单"]
    top = next(r for r in range(1, 30) if fl.cell(r, 1).value == "单位")
    head = [c.value for c in fl[top]]
    rows = [[c.value for c in r] for r in fl.iter_rows(min_row=top + 1)]
    explained = [r for r in rows if r[0] == "丙单位" and r[-1]]
    assert explained and all(r[-1] == f"丙单位说明：{r[head.index('规则代码')]}" for r in explained)
    assert ["甲单位", "项目支出自评表-1", "E5"] == [next(r for r in rows if r[head.index("规则代码")] == "F-FIGURE-CHANGED")[i]
                                                for i in (0, head.index("工作表"), head.index("单元格"))]


@pytest.mark.libreoffice
def test_a_workbook_with_targets_recalculates_and_prints_in_libreoffice(handed, tmp_path):
    from gridbudget.write import libreoffice as lo
    from printcheck import render_pages

    if not lo.available():
        pytest.skip("LibreOffice is needed")
    _d, files = handed
    (out,) = lo.convert([files["001"]], tmp_path / "lo", "xlsx")
    assert _f(_findings(out)) == []                 # LibreOffice's copy keeps the targets and the record
    pages = render_pages(files["001"], tmp_path / "png")
    assert len(pages) == 6


def test_an_overall_declaration_prefills_the_overall_table(tmp_path):
    lst = _budget_list(tmp_path / "预算清单.csv")
    decl = tmp_path / "申报表"
    decl.mkdir()
    declaration_book(decl / "整体.xlsx", "乙单位", "", "", "全面履行网格化服务管理职责", _seed_indicators()[:3], overall=True)
    proc = _cli("distribute", str(lst), "--targets", str(decl), "-o", str(tmp_path / "下发"))
    assert proc.returncode == 0, proc.stderr
    wb = openpyxl.load_workbook(tmp_path / "下发" / "002-乙单位.xlsx")
    ws = wb["整体支出自评表"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert cells["全面履行网格化服务管理职责"].protection.locked
    assert cells["推动网格信息应用"].protection.locked and cells["≥98%"].protection.locked
    guide = "\n".join(str(c.value) for row in wb["填表说明"].iter_rows() for c in row if c.value)
    assert "不要删除、改名或调低指标" in guide
    other = openpyxl.load_workbook(tmp_path / "下发" / "001-甲单位.xlsx")
    assert "推动网格信息应用" not in {c.value for row in other["整体支出自评表"].iter_rows() for c in row}
    assert "不要删除、改名或调低指标" not in "\n".join(
        str(c.value) for row in other["填表说明"].iter_rows() for c in row if c.value)

    back = tmp_path / "back.xlsx"
    wb["整体支出自评表"][cells["推动网格信息应用"].coordinate].value = "信息应用"
    wb.save(back)
    assert [c for c, _s, _x in _f(_findings(back))] == ["F-INDICATOR-RENAMED"]


def test_the_central_2015_declaration_with_medium_term_and_annual_targets_side_by_side(tmp_path):
    """财预〔2015〕88号: 中期目标 | 年度目标, and two indicator sets (二级 / 三级 / 指标值) side by side: the year's are taken."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["项目支出绩效目标申报表"], ["（2024年度）"], ["项目名称", "网格平台"],
                ["主管部门及代码", "一局 101", "", "", "实施单位", "甲单位"],
                ["项目资金（万元）", "", "中期资金总额：", 150, "年度资金总额：", 50],
                ["", "", "其中：财政拨款", 150, "其中：财政拨款", 50],
                ["总体目标", "中期目标（2024年-2026年）", "", "", "年度目标", ""],
                ["", "三年建成全区平台", "", "", "2024年完成一期建设", ""],
                ["绩效指标", "一级指标", "二级指标", "三级指标", "指标值", "二级指标", "三级指标", "指标值"],
                ["", "产出指标", "数量指标", "覆盖网格数", "≥300个", "数量指标", "覆盖网格数", "≥120个"],
                ["", "", "质量指标", "办结率", "≥95%", "质量指标", "办结率", "≥90%"],
                ["", "满意度指标", "服务对象满意度指标", "群众满意度", "≥95%", "服务对象满意度指标", "群众满意度", "≥90%"]):
        ws.append(row)
    wb.save(tmp_path / "central.xlsx")
    (d,), problems = read_targets([tmp_path / "central.xlsx"])
    assert problems == [] and (d.project, d.unit, d.department) == ("网格平台", "甲单位", "一局 101")
    assert d.goals == ["2024年完成一期建设"]
    assert [(i.block, i.name, i.target) for i in d.indicators] == [
        ("ind.output.quantity", "覆盖网格数", "≥120个"), ("ind.output.quality", "办结率", "≥90%"),
        ("ind.satisfaction.service", "群众满意度", "≥90%")]


def test_numeric_targets_and_targets_without_their_unit(tmp_path):
    """A 指标值 typed as a bare number (95) is recorded as 95.00 and is not “changed” when it comes back as 95;
    ≥100 typed over ≥120个 (the unit left out) is lowered."""
    lst = _budget_list(tmp_path / "预算清单.csv")
    decl = tmp_path / "申报表"
    decl.mkdir()
    inds = [("产出指标", "数量指标", "巡查网格数", "≥120个"), ("满意度指标", "服务对象满意度指标", "群众满意度", 95)]
    declaration_book(decl / "甲.xlsx", "甲单位", "一局", PROJECT, "目标", inds)
    assert _cli("distribute", str(lst), "--targets", str(decl), "-o", str(tmp_path / "下发")).returncode == 0
    handed = tmp_path / "下发" / "001-甲单位.xlsx"
    ws = openpyxl.load_workbook(handed)["项目支出自评表-1"]
    assert any(c.value == "95" for c in ws["E"])           # as the 申报表 gave it (a 指标值 cell holds text)
    assert _f(_findings(handed)) == []

    def edit(ws, rows):
        ws.cell(rows["巡查网格数"], 5).value = "≥100"

    assert [c for c, _s, _x in _f(_findings(_tamper(handed, tmp_path / "b.xlsx", edit)))] == ["F-TARGET-LOWERED"]


def test_targets_are_read_in_a_worker_under_the_time_limit(tmp_path):
    """Each 申报表 is read in a worker process: one that takes too long stops the command with its name (exit 2)."""
    lst = _budget_list(tmp_path / "预算清单.csv")
    declaration_book(tmp_path / "慢.xlsx", "甲单位", "一局", PROJECT, "目标", _seed_indicators())
    proc = _cli("distribute", str(lst), "--targets", str(tmp_path / "慢.xlsx"), "--timeout", "0.001",
                "-o", str(tmp_path / "下发"))
    assert proc.returncode == 2 and "慢.xlsx 超过 0.001 秒" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "下发").exists()


def test_a_renamed_indicator_keeps_its_declared_target(handed, tmp_path):
    _d, files = handed

    def edit(ws, rows):
        r = rows["群众安全感满意度"]
        ws.cell(r, 4).value, ws.cell(r, 5).value = "满意度", "≥99%"          # renamed, and its target raised

    got = sorted(c for c, _s, _x in _f(_findings(_tamper(files["001"], tmp_path / "r.xlsx", edit))))
    assert got == ["F-FIGURE-CHANGED", "F-INDICATOR-RENAMED"]


def test_the_bundled_cycle_example_as_the_readme_runs_it(tmp_path):
    """examples/cycle: the seed unit's budget list and 申报表 → distribute --targets → fill --into with the seed's
    data → validate: the seed's own findings, no F- finding; summarize with the budget list as --units."""
    ex = Path(__file__).resolve().parents[1] / "examples"
    proc = _cli("distribute", str(ex / "cycle" / "预算清单.csv"), "--year", "2024", "--targets", str(ex / "cycle" / "申报表"),
                "-o", str(tmp_path / "下发"))
    assert proc.returncode == 0 and "提示" not in proc.stderr, proc.stderr        # every target placed
    (handed,) = (tmp_path / "下发").iterdir()
    ws = openpyxl.load_workbook(handed)["项目支出自评表-1"]
    names = {c.value for c in ws["D"] if c.value}
    assert {"推动网格信息应用", "群众安全感满意度"} <= names
    filled = tmp_path / "收件箱" / "君山.xlsx"
    assert _cli("fill", str(ex / "junshan-2024.json"), "--into", str(handed), "-o", str(filled)).returncode == 0
    findings = _findings(filled)
    assert _f(findings) == [] and not [f for f in findings if f["severity"] == ERROR]
    proc = _cli("summarize", str(filled.parent), "--units", str(ex / "cycle" / "预算清单.csv"), "-o", str(tmp_path / "汇总.xlsx"))
    assert "单位状态：待说明 1。" in proc.stderr
