"""Rules about what cells say and how they are written (W-AMOUNT-TEXT … C-LEVEL1-BLANK).

Each rule gets a positive and a negative case, mostly on a tiny hand-typed workbook in the
central 2020 project layout (项目支出绩效自评表), read by the label reader like a real submission.
"""

from __future__ import annotations

import copy
import io

import openpyxl
import pytest

from gridbudget.check.engine import run_rules
from gridbudget.check.findings import INFO, WARNING
from gridbudget.model import ReadProblem, Val
from gridbudget.read.tables import read_submission
from helpers import EXAMPLE_XLSX

SHEET = "项目表"
# rows of the workbook below: 5 年度资金总额, 6 当年财政拨款, 7 上年结转资金, 8 其他资金, 10 goals,
# 12 数量, 13 质量, 14 时效, 15 成本, 16 社会效益, 17 满意度 (columns D name … I note)
BASE_INDS = [
    ("产出指标", "数量指标", [("培训网格员", "≥100人次", "120人次", 20, 20, "无偏差")]),
    (None, "质量指标", [("培训合格率", "≥95%", "98%", 10, 10, "无偏差")]),
    (None, "时效指标", [("按期完成", "12月底前", "按期完成", 10, 10, "无偏差")]),
    (None, "成本指标", [("项目总成本", "≤50万元", "45万元", 10, 10, "无偏差")]),
    ("效益指标", "社会效益指标", [("基层治理能力", "有效提升", "有效提升", 30, 30, "无偏差")]),
    ("满意度指标", "服务对象满意度指标", [("群众满意度", "≥90%", "95%", 10, 10, "无偏差")]),
]
LEVEL2 = {"quantity": "数量指标", "quality": "质量指标", "timeliness": "时效指标", "cost": "成本指标",
          "social": "社会效益指标", "service": "服务对象满意度指标"}


def book(tmp_path, *, title="2024年度项目支出绩效自评表", name="网格员培训", total=(50, 50, 45),
         current=(50, 50, 45), carryover=(None, None, None), rate=0.9, rate_fmt="0.00%",
         goals=("组织网格员培训，提升基层治理能力。", "完成培训120人次。"), inds=None, **ind_cells):
    """A project table typed by hand in the central 2020 layout; ``ind_cells``: quantity_target="…" etc."""
    inds = copy.deepcopy(inds or BASE_INDS)
    cols = ("name", "target", "actual", "weight", "score", "note")
    for key, value in ind_cells.items():
        block, col = key.rsplit("_", 1)
        rows = next(rows for _l1, l2, rows in inds if l2 == LEVEL2[block])
        r = list(rows[0])
        r[cols.index(col)] = value
        rows[0] = tuple(r)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append([title])
    ws.append(["项目名称", name])
    ws.append(["主管部门", "某区财政局", None, "实施单位", "某区网格化中心"])
    ws.append(["项目资金（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"])
    ws.append([None, "年度资金总额", *total, 10, rate, 9])
    ws.cell(5, 7).number_format = rate_fmt
    ws.append([None, "其中：当年财政拨款", *current])
    ws.append([None, "上年结转资金", *carryover])
    ws.append([None, "其他资金"])
    ws.append(["年度总体目标", "预期目标", None, None, None, "实际完成情况"])
    ws.append([None, goals[0], None, None, None, goals[1]])
    ws.append(["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
               "偏差原因分析及改进措施"])
    for l1, l2, rows in inds:
        for k, r in enumerate(rows):
            ws.append([None, l1 if k == 0 else None, l2 if k == 0 else None, *(r or (None,) * 6)])
    ws.append(["总分", None, None, None, None, None, 100, 99])
    path = tmp_path / "p.xlsx"
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())
    return read_submission(path)


def hits(sub, code):
    return sorted((f.severity, f.where) for f in run_rules(sub) if f.code == code)


def messages(sub, code):
    return [f.message for f in run_rules(sub) if f.code == code]


def at(cell: str) -> str:
    return f"{SHEET}!{cell}"


@pytest.fixture(scope="module")
def seed():
    return read_submission(EXAMPLE_XLSX)


def test_base_workbook_raises_none_of_these_rules(tmp_path):
    sub = book(tmp_path)
    assert sub.projects[0].source == "layout"
    codes = {f.code for f in run_rules(sub)}
    assert codes == {"C-TABLE-MISSING"}, codes


NEW_CODES = ("W-AMOUNT-TEXT", "W-RATE-FORMAT", "W-EXEC-AS-INDICATOR", "W-ACTUAL-AS-TARGET",
             "W-QUANTITY-RESTATES-BUDGET", "W-COST-ACTUAL-BUDGET", "W-FUNDS-SUBROW-BLANK", "C-TEMPLATE-TEXT",
             "C-GOAL-RESTATES", "C-GOAL-YEAR", "C-QUAL-TARGET-SCALE", "C-NAME-IS-TITLE", "C-LEVEL2-EMPTY",
             "C-LEVEL1-BLANK")


def test_seed_raises_none_of_these_rules(seed):
    assert not [f for f in run_rules(seed) if f.code in NEW_CODES]


# ---------------------------------------------------------------------------
# W-AMOUNT-TEXT
# ---------------------------------------------------------------------------
def test_amount_text_fires_per_cell(tmp_path):
    sub = book(tmp_path, total=("150万", "300万元", "125.25万"), current=(150, 300, 125.25))
    assert hits(sub, "W-AMOUNT-TEXT") == [(WARNING, at("C5")), (WARNING, at("D5")), (WARNING, at("E5"))]
    msg = messages(sub, "W-AMOUNT-TEXT")[0]
    assert "“150万”" in msg and "150.00万元" in msg


def test_amount_text_silent_on_numbers_dashes_and_blanks(tmp_path):
    sub = book(tmp_path, total=(50, "50", 45), carryover=("—", "", None))
    assert hits(sub, "W-AMOUNT-TEXT") == []


def test_amount_text_on_basic_table_amounts(seed):
    sub = copy.deepcopy(seed)
    v = sub.basic.fields["public.final"]
    sub.basic.fields["public.final"] = Val("4.55万元", v.sheet, v.cell)
    assert (WARNING, f"{v.sheet}!{v.cell}") in hits(sub, "W-AMOUNT-TEXT")


# ---------------------------------------------------------------------------
# W-RATE-FORMAT
# ---------------------------------------------------------------------------
def test_rate_format_text_and_bare_numbers(tmp_path):
    assert hits(book(tmp_path, rate="90 %", rate_fmt="General"), "W-RATE-FORMAT") == [(INFO, at("G5"))]
    sub = book(tmp_path, rate=0.9, rate_fmt="General")
    assert hits(sub, "W-RATE-FORMAT") == [(INFO, at("G5"))]
    assert "读作 90.00%" in messages(sub, "W-RATE-FORMAT")[0]
    assert hits(book(tmp_path, total=(50, 50, 50), current=(50, 50, 50), rate=1, rate_fmt="General"),
                "W-RATE-FORMAT") == [(INFO, at("G5"))]


def test_rate_format_silent_on_percent_cells_and_template_formulas(tmp_path, seed):
    assert hits(book(tmp_path, rate=0.9, rate_fmt="0.00%"), "W-RATE-FORMAT") == []
    assert seed.projects[0].fields["funds.total.rate"].is_formula
    assert hits(seed, "W-RATE-FORMAT") == []


# ---------------------------------------------------------------------------
# C-TEMPLATE-TEXT
# ---------------------------------------------------------------------------
def test_template_text_in_goals_notes_and_text_blocks(tmp_path):
    sub = book(tmp_path, goals=("（200字以内）", "结合项目实际完成情况说明目标完成情况"),
               quantity_note="请分析偏差原因并提出改进措施")
    td = sub.projects[0]
    td.fields["text.conclusion"] = Val("对照年度绩效目标，说明评价结论（300字以内）", SHEET, "B20")
    assert hits(sub, "C-TEMPLATE-TEXT") == [(WARNING, at("B10")), (WARNING, at("B20")), (WARNING, at("F10")),
                                            (WARNING, at("I12"))]


def test_template_text_silent_on_real_content(tmp_path):
    sub = book(tmp_path, goals=("结合网格化工作实际，组织网格员培训3期。", "完成培训120人次。"),
               quantity_note="针对培训需求增加了1期")
    sub.projects[0].fields["text.problems"] = Val("部分网格员年龄偏大，信息化操作能力不足。", SHEET, "B21")
    assert hits(sub, "C-TEMPLATE-TEXT") == []


# ---------------------------------------------------------------------------
# C-GOAL-RESTATES
# ---------------------------------------------------------------------------
def test_goal_restates_number_or_project_name(tmp_path):
    assert hits(book(tmp_path, goals=("287", "171")), "C-GOAL-RESTATES") == [(INFO, at("B10")), (INFO, at("F10"))]
    sub = book(tmp_path, name="网格员培训项目", goals=("网格员培训", "完成培训120人次。"))
    assert hits(sub, "C-GOAL-RESTATES") == [(INFO, at("B10"))]


def test_goal_restates_silent_on_real_goals(tmp_path):
    assert hits(book(tmp_path), "C-GOAL-RESTATES") == []
    sub = book(tmp_path, name="网格员培训", goals=("网格员培训120人次，合格率95%以上", "完成培训120人次。"))
    assert hits(sub, "C-GOAL-RESTATES") == []


# ---------------------------------------------------------------------------
# C-GOAL-YEAR
# ---------------------------------------------------------------------------
def test_goal_year_other_than_table_year(tmp_path):
    sub = book(tmp_path, title="2023年度项目支出绩效自评表",
               goals=("2022年计划使用财政资金45万元，开展网格员培训。", "完成培训。"))
    assert sub.projects[0].year == 2023
    assert hits(sub, "C-GOAL-YEAR") == [(INFO, at("B10"))]
    assert "2022年" in messages(sub, "C-GOAL-YEAR")[0]


@pytest.mark.parametrize("goal", ["2024年计划使用财政资金45万元。", "落实2021—2025年网格化建设规划，2023年已启动。",
                                  "组织网格员培训，提升基层治理能力。"])
def test_goal_year_silent_when_year_matches_or_is_absent(tmp_path, goal):
    assert hits(book(tmp_path, goals=(goal, "完成。")), "C-GOAL-YEAR") == []


# ---------------------------------------------------------------------------
# C-QUAL-TARGET-SCALE
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["优良中低差", "优/良/中/差", "好、较好、一般、差"])
def test_qual_target_scale(tmp_path, target):
    assert hits(book(tmp_path, social_target=target), "C-QUAL-TARGET-SCALE") == [(INFO, at("E16"))]


@pytest.mark.parametrize("target", ["良好", "优良", "有效提升", "中等偏上水平显著提升"])
def test_qual_target_scale_silent_on_a_chosen_grade(tmp_path, target):
    assert hits(book(tmp_path, social_target=target), "C-QUAL-TARGET-SCALE") == []


# ---------------------------------------------------------------------------
# C-NAME-IS-TITLE
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["网格员培训项目支出绩效自评表", "网格员培训绩效目标表"])
def test_name_is_title(tmp_path, name):
    assert hits(book(tmp_path, name=name), "C-NAME-IS-TITLE") == [(INFO, at("B2"))]


def test_name_is_title_silent_on_a_project_name(tmp_path):
    assert hits(book(tmp_path, name="网格员自评能力培训"), "C-NAME-IS-TITLE") == []


# ---------------------------------------------------------------------------
# W-EXEC-AS-INDICATOR
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["预算执行率", "资金执行率", "预算资金执行率"])
def test_exec_as_indicator(tmp_path, name):
    assert hits(book(tmp_path, quality_name=name), "W-EXEC-AS-INDICATOR") == [(INFO, at("D13"))]


@pytest.mark.parametrize("name", ["政策执行率", "培训合格率"])
def test_exec_as_indicator_silent_on_other_rates(tmp_path, name):
    assert hits(book(tmp_path, quality_name=name), "W-EXEC-AS-INDICATOR") == []


# ---------------------------------------------------------------------------
# W-ACTUAL-AS-TARGET
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("actual", ["≥90%", "不低于90%", "100人次以上"])
def test_actual_as_target(tmp_path, actual):
    assert hits(book(tmp_path, service_actual=actual), "W-ACTUAL-AS-TARGET") == [(WARNING, at("F17"))]


@pytest.mark.parametrize("actual", ["95%", "100余次", "有效提升"])
def test_actual_as_target_silent_on_figures(tmp_path, actual):
    assert hits(book(tmp_path, service_actual=actual), "W-ACTUAL-AS-TARGET") == []


# ---------------------------------------------------------------------------
# W-QUANTITY-RESTATES-BUDGET
# ---------------------------------------------------------------------------
def test_quantity_restates_budget(tmp_path):
    sub = book(tmp_path, total=(7.29, 7.29, 7), current=(7.29, 7.29, 7), rate=0.9602, quantity_target="72890元")
    assert hits(sub, "W-QUANTITY-RESTATES-BUDGET") == [(INFO, at("E12"))]
    assert "7.29万元" in messages(sub, "W-QUANTITY-RESTATES-BUDGET")[0]


def test_quantity_restates_budget_with_unit_column(tmp_path):
    sub = book(tmp_path, total=(7.29, 7.29, 7), current=(7.29, 7.29, 7), rate=0.9602, quantity_target=72890)
    row = sub.projects[0].blocks["ind.output.quantity"][0]
    assert hits(sub, "W-QUANTITY-RESTATES-BUDGET") == []          # a bare number is not money
    row["munit"] = Val("元", SHEET, "J12")
    assert hits(sub, "W-QUANTITY-RESTATES-BUDGET") == [(INFO, at("E12"))]


@pytest.mark.parametrize("target", ["≥100人次", "400000元", "≥50"])
def test_quantity_restates_budget_silent_on_quantities(tmp_path, target):
    assert hits(book(tmp_path, quantity_target=target), "W-QUANTITY-RESTATES-BUDGET") == []


# ---------------------------------------------------------------------------
# W-COST-ACTUAL-BUDGET
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("actual", ["50万元", "500000元"])
def test_cost_actual_is_the_budget(tmp_path, actual):
    assert hits(book(tmp_path, cost_actual=actual), "W-COST-ACTUAL-BUDGET") == [(WARNING, at("F15"))]


def test_cost_actual_silent_on_spending_unit_costs_and_full_execution(tmp_path):
    assert hits(book(tmp_path, cost_actual="45万元"), "W-COST-ACTUAL-BUDGET") == []
    # a unit cost is not an amount of the project, even when its number happens to match
    assert hits(book(tmp_path, cost_name="每人培训成本", cost_target="≤50万元", cost_actual="50万元"),
                "W-COST-ACTUAL-BUDGET") == []
    assert hits(book(tmp_path, total=(65.66, 65.66, 60), current=(65.66, 65.66, 60), rate=0.9138,
                     cost_name="培训成本", cost_target="≤75元/人", cost_actual="75元"), "W-COST-ACTUAL-BUDGET") == []
    # executed equals the budget: the actual is right
    assert hits(book(tmp_path, total=(50, 50, 50), current=(50, 50, 50), rate=1, cost_actual="50万元"),
                "W-COST-ACTUAL-BUDGET") == []


# ---------------------------------------------------------------------------
# W-FUNDS-SUBROW-BLANK
# ---------------------------------------------------------------------------
def test_funds_subrow_blank(tmp_path):
    sub = book(tmp_path, total=(0, 0, 207.45), current=(None, None, 207.45), rate=None)
    assert hits(sub, "W-FUNDS-SUBROW-BLANK") == [(WARNING, at("C6")), (WARNING, at("D6"))]


def test_funds_subrow_blank_silent_when_filled_or_from_another_source(tmp_path):
    assert hits(book(tmp_path), "W-FUNDS-SUBROW-BLANK") == []
    sub = book(tmp_path, total=(50, 50, 45), current=(None, 50, 45), carryover=(50, None, None))
    assert hits(sub, "W-FUNDS-SUBROW-BLANK") == []
    sub = book(tmp_path, total=(None, 50, 45), current=(None, 50, 45))
    assert hits(sub, "W-FUNDS-SUBROW-BLANK") == []


# ---------------------------------------------------------------------------
# C-LEVEL2-EMPTY
# ---------------------------------------------------------------------------
def test_level2_empty_in_a_layout_table(tmp_path):
    inds = copy.deepcopy(BASE_INDS)
    inds[2] = (None, "时效指标", [None])
    assert hits(book(tmp_path, inds=inds), "C-LEVEL2-EMPTY") == [(INFO, at("C14"))]


def test_level2_empty_silent_on_benefit_rows_and_template_tables(tmp_path, seed):
    inds = copy.deepcopy(BASE_INDS)
    inds.insert(5, (None, "生态效益指标", [None]))         # 效益 二级 are chosen per project
    sub = book(tmp_path, inds=inds)
    assert sub.projects[0].fields["ind.benefit.ecological.label"].cell == "C17"
    assert hits(sub, "C-LEVEL2-EMPTY") == []
    tpl = copy.deepcopy(seed)
    tpl.projects[0].blocks["ind.output.timeliness"] = []     # spare 二级 rows are normal in the template
    assert hits(tpl, "C-LEVEL2-EMPTY") == []


# ---------------------------------------------------------------------------
# C-LEVEL1-BLANK
# ---------------------------------------------------------------------------
def test_level1_blank_from_read_problem(tmp_path):
    sub = book(tmp_path)
    sub.problems.append(ReadProblem("level1_inferred", "一级指标未填，按二级指标“数量指标”推定为产出指标。",
                                    SHEET, "B12"))
    assert hits(sub, "C-LEVEL1-BLANK") == [(INFO, at("B12"))]
    assert messages(sub, "C-LEVEL1-BLANK") == ["一级指标未填，按二级指标“数量指标”推定为产出指标。"]


def test_level1_blank_silent_on_other_read_problems(tmp_path):
    sub = book(tmp_path)
    sub.problems.append(ReadProblem("read_note", "空白的项目表被忽略。", SHEET, "A1"))
    assert hits(sub, "C-LEVEL1-BLANK") == []


def test_level1_blank_end_to_end(tmp_path):
    """The label reader infers 效益指标 for an empty 一级 cell above a 效益 二级 and says where."""
    inds = copy.deepcopy(BASE_INDS)
    inds[4] = (None, "社会效益指标", inds[4][2])
    assert hits(book(tmp_path, inds=inds), "C-LEVEL1-BLANK") == [(INFO, at("B16"))]
