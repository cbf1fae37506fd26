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


# ---------------------------------------------------------------------------
# Additions: wrapping as a spreadsheet wraps, openpyxl borders and legends
# ---------------------------------------------------------------------------

#: A line never starts with these (they stay with the character before them) ...
NO_LINE_START = set("，。、；：？！）》」』】〕”’,.;:?!)]}%％…·")
#: ... and never ends with these (they stay with the character after them).
NO_LINE_END = set("（《「『【〔“‘([{")


def _break_tokens(line: str) -> list[str]:
    """Pieces a line may be broken between: one CJK character each, a Latin word or number
    (a break may follow a hyphen, slash or space), punctuation kept with its neighbour."""
    tokens: list[str] = []
    glue = False                          # the previous token ends with opening punctuation
    for ch in line:
        wide = char_units(ch) == 2
        if tokens and (glue or ch in NO_LINE_START):
            tokens[-1] += ch
        elif not wide and tokens and char_units(tokens[-1][-1]) == 1 and tokens[-1][-1] not in " -/":
            tokens[-1] += ch              # continue a Latin word or number
        else:
            tokens.append(ch)
        glue = ch in NO_LINE_END
    return tokens


def wrapped_lines(text: Any, width: float) -> int:
    """Lines ``text`` takes in a column ``width`` units wide when wrapped as Excel and LibreOffice
    wrap: words and numbers are not split unless longer than a line, no line starts with closing
    punctuation. Never fewer than :func:`lines_needed`."""
    if text is None or text == "":
        return 1
    usable = max(1.0, width - 1.0)
    total = 0
    for part in str(text).split("\n"):
        lines, used = 1, 0.0
        for tok in _break_tokens(part):
            units = sum(char_units(ch) for ch in tok)
            if used + units <= usable or (tok.strip() == "" and used > 0):
                used += units
                continue
            if used > 0:
                lines += 1
                used = 0.0
            while units > usable:            # a piece longer than a line is cut anywhere
                lines += 1
                units -= usable
            used = units
        total += lines
    return max(total, lines_needed(text, width))


def wrapped_row_height(cells: Iterable[tuple[Any, float]], size: float = BODY_SIZE) -> float:
    """Row height in points showing every (text, column width) of a row whole, wrapped as
    :func:`wrapped_lines` wraps (at least :func:`row_height`)."""
    cells = list(cells)
    lines = max((wrapped_lines(t, w) for t, w in cells), default=1)
    return max(row_height(cells, size), round(lines * LINE_HEIGHT * size / BODY_SIZE + ROW_PADDING, 1))


def openpyxl_border(color: str = "999999", weight: str = "thin"):
    """A box border on all four sides."""
    from openpyxl.styles import Border, Side

    side = Side(style=weight, color=color)
    return Border(left=side, right=side, top=side, bottom=side)


def openpyxl_legend(ws, row: int, items: Iterable[tuple[str, str]], *, slots: Iterable[tuple[int, int, int]],
                    heading: str = "图例") -> int:
    """A legend block on an openpyxl sheet from ``row``: a heading, then per (fill hex, meaning) a
    filled swatch cell and the meaning (wrapped, merged over its columns, the row as tall as
    its text). ``slots``: (swatch column, first and last text column) side by side; the items
    fill the first slot top-down, then the next. Returns the first row after the block."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    def width(c: int) -> float:
        return ws.column_dimensions[get_column_letter(c)].width or 8.43

    items, slots = list(items), list(slots)
    head = ws.cell(row, slots[0][0], heading)
    head.font = openpyxl_font(bold=True)
    head.alignment = Alignment(vertical="center")
    row += 1
    rows = math.ceil(len(items) / len(slots)) if items else 0
    texts: dict[int, list[tuple[str, float]]] = {}
    for k, (fill, meaning) in enumerate(items):
        swatch_col, first, last = slots[k // rows]
        r = row + k % rows
        sw = ws.cell(r, swatch_col)
        sw.fill = openpyxl_fill(fill)
        sw.border = openpyxl_border()
        cell = ws.cell(r, first, meaning)
        cell.font = openpyxl_font()
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        if last > first:
            ws.merge_cells(start_row=r, start_column=first, end_row=r, end_column=last)
        texts.setdefault(r, []).append((meaning, sum(width(c) for c in range(first, last + 1))))
    for r, cells in texts.items():
        ws.row_dimensions[r].height = wrapped_row_height(cells)
    return row + rows


#: Pixel widths of a column unit (the digit "0" of a workbook's default font): Calibri 11 in
#: Excel and WPS (7 px), and LibreOffice without Carlito, measured from its PDF at about
#: 7.75 px. Page breaks are planned for both.
DIGIT_PX = (7.0, 8.0)


def page_capacity(widths: Iterable[float], *, landscape: bool = True, margins_mm: float = 2 * 25.4,
                  digit_px: float = 7.0) -> float:
    """Points of row height (as written, before scaling) one printed A4 page holds when a sheet
    with these column widths is fitted to one page wide (top + bottom margins ``margins_mm``),
    a column unit being ``digit_px`` pixels wide (plus 5 px per column)."""
    width_mm = sum((w * digit_px + 5) * 25.4 / 96 for w in widths)
    printable = (297 - 2 * 12) if landscape else (210 - 2 * 12)
    scale = min(1.0, printable / width_mm) if width_mm else 1.0
    page_mm = (210 if landscape else 297) - margins_mm
    return 0.97 * page_mm * 72 / 25.4 / scale                  # a little slack: never overfill


def keep_with_next_breaks(heights: dict[int, float], last_row: int, *, capacities: Iterable[float],
                          repeated: float, keep: Iterable[int] = (),
                          blocks: Iterable[tuple[int, int]] = ()) -> list[int]:
    """Rows before which to break the page so that no row of ``keep`` (a heading) ends a page
    without the row after it (consecutive headings go over together), and no block of rows
    (first, last) -- a table, a group merged down its rows -- is split when it may fit on a
    page of its own; whichever of ``capacities`` (points per page, e.g. one per :data:`DIGIT_PX`)
    the reader's program gives. ``heights``: row -> points (15 when absent); ``repeated``: the
    height of the rows printed again at the top of every further page."""
    keep = set(keep)
    caps = list(capacities)
    room = max(caps) - repeated if caps else 0.0            # what a fresh page may hold

    def height(a: int, b: int) -> float:
        return sum(heights.get(x, 15.0) for x in range(a, b + 1))

    starts: dict[int, float] = {}
    for a, b in blocks:
        if a <= b and height(a, b) <= room:
            starts[a] = max(starts.get(a, 0.0), height(a, b))
    breaks: list[int] = []
    used = [0.0] * len(caps)
    for r in range(1, last_row + 1):
        h = heights.get(r, 15.0)
        need = max(h, starts.get(r, 0.0))
        if r in keep:            # the heading, the headings right after it, one more row (or block)
            nxt = r + 1
            while nxt in keep and nxt < last_row:
                nxt += 1
            nxt = min(nxt, last_row)
            need = max(need, height(r, nxt - 1) + max(heights.get(nxt, 15.0), starts.get(nxt, 0.0)))
        if need > h and any(u > repeated and u + h <= cap < u + need for u, cap in zip(used, caps)):
            breaks.append(r)                                   # it would be split or left alone
            used = [repeated] * len(caps)
        for i, cap in enumerate(caps):
            if used[i] > repeated and used[i] + h > cap:       # the program breaks here by itself
                used[i] = repeated
            used[i] += h
    return breaks


def openpyxl_capacities(ws, widths: Iterable[float], *, samples: int = 1) -> list[float]:
    """:func:`page_capacity` of an openpyxl sheet with its own margins and orientation: one per
    :data:`DIGIT_PX`, or with ``samples`` > 1 that many spread evenly from 5 % below the
    smallest to 5 % above the largest (the page a program really fills lies somewhere in there;
    planning breaks for all of them keeps a heading off every possible page end)."""
    widths = list(widths)
    margins = ((ws.page_margins.top or 1.0) + (ws.page_margins.bottom or 1.0)) * 25.4
    landscape = ws.page_setup.orientation != "portrait"
    caps = [page_capacity(widths, landscape=landscape, margins_mm=margins, digit_px=px) for px in DIGIT_PX]
    if samples <= 1:
        return caps
    lo, hi = 0.95 * min(caps), 1.05 * max(caps)
    return [lo + (hi - lo) * i / (samples - 1) for i in range(samples)]
