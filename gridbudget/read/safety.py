"""Reading bytes safely: :class:`ReadError` and its Chinese messages, size and zip limits, the
bounded zip reader and XML parsing with entities, DTDs and network access disabled."""

from __future__ import annotations

import io
import os
import threading
import zipfile
import zlib

from ..errors import InputError


class ReadError(InputError):
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
        Exception.__init__(self, code, file, message)     # args as __init__ takes them: picklable
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
        msg = (f"文件 {name} 内容过大{detail}，已拒绝读取："
               f"请删除多余的行、列和工作表，用 Excel 或 WPS 另存为 .xlsx 后再提交。")
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
    return b"<!" in raw and (b"<!DOCTYPE" in raw or b"<!ENTITY" in raw)


def _parse_xml(raw: bytes, file: str, name: str, part: str):
    if _has_doctype(raw):
        raise _err("unsafe", file, name, f"，部件 {part}")
    etree = _etree()
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        if "memory" in str(exc).lower():         # libxml2 out of memory under the worker's cap
            raise MemoryError(part) from None
        raise _err("corrupt", file, name, f"（部件 {part} 的 XML 内容无效）") from None
    if root.getroottree().docinfo.doctype:
        raise _err("unsafe", file, name, f"，部件 {part}")
    return root
