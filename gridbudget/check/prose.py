"""Figures stated in the self-evaluation report's text, compared with the tables (RULES V13).

The report prose restates the tables (整体支出, 基本支出, 项目支出, 公用经费, 三公经费 and
its items, 编制数/实有人数, the self-score). Each statement is found by its label followed
closely by a number and a unit; whether a 三公 figure is the budget or the outturn is
decided by its sentence (预算 … versus 实际完成/决算/支出 …).
"""

from __future__ import annotations

import codecs
import io
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterator

from ..errors import InputError
from ..model import Submission, Val
from ..read.safety import _OLE_MAGIC, _ZIP_MAGIC, ReadError, _guess_kind, _parse_xml, _read_input, _Zip
from ..read.values import normalize_text

_NUM = r"(\d+(?:\.\d+)?)"
_GAP = r"[^0-9。；;，,\n]{0,8}?"


@dataclass(frozen=True)
class Statement:
    label: str           # what the text says, e.g. 公务接待费
    value: Decimal
    unit: str            # 万元 | 人 | 分 | %
    line: int            # 1-based line of the report
    excerpt: str         # the words around it
    column: str          # "budget" | "final" (for 三公 items), "" otherwise
    target: str          # what it is compared with (see TARGETS)


# (target, label regex, unit); order matters: longer labels first
TARGETS: tuple[tuple[str, str, str], ...] = (
    ("car", r"公务用车购置(?:及|和)(?:运行|维护)(?:费|经费)?", "万元"),
    ("car_operation", r"公务用车运行(?:维护)?费", "万元"),
    ("reception", r"公务接待(?:费)?", "万元"),
    ("abroad", r"因公出国(?:（境）|\(境\))?(?:费|经费)?|出国经费", "万元"),
    ("sangong", r"[“\"]?三公[”\"]?经费", "万元"),
    ("public", r"公用(?:经费|支出)", "万元"),
    ("basic", r"基本支出", "万元"),
    ("project", r"项目支出(?:合计)?", "万元"),
    ("total", r"整体支出(?:合计)?|支出总额|总支出", "万元"),
    ("staff_authorized", r"(?:人员)?编制(?:数)?", "人"),
    ("staff_actual", r"实有人数|实际在职人数|在职人数", "人"),
    ("self_score", r"(?:打分|自评)?得出结果为|自评得分(?:为)?|自评总分(?:为)?", "分"),
)
_UNIT_RE = {"万元": r"\s*万元", "人": r"\s*人", "分": r"\s*分"}
_BUDGET_WORDS = ("预算",)
_FINAL_WORDS = ("实际", "完成", "决算", "支出")


REPORT_MAX_BYTES = 50 * 2**20        # a report with pictures is a few MB
REPORT_MAX_UNZIPPED = 200 * 2**20    # all parts of a .docx, declared sizes
REPORT_MAX_XML = 64 * 2**20          # word/document.xml alone

_W_NS = ("http://schemas.openxmlformats.org/wordprocessingml/2006/main",
         "http://purl.oclc.org/ooxml/wordprocessingml/main")
_MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_SAVE_REPORT = "请提交 Word（.docx）或文本（.txt）格式的报告。"
# w: elements whose content is not text of the paragraph (properties, deletions, field codes)
_W_SKIP = frozenset({"pPr", "rPr", "sectPr", "tblPr", "tblGrid", "trPr", "tcPr", "del", "delText",
                     "instrText", "delInstrText", "moveFrom", "commentReference", "footnoteReference",
                     "endnoteReference"})


def read_report(path: str | os.PathLike) -> str:
    """The text of a report: .txt (UTF-8, UTF-16 with BOM or GB18030/GBK) or .docx (one
    paragraph per line, from word/document.xml).

    The file is sniffed by its bytes, not its name, and read with the workbook reader's
    limits (file size, decompressed size, compression ratio, XML without DTD/entities).
    Every file that cannot be read raises :class:`~gridbudget.errors.InputError` (exit
    code 2) with a Chinese message naming it: missing, a folder, too large, empty, an
    encrypted .docx, an old .doc, a PDF, a corrupt zip, a zip without a Word document.
    """
    file = os.fspath(path)
    name = file
    try:
        data = _read_input(file, name, REPORT_MAX_BYTES)
    except ReadError as exc:
        raise _report_error(exc, file, name) from None
    if not data:
        raise InputError(f"报告 {name} 是空文件（0 字节），无法核对报告正文：{_SAVE_REPORT}")
    if data[:4] == _ZIP_MAGIC:
        return _docx_text(data, file, name)
    if data[:8] == _OLE_MAGIC:
        raise _ole_report_error(data, name)
    if data[:4] == b"%PDF":
        raise InputError(f"报告 {name} 是 PDF 文件，无法读取正文：{_SAVE_REPORT}")
    if data[:5] == b"{\\rtf":
        raise InputError(f"报告 {name} 是 RTF 格式，无法读取正文：请用 Word 或 WPS 另存为 .docx 或 .txt。")
    return _report_plain_text(data, name)


def _report_error(exc: ReadError, file: str, name: str) -> InputError:
    """A reader error on a report, said for a report (the workbook messages speak of .xlsx)."""
    if exc.code == "not_found":
        if os.path.isdir(file):
            return InputError(f"报告 {name} 是一个文件夹，不是文件：{_SAVE_REPORT}")
        if not os.path.exists(file):
            return InputError(f"找不到报告文件 {name}：请检查文件路径是否正确。")
        return InputError(f"无法打开报告文件 {name}（没有读取权限或无法访问）。")
    if exc.code == "encrypted":
        return InputError(f"报告 {name} 设有打开密码，无法读取：请取消密码后另存为 .docx 再提交。")
    if exc.code == "too_large":
        return InputError(f"报告 {name} 太大或解压后内容过大、压缩比异常，已拒绝读取："
                          f"报告文件不能超过 {REPORT_MAX_BYTES // 2**20} MB，请删除多余的图片等内容或另存为 .txt。")
    if "DOCTYPE" in exc.message:
        return InputError(f"报告 {name} 含有不安全的 XML 内容（DOCTYPE/实体声明），已拒绝读取：请用 Word 或 WPS 另存为 .docx。")
    return InputError(f"报告 {name} 已损坏或不完整，无法读取：请用 Word 或 WPS 打开后另存为 .docx 或 .txt。")


def _ole_report_error(data: bytes, name: str) -> InputError:
    """An OLE compound file is never a readable report: say what it is."""
    import olefile  # dependency of msoffcrypto-tool

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
        try:
            streams = {"/".join(p).lower() for p in ole.listdir(streams=True, storages=False)}
        finally:
            ole.close()
    except Exception:
        return InputError(f"报告 {name} 已损坏或不完整（OLE 复合文档结构损坏），无法读取：{_SAVE_REPORT}")
    if "encryptedpackage" in streams or "encryptioninfo" in streams:
        return InputError(f"报告 {name} 设有打开密码，无法读取：请取消密码后另存为 .docx 再提交。")
    if "worddocument" in streams:
        return InputError(f"报告 {name} 是旧版 Word 文档（.doc），无法读取正文：请用 Word 或 WPS 另存为 .docx 或 .txt。")
    if "workbook" in streams or "book" in streams:
        return InputError(f"报告 {name} 是 Excel 工作簿，不是报告正文：{_SAVE_REPORT}")
    return InputError(f"报告 {name} 是不认识的 Office 文件，无法读取正文：{_SAVE_REPORT}")


def _docx_text(data: bytes, file: str, name: str) -> str:
    try:
        z = _Zip(data, file, name, REPORT_MAX_UNZIPPED)
        if not z.has("word/document.xml"):
            if z.has("xl/workbook.xml"):
                what = "看起来是 Excel 工作簿"
            elif z.has("ppt/presentation.xml"):
                what = "看起来是 PowerPoint 演示文稿"
            elif z.has("mimetype") or z.has("content.xml"):
                what = "看起来是 OpenDocument 文件（.odt 等）"
            else:
                what = "是一个不含 Word 文档（word/document.xml）的压缩包"
            raise InputError(f"报告 {name} 不是 Word 文档（{what}），无法读取正文：{_SAVE_REPORT}")
        raw = z.read("word/document.xml", cap=REPORT_MAX_XML + 1) or b""
        if len(raw) > REPORT_MAX_XML:
            raise InputError(f"报告 {name} 的正文部件解压后超过 {REPORT_MAX_XML // 2**20} MB，已拒绝读取："
                             "请另存为 .txt 再提交。")
        root = _parse_xml(raw, file, name, "word/document.xml")
    except ReadError as exc:
        raise _report_error(exc, file, name) from None
    return "\n".join(_docx_lines(root))


def _docx_lines(root) -> list[str]:
    """Paragraph texts of a WordprocessingML document in document order, one per paragraph
    (table cells and text boxes included): w:t text, w:tab as a tab, w:br/w:cr as a line
    break; deleted text, field codes and the fallback copies of drawings are left out."""
    lines: list[str] = []

    def walk(el, buf: list[str] | None) -> None:
        for ch in el:
            tag = ch.tag
            if not isinstance(tag, str):          # comments, processing instructions
                continue
            ns, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
            if ns == _MC_NS and local == "Fallback":
                continue
            if ns in _W_NS or ch.prefix == "w":     # w: of hand-made documents too
                if local in _W_SKIP:
                    continue
                if local == "p":
                    own: list[str] = []
                    walk(ch, own)
                    lines.append("".join(own))
                    continue
                if buf is not None:
                    if local == "t":
                        buf.append(ch.text or "")
                        continue
                    if local in ("tab", "ptab"):
                        buf.append("\t")
                        continue
                    if local in ("br", "cr"):
                        buf.append("\n")
                        continue
                    if local == "noBreakHyphen":
                        buf.append("-")
                        continue
            walk(ch, buf)

    walk(root, None)
    return lines


def _report_plain_text(data: bytes, name: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(f"报告 {name} 的 UTF-16 编码有误，无法读取：请另存为 UTF-8 编码的 .txt。") from None
    if b"\x00" in data[:4096]:
        raise InputError(f"报告 {name} 不是文本文件或 Word 文档{_guess_kind(data)}，无法读取：{_SAVE_REPORT}")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError(f"报告 {name} 不是 UTF-8 或 GBK/GB18030 编码的文本，无法读取：请另存为 UTF-8 编码的 .txt 或 .docx。")


def _column(sentence_before: str) -> str:
    """预算 or 决算 by the last such word before the figure in its sentence."""
    last_b = max((sentence_before.rfind(w) for w in _BUDGET_WORDS), default=-1)
    last_f = max((sentence_before.rfind(w) for w in _FINAL_WORDS), default=-1)
    return "budget" if last_b > last_f else "final"


def statements(text: str) -> Iterator[Statement]:
    lines = text.splitlines()
    for ln, raw in enumerate(lines, start=1):
        line = normalize_text(raw)
        taken: list[tuple[int, int]] = []
        for target, label, unit in TARGETS:
            for m in re.finditer(f"(?:{label}){_GAP}{_NUM}{_UNIT_RE[unit]}", line):
                if any(a <= m.start() < b for a, b in taken):
                    continue
                taken.append((m.start(), m.end()))
                start = max(line.rfind(p, 0, m.start()) for p in ("。", "；", ";")) + 1
                yield Statement(m.group(0), Decimal(m.group(1)), unit, ln, line[max(0, m.start() - 12):m.end()],
                                _column(line[start:m.start(1)]), target)


def _basic(sub: Submission, key: str) -> Val | None:
    return sub.basic.fields.get(key) if sub.basic is not None else None


def _overall(sub: Submission, key: str) -> Val | None:
    return sub.overall.fields.get(key) if sub.overall is not None else None


def table_value(sub: Submission, st: Statement, self_total: Decimal | None) -> tuple[Decimal | None, Val | None]:
    """The tables' figure for a statement, and the cell to point at."""
    getters: dict[str, Callable[[], Val | None]] = {
        "total": lambda: _overall(sub, "funds.total.executed"),
        "basic": lambda: _overall(sub, "expense.basic"),
        "project": lambda: _overall(sub, "expense.project"),
        "public": lambda: _basic(sub, "public.final"),
        "staff_authorized": lambda: _basic(sub, "staff.authorized"),
        "staff_actual": lambda: _basic(sub, "staff.actual"),
    }
    if st.target == "self_score":
        v = _overall(sub, "total.score")
        return self_total, v
    if st.target in ("sangong", "car", "car_operation", "reception", "abroad"):
        v = _basic(sub, f"{st.target}.{st.column}")
        if st.target == "sangong" and (v is None or v.amount_value() is None):
            parts = [_basic(sub, f"{k}.{st.column}") for k in ("car", "abroad", "reception")]
            vals = [p.amount_value() for p in parts if p is not None and p.amount_value() is not None]
            return (sum(vals, Decimal(0)) if vals else None), v
        if v is None:
            return None, None
        return (v.amount_value() if v.amount_value() is not None else Decimal(0)), v
    v = getters[st.target]()
    if v is None:
        return None, None
    if st.unit == "人":
        return v.number_value(), v
    return v.amount_value(), v
