"""Shared print and style rules for every sheet gridbudget writes or adds.

One font family, one palette (the template's input/formula/grey fills and the finding
colours, chosen so they cannot be confused), text width with CJK characters counted as
two columns, row heights from wrapped text, and the A4 page set-up. Both writers use it:
xlsxwriter (template, summary) through :func:`xlsxwriter_format` and
:func:`xlsxwriter_page`, openpyxl (annotated and scored copies) through
:func:`openpyxl_font`, :func:`openpyxl_fill` and :func:`openpyxl_page`.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any, Iterable

# ---------------------------------------------------------------------------
# Font and sizes
# ---------------------------------------------------------------------------

FONT = "宋体"              # one CJK family on every sheet (LibreOffice substitutes a CJK font)
BODY_SIZE = 10             # points; the smallest size a sheet is written in
TITLE_SIZE = 14
LINE_HEIGHT = 13.5         # points per line of 10-point text (Excel's default row is 13.5 / 15)
ROW_PADDING = 3.0          # points above and below wrapped text
MIN_PRINT_SCALE = 60       # percent: a printed sheet is never shrunk below this

# ---------------------------------------------------------------------------
# Palette: template fills and finding colours (hex RGB without '#')
# ---------------------------------------------------------------------------

INPUT_FILL = "FFF9DB"      # pale yellow: a person types here (template)
FORMULA_FILL = "E3EEF9"    # pale blue: computed and locked (template)
BLANK_FILL = "EDEDED"      # grey: not to be filled (template)
HEADER_FILL = "D9D9D9"     # table headers of added sheets
SUBTOTAL_FILL = "F2F2F2"

# Finding colours: a saturated hue each, far from the template's pale yellow/blue/grey,
# so a flagged input cell never looks locked and a flagged formula cell never looks clean.
SEVERITY_FILL = {"error": "FF9999", "warning": "FFC000", "info": "B4A7D6"}     # red, amber, lavender
SEVERITY_FONT = {"error": "9C0006", "warning": "7F4F00", "info": "3F3151"}
SEVERITY_NAMES = {"error": "错误", "warning": "警告", "info": "提示"}

# Summary colours (each meaning stated in a legend where used)
GOOD_FILL, GOOD_FONT = "C6EFCE", "006100"          # e.g. 等级 优 / 良
BAD_FILL, BAD_FONT = "FFC7CE", "9C0006"            # e.g. 差, errors, a recomputed total far from the unit's
MARK_FILL, MARK_FONT = "FFEB9C", "9C5700"          # e.g. marked: duplicate submission, weights not 100


def legend_rows(items: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(fill hex, meaning) pairs as shown in a legend block; kept as data for both writers."""
    return list(items)


SEVERITY_LEGEND = [(SEVERITY_FILL[s], f"{SEVERITY_NAMES[s]}：" + m) for s, m in (
    ("error", "数字或逻辑不可能正确，必须改正"),
    ("warning", "很可能有误或缺少说明，请核对或说明原因"),
    ("info", "提醒注意，不一定有误"),
)] + [(INPUT_FILL, "模板中的填写单元格（淡黄）"), (FORMULA_FILL, "模板中的公式单元格（淡蓝，已锁定）")]

# ---------------------------------------------------------------------------
# Text measure
# ---------------------------------------------------------------------------


def char_units(ch: str) -> int:
    """Width of one character in Excel column units: CJK and full-width characters are two."""
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def text_units(text: Any) -> int:
    """Width of the longest line of ``text`` in column units."""
    if text is None:
        return 0
    return max((sum(char_units(ch) for ch in line) for line in str(text).split("\n")), default=0)


def lines_needed(text: Any, width: float) -> int:
    """Lines ``text`` takes when wrapped in a column ``width`` units wide (CJK = 2 units)."""
    if text is None or text == "":
        return 1
    usable = max(1.0, width - 1.0)           # the cell's own padding
    lines = 0
    for part in str(text).split("\n"):
        units = sum(char_units(ch) for ch in part)
        lines += max(1, math.ceil(units / usable))
    return lines


def row_height(cells: Iterable[tuple[Any, float]], size: float = BODY_SIZE) -> float:
    """Row height in points showing every (text, column width) of a row whole."""
    lines = max((lines_needed(t, w) for t, w in cells), default=1)
    return round(lines * LINE_HEIGHT * size / BODY_SIZE + ROW_PADDING, 1)


def column_width(values: Iterable[Any], *, minimum: float = 6, maximum: float = 60) -> float:
    """A column width (units) from its content: the longest value, within bounds."""
    return float(min(maximum, max(minimum, max((text_units(v) for v in values), default=0) + 2)))


def print_scale(widths: Iterable[float], *, landscape: bool = True) -> int:
    """The scale (percent) at which columns of these widths fit one A4 page wide."""
    printable = (297 - 2 * 12) if landscape else (210 - 2 * 12)        # mm, 12 mm side margins
    mm = sum(widths) * 2.0                                            # ~2 mm per unit at 100 %
    return 100 if mm <= printable else int(100 * printable / mm)


# ---------------------------------------------------------------------------
# xlsxwriter
# ---------------------------------------------------------------------------


def xlsxwriter_format(wb, **props):
    """A format in the shared font (other properties as xlsxwriter takes them)."""
    base = {"font_name": FONT, "font_size": BODY_SIZE, "valign": "vcenter"}
    base.update(props)
    return wb.add_format(base)


def xlsxwriter_page(ws, *, header_rows: tuple[int, int] | None = None, landscape: bool = True,
                    title: str = "") -> None:
    """A4, fit to one page wide, repeated header rows, page numbers in the footer."""
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.47, right=0.47, top=0.6, bottom=0.6)
    if header_rows is not None:
        ws.repeat_rows(*header_rows)
    ws.set_footer(f"&C{title + '  ' if title else ''}第 &P 页，共 &N 页")


# ---------------------------------------------------------------------------
# openpyxl
# ---------------------------------------------------------------------------


def openpyxl_font(*, bold: bool = False, size: float = BODY_SIZE, color: str | None = None):
    from openpyxl.styles import Font

    return Font(name=FONT, bold=bold, size=size, color=color)


def openpyxl_fill(rgb: str):
    from openpyxl.styles import PatternFill

    return PatternFill("solid", start_color=rgb, end_color=rgb)


def openpyxl_page(ws, *, header_row: int | None = None, landscape: bool = True, title: str = "") -> None:
    """A4, fit to one page wide, repeated header row, page numbers in the footer."""
    if header_row is not None:
        ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.47
    ws.oddFooter.center.text = f"{title + '  ' if title else ''}第 &P 页，共 &N 页"
