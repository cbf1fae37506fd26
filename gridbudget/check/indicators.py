"""Judging one 三级指标: was its target met, by how much, and what points follow.

Shared by validation (score consistent with target and actual) and scoring
(recomputed points), so both read targets the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..model import Indicator
from ..score.profile import Profile
from ..read.values import Quantity

_MONEY_FACTOR = {"万元": Decimal(1), "元": Decimal("0.0001"), "千元": Decimal("0.1"), "亿元": Decimal(10000)}


@dataclass
class Assessment:
    kind: str                      # "quantitative" | "qualitative" | "unknown"
    op: str | None = None          # ">=", "<=", ">", "<", "=", "between"
    target: Decimal | None = None
    upper: Decimal | None = None
    actual: Decimal | None = None
    met: bool | None = None        # None: cannot tell
    ratio: Decimal | None = None   # actual / target (quantitative)
    band: str | None = None        # qualitative: achieved / partial / missed
    reason: str = ""               # why it could not be judged (Chinese)
    implied_op: bool = False       # the target had no operator; one was assumed


def _comparable(t: Quantity, a: Quantity) -> tuple[Decimal, Decimal, Decimal | None] | None:
    """Target and actual in one unit (money units converted), or None when they differ."""
    tv, av, up = t.value, a.value, t.upper
    if tv is None or av is None:
        return None
    tu, au = t.unit, a.unit
    if tu == "%" and au is None and av <= Decimal("1.5") < tv:
        av = av * 100          # 0.98 read without its percent format (e.g. from .xls) against "≥95%"
    elif au == "%" and tu is None and tv <= Decimal("1.5") < av:
        tv = tv * 100
        up = up * 100 if up is not None else None
    if tu == au or tu is None or au is None:
        return tv, av, up
    if tu in _MONEY_FACTOR and au in _MONEY_FACTOR:
        f_t, f_a = _MONEY_FACTOR[tu], _MONEY_FACTOR[au]
        return tv * f_t, av * f_a, (up * f_t if up is not None else None)
    return None


def assess(ind: Indicator, profile: Profile) -> Assessment:
    """Judge an indicator (memoised on the indicator for the same profile and values)."""
    row = ind.row
    t, a = row.get("target"), row.get("actual")
    d = ind.__dict__
    hit = d.get("_assessed")            # the last profile's (one per run, nearly always)
    if hit is not None and hit[0] is profile and hit[1] is t and hit[2] is a:
        return hit[3]
    memo = d.setdefault("_assess", {})
    hit = memo.get(id(profile))
    if hit is None or hit[0] is not profile or hit[1] is not t or hit[2] is not a:
        hit = memo[id(profile)] = (profile, t, a, _assess(ind, profile))   # references held: identities stay valid
    d["_assessed"] = hit
    return hit[3]


def _assess(ind: Indicator, profile: Profile) -> Assessment:
    t = ind.get("target").quantity()
    a = ind.get("actual").quantity()
    if t.empty or a.empty:
        return Assessment("unknown", reason="指标值或实际完成值为空")
    if t.error or a.error:
        return Assessment("unknown", reason="指标值或实际完成值无法识别")
    if a.qualitative or (t.qualitative and a.value is None):
        band = profile.band_of_word(a.text or "") if a.qualitative else None
        met = None if band is None else band == "achieved"
        return Assessment("qualitative", band=band, met=met,
                          reason="" if band else "定性完成情况用语无法归档")
    if t.qualitative and a.value is not None:
        return Assessment("unknown", reason="定性指标却填写了数值")
    vals = _comparable(t, a)
    if vals is None:
        return Assessment("unknown", reason=f"指标值单位（{t.unit}）与实际完成值单位（{a.unit}）不同")
    tv, av, up = vals
    op = t.op
    implied = False
    if op is None:
        op = profile.get("indicators", "bare_target_cost", "<=") if ind.level2_key == "cost" else \
            profile.get("indicators", "bare_target_other", ">=")
        implied = True
    if op == "between":
        met = tv <= av <= (up if up is not None else tv)
    elif op in (">=", ">"):
        met = av >= tv if op == ">=" else av > tv
        if a.approx == "at_least" and av == tv:
            met = True
    elif op in ("<=", "<"):
        met = av <= tv if op == "<=" else av < tv
    elif op == "=":
        met = av == tv
    else:
        met = None
    ratio = (av / tv) if tv not in (None, Decimal(0)) else None
    return Assessment("quantitative", op=op, target=tv, upper=up, actual=av, met=met, ratio=ratio,
                      implied_op=implied)


def money_of(q: Quantity) -> Decimal | None:
    """A quantity that is an amount of money, in 万元 (None when no money unit is given)."""
    if q.value is None or q.unit not in _MONEY_FACTOR:
        return None
    return q.value * _MONEY_FACTOR[q.unit]
