"""Helpers shared by the rules: reading amounts and numbers, formatting them, choosing tables."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Iterator

from ... import forms
from ...model import Indicator, TableData, Val
from ..engine import Ctx
from ...read.values import is_no_deviation


ZERO = Decimal(0)
HUNDRED = Decimal(100)
# The money columns of the funds block and of the 基础数据表, with their labels as words.
FUND_COLS = tuple((k, label) for k, label, kind, _s in forms.FUNDS_COLUMNS if kind == forms.MONEY)
BASIC_COLS = tuple((k, forms.plain_label(label)) for k, label in forms.BASIC_COLUMNS)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def amount(v: Val | None) -> Decimal | None:
    return None if v is None else v.amount_value()


def number(v: Val | None) -> Decimal | None:
    return None if v is None else v.number_value()


def count(v: Val | None) -> Decimal | None:
    """A head count as typed (4, "4人", "四人"), or None when empty, unreadable or not computed."""
    if v is None or v.error or v.uncomputed or v.empty:
        return None
    return v.count().value


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


# ---------------------------------------------------------------------------
# Relations of the form (forms.Sum / forms.Ratio): the same arithmetic the template's formulas do
# ---------------------------------------------------------------------------
def relation(td: TableData, key: str) -> forms.Relation | None:
    f = forms.fields_of(td.kind).get(key)
    return f.relation if f is not None else None


def relations(td: TableData, kind: type) -> list[str]:
    """Keys of the table's fixed fields computed by a relation of this kind, in form order."""
    fields = forms.fields_of(td.kind)
    return [k for k in forms.computed_keys(td.kind) if isinstance(fields[k].relation, kind)]


def summed(td: TableData, *names: str) -> list[str]:
    """Keys of the table's fixed fields computed by a sum of the forms named one of ``names``, in form
    order (基础数据表 sangong, car: the 三公经费 totals of each column)."""
    fields = forms.fields_of(td.kind)
    return [k for k in relations(td, forms.Sum) if fields[k].relation.name in names]


def row_name(td: TableData, key: str) -> str:
    """A field's row as words: '其中：公车购置（{prev_year}年决算数）' -> '公车购置'."""
    return row_label(td.kind, key)


def row_label(kind: str, key: str) -> str:
    """:func:`row_name` by table kind (rule texts derive their words from the forms with it)."""
    return forms.row_label(forms.fields_of(kind)[key].label)


def col_words(kind: str, col: str) -> str:
    """A column's label, read from the forms when a message is worded: 全年执行数 (the funds columns),
    实际完成值 (the indicator columns), 本年决算数 (基础数据表)."""
    if kind == "basic":
        return forms.plain_label(dict(forms.BASIC_COLUMNS)[col])
    return forms.FUNDS_COLUMN_LABELS.get(col) or forms.INDICATOR_COLUMN_LABELS[col]


def relation_words(kind: str, key: str) -> str:
    """A computed field's relation as words, from the forms: '执行率 = 全年执行数 ÷ 全年预算数',
    '三公经费 = 公务用车购置和维护经费 + 出国经费 + 公务接待' (rule texts)."""
    rel = forms.fields_of(kind)[key].relation
    if isinstance(rel, forms.Ratio):
        return f"{row_label(kind, key)} = {row_label(kind, rel.num)} ÷ {row_label(kind, rel.den)}"
    return f"{row_label(kind, key)} = {' + '.join(row_label(kind, p) for p in rel.parts)}"


@lru_cache(maxsize=None)
def named_blocks(kind: str, *cols: str) -> tuple[str, ...]:
    """The repeated blocks of a table whose rows have a ``name`` and these columns, in form order
    (基础数据表 with prev_final, final: projects, special_funds)."""
    placed = forms.layout(forms.TABLES[kind])
    return tuple(k for k, rep in placed.repeats.items() if {"name", *cols} <= rep.cols.keys())


@lru_cache(maxsize=None)
def lines_with(kind: str, *cols: str) -> tuple[str, ...]:
    """The fixed rows of a table that have a field in each of these columns, in form order
    (基础数据表 with prev_final, final: sangong, car, …, projects_total, public, office, …)."""
    fields = forms.fields_of(kind)
    rows = dict.fromkeys(k.rsplit(".", 1)[0] for k, _f, block in forms.iter_fields(forms.TABLES[kind])
                         if block is None and "." in k)
    return tuple(r for r in rows if all(f"{r}.{c}" in fields for c in cols))


def checked(td: TableData, name: str | None = None, *, partial: bool = False) -> list[tuple[str, forms.Sum]]:
    """(total key, sum) of the table's checked sums (forms.Field.checks), those named ``name`` if given;
    equalities, or with ``partial`` the partial listings (其中 items)."""
    return [(k, s) for k, s in forms.checked_sums(td.kind)
            if s.partial == partial and (name is None or s.name == name)]


def sum_tolerance(tol: Decimal, nterms: int) -> Decimal:
    """The tolerance of a sum of ``nterms`` rounded amounts: one rounding step per two terms."""
    return tol * max(1, nterms // 2)


def sum_terms(td: TableData, total: forms.Sum, read) -> list[tuple[str, Decimal | None]]:
    """(name, value) of each part of a sum, read with ``read`` (amount or number). A part left
    empty that is itself a total counts as its own parts (三公经费 with 公务用车 blank: 公车购置 + 运行维护);
    a range part counts each repeated row."""
    out: list[tuple[str, Decimal | None]] = []
    for p in total.parts:
        if p.startswith("range:"):
            block, col = p[len("range:"):].split("@")
            name = "各" + forms.block_label(td.kind, block)
            out += [(name, read(r.get(col))) for b, rows in td.blocks.items()
                    if b == block or b.startswith(block + ".") for r in rows]
            continue
        x = read(td.fields.get(p))
        sub = relation(td, p)
        if x is None and isinstance(sub, forms.Sum):
            out += sum_terms(td, sub, read)
        else:
            out.append((row_name(td, p), x))
    return out


def label_of(td: TableData) -> str:
    return f"项目“{td.display_name}”" if td.kind == "project" else td.label


def has_notes(td: TableData) -> bool:
    """The table explains deviations: a note column, or a free-text 偏差原因 block."""
    return "note" in td.columns or "text.deviation" in td.fields


def noted_indicators(ctx: Ctx) -> Iterator[tuple[TableData, Indicator]]:
    """(table, 三级指标) of the self-evaluation tables that have a place for deviation notes
    (a rubric or a flat list without one is not asked for reasons)."""
    for td in tables(ctx, "overall", "project"):
        if has_notes(td):
            for i in ctx.inds(td):
                yield td, i


def problems(ctx: Ctx, *codes: str) -> Iterator[tuple[TableData | None, object]]:
    """The reader's problems of these codes, each with the table read from its sheet (if any)."""
    for p in ctx.sub.problems:
        if p.code in codes:
            yield next((t for t in ctx.sub.tables if t.sheet == p.sheet), None), p


_FUNDS_WORDS = ("执行", "资金", "预算", "结余", "支付", "拨付", "结转", "未使用")


def all_notes_silent(ctx: Ctx, td: TableData) -> bool:
    """No 偏差原因 of the table explains spending: each is blank, says there is no deviation,
    or is about its indicator only (mentions neither funds nor execution)."""
    return all(is_no_deviation(t) or not any(w in t for w in _FUNDS_WORDS)
               for t in (i.get("note").text() for i in ctx.inds(td)))


# ---------------------------------------------------------------------------
# 计分: weights and scores
# ---------------------------------------------------------------------------
def _level1_rows(ctx: Ctx, td: TableData) -> dict[str, list[Indicator]]:
    out: dict[str, list[Indicator]] = {k: [] for k, *_ in forms.LEVEL1}
    for i in ctx.inds(td):
        out.setdefault(i.level1_key, []).append(i)
    return out


def _name_key(s: str) -> str:
    return re.sub(r"[\s（）()“”\"'、，,。.：:]", "", s)


def table_cells(td: TableData) -> Iterator[tuple[str, str | None, Val]]:
    """(key, kind, value) of every cell a table read: fixed fields, then block columns (a block column's
    key and kind worked out once per block, not per row)."""
    kind = td.kind
    for key, v in td.fields.items():
        yield key, forms.column_kind(kind, key), v
    for block, rows in td.blocks.items():
        cols: dict[str, tuple[str, str | None]] = {}
        for row in rows:
            for col, v in row.items():
                got = cols.get(col)
                if got is None:
                    key = f"{block}.{col}"
                    got = cols[col] = (key, forms.column_kind(kind, key))
                yield got[0], got[1], v


def money_cells(td: TableData) -> Iterator[tuple[str, Val]]:
    """Every money cell of a table with its key (fixed fields, then block columns)."""
    money = forms.MONEY
    return ((key, v) for key, kind, v in table_cells(td) if kind == money)
