"""The template in a real client: LibreOffice recalculates, inserts rows, renders to PDF."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal

import openpyxl
import pytest

from gridbudget import forms
from gridbudget.write import libreoffice as lo
from gridbudget.write.template import TemplateOptions, write_template
from helpers import EXAMPLE_XLSX, named_cells, sha256

pytestmark = [pytest.mark.libreoffice,
              pytest.mark.skipif(not lo.available(), reason="LibreOffice is not installed")]

PROJECT_SHEET = forms.project_sheet_name(1)


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    before = sha256(EXAMPLE_XLSX)
    out = lo.recalculate(EXAMPLE_XLSX, tmp_path_factory.mktemp("recalc") / "junshan.xlsx")
    assert sha256(EXAMPLE_XLSX) == before
    return openpyxl.load_workbook(out, data_only=True)


def value(wb, sheet: str, name: str):
    r1, c1, *_ = named_cells(wb, sheet)[name]
    return wb[sheet].cell(r1, c1).value


def dec(v, places=4) -> Decimal:
    return Decimal(str(v)).quantize(Decimal(1).scaleb(-places))


def test_execution_and_control_rates(recalculated):
    wb = recalculated
    assert dec(value(wb, forms.OVERALL.sheet, "gb_funds_total_rate")) == Decimal("0.9913")
    assert dec(value(wb, PROJECT_SHEET, "gb_funds_total_rate")) == Decimal("0.8120")
    assert dec(value(wb, forms.BASIC.sheet, "gb_staff_rate")) == Decimal("1.0000")


@pytest.mark.parametrize("sheet", [forms.OVERALL.sheet, PROJECT_SHEET])
def test_weight_and_score_subtotals_and_totals(recalculated, sheet):
    wb = recalculated
    assert [dec(value(wb, sheet, f"gb_ind_{k}_weight_total"), 2) for k in ("output", "benefit", "satisfaction")] \
        == [Decimal("50.00"), Decimal("30.00"), Decimal("10.00")]
    assert [dec(value(wb, sheet, f"gb_ind_{k}_score_total"), 2) for k in ("output", "benefit", "satisfaction")] \
        == [Decimal("49.00"), Decimal("30.00"), Decimal("10.00")]
    assert dec(value(wb, sheet, "gb_total_weight"), 2) == Decimal("100.00")
    assert dec(value(wb, sheet, "gb_total_score"), 2) == Decimal("98.00")


def test_basic_table_sums(recalculated):
    wb = recalculated
    s = forms.BASIC.sheet
    assert [dec(value(wb, s, f"gb_sangong_{c}"), 2) for c in ("prev_final", "budget", "final")] \
        == [Decimal("0.00"), Decimal("0.45"), Decimal("0.21")]
    assert dec(value(wb, s, "gb_projects_total_final"), 2) == Decimal("64.88")
    assert dec(value(wb, s, "gb_projects_total_budget"), 2) == Decimal("69.76")


def test_row_inserted_inside_a_block_is_counted(tmp_path):
    """A user inserts a row inside 数量指标 and types a weight: subtotal and total include it."""
    from lohelpers import insert_rows

    placed = forms.layout(forms.OVERALL)
    rep = placed.repeats["ind.output.quantity"]
    weight_col = rep.cols["weight"]
    insert_at = rep.first + 1                        # inside the block
    new_cell = forms.a1(insert_at, weight_col)       # the inserted row, 分值 column
    out = insert_rows(EXAMPLE_XLSX, tmp_path / "inserted.xlsx", forms.OVERALL.sheet, insert_at, 1, new_cell, 5)
    wb = openpyxl.load_workbook(out, data_only=True)
    s = forms.OVERALL.sheet
    assert dec(value(wb, s, "gb_ind_output_weight_total"), 2) == Decimal("55.00")
    assert dec(value(wb, s, "gb_total_weight"), 2) == Decimal("105.00")
    assert dec(value(wb, s, "gb_total_score"), 2) == Decimal("98.00")
    # the block's defined names grew with it, so a reader still finds every row
    r1, _c1, r2, _c2 = named_cells(wb, s)["gb_ind_output_quantity_weight"]
    assert r2 - r1 + 1 == rep.count + 1


def _pdf_text(pdf) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return out.split("\f")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")
def test_each_table_prints_one_page_wide(tmp_path):
    """Each table sheet on its own: the page that shows a header row shows all of it."""
    for table, first, last in ((forms.BASIC, "经费控制情况", "投资概算控制率"),
                               (forms.OVERALL, "一级指标", "偏差原因分析及改进措施"),
                               (forms.PROJECT, "一级指标", "偏差原因分析及改进措施")):
        wb = openpyxl.load_workbook(EXAMPLE_XLSX)
        sheet = table.sheet if table is not forms.PROJECT else PROJECT_SHEET
        for name in wb.sheetnames:
            if name != sheet:
                del wb[name]
        single = tmp_path / f"{table.key}.xlsx"
        wb.save(single)
        pdf = lo.to_pdf(single, tmp_path / f"{table.key}.pdf")
        pages = [p for p in _pdf_text(pdf) if p.strip()]
        assert pages, table.key
        joined = ["".join(p.split()) for p in pages]
        with_first = [p for p in joined if first in p]
        assert with_first, f"{table.key}: {first} not printed"
        assert last in with_first[0], f"{table.key}: columns split across pages"
        # no page holds only right-hand columns: every page repeats the title rows
        for p in pages:
            assert table.name[:4] in "".join(p.split()) or "年度" in p


def test_blank_template_renders(tmp_path):
    src = write_template(tmp_path / "blank.xlsx", TemplateOptions(year=2024, projects=2))
    pdf = lo.to_pdf(src, tmp_path / "blank.pdf")
    assert lo.pdf_page_count(pdf) >= 4
    pngs = lo.pdf_to_png(pdf, tmp_path / "page", dpi=50)
    assert pngs and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
