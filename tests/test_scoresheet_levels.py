"""The 评分汇总 sheet shows each table's own 一级 groups: 产出 / 效益 / 满意度 for the national
families, 项目决策 / 项目管理 … for a rubric, 投入 / 过程 / 产出 / 效益 for a department rubric, one
header per set of groups; the sheet still fits A4 one page wide at a legible scale."""

from __future__ import annotations

import openpyxl
import pytest
from helpers import EXAMPLE_XLSX
from printcheck import fit_problems

from gridbudget.read.tables import read_submission
from test_families import _DM_ROWS
from gridbudget.score.engine import score_submission
from gridbudget.write import style
from gridbudget.write.scoresheet import score_dict, write_scored_copy

# a 项目决策 / 项目管理 / 项目绩效 table (the one tests/test_families.py builds, from FAMILIES)
DM_ROWS = _DM_ROWS
# a department rubric with four groups (投入 / 过程 / 产出 / 效益, FAMILIES)
RUBRIC4 = [
    ["2023年度部门整体支出绩效评价自评表"],
    ["单位", "某县农业农村局"],
    ["序号", "一级指标", "二级指标", "三级指标", "指标分值", "指标解释", "指标说明及评分标准", "自评得分"],
    [1, "投入（15分）", "预算配置（15分）", "在职人员控制率", 15, "在职人数 ÷ 编制数", "≤100%得满分", 15],
    [2, "过程（35分）", "预算执行（20分）", "预算完成率", 20, "执行数 ÷ 预算数", "每低5%扣2分", 18],
    [3, None, "预算管理（15分）", "管理制度健全性", 15, "制度是否健全", "健全得满分", 15],
    [4, "产出（30分）", "职责履行（30分）", "重点工作完成率", 30, "完成数 ÷ 计划数", "按比例计分", 27],
    [5, "效益（20分）", "履职效益（20分）", "社会效益", 20, "社会影响", "按效果计分", 18],
]


def write_rows(path, rows, ws=None):
    wb = None
    if ws is None:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "表"
    for r, cells in enumerate(rows, 1):
        for c, v in enumerate(cells, 1):
            if v is not None:
                ws.cell(r, c, v)
    if wb is not None:
        wb.save(path)
    return path


def scored(src, tmp_path, name="scored.xlsx"):
    sub = read_submission(src)
    score = score_submission(sub)
    out = write_scored_copy(src, tmp_path / name, score, None, unit=sub.unit, year=sub.year)
    return score, openpyxl.load_workbook(out)["评分汇总"], out


def headers(ws):
    """(row, [labels of the row]) of each summary header row (the row that starts with 表 over 全年预算数)."""
    out = []
    for row in ws.iter_rows():
        values = [c.value for c in row]
        if values[0] == "表" and values[1] == "全年预算数\n（万元）":
            out.append((row[0].row, values))
    return out


def printable(ws):
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width for c in range(1, ws.max_column + 1)]
    return style.print_scale(widths)


@pytest.fixture
def mixed(tmp_path):
    """The seed with a 项目决策 / 项目管理 / 项目绩效 table added as a second project."""
    wb = openpyxl.load_workbook(EXAMPLE_XLSX)
    write_rows(None, DM_ROWS, wb.create_sheet("项目支出自评表-2"))
    path = tmp_path / "mixed.xlsx"
    wb.save(path)
    return path


def test_seed_keeps_the_national_groups(tmp_path):
    _score, ws, out = scored(EXAMPLE_XLSX, tmp_path)
    ((_r, labels),) = headers(ws)
    assert labels == ["表", "全年预算数\n（万元）", "全年执行数\n（万元）", "执行率", "执行率得分", None, "产出指标", None,
                      "效益指标", None, "满意度指标", None, "总分", None, "差额", "等级", None, "审核问题", None]
    assert ws.max_column == 19


def test_a_rubric_table_shows_its_own_groups(mixed, tmp_path):
    score, ws, out = scored(mixed, tmp_path)
    (first, national), (second, rubric) = headers(ws)
    assert national[6:12:2] == ["产出指标", "效益指标", "满意度指标"]
    assert rubric[6:12:2] == ["项目决策", "项目管理", "产出指标"]                # as the table lists them
    assert [ws.cell(second + 1, c).value for c in range(5, 13)] == ["自评", "重算"] * 4
    rows = {}
    for r in ws.iter_rows():                  # the summary rows (the details below name the tables again)
        rows.setdefault(r[0].value, [c.value for c in r])
    assert rows["移动网格平台"][6:12] == [49, 50, 30, 30, 10, 10]
    assert rows["乡村道路养护"][4:17] == [None, None, 2, 2, 11, 11, 15, 15, 28, 28, 0, "差", "差"]
    assert first < second < next(r[0].row for r in ws.iter_rows() if r[0].value == "乡村道路养护")
    dm = score_dict(score)["tables"][2]
    assert [(l["name"], l["weight"], l["self"]) for l in dm["levels"]] == [("项目决策", 2, 2), ("项目管理", 12, 11),
                                                                             ("产出指标", 15, 15)]
    assert fit_problems(out, sheets=["评分汇总"]) == []
    assert printable(ws) >= 75


def test_four_groups_widen_the_sheet_and_it_still_fits(tmp_path):
    score, ws, out = scored(write_rows(tmp_path / "rubric4.xlsx", RUBRIC4), tmp_path, "rubric4-scored.xlsx")
    ((r, labels),) = headers(ws)
    assert labels[6:14:2] == ["投入", "过程", "产出", "效益"]      # the table's words, not 产出指标 / 效益指标
    row = [c.value for c in ws[r + 2]]
    assert row[6:18] == [15, 15, 33, 33, 27, 27, 18, 18, 93, 93, 0, "优"]
    assert ws.max_column == 21
    assert fit_problems(out, sheets=["评分汇总"]) == []
    assert printable(ws) == 85
    # the detail and rubric grids take the two columns more in their last column
    rubric_header = next(row for row in ws.iter_rows() if row[0].value == "一级指标" and row[1].value == "二级指标")
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert f"O{rubric_header[0].row}:U{rubric_header[0].row}" in merged       # 评分方式与理由, 5 + 2 columns
