"""The data model of one unit's submission, as read from a workbook.

Every value keeps the raw cell content, where it came from (sheet and cell) and
whether a formula produced it; its meaning (an amount in 万元, a target with its
operator, …) is derived on demand through :mod:`gridbudget.read.values`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import forms
from .forms.cells import parse_a1
from .forms.families import Family, family as family_of
from .read.values import (Amount, Quantity, _is_blank_text, is_blank, normalize_text, parse_amount, parse_count, parse_quantity,
                     parse_rate, parse_score)

_YEAR_RE = re.compile(r"(?<!\d)((?:19|20|21)\d{2})(?!\d)")


def parse_year(raw: Any) -> int | None:
    """2024, 2024.0, "2024", "2024年", "2024年度", "２０２４" -> 2024; None when there is no year."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float, Decimal)):
        try:
            y = int(raw)
        except (ValueError, OverflowError):
            return None
        return y if y == raw and 1900 <= y <= 2199 else None
    m = _YEAR_RE.search(normalize_text(str(raw)))
    return int(m.group(1)) if m else None


INDICATOR_KEYS = tuple(k for k, *_ in forms.INDICATOR_COLUMNS)
TABLE_NAMES = {"basic": forms.BASIC.name, "overall": forms.OVERALL.name, "project": forms.PROJECT.name}


@dataclass(slots=True)
class Val:
    """One cell's content and its origin."""

    raw: Any                       # cached value for a formula (None when there is none)
    sheet: str | None = None
    cell: str | None = None        # A1 address (the merged range's anchor)
    formula: str | None = None     # formula text when the cell holds a formula ("" if unknown)
    error: str | None = None       # '#DIV/0!' …
    percent: bool = False          # the cell is formatted as a percentage
    decimals: int | None = None    # decimals its number format shows
    unit: str = "万元"              # the amount unit the table declares (万元 or 元)
    implied: bool = False          # not typed in a cell: derived by the reader (a weight implied by a score)
    date: bool = False             # the cell's number format shows a date (a date typed where a number belongs)
    _memo: dict | None = None      # parsed meanings, computed once per value
    _empty: bool | None = None

    @property
    def is_formula(self) -> bool:
        return self.formula is not None

    @property
    def uncomputed(self) -> bool:
        """A formula whose result was never stored (a file written by a program, never opened)."""
        return self.formula is not None and self.raw is None and self.error is None

    def _memo_get(self, key: str):
        m = self._memo
        return None if m is None else m.get(key)

    def _memo_put(self, key: str, value):
        if self._memo is None:
            self._memo = {}
        self._memo[key] = value
        return value

    @property
    def empty(self) -> bool:
        v = self._empty
        if v is None:
            raw = self.raw
            v = self._empty = self.error is None and not self.uncomputed and (
                _is_blank_text(self.text()) if type(raw) is str else is_blank(raw))     # (text() is kept)
        return v

    @property
    def where(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.sheet and self.cell else (self.sheet or "")

    def text(self) -> str:
        if self.raw is None:
            return ""
        if isinstance(self.raw, str):
            return self._memo_get("text") or self._memo_put("text", normalize_text(self.raw))
        return str(self.raw)

    def amount(self) -> Amount:
        a = self._memo_get("amount")
        if a is None:
            a = parse_amount(self.raw, unit="万元")
            if self.unit == "元" and a.value is not None and a.unit_seen is None:
                a = Amount(a.raw, (a.value / Decimal(10000)), a.empty, a.error, "元")
            self._memo_put("amount", a)
        return a

    def amount_value(self) -> Decimal | None:
        """The amount in 万元, or None when empty, unreadable or not computed (cached)."""
        m = self._memo
        if m is not None and "amt" in m:
            return m["amt"]
        v = None if (self.error or self.uncomputed or self.empty) else self.amount().value
        self._memo_put("amt", v)
        return v

    def number_value(self) -> Decimal | None:
        """A plain number (分值, 得分, 面积), or None when empty, unreadable or not computed (cached)."""
        m = self._memo
        if m is not None and "num" in m:
            return m["num"]
        v = None if (self.error or self.uncomputed or self.empty) else self.number().value
        self._memo_put("num", v)
        return v

    def number(self) -> Amount:
        return self._memo_get("number") or self._memo_put("number", parse_score(self.raw))

    def count(self) -> Amount:
        return self._memo_get("count") or self._memo_put("count", parse_count(self.raw))

    def quantity(self) -> Quantity:
        return self._memo_get("quantity") or self._memo_put(
            "quantity", parse_quantity(self.raw, percent_cell=self.percent))

    def rate(self) -> Quantity:
        return self._memo_get("rate") or self._memo_put("rate", parse_rate(self.raw, percent_cell=self.percent))


@dataclass
class Indicator:
    """One 三级指标 row with the 一级/二级 it sits under."""

    table: "TableData"
    block: str                 # e.g. "ind.output.cost"
    index: int                 # row within its block
    level1_key: str
    level2_key: str
    level1: str                # as shown
    level2: str
    row: dict[str, Val]

    def get(self, col: str) -> Val:
        return self.row.get(col) or Val(None, self.table.sheet)

    @property
    def name(self) -> str:
        return self.get("name").text()

    @property
    def anchor(self) -> Val:
        """A cell to point at for the whole row (the 三级指标 name, else the first cell)."""
        for col in ("name", "target", "actual", "weight", "score", "note"):
            v = self.row.get(col)
            if v is not None and v.cell:
                return v
        return Val(None, self.table.sheet)


@dataclass
class StatedWeight:
    """Points written into a label ("产出指标（50分）", "年度绩效目标（80分）", "数量指标 15分")."""

    level: int                 # -1 the whole indicator block, 0 a group above 一级, 1 一级, 2 二级
    label: str                 # the label without its points
    val: Val                   # the label cell (raw: the points)
    weight: Decimal
    rows: list[dict[str, Val]] = field(default_factory=list)       # the 三级 rows under it
    children: list["StatedWeight"] = field(default_factory=list)   # stated weights one level down


@dataclass
class TableData:
    kind: str                  # "basic" | "overall" | "project"
    sheet: str
    source: str                # "template" (defined names) | "layout" (labels)
    fields: dict[str, Val] = field(default_factory=dict)
    blocks: dict[str, list[dict[str, Val]]] = field(default_factory=dict)
    unit: str = "万元"
    title_year: int | None = None
    unplaced: int = 0          # 三级 rows whose 一级/二级 could not be recognised
    family: str = ""           # key of its table family (forms.families); "" = the kind's default
    columns: frozenset[str] = frozenset(INDICATOR_KEYS)   # indicator columns the table has
    stated: list[StatedWeight] = field(default_factory=list)
    misplaced: list[tuple[Val, str, str]] = field(default_factory=list)   # (二级 cell, its 一级, the 一级 it sits under)
    notes: list[tuple[str, int, int, str]] = field(default_factory=list)  # reader notes: (code, row, col, text)

    @property
    def fam(self) -> "Family":
        return family_of(self.family, self.kind)

    @property
    def form(self) -> forms.Table:
        return forms.TABLES[self.kind]

    @property
    def label(self) -> str:
        return TABLE_NAMES[self.kind]

    def get(self, key: str) -> Val:
        v = self.fields.get(key)
        return v if v is not None else Val(None, self.sheet)

    def rows(self, block: str) -> list[dict[str, Val]]:
        return self.blocks.get(block, [])

    @property
    def display_name(self) -> str:
        if self.kind == "project":
            return self.get("name").text() or self.sheet
        return self.label

    def indicators(self) -> list[Indicator]:
        """Every 三级指标 row: in form order for a template sheet, in sheet order for a hand-made
        table (rows under other level names included; cached until a block or label is replaced)."""
        sig = (tuple((id(v), len(v)) for k, v in self.blocks.items() if k.startswith("ind.")),
               tuple(id(self.fields.get(b + ".label")) for b in _INDICATOR_BLOCKS))
        cached = self.__dict__.get("_indicators")
        if cached is not None and cached[0] == sig:
            return cached[1]
        out = []
        for l1key, l1name, _w, level2 in forms.LEVEL1:
            l1 = self.get(f"ind.{l1key}.label").text() or l1name
            for l2key, l2name, _syn in level2:
                block = f"ind.{l1key}.{l2key}"
                l2 = self.get(f"{block}.label").text() or l2name
                for i, row in enumerate(self.rows(block)):
                    out.append(Indicator(self, block, i, l1key, l2key, l1, l2, row))
        for block, rows in self.blocks.items():
            if not block.startswith("ind.") or block in _INDICATOR_SET or block.count(".") != 2:
                continue
            _ind, l1key, l2key = block.split(".")
            l1 = self.get(f"ind.{l1key}.label").text()
            l2 = self.get(f"{block}.label").text()
            for i, row in enumerate(rows):
                out.append(Indicator(self, block, i, l1key, l2key, l1, l2, row))
        if self.source == "layout":     # a hand-made table: in the order its rows stand on the sheet
            out.sort(key=lambda i: parse_a1(i.anchor.cell) or (1 << 30, 0))
        self.__dict__["_indicators"] = (sig, out)
        return out

    @property
    def year(self) -> int | None:
        y = parse_year(self.get("year").raw)
        return y if y is not None else self.title_year


_INDICATOR_BLOCKS = tuple(f"ind.{k1}.{k2}" for k1, _n, _w, lv in forms.LEVEL1 for k2, _n2, _s in lv)
_INDICATOR_SET = frozenset(_INDICATOR_BLOCKS)


@dataclass
class ReadProblem:
    """Something the reader could not read or understand (becomes a 完整性 finding)."""

    code: str                  # e.g. "unreadable_value", "formula_error", "uncomputed_formula"
    message: str               # Chinese
    sheet: str | None = None
    cell: str | None = None
    key: str | None = None
    found: Any = None


@dataclass
class Submission:
    file: str
    file_kind: str = "xlsx"
    sha256: str = ""
    basic: TableData | None = None
    overall: TableData | None = None
    projects: list[TableData] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)
    found: list[TableData] = field(default_factory=list)        # every table read, kept or not (a duplicate, a blank project)
    hidden_sheets: dict[str, str] = field(default_factory=dict)  # sheet name -> "hidden" / "veryHidden"

    @property
    def tables(self) -> list[TableData]:
        return [t for t in (self.basic, self.overall) if t is not None] + list(self.projects)

    def tables_read(self) -> list[dict]:
        """Each table read, with the family it was recognised as (text, JSON, export)."""
        return [{"sheet": t.sheet, "kind": t.kind, "name": t.display_name, "family": t.fam.key,
                 "family_name": t.fam.name, "source": t.source} for t in self.tables]

    @property
    def tables_found(self) -> list[str]:
        out = []
        if self.basic:
            out.append("basic")
        if self.overall:
            out.append("overall")
        if self.projects:
            out.append("project")
        return out

    @property
    def unit(self) -> str:
        for t in (self.overall, self.basic):
            if t is not None and not t.get("unit").empty:
                return t.get("unit").text()
        for p in self.projects:
            if not p.get("unit").empty:
                return p.get("unit").text()
        return ""

    @property
    def department(self) -> str:
        for p in self.projects:
            if not p.get("department").empty:
                return p.get("department").text()
        return ""

    @property
    def year(self) -> int | None:
        for t in self.tables:
            if t.year:
                return t.year
        return None
