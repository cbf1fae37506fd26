"""Read a filled workbook into a :class:`~gridbudget.model.Submission`.

Two strategies, both driven by :mod:`gridbudget.forms`:

* a sheet made from the gridbudget template carries sheet-scoped defined names for
  every field and every block column: it is read through them, so inserted rows,
  moved blocks and copied project sheets read right;
* any other sheet is read by its labels: the official labels (and the synonyms other
  provinces use) locate each table, its header rows and its columns, whatever the
  sheet names, merged cells, spacer rows or extra columns. A sheet may hold several
  tables one below the other.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from decimal import Decimal
from functools import lru_cache

from .. import forms
from ..forms import families
from .book import Book, ReadError, Sheet, open_book
from ..model import ReadProblem, StatedWeight, Submission, TableData, Val
from .values import normalize_text, parse_amount

_WS = re.compile(r"\s+")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")


def norm(s: object) -> str:
    """Label text for matching: half-width, no whitespace, no trailing colon."""
    if s is None:
        return ""
    t = _WS.sub("", normalize_text(str(s)))
    return t.rstrip(":：")


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
# Template sheets: defined names
# ---------------------------------------------------------------------------
def _sheet_names(book: Book, sheet: Sheet) -> dict[str, tuple[int, int, int, int]]:
    names: dict[str, tuple[int, int, int, int]] = {}
    for n, (sname, r1, c1, r2, c2) in book.names.items():
        if sname == sheet.name and n.startswith(forms.NAME_PREFIX):
            names[n] = (r1, c1, r2, c2)
    names.update({n: ref for n, ref in sheet.names.items() if n.startswith(forms.NAME_PREFIX)})
    return names


def template_kind(book: Book, sheet: Sheet) -> str | None:
    names = _sheet_names(book, sheet)
    for key in forms.TABLES:
        if forms.FORM_MARKER + key in names:
            return key
    return None


def read_template_sheet(book: Book, sheet: Sheet, kind: str) -> TableData:
    names = _sheet_names(book, sheet)
    targets = forms.name_targets(kind)
    table = TableData(kind, sheet.name, "template")
    columns: dict[str, dict[str, tuple[int, int, int]]] = {}
    for name, (r1, c1, r2, _c2) in names.items():
        target = targets.get(name)
        if target is None:
            continue
        key, block = target
        if block is None:
            table.fields[key] = _val(sheet, r1, c1, anchor=False)     # names point at anchors
        else:
            columns.setdefault(block, {})[key[len(block) + 1:]] = (r1, r2, c1)
    for block, cols in columns.items():
        first = min(r1 for r1, _r2, _c in cols.values())
        last = max(r2 for _r1, r2, _c in cols.values())
        rows = []
        cells = sheet.cells
        for r in range(first, last + 1):
            # most template rows are left empty: skip them before building values
            if not any((r, c) in cells for _r1, _r2, c in cols.values()):
                continue
            row = {ck: _val(sheet, r, c, anchor=False) for ck, (_r1, _r2, c) in cols.items()}
            if any(not v.empty or v.error or v.uncomputed for v in row.values()):
                rows.append(row)
        table.blocks[block] = rows
    title = sheet.value(0, 0)
    m = _YEAR.search(str(title or ""))
    table.title_year = int(m.group(1)) if m else None
    return table


# ---------------------------------------------------------------------------
# Any other layout: labels
# ---------------------------------------------------------------------------
TITLE_WORDS = forms.TITLE_WORDS


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


def _classify(grid: _Grid, r1: int, r2: int) -> str | None:
    has = lambda *ws: grid.first(lambda t: any(w in t for w in ws), r1, r2) is not None  # noqa: E731
    if has("经费控制情况", "财政供养人员"):
        return "basic"
    if has("年度资金总额", "资金总额") or (has("年初预算") and has("全年执行数", "预算执行数", "全年预算数", "调整后预算")):
        if has("项目支出名称", "项目名称"):
            return "project"
        if has("按收入性质", "按支出性质", "部门名称", "单位名称", "一般公共预算"):
            return "overall"
        if has("当年财政拨款", "本年财政拨款", "上年结转"):
            return "project"
        return "overall"
    if _indicator_headers(grid, r1, r2) or _funds_header(grid, r1, r2) is not None:
        # a table read by its indicator grid or its funds block alone (a table's tail on its own sheet,
        # 20/80 and rubric tables): a project table unless it names a department
        return "overall" if has("部门名称", "部门整体", "预算部门") and not has("项目名称") else "project"
    return None


def segments(grid: _Grid) -> list[tuple[str, int, int]]:
    """(kind, first row, last row) of each table on the sheet; kind "unknown" for a title
    over a table that matches no family (reported, never read as empty)."""
    titles = []
    for r in sorted(grid.rows):
        for c in grid.cols(r):
            t = grid.text.get((r, c))
            kind = _is_title(t) if t else None
            if kind:
                titles.append((r, kind))
                break
    out = []
    if not titles:
        kind = _classify(grid, 0, grid.maxrow)
        return [(kind, 0, grid.maxrow)] if kind else []
    for i, (r, kind) in enumerate(titles):
        end = titles[i + 1][0] - 1 if i + 1 < len(titles) else grid.maxrow
        actual = _classify(grid, r, end)
        if actual is None:
            out.append(("unknown", r, end))
            continue
        if kind in ("overall", "project") and actual in ("overall", "project"):
            actual = kind          # the title says which of the two self-evaluation tables it is
        out.append((actual, r, end))
    if titles and titles[0][0] > 0:   # a table above the first title (no title of its own)
        kind = _classify(grid, 0, titles[0][0] - 1)
        if kind and not any(k == kind and a == 0 for k, a, _ in out):
            out.insert(0, (kind, 0, titles[0][0] - 1))
    return out


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
    """(field key, its label and synonyms) for the header fields of a table kind (forms.HEADER_FIELDS)."""
    fields = forms.fields_of(kind)
    return tuple((k, (fields[k].label, *fields[k].synonyms)) for k in forms.HEADER_FIELDS[kind])


_HEADER_LABELS = {kind: _header_labels(kind) for kind in forms.HEADER_FIELDS}


def _known_label(t: str) -> bool:
    return any(t.startswith(norm(w)) for _k, words in (*_HEADER_LABELS["overall"], *_HEADER_LABELS["project"])
               for w in words) or any(t.startswith(w) for w in (
                   "年度", "填报单位", "编制数", "一级指标", "年初预算数", "填表人", "项目负责人", "专项实施期",
                   "填报日期", "项目属性", "项目类别"))


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


def _read_basic(grid: _Grid, r1: int, r2: int) -> TableData:
    sheet = grid.sheet
    unit = _declared_unit(grid, r1, r2)
    td = TableData("basic", sheet.name, "layout", unit=unit, title_year=_title_year(grid, r1, r2))
    put = lambda key, r, c, raw=None: td.fields.__setitem__(key, _val(sheet, r, c, unit, raw))  # noqa: E731

    _read_header(grid, r1, r2, put, (("unit", ("填报单位", "单位名称", "部门名称")),))

    # 财政供养人员情况
    hit = grid.first(lambda t: t.startswith("编制数") or t == "编制人数", r1, r2)
    if hit:
        hr = hit[0]
        cols = {"staff.authorized": hit[1]}
        for c in grid.cols(hr):
            t = grid.text.get((hr, c), "")
            if "在职人数" in t or "实有人数" in t or "在职" in t:
                cols["staff.actual"] = c
            elif "控制率" in t:
                cols["staff.rate"] = c
        vr = _values_row(grid, hr, list(cols.values()), r2)
        if vr is not None:
            for key, c in cols.items():
                put(key, vr, c)

    # 经费控制情况
    hit = grid.first(lambda t: "经费控制情况" in t, r1, r2)
    if hit:
        fr, lc = hit
        colmap = _basic_columns(grid, fr, lc)
        mode = None
        for r in range(fr + 1, r2 + 1):
            label_t = grid.text.get(sheet.merged_anchor(r, lc) if sheet.merged else (r, lc), "")
            if any(w in label_t for w in ("楼堂馆所", "厉行节约")):
                break
            bare = strip_numbering(label_t).strip("….. ")   # drop ellipsis rows ("……")
            key = _basic_row_key(bare)
            if key == "special_header":
                mode = "special_funds"
                continue
            if key is not None:
                mode = "projects" if key == "projects_total" else None
                for ck, c in colmap.items():
                    put(f"{key}.{ck}", r, c)
                continue
            if mode is None:
                continue
            # a project (or 市级专项资金) row: its name is the label without numbering
            row = {"name": _val(sheet, r, lc, unit, bare or None)}
            if not bare:
                row["name"] = Val(None, sheet.name, forms.a1(r, lc), unit=unit)
            for ck, c in colmap.items():
                row[ck] = _val(sheet, r, c, unit)
            if bare or any(not v.empty for k, v in row.items() if k != "name"):
                td.blocks.setdefault(mode, []).append(row)

    # 楼堂馆所
    hit = grid.first(lambda t: "楼堂馆所" in t, r1, r2)
    if hit:
        hr = hit[0]
        cols = {}
        for c in grid.cols(hr):
            t = grid.text.get((hr, c), "")
            for key, words in (("building.approved_area", ("批复规模",)), ("building.actual_area", ("实际规模",)),
                               ("building.area_rate", ("规模控制率",)), ("building.budget", ("预算投资",)),
                               ("building.actual", ("实际投资",)), ("building.invest_rate", ("概算控制率",))):
                if any(w in t for w in words):
                    cols[key] = c
        vr = _values_row(grid, hr, list(cols.values()), r2, max_gap=2)
        if vr is not None:
            for key, c in cols.items():
                put(key, vr, c)
            if grid.text.get((vr, hit[1])):
                put("building.name", vr, hit[1])
    hit = grid.first(lambda t: "厉行节约" in t, r1, r2)
    if hit:
        got = _after_label(grid, hit[0], hit[1], "厉行节约保障措施", None)
        if got:
            put("thrift", got[0], got[1], got[2])
    return td


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


def _basic_columns(grid: _Grid, fr: int, lc: int) -> dict[str, int]:
    found = []
    for c in grid.cols(fr):
        if c <= lc:
            continue
        t = grid.text.get((fr, c), "")
        if "预算" in t or "决算" in t:
            m = _YEAR.search(t)
            found.append((c, t, int(m.group(1)) if m else None))
    years = [y for _c, _t, y in found if y]
    top = max(years) if years else None
    out: dict[str, int] = {}
    finals = []
    for c, t, y in found:
        if "预算" in t and "决算" not in t:
            out.setdefault("budget", c)
        elif "上年" in t or (y is not None and top is not None and y < top):
            out.setdefault("prev_final", c)
        elif "本年" in t or (y is not None and y == top):
            out.setdefault("final", c)
        else:
            finals.append(c)
    for c in finals:   # no years given: first 决算 column is last year's
        if "prev_final" not in out:
            out["prev_final"] = c
        elif "final" not in out:
            out["final"] = c
    return out


_BASIC_ROWS = (
    ("sangong", ("三公经费",)),
    ("car_purchase", ("公车购置",)),
    ("car_operation", ("公车运行维护", "运行维护费", "公车运行")),
    ("car", ("公务用车",)),
    ("abroad", ("出国", "因公出国")),
    ("reception", ("公务接待",)),
    ("special_header", ("专项资金",)),
    ("projects_total", ("项目支出",)),
    ("office", ("办公经费", "办公费")),
    ("utilities", ("水费", "电费", "差旅费")),
    ("meetings", ("会议费", "培训费")),
    ("public", ("公用经费",)),
    ("procurement", ("政府采购",)),
    ("basic_adjust", ("预算调整",)),
)


def _basic_row_key(bare: str) -> str | None:
    if not bare:
        return None
    for key, words in _BASIC_ROWS:
        if any(w in bare for w in words):
            if key == "projects_total" and not bare.startswith("项目支出"):
                continue
            return key
    return None


def _read_eval_table(grid: _Grid, r1: int, r2: int, kind: str) -> TableData:
    """A self-evaluation table of any family, by its blocks: header fields, a self-score
    written in a header cell, the funds block, the goals, one or more indicator grids, the
    总分 row and the free-text blocks. Each block ends where the next one starts."""
    sheet = grid.sheet
    unit = _declared_unit(grid, r1, r2)
    td = TableData(kind, sheet.name, "layout", unit=unit, title_year=_title_year(grid, r1, r2))
    put = lambda key, r, c, raw=None: td.fields.__setitem__(key, _val(sheet, r, c, unit, raw))  # noqa: E731
    facts: list[str] = []
    title = grid.first(lambda t: _is_title(t) is not None, r1, min(r2, r1 + 2))
    if title is not None:
        facts.append(grid.text[title])

    _read_header(grid, r1, r2, put, _HEADER_LABELS[kind])
    bands = _indicator_headers(grid, r1, r2)
    funds = _funds_header(grid, r1, r2)
    goals_row = grid.first(lambda t: t.startswith(_GOALS_LABEL) or t in _GOAL_EXPECTED, r1, r2)
    texts = _text_rows(grid, r1, r2)
    starts = sorted({r for r in ([funds[0]] if funds else []) + ([goals_row[0]] if goals_row else [])
                     + [top for _hr, top, _cols in bands] + [r for r, _c, _k, _w in texts]})

    def end_of(r: int) -> int:
        later = [s for s in starts if s > r]
        return later[0] - 1 if later else r2

    td.columns = frozenset()
    first_block = starts[0] if starts else r2
    _header_total(grid, td, r1, first_block)
    if funds is not None:
        _read_funds(grid, td, funds, end_of(funds[0]), kind, facts)
    if goals_row is not None:
        _read_goals(grid, td, goals_row[0], end_of(goals_row[0]))
    extra: dict[str, str] = {}
    for hr, top, cols in bands:
        _read_indicators(grid, td, hr, top, cols, end_of(hr), facts, extra)
    for r, c, key, word in texts:      # the text after the label in its cell, else the cell beside it
        got = _after_label(grid, r, c, word, None)
        td.fields[f"text.{key}"] = (_val(sheet, r, _right_of(sheet, r, c), unit) if got is None
                                    else _val(sheet, got[0], got[1], unit, got[2]))
    _place_family(td, facts)
    return td


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


def _funds_header(grid: _Grid, r1: int, r2: int) -> tuple[int, dict[str, int]] | None:
    return grid.memo("funds", r1, r2, _find_funds_header)


def _find_funds_header(grid: _Grid, r1: int, r2: int) -> tuple[int, dict[str, int]] | None:
    """The funds header: the first row with three of 年初预算数 / 全年预算数 / 全年执行数 / 分值 / 执行率 /
    得分 (or their synonyms), one of them a budget or an outturn."""
    for r in range(r1, r2 + 1):
        cols: dict[str, int] = {}
        for c in grid.cols(r):
            key = _match_column(grid.text.get((r, c), ""), forms.FUNDS_COLUMNS)
            if key and key not in cols:
                cols[key] = c
        if len(cols) >= 3 and ("budget" in cols or "executed" in cols):
            return r, cols
    return None


def _read_funds(grid: _Grid, td: TableData, header: tuple[int, dict[str, int]], end: int, kind: str,
                facts: list[str]) -> None:
    sheet, unit = grid.sheet, td.unit
    hr, cols = header
    put = lambda key, r, c, raw=None: td.fields.__setitem__(key, _val(sheet, r, c, unit, raw))  # noqa: E731
    header_texts = [grid.text.get((hr, c), "") for c in grid.cols(hr)]
    facts.extend(header_texts)
    if "score" not in cols and "weight" not in cols:
        facts.append(families.FACT_FUNDS_UNSCORED)
    first_col = min(cols.values())
    total = grid.first(_is_funds_total, hr + 1, end)
    if total is None:   # a funds block with no total label: its first row with an amount
        total = next(((r, first_col) for r in range(hr + 1, end + 1)
                      if any(_is_number_cell(sheet, r, c) for k, c in cols.items() if k in ("budget", "executed"))),
                     None)
    if total is None:
        return
    tr = total[0]
    for ck, c in cols.items():
        put(f"funds.total.{ck}", tr, c)
    if "weight" not in cols:
        # the points of the execution rate written in a header: "预算执行情况（20分）", "得分（20分*执行率）"
        for c in ([cols["score"]] if "score" in cols else []) + grid.cols(hr):
            m = _POINTS_IN_HEADER.search(grid.text.get((hr, c), ""))
            if m:
                td.fields["funds.total.weight"] = Val(Decimal(m.group(1)), sheet.name, forms.a1(hr, c), unit=unit,
                                                      implied=True)
                break
    # fund sources laid out as columns (中央 / 省、地 / 本级 / 其他 … 合计)
    sources = [c for c in grid.cols(hr) if c not in cols.values() and c < cols.get("budget", 0)
               and norm(grid.text.get((hr, c), "")).replace("(万元)", "") in _SOURCE_COLUMNS]
    if len(sources) < 2:
        sources = []
    if sources:
        td.blocks["funds.sources"] = [{"label": _val(sheet, hr, c), "budget": _val(sheet, tr, c, unit)}
                                      for c in sources]
    if kind == "project":
        _read_fund_rows(grid, td, cols, tr, end)
    elif grid.first(lambda t: any(w in t for w in _PROJECT_FUND_WORDS), tr + 1, end) is None:
        # (an overall table laid out with a project's funding rows has no breakdowns to read)
        _read_breakdowns(grid, td, tr + 1, end, unit)


def _read_fund_rows(grid: _Grid, td: TableData, cols: dict[str, int], tr: int, end: int) -> None:
    """A project's rows under the funds total: the national 当年财政拨款 / 上年结转资金 / 其他资金 by
    key, and every other named source row (财政专户管理资金, 自治区补助 …) in the block ``funds.rows``."""
    sheet, unit = grid.sheet, td.unit
    keyed = set()
    for rkey, label, syn in forms.PROJECT_FUND_ROWS:
        words = [norm(w) for w in (label, *syn)]
        hit = grid.first(lambda t, ws=words: any(w in t for w in ws), tr + 1, end)
        if hit:
            keyed.add(hit[0])
            for ck in ("initial", "budget", "executed"):
                if ck in cols:
                    td.fields[f"funds.{rkey}.{ck}"] = _val(sheet, hit[0], cols[ck], unit)
    first_col = min(cols.values())
    rows = []
    for r in range(tr + 1, end + 1):
        if r in keyed:
            continue            # read above by its key: each cell is read once
        labels = [grid.text.get((r, c)) for c in grid.cols(r) if c < first_col and grid.text.get((r, c))]
        label = next((t for t in reversed(labels) if t.rstrip(":：") != "其中"), None)
        if label is None:
            continue
        row = {"label": Val(label, sheet.name, None)}
        row.update({ck: _val(sheet, r, c, unit) for ck, c in cols.items() if ck in ("initial", "budget", "executed", "rate")})
        if any(not v.empty for k, v in row.items() if k != "label"):
            rows.append(row)
    if rows:
        td.blocks["funds.rows"] = rows


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


def _read_breakdowns(grid: _Grid, td: TableData, ra: int, rb: int, unit: str) -> None:
    sheet = grid.sheet
    labels = [(f"income.{k}", norm(l), tuple(norm(s) for s in syn)) for k, l, syn in forms.INCOME_ROWS] + \
             [(f"expense.{k}", norm(l), tuple(norm(s) for s in syn)) for k, l, syn in forms.EXPENSE_ROWS]
    all_words = [w for _k, l, syn in labels for w in (l, *syn)]
    stop = lambda t: any(w in t for w in all_words) or t.startswith("按")  # noqa: E731
    for r in range(ra, rb + 1):
        for c in grid.cols(r):
            t = grid.text.get((r, c))
            if not t:
                continue
            for key, label, syn in labels:
                if key in td.fields:
                    continue
                word = next((w for w in (label, *syn) if w in t), None)
                if word is None:
                    continue
                got = _after_label(grid, r, c, word, stop)
                if got is None:
                    td.fields[key] = Val(None, sheet.name, forms.a1(r, c), unit=unit)
                else:
                    td.fields[key] = _val(sheet, got[0], got[1], unit, got[2])
                break


def _goal_words(key: str) -> tuple[str, ...]:
    f = forms.fields_of("project")[f"goals.{key}"]
    return tuple(norm(w) for w in (f.label, *f.synonyms))


_GOAL_EXPECTED, _GOAL_ACHIEVED = _goal_words("expected"), _goal_words("achieved")
_GOALS_LABEL = (norm(forms.GOALS_LABEL), *_GOAL_EXPECTED[1:])


def _read_goals(grid: _Grid, td: TableData, gr: int, end: int) -> None:
    """A 预期目标 / 实际完成情况 header with one goal a row; or a goals label with its text beside it."""
    sheet = grid.sheet
    exp = grid.first(lambda t: t in _GOAL_EXPECTED, gr, min(end, gr + 2))
    if exp is not None:
        beside = grid.right(*exp)
        if beside is not None and grid.text.get(beside, "") not in _GOAL_ACHIEVED:
            exp = None                   # "项目年度目标 | the goal": a label with its value
    if exp is None:
        label = grid.first(lambda t: t.startswith(_GOALS_LABEL), gr, gr)
        pos = grid.right(*label) if label else None
        if pos is not None:
            td.blocks["goals"] = [{"expected": _val(sheet, *pos), "achieved": Val(None, sheet.name)}]
        return
    ach = grid.first(lambda t: t in _GOAL_ACHIEVED, exp[0], exp[0])
    hr = exp[0]
    rows = []
    for r in range(hr + 1, end + 1):
        if grid.first(lambda t: t.startswith("一级指标") or t.startswith("三级指标"), r, r):
            break
        if sheet.merged and sheet.merged_anchor(r, exp[1]) != (r, exp[1]):
            continue   # a continuation row of a merged goal cell
        e = _val(sheet, r, exp[1])
        a = _val(sheet, r, ach[1]) if ach else Val(None, sheet.name)
        if not e.empty or not a.empty:
            rows.append({"expected": e, "achieved": a})
    if rows:
        td.blocks["goals"] = rows


def _level1_key(t: str) -> str | None:
    """产出 / 效益 / 满意度; a 一级 成本指标 (2021+ national templates: 经济成本指标 …) counts as 产出-成本."""
    if "产出" in t:
        return "output"
    if "满意" in t:
        return "satisfaction"
    if "效益" in t or "效果" in t:
        return "benefit"
    if "成本" in t:
        return "output"
    return None


def level2_key(l1: str | None, t: str) -> str | None:
    """The 二级 block key for a 二级指标 text (under 一级 ``l1`` when known)."""
    for l1key, _name, _w, level2 in forms.LEVEL1:
        if l1 is not None and l1key != l1:
            continue
        for l2key, l2name, syn in level2:
            if any(norm(w) in t for w in (l2name, *syn)):
                return l2key
    return None


def _level1_of(l2key: str) -> str:
    return next(k for k, _n, _w, lv in forms.LEVEL1 if any(x[0] == l2key for x in lv))


_OPERATORS = {"≥": "≥", ">=": "≥", "≧": "≥", "大于等于": "≥", "不低于": "≥", "≤": "≤", "<=": "≤", "≦": "≤",
              "小于等于": "≤", "不高于": "≤", "不超过": "≤", "=": "=", "＝": "=", "等于": "=", ">": ">",
              "＞": ">", "大于": ">", "<": "<", "＜": "<", "小于": "<"}


def _compose_quantities(row: dict[str, Val], op: Val | None, munit: Val | None) -> None:
    """Layouts with separate 指标性质 (≥, ≤, =) and 度量单位 columns: join them into the
    target and actual as people write them in one cell ("≥" "100" "次" -> "≥100次")."""
    o = _OPERATORS.get(norm(op.raw)) if op is not None and not op.empty else None
    u = munit.text() if munit is not None and not munit.empty else ""
    for col, with_op in (("target", True), ("actual", False)):
        v = row.get(col)
        if v is None or v.empty or v.error:
            continue
        q = v.quantity()
        text = v.text() if isinstance(v.raw, str) else (
            format(q.value.normalize(), "f") if q.value is not None and q.unit is None else v.text())
        if q.value is not None and q.unit is None and u and not q.qualitative:
            text += u
        if with_op and o and q.op is None and not q.qualitative:
            text = o + text
        if text != v.text():
            row[col] = Val(text, v.sheet, v.cell, v.formula, v.error, False, v.decimals, v.unit)


def _band_columns(grid: _Grid, rows: list[int]) -> dict[str, int]:
    """Column keys of an indicator header of one or more rows: a lower row's label wins over
    the merged label above it (指标值 under 年度指标值)."""
    sheet = grid.sheet
    cols: dict[str, int] = {}
    seen: set[int] = set()
    every = sorted({c for rr in rows for c in grid.cols(rr)})
    for r in reversed(rows):
        for c in every:
            if c in seen:
                continue
            ar, ac = sheet.merged_anchor(r, c) if sheet.merged else (r, c)
            t = grid.text.get((ar, ac))
            if not t:
                continue
            key = _match_column(t, _ALL_INDICATOR_COLUMNS)
            if key and key not in cols:
                cols[key] = c
                seen.add(c)
    return cols


def _is_indicator_header(cols: dict[str, int]) -> bool:
    return bool(("name" in cols or "l1" in cols or "l2" in cols)
                and len({"target", "actual", "weight", "score"} & cols.keys()) >= (1 if "name" in cols else 2))


def _indicator_headers(grid: _Grid, r1: int, r2: int) -> list[tuple[int, int, dict[str, int]]]:
    return grid.memo("indicators", r1, r2, _find_indicator_headers)


def _find_indicator_headers(grid: _Grid, r1: int, r2: int) -> list[tuple[int, int, dict[str, int]]]:
    """Every indicator grid header in rows r1..r2: (last header row, first header row, columns)."""
    out: list[tuple[int, int, dict[str, int]]] = []
    for r in range(r1, r2 + 1):
        if out and r <= out[-1][0]:
            continue
        cols = _band_columns(grid, [r])
        if not _is_indicator_header(cols):
            continue
        top, band = r, [r]
        prev = r - 1
        if prev >= r1 and not any(_is_number_cell(grid.sheet, prev, c) for c in grid.cols(prev)):
            above = _band_columns(grid, [prev])
            if len(above) >= 2 and not _is_indicator_header(above) or any(
                    grid.sheet.merged_anchor(r, c) == (prev, c) for c in grid.cols(prev) if grid.sheet.merged):
                top, band = prev, [prev, r]
        out.append((r, top, _band_columns(grid, band)))
    return out


class _Level:
    """The level labels met so far in an indicator grid, and their stated points."""

    def __init__(self) -> None:
        self.key: str | None = None
        self.label: str = ""
        self.stated: StatedWeight | None = None


def _read_indicators(grid: _Grid, td: TableData, hr: int, top: int, cols: dict[str, int], end: int,
                     facts: list[str], extra: dict[str, str]) -> None:
    """The rows of one indicator grid. ``extra`` maps level labels outside 产出/效益/满意度 to their
    block keys (x1, y1 …); it is shared by the grids of one table, so their keys never collide."""
    sheet, unit = grid.sheet, td.unit
    facts.extend(grid.text.get((r, c), "") for r in range(top, hr + 1) for c in grid.cols(r))
    if "weight" in cols and "target" in cols and cols["weight"] < cols["target"]:
        facts.append(families.FACT_WEIGHT_BEFORE_TARGET)
    if "target" not in cols and "actual" not in cols:
        facts.append(families.FACT_NO_TARGET)
    if not {"l0", "l1", "l2"} & cols.keys():
        facts.append(families.FACT_NO_LEVELS)
    td.columns = td.columns | {k for k in cols if k not in _EXTRA_KEYS}
    first_col = min(cols.values())
    # points of the whole indicator block, in a label left of the grid ("年度绩效目标（80分）")
    block_sw = None
    for r in range(max(top - 1, 0), hr + 1):
        for c in grid.cols(r):
            t = grid.text.get((r, c), "")
            if c < first_col or (c not in cols.values() and _match_column(t, _ALL_INDICATOR_COLUMNS) is None):
                name, w = split_weight(t)
                if w is not None and ("目标" in name or "指标" in name):
                    block_sw = StatedWeight(-1, name, _val(sheet, r, c, unit, w), w)
                    td.stated.append(block_sw)
    levels = {k: _Level() for k in ("l0", "l1", "l2")}

    def extra_key(prefix: str, label: str) -> str:
        k = extra.get(prefix + label)
        if k is None:
            k = extra[prefix + label] = f"{prefix}{sum(1 for x in extra if x.startswith(prefix)) + 1}"
        return k

    def stated(level: int, name: str, w, r: int, c: int) -> StatedWeight | None:
        if w is None:
            return None
        sw = StatedWeight(level, name, _val(sheet, r, c, unit, w), w)
        td.stated.append(sw)
        above = {0: (), 1: ("l0",), 2: ("l1", "l0")}[level]
        parent = next((levels[k].stated for k in above if levels[k].stated is not None), block_sw)
        if parent is not None:
            parent.children.append(sw)
        return sw

    for r in range(hr + 1, end + 1):
        cells = grid.cols(r)
        if not cells:
            continue
        row_texts = [grid.text.get((r, c), "") for c in cells]
        if any(t.startswith(_TOTAL_WORDS) and len(t) <= 8 for t in row_texts):
            _total_row(grid, td, r, cols)
            break
        if any(t.startswith(_STOP_WORDS) for t in row_texts):
            break
        if sheet.merged and len({sheet.merged_anchor(r, c) for c in cols.values()}) == 1:
            continue              # one cell across the grid: a section title ("项目年度目标1：…"), not a row
        subtotal = False
        for lv in ("l0", "l1", "l2"):
            if lv not in cols:
                continue
            t = grid.text.get((r, cols[lv]))
            if not t:
                continue
            name, w = split_weight(t)
            if lv == "l1" and ("小计" in name or "合计" in name):
                k = _level1_key(name)
                if k:
                    for ck, fk in (("weight", "weight_total"), ("score", "score_total")):
                        if ck in cols:
                            td.fields[f"ind.{k}.{fk}"] = _val(sheet, r, cols[ck], unit)
                levels["l1"].key = "subtotal"
                subtotal = True
                break
            cur = levels[lv]
            cur.label = name
            if lv == "l0":
                cur.key = extra_key("x", name)
                levels["l1"].__init__()
                levels["l2"].__init__()
                td.fields.setdefault(f"ind.{cur.key}.label", _val(sheet, r, cols[lv], unit, name))
                cur.stated = stated(0, name, w, r, cols[lv])
            elif lv == "l1":
                k = _level1_key(name)
                cur.key = k if k is not None else extra_key("x", name)
                levels["l2"].__init__()
                if f"ind.{cur.key}.label" not in td.fields:
                    td.fields[f"ind.{cur.key}.label"] = _val(sheet, r, cols[lv], unit, name if w is not None else None)
                cur.stated = stated(1, name, w, r, cols[lv])
            else:
                l1 = levels["l1"].key if levels["l1"].key not in (None, "subtotal") else None
                k2 = level2_key(l1, name) if l1 is None or l1 in forms.LEVEL1_KEYS else None
                if k2 is None and l1 in forms.LEVEL1_KEYS:
                    other = level2_key(None, name)
                    if other is not None:
                        l1_cell = (r, cols["l1"]) if "l1" in cols else None
                        if l1_cell and not grid.text.get(l1_cell) and (
                                not sheet.merged or sheet.merged_anchor(*l1_cell) == l1_cell):
                            td.notes.append(("level1_inferred", r, cols["l1"], name))   # an empty 一级 cell
                        else:                   # a standard 二级 under the wrong 一级 (满意度 under 效益)
                            td.misplaced.append((_val(sheet, r, cols[lv]), _level1_of(other), l1))
                        k2 = other
                        levels["l1"].key = _level1_of(other)
                if k2 is not None and l1 is None:
                    levels["l1"].key = _level1_of(k2)
                    if "l1" in cols and levels["l0"].key is None:
                        td.notes.append(("level1_inferred", r, cols["l1"], name))
                cur.key = k2 if k2 is not None else extra_key("y", name)
                block = f"ind.{levels['l1'].key or levels['l0'].key or 'x0'}.{cur.key}"
                if f"{block}.label" not in td.fields:
                    td.fields[f"{block}.label"] = _val(sheet, r, cols[lv], unit, name if w is not None else None)
                cur.stated = stated(2, name, w, r, cols[lv])
        if subtotal:
            continue
        row = {ck: _val(sheet, r, c, unit) for ck, c in cols.items() if ck not in ("l0", "l1", "l2", "op", "munit", "seq")}
        if "op" in cols or "munit" in cols:
            _compose_quantities(row, _val(sheet, r, cols["op"]) if "op" in cols else None,
                                _val(sheet, r, cols["munit"]) if "munit" in cols else None)
        if all(v.empty and not v.error for k, v in row.items() if k not in ("review", "method", "core")):
            continue
        l1key = levels["l1"].key if levels["l1"].key not in (None, "subtotal") else levels["l0"].key
        l2key = levels["l2"].key
        if l1key is None and "l1" not in cols and "l2" not in cols:
            l1key = "x0"                  # a flat list: no levels at all
        if l1key is None:
            td.blocks.setdefault("__unplaced__", []).append(row)
            continue
        if l2key is None:
            l2key = "y0"
        td.blocks.setdefault(f"ind.{l1key}.{l2key}", []).append(row)
        for lv in ("l0", "l1", "l2"):
            if levels[lv].stated is not None:
                levels[lv].stated.rows.append(row)
        if block_sw is not None:
            block_sw.rows.append(row)


def _total_row(grid: _Grid, td: TableData, r: int, cols: dict[str, int]) -> None:
    """The 总分 / 合计 row: its points and score, in the grid's own columns only."""
    sheet = grid.sheet
    for ck, key in (("weight", "total.weight"), ("score", "total.score")):
        c = cols.get(ck)
        if c is not None and sheet.value(*(sheet.merged_anchor(r, c) if sheet.merged else (r, c))) is not None:
            td.fields[key] = _val(sheet, r, c, td.unit)


def _place_family(td: TableData, facts: list[str]) -> None:
    """Name the table's family; weights implied by the scores where the family has no 分值 column."""
    fam = families.detect(td.kind, [norm(t) for t in facts if t], norm)
    td.family = fam.key
    dev = td.fields.get("text.deviation")
    if "note" not in td.columns and dev is not None:
        # one 偏差大或目标未完成原因分析 text for the whole table (20/80 tables): every row's note
        for rows in (v for k, v in td.blocks.items() if k.startswith("ind.")):
            for row in rows:
                row.setdefault("note", dev)
    _imply_weights(td)


def _near_whole(x: Decimal, tol: Decimal) -> Decimal | None:
    n = x.quantize(Decimal(1))
    return n if abs(x - n) <= tol and n > 0 else None


def _imply_weights(td: TableData) -> None:
    """Rows of a grid with no 分值 column: each indicator's points from its label ("数量指标 15分" over
    a single row), else from its score: full marks for a met target, 得分 ÷ (B/A) where that gives
    whole points (得分 = 分值 × B/A, the rule these tables print)."""
    single = {id(sw.rows[0]): sw for sw in td.stated if sw.level == 2 and len(sw.rows) == 1}
    for ind in td.indicators():
        row = ind.row
        if "weight" in row or "score" not in row:
            continue
        sv = row.get("score")
        s = sv.number_value() if sv is not None else None
        w = None
        if id(row) in single:
            w = single[id(row)].weight
        elif s is not None:
            w = s
            t, a = ind.get("target").quantity(), ind.get("actual").quantity()
            if t.value and a.value and t.value > 0 and a.value > 0 and not t.qualitative and t.op in (None, ">=", ">"):
                ratio = a.value / t.value
                places = -sv.number_value().as_tuple().exponent if sv.number_value() is not None else 0
                tol = Decimal("0.5").scaleb(-max(places, 0)) / ratio + Decimal("0.01")
                prop = _near_whole(s / ratio, tol)
                if ratio < 1:
                    w = prop
                elif prop is not None and _near_whole(s, Decimal("0.001")) is None:
                    w = prop
        if w is not None and sv is not None:
            row["weight"] = Val(w, sv.sheet, sv.cell, unit=td.unit, implied=True)


# ---------------------------------------------------------------------------
# The whole workbook
# ---------------------------------------------------------------------------
def read_book(book: Book) -> Submission:
    sub = Submission(book.path, book.kind, book.sha256)
    sub.hidden_sheets = {s.name: s.state for s in book.sheets if s.state != "visible"}
    for s in book.sheets:
        if s.skipped:
            sub.problems.append(ReadProblem("sheet_skipped", f"工作表“{s.name}”{s.skipped}：如果自评表在这张工作表上，"
                                            "请删除多余的行列后另存再提交。", s.name))
    found: list[TableData] = sub.found
    for sheet in book.sheets:
        if sheet.name == forms.GUIDE_SHEET:
            continue
        kind = template_kind(book, sheet)
        if kind is not None:
            found.append(read_template_sheet(book, sheet, kind))
            continue
        grid = _Grid(sheet)
        for kind, r1, r2 in segments(grid):
            if kind == "basic":
                found.append(_read_basic(grid, r1, r2))
            elif kind == "unknown":
                sub.problems.append(_form_unknown(grid, r1, r2))
            else:
                found.append(_read_eval_table(grid, r1, r2, kind))
    for td in found:
        _unplaced(sub, td)
        for code, r, c, text in td.notes:
            sub.problems.append(ReadProblem(code, f"一级指标单元格为空，已按二级指标“{text}”推定其一级指标。",
                                            td.sheet, forms.a1(r, c)))
        if td.kind == "basic":
            if sub.basic is None:
                sub.basic = td
            else:
                sub.problems.append(ReadProblem(
                    "read_note", f"工作表“{td.sheet}”中又有一张基础数据表，只读取了第一张（“{sub.basic.sheet}”）。", td.sheet))
        elif td.kind == "overall":
            if sub.overall is None:
                sub.overall = td
            else:
                sub.problems.append(ReadProblem(
                    "read_note", f"工作表“{td.sheet}”中又有一张整体支出自评表，只读取了第一张（“{sub.overall.sheet}”）。",
                    td.sheet))
        elif _blank_project(td):
            sub.problems.append(ReadProblem("read_note", f"工作表“{td.sheet}”是没有填写的项目支出自评表，已忽略。", td.sheet,
                                            key="spare_project"))
        else:
            sub.projects.append(td)
    return sub


def _unplaced(sub: Submission, td: TableData) -> None:
    """Rows the family's indicator system cannot place: under an unknown 一级 in a family with
    standard levels (产出 / 效益 / 满意度). They are reported once and left out of the checks."""
    unplaced = td.blocks.pop("__unplaced__", [])
    if td.fam.level_weights:
        for block in [b for b in td.blocks if b.startswith("ind.") and b.count(".") == 2
                      and b.split(".")[1] not in forms.LEVEL1_KEYS]:
            unplaced.extend(td.blocks.pop(block))
    td.unplaced = len(unplaced)
    if unplaced:
        anchor = next((v for v in unplaced[0].values() if v.cell), None)
        names = "、".join(f"“{r['name'].text()}”" for r in unplaced[:3] if r.get("name") and r["name"].text())
        sub.problems.append(ReadProblem(
            "indicator_level_unknown",
            f"{td.label}中有 {len(unplaced)} 个三级指标（如{names or '首行'}）无法归入一级/二级指标"
            "（产出、效益、满意度及其二级指标），这些行未纳入审核，权重与指标完整性也不再判断。",
            anchor.sheet if anchor else td.sheet, anchor.cell if anchor else None))


def _form_unknown(grid: _Grid, r1: int, r2: int) -> ReadProblem:
    """A titled table whose blocks match no family: what was recognised, what was not."""
    title = grid.first(lambda t: _is_title(t) is not None, r1, r2)
    seen = [w for w, found in (("资金表头", _funds_header(grid, r1, r2) is not None),
                               ("指标表头", bool(_indicator_headers(grid, r1, r2))),
                               ("年度总体目标", grid.first(lambda t: "目标" in t, r1 + 1, r2) is not None)) if found]
    missing = [w for w in ("资金表头（预算数、执行数、执行率）", "指标表头（三级指标、指标值、完成值、分值、得分）")
               if w[:4] not in seen]
    text = grid.text.get(title, "") if title else ""
    return ReadProblem("form_unknown",
                       f"表式未识别：识别到标题“{text}”" + (f"和{'、'.join(seen)}" if seen else "")
                       + f"，未识别到{'、'.join(missing)}；这张表没有读取。", grid.sheet.name,
                       forms.a1(*title) if title else None, found=text)


def _blank_project(td: TableData) -> bool:
    """A project sheet nobody filled in (a spare sheet of the template): no name, no money, no indicators."""
    if not td.get("name").empty:
        return False
    if any(not td.get(f"funds.total.{k}").empty for k in ("initial", "budget", "executed", "score")):
        return False
    return not any(rows for b, rows in td.blocks.items() if b.startswith("ind."))


LOOKED_FOR = "基础数据表（经费控制情况、财政供养人员情况）、整体支出自评表（年度资金总额、按收入性质分）、项目支出自评表（项目支出名称、当年财政拨款）"


def _cell_problems(sub: Submission) -> None:
    """Formula errors and formulas never computed, in the cells a table reads."""
    for td in sub.tables:
        computed = forms.computed_keys(td.kind)
        values = list(td.fields.items())
        values += [(f"{b}.{c}", v) for b, rows in td.blocks.items() for row in rows for c, v in row.items()]
        for key, v in values:
            if v.error:
                sub.problems.append(ReadProblem(
                    "formula_error", f"单元格是公式错误 {v.error}，无法读取其数值；请检查公式引用和除数。",
                    v.sheet, v.cell, key, v.error))
            elif v.uncomputed and key not in computed:
                sub.problems.append(ReadProblem(
                    "uncomputed_formula", "单元格是没有计算结果的公式（文件未经 Excel/WPS 打开保存），未按 0 处理，"
                    "视为未填写；请用 Excel 或 WPS 打开并保存后再提交。", v.sheet, v.cell, key, "=" + (v.formula or "")))


def read_submission(path: str | Path, *, data: bytes | None = None) -> Submission:
    """Open and read a workbook.

    Raises :class:`gridbudget.read.book.ReadError` when the file cannot be read or holds
    none of the three tables (code ``no_tables``).
    """
    book = open_book(path, data=data)
    sub = read_book(book)
    if not sub.tables and not any(p.code == "form_unknown" for p in sub.problems):
        name = Path(path).name
        raise ReadError("no_tables", str(path),
                        f"文件 {name} 中没有找到三张附表中的任何一张。查找了：{LOOKED_FOR}。"
                        "请确认提交的是绩效自评附表，或改用 gridbudget template 生成的标准模板填写。")
    _cell_problems(sub)
    return sub


def read_many(paths: Iterable[str | Path]):
    for p in paths:
        yield read_submission(p)
