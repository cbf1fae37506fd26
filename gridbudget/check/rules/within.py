"""表内 rules (``W-``): sums, rates and limits within one table."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterator

from ... import forms
from ..findings import ERROR, INFO, KIND_WITHIN, WARNING
from ..findings import fmt_value
from ...model import TableData
from ..engine import Ctx, Hit, rule
from ..indicators import money_of
from .common import (amount, BASIC_COLS, checked, col_words, count, FUND_COLS, named_blocks, relation,
                     relation_words, relations, row_label, row_name, sum_terms, sum_tolerance, summed, HUNDRED, money,
                     neq, number, pct, stated, tables, ZERO)


# ---------------------------------------------------------------------------
# 表内: execution and control rates
# ---------------------------------------------------------------------------
def _rate_hits(td: TableData, rate_key: str) -> Iterator[Hit]:
    """A rate of the form (forms.Ratio) against the rate the table states."""
    v = td.fields.get(rate_key)
    if v is None or not stated(v):
        return
    q = v.rate()
    if q.value is None:
        return       # unreadable: C-UNREADABLE reports it
    ratio = relation(td, rate_key)
    kind = forms.column_kind(td.kind, ratio.num)
    read = amount if kind == forms.MONEY else count if kind == forms.COUNT else number
    num, den = read(td.fields.get(ratio.num)), read(td.fields.get(ratio.den))
    if den is None or num is None or den == ZERO:
        return
    what, formula = row_name(td, rate_key), f"{row_name(td, ratio.num)} ÷ {row_name(td, ratio.den)}"
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
      f"{relation_words('overall', 'funds.total.rate')}（调整后预算数），不是除以{col_words('overall', 'initial')}。"
      "表中填写的执行率按其显示的小数位数四舍五入后，应与计算值一致；少保留小数位但数值一致的，只作提示。", "RULES A3、V1")
def exec_rate(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        for key in relations(td, forms.Ratio):
            yield from _rate_hits(td, key)


@rule("W-CONTROL-RATE", KIND_WITHIN, ERROR, "控制率计算有误",
      f"基础数据表中：财政供养人员{relation_words('basic', 'staff.rate')}；{relation_words('basic', 'building.area_rate')}；"
      f"{relation_words('basic', 'building.invest_rate')}。分母为 0 或空时不适用。", "RULES H4、H5")
def control_rates(ctx: Ctx):
    for td in tables(ctx, "basic"):
        for key in relations(td, forms.Ratio):
            yield from _rate_hits(td, key)


@rule("W-STAFF-OVER", KIND_WITHIN, WARNING, "实际在职人数超过编制数",
      "财政供养人员控制率超过 100%（实际在职人数多于编制数）须说明原因。", "RULES H4、D7")
def staff_over(ctx: Ctx):
    for td in tables(ctx, "basic"):
        a, b = count(td.fields.get("staff.actual")), count(td.fields.get("staff.authorized"))
        if a is not None and b is not None and b > ZERO and a > b:
            yield Hit(td, td.fields.get("staff.actual"), f"{row_name(td, 'staff.actual')} {a} 人超过"
                      f"{row_name(td, 'staff.authorized')} {b} 人，{row_name(td, 'staff.rate')} {pct(a / b * HUNDRED)}。",
                      expected=f"≤{b}", found=str(a), key="staff.actual")


# ---------------------------------------------------------------------------
# 表内: sums
# ---------------------------------------------------------------------------
def _sum_hit(td: TableData, total_key: str, terms: list[tuple[str, Decimal | None]], tol: Decimal, *,
             blank_total: bool = True) -> Iterator[Hit]:
    """A total against the sum of its terms ((name, amount) pairs); with ``blank_total``, also an
    empty total whose parts are filled."""
    tv = td.fields.get(total_key)
    total = amount(tv)
    parts = [x for _n, x in terms]
    if all(p is None for p in parts):
        return
    what = forms.plain_label(forms.fields_of(td.kind)[total_key].label)
    parts_label = "、".join(dict.fromkeys(n for n, _x in terms))
    s = sum((p for p in parts if p is not None), ZERO)
    if total is None:
        if not blank_total or tv is not None and tv.is_formula:
            return
        if any(p not in (None, ZERO) for p in parts):
            yield Hit(td, tv, f"{what}为空，但{parts_label}合计 {money(s)}。", expected=money(s), found=None,
                      key=total_key)
        return
    if tv is not None and tv.is_formula and tv.raw is None:
        return
    if neq(total, s, sum_tolerance(tol, len(terms))):
        yield Hit(td, tv, f"{what} {money(total)} 不等于{parts_label}之和 {money(s)}（相差 {money(total - s)}）。",
                  expected=money(s), found=money(total), key=total_key)


def _total_hits(td: TableData, total_key: str, tol: Decimal, *, blank_total: bool = True) -> Iterator[Hit]:
    """A money total of the form (forms.Sum) against its parts."""
    yield from _sum_hit(td, total_key, sum_terms(td, relation(td, total_key), amount), tol, blank_total=blank_total)


def _breakdown_hits(ctx: Ctx, name: str, what) -> Iterator[Hit]:
    """A breakdown of a typed total adds up: the sums of the forms named ``name`` (Field.checks: 全年执行数
    按收入性质 / 按支出性质), pointed at the first part filled in; ``what(td, sum)`` words the parts."""
    for td in ctx.sub.tables:
        for total_key, breakdown in checked(td, name):
            keys = breakdown.parts
            parts = [amount(td.fields.get(k)) for k in keys]
            total = amount(td.fields.get(total_key))
            if total is None or all(p is None for p in parts):
                continue
            s = sum((p for p in parts if p is not None), ZERO)
            if neq(total, s, sum_tolerance(ctx.profile.amount_tolerance, len(keys))):
                first = next(td.fields[k] for k, p in zip(keys, parts) if p is not None)
                yield Hit(td, first, f"{what(td, breakdown)}之和 {money(s)} 不等于{row_name(td, total_key)} {money(total)}"
                                     f"（相差 {money(s - total)}）。",
                          expected=money(total), found=money(s), key=breakdown.name)


def _declared(kind: str, name: str) -> tuple[str, forms.Sum]:
    """The first checked sum of the forms named ``name`` (rule texts word it)."""
    return next((k, s) for k, s in forms.checked_sums(kind) if s.name == name)


def _parts_words(kind: str, name: str) -> str:
    """The parts of a declared sum as words: '一般公共预算 + 政府性基金拨款 + …'."""
    return " + ".join(row_label(kind, p) for p in _declared(kind, name)[1].parts)


def _total_words(kind: str, name: str) -> str:
    """The total of a declared sum as words: '全年执行数'."""
    return row_label(kind, _declared(kind, name)[0])


_INCOME, _EXPENSE, _FUNDS = forms.INCOME_SUM, forms.EXPENSE_SUM, forms.PROJECT_FUNDS_SUM
_FUNDS_TOTAL = forms.FUNDS_TOTAL_LABELS[0]


@rule("W-INCOME-SUM", KIND_WITHIN, ERROR, f"{_INCOME.label}合计不等于{_total_words('overall', _INCOME.name)}",
      f"部门整体支出自评表中，{_parts_words('overall', _INCOME.name)} 应等于{_total_words('overall', _INCOME.name)}。",
      "RULES V3、A12")
def income_sum(ctx: Ctx):
    yield from _breakdown_hits(ctx, _INCOME.name, lambda td, s: f"{s.label}各项")


@rule("W-EXPENSE-SUM", KIND_WITHIN, ERROR, f"{_EXPENSE.label}合计不等于{_total_words('overall', _EXPENSE.name)}",
      f"部门整体支出自评表中，{_parts_words('overall', _EXPENSE.name)} 应等于{_total_words('overall', _EXPENSE.name)}。",
      "RULES V3、A12")
def expense_sum(ctx: Ctx):
    yield from _breakdown_hits(ctx, _EXPENSE.name, lambda td, s: "与".join(row_name(td, p) for p in s.parts))


@rule("W-PROJECT-FUNDS-SUM", KIND_WITHIN, ERROR, f"{_FUNDS.label}之和不等于{_FUNDS_TOTAL}",
      f"{forms.PROJECT.name}中，{_parts_words('project', _FUNDS.name)} 应等于{_FUNDS_TOTAL}，"
      f"{'、'.join(label for _k, label in FUND_COLS)}三列分别核对。", "RULES V2、A2")
def project_funds_sum(ctx: Ctx):
    for td in tables(ctx, "project"):
        for total_key, sources in checked(td, forms.PROJECT_FUNDS_SUM.name):
            yield from _sum_hit(td, total_key, sum_terms(td, sources, amount), ctx.profile.amount_tolerance)


def _computed(kind: str, name: str) -> str:
    """The first field of a table computed by the sum of the forms named ``name`` (rule texts word it)."""
    fields = forms.fields_of(kind)
    return next(k for k in forms.computed_keys(kind) if getattr(fields[k].relation, "name", None) == name)


_SANGONG, _CAR, _PROJECTS = (_computed("basic", n) for n in ("sangong", "car", "projects"))
_BASIC_COLUMNS_WORDS = "、".join(label for _k, label in BASIC_COLS)


@rule("W-SANGONG-SUM", KIND_WITHIN, ERROR, f"{row_label('basic', _SANGONG)}与明细不符",
      f"{relation_words('basic', _SANGONG)}；{relation_words('basic', _CAR)}；{_BASIC_COLUMNS_WORDS}三列分别核对。",
      "RULES V5、D2")
def sangong_sum(ctx: Ctx):
    for td in tables(ctx, "basic"):
        for key in summed(td, "sangong", "car"):        # the forms' sums of those names, each column
            yield from _total_hits(td, key, ctx.profile.amount_tolerance)


@rule("W-PROJECTS-TOTAL", KIND_WITHIN, ERROR, f"{row_label('basic', _PROJECTS)}合计与各项目不符",
      f"基础数据表“{row_label('basic', _PROJECTS)}”一行填写了合计数时，应等于其下各项目"
      f"（含{forms.block_label('basic', 'special_funds')}）之和，三列分别核对。", "RULES D1")
def projects_total(ctx: Ctx):
    for td in tables(ctx, "basic"):
        for key in summed(td, "projects"):             # checked when the row states a total
            yield from _total_hits(td, key, ctx.profile.amount_tolerance, blank_total=False)


def _col_name(td: TableData, key: str) -> str:
    """A field's column as words: '公用经费（{prev_year}年决算数）' -> '上年决算数'."""
    label = forms.fields_of(td.kind)[key].label
    return forms.plain_label(label.rsplit("（", 1)[1][:-1]) if label.endswith("）") else ""


_LISTED_TOTAL, _LISTED = next((k, c) for k, c in forms.checked_sums("basic") if c.partial)


@rule("W-SUBITEM-GT-PARENT", KIND_WITHIN, ERROR, "“其中”项大于合计",
      f"{row_label('basic', _LISTED_TOTAL)}下的“其中”项（{'，'.join(row_label('basic', p) for p in _LISTED.parts)}）"
      f"是部分列举：各项及其合计都不应超过{row_label('basic', _LISTED_TOTAL)}，但不要求相等。", "RULES D2")
def subitems(ctx: Ctx):
    tol = ctx.profile.amount_tolerance
    for td in ctx.sub.tables:
        for total_key, listing in checked(td, partial=True):     # forms: a total and its 其中 items
            what, clabel = row_name(td, total_key), _col_name(td, total_key)
            parent_v = td.fields.get(total_key)
            parent = amount(parent_v)
            kids = [(k, amount(td.fields.get(k))) for k in listing.parts]
            kids = [(k, x) for k, x in kids if x is not None]
            if not kids:
                continue
            s = sum(x for _k, x in kids)
            if parent is None:
                if s > ZERO:
                    yield Hit(td, parent_v, f"{what}（{clabel}）为空，但其中各项合计 {money(s)}。",
                              expected=f"≥{money(s)}", found=None, key=total_key)
                continue
            if s > parent + tol:
                worst = max(kids, key=lambda kx: kx[1])
                yield Hit(td, td.fields.get(worst[0]),
                          f"{what}（{clabel}）“其中”各项合计 {money(s)} 超过{what} {money(parent)}。",
                          expected=f"≤{money(parent)}", found=money(s), key=worst[0])


@rule("W-NEGATIVE", KIND_WITHIN, ERROR, "金额为负数",
      "预算数、执行数、决算数等金额不应为负数。", "RULES V15")
def negative(ctx: Ctx):
    for td in ctx.sub.tables:
        fields = forms.fields_of(td.kind)
        for key, v in ctx.money(td):
            f = fields.get(key)
            if f is None:
                continue                    # a column only the label reader fills (as before: not checked here)
            x = amount(v)
            if x is not None and x < ZERO:
                what = f.label.format(year="本", prev_year="上") if key in td.fields else "金额"
                yield Hit(td, v, f"{what}为负数（{money(x)}）。", expected="≥0", found=money(x), key=key)


@rule("W-EXEC-OVER-BUDGET", KIND_WITHIN, WARNING, "执行数超过预算数",
      "全年执行数大于全年预算数（执行率超过 100%）通常是填报错误；计分时执行率按 100% 封顶。", "RULES V11、A4")
def exec_over(ctx: Ctx):
    tol = ctx.profile.amount_tolerance
    for td in tables(ctx, "overall", "project"):
        fields = forms.fields_of(td.kind)
        # 年度资金总额, then the rows of its checked sums that have a budget column (项目资金 by source)
        rows = [("funds.total", _FUNDS_TOTAL)] + [
            (p.rsplit(".", 1)[0], row_name(td, p)) for k, c in checked(td) if k == "funds.total.executed"
            for p in c.parts if f"{p.rsplit('.', 1)[0]}.budget" in fields]
        for rk, rl in rows:
            b, e = amount(td.fields.get(f"{rk}.budget")), amount(td.fields.get(f"{rk}.executed"))
            if b is not None and e is not None and e > b + tol:
                yield Hit(td, td.fields.get(f"{rk}.executed"),
                          f"{rl}的{col_words(td.kind, 'executed')} {money(e)} 大于{col_words(td.kind, 'budget')} {money(b)}。",
                          expected=f"≤{money(b)}", found=money(e), key=f"{rk}.executed")


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
                  f"{col_words(td.kind, 'budget')} {money(b)} 与{col_words(td.kind, 'initial')} {money(a)} 不同"
                  f"（{direction} {money(abs(b - a))}），{said}。",
                  expected=money(a), found=money(b), key="funds.total.budget")


def _sum_rows(kind: str, row: str, col: str) -> list[str]:
    """A total's row and, depth first, the rows of its parts by the forms' relation of its ``col``
    field: sangong -> sangong, car, car_purchase, car_operation, abroad, reception."""
    out = [row]
    rel = forms.fields_of(kind)[f"{row}.{col}"].relation
    if isinstance(rel, forms.Sum):
        for p in rel.parts:
            if not p.startswith("range:"):
                out += _sum_rows(kind, p.rsplit(".", 1)[0], col)
    return out


@rule("W-SANGONG-OVER-BUDGET", KIND_WITHIN, WARNING, "三公经费决算超过预算",
      "三公经费本年决算数（及其各项）不应超过本年预算数（岳阳“三公经费控制率”≤100% 得满分）。", "RULES D3、H3")
def sangong_over(ctx: Ctx):
    tol = ctx.profile.amount_tolerance
    for td in tables(ctx, "basic"):
        for key in _sum_rows(td.kind, "sangong", "final"):
            label = row_name(td, f"{key}.final")
            b, f = amount(td.fields.get(f"{key}.budget")), amount(td.fields.get(f"{key}.final"))
            if b is not None and f is not None and f > b + tol:
                yield Hit(td, td.fields.get(f"{key}.final"), f"{label}{col_words(td.kind, 'final')} {money(f)} 超过"
                          f"{col_words(td.kind, 'budget')} {money(b)}。",
                          expected=f"≤{money(b)}", found=money(f), key=f"{key}.final")


@rule("W-SANGONG-INCREASE", KIND_WITHIN, INFO, "三公经费比上年增加",
      "三公经费“只减不增”：本年决算数高于上年决算数时提示（上年预算数不在表中，因此只作提示）。", "RULES D4、H2、H6")
def sangong_increase(ctx: Ctx):
    tol = ctx.profile.amount_tolerance
    for td in tables(ctx, "basic"):
        p, f = amount(td.fields.get("sangong.prev_final")), amount(td.fields.get("sangong.final"))
        if p is None or f is None:          # the parts of the total (forms.Sum) instead
            ps = [amount(td.fields.get(k)) for k in relation(td, "sangong.prev_final").parts]
            fs = [amount(td.fields.get(k)) for k in relation(td, "sangong.final").parts]
            if all(x is None for x in ps) or all(x is None for x in fs):
                continue
            p = sum((x for x in ps if x is not None), ZERO)
            f = sum((x for x in fs if x is not None), ZERO)
        if f > p + tol:
            yield Hit(td, td.fields.get("sangong.final"), f"{row_name(td, 'sangong.final')}{col_words(td.kind, 'final')} "
                      f"{money(f)} 比{col_words(td.kind, 'prev_final')} {money(p)} 增加 {money(f - p)}。",
                      expected=f"≤{money(p)}", found=money(f), key="sangong.final")


@rule("W-PROCUREMENT-OVER", KIND_WITHIN, WARNING, "政府采购金额决算超过预算",
      "政府采购金额本年决算数一般不应超过本年预算数。", "RULES D5")
def procurement(ctx: Ctx):
    tol = ctx.profile.amount_tolerance
    for td in tables(ctx, "basic"):
        b, f = amount(td.fields.get("procurement.budget")), amount(td.fields.get("procurement.final"))
        if b is not None and f is not None and f > b + tol:
            yield Hit(td, td.fields.get("procurement.final"), f"{row_name(td, 'procurement.final')}"
                      f"{col_words(td.kind, 'final')} {money(f)} 超过{col_words(td.kind, 'budget')} {money(b)}。",
                      expected=f"≤{money(b)}", found=money(f), key="procurement.final")


@rule("W-PROJECT-NO-BUDGET", KIND_WITHIN, WARNING, "项目有决算数但没有预算数",
      "基础数据表中某个项目填了本年决算数，却没有本年预算数：要么漏填预算，要么是无预算支出，应核实并说明。", "DOMAIN 第 5 项")
def project_no_budget(ctx: Ctx):
    for td in tables(ctx, "basic"):
        for block in named_blocks(td.kind, "budget", "final"):
            for row in td.rows(block):
                f = amount(row.get("final"))
                b = row.get("budget")
                if f is not None and f > ZERO and (b is None or b.empty):
                    name = row.get("name").text() if row.get("name") else ""
                    yield Hit(td, b if b is not None and b.cell else row.get("final"),
                              f"项目“{name}”{col_words(td.kind, 'final')} {money(f)}，但没有填"
                              f"{col_words(td.kind, 'budget')}。",
                              expected=dict(BASIC_COLS)["budget"], found=None, key=f"{block}.budget")


# ---------------------------------------------------------------------------
# 表内: how amounts, rates and indicator values are written
# ---------------------------------------------------------------------------
_PLAIN_NUMBER = re.compile(r"[-+]?[0-9]+(?:\.[0-9]+)?")
_RATE_TEXT = re.compile(r"[-+]?[0-9]+(?:\.[0-9]+)?%?")
_PER_UNIT = re.compile(r"[/／每均]|单价|单位成本|标准")
_OP_WORDS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}


def _compact_text(v) -> str:
    return "".join(v.text().split())


@rule("W-AMOUNT-TEXT", KIND_WITHIN, WARNING, "金额以文字填写",
      "金额单元格应填写数字（单位以表头为准）。填成“150万”“300万元”“125.25万”等文字时，本工具仍按文字读出金额，"
      "但单元格是文本，Excel/WPS 无法对其求和或计算执行率，合计、小计会漏算。", "RULES V15")
def amount_text(ctx: Ctx):
    for td in ctx.sub.tables:
        for key, v in ctx.money(td):
            if not isinstance(v.raw, str) or v.is_formula or v.empty:
                continue
            c = _compact_text(v)
            if _PLAIN_NUMBER.fullmatch(c):
                continue        # a number stored as text, without unit or other characters
            x = amount(v)
            if x is None:
                continue        # unreadable: C-UNREADABLE reports it
            n = format(x.scaleb(4) if v.unit == "元" else x, "f")
            yield Hit(td, v, f"金额填的是文字“{v.text()}”（读作 {money(x)}）；单元格是文本，Excel 无法求和，"
                             f"请改为数字 {n}（单位{v.unit}）。", expected=n, found=v.text(), key=key)


def _rate_cells(td: TableData) -> Iterator[tuple[str, object]]:
    v = td.fields.get("funds.total.rate")
    if v is not None:
        yield "funds.total.rate", v
    for block, rows in td.blocks.items():
        if block.startswith("funds."):
            for row in rows:
                if row.get("rate") is not None:
                    yield f"{block}.rate", row["rate"]


@rule("W-RATE-FORMAT", KIND_WITHIN, INFO, "执行率不是百分数格式",
      "执行率应是设置了百分比格式的数字（如 0.8120 显示为 81.20%）。填成文字（“86.5%”“100 %”）或没有百分比格式的"
      "数字（1 表示 100%，0.1 表示 10%）时，本工具能读出，但表中无法计算、显示也易误解。", "RULES A3")
def rate_format(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        for key, v in _rate_cells(td):
            if v.empty or v.error or v.uncomputed or v.percent:
                continue
            if v.is_formula and td.source == "template":
                continue        # the template's own formula (it carries a percent format)
            q = v.rate()
            if q.value is None:
                continue
            if isinstance(v.raw, str):
                if not _RATE_TEXT.fullmatch(_compact_text(v)):
                    continue    # prose in the rate cell: not a formatting matter
                msg = f"{col_words(td.kind, 'rate')}填的是文字“{v.text()}”（读作 {pct(q.value)}），应填写百分比格式的数字。"
            else:
                msg = (f"{col_words(td.kind, 'rate')}填的是没有百分比格式的数字 {fmt_value(v.raw)}（读作 {pct(q.value)}），"
                       f"应设置为百分比格式。")
            yield Hit(td, v, msg, expected="百分比格式的数字", found=v.text(), key=key)


_FUNDS_SECTIONS = " / ".join(forms.row_label(forms.block_label(k, "funds")) for k in ("project", "overall"))
_EXEC_NAME = re.compile(r"执行率")      # a word of indicator names as units write them (not the form's label)


@rule("W-EXEC-AS-INDICATOR", KIND_WITHIN, INFO, "三级指标重复考核预算执行率",
      f"预算执行率已在“{_FUNDS_SECTIONS}”一栏按执行率计分（一般 10 分），不应再设为三级指标"
      "（如“预算执行率”“资金执行率”），否则重复计分。", "RULES A3")
def exec_as_indicator(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        for i in ctx.inds(td):
            name = "".join(i.name.split())
            if _EXEC_NAME.search(name) and ("预算" in name or "资金" in name):
                yield Hit(td, i.get("name") if i.get("name").cell else i.anchor,
                          f"三级指标“{i.name}”考核的是预算执行率，执行率已在资金栏计分。",
                          found=i.name, key=f"{i.block}.name")


@rule("W-ACTUAL-AS-TARGET", KIND_WITHIN, WARNING, "实际完成值写成了目标形式",
      "实际完成值应填写实际达到的数值（如 92%、134条），不应带“≥”“≤”“不低于”“以上”“以内”等比较符号，"
      "否则无法判断是否达成目标。", "RULES V15")
def actual_as_target(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        for i in ctx.inds(td):
            v = i.get("actual")
            if v.empty:
                continue
            q = v.quantity()
            if q.error or q.op not in _OP_WORDS:
                continue
            yield Hit(td, v if v.cell else i.anchor,
                      f"三级指标“{i.name}”的{col_words(td.kind, 'actual')}“{v.text()}”带有比较（{_OP_WORDS[q.op]}），"
                      f"应填写实际达到的数值。", expected="实际数值", found=v.text(), key=f"{i.block}.actual")


def _money_wan(v, munit: str = "") -> Decimal | None:
    """An indicator value as an amount in 万元 when it is money (元/万元/万/亿元, or 度量单位 元…), else None."""
    if v is None or v.empty:
        return None
    q = v.quantity()
    if q.error or q.value is None or q.qualitative:
        return None
    if q.unit is not None:
        return money_of(q)
    if isinstance(v.raw, str):
        a = v.amount()
        if a.value is not None and a.unit_seen is not None:
            return a.value
    return money_of(replace(q, unit=munit)) if munit else None


def _munit(i) -> str:
    m = i.row.get("munit")
    return "".join(m.text().split()) if m is not None else ""


@rule("W-QUANTITY-RESTATES-BUDGET", KIND_WITHIN, INFO, "数量指标只是重述预算金额",
      "数量指标应反映提供的产品或服务的数量（如培训人次、覆盖户数），其指标值等于本表的预算数（单位换算后）时，"
      "只是把预算金额换了个写法，不是产出数量。", "RULES A2")
def quantity_restates_budget(ctx: Ctx):
    tol = ctx.profile.amount_tolerance
    for td in tables(ctx, "overall", "project"):
        budgets = [(amount(td.fields.get(k)), forms.fields_of(td.kind)[k].label)
                   for k in ("funds.total.budget", "funds.total.initial")]
        budgets = [(b, label) for b, label in budgets if b is not None and b > ZERO]
        if not budgets:
            continue
        for i in ctx.inds(td):
            if i.block != "ind.output.quantity":
                continue
            v = i.get("target")
            x = _money_wan(v, _munit(i))
            if x is None:
                continue
            hit = next(((b, label) for b, label in budgets if not neq(x, b, tol)), None)
            if hit is not None:
                shown = v.text() + (_munit(i) if v.quantity().unit is None and v.amount().unit_seen is None else "")
                yield Hit(td, v if v.cell else i.anchor,
                          f"{forms.LEVEL2_NAMES['quantity']}“{i.name}”的指标值“{shown}”即 {money(x)}，等于本表{hit[1]} "
                          f"{money(hit[0])}，"
                          f"只是重述预算金额，不是产出数量。",
                          expected="产出数量", found=v.text(), key=f"{i.block}.target")


@rule("W-COST-ACTUAL-BUDGET", KIND_WITHIN, WARNING, "成本指标实际值与执行数不符",
      "成本指标的实际完成值若是项目的总金额，应是实际支出（全年执行数），不是全年预算数；实际值等于预算数而执行数"
      "更低时，实际值只是重述了预算。人均、单价等单位成本（元/人、每亩…）不在此列。", "RULES A2、V1")
def cost_actual_budget(ctx: Ctx):
    tol = ctx.profile.amount_tolerance
    for td in tables(ctx, "overall", "project"):
        b = amount(td.fields.get("funds.total.budget"))
        e = amount(td.fields.get("funds.total.executed"))
        if b is None or e is None or b <= ZERO or not e < b - tol:
            continue
        for i in ctx.inds(td):
            if i.block != "ind.output.cost":
                continue
            v = i.get("actual")
            munit = _munit(i)
            words = " ".join((i.name, i.get("target").text(), v.text(), munit))
            if _PER_UNIT.search(words):
                continue        # a unit cost, not an amount of the project
            x = _money_wan(v, munit)
            if x is None or neq(x, b, tol):
                continue
            yield Hit(td, v if v.cell else i.anchor,
                      f"{forms.LEVEL2_NAMES['cost']}“{i.name}”的{col_words(td.kind, 'actual')} {money(x)} 等于"
                      f"{col_words(td.kind, 'budget')}，而{col_words(td.kind, 'executed')}只有 {money(e)}："
                      f"实际值应是实际支出。", expected=money(e), found=v.text(), key=f"{i.block}.actual")


_FIRST_SOURCE = row_label("project", _declared("project", _FUNDS.name)[1].parts[0])     # 当年财政拨款


@rule("W-FUNDS-SUBROW-BLANK", KIND_WITHIN, WARNING, "资金来源行与合计行不一致",
      f"项目资金栏中，{_FUNDS_TOTAL}某列已填写（含 0），“其中：{_FIRST_SOURCE}”行在该列却为空，而在其他列有数："
      "资金来源应逐列填写，与合计行对应。", "RULES V2、A2")
def funds_subrow_blank(ctx: Ctx):
    for td in tables(ctx, "project"):
        # per column: the total and its sources (forms: the checked sum of 年度资金总额), the first one first
        sources = {k.rsplit(".", 1)[1]: (k, c.parts) for k, c in checked(td, _FUNDS.name)}
        cur = {ck: td.fields.get(parts[0]) for ck, (_t, parts) in sources.items()}
        filled = [ck for ck, v in cur.items() if v is not None and not v.empty]
        if not filled:
            continue
        for ck, clabel in FUND_COLS:
            if ck not in sources:
                continue
            total_key, parts = sources[ck]
            total, v = td.fields.get(total_key), cur[ck]
            if total is None or total.empty or v is None or not v.cell or not v.empty:
                continue
            others = [td.fields.get(p) for p in parts[1:]]
            if any(o is not None and not o.empty for o in others):
                continue        # the money of this column came from another source row
            where = "、".join(lab for k, lab in FUND_COLS if k in filled)
            yield Hit(td, v, f"{_FUNDS_TOTAL}的{clabel}填了 {total.text()}，“其中：{row_name(td, parts[0])}”的{clabel}"
                             f"却为空（该行{where}有数）。", expected=total.text(), found=None, key=parts[0])


@rule("W-FUNDS-SOURCES", KIND_WITHIN, INFO, "资金来源各列与合计不符",
      "资金按来源分列（中央、省、地、本级、其他 … 合计）的表式，各来源之和应等于合计；只填了合计、来源都空着时作提示。",
      "FAMILIES（项目决策/项目管理/项目绩效表）")
def funds_sources(ctx: Ctx):
    tol = ctx.profile.amount_tolerance
    for td in tables(ctx, "overall", "project"):
        srcs = td.rows("funds.sources")
        total = amount(td.fields.get("funds.total.budget"))
        if not srcs or total is None:
            continue
        vals = [amount(r["budget"]) for r in srcs]
        names = "、".join(r["label"].text() for r in srcs)
        if all(v is None for v in vals):
            yield Hit(td, srcs[0]["budget"], f"资金合计 {money(total)}，按来源分列的各列（{names}）都没有填写。",
                      expected=f"各来源之和 {money(total)}", found=None, severity=INFO)
        elif neq(sum((v or ZERO for v in vals), ZERO), total, tol):
            s = sum((v or ZERO for v in vals), ZERO)
            yield Hit(td, srcs[0]["budget"], f"各资金来源之和 {money(s)} 与合计 {money(total)} 不符。",
                      expected=money(total), found=money(s), severity=WARNING)


_PCT_IN_NAME = re.compile(r"[(（]\s*%\s*[)）]")


@rule("W-UNIT-MISMATCH", KIND_WITHIN, INFO, "指标名称标注的单位与数值不符",
      "三级指标名称标明单位为百分比（“（%）”），年度指标值或实际完成值却是远大于 100 的数，单位可能写错。", "")
def unit_mismatch(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        for i in ctx.inds(td):
            if not _PCT_IN_NAME.search(i.name):
                continue
            for col in ("target", "actual"):
                q = i.get(col).quantity()
                if q.value is not None and q.unit in (None, "") and q.value > HUNDRED:
                    yield Hit(td, i.get(col), f"“{i.name}”名称标明单位为 %，{col_words(td.kind, col)}"
                              f"却为 {i.get(col).text()}。", expected="百分比数值", found=i.get(col).text(),
                              key=f"{i.block}.{col}")
                    break
