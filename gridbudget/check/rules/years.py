"""跨年 rules (``Y-``): this year's tables against last year's."""

from __future__ import annotations

from ..findings import ERROR, KIND_YEARS
from ..engine import Ctx, Hit, rule
from .common import amount, money, _name_key, neq


# ---------------------------------------------------------------------------
# 跨年 (across years; needs last year's workbook)
# ---------------------------------------------------------------------------
@rule("Y-PREV-FINAL", KIND_YEARS, ERROR, "上年决算数与上年表不符",
      "基础数据表本年的“上年决算数”应等于上年基础数据表的“本年决算数”（需提供上年工作簿：--previous）。"
      "上年决算经审计调整的，可以出错说明说明。", "DOMAIN 跨年", explainable=True)
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
