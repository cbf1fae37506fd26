"""The 汇总 sheet of a summary workbook, checked without LibreOffice.

A fixed set of generated submissions (two 主管部门, two and three units, one file with a known
mistake, one with a lowered self-score, one read by labels, one unreadable file) is summarised;
the test then reads the workbook with openpyxl and checks

* every unit row against the figures the submissions were generated from (Decimal);
* the exact formula text of each subtotal and of the grand total: the ranges must run from each
  department's first unit row to its last, and never include a subtotal row;
* the formulas evaluated here (a small evaluator for SUM / AVERAGE / IF over ranges) and the values
  the writer cached with them, both against the sums computed from the inputs.

The expected formulas are written out below (the golden text), the expected numbers computed from
the inputs; nothing binary is stored.
"""

from __future__ import annotations

import re
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import column_index_from_string, range_boundaries

from gridbudget.submission import flatten
from gridbudget.write.summary import UNIT_COLUMNS, summarize, write_xlsx
from gridbudget.write.template import TemplateOptions, build_workbook
from helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import synth  # noqa: E402

D = Decimal
# synth unit number -> its 主管部门 is synth.DEPARTMENTS[i % 6]: 0, 6, 12 岳阳市财政局; 4, 10 岳阳市民政局.
# Unit 4 carries synth's income mistake (W-INCOME-SUM); unit 6 gets a lowered execution-rate score.
UNITS = (0, 4, 6, 10, 12)
LOWERED = 6
BY_LABELS = 10          # defined names stripped: read like a hand-made workbook
COL = {k: i + 1 for i, (k, _l, _w) in enumerate(UNIT_COLUMNS)}

# The golden formula text: 民政局 rows 2–3, its subtotal row 4; 财政局 rows 5–7, subtotal row 8; 合计 row 9.
GOLDEN = {
    4: {"D": "=SUM(D2:D3)", "E": "=SUM(E2:E3)", "F": '=IF(D4>0,E4/D4,"")',
        "G": '=IFERROR(AVERAGE(G2:G3),"")', "H": '=IFERROR(AVERAGE(H2:H3),"")', "I": '=IFERROR(AVERAGE(I2:I3),"")',
        "K": "=SUM(K2:K3)", "L": "=SUM(L2:L3)", "M": "=SUM(M2:M3)"},
    8: {"D": "=SUM(D5:D7)", "E": "=SUM(E5:E7)", "F": '=IF(D8>0,E8/D8,"")',
        "G": '=IFERROR(AVERAGE(G5:G7),"")', "H": '=IFERROR(AVERAGE(H5:H7),"")', "I": '=IFERROR(AVERAGE(I5:I7),"")',
        "K": "=SUM(K5:K7)", "L": "=SUM(L5:L7)", "M": "=SUM(M5:M7)"},
    9: {"D": "=SUM(D2:D3,D5:D7)", "E": "=SUM(E2:E3,E5:E7)", "F": '=IF(D9>0,E9/D9,"")',
        "G": '=IFERROR(AVERAGE(G2:G3,G5:G7),"")', "H": '=IFERROR(AVERAGE(H2:H3,H5:H7),"")',
        "I": '=IFERROR(AVERAGE(I2:I3,I5:I7),"")',
        "K": "=SUM(K2:K3,K5:K7)", "L": "=SUM(L2:L3,L5:L7)", "M": "=SUM(M2:M3,M5:M7)"},
}


def q2(x: Decimal) -> Decimal:
    return x.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def _scores(tree: dict, what: str) -> Decimal:
    return sum((D(r[what]) for l1 in tree.values() for k, l2 in l1.items() if k != "label" for r in l2["rows"]), D(0))


def expected_row(i: int, data: dict, name: str) -> dict:
    """A unit row computed from the data the workbook was filled from."""
    funds = data["overall"]["funds"]["total"]
    budget, executed = D(funds["budget"]), D(funds["executed"])
    self_total = D(funds["score"]) + _scores(data["overall"]["ind"], "score")
    # every generated target is met: each indicator earns its weight; the rate earns 10 × min(rate, 100%)
    recomputed = q2(D(10) * min(executed / budget, D(1))) + _scores(data["overall"]["ind"], "weight")
    errors, warnings = {4: (1, 0), LOWERED: (0, 1)}.get(i, (0, 0))
    return {
        "department": synth.DEPARTMENTS[i % 6], "unit": data["overall"]["unit"], "year": 2024,
        "budget": budget, "executed": executed, "rate": (executed / budget * 100).quantize(D("0.01")),
        "total_self": self_total, "total_recomputed": recomputed, "difference": recomputed - self_total,
        "grade": "优" if recomputed >= 90 else "良", "projects": len(data["projects"]),
        "errors": errors, "warnings": warnings, "duplicate": None, "file": name,
    }


@pytest.fixture(scope="module")
def golden(tmp_path_factory):
    d = tmp_path_factory.mktemp("golden")
    inbox = d / "inbox"
    inbox.mkdir()
    rows = []
    for i in UNITS:
        data, _exp = synth.make(i)
        if i == LOWERED:
            data["overall"]["funds"]["total"]["score"] = D(8)
        raw = build_workbook(TemplateOptions(unit=data["overall"]["unit"]), flatten(data))
        if i == BY_LABELS:
            raw = synth.strip_names(raw)
        path = inbox / f"unit-{i:02d}.xlsx"
        path.write_bytes(raw)
        rows.append(expected_row(i, data, str(path)))
    (inbox / "unit-99-broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    with summarize([str(inbox)], jobs=1) as batch:
        out = write_xlsx(batch, d / "汇总.xlsx")
    rows.sort(key=lambda r: (r["department"], r["unit"]))
    return out, rows


def test_golden_rows_are_the_departments_in_order(golden):
    _path, rows = golden
    assert [r["department"] for r in rows] == ["岳阳市民政局"] * 2 + ["岳阳市财政局"] * 3


def test_golden_unit_rows_carry_the_input_figures(golden):
    path, rows = golden
    ws = openpyxl.load_workbook(path)["汇总"]
    for n, want in zip((2, 3, 5, 6, 7), rows):
        got = {k: ws.cell(n, COL[k]).value for k in COL}
        for k in ("budget", "executed", "total_self", "total_recomputed", "difference"):
            assert D(repr(got[k])) == want[k], (n, k)
        assert got["rate"] == pytest.approx(float(want["rate"]) / 100, abs=1e-12)
        assert {k: got[k] for k in ("department", "unit", "year", "grade", "projects", "errors", "warnings",
                                     "duplicate", "file")} == \
            {k: want[k] for k in ("department", "unit", "year", "grade", "projects", "errors", "warnings",
                                   "duplicate", "file")}
    assert rows[[r["file"].endswith(f"unit-{LOWERED:02d}.xlsx") for r in rows].index(True)]["difference"] > 0


def test_golden_subtotal_and_total_formulas(golden):
    path, _rows = golden
    ws = openpyxl.load_workbook(path)["汇总"]
    assert ws.max_row == 9
    labels = {n: (ws.cell(n, 1).value, ws.cell(n, 2).value) for n in (4, 8, 9)}
    assert labels == {4: ("", "小计：岳阳市民政局"), 8: ("", "小计：岳阳市财政局"), 9: ("合计", "合计")}
    for n, formulas in GOLDEN.items():
        got = {c: ws[f"{c}{n}"].value for c in formulas}
        assert got == formulas, n
    assert ws["O4"].value == "2 个单位（自评/重算总分、差额为平均值）"
    assert ws["O8"].value == "3 个单位（自评/重算总分、差额为平均值）"
    assert ws["O9"].value == "5 个单位（自评/重算总分、差额为平均值）"


# ---------------------------------------------------------------------------
# a tiny evaluator for the formulas the summary writes
# ---------------------------------------------------------------------------
def _cells(ws, ranges: str) -> list:
    out = []
    for rng in ranges.split(","):
        c1, r1, c2, r2 = range_boundaries(rng)
        out += [ws.cell(r, c).value for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
    return out


def evaluate(ws, formula: str) -> Decimal | str:
    """SUM(ranges), IFERROR(AVERAGE(ranges),"") and IF(Xn>0,Yn/Xn,"") over plain numbers, in Decimal."""
    m = re.fullmatch(r"=SUM\(([A-Z0-9:,]+)\)", formula)
    if m:
        return sum((D(repr(v)) for v in _cells(ws, m[1]) if isinstance(v, (int, float))), D(0))
    m = re.fullmatch(r'=IFERROR\(AVERAGE\(([A-Z0-9:,]+)\),""\)', formula)
    if m:
        vals = [D(repr(v)) for v in _cells(ws, m[1]) if isinstance(v, (int, float))]
        return sum(vals, D(0)) / len(vals) if vals else ""
    m = re.fullmatch(r'=IF\(([A-Z]+)(\d+)>0,([A-Z]+)(\d+)/([A-Z]+)(\d+),""\)', formula)
    if m:
        b = evaluate(ws, ws.cell(int(m[2]), column_index_from_string(m[1])).value)
        e = evaluate(ws, ws.cell(int(m[4]), column_index_from_string(m[3])).value)
        return e / b if b > 0 else ""
    raise AssertionError(f"formula the evaluator does not know: {formula}")


def test_golden_formulas_evaluate_to_the_input_sums_and_match_the_cached_values(golden):
    path, rows = golden
    ws = openpyxl.load_workbook(path)["汇总"]
    cached = openpyxl.load_workbook(path, data_only=True)["汇总"]
    groups = {4: rows[:2], 8: rows[2:], 9: rows}
    for n, members in groups.items():
        want = {k: sum((r[k] for r in members), D(0)) for k in ("budget", "executed", "projects", "errors", "warnings")}
        avg = {k: sum((r[k] for r in members), D(0)) / len(members)
               for k in ("total_self", "total_recomputed", "difference")}
        for k in want:
            assert evaluate(ws, ws.cell(n, COL[k]).value) == want[k], (n, k)
            assert D(repr(cached.cell(n, COL[k]).value)) == want[k], (n, k)
        for k in avg:
            assert evaluate(ws, ws.cell(n, COL[k]).value) == avg[k], (n, k)
            assert cached.cell(n, COL[k]).value == float(avg[k]), (n, k)
        rate = want["executed"] / want["budget"]
        assert evaluate(ws, ws.cell(n, COL["rate"]).value) == rate
        assert cached.cell(n, COL["rate"]).value == float(rate)


def test_golden_unreadable_file_is_listed_not_summed(golden):
    path, _rows = golden
    wb = openpyxl.load_workbook(path)
    fails = [[c.value for c in r] for r in wb["未能读取"].iter_rows(min_row=2)]
    assert len(fails) == 1 and Path(fails[0][0]).name == "unit-99-broken.xlsx" and fails[0][1] and fails[0][2]
    projects = [[c.value for c in r] for r in wb["项目"].iter_rows(min_row=2)]
    assert len(projects) == sum(len(synth.make(i)[0]["projects"]) for i in UNITS)
