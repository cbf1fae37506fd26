"""Reading filled workbooks: template files, hand layouts, LibreOffice copies, bad input."""

from __future__ import annotations

import io
import json
import sys
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from gridbudget import forms
from gridbudget.write import libreoffice as lo
from gridbudget.read.book import ReadError
from gridbudget.read.export import export_submission
from gridbudget.read.tables import read_submission
from gridbudget.submission import dumps, flatten, load_json
from gridbudget.write.template import TemplateOptions, build_workbook
from helpers import EXAMPLE_JSON, EXAMPLE_XLSX, ROOT, sha256

sys.path.insert(0, str(ROOT / "scripts"))
import seed_layout  # noqa: E402


def exported(path) -> dict:
    return json.loads(dumps(export_submission(read_submission(path), with_sources=False)))


@pytest.fixture(scope="module")
def example_data():
    return exported(EXAMPLE_XLSX)


def test_example_reads_every_table(example_data):
    sub = read_submission(EXAMPLE_XLSX)
    assert sub.tables_found == ["basic", "overall", "project"]
    assert all(t.source == "template" for t in sub.tables)
    assert sub.unit == "岳阳市君山区社会治理网格化中心"
    assert sub.year == 2024
    o = sub.overall
    assert o.get("funds.total.executed").amount().value == Decimal("116.95")
    assert o.get("funds.total.executed").where == f"{forms.OVERALL.sheet}!" + forms.a1(
        *forms.layout(forms.OVERALL).cell("funds.total.executed"))
    assert o.get("income.general").amount().value + o.get("income.other").amount().value == Decimal("116.95")
    inds = list(o.indicators())
    assert len(inds) == 11
    cost = [i for i in inds if i.level2_key == "cost"][0]
    assert cost.get("target").quantity().op == "<=" and cost.get("target").quantity().value == Decimal("120.54")
    assert cost.get("score").number().value == Decimal(9)
    assert sub.basic.rows("projects")[1]["name"].text() == "治理网格服务专项"
    assert sub.projects[0].get("name").text() == "移动网格平台"


def test_example_export_equals_the_data_it_was_filled_from(example_data):
    source = json.loads(dumps(load_json(EXAMPLE_JSON)))
    for key in ("basic", "overall"):
        assert example_data[key] == source[key]
    # the project's 二级 label "社会效益" is a synonym: exported in its official form
    proj = json.loads(json.dumps(source["projects"][0], ensure_ascii=False).replace('"社会效益"', '"社会效益指标"'))
    assert example_data["projects"][0] == proj


@pytest.mark.parametrize("variant", seed_layout.VARIANTS)
def test_hand_layouts_read_to_the_same_model(tmp_path, example_data, variant):
    path = tmp_path / f"{variant}.xlsx"
    path.write_bytes(seed_layout.build(variant))
    sub = read_submission(path)
    assert all(t.source == "layout" for t in sub.tables)
    got = json.loads(dumps(export_submission(sub, with_sources=False)))
    assert got == example_data


def test_hand_layout_keeps_where_values_came_from(tmp_path):
    path = tmp_path / "seed.xlsx"
    path.write_bytes(seed_layout.build("seed"))
    sub = read_submission(path)
    inc = sub.overall.get("income.general")
    assert inc.amount().value == Decimal("116.83")
    assert inc.sheet == "附件2" and inc.raw == "116.83"       # the value typed inside the label cell
    rate = sub.overall.get("funds.total.rate")
    assert rate.raw == "99.13%" and rate.rate().value == Decimal("99.13")
    assert sub.overall.get("total.score").number().value == Decimal(98)
    yuan = tmp_path / "yuan.xlsx"
    yuan.write_bytes(seed_layout.build("yuan"))
    v = read_submission(yuan).overall.get("funds.total.executed")
    assert v.raw == 1169500 and v.amount().value == Decimal("116.95")


def test_only_some_tables(tmp_path):
    wb = openpyxl.load_workbook(io.BytesIO(seed_layout.build("seed")))
    del wb["附件1"], wb["附件2"]
    path = tmp_path / "only-project.xlsx"
    wb.save(path)
    sub = read_submission(path)
    assert sub.tables_found == ["project"]
    assert sub.projects[0].get("funds.total.executed").amount().value == Decimal("40.6")


def test_copied_template_project_sheet_reads_as_its_own_project(tmp_path):
    """A project sheet copied in the client keeps its sheet-scoped names."""
    wb = openpyxl.load_workbook(EXAMPLE_XLSX)
    copy = wb.copy_worksheet(wb[forms.project_sheet_name(1)])
    copy.title = forms.project_sheet_name(2)
    # openpyxl does not copy sheet-scoped names: copy them as Excel/WPS/LibreOffice do
    for name, dn in wb[forms.project_sheet_name(1)].defined_names.items():
        from openpyxl.workbook.defined_name import DefinedName
        copy.defined_names[name] = DefinedName(name, attr_text=dn.attr_text.replace(
            forms.project_sheet_name(1), forms.project_sheet_name(2)))
    placed = forms.layout(forms.PROJECT)
    r, c = placed.cell("name")
    copy.cell(r + 1, c + 1, "第二个项目")
    path = tmp_path / "two.xlsx"
    wb.save(path)
    sub = read_submission(path)
    assert [p.get("name").text() for p in sub.projects] == ["移动网格平台", "第二个项目"]
    assert sub.projects[1].sheet == forms.project_sheet_name(2)


@pytest.mark.libreoffice
@pytest.mark.skipif(not lo.available(), reason="LibreOffice is not installed")
def test_project_sheet_copied_in_libreoffice_is_a_project_of_its_own(tmp_path):
    from lohelpers import copy_sheet

    from gridbudget.check.engine import run_rules

    placed = forms.layout(forms.PROJECT)
    name_cell = forms.a1(*placed.cell("name"))
    out = copy_sheet(EXAMPLE_XLSX, tmp_path / "copied.xlsx", forms.project_sheet_name(1),
                     forms.project_sheet_name(2), name_cell, "第二个项目")
    sub = read_submission(out)
    assert [p.get("name").text() for p in sub.projects] == ["移动网格平台", "第二个项目"]
    assert all(p.source == "template" for p in sub.projects)
    second = sub.projects[1]
    assert second.sheet == forms.project_sheet_name(2)
    assert second.get("funds.total.executed").amount().value == Decimal("40.6")
    # and it validates as a project of its own: its findings point into the copy
    where = {(f.code, f.sheet) for f in run_rules(sub)}
    assert ("X-PROJECT-SHEET-ROW", forms.project_sheet_name(2)) in where
    assert ("D-NOTE-DEDUCTED-NONE", forms.project_sheet_name(2)) in where


@pytest.mark.libreoffice
@pytest.mark.skipif(not lo.available(), reason="LibreOffice is not installed")
def test_libreoffice_saved_copy_reads_the_same(tmp_path, example_data):
    before = sha256(EXAMPLE_XLSX)
    out = lo.recalculate(EXAMPLE_XLSX, tmp_path / "lo.xlsx")
    assert sha256(EXAMPLE_XLSX) == before
    sub = read_submission(out)
    assert all(t.source == "template" for t in sub.tables)
    assert exported(out) == example_data
    # and now the computed cells hold LibreOffice's results
    assert sub.overall.get("funds.total.rate").rate().value.quantize(Decimal("0.01")) == Decimal("99.13")
    # the hand layout survives a LibreOffice round trip too (ods and xls as well)
    hand = tmp_path / "hand.xlsx"
    hand.write_bytes(seed_layout.build("seed"))
    for fmt in ("xlsx", "ods", "xls"):
        conv = lo.convert([hand], tmp_path / fmt, fmt)[0]
        assert exported(conv) == example_data, fmt


def test_fill_then_export_round_trip(tmp_path, example_data):
    data = {k: v for k, v in example_data.items() if k in ("basic", "overall", "projects")}
    flat = flatten(json.loads(json.dumps(data), parse_float=Decimal))
    path = tmp_path / "filled.xlsx"
    path.write_bytes(build_workbook(TemplateOptions(), flat))
    assert exported(path) == example_data


# ---------------------------------------------------------------------------
# bad input: a Chinese message naming the file, and the input unchanged
# ---------------------------------------------------------------------------
def _bad_files(tmp_path):
    files = {}
    files["empty"] = (tmp_path / "empty.xlsx", b"")
    files["text"] = (tmp_path / "notes.xlsx", "这不是表格".encode("utf-8"))
    files["pdf"] = (tmp_path / "report.xlsx", b"%PDF-1.4\n%...")
    good = EXAMPLE_XLSX.read_bytes()
    files["truncated"] = (tmp_path / "truncated.xlsx", good[: len(good) // 2])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    files["docx"] = (tmp_path / "letter.xlsx", buf.getvalue())
    wb = openpyxl.Workbook()
    wb.active["A1"] = "随便写的内容"
    b = io.BytesIO()
    wb.save(b)
    files["no_tables"] = (tmp_path / "other.xlsx", b.getvalue())
    for _k, (p, data) in files.items():
        p.write_bytes(data)
    return files


@pytest.mark.parametrize("kind,code,words", [
    ("empty", "empty_file", "空"), ("text", "not_workbook", ".xlsx"), ("pdf", "not_workbook", ".xlsx"),
    ("truncated", "corrupt", "损坏"), ("docx", "not_workbook", ".xlsx"), ("no_tables", "no_tables", "经费控制情况"),
])
def test_bad_input_message(tmp_path, kind, code, words):
    path, _data = _bad_files(tmp_path)[kind]
    before = sha256(path)
    with pytest.raises(ReadError) as info:
        read_submission(path)
    assert info.value.code == code
    assert path.name in info.value.message and words in info.value.message
    assert sha256(path) == before


def test_cli_export_bad_input_exit_code(tmp_path):
    from typer.testing import CliRunner
    from gridbudget.cli import app

    path, _ = _bad_files(tmp_path)["text"]
    res = CliRunner().invoke(app, ["export", str(path)])
    assert res.exit_code == 2
    assert "notes.xlsx" in res.output and "Traceback" not in res.output


def test_formula_errors_and_uncomputed_formulas_are_reported(tmp_path):
    import xlsxwriter

    path = tmp_path / "formulas.xlsx"
    raw = seed_layout.build("seed")
    wb = openpyxl.load_workbook(io.BytesIO(raw))
    ws = wb["附件2"]
    # find the 全年执行数 cell of 年度资金总额 by its value and put a formula error in the 得分 cell beside it
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == 116.95:
                exec_cell = cell
    ws.cell(exec_cell.row, exec_cell.column + 3, "=1/0")
    ws.cell(exec_cell.row, exec_cell.column, "=52.07+64.88")
    wb.save(path)
    del xlsxwriter
    sub = read_submission(path)
    codes = {(p.code, p.cell) for p in sub.problems}
    assert ("uncomputed_formula", exec_cell.coordinate) in codes
    v = sub.overall.get("funds.total.executed")
    assert v.uncomputed and v.amount().value is None      # never read as 0


def test_overall_table_with_project_style_funding_rows_is_still_the_overall_table(tmp_path):
    """Some provinces lay out the overall table's funds like a project's (当年财政拨款 …): the title decides."""
    from openpyxl.cell.cell import MergedCell

    wb = openpyxl.load_workbook(io.BytesIO(seed_layout.build("seed")))
    ws = wb["附件2"]
    for row in ws.iter_rows():
        for c in row:
            if not isinstance(c, MergedCell) and isinstance(c.value, str) and "一般公共预算" in c.value:
                c.value = "其中：当年财政拨款"
    path = tmp_path / "overall.xlsx"
    wb.save(path)
    sub = read_submission(path)
    assert sub.tables_found == ["basic", "overall", "project"]
    assert sub.overall.sheet == "附件2" and sub.overall.get("funds.total.executed").amount().value == Decimal("116.95")
    assert "income.general" not in sub.overall.fields and "income.other" not in sub.overall.fields


def test_spare_blank_project_sheets_are_ignored(tmp_path):
    data = load_json(EXAMPLE_JSON)
    path = tmp_path / "three.xlsx"
    path.write_bytes(build_workbook(TemplateOptions(projects=3), flatten(data)))
    sub = read_submission(path)
    assert [p.get("name").text() for p in sub.projects] == ["移动网格平台"]
    assert any(p.code == "read_note" and p.sheet == forms.project_sheet_name(3) for p in sub.problems)
    from gridbudget.check.engine import run_rules
    assert any(f.code == "C-READ-NOTE" and f.sheet == forms.project_sheet_name(2) for f in run_rules(sub))
