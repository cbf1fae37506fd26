"""计分 rule ``S-SCORE-DIFF``: the unit's scores against the profile's recomputation.

Registered after the 跨年 rules, as it always was (registration order is run order)."""

from __future__ import annotations

from ..findings import KIND_SCORING, WARNING
from ..findings import fmt_value
from ..indicators import assess
from ..engine import Ctx, Hit, rule
from .common import amount, HUNDRED, neq, number, pct, tables, ZERO


# ---------------------------------------------------------------------------
# 计分: the unit's scores against the profile's recomputation
# ---------------------------------------------------------------------------
@rule("S-SCORE-DIFF", KIND_SCORING, WARNING, "自评得分与评分方案重算不符",
      "按评分方案重算的得分与单位自评得分相差超过舍入误差：预算执行率得分（默认 分值 × min(执行率, 100%)）、"
      "未达成的定量指标（≥ 类按 完成值 ÷ 指标值，≤ 类按超出比例扣减）。已完成却扣分、未完成却满分、定性得分不在档内"
      "另有专门规则。", "RULES A4、A5、A6、DOMAIN 第 3 项")
def score_diff(ctx: Ctx):
    from ...score.engine import exec_points, indicator_points

    p = ctx.profile
    tol = p.score_tolerance
    mode = {"capped_linear": "分值 × min(执行率, 100%)", "uncapped_linear": "分值 × 执行率（不封顶）",
            "tiered": "执行率分档"}.get(p.get("exec_rate", "mode", "capped_linear"), "")
    for td in tables(ctx, "overall", "project"):
        b, e = amount(td.fields.get("funds.total.budget")), amount(td.fields.get("funds.total.executed"))
        w = number(td.fields.get("funds.total.weight"))
        sv = td.fields.get("funds.total.score")
        s = number(sv)
        if b not in (None, ZERO) and e is not None and w is not None and s is not None:
            rate = e / b * HUNDRED
            pts, _basis, _flag = exec_points(rate, w, p)
            if neq(pts, s, tol):
                side = "高于" if s > pts else "低于"
                yield Hit(td, sv, f"预算执行率 {pct(rate)}，按评分方案“{p.name}”（{mode}）应得 {fmt_value(pts)} 分，"
                                  f"自评 {fmt_value(s)} 分，{side}规则得分。",
                          expected=fmt_value(pts), found=fmt_value(s), key="funds.total.score")
        for i in ctx.inds(td):
            a = assess(i, p)
            if a.kind != "quantitative" or a.met is not False:
                continue
            sc = indicator_points(i, p)
            ws = number(i.get("weight"))
            if sc.recomputed is None or sc.self_score is None or ws is None or sc.self_score >= ws - tol:
                continue       # full marks on a missed target: S-MISSED-FULL
            if neq(sc.recomputed, sc.self_score, tol):
                yield Hit(td, i.get("score"),
                          f"“{i.name}”未达成（目标 {i.get('target').text()}，实际 {i.get('actual').text()}），按评分方案"
                          f"“{p.name}”（{sc.basis}）应得 {fmt_value(sc.recomputed)} 分，自评 {fmt_value(sc.self_score)} 分。",
                          expected=fmt_value(sc.recomputed), found=fmt_value(sc.self_score), key=f"{i.block}.score")
