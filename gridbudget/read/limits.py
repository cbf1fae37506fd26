"""Limits on the work one file may cause, checked before the work is done.

The OOXML fast path stores only the cells that exist, so a far-away cell costs nothing.
python-calamine (.xls, WPS .et, .ods, and the OOXML fallback) allocates the whole used
range of every sheet at once: one cell at IV65536 of a 5 KB .xls, or one row repeated
65,536 × 1,024 times in an 804-byte .ods, asks for gigabytes. So before calamine sees a
file, its used range is measured from the file itself (BIFF cell records, the ODS row
and column repeats, the OOXML cell references) and a file over :data:`MAX_RANGE_CELLS`
in one sheet is refused with a Chinese message naming the sheet.
"""

from __future__ import annotations

import io
import re
import struct

from .safety import _err

# The used range (rows × columns) calamine may allocate for one sheet. A self-evaluation
# table uses a few thousand cells; a whole 决算 data sheet of 50,000 rows × 40 columns fits.
MAX_RANGE_CELLS = 2_000_000
# The OOXML fast path: a worksheet part larger than this is not parsed (its tree would
# take several times its size in memory); the sheet is skipped and reported.
MAX_SHEET_XML = 10 * 2**20
# Cells kept for one workbook on any path.
MAX_CELLS = 500_000


def _too_big(file: str, name: str, sheet: str, rows: int, cols: int):
    return _err("too_large", file, name,
                f"（工作表“{sheet}”的使用区域达 {rows:,} 行 × {cols:,} 列，超过 {MAX_RANGE_CELLS:,} 个单元格）")


# ---------------------------------------------------------------------------
# BIFF (.xls, .et): cell records of each sheet substream
# ---------------------------------------------------------------------------

_BOF, _EOF, _BOUNDSHEET = 0x0809, 0x000A, 0x0085
_CELL_RECORDS = {0x0006, 0x0201, 0x0203, 0x0204, 0x0205, 0x00FD, 0x027E, 0x00D6,
                 0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0406}       # BIFF8 and BIFF2-5 forms
_MULTI_RECORDS = {0x00BD, 0x00BE}                                      # MULRK, MULBLANK


def check_biff(stream: bytes, file: str, name: str) -> None:
    """Refuse a BIFF workbook stream whose sheet's used range exceeds the limit."""
    names: dict[int, str] = {}
    n = len(stream)
    pos = 0
    sheet_start = None
    rmin = cmin = 1 << 30
    rmax = cmax = -1
    unpack = struct.unpack_from
    cells = 0
    while pos + 4 <= n:
        typ, length = unpack("<HH", stream, pos)
        body = pos + 4
        if typ == _BOUNDSHEET and length >= 8:
            off = unpack("<I", stream, body)[0]
            cch = stream[body + 6]
            flags = stream[body + 7] if length > 7 else 0
            raw = stream[body + 8: body + 8 + (cch * 2 if flags & 1 else cch)]
            names[off] = raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace")
        elif typ == _BOF:
            sheet_start = pos
            rmin = cmin = 1 << 30
            rmax = cmax = -1
        elif typ == _EOF:
            if rmax >= 0:
                rows, cols = rmax - rmin + 1, cmax - cmin + 1
                if rows * cols > MAX_RANGE_CELLS:
                    raise _too_big(file, name, names.get(sheet_start or 0, "?"), rows, cols)
        elif typ in _CELL_RECORDS and length >= 4:
            r, c = unpack("<HH", stream, body)
            cells += 1
            rmin, rmax = min(rmin, r), max(rmax, r)
            cmin, cmax = min(cmin, c), max(cmax, c)
        elif typ in _MULTI_RECORDS and length >= 6:
            r, c1 = unpack("<HH", stream, body)
            c2 = unpack("<H", stream, body + length - 2)[0]
            cells += max(0, c2 - c1 + 1)
            rmin, rmax = min(rmin, r), max(rmax, r)
            cmin, cmax = min(cmin, c1), max(cmax, c2)
        pos = body + length
    if cells > MAX_CELLS:
        raise _err("too_large", file, name, f"（共 {cells:,} 个单元格，超过 {MAX_CELLS:,} 个）")


# ---------------------------------------------------------------------------
# OpenDocument (.ods): rows and columns repeated
# ---------------------------------------------------------------------------

_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_T_TABLE, _T_ROW = f"{{{_TABLE_NS}}}table", f"{{{_TABLE_NS}}}table-row"
_A_NAME = f"{{{_TABLE_NS}}}name"
_A_ROWS = f"{{{_TABLE_NS}}}number-rows-repeated"
_A_COLS = f"{{{_TABLE_NS}}}number-columns-repeated"
_A_TYPE = f"{{{_OFFICE_NS}}}value-type"


def _repeat(el, attr: str) -> int:
    try:
        return max(1, int(el.get(attr) or 1))
    except ValueError:
        return 1


def check_ods(content: bytes, file: str, name: str) -> None:
    """Refuse an ODS whose table's used range (repeats expanded) exceeds the limit."""
    from lxml import etree

    try:
        events = etree.iterparse(io.BytesIO(content), events=("start", "end"), tag=(_T_TABLE, _T_ROW),
                                 resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        sheet, row, max_r, max_c, cells = "", 0, 0, 0, 0
        for ev, el in events:
            if el.tag == _T_TABLE:
                if ev == "start":
                    sheet, row, max_r, max_c = el.get(_A_NAME) or "?", 0, 0, 0
                elif max_r * max_c > MAX_RANGE_CELLS:
                    raise _too_big(file, name, sheet, max_r, max_c)
                continue
            if ev != "end":
                continue
            rep = _repeat(el, _A_ROWS)
            col = last = filled = 0
            for cell in el:
                crep = _repeat(cell, _A_COLS)
                if cell.get(_A_TYPE) is not None or len(cell):
                    last = col + crep
                    filled += crep
                col += crep
            if last:
                max_r, max_c = row + rep, max(max_c, last)
                cells += filled * rep
                if cells > MAX_CELLS or max_r * max_c > MAX_RANGE_CELLS:
                    raise _too_big(file, name, sheet, max_r, max_c)
            row += rep
            el.clear()
    except etree.XMLSyntaxError:
        raise _err("corrupt", file, name, "（部件 content.xml 的 XML 内容无效）") from None


# ---------------------------------------------------------------------------
# OOXML (only for the calamine fallback): cell references in each worksheet part
# ---------------------------------------------------------------------------

_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="\$?([A-Z]{1,3})\$?([0-9]{1,7})"')


def check_ooxml_sheet(raw: bytes, file: str, name: str, sheet: str) -> None:
    """Refuse a worksheet part whose cell references span more than the limit."""
    rmin = cmin = 1 << 30
    rmax = cmax = -1
    for m in _REF.finditer(raw):
        letters, digits = m.group(1), m.group(2)
        c = 0
        for ch in letters:
            c = c * 26 + ch - 64
        r = int(digits)
        rmin, rmax = min(rmin, r), max(rmax, r)
        cmin, cmax = min(cmin, c), max(cmax, c)
    if rmax >= 0 and (rmax - rmin + 1) * (cmax - cmin + 1) > MAX_RANGE_CELLS:
        raise _too_big(file, name, sheet, rmax - rmin + 1, cmax - cmin + 1)
