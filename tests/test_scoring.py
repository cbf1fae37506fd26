"""Scoring: the seed recomputed by hand from the rules, properties, the 评分汇总 sheet."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import given, settings, strategies as st

from gridbudget.write import libreoffice as lo
from gridbudget.model import Indicator, TableData, Val
from gridbudget.score.profile import load_profile
from gridbudget.read.tables import read_submission
from gridbudget.score.engine import exec_points, indicator_points, score_submission
from helpers import EXAMPLE_XLSX, sha256

D = Decimal


@pytest.fixture(scope="module")
def seed():
    return read_submission(EXAMPLE_XLSX)


@pytest.fixture(scope="module")
def seed_score(seed):
    return score_submission(seed)


# ---------------------------------------------------------------------------
# the seed, by hand (RULES A4 capped linear, A6 reverse indicators, A9 grades)
#   overall: 116.95 / 117.98 = 99.127 %  -> 10 x 0.99127 = 9.9127 -> 9.91 (self 9)
#            成本 ≤120.54万元, actual 116.95 -> met -> 10 (self 9)
#            产出 49 -> 50; 效益 30; 满意度 10; total 9.91 + 50 + 30 + 10 = 99.91 (self 98), 优
#   project: 40.6 / 50 = 81.2 % -> 8.12 (self 9); 成本 ≤50万元, 40.6 -> 10 (self 9)
#            total 8.12 + 50 + 30 + 10 = 98.12 (self 98), 优
# ---------------------------------------------------------------------------
def test_seed_overall(seed_score):
    o = seed_score.tables[0]
    assert o.table.kind == "overall"
    assert (o.exec_self, o.exec_recomputed) == (D(9), D("9.91"))
    cost = [s for s in o.indicators if s.indicator.level2_key == "cost"][0]
    assert (cost.self_score, cost.recomputed) == (D(9), D("10.00"))
    assert [(l.self_score, l.recomputed) for l in o.level1] == [(D(49), D(50)), (D(30), D(30)), (D(10), D(10))]
    assert (o.total_self, o.total_recomputed, o.diff) == (D(98), D("99.91"), D("1.91"))
    assert (o.grade_self, o.grade_recomputed) == ("优", "优")


def test_seed_project(seed_score):
    p = seed_score.tables[1]
    assert p.name == "移动网格平台"
    assert (p.exec_self, p.exec_recomputed) == (D(9), D("8.12"))
    cost = [s for s in p.indicators if s.indicator.level2_key == "cost"][0]
    assert (cost.self_score, cost.recomputed) == (D(9), D("10.00"))
    assert (p.total_self, p.total_recomputed, p.diff) == (D(98), D("98.12"), D("0.12"))
    assert p.grade_recomputed == "优"
    # qualitative indicators inside their band keep the unit's score
    qual = [s for s in p.indicators if s.indicator.get("actual").text() in ("及时", "有效提升", "显著改善")]
    assert qual and all(s.recomputed == s.self_score and not s.flag for s in qual)


def test_seed_rubric_automatic_items(seed_score):
    auto = {r.name: r.points for r in seed_score.rubric if r.auto}
    assert auto == {"完整性：附件内容齐全": D(7), "绩效自评表：权重符合规定": D(5), "绩效自评表：细化到三级指标": D(5)}
    assert sum(r.max_points for r in seed_score.rubric) == D(100)
    assert all(r.points is None for r in seed_score.rubric if not r.auto)


def test_variant_profile(seed):
    s = score_submission(seed, load_profile("vendor-pmkpi"))
    assert s.tables[0].exec_recomputed == D("9.91")
    assert s.profile.grade(D("85")) == "优" and load_profile().grade(D("85")) == "良"
    pts, _basis, flag = exec_points(D(110), D(10), load_profile("vendor-pmkpi"))
    assert pts == D("11.00") and flag                     # uncapped: flagged
    pts, _basis, flag = exec_points(D(110), D(10), load_profile())
    assert pts == D("10.00") and not flag


def test_tiered_profile(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text('[profile]\nname="tiered"\nextends="national-2020"\n[exec_rate]\nmode="tiered"\n'
                    'tiers=[[100, 1.0], [90, 0.8], [0, 0.0]]\n', encoding="utf-8")
    p = load_profile(str(path))
    assert exec_points(D("99.13"), D(10), p)[0] == D("8.00")
    assert exec_points(D(100), D(10), p)[0] == D("10.00")
    assert exec_points(D("81.2"), D(10), p)[0] == D("0.00")


# ---------------------------------------------------------------------------
# indicator rules on made-up rows
# ---------------------------------------------------------------------------
def make(target, actual, weight=10, score=10, level2="quantity") -> Indicator:
    td = TableData("overall", "s", "layout")
    row = {"name": Val("x"), "target": Val(target), "actual": Val(actual), "weight": Val(weight), "score": Val(score)}
    l1 = "output"
    return Indicator(td, f"ind.{l1}.{level2}", 0, l1, level2, "产出指标", "数量指标", row)


@pytest.mark.parametrize("target,actual,level2,expected", [
    ("≥100次", "80次", "quantity", D("8.00")),          # proportional below target
    ("≥100次", "134次", "quantity", D("10.00")),        # met
    ("95%", "90%", "quantity", D("9.47")),              # bare target: >=, 90/95 = 0.947
    ("≤50万元", "60万元", "cost", D("8.00")),            # reverse: 1 - 10/50
    ("≤50万元", "100万元", "cost", D("0.00")),           # at double the target: 0
    ("50万元", "55万元", "cost", D("9.00")),             # bare cost target: <=
    ("≤50万元", "500000元", "cost", D("10.00")),        # units converted
    ("=0起", "2起", "quantity", D("0.00")),              # equality with target 0
    ("90%-100%", "85%", "quantity", D("9.44")),          # below a range: proportional to its lower bound
    ("≥95%", 0.98, "quantity", D("10.00")),             # 98% read without its percent format
    ("≥95%", 0.9, "quantity", D("9.47")),
])
def test_quantitative_points(target, actual, level2, expected):
    assert indicator_points(make(target, actual, level2=level2), load_profile()).recomputed == expected


def test_qualitative_outside_band_is_flagged_and_clamped():
    s = indicator_points(make("定性", "达成", score=7), load_profile())
    assert s.recomputed == D("8.00") and s.flag
    s = indicator_points(make("定性", "部分达成", score=9), load_profile())
    assert s.recomputed == D("7.99") and s.flag
    s = indicator_points(make("定性", "部分达成", score=7), load_profile())
    assert s.recomputed == D(7) and not s.flag


# ---------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------
amounts = st.decimals(min_value=D("0.01"), max_value=D(100000), places=2, allow_nan=False, allow_infinity=False)
weights = st.decimals(min_value=D("0.5"), max_value=D(50), places=1, allow_nan=False, allow_infinity=False)
ops = st.sampled_from(["≥", "≤", ""])


@settings(max_examples=200, deadline=None)
@given(target=amounts, actual=st.decimals(min_value=D(0), max_value=D(300000), places=2), w=weights, op=ops,
       cost=st.booleans())
def test_points_within_zero_and_weight(target, actual, w, op, cost):
    s = indicator_points(make(f"{op}{target}万元", f"{actual}万元", weight=w, score=w,
                              level2="cost" if cost else "quantity"), load_profile())
    assert s.recomputed is not None and D(0) <= s.recomputed <= w


@settings(max_examples=200, deadline=None)
@given(target=amounts, extra=st.decimals(min_value=D(0), max_value=D(1000), places=2), w=weights)
def test_met_target_gets_full_points(target, extra, w):
    s = indicator_points(make(f"≥{target}条", f"{target + extra}条", weight=w), load_profile())
    assert s.recomputed == load_profile().round(w)
    s = indicator_points(make(f"≤{target}万元", f"{max(target - extra, D(0))}万元", weight=w, level2="cost"),
                         load_profile())
    assert s.recomputed == load_profile().round(w)


@settings(max_examples=200, deadline=None)
@given(target=amounts, a1=st.decimals(min_value=D(0), max_value=D(200000), places=2),
       a2=st.decimals(min_value=D(0), max_value=D(200000), places=2), w=weights)
def test_raising_actual_toward_a_floor_never_lowers_points(target, a1, a2, w):
    lo_, hi = sorted((a1, a2))
    p = load_profile()
    s_lo = indicator_points(make(f"≥{target}", f"{lo_}", weight=w), p).recomputed
    s_hi = indicator_points(make(f"≥{target}", f"{hi}", weight=w), p).recomputed
    assert s_hi >= s_lo


@settings(max_examples=50, deadline=None)
@given(scores=st.lists(st.integers(min_value=0, max_value=10), min_size=11, max_size=11),
       executed=st.decimals(min_value=D(0), max_value=D("117.98"), places=2))
def test_totals_equal_the_sum_of_parts(seed, scores, executed):
    sub = copy.deepcopy(seed)
    o = sub.overall
    o.fields["funds.total.executed"] = Val(executed, o.sheet, "E4")
    for ind, sc in zip(o.indicators(), scores):
        ind.row["score"] = Val(min(sc, int(ind.get("weight").number().value)), o.sheet, ind.get("score").cell)
    ts = score_submission(sub).tables[0]
    assert ts.total_recomputed == ts.exec_recomputed + sum(l.recomputed for l in ts.level1)
    assert ts.total_self == ts.exec_self + sum(l.self_score for l in ts.level1)
    for l in ts.level1:
        mine = [s for s in ts.indicators if s.indicator.level1_key == l.key]
        assert l.recomputed == sum(s.recomputed for s in mine)


# ---------------------------------------------------------------------------
# CLI and the 评分汇总 sheet
# ---------------------------------------------------------------------------
def test_cli_score_text_json_and_sheet(tmp_path):
    from typer.testing import CliRunner
    from gridbudget.cli import app

    before = sha256(EXAMPLE_XLSX)
    out = tmp_path / "scored.xlsx"
    runner = CliRunner()
    res = runner.invoke(app, ["score", str(EXAMPLE_XLSX), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "重算 9.91" in res.output and "重算 99.91（优）" in res.output and "重算 98.12（优）" in res.output
    data = json.loads(runner.invoke(app, ["score", str(EXAMPLE_XLSX), "--format", "json"]).output)
    assert [t["total_recomputed"] for t in data["tables"]] == [99.91, 98.12]
    assert [t["exec_recomputed"] for t in data["tables"]] == [9.91, 8.12]
    assert sha256(EXAMPLE_XLSX) == before
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    assert ws.title == "评分汇总" and wb.active.title == "评分汇总"
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    summary = [r for r in rows if r[0] in ("部门整体支出绩效自评表", "移动网格平台")][:2]
    assert [r[4:6] for r in summary] == [[9, 9.91], [9, 8.12]]
    assert [r[12:17] for r in summary] == [[98, 99.91, pytest.approx(1.91), "优", "优"],
                                           [98, 98.12, pytest.approx(0.12), "优", "优"]]
    assert ws.protection.sheet
    inputs = [c for r in ws.iter_rows() for c in r if c.protection.locked is False]
    assert len(inputs) == 8                              # the rubric items a reviewer scores
    total = [c for r in ws.iter_rows() for c in r if isinstance(c.value, str) and c.value.startswith("=SUM(")]
    assert len(total) == 2
    first = next(r for r in ws.iter_rows() if r[0].value == "部门整体支出绩效自评表")     # the summary's first row
    assert first[0].hyperlink is not None
    # the original sheets are all still there
    assert wb.sheetnames[1:] == openpyxl.load_workbook(EXAMPLE_XLSX).sheetnames


@pytest.mark.libreoffice
@pytest.mark.skipif(not lo.available(), reason="LibreOffice is not installed")
def test_score_sheet_in_libreoffice(tmp_path):
    from gridbudget.write.scoresheet import write_scored_copy

    sub = read_submission(EXAMPLE_XLSX)
    score = score_submission(sub)
    out = write_scored_copy(EXAMPLE_XLSX, tmp_path / "scored.xlsx", score, None, unit=sub.unit, year=sub.year)
    recalced = lo.recalculate(out, tmp_path / "recalc.xlsx")
    ws = openpyxl.load_workbook(recalced, data_only=True).worksheets[0]
    values = [c.value for r in ws.iter_rows() for c in r]
    assert 100 in values and 17 in values                # rubric totals computed by the client
    pdf = lo.to_pdf(out, tmp_path / "scored.pdf")
    assert lo.pdf_page_count(pdf) >= 1
