"""The batch summary as a workbook (xlsxwriter), CSV, JSON or pandas DataFrames.

All views carry the same rows: one per unit (汇总), one per project sheet (项目), one per
finding (问题清单), one per unreadable file (未能读取). User text is always written as
text (never as a formula or a link); CSV cells that start with = + - @ are neutralised.

Figures a reviewer relies on: a unit read from several files is listed once per file and
flagged (重复提交), but only the first file by name is counted (计入合计 是) in the 主管部门
subtotals, the grand total, the number of units and the charts; a recomputed total whose
weights do not add up to its family's standard total (or that is over full marks) is shown,
marked, not graded (等级 不评) and left out of the averages. Subtotals and totals are SUMIFS /
AVERAGEIFS formulas on 计入合计 with their values cached (computed in Decimal).

Every sheet of the workbook has a title block (what, year, profile, time, files and units), a
colour legend where colour carries meaning, widths from content, row heights from wrapped text
(``gridbudget.write.style``), A4 landscape one page wide with the header row repeated.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Iterator

from .. import __version__
from ..batch import BatchResult
from ..check.findings import SEVERITY_LABELS
from . import style
from .fsutil import atomic_write_bytes
from ..read.tables import norm

UNIT_COLUMNS = (
    ("department", "主管部门", 14), ("unit", "单位", 20), ("year", "年度", 6), ("budget", "全年预算数（万元）", 14),
    ("executed", "全年执行数（万元）", 14), ("rate", "执行率", 9), ("total_self", "自评总分", 8),
    ("total_recomputed", "重算总分", 8), ("difference", "差额", 8), ("grade", "等级", 6), ("weight_total", "权重合计", 6),
    ("projects", "项目数", 6), ("errors", "错误", 6), ("warnings", "警告", 6), ("explained", "已说明", 6),
    ("status", "状态", 7), ("duplicate", "重复提交", 6),
    ("counted", "计入合计", 6), ("note", "备注", 20), ("file", "文件名", 22),
)
PROJECT_COLUMNS = (
    ("department", "主管部门", 14), ("unit", "单位", 16), ("name", "项目名称", 18), ("sheet", "工作表", 12),
    ("family", "表式", 19), ("budget", "全年预算数（万元）", 14), ("executed", "全年执行数（万元）", 14),
    ("rate", "执行率", 9), ("total_self", "自评总分", 8), ("total_recomputed", "重算总分", 8), ("difference", "差额", 8),
    ("grade", "等级", 6), ("weight_total", "权重合计", 6), ("errors", "错误", 6), ("warnings", "警告", 6),
    ("note", "备注", 18), ("file", "文件名", 18),
)
FINDING_COLUMNS = (
    ("unit", "单位", 18), ("department", "主管部门", 14), ("file", "文件", 20), ("sheet", "工作表", 14),
    ("cell", "单元格", 8), ("code", "规则代码", 16), ("severity", "级别", 6), ("kind", "类别", 6),
    ("title", "规则名称", 18), ("message", "说明", 40), ("expected", "应为", 14), ("found", "实为", 14),
    ("explanation", "出错说明", 30),
)
FAILURE_COLUMNS = (("file", "文件", 30), ("reason", "原因", 50), ("advice", "处理建议", 30), ("sha256", "SHA-256", 34))
GRADES = ("优", "良", "中", "差")
UNGRADED = "不评"             # the 等级 of a recomputed total whose weights are off the standard (or over full marks)
COUNTED, NOT_COUNTED = "是", "否"
TOLERANCE = Decimal("0.005")
RATE_BINS = ((None, 60, "60%以下"), (60, 70, "60%–70%"), (70, 80, "70%–80%"), (80, 90, "80%–90%"),
             (90, 95, "90%–95%"), (95, 100, "95%–100%"), (100, None, "100%及以上"))

# Colours of the summary workbook (fill, font; hex RGB). Each meaning is stated in the legend
# (颜色说明) under the title of every sheet that uses it.
GRADE_COLOURS = {"优": (style.GOOD_FILL, style.GOOD_FONT), "良": ("BDD7EE", "1F4E79"), "中": ("FCE4D6", "843C0C"),
                 "差": (style.BAD_FILL, style.BAD_FONT)}
UNGRADED_COLOURS = ("D9C3E9", "5B2C6F")                  # purple: weights off the standard, no grade
DUPLICATE_COLOURS = (style.MARK_FILL, style.MARK_FONT)   # yellow: the same unit in more than one file
ERROR_COLOURS = (style.SEVERITY_FILL["error"], style.SEVERITY_FONT["error"])
NOT_COUNTED_FONT = "7F7F7F"                              # grey text: a duplicate left out of the totals
# 状态 of a unit (gridbudget.check.findings.finding_status; 未提交 from the --units list)
STATUS_COLOURS = {"有错误": ERROR_COLOURS, "待说明": (style.SEVERITY_FILL["warning"], style.SEVERITY_FONT["warning"]),
                  "通过": (style.GOOD_FILL, style.GOOD_FONT), "未提交": (style.BLANK_FILL, "404040")}
STATUS_MEANING = {"有错误": "有须改正的错误（或不可说明的错误写了说明）", "待说明": "有警告尚未写出错说明",
                  "通过": "没有错误，警告都已说明", "未提交": "单位名单中有此单位，没有收到可读取的工作簿"}
STATUS_ORDER = ("通过", "待说明", "有错误", "未提交")
DIFF_LOW_FONT, DIFF_HIGH_FONT = "C00000", "0070C0"       # 差额 < 0 red, > 0 blue (text only)


# ---------------------------------------------------------------------------
# rows (shared by every view), streamed from the batch's store in their order
# ---------------------------------------------------------------------------
NO_DEPARTMENT, NO_UNIT = "（未注明主管部门）", "（未注明单位）"
_ORDER = (f"COALESCE(NULLIF(department, ''), '{NO_DEPARTMENT}'), COALESCE(NULLIF(unit, ''), '{NO_UNIT}'), name")


def _plain(x: Any) -> str:
    """A number as written by hand: 105, 104.74 (no exponent, no trailing zeros)."""
    if isinstance(x, Decimal):
        x = x.normalize()
        return format(x, "f") if x == x.to_integral() or x.as_tuple().exponent < 0 else str(x)
    return str(x)


def _short(name: str) -> str:
    """A file's own name without its folders (or the archive it is in)."""
    return name.replace("\\", "/").rsplit("/", 1)[-1].rsplit("!", 1)[-1]


def ungraded_reason(total: Decimal | None, weight_total: Decimal | None, standard: Decimal | None) -> str:
    """Why a recomputed total is not graded ('' when it is): its weights do not add up to the
    standard total of its table's family, or it is over full marks."""
    if standard is None:
        return ""
    if weight_total is not None and abs(weight_total - standard) > TOLERANCE:
        return f"权重合计 {_plain(weight_total)}，不是 {_plain(standard)}"
    if total is not None and total > standard + TOLERANCE:
        return f"重算总分超过满分 {_plain(standard)}"
    return ""


def duplicates(batch: BatchResult) -> dict[tuple[str, Any], tuple[str, int]]:
    """(unit key, year) of every unit read from more than one file -> (the file counted in the
    subtotals and totals: the first by name, path included; how many files)."""
    return {(k, y): (first, n) for k, y, first, n in batch.store.query(
        "SELECT unit_key, year, MIN(name), COUNT(*) FROM units WHERE read_error IS NULL AND unit_key IS NOT NULL "
        "AND unit_key != '' GROUP BY unit_key, year HAVING COUNT(*) > 1")}


def _standing(r, dups) -> tuple[str, str, str]:
    """(重复提交, 计入合计, note) of one file's unit."""
    dup = dups.get((norm(r.unit), r.year)) if r.unit else None
    if dup is None:
        return "", COUNTED, ""
    first, n = dup
    if first == r.name:
        return "是", COUNTED, f"同一单位提交 {n} 份，计入此份（按文件名排第一）"
    return "是", NOT_COUNTED, f"重复提交，不计入小计和合计（计入 {_short(first)}）"


def _grade(grade: str, total: Decimal | None, why: str) -> str:
    if why:
        return UNGRADED if total is not None else ""
    return grade


def _join(*notes: str) -> str:
    return "；".join(n for n in notes if n)


def unit_rows(batch: BatchResult) -> Iterator[dict[str, Any]]:
    """Every unit row, by 主管部门 and unit; units listed (--units) but not received come in as 未提交."""
    import heapq

    def key(row: dict[str, Any]) -> tuple[str, str]:
        return (row["department"], row["unit"])

    missing = [{k: None for k, _l, _w in UNIT_COLUMNS} | {
        "department": dept or NO_DEPARTMENT, "unit": unit, "status": "未提交", "counted": "", "duplicate": "",
        "grade": "", "note": "单位名单中有此单位，没有收到可读取的工作簿", "file": ""} for unit, dept in batch.not_submitted()]
    missing.sort(key=key)
    yield from heapq.merge(_received_rows(batch), missing, key=key)


def status_line(batch: BatchResult) -> str:
    """The units by 状态, as the terminal and the 合计 row say it: "通过 1，待说明 1，有错误 1，未提交 1"."""
    totals = _Totals()
    for row in unit_rows(batch):
        totals.add(row)
    return "，".join(f"{s} {totals.statuses[s]}" for s in STATUS_ORDER if totals.statuses[s])


def _received_rows(batch: BatchResult) -> Iterator[dict[str, Any]]:
    dups = duplicates(batch)
    for r in batch.store.results(order=f"read_error IS NOT NULL, {_ORDER}"):
        if r.read_error:
            break
        dup, counted, dnote = _standing(r, dups)
        why = ungraded_reason(r.total_recomputed, r.weight_total, r.weight_standard)
        yield {
            "department": r.department or NO_DEPARTMENT, "unit": r.unit or NO_UNIT, "year": r.year,
            "budget": r.budget, "executed": r.executed, "rate": r.rate, "total_self": r.total_self,
            "total_recomputed": r.total_recomputed, "difference": r.difference,
            "grade": _grade(r.grade, r.total_recomputed, why), "weight_total": r.weight_total,
            "weight_standard": r.weight_standard, "projects": len(r.projects), "errors": r.errors,
            "warnings": r.warnings, "explained": r.explained, "status": r.state, "duplicate": dup, "counted": counted,
            "note": _join(f"{why}：不评等级，不计入平均分" if why else "", dnote), "file": r.name,
        }


def project_rows(batch: BatchResult) -> Iterator[dict[str, Any]]:
    dups = duplicates(batch)
    for r in batch.store.results(order=f"read_error IS NOT NULL, {_ORDER}"):
        if r.read_error:
            break
        _dup, counted, _note = _standing(r, dups)
        for p in r.projects:
            why = ungraded_reason(p.get("total_recomputed"), p.get("weight_total"), p.get("weight_standard"))
            yield {"department": r.department or NO_DEPARTMENT, "unit": r.unit or NO_UNIT,
                   **{k: p.get(k) for k in ("name", "sheet", "family", "budget", "executed", "rate", "total_self",
                                            "total_recomputed", "difference", "errors", "warnings", "weight_total",
                                            "weight_standard")},
                   "grade": _grade(p.get("grade") or "", p.get("total_recomputed"), why), "counted": counted,
                   "note": _join(f"{why}：不评等级" if why else "",
                                 "所在文件为重复提交，未计入汇总表合计" if counted == NOT_COUNTED else ""),
                   "file": r.name}


def failure_rows(batch: BatchResult) -> list[dict[str, Any]]:
    rows = [{"file": n, "reason": e, "advice": a, "sha256": h} for n, e, a, h in batch.store.query(
        "SELECT name, read_error, advice, sha256 FROM units WHERE read_error IS NOT NULL ORDER BY idx")]
    from ..batch import why_missing

    rows += [{"file": m, "reason": why_missing(m), "advice": "检查路径、文件夹或通配符。", "sha256": ""}
             for m in batch.missing]
    return rows


def finding_rows(batch: BatchResult) -> Iterator[dict[str, Any]]:
    for f in batch.findings():
        row = {k: f.get(k) for k, _l, _w in FINDING_COLUMNS}
        if row["explanation"] and not f.get("explainable", True):
            row["explanation"] = "【说明不能代替改正】" + row["explanation"]
        yield row


# ---------------------------------------------------------------------------
# xlsx
# ---------------------------------------------------------------------------
def _num(x: Any) -> Any:
    return float(x) if isinstance(x, Decimal) else x


# how a column's values are written and shown (text when not named), and header line breaks
_KIND = {"year": "gen", "budget": "money", "executed": "money", "rate": "pct", "total_self": "score",
         "total_recomputed": "score", "difference": "score", "weight_total": "gen", "projects": "int",
         "errors": "int", "warnings": "int", "explained": "int"}
_HEAD = {"budget": "全年预算数\n（万元）", "executed": "全年执行数\n（万元）", "total_self": "自评\n总分",
         "total_recomputed": "重算\n总分", "weight_total": "权重\n合计", "projects": "项目\n数",
         "duplicate": "重复\n提交", "counted": "计入\n合计", "explained": "已\n说明"}
_CENTRE = {"year", "grade", "duplicate", "counted", "severity", "kind", "cell", "status"}
_NUM_FORMAT = {"money": "#,##0.00", "pct": "0.00%", "score": "0.00", "int": "0", "gen": "General"}


def write_xlsx(batch: BatchResult, path: str | Path) -> Path:
    import os
    import tempfile

    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    # constant_memory: rows go to temporary files as they are written, so memory stays flat
    wb = xlsxwriter.Workbook(tmp, {"constant_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False})
    wb.set_properties({"title": "绩效自评批量汇总", "author": "gridbudget"})
    F = _Formats(wb)
    ctx = _Context(batch)
    units = _sheet_units(wb, F, ctx, batch)
    _sheet_projects(wb, F, ctx, batch)
    stats = _sheet_findings(wb, F, ctx, batch)
    _sheet_rules(wb, F, ctx, stats)
    _sheet_matrix(wb, F, ctx, batch, stats)
    _sheet_failures(wb, F, ctx, failure_rows(batch))
    _sheet_about(wb, F, ctx, batch)
    _sheet_charts(wb, F, ctx, units)
    try:
        wb.close()
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


class _Context:
    """What every sheet's title block says about the batch."""

    def __init__(self, batch: BatchResult):
        self.batch = batch
        years = [y for (y,) in batch.store.query(
            "SELECT DISTINCT year FROM units WHERE read_error IS NULL AND year IS NOT NULL ORDER BY year")]
        self.years = "、".join(str(y) for y in years)
        self.dups = duplicates(batch)
        self.read = batch.files - batch.failed
        self.extra_copies = sum(n - 1 for _f, n in self.dups.values())
        self.units = self.read - self.extra_copies
        self.folder = _common_folder([n for (n,) in batch.store.query("SELECT name FROM units")])
        bands = batch.grade_bands or [["优", Decimal(90)], ["良", Decimal(80)], ["中", Decimal(60)], ["差", Decimal(0)]]
        self.bands: list[tuple[str, str]] = []
        for i, (g, lo) in enumerate(bands):
            hi = bands[i - 1][1] if i else None
            if hi is None:
                self.bands.append((g, f"重算总分 ≥ {_plain(lo)}"))
            elif lo <= 0 and i == len(bands) - 1:
                self.bands.append((g, f"重算总分 < {_plain(hi)}"))
            else:
                self.bands.append((g, f"{_plain(lo)} ≤ 重算总分 < {_plain(hi)}"))

    def rel(self, row: dict[str, Any]) -> dict[str, Any]:
        """The row with its file named relative to the folder every input is in (said in the title block)."""
        name = row.get("file")
        if self.folder and isinstance(name, str) and name.startswith(self.folder + "/"):
            return dict(row, file=name[len(self.folder) + 1:])
        return row

    def title(self, heading: str) -> str:
        year = f"{self.years} 年度" if self.years else ""
        return f"{year}预算绩效自评批量汇总——{heading}"

    def info(self) -> str:
        b = self.batch
        files = f"输入文件 {b.files} 个：已读取 {self.read} 个，未能读取 {b.failed} 个"
        if b.missing:
            files += f"，另有 {len(b.missing)} 个路径没有找到文件"
        units = f"单位 {self.units} 个" + (f"（另有 {self.extra_copies} 份重复提交未计入合计）" if self.extra_copies else "")
        where = f"文件夹：{self.folder}（表中文件名相对于此）" if self.folder else ""
        return "　".join(t for t in (f"年度：{self.years or '未注明'}", f"评分方案：{b.profile_title}（{b.profile}）",
                                    f"汇总时间：{b.started}", files, units, where, f"gridbudget {__version__}") if t)


def _common_folder(names: list[str]) -> str:
    """The deepest folder holding every input (an archive member counts as in its archive's folder)."""
    import posixpath

    dirs = {posixpath.dirname(n.replace("\\", "/").split("!", 1)[0]) for n in names}
    try:
        folder = posixpath.commonpath(sorted(dirs)) if dirs else ""
    except ValueError:                  # absolute and relative names mixed
        return ""
    return "" if folder in ("", "/", ".") or "\\" in "".join(names) else folder


class _Formats:
    """Formats in the shared font, made once per look."""

    def __init__(self, wb):
        self.wb = wb
        self._cache: dict[tuple, Any] = {}
        self.title = self.get(bold=True, font_size=style.TITLE_SIZE, text_wrap=True)
        self.info = self.get(text_wrap=True)
        self.label = self.get(bold=True, text_wrap=True)
        self.head = self.get(bold=True, bg_color="#" + style.HEADER_FILL, border=1, text_wrap=True, align="center")
        self.head_rotated = self.get(bold=True, bg_color="#" + style.HEADER_FILL, border=1, text_wrap=True,
                                     align="center", rotation=90)

    def get(self, **props):
        key = tuple(sorted(props.items()))
        fmt = self._cache.get(key)
        if fmt is None:
            fmt = self._cache[key] = style.xlsxwriter_format(self.wb, **props)
        return fmt

    def cell(self, kind: str = "text", *, fill: str | None = None, font: str | None = None, bold: bool = False,
             centre: bool = False):
        props: dict[str, Any] = {"border": 1}
        if kind == "text":
            props["text_wrap"] = True
        else:
            props["num_format"] = _NUM_FORMAT[kind]
        if fill:
            props["bg_color"] = "#" + fill
        if font:
            props["font_color"] = "#" + font
        if bold:
            props["bold"] = True
        if centre:
            props["align"] = "center"
        return self.get(**props)


_TOKEN = re.compile(r"[!-~]*?[-/ ]|[!-~]+|.", re.S)
_CLOSING = set("，。、；：？！）》」』】”’")


@functools.lru_cache(maxsize=1 << 16)
def _lines(text: str, width: float) -> int:
    """Lines ``text`` takes wrapped in a column ``width`` units wide as spreadsheets wrap it: a Latin
    word or number moves to the next line whole (a break may follow a space, hyphen or slash) unless
    it is longer than a line, CJK characters break anywhere but closing punctuation stays with the
    character before it. Never fewer than ``style.lines_needed``."""
    usable = max(1.0, width - 1.0)
    total = 0
    for part in text.split("\n"):
        tokens: list[str] = []
        for tok in _TOKEN.findall(part):
            if tokens and tok in _CLOSING:
                tokens[-1] += tok
            else:
                tokens.append(tok)
        lines, used = 1, 0.0
        for tok in tokens:
            units = sum(style.char_units(ch) for ch in tok.rstrip(" "))
            if used + units <= usable:
                used += units + (len(tok) - len(tok.rstrip(" ")))
                continue
            if used > 0:
                lines += 1
            while units > usable:                 # longer than a line: cut anywhere
                lines += 1
                units -= usable
            used = units + (len(tok) - len(tok.rstrip(" ")))
        total += lines
    return max(total, style.lines_needed(text, width))


@functools.lru_cache(maxsize=1 << 16)
def _units(text: str) -> int:
    return style.text_units(text)


def _height(cells: Iterable[tuple[Any, float]], size: float = style.BODY_SIZE) -> float:
    """Row height in points showing every (text, column width) whole, as ``style.row_height`` counts
    points but with :func:`_lines` (remembered: names repeat on many rows)."""
    lines = max((_lines(str(t), w) for t, w in cells if t is not None and t != ""), default=1)
    return round(lines * style.LINE_HEIGHT * size / style.BODY_SIZE + style.ROW_PADDING, 1)


def _shown(kind: str, v: Any) -> str:
    """The text a value shows in its cell (for column widths)."""
    if v is None or v == "":
        return ""
    if kind == "money":
        return f"{float(v):,.2f}"
    if kind == "pct":
        return f"{float(v):.2f}%"
    if kind == "score":
        return f"{float(v):.2f}"
    return _plain(v)


class _Measure:
    """Column widths from content: the header's longest line and the widest value, within a cap.
    Numbers are never narrower than they show (they would print as ####)."""

    def __init__(self, columns, kinds: dict[str, str] | None = None, heads: dict[str, str] | None = None):
        self.columns = columns
        self.kinds = _KIND if kinds is None else kinds
        self.heads = {k: (heads or _HEAD).get(k, label) for k, label, _w in columns}
        self.head_need = {k: _units(self.heads[k]) + 1 for k, _l, _w in columns}
        self.need = {k: 0 for k, _l, _w in columns}

    def kind(self, key: str) -> str:
        return self.kinds.get(key, "text")

    def add(self, row: dict[str, Any]) -> None:
        for k, _l, _w in self.columns:
            v = row.get(k)
            if v is not None and v != "":
                self.need[k] = max(self.need[k], _units(_shown(self.kind(k), v)))

    def widths(self) -> list[float]:
        out = []
        for k, _l, cap in self.columns:
            if self.kind(k) == "text":
                w = max(self.head_need[k], min(cap, self.need[k] + 1))
            else:
                w = max(self.head_need[k], self.need[k] + 2)
            out.append(float(max(5, w)))
        return out


def _put(ws, F, r: int, c: int, kind: str, v: Any, **look) -> None:
    fmt = F.cell(kind, **look)
    if v is None or v == "":
        ws.write_blank(r, c, None, fmt)
    elif kind == "pct":
        ws.write_number(r, c, float(v) / 100, fmt)
    elif kind != "text" and isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
        ws.write_number(r, c, _num(v), fmt)
    else:
        ws.write_string(r, c, str(v), fmt)


def _text_cells(measure: _Measure, widths: list[float], row: dict[str, Any]):
    return [(row.get(k), w) for (k, _l, _c), w in zip(measure.columns, widths)
            if measure.kind(k) == "text" and row.get(k) not in (None, "")]


# -- title block, legend, table header -----------------------------------------
def _merged(ws, r: int, c1: int, c2: int, text: str, fmt) -> None:
    if c2 > c1:
        ws.merge_range(r, c1, r, c2, text, fmt)
    else:
        ws.write_string(r, c1, text, fmt)


def _title_block(ws, F, widths: list[float], title: str, info: str, *, notes: Iterable[str] = (),
                 legend: Iterable[tuple[str, dict]] = ()) -> int:
    """Title, the batch line, notes and the colour legend above a table; returns the header row."""
    last = len(widths) - 1
    total = sum(widths)
    ws.set_row(0, _height([(title, total)], size=style.TITLE_SIZE))
    _merged(ws, 0, 0, last, title, F.title)
    r = 1
    for text in (info, *notes):
        ws.set_row(r, _height([(text, total)]))
        _merged(ws, r, 0, last, text, F.info)
        r += 1
    legend = list(legend)
    if legend:
        r = _legend(ws, F, r, widths, legend)
    return r


def _legend(ws, F, r: int, widths: list[float], items: list[tuple[str, dict]]) -> int:
    """颜色说明: each meaning written in its own colours, packed left to right over the columns
    (a cell or merged cells wide enough for the text), as many rows as needed."""
    n = len(widths)
    rows: list[list[tuple[int, int, str, dict]]] = [[]]
    c = 1
    for text, look in items:
        need = _units(text) + 2
        while True:
            c2, w = c, widths[c]
            while w < need and c2 + 1 < n:
                c2 += 1
                w += widths[c2]
            if w >= need or c == 1:
                break
            rows.append([])
            c = 1
        rows[-1].append((c, c2, text, look))
        c = c2 + 1
        if c >= n:
            rows.append([])
            c = 1
    rows = [row for row in rows if row]
    for i, row in enumerate(rows):
        ws.set_row(r, _height(
            [("颜色说明", widths[0])] + [(t, sum(widths[a:b + 1])) for a, b, t, _l in row]))
        if i == 0:
            ws.write_string(r, 0, "颜色说明", F.label)
        for a, b, text, look in row:
            _merged(ws, r, a, b, text, F.cell("text", centre=True, **look))
        r += 1
    return r


def _nothing(ws, F, r: int, widths: list[float], text: str) -> None:
    """The one row of an empty table, across all its columns."""
    ws.set_row(r, _height([(text, sum(widths))]))
    _merged(ws, r, 0, len(widths) - 1, text, F.cell())


def _header(ws, F, r: int, heads: list[str], widths: list[float], *, freeze_cols: int = 0, title: str = "") -> None:
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    ws.set_row(r, _height(zip(heads, widths)))
    for c, h in enumerate(heads):
        ws.write_string(r, c, h, F.head)
    ws.freeze_panes(r + 1, freeze_cols)
    style.xlsxwriter_page(ws, header_rows=(r, r), title=title or ws.name)


def _grade_look(v: Any) -> dict:
    if v == UNGRADED:
        return {"fill": UNGRADED_COLOURS[0], "font": UNGRADED_COLOURS[1]}
    if v in GRADE_COLOURS:
        return {"fill": GRADE_COLOURS[v][0], "font": GRADE_COLOURS[v][1]}
    return {}


def _grade_legend(ctx: _Context) -> list[tuple[str, dict]]:
    return [(f"{g}：{text}", _grade_look(g)) for g, text in ctx.bands if g in GRADE_COLOURS] + [
        (f"{UNGRADED}：权重合计不是 100 或总分超过满分，不评等级",
         {"fill": UNGRADED_COLOURS[0], "font": UNGRADED_COLOURS[1]})]


DIFF_LEGEND = [("差额为负（红字）：重算低于自评", {"font": DIFF_LOW_FONT}),
               ("差额为正（蓝字）：重算高于自评", {"font": DIFF_HIGH_FONT})]
ERROR_LEGEND = ("错误 > 0：有须改正的错误", {"fill": ERROR_COLOURS[0], "font": ERROR_COLOURS[1]})
NOT_COUNTED_LEGEND = ("灰字：未计入小计、合计的重复文件", {"font": NOT_COUNTED_FONT})


def _row_look(key: str, row: dict[str, Any], base: dict) -> dict:
    """The colours of one cell of a unit or project row (see the legends)."""
    look = dict(base)
    v = row.get(key)
    if key in _CENTRE:
        look["centre"] = True
    if key == "grade":
        look.update(_grade_look(v))
    elif key == "total_recomputed" and row.get("grade") == UNGRADED:
        look.update(_grade_look(UNGRADED))
    elif key == "weight_total" and v is not None and row.get("weight_standard") is not None \
            and abs(v - row["weight_standard"]) > TOLERANCE:
        look.update(_grade_look(UNGRADED))
    elif key == "difference" and v is not None and abs(v) > TOLERANCE:
        look["font"] = DIFF_LOW_FONT if v < 0 else DIFF_HIGH_FONT
    elif key == "errors" and v:
        look.update(fill=ERROR_COLOURS[0], font=ERROR_COLOURS[1])
    elif key == "duplicate" and v:
        look.update(fill=DUPLICATE_COLOURS[0], font=DUPLICATE_COLOURS[1])
    elif key == "status" and v in STATUS_COLOURS:
        look.update(fill=STATUS_COLOURS[v][0], font=STATUS_COLOURS[v][1])
    return look


STATUS_LEGEND = [(f"状态 {s}：{STATUS_MEANING[s]}", {"fill": STATUS_COLOURS[s][0], "font": STATUS_COLOURS[s][1]})
                 for s in ("有错误", "待说明", "通过", "未提交")]


def _write_row(ws, F, r: int, measure: _Measure, widths: list[float], row: dict[str, Any], base: dict) -> None:
    ws.set_row(r, _height(_text_cells(measure, widths, row)))
    for c, (k, _l, _w) in enumerate(measure.columns):
        _put(ws, F, r, c, measure.kind(k), row.get(k), **_row_look(k, row, base))


# -- 汇总 -------------------------------------------------------------------------
class _Totals:
    """Decimal totals of the counted unit rows: the values cached with the subtotal formulas."""

    SUMS = ("budget", "executed", "projects", "errors", "warnings")
    AVERAGES = ("total_self", "total_recomputed", "difference")

    def __init__(self) -> None:
        self.count = 0
        self.skipped = 0
        self.sums: dict[str, Decimal] = defaultdict(Decimal)
        self.avg_sums: dict[str, Decimal] = defaultdict(Decimal)
        self.avg_n: Counter = Counter()
        self.grades: Counter = Counter()
        self.rate_bins: Counter = Counter()
        self.statuses: Counter = Counter()      # 状态 of the counted units and the units not submitted

    def add(self, row: dict[str, Any]) -> None:
        if row.get("status") == "未提交":
            self.statuses["未提交"] += 1
            return
        if row["counted"] != COUNTED:
            self.skipped += 1
            return
        self.statuses[row.get("status") or "通过"] += 1
        self.count += 1
        for k in self.SUMS:
            if row[k] is not None:
                self.sums[k] += Decimal(row[k])
        if row["grade"] != UNGRADED:
            for k in self.AVERAGES:
                if row[k] is not None:
                    self.avg_sums[k] += row[k]
                    self.avg_n[k] += 1
        self.grades[row["grade"] or "无等级"] += 1
        rate = row["rate"]
        if rate is not None:
            for lo, hi, label in RATE_BINS:
                if (lo is None or rate >= lo) and (hi is None or rate < hi):
                    self.rate_bins[label] += 1

    def avg(self, key: str) -> Decimal | None:
        return self.avg_sums[key] / self.avg_n[key] if self.avg_n[key] else None

    def rate(self) -> Decimal | None:
        return self.sums["executed"] / self.sums["budget"] if self.sums["budget"] > 0 else None

    def row(self, label: str) -> dict[str, Any]:
        """The subtotal as a row (for column widths)."""
        out: dict[str, Any] = {k: self.sums[k] for k in self.SUMS}
        out.update({k: self.avg(k) for k in self.AVERAGES})
        out.update(unit=label, rate=None if self.rate() is None else self.rate() * 100, note=self.note())
        return out

    def note(self) -> str:
        text = f"计 {self.count} 个单位" + (f"，另有 {self.skipped} 份重复提交未计入" if self.skipped else "")
        if self.statuses:
            text += "；" + "，".join(f"{s} {self.statuses[s]}" for s in STATUS_ORDER if self.statuses[s])
        return text


UNITS_NOTE = ("小计、合计：只计“计入合计”为“是”的行；全年预算数、全年执行数、项目数、错误、警告为求和，执行率 = 执行数合计 ÷ 预算数合计；"
              "自评总分、重算总分、差额为平均值（不含“不评”的单位）。均为公式（SUMIFS、AVERAGEIFS），修改单位行后重新计算即更新。"
              "小计、合计的“备注”列出各状态的单位数。")
STATUS_NOTE = ("有错误：有须改正的错误（算术或逻辑不可能正确的错误写了出错说明也不算）；待说明：没有错误，但有警告没有写出错说明；"
               "通过：没有错误，警告都已说明（提示不影响状态）；未提交：--units 单位名单中有、但没有收到可读取工作簿的单位"
               "（读不了的文件见“未能读取”）。单位在审核副本“审核结果”表的“出错说明”列写明原因后交回，重新汇总即更新状态，"
               "问题清单的“出错说明”列显示单位写的说明。")


def _sheet_units(wb, F, ctx: _Context, batch: BatchResult) -> _Totals:
    ws = wb.add_worksheet("汇总")
    measure = _Measure(UNIT_COLUMNS)
    total = _Totals()
    groups: list[tuple[str, _Totals]] = []
    for row in map(ctx.rel, unit_rows(batch)):         # first pass: widths and the Decimal totals
        if not groups or groups[-1][0] != row["department"]:
            groups.append((row["department"], _Totals()))
        groups[-1][1].add(row)
        total.add(row)
        measure.add(row)
    for dept, t in groups:
        measure.add(t.row(f"小计：{dept}"))
    measure.add(total.row("合计"))
    widths = measure.widths()
    legend = [*_grade_legend(ctx), *DIFF_LEGEND, ERROR_LEGEND, *STATUS_LEGEND,
              ("重复提交：同一单位同一年度有多份", {"fill": DUPLICATE_COLOURS[0], "font": DUPLICATE_COLOURS[1]}),
              NOT_COUNTED_LEGEND, ("灰底粗体：主管部门小计、合计", {"fill": style.SUBTOTAL_FILL, "bold": True})]
    hdr = _title_block(ws, F, widths, ctx.title("汇总（每个单位一行）"), ctx.info(), notes=[UNITS_NOTE], legend=legend)
    _header(ws, F, hdr, [measure.heads[k] for k, _l, _w in UNIT_COLUMNS], widths, freeze_cols=2)
    col = {k: i for i, (k, _l, _w) in enumerate(UNIT_COLUMNS)}
    r = first = hdr + 1
    start = r
    gi = -1
    dept = None
    for row in map(ctx.rel, unit_rows(batch)):
        if row["department"] != dept:
            if gi >= 0:
                _subtotal(ws, F, r, col, widths, f"小计：{dept}", start, r - 1, groups[gi][1])
                r += 1
            gi, dept, start = gi + 1, row["department"], r
        base = {"font": NOT_COUNTED_FONT} if row["counted"] == NOT_COUNTED else {}   # 未提交 rows: not grey
        _write_row(ws, F, r, measure, widths, row, base)
        r += 1
    if gi >= 0:
        _subtotal(ws, F, r, col, widths, f"小计：{dept}", start, r - 1, groups[gi][1])
        r += 1
        _subtotal(ws, F, r, col, widths, "合计", first, r - 1, total)
        r += 1
    ws.autofilter(hdr, 0, max(r - 1, hdr + 1), len(UNIT_COLUMNS) - 1)
    return total


def _subtotal(ws, F, r: int, col: dict[str, int], widths: list[float], label: str, a: int, b: int,
              t: _Totals) -> None:
    """A subtotal (or the grand total) over rows a..b: SUMIFS / AVERAGEIFS on 计入合计 = 是 (subtotal
    rows have no 计入合计, so a total over every row counts each unit once); values cached in Decimal."""
    from xlsxwriter.utility import xl_range, xl_rowcol_to_cell

    def rng(k: str) -> str:
        return xl_range(a, col[k], b, col[k])

    counted = f'{rng("counted")},"{COUNTED}"'
    look = {"fill": style.SUBTOTAL_FILL, "bold": True}
    note = t.note()
    ws.set_row(r, _height([(label, widths[col["unit"]]), (note, widths[col["note"]])]))
    for k, c in col.items():
        ws.write_blank(r, c, None, F.cell(_KIND.get(k, "text"), **look))
    ws.write_string(r, col["unit"], label, F.cell("text", **look))
    for k in _Totals.SUMS:
        v = t.sums[k]
        ws.write_formula(r, col[k], f"=SUMIFS({rng(k)},{counted})", F.cell(_KIND[k], **look),
                         float(v) if k in ("budget", "executed") else int(v))
    b_, e_ = xl_rowcol_to_cell(r, col["budget"]), xl_rowcol_to_cell(r, col["executed"])
    rate = t.rate()
    ws.write_formula(r, col["rate"], f'=IF({b_}>0,{e_}/{b_},"")', F.cell("pct", **look),
                     "" if rate is None else float(rate))
    for k in _Totals.AVERAGES:
        v = t.avg(k)
        ws.write_formula(r, col[k], f'=IFERROR(AVERAGEIFS({rng(k)},{counted},{rng("grade")},"<>{UNGRADED}"),"")',
                         F.cell("score", **look), "" if v is None else float(v))
    ws.write_string(r, col["note"], note, F.cell("text", **look))


# -- 项目 ---------------------------------------------------------------------------
def _sheet_projects(wb, F, ctx: _Context, batch: BatchResult) -> None:
    ws = wb.add_worksheet("项目")
    measure = _Measure(PROJECT_COLUMNS)
    n = 0
    for row in map(ctx.rel, project_rows(batch)):
        measure.add(row)
        n += 1
    widths = measure.widths()
    legend = [*_grade_legend(ctx), *DIFF_LEGEND, ERROR_LEGEND]
    if ctx.extra_copies:
        legend.append(NOT_COUNTED_LEGEND)
    hdr = _title_block(ws, F, widths, ctx.title("项目（每张项目支出绩效自评表一行）"), ctx.info(), legend=legend)
    _header(ws, F, hdr, [measure.heads[k] for k, _l, _w in PROJECT_COLUMNS], widths, freeze_cols=3)
    r = hdr
    for r, row in enumerate(map(ctx.rel, project_rows(batch)), start=hdr + 1):
        base = {"font": NOT_COUNTED_FONT} if row["counted"] != COUNTED else {}
        _write_row(ws, F, r, measure, widths, row, base)
    if not n:
        r = hdr + 1
        _nothing(ws, F, r, widths, "没有读到项目支出绩效自评表。")
    ws.autofilter(hdr, 0, max(r, hdr + 1), len(PROJECT_COLUMNS) - 1)


# -- 问题清单, 规则统计, 单位×规则 ------------------------------------------------------
SEVERITIES = ("error", "warning", "info")


class _Stats:
    """Findings counted by rule and severity, and by file and rule (worst severity kept)."""

    def __init__(self) -> None:
        from ..check import rules as _registers_the_rules  # noqa: F401
        from ..check.engine import RULES

        self.catalogue = RULES
        self.by_rule: dict[str, Counter] = defaultdict(Counter)
        self.files_by_rule: dict[str, set] = defaultdict(set)
        self.info: dict[str, tuple[str, str]] = {}
        self.by_file: dict[str, Counter] = defaultdict(Counter)
        self.worst: dict[tuple[str, str], str] = {}

    def add(self, f: dict[str, Any]) -> None:
        code, sev, name = f.get("code") or "", f.get("severity") or "info", f.get("file") or ""
        self.by_rule[code][sev] += 1
        self.files_by_rule[code].add(name)
        self.by_file[name][code] += 1
        rank = SEVERITIES.index(sev) if sev in SEVERITIES else 2
        old = self.worst.get((name, code))
        if old is None or rank < SEVERITIES.index(old):
            self.worst[(name, code)] = SEVERITIES[rank]
        if code not in self.info:
            self.info[code] = (self.title(code, f.get("title") or ""), f.get("kind") or "")

    def title(self, code: str, fallback: str = "") -> str:
        rule = self.catalogue.get(code)
        return rule.title if rule is not None else fallback

    def codes(self) -> list[str]:
        return sorted(self.by_rule)


def _severity_look(sev: str) -> dict:
    return {"fill": style.SEVERITY_FILL[sev], "font": style.SEVERITY_FONT[sev]}


SEVERITY_LEGEND = [(f"{style.SEVERITY_NAMES[s]}：{m}", _severity_look(s)) for s, m in (
    ("error", "数字或逻辑不可能正确，必须改正"), ("warning", "很可能有误或缺少说明，请核对或说明原因"),
    ("info", "提醒注意，不一定有误"))]


def _sheet_findings(wb, F, ctx: _Context, batch: BatchResult) -> _Stats:
    ws = wb.add_worksheet("问题清单")
    measure = _Measure(FINDING_COLUMNS, kinds={})
    labels = dict(SEVERITY_LABELS)
    for f in map(ctx.rel, finding_rows(batch)):
        f["severity"] = labels.get(f["severity"], f["severity"])
        measure.add(f)
    widths = measure.widths()
    hdr = _title_block(ws, F, widths, ctx.title("问题清单（每条审核问题一行，可按单位、规则筛选）"), ctx.info(),
                       legend=[(f"级别 {t}", look) for t, look in SEVERITY_LEGEND])
    _header(ws, F, hdr, [label for _k, label, _w in FINDING_COLUMNS], widths)
    stats = _Stats()
    r = hdr
    for r, f in enumerate(finding_rows(batch), start=hdr + 1):
        stats.add(f)
        f = ctx.rel(f)
        sev = f["severity"]
        f["severity"] = labels.get(sev, sev)
        ws.set_row(r, _height(_text_cells(measure, widths, f)))
        for c, (k, _l, _w) in enumerate(FINDING_COLUMNS):
            look = _severity_look(sev) if k == "severity" and sev in style.SEVERITY_FILL else {}
            _put(ws, F, r, c, "text", f.get(k), centre=k in _CENTRE, **look)
    if r == hdr:
        r = hdr + 1
        _nothing(ws, F, r, widths, "没有发现问题。")
    ws.autofilter(hdr, 0, r, len(FINDING_COLUMNS) - 1)
    return stats


RULE_COLUMNS = (("code", "规则代码", 24), ("title", "规则名称", 30), ("kind", "类别", 8), ("error", "错误", 6),
                ("warning", "警告", 6), ("info", "提示", 6), ("total", "合计", 6), ("files", "涉及文件数", 8))


def _sheet_rules(wb, F, ctx: _Context, stats: _Stats) -> None:
    from xlsxwriter.utility import xl_range

    ws = wb.add_worksheet("规则统计")
    kinds = {k: "int" for k in ("error", "warning", "info", "total", "files")}
    measure = _Measure(RULE_COLUMNS, kinds=kinds, heads={"files": "涉及\n文件数"})
    rows = []
    for code in stats.codes():
        title, kind = stats.info[code]
        counts = stats.by_rule[code]
        rows.append({"code": code, "title": title, "kind": kind, **{s: counts.get(s, 0) for s in SEVERITIES},
                     "total": sum(counts.values()), "files": len(stats.files_by_rule[code])})
        measure.add(rows[-1])
    measure.add({"code": "合计"})
    widths = measure.widths()
    hdr = _title_block(ws, F, widths, ctx.title("规则统计（按规则和级别计数）"), ctx.info(),
                       notes=["每条规则在全部文件中报出的问题数（与“问题清单”一致，重复提交的文件也计入）；"
                              "每个单位在每条规则上的问题数见“单位×规则”。"])
    _header(ws, F, hdr, [measure.heads[k] for k, _l, _w in RULE_COLUMNS], widths)
    r = hdr
    for r, row in enumerate(rows, start=hdr + 1):
        _write_row(ws, F, r, measure, widths, row, {})
    if not rows:
        r = hdr + 1
        _nothing(ws, F, r, widths, "没有发现问题。")
        return
    r += 1
    look = {"fill": style.SUBTOTAL_FILL, "bold": True}
    ws.set_row(r, _height([("合计", widths[0])]))
    ws.write_string(r, 0, "合计", F.cell("text", **look))
    for c in (1, 2):
        ws.write_blank(r, c, None, F.cell("text", **look))
    for c, (k, _l, _w) in enumerate(RULE_COLUMNS):
        if k in ("error", "warning", "info", "total"):
            ws.write_formula(r, c, f"=SUM({xl_range(hdr + 1, c, r - 1, c)})", F.cell("int", **look),
                             sum(row[k] for row in rows))
        elif k == "files":
            ws.write_blank(r, c, None, F.cell("int", **look))


MATRIX_SHEET = "单位×规则"
MATRIX_RULE_WIDTH = 6.0           # two lines of rotated text (title, code)
MATRIX_MIN_SCALE = 70             # fit to one page wide only while it prints at least this large


def _rotated_height(text: str) -> float:
    """Points a bold header needs when its lines are turned 90°: CJK about 11 pt a character, Latin
    capitals about 7.5 pt (wide fallback fonts such as DejaVu Sans Bold), and the cell's padding."""
    longest = max(sum(11.0 if style.char_units(ch) == 2 else 7.5 for ch in line) for line in text.split("\n"))
    return longest * style.BODY_SIZE / 10 + 16


def _sheet_matrix(wb, F, ctx: _Context, batch: BatchResult, stats: _Stats) -> None:
    ws = wb.add_worksheet(MATRIX_SHEET)
    codes = stats.codes()
    files = [(name, dept or NO_DEPARTMENT, unit or NO_UNIT, key, year) for name, dept, unit, key, year in
             batch.store.query(f"SELECT name, department, unit, unit_key, year FROM units WHERE read_error IS NULL "
                               f"ORDER BY {_ORDER}") if stats.by_file.get(name)]
    shown = []
    for name, dept, unit, key, year in files:
        dup = ctx.dups.get((key, year)) if key else None
        label = unit + (f"\n（{_short(name)}）" if dup else "")
        shown.append((name, dept, label, dup is not None and dup[0] != name))
    fixed = [("department", "主管部门", 14), ("unit", "单位", 22), ("total", "合计", 6)]
    measure = _Measure(fixed, kinds={"total": "int"})
    for _n, dept, label, _s in shown:
        measure.add({"department": dept, "unit": label})
    widths = measure.widths() + [MATRIX_RULE_WIDTH] * len(codes)
    heads = [measure.heads[k] for k, _l, _w in fixed] + [f"{stats.title(c, stats.info[c][0])}\n{c}" for c in codes]
    legend = [(f"底色：该单位在这条规则上最严重的级别为“{t[:2]}”", look) for t, look in SEVERITY_LEGEND]
    if any(s for *_x, s in shown):
        legend.append(NOT_COUNTED_LEGEND)
    hdr = _title_block(ws, F, widths, ctx.title("单位×规则（每个文件在每条规则上的问题数）"), ctx.info(),
                       notes=["表头为规则名称和规则代码（竖排）；同一单位提交多份时，单位名下注明文件名。"], legend=legend)
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    height = max([_height(zip(heads[:3], widths[:3]))]
                 + [max(_rotated_height(h), style.row_height([(h, MATRIX_RULE_WIDTH)])) for h in heads[3:]])
    ws.set_row(hdr, height)
    for c, h in enumerate(heads):
        ws.write_string(hdr, c, h, F.head if c < 3 else F.head_rotated)
    ws.freeze_panes(hdr + 1, 3)
    style.xlsxwriter_page(ws, header_rows=(hdr, hdr), title=MATRIX_SHEET)
    if style.print_scale(widths) < MATRIX_MIN_SCALE:
        # too many rules for one page wide at a legible size: pages run down, then across,
        # each with the unit columns and the header row
        ws.set_print_scale(MATRIX_MIN_SCALE + 10)
        ws.repeat_columns(0, 2)
    r = hdr
    for r, (name, dept, label, skipped) in enumerate(shown, start=hdr + 1):
        counts = stats.by_file[name]
        base = {"font": NOT_COUNTED_FONT} if skipped else {}
        ws.set_row(r, _height([(dept, widths[0]), (label, widths[1])]))
        _put(ws, F, r, 0, "text", dept, **base)
        _put(ws, F, r, 1, "text", label, **base)
        _put(ws, F, r, 2, "int", sum(counts.values()), bold=True, **base)
        for c, code in enumerate(codes, start=3):
            n = counts.get(code)
            look = _severity_look(stats.worst[(name, code)]) if n else {}
            _put(ws, F, r, c, "int", n, centre=True, **look)
    if not shown:
        r = hdr + 1
        _nothing(ws, F, r, widths, "没有发现问题。")
    ws.autofilter(hdr, 0, r, len(widths) - 1)


# -- 未能读取, 说明, 图表 ---------------------------------------------------------------
def _sheet_failures(wb, F, ctx: _Context, rows: list[dict[str, Any]]) -> None:
    ws = wb.add_worksheet("未能读取")
    rows = [ctx.rel(row) for row in rows]
    measure = _Measure(FAILURE_COLUMNS, kinds={})
    for row in rows:
        measure.add(row)
    widths = measure.widths()
    hdr = _title_block(ws, F, widths, ctx.title("未能读取的文件（原因和处理建议）"), ctx.info(),
                       notes=["这些文件没有计入任何汇总数字。请按“处理建议”联系单位重新提交后再汇总。"])
    _header(ws, F, hdr, [label for _k, label, _w in FAILURE_COLUMNS], widths)
    r = hdr
    for r, row in enumerate(rows, start=hdr + 1):
        _write_row(ws, F, r, measure, widths, row, {})
    if not rows:
        r = hdr + 1
        _nothing(ws, F, r, widths, "所有文件均已读取。")


def _sheet_about(wb, F, ctx: _Context, batch: BatchResult) -> None:
    ws = wb.add_worksheet("说明")
    widths = [16.0, 54.0, 18.0, 66.0]
    last = len(widths) - 1
    value_width = sum(widths[1:])
    grades = "；".join(f"{g}：{t}" for g, t in ctx.bands)
    lines = [
        ("评分方案", f"{batch.profile_title}（{batch.profile}）"),
        ("等级", f"按重算总分：{grades}。"),
        ("工具版本", f"gridbudget {__version__}"),
        ("运行时间", batch.started),
        ("处理文件数", f"{batch.files} 个（已读取 {ctx.read} 个，未能读取 {batch.failed} 个"
                   + (f"，另有 {len(batch.missing)} 个路径没有找到文件" if batch.missing else "") + "）"),
        ("汇总单位数", f"{ctx.units} 个" + (f"（另有 {ctx.extra_copies} 份重复提交未计入合计）" if ctx.extra_copies else "")),
        ("分数", "自评总分为单位自己填写的总分；重算总分按评分方案重新计算；差额 = 重算 − 自评。等级按重算总分确定。"
                "问题清单中的错误须修改，警告须核实或说明，提示供参考。"),
        ("重复提交", "同一单位（名称相同）同一年度有多份文件时，每份都列出并标“重复提交”，但只有按文件名（含路径）排序的第一份"
                  "计入主管部门小计、合计和单位数（“计入合计”为“是”），其余为灰字、“计入合计”为“否”，“备注”写明计入的是哪一份。"
                  "如应计入另一份，请删除或移走其他副本后重新汇总。"),
        ("权重不是 100", "表中各项权重（预算执行率分值与三级指标分值）合计不等于表式的标准总分（通常为 100），或重算总分超过满分时，"
                     "重算总分照列并以紫色标出，“等级”写“不评”，备注写明权重合计；这样的总分不计入小计、合计的平均分。"
                     "不按比例折算为 100 分：评分方案中没有折算规则，折算会掩盖权重设置错误，应由单位改正权重后重新提交。"),
        ("小计与合计", UNITS_NOTE),
        ("状态", STATUS_NOTE),
        ("颜色", "每张表标题下的“颜色说明”列出该表中每种颜色的含义；灰底为表头。"),
    ]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    r = _title_block(ws, F, widths, ctx.title("说明"), ctx.info())
    top = r
    for k, v in lines:
        ws.set_row(r, _height([(k, widths[0]), (v, value_width)]))
        ws.write_string(r, 0, k, F.cell("text", fill=style.HEADER_FILL, bold=True))
        _merged(ws, r, 1, last, v, F.cell("text"))
        r += 1
    r += 1
    head = r
    heads = ["输入文件", "", "状态", "SHA-256"]
    ws.set_row(r, _height([(heads[0], widths[0] + widths[1])]))
    _merged(ws, r, 0, 1, heads[0], F.head)
    ws.write_string(r, 2, heads[2], F.head)
    ws.write_string(r, 3, heads[3], F.head)
    for name, sha, error, key, year in batch.store.query(
            "SELECT name, sha256, read_error, unit_key, year FROM units ORDER BY idx"):
        r += 1
        dup = ctx.dups.get((key, year)) if key else None
        state = "未能读取" if error else ("已读取" if dup is None else
                                       ("重复提交，计入" if dup[0] == name else "重复提交，未计入"))
        ws.set_row(r, _height([(name, widths[0] + widths[1]), (state, widths[2])]))
        _merged(ws, r, 0, 1, name, F.cell("text"))
        ws.write_string(r, 2, state, F.cell("text"))
        ws.write_string(r, 3, sha or "（无法读取）", F.cell("text"))
    ws.freeze_panes(top, 0)
    style.xlsxwriter_page(ws, header_rows=(head, head), title="说明")


def _sheet_charts(wb, F, ctx: _Context, units: _Totals) -> None:
    ws = wb.add_worksheet("图表")
    widths = [14.0, 10.0, 4.0] + [10.0] * 9
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    hdr = _title_block(ws, F, widths, ctx.title("图表（等级和预算执行率分布）"), ctx.info(),
                       notes=[f"按计入合计的 {units.count} 个单位统计（重复提交只计一次）；等级按重算总分，"
                              "“不评”为权重合计不是 100 或重算总分超过满分的单位。"])
    style.xlsxwriter_page(ws, title="图表")
    ws.fit_to_pages(1, 1)
    grades = [(g, units.grades.get(g, 0)) for g in (*GRADES, UNGRADED, "无等级")]
    rates = [(label, units.rate_bins.get(label, 0)) for _lo, _hi, label in RATE_BINS]
    r = hdr
    blocks = []
    for title, items in (("等级", grades), ("执行率", rates)):
        ws.set_row(r, _height([(title, widths[0])]))
        ws.write_string(r, 0, title, F.head)
        ws.write_string(r, 1, "单位数", F.head)
        first = r + 1
        for r, (label, n) in enumerate(items, start=r + 1):
            ws.write_string(r, 0, label, F.cell("text"))
            ws.write_number(r, 1, n, F.cell("int"))
        blocks.append((first, len(items)))
        r += 2
    ws.freeze_panes(hdr, 0)
    for (title, color), (first, n), row in zip((("等级分布（按重算总分）", "#4472C4"), ("预算执行率分布", "#ED7D31")),
                                               blocks, (hdr, hdr + 17)):
        chart = wb.add_chart({"type": "column"})
        chart.add_series({"name": title, "categories": ["图表", first, 0, first + n - 1, 0],
                          "values": ["图表", first, 1, first + n - 1, 1], "fill": {"color": color},
                          "data_labels": {"value": True}})
        chart.set_title({"name": title, "name_font": {"name": style.FONT, "size": 12}})
        chart.set_legend({"none": True})
        chart.set_x_axis({"num_font": {"name": style.FONT}})
        chart.set_y_axis({"name": "单位数", "name_font": {"name": style.FONT}, "major_gridlines": {"visible": True}})
        chart.set_size({"width": 620, "height": 330})
        ws.insert_chart(row, 3, chart)


# ---------------------------------------------------------------------------
# csv / json / pandas
# ---------------------------------------------------------------------------
_CSV_DANGER = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(v: Any) -> Any:
    """Neutralise a cell a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(v, str) and v.startswith(_CSV_DANGER):
        return "'" + v
    if isinstance(v, Decimal):
        return format(v, "f")
    return "" if v is None else v


def _csv_bytes(columns, rows: Iterable[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([label for _k, label, _w in columns])
    for row in rows:
        w.writerow([csv_safe(SEVERITY_LABELS.get(row.get(k), row.get(k)) if k == "severity" else row.get(k))
                    for k, _l, _w in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")      # BOM: Excel opens UTF-8 CSV correctly


def csv_paths(path: str | Path) -> list[Path]:
    """The four files ``write_csv`` writes: 汇总 at ``path``, 项目, 问题清单 and 未能读取 beside it."""
    path = Path(path)
    stem = path.with_suffix("")
    return [path, *(Path(f"{stem}-{part}.csv") for part in ("项目", "问题清单", "未能读取"))]


def csv_header(columns) -> str:
    return ",".join(label for _k, label, _w in columns)


def write_csv(batch: BatchResult, path: str | Path) -> list[Path]:
    """汇总 to ``path``; 项目, 问题清单 and 未能读取 beside it (``name-项目.csv`` …)."""
    path = Path(path)
    stem = path.with_suffix("")
    parts = [(path, UNIT_COLUMNS, unit_rows(batch)),
             (Path(f"{stem}-项目.csv"), PROJECT_COLUMNS, project_rows(batch)),
             (Path(f"{stem}-问题清单.csv"), FINDING_COLUMNS, finding_rows(batch)),
             (Path(f"{stem}-未能读取.csv"), FAILURE_COLUMNS, failure_rows(batch))]
    return [atomic_write_bytes(p, _csv_bytes(cols, rows)) for p, cols, rows in parts]


def summary_dict(batch: BatchResult) -> dict[str, Any]:
    return {
        "schema": "gridbudget.summary/1",
        "meta": {"profile": batch.profile, "profile_title": batch.profile_title, "version": __version__,
                 "started": batch.started, "files": batch.files, "jobs": batch.jobs,
                 "inputs": [{"file": n, "sha256": h} for n, h in batch.store.query(
                     "SELECT name, sha256 FROM units ORDER BY idx")]},
        "units": list(unit_rows(batch)), "projects": list(project_rows(batch)), "findings": list(finding_rows(batch)),
        "failures": failure_rows(batch),
    }


def write_json(batch: BatchResult, path: str | Path) -> Path:
    from ..submission import dumps

    return atomic_write_bytes(path, (dumps(summary_dict(batch)) + "\n").encode("utf-8"))


def to_dataframes(batch: BatchResult) -> dict[str, Any]:
    """pandas DataFrames of the unit rows, project rows, findings and failures (for notebooks)."""
    import pandas as pd

    def frame(columns, rows):
        df = pd.DataFrame([{label: (float(r.get(k)) if isinstance(r.get(k), Decimal) else r.get(k))
                            for k, label, _w in columns} for r in rows], columns=[c[1] for c in columns])
        return df

    return {"units": frame(UNIT_COLUMNS, unit_rows(batch)), "projects": frame(PROJECT_COLUMNS, project_rows(batch)),
            "findings": frame(FINDING_COLUMNS, finding_rows(batch)),
            "failures": frame(FAILURE_COLUMNS, failure_rows(batch))}


def summarize(paths: Iterable[str], *, profile: str | None = None, jobs: int | None = None, timeout: float = 60,
              units_csv: str | None = None, progress=None) -> BatchResult:
    """The Python API: collect the inputs and run the batch. Close the result (or use ``with``)."""
    from ..batch import collect_inputs, run_batch
    from ..read.unitlist import load_units

    inputs, missing = collect_inputs(paths)
    dept = load_units(units_csv) if units_csv else None
    batch = run_batch(inputs, profile=profile, jobs=jobs, timeout=timeout, department_of=dept, progress=progress)
    batch.missing = missing
    if dept is not None:
        batch.expected = dict(dept.mapping)      # 未提交: listed units with no workbook read
    return batch

