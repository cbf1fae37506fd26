"""表间 rule ``X-REPORT-TEXT``: the report's text against the tables (needs ``--report``).

Registered last, as it always was (registration order is run order)."""

from __future__ import annotations

from ..findings import ERROR, KIND_ACROSS
from ..findings import fmt_value
from ..engine import Ctx, Hit, rule
from .common import money, neq


# ---------------------------------------------------------------------------
# 表间: the report's text against the tables (needs --report)
# ---------------------------------------------------------------------------
_PROSE_NAMES = {"total": "整体支出自评表全年执行数", "basic": "整体支出自评表基本支出", "project": "整体支出自评表项目支出",
                "public": "基础数据表公用经费本年决算数", "staff_authorized": "基础数据表编制数",
                "staff_actual": "基础数据表实际在职人数", "self_score": "整体支出自评表总分（各项得分之和）"}
_SANGONG_NAMES = {"sangong": "三公经费", "car": "公务用车购置和维护经费", "car_operation": "公车运行维护",
                  "reception": "公务接待", "abroad": "出国经费"}


@rule("X-REPORT-TEXT", KIND_ACROSS, ERROR, "报告正文数字与附表不符",
      "自评报告正文中重述的数字（整体支出、基本支出、项目支出、公用经费、三公经费及其各项、编制数与实有人数、自评得分）"
      "应与附表一致（需用 --report 提供报告正文 .txt 或 .docx）。", "RULES V13、DOMAIN 第 6 项")
def report_text(ctx: Ctx):
    if not ctx.report:
        return
    from ..prose import statements, table_value
    from ...score.engine import score_table

    self_total = None
    if ctx.sub.overall is not None:
        self_total = score_table(ctx.sub.overall, ctx.profile).total_self
    for st in statements(ctx.report):
        value, val = table_value(ctx.sub, st, self_total)
        if value is None:
            continue
        tol = ctx.profile.score_tolerance if st.unit == "分" else ctx.profile.amount_tolerance
        if neq(st.value, value, tol):
            if st.target in _SANGONG_NAMES:
                what = f"基础数据表{_SANGONG_NAMES[st.target]}{'本年预算数' if st.column == 'budget' else '本年决算数'}"
            else:
                what = _PROSE_NAMES[st.target]
            shown = f"{fmt_value(value)}{st.unit}" if st.unit != "万元" else money(value)
            td = next((t for t in ctx.sub.tables if val is not None and t.sheet == val.sheet), None)
            yield Hit(td, val, f"报告正文第 {st.line} 行“{st.excerpt}”写的是 {fmt_value(st.value)}{st.unit}，"
                               f"{what}为 {shown}。",
                      expected=shown, found=f"{fmt_value(st.value)}{st.unit}", key=st.target)
