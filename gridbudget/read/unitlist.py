"""The units list of ``summarize --units``: which 主管部门 each unit belongs to.

A list is a table with a 单位 column and a 主管部门 column, as people keep it: a CSV or text
file saved by Excel or WPS on Chinese Windows (GBK/GB18030), UTF-8 with or without BOM,
Excel's "Unicode text" (UTF-16, tab separated), separated by commas, semicolons or tabs;
or an .xlsx/.xls workbook (first visible sheet, read with :func:`gridbudget.read.book.open_book`).
A title row above the header is fine; other columns (单位编码 …) are ignored.

:func:`load_units` returns a :class:`UnitList`, a callable giving a unit's 主管部门 ('' when
the unit is not listed), matched on normalised names (:func:`gridbudget.read.tables.norm`).
A list that cannot be used is a configuration mistake: :class:`~gridbudget.errors.UsageError`
(exit code 3) with a Chinese message naming the file.
"""

from __future__ import annotations

import codecs
import csv
import os
import stat
from typing import Iterable, Iterator

from ..errors import UsageError
from .safety import _OLE_MAGIC, _ZIP_MAGIC
from .tables import norm

MAX_BYTES = 20 * 2**20
MAX_ROWS = 100_000
HEADER_SEARCH_ROWS = 10       # the header may sit below a title row or two

UNIT_HEADERS = ("单位", "单位名称", "预算单位", "预算单位名称", "单位全称", "unit", "unitname")
DEPARTMENT_HEADERS = ("主管部门", "主管部门名称", "部门", "主管单位", "department", "dept")
_SEPARATORS = (",", "\t", ";", "，", "；")
_HINT = "单位名单应有“单位”和“主管部门”两列（第一行为表头），可以是 CSV、文本或 Excel 工作簿。"


class UnitList:
    """Unit name -> 主管部门, matched on normalised names. Picklable (a plain mapping)."""

    __slots__ = ("file", "mapping")

    def __init__(self, mapping: dict[str, str], file: str = ""):
        self.mapping = mapping
        self.file = file

    def __call__(self, unit: str | None) -> str:
        return self.mapping.get(norm(unit), "") if unit else ""

    def __len__(self) -> int:
        return len(self.mapping)


def load_units(path: str | os.PathLike) -> UnitList:
    """Read a units list (单位, 主管部门) from a CSV/text file or a workbook.

    Raises :class:`~gridbudget.errors.UsageError` naming the file when it is missing, a
    folder, empty, over 20 MB, has more than 100,000 rows, cannot be decoded or has no
    recognisable 单位 or 主管部门 column.
    """
    file = os.fspath(path)
    name = file
    data = _read(file, name)
    if data[:4] == _ZIP_MAGIC or data[:8] == _OLE_MAGIC:
        rows: Iterable[list[str]] = _book_rows(file, name, data)
    else:
        rows = _text_rows(_decode(data, name), name)
    return UnitList(_mapping(rows, name), file)


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------
def _read(file: str, name: str) -> bytes:
    try:
        st = os.stat(file)
    except FileNotFoundError:
        raise UsageError(f"找不到单位名单 {name}：请检查 --units 的文件路径。") from None
    except OSError as exc:
        raise UsageError(f"无法打开单位名单 {name}（{exc.strerror or '无法访问'}）。") from None
    if stat.S_ISDIR(st.st_mode):
        raise UsageError(f"单位名单 {name} 是一个文件夹，不是文件：--units 应指定一个 CSV 或 Excel 文件。")
    if st.st_size > MAX_BYTES:
        raise UsageError(f"单位名单 {name} 太大（{st.st_size / 2**20:.0f} MB），超过 {MAX_BYTES // 2**20} MB 的上限："
                         "请只保留“单位”“主管部门”两列。")
    try:
        with open(file, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise UsageError(f"找不到单位名单 {name}：请检查 --units 的文件路径。") from None
    except IsADirectoryError:
        raise UsageError(f"单位名单 {name} 是一个文件夹，不是文件：--units 应指定一个 CSV 或 Excel 文件。") from None
    except OSError as exc:
        raise UsageError(f"无法读取单位名单 {name}（{exc.strerror or '读取失败'}）。") from None
    if len(data) > MAX_BYTES:
        raise UsageError(f"单位名单 {name} 太大，超过 {MAX_BYTES // 2**20} MB 的上限：请只保留“单位”“主管部门”两列。")
    if not data.strip(b" \t\r\n\xef\xbb\xbf\xff\xfe\x00"):
        raise UsageError(f"单位名单 {name} 是空文件：{_HINT}")
    return data


def _decode(data: bytes, name: str) -> str:
    """UTF-8 (BOM or not), UTF-16 (BOM, or the NUL pattern of Excel's "Unicode text"), GB18030/GBK."""
    if data.startswith(codecs.BOM_UTF8):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    elif b"\x00" in data[:4096]:
        head = data[:4096]
        even, odd = head[0::2].count(0), head[1::2].count(0)
        encodings = ("utf-16-le",) if odd > even else ("utf-16-be",)
    else:
        encodings = ("utf-8", "gb18030")
    for enc in encodings:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise UsageError(f"单位名单 {name} 不是可识别的文本文件（不是 UTF-8、UTF-16 或 GBK/GB18030 编码）：{_HINT}")


def _text_rows(text: str, name: str) -> Iterator[list[str]]:
    lines = text.splitlines()
    sep = _separator(lines[:HEADER_SEARCH_ROWS])
    reader = csv.reader(lines, delimiter=sep, strict=False)
    try:
        yield from reader
    except csv.Error as exc:
        raise UsageError(f"单位名单 {name} 第 {reader.line_num} 行无法读取（{exc}）：{_HINT}") from None


def _separator(head: list[str]) -> str:
    """The separator that splits a header line into a recognisable 单位 column; else the
    most frequent one of the first lines."""
    for sep in _SEPARATORS:
        for row in csv.reader(head, delimiter=sep, strict=False):
            if _find(row, UNIT_HEADERS) is not None:
                return sep
    counts = {sep: sum(line.count(sep) for line in head) for sep in _SEPARATORS}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def _book_rows(file: str, name: str, data: bytes) -> Iterator[list[str]]:
    from .book import ReadError, open_book

    try:
        book = open_book(file, data=data)
    except ReadError as exc:
        raise UsageError(f"单位名单 {name} 无法读取：{exc.message}") from None
    sheets = [s for s in book.sheets if s.state == "visible"] or book.sheets
    if not sheets:
        raise UsageError(f"单位名单 {name} 中没有工作表：{_HINT}")
    sheet = sheets[0]
    if not sheet.cells:
        raise UsageError(f"单位名单 {name} 的工作表“{sheet.name}”是空的：{_HINT}")
    last_row = max(r for r, _c in sheet.cells)
    if last_row >= MAX_ROWS + HEADER_SEARCH_ROWS:
        raise UsageError(f"单位名单 {name} 超过 {MAX_ROWS} 行，不像单位名单：请检查是否选错了文件。")
    by_row: dict[int, dict[int, object]] = {}
    for (r, c), cell in sheet.cells.items():
        if cell.value is not None and c < 1000:
            by_row.setdefault(r, {})[c] = cell.value
    for r in range(last_row + 1):
        cells = by_row.get(r, {})
        yield [_cell_text(cells.get(c)) for c in range(max(cells, default=-1) + 1)]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------------------
# Columns and rows
# ---------------------------------------------------------------------------
def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    """The column of the first of ``names`` (in their order) the header holds."""
    cols = {}
    for i, h in enumerate(header):
        cols.setdefault(norm(h.lstrip("\ufeff")).casefold(), i)
    return next((cols[k] for k in (norm(n).casefold() for n in names) if k in cols), None)


def _mapping(rows: Iterable[list[str]], name: str) -> dict[str, str]:
    it = iter(rows)
    ui = di = None
    seen: list[list[str]] = []
    for row in it:
        seen.append(row)
        ui, di = _find(row, UNIT_HEADERS), _find(row, DEPARTMENT_HEADERS)
        if ui is not None or len(seen) >= HEADER_SEARCH_ROWS:
            break
    if not any(any(c.strip() for c in row) for row in seen):
        raise UsageError(f"单位名单 {name} 没有内容：{_HINT}")
    if ui is None:
        first = next((row for row in seen if any(c.strip() for c in row)), [])
        shown = "、".join(c.strip()[:20] for c in first[:8] if c.strip()) or "（空）"
        raise UsageError(f"单位名单 {name} 中没有找到“单位”列（表头为：{shown}）：{_HINT}")
    if di is None:
        raise UsageError(f"单位名单 {name} 中没有找到“主管部门”列：{_HINT}")
    mapping: dict[str, str] = {}
    for n, row in enumerate(it, start=1):
        if n > MAX_ROWS:
            raise UsageError(f"单位名单 {name} 超过 {MAX_ROWS} 行，不像单位名单：请检查是否选错了文件。")
        if len(row) > ui and row[ui].strip():
            dept = row[di].strip() if len(row) > di else ""
            mapping[norm(row[ui])] = dept
    if not mapping:
        raise UsageError(f"单位名单 {name} 只有表头，没有列出任何单位：{_HINT}")
    return mapping
