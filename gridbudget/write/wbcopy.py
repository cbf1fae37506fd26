"""Copies of a user's workbook with something added (annotated copy, scored copy).

The input is checked by :func:`gridbudget.read.book.open_book` first (bytes sniffed, zip
bombs, encryption and damage refused with a Chinese message), loaded with openpyxl
and saved atomically under a new name; it is never modified. .xls/.et/.ods inputs are
converted to .xlsx by LibreOffice when it is installed. What an openpyxl re-save loses
is detected (:func:`copy_losses`) so the added sheet can say so.
"""

from __future__ import annotations

import io
import re
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .fsutil import OWN_MARKER, atomic_write_bytes, refuse_overwrite

SAVE_AS = "请在 Excel 或 WPS 中打开该文件，另存为 .xlsx 格式，再对该 .xlsx 文件运行 gridbudget。"
_MACRO_SUFFIXES = {".xlsm", ".xltm"}
_WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".et", ".ett", ".ods", ".csv"}
_KIND_WORDS = {"xls": "旧版 Excel（.xls）", "et": "WPS（.et）", "ods": "OpenDocument（.ods）"}

_SHEET_EXT_CHECKS = (
    (b":dataValidation", "较新版本的数据验证（如引用其他工作表的下拉列表）"),
    (b":conditionalFormatting", "较新版本的条件格式（如数据条、图标集的扩展设置）"),
    (b":sparklineGroup", "迷你图"),
    (b":slicerList", "切片器"),
    (b":timelineRef", "日程表"),
)


def copy_losses(src: str | Path | bytes) -> list[str]:
    """What of the workbook ``src`` (path or .xlsx/.xlsm bytes) an openpyxl re-save loses.

    Chinese phrases, e.g. ``较新版本的数据验证（如引用其他工作表的下拉列表）``; empty when
    nothing known to be dropped is present. Cached formula values are not listed (every
    copy loses them; clients recompute).
    """
    data = src if isinstance(src, (bytes, bytearray)) else Path(src).read_bytes()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return []
    out: list[str] = []

    def add(text: str) -> None:
        if text not in out:
            out.append(text)

    def read(name: str) -> bytes:
        info = zf.getinfo(name)
        if info.file_size > 64 * 2**20:
            return b""
        try:
            return zf.read(name)
        except Exception:  # noqa: BLE001 - a broken part is openpyxl's problem to report
            return b""

    for name in names:
        low = name.lower()
        if low.startswith("xl/worksheets/sheet") and low.endswith(".xml"):
            xml = read(name)
            if b"extLst" in xml:
                for marker, text in _SHEET_EXT_CHECKS:
                    if marker in xml:  # prefixed (x14:, x15:) elements live in extLst only
                        add(text)
        elif low.startswith("xl/threadedcomments/"):
            add("会话式批注（新版批注，其文字仍保留为普通批注）")
        elif low.startswith("xl/drawings/") and low.endswith(".xml") and "/_rels/" not in low:
            xml = read(name)
            if re.search(rb"<(?:\w+:)?sp\b", xml) or re.search(rb"<(?:\w+:)?grpSp\b", xml):
                add("形状、文本框等绘图对象")
            if re.search(rb"<(?:\w+:)?pic\b", xml):
                try:
                    import PIL  # noqa: F401
                except ImportError:
                    add("图片")
            if b"/chart" in xml or b"c:chart" in xml:
                add("图表的部分格式")
        elif low.startswith(("xl/slicers/", "xl/slicercaches/")):
            add("切片器")
        elif low.startswith(("xl/timelines/", "xl/timelinecaches/")):
            add("日程表")
        elif low.startswith(("xl/ctrlprops/", "xl/activex/")):
            add("表单控件")
    return out


def activate(wb, ws) -> None:
    for other in wb.worksheets:
        for view in other.views.sheetView:
            view.tabSelected = False  # two selected tabs = grouped sheets in Excel
    ws.sheet_state = "visible"
    wb.active = wb.worksheets.index(ws)
    ws.sheet_view.tabSelected = True
    for view in wb.views or []:
        view.firstSheet = 0
        view.activeTab = 0


@dataclass
class WorkbookCopy:
    wb: object                     # openpyxl Workbook
    src: Path
    dst: Path                      # the path that will be written (suffix matches the content)
    notes: list[str] = field(default_factory=list)


def _converted_bytes(src: Path, kind: str, purpose: str) -> bytes:
    """The workbook converted to .xlsx by LibreOffice, or ValueError when that cannot be done."""
    from . import libreoffice as lo

    words = _KIND_WORDS.get(kind, kind)
    if not lo.available():
        raise ValueError(f"文件 {src.name} 是{words}格式，无法生成{purpose}：需要 .xlsx 文件。{SAVE_AS}")
    with tempfile.TemporaryDirectory(prefix="gridbudget-copy-") as tmp:
        try:
            (out,) = lo.convert([src], tmp, "xlsx", recalc=False)
        except lo.LibreOfficeError as exc:
            raise ValueError(f"文件 {src.name} 是{words}格式，用 LibreOffice 转换为 .xlsx 失败，无法生成{purpose}。{SAVE_AS}") from exc
        return out.read_bytes()


def _output_path(dst: Path, suffix: str) -> Path:
    if dst.suffix.lower() == suffix:
        return dst
    if dst.suffix.lower() in _WORKBOOK_SUFFIXES:
        return dst.with_suffix(suffix)
    return dst.with_name(dst.name + suffix)


def open_copy(src: str | Path, dst: str | Path, *, purpose: str = "副本", kind: str | None = None) -> WorkbookCopy:
    """Load ``src`` for a copy to be written to ``dst`` (ValueError with a Chinese message when impossible).

    ``kind`` ("xlsx", "xls" …) is given when the caller has already read ``src`` with
    :func:`gridbudget.read.book.open_book`; otherwise it is opened here to sniff and check it.
    """
    import openpyxl

    from ..read.book import ReadError, open_book

    src, dst = Path(src), Path(dst)
    refuse_overwrite(dst, [src])
    if not src.is_file():
        raise FileNotFoundError(f"找不到文件 {src}：请检查文件路径是否正确。")
    if kind is None:
        try:
            kind = open_book(src).kind
        except ReadError as exc:
            raise ValueError(exc.message) from None
    converted = kind not in ("xlsx", "xlsm")
    data = _converted_bytes(src, kind, purpose) if converted else src.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = {n.lower() for n in zf.namelist()}
    has_macros = not converted and (src.suffix.lower() in _MACRO_SUFFIXES or "xl/vbaproject.bin" in names)
    # The copy is written exactly at dst: .xlsm keeps the macros, .xlsx drops them.
    macro = has_macros and dst.suffix.lower() == ".xlsm"
    if dst.suffix.lower() == ".xlsm" and not has_macros:
        raise ValueError(f"原文件 {src.name} 不含宏，{purpose}应以 .xlsx 结尾：{dst.with_suffix('.xlsx').name}。")
    final = _output_path(dst, ".xlsm" if macro else ".xlsx")
    refuse_overwrite(final, [src])
    notes: list[str] = []
    if has_macros and not macro:
        notes.append(f"注意：原文件 {src.name} 含宏，本副本（.xlsx）未保留宏；要保留宏，请把副本命名为 .xlsm。")
    if converted:
        notes.append(f"注意：原文件 {src.name} 不是 .xlsx，本副本由 LibreOffice 转换为 .xlsx 后生成，格式可能与原文件略有不同。")
    losses = copy_losses(data)
    if losses:
        notes.append("注意：本副本由 gridbudget 重新保存，原文件中的以下内容未能保留：" + "、".join(losses)
                     + "。请以原文件为准，修改请在原文件中进行。")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), keep_vba=macro)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds
        raise ValueError(f"文件 {src.name} 无法用 openpyxl 打开（{type(exc).__name__}），无法生成{purpose}。{SAVE_AS}") from exc
    return WorkbookCopy(wb, src, final, notes)


def print_landscape(ws, header_row: int, title: str = "") -> None:
    """An added sheet prints on A4 landscape, one page wide, its header row repeated, page
    numbers in the footer (the shared set-up of :func:`gridbudget.write.style.openpyxl_page`)."""
    from . import style

    style.openpyxl_page(ws, header_row=header_row, landscape=True, title=title)


def save_copy(copy: WorkbookCopy) -> Path:
    """Write the copy atomically; returns the path written."""
    copy.wb.template = False
    copy.wb.properties.lastModifiedBy = OWN_MARKER      # gridbudget's own output: may be replaced by a rerun
    buf = io.BytesIO()
    copy.wb.save(buf)
    return atomic_write_bytes(copy.dst, buf.getvalue())
