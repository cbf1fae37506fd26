"""The annotated copy: the user's workbook with 批注, fills and a 审核结果 sheet.

``annotate(src, findings, dst)`` writes a copy of workbook ``src`` to ``dst`` in which

* every finding that names a sheet and a cell puts a comment (批注, author
  ``gridbudget``) on that cell, e.g. ``【错误】V-EXEC-RATE 执行率计算有误：应为 99.13%，实为
  98.00%``. Several findings on one cell share one comment, most severe first. A
  comment the user already had is kept (with its author) and ours is appended below it.
  A cell inside a merged range is annotated on the range's top-left cell (the cell that
  shows the content);
* that cell's fill shows its most severe finding in the finding colours of
  :mod:`gridbudget.write.style` (``SEVERITY_FILL``: 错误 red ``#FF9999``, 警告 amber
  ``#FFC000``, 提示 lavender ``#B4A7D6``), saturated hues far from the template's pale
  input yellow, formula blue and grey, so a flagged input cell never looks locked and a
  flagged formula cell never looks clean. Only the fill changes: font, border, number
  format, alignment and protection (locked/hidden) stay as they were;
* a new first sheet ``审核结果`` (the active sheet when the copy is opened), printed first,
  holds everything a reviewer needs on paper (comments do not print): a title block
  (审核结果, unit, year, file, scoring profile, date, the counts 错误 N 项，警告 N 项，提示 N
  项), a legend of the colours, and every finding with its full text — 序号, 级别, 规则代码,
  规则名称 (the rule's Chinese title), 类别, 表, 工作表, 单元格, 应为, 实为, 说明 — grouped by
  severity (错误, 警告, 提示; a heading row each) and within a group ordered by table, sheet
  and cell. Texts wrap and row heights are computed from them (CJK characters two columns
  wide), so nothing is cut on screen or on A4 (landscape, one page wide, header row
  repeated, page numbers). The header row is bold, frozen and filtered; the 单元格 entry
  is an internal hyperlink (``'工作表'!H4``) that jumps to the cell in Excel, WPS and
  LibreOffice. Every text from a finding is written as text, never as a formula (a
  message starting with ``=`` stays text). When a sheet called 审核结果 already exists
  and is not ours, ours is called 审核结果(2) ...;
* the last column, 出错说明, is where the unit answers a finding: its cells are unlocked
  and pale yellow (the template's input style) on a sheet protected without a password
  (filter and column widths still usable); a finding whose rule cannot be explained
  (``Finding.explainable`` False: arithmetic or logic that cannot be right) gets a grey,
  locked cell saying it must be corrected. An explanation the finding already carries
  (read back from the workbook, :mod:`gridbudget.read.explain`) is written in its cell,
  so explanations survive re-annotation. Re-annotating a copy gridbudget annotated
  before replaces its 审核结果 sheet(s) (recognised by their header row) and removes our
  old comments (author ``gridbudget``) before the new ones are added; a fill we changed
  keeps its finding colour (the original fill is not known any more).

Everything else of the user's workbook is carried over by openpyxl: values, formula
text, merged cells, number formats and styles, data validation (list validation with
Chinese prompts), sheet protection and unlocked cells, workbook- and sheet-scoped
defined names, column widths and row heights, hidden rows/columns/sheets, frozen panes,
print setup (print titles, areas, orientation, fit to page), hyperlinks, standard
conditional formats, charts and (with Pillow installed) pictures.

What openpyxl may drop or change when it re-saves a workbook it read (PITFALLS.md):

* extension-list (``extLst``) features: newer data validation (e.g. a drop-down list
  that refers to another sheet, as Excel 2010+ stores it), newer conditional formats
  (data bars / icon sets from other tools), sparklines, slicers and timelines;
* shapes, text boxes, form controls and ActiveX controls; pictures when Pillow is not
  installed; chart formatting may change;
* Excel 365 threaded comments (their plain 批注 text remains) and the size/colour of
  existing comments;
* every cached formula value: openpyxl writes none. Excel, WPS and LibreOffice compute
  the formulas when the copy is opened, but a program that reads cached values only
  (python-calamine, pandas) sees empty formula cells in the copy.

The parts of this list that the source actually holds are detected before saving
(:func:`copy_losses`) and named on the 审核结果 sheet, so the user knows to keep the
original. The input file is never modified: it is read once into memory, and the copy
is written atomically (temporary file + rename) by :func:`gridbudget.write.fsutil.atomic_write_bytes`.
``dst`` naming ``src`` is refused with a ValueError.

Formats: .xlsx (and .xltx) are annotated directly. .xlsm/.xltm and any workbook with a
VBA project are loaded with ``keep_vba=True`` and the copy is an .xlsm (Excel refuses a
file whose extension does not match its content, so the suffix of ``dst`` is set to
match; the path actually written is returned). .xls, WPS .et, .ods and .xlsb cannot be
opened by openpyxl: when LibreOffice is available they are first converted to .xlsx
(``libreoffice.convert(..., "xlsx", recalc=False)``) and that is annotated — the copy is
then an **.xlsx** (``dst``'s suffix becomes .xlsx) with whatever LibreOffice's conversion
kept; without LibreOffice a ValueError (Chinese) asks the user to save the file as .xlsx
in Excel/WPS and run gridbudget on that. Password-protected (encrypted) files are
refused with a ValueError.

Findings are taken as given: pass the findings of ``src`` (their ``file`` is not
compared with ``src``). A finding whose sheet or cell does not exist in the workbook is
listed on 审核结果 without a link and without a comment.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from ..check.findings import (
    ERROR,
    INFO,
    SEVERITY_LABELS,
    SEVERITY_RANK,
    WARNING,
    Finding,
    fmt_value,
)
from . import style
from .wbcopy import activate, copy_losses, open_copy, save_copy

__all__ = [
    "AUTHOR",
    "FILLS",
    "SHEET_TITLE",
    "annotate",
    "comment_text",
    "copy_losses",
    "internal_link",
    "summary_line",
]

SHEET_TITLE = "审核结果"
AUTHOR = "gridbudget"

#: Cell fill (RGB) by severity: the shared finding colours.
FILLS = style.SEVERITY_FILL
#: Text colour of the 级别 column and the group headings by severity.
TEXT_COLOURS = style.SEVERITY_FONT

#: (header, column width) of the 审核结果 table; ``None``: the width follows the content.
COLUMNS = (
    ("序号", 5),
    ("级别", 5),
    ("规则代码", None),
    ("规则名称", 12),
    ("类别", 7),
    ("表", 12),
    ("工作表", None),
    ("单元格", 7),
    ("应为", 12),
    ("实为", 12),
    ("说明", 36),
    ("出错说明", 26),
)

#: The column in which the unit answers a finding (read back by gridbudget.read.explain).
EXPLAIN_COLUMN = len(COLUMNS)
#: What the 出错说明 cell of a finding whose rule cannot be explained says (locked, grey).
NOT_EXPLAINABLE = "须改正，不能以说明代替"

TABLE_NAMES = {"basic": "基础数据表", "overall": "整体支出自评表", "project": "项目支出自评表"}

#: What each severity asks of the unit (the group headings of 审核结果).
SEVERITY_MEANING = {ERROR: "数字或逻辑不可能正确，必须改正", WARNING: "很可能有误或缺少说明，请核对或说明原因",
                    INFO: "提醒注意，不一定有误"}


# --------------------------------------------------------------------------- small public helpers


def _rank(f: Finding) -> int:
    return SEVERITY_RANK.get(f.severity, 9)


def _label(severity: str) -> str:
    return SEVERITY_LABELS.get(severity, severity or "")


def comment_text(findings: Iterable[Finding]) -> str:
    """The text of our comment for the findings of one cell, most severe first."""
    lines = []
    for f in sorted(findings, key=_rank):
        line = f"【{_label(f.severity)}】{f.code} {f.message}".rstrip()
        if f.explained:
            line += f"（已说明：{f.explanation}）"
        lines.append(line)
    return "\n".join(lines)


def summary_line(findings: Iterable[Finding]) -> str:
    """``错误 N 项，警告 N 项，提示 N 项``."""
    n = Counter(f.severity for f in findings)
    return f"{_label(ERROR)} {n[ERROR]} 项，{_label(WARNING)} {n[WARNING]} 项，{_label(INFO)} {n[INFO]} 项"


def quote_sheet(name: str) -> str:
    """A sheet name quoted for a reference: ``'项目支出自评表-1'`` (quotes doubled)."""
    return "'" + name.replace("'", "''") + "'"


def internal_link(sheet: str, ref: str) -> str:
    """The location of an internal hyperlink: ``'sheet name'!H4`` (no leading '#')."""
    return f"{quote_sheet(sheet)}!{ref}"


# --------------------------------------------------------------------------- what openpyxl drops



# --------------------------------------------------------------------------- locating cells


def _parse_ref(ref: str | None) -> tuple[int, int, int, int] | None:
    """(min_col, min_row, max_col, max_row) of ``H4`` / ``$H$4`` / ``H4:I5``, or None."""
    from openpyxl.utils.cell import range_boundaries

    if not ref or not isinstance(ref, str):
        return None
    text = ref.strip().replace("$", "").upper()
    if not re.fullmatch(r"[A-Z]{1,3}[0-9]{1,7}(:[A-Z]{1,3}[0-9]{1,7})?", text):
        return None
    try:
        c1, r1, c2, r2 = range_boundaries(text)
    except (ValueError, TypeError):
        return None
    if None in (c1, r1, c2, r2) or not (1 <= c1 <= c2 <= 16384 and 1 <= r1 <= r2 <= 1048576):
        return None
    return c1, r1, c2, r2


def _find_sheet(wb, name: str | None):
    from openpyxl.worksheet.worksheet import Worksheet

    if not name:
        return None
    for ws in wb.worksheets:
        if ws.title == name and isinstance(ws, Worksheet):
            return ws
    stripped = name.strip()
    for ws in wb.worksheets:
        if ws.title.strip() == stripped and isinstance(ws, Worksheet):
            return ws
    return None


class _Target:
    """Where one finding points: sheet, normalised reference, anchor cell."""

    __slots__ = ("anchor", "ref", "ws")

    def __init__(self, ws, ref: str, anchor: tuple[int, int]):
        self.ws, self.ref, self.anchor = ws, ref, anchor


def _locate(wb, f: Finding) -> _Target | None:
    from openpyxl.utils import get_column_letter

    ws = _find_sheet(wb, f.sheet)
    box = _parse_ref(f.cell)
    if ws is None or box is None:
        return None
    c1, r1, c2, r2 = box
    ref = f"{get_column_letter(c1)}{r1}"
    if (c1, r1) != (c2, r2):
        ref += f":{get_column_letter(c2)}{r2}"
    anchor = (r1, c1)
    for mr in ws.merged_cells.ranges:
        if mr.min_row <= r1 <= mr.max_row and mr.min_col <= c1 <= mr.max_col:
            anchor = (mr.min_row, mr.min_col)
            break
    return _Target(ws, ref, anchor)


# --------------------------------------------------------------------------- writing


def _comment(text: str, author: str):
    from openpyxl.comments import Comment

    width = 320  # px
    per_line = 46  # half-width characters per line at that width
    height = min(480, max(60, 17 * style.lines_needed(text, per_line + 1) + 14))
    return Comment(text, author, height=height, width=width)


_FORMULA_START = ("=", "+", "-", "@")


def _put_text(cell, value) -> None:
    """Write ``value`` as a text cell, never a formula."""
    text = "" if value is None else str(value)
    if not text:
        cell.value = None
        return
    cell.value = text
    cell.data_type = "s"  # openpyxl would take "=..." for a formula
    if text.startswith(_FORMULA_START):
        cell.quotePrefix = True  # Excel/WPS keep it text when the cell is edited


def _annotate_cells(wb, findings: list[Finding]) -> dict[int, _Target]:
    """Comments and fills; returns the target of every located finding (by index)."""
    targets: dict[int, _Target] = {}
    groups: dict[tuple[str, tuple[int, int]], list[Finding]] = {}
    sheets = {}
    for i, f in enumerate(findings):
        t = _locate(wb, f)
        if t is None:
            continue
        targets[i] = t
        key = (t.ws.title, t.anchor)
        sheets[key] = t.ws
        groups.setdefault(key, []).append(f)
    for key, group in groups.items():
        ws = sheets[key]
        row, col = key[1]
        cell = ws.cell(row=row, column=col)
        ours = comment_text(group)
        old = cell.comment
        if old is not None and (old.text or "").strip():
            text = old.text.rstrip() + "\n\n" + ours
            author = old.author or AUTHOR
        else:
            text, author = ours, AUTHOR
        cell.comment = _comment(text, author)
        worst = min(group, key=_rank).severity
        if worst in FILLS:
            cell.fill = style.openpyxl_fill(FILLS[worst])  # only the fill id of the cell's style changes
    return targets


def _remove_previous(wb) -> None:
    """Drop the 审核结果 sheets and comments of an earlier annotation of this workbook."""
    from ..read.explain import _SHEET_NAME

    for ws in list(wb.worksheets):
        if not (_SHEET_NAME.match(ws.title.strip()) and ws.title.startswith(SHEET_TITLE)):
            continue
        head = next((r for r in range(1, 60) if ws.cell(r, 1).value == "序号"
                     and ws.cell(r, 3).value == "规则代码"), None)
        if head is not None:
            wb.remove(ws)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                c = cell.comment
                if c is None:
                    continue
                text = c.text or ""
                if c.author == AUTHOR and text.startswith("【"):
                    cell.comment = None
                elif "\n\n【" in text:                        # the user's comment with ours appended
                    kept = text.split("\n\n【", 1)[0]
                    cell.comment = _comment(kept, c.author or AUTHOR)


def _unique_title(wb) -> str:
    taken = {n.casefold() for n in wb.sheetnames}
    if SHEET_TITLE.casefold() not in taken:
        return SHEET_TITLE
    n = 2
    while f"{SHEET_TITLE}({n})".casefold() in taken:
        n += 1
    return f"{SHEET_TITLE}({n})"


def _table_name(f: Finding) -> str:
    return f.table_name or TABLE_NAMES.get(f.table or "", f.table or "")


def _group_key(f: Finding) -> tuple:
    """Severity first (错误, 警告, 提示), then the table, sheet and cell (Finding.sort_key without the file)."""
    return (_rank(f),) + f.sort_key()[1:]


def _profile_text(profile: Any) -> str:
    if profile is None or profile == "":
        return ""
    name, title = getattr(profile, "name", None), getattr(profile, "title", None)
    if name:
        return f"{title}（{name}）" if title and title != name else str(name)
    return str(profile)


def _title_lines(findings: list[Finding], *, file: str, unit: str, year: int | None, profile: Any,
                 notes: list[str]) -> list[tuple[str, str]]:
    """The title block under the sheet title: (kind, text) with kind "info", "counts", "note"."""
    first = [f"单位：{unit or '（未识别）'}", f"年度：{year if year else '（未识别）'}", f"文件：{file}"]
    second = []
    shown = _profile_text(profile)
    if shown:
        second.append(f"评分方案：{shown}")
    d = date.today()
    second += [f"审核日期：{d.year}年{d.month}月{d.day}日", f"由 gridbudget {_version()} 生成"]
    counts = summary_line(findings)
    done = sum(1 for f in findings if f.explained)
    if done:
        counts += f"（其中已说明 {done} 项）"
    lines = [("info", "　　".join(first)), ("info", "　　".join(second)), ("counts", counts)]
    if not findings:
        lines.append(("info", "未发现问题。"))
    else:
        lines.append(("info", "有问题的单元格已在原表中标注颜色并加批注；批注不打印，完整说明见下表“说明”列。"
                              "点击“单元格”列的链接可跳到该单元格。"))
        lines.append(("info", "不改数字而有正当理由的，请在最后一列“出错说明”（淡黄）写明原因，保存后交回本文件；"
                              "重新审核时该问题记为“已说明”。标明“" + NOT_EXPLAINABLE + "”的问题必须在原表中改正。"))
    lines.extend(("note", n) for n in notes)
    return lines


def _version() -> str:
    from .. import __version__

    return __version__


def _summary_sheet(wb, findings: list[Finding], targets: dict[int, _Target], notes: list[str], *,
                   file: str = "", unit: str = "", year: int | None = None, profile: Any = None):
    from openpyxl.styles import Alignment, Border, Protection, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.hyperlink import Hyperlink
    from openpyxl.worksheet.pagebreak import Break

    ws = wb.create_sheet(_unique_title(wb), 0)
    n = Counter(f.severity for f in findings)
    worst = next((s for s in (ERROR, WARNING, INFO) if n[s]), None)
    ncols = len(COLUMNS)
    last_letter = get_column_letter(ncols)

    # column widths: fixed for wrapped text, from the content for codes and sheet names
    content = {"规则代码": [f.code for f in findings], "工作表": [f.sheet or "" for f in findings]}
    widths: list[float] = []
    for col, (title, width) in enumerate(COLUMNS, start=1):
        if width is None:
            width = style.column_width(content[title] + [title], minimum=9, maximum=16)
        widths.append(width)
        ws.column_dimensions[get_column_letter(col)].width = width
    total_width = sum(widths)

    def whole_row(r: int, text: str, *, size: float = style.BODY_SIZE, bold: bool = False,
                  color: str | None = None, align: str = "left") -> None:
        c = ws.cell(row=r, column=1)
        _put_text(c, text)
        c.font = style.openpyxl_font(bold=bold, size=size, color=color)
        c.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        ws.row_dimensions[r].height = style.wrapped_row_height([(text, total_width)], size=size)

    # title block
    whole_row(1, SHEET_TITLE, size=style.TITLE_SIZE, bold=True, align="center")
    row = 2
    for kind, text in _title_lines(findings, file=file, unit=unit, year=year, profile=profile, notes=notes):
        if kind == "counts":
            whole_row(row, text, bold=True, color=TEXT_COLOURS[worst] if worst else None)
        else:
            whole_row(row, text)
        row += 1

    # legend: the finding colours on the left, the template's own fills on the right
    row = style.openpyxl_legend(ws, row, style.SEVERITY_LEGEND, slots=[(2, 3, 6), (8, 9, ncols)],
                                heading="图例（原表中有问题的单元格改涂其级别颜色，取代原来的底色）")

    # the table (the rows above it stay on screen: kept short)
    header = row + 1
    border = style.openpyxl_border("BFBFBF")
    for col, (title, _w) in enumerate(COLUMNS, start=1):
        c = ws.cell(row=header, column=col)
        _put_text(c, title)
        c.font = style.openpyxl_font(bold=True)
        c.fill = style.openpyxl_fill(style.HEADER_FILL)
        c.border = border
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[header].height = style.wrapped_row_height(
        [(title, w) for (title, _), w in zip(COLUMNS, widths)])

    wrap = Alignment(vertical="top", wrap_text=True)
    centre = Alignment(horizontal="center", vertical="top", wrap_text=True)
    link_font = style.openpyxl_font(color="0563C1")
    link_font.underline = "single"
    order = sorted(range(len(findings)), key=lambda i: _group_key(findings[i]))
    r = header
    seq = 0
    current = None
    headings: list[int] = []
    edge = Side(style="thin", color="BFBFBF")
    for i in order:
        f = findings[i]
        if f.severity != current:                   # a heading row per severity
            current = f.severity
            r += 1
            label = _label(f.severity)
            meaning = SEVERITY_MEANING.get(f.severity, "")
            heading = f"{label}　{n[f.severity]} 项" + (f"（{meaning}）" if meaning else "")
            c = ws.cell(row=r, column=1)
            _put_text(c, heading)
            c.font = style.openpyxl_font(bold=True, color=TEXT_COLOURS.get(f.severity))
            c.alignment = Alignment(vertical="center")      # overflows over the empty cells to its right
            for col in range(1, ncols + 1):                  # one band: no borders between its cells
                cell = ws.cell(row=r, column=col)
                cell.border = Border(top=edge, bottom=edge, left=edge if col == 1 else None,
                                     right=edge if col == ncols else None)
                if f.severity in FILLS:
                    cell.fill = style.openpyxl_fill(FILLS[f.severity])
            ws.row_dimensions[r].height = style.wrapped_row_height([(heading, total_width)])
            headings.append(r)
        seq += 1
        r += 1
        t = targets.get(i)
        has_values = f.expected is not None or f.found is not None
        note = f.message or ""
        if f.cell and t is None:
            note = (note + "（工作簿中未找到该单元格）").strip()
        values = [
            seq,
            _label(f.severity),
            f.code,
            f.title,
            f.kind,
            _table_name(f),
            f.sheet or "",
            (t.ref if t else (f.cell or "")),
            fmt_value(f.expected) if has_values else "",
            fmt_value(f.found) if has_values else "",
            note,
            (f.explanation or "") if f.explainable else NOT_EXPLAINABLE,
        ]
        for col, v in enumerate(values, start=1):
            c = ws.cell(row=r, column=col)
            if col == 1:
                c.value = v
            else:
                _put_text(c, v)
            c.border = border
            c.font = style.openpyxl_font()
            c.alignment = centre if col in (1, 2, 5, 8) else wrap
        answer = ws.cell(row=r, column=EXPLAIN_COLUMN)
        if f.explainable:
            answer.fill = style.openpyxl_fill(style.INPUT_FILL)
            answer.protection = Protection(locked=False)
        else:
            answer.fill = style.openpyxl_fill(style.BLANK_FILL)
            answer.font = style.openpyxl_font(color="7F7F7F")
        ws.row_dimensions[r].height = style.wrapped_row_height(
            [(v, w) for v, w in zip(values, widths) if isinstance(v, str)])
        sev = ws.cell(row=r, column=2)
        if f.severity in TEXT_COLOURS:
            sev.font = style.openpyxl_font(bold=True, color=TEXT_COLOURS[f.severity])
            sev.fill = style.openpyxl_fill(FILLS[f.severity])
        if t is not None:
            c = ws.cell(row=r, column=8)
            c.hyperlink = Hyperlink(ref=c.coordinate, location=internal_link(t.ws.title, t.ref),
                                    tooltip=f"跳转到 {t.ws.title}!{t.ref}", display=t.ref)
            c.font = link_font
    last = max(r, header)
    ws.freeze_panes = ws.cell(row=header + 1, column=1).coordinate
    ws.auto_filter.ref = f"A{header}:{last_letter}{last}"
    # protected without a password: only the 出错说明 cells take input; filtering and widths still work
    ws.protection.sheet = True
    ws.protection.autoFilter = False
    ws.protection.sort = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    style.openpyxl_page(ws, header_row=header, title=SHEET_TITLE)
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    # a severity heading never ends a printed page, whatever the program and its fonts: it goes
    # over to the next page with its first finding (the table header is printed above it)
    heights = {i: d.height for i, d in ws.row_dimensions.items() if d.height}
    for b in style.keep_with_next_breaks(heights, last, capacities=style.openpyxl_capacities(ws, widths, samples=15),
                                         repeated=heights.get(header, 15.0), keep=headings):
        ws.row_breaks.append(Break(id=b - 1))
    ws.sheet_properties.tabColor = "FF" + (FILLS[worst] if worst else "70AD47")
    return ws


# --------------------------------------------------------------------------- entry point


def annotate(src: str | Path, findings: list[Finding], dst: str | Path, *, kind: str | None = None,
             unit: str | None = None, year: int | None = None, profile: Any = None) -> Path:
    """Write the annotated copy of workbook ``src`` to ``dst``; return the path written.

    See the module docstring. ``src`` is never modified; ``dst`` is written atomically
    and is refused (ValueError) when it names ``src``. The path returned differs from
    ``dst`` only in its suffix: ``.xlsm`` for a macro workbook, ``.xlsx`` otherwise
    (an .xls/.et/.ods/.xlsb input is converted to .xlsx by LibreOffice first when it is
    available, else a ValueError asks for an .xlsx saved from Excel/WPS).

    ``unit``, ``year`` and ``profile`` (a scoring profile or its name) go into the title
    block of 审核结果; unit and year are read from ``src`` when not given, the profile
    line is left out when it is not given.
    """
    copy = open_copy(src, dst, purpose="审核副本", kind=kind)     # kind: src was already read by the caller
    findings = list(findings)
    _remove_previous(copy.wb)
    if unit is None or year is None:
        got_unit, got_year = _unit_year(src)
        unit = got_unit if unit is None else unit
        year = got_year if year is None else year
    targets = _annotate_cells(copy.wb, findings)
    ws = _summary_sheet(copy.wb, findings, targets, copy.notes, file=Path(src).name, unit=unit, year=year,
                        profile=profile)
    activate(copy.wb, ws)
    return save_copy(copy)


def _unit_year(src: str | Path) -> tuple[str, int | None]:
    """The unit and year the workbook declares, for the title block ("" / None when unreadable)."""
    from ..read.tables import read_submission

    try:
        sub = read_submission(src)
    except Exception:  # noqa: BLE001 - the title block does without them
        return "", None
    return sub.unit or "", sub.year
