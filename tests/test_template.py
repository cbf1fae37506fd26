"""The standardized template: structure, names, labels, protection (no LibreOffice needed)."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import openpyxl
import pytest

from gridbudget import forms
from gridbudget.submission import flatten, load_json
from gridbudget.write.template import TemplateOptions, build_workbook, resolve_formula
from helpers import EXAMPLE_JSON, ROOT, SEED_TEXT, named_cells

SHEETS = [forms.GUIDE_SHEET, forms.BASIC.sheet, forms.OVERALL.sheet, forms.project_sheet_name(1)]


@pytest.fixture(scope="module")
def blank():
    return openpyxl.load_workbook(io.BytesIO(build_workbook(TemplateOptions(unit="测试单位", year=2024))))


@pytest.fixture(scope="module")
def example():
    flat = flatten(load_json(EXAMPLE_JSON))
    return openpyxl.load_workbook(io.BytesIO(build_workbook(TemplateOptions(), flat)))


def table_sheets(wb):
    yield forms.BASIC, wb[forms.BASIC.sheet]
    yield forms.OVERALL, wb[forms.OVERALL.sheet]
    yield forms.PROJECT, wb[forms.project_sheet_name(1)]


def test_sheets_in_order(blank):
    assert blank.sheetnames == SHEETS


def test_projects_option_adds_sheets():
    wb = openpyxl.load_workbook(io.BytesIO(build_workbook(TemplateOptions(year=2024, projects=3))))
    assert wb.sheetnames[-3:] == [forms.project_sheet_name(i) for i in (1, 2, 3)]
    # each project sheet carries its own (sheet-scoped) names
    for i in (1, 2, 3):
        assert "gb_funds_total_executed" in wb[forms.project_sheet_name(i)].defined_names


def test_every_field_has_its_defined_name_on_the_right_cell(blank):
    for table, ws in table_sheets(blank):
        names = named_cells(blank, ws.title)
        placed = forms.layout(table)
        for key, field, block in forms.iter_fields(table):
            name = forms.defined_name(key)
            assert name in names, f"{ws.title}: no defined name {name}"
            r1, c1, r2, c2 = names[name]
            if block is None:
                row, col = placed.cell(key)
                assert (r1, c1) == (row + 1, col + 1), key
            else:
                rep = placed.repeats[block]
                assert (r1, r2) == (rep.first + 1, rep.last + 1), key
                assert c1 == c2 == rep.cols[key[len(block) + 1:]] + 1
        assert forms.FORM_MARKER + table.key in names


def _sheet_text(ws) -> str:
    return "\n".join(str(c.value) for row in ws.iter_rows() for c in row if isinstance(c.value, str))


SEED_LABELS = {
    "basic": ["财政供养人员情况（人）", "编制数", "2024年实际在职人数", "控制率", "经费控制情况（万元）",
              "2023年决算数", "2024年预算数", "2024年决算数", "三公经费", "1、公务用车购置和维护经费",
              "其中：公车购置", "公车运行维护", "2、出国经费", "3、公务接待", "项目支出：",
              "市级专项资金（一个专项一行）", "公用经费", "其中：办公经费", "水费、电费、差旅费", "会议费、培训费",
              "政府采购金额", "部门基本支出预算调整", "楼堂馆所控制情况", "2024年完工项目", "规模控制率",
              "投资概算控制率", "厉行节约保障措施", "填表人：", "填报日期：", "联系电话：", "单位负责人签字：",
              "2024年度部门整体支出绩效评价基础数据表"],
    "overall": ["2024年度部门整体支出绩效自评表", "市级预算部门名称", "年初预算数", "全年预算数", "全年执行数",
                "分值", "执行率", "得分", "年度资金总额", "按收入性质分：", "按支出性质分：", "一般公共预算",
                "政府性基金拨款", "纳入专户管理的非税收入拨款", "其他资金", "基本支出", "项目支出", "年度总体目标",
                "预期目标", "实际完成情况", "绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值",
                "偏差原因分析及改进措施", "总分", "产出指标", "效益指标", "满意度指标", "数量指标", "质量指标",
                "时效指标", "成本指标", "经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标",
                "服务对象满意度指标", "单位负责人签字："],
    "project": ["2024年度项目支出绩效自评表", "项目支出名称", "主管部门", "实施单位", "项目资金（万元）", "年度资金总额",
                "其中：当年财政拨款", "上年结转资金", "其他资金", "年初预算数", "全年预算数", "全年执行数", "分值",
                "执行率", "得分", "年度总体目标", "预期目标", "实际完成情况", "一级指标", "三级指标",
                "偏差原因分析及改进措施", "总分", "填报日期："],
}


@pytest.mark.parametrize("table_key", ["basic", "overall", "project"])
def test_template_shows_the_seed_labels(blank, table_key):
    seed = SEED_TEXT.read_text(encoding="utf-8")
    ws = dict((t.key, w) for t, w in table_sheets(blank))[table_key]
    text = _sheet_text(ws)
    for label in SEED_LABELS[table_key]:
        assert label.replace(" ", "") in re.sub(r"[ \n]", "", text), f"{ws.title} lacks {label}"
        assert label.replace(" ", "") in re.sub(r"[ \n\t]", "", seed), f"not a seed label: {label}"


def test_field_labels_come_from_the_seed():
    """Each field's official label is one the seed uses (our own additions are listed)."""
    seed = re.sub(r"\s", "", SEED_TEXT.read_text(encoding="utf-8"))
    additions = {"填报单位", "年度", "项目名称", "专项名称", "楼堂馆所项目名称", "批复规模", "实际规模", "预算投资",
                 "实际投资"}
    for table in forms.TABLES.values():
        for key, field, _block in forms.iter_fields(table):
            core = re.sub(r"（.*?）$", "", field.label.format(year=2024, prev_year=2023)).strip()
            core = re.sub(r"(分值|得分)小计$", "", core)
            if core in additions or key.startswith("total."):
                continue
            assert core in seed, f"{table.key}.{key}: label {field.label!r} is not in the seed"


def test_computed_cells_are_locked_formulas_and_inputs_unlocked(blank):
    for table, ws in table_sheets(blank):
        assert ws.protection.sheet, ws.title
        assert not ws.protection.password
        placed = forms.layout(table)
        for key, (row, col, field) in placed.fields.items():
            cell = ws.cell(row + 1, col + 1)
            if field.computed:
                assert isinstance(cell.value, str) and cell.value.startswith("="), key
                assert cell.value == resolve_formula(field.formula, placed)
                assert cell.protection.locked, key
            else:
                assert cell.protection.locked is False, key
        for rep in placed.repeats.values():
            for col in rep.cols.values():
                for r in range(rep.first, rep.last + 1):
                    assert ws.cell(r + 1, col + 1).protection.locked is False


def test_number_formats_and_validation(blank):
    ws = blank[forms.OVERALL.sheet]
    placed = forms.layout(forms.OVERALL)
    r, c = placed.cell("funds.total.executed")
    assert ws.cell(r + 1, c + 1).number_format == "0.00"
    r, c = placed.cell("funds.total.rate")
    assert ws.cell(r + 1, c + 1).number_format == "0.00%"
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert {"list", "decimal"} <= kinds
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert any("数量指标" in (dv.formula1 or "") for dv in lists)
    assert all(dv.promptTitle or dv.prompt for dv in ws.data_validations.dataValidation if dv.type != "list")


def test_print_setup(blank):
    for table, ws in table_sheets(blank):
        assert ws.page_setup.paperSize in (9, "9")
        assert ws.page_setup.orientation == ("landscape" if table.landscape else "portrait")
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (None, 1, "1") and ws.page_setup.fitToHeight in (0, "0")
        assert ws.print_title_rows
        assert ws.freeze_panes == "A3"


def test_header_options_written(blank):
    ws = blank[forms.OVERALL.sheet]
    placed = forms.layout(forms.OVERALL)
    r, c = placed.cell("unit")
    assert ws.cell(r + 1, c + 1).value == "测试单位"
    r, c = placed.cell("year")
    assert ws.cell(r + 1, c + 1).value == 2024
    assert ws.cell(1, 1).value == "2024年度部门整体支出绩效自评表"


def test_example_values_are_in_their_named_cells(example):
    ws = example[forms.OVERALL.sheet]
    names = named_cells(example, ws.title)
    r1, c1, *_ = names["gb_funds_total_budget"]
    assert ws.cell(r1, c1).value == pytest.approx(117.98)
    r1, c1, r2, _ = names["gb_ind_output_cost_target"]
    assert ws.cell(r1, c1).value == "≤120.54万元"
    ws = example[forms.project_sheet_name(1)]
    names = named_cells(example, ws.title)
    r1, c1, *_ = names["gb_name"]
    assert ws.cell(r1, c1).value == "移动网格平台"


def test_template_is_deterministic():
    assert build_workbook(TemplateOptions(year=2024)) == build_workbook(TemplateOptions(year=2024))


def test_committed_workbooks_match_the_generator():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_templates.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cli_template(tmp_path):
    from typer.testing import CliRunner
    from gridbudget.cli import app

    out = tmp_path / "t.xlsx"
    res = CliRunner().invoke(app, ["template", "-o", str(out), "--unit", "某单位", "--year", "2025", "--projects", "2"])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[-2:] == [forms.project_sheet_name(1), forms.project_sheet_name(2)]
    assert wb[forms.BASIC.sheet].cell(1, 1).value == "2025年度部门整体支出绩效评价基础数据表"


def test_cli_fill_refuses_to_overwrite_input(tmp_path):
    from typer.testing import CliRunner
    from gridbudget.cli import app

    data = tmp_path / "d.json"
    data.write_bytes(EXAMPLE_JSON.read_bytes())
    before = data.read_bytes()
    res = CliRunner().invoke(app, ["fill", str(data), "-o", str(data)])
    assert res.exit_code == 3
    assert "应以 .xlsx 结尾" in res.output            # the one output rule: the suffix is the format's
    assert data.read_bytes() == before
    filled = tmp_path / "filled.xlsx"                # an existing file gridbudget did not write
    filled.write_bytes(b"PK\x03\x04")
    res = CliRunner().invoke(app, ["template", "-o", str(filled)])
    assert res.exit_code == 3 and "--force" in res.output and filled.read_bytes() == b"PK\x03\x04"
    res = CliRunner().invoke(app, ["template", "-o", str(filled), "--force"])
    assert res.exit_code == 0 and filled.stat().st_size > 1000
    res = CliRunner().invoke(app, ["template", "-o", str(filled)])   # its own output: replaced
    assert res.exit_code == 0


def test_a_projects_only_fill_takes_the_year_of_its_projects():
    """JSON with project tables only: the blank 基础数据表 and 整体支出自评表 carry the projects' year, not last year."""
    import io
    import json as _json

    import openpyxl

    from gridbudget.submission import flatten
    from gridbudget.write.template import TemplateOptions, build_workbook
    from helpers import EXAMPLE_JSON

    d = _json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))
    flat = flatten({"schema": d["schema"], "projects": d["projects"]})
    wb = openpyxl.load_workbook(io.BytesIO(build_workbook(TemplateOptions(), flat)))
    assert wb["整体支出自评表"]["A1"].value.startswith("2024年度") and wb["基础数据表"]["A1"].value.startswith("2024")
