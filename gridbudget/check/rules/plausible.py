"""Plausibility rules: figures that are readable but cannot be what the unit meant.

* ``W-DATE-AS-AMOUNT`` a date in an amount cell (a date format, or an Excel date serial far above
  the table's other amounts: 45,292 万元 where 2024-01-01 was typed);
* ``W-AMOUNT-SCALE`` an amount 1000× (or 1/1000 of) the amounts it is comparable with: 元 typed into
  a 万元 table or the reverse. Only like is compared with like: the columns of one row (年初预算数 /
  全年预算数 / 全年执行数, 上年决算数 / 本年预算数 / 本年决算数), and a sub-item with its own total
  (a part cannot be 1000× its total);
* ``C-HIDDEN-SHEET`` a table read from a hidden sheet: reviewers print the visible sheets.
"""

from __future__ import annotations


from datetime import date, timedelta
from decimal import Decimal
from typing import Callable, Iterator

from ... import forms
from ..findings import INFO, KIND_COMPLETE, KIND_WITHIN, WARNING
from ...model import TableData, Val
from ..engine import Ctx, Hit, rule
from .common import checked, col_words, money_cells, amount, money, relation, relations, row_name, ZERO


SCALE = Decimal(1000)            # a value this many times its neighbours (or 1/SCALE of them) is flagged
DATE_SERIALS = (36526, 55153)    # Excel serials of 2000-01-01 and 2050-12-31
DATE_GAP = Decimal(100)          # a date serial stands out when the table's other amounts are this much smaller
_EPOCH = date(1899, 12, 30)      # serial 0 of the 1900 date system (serials after 1900-02-28)

# the columns that make one row of comparable amounts, by table kind
_ROW_COLUMNS = {"overall": ("initial", "budget", "executed"), "project": ("initial", "budget", "executed"),
                "basic": ("prev_final", "budget", "final", "actual")}


def _median(xs: list[Decimal]) -> Decimal:
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def _is_number(raw) -> bool:
    return isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool)


def _serial_date(x: Decimal) -> str | None:
    """The date Excel shows for a serial (1900 date system, with its phantom 1900-02-29)."""
    n = int(x)
    if n == 60:
        return "1900-02-29"
    if not 1 <= n < 2958466:
        return None
    return (_EPOCH + timedelta(days=n if n > 60 else n + 1)).isoformat()


def _positive(v: Val | None) -> Decimal | None:
    x = amount(v)
    return x if x is not None and x > ZERO else None


def _table(ctx: Ctx, td: TableData) -> "_Table":
    """The table's money cells, read once per validation run (both W- rules use them)."""
    return ctx.per_table("plausible", td, lambda t: _Table(ctx, t))


class _Table:
    """One table's money cells, read once: which are dates, what the rest amount to."""

    def __init__(self, ctx: Ctx, td: TableData):
        self.td = td
        self.cells = [(k, v) for k, v in ctx.money(td) if v.cell]
        self.dates: dict[int, tuple[str, Val, str]] = {}       # id(val) -> (key, val, why)
        amounts = [(v, x) for _k, v in self.cells if (x := _positive(v)) is not None]
        for key, v in self.cells:
            why = self._date_reason(v, amounts)
            if why is not None:
                self.dates[id(v)] = (key, v, why)
        self.amounts = [(v, x) for v, x in amounts if id(v) not in self.dates]

    def _date_reason(self, v: Val, amounts: list[tuple[Val, Decimal]]) -> str | None:
        if v.is_formula or v.error or v.empty or not _is_number(v.raw) or v.raw == 0:
            return None
        if v.date:
            return "format"
        if v.unit != "万元" or not DATE_SERIALS[0] <= v.raw <= DATE_SERIALS[1]:
            return None                   # (compared as it is: most amounts end here, before a Decimal is made)
        x = Decimal(str(v.raw))
        if x != x.to_integral_value():
            return None
        others = [y for w, y in amounts if w.raw != v.raw]      # (a formula repeating it is not "other")
        if not others or x < DATE_GAP * _median(others):
            return None
        return "serial"

    def context(self, group: list[Val]) -> Decimal | None:
        """The median of the table's amounts outside a group (what this table's amounts look like)."""
        ids = {id(v) for v in group}
        rest = [x for v, x in self.amounts if id(v) not in ids]
        return _median(rest) if rest else None


# ---------------------------------------------------------------------------
# W-DATE-AS-AMOUNT
# ---------------------------------------------------------------------------
@rule("W-DATE-AS-AMOUNT", KIND_WITHIN, WARNING, "金额单元格中是日期",
      "金额单元格设置了日期格式，或填的是 36526–55153 之间的整数（Excel 中 2000 年至 2050 年日期的序号），"
      "而本表其他金额都小两个数量级以上：很可能是把日期（如 2024-01-01 存为 45292）当作金额填入，"
      "或单元格被误设为日期格式。请改为以万元为单位的金额和数值格式。", "RULES V15")
def date_as_amount(ctx: Ctx):
    for td in ctx.sub.tables:
        t = _table(ctx, td)
        for key, v, why in t.dates.values():
            x = Decimal(str(v.raw))
            shown = _serial_date(x)
            if why == "format":
                msg = (f"金额单元格设置了日期格式，Excel 中显示为{f'日期 {shown}' if shown else '日期'}，"
                       f"按金额读作 {money(amount(v))}；日期被当作金额，请核实金额并改为数值格式。")
            else:
                msg = (f"金额 {x} 万元是 Excel 的日期序号（{shown}），本表其他金额的中位数只有 "
                       f"{money(t.context([v]))}；日期被当作金额，很可能是把日期填进了金额单元格，请核实。")
            yield Hit(td, v, msg, expected=forms.KIND_LABELS[forms.MONEY], found=f"{x}（{shown}）" if shown else str(x),
                      key=key)


# ---------------------------------------------------------------------------
# W-AMOUNT-SCALE
# ---------------------------------------------------------------------------
def _rows(td: TableData) -> Iterator[tuple[Callable[[], str], list[tuple[str, Val]]]]:
    """(row name, [(key, value)]) of each row of comparable amounts; the name is worded only when asked
    (a row is flagged), as are the columns (:func:`_col_label`)."""
    cols = _ROW_COLUMNS.get(td.kind, ())
    fixed: dict[str, list[tuple[str, Val]]] = {}
    for key, v in td.fields.items():
        prefix, _, col = key.rpartition(".")
        if col in cols and forms.column_kind(td.kind, key) == forms.MONEY:
            fixed.setdefault(prefix, []).append((key, v))
    for prefix, items in fixed.items():
        yield (lambda prefix=prefix: _row_label(td.kind, prefix)), items
    for block, rows in td.blocks.items():
        keys = {c: f"{block}.{c}" for c in cols}
        money = {c for c, k in keys.items() if forms.column_kind(td.kind, k) == forms.MONEY}
        if not money:
            continue            # (indicator blocks)
        for row in rows:
            items = [(keys[c], v) for c, v in row.items() if c in money]

            def name(row=row, block=block) -> str:
                got = row.get("name") or row.get("label")
                return got.text() if got is not None and got.text() else forms.block_label(td.kind, block)
            yield name, items


def _col_label(kind: str, key: str) -> str:
    """The column of an amount as words (本年决算数, 全年执行数); a 基础数据表 amount outside its three
    columns by its own label (实际投资)."""
    col = key.rpartition(".")[2]
    if kind == "basic" and col not in dict(forms.BASIC_COLUMNS):
        return forms.row_label(forms.fields_of(kind)[key].label)
    return col_words(kind, col)


def _row_label(kind: str, prefix: str) -> str:
    if prefix == "funds.total":
        return forms.FUNDS_TOTAL_LABELS[0]
    f = forms.fields_of(kind)
    for col in _ROW_COLUMNS.get(kind, ()):
        if f"{prefix}.{col}" in f:
            label = forms.plain_label(f[f"{prefix}.{col}"].label)
            return label.rsplit("（", 1)[0] if label.endswith("）") else label
    return prefix


def _totals(td: TableData) -> Iterator[tuple[str, str, Val, list[tuple[str, Val]], bool]]:
    """(total name, total key, total, [(part key, part)], complete) of each sub-item list under a total. ``complete``:
    the parts add up to the total (a total 1000× its parts is then suspect too); otherwise only a part
    larger than its total is (其中 items are a partial list: a tiny one is normal)."""
    fields = td.fields
    for key in relations(td, forms.Sum):
        if forms.column_kind(td.kind, key) != forms.MONEY or key not in fields:
            continue
        parts = []
        for p in relation(td, key).parts:
            if p.startswith("range:"):
                block, col = p[len("range:"):].split("@")
                parts += [(f"{b}.{col}", r[col]) for b, rows in td.blocks.items()
                          if b == block or b.startswith(block + ".") for r in rows if col in r]
            elif p in fields:
                parts.append((p, fields[p]))
        yield _row_label(td.kind, key.rpartition(".")[0]), key, fields[key], parts, True
    # typed totals and their typed parts (forms: Field.checks): 年度资金总额 by source, per column, with the
    # fund-source rows of other families after it; 全年执行数 by 收入性质 and by 支出性质
    for tkey, s in checked(td, forms.PROJECT_FUNDS_SUM.name):
        if tkey not in fields:
            continue
        name = _row_label(td.kind, tkey.rpartition(".")[0])
        yield name, tkey, fields[tkey], [(p, fields[p]) for p in s.parts if p in fields], True
        col = tkey.rpartition(".")[2]
        others = [(f"funds.rows.{col}", r[col]) for r in td.rows("funds.rows") if col in r]
        if others:
            yield name, tkey, fields[tkey], others, False
    for tkey, s in checked(td, forms.INCOME_SUM.name) + checked(td, forms.EXPENSE_SUM.name):
        parts = [(p, fields[p]) for p in s.parts if p in fields]
        if tkey in fields and parts:
            yield row_name(td, tkey), tkey, fields[tkey], parts, True
    if "funds.total.budget" in fields and td.rows("funds.sources"):
        yield "合计", "funds.total.budget", fields["funds.total.budget"], [("funds.sources.budget", r["budget"])
                                                   for r in td.rows("funds.sources") if "budget" in r], True
    for tkey, s in checked(td, partial=True):       # 其中 items: a partial list (公用经费's)
        if tkey in fields:
            yield row_name(td, tkey), tkey, fields[tkey], [(p, fields[p]) for p in s.parts if p in fields], False


def _times(big: Decimal, small: Decimal) -> str:
    r = big / small
    return f"{r:,.0f}" if r >= 10 else f"{r:.1f}"


def _scale_hits(ctx: Ctx, td: TableData) -> Iterator[Hit]:
    t = _table(ctx, td)
    seen: set[int] = set(t.dates)            # a date serial is W-DATE-AS-AMOUNT's
    hits: list[Hit] = []

    def flag(v: Val, key: str, msg: str, expected: str) -> None:
        if id(v) in seen or v.is_formula or not v.cell:
            return                            # a formula's result follows its inputs: they are flagged
        seen.add(id(v))
        hits.append(Hit(td, v, msg, expected=expected, found=money(amount(v)), key=key))

    # the columns of one row
    for namer, items in _rows(td):
        vals = [(k, v, x) for k, v in items if id(v) not in t.dates and (x := _positive(v)) is not None]
        if len(vals) < 2:
            continue
        flagged = []
        for i, (k, v, x) in enumerate(vals):
            m = _median([y for j, (_k, _v, y) in enumerate(vals) if j != i])
            if x >= SCALE * m or x * SCALE <= m:
                flagged.append((i, m))
        if len(vals) == 2 and len(flagged) == 2:
            # two columns 1000× apart: the one further from the table's other amounts is the odd one
            c = t.context([v for _k, v, _x in vals])
            (a, b) = (vals[0][2], vals[1][2])
            first = max(a / c, c / a) >= max(b / c, c / b) if c is not None else a >= b
            flagged = [flagged[0] if first else flagged[1]]
        for i, m in flagged:
            k, v, x = vals[i]
            name, lab = namer(), _col_label(td.kind, k)
            others = "、".join(f"{_col_label(td.kind, ok)} {money(oy)}" for j, (ok, _v, oy) in enumerate(vals) if j != i)
            if x > m:
                msg = (f"“{name}”的{lab} {money(x)} 是同一行其他金额（{others}）的 {_times(x, m)} 倍，"
                       f"数量级不一致，可能是把元填成了万元；请核实。")
            else:
                msg = (f"“{name}”的{lab} {money(x)} 只有同一行其他金额（{others}）的 1/{_times(m, x)}，"
                       f"数量级不一致，可能是单位（元/万元）填错或少填了位数；请核实。")
            flag(v, k, msg, f"与{others}同一数量级")
    # a sub-item against its own total
    for name, tkey, tv, parts, complete in _totals(td):
        total = _positive(tv)
        if total is None or id(tv) in seen:
            continue                          # a date, or already the odd one of its row
        vals = [(k, v, x) for k, v in parts if id(v) not in seen and (x := _positive(v)) is not None]
        if not vals:
            continue
        big = [(k, v, x) for k, v, x in vals if x >= SCALE * total]
        if big and len(big) == len(vals) and len(vals) >= 2:
            # every part is 1000× the total: the total is the odd one
            s = sum((x for _k, _v, x in vals), ZERO)
            flag(tv, tkey, f"{name} {money(total)} 只有其各分项之和 {money(s)} 的 1/{_times(s, total)}，"
                         f"数量级不一致，可能是单位（元/万元）填错；请核实。", f"与分项之和 {money(s)} 同一数量级")
            continue
        for k, v, x in big:
            flag(v, k, f"分项 {money(x)} 是其合计“{name}” {money(total)} 的 {_times(x, total)} 倍（分项不应大于合计），"
                       f"可能是元误填为万元；请核实。", f"≤{money(total)}")
        s = sum((x for _k, _v, x in vals), ZERO)
        if complete and not big and total >= SCALE * s and (len(vals) >= 2 or _near_power(total / s)):
            flag(tv, tkey, f"{name} {money(total)} 是其各分项之和 {money(s)} 的 {_times(total, s)} 倍，"
                         f"数量级不一致，可能是元误填为万元；请核实。", f"与分项之和 {money(s)} 同一数量级")
    yield from hits


def _near_power(r: Decimal) -> bool:
    """A ratio within 1% of 1,000 or 10,000 (a total typed in 元 whose single part is in 万元)."""
    return any(abs(r - p) <= p / 100 for p in (Decimal(1000), Decimal(10000)))


@rule("W-AMOUNT-SCALE", KIND_WITHIN, WARNING, "金额数量级异常",
      "同一行可比的金额（年初预算数、全年预算数、全年执行数；上年决算数、本年预算数、本年决算数）中，某个数是其余各数"
      "中位数的 1000 倍以上或 1/1000 以下；或某一分项是其合计的 1000 倍以上、合计是完整分项之和的 1000 倍以上："
      "很可能把元填进了万元表（或反之）。0 和空白不参加比较；“其中”项远小于合计属正常，不提示。", "RULES V15")
def amount_scale(ctx: Ctx):
    for td in ctx.sub.tables:
        yield from _scale_hits(ctx, td)


# ---------------------------------------------------------------------------
# C-HIDDEN-SHEET
# ---------------------------------------------------------------------------
_STATE_WORDS = {"hidden": "隐藏", "veryHidden": "深度隐藏（在 Excel 中无法直接取消隐藏）"}
_ANCHORS = ("funds.total.executed", "funds.total.budget", "sangong.final", "name", "unit")


def _has_figures(td: TableData) -> bool:
    """A table somebody filled in: an amount, or an indicator row."""
    if any(not v.empty for _k, v in money_cells(td)):
        return True
    return any(rows for b, rows in td.blocks.items() if b.startswith("ind."))


def _anchor(td: TableData) -> Val | None:
    for key in _ANCHORS:
        v = td.fields.get(key)
        if v is not None and v.cell and not v.empty:
            return v
    return next((v for v in td.fields.values() if v.cell and not v.empty), None)


def _table_words(td: TableData) -> str:
    return f"{td.label}“{td.display_name}”" if td.kind == "project" else td.label


@rule("C-HIDDEN-SHEET", KIND_COMPLETE, WARNING, "附表在隐藏工作表中",
      "工作簿中有隐藏（或深度隐藏）的工作表存放自评附表，而可见工作表中也有同类的表：审核人员查看和打印的是可见工作表，"
      "只存在于隐藏工作表中的数字看不到，两者还可能不一致（本工具按工作表顺序只读取同类表中的第一张基础数据表、整体支出自评表）。"
      "隐藏工作表中的表没有同类可见表时只作提示。请删除多余的隐藏工作表，或取消隐藏并核对。", "PITFALLS")
def hidden_sheet(ctx: Ctx):
    sub = ctx.sub
    hidden = sub.hidden_sheets
    if not hidden:
        return
    found = [t for t in (sub.found or sub.tables) if _has_figures(t)]
    kept = {id(t) for t in sub.tables}
    visible: dict[str, list[TableData]] = {}
    for t in found:
        if t.sheet not in hidden:
            visible.setdefault(t.kind, []).append(t)
    for t in found:
        state = hidden.get(t.sheet)
        if state is None:
            continue
        where = f"{_STATE_WORDS.get(state, '隐藏')}的工作表“{t.sheet}”"
        what = _table_words(t)
        peers = visible.get(t.kind, [])
        used = id(t) in kept
        if not peers:
            yield Hit(t, _anchor(t), f"{what}只在{where}中，打印可见工作表时看不到；"
                                     f"本工具已读取并审核这张表。请取消隐藏，便于审核人员核对。",
                      expected="可见工作表", found=t.sheet, key="sheet", sheet=t.sheet, severity=INFO)
            continue
        if t.kind == "project":
            same = [p for p in peers if p.display_name == t.display_name]
            if same:
                msg = (f"{where}中的{what}与可见工作表“{same[0].sheet}”中的同名项目重复，"
                       f"两张表都参加审核、评分和汇总；隐藏表中的数字打印时看不到。请删除多余的一张。")
                peer = same[0]
            else:
                peer = peers[0]
                msg = (f"{what}在{where}中，参加审核、评分和汇总，但打印可见工作表（如“{peer.sheet}”）时看不到；"
                       f"请取消隐藏或删除。")
        elif used:
            peer = peers[0]
            msg = (f"读取的{what}来自{where}，而可见工作表“{peer.sheet}”中也有一张{t.label}（未读取）；"
                   f"审核、评分用的是隐藏表中的数字，打印时看到的却是可见表。请删除隐藏工作表或核对两者一致。")
        else:
            peer = next((p for p in peers if id(p) in kept), peers[0])
            msg = (f"{where}中另有一张{t.label}，与可见工作表“{peer.sheet}”中的同类表重复（读取的是可见表）；"
                   f"隐藏表中的数字可能与可见表不同，请删除隐藏工作表或核对两者一致。")
        yield Hit(t, _anchor(t), msg, expected=peer.sheet, found=t.sheet, key="sheet",
                  sheet=t.sheet)
