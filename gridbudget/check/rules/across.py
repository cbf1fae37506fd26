"""表间 rules (``X-``): one table against another."""

from __future__ import annotations

from ... import forms
from ..findings import ERROR, INFO, KIND_ACROSS, WARNING
from ..indicators import money_of
from ..engine import Ctx, Hit, rule
from .common import (amount, col_words, HUNDRED, label_of, money, _name_key, named_blocks, neq, pct, row_label, stated,
                     tables, ZERO)


# ---------------------------------------------------------------------------
# 表间 (across tables)
# ---------------------------------------------------------------------------
def _basic_project_rows(ctx: Ctx):
    b = ctx.sub.basic
    if b is None:
        return []
    return [r for blk in named_blocks("basic", "budget", "final") for r in b.rows(blk)]   # projects, special_funds


@rule("X-PROJECTS-VS-OVERALL", KIND_ACROSS, ERROR, "基础数据表项目支出与整体支出自评表不符",
      f"基础数据表各项目支出本年决算数之和应等于部门整体支出自评表“{forms.EXPENSE_SUM.label}”的"
      f"{row_label('overall', 'expense.project')}。", "DOMAIN 表间、RULES V14")
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
        yield Hit(o, ov, f"整体支出自评表{row_label(o.kind, 'expense.project')} {money(op_)}，基础数据表各项目"
                         f"{col_words(b.kind, 'final')}之和 {money(s)}，两者不符。",
                  expected=money(s), found=money(op_), key="expense.project")


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
                  f"{len(vals)} 张项目表{col_words('project', 'executed')}合计 {money(s)}，超过整体支出自评表"
                  f"{row_label(o.kind, 'expense.project')} {money(op_)}。",
                  expected=f"≤{money(op_)}", found=money(s), key="expense.project", severity=ERROR)
    elif s < op_ - tol:
        yield Hit(o, o.fields.get("expense.project"),
                  f"{len(vals)} 张项目表{col_words('project', 'executed')}合计 {money(s)}，占"
                  f"{row_label(o.kind, 'expense.project')} {money(op_)} 的 {pct(s / op_ * HUNDRED)}：只对部分项目做了自评。",
                  expected=money(op_), found=money(s), key="expense.project")


@rule("X-PUBLIC-GT-BASIC", KIND_ACROSS, ERROR, "公用经费大于基本支出",
      "公用经费是基本支出的一部分：基础数据表公用经费本年决算数不应超过整体支出自评表的基本支出。", "DOMAIN 表间")
def public_gt_basic(ctx: Ctx):
    b, o = ctx.sub.basic, ctx.sub.overall
    if b is None or o is None:
        return
    pub, bas = amount(b.fields.get("public.final")), amount(o.fields.get("expense.basic"))
    if pub is not None and bas is not None and pub > bas + ctx.profile.amount_tolerance:
        yield Hit(b, b.fields.get("public.final"), f"{row_label(b.kind, 'public.final')}{col_words(b.kind, 'final')} "
                  f"{money(pub)} 大于整体支出自评表{row_label(o.kind, 'expense.basic')} {money(bas)}。",
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
                yield Hit(td, i.get("target"), f"{forms.LEVEL2_NAMES['cost']}“{i.name}”上限 {money(ceiling)} 与本表预算数"
                          f"（{near}）都不一致。",
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
