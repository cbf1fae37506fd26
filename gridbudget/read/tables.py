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

from .. import forms
from .book import Book, ReadError, Sheet, open_book
from ..model import ReadProblem, Submission, TableData, Val
from .values import normalize_text

_WS = re.compile(r"\s+")
_NUMBERING = re.compile(r"^(?:其中[:：]?)?\s*(?:[(（]?[0-9一二三四五六七八九十]+[)）、.．]|[0-9]+\s)?\s*(?:其中[:：]?)?")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")


def norm(s: object) -> str:
    """Label text for matching: half-width, no whitespace, no trailing colon."""
    if s is None:
        return ""
    t = _WS.sub("", normalize_text(str(s)))
    return t.rstrip(":：")


def strip_numbering(s: str) -> str:
    """'1、业务工作经费' -> '业务工作经费'; '其中：公车购置' -> '公车购置'."""
    t = _NUMBERING.sub("", s, count=1)
    return t.strip(":：")


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
    return Val(cell.value, sheet.name, addr, cell.formula, cell.error, cell.percent, cell.decimals, unit)


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
TITLE_WORDS = (("basic", ("基础数据表",)),
               ("overall", ("整体支出绩效自评表", "整体支出绩效评价自评表", "整体支出自评表")),
               ("project", ("项目支出绩效自评表", "项目绩效自评表", "项目支出自评表")))


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
    return None


def segments(grid: _Grid) -> list[tuple[str, int, int]]:
    """(kind, first row, last row) of each table on the sheet."""
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


def _known_label(t: str) -> bool:
    return any(t.startswith(w) for w in (
        "主管部门", "实施单位", "项目支出名称", "项目名称", "年度", "部门名称", "预算部门名称", "市级预算部门名称",
        "单位名称", "填报单位", "编制数", "一级指标", "年初预算数", "填表人"))


def _match_column(t: str, columns) -> str | None:
    """The column key whose label or synonym is the longest part of header text ``t``."""
    best, best_len = None, 0
    for key, label, _kind, syn in columns:
        for w in (label, *syn):
            w = norm(w)
            if w and w in t and len(w) > best_len:
                best, best_len = key, len(w)
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


def _read_header(grid: _Grid, r1: int, r2: int, put, header_labels) -> None:
    """Header fields (unit, project name, …) by their labels, and the 年度 cell when there is one."""
    for key, labels in (*header_labels, ("year", ("年度",))):
        for label in labels:
            w = norm(label)
            if key == "year":
                hit = grid.first(lambda t: t == "年度" or t.startswith("年度:") or t.startswith("年度："), r1, r2)
            else:
                hit = grid.first(lambda t, w=w: t.startswith(w), r1, r2)
            if hit:
                got = _after_label(grid, hit[0], hit[1], w, _known_label)
                if got:
                    put(key, got[0], got[1], got[2])
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


def _read_funds_table(grid: _Grid, r1: int, r2: int, kind: str) -> TableData:
    sheet = grid.sheet
    unit = _declared_unit(grid, r1, r2)
    td = TableData(kind, sheet.name, "layout", unit=unit, title_year=_title_year(grid, r1, r2))
    put = lambda key, r, c, raw=None: td.fields.__setitem__(key, _val(sheet, r, c, unit, raw))  # noqa: E731

    if kind == "overall":
        header_labels = (("unit", ("市级预算部门名称", "预算部门名称", "部门(单位)名称", "部门（单位）名称",
                                   "部门名称", "单位名称")),)
    else:
        header_labels = (("name", ("项目支出名称", "项目名称")), ("department", ("主管部门",)),
                         ("unit", ("实施单位",)))
    _read_header(grid, r1, r2, put, header_labels)

    # funds header: the row with most of 年初预算数 / 全年预算数 / 全年执行数 / 分值 / 执行率 / 得分
    header = None
    for r in range(r1, r2 + 1):
        cols = {}
        for c in grid.cols(r):
            key = _match_column(grid.text.get((r, c), ""), forms.FUNDS_COLUMNS)
            if key and key not in cols:
                cols[key] = c
        if len(cols) >= 3 and ("budget" in cols or "executed" in cols):
            header = (r, cols)
            break
    goals_row = grid.first(lambda t: "预期目标" in t or t.startswith("年度总体目标"), r1, r2)
    ind_row = grid.first(lambda t: t.startswith("三级指标"), r1, r2)
    funds_end = (goals_row[0] - 1) if goals_row else ((ind_row[0] - 1) if ind_row else r2)
    if header is not None:
        hr, cols = header
        total = grid.first(lambda t: any(w in t for w in ("年度资金总额", "资金总额")) or t == "总额",
                           hr + 1, funds_end)
        if total is not None:
            tr, lc = total
            for ck, c in cols.items():
                put(f"funds.total.{ck}", tr, c)
            if kind == "project":
                for rkey, label, syn in forms.PROJECT_FUND_ROWS:
                    words = [norm(w) for w in (label, *syn)]
                    hit = grid.first(lambda t, ws=words: any(w in t for w in ws), tr + 1, funds_end)
                    if hit:
                        for ck in ("initial", "budget", "executed"):
                            if ck in cols:
                                put(f"funds.{rkey}.{ck}", hit[0], cols[ck])
            elif grid.first(lambda t: any(w in t for w in ("当年财政拨款", "本年财政拨款", "上年结转")),
                            tr + 1, funds_end) is None:
                # (an overall table laid out with a project's funding rows has no breakdowns to read)
                _read_breakdowns(grid, td, tr + 1, funds_end, unit)
    if goals_row is not None:
        _read_goals(grid, td, goals_row[0], ind_row[0] - 1 if ind_row else r2)
    if ind_row is not None:
        _read_indicators(grid, td, ind_row[0], r2)
    return td


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


def _read_goals(grid: _Grid, td: TableData, gr: int, end: int) -> None:
    sheet = grid.sheet
    exp = grid.first(lambda t: "预期目标" in t, gr, min(end, gr + 2))
    ach = grid.first(lambda t: "实际完成情况" in t or t == "完成情况", gr, min(end, gr + 2))
    if exp is None:
        return
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


_OPERATORS = {"≥": "≥", ">=": "≥", "≧": "≥", "大于等于": "≥", "不低于": "≥", "≤": "≤", "<=": "≤", "≦": "≤",
              "小于等于": "≤", "不高于": "≤", "不超过": "≤", "=": "=", "＝": "=", "等于": "=", ">": ">", "＞": ">",
              "大于": ">", "<": "<", "＜": "<", "小于": "<"}


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


def _read_indicators(grid: _Grid, td: TableData, hr: int, end: int) -> None:
    sheet = grid.sheet
    cols: dict[str, int] = {}
    extra = (("l1", "一级指标", None, ()), ("l2", "二级指标", None, ()),
             ("op", "指标性质", None, ("指标方向", "运算符号", "比较符号")),
             ("munit", "度量单位", None, ("计量单位", "计量单位名称")))
    for c in grid.cols(hr):
        t = grid.text.get((hr, c), "")
        key = _match_column(t, extra + forms.INDICATOR_COLUMNS)
        if key and key not in cols:
            cols[key] = c
    if "name" not in cols:
        return
    l1 = l2 = None
    unit = td.unit
    for r in range(hr + 1, end + 1):
        row_texts = [grid.text.get((r, c), "") for c in grid.cols(r)]
        if any(t.startswith("总分") or t == "合计" for t in row_texts):
            tot = next(c for c in grid.cols(r) if grid.text.get((r, c), "").startswith("总分")
                       or grid.text.get((r, c), "") == "合计")
            nums = [c for c in grid.cols(r) if c > tot and grid.text.get((r, c)) is None
                    or (c > tot and grid.text.get((r, c), "").replace(".", "").isdigit())]
            wcol = cols.get("weight")
            scol = cols.get("score")
            if wcol is not None and sheet.value(r, wcol) is not None:
                td.fields["total.weight"] = _val(sheet, r, wcol, unit)
            elif nums:
                td.fields["total.weight"] = _val(sheet, r, nums[0], unit)
            if scol is not None and sheet.value(r, scol) is not None:
                td.fields["total.score"] = _val(sheet, r, scol, unit)
            elif len(nums) > 1:
                td.fields["total.score"] = _val(sheet, r, nums[1], unit)
            break
        if "l1" in cols:
            t = grid.text.get((r, cols["l1"]))
            if t:
                if "小计" in t or "合计" in t:
                    k = _level1_key(t)
                    if k:
                        if "weight" in cols:
                            td.fields[f"ind.{k}.weight_total"] = _val(sheet, r, cols["weight"], unit)
                        if "score" in cols:
                            td.fields[f"ind.{k}.score_total"] = _val(sheet, r, cols["score"], unit)
                    continue
                k = _level1_key(t)
                if k is not None:
                    l1 = k
                    l2 = None
                    if f"ind.{k}.label" not in td.fields:
                        td.fields[f"ind.{k}.label"] = _val(sheet, r, cols["l1"])
        if "l2" in cols:
            t = grid.text.get((r, cols["l2"]))
            if t:
                k2 = level2_key(l1, t)
                if k2 is None and l1 is None:
                    k2 = level2_key(None, t)
                if k2 is not None and l1 is None:
                    l1 = next(k for k, _n, _w, lv in forms.LEVEL1 if any(x[0] == k2 for x in lv))
                l2 = k2
                if k2 is not None and f"ind.{l1}.{k2}.label" not in td.fields:
                    td.fields[f"ind.{l1}.{k2}.label"] = _val(sheet, r, cols["l2"])
        row = {ck: _val(sheet, r, c, unit) for ck, c in cols.items() if ck not in ("l1", "l2", "op", "munit")}
        if "op" in cols or "munit" in cols:
            _compose_quantities(row, _val(sheet, r, cols["op"]) if "op" in cols else None,
                                _val(sheet, r, cols["munit"]) if "munit" in cols else None)
        if all(v.empty and not v.error for v in row.values()):
            continue
        if l1 is None or l2 is None:
            td.blocks.setdefault("__unplaced__", []).append(row)
            continue
        td.blocks.setdefault(f"ind.{l1}.{l2}", []).append(row)


# ---------------------------------------------------------------------------
# The whole workbook
# ---------------------------------------------------------------------------
def read_book(book: Book) -> Submission:
    sub = Submission(book.path, book.kind, book.sha256)
    found: list[TableData] = []
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
            else:
                found.append(_read_funds_table(grid, r1, r2, kind))
    for td in found:
        unplaced = td.blocks.pop("__unplaced__", [])
        td.unplaced = len(unplaced)
        if unplaced:
            anchor = next((v for v in unplaced[0].values() if v.cell), None)
            names = "、".join(f"“{r['name'].text()}”" for r in unplaced[:3] if r.get("name") and r["name"].text())
            sub.problems.append(ReadProblem(
                "indicator_level_unknown",
                f"{td.label}中有 {len(unplaced)} 个三级指标（如{names or '首行'}）无法归入一级/二级指标"
                "（产出、效益、满意度及其二级指标），这些行未纳入审核，权重与指标完整性也不再判断。",
                anchor.sheet if anchor else td.sheet, anchor.cell if anchor else None))
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
            sub.problems.append(ReadProblem("read_note", f"工作表“{td.sheet}”是没有填写的项目支出自评表，已忽略。", td.sheet))
        else:
            sub.projects.append(td)
    return sub


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
    if not sub.tables:
        name = Path(path).name
        raise ReadError("no_tables", str(path),
                        f"文件 {name} 中没有找到三张附表中的任何一张。查找了：{LOOKED_FOR}。"
                        "请确认提交的是绩效自评附表，或改用 gridbudget template 生成的标准模板填写。")
    _cell_problems(sub)
    return sub


def read_many(paths: Iterable[str | Path]):
    for p in paths:
        yield read_submission(p)
