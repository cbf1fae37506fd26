"""The OOXML fast path (.xlsx/.xlsm): zipfile + lxml, no openpyxl; cell references and formulas."""

from __future__ import annotations

import math
import posixpath
import re
from functools import lru_cache

from ..forms.cells import col_letter
from .workbook import Book, Cell, Sheet
from .limits import MAX_CELLS, MAX_SHEET_XML
from .safety import _err, MAX_COL, MAX_ROW, _parse_xml, ReadError, _Zip
from .numfmt import _BUILTIN_FMT, BUILTIN_DATE_FMT, format_info, is_date_format


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
# Parts of the XML the reader never uses, cut out before lxml builds a tree of them
# ---------------------------------------------------------------------------

# a sheet's drop-down lists and input prompts (a quarter of a template sheet's bytes) and its
# extensions; a workbook's name table is read from its bytes (:func:`_defined_names`)
_UNUSED_SHEET_PARTS = (b"dataValidations", b"extLst")


def _cut(raw: bytes, tag: bytes) -> tuple[bytes, bytes | None]:
    """(``raw`` without its one ``<tag …>…</tag>`` element, that element); (``raw``, None) when the
    element is absent, repeated or self-closed, or holds a comment, CDATA or a processing instruction
    (which could hide its tags). Unused elements only: what is cut out is never checked by a parser."""
    start = raw.find(b"<" + tag)
    if start < 0 or raw[start + len(tag) + 1 : start + len(tag) + 2] not in (b" ", b">"):
        return raw, None
    close = b"</" + tag + b">"
    end = raw.find(close, start)
    if end < 0 or raw.find(b"<" + tag, start + 1) >= 0 or raw.find(close, end + 1) >= 0:
        return raw, None
    end += len(close)
    part = raw[start:end]
    if b"<!" in part or b"<?" in part:
        return raw, None           # a comment or CDATA could hide the tags: leave it to the parser
    return raw[:start] + raw[end:], part


# <definedName> as Excel, WPS and openpyxl write it (a template's name table holds hundreds)
_DEFINED_NAME = re.compile(r'<definedName name="([^"<>&]*)"(?: localSheetId="([0-9]{1,5})")?(?: hidden="[a-z01]*")?'
                           r'>([^<&]*)</definedName>')


def _defined_names(part: bytes) -> list[tuple[str, str | None, str]] | None:
    """(name, localSheetId or None, reference text) of each entry of a <definedNames> element cut out
    of workbook.xml (UTF-8); None unless every entry has the usual shape, for lxml to read it."""
    if b"&" in part:
        return None
    try:
        text = part.decode("utf-8")
    except UnicodeDecodeError:
        return None
    found = _DEFINED_NAME.findall(text)
    if len(found) != text.count("<definedName ") or text.count("<") != 2 * len(found) + 2:
        return None
    return [(n, local or None, ref) for n, local, ref in found]


def _utf8(raw: bytes) -> bool:
    """The XML declaration names no encoding, or UTF-8."""
    head = raw[:200].lower()
    i = head.find(b"encoding")
    if i < 0:
        return True
    decl = head[i + 8 : i + 20].replace(b" ", b"").replace(b"'", b'"')
    return decl.startswith((b'="utf-8"', b'="utf8"'))


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
# OOXML fast path
# ---------------------------------------------------------------------------

_XESC = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(s: str) -> str:
    """Excel's ``_xHHHH_`` escapes; an escaped surrogate pair becomes its character, a lone
    surrogate (which no encoder accepts) U+FFFD."""
    if "_x" not in s:
        return s
    s = _XESC.sub(lambda m: chr(int(m.group(1), 16)), s)
    if any("\ud800" <= ch <= "\udfff" for ch in s):
        s = s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return s


def _number(v: str) -> int | float | str:
    """A numeric cell's text: int, finite float, or (text typed into a number cell, or
    inf/nan, which no spreadsheet stores) the text itself, for the value reader to judge."""
    try:
        if "." in v or "E" in v or "e" in v:
            f = float(v)
            return f if math.isfinite(f) else v
        return int(v) if len(v) < 20 else v
    except ValueError:
        try:
            f = float(v)
        except ValueError:
            return v
        return f if math.isfinite(f) else v


_DEFAULT_STYLE = (False, None, True, False)   # percent, decimals, locked, date


class _OoxmlReader:
    def __init__(self, z: _Zip, file: str, name: str, kind: str, digest: str):
        self.z, self.file, self.name, self.kind, self.digest = z, file, name, kind, digest
        self.has_formulas = False

    def xml(self, part: str):
        raw = self.z.read(part)
        if raw is None:
            return None
        return _parse_xml(raw, self.file, self.name, part)

    def xml_without(self, raw: bytes, part: str, cut: bytes):
        """``raw`` parsed with the unused elements cut out; parsed whole when that does not parse (the
        cut went wrong), so a broken part is reported as it is. (A DOCTYPE stays in the cut text: the
        parser refuses it either way.)"""
        if cut is not raw:
            try:
                return _parse_xml(cut, self.file, self.name, part)
            except ReadError as exc:
                if exc.code != "corrupt":
                    raise
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
        raw = self.z.read(wb_part)
        cut, part = _cut(raw, b"definedNames") if _utf8(raw) else (raw, None)
        defined = _defined_names(part) if part is not None else None
        if defined is None:
            cut = raw
        root = self.xml_without(raw, wb_part, cut)
        del raw, cut, part
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
        cells = 0
        for sname, state, target in entries:
            sh = Sheet(sname, {}, [], {}, False, state)
            info = self.z.info(target) if target is not None else None
            if info is not None and info.file_size > MAX_SHEET_XML:
                sh.skipped = f"工作表内容 {info.file_size / 2**20:.0f} MB，超过 {MAX_SHEET_XML // 2**20} MB，未读取"
                target = None
            if target is not None:
                raw = self.z.read(target)
                if raw is None:
                    raise _err("corrupt", self.file, self.name, f"（工作表“{sname}”的内容缺失）")
                cut = raw
                for tag in _UNUSED_SHEET_PARTS:
                    cut = _cut(cut, tag)[0]
                sroot = self.xml_without(raw, target, cut)
                del raw, cut
                self.fill_sheet(sh, sroot)
                del sroot
                cells += len(sh.cells)
                if cells > MAX_CELLS:
                    raise _err("too_large", self.file, self.name, f"（单元格超过 {MAX_CELLS:,} 个）")
            sheets.append(sh)

        names: dict[str, tuple[str, int, int, int, int]] = {}
        if defined is None:
            dn = _child(root, ns + "definedNames")
            tag = ns + "definedName"
            defined = [(el.get("name") or "", el.get("localSheetId"), el.text or "")
                       for el in (dn if dn is not None else ()) if el.tag == tag]
        for nm, local, text in defined:
            if not nm or nm[:6].lower() == "_xlnm.":
                continue
            parsed = parse_name_target(text)
            if parsed is None:
                continue
            tsheet, rng = parsed
            if tsheet not in sheet_names:
                continue
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

    def string(self, v: str) -> str | None:
        """Shared string number ``v``; a bad index is an empty cell, not a crash."""
        try:
            return self.strings[int(v)]
        except (ValueError, IndexError):
            return None

    def cell_styles(self, part: str) -> dict[str | None, tuple[bool, int | None, bool, bool]]:
        styles: dict[str | None, tuple[bool, int | None, bool, bool]] = {None: _DEFAULT_STYLE}
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
            date = is_date_format(code) if code is not None else fid in BUILTIN_DATE_FMT
            prot = _child(xf, t_prot)
            locked = True if prot is None else _true(prot.get("locked"), True)
            styles[str(i)] = (percent, decimals, locked, date)
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
                    value = _number(v)
                elif t == "s":
                    if not v:
                        continue
                    value = self.string(v)
                    if value is None:
                        continue
                else:
                    cell = decode(c, rc, t)
                    if cell is not None:
                        cells[rc] = cell
                    continue
                percent, decimals, locked, date = style_get(c.get("s"), default_style)
                cells[rc] = Cell(value, None, None, percent, decimals, locked, date)
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
            value = _number(v) if v else None
        elif t == "s":
            value = self.string(v) if v else None
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
        return Cell(value, formula, error, st[0], st[1], st[2], st[3])
