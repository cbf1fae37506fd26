"""The 汇总 sheet of a summary workbook, checked without LibreOffice.

A fixed set of generated submissions (two 主管部门, two and three units, one file with a known
mistake, one with a lowered self-score, one read by labels, one unreadable file) is summarised;
the test then reads the workbook with openpyxl and checks

* every unit row against the figures the submissions were generated from (Decimal);
* the exact formula text of each subtotal and of the grand total: a subtotal's ranges run from its
  department's first unit row to its last; the grand total runs over every row from the first unit
  to the last subtotal, and counts each unit once because it sums only rows whose 计入合计 is 是
  (subtotal rows leave 计入合计 empty, duplicate submissions after the first say 否);
* the formulas evaluated here (a small evaluator for SUMIFS / AVERAGEIFS / IF over ranges) and the
  values the writer cached with them, both against the sums computed from the inputs.

The sheet starts with a title block (title, the batch line, the note on subtotals, the colour
legend in three rows), so the table header is row 7.

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

HEADER = 8      # the legend gained a row for the 状态 colours (issue 12)
# The golden formula text: 民政局 rows 9–10, its subtotal row 11; 财政局 rows 12–14, subtotal row 15;
# 合计 row 16. Column R is 计入合计 (after 已说明 and 状态), J is 等级.
GOLDEN = {
    11: {"D": '=SUMIFS(D9:D10,R9:R10,"是")', "E": '=SUMIFS(E9:E10,R9:R10,"是")', "F": '=IF(D11>0,E11/D11,"")',
         "G": '=IFERROR(AVERAGEIFS(G9:G10,R9:R10,"是",J9:J10,"<>不评"),"")',
         "H": '=IFERROR(AVERAGEIFS(H9:H10,R9:R10,"是",J9:J10,"<>不评"),"")',
         "I": '=IFERROR(AVERAGEIFS(I9:I10,R9:R10,"是",J9:J10,"<>不评"),"")',
         "L": '=SUMIFS(L9:L10,R9:R10,"是")', "M": '=SUMIFS(M9:M10,R9:R10,"是")', "N": '=SUMIFS(N9:N10,R9:R10,"是")'},
    15: {"D": '=SUMIFS(D12:D14,R12:R14,"是")', "E": '=SUMIFS(E12:E14,R12:R14,"是")', "F": '=IF(D15>0,E15/D15,"")',
         "G": '=IFERROR(AVERAGEIFS(G12:G14,R12:R14,"是",J12:J14,"<>不评"),"")',
         "H": '=IFERROR(AVERAGEIFS(H12:H14,R12:R14,"是",J12:J14,"<>不评"),"")',
         "I": '=IFERROR(AVERAGEIFS(I12:I14,R12:R14,"是",J12:J14,"<>不评"),"")',
         "L": '=SUMIFS(L12:L14,R12:R14,"是")', "M": '=SUMIFS(M12:M14,R12:R14,"是")',
         "N": '=SUMIFS(N12:N14,R12:R14,"是")'},
    16: {"D": '=SUMIFS(D9:D15,R9:R15,"是")', "E": '=SUMIFS(E9:E15,R9:R15,"是")', "F": '=IF(D16>0,E16/D16,"")',
         "G": '=IFERROR(AVERAGEIFS(G9:G15,R9:R15,"是",J9:J15,"<>不评"),"")',
         "H": '=IFERROR(AVERAGEIFS(H9:H15,R9:R15,"是",J9:J15,"<>不评"),"")',
         "I": '=IFERROR(AVERAGEIFS(I9:I15,R9:R15,"是",J9:J15,"<>不评"),"")',
         "L": '=SUMIFS(L9:L15,R9:R15,"是")', "M": '=SUMIFS(M9:M15,R9:R15,"是")', "N": '=SUMIFS(N9:N15,R9:R15,"是")'},
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
        "grade": "优" if recomputed >= 90 else "良", "weight_total": 100, "projects": len(data["projects"]),
        "errors": errors, "warnings": warnings, "explained": 0,
        "status": "有错误" if errors else ("待说明" if warnings else "通过"),
        "duplicate": None, "counted": "是", "note": None, "file": name,
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
        rows.append(expected_row(i, data, path.name))      # named relative to the inbox (said in the title)
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
    assert ws.cell(HEADER, 1).value == "主管部门" and ws.freeze_panes == f"C{HEADER + 1}"
    for n, want in zip((9, 10, 12, 13, 14), rows):
        got = {k: ws.cell(n, COL[k]).value for k in COL}
        for k in ("budget", "executed", "total_self", "total_recomputed", "difference"):
            assert D(repr(got[k])) == want[k], (n, k)
        assert got["rate"] == pytest.approx(float(want["rate"]) / 100, abs=1e-12)
        keys = ("department", "unit", "year", "grade", "weight_total", "projects", "errors", "warnings",
                "explained", "status", "duplicate", "counted", "note", "file")
        assert {k: got[k] for k in keys} == {k: want[k] for k in keys}
    assert rows[[r["file"].endswith(f"unit-{LOWERED:02d}.xlsx") for r in rows].index(True)]["difference"] > 0


def test_golden_subtotal_and_total_formulas(golden):
    path, _rows = golden
    ws = openpyxl.load_workbook(path)["汇总"]
    assert ws.max_row == 16
    labels = {n: (ws.cell(n, 1).value, ws.cell(n, 2).value) for n in (11, 15, 16)}
    assert labels == {11: (None, "小计：岳阳市民政局"), 15: (None, "小计：岳阳市财政局"), 16: (None, "合计")}
    for n, formulas in GOLDEN.items():
        got = {c: ws[f"{c}{n}"].value for c in formulas}
        assert got == formulas, n
        assert ws[f"R{n}"].value is None        # a subtotal row is never 计入合计 itself
    # the notes sit in the 备注 column, not under 文件名
    # with the count of units by 状态 (issue 12)
    notes = (ws["S11"].value, ws["S15"].value, ws["S16"].value)
    assert [n.split("；")[0] for n in notes] == ["计 2 个单位", "计 3 个单位", "计 5 个单位"]
    assert all("；" in n for n in notes)
    assert ws["T11"].value is ws["T15"].value is ws["T16"].value is None


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
    """SUMIFS(range,range,"是"), IFERROR(AVERAGEIFS(range,range,"是",range,"<>不评"),"") and
    IF(Xn>0,Yn/Xn,"") over plain numbers, in Decimal."""
    m = re.fullmatch(r'=SUMIFS\(([A-Z0-9:]+),([A-Z0-9:]+),"是"\)', formula)
    if m:
        return sum((D(repr(v)) for v, k in zip(_cells(ws, m[1]), _cells(ws, m[2]))
                    if k == "是" and isinstance(v, (int, float))), D(0))
    m = re.fullmatch(r'=IFERROR\(AVERAGEIFS\(([A-Z0-9:]+),([A-Z0-9:]+),"是",([A-Z0-9:]+),"<>不评"\),""\)', formula)
    if m:
        vals = [D(repr(v)) for v, k, g in zip(_cells(ws, m[1]), _cells(ws, m[2]), _cells(ws, m[3]))
                if k == "是" and g != "不评" and isinstance(v, (int, float))]
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
    groups = {11: rows[:2], 15: rows[2:], 16: rows}
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
    fails = [[c.value for c in r] for r in wb["未能读取"].iter_rows(min_row=5)]
    assert wb["未能读取"].cell(4, 1).value == "文件"
    assert len(fails) == 1 and Path(fails[0][0]).name == "unit-99-broken.xlsx" and fails[0][1] and fails[0][2]
    top = next(r for r in range(1, 20) if wb["项目"].cell(r, 1).value == "主管部门")
    projects = [[c.value for c in r] for r in wb["项目"].iter_rows(min_row=top + 1)]
    assert len(projects) == sum(len(synth.make(i)[0]["projects"]) for i in UNITS)
