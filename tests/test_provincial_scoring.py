"""Provincial scoring rules as profile keys (FAMILIES "Scoring rules seen in provincial systems"),
off in national-2020 and on in provincial-caps: the total capped by the execution rate, points off
an over-achieved indicator (指标偏离), indicator points running ahead of spending.

The tables are the seed's project table (移动网格平台, 分值 90 on indicators + 10 on execution) with
a few cells changed, so that every figure below can be followed by hand."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import openpyxl
import pytest
from helpers import EXAMPLE_XLSX
from printcheck import fit_problems

from gridbudget.check.engine import run_rules
from gridbudget.model import Indicator, TableData, Val
from gridbudget.read.tables import read_submission
from gridbudget.score.engine import indicator_points, score_submission
from gridbudget.score.profile import load_profile
from gridbudget.write.scoresheet import render_score_text, score_dict, write_scored_copy

D = Decimal
NATIONAL = "national-2020"
PROVINCIAL_CODES = ("S-AHEAD-OF-SPENDING", "S-TOTAL-OVER-CAP")    # each fired and not fired below
PROVINCIAL = "provincial-caps"


@pytest.fixture(scope="module")
def seed():
    return read_submission(EXAMPLE_XLSX)


def project(seed, executed, *, budget=50, actuals=None, scores=None):
    """The seed with its project's 全年执行数 (and 全年预算数) set, and some actuals / self-scores.

    By default two actuals are changed so that the project's indicators recompute to 85.5:
    推动网格信息应用 ≥98% reaches 53.9% (10 × 53.9 / 98 = 5.50 instead of 10), and 基础数据累计录入
    (≥10000, 18万余条 in the seed, 18 times the target) is 12000 (1.2 times: no 指标偏离)."""
    sub = copy.deepcopy(seed)
    td = sub.projects[0]
    td.fields["funds.total.budget"] = Val(D(str(budget)), td.sheet, "E5")
    td.fields["funds.total.executed"] = Val(D(str(executed)), td.sheet, "F5")
    wanted = {"推动网格信息应用": "53.9%", "君山区网格化平台基础数据累计录入": "12000"}
    wanted.update(actuals or {})
    for ind in td.indicators():
        if ind.name in wanted:
            ind.row["actual"] = Val(wanted[ind.name], td.sheet, ind.get("actual").cell)
        if scores and ind.name in scores:
            ind.row["score"] = Val(D(str(scores[ind.name])), td.sheet, ind.get("score").cell)
    return sub


def project_score(sub, profile: str):
    return score_submission(sub, load_profile(profile)).tables[1]


# ---------------------------------------------------------------------------
# 1. the total capped by the execution rate
# ---------------------------------------------------------------------------
def test_65_percent_caps_92_at_79(seed):
    sub = project(seed, "32.5")                          # 32.5 / 50 = 65%: 6.50 + 85.50 = 92.00
    national = project_score(sub, NATIONAL)
    assert (national.exec_recomputed, national.total_recomputed, national.grade_recomputed) == (D("6.50"), D("92.00"), "优")
    assert (national.total_cap, national.cap_deduction, national.cap_reason) == (None, 0, "")
    ts = project_score(sub, PROVINCIAL)
    assert sum(l.recomputed for l in ts.level1) == D("85.50")
    assert (ts.total_before_cap, ts.total_cap, ts.cap_deduction) == (D("92.00"), D(79), D("13.00"))
    assert (ts.total_recomputed, ts.grade_recomputed) == (D("79.00"), "中")
    assert ts.cap_reason == "执行率 65.00%，总分按规定不超过 79 分，扣减 13.00 分"
    assert ts.total_self == D(98) and ts.diff == D("-19.00")       # the unit's own scores stay as they are


@pytest.mark.parametrize("executed,rate,total,cap,deducted", [
    ("40", "80.00", "93.50", 100, "0.00"),        # 80% and above: not capped
    ("39.995", "79.99", "93.50", 89, "4.50"),     # 70% (incl.) to 80%: at most 89
    ("35", "70.00", "92.50", 89, "3.50"),
    ("34.9975", "70.00", "92.50", 89, "3.50"),    # 69.995% is shown as 70.00%, and compared as shown
    ("34.997", "69.99", "92.50", 79, "13.50"),    # 69.994%: 60% (incl.) to 70%: at most 79
    ("30", "60.00", "91.50", 79, "12.50"),
    ("29.995", "59.99", "91.50", 69, "22.50"),    # below 60%: at most 69
    ("25", "50.00", "90.50", 69, "21.50"),
    ("24.995", "49.99", "90.50", 59, "31.50"),    # below 50%: at most 59
    ("0", "0.00", "85.50", 59, "26.50"),
])
def test_cap_boundaries(seed, executed, rate, total, cap, deducted):
    sub = project(seed, executed)
    assert project_score(sub, NATIONAL).total_recomputed == D(total)
    ts = project_score(sub, PROVINCIAL)
    assert ts.rate.quantize(D("0.01")) == D(rate)
    assert (ts.total_before_cap, ts.total_cap, ts.cap_deduction) == (D(total), D(cap), D(deducted))
    assert ts.total_recomputed == min(D(total), D(cap))
    assert bool(ts.cap_reason) == (D(deducted) > 0)


def test_a_total_below_its_cap_is_not_deducted(seed):
    low = {"网格化治理全覆盖": "0%", "群众安全感满意度": "0%", "推动网格信息应用": "0%"}
    ts = project_score(project(seed, "32.5", actuals=low), PROVINCIAL)  # 6.50 + 90 − 30 = 66.50 < 79
    assert (ts.total_recomputed, ts.total_cap, ts.cap_deduction, ts.cap_reason) == (D("66.50"), D(79), 0, "")


def test_no_cap_without_an_execution_rate(seed):
    sub = project(seed, "32.5")
    sub.projects[0].fields["funds.total.budget"] = Val(None, sub.projects[0].sheet, "E5")
    ts = project_score(sub, PROVINCIAL)
    assert ts.total_recomputed is None and ts.total_cap is None and ts.cap_deduction == 0


def test_seed_unchanged_in_the_national_profile_and_under_provincial_caps(seed):
    national = score_submission(seed)
    assert [t.total_recomputed for t in national.tables] == [D("99.91"), D("98.12")]
    assert all(t.total_cap is None and t.cap_deduction == 0 for t in national.tables)
    prov = score_submission(seed, load_profile(PROVINCIAL))
    # 99.13% and 81.20%: no cap; one 指标偏离 each (更新完善数据库 134 / 100; 基础数据 18万余条 / 10000)
    assert [t.total_recomputed for t in prov.tables] == [D("97.91"), D("96.12")]
    assert [t.total_cap for t in prov.tables] == [D(100), D(100)]
    assert [[(s.indicator.name, s.deduction) for s in t.indicators if s.deduction] for t in prov.tables] == [
        [("更新完善数据库", D(2))], [("君山区网格化平台基础数据累计录入", D(2))]]


# ---------------------------------------------------------------------------
# 2. over-achievement: 130% of the target or more is a 指标偏离, 2 points off
# ---------------------------------------------------------------------------
def make(target, actual, weight=10, level2="quantity") -> Indicator:
    td = TableData("project", "s", "layout")
    row = {"name": Val("x"), "target": Val(target), "actual": Val(actual), "weight": Val(weight), "score": Val(weight)}
    return Indicator(td, f"ind.output.{level2}", 0, "output", level2, "产出指标", "数量指标", row)


@pytest.mark.parametrize("target,actual,weight,level2,national,provincial,deducted", [
    ("≥100次", "130次", 10, "quantity", "10.00", "8.00", "2"),      # 1.30 × the target exactly: deducted
    ("≥100次", "129次", 10, "quantity", "10.00", "10.00", "0"),     # 1.29 ×: not
    ("≥100次", "500次", 10, "quantity", "10.00", "8.00", "2"),
    (">100次", "130次", 10, "quantity", "10.00", "8.00", "2"),
    ("100次", "130次", 10, "quantity", "10.00", "8.00", "2"),       # a bare target is read as ≥
    ("≥100次", "200次", 1, "quantity", "1.00", "0.00", "1"),        # not below 0
    ("≥100次", "80次", 10, "quantity", "8.00", "8.00", "0"),        # missed: proportional, nothing more
    ("≤50万元", "20万元", 10, "cost", "10.00", "10.00", "0"),       # a ceiling kept well under is no deviation
    ("≥0次", "5次", 10, "quantity", "10.00", "10.00", "0"),         # target 0: no ratio
    ("定性", "达成", 10, "quantity", "10.00", "10.00", "0"),        # qualitative: untouched
])
def test_over_achievement_deduction(target, actual, weight, level2, national, provincial, deducted):
    n = indicator_points(make(target, actual, weight, level2), load_profile(NATIONAL))
    assert (n.recomputed, n.deduction) == (D(national), 0)
    p = indicator_points(make(target, actual, weight, level2), load_profile(PROVINCIAL))
    assert (p.recomputed, p.deduction) == (D(provincial), D(deducted))
    if p.deduction:
        assert "属指标偏离，满分扣" in p.basis


def test_over_achievement_basis_words():
    p = indicator_points(make("≥100次", "130次"), load_profile(PROVINCIAL))
    assert p.basis == "≥ 类指标已达成，但实际完成值为指标值的 130%（达到 130% 及以上），属指标偏离，满分扣 2 分"
    p = indicator_points(make("≥100次", "200次", weight=1), load_profile(PROVINCIAL))
    assert p.basis.endswith("属指标偏离，满分扣 1 分（规定扣 2 分，以分值为限）")
    assert "指标值的 2 倍" in p.basis


def test_the_ratio_is_the_profile_s(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(f'[profile]\nextends = "{PROVINCIAL}"\n[indicators]\nover_achievement_ratio = 1.5\n'
                    "over_achievement_deduction = 3\n", encoding="utf-8")
    p = load_profile(str(path))
    assert indicator_points(make("≥100次", "149次"), p).recomputed == D("10.00")
    assert indicator_points(make("≥100次", "150次"), p).recomputed == D("7.00")


def test_unit_that_already_deducted_is_not_told_it_deducted_wrongly(seed):
    """S-MET-DEDUCTED: 8 of 10 on a 指标偏离 is what provincial-caps asks; 7 is still one point too few."""
    def met_deducted(score, profile):
        sub = copy.deepcopy(seed)
        ind = next(i for i in sub.overall.indicators() if i.name == "更新完善数据库")      # ≥100条, 134条
        ind.row["score"] = Val(D(score), sub.overall.sheet, ind.get("score").cell)
        return [(f.cell, f.expected, f.found) for f in run_rules(sub, load_profile(profile))
                if f.code == "S-MET-DEDUCTED" and f.cell == ind.get("score").cell]
    assert met_deducted("8", NATIONAL) == [("H16", "10", "8")]
    assert met_deducted("8", PROVINCIAL) == []
    assert met_deducted("7", PROVINCIAL) == [("H16", "8", "7")]


# ---------------------------------------------------------------------------
# 3. indicator points running ahead of spending (S-AHEAD-OF-SPENDING)
# ---------------------------------------------------------------------------
def ahead(seed, profile, second_score):
    """80% executed (40 / 50); self-scores 90 − 10 (网格化治理全覆盖 0) − (10 − second_score) on 推动网格信息应用
    (控制在预算内 given its full 10, the seed's 9 being a point the unit took off itself)."""
    sub = project(seed, "40", scores={"网格化治理全覆盖": 0, "推动网格信息应用": second_score, "控制在预算内": 10})
    return [f for f in run_rules(sub, load_profile(profile)) if f.code == "S-AHEAD-OF-SPENDING"]


def test_six_percent_ahead_is_flagged(seed):
    (f,) = ahead(seed, PROVINCIAL, "6.32")             # 76.32 / 90 = 84.80% = 80% × 1.06
    assert (f.severity, f.sheet, f.cell, f.expected, f.found) == ("warning", "项目支出自评表-1", "H39", "≤84.00%", "84.80%")
    assert f.message == ("项目“移动网格平台”指标得分完成率 84.80%（自评得分 76.32 ÷ 分值 90），预算执行率 80.00%，"
                         "指标完成进度比资金执行进度快 6.00%，超过评分方案“provincial-caps”允许的 5%："
                         "请核实得分是否偏高，或说明资金执行滞后的原因。")
    assert ahead(seed, NATIONAL, "6.32") == []


@pytest.mark.parametrize("second_score", ["4.88", "5.6"])     # 83.20% = 4% ahead; 84.00% = exactly 5%
def test_four_or_five_percent_ahead_is_not(seed, second_score):
    assert ahead(seed, PROVINCIAL, second_score) == []


def test_seed_project_runs_ahead_of_its_spending(seed):
    got = [f for f in run_rules(seed, load_profile(PROVINCIAL)) if f.code == "S-AHEAD-OF-SPENDING"]
    assert [(f.sheet, f.found, f.expected) for f in got] == [("项目支出自评表-1", "98.89%", "≤85.26%")]   # 89/90; 81.2 × 1.05


# ---------------------------------------------------------------------------
# S-TOTAL-OVER-CAP: the unit's own total above the cap
# ---------------------------------------------------------------------------
def test_unit_total_above_the_cap(seed):
    sub = project(seed, "32.5")
    got = [f for f in run_rules(sub, load_profile(PROVINCIAL)) if f.code == "S-TOTAL-OVER-CAP"]
    assert [(f.cell, f.expected, f.found) for f in got] == [("H39", "≤79", "98")]        # 9 + 89, the total a formula
    assert got[0].message == ("项目“移动网格平台”预算执行率 65.00%，按评分方案“provincial-caps”总分不超过 79 分；"
                              "各项自评得分之和 98 分，超出 19 分，超出部分应扣减。")
    assert not [f for f in run_rules(sub, load_profile(NATIONAL)) if f.code == "S-TOTAL-OVER-CAP"]
    assert not [f for f in run_rules(seed, load_profile(PROVINCIAL)) if f.code == "S-TOTAL-OVER-CAP"]


def test_national_profile_findings_unchanged(seed):
    found = run_rules(seed, load_profile(NATIONAL))
    assert [sum(f.severity == s for f in found) for s in ("error", "warning", "info")] == [0, 10, 5]
    assert not [f for f in found if f.code in ("S-TOTAL-OVER-CAP", "S-AHEAD-OF-SPENDING")]


# ---------------------------------------------------------------------------
# the views: text, JSON, the 评分汇总 sheet, the command line
# ---------------------------------------------------------------------------
def test_text_and_json_show_the_deductions(seed):
    score = score_submission(project(seed, "32.5"), load_profile(PROVINCIAL))
    text = render_score_text(score)
    assert "  总分上限：执行率 65.00%，总分按规定不超过 79 分，扣减 13.00 分（重算合计 92.00 分）\n" in text
    assert "  总分：自评 98.00（优），重算 79.00（中），差额 -19.00" in text
    assert ("    · 更新完善数据库：自评 10.00，重算 8.00（≥ 类指标已达成，但实际完成值为指标值的 134%（达到 130% 及以上），"
            "属指标偏离，满分扣 2 分）\n") in text
    data = json.loads(json.dumps(score_dict(score), default=str))
    t = data["tables"][1]
    assert (t["total_before_cap"], t["total_cap"], t["cap_deduction"], t["total_recomputed"]) == ("92.00", "79", "13.00", "79.00")
    assert t["cap_reason"] == "执行率 65.00%，总分按规定不超过 79 分，扣减 13.00 分"
    assert [(i["name"], i["deduction"]) for i in data["tables"][0]["indicators"] if i["deduction"] != "0"] == [("更新完善数据库", "2")]
    national = render_score_text(score_submission(project(seed, "32.5")))
    assert "总分上限" not in national and "偏离" not in national


def test_score_sheet_shows_the_deductions(seed, tmp_path):
    sub = project(seed, "32.5")
    score = score_submission(sub, load_profile(PROVINCIAL))
    out = write_scored_copy(EXAMPLE_XLSX, tmp_path / "scored.xlsx", score, None, unit=sub.unit, year=sub.year)
    ws = openpyxl.load_workbook(out)["评分汇总"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    summary = [r for r in rows if r[0] == "移动网格平台"][0]
    assert summary[12:17] == [98, 79, pytest.approx(-19), "优", "中"]
    assert ["总分上限：移动网格平台，执行率 65.00%，总分按规定不超过 79 分，扣减 13.00 分（重算合计 92.00 分，重算总分取 79.00 分；"
            "评分方案 provincial-caps）。"] == [r[0] for r in rows if isinstance(r[0], str) and r[0].startswith("总分上限")]
    detail = [r for r in rows if r[3] == "更新完善数据库"][0]
    assert detail[9:12] == [10, 10, 8] and "属指标偏离，满分扣 2 分" in detail[13]
    assert fit_problems(out, sheets=["评分汇总"]) == []


def test_cli_score_with_provincial_caps(tmp_path):
    from typer.testing import CliRunner
    from gridbudget.cli import app

    wb = openpyxl.load_workbook(EXAMPLE_XLSX)
    ws = wb["项目支出自评表-1"]
    ws["F5"] = 32.5                     # 全年执行数: 65%
    ws["F17"] = 0.539                   # 推动网格信息应用: 53.9% of ≥98%
    ws["F14"] = 12000                   # 基础数据累计录入: 1.2 × ≥10000
    src = tmp_path / "cap.xlsx"
    wb.save(src)
    runner = CliRunner()
    res = runner.invoke(app, ["score", str(src), "--profile", PROVINCIAL, "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert [t["total_recomputed"] for t in data["tables"]] == [97.91, 79.0]
    assert [t["cap_deduction"] for t in data["tables"]] == [0, 13.0]
    res = runner.invoke(app, ["score", str(src), "--format", "json"])
    assert [t["total_recomputed"] for t in json.loads(res.output)["tables"]] == [99.91, 92.0]
