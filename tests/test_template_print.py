"""The template and the seed example read on screen and print on A4 like official forms.

Without LibreOffice: wrapped text fits its row (tests/printcheck.py), the 按收入/支出性质分 amounts sit
under an amount header, the fixed 一级/二级 labels are not coloured as inputs, numbers and text keep
clear of each other, the 填表说明 has its title block and colour legend. With LibreOffice: a blank
three-project template prints each self-evaluation table on two pages (funds and goals, then the
indicators whole), each page well filled.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from gridbudget import forms
from gridbudget.write import libreoffice as lo
from gridbudget.write import style
from gridbudget.write import template
from gridbudget.write.template import TemplateOptions, build_workbook, write_template
from helpers import EXAMPLE_XLSX, named_cells
from printcheck import fit_problems, render_pages

SELF_EVAL = (forms.OVERALL, forms.PROJECT)


@pytest.fixture(scope="module")
def blank3(tmp_path_factory) -> Path:
    return write_template(tmp_path_factory.mktemp("print") / "blank3.xlsx", TemplateOptions(year=2024, projects=3))


def _sheet(table: forms.Table) -> str:
    return table.sheet if table is not forms.PROJECT else forms.project_sheet_name(1)


def _rgb(cell) -> str:
    fill = cell.fill
    if fill is None or fill.fill_type != "solid":
        return ""
    return str(fill.fgColor.rgb or "")[-6:].upper()


def _anchor(ws, r: int, c: int):
    """The cell showing (r, c): itself, or the top-left cell of the merged range holding it."""
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= r <= rng.max_row and rng.min_col <= c <= rng.max_col:
            return ws.cell(rng.min_row, rng.min_col)
    return ws.cell(r, c)


def _header_above(ws, r: int, c: int):
    """The nearest cell above (r, c) in its column that shows text."""
    for row in range(r - 1, 0, -1):
        cell = _anchor(ws, row, c)
        if isinstance(cell.value, str) and cell.value.strip():
            return cell
    return None


# ---------------------------------------------------------------------------- fit on screen and paper

def test_blank_template_fits(blank3):
    assert fit_problems(blank3) == []


def test_seed_example_fits():
    assert fit_problems(EXAMPLE_XLSX) == []


def test_committed_templates_fit():
    root = EXAMPLE_XLSX.parents[1] / "workbook_templates"
    for path in sorted(root.glob("*.xlsx")):
        assert fit_problems(path) == [], path.name


# ---------------------------------------------------------------------------- layout

@pytest.mark.parametrize("path", ["blank", "example"])
def test_breakdown_amounts_sit_under_an_amount_header(blank3, path):
    wb = openpyxl.load_workbook(blank3 if path == "blank" else EXAMPLE_XLSX)
    ws = wb[forms.OVERALL.sheet]
    names = named_cells(wb, ws.title)
    money_headers = {label for key, label, kind, _s in forms.FUNDS_COLUMNS if kind == forms.MONEY}
    keys = [f"income.{k}" for k, _l, _s in forms.INCOME_ROWS] + [f"expense.{k}" for k, _l, _s in forms.EXPENSE_ROWS]
    for key in keys:
        r, c, *_ = names[forms.defined_name(key)]
        head = _header_above(ws, r, c)
        assert head is not None, key
        assert head.value in money_headers, f"{key} at {ws.cell(r, c).coordinate} sits under {head.value!r}"
        assert head.value == "全年执行数"            # a breakdown of the year's execution
        assert _rgb(head) == style.HEADER_FILL, key
    if path == "example":                            # the seed's amounts are where they were read from
        r, c, *_ = names["gb_expense_basic"]
        assert ws.cell(r, c).value == pytest.approx(52.07)
        r, c, *_ = names["gb_expense_project"]
        assert ws.cell(r, c).value == pytest.approx(64.88)


@pytest.mark.parametrize("table", SELF_EVAL, ids=lambda t: t.key)
def test_funds_block_uses_every_column(blank3, table):
    """The funds header names a column in each of D…I, the right-most included."""
    wb = openpyxl.load_workbook(blank3)
    ws = wb[_sheet(table)]
    placed = forms.layout(table)
    r, c = placed.cell("funds.total.executed")
    header_row = r                                    # the line above the total line (1-based)
    labels = [ws.cell(header_row, col).value for col in range(2, table.ncols + 1)]
    assert labels[-1] == forms.FUNDS_COLUMNS[-1][1]   # 得分 in the last column
    assert [x for x in labels if x] == [label for _k, label, _kd, _s in forms.FUNDS_COLUMNS]
    # every funds column holds a value cell on the total line
    for col in range(forms.FUNDS_COL0, table.ncols):
        cell = ws.cell(r + 1, col + 1)
        assert cell.value is not None or _rgb(cell) == style.INPUT_FILL, cell.coordinate


def test_template_fills_are_the_shared_ones():
    assert template.INPUT_FILL == style.INPUT_FILL
    assert template.FORMULA_FILL == style.FORMULA_FILL
    assert template.FONT == style.FONT


@pytest.mark.parametrize("table", SELF_EVAL, ids=lambda t: t.key)
def test_fixed_indicator_labels_are_not_input_coloured(blank3, table):
    wb = openpyxl.load_workbook(blank3)
    ws = wb[_sheet(table)]
    placed = forms.layout(table)
    labels = [k for k in placed.fields if k.startswith("ind.") and k.endswith(".label")]
    assert len(labels) == len(forms.LEVEL1) + sum(len(l2) for *_x, l2 in forms.LEVEL1)
    for key in labels:
        r, c = placed.cell(key)
        cell = ws.cell(r + 1, c + 1)
        assert _rgb(cell) != style.INPUT_FILL, f"{key} at {cell.coordinate} is coloured as an input"
        assert _rgb(cell) == style.HEADER_FILL, key
        assert cell.protection.locked is False, key   # the drop-down still works
    # the indicator rows themselves stay yellow inputs
    for key, rep in placed.repeats.items():
        if not key.startswith("ind."):
            continue
        for col in rep.cols.values():
            for row in range(rep.first, rep.last + 1):
                assert _rgb(ws.cell(row + 1, col + 1)) == style.INPUT_FILL, (key, row, col)


def test_numbers_and_text_keep_clear_of_each_other():
    """'10.00无偏差': a right-aligned number is indented, and so is boxed left-aligned text."""
    wb = openpyxl.load_workbook(EXAMPLE_XLSX)
    ws = wb[forms.OVERALL.sheet]
    names = named_cells(wb, ws.title)
    r1, c_score, r2, _ = names["gb_ind_output_quantity_score"]
    _r, c_note, *_ = names["gb_ind_output_quantity_note"]
    assert c_note == c_score + 1
    for r in range(r1, r2 + 1):
        num, text = ws.cell(r, c_score), ws.cell(r, c_note)
        if isinstance(num.value, (int, float)) and isinstance(text.value, str):
            assert num.alignment.horizontal == "right" and (num.alignment.indent or 0) >= 1
            assert text.alignment.horizontal == "left" and (text.alignment.indent or 0) >= 1
            assert not num.alignment.wrap_text       # LibreOffice drops the indent of a wrapped number
            break
    else:
        pytest.fail("no score beside a note in 数量指标")


def test_fixed_labels_do_not_wrap():
    """A fixed label of a self-evaluation table fits its cell on one line, or breaks only where the form
    breaks it (an explicit line break), so no wrap leaves one character alone on a line."""
    wb = openpyxl.load_workbook(io.BytesIO(build_workbook(TemplateOptions(year=2024))))
    for table in SELF_EVAL:
        ws = wb[_sheet(table)]
        widths = {c + 1: w for c, w in enumerate(table.widths)}
        merged = {(g.min_row, g.min_col): g.max_col for g in ws.merged_cells.ranges}
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if not isinstance(v, str) or v.startswith("=") or _rgb(cell) == style.INPUT_FILL:
                    continue
                last = merged.get((cell.row, cell.column), cell.column)
                width = sum(widths[c] for c in range(cell.column, last + 1))
                width -= template.TEXT_INDENT_UNITS * (cell.alignment.indent or 0)
                scale = (cell.font.sz or style.BODY_SIZE) / style.BODY_SIZE
                for line in v.split("\n"):
                    assert style.text_units(line) * scale <= width - 1, f"{ws.title}!{cell.coordinate}: {line}"


def test_guide_has_title_block_and_colour_legend():
    wb = openpyxl.load_workbook(io.BytesIO(build_workbook(TemplateOptions(unit="测试单位", year=2024, projects=2))))
    ws = wb[forms.GUIDE_SHEET]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert texts[0] == "2024年度部门整体支出绩效自评附表　填表说明"
    assert "填报单位：测试单位" in texts[1] and "2024" in texts[1]
    assert texts[2].startswith("附表：") and "项目支出自评表 2 张" in texts[2]
    legend = {}
    for row in ws.iter_rows():
        swatch, text = row[0], row[1] if len(row) > 1 else None
        if _rgb(swatch) and text is not None and isinstance(text.value, str):
            legend[_rgb(swatch)] = text.value
    assert legend[style.INPUT_FILL].startswith("淡黄") and "填写" in legend[style.INPUT_FILL]
    assert legend[style.FORMULA_FILL].startswith("淡蓝") and "锁定" in legend[style.FORMULA_FILL]
    assert legend[style.HEADER_FILL].startswith("灰") and "不需填写" in legend[style.HEADER_FILL]
    ps = ws.page_setup
    assert ps.paperSize in (9, "9") and ps.orientation == "portrait"
    assert fit_problems(io.BytesIO(build_workbook(TemplateOptions(year=2024))), sheets=[forms.GUIDE_SHEET]) == []


# ---------------------------------------------------------------------------- rendered pages (LibreOffice)

def _page_texts(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = out.split("\f")
    return ["".join(p.split()) for p in pages[:lo.pdf_page_count(pdf)]]


def _ink_bottom(pdf: Path, page: int, tmp: Path) -> float:
    """How far down the page (0…1) the lowest ink above the footer reaches."""
    stem = tmp / f"ink-{page}"
    subprocess.run(["pdftoppm", "-r", "40", "-f", str(page), "-l", str(page), "-singlefile", "-gray",
                    str(pdf), str(stem)], check=True)
    data = stem.with_suffix(".pgm").read_bytes()
    parts, pos = [], 0
    while len(parts) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        start = pos
        while not data[pos:pos + 1].isspace():
            pos += 1
        parts.append(data[start:pos])
    pos += 1
    w, h = int(parts[1]), int(parts[2])
    pixels = data[pos:pos + w * h]
    footer = int(h * 0.9)                             # the page number line
    lowest = 0
    for y in range(footer):
        if min(pixels[y * w:(y + 1) * w]) < 250:      # borders, text and fills (input yellow included)
            lowest = y
    return lowest / h


@pytest.mark.libreoffice
@pytest.mark.skipif(not lo.available() or shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                    reason="LibreOffice or poppler-utils missing")
def test_blank_self_evaluation_tables_print_on_two_full_pages(blank3, tmp_path):
    """Decided from the rendered result: a blank 自评表 does not fit one legible page (about 1.6 pages of
    rows), so it prints as one page for funds and goals and one for the indicators, both well filled;
    3 projects: 填表说明 1 + 基础数据表 1 + 整体 2 + 项目 3 × 2 = 10 pages."""
    pngs = render_pages(blank3, tmp_path)
    pdf = tmp_path / "blank3.pdf"
    texts = _page_texts(pdf)
    assert len(pngs) == len(texts) == 10
    for table, count in ((forms.OVERALL, 1), (forms.PROJECT, 3)):
        title = "2024年度" + table.name
        pages = [i for i, t in enumerate(texts) if title in t]
        assert len(pages) == 2 * count, (table.key, pages)
        for first, second in zip(pages[::2], pages[1::2]):
            assert second == first + 1
            assert "预期目标" in texts[first] and "一级指标" not in texts[first]
            assert "一级指标" in texts[second] and "满意度指标小计" in texts[second]
            assert "单位负责人签字" in texts[second]              # indicators, total and signature together
            for page in (first, second):
                assert _ink_bottom(pdf, page + 1, tmp_path) > 0.6, f"{table.key}: page {page + 1} half empty"
