"""Fast, safe reading of budget self-evaluation workbooks.

``open_book(path)`` sniffs the bytes (never the extension) and returns a :class:`Book`:

* OOXML (``PK\\x03\\x04`` with ``xl/workbook.xml``; .xlsx/.xlsm): a fast path built on
  ``zipfile`` + ``lxml`` only (no openpyxl). It keeps cached values, formula text
  (shared formulas expanded), error values, percent / decimals of the number format,
  the locked flag, merged ranges, sheet protection and defined names.
* OpenDocument (a zip whose ``mimetype`` entry says spreadsheet; .ods) and OLE
  (``D0 CF 11 E0``; .xls, WPS .et): read with python-calamine, values only, and
  ``Book.values_only`` is True. On this path ``Cell.formula`` is None,
  ``percent``/``decimals``/``locked`` keep their defaults, ``Sheet.protected`` is
  False, error values are lost (calamine reports them as empty cells),
  ``Sheet.names`` and ``Book.names`` are empty, ``Book.has_formulas`` is False,
  merged ranges are known for xls only (calamine gives none for ods), integral floats
  become ints and dates (which calamine converts) are turned back into 1900-system
  serial numbers. The OOXML fast path also falls back to calamine when a part has an
  unexpected structure that is not plain corruption (e.g. text in a numeric cell).
* Encrypted files (OOXML packaged in OLE with ``EncryptedPackage``/``EncryptionInfo``,
  or an xls with a FILEPASS record) raise ``ReadError("encrypted")``.

Every failure is a :class:`ReadError` with a stable ``code`` and a Chinese ``message``
that names the file and tells the user what to do. The input file is only ever opened
for reading. Zip entries are checked against a decompressed-size budget and a
compression-ratio limit before anything is decompressed, and every read is bounded.
XML is parsed with entity resolution, DTD loading and network access disabled, and a
document carrying a DOCTYPE is refused.

``Book.kind`` is "xlsx", "xlsm", "ods", "xls" or "et". An OLE workbook is reported as
"et" when its file name ends in .et/.ett (WPS), otherwise "xls": the content of both
is read the same way.
"""

from __future__ import annotations

import hashlib
import io
import os

from .calamine import _read_calamine
from .limits import check_biff, check_ods, check_ooxml_sheet
from .ooxml import _office_document_part, _OoxmlReader
from .safety import _ODS_MIME, _OLE_MAGIC, _ZIP_MAGIC, ReadError, _err, _guess_kind, _has_doctype, _read_input, _Zip
from .workbook import Book, Cell, Sheet  # noqa: F401  (Cell, Sheet: re-exported with Book)

__all__ = ["Book", "Cell", "ReadError", "Sheet", "open_book"]


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def open_book(
    path: str | os.PathLike,
    *,
    data: bytes | None = None,
    max_unzipped: int = 200 * 2**20,
) -> Book:
    """Read the workbook at ``path`` (or the given ``data`` bytes, ``path`` then only names it).

    Raises :class:`ReadError` for every file that cannot be read.
    """
    file = os.fsdecode(os.fspath(path))
    name = os.path.basename(file) or file
    if data is None:
        data = _read_input(file, name, max_unzipped)
    elif not isinstance(data, bytes):
        data = bytes(data)
    if not data:
        raise _err("empty_file", file, name)
    digest = hashlib.sha256(data).hexdigest()
    head = data[:8]
    if head[:4] == _ZIP_MAGIC:
        return _open_zip(data, file, name, digest, max_unzipped)
    if head == _OLE_MAGIC:
        return _open_ole(data, file, name, digest)
    raise _err("not_workbook", file, name, _guess_kind(data))


def _open_zip(data: bytes, file: str, name: str, digest: str, limit: int) -> Book:
    z = _Zip(data, file, name, limit)
    if z.has("mimetype"):
        mime = (z.read("mimetype", cap=200) or b"").strip()
        if mime.startswith(_ODS_MIME):
            for part in ("content.xml", "styles.xml"):
                raw = z.read(part)
                if raw is not None and _has_doctype(raw):
                    raise _err("unsafe", file, name, f"，部件 {part}")
                if raw is not None and part == "content.xml":
                    check_ods(raw, file, name)
            return _read_calamine(data, file, name, "ods", digest)
        raise _err("not_workbook", file, name, "（看起来是其他 OpenDocument 文档）")
    wb_part = "xl/workbook.xml" if z.has("xl/workbook.xml") else _office_document_part(z)
    if wb_part is None or not z.has(wb_part) or not wb_part.endswith(".xml"):
        if z.has("xl/workbook.bin") or (wb_part or "").endswith(".bin"):
            raise _err("unsupported", file, name, "（Excel 二进制工作簿 .xlsb）")
        if z.has("word/document.xml"):
            hint = "（看起来是 Word 文档）"
        elif z.has("ppt/presentation.xml"):
            hint = "（看起来是 PowerPoint 演示文稿）"
        else:
            hint = "（是一个不含工作簿的压缩包）"
        raise _err("not_workbook", file, name, hint)
    kind = "xlsx"
    if z.has("xl/vbaProject.bin"):
        kind = "xlsm"
    else:
        ct = z.read("[Content_Types].xml", cap=1 << 20)
        if ct is not None and b"macroEnabled.main" in ct:
            kind = "xlsm"
    try:
        return _OoxmlReader(z, file, name, kind, digest).read(wb_part)
    except ReadError:
        raise
    except Exception:
        # Unexpected structure: values through calamine are better than nothing, once the
        # sheets' used ranges are known to fit (calamine allocates them whole).
        for part in sorted(z.by_name):
            if part.startswith("xl/worksheets/") and part.endswith(".xml"):
                check_ooxml_sheet(z.read(part) or b"", file, name, part.rsplit("/", 1)[-1][:-4])
        try:
            return _read_calamine(data, file, name, kind, digest)
        except ReadError:
            raise _err("corrupt", file, name, "（工作簿结构无法识别）") from None


def _check_ole_range(data: bytes, file: str, name: str, stream: str) -> None:
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            raw = ole.openstream(stream).read()
    except Exception:
        raise _err("corrupt", file, name, "（OLE 复合文档结构损坏）") from None
    check_biff(raw, file, name)


# ---------------------------------------------------------------------------
# OLE (xls, et, encrypted OOXML)
# ---------------------------------------------------------------------------


def _open_ole(data: bytes, file: str, name: str, digest: str) -> Book:
    import olefile  # dependency of msoffcrypto-tool

    is_et = os.path.splitext(file)[1].lower() in (".et", ".ett")
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception:
        raise _err("corrupt", file, name, "（OLE 复合文档结构损坏）") from None
    try:
        streams = {"/".join(p).lower() for p in ole.listdir(streams=True, storages=False)}
    except Exception:
        raise _err("corrupt", file, name, "（OLE 复合文档结构损坏）") from None
    finally:
        ole.close()
    if "encryptedpackage" in streams or "encryptioninfo" in streams:
        raise _err("encrypted", file, name)
    if "worddocument" in streams:
        raise _err("not_workbook", file, name, "（看起来是旧版 Word 文档）")
    if "powerpoint document" in streams:
        raise _err("not_workbook", file, name, "（看起来是旧版 PowerPoint 演示文稿）")
    if "workbook" in streams:
        try:
            from msoffcrypto.format.xls97 import Xls97File

            encrypted = Xls97File(io.BytesIO(data)).is_encrypted()
        except Exception:
            encrypted = False
        if encrypted:
            raise _err("encrypted", file, name)
    elif "book" not in streams:
        if is_et:
            raise _err("unsupported_et", file, name)
        raise _err("not_workbook", file, name, "（是一个不含工作簿的 OLE 复合文档）")
    _check_ole_range(data, file, name, "workbook" if "workbook" in streams else "book")
    return _read_calamine(data, file, name, "et" if is_et else "xls", digest)
