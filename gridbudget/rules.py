"""The rule catalogue. Each rule is a small function registered with a stable code.

Codes: ``W-`` 表内 (within a table), ``X-`` 表间 (across tables), ``S-`` 计分 (weights
and scores), ``D-`` 偏差说明 (deviation notes, 计分), ``C-`` 完整性 (completeness and
readability), ``Y-`` 跨年 (across years). Policy sources are in RULES.md (A*, H*, V*, D*).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterator

from . import forms
from .findings import ERROR, INFO, KIND_ACROSS, KIND_COMPLETE, KIND_SCORING, KIND_WITHIN, KIND_YEARS, WARNING
from .findings import fmt_value
from .indicators import assess, money_of
from .model import Indicator, TableData, Val
from .validate import Ctx, Hit, rule
from .values import is_no_deviation

ZERO = Decimal(0)
HUNDRED = Decimal(100)
FUND_COLS = (("initial", "年初预算数"), ("budget", "全年预算数"), ("executed", "全年执行数"))
BASIC_COLS = (("prev_final", "上年决算数"), ("budget", "本年预算数"), ("final", "本年决算数"))


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def amount(v: Val | None) -> Decimal | None:
    return None if v is None else v.amount_value()


def number(v: Val | None) -> Decimal | None:
    return None if v is None else v.number_value()


def money(x: Decimal | None) -> str:
    return "（空）" if x is None else f"{x.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}万元"


def pct(x: Decimal | None, places: int = 2) -> str:
    if x is None:
        return "（空）"
    return f"{x.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}%"


def neq(a: Decimal, b: Decimal, tol: Decimal) -> bool:
    return abs(a - b) > tol + Decimal("0.000001")


def stated(v: Val | None) -> bool:
    """A value a person stated (not a formula of the template that computes it)."""
    return v is not None and not v.is_formula and not v.empty


def tables(ctx: Ctx, *kinds: str) -> Iterator[TableData]:
    for t in ctx.sub.tables:
        if t.kind in kinds:
            yield t


def label_of(td: TableData) -> str:
    return f"项目“{td.display_name}”" if td.kind == "project" else td.label


def all_notes_silent(ctx: Ctx, td: TableData) -> bool:
    """Every 偏差原因 of the table is blank or says there is no deviation."""
    return all(is_no_deviation(i.get("note").text()) for i in ctx.inds(td))


# ---------------------------------------------------------------------------
# 表内: execution and control rates
# ---------------------------------------------------------------------------
def _rate_hits(td: TableData, rate_key: str, num: Decimal | None, den: Decimal | None, what: str,
               formula: str) -> Iterator[Hit]:
    v = td.fields.get(rate_key)
    if v is None or not stated(v):
        return
    q = v.rate()
    if q.value is None:
        return       # unreadable: C-UNREADABLE reports it
    if den is None or num is None or den == ZERO:
        return
    computed = num / den * HUNDRED
    shown = q.decimals if q.decimals is not None else (v.decimals if v.decimals is not None else 2)
    shown = max(0, min(shown, 4))
    step = Decimal(1).scaleb(-shown)
    expect_shown = computed.quantize(step, rounding=ROUND_HALF_UP)
    got_shown = q.value.quantize(step, rounding=ROUND_HALF_UP)   # a number in a cell shows rounded
    if got_shown != expect_shown:
        yield Hit(td, v, f"{what}计算有误：{formula} = {pct(computed)}，表中填的是 {fmt_value(v.text())}。",
                  expected=pct(computed), found=v.text(), key=rate_key)
    elif shown < 2 and computed.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) != expect_shown:
        yield Hit(td, v, f"{what}只保留了 {shown} 位小数（{v.text()}），按两位小数应为 {pct(computed)}。",
                  expected=pct(computed), found=v.text(), key=rate_key, severity=INFO)


@rule("W-EXEC-RATE", KIND_WITHIN, ERROR, "执行率计算有误",
      "执行率 = 全年执行数 ÷ 全年预算数（调整后预算数），不是除以年初预算数。表中填写的执行率按其显示的小数位数四舍五入后，"
      "应与计算值一致；少保留小数位但数值一致的，只作提示。", "RULES A3、V1")
def exec_rate(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        yield from _rate_hits(td, "funds.total.rate", amount(td.fields.get("funds.total.executed")),
                              amount(td.fields.get("funds.total.budget")), "执行率", "全年执行数 ÷ 全年预算数")


@rule("W-CONTROL-RATE", KIND_WITHIN, ERROR, "控制率计算有误",
      "基础数据表中：财政供养人员控制率 = 实际在职人数 ÷ 编制数；规模控制率 = 实际规模 ÷ 批复规模；"
      "投资概算控制率 = 实际投资 ÷ 预算投资。分母为 0 或空时不适用。", "RULES H4、H5")
def control_rates(ctx: Ctx):
    for td in tables(ctx, "basic"):
        yield from _rate_hits(td, "staff.rate", number(td.fields.get("staff.actual")),
                              number(td.fields.get("staff.authorized")), "人员控制率", "实际在职人数 ÷ 编制数")
        yield from _rate_hits(td, "building.area_rate", number(td.fields.get("building.actual_area")),
                              number(td.fields.get("building.approved_area")), "规模控制率", "实际规模 ÷ 批复规模")
        yield from _rate_hits(td, "building.invest_rate", amount(td.fields.get("building.actual")),
                              amount(td.fields.get("building.budget")), "投资概算控制率", "实际投资 ÷ 预算投资")


@rule("W-STAFF-OVER", KIND_WITHIN, WARNING, "实际在职人数超过编制数",
      "财政供养人员控制率超过 100%（实际在职人数多于编制数）须说明原因。", "RULES H4、D7")
def staff_over(ctx: Ctx):
    for td in tables(ctx, "basic"):
        a, b = number(td.fields.get("staff.actual")), number(td.fields.get("staff.authorized"))
        if a is not None and b is not None and b > ZERO and a > b:
            yield Hit(td, td.fields.get("staff.actual"), f"实际在职人数 {a} 人超过编制数 {b} 人，控制率 {pct(a / b * HUNDRED)}。",
                      expected=f"≤{b}", found=str(a), key="staff.actual")


# ---------------------------------------------------------------------------
# 表内: sums
# ---------------------------------------------------------------------------
def _sum_hit(td: TableData, total_key: str, part_keys: list[str], what: str, parts_label: str,
             tol: Decimal, *, require_parts: bool = True) -> Iterator[Hit]:
    tv = td.fields.get(total_key)
    total = amount(tv)
    parts = [amount(td.fields.get(k)) for k in part_keys]
    if require_parts and all(p is None for p in parts):
        return
    if total is None:
        if tv is not None and tv.is_formula:
            return
        if any(p not in (None, ZERO) for p in parts):
            s = sum((p for p in parts if p is not None), ZERO)
            yield Hit(td, tv, f"{what}为空，但{parts_label}合计 {money(s)}。", expected=money(s), found=None,
                      key=total_key)
        return
    if tv is not None and tv.is_formula and tv.raw is None:
        return
    s = sum((p for p in parts if p is not None), ZERO)
    if neq(total, s, tol * max(1, len(part_keys) // 2)):
        yield Hit(td, tv, f"{what} {money(total)} 不等于{parts_label}之和 {money(s)}（相差 {money(total - s)}）。",
                  expected=money(s), found=money(total), key=total_key)


def _breakdown_hits(ctx: Ctx, rows, prefix: str, what: str, tol_mult: int) -> Iterator[Hit]:
    """A breakdown of the overall table's 全年执行数 (按收入性质 / 按支出性质) adds up."""
    for td in tables(ctx, "overall"):
        keys = [f"{prefix}.{k}" for k, _l, _s in rows]
        parts = [amount(td.fields.get(k)) for k in keys]
        total = amount(td.fields.get("funds.total.executed"))
        if total is None or all(p is None for p in parts):
            continue
        s = sum((p for p in parts if p is not None), ZERO)
        if neq(total, s, ctx.profile.amount_tolerance * tol_mult):
            first = next(td.fields[k] for k, p in zip(keys, parts) if p is not None)
            yield Hit(td, first, f"{what}之和 {money(s)} 不等于全年执行数 {money(total)}（相差 {money(s - total)}）。",
                      expected=money(total), found=money(s), key=prefix)


@rule("W-INCOME-SUM", KIND_WITHIN, ERROR, "按收入性质分合计不等于全年执行数",
      "部门整体支出自评表中，一般公共预算 + 政府性基金拨款 + 纳入专户管理的非税收入拨款 + 其他资金 应等于全年执行数。",
      "RULES V3、A12")
def income_sum(ctx: Ctx):
    yield from _breakdown_hits(ctx, forms.INCOME_ROWS, "income", "按收入性质分各项", 2)


@rule("W-EXPENSE-SUM", KIND_WITHIN, ERROR, "按支出性质分合计不等于全年执行数",
      "部门整体支出自评表中，基本支出 + 项目支出 应等于全年执行数。", "RULES V3、A12")
def expense_sum(ctx: Ctx):
    yield from _breakdown_hits(ctx, forms.EXPENSE_ROWS, "expense", "基本支出与项目支出", 1)


@rule("W-PROJECT-FUNDS-SUM", KIND_WITHIN, ERROR, "项目资金来源之和不等于年度资金总额",
      "项目支出绩效自评表中，当年财政拨款 + 上年结转资金 + 其他资金 应等于年度资金总额，年初预算数、全年预算数、"
      "全年执行数三列分别核对。", "RULES V2、A2")
def project_funds_sum(ctx: Ctx):
    for td in tables(ctx, "project"):
        for ck, clabel in FUND_COLS:
            keys = [f"funds.{k}.{ck}" for k, _l, _s in forms.PROJECT_FUND_ROWS]
            yield from _sum_hit(td, f"funds.total.{ck}", keys, f"年度资金总额（{clabel}）",
                                "当年财政拨款、上年结转资金、其他资金", ctx.profile.amount_tolerance)


@rule("W-SANGONG-SUM", KIND_WITHIN, ERROR, "三公经费与明细不符",
      "三公经费 = 公务用车购置和维护经费 + 出国经费 + 公务接待；公务用车购置和维护经费 = 公车购置 + 公车运行维护；"
      "上年决算数、本年预算数、本年决算数三列分别核对。", "RULES V5、D2")
def sangong_sum(ctx: Ctx):
    tol = ctx.profile.amount_tolerance
    for td in tables(ctx, "basic"):
        for ck, clabel in BASIC_COLS:
            yield from _sum_hit(td, f"car.{ck}", [f"car_purchase.{ck}", f"car_operation.{ck}"],
                                f"公务用车购置和维护经费（{clabel}）", "公车购置、公车运行维护", tol)
            car = amount(td.fields.get(f"car.{ck}"))
            parts = [f"car.{ck}", f"abroad.{ck}", f"reception.{ck}"]
            if car is None:
                parts = [f"car_purchase.{ck}", f"car_operation.{ck}", f"abroad.{ck}", f"reception.{ck}"]
            yield from _sum_hit(td, f"sangong.{ck}", parts, f"三公经费（{clabel}）",
                                "公务用车购置和维护经费、出国经费、公务接待", tol)


@rule("W-PROJECTS-TOTAL", KIND_WITHIN, ERROR, "项目支出合计与各项目不符",
      "基础数据表“项目支出”一行填写了合计数时，应等于其下各项目（含市级专项资金）之和，三列分别核对。", "RULES D1")
def projects_total(ctx: Ctx):
    tol = ctx.profile.amount_tolerance
    for td in tables(ctx, "basic"):
        rows = td.rows("projects") + td.rows("special_funds")
        for ck, clabel in BASIC_COLS:
            tv = td.fields.get(f"projects_total.{ck}")
            total = amount(tv)
            vals = [amount(r.get(ck)) for r in rows]
            if total is None or not stated(tv) or all(x is None for x in vals):
                continue
            s = sum((x for x in vals if x is not None), ZERO)
            if neq(total, s, tol * max(1, len(rows) // 2)):
                yield Hit(td, tv, f"项目支出合计（{clabel}）{money(total)} 不等于各项目之和 {money(s)}。",
                          expected=money(s), found=money(total), key=f"projects_total.{ck}")


@rule("W-SUBITEM-GT-PARENT", KIND_WITHIN, ERROR, "“其中”项大于合计",
      "公用经费下的“其中”项（办公经费，水费、电费、差旅费，会议费、培训费）是部分列举：各项及其合计都不应超过公用经费，"
      "但不要求相等。", "RULES D2")
def subitems(ctx: Ctx):
    tol = ctx.profile.amount_tolerance
    for td in tables(ctx, "basic"):
        for ck, clabel in BASIC_COLS:
            parent_v = td.fields.get(f"public.{ck}")
            parent = amount(parent_v)
            kids = [(k, amount(td.fields.get(f"{k}.{ck}"))) for k in ("office", "utilities", "meetings")]
            kids = [(k, x) for k, x in kids if x is not None]
            if not kids:
                continue
            s = sum(x for _k, x in kids)
            if parent is None:
                if s > ZERO:
                    yield Hit(td, parent_v, f"公用经费（{clabel}）为空，但其中各项合计 {money(s)}。",
                              expected=f"≥{money(s)}", found=None, key=f"public.{ck}")
                continue
            if s > parent + tol:
                worst = max(kids, key=lambda kx: kx[1])
                yield Hit(td, td.fields.get(f"{worst[0]}.{ck}"),
                          f"公用经费（{clabel}）“其中”各项合计 {money(s)} 超过公用经费 {money(parent)}。",
                          expected=f"≤{money(parent)}", found=money(s), key=f"{worst[0]}.{ck}")


@rule("W-NEGATIVE", KIND_WITHIN, ERROR, "金额为负数",
      "预算数、执行数、决算数等金额不应为负数。", "RULES V15")
def negative(ctx: Ctx):
    for td in ctx.sub.tables:
        fields = forms.fields_of(td.kind)
        for key, v in td.fields.items():
            f = fields.get(key)
            if f is not None and f.kind == forms.MONEY:
                x = amount(v)
                if x is not None and x < ZERO:
                    yield Hit(td, v, f"{f.label.format(year='本', prev_year='上')}为负数（{money(x)}）。",
                              expected="≥0", found=money(x), key=key)
        for block, rows in td.blocks.items():
            for row in rows:
                for col, v in row.items():
                    f = fields.get(f"{block}.{col}")
                    if f is not None and f.kind == forms.MONEY:
                        x = amount(v)
                        if x is not None and x < ZERO:
                            yield Hit(td, v, f"金额为负数（{money(x)}）。", expected="≥0", found=money(x),
                                      key=f"{block}.{col}")


@rule("W-EXEC-OVER-BUDGET", KIND_WITHIN, WARNING, "执行数超过预算数",
      "全年执行数大于全年预算数（执行率超过 100%）通常是填报错误；计分时执行率按 100% 封顶。", "RULES V11、A4")
def exec_over(ctx: Ctx):
    tol = ctx.profile.amount_tolerance
    for td in tables(ctx, "overall", "project"):
        rows = [("total", "年度资金总额")] + ([(k, l) for k, l, _s in forms.PROJECT_FUND_ROWS] if td.kind == "project" else [])
        for rk, rl in rows:
            b, e = amount(td.fields.get(f"funds.{rk}.budget")), amount(td.fields.get(f"funds.{rk}.executed"))
            if b is not None and e is not None and e > b + tol:
                yield Hit(td, td.fields.get(f"funds.{rk}.executed"),
                          f"{rl}的全年执行数 {money(e)} 大于全年预算数 {money(b)}。",
                          expected=f"≤{money(b)}", found=money(e), key=f"funds.{rk}.executed")


_ADJUST_WORDS = re.compile(r"预算(调整|调减|调增|减少|增加|追加|压减|核减)|调减|调增|追加|调整预算|压减")


@rule("W-BUDGET-ADJUSTED", KIND_WITHIN, INFO, "年中调整了预算",
      "全年预算数与年初预算数不同，说明年中调整了预算，应在自评中说明调整原因（四川青神等地要求）；"
      "指出偏差原因中是否提到了调整。", "RULES V12、H3")
def budget_adjusted(ctx: Ctx):
    tol = ctx.profile.amount_tolerance
    for td in tables(ctx, "overall", "project"):
        a, b = amount(td.fields.get("funds.total.initial")), amount(td.fields.get("funds.total.budget"))
        if a is None or b is None or not neq(a, b, tol):
            continue
        direction = "调减" if b < a else "调增"
        hints = [i for i in ctx.inds(td) if _ADJUST_WORDS.search(i.get("note").text())]
        said = (f"只有“{hints[0].name}”的偏差原因“{hints[0].get('note').text()}”提到预算调整" if hints
                else "表中没有说明调整原因")
        yield Hit(td, td.fields.get("funds.total.budget"),
                  f"全年预算数 {money(b)} 与年初预算数 {money(a)} 不同（{direction} {money(abs(b - a))}），{said}。",
                  expected=money(a), found=money(b), key="funds.total.budget")


@rule("W-SANGONG-OVER-BUDGET", KIND_WITHIN, WARNING, "三公经费决算超过预算",
      "三公经费本年决算数（及其各项）不应超过本年预算数（岳阳“三公经费控制率”≤100% 得满分）。", "RULES D3、H3")
def sangong_over(ctx: Ctx):
    tol = ctx.profile.amount_tolerance
    for td in tables(ctx, "basic"):
        for key, label in (("sangong", "三公经费"), ("car", "公务用车购置和维护经费"), ("car_purchase", "公车购置"),
                           ("car_operation", "公车运行维护"), ("abroad", "出国经费"), ("reception", "公务接待")):
            b, f = amount(td.fields.get(f"{key}.budget")), amount(td.fields.get(f"{key}.final"))
            if b is not None and f is not None and f > b + tol:
                yield Hit(td, td.fields.get(f"{key}.final"), f"{label}本年决算数 {money(f)} 超过本年预算数 {money(b)}。",
                          expected=f"≤{money(b)}", found=money(f), key=f"{key}.final")


@rule("W-SANGONG-INCREASE", KIND_WITHIN, INFO, "三公经费比上年增加",
      "三公经费“只减不增”：本年决算数高于上年决算数时提示（上年预算数不在表中，因此只作提示）。", "RULES D4、H2、H6")
def sangong_increase(ctx: Ctx):
    tol = ctx.profile.amount_tolerance
    for td in tables(ctx, "basic"):
        p, f = amount(td.fields.get("sangong.prev_final")), amount(td.fields.get("sangong.final"))
        if p is None or f is None:
            parts = ("car", "abroad", "reception")
            ps = [amount(td.fields.get(f"{k}.prev_final")) for k in parts]
            fs = [amount(td.fields.get(f"{k}.final")) for k in parts]
            if all(x is None for x in ps) or all(x is None for x in fs):
                continue
            p = sum((x for x in ps if x is not None), ZERO)
            f = sum((x for x in fs if x is not None), ZERO)
        if f > p + tol:
            yield Hit(td, td.fields.get("sangong.final"), f"三公经费本年决算数 {money(f)} 比上年决算数 {money(p)} 增加 {money(f - p)}。",
                      expected=f"≤{money(p)}", found=money(f), key="sangong.final")


@rule("W-PROCUREMENT-OVER", KIND_WITHIN, WARNING, "政府采购金额决算超过预算",
      "政府采购金额本年决算数一般不应超过本年预算数。", "RULES D5")
def procurement(ctx: Ctx):
    tol = ctx.profile.amount_tolerance
    for td in tables(ctx, "basic"):
        b, f = amount(td.fields.get("procurement.budget")), amount(td.fields.get("procurement.final"))
        if b is not None and f is not None and f > b + tol:
            yield Hit(td, td.fields.get("procurement.final"), f"政府采购金额本年决算数 {money(f)} 超过本年预算数 {money(b)}。",
                      expected=f"≤{money(b)}", found=money(f), key="procurement.final")


@rule("W-PROJECT-NO-BUDGET", KIND_WITHIN, WARNING, "项目有决算数但没有预算数",
      "基础数据表中某个项目填了本年决算数，却没有本年预算数：要么漏填预算，要么是无预算支出，应核实并说明。", "DOMAIN 第 5 项")
def project_no_budget(ctx: Ctx):
    for td in tables(ctx, "basic"):
        for block in ("projects", "special_funds"):
            for row in td.rows(block):
                f = amount(row.get("final"))
                b = row.get("budget")
                if f is not None and f > ZERO and (b is None or b.empty):
                    name = row.get("name").text() if row.get("name") else ""
                    yield Hit(td, b if b is not None and b.cell else row.get("final"),
                              f"项目“{name}”本年决算数 {money(f)}，但没有填本年预算数。",
                              expected="本年预算数", found=None, key=f"{block}.budget")


# ---------------------------------------------------------------------------
# 计分: weights and scores
# ---------------------------------------------------------------------------
def _level1_rows(ctx: Ctx, td: TableData) -> dict[str, list[Indicator]]:
    out: dict[str, list[Indicator]] = {k: [] for k, *_ in forms.LEVEL1}
    for i in ctx.inds(td):
        out[i.level1_key].append(i)
    return out


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


# ---------------------------------------------------------------------------
# 表间 (across tables)
# ---------------------------------------------------------------------------
def _basic_project_rows(ctx: Ctx):
    b = ctx.sub.basic
    if b is None:
        return []
    return [r for blk in ("projects", "special_funds") for r in b.rows(blk)]


@rule("X-PROJECTS-VS-OVERALL", KIND_ACROSS, ERROR, "基础数据表项目支出与整体支出自评表不符",
      "基础数据表各项目支出本年决算数之和应等于部门整体支出自评表“按支出性质分”的项目支出。", "DOMAIN 表间、RULES V14")
def projects_vs_overall(ctx: Ctx):
    b, o = ctx.sub.basic, ctx.sub.overall
    if b is None or o is None:
        return
    ov = o.fields.get("expense.project")
    op_ = amount(ov)
    rows = _basic_project_rows(ctx)
    vals = [amount(r.get("final")) for r in rows]
    total_v = b.fields.get("projects_total.final")
    if all(x is None for x in vals):
        if stated(total_v) and amount(total_v) is not None:
            vals = [amount(total_v)]
        else:
            return
    if op_ is None:
        return
    s = sum((x for x in vals if x is not None), ZERO)
    if neq(s, op_, ctx.profile.amount_tolerance * max(1, len(rows) // 2)):
        yield Hit(o, ov, f"整体支出自评表项目支出 {money(op_)}，基础数据表各项目本年决算数之和 {money(s)}，两者不符。",
                  expected=money(s), found=money(op_), key="expense.project")


def _name_key(s: str) -> str:
    return re.sub(r"[\s（）()“”\"'、，,。.：:]", "", s)


@rule("X-PROJECT-SHEET-ROW", KIND_ACROSS, WARNING, "项目表与基础数据表的项目行对不上",
      "每张项目支出绩效自评表应在基础数据表中有同名的项目支出行，且年初预算数/全年预算数/全年执行数与该行的本年预算数/"
      "本年决算数一致；名称不同但金额一致时指出可能对应的行，都对不上时提示核实。", "DOMAIN 第 4 项")
def project_sheet_row(ctx: Ctx):
    rows = _basic_project_rows(ctx)
    if ctx.sub.basic is None or not rows:
        return
    tol = ctx.profile.amount_tolerance
    for td in ctx.sub.projects:
        name = td.get("name").text()
        pb, pe = amount(td.fields.get("funds.total.budget")), amount(td.fields.get("funds.total.executed"))
        by_name = [r for r in rows if r.get("name") and _name_key(r["name"].text()) == _name_key(name) and name]
        if by_name:
            r = by_name[0]
            rb, rf = amount(r.get("budget")), amount(r.get("final"))
            if (rf is not None and pe is not None and neq(rf, pe, tol)) or (rb is not None and pb is not None and neq(rb, pb, tol)):
                yield Hit(td, td.fields.get("funds.total.executed"),
                          f"项目“{name}”全年预算数/执行数 {money(pb)}/{money(pe)}，与基础数据表同名行的本年预算数/决算数 "
                          f"{money(rb)}/{money(rf)} 不符。", expected=f"{money(rb)}/{money(rf)}",
                          found=f"{money(pb)}/{money(pe)}", key="funds.total.executed", severity=ERROR)
            continue
        by_amount = [r for r in rows if amount(r.get("final")) is not None and pe is not None
                     and not neq(amount(r.get("final")), pe, tol)
                     and (pb is None or amount(r.get("budget")) is None or not neq(amount(r.get("budget")), pb, tol))]
        if by_amount:
            r = by_amount[0]
            yield Hit(td, td.fields.get("name"),
                      f"项目“{name}”在基础数据表中没有同名的项目支出行；金额（{money(pb)}/{money(pe)}）与“{r['name'].text()}”一行一致，"
                      "可能是同一项目而名称不同，请统一名称。", expected=r["name"].text(), found=name, key="name")
        else:
            yield Hit(td, td.fields.get("name"),
                      f"项目“{name}”在基础数据表中找不到同名的项目支出行，金额（{money(pb)}/{money(pe)}）也与各行都不一致。",
                      expected="基础数据表中的项目支出行", found=name, key="name")


@rule("X-PROJECT-SHEETS-SUM", KIND_ACROSS, INFO, "各项目表合计与项目支出",
      "各项目支出绩效自评表全年执行数之和不应超过整体支出自评表的项目支出（超过为错误）；小于时提示只评价了部分项目。",
      "RULES V14")
def project_sheets_sum(ctx: Ctx):
    o = ctx.sub.overall
    if o is None or not ctx.sub.projects:
        return
    op_ = amount(o.fields.get("expense.project"))
    vals = [amount(p.fields.get("funds.total.executed")) for p in ctx.sub.projects]
    if op_ is None or all(v is None for v in vals):
        return
    s = sum((v for v in vals if v is not None), ZERO)
    tol = ctx.profile.amount_tolerance * len(vals)
    if s > op_ + tol:
        yield Hit(o, o.fields.get("expense.project"),
                  f"{len(vals)} 张项目表全年执行数合计 {money(s)}，超过整体支出自评表项目支出 {money(op_)}。",
                  expected=f"≤{money(op_)}", found=money(s), key="expense.project", severity=ERROR)
    elif s < op_ - tol:
        yield Hit(o, o.fields.get("expense.project"),
                  f"{len(vals)} 张项目表全年执行数合计 {money(s)}，占项目支出 {money(op_)} 的 {pct(s / op_ * HUNDRED)}：只对部分项目做了自评。",
                  expected=money(op_), found=money(s), key="expense.project")


@rule("X-PUBLIC-GT-BASIC", KIND_ACROSS, ERROR, "公用经费大于基本支出",
      "公用经费是基本支出的一部分：基础数据表公用经费本年决算数不应超过整体支出自评表的基本支出。", "DOMAIN 表间")
def public_gt_basic(ctx: Ctx):
    b, o = ctx.sub.basic, ctx.sub.overall
    if b is None or o is None:
        return
    pub, bas = amount(b.fields.get("public.final")), amount(o.fields.get("expense.basic"))
    if pub is not None and bas is not None and pub > bas + ctx.profile.amount_tolerance:
        yield Hit(b, b.fields.get("public.final"), f"公用经费本年决算数 {money(pub)} 大于整体支出自评表基本支出 {money(bas)}。",
                  expected=f"≤{money(bas)}", found=money(pub), key="public.final")


@rule("X-COST-CEILING", KIND_ACROSS, WARNING, "成本指标上限与预算数不一致",
      "成本指标“控制在预算内”一类的上限（如 ≤120.54万元）应与本表的年初预算数或全年预算数一致；"
      "不一致时可能引用了别的口径或预算调整后未更新。", "DOMAIN 表间")
def cost_ceiling(ctx: Ctx):
    tol = ctx.profile.amount_tolerance
    for td in tables(ctx, "overall", "project"):
        figures = [amount(td.fields.get(f"funds.total.{k}")) for k in ("initial", "budget")]
        figures = [f for f in figures if f is not None]
        if not figures:
            continue
        for i in ctx.inds(td):
            if i.level2_key != "cost":
                continue
            q = i.get("target").quantity()
            if q.op not in ("<=", "<") and not (q.op is None and q.value is not None):
                continue
            ceiling = money_of(q)
            if ceiling is None:
                continue
            if all(neq(ceiling, f, tol) for f in figures):
                near = ", ".join(money(f) for f in figures)
                yield Hit(td, i.get("target"), f"成本指标“{i.name}”上限 {money(ceiling)} 与本表预算数（{near}）都不一致。",
                          expected=near, found=money(ceiling), key=f"{i.block}.target")


@rule("X-UNIT-NAME", KIND_ACROSS, INFO, "各表单位名称不一致",
      "基础数据表、整体支出自评表和项目表（实施单位）的单位名称应一致，便于汇总和对账。", "")
def unit_names(ctx: Ctx):
    names = []
    for td in ctx.sub.tables:
        v = td.fields.get("unit")
        if v is not None and not v.empty:
            names.append((td, v, _name_key(v.text())))
    if len({n for _t, _v, n in names}) > 1:
        first = names[0]
        for td, v, n in names[1:]:
            if n != first[2]:
                yield Hit(td, v, f"{label_of(td)}单位名称“{v.text()}”与{label_of(first[0])}“{first[1].text()}”不一致。",
                          expected=first[1].text(), found=v.text(), key="unit")


@rule("X-YEAR", KIND_ACROSS, ERROR, "各表年度不一致",
      "同一份自评附表的各张表应属于同一年度。", "")
def years(ctx: Ctx):
    ys = [(td, td.year) for td in ctx.sub.tables if td.year]
    if len({y for _t, y in ys}) > 1:
        base = ys[0]
        for td, y in ys[1:]:
            if y != base[1]:
                v = td.fields.get("year")
                yield Hit(td, v if v is not None and v.cell else None,
                          f"{label_of(td)}年度为 {y}，与{label_of(base[0])}的 {base[1]} 不同。",
                          expected=str(base[1]), found=str(y), key="year", sheet=td.sheet, cell="A1")


# ---------------------------------------------------------------------------
# 完整性 (completeness, readability)
# ---------------------------------------------------------------------------
_REQUIRED_FUNDS = (("funds.total.budget", "全年预算数"), ("funds.total.executed", "全年执行数"),
                   ("funds.total.weight", "预算执行率分值"), ("funds.total.score", "预算执行率得分"))


@rule("C-REQUIRED", KIND_COMPLETE, ERROR, "必填项为空",
      "单位名称、项目名称、全年预算数、全年执行数、执行率的分值与得分，以及每个三级指标的指标值、实际完成值、分值和得分必须填写。",
      "RULES V15")
def required(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        head = ("unit", "预算部门名称") if td.kind == "overall" else ("name", "项目支出名称")
        v = td.fields.get(head[0])
        if v is None or v.empty:
            if v is not None and v.cell:
                yield Hit(td, v, f"{head[1]}未填写。", expected=head[1], key=head[0])
        for key, label in _REQUIRED_FUNDS:
            v = td.fields.get(key)
            if v is not None and v.cell and v.empty and not v.is_formula:
                yield Hit(td, v, f"{label_of(td)}的{label}未填写。", expected=label, key=key)
        for i in ctx.inds(td):
            missing = [lab for col, lab in (("name", "三级指标名称"), ("target", "年度指标值"), ("actual", "实际完成值"),
                                            ("weight", "分值"), ("score", "得分")) if i.get(col).empty]
            if missing:
                col = {"三级指标名称": "name", "年度指标值": "target", "实际完成值": "actual", "分值": "weight",
                       "得分": "score"}[missing[0]]
                yield Hit(td, i.get(col) if i.get(col).cell else i.anchor,
                          f"三级指标“{i.name or '（无名称）'}”缺少：{'、'.join(missing)}。",
                          expected="、".join(missing), key=f"{i.block}.{col}")
    for td in tables(ctx, "basic"):
        for key, label in (("staff.authorized", "编制数"), ("staff.actual", "实际在职人数")):
            v = td.fields.get(key)
            if v is not None and v.cell and v.empty:
                yield Hit(td, v, f"基础数据表的{label}未填写。", expected=label, key=key)


_READERS = {forms.MONEY: Val.amount, forms.WEIGHT: Val.number, forms.SCORE: Val.number, forms.AREA: Val.number,
            forms.COUNT: Val.count, forms.RATE: Val.rate, forms.QUANTITY: Val.quantity}


@rule("C-UNREADABLE", KIND_COMPLETE, ERROR, "数值无法识别",
      "应填数字的单元格（金额、人数、分值、得分、比率）或指标值中的文字无法识别为数值，如“约一百多”、两个数字并列等；"
      "请改为明确的数字（金额单元格不要加“万元”以外的文字）。", "RULES V15")
def unreadable(ctx: Ctx):
    for td in ctx.sub.tables:
        fields = forms.fields_of(td.kind)
        items = [(k, v) for k, v in td.fields.items()]
        items += [(f"{b}.{c}", v) for b, rows in td.blocks.items() for row in rows for c, v in row.items()]
        for key, v in items:
            f = fields.get(key)
            if f is None or v.empty or v.error or v.uncomputed:
                continue
            reader = _READERS.get(f.kind)
            if reader is None:
                continue
            res = reader(v)
            if res.error:
                yield Hit(td, v, res.error, expected=forms.KIND_LABELS[f.kind], found=v.text(), key=key)


@rule("C-CELL-PROBLEM", KIND_COMPLETE, ERROR, "公式错误或未计算",
      "单元格是公式错误（#DIV/0!、#REF!、#VALUE! 等），或是文件从未在 Excel/WPS 中打开保存、公式没有计算结果；"
      "这样的值无法读取，不会当作 0。", "PITFALLS")
def cell_problems(ctx: Ctx):
    for p in ctx.sub.problems:
        if p.code not in ("formula_error", "uncomputed_formula"):
            continue
        td = next((t for t in ctx.sub.tables if t.sheet == p.sheet), None)
        yield Hit(td, None, p.message, expected="数值", found=p.found, key=p.key, sheet=p.sheet, cell=p.cell,
                  severity=ERROR if p.code == "formula_error" else WARNING)


@rule("C-LEVEL-UNKNOWN", KIND_COMPLETE, WARNING, "指标无法归入一级/二级指标",
      "三级指标所在的一级、二级指标名称无法识别（不是产出/效益/满意度及其标准二级指标），这些行没有参加审核。", "RULES A2")
def level_unknown(ctx: Ctx):
    for p in ctx.sub.problems:
        if p.code == "indicator_level_unknown":
            td = next((t for t in ctx.sub.tables if t.sheet == p.sheet), None)
            yield Hit(td, None, p.message, sheet=p.sheet, cell=p.cell)


@rule("C-READ-NOTE", KIND_COMPLETE, INFO, "读取说明",
      "读取时的说明：空白的项目表被忽略、同一工作簿中重复的表只读第一张等。", "")
def read_notes(ctx: Ctx):
    for p in ctx.sub.problems:
        if p.code == "read_note":
            yield Hit(None, None, p.message, sheet=p.sheet, cell=p.cell)


@rule("C-TABLE-MISSING", KIND_COMPLETE, INFO, "缺少附表",
      "自评附表应包括基础数据表、部门整体支出绩效自评表和项目支出绩效自评表；缺少的表只作提示（很多提交只含其中几张）。",
      "DOMAIN、RULES H8（附件部分内容齐全）")
def table_missing(ctx: Ctx):
    found = set(ctx.sub.tables_found)
    first = ctx.sub.tables[0] if ctx.sub.tables else None
    for kind, label in (("basic", "基础数据表"), ("overall", "部门整体支出绩效自评表"), ("project", "项目支出绩效自评表")):
        if kind not in found:
            yield Hit(None, None, f"工作簿中没有找到{label}。", expected=label, found=None,
                      sheet=first.sheet if first else None)


@rule("C-NO-INDICATORS", KIND_COMPLETE, ERROR, "一级指标下没有三级指标",
      "产出、效益、满意度每个一级指标下至少应有一个三级指标（绩效指标全部细化到三级）。", "RULES A1、H8")
def no_indicators(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        if td.unplaced:
            continue       # another indicator system: C-LEVEL-UNKNOWN says so once
        groups = _level1_rows(ctx, td)
        for key, name, _w, _l2 in forms.LEVEL1:
            if not groups[key]:
                v = td.fields.get(f"ind.{key}.label")
                yield Hit(td, v if v is not None and v.cell else None, f"{label_of(td)}的{name}下没有三级指标。",
                          expected="至少一个三级指标", found=None, key=f"ind.{key}")


@rule("C-FORMULA-OVERWRITTEN", KIND_COMPLETE, WARNING, "计算单元格被改写",
      "标准模板中的计算单元格（执行率、控制率、合计、小计、总分）应保留公式；被改写为数字或清空后，"
      "表中数字不再随填报数据变化。", "模板说明")
def formula_overwritten(ctx: Ctx):
    for td in ctx.sub.tables:
        if td.source != "template":
            continue
        for key in forms.computed_keys(td.kind):
            f = forms.fields_of(td.kind)[key]
            v = td.fields.get(key)
            if v is None or v.is_formula:
                continue
            what = "被改写为常数" if not v.empty else "公式被清除"
            yield Hit(td, v, f"“{f.label.format(year='本', prev_year='上')}”是计算单元格，{what}（{v.text() or '空'}）。",
                      expected="公式", found=v.text() or None, key=key)


# ---------------------------------------------------------------------------
# 跨年 (across years; needs last year's workbook)
# ---------------------------------------------------------------------------
@rule("Y-PREV-FINAL", KIND_YEARS, ERROR, "上年决算数与上年表不符",
      "基础数据表本年的“上年决算数”应等于上年基础数据表的“本年决算数”（需提供上年工作簿：--previous）。", "DOMAIN 跨年")
def prev_final(ctx: Ctx):
    if ctx.previous is None or ctx.previous.basic is None or ctx.sub.basic is None:
        return
    cur, prev = ctx.sub.basic, ctx.previous.basic
    tol = ctx.profile.amount_tolerance
    for key, label in (("sangong", "三公经费"), ("car", "公务用车购置和维护经费"), ("car_purchase", "公车购置"),
                       ("car_operation", "公车运行维护"), ("abroad", "出国经费"), ("reception", "公务接待"),
                       ("public", "公用经费"), ("office", "办公经费"), ("utilities", "水费、电费、差旅费"),
                       ("meetings", "会议费、培训费")):
        a = amount(cur.fields.get(f"{key}.prev_final"))
        b = amount(prev.fields.get(f"{key}.final"))
        if a is None and b is None:
            continue
        if a is None or b is None or neq(a, b, tol):
            yield Hit(cur, cur.fields.get(f"{key}.prev_final"),
                      f"{label}上年决算数 {money(a)} 与上年表本年决算数 {money(b)} 不符。",
                      expected=money(b), found=money(a), key=f"{key}.prev_final")
    prev_rows = {_name_key(r["name"].text()): r for blk in ("projects", "special_funds") for r in prev.rows(blk)
                 if r.get("name") and not r["name"].empty}
    for blk in ("projects", "special_funds"):
        for r in cur.rows(blk):
            if not r.get("name") or r["name"].empty:
                continue
            pr = prev_rows.get(_name_key(r["name"].text()))
            a = amount(r.get("prev_final"))
            if pr is None:
                continue
            b = amount(pr.get("final"))
            if (a is None) != (b is None) or (a is not None and b is not None and neq(a, b, tol)):
                yield Hit(cur, r.get("prev_final"), f"项目“{r['name'].text()}”上年决算数 {money(a)} 与上年表本年决算数 {money(b)} 不符。",
                          expected=money(b), found=money(a), key=f"{blk}.prev_final")


# ---------------------------------------------------------------------------
# 计分: the unit's scores against the profile's recomputation
# ---------------------------------------------------------------------------
@rule("S-SCORE-DIFF", KIND_SCORING, WARNING, "自评得分与评分方案重算不符",
      "按评分方案重算的得分与单位自评得分相差超过舍入误差：预算执行率得分（默认 分值 × min(执行率, 100%)）、"
      "未达成的定量指标（≥ 类按 完成值 ÷ 指标值，≤ 类按超出比例扣减）。已完成却扣分、未完成却满分、定性得分不在档内"
      "另有专门规则。", "RULES A4、A5、A6、DOMAIN 第 3 项")
def score_diff(ctx: Ctx):
    from .scoring import exec_points, indicator_points

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
    from .prose import statements, table_value
    from .scoring import score_table

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
