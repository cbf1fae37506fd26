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
import posixpath
import re
import threading
import zipfile
from functools import lru_cache

from .cells import col_letter
import zlib
from dataclasses import dataclass

__all__ = ["Book", "Cell", "ReadError", "Sheet", "open_book"]

# ---------------------------------------------------------------------------
# Public data model
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class Cell:
    """One existing cell.

    ``value`` is the cell value or, for a formula cell, its cached value (None when the
    file holds no cached value). ``formula`` is the formula text without the leading
    '=' ("" when the cell is a formula whose text is unknown, e.g. a data table).
    """

    value: object
    formula: str | None = None
    error: str | None = None
    percent: bool = False
    decimals: int | None = None
    locked: bool = True


@dataclass
class Sheet:
    """One sheet. ``cells`` maps 0-based (row, col) to the cells that exist.

    ``state`` ("visible", "hidden", "veryHidden") is an addition to the agreed API.
    """

    name: str
    cells: dict[tuple[int, int], Cell]
    merged: list[tuple[int, int, int, int]]
    names: dict[str, tuple[int, int, int, int]]
    protected: bool = False
    state: str = "visible"

    def value(self, r: int, c: int) -> object:
        cell = self.cells.get((r, c))
        return None if cell is None else cell.value

    def merged_anchor(self, r: int, c: int) -> tuple[int, int]:
        index = self.__dict__.get("_anchors")
        if index is None or self.__dict__.get("_anchors_for") is not self.merged:
            index = {}
            for r1, c1, r2, c2 in self.merged:
                if (r2 - r1 + 1) * (c2 - c1 + 1) > 100_000:      # huge merges: no index, scan
                    index = None
                    break
                for rr in range(r1, r2 + 1):
                    for cc in range(c1, c2 + 1):
                        index[(rr, cc)] = (r1, c1)
            self.__dict__["_anchors"] = index
            self.__dict__["_anchors_for"] = self.merged
        if index is not None:
            return index.get((r, c), (r, c))
        for r1, c1, r2, c2 in self.merged:
            if r1 <= r <= r2 and c1 <= c <= c2:
                return (r1, c1)
        return (r, c)


@dataclass
class Book:
    path: str
    kind: str
    sheets: list[Sheet]
    names: dict[str, tuple[str, int, int, int, int]]
    has_formulas: bool
    sha256: str
    # True when the book was read through python-calamine (xls, et, ods, or the OOXML
    # fallback): formulas, number formats, locked flags, protection, error values and
    # defined names are then unknown, not absent. An addition to the agreed API.
    values_only: bool = False

    def sheet(self, name: str) -> Sheet | None:
        """The sheet called ``name`` or None (an addition to the agreed API)."""
        for s in self.sheets:
            if s.name == name:
                return s
        return None


class ReadError(Exception):
    """A workbook that cannot be read. ``code`` is stable, ``message`` is for users."""

    CODES = (
        "not_found",
        "empty_file",
        "not_workbook",
        "corrupt",
        "encrypted",
        "too_large",
        "unsupported",
        "legacy_unreadable",
    )

    def __init__(self, code: str, file: str, message: str):
        super().__init__(code, file, message)
        self.code = code
        self.file = file
        self.message = message

    def __str__(self) -> str:
        return self.message


# ---------------------------------------------------------------------------
# Limits and constants
# ---------------------------------------------------------------------------

MAX_ZIP_ENTRIES = 10_000
RATIO_LIMIT = 200  # uncompressed / compressed, checked for entries above RATIO_MIN_SIZE
RATIO_MIN_SIZE = 1 << 20
MAX_ROW = 1_048_576
MAX_COL = 16_384

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_ACCEPTED = ".xlsx、.xlsm、.xls、.et、.ods"
_SAVE_AS = "请用 Excel 或 WPS 打开后另存为 .xlsx 再提交。"
_ERRORS = frozenset(
    ["#DIV/0!", "#REF!", "#VALUE!", "#N/A", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA",
     "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#UNKNOWN!", "#BUSY!"]
)

# ---------------------------------------------------------------------------
# Error helpers (all user-visible text is Chinese and names the file)
# ---------------------------------------------------------------------------


def _err(code: str, file: str, name: str, detail: str = "") -> ReadError:
    if code == "not_found":
        msg = f"找不到文件 {name}{detail}：请检查文件路径是否正确。"
    elif code == "empty_file":
        msg = f"文件 {name} 是空文件（0 字节），无法读取：请重新保存或导出后再提交。"
    elif code == "not_workbook":
        msg = (f"文件 {name} 不是 Excel/WPS 工作簿{detail}，无法读取：只接受 {_ACCEPTED} 格式的表格文件，"
               f"请提交原始表格（用 Excel 或 WPS 打开后另存为 .xlsx）。")
    elif code == "corrupt":
        msg = f"文件 {name} 已损坏或不完整{detail}，无法读取：{_SAVE_AS}"
    elif code == "unsafe":
        code = "corrupt"
        msg = (f"文件 {name} 含有不安全的 XML 内容（DOCTYPE/实体声明{detail}），已拒绝读取：{_SAVE_AS}")
    elif code == "encrypted":
        msg = f"文件 {name} 设有打开密码，无法读取：请取消密码后另存为 .xlsx 再提交。"
    elif code == "too_large":
        msg = (f"文件 {name} 解压后内容过大或压缩比异常{detail}，已拒绝读取："
               f"请删除多余内容后{_SAVE_AS}")
    elif code == "unsupported":
        msg = f"文件 {name} 的格式{detail}暂不支持，无法读取：{_SAVE_AS}"
    elif code == "unsupported_et":
        code = "unsupported"
        msg = f"文件 {name} 是 WPS 表格（.et）格式，无法读取：请在 WPS 中打开，选择“另存为” .xlsx 格式后再提交。"
    elif code == "legacy_unreadable":
        msg = f"文件 {name} 是旧版 Excel（.xls）格式，但内容无法读取{detail}：{_SAVE_AS}"
    else:  # pragma: no cover - programming error
        raise ValueError(code)
    return ReadError(code, file, msg)


def _fmt_size(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n} 字节"


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


def _read_input(file: str, name: str, limit: int) -> bytes:
    try:
        with open(file, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > limit:
                raise _err("too_large", file, name, f"（文件大小 {_fmt_size(size)}）")
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise _err("not_found", file, name) from None
    except IsADirectoryError:
        raise _err("not_found", file, name, "（这是一个文件夹，不是文件）") from None
    except PermissionError:
        raise _err("not_found", file, name, "（没有读取权限）") from None
    except OSError:
        raise _err("not_found", file, name, "（无法打开）") from None
    if len(data) > limit:
        raise _err("too_large", file, name, f"（文件超过 {_fmt_size(limit)}）")
    return data


def _guess_kind(data: bytes) -> str:
    head = data[:1024]
    if head.startswith(b"%PDF"):
        return "（看起来是 PDF 文件）"
    if head.startswith((b"PK\x05\x06", b"PK\x07\x08")):
        return "（是一个空的或分卷的压缩包）"
    if head.startswith((b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")):
        return "（看起来是压缩包）"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "（看起来是图片）"
    low = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if low.startswith((b"<!doctype html", b"<html", b"<table", b"mime-version")):
        return "（看起来是网页或网页格式导出的表格）"
    if low.startswith(b"<?xml"):
        return "（看起来是 XML 文件）"
    if b"\x00" not in head:
        return "（看起来是文本或 CSV 文件）"
    return ""


# ---------------------------------------------------------------------------
# Zip containers (OOXML, ODS)
# ---------------------------------------------------------------------------

_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, ValueError,
               NotImplementedError, OSError, KeyError, IndexError, OverflowError)


class _Zip:
    """A zip opened from bytes with a decompressed-size budget and bounded reads."""

    __slots__ = ("budget", "by_fold", "by_name", "data", "file", "name", "zf")

    def __init__(self, data: bytes, file: str, name: str, limit: int):
        self.file, self.name, self.data = file, name, data
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zf.infolist()
        except _ZIP_ERRORS:
            raise _err("corrupt", file, name, "（压缩包结构损坏）") from None
        if len(infos) > MAX_ZIP_ENTRIES:
            raise _err("too_large", file, name, f"（包含 {len(infos)} 个部件）")
        total = 0
        by_name: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            size = info.file_size
            total += size
            if size > RATIO_MIN_SIZE and size > RATIO_LIMIT * max(info.compress_size, 1):
                raise _err("too_large", file, name,
                           f"（部件 {info.filename} 声明解压后 {_fmt_size(size)}，压缩比超过 {RATIO_LIMIT}:1）")
            key = info.filename.replace("\\", "/").lstrip("/")
            by_name.setdefault(key, info)
        if total > limit:
            raise _err("too_large", file, name, f"（解压后共 {_fmt_size(total)}，上限 {_fmt_size(limit)}）")
        self.by_name = by_name
        self.by_fold: dict[str, zipfile.ZipInfo] | None = None
        self.budget = limit

    def info(self, part: str) -> zipfile.ZipInfo | None:
        info = self.by_name.get(part)
        if info is None:
            if self.by_fold is None:
                self.by_fold = {k.casefold(): v for k, v in self.by_name.items()}
            info = self.by_fold.get(part.casefold())
        return info

    def has(self, part: str) -> bool:
        return self.info(part) is not None

    def read(self, part: str, *, cap: int | None = None) -> bytes | None:
        info = self.info(part)
        if info is None:
            return None
        limit = self.budget if cap is None else min(cap, self.budget)
        raw = self._direct(info, limit)
        if raw is None:  # unusual entry: let zipfile handle it
            try:
                with self.zf.open(info) as fh:
                    raw = fh.read(limit + 1)
            except RuntimeError:  # zip-level password
                raise _err("encrypted", self.file, self.name) from None
            except _ZIP_ERRORS:
                raise _err("corrupt", self.file, self.name, f"（部件 {part} 无法解压）") from None
        if len(raw) > limit:
            if cap is not None and cap < self.budget:
                return raw[:cap]
            raise _err("too_large", self.file, self.name, f"（部件 {part} 解压后超过 {_fmt_size(limit)}）")
        self.budget -= len(raw)
        return raw

    def _direct(self, info: zipfile.ZipInfo, limit: int) -> bytes | None:
        """Inflate a plain stored/deflated entry straight from the buffer (zipfile's
        per-entry overhead is most of the cost for small parts). At most ``limit + 1``
        bytes are produced; size and CRC are checked as zipfile does."""
        if info.flag_bits & 1:
            raise _err("encrypted", self.file, self.name)
        method = info.compress_type
        if method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return None
        data = self.data
        off = info.header_offset
        if data[off : off + 4] != _ZIP_MAGIC or off + 30 > len(data):
            raise _err("corrupt", self.file, self.name, f"（部件 {info.filename} 的文件头损坏）")
        start = off + 30 + int.from_bytes(data[off + 26 : off + 28], "little") \
            + int.from_bytes(data[off + 28 : off + 30], "little")
        size = info.compress_size
        if start + size > len(data):
            raise _err("corrupt", self.file, self.name, f"（部件 {info.filename} 不完整）")
        comp = memoryview(data)[start : start + size]
        if method == zipfile.ZIP_STORED:
            raw = bytes(comp[: limit + 1])
        else:
            d = zlib.decompressobj(-15)
            try:
                raw = d.decompress(comp, limit + 1)
            except zlib.error:
                raise _err("corrupt", self.file, self.name, f"（部件 {info.filename} 无法解压）") from None
            if len(raw) > limit:
                return raw
            if not d.eof:
                raise _err("corrupt", self.file, self.name, f"（部件 {info.filename} 不完整）")
        if len(raw) > limit:
            return raw
        if len(raw) != info.file_size or zlib.crc32(raw) != info.CRC:
            raise _err("corrupt", self.file, self.name, f"（部件 {info.filename} 校验失败）")
        return raw


def _open_zip(data: bytes, file: str, name: str, digest: str, limit: int) -> Book:
    z = _Zip(data, file, name, limit)
    if z.has("mimetype"):
        mime = (z.read("mimetype", cap=200) or b"").strip()
        if mime.startswith(_ODS_MIME):
            for part in ("content.xml", "styles.xml"):
                raw = z.read(part)
                if raw is not None and _has_doctype(raw):
                    raise _err("unsafe", file, name, f"，部件 {part}")
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
        # Unexpected structure: values through calamine are better than nothing.
        try:
            return _read_calamine(data, file, name, kind, digest)
        except ReadError:
            raise _err("corrupt", file, name, "（工作簿结构无法识别）") from None


def _office_document_part(z: _Zip) -> str | None:
    raw = z.read("_rels/.rels", cap=4 << 20)
    if raw is None:
        return "xl/workbook.xml"
    root = _parse_xml(raw, z.file, z.name, "_rels/.rels")
    for rel in root:
        typ = rel.get("Type") or ""
        if typ.endswith("/officeDocument") and rel.get("TargetMode") != "External":
            target = rel.get("Target") or ""
            return _resolve_target("", target)
    return None


def _resolve_target(base_dir: str, target: str) -> str:
    target = target.replace("\\", "/")
    if target.startswith("/"):
        path = target.lstrip("/")
    else:
        path = posixpath.join(base_dir, target)
    path = posixpath.normpath(path)
    if "%" in path:
        from urllib.parse import unquote

        path = unquote(path)
    return "" if path == "." else path


# ---------------------------------------------------------------------------
# Safe XML
# ---------------------------------------------------------------------------

_tls = threading.local()
_etree_mod = None


def _etree():
    global _etree_mod
    if _etree_mod is None:
        from lxml import etree

        _etree_mod = etree
    return _etree_mod


def _parser():
    p = getattr(_tls, "parser", None)
    if p is None:
        etree = _etree()
        p = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                            huge_tree=False, dtd_validation=False)
        _tls.parser = p
    return p


def _has_doctype(raw: bytes) -> bool:
    return b"<!DOCTYPE" in raw or b"<!ENTITY" in raw


def _parse_xml(raw: bytes, file: str, name: str, part: str):
    if _has_doctype(raw):
        raise _err("unsafe", file, name, f"，部件 {part}")
    etree = _etree()
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError:
        raise _err("corrupt", file, name, f"（部件 {part} 的 XML 内容无效）") from None
    if root.getroottree().docinfo.doctype:
        raise _err("unsafe", file, name, f"，部件 {part}")
    return root


def _ns_of(tag) -> str:
    if isinstance(tag, str) and tag.startswith("{"):
        return tag[: tag.index("}") + 1]
    return ""


def _child(el, tag: str):
    """First child with ``tag`` (faster than ElementPath's find())."""
    return next(el.iterchildren(tag), None)


def _rid(el) -> str | None:
    for k, v in el.attrib.items():
        if k.endswith("}id"):
            return v
    return None


def _true(v: str | None, default: bool) -> bool:
    if v is None:
        return default
    return v.strip().lower() in ("1", "true", "on")


# ---------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------

_REF_CACHE: dict[str, tuple[int, int] | None] = {}
_REF_CACHE_MAX = 20_000


def _ref_rc(ref: str) -> tuple[int, int] | None:
    """'B3' / '$B$3' -> (2, 1), 0-based; None when it is not a valid cell reference."""
    rc = _REF_CACHE.get(ref, False)
    if rc is not False:
        return rc
    col = 0
    i = 0
    n = len(ref)
    if i < n and ref[i] == "$":
        i += 1
    start = i
    while i < n:
        o = ord(ref[i])
        if 65 <= o <= 90:
            col = col * 26 + o - 64
        elif 97 <= o <= 122:
            col = col * 26 + o - 96
        else:
            break
        i += 1
    letters = i - start
    if i < n and ref[i] == "$":
        i += 1
    digits = ref[i:]
    rc = None
    if 1 <= letters <= 3 and digits.isdigit() and digits.isascii():
        row = int(digits)
        if 1 <= row <= MAX_ROW and 1 <= col <= MAX_COL:
            rc = (row - 1, col - 1)
    if len(_REF_CACHE) < _REF_CACHE_MAX:
        _REF_CACHE[ref] = rc
    return rc


def _range_rc(ref: str) -> tuple[int, int, int, int] | None:
    a, sep, b = ref.strip().partition(":")
    p = _ref_rc(a)
    if p is None:
        return None
    q = _ref_rc(b) if sep else p
    if q is None:
        return None
    return (min(p[0], q[0]), min(p[1], q[1]), max(p[0], q[0]), max(p[1], q[1]))


_col_letters = col_letter


_NAME_TARGET = re.compile(
    r"""^\s*=?\s*(?:'((?:[^']|'')+)'|([^'!:\[\]*?/\\()+,;=<>&^"\s]+))!"""
    r"""(\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?)\s*$"""
)


@lru_cache(maxsize=4096)
def parse_name_target(text: str) -> tuple[str, tuple[int, int, int, int]] | None:
    """"'基础数据表'!$B$4:$D$9" -> ("基础数据表", (3, 1, 8, 3)); None for anything else."""
    m = _NAME_TARGET.match(text or "")
    if m is None:
        return None
    sheet = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
    rng = _range_rc(m.group(3).replace("$", ""))
    if rng is None:
        return None
    return sheet, rng


# Shared formula expansion: shift relative references of the master formula.
_FORMULA_TOKEN = re.compile(
    r'''"(?:[^"]|"")*"'''                                            # string literal
    r"""|'(?:[^']|'')*'!"""                                          # quoted sheet prefix
    r"""|\[[^\]]*\]"""                                               # structured ref / ext book
    r"""|(?<![\w.$\\])(\$?)([A-Z]{1,3})(\$?)(\d+)(?![\w.(!\[])"""    # cell reference
    r"""|(?<![\w.$\\:])(\$?)([A-Z]{1,3}):(\$?)([A-Z]{1,3})(?![\w.(!:\[])"""  # column range
    r"""|(?<![\w.$\\:])(\$?)(\d+):(\$?)(\d+)(?![\w.(!:\[])"""        # row range
)


def _col_num(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def shift_formula(formula: str, dr: int, dc: int) -> str:
    """Translate ``formula`` as Excel does when copying it ``dr`` rows and ``dc`` columns."""
    if not dr and not dc:
        return formula

    def col(abs_, letters):
        n = _col_num(letters)
        if not abs_:
            n += dc
        return None if not 1 <= n <= MAX_COL else abs_ + _col_letters(n - 1)

    def row(abs_, digits):
        n = int(digits)
        if not abs_:
            n += dr
        return None if not 1 <= n <= MAX_ROW else abs_ + str(n)

    def repl(m: re.Match) -> str:
        g = m.groups()
        if g[1] is not None:
            if _col_num(g[1]) > MAX_COL or not 1 <= int(g[3]) <= MAX_ROW:
                return m.group(0)  # not a reference (e.g. a name)
            c, r = col(g[0], g[1]), row(g[2], g[3])
            return "#REF!" if c is None or r is None else c + r
        if g[5] is not None:
            if _col_num(g[5]) > MAX_COL or _col_num(g[7]) > MAX_COL:
                return m.group(0)
            a, b = col(g[4], g[5]), col(g[6], g[7])
            return "#REF!" if a is None or b is None else a + ":" + b
        if g[9] is not None:
            a, b = row(g[8], g[9]), row(g[10], g[11])
            return "#REF!" if a is None or b is None else a + ":" + b
        return m.group(0)

    return _FORMULA_TOKEN.sub(repl, formula)


# ---------------------------------------------------------------------------
# Number formats
# ---------------------------------------------------------------------------

# builtin numFmtId -> (percent, decimals); ids not listed: (False, None)
_BUILTIN_FMT: dict[int, tuple[bool, int | None]] = {
    1: (False, 0), 2: (False, 2), 3: (False, 0), 4: (False, 2),
    5: (False, 0), 6: (False, 0), 7: (False, 2), 8: (False, 2),
    9: (True, 0), 10: (True, 2),
    37: (False, 0), 38: (False, 0), 39: (False, 2), 40: (False, 2),
    41: (False, 0), 42: (False, 0), 43: (False, 2), 44: (False, 2),
}
_FMT_CACHE: dict[str, tuple[bool, int | None]] = {}
_FMT_LITERAL = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.', re.DOTALL)


def format_info(code: str) -> tuple[bool, int | None]:
    """(percent, decimals) shown by a number format code.

    decimals is None for General, text, dates/times, fractions and scientific formats.
    """
    hit = _FMT_CACHE.get(code)
    if hit is not None:
        return hit
    bare = _FMT_LITERAL.sub("", code)  # drop quoted text, escapes, [colour]/[$-804], padding
    percent = "%" in bare
    first = _split_sections(code)[0]
    sec = _FMT_LITERAL.sub("", first)
    low = sec.lower().replace("general", "")
    decimals: int | None
    if (any(ch in low for ch in "ymdhsbe")  # dates, times, B.E. years, scientific
            or "/" in low or "@" in low or not any(ch in low for ch in "0#?")):
        decimals = None
    else:
        _, dot, tail = low.partition(".")
        decimals = 0
        if dot:
            for ch in tail:
                if ch in "0#?":
                    decimals += 1
                elif ch in ",%":
                    continue
                else:
                    break
    result = (percent, decimals)
    if len(_FMT_CACHE) < 10_000:
        _FMT_CACHE[code] = result
    return result


def _split_sections(code: str) -> list[str]:
    out, cur, i, n = [], [], 0, len(code)
    while i < n:
        ch = code[i]
        if ch == '"':
            j = code.find('"', i + 1)
            j = n - 1 if j < 0 else j
            cur.append(code[i : j + 1])
            i = j + 1
            continue
        if ch == "\\" and i + 1 < n:
            cur.append(code[i : i + 2])
            i += 2
            continue
        if ch == "[":
            j = code.find("]", i + 1)
            j = n - 1 if j < 0 else j
            cur.append(code[i : j + 1])
            i = j + 1
            continue
        if ch == ";":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    out.append("".join(cur))
    return out


# ---------------------------------------------------------------------------
# OOXML fast path
# ---------------------------------------------------------------------------

_XESC = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(s: str) -> str:
    return _XESC.sub(lambda m: chr(int(m.group(1), 16)), s) if "_x" in s else s


_DEFAULT_STYLE = (False, None, True)


class _OoxmlReader:
    def __init__(self, z: _Zip, file: str, name: str, kind: str, digest: str):
        self.z, self.file, self.name, self.kind, self.digest = z, file, name, kind, digest
        self.has_formulas = False

    def xml(self, part: str):
        raw = self.z.read(part)
        if raw is None:
            return None
        return _parse_xml(raw, self.file, self.name, part)

    def rels(self, part: str) -> dict[str, tuple[str, str]]:
        d, b = posixpath.split(part)
        root = self.xml(posixpath.join(d, "_rels", b + ".rels"))
        out: dict[str, tuple[str, str]] = {}
        if root is None:
            return out
        for rel in root:
            rid = rel.get("Id")
            if rid is None or rel.get("TargetMode") == "External":
                continue
            out[rid] = (rel.get("Type") or "", _resolve_target(d, rel.get("Target") or ""))
        return out

    def read(self, wb_part: str) -> Book:
        root = self.xml(wb_part)
        ns = _ns_of(root.tag)
        if root.tag != ns + "workbook":
            raise _err("corrupt", self.file, self.name, "（缺少工作簿结构）")
        rels = self.rels(wb_part)
        strings_part = styles_part = None
        for typ, target in rels.values():
            if typ.endswith("/sharedStrings"):
                strings_part = target
            elif typ.endswith("/styles"):
                styles_part = target
        wb_dir = posixpath.dirname(wb_part)
        if strings_part is None:
            strings_part = posixpath.join(wb_dir, "sharedStrings.xml")
        if styles_part is None:
            styles_part = posixpath.join(wb_dir, "styles.xml")
        self.strings = self.shared_strings(strings_part)
        self.styles = self.cell_styles(styles_part)

        entries = []
        sheets_el = _child(root, ns + "sheets")
        for s in (sheets_el if sheets_el is not None else ()):
            if s.tag != ns + "sheet":
                continue
            rid = _rid(s)
            target = rels.get(rid, ("", None))[1] if rid else None
            entries.append((s.get("name") or "", s.get("state") or "visible", target))
        sheet_names = [e[0] for e in entries]

        sheets: list[Sheet] = []
        for sname, state, target in entries:
            sh = Sheet(sname, {}, [], {}, False, state)
            if target is not None:
                sroot = self.xml(target)
                if sroot is None:
                    raise _err("corrupt", self.file, self.name, f"（工作表“{sname}”的内容缺失）")
                self.fill_sheet(sh, sroot)
            sheets.append(sh)

        names: dict[str, tuple[str, int, int, int, int]] = {}
        dn = _child(root, ns + "definedNames")
        for el in (dn if dn is not None else ()):
            if el.tag != ns + "definedName":
                continue
            nm = el.get("name") or ""
            if not nm or nm.lower().startswith("_xlnm."):
                continue
            parsed = parse_name_target(el.text or "")
            if parsed is None:
                continue
            tsheet, rng = parsed
            if tsheet not in sheet_names:
                continue
            local = el.get("localSheetId")
            if local is not None:
                try:
                    idx = int(local)
                except ValueError:
                    continue
                if 0 <= idx < len(sheets) and sheets[idx].name == tsheet:
                    sheets[idx].names.setdefault(nm, rng)
            else:
                names.setdefault(nm, (tsheet, *rng))
        return Book(self.file, self.kind, sheets, names, self.has_formulas, self.digest)

    def shared_strings(self, part: str) -> list[str]:
        raw = self.z.read(part)
        if raw is None:
            return []
        root = _parse_xml(raw, self.file, self.name, part)
        ns = _ns_of(root.tag)
        t_si, t_t, t_r = ns + "si", ns + "t", ns + "r"
        count = len(root)
        if b"<r>" not in raw and b"<rPh" not in raw and b":r>" not in raw and b":rPh" not in raw:
            # plain strings only: exactly one <t> per <si> (checked by the count)
            out = [t.text or "" for t in root.iter(t_t)]
            if len(out) != count or sum(1 for _ in root.iterchildren(t_si)) != count:
                out = None
        else:
            out = None
        if out is None:
            out = []
            append = out.append
            for si in root.iterchildren(t_si):
                parts = []
                for ch in si:  # <t>, or rich text runs <r><t>; phonetic <rPh> is skipped
                    tag = ch.tag
                    if tag == t_t:
                        parts.append(ch.text or "")
                    elif tag == t_r:
                        for t in ch.iterchildren(t_t):
                            parts.append(t.text or "")
                append("".join(parts))
        if b"_x" in raw:
            out = [_unescape(s) for s in out]
        return out

    def cell_styles(self, part: str) -> dict[str | None, tuple[bool, int | None, bool]]:
        styles: dict[str | None, tuple[bool, int | None, bool]] = {None: _DEFAULT_STYLE}
        root = self.xml(part)
        if root is None:
            return styles
        ns = _ns_of(root.tag)
        custom: dict[int, str] = {}
        nf = _child(root, ns + "numFmts")
        for el in (nf if nf is not None else ()):
            try:
                custom[int(el.get("numFmtId"))] = el.get("formatCode") or ""
            except (TypeError, ValueError):
                continue
        xfs = _child(root, ns + "cellXfs")
        t_prot = ns + "protection"
        for i, xf in enumerate(xfs if xfs is not None else ()):
            try:
                fid = int(xf.get("numFmtId") or 0)
            except ValueError:
                fid = 0
            code = custom.get(fid)
            percent, decimals = format_info(code) if code is not None else _BUILTIN_FMT.get(fid, (False, None))
            prot = _child(xf, t_prot)
            locked = True if prot is None else _true(prot.get("locked"), True)
            styles[str(i)] = (percent, decimals, locked)
        if "0" in styles:
            styles[None] = styles["0"]
        return styles

    def fill_sheet(self, sh: Sheet, root) -> None:
        ns = _ns_of(root.tag)
        sd = _child(root, ns + "sheetData")
        if sd is not None:
            self.fill_cells(sh.cells, sd, ns)
        mc = _child(root, ns + "mergeCells")
        if mc is not None:
            for el in mc.iterchildren(ns + "mergeCell"):
                rng = _range_rc((el.get("ref") or "").replace("$", ""))
                if rng is not None:
                    sh.merged.append(rng)
        sp = _child(root, ns + "sheetProtection")
        if sp is not None:
            sh.protected = _true(sp.get("sheet"), False)

    def fill_cells(self, cells: dict, sd, ns: str) -> None:
        self.tags = (ns + "v", ns + "f", ns + "is", ns + "t", ns + "r")
        self.shared: dict[str, tuple[int, int, str]] = {}
        self.arrays: list[tuple[int, int, int, int]] = []
        if not self.fill_fast(cells, sd, ns):
            cells.clear()
            self.shared.clear()
            self.arrays.clear()
            self.fill_by_position(cells, sd, ns)
        for r1, c1, r2, c2 in self.arrays:  # cells covered by an array formula
            for rc, cell in cells.items():
                if cell.formula is None and r1 <= rc[0] <= r2 and c1 <= rc[1] <= c2:
                    cell.formula = ""

    def fill_fast(self, cells: dict, sd, ns: str) -> bool:
        """The common case: every <c> carries its reference. False when one does not.

        Walks the <v> elements (styled blanks are never visited): a <v> with no previous
        sibling is a plain value cell decoded inline; formula cells (<f> then <v>) and
        inline strings are decoded afterwards, in document order, by ``decode``.
        """
        t_v, t_f, t_is = ns + "v", ns + "f", ns + "is"
        strings = self.strings
        styles = self.styles
        default_style = styles[None]
        style_get = styles.get
        cache_get = _REF_CACHE.get
        decode = self.decode
        for v_el in sd.iter(t_v):
            c = v_el.getparent()
            ref = c.get("r")
            if ref is None:
                return False
            rc = cache_get(ref)
            if rc is None:
                rc = _ref_rc(ref)
                if rc is None:
                    return False
            prev = v_el.getprevious()
            if prev is not None:
                if prev.tag == t_f:
                    continue  # formula cell: below
                cell = decode(c, rc, c.get("t"))
            else:
                t = c.get("t")
                v = v_el.text
                if t is None:
                    if not v:
                        continue
                    value = float(v) if ("." in v or "E" in v or "e" in v) else int(v)
                elif t == "s":
                    if not v:
                        continue
                    value = strings[int(v)]
                else:
                    cell = decode(c, rc, t)
                    if cell is not None:
                        cells[rc] = cell
                    continue
                percent, decimals, locked = style_get(c.get("s"), default_style)
                cells[rc] = Cell(value, None, None, percent, decimals, locked)
                continue
            if cell is not None:
                cells[rc] = cell
        for tag in (t_f, t_is):
            for el in sd.iter(tag):
                c = el.getparent()
                ref = c.get("r")
                if ref is None:
                    return False
                rc = _ref_rc(ref)
                if rc is None:
                    return False
                if tag == t_is and rc in cells:
                    continue  # already decoded with its formula
                cell = decode(c, rc, c.get("t"))
                if cell is not None:
                    cells[rc] = cell
        return True

    def fill_by_position(self, cells: dict, sd, ns: str) -> None:
        """Rows and cells whose r attribute is missing are placed by position."""
        ri = -1
        decode = self.decode
        for row in sd.iterchildren(ns + "row"):
            rattr = row.get("r")
            try:
                ri = int(rattr) - 1 if rattr is not None else ri + 1
            except ValueError:
                ri += 1
            ci = -1
            for c in row.iterchildren(ns + "c"):
                ref = c.get("r")
                rc = _ref_rc(ref) if ref is not None else None
                if rc is None:
                    ci += 1
                    rc = (ri, ci)
                else:
                    ci = rc[1]
                cell = decode(c, rc, c.get("t"))
                if cell is not None:
                    cells[rc] = cell

    def decode(self, c, rc: tuple[int, int], t: str | None) -> Cell | None:
        """Any <c> element -> Cell, or None when it holds nothing."""
        t_v, t_f, t_is, t_t, t_r = self.tags
        v = f_el = is_el = None
        for ch in c:
            tag = ch.tag
            if tag == t_v:
                v = ch.text
            elif tag == t_f:
                f_el = ch
            elif tag == t_is:
                is_el = ch
        formula = None
        if f_el is not None:
            self.has_formulas = True
            formula = f_el.text
            ftype = f_el.get("t")
            if ftype == "shared":
                si = f_el.get("si")
                if formula:
                    self.shared[si] = (rc[0], rc[1], formula)
                else:
                    master = self.shared.get(si)
                    formula = (shift_formula(master[2], rc[0] - master[0], rc[1] - master[1])
                               if master is not None else "")
            elif formula is None:
                formula = ""
            if ftype == "array":
                rng = _range_rc((f_el.get("ref") or "").replace("$", ""))
                if rng is not None and rng[:2] != rng[2:]:
                    self.arrays.append(rng)
        error = None
        if t is None or t == "n":
            if not v:
                value = None
            elif "." in v or "E" in v or "e" in v:
                value = float(v)
            else:
                try:
                    value = int(v)
                except ValueError:
                    value = float(v)  # 'inf', 'nan'; anything else raises
        elif t == "s":
            value = self.strings[int(v)] if v else None
        elif t == "str":
            value = _unescape(v) if v is not None else (None if formula is not None else "")
        elif t == "inlineStr":
            if is_el is not None:
                parts = []
                for ch in is_el:
                    if ch.tag == t_t:
                        parts.append(ch.text or "")
                    elif ch.tag == t_r:
                        for tt in ch.iterchildren(t_t):
                            parts.append(tt.text or "")
                value = _unescape("".join(parts))
            else:
                value = _unescape(v) if v is not None else None
        elif t == "b":
            value = None if not v else v.strip() in ("1", "true")
        elif t == "e":
            value = None
            error = v.strip() if v else None
        else:  # 'd' (ISO 8601 text) and unknown types: keep the text
            value = v
        if value is None and formula is None and error is None:
            return None
        st = self.styles.get(c.get("s"), self.styles[None])
        return Cell(value, formula, error, st[0], st[1], st[2])


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
    return _read_calamine(data, file, name, "et" if is_et else "xls", digest)


# ---------------------------------------------------------------------------
# python-calamine path (xls, et, ods, fallback)
# ---------------------------------------------------------------------------

_EPOCH = None


def _calamine_value(v):
    if v is None or v == "":
        return None
    t = type(v)
    if t is bool or t is int or t is str:
        return v
    if t is float:
        return int(v) if v.is_integer() else v
    import datetime as dt

    global _EPOCH
    if _EPOCH is None:
        _EPOCH = dt.datetime(1899, 12, 30)
    if isinstance(v, dt.datetime):
        serial = (v - _EPOCH).total_seconds() / 86400
    elif isinstance(v, dt.date):
        serial = (v - _EPOCH.date()).days
    elif isinstance(v, dt.time):
        serial = (v.hour * 3600 + v.minute * 60 + v.second + v.microsecond / 1e6) / 86400
    elif isinstance(v, dt.timedelta):
        serial = v.total_seconds() / 86400
    else:
        return str(v)
    return int(serial) if float(serial).is_integer() else serial


def _read_calamine(data: bytes, file: str, name: str, kind: str, digest: str) -> Book:
    """Values-only reading; see the module docstring for what is lost on this path.

    calamine, olefile and msoffcrypto raise many exception types on hostile input, so
    this path and ``_open_ole`` catch ``Exception`` and turn it into a ReadError.
    """
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:
        if kind == "et":
            raise _err("unsupported_et", file, name) from None
        if kind == "xls":
            raise _err("legacy_unreadable", file, name) from None
        raise _err("corrupt", file, name, "（表格内容无法解析）") from None
    sheets: list[Sheet] = []
    try:
        for i, meta in enumerate(wb.sheets_metadata):
            vis = str(getattr(meta, "visible", "")).lower()
            state = "veryHidden" if "veryhidden" in vis else "hidden" if "hidden" in vis else "visible"
            sh = Sheet(meta.name, {}, [], {}, False, state)
            sheets.append(sh)
            try:
                cs = wb.get_sheet_by_index(i)
                rows = cs.to_python()  # starts at cs.start, the first non-empty cell
                r0, c0 = cs.start or (0, 0)
            except Exception:
                if "worksheet" not in str(getattr(meta, "typ", "")).lower():
                    continue  # chart sheets etc. have no cells
                raise
            cells = sh.cells
            for r, row in enumerate(rows):
                for c, v in enumerate(row):
                    if v == "" or v is None:
                        continue
                    cells[(r0 + r, c0 + c)] = Cell(_calamine_value(v))
            merged = getattr(cs, "merged_cell_ranges", None)
            for (r1, c1), (r2, c2) in merged or ():
                sh.merged.append((r1, c1, r2, c2))
    except Exception:
        if kind == "et":
            raise _err("unsupported_et", file, name) from None
        if kind == "xls":
            raise _err("legacy_unreadable", file, name) from None
        raise _err("corrupt", file, name, "（表格内容无法解析）") from None
    finally:
        try:
            wb.close()
        except Exception:
            pass
    return Book(file, kind, sheets, {}, False, digest, values_only=True)
