"""Validating and scoring a template whose indicator sections carry other level names.

``gridbudget fill`` writes groups of other level names (项目决策 / 项目管理, 规划 / 执行, a 成本指标 without
二级 …) on the template's free indicator sections, their names and points in the level cells. Reading such
a template keys those rows as the label reader keys rows under other level names (``ind.x1.y1``,
``ind.output.y0``), with the points stated in the labels, and names the table's family from its labels and
the columns its rows use: the checks and the scoring see the groups the original workbook had, not 产出 /
效益 / 满意度. A section whose name was only re-typed (a synonym, its points) stays standard.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from decimal import Decimal

import pytest

from gridbudget import forms
from gridbudget.check.engine import run_rules
from gridbudget.read.tables import read_submission
from gridbudget.score.engine import score_submission
from helpers import EXAMPLE_XLSX
from test_other_levels import CASES, build, evaluated, exported, fill, groups, standard_rows

FORM_BLOCKS = {f"ind.{k1}.{k2}" for k1, _n, _w, level2 in forms.LEVEL1 for k2, _n2, _s in level2}
# findings that only reading the groups as 产出 / 效益 / 满意度 would give
NATIONAL_ONLY = ("S-WEIGHT-L1", "C-NO-INDICATORS", "C-LEVEL-UNKNOWN", "C-LEVEL2-EMPTY")


def _table(sub):
    """The self-evaluation table holding indicator rows (each case has one)."""
    (td,) = [t for t in sub.tables if t.kind != "basic" and t.indicators()]
    return td


def _num(v) -> Decimal | None:
    return v.number_value() if v is not None else None


def _read_indicators(td) -> Counter:
    """Each 三级 row as (一级 name, 二级 name, name, 分值, 得分, whether it states a target): what the checks see."""
    return Counter((i.level1, i.level2, i.name, _num(i.row.get("weight")), _num(i.row.get("score")),
                    bool({"target", "actual"} & i.row.keys())) for i in td.indicators())


def _points(td) -> set[tuple[int, str, Decimal]]:
    """Points stated in the labels of the levels outside the form (the 一级 level as 1: the label reader
    reads 项目决策 of corpus 09 one level above 一级)."""
    other = {i.level1 for i in td.indicators() if i.level1_key not in forms.LEVEL1_KEYS}
    other |= {i.level2 for i in td.indicators() if i.block not in FORM_BLOCKS}
    return {(max(sw.level, 1), sw.label, sw.weight) for sw in td.stated if sw.label in other}


def _round(tmp_path, case: str):
    """(the original's submission and table, the filled template's submission and table)."""
    path = build(tmp_path, case)
    book, _notes = fill(exported(path))
    original, filled = read_submission(path), read_submission("filled.xlsx", data=book)
    return original, _table(original), filled, _table(filled)


def _other_blocks(td) -> list[str]:
    return [b for b, rows in td.blocks.items() if rows and b.startswith("ind.") and b not in FORM_BLOCKS]


def _messages(sub, td, code: str) -> set[str]:
    return {f.message for f in run_rules(sub) if f.code == code and f.sheet == td.sheet}


# ---------------------------------------------------------------------------
# export -> fill -> read reads what the original reads
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_filled_template_reads_the_groups_of_the_original(tmp_path, case):
    _o, before, _sub, after = _round(tmp_path, case)
    assert _read_indicators(after) == _read_indicators(before)
    assert _points(after) == _points(before)
    assert after.unplaced == before.unplaced == 0
    # the family: the original's where the template shows it (labels, columns), else one with the same levels
    assert after.fam.level_weights == before.fam.level_weights and after.fam.rubric == before.fam.rubric
    if case != "cost":        # 四川 10+90 is named by its headers, which the template does not have
        assert after.family == before.family


def test_family_and_blocks_of_each_case(tmp_path):
    got = {case: _round(tmp_path, case)[3] for case in sorted(CASES)}
    assert got["decision"].family == "decision-management"          # by the 项目决策 / 项目管理 labels
    assert got["department"].family == "dept-rubric"                # no row states a target: a rubric
    assert got["cost"].family == "central-2020"
    assert _other_blocks(got["decision"]) == ["ind.x1.y0", "ind.x2.y0"]
    assert got["decision"].get("ind.x1.label").text() == "项目决策"
    assert _other_blocks(got["department"]) == ["ind.x1.y1", "ind.x1.y2", "ind.x1.y3", "ind.x2.y4"]
    assert _other_blocks(got["cost"]) == ["ind.output.y0"]
    # the template's names of a renamed section are not the group's
    assert "ind.output.label" not in got["department"].fields
    assert "ind.output.quantity.label" not in got["department"].fields
    assert got["cost"].get("ind.output.label").text() == "成本指标"
    # 项目决策 / 项目管理 rows are scoring criteria: read as a grid without 年度指标值 / 实际完成值
    crit = [i for i in got["decision"].indicators() if i.level1_key.startswith("x")]
    assert len(crit) == 5 and not any({"target", "actual"} & i.row.keys() for i in crit)
    # 偏差原因: neither rubric family has one (the template's column is empty), as in the originals
    assert "note" not in got["department"].columns and "note" not in got["decision"].columns


@pytest.mark.parametrize("case", sorted(CASES))
def test_no_finding_of_a_national_misreading(tmp_path, case):
    original, before, sub, after = _round(tmp_path, case)
    found = [f for f in run_rules(sub) if f.sheet == after.sheet]
    assert not [f.code for f in found if f.code in NATIONAL_ONLY]
    # no criterion is asked for a target or an actual; no group row is asked for anything
    assert not [f for f in found if f.code == "C-REQUIRED" and ("年度指标值" in f.message or "实际完成值" in f.message)]
    # a rubric has no 偏差原因 column: lost points are not asked to be explained there (as in the original)
    assert not [f for f in found if f.code.startswith("D-NOTE-")]
    # the checks of the weights say what they say of the original
    for code in ("S-WEIGHT-TOTAL", "S-WEIGHT-L1"):
        assert _messages(sub, after, code) == _messages(original, before, code)
    assert _messages(sub, after, "S-WEIGHT-LABEL") <= _messages(original, before, "S-WEIGHT-LABEL")
    if case == "department":
        assert _messages(sub, after, "S-WEIGHT-LABEL") == {
            "一级指标“执行”标注 35 分，预算执行 18 分，合计 18 分。", "二级指标“预算执行”标注 18 分，其下三级指标分值合计 5 分。"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_filled_template_scores_the_groups(tmp_path, case):
    original, before, sub, after = _round(tmp_path, case)
    levels = lambda s, td: {(l.name, l.weight, l.self_score)                 # noqa: E731
                            for t in s.tables if t.table is td for l in t.levels if l.weight}
    assert levels(score_submission(sub), after) == levels(score_submission(original), before) != set()


def test_export_of_the_filled_template_is_unchanged(tmp_path):
    """Export of such a template reads the re-keyed rows as the label reader's groups: the same data."""
    for case in sorted(CASES):
        first = exported(build(tmp_path, case))
        again = exported(fill(first)[0])
        assert [groups(t) for t in evaluated(again)] == [groups(t) for t in evaluated(first)]
        assert [standard_rows(t) for t in evaluated(again)] == [standard_rows(t) for t in evaluated(first)]


# ---------------------------------------------------------------------------
# what stays standard
# ---------------------------------------------------------------------------
def _row(name: str, weight: int = 5) -> dict:
    return {"name": name, "target": "≥1次", "actual": "1次", "weight": weight, "score": weight}


def _overall(ind: dict) -> dict:
    return {"overall": {"year": 2024, "ind": ind}}


def _full(**labels) -> dict:
    """Every 一级 with rows, 50/30/10; ``labels`` typed over the template's names (by key)."""
    ind = {"output": {"quantity": {"rows": [_row("培训", 25), _row("数据库", 25)]}},
           "benefit": {"social": {"rows": [_row("知晓率", 30)]}},
           "satisfaction": {"service": {"rows": [_row("满意度", 10)]}}}
    for key, label in labels.items():
        *path, last = key.split(".")
        node = ind
        for p in path:
            node = node.setdefault(p, {})
        node[last] = label
    return _overall(ind)


def test_points_or_a_synonym_typed_over_the_names_stay_standard():
    plain = read_submission("a.xlsx", data=fill(_full())[0])
    typed = read_submission("b.xlsx", data=fill(_full(**{
        "output.label": "产出指标（50分）", "output.quantity.label": "数量指标（50分）", "benefit.label": "效果指标",
        "benefit.social.label": "社会效益", "satisfaction.label": "满意度指标（10分）"}))[0])
    for a, b in ((plain.overall, typed.overall),):
        assert {k: [r["name"].raw for r in v] for k, v in a.blocks.items()} == \
               {k: [r["name"].raw for r in v] for k, v in b.blocks.items()}
        assert b.family == a.family == "" and b.stated == a.stated == [] and b.columns == a.columns
        assert b.get("ind.output.label").raw == "产出指标（50分）"          # read as typed, as before
        assert [(i.block, i.level1_key) for i in b.indicators()] == [(i.block, i.level1_key) for i in a.indicators()]
    codes = lambda s: Counter(f.code for f in run_rules(s) if f.table == "overall")  # noqa: E731
    assert codes(typed) == codes(plain)
    assert not codes(typed) & Counter(NATIONAL_ONLY)


def test_the_seed_reads_as_the_form():
    sub = read_submission(EXAMPLE_XLSX)
    for td in sub.tables:
        assert td.source == "template" and td.family == "" and td.stated == [] and td.unplaced == 0
        assert {b for b in td.blocks if b.startswith("ind.")} <= FORM_BLOCKS
        assert td.columns == frozenset(k for k, *_ in forms.INDICATOR_COLUMNS)
    assert not [p for p in sub.problems if p.code == "indicator_level_unknown"]


def test_a_level2_group_under_a_standard_level_states_its_points():
    doc = _full(**{"output.quantity.label": "工作量（30分）"})
    td = read_submission("a.xlsx", data=fill(doc)[0]).overall
    assert [(i.block, i.level1, i.level2) for i in td.indicators() if i.level1_key == "output"] == [
        ("ind.output.y1", "产出指标", "工作量")] * 2
    (sw,) = td.stated
    assert (sw.level, sw.label, sw.weight, len(sw.rows)) == (2, "工作量", 30, 2)
    sub = read_submission("a.xlsx", data=fill(doc)[0])
    assert [f.message for f in run_rules(sub) if f.code == "S-WEIGHT-LABEL"] == [
        "二级指标“工作量”标注 30 分，其下三级指标分值合计 50 分。"]
    assert not [f for f in run_rules(sub) if f.code in NATIONAL_ONLY]      # 产出 still holds its 50 points


def test_a_template_renamed_by_hand_keeps_its_rows_and_says_so():
    """Another 一级 typed over a section, with targets: a family with standard levels stays, the rows are
    checked row by row, and the checks by 产出 / 效益 / 满意度 are not made (C-LEVEL-UNKNOWN says why)."""
    doc = _overall({"output": {"label": "履职效能（30分）", "quantity": {"label": "工作量（10分）", "rows": [_row("办件量")]}},
                    "benefit": {"social": {"rows": [_row("群众知晓率")]}}})
    sub = read_submission("a.xlsx", data=fill(doc)[0])
    td = sub.overall
    assert td.family == "central-2020-overall" and td.unplaced == 1
    assert [(i.block, i.level1, i.level2, i.name) for i in td.indicators() if i.block not in FORM_BLOCKS] == [
        ("ind.x1.y1", "履职效能", "工作量", "办件量")]
    found = [f for f in run_rules(sub) if f.table == "overall"]
    assert not [f for f in found if f.code in ("S-WEIGHT-L1", "C-NO-INDICATORS", "S-WEIGHT-TOTAL")]
    (unknown,) = [f for f in found if f.code == "C-LEVEL-UNKNOWN"]
    assert "履职效能" in unknown.message and "照常审核" in unknown.message
    assert [f.message for f in found if f.code == "S-WEIGHT-LABEL"] == [
        "一级指标“履职效能”标注 30 分，工作量 10 分，合计 10 分。", "二级指标“工作量”标注 10 分，其下三级指标分值合计 5 分。"]


def test_cli_validate_of_a_filled_rubric(tmp_path):
    data = tmp_path / "d.json"
    data.write_text(json.dumps(exported(build(tmp_path, "department")), ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "t.xlsx"
    r = subprocess.run([sys.executable, "-m", "gridbudget", "fill", str(data), "-o", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "gridbudget", "validate", str(out)], capture_output=True, text=True,
                       timeout=120)
    assert "S-WEIGHT-L1" not in r.stdout and "年度指标值" not in r.stdout and "C-NO-INDICATORS" not in r.stdout
    assert "S-WEIGHT-LABEL" in r.stdout
