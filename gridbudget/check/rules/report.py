"""表间 rules ``X-REPORT-*``: the report's text against the tables (need ``--report``).

The text is read once per validation (:func:`gridbudget.check.prose.analyse`): every figure it
states is matched to the table figure it restates by the words around it, and each rule here
gives the observations of its code. Every finding names the paragraph (its number and the words
around the figure) and, where the tables hold the figure, the cell.

Registered last, as they always were (registration order is run order)."""

from __future__ import annotations

from ..findings import ERROR, KIND_ACROSS, WARNING
from ..engine import Ctx, Hit, rule

_SOURCE = "RULES V13、DOMAIN 第 6 项"


def _observations(ctx: Ctx) -> list:
    """The report's observations, computed once per validation run."""
    if not ctx.report:
        return []
    got = ctx.__dict__.get("_prose")
    if got is None or got[0] is not ctx.report:
        from ..prose import analyse

        got = ctx.__dict__["_prose"] = (ctx.report, analyse(ctx.report, ctx.sub, ctx.profile))
    return got[1]


def _hits(ctx: Ctx, code: str):
    for o in _observations(ctx):
        if o.code != code:
            continue
        td = next((t for t in ctx.sub.tables if o.val is not None and t.sheet == o.val.sheet), None)
        yield Hit(td, o.val, o.message, expected=o.expected, found=o.found, key=o.key)


# (code, default severity, title, explanation) of each rule, in run order. Each gives the observations
# of its code (:func:`gridbudget.check.prose.analyse` decides them all in one reading of the text).
_RULES = (
    ("X-REPORT-TEXT", ERROR, "报告正文数字与附表不符",
     "自评报告正文中重述的数字应与附表一致（需用 --report 提供报告正文 .txt 或 .docx）：金额（整体支出、全年预算数、"
     "基本支出、人员经费、公用经费、项目支出及各项目、收入来源、三公经费及其各项的预算数与决算数、增减额）、百分比"
     "（执行率、占总支出或基本支出的比重、人员控制率、增减比率）、人数、指标的年度指标值与实际完成值、分值与得分"
     "（总分、执行率、一级与二级指标、三级指标）。每个数字按它前后的文字确定所重述的附表数字，按其写出的位数比较"
     "（写 117万元 重述 116.95 万元不算错；金额另有评分方案的 0.01 万元容差；写 0 的不按位数放宽），指出段落和单元格。"),
    ("X-REPORT-GRADE", ERROR, "报告正文等级与附表总分不符",
     "正文写的自评等级（等级为“优”等）应是附表自评总分按评分方案分档得到的等级。"),
    ("X-REPORT-RATE-BASE", ERROR, "报告正文执行率用错分母",
     "正文写的预算执行率等于全年执行数 ÷ 年初预算数：执行率应以全年（调整后）预算数为分母。"),
    ("X-REPORT-UNIT", ERROR, "报告正文金额单位有误",
     "正文金额写成“元”（或千元、亿元），数值却是附表以万元为单位的数字：单位应为万元。"),
    ("X-REPORT-ZERO-BASE", ERROR, "报告正文从零基数算增长率",
     "正文写“增长100%”等增减比率，而比较的基数（上年决算数或预算数）为 0：从零起步没有比率，应写增减的金额。"),
    ("X-REPORT-DIRECTION", ERROR, "报告正文增减方向与附表相反",
     "正文写“增加”“增长”而附表中该项比上年（或比预算）减少，或写“减少”“下降”而附表中增加。"),
    ("X-REPORT-TWICE", WARNING, "报告正文同一数字前后写法不同",
     "正文在两处用同样的文字说同一个数字（附表中没有可核对的数字，如固定资产账面净值），写的却是两个不同的数。"),
    ("X-REPORT-UNIT-NAME", WARNING, "报告单位名称与附表不一致",
     "报告标题（封面）或正文写的单位全称与附表的单位名称不一致（只差几个字，如漏写“服务”二字）。"),
    ("X-REPORT-YEAR", ERROR, "报告年度与附表不一致",
     "报告标题（封面）写的年度，或正文重述附表数字时写的年份，与附表的年度不同（常见于沿用往年报告）。"),
)


def _register(code: str, severity: str, title: str, explanation: str) -> None:
    @rule(code, KIND_ACROSS, severity, title, explanation, _SOURCE)
    def check(ctx: Ctx):
        yield from _hits(ctx, code)

    check.__name__ = "report_" + code[len("X-REPORT-"):].lower().replace("-", "_")


for _code, _severity, _title, _explanation in _RULES:
    _register(_code, _severity, _title, _explanation)
