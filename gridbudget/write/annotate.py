"""The annotated copy: the user's workbook with 批注, fills and a 审核结果 sheet.

``annotate(src, findings, dst)`` writes a copy of workbook ``src`` to ``dst`` in which

* every finding that names a sheet and a cell puts a comment (批注, author
  ``gridbudget``) on that cell, e.g. ``【错误】V-EXEC-RATE 执行率计算有误：应为 99.13%，实为
  98.00%``. Several findings on one cell share one comment, most severe first. A
  comment the user already had is kept (with its author) and ours is appended below it.
  A cell inside a merged range is annotated on the range's top-left cell (the cell that
  shows the content);
* that cell's fill shows its most severe finding (错误 light red ``#FFC7CE``, 警告 light
  orange ``#FFEB9C``, 提示 light blue ``#DDEBF7``). Only the fill changes: font, border,
  number format, alignment and protection (locked/hidden) stay as they were;
* a new first sheet ``审核结果`` (the active sheet when the copy is opened) lists every
  finding: 序号, 级别, 规则代码, 规则名称, 类别, 表, 工作表, 单元格, 应为, 实为, 说明, below a
  line of counts (错误 N 项，警告 N 项，提示 N 项) or 未发现问题. The header row is bold,
  frozen and filtered; the 单元格 entry is an internal hyperlink (``'工作表'!H4``) that
  jumps to the cell in Excel, WPS and LibreOffice. Every text from a finding is written
  as text, never as a formula (a message starting with ``=`` stays text). When a sheet
  called 审核结果 already exists (a copy annotated before) ours is called 审核结果(2) ...

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

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from ..check.findings import (
    ERROR,
    INFO,
    SEVERITY_LABELS,
    SEVERITY_RANK,
    WARNING,
    Finding,
    fmt_value,
)
from .wbcopy import activate, copy_losses, open_copy, print_landscape, save_copy

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

#: Cell fill (RGB) by severity.
FILLS = {ERROR: "FFC7CE", WARNING: "FFEB9C", INFO: "DDEBF7"}
#: Text colour of the 级别 column by severity (Excel's "bad / neutral" dark tones).
TEXT_COLOURS = {ERROR: "9C0006", WARNING: "9C5700", INFO: "1F4E79"}

#: (header, column width) of the 审核结果 table.
COLUMNS = (
    ("序号", 6),
    ("级别", 7),
    ("规则代码", 24),
    ("规则名称", 22),
    ("类别", 8),
    ("表", 18),
    ("工作表", 16),
    ("单元格", 9),
    ("应为", 14),
    ("实为", 14),
    ("说明", 60),
)

TABLE_NAMES = {"basic": "基础数据表", "overall": "整体支出自评表", "project": "项目支出自评表"}




# --------------------------------------------------------------------------- small public helpers


def _rank(f: Finding) -> int:
    return SEVERITY_RANK.get(f.severity, 9)


def _label(severity: str) -> str:
    return SEVERITY_LABELS.get(severity, severity or "")


def comment_text(findings: Iterable[Finding]) -> str:
    """The text of our comment for the findings of one cell, most severe first."""
    lines = []
    for f in sorted(findings, key=_rank):
        lines.append(f"【{_label(f.severity)}】{f.code} {f.message}".rstrip())
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


def _text_width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _comment(text: str, author: str):
    from openpyxl.comments import Comment

    width = 320  # px
    per_line = 46  # half-width characters per line at that width
    lines = sum(max(1, math.ceil(_text_width(p) / per_line)) for p in text.split("\n"))
    height = min(480, max(60, 17 * lines + 14))
    return Comment(text, author, height=height, width=width)


def _solid(rgb: str):
    from openpyxl.styles import PatternFill

    return PatternFill(fill_type="solid", fgColor="FF" + rgb, bgColor="FF" + rgb)


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
            cell.fill = _solid(FILLS[worst])  # only the fill id of the cell's style changes
    return targets


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


def _summary_sheet(wb, findings: list[Finding], targets: dict[int, _Target], notes: list[str]):
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.hyperlink import Hyperlink

    ws = wb.create_sheet(_unique_title(wb), 0)
    n = Counter(f.severity for f in findings)
    top = ws.cell(row=1, column=1)
    _put_text(top, summary_line(findings))
    top.font = Font(bold=True, size=12, color=TEXT_COLOURS[ERROR] if n[ERROR] else None)
    lines: list[str] = []
    if not findings:
        lines.append("未发现问题。")
    else:
        lines.append("问题单元格已在原表中标注底色和批注；点击“单元格”列的链接可跳转到该单元格。")
    lines.extend(notes)
    row = 2
    for text in lines:
        _put_text(ws.cell(row=row, column=1), text)
        row += 1
    header = row + 1 if notes else row
    thin = Side(style="thin", color="FFBFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill(fill_type="solid", fgColor="FFD9D9D9", bgColor="FFD9D9D9")
    for col, (title, width) in enumerate(COLUMNS, start=1):
        c = ws.cell(row=header, column=col)
        _put_text(c, title)
        c.font = Font(bold=True)
        c.fill = head_fill
        c.border = border
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width

    wrap = Alignment(vertical="top", wrap_text=True)
    centre = Alignment(horizontal="center", vertical="top", wrap_text=True)
    link_font = Font(color="FF0563C1", underline="single")
    order = sorted(range(len(findings)), key=lambda i: findings[i].sort_key())
    r = header
    for seq, i in enumerate(order, start=1):
        f = findings[i]
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
        ]
        for col, v in enumerate(values, start=1):
            c = ws.cell(row=r, column=col)
            if col == 1:
                c.value = v
            else:
                _put_text(c, v)
            c.border = border
            c.alignment = centre if col in (1, 2, 5, 8) else wrap
        sev = ws.cell(row=r, column=2)
        if f.severity in TEXT_COLOURS:
            sev.font = Font(bold=True, color="FF" + TEXT_COLOURS[f.severity])
            sev.fill = _solid(FILLS[f.severity])
        if t is not None:
            c = ws.cell(row=r, column=8)
            c.hyperlink = Hyperlink(ref=c.coordinate, location=internal_link(t.ws.title, t.ref),
                                    tooltip=f"跳转到 {t.ws.title}!{t.ref}", display=t.ref)
            c.font = link_font
    last = max(r, header)
    ws.freeze_panes = ws.cell(row=header + 1, column=1).coordinate
    ws.auto_filter.ref = f"A{header}:{get_column_letter(len(COLUMNS))}{last}"
    print_landscape(ws, header)
    ws.sheet_properties.tabColor = "FF" + (TEXT_COLOURS[ERROR] if n[ERROR] else
                                           "FFC000" if n[WARNING] else "70AD47")
    return ws


# --------------------------------------------------------------------------- entry point


def annotate(src: str | Path, findings: list[Finding], dst: str | Path, *, kind: str | None = None) -> Path:
    """Write the annotated copy of workbook ``src`` to ``dst``; return the path written.

    See the module docstring. ``src`` is never modified; ``dst`` is written atomically
    and is refused (ValueError) when it names ``src``. The path returned differs from
    ``dst`` only in its suffix: ``.xlsm`` for a macro workbook, ``.xlsx`` otherwise
    (an .xls/.et/.ods/.xlsb input is converted to .xlsx by LibreOffice first when it is
    available, else a ValueError asks for an .xlsx saved from Excel/WPS).
    """
    copy = open_copy(src, dst, purpose="审核副本", kind=kind)     # kind: src was already read by the caller
    findings = list(findings)
    targets = _annotate_cells(copy.wb, findings)
    ws = _summary_sheet(copy.wb, findings, targets, copy.notes)
    activate(copy.wb, ws)
    return save_copy(copy)
