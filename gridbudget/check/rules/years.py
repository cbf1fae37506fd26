"""跨年 rules (``Y-``): this year's tables against last year's."""

from __future__ import annotations

from ..findings import ERROR, KIND_YEARS
from ..engine import Ctx, Hit, rule
from ... import forms
from .common import amount, lines_with, money, _name_key, named_blocks, neq, relation, row_name


# ---------------------------------------------------------------------------
# 跨年 (across years; needs last year's workbook)
# ---------------------------------------------------------------------------
def _over_rows(rel) -> bool:
    """A sum over repeated rows (forms ``range:`` parts)."""
    return isinstance(rel, forms.Sum) and any(p.startswith("range:") for p in rel.parts)


@rule("Y-PREV-FINAL", KIND_YEARS, ERROR, "上年决算数与上年表不符",
      "基础数据表本年的“上年决算数”应等于上年基础数据表的“本年决算数”（需提供上年工作簿：--previous）。"
      "上年决算经审计调整的，可以出错说明说明。", "DOMAIN 跨年", explainable=True)
def prev_final(ctx: Ctx):
    if ctx.previous is None or ctx.previous.basic is None or ctx.sub.basic is None:
        return
    cur, prev = ctx.sub.basic, ctx.previous.basic
    tol = ctx.profile.amount_tolerance
    # every row of the form with both columns: last year's 本年决算数 is this year's 上年决算数; a total
    # over repeated rows (项目支出) is compared row by row below, as the rows listed change between years
    for key in lines_with(cur.kind, "prev_final", "final"):
        if _over_rows(relation(cur, f"{key}.prev_final")):
            continue
        a = amount(cur.fields.get(f"{key}.prev_final"))
        b = amount(prev.fields.get(f"{key}.final"))
        if a is None and b is None:
            continue
        if a is None or b is None or neq(a, b, tol):
            yield Hit(cur, cur.fields.get(f"{key}.prev_final"),
                      f"{row_name(cur, f'{key}.prev_final')}上年决算数 {money(a)} 与上年表本年决算数 {money(b)} 不符。",
                      expected=money(b), found=money(a), key=f"{key}.prev_final")
    blocks = named_blocks(cur.kind, "prev_final", "final")     # 项目支出, 市级专项资金: rows matched by name
    prev_rows = {_name_key(r["name"].text()): r for blk in blocks for r in prev.rows(blk)
                 if r.get("name") and not r["name"].empty}
    for blk in blocks:
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
