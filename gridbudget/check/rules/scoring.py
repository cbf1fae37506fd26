"""计分 rules: weights and scores (``S-``) and deviation notes (``D-``)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from ... import forms
from ..findings import ERROR, KIND_SCORING, WARNING
from ..findings import fmt_value
from ..indicators import assess
from ...model import Indicator
from ..engine import Ctx, Hit, rule
from ...read.values import is_no_deviation
from .common import all_notes_silent, amount, HUNDRED, label_of, _level1_rows, neq, number, pct, stated, tables, ZERO


@rule("S-WEIGHT-L1", KIND_SCORING, WARNING, "一级指标权重与标准不同",
      "一级指标分值原则上为产出 50、效益 30、满意度 10（预算执行率 10），特殊情况可以调整，因此偏离时给出警告。", "RULES A1、V6")
def weight_l1(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        groups = _level1_rows(ctx, td)
        if not any(groups.values()) or td.unplaced:
            continue
        for key, name, _w, _l2 in forms.LEVEL1:
            ws = [number(i.get("weight")) for i in groups[key]]
            s = sum((w for w in ws if w is not None), ZERO)
            std = ctx.profile.weight(key)
            if neq(s, std, ctx.profile.score_tolerance):
                anchor = groups[key][0].get("weight") if groups[key] else td.fields.get(f"ind.{key}.label")
                yield Hit(td, anchor, f"{name}的三级指标分值合计 {fmt_value(s)}，标准为 {fmt_value(std)}。",
                          expected=fmt_value(std), found=fmt_value(s), key=f"ind.{key}.weight_total")


@rule("S-EXEC-WEIGHT", KIND_SCORING, WARNING, "预算执行率分值不是标准值",
      "预算执行率的分值原则上为 10 分。", "RULES A1、V6")
def exec_weight(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        v = td.fields.get("funds.total.weight")
        w = number(v)
        std = ctx.profile.weight("exec_rate")
        if w is not None and neq(w, std, ctx.profile.score_tolerance):
            yield Hit(td, v, f"预算执行率分值为 {fmt_value(w)}，标准为 {fmt_value(std)}。",
                      expected=fmt_value(std), found=fmt_value(w), key="funds.total.weight")


@rule("S-WEIGHT-TOTAL", KIND_SCORING, ERROR, "分值合计不是 100",
      "预算执行率分值与各三级指标分值之和应为 100 分；表中填写的各级分值小计和总分也应与明细相符。", "RULES A8、V6")
def weight_total(ctx: Ctx):
    tol = ctx.profile.score_tolerance
    for td in tables(ctx, "overall", "project"):
        inds = list(ctx.inds(td))
        if not inds or td.unplaced:
            continue
        ws = [number(i.get("weight")) for i in inds]
        ew = number(td.fields.get("funds.total.weight"))
        total = sum((w for w in ws if w is not None), ZERO) + (ew or ZERO)
        target = ctx.profile.weight("total")
        tv = td.fields.get("total.weight")
        st = number(tv) if stated(tv) else None
        if st is not None and neq(st, total, tol):
            yield Hit(td, tv, f"表中总分值 {fmt_value(st)} 与各项分值之和 {fmt_value(total)} 不符。",
                      expected=fmt_value(total), found=fmt_value(st), key="total.weight")
        elif neq(total, target, tol):
            yield Hit(td, tv if tv is not None and tv.cell else td.fields.get("funds.total.weight"),
                      f"预算执行率分值与三级指标分值合计为 {fmt_value(total)}，应为 {fmt_value(target)}。",
                      expected=fmt_value(target), found=fmt_value(total), key="total.weight")
        groups = _level1_rows(ctx, td)
        for key, name, _w, _l2 in forms.LEVEL1:
            sv = td.fields.get(f"ind.{key}.weight_total")
            if not stated(sv):
                continue
            s = sum((number(i.get("weight")) or ZERO for i in groups[key]), ZERO)
            if neq(number(sv) or ZERO, s, tol):
                yield Hit(td, sv, f"{name}分值小计 {fmt_value(number(sv))} 与其三级指标分值之和 {fmt_value(s)} 不符。",
                          expected=fmt_value(s), found=fmt_value(number(sv)), key=f"ind.{key}.weight_total")


@rule("S-SCORE-RANGE", KIND_SCORING, ERROR, "得分超出 0 至分值",
      "每个三级指标和预算执行率的得分应满足 0 ≤ 得分 ≤ 分值。", "RULES A8、V7")
def score_range(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        pairs = [(td.fields.get("funds.total.weight"), td.fields.get("funds.total.score"), "预算执行率", "funds.total.score")]
        pairs += [(i.get("weight"), i.get("score"), f"“{i.name}”", f"{i.block}.score") for i in ctx.inds(td)]
        for wv, sv, what, key in pairs:
            w, s = number(wv), number(sv)
            if s is None:
                continue
            if s < ZERO:
                yield Hit(td, sv, f"{what}得分 {fmt_value(s)} 小于 0。", expected="≥0", found=fmt_value(s), key=key)
            elif w is not None and s > w + ctx.profile.score_tolerance:
                yield Hit(td, sv, f"{what}得分 {fmt_value(s)} 超过分值 {fmt_value(w)}。",
                          expected=f"≤{fmt_value(w)}", found=fmt_value(s), key=key)


@rule("S-SCORE-SUM", KIND_SCORING, ERROR, "得分合计与总分不符",
      "总分 = 预算执行率得分 + 各三级指标得分之和；一级指标得分小计 = 其三级指标得分之和。", "RULES A8、V7")
def score_sum(ctx: Ctx):
    tol = ctx.profile.score_tolerance
    for td in tables(ctx, "overall", "project"):
        inds = list(ctx.inds(td))
        total = sum((number(i.get("score")) or ZERO for i in inds), ZERO) + (number(td.fields.get("funds.total.score")) or ZERO)
        tv = td.fields.get("total.score")
        if stated(tv) and number(tv) is not None and neq(number(tv), total, tol):
            yield Hit(td, tv, f"表中总分 {fmt_value(number(tv))} 与各项得分之和 {fmt_value(total)} 不符。",
                      expected=fmt_value(total), found=fmt_value(number(tv)), key="total.score")
        groups = _level1_rows(ctx, td)
        for key, name, _w, _l2 in forms.LEVEL1:
            sv = td.fields.get(f"ind.{key}.score_total")
            if not stated(sv) or number(sv) is None:
                continue
            s = sum((number(i.get("score")) or ZERO for i in groups[key]), ZERO)
            if neq(number(sv), s, tol):
                yield Hit(td, sv, f"{name}得分小计 {fmt_value(number(sv))} 与其三级指标得分之和 {fmt_value(s)} 不符。",
                          expected=fmt_value(s), found=fmt_value(number(sv)), key=f"ind.{key}.score_total")


def _deducted(i: Indicator, tol: Decimal) -> tuple[Decimal, Decimal] | None:
    w, s = number(i.get("weight")), number(i.get("score"))
    if w is None or s is None or s >= w - tol:
        return None
    return w, s


@rule("S-MET-DEDUCTED", KIND_SCORING, WARNING, "指标已完成却扣分",
      "按实际完成值看目标已经达成，得分却低于分值；若另有扣分理由，应在偏差原因中写明。", "RULES A5、A6、V8")
def met_deducted(ctx: Ctx):
    tol = ctx.profile.score_tolerance
    for td in tables(ctx, "overall", "project"):
        for i in ctx.inds(td):
            d = _deducted(i, tol)
            if d is None:
                continue
            a = assess(i, ctx.profile)
            if a.met and a.kind == "quantitative":
                yield Hit(td, i.get("score"),
                          f"“{i.name}”目标 {i.get('target').text()}、实际 {i.get('actual').text()}，已达成，却只得 {fmt_value(d[1])} 分（分值 {fmt_value(d[0])}）。",
                          expected=fmt_value(d[0]), found=fmt_value(d[1]), key=f"{i.block}.score")


@rule("S-MISSED-FULL", KIND_SCORING, ERROR, "指标未完成却得满分",
      "实际完成值没有达到年度指标值，得分却等于分值；未达成的定量指标应按完成比例计分（满意度指标同样适用）。"
      "这是最常见的“打满分”问题。", "RULES A5、V8、V9")
def missed_full(ctx: Ctx):
    tol = ctx.profile.score_tolerance
    for td in tables(ctx, "overall", "project"):
        for i in ctx.inds(td):
            w, s = number(i.get("weight")), number(i.get("score"))
            if w is None or s is None or s < w - tol or w == ZERO:
                continue
            a = assess(i, ctx.profile)
            if a.met is False:
                yield Hit(td, i.get("score"),
                          f"“{i.name}”目标 {i.get('target').text()}，实际 {i.get('actual').text()}，未达成，却得满分 {fmt_value(s)}。",
                          expected=f"<{fmt_value(w)}", found=fmt_value(s), key=f"{i.block}.score")


@rule("S-QUAL-BAND", KIND_SCORING, WARNING, "定性指标得分不在其档次区间",
      "定性指标按完成情况分三档：达成 80%–100%（含 80%），部分达成 60%–80%，未达成 0–60%（按分值比例）。"
      "得分应落在实际完成情况用语对应的区间内。", "RULES A7")
def qual_band(ctx: Ctx):
    p = ctx.profile
    names = {"achieved": "达成", "partial": "部分达成", "missed": "未达成"}
    for td in tables(ctx, "overall", "project"):
        for i in ctx.inds(td):
            w, s = number(i.get("weight")), number(i.get("score"))
            if w is None or s is None or w == ZERO:
                continue
            a = assess(i, p)
            if a.kind != "qualitative" or a.band is None:
                continue
            lo, hi = p.band_range(a.band)
            lo_s, hi_s = p.round(lo * w), p.round(hi * w)
            if a.band == "achieved":
                inside = lo_s <= s <= hi_s
            else:                       # partial [lo, hi), missed [0, hi)
                inside = lo_s <= s < hi_s
            if not inside:
                yield Hit(td, i.get("score"),
                          f"“{i.name}”完成情况“{i.get('actual').text()}”属于“{names[a.band]}”档，得分应在 "
                          f"{fmt_value(lo_s)}–{fmt_value(hi_s)} 之间，表中为 {fmt_value(s)}。",
                          expected=f"{fmt_value(lo_s)}–{fmt_value(hi_s)}", found=fmt_value(s), key=f"{i.block}.score")


# ---------------------------------------------------------------------------
# 偏差原因分析 (deviation notes)
# ---------------------------------------------------------------------------
@rule("D-NOTE-DEDUCTED-BLANK", KIND_SCORING, ERROR, "扣分但未填偏差原因",
      "得分低于分值的指标，必须在“偏差原因分析及改进措施”中写明扣分原因和改进措施。", "RULES A11")
def note_deducted_blank(ctx: Ctx):
    tol = ctx.profile.score_tolerance
    for td in tables(ctx, "overall", "project"):
        for i in ctx.inds(td):
            d = _deducted(i, tol)
            if d is not None and i.get("note").empty:
                yield Hit(td, i.get("note"), f"“{i.name}”扣了 {fmt_value(d[0] - d[1])} 分，偏差原因分析为空。",
                          expected="扣分原因及改进措施", found=None, key=f"{i.block}.note")


@rule("D-NOTE-DEDUCTED-NONE", KIND_SCORING, WARNING, "扣分却写“无偏差”",
      "指标扣了分，偏差原因却写“无偏差”，前后矛盾：应写明扣分原因和改进措施。", "RULES A11")
def note_deducted_none(ctx: Ctx):
    tol = ctx.profile.score_tolerance
    for td in tables(ctx, "overall", "project"):
        for i in ctx.inds(td):
            d = _deducted(i, tol)
            if d is not None and not i.get("note").empty and is_no_deviation(i.get("note").text()):
                yield Hit(td, i.get("note"),
                          f"“{i.name}”扣了 {fmt_value(d[0] - d[1])} 分，偏差原因却写“{i.get('note').text()}”。",
                          expected="扣分原因及改进措施", found=i.get("note").text(), key=f"{i.block}.note")


@rule("D-NOTE-MISSED", KIND_SCORING, WARNING, "未达成目标但没有说明原因",
      "实际完成值未达到年度指标值时，应分析原因并提出改进措施。", "RULES A11、V10")
def note_missed(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        for i in ctx.inds(td):
            if not is_no_deviation(i.get("note").text()):
                continue
            a = assess(i, ctx.profile)
            if a.met is False:
                yield Hit(td, i.get("note"),
                          f"“{i.name}”目标 {i.get('target').text()}，实际 {i.get('actual').text()}，未达成，偏差原因却"
                          + ("为空。" if i.get("note").empty else f"写“{i.get('note').text()}”。"),
                          expected="未达成原因及改进措施", found=i.get("note").text() or None, key=f"{i.block}.note")


@rule("D-NOTE-OVERACHIEVED", KIND_SCORING, WARNING, "大幅超额完成但没有说明",
      "实际完成值达到年度指标值的 130% 及以上（比例可在评分方案中设置），说明目标可能定得过低，应分析原因"
      "（广西等地系统强制要求填写）。", "RULES A5、A11、DOMAIN 第 9 项")
def note_over(ctx: Ctx):
    ratio = ctx.profile.over_ratio
    for td in tables(ctx, "overall", "project"):
        for i in ctx.inds(td):
            if not is_no_deviation(i.get("note").text()):
                continue
            a = assess(i, ctx.profile)
            if a.kind != "quantitative" or a.op not in (">=", ">") or a.ratio is None or a.target is None:
                continue
            if a.target > ZERO and a.ratio >= ratio:
                times = f"约 {a.ratio.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} 倍" if a.ratio >= 2 else pct(a.ratio * HUNDRED, 0)
                yield Hit(td, i.get("note"),
                          f"“{i.name}”目标 {i.get('target').text()}，实际 {i.get('actual').text()}（{times}），"
                          "远超目标却未说明原因，目标可能定得过低。",
                          expected=f"<{pct(ratio * HUNDRED, 0)}或说明原因", found=i.get("note").text() or None,
                          key=f"{i.block}.note")


@rule("D-NOTE-LOW-EXEC", KIND_SCORING, WARNING, "执行率偏低但没有说明原因",
      "预算执行率低于 90%（可在评分方案中设置）时，应说明原因（四川青神等地要求）；表中所有偏差原因都为空或“无偏差”时提示。",
      "RULES A4、A11")
def note_low_exec(ctx: Ctx):
    limit = ctx.profile.explain_below
    for td in tables(ctx, "overall", "project"):
        b, e = amount(td.fields.get("funds.total.budget")), amount(td.fields.get("funds.total.executed"))
        if b is None or e is None or b == ZERO:
            continue
        rate = e / b * HUNDRED
        if rate < limit and all_notes_silent(ctx, td):
            v = td.fields.get("funds.total.rate")
            yield Hit(td, v if v is not None and v.cell else td.fields.get("funds.total.executed"),
                      f"{label_of(td)}预算执行率 {pct(rate)}，低于 {pct(limit, 0)}，表中却没有任何说明（偏差原因都为空或“无偏差”）。",
                      expected=f"≥{pct(limit, 0)}或说明原因", found=pct(rate), key="funds.total.rate")
