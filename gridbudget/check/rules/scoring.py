"""计分 rules: weights and scores (``S-``) and deviation notes (``D-``)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from ... import forms
from ..findings import ERROR, INFO, KIND_SCORING, WARNING
from ..findings import fmt_value
from ..indicators import assess
from ...model import Indicator, Val
from ..engine import Ctx, Hit, rule
from ...read.values import is_no_deviation
from ...score.engine import over_achieved, shown_rate
from .common import (all_notes_silent, amount, noted_indicators, HUNDRED, label_of, _level1_rows, neq, number, pct,
                     relation, relations, stated, sum_terms, tables, ZERO)


@rule("S-WEIGHT-L1", KIND_SCORING, WARNING, "一级指标权重与标准不同",
      "一级指标分值按表式的标准（全国通用表：产出 50、效益 30、满意度 10，预算执行率 10；宁夏等绩效目标自评表："
      "产出 40、效益 40、满意度 20）；特殊情况可以调整，因此偏离时给出警告。分值写在标签里的表式按标签核对（S-WEIGHT-LABEL）。",
      "RULES A1、V6；FAMILIES")
def weight_l1(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        std = ctx.profile.standards(td.fam).levels
        groups = _level1_rows(ctx, td)
        if not std or not any(groups.values()) or td.unplaced:
            continue
        for key, name, _w, _l2 in forms.LEVEL1:
            if key not in std:
                continue
            ws = [number(i.get("weight")) for i in groups[key]]
            s = sum((w for w in ws if w is not None), ZERO)
            if neq(s, std[key], ctx.profile.score_tolerance):
                anchor = groups[key][0].get("weight") if groups[key] else td.fields.get(f"ind.{key}.label")
                yield Hit(td, anchor, f"{name}的三级指标分值合计 {fmt_value(s)}，{td.fam.name}的标准为 {fmt_value(std[key])}。",
                          expected=fmt_value(std[key]), found=fmt_value(s), key=f"ind.{key}.weight_total")


@rule("S-EXEC-WEIGHT", KIND_SCORING, WARNING, "预算执行率分值不是标准值",
      "预算执行率的分值按表式：全国通用表 10 分，省级 20/80 表 20 分；资金不计分的表式不检查。", "RULES A1、V6；FAMILIES")
def exec_weight(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        v = td.fields.get("funds.total.weight")
        w = number(v)
        std = ctx.profile.standards(td.fam).exec_rate
        if w is not None and std is not None and neq(w, std, ctx.profile.score_tolerance):
            yield Hit(td, v, f"预算执行率分值为 {fmt_value(w)}，{td.fam.name}的标准为 {fmt_value(std)}。",
                      expected=fmt_value(std), found=fmt_value(w), key="funds.total.weight")


def _block_label(td) -> Val | None:
    return next((sw.val for sw in td.stated if sw.level == -1), None)


@rule("S-WEIGHT-TOTAL", KIND_SCORING, ERROR, "分值合计不是 100",
      "预算执行率分值（计分的表式）与各三级指标分值之和应为 100 分；表中填写的各级分值小计和总分也应与明细相符。"
      "有指标没填分值时只作警告。", "RULES A8、V6")
def weight_total(ctx: Ctx):
    tol = ctx.profile.score_tolerance
    for td in tables(ctx, "overall", "project"):
        inds = list(ctx.inds(td))
        if not inds or td.unplaced:
            continue
        ws = [number(i.get("weight")) for i in inds]
        ew = number(td.fields.get("funds.total.weight")) if td.fam.funds_weight is not None else None
        total = sum((w for w in ws if w is not None), ZERO) + (ew or ZERO)
        target = ctx.profile.standards(td.fam).total
        missing = sum(1 for w in ws if w is None)
        tv = td.fields.get("total.weight")
        st = number(tv) if stated(tv) else None
        if st is not None and neq(st, total, tol):
            yield Hit(td, tv, f"表中总分值 {fmt_value(st)} 与各项分值之和 {fmt_value(total)} 不符。",
                      expected=fmt_value(total), found=fmt_value(st), key="total.weight",
                      severity=WARNING if missing else None)
        elif neq(total, target, tol):
            anchor = tv if tv is not None and tv.cell else (_block_label(td) or td.fields.get("funds.total.weight"))
            what = "预算执行率分值与三级指标分值合计" if ew is not None else "三级指标分值合计"
            yield Hit(td, anchor, f"{what}为 {fmt_value(total)}，应为 {fmt_value(target)}"
                      + (f"（另有 {missing} 个指标未填分值）。" if missing else "。"),
                      expected=fmt_value(target), found=fmt_value(total), key="total.weight",
                      severity=WARNING if missing else None)
        yield from _subtotal_hits(td, "weight_total", tol)


def _subtotal_hits(td, which: str, tol: Decimal):
    """Each 一级 subtotal a table states (分值小计 / 得分小计) against its 三级 rows (the form's Sum)."""
    for key in relations(td, forms.Sum):
        sv = td.fields.get(key)
        if not key.endswith("." + which) or not stated(sv) or number(sv) is None:
            continue
        s = sum((x or ZERO for _n, x in sum_terms(td, relation(td, key), number)), ZERO)
        if neq(number(sv), s, tol):
            label = forms.fields_of(td.kind)[key].label
            yield Hit(td, sv, f"{label} {fmt_value(number(sv))} 与其三级指标之和 {fmt_value(s)} 不符。",
                      expected=fmt_value(s), found=fmt_value(number(sv)), key=key)


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
      "总分 = 预算执行率得分 + 各三级指标得分之和（写在表头的“自评总分”同样核对）；一级指标得分小计 = 其三级指标得分之和。"
      "有指标没填得分时只作提示（无法核对）。", "RULES A8、V7")
def score_sum(ctx: Ctx):
    tol = ctx.profile.score_tolerance
    for td in tables(ctx, "overall", "project"):
        inds = list(ctx.inds(td))
        total = sum((number(i.get("score")) or ZERO for i in inds), ZERO) + (number(td.fields.get("funds.total.score")) or ZERO)
        missing = sum(1 for i in inds if number(i.get("score")) is None)
        tv = td.fields.get("total.score")
        if stated(tv) and number(tv) is not None and neq(number(tv), total, tol):
            yield Hit(td, tv, f"表中总分 {fmt_value(number(tv))} 与各项得分之和 {fmt_value(total)} 不符"
                      + (f"（有 {missing} 个指标未填得分，无法核对）。" if missing else "。"),
                      expected=fmt_value(total), found=fmt_value(number(tv)), key="total.score",
                      severity=INFO if missing else None)
        yield from _subtotal_hits(td, "score_total", tol)


def _deducted(i: Indicator, tol: Decimal) -> tuple[Decimal, Decimal] | None:
    w, s = number(i.get("weight")), number(i.get("score"))
    if w is None or s is None or s >= w - tol:
        return None
    return w, s


@rule("S-MET-DEDUCTED", KIND_SCORING, WARNING, "指标已完成却扣分",
      "按实际完成值看目标已经达成，得分却低于分值；若另有扣分理由，应在偏差原因中写明。评分方案对大幅超额完成"
      "（指标偏离）规定扣分时（[indicators] over_achievement_deduction），扣去规定分数的得分不算多扣。", "RULES A5、A6、V8")
def met_deducted(ctx: Ctx):
    p = ctx.profile
    tol = p.score_tolerance
    for td in tables(ctx, "overall", "project"):
        for i in ctx.inds(td):
            d = _deducted(i, tol)
            if d is None:
                continue
            a = assess(i, p)
            if not (a.met and a.kind == "quantitative"):
                continue
            cut = min(p.over_deduction, d[0]) if over_achieved(a, p) else ZERO
            if cut == ZERO:
                yield Hit(td, i.get("score"),
                          f"“{i.name}”目标 {i.get('target').text()}、实际 {i.get('actual').text()}，已达成，却只得 {fmt_value(d[1])} 分（分值 {fmt_value(d[0])}）。",
                          expected=fmt_value(d[0]), found=fmt_value(d[1]), key=f"{i.block}.score")
            elif d[1] < d[0] - cut - tol:
                yield Hit(td, i.get("score"),
                          f"“{i.name}”目标 {i.get('target').text()}、实际 {i.get('actual').text()}，已达成；按评分方案"
                          f"“{p.name}”指标偏离扣 {fmt_value(cut)} 分后应得 {fmt_value(d[0] - cut)} 分，却只得 "
                          f"{fmt_value(d[1])} 分（分值 {fmt_value(d[0])}）。",
                          expected=fmt_value(d[0] - cut), found=fmt_value(d[1]), key=f"{i.block}.score")


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
      f"得分低于分值的指标，必须在“{forms.INDICATOR_COLUMN_LABELS['note']}”中写明扣分原因和改进措施。", "RULES A11")
def note_deducted_blank(ctx: Ctx):
    tol = ctx.profile.score_tolerance
    for td, i in noted_indicators(ctx):
        d = _deducted(i, tol)
        if d is not None and i.get("note").empty:
            yield Hit(td, i.get("note"), f"“{i.name}”扣了 {fmt_value(d[0] - d[1])} 分，偏差原因分析为空。",
                      expected="扣分原因及改进措施", found=None, key=f"{i.block}.note")


@rule("D-NOTE-DEDUCTED-NONE", KIND_SCORING, WARNING, "扣分却写“无偏差”",
      "指标扣了分，偏差原因却写“无偏差”，前后矛盾：应写明扣分原因和改进措施。", "RULES A11")
def note_deducted_none(ctx: Ctx):
    tol = ctx.profile.score_tolerance
    for td, i in noted_indicators(ctx):
        d = _deducted(i, tol)
        if d is not None and not i.get("note").empty and is_no_deviation(i.get("note").text()):
            yield Hit(td, i.get("note"),
                      f"“{i.name}”扣了 {fmt_value(d[0] - d[1])} 分，偏差原因却写“{i.get('note').text()}”。",
                      expected="扣分原因及改进措施", found=i.get("note").text(), key=f"{i.block}.note")


@rule("D-NOTE-MISSED", KIND_SCORING, WARNING, "未达成目标但没有说明原因",
      "实际完成值未达到年度指标值时，应分析原因并提出改进措施。", "RULES A11、V10")
def note_missed(ctx: Ctx):
    for td, i in noted_indicators(ctx):
        if not is_no_deviation(i.get("note").text()):
            continue
        a = assess(i, ctx.profile)
        if a.met is False:
            yield Hit(td, i.get("note"),
                      f"“{i.name}”目标 {i.get('target').text()}，实际 {i.get('actual').text()}，未达成，偏差原因却"
                      + ("为空。" if i.get("note").empty else f"写“{i.get('note').text()}”。"),
                      expected="未达成原因及改进措施", found=i.get("note").text() or None, key=f"{i.block}.note")


def _mentions(text: str, name: str) -> bool:
    """A table-wide 原因分析 text speaks of this indicator: it holds the indicator's name, or four
    characters running of it (numbering such as “指标1：” and brackets left out)."""
    core = re.sub(r"[\s（）()【】\[\]“”\"'、，,。.:：%％]", "", forms.strip_numbering(name))
    if not core:
        return False
    if len(core) <= 4:
        return core in text
    return any(core[k:k + 4] in text for k in range(len(core) - 3))


@rule("D-NOTE-OVERACHIEVED", KIND_SCORING, WARNING, "大幅超额完成但没有说明",
      "实际完成值达到年度指标值的 130% 及以上（比例可在评分方案中设置），说明目标可能定得过低，应分析原因"
      "（广西等地系统强制要求填写）。偏差原因为空或写“无偏差”时提示；全表只有一段原因分析文字（省级 20/80 表）"
      "而其中没有提到该指标时也提示。问题标在实际完成值上。", "RULES A5、A11、DOMAIN 第 9 项")
def note_over(ctx: Ctx):
    ratio = ctx.profile.over_ratio
    for td, i in noted_indicators(ctx):
        note = i.get("note")
        shared = note is td.fields.get("text.deviation")        # one 原因分析 text for the whole table
        if not is_no_deviation(note.text()) and not (shared and not _mentions(note.text(), i.name)):
            continue
        a = assess(i, ctx.profile)
        if over_achieved(a, ctx.profile):
            times = f"约 {a.ratio.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} 倍" if a.ratio >= 2 else pct(a.ratio * HUNDRED, 0)
            why = "原因分析中没有提到它" if shared and not is_no_deviation(note.text()) else "远超目标却未说明原因"
            yield Hit(td, i.get("actual"),
                      f"“{i.name}”目标 {i.get('target').text()}，实际 {i.get('actual').text()}（{times}），"
                      f"{why}，目标可能定得过低。",
                      expected=f"<{pct(ratio * HUNDRED, 0)}或说明原因", found=note.text() or None,
                      key=f"{i.block}.actual")


@rule("D-NOTE-LOW-EXEC", KIND_SCORING, WARNING, "执行率偏低但没有说明原因",
      "预算执行率低于 90%（可在评分方案中设置）时，应说明原因（四川青神等地要求）；表中所有偏差原因都为空或“无偏差”时提示。",
      "RULES A4、A11")
def note_low_exec(ctx: Ctx):
    limit = ctx.profile.explain_below
    for td in tables(ctx, "overall", "project"):
        b, e = amount(td.fields.get("funds.total.budget")), amount(td.fields.get("funds.total.executed"))
        v = td.fields.get("funds.total.rate")
        if b is None or e is None or b == ZERO:
            # a total row left partly empty: the one fund-source row that carries the outturn
            filled = [r for r in td.rows("funds.rows") if amount(r.get("executed")) is not None]
            if len(filled) != 1:
                continue
            row = filled[0]
            b = amount(row.get("budget")) or b
            e = amount(row.get("executed"))
            v = row.get("rate")
            if b is None or e is None or b == ZERO:
                continue
        rate = e / b * HUNDRED
        if rate < limit and all_notes_silent(ctx, td):
            yield Hit(td, v if v is not None and v.cell else td.fields.get("funds.total.executed"),
                      f"{label_of(td)}预算执行率 {pct(rate)}，低于 {pct(limit, 0)}，表中却没有说明执行偏低的原因"
                      "（偏差原因都为空、写“无偏差”或与资金执行无关）。",
                      expected=f"≥{pct(limit, 0)}或说明原因", found=pct(rate), key="funds.total.rate")


# ---------------------------------------------------------------------------
# Weights as the table families state them
# ---------------------------------------------------------------------------
# a stated weight's level as words: the indicator columns of the levels (forms), and the grid's total
_LEVEL_NAMES = {-1: "指标总分", **{lv: forms.INDICATOR_COLUMN_LABELS[f"l{lv}"] for lv in (0, 1, 2)}}


@rule("S-WEIGHT-LABEL", KIND_SCORING, ERROR, "标注的分值与其下分值之和不符",
      "标签里写明的分值（“年度绩效目标（80分）”“产出指标（40分）”“数量指标 15分”）应等于其下各级分值之和："
      "下级也标了分值的按下级标注相加，否则按三级指标分值相加；有三级指标没填分值时不判断。", "FAMILIES；RULES A1、A8")
def weight_label(ctx: Ctx):
    tol = ctx.profile.score_tolerance
    for td in tables(ctx, "overall", "project"):
        for sw in td.stated:
            covered = {id(r) for c in sw.children for r in c.rows}
            if sw.children and all(id(r) in covered for r in sw.rows):     # the level below states its points
                parts = [c.weight for c in sw.children]
                how = "、".join(f"{c.label} {fmt_value(c.weight)} 分" for c in sw.children) + "，"
            else:
                parts = [number(r.get("weight")) for r in sw.rows]
                if not parts or any(p is None for p in parts):
                    continue
                how = "其下三级指标分值"
            s = sum(parts, ZERO)
            if neq(s, sw.weight, tol):
                yield Hit(td, sw.val, f"{_LEVEL_NAMES[sw.level]}“{sw.label}”标注 {fmt_value(sw.weight)} 分，"
                          f"{how}合计 {fmt_value(s)} 分。", expected=fmt_value(sw.weight), found=fmt_value(s))


@rule("S-WEIGHT-IMPLIED", KIND_SCORING, WARNING, "没有分值列",
      "表中没有分值（权重）列，无法核对得分是否超过分值；按标签里的分值或“得分 = 分值 × 实际完成值 ÷ 目标值”推算各指标分值，"
      "并据此审核。请在表中列明每个三级指标的分值。", "FAMILIES（省级 20/80 表）；RULES A8")
def weight_implied(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        inds = [i for i in ctx.inds(td) if i.get("weight").implied]
        if not inds:
            continue
        shown = "、".join(f"{i.name or '（无名称）'} {fmt_value(number(i.get('weight')))}" for i in inds[:6])
        total = sum((number(i.get("weight")) or ZERO for i in inds), ZERO)
        yield Hit(td, inds[0].get("score"), f"表中没有分值列；按标签里的分值或得分推算各指标分值为：{shown}"
                  + ("……" if len(inds) > 6 else "") + f"，合计 {fmt_value(total)} 分。",
                  expected="每个三级指标的分值", found=None)


@rule("S-TOTAL-CAPPED", KIND_SCORING, ERROR, "总分含超出分值的得分",
      "得分超过分值的指标只能得满分（完成率按 100% 封顶）；总分按封顶后的得分计算。", "RULES A5、A8；FAMILIES")
def total_capped(ctx: Ctx):
    tol = ctx.profile.score_tolerance
    for td in tables(ctx, "overall", "project"):
        tv = td.fields.get("total.score")
        if not stated(tv) or number(tv) is None:
            continue
        over = ZERO
        capped = number(td.fields.get("funds.total.score")) or ZERO
        fw = number(td.fields.get("funds.total.weight"))
        if fw is not None and capped > fw:
            over, capped = over + capped - fw, fw
        for i in ctx.inds(td):
            w, sc = number(i.get("weight")), number(i.get("score"))
            if sc is None:
                continue
            if w is not None and sc > w + tol:
                over += sc - w
                sc = w
            capped += sc
        if over > tol and neq(number(tv), capped, tol):
            yield Hit(td, tv, f"总分 {fmt_value(number(tv))} 含超出分值的得分 {fmt_value(over)} 分；按封顶后的得分，总分应为 "
                      f"{fmt_value(capped)}。", expected=fmt_value(capped), found=fmt_value(number(tv)), key="total.score")


@rule("S-LEVEL-MISPLACED", KIND_SCORING, WARNING, "二级指标归错一级指标",
      "标准二级指标应在其一级指标之下（服务对象满意度指标属于满意度指标，不属于效益指标）；归错会使一级指标分值失衡。",
      "财预〔2020〕10号 附件；RULES A1")
def level_misplaced(ctx: Ctx):
    names = {k: n for k, n, _w, _l in forms.LEVEL1}
    for td in tables(ctx, "overall", "project"):
        for v, right, wrong in td.misplaced:
            yield Hit(td, v, f"二级指标“{v.text()}”写在{names.get(wrong, wrong)}之下，应属于{names[right]}。",
                      expected=names[right], found=names.get(wrong, wrong))


@rule("S-SCORE-COEF", KIND_SCORING, ERROR, "指标得分不等于权重 × 得分系数",
      "指标平列的表式（重庆）：指标得分 = 指标权重 × 得分系数，得分系数在 0 与 1 之间。", "FAMILIES（重庆部门整体绩效自评表）")
def score_coef(ctx: Ctx):
    tol = ctx.profile.score_tolerance
    coef = forms.INDICATOR_COLUMN_LABELS["coef"]
    for td in tables(ctx, "overall", "project"):
        for i in ctx.inds(td):
            if "coef" not in i.row:
                continue
            w, k, sc = number(i.get("weight")), number(i.row["coef"]), number(i.get("score"))
            if k is not None and not ZERO <= k <= 1:
                yield Hit(td, i.row["coef"], f"“{i.name}”{coef} {fmt_value(k)} 不在 0 与 1 之间。",
                          expected="0–1", found=fmt_value(k), key=f"{i.block}.coef")
            elif w is not None and k is not None and sc is not None and neq(ctx.profile.round(w * k), sc, tol):
                yield Hit(td, i.get("score"), f"“{i.name}”指标权重 {fmt_value(w)} × {coef} {fmt_value(k)} = "
                          f"{fmt_value(ctx.profile.round(w * k))}，表中指标得分为 {fmt_value(sc)}。",
                          expected=fmt_value(ctx.profile.round(w * k)), found=fmt_value(sc), key=f"{i.block}.score")


# ---------------------------------------------------------------------------
# Provincial rules (profile keys, off in national-2020): total capped by the execution rate,
# indicator points running ahead of spending (FAMILIES "Scoring rules seen in provincial systems")
# ---------------------------------------------------------------------------
def _rate(td) -> Decimal | None:
    """The table's execution rate (percent) from its total row; None without a positive budget."""
    b, e = amount(td.fields.get("funds.total.budget")), amount(td.fields.get("funds.total.executed"))
    if b is None or e is None or b <= ZERO:
        return None
    return e / b * HUNDRED


def _total_anchor(td) -> tuple[Val | None, str]:
    """The table's total score cell, else its execution-rate cell, else its 全年执行数 cell."""
    for key in ("total.score", "funds.total.rate", "funds.total.executed"):
        v = td.fields.get(key)
        if v is not None and v.cell:
            return v, key
    return td.fields.get("funds.total.executed"), "funds.total.executed"


@rule("S-TOTAL-OVER-CAP", KIND_SCORING, WARNING, "总分超过执行率对应的上限",
      "评分方案按预算执行率限制总分时（[exec_rate] total_caps，如某省级一体化自评手册：执行率 70%–80% 总分不超过 89 分，"
      "60%–70% 不超过 79 分，50%–60% 不超过 69 分，低于 50% 不超过 59 分），表中总分（没有填写时为各项自评得分之和）"
      "不应超过执行率对应的上限，超出部分应扣减。执行率按两位小数比较；全国口径（national-2020）不限制，本规则不检查。",
      "FAMILIES（省级系统的计分规则）")
def total_over_cap(ctx: Ctx):
    p = ctx.profile
    if not p.get("exec_rate", "total_caps"):
        return
    tol = p.score_tolerance
    for td in tables(ctx, "overall", "project"):
        rate = _rate(td)
        tier = p.total_cap(rate) if rate is not None else None
        if tier is None:
            continue
        cap = tier[1]
        tv = td.fields.get("total.score")
        if stated(tv) and number(tv) is not None:
            total, anchor, key, what = number(tv), tv, "total.score", "表中总分"
        else:
            parts = [number(td.fields.get("funds.total.score"))] + [number(i.get("score")) for i in ctx.inds(td)]
            if all(x is None for x in parts):
                continue
            total = sum((x for x in parts if x is not None), ZERO)
            anchor, key = _total_anchor(td)
            what = "各项自评得分之和"
        if total > cap + tol:
            yield Hit(td, anchor, f"{label_of(td)}预算执行率 {pct(shown_rate(rate))}，按评分方案“{p.name}”总分不超过 "
                      f"{fmt_value(cap)} 分；{what} {fmt_value(total)} 分，超出 {fmt_value(total - cap)} 分，超出部分应扣减。",
                      expected=f"≤{fmt_value(cap)}", found=fmt_value(total), key=key)


@rule("S-AHEAD-OF-SPENDING", KIND_SCORING, WARNING, "指标完成进度快于资金执行进度",
      "指标得分完成率（三级指标自评得分之和 ÷ 其分值之和）比预算执行率高出评分方案设定的比例（相对，"
      "[exec_rate] ahead_of_spending，如 5%）以上：钱没有花出去，指标却基本完成，得分可能偏高，应核实或说明资金执行滞后的原因"
      "（省级预算绩效系统的预警做法）。全国口径（national-2020）不检查。", "FAMILIES（省级系统的计分规则：pmkpi 预警）")
def ahead_of_spending(ctx: Ctx):
    p = ctx.profile
    margin = p.ahead_margin
    if margin <= ZERO:
        return
    for td in tables(ctx, "overall", "project"):
        rate = _rate(td)
        if rate is None:
            continue
        pairs = [(number(i.get("weight")), number(i.get("score"))) for i in ctx.inds(td)]
        pairs = [(w, sc) for w, sc in pairs if w is not None and sc is not None]
        weights = sum((w for w, _sc in pairs), ZERO)
        if weights <= ZERO:
            continue
        got = sum((sc for _w, sc in pairs), ZERO)
        done = got / weights * HUNDRED
        limit = rate * (1 + margin)
        if done > limit:
            anchor, key = _total_anchor(td)
            ahead = f"快 {pct((done / rate - 1) * HUNDRED)}" if rate > ZERO else "而资金没有执行"
            yield Hit(td, anchor, f"{label_of(td)}指标得分完成率 {pct(done)}（自评得分 {fmt_value(got)} ÷ 分值 "
                      f"{fmt_value(weights)}），预算执行率 {pct(rate)}，指标完成进度比资金执行进度{ahead}，超过评分方案"
                      f"“{p.name}”允许的 {pct(margin * HUNDRED, 0)}：请核实得分是否偏高，或说明资金执行滞后的原因。",
                      expected=f"≤{pct(limit)}", found=pct(done), key=key)
