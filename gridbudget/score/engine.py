"""Recompute scores under a profile, beside the unit's own (never replacing them).

Everything a rule decides comes from the profile (TOML): the weights, how the
execution rate earns its points, how quantitative indicators earn points below or
above target (and any deduction for over-achievement), the qualitative bands, any cap
on a table's total by its execution rate, rounding and grade bands, and the automatic
items of the work rubric (自评工作考核评分表).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable

from .. import forms
from ..check.indicators import Assessment, assess
from ..model import Indicator, Submission, TableData, Val
from .profile import Profile, load_profile

ZERO, ONE, HUNDRED = Decimal(0), Decimal(1), Decimal(100)


def _num(v: Val | None) -> Decimal | None:
    if v is None or v.empty or v.uncomputed or v.error:
        return None
    return v.number().value


def _amt(v: Val | None) -> Decimal | None:
    if v is None or v.empty or v.uncomputed or v.error:
        return None
    return v.amount().value


def fmt_number(x: Decimal) -> str:
    """A number as a reader writes it: 2 decimals at most, no trailing zeros (79, 12.5, 1.25)."""
    q = x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
    return format(q, "f")


def shown_rate(rate: Decimal) -> Decimal:
    """An execution rate (percent) as tables show it and as the total caps compare it: 2 decimals."""
    return rate.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class IndicatorScore:
    indicator: Indicator
    weight: Decimal | None
    self_score: Decimal | None
    recomputed: Decimal | None
    basis: str                       # how the recomputed score was reached (Chinese)
    flag: str = ""                   # why a reviewer should look (Chinese), empty when none
    deduction: Decimal = ZERO        # points taken off for over-achievement (指标偏离), said in basis

    @property
    def diff(self) -> Decimal | None:
        if self.recomputed is None or self.self_score is None:
            return None
        return self.recomputed - self.self_score


@dataclass
class Level1Score:
    key: str
    name: str
    weight: Decimal
    self_score: Decimal
    recomputed: Decimal


@dataclass
class TableScore:
    table: TableData
    budget: Decimal | None
    executed: Decimal | None
    rate: Decimal | None                 # percent
    exec_weight: Decimal | None
    exec_self: Decimal | None
    exec_recomputed: Decimal | None
    exec_basis: str
    exec_flag: str
    level1: list[Level1Score]
    indicators: list[IndicatorScore]
    total_self: Decimal | None
    total_recomputed: Decimal | None
    grade_self: str
    grade_recomputed: str
    groups: list[Level1Score] = field(default_factory=list)   # the family's own levels (规划, 项目决策 …)
    total_cap: Decimal | None = None     # the highest total the execution rate allows ([exec_rate] total_caps)
    cap_deduction: Decimal = ZERO        # points of the recomputed total above total_cap, deducted
    cap_reason: str = ""                 # the deduction in words (Chinese), empty when none

    @property
    def diff(self) -> Decimal | None:
        if self.total_self is None or self.total_recomputed is None:
            return None
        return self.total_recomputed - self.total_self

    @property
    def total_before_cap(self) -> Decimal | None:
        return None if self.total_recomputed is None else self.total_recomputed + self.cap_deduction

    @property
    def levels(self) -> list[Level1Score]:
        """The table's 一级 groups as its family has them. A family with standard 一级 (产出 / 效益 /
        满意度): those, in their order, each even when no indicator is under it, then any other
        group. Any other family (项目决策 / 项目管理 …, 规划 / 执行 …): the groups in the order the
        table lists them, each named as the table names it."""
        every = self.level1 + self.groups
        if self.table.fam.level_weights:
            return every
        named: dict[str, str] = {}
        for s in self.indicators:
            named.setdefault(s.indicator.level1_key, s.indicator.level1)
        by_key = {l.key: l for l in every}
        return ([replace(by_key[k], name=named[k] or by_key[k].name) for k in named if k in by_key]
                + [l for l in every if l.key not in named])

    @property
    def name(self) -> str:
        return self.table.display_name


@dataclass
class RubricItem:
    group: str
    name: str
    max_points: Decimal
    criteria: str
    auto: str | None
    points: Decimal | None = None        # None: a reviewer scores it
    reason: str = ""


@dataclass
class SubmissionScore:
    profile: Profile
    tables: list[TableScore] = field(default_factory=list)
    rubric: list[RubricItem] = field(default_factory=list)

    @property
    def rubric_auto_points(self) -> Decimal:
        return sum((i.points for i in self.rubric if i.points is not None), ZERO)


# ---------------------------------------------------------------------------
# execution rate
# ---------------------------------------------------------------------------
def exec_points(rate: Decimal, weight: Decimal, p: Profile) -> tuple[Decimal, str, str]:
    """Points for an execution rate (percent), the basis, and a flag."""
    mode = p.get("exec_rate", "mode", "capped_linear")
    frac = rate / HUNDRED
    if mode == "tiered":
        for lower, share in p.get("exec_rate", "tiers", []):
            if rate >= Decimal(str(lower)):
                pts = p.round(weight * Decimal(str(share)))
                return pts, f"分档：执行率 ≥ {lower}% 得分值的 {Decimal(str(share)) * 100:.0f}%", ""
        return ZERO, "分档：低于最低档", ""
    if mode == "uncapped_linear":
        pts = p.round(weight * max(frac, ZERO))
        flag = "执行率超过 100%，按不封顶规则得分超过分值" if pts > weight else ""
        return pts, "得分 = 分值 × 执行率（不封顶）", flag
    pts = p.round(weight * min(max(frac, ZERO), ONE))
    return pts, "得分 = 分值 × min(执行率, 100%)", ""


# ---------------------------------------------------------------------------
# indicators
# ---------------------------------------------------------------------------
def over_achieved(a: Assessment, p: Profile) -> bool:
    """A ≥ indicator whose actual reached ``[indicators] over_achievement_ratio`` times its
    (positive) target: the target may have been set too low (RULES A5, A11)."""
    return (a.kind == "quantitative" and a.op in (">=", ">") and a.target is not None and a.target > ZERO
            and a.ratio is not None and a.ratio >= p.over_ratio)


def indicator_points(ind: Indicator, p: Profile) -> IndicatorScore:
    w = _num(ind.get("weight"))
    s = _num(ind.get("score"))
    if w is None:
        return IndicatorScore(ind, w, s, None, "分值为空，无法重算", "缺少分值")
    a = assess(ind, p)
    if a.kind == "quantitative" and a.met is not None:
        rule = p.over_deduction
        if rule > ZERO and a.met and over_achieved(a, p):       # 指标偏离: points off the full marks
            full = p.round(w)
            cut = min(rule, full)
            times = f"{fmt_number(a.ratio)} 倍" if a.ratio >= 2 else f"{fmt_number(a.ratio * HUNDRED)}%"
            said = (f"但实际完成值为指标值的 {times}（达到 {fmt_number(p.over_ratio * HUNDRED)}% 及以上），属指标偏离，"
                    f"满分扣 {fmt_number(cut)} 分" + (f"（规定扣 {fmt_number(rule)} 分，以分值为限）" if cut < rule else ""))
            _pts, basis = _quantitative(a, w, p, met_text=said)
            return IndicatorScore(ind, w, s, p.round(full - cut), basis, deduction=cut)
        pts, basis = _quantitative(a, w, p)
        return IndicatorScore(ind, w, s, pts, basis)
    if a.kind == "qualitative" and a.band is not None:
        lo, hi = p.band_range(a.band)
        lo_s, hi_s = p.round(lo * w), p.round(hi * w)
        names = {"achieved": "达成", "partial": "部分达成", "missed": "未达成"}
        basis = f"定性“{names[a.band]}”档：{lo_s}–{hi_s} 分"
        if s is None:
            return IndicatorScore(ind, w, s, hi_s if a.band == "achieved" else lo_s, basis + "（自评未打分，取档内分值）",
                                  "自评得分为空")
        upper_ok = s <= hi_s if a.band == "achieved" else s < hi_s
        if lo_s <= s and upper_ok:
            return IndicatorScore(ind, w, s, s, basis + "，自评得分在档内，保留")
        clamped = lo_s if s < lo_s else (hi_s if a.band == "achieved" else hi_s - Decimal("0.01"))
        return IndicatorScore(ind, w, s, clamped, basis + "，自评得分不在档内，取最近的档内分值",
                              "定性指标得分不在其档次区间")
    if ind.table.fam.rubric or not ({"target", "actual"} & ind.row.keys()):     # a criterion, not a target
        return IndicatorScore(ind, w, s, s, "评分细则项目：按评分标准评分，保留自评得分")
    reason = a.reason or "无法判断是否达成"
    return IndicatorScore(ind, w, s, s, f"{reason}，保留自评得分", "无法按规则重算，需人工复核")


def _quantitative(a: Assessment, w: Decimal, p: Profile, met_text: str = "得满分") -> tuple[Decimal, str]:
    actual = max(a.actual or ZERO, ZERO)
    target = a.target or ZERO
    op = a.op
    shown_op = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "=", "between": "区间"}.get(op, op)
    assumed = "（目标未写运算符，按 {} 处理）".format(shown_op) if a.implied_op else ""
    if a.met:
        return p.round(w), f"{shown_op} 类指标已达成，{met_text}{assumed}"
    if op in (">=", ">") or (op == "=" and target > ZERO and p.get("indicators", "equal", "as_positive") == "as_positive"):
        if target <= ZERO:
            return ZERO, f"{shown_op} 类指标未达成，目标不大于 0，得 0 分{assumed}"
        return p.round(w * min(actual / target, ONE)), f"{shown_op} 类指标未达成：分值 × 完成值 ÷ 指标值{assumed}"
    if op == "=":
        return ZERO, "= 类指标目标为 0，实际大于 0，得 0 分"
    if op in ("<=", "<"):
        rule = p.get("indicators", "reverse", "linear_to_double")
        if target <= ZERO:
            return ZERO, f"{shown_op} 类指标超过目标，目标为 0，得 0 分"
        if rule == "proportional":
            return p.round(w * min(target / actual, ONE)), f"{shown_op} 类指标超过目标：分值 × 指标值 ÷ 完成值{assumed}"
        if actual >= 2 * target:
            return ZERO, f"{shown_op} 类指标超过目标 1 倍及以上，得 0 分{assumed}"
        return p.round(w * (ONE - (actual - target) / target)), \
            f"{shown_op} 类指标超过目标：分值 × (1 − 超出部分 ÷ 指标值)，到目标 2 倍为 0{assumed}"
    if op == "between":
        lower, upper = target, a.upper if a.upper is not None else target
        if actual < lower:
            return (p.round(w * actual / lower) if lower > ZERO else ZERO), "低于区间下限：分值 × 完成值 ÷ 下限"
        if upper > ZERO and actual < 2 * upper:
            return p.round(w * (ONE - (actual - upper) / upper)), "高于区间上限：线性扣减，到上限 2 倍为 0"
        return ZERO, "高于区间上限 1 倍及以上，得 0 分"
    return w, "无法判断"


# ---------------------------------------------------------------------------
# tables and submission
# ---------------------------------------------------------------------------
def score_table(td: TableData, p: Profile) -> TableScore:
    budget, executed = _amt(td.fields.get("funds.total.budget")), _amt(td.fields.get("funds.total.executed"))
    rate = executed / budget * HUNDRED if budget not in (None, ZERO) and executed is not None else None
    ew = _num(td.fields.get("funds.total.weight"))
    fam = td.fam
    std = p.standards(fam)
    ew_used = ew if ew is not None else std.exec_rate
    es = _num(td.fields.get("funds.total.score"))
    if std.exec_rate is None:
        er, ebasis, eflag = None, f"{fam.name}：资金不计分", ""
    elif rate is not None:
        er, ebasis, eflag = exec_points(rate, ew_used, p)
    else:
        er, ebasis, eflag = None, "全年预算数或全年执行数缺失，无法计算执行率", "无法重算执行率得分"
    scores = [indicator_points(i, p) for i in td.indicators()]

    def group(key: str, name: str) -> Level1Score:
        mine = [s for s in scores if s.indicator.level1_key == key]
        return Level1Score(
            key, name,
            sum((s.weight or ZERO for s in mine), ZERO),
            sum((s.self_score or ZERO for s in mine), ZERO),
            sum((s.recomputed if s.recomputed is not None else (s.self_score or ZERO) for s in mine), ZERO))

    present = {s.indicator.level1_key: s.indicator.level1 for s in scores}
    # the standard 一级 the family expects (all of them, so a missing one shows as 0), or those it uses
    level1 = [group(k, n) for k, n, _w, _l2 in forms.LEVEL1 if k in std.levels or k in present]
    groups = [group(k, n or "（未命名）") for k, n in present.items() if k not in forms.LEVEL1_KEYS]
    total_self = None
    if es is not None or any(s.self_score is not None for s in scores):
        total_self = (es or ZERO) + sum((s.self_score or ZERO for s in scores), ZERO)
    total_re = None
    if er is not None or std.exec_rate is None:
        total_re = p.round((er or ZERO) + sum((g.recomputed for g in level1 + groups), ZERO))
    cap, cut, why = None, ZERO, ""
    tier = p.total_cap(rate) if total_re is not None and rate is not None else None
    if tier is not None:
        cap = tier[1]
        if total_re > cap:
            cut = total_re - p.round(cap)
            total_re = p.round(cap)
            why = f"执行率 {shown_rate(rate)}%，总分按规定不超过 {fmt_number(cap)} 分，扣减 {_two(cut)} 分"
    return TableScore(td, budget, executed, rate, ew_used, es, er, ebasis, eflag, level1, scores,
                      total_self, total_re, p.grade(total_self), p.grade(total_re), groups, cap, cut, why)


def _two(x: Decimal) -> str:
    return format(x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")


# -- the work rubric: automatic items are functions named in the profile ------
def _auto_appendix(sub: Submission, item: RubricItem) -> tuple[Decimal, str]:
    missing = [n for k, n in (("basic", "基础数据表"), ("overall", "部门整体支出绩效自评表"), ("project", "项目支出绩效自评表"))
               if k not in sub.tables_found]
    per = Decimal(2)
    pts = max(item.max_points - per * len(missing), ZERO)
    return pts, ("三张附表齐全" if not missing else f"缺少{'、'.join(missing)}，每缺一张扣 2 分")


def _auto_weights(sub: Submission, item: RubricItem, p: Profile, scores: list[TableScore]) -> tuple[Decimal, str]:
    tables = [ts.table for ts in scores]
    if not tables:
        return ZERO, "没有自评表"
    ok = []
    for ts in scores:
        std = p.standards(ts.table.fam)
        total = (ts.exec_weight or ZERO) + sum((l.weight for l in ts.level1 + ts.groups), ZERO)
        ok.append(ts.exec_weight == std.exec_rate and all(l.weight == std.levels[l.key] for l in ts.level1
                                                          if l.key in std.levels) and total == std.total)
    pts = p.round(item.max_points * Decimal(sum(ok)) / Decimal(len(ok)))
    bad = [t.display_name for t, good in zip(tables, ok) if not good]
    return pts, ("各表权重均符合其表式的标准" if not bad else f"{'、'.join(bad)}的权重与标准不同，按比例扣分")


def _auto_refined(sub: Submission, item: RubricItem, p: Profile, scores: list[TableScore]) -> tuple[Decimal, str]:
    tables = [t for t in sub.tables if t.kind in ("overall", "project")]
    if not tables:
        return ZERO, "没有自评表"
    good = 0
    bad = []
    for t in tables:
        inds = list(t.indicators())
        expected = p.standards(t.fam).levels     # the 一级 the family requires; none for rubric families
        has_all = all(any(i.level1_key == k for i in inds) for k in expected)
        named = all(i.name for i in inds)
        if has_all and named and inds:
            good += 1
        else:
            bad.append(t.display_name)
    pts = p.round(item.max_points * Decimal(good) / Decimal(len(tables)))
    return pts, ("各一级指标均细化到三级指标" if not bad else f"{'、'.join(bad)}有一级指标未细化到三级，按比例扣分")


AUTO_ITEMS: dict[str, Callable[..., tuple[Decimal, str]]] = {
    "appendix_complete": lambda sub, item, p, scores: _auto_appendix(sub, item),
    "weights_conform": _auto_weights,
    "refined_to_level3": _auto_refined,
}


def rubric_items(sub: Submission, p: Profile, scores: list[TableScore]) -> list[RubricItem]:
    """The work rubric's items; the automatic ones judged from the tables' scores already computed."""
    out = []
    for spec in p.data.get("rubric", {}).get("items", []):
        item = RubricItem(spec["group"], spec["name"], Decimal(str(spec["max"])), spec.get("criteria", ""),
                          spec.get("auto"))
        if item.auto:
            fn = AUTO_ITEMS.get(item.auto)
            if fn is None:
                raise ValueError(f"评分方案 {p.name} 的考核项“{item.name}”使用了未知的自动评分 {item.auto}")
            item.points, item.reason = fn(sub, item, p, scores)
        out.append(item)
    return out


def score_submission(sub: Submission, profile: Profile | None = None) -> SubmissionScore:
    p = profile or load_profile()
    res = SubmissionScore(p)
    for t in sub.tables:
        if t.kind in ("overall", "project"):
            res.tables.append(score_table(t, p))
    res.rubric = rubric_items(sub, p, res.tables)
    return res
