"""The summary workbook over ~30 mixed files reads on screen, prints on A4, and its figures hold.

The batch: 22 generated units (scripts/synth.py, four with synth's known mistakes), one unit whose
weights add up to 105, the seed example submitted three times, and three broken files (empty,
truncated, text). Checked without LibreOffice: every sheet passes ``printcheck.fit_problems`` and
prints at or above ``style.MIN_PRINT_SCALE``; every sheet has a title, an A4 landscape set-up, a
repeated header row and frozen panes; every colour in a table is explained in the legend above it;
the seed is counted once in its 主管部门 subtotal and in the grand total (values computed here from
the inputs, in Decimal, against the formulas' cached values and a small evaluator of the formulas);
the 105-point total is marked and not graded; the rule columns carry the rules' Chinese titles.
With LibreOffice: the same totals after recalculation, and the pages render.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest
from openpyxl.utils import range_boundaries

from gridbudget.submission import flatten
from gridbudget.write import libreoffice as lo
from gridbudget.write import style
from gridbudget.write.summary import (MATRIX_SHEET, UNGRADED, UNGRADED_COLOURS, UNIT_COLUMNS, summarize,
                                      write_json, write_xlsx)
from gridbudget.write.template import TemplateOptions, build_workbook
from helpers import EXAMPLE_JSON, EXAMPLE_XLSX, ROOT

import printcheck

sys.path.insert(0, str(ROOT / "scripts"))
import synth  # noqa: E402

D = Decimal
SYNTH = 22                      # synth units 0..21 (4, 9, 14, 19 carry synth's known mistakes)
HEAVY = 40                      # the synth unit whose weights are raised to 105
SEED_UNIT = "岳阳市君山区社会治理网格化中心"
SEED_RECOMPUTED = D("99.91")   # README: the seed's recomputed total under national-2020
COL = {k: i + 1 for i, (k, _l, _w) in enumerate(UNIT_COLUMNS)}
SHEETS = ["汇总", "项目", "问题清单", "规则统计", MATRIX_SHEET, "未能读取", "说明", "图表"]


def q2(x: Decimal) -> Decimal:
    return x.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def _weights(data: dict) -> Decimal:
    return sum((D(r["weight"]) for l1 in data["overall"]["ind"].values() for k, l2 in l1.items() if k != "label"
                for r in l2["rows"]), D(0))


def recomputed(data: dict) -> Decimal:
    """Every generated target is met: each indicator earns its weight, the rate 10 × min(rate, 100%)."""
    funds = data["overall"]["funds"]["total"]
    return q2(D(10) * min(D(funds["executed"]) / D(funds["budget"]), D(1))) + _weights(data)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    d = tmp_path_factory.mktemp("print")
    inbox = d / "inbox"
    synth.write_files(inbox, SYNTH, broken_every=0)
    units = [synth.make(i)[0] for i in range(SYNTH)]
    heavy, _ = synth.make(HEAVY)
    rows = [r for k, v in heavy["overall"]["ind"]["output"].items() if k != "label" for r in v["rows"]]
    row = next(r for r in rows if r["target"].startswith("≥"))
    row["weight"] += 5
    row["score"] = row["weight"]
    assert _weights(heavy) + 10 == 105
    (inbox / "unit-heavy-105.xlsx").write_bytes(
        build_workbook(TemplateOptions(unit=heavy["overall"]["unit"]), flatten(heavy)))
    for name in ("seed-a.xlsx", "seed-b.xlsx", "seed-c.xlsx"):      # the same unit, three times
        shutil.copy(EXAMPLE_XLSX, inbox / name)
    raw = EXAMPLE_XLSX.read_bytes()
    (inbox / "zz-empty.xlsx").write_bytes(b"")
    (inbox / "zz-truncated.xlsx").write_bytes(raw[: len(raw) // 3])
    (inbox / "zz-text.xlsx").write_text("这是一份说明，不是表格", encoding="utf-8")
    with summarize([str(inbox)], jobs=2) as b:
        path = write_xlsx(b, d / "汇总.xlsx")
        jpath = write_json(b, d / "汇总.json")
    seed = json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))["overall"]["funds"]["total"]
    return {"dir": d, "path": path, "json": jpath, "units": units, "heavy": heavy,
            "seed": (D(str(seed["budget"])), D(str(seed["executed"])))}


def header_row(ws, first: str) -> int:
    return next(r for r in range(1, 20) if ws.cell(r, 1).value == first)


def unit_rows(ws) -> list[list]:
    top = header_row(ws, "主管部门")
    return [[c.value for c in row] for row in ws.iter_rows(min_row=top + 1)]


# ---------------------------------------------------------------------------
# print and screen
# ---------------------------------------------------------------------------
def test_every_sheet_fits_its_rows_and_prints_legibly(batch):
    path = batch["path"]
    assert printcheck.fit_problems(path) == []
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        ps = ws.page_setup
        assert ps.paperSize in (9, "9") and ps.orientation == "landscape", ws.title
        assert "&P" in (ws.oddFooter.center.text or ""), ws.title
        assert ws.freeze_panes, ws.title
        assert isinstance(ws["A1"].value, str) and "批量汇总" in ws["A1"].value, ws.title
        assert ws["A1"].font.sz == style.TITLE_SIZE and "2024" in ws["A1"].value
        assert "national-2020" in ws["A2"].value and f"单位 {SYNTH + 2} 个" in ws["A2"].value
        if ws.title != "图表":
            assert ws.print_title_rows, ws.title
        widths = printcheck._widths(ws)
        used = [widths.get(c, printcheck.DEFAULT_WIDTH) for c in range(1, ws.max_column + 1)]
        fit = ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage
        # xlsxwriter leaves fitToWidth="1" out (it is the default), so printcheck skips these sheets
        scale = style.print_scale(used) if fit and ps.fitToWidth in (None, 1, "1") else int(ps.scale or 100)
        assert scale >= style.MIN_PRINT_SCALE, (ws.title, scale)


def _look(cell) -> tuple[str | None, str | None]:
    fill = cell.fill.fgColor.rgb if cell.fill is not None and cell.fill.fill_type == "solid" else None
    font = cell.font.color.rgb if cell.font is not None and cell.font.color is not None else None
    return (fill[-6:] if isinstance(fill, str) else None, font[-6:] if isinstance(font, str) else None)


@pytest.mark.parametrize("sheet,first", [("汇总", "主管部门"), ("项目", "主管部门"), ("问题清单", "单位"),
                                         (MATRIX_SHEET, "主管部门")])
def test_every_colour_in_a_table_is_in_the_legend_above_it(batch, sheet, first):
    ws = openpyxl.load_workbook(batch["path"])[sheet]
    top = header_row(ws, first)
    legend = [_look(c) for row in ws.iter_rows(min_row=1, max_row=top - 1) for c in row]
    assert any(ws.cell(r, 1).value == "颜色说明" for r in range(1, top))
    fills = {f for f, _ in legend if f}
    fonts = {f for _, f in legend if f}
    for row in ws.iter_rows(min_row=top + 1):
        for c in row:
            fill, font = _look(c)
            assert fill is None or fill in fills, (c.coordinate, fill)
            assert font is None or font in fonts | {"000000"}, (c.coordinate, font)


def test_rule_columns_carry_the_chinese_rule_titles(batch):
    from gridbudget.check import rules  # noqa: F401
    from gridbudget.check.engine import RULES

    wb = openpyxl.load_workbook(batch["path"])
    ws = wb["规则统计"]
    top = header_row(ws, "规则代码")
    codes = []
    for code, title in ws.iter_rows(min_row=top + 1, max_col=2, values_only=True):
        if code == "合计":
            break
        codes.append(code)
        assert title == RULES[code].title and re.search(r"[\u4e00-\u9fff]", title), code
    assert "S-WEIGHT-TOTAL" in codes and "X-UNIT-NAME" in codes
    ws = wb[MATRIX_SHEET]
    top = header_row(ws, "主管部门")
    heads = [c.value for c in ws[top]][3:]
    assert heads == [f"{RULES[c].title}\n{c}" for c in codes]
    assert ws.row_dimensions[top].height >= max(len(RULES[c].title) * 10 for c in codes)
    assert all(ws.cell(top, 4 + i).alignment.textRotation == 90 for i in range(len(codes)))


# ---------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------
def _cells(ws, ranges: str) -> list:
    out = []
    for rng in ranges.split(","):
        c1, r1, c2, r2 = range_boundaries(rng)
        out += [ws.cell(r, c).value for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
    return out


def evaluate(ws, formula: str):
    """SUMIFS / AVERAGEIFS on 计入合计 = 是 (and 等级 <> 不评) as the summary writes them, in Decimal."""
    m = re.fullmatch(r'=SUMIFS\(([A-Z]+\d+:[A-Z]+\d+),([A-Z]+\d+:[A-Z]+\d+),"是"\)', formula)
    if m:
        vals, keep = _cells(ws, m[1]), _cells(ws, m[2])
        return sum((D(repr(v)) for v, k in zip(vals, keep) if k == "是" and isinstance(v, (int, float))), D(0))
    m = re.fullmatch(r'=IFERROR\(AVERAGEIFS\(([A-Z]+\d+:[A-Z]+\d+),([A-Z]+\d+:[A-Z]+\d+),"是",'
                     r'([A-Z]+\d+:[A-Z]+\d+),"<>不评"\),""\)', formula)
    if m:
        vals, keep, grade = _cells(ws, m[1]), _cells(ws, m[2]), _cells(ws, m[3])
        xs = [D(repr(v)) for v, k, g in zip(vals, keep, grade)
              if k == "是" and g != UNGRADED and isinstance(v, (int, float))]
        return sum(xs, D(0)) / len(xs) if xs else ""
    raise AssertionError(f"formula the evaluator does not know: {formula}")


def _money(ws, r: int, key: str) -> Decimal:
    return D(repr(ws.cell(r, COL[key]).value))


def test_the_seed_submitted_three_times_is_listed_three_times_and_counted_once(batch):
    path = batch["path"]
    ws = openpyxl.load_workbook(path)["汇总"]
    cached = openpyxl.load_workbook(path, data_only=True)["汇总"]
    top = header_row(ws, "主管部门")
    rows = {r: [c.value for c in ws[r]] for r in range(top + 1, ws.max_row + 1)}
    seed = [r for r, v in rows.items() if v[COL["unit"] - 1] == SEED_UNIT]
    assert len(seed) == 3
    assert [rows[r][COL["duplicate"] - 1] for r in seed] == ["是"] * 3
    assert [rows[r][COL["counted"] - 1] for r in seed] == ["是", "否", "否"]
    assert [rows[r][COL["file"] - 1] for r in seed] == ["seed-a.xlsx", "seed-b.xlsx", "seed-c.xlsx"]
    assert "计入 seed-a.xlsx" in rows[seed[1]][COL["note"] - 1]
    sub = seed[-1] + 1
    assert rows[sub][COL["unit"] - 1].startswith("小计：") and rows[sub][COL["note"] - 1] == "计 1 个单位，另有 2 份重复提交未计入；待说明 1"
    budget, executed = batch["seed"]
    for key, want in (("budget", budget), ("executed", executed)):
        assert evaluate(ws, ws.cell(sub, COL[key]).value) == want
        assert _money(cached, sub, key) == want
    # the grand total: every unit once, computed from the data the files were made from
    total = ws.max_row
    assert rows[total][COL["unit"] - 1] == "合计"
    every = [*batch["units"], batch["heavy"]]
    for i, key in enumerate(("budget", "executed")):
        want = sum((D(u["overall"]["funds"]["total"][key]) for u in every), D(0)) + batch["seed"][i]
        assert evaluate(ws, ws.cell(total, COL[key]).value) == want
        assert _money(cached, total, key) == want
    assert rows[total][COL["note"] - 1].split("；")[0] == f"计 {SYNTH + 2} 个单位，另有 2 份重复提交未计入"   # ；状态 counts (issue 12)
    assert cached.cell(total, COL["projects"]).value == sum(len(u["projects"]) for u in every) + 1


def test_a_total_of_105_points_is_marked_and_not_graded(batch):
    path = batch["path"]
    wb = openpyxl.load_workbook(path)
    ws = wb["汇总"]
    cached = openpyxl.load_workbook(path, data_only=True)["汇总"]
    heavy = batch["heavy"]
    want = recomputed(heavy)
    assert want > 100
    (r,) = [c.row for c in ws["B"] if c.value == heavy["overall"]["unit"]]
    assert D(repr(ws.cell(r, COL["total_recomputed"]).value)) == want
    grade = ws.cell(r, COL["grade"])
    assert grade.value == UNGRADED and grade.value != "优"
    for key in ("grade", "total_recomputed", "weight_total"):
        assert _look(ws.cell(r, COL[key]))[0] == UNGRADED_COLOURS[0], key
    assert ws.cell(r, COL["weight_total"]).value == 105
    assert ws.cell(r, COL["note"]).value.startswith("权重合计 105，不是 100")
    top = header_row(ws, "主管部门")
    legend = " ".join(str(c.value) for row in ws.iter_rows(max_row=top - 1) for c in row if c.value)
    assert f"{UNGRADED}：权重合计不是 100" in legend
    # the grand total's average leaves it out: the mean of the other units, each once
    others = [recomputed(u) for u in batch["units"]] + [SEED_RECOMPUTED]
    mean = sum(others, D(0)) / len(others)
    total = ws.max_row
    formula = ws.cell(total, COL["total_recomputed"]).value
    assert evaluate(ws, formula) == mean
    assert cached.cell(total, COL["total_recomputed"]).value == pytest.approx(float(mean), abs=1e-9)
    # the other views say the same
    units = json.loads(batch["json"].read_text(encoding="utf-8"))["units"]
    (row,) = [u for u in units if u["unit"] == heavy["overall"]["unit"]]
    assert row["grade"] == UNGRADED and D(str(row["weight_total"])) == 105
    assert [u["counted"] for u in units if u["unit"] == SEED_UNIT] == ["是", "否", "否"]


def test_unreadable_files_are_listed_with_reason_and_advice(batch):
    ws = openpyxl.load_workbook(batch["path"])["未能读取"]
    top = header_row(ws, "文件")
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=top + 1)]
    assert sorted(r[0] for r in rows) == ["zz-empty.xlsx", "zz-text.xlsx", "zz-truncated.xlsx"]
    assert all(r[1] and r[2] for r in rows)


# ---------------------------------------------------------------------------
# LibreOffice: recalculated totals, rendered pages
# ---------------------------------------------------------------------------
@pytest.mark.libreoffice
@pytest.mark.skipif(not lo.available() or shutil.which("pdftoppm") is None, reason="LibreOffice/poppler missing")
def test_libreoffice_recalculates_the_same_totals_and_renders_every_sheet(batch):
    path, d = batch["path"], batch["dir"]
    recalced = lo.recalculate(path, d / "recalc.xlsx")
    ws = openpyxl.load_workbook(recalced, data_only=True)["汇总"]
    ours = openpyxl.load_workbook(path, data_only=True)["汇总"]
    top = header_row(ours, "主管部门")
    subtotals = [r for r in range(top + 1, ours.max_row + 1)
                 if str(ours.cell(r, COL["unit"]).value).startswith(("小计", "合计"))]
    assert len(subtotals) >= 3
    for r in subtotals:
        for key in ("budget", "executed", "rate", "total_self", "total_recomputed", "difference", "projects",
                    "errors", "warnings"):
            got, want = ws.cell(r, COL[key]).value, ours.cell(r, COL[key]).value
            assert got == pytest.approx(want, abs=1e-6), (r, key, got, want)
    seed = [r for r in range(top + 1, ours.max_row + 1) if ours.cell(r, COL["unit"]).value == SEED_UNIT]
    assert D(str(round(ws.cell(seed[-1] + 1, COL["budget"]).value, 2))) == batch["seed"][0]
    every = [*batch["units"], batch["heavy"]]
    want = sum((D(u["overall"]["funds"]["total"]["budget"]) for u in every), D(0)) + batch["seed"][0]
    assert D(str(round(ws.cell(ws.max_row, COL["budget"]).value, 2))) == want
    pages = printcheck.render_pages(path, d / "pages", dpi=40)
    assert len(pages) >= len(SHEETS)
    import subprocess

    text = subprocess.run(["pdftotext", str(d / "pages" / "汇总.pdf"), "-"], capture_output=True, text=True).stdout
    for word in ("颜色说明", UNGRADED, "计入", "分值合计不是 100", "处理建议", "等级分布"):
        assert word in text, word


def test_too_many_rule_columns_print_across_pages_at_a_fixed_legible_scale(tmp_path, monkeypatch):
    from gridbudget.write import summary

    # pretend the seed's dozen rule columns would shrink the page below the limit
    monkeypatch.setattr(summary, "MATRIX_MIN_SCALE", 101)
    with summarize([str(EXAMPLE_XLSX)], jobs=1) as b:
        path = write_xlsx(b, tmp_path / "s.xlsx")
    ws = openpyxl.load_workbook(path)[MATRIX_SHEET]
    assert not ws.sheet_properties.pageSetUpPr.fitToPage
    assert int(ws.page_setup.scale) == 111 >= style.MIN_PRINT_SCALE
    assert ws.print_title_cols == "$A:$C" and ws.print_title_rows
    assert printcheck.fit_problems(path) == []


def test_a_batch_of_only_broken_files_still_fits(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.xlsx").write_bytes(b"")
    with summarize([str(tmp_path / "in"), str(tmp_path / "nothing-*.xlsx")], jobs=1) as b:
        path = write_xlsx(b, tmp_path / "s.xlsx")
    assert printcheck.fit_problems(path) == []
    wb = openpyxl.load_workbook(path)
    assert wb["问题清单"].cell(header_row(wb["问题清单"], "单位") + 1, 1).value == "没有发现问题。"
    fails = wb["未能读取"]
    names = [r[0] for r in fails.iter_rows(min_row=header_row(fails, "文件") + 1, values_only=True)]
    assert names[0] == "empty.xlsx" and names[1].endswith("nothing-*.xlsx")
