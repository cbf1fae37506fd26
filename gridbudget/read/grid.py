"""Finding tables in a sheet: normalised label text (:class:`_Grid`), titles, segments, label
vocabulary and values from cells. Shared by every reader in :mod:`gridbudget.read`."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from .. import forms
from ..forms import families
from .book import Sheet
from ..model import TableData, Val
from .values import normalize_text, parse_amount


_WS = re.compile(r"\s+")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")


def norm(s: object) -> str:
    """Label text for matching: half-width, no whitespace, no trailing colon."""
    if s is None:
        return ""
    return _norm_text(s if isinstance(s, str) else str(s))


@lru_cache(maxsize=16384)        # labels repeat on every sheet and in every workbook of a batch
def _norm_text(s: str) -> str:
    return _WS.sub("", normalize_text(s)).rstrip(":：")


strip_numbering = forms.strip_numbering


# ---------------------------------------------------------------------------
# Values from cells
# ---------------------------------------------------------------------------
def _val(sheet: Sheet, r: int, c: int, unit: str = "万元", raw_override: object = None, *,
         anchor: bool = True) -> Val:
    ar, ac = sheet.merged_anchor(r, c) if (anchor and sheet.merged) else (r, c)
    cell = sheet.cells.get((ar, ac))
    addr = forms.a1(ar, ac)
    if raw_override is not None:
        return Val(raw_override, sheet.name, addr, unit=unit)
    if cell is None:
        return Val(None, sheet.name, addr, unit=unit)
    return Val(cell.value, sheet.name, addr, cell.formula, cell.error, cell.percent, cell.decimals, unit,
               date=cell.date)



# ---------------------------------------------------------------------------
# Any other layout: labels
# ---------------------------------------------------------------------------
# Titles that name a family (the 绩效目标申报表) come first: they hold the kinds' own words.
TITLE_WORDS = families.FAMILY_TITLES + forms.TITLE_WORDS


class _Grid:
    """Normalised label text of one sheet, with helpers to look around a cell."""

    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self.text: dict[tuple[int, int], str] = {}
        self.rows: dict[int, list[int]] = {}
        for (r, c), cell in sheet.cells.items():
            v = cell.value
            if v is None or (isinstance(v, str) and not v.strip()):
                continue
            self.rows.setdefault(r, []).append(c)
            if isinstance(v, str):
                self.text[(r, c)] = norm(v)
        for cols in self.rows.values():
            cols.sort()
        self.maxrow = max(self.rows) if self.rows else -1

    def memo(self, what: str, r1: int, r2: int, find):
        """A search over rows r1..r2, done once per sheet (table finding and reading both ask)."""
        cache = self.__dict__.setdefault("_memo", {})
        key = (what, r1, r2)
        if key not in cache:
            cache[key] = find(self, r1, r2)
        return cache[key]

    def cols(self, r: int) -> list[int]:
        return self.rows.get(r, [])

    def find(self, pred, r1: int = 0, r2: int | None = None) -> list[tuple[int, int]]:
        r2 = self.maxrow if r2 is None else r2
        out = []
        for r in range(r1, r2 + 1):
            for c in self.cols(r):
                t = self.text.get((r, c))
                if t is not None and pred(t):
                    out.append((r, c))
        return out

    def first(self, pred, r1: int = 0, r2: int | None = None) -> tuple[int, int] | None:
        hits = self.find(pred, r1, r2)
        return hits[0] if hits else None

    def right(self, r: int, c: int, stop=None) -> tuple[int, int] | None:
        """First non-empty cell right of (r, c); None when it is a label (``stop``)."""
        for cc in self.cols(r):
            if cc <= c:
                continue
            t = self.text.get((r, cc))
            if t is not None and stop is not None and stop(t):
                return None
            return (r, cc)
        return None


def _is_title(t: str) -> str | None:
    if len(t) > 60 or "考核" in t or "评分表" in t:
        return None
    for kind, words in TITLE_WORDS:
        if any(w in t for w in words):
            return kind
    return None


def _declared_unit(grid: _Grid, r1: int, r2: int) -> str:
    hit = grid.first(lambda t: ("(元)" in t or "（元）" in t or "单位:元" in t or "单位：元" in t)
                     and "万元" not in t, r1, r2)
    return "元" if hit else "万元"


def _after_label(grid: _Grid, r: int, c: int, label: str, stop) -> tuple[int, int, object] | None:
    """The value of a label: text after it in the same cell, else the next cell right."""
    t = grid.text.get((r, c), "")
    i = t.find(label)
    rest = t[i + len(label):].lstrip(":：") if i >= 0 else ""
    if rest:
        return (r, c, rest)
    pos = grid.right(r, c, stop)
    if pos is None:
        return None
    return (pos[0], pos[1], None)


def _title_year(grid: _Grid, r1: int, r2: int) -> int | None:
    for r in range(r1, min(r2, r1 + 3) + 1):
        for c in grid.cols(r):
            m = _YEAR.search(grid.text.get((r, c), ""))
            if m:
                return int(m.group(1))
    return None


def _header_labels(kind: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(field key, its label and synonyms, longest first: 主管部门及代码 before 主管部门) for the header
    fields of a table kind (forms.HEADER_FIELDS)."""
    fields = forms.fields_of(kind)
    return tuple((k, tuple(sorted((fields[k].label, *fields[k].synonyms), key=len, reverse=True)))
                 for k in forms.HEADER_FIELDS[kind])


_HEADER_LABELS = {kind: _header_labels(kind) for kind in forms.HEADER_FIELDS}


def _known_label(t: str) -> bool:
    return any(t.startswith(norm(w)) for _k, words in (*_HEADER_LABELS["overall"], *_HEADER_LABELS["project"])
               for w in words) or t.startswith(forms.OTHER_HEADER_LABELS)


@lru_cache(maxsize=None)
def _vocabulary(columns: tuple) -> tuple[tuple[str, str], ...]:
    """(column key, normalised label or synonym) of a vocabulary, longest words first."""
    words = [(key, norm(w)) for key, label, _kind, syn in columns for w in (label, *syn)]
    return tuple(sorted(((k, w) for k, w in words if w), key=lambda kw: -len(kw[1])))   # stable: declared order on ties


def _match_column(t: str, columns) -> str | None:
    """The column key whose label or synonym is the best part of header text ``t``: a word
    the text starts with beats one inside it ("得分（20分*执行率）" is a score), then the
    longest ("得分计算方法" is a method, not a score)."""
    best = None
    for key, w in _vocabulary(columns):
        if w in t:
            if t.startswith(w):
                return key          # longest first: the first word the text starts with is the best
            if best is None:
                best = key
    return best



def _right_of(sheet: Sheet, r: int, c: int) -> int:
    """The column just right of the cell (r, c), past its merged range."""
    for r1, c1, r2, c2 in sheet.merged:
        if r1 <= r <= r2 and c1 <= c <= c2:
            return c2 + 1
    return c + 1


def _read_header(grid: _Grid, r1: int, r2: int, put, header_labels) -> None:
    """Header fields (unit, project name, …) by their labels, and the 年度 cell when there is one.
    A label with nothing after it gives an empty value on the cell beside it (a required field
    left empty is reported there)."""
    for key, labels in (*header_labels, ("year", ("年度",))):
        for label in labels:
            w = norm(label)
            if key == "year":
                hit = grid.first(lambda t: t == "年度" or t.startswith("年度:") or t.startswith("年度："), r1, r2)
            elif len(w) <= 2:      # a short label ("单位") only as a cell of its own, never "单位：万元"
                hit = grid.first(lambda t, w=w: t == w, r1, r2)
            else:
                hit = grid.first(lambda t, w=w: t.startswith(w), r1, r2)
            if hit:
                got = _after_label(grid, hit[0], hit[1], w, _known_label)
                if got:
                    put(key, got[0], got[1], got[2])
                elif grid.text.get(hit) == w and key != "year":
                    put(key, hit[0], _right_of(grid.sheet, hit[0], hit[1]))
                break


def _values_row(grid: _Grid, hr: int, cols: list[int], r2: int, max_gap: int = 3) -> int | None:
    for r in range(hr + 1, min(r2, hr + max_gap) + 1):
        if any(grid.sheet.value(r, c) not in (None, "") for c in cols):
            return r
    return hr + 1 if hr + 1 <= r2 else None




# ---------------------------------------------------------------------------
# Blocks of a self-evaluation table
# ---------------------------------------------------------------------------
_WEIGHT_IN_LABEL = re.compile(r"[(（]?\s*(\d+(?:\.\d+)?)\s*分\s*[)）]?\s*$")
_POINTS_IN_HEADER = re.compile(r"(\d+(?:\.\d+)?)\s*分")
_HEADER_TOTAL = re.compile("(?:" + "|".join(forms.HEADER_TOTAL_WORDS) + r")[:：]?\s*(\d+(?:\.\d+)?)\s*分?")
_TOTAL_WORDS = forms.TOTAL_LABELS
_STOP_WORDS = forms.SIGNATURE_LABELS + forms.OTHER_SIGNATURE_LABELS
_EXTRA_KEYS = {k for k, *_ in forms.INDICATOR_EXTRA_COLUMNS}
_ALL_INDICATOR_COLUMNS = forms.INDICATOR_EXTRA_COLUMNS + forms.INDICATOR_COLUMNS


def split_weight(t: str) -> tuple[str, Decimal | None]:
    """'产出指标（50分）' -> ('产出指标', 50); '数量指标 15分' -> ('数量指标', 15); '规划' -> ('规划', None)."""
    m = _WEIGHT_IN_LABEL.search(t)
    if not m or m.start() == 0:
        return t, None
    return t[:m.start()].rstrip(" （("), Decimal(m.group(1))


def _header_total(grid: _Grid, td: TableData, r1: int, r2: int) -> None:
    """A self-score written in a header cell ("自评总分：95", "项目总得分99分")."""
    for r in range(r1, r2 + 1):
        for c in grid.cols(r):
            m = _HEADER_TOTAL.search(grid.text.get((r, c), ""))
            if m:
                td.fields["total.score"] = _val(grid.sheet, r, c, td.unit, Decimal(m.group(1)))
                return


def _text_rows(grid: _Grid, r1: int, r2: int) -> list[tuple[int, int, str, str]]:
    """Free-text blocks (评价结论, 存在问题, 改进措施 …): (row, column, key, the label word) of each
    label cell, by forms.TEXT_BLOCKS."""
    out = []
    for r in range(r1, r2 + 1):
        cols = grid.cols(r)
        if not cols:
            continue
        c = cols[0]
        t = grid.text.get((r, c), "")
        best, best_word = None, ""
        for key, label, syn in forms.TEXT_BLOCKS:
            for w in (label, *syn):
                w = norm(w)
                if t.startswith(w) and len(w) > len(best_word) and (len(t) <= len(w) + 8 or t[len(w)] in ":："):
                    best, best_word = key, w
        if best is not None:
            out.append((r, c, best, best_word))
    return out




def _is_funds_total(t: str) -> bool:
    return any(w in t if len(w) > 2 else w == t for w in _FUNDS_TOTAL_WORDS)


_FUNDS_TOTAL_WORDS = tuple(norm(w) for w in forms.FUNDS_TOTAL_LABELS)
# words only a project's funding rows use (其他资金 is also an income row of the overall table)
_PROJECT_FUND_WORDS = tuple(norm(w) for k, label, syn in forms.PROJECT_FUND_ROWS if k != "other" for w in (label, *syn))
_SOURCE_COLUMNS = frozenset(norm(w) for w in forms.FUND_SOURCE_COLUMNS)


def _is_number_cell(sheet: Sheet, r: int, c: int) -> bool:
    """The cell holds an amount, as a number or as text such as "300万元"."""
    v = sheet.value(*(sheet.merged_anchor(r, c) if sheet.merged else (r, c)))
    if isinstance(v, bool) or v is None:
        return False
    return isinstance(v, (int, float, Decimal)) or parse_amount(v).value is not None


