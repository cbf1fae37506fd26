"""The self-evaluation report's text: read safely, and every figure it states matched to the
table figure it restates (RULES V13).

Reading (:func:`read_report`): .txt or .docx, with the workbook reader's limits.

Matching (:func:`analyse`): the text is cut into paragraphs (a line of a .txt, a paragraph of
a .docx, numbered from 1), sentences (。；！？) and clauses (the words between one figure and
the one before it). A figure is a number with its unit (万元/元, %, 人, 分, 次 …); what it
restates is decided by the words around it:

* its subject: the last subject word of its clause (三公经费, 公务接待费, 基本支出, 人员经费, a
  project's or an indicator's name, 执行率, 产出指标, 总分 …), else -- when the clause only says
  which column ("，实际支出0.21万元") -- the subject of the figure before it in the sentence;
* its column: 预算 / 实际、决算、支出 / 上年 / 年初 before it ("三公经费预算0.45万元");
* what it is: a change (比上年增加 …), a share (占总支出的 …), a rate (执行率 …), a score
  (得分 …), a weight (分值 …), a grade (等级为“优”).

A figure agrees with the table to the precision it is printed with (117万元 restates 116.95;
99.13% restates 116.95 ÷ 117.98; 99.1% too) or, for amounts and points, within the profile's
tolerance (0.01); a 0 is not widened by its precision (公务接待费0万元 against 0.21 is wrong). Words in 【】 are a
drafter's notes (the placeholders of ``gridbudget report``) and are not checked. A figure whose
subject the tables do not hold (固定资产账面净值 …) is only compared with itself: the same words
with two different figures in two places.
"""

from __future__ import annotations

import codecs
import difflib
import io
import os
import re
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Iterator

from .. import forms
from ..errors import InputError
from ..model import Indicator, Submission, TableData, Val
from ..read.safety import _OLE_MAGIC, _ZIP_MAGIC, ReadError, _guess_kind, _parse_xml, _read_input, _Zip
from ..read.values import _NORMALIZE_TABLE

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



# ---------------------------------------------------------------------------
# What the prose states, matched to the tables
# ---------------------------------------------------------------------------
ZERO, HUNDRED = Decimal(0), Decimal(100)
_EPS = Decimal("0.000001")

# full-width digits, letters and % to ASCII; Chinese clause punctuation (，；：（）！？) is kept
_PROSE_TABLE = {k: v for k, v in _NORMALIZE_TABLE.items() if k not in (0xFF0C, 0xFF1B, 0xFF1A, 0xFF08, 0xFF09,
                                                                       0xFF01, 0xFF1F)}
_PROSE_TABLE.update({0x200B: None, 0x200C: None, 0x200D: None, 0xFEFF: None})
# the same, one character for one (offsets keep), for matching names typed with either punctuation
_FOLD_TABLE = {k: v for k, v in _NORMALIZE_TABLE.items() if isinstance(v, int) or (isinstance(v, str) and len(v) == 1)}
_NOTE_RE = re.compile(r"【[^】]*】")            # a drafter's note / placeholder: not prose to check
_SENTENCE_RE = re.compile(r"[^。；;！!？?]+")
_FIGURE_RE = re.compile(
    r"(?<![0-9.,，])(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)"
    r"(?P<qa>余|多)?\s?"
    r"(?P<unit>万元|亿元|千元|元|个百分点|百分点|%|人次|人|分|个|项|次|条|家|户|名|场|篇|件|期|批)")
_ABOUT_RE = re.compile(r"(?:约|大约|近|将近|接近)$")
_AT_LEAST_RE = re.compile(r"(?:逾)$")
_MIN_RE = re.compile(r"(?:≥|>=|>|不低于|不少于|高于|大于|超过|多于|至少)$")
_MAX_RE = re.compile(r"(?:≤|<=|<|不高于|不超过|低于|小于|少于|控制在|最多)$")
_RANGE_BEFORE_RE = re.compile(r"[0-9.]\s?(?:万元|元|%|分|人|个|项|次|条)?\s?(?:—|-|–|~|～|至|到)\s?$")
_MONEY_FACTOR = {"万元": Decimal(1), "元": Decimal("0.0001"), "千元": Decimal("0.1"), "亿元": Decimal(10000)}
_COUNT_UNITS = frozenset({"人次", "个", "项", "次", "条", "家", "户", "名", "场", "篇", "件", "期", "批"})

# 一级 and 二级 by the names the forms give them (subject keys level1:<key>, level2:<block>)
_LEVEL_SUBJECTS = tuple((f"level1:{k}", re.escape(name)) for k, name, _w, _l2 in forms.LEVEL1) + tuple(
    (f"level2:ind.{k}.{k2}", re.escape(name2)) for k, _n, _w, level2 in forms.LEVEL1 for k2, name2, _s in level2)
# subjects: what a figure can be about (key, pattern); the longest match at a place wins
_SUBJECTS: tuple[tuple[str, str], ...] = (
    ("car", r"公务用车购置(?:及|和|与|、)?(?:运行)?(?:维护|运行)(?:费|经费|支出)?|公务用车(?:费|经费|支出)"),
    ("car_purchase", r"(?:公务用车|公车)购置(?:费|经费|支出)?"),
    ("car_operation", r"(?:公务用车|公车)运行(?:维护|维修)?(?:费|经费|支出)?"),
    ("reception", r"公务接待(?:费|经费|支出)?"),
    ("abroad", r"因公出国(?:[（(]境[）)]|境)?(?:费|经费|支出)?|出国(?:[（(]境[）)])?(?:费|经费)"),
    ("sangong", r"[“\"‘']?三公[”\"’']?(?:经费)?(?:支出)?"),
    ("personnel", r"人员(?:经费|支出)"),
    ("public", r"(?:日常)?公用(?:经费|支出)"),
    ("office", r"办公(?:经费|费)"),
    ("meetings", r"会议费[、和及与]培训费"),
    ("utilities", r"水费[、]?电费[、]?差旅费"),
    ("procurement", r"政府采购(?:金额|支出|资金)?"),
    ("basic", r"基本支出"),            # (the patterns are how reports write it, not the forms' labels)
    ("project", r"项目支出"),
    ("total", r"(?:部门)?整体支出|支出总额|总支出|支出合计|支出总计"),
    ("executed", r"全年执行数|实际执行数|执行数"),
    ("budget", r"全年预算(?:数)?|调整后(?:的)?预算(?:数)?|预算总额"),
    ("initial", r"年初预算(?:数)?"),
    ("income_general", r"一般公共预算(?:财政)?(?:拨款|资金|收入)?"),
    ("income_fund", r"政府性基金(?:预算)?(?:拨款|资金|收入)?"),
    ("income_special", r"(?:纳入专户管理的)?非税收入(?:拨款)?"),
    ("income_other", r"其他资金"),
    ("staff_authorized", r"(?:人员)?编制(?:数|人数)?|核定编制"),
    ("staff_actual", r"实有人数|实际在职人数|在职人数|实有人员|在职人员|在职职工|实有|在职"),
    ("exec_rate", r"(?:预算)?执行率"),
    ("control_rate", r"(?:人员|编制)?控制率"),
    *_LEVEL_SUBJECTS,
    ("total_score", r"自评总分|总得分|总分|综合得分|得出结果|评价结果|自评结果|最终得分|合计得分"),
    ("score_word", r"自评得分"),        # the table's total, unless the sentence names what scored
)
_SUBJECT_RES = tuple((k, re.compile(p)) for k, p in _SUBJECTS)

_BASIC_ITEMS = ("sangong", "car", "car_purchase", "car_operation", "abroad", "reception", "public", "office",
                "utilities", "meetings", "procurement")
_BASIC = forms.fields_of("basic")
_OVERALL = forms.fields_of("overall")
# a total of 基础数据表 the forms compute (三公经费, 公务用车): the rows of its parts, which a report's
# figure is added up from when the total's cell is empty
_BASIC_PARTS = {k: tuple(p.rsplit(".", 1)[0] for p in rel.parts) for k in _BASIC_ITEMS
                if isinstance(rel := _BASIC[f"{k}.final"].relation, forms.Sum)}
_BASIC_NAMES = {k: forms.row_label(_BASIC[f"{k}.final"].label) for k in _BASIC_ITEMS}
# the columns of 基础数据表 as words, 上年决算数 as "prev"
_BASIC_COLS = {("prev" if k == "prev_final" else k): forms.plain_label(label) for k, label in forms.BASIC_COLUMNS}
# subject -> (field of 整体支出自评表, its label)
_OVERALL_ITEMS = {item: (key, forms.row_label(_OVERALL[key].label)) for item, key in (
    ("total", "funds.total.executed"), ("executed", "funds.total.executed"), ("budget", "funds.total.budget"),
    ("initial", "funds.total.initial"), ("basic", "expense.basic"), ("project", "expense.project"),
    ("income_general", "income.general"), ("income_fund", "income.fund"), ("income_special", "income.special"),
    ("income_other", "income.other"))}
# a project table's column of its total row by the report's column word
_PROJECT_COLS = {"final": "executed", "budget": "budget", "initial": "initial"}
_WEIGHT, _SCORE = forms.INDICATOR_COLUMN_LABELS["weight"], forms.INDICATOR_COLUMN_LABELS["score"]
_FUNDS_WORDS = forms.FUNDS_COLUMN_LABELS
_CONTEXT_ITEMS = frozenset({"executed", "budget", "initial", "income_other"})   # of the project in context
_MONEY_SUBJECTS = frozenset(_BASIC_ITEMS) | frozenset(_OVERALL_ITEMS) | {"personnel"}
_SCORABLE = ("exec_rate", "total_score", "total")

_COLUMN_RE = re.compile(r"(?P<prev>上年|去年|上一年度?|同期)|(?P<initial>年初)|(?P<budget>预算|预计|安排)"
                        r"|(?P<final>实际|决算|完成|支出|执行|使用|开支|发生|花费)")
_UP, _DOWN = "up", "down"
_DIRS = {"增加": _UP, "增长": _UP, "上升": _UP, "提高": _UP, "提升": _UP, "调增": _UP, "追加": _UP, "增": _UP,
         "减少": _DOWN, "下降": _DOWN, "降低": _DOWN, "节约": _DOWN, "节省": _DOWN, "调减": _DOWN, "压减": _DOWN,
         "压缩": _DOWN, "减": _DOWN}
_DIR_ALT = "|".join(sorted(_DIRS, key=len, reverse=True))
_CHANGE_END_RE = re.compile(rf"(?:(?:比|较|同比|与)(?P<base>[^,，、:：]{{0,10}}?)(?:相比)?)?(?:有所|共|累计|略有|同比)?"
                            rf"(?P<dir>{_DIR_ALT})(?:了)?(?:约)?$")
_CHANGE_WORDS_RE = re.compile(r"(?:比|较|同比)(?P<base>上年|去年|上一年度?|同期|预算|年初预算?|年初)?(?:相比)?"
                              r"(?:有所|略有|明显|大幅|进一步|均)?(?P<dir>增加|增长|上升|提高|减少|下降|降低|节约|节省)"
                              r"(?:了)?(?P<next>.?)")
_SHARE_RE = re.compile(r"占(?P<den>[^,，、；;]{0,14}?)(?:的)?(?:比重|比例|比)?(?:为|是|达|达到)?$")
_SCORE_VERB_RE = re.compile(r"(?P<verb>分值|权重|满分|得分|总分|评分|打分|结果|自评得|综合得|共得|合计得|最终得|实得|计得|得)"
                            r"(?:为|是|了|:|：|达到|达)?\s?$")
_CRITERIA_RE = re.compile(r"否则|酌情|扣[0-9一二三四五六七八九十]|最多扣|每(?:少|缺|推迟|发现|项|个)|不得分|按比例扣")
_COND_SCORE_RE = re.compile(r"的[,，]?\s?得$")
_TARGET_WORDS_RE = re.compile(r"年度指标值|指标值|目标值|目标|计划")
_ACTUAL_WORDS_RE = re.compile(r"实际完成值|实际完成|完成值|完成|实际|达到")
_GRADE_RE = re.compile(r"(?P<lead>等级|等次|级别|评价结果|自评结果|评定|评价|评级|评为|定为)"
                       r"(?P<conn>为|是|:|：|评定为|评价为)?\s?(?P<q>[“\"「『]?)(?P<g>优秀|优|良好|良|中等|中|合格|较差|差|不合格)"
                       r"[”\"」』]?(?P<tail>等级|等次|级)?")
_GRADE_CANON = {"优秀": "优", "优": "优", "良好": "良", "良": "良", "中等": "中", "中": "中", "合格": "中",
                "较差": "差", "差": "差", "不合格": "差"}
_YEAR_RE = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})\s?年(?!\s?[0-9]{1,2}\s?月)")
_HEADING_RE = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十0-9]+[）)]|[0-9]+[、.．]\s?(?=\D))")
_UNIT_SUFFIX_RE = re.compile(r"(?:省|市|区|县|州|旗|盟)")
_NAME_STRIP_RE = re.compile(r"[\s“”\"'‘’（）()《》、，,。.：:；;·]")


@dataclass(frozen=True)
class Figure:
    """A number with its unit in the report's text."""

    para: int            # 1-based paragraph (line) of the report
    start: int           # offsets in the paragraph's text
    end: int
    text: str            # as written: "0.21万元"
    value: Decimal       # the number as written, in its own unit
    unit: str
    places: int          # decimals printed
    approx: str | None   # "about" (约) | "at_least" (余, 逾) | "min" (≥, 以上) | "max" (≤, 以内) | None


@dataclass
class Observation:
    """One disagreement between the prose and the tables (or within the prose)."""

    code: str
    para: int
    excerpt: str
    message: str
    val: Val | None = None
    expected: str | None = None
    found: str | None = None
    key: str | None = None


@dataclass
class _State:
    """What the figure before, in the same sentence, was about."""

    item: str | None = None
    column: str | None = None
    table: TableData | None = None
    scored: set = field(default_factory=set)     # (subject, weight?) whose points the sentence gave already


@dataclass
class _Subject:
    key: str
    start: int
    end: int
    ref: object = None       # the project (row or table) or the indicators a name stands for


def fmt_number(x: Decimal) -> str:
    """A Decimal as the prose writes it: no exponent, no trailing zeros after two places."""
    q = x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if -x.as_tuple().exponent > 2 else x
    s = format(q, "f")
    return s


def _money(x: Decimal | None) -> str:
    return "（空）" if x is None else f"{x.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}万元"


def _pct(x: Decimal | None, places: int = 2) -> str:
    return "（空）" if x is None else f"{x.quantize(Decimal(1).scaleb(-max(places, 0)), rounding=ROUND_HALF_UP)}%"


def agrees(stated: Decimal, places: int, actual: Decimal, tol: Decimal = ZERO, approx: str | None = None) -> bool:
    """A stated figure restates ``actual`` to the precision it is printed with (rounded or cut
    off), or within ``tol``; a stated 0 is exact."""
    if stated == 0:
        return abs(actual) <= tol + _EPS
    if abs(stated - actual) <= tol + _EPS:
        return True
    q = Decimal(1).scaleb(-places)
    try:
        if actual.quantize(q, rounding=ROUND_HALF_UP) == stated or actual.quantize(q, rounding=ROUND_DOWN) == stated:
            return True
    except InvalidOperation:
        return False
    if approx == "about":
        return abs(stated - actual) <= abs(actual) * Decimal("0.05")
    if approx in ("at_least", "min"):
        return actual >= stated
    if approx == "max":
        return actual <= stated
    return False


def clean_text(raw: str) -> str:
    """A paragraph as the checker reads it: full-width digits and % made ASCII, notes in 【】 blanked
    (same length, so offsets keep)."""
    s = raw.translate(_PROSE_TABLE)
    return _NOTE_RE.sub(lambda m: " " * len(m.group(0)), s)


def figures(para: int, text: str) -> Iterator[Figure]:
    for m in _FIGURE_RE.finditer(text):
        before = text[:m.start()]
        if before.endswith("第") or _RANGE_BEFORE_RE.search(before):
            continue
        after = text[m.end():m.end() + 2]
        if after[:1] in ("—", "-", "–", "~", "～", "至") and m.group("unit") != "%":
            continue                     # the first end of a range (16—18分)
        num = m.group("num").replace(",", "")
        places = len(num.split(".")[1]) if "." in num else 0
        tail = text[m.end():m.end() + 3]
        if m.group("qa") or _AT_LEAST_RE.search(before):
            approx = "at_least"                          # 100余次, 逾百人: at least that many
        elif _ABOUT_RE.search(before) or tail.startswith(("左右", "上下")):
            approx = "about"
        elif _MIN_RE.search(before.rstrip()) or tail.startswith(("以上", "及以上")):
            approx = "min"                               # ≥95%, 95%以上: a bound, not a figure
        elif _MAX_RE.search(before.rstrip()) or tail.startswith(("以下", "以内", "及以下", "之内")):
            approx = "max"
        else:
            approx = None
        yield Figure(para, m.start(), m.end(), m.group(0).replace(" ", ""), Decimal(num), m.group("unit"), places, approx)


def _name_key(s: str) -> str:
    return _NAME_STRIP_RE.sub("", s or "")


class _Book:
    """The tables' figures a report can restate."""

    def __init__(self, sub: Submission, profile):
        from ..score.engine import score_table

        self.sub, self.profile = sub, profile
        self.tol = profile.amount_tolerance
        self.score_tol = profile.score_tolerance
        self.scores = {id(t): score_table(t, profile) for t in sub.tables if t.kind in ("overall", "project")}
        self.year = sub.year
        # project names: rows of table 1 and project tables
        self.projects: dict[str, dict] = {}
        if sub.basic is not None:
            for block in ("projects", "special_funds"):
                for row in sub.basic.rows(block):
                    name = row.get("name").text() if row.get("name") is not None else ""
                    if len(_name_key(name)) >= 2:
                        self.projects.setdefault(name.strip(), {})["row"] = row
        for td in sub.projects:
            name = td.get("name").text() or td.display_name
            if len(_name_key(name)) >= 2:
                self.projects.setdefault(name.strip(), {})["table"] = td
        # indicator names (long enough to be a name, not a word)
        self.indicators: dict[str, list[Indicator]] = {}
        for td in sub.tables:
            if td.kind in ("overall", "project"):
                for ind in td.indicators():
                    name = ind.name.strip()
                    if len(_name_key(name)) >= 4:
                        self.indicators.setdefault(name, []).append(ind)
        dyn = [("proj", n) for n in self.projects] + [("ind", n) for n in self.indicators]
        self._dynamic = [(k, n, re.compile(re.escape(n.translate(_FOLD_TABLE)))) for k, n in dyn]
        # 一级 and 二级 as the tables label them ("社会效益", "产出指标（50分）" less its points)
        levels: dict[str, str] = {}
        for l1key, l1name, _w, level2 in forms.LEVEL1:
            for l2key, l2name, syn in level2:
                for word in (l2name, *syn):
                    if len(word) >= 4 and word != l1name:
                        levels.setdefault(word, f"level2:ind.{l1key}.{l2key}")
        for td in sub.tables:
            for key, v in td.fields.items():
                if key.startswith("ind.") and key.endswith(".label") and v is not None and not v.empty:
                    word = re.sub(r"[（(].*$", "", re.sub(r"\s+", "", v.text()))
                    parts = key[:-len(".label")].split(".")
                    if len(word) >= 4 and len(parts) == 3:
                        levels.setdefault(word, "level2:" + ".".join(parts))
        self._levels = [(k, re.compile(re.escape(w))) for w, k in levels.items()]

    # -- subjects -----------------------------------------------------------
    def subjects(self, sent: str) -> list[_Subject]:
        found: list[_Subject] = []
        folded = sent.translate(_FOLD_TABLE)
        for kind, name, rx in self._dynamic:
            for m in rx.finditer(folded):
                ref = self.projects[name] if kind == "proj" else self.indicators[name]
                found.append(_Subject(kind, m.start(), m.end(), ref))
        for key, rx in (*_SUBJECT_RES, *self._levels):
            for m in rx.finditer(sent):
                if m.end() > m.start():
                    found.append(_Subject(key, m.start(), m.end()))
        spans = {}
        for s_ in found:
            spans.setdefault((s_.start, s_.end), []).append(s_)
        for (a, b), same in spans.items():
            kinds = {s_.key for s_ in same}
            if {"proj", "ind"} <= kinds:          # an indicator named after its project: what follows decides
                after = folded[b:b + 8].lstrip("”\"’' ")
                drop = "proj" if re.match(r"(?:的)?(?:年度指标值|指标值|目标值|实际完成|完成值)", after) else "ind"
                found = [s_ for s_ in found if not (s_.start == a and s_.end == b and s_.key == drop)]
        found.sort(key=lambda s: (-(s.end - s.start), s.start))
        taken: list[_Subject] = []
        for s in found:
            if all(s.end <= t.start or s.start >= t.end for t in taken):
                taken.append(s)
        taken.sort(key=lambda s: s.start)
        return taken

    # -- tables ----------------------------------------------------------------
    def table_score(self, td: TableData | None):
        return self.scores.get(id(td)) if td is not None else None

    def project_table(self, subj: _Subject) -> TableData | None:
        return subj.ref.get("table") if isinstance(subj.ref, dict) else None

    def basic_amount(self, key: str, col: str) -> tuple[Decimal | None, Val | None]:
        b = self.sub.basic
        if b is None:
            return None, None
        v = b.fields.get(f"{key}.{'prev_final' if col == 'prev' else col}")
        if v is None:
            return None, None
        x = v.amount_value()
        if x is None:
            parts = _BASIC_PARTS.get(key)
            if parts:
                xs = [self.basic_amount(p, col)[0] for p in parts]
                x = sum((y for y in xs if y is not None), ZERO)
            elif v.empty:
                x = ZERO                 # a row left empty spent nothing
        return x, v

    def field(self, td: TableData | None, key: str) -> tuple[Decimal | None, Val | None]:
        if td is None:
            return None, None
        v = td.fields.get(key)
        return (v.amount_value() if v is not None else None), v

    def money(self, item: str, col: str, td: TableData | None, ref=None) -> tuple[Decimal | None, Val | None, str]:
        """(value in 万元, cell, what it is in words) of a money subject in a column."""
        ov = self.sub.overall
        if item in _BASIC_ITEMS:
            x, v = self.basic_amount(item, col)
            return x, v, f"基础数据表{_BASIC_NAMES[item]}{_BASIC_COLS.get(col, _BASIC_COLS['final'])}"
        if item == "proj":
            row, ptd = ref.get("row"), ref.get("table")
            name = next(iter(k for k, r in self.projects.items() if r is ref), "")
            if ptd is not None and col in _PROJECT_COLS:
                x, v = self.field(ptd, f"funds.total.{_PROJECT_COLS[col]}")
                if x is not None:
                    return x, v, f"项目“{name}”自评表{forms.FUNDS_COLUMN_LABELS[_PROJECT_COLS[col]]}"
            if row is not None and col in ("final", "budget", "prev"):
                v = row.get("prev_final" if col == "prev" else col)
                x = v.amount_value() if v is not None else None
                if x is None and v is not None and v.empty:
                    x = ZERO
                return x, v, f"基础数据表项目“{name}”{_BASIC_COLS[col]}"
            return None, None, ""
        if item == "personnel":
            b, bv = self.field(ov, "expense.basic")
            p, _pv = self.basic_amount("public", "final")
            if b is None or p is None:
                return None, None, ""
            return b - p, bv, (f"人员经费（整体支出自评表{_OVERALL_ITEMS['basic'][1]} {_money(b)} 减基础数据表"
                               f"{_BASIC_NAMES['public']} {_money(p)}）")
        if item in ("total", "executed") and col in ("budget", "initial") and item == "total":
            item = "budget" if col == "budget" else "initial"
        if item in _OVERALL_ITEMS:
            key, word = _OVERALL_ITEMS[item]
            if item in _CONTEXT_ITEMS and td is not None and td.kind == "project":
                if item == "income_other":
                    key = "funds.other.executed"
                    word = forms.row_label(forms.fields_of("project")[key].label) + forms.FUNDS_COLUMN_LABELS["executed"]
                x, v = self.field(td, key)
                return x, v, f"项目“{td.display_name}”自评表{word}"
            if item == "project" and col in ("budget", "prev"):
                rows = self.sub.basic.rows("projects") + self.sub.basic.rows("special_funds") if self.sub.basic else []
                vals = [r.get("prev_final" if col == "prev" else col) for r in rows]
                xs = [v.amount_value() for v in vals if v is not None and v.amount_value() is not None]
                if not xs:
                    return None, None, ""
                v = self.sub.basic.fields.get(f"projects_total.{'prev_final' if col == 'prev' else col}")
                total = forms.row_label(_BASIC[f"projects_total.{'prev_final' if col == 'prev' else col}"].label)
                return sum(xs, ZERO), v, f"基础数据表{total}{_BASIC_COLS[col]}（各项目之和）"
            x, v = self.field(ov, key)
            return x, v, f"整体支出自评表{word}"
        return None, None, ""

    def change_values(self, item: str, base: str, td, ref) -> tuple[Decimal | None, Decimal | None, Val | None, str, str]:
        """(current, base value, cell, what is current, what is the base) for a change."""
        if item in ("budget",) and base in ("initial", "prev"):
            cur, v, w = self.money("budget", "budget", td)
            b, _bv, bw = self.money("initial", "initial", td)
            return cur, b, v, w, bw
        if item in ("total", "executed"):
            if base not in ("budget", "initial"):
                return None, None, None, "", ""
            cur, v, w = self.money(item, "final", td)
            b, _bv, bw = self.money(base, base, td)
            return cur, b, v, w, bw
        if item in _BASIC_ITEMS or item == "proj" or item == "project":
            if base == "initial":
                return None, None, None, "", ""
            cur, v, w = self.money(item, "final", td, ref)
            b, _bv, bw = self.money(item, base, td, ref)
            return cur, b, v, w, bw
        return None, None, None, "", ""


def _blank(sent: str, subjects: list[_Subject]) -> str:
    """The sentence with its subject words blanked (a subject's own 预算 is not a column word)."""
    chars = list(sent)
    for s in subjects:
        chars[s.start:s.end] = " " * (s.end - s.start)
    return "".join(chars)


def _column(text: str, year: int | None) -> str | None:
    best, pos = None, -1
    for m in _COLUMN_RE.finditer(text):
        if m.start() >= pos:
            best, pos = m.lastgroup, m.start()
    if year is not None:
        for m in re.finditer(rf"{year - 1}\s?年", text):
            if m.start() >= pos:
                best, pos = "prev", m.start()
    return best


def _base(word: str, direction: str, item: str | None) -> str:
    if "年初" in word:
        return "initial"
    if "预算" in word:
        return "budget"
    if not word and direction in ("调增", "调减", "追加", "压减") and item in ("budget", None):
        return "initial"
    return "prev"


class _Reader:
    """One pass over the report: figures resolved to what they restate, observations made."""

    def __init__(self, sub: Submission, profile):
        self.book = _Book(sub, profile)
        self.sub, self.profile = sub, profile
        self.obs: list[Observation] = []
        self.loose: dict[tuple[str, str], list[tuple[Figure, str]]] = {}   # (unit kind, words) -> figures
        self.context: TableData | None = None
        self.context = self._default_table()
        self.unit_names = {n for n in (self._unit(t) for t in sub.tables) if n}
        self.department = sub.department

    @staticmethod
    def _unit(td: TableData) -> str:
        v = td.fields.get("unit")
        return v.text().strip() if v is not None and not v.empty else ""

    def add(self, code: str, fig: Figure | None, para: int, excerpt: str, message: str, val: Val | None = None,
            expected: str | None = None, found: str | None = None, key: str | None = None) -> None:
        self.obs.append(Observation(code, para, excerpt, message, val, expected, found, key))

    # -- the pass ---------------------------------------------------------------
    def run(self, text: str) -> list[Observation]:
        lines = text.splitlines()
        self._cover(lines)
        for n, raw in enumerate(lines, start=1):
            line = clean_text(raw)
            if not line.strip():
                continue
            self._heading(line)
            self._unit_names(n, line)
            for m in _SENTENCE_RE.finditer(line):
                self._sentence(n, line, m.start(), m.group(0))
        self._twice()
        return self.obs

    def _heading(self, line: str) -> None:
        """A heading naming a project sets the context (which table 执行率, 得分, 指标 refer to);
        another heading of the first two levels (一、 / （一）) sets it back to the overall table."""
        if len(line.strip()) > 80 or _FIGURE_RE.search(line) or not _HEADING_RE.match(line):
            return
        folded = line.translate(_FOLD_TABLE)
        for name, ref in sorted(self.book.projects.items(), key=lambda kv: -len(kv[0])):
            if name.translate(_FOLD_TABLE) in folded and ref.get("table") is not None:
                self.context = ref["table"]
                return
        if re.match(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])", line):
            self.context = self._default_table()

    def _default_table(self) -> TableData | None:
        """The overall table; in a workbook of one project table only, that table."""
        if self.sub.overall is not None:
            return self.sub.overall
        return self.sub.projects[0] if len(self.sub.projects) == 1 else None

    def _excerpt(self, line: str, s0: int, fig: Figure) -> str:
        a = max(s0, fig.start - 18)
        return line[a:fig.end].strip(" ，,、：:")

    def _sentence(self, para: int, line: str, s0: int, sent: str) -> None:
        subjects = self.book.subjects(sent)
        figs = [f for f in figures(para, sent)]
        blanked = _blank(sent, subjects)
        criteria = bool(_CRITERIA_RE.search(sent))
        state = _State()
        sent_table = self.context
        for i, fig in enumerate(figs):
            c0 = figs[i - 1].end if i else 0
            before = [s for s in subjects if s.end <= fig.start]
            in_clause = [s for s in before if s.start >= c0]
            for s in before:
                if s.key == "proj" and self.book.project_table(s) is not None:
                    sent_table = self.book.project_table(s)
            ctx = _Ctx(para, line, s0, sent, fig, sent[c0:fig.start], blanked[c0:fig.start], blanked[:fig.start],
                       before, in_clause, sent_table, criteria)
            if fig.unit in _MONEY_FACTOR:
                self._money(ctx, state)
            elif fig.unit == "%":
                self._percent(ctx, state)
            elif fig.unit == "分":
                self._score(ctx, state)
            elif fig.unit == "人":
                self._people(ctx, state)
            elif fig.unit in _COUNT_UNITS:
                if not self._indicator(ctx):
                    self._loose(ctx)
        self._directions(para, line, s0, sent, subjects, blanked, figs)
        self._grades(para, line, s0, sent, subjects, sent_table)

    # -- money -------------------------------------------------------------------
    def _money(self, c: "_Ctx", state: _State) -> None:
        fig = c.fig
        ch = _CHANGE_END_RE.search(c.clause)
        if ch:
            self._change(c, state, ch)
            return
        money_subj = [s for s in c.in_clause if s.key in _MONEY_SUBJECTS or s.key == "proj"]
        last = c.in_clause[-1] if c.in_clause else None
        if last is not None and last.key == "ind":
            self._indicator(c)
            return
        col = _column(c.blank_clause, self.book.year)
        if money_subj:
            subj = money_subj[-1]
            item, ref = subj.key, subj.ref
        elif state.item is not None and _bare(c.clause):
            item, ref = state.item, state.table
        elif c.before and c.before[-1].key == "ind":
            self._indicator(c)
            return
        else:
            self._loose(c)
            return
        if col is None:
            col = state.column or _column(c.blank_before, self.book.year)
        explicit = col is not None
        col = col or "final"
        if col == "prev" and item not in _BASIC_ITEMS and item not in ("proj", "project"):
            col = "final"                # the tables hold no 上年 figure of it: 2023年 here is a wrong year
        state.item, state.column, state.table = item, (col if explicit else None), ref
        if item == "staff_authorized" or item == "staff_actual":
            return
        td = c.table if item in _CONTEXT_ITEMS else self.sub.overall
        if item == "proj":
            td = None
        expected, val, what = self.book.money(item, col, td, ref)
        if expected is None:
            self._loose(c)
            return
        self._year_of(c, prev=col == "prev")
        factor = _MONEY_FACTOR[fig.unit]
        stated = fig.value * factor
        places = fig.places + {"万元": 0, "元": 4, "千元": 1, "亿元": -4}[fig.unit]
        tol = self.book.tol  # the profile's amount tolerance (0.01 万元), or the precision it is printed with
        if agrees(stated, max(places, 0), expected, tol, fig.approx):
            return
        if not explicit and (item in _BASIC_ITEMS or item == "proj"):
            other, _v, _w = self.book.money(item, "budget", td, ref)     # no word says which: 预算 will do
            if other is not None and agrees(stated, max(places, 0), other, tol, fig.approx):
                return
        exc = c.excerpt(self)
        if fig.unit != "万元" and agrees(fig.value, fig.places, expected, tol, fig.approx):
            self.add("X-REPORT-UNIT", fig, c.para, exc,
                     f"报告正文第 {c.para} 段“{exc}”写的是 {fig.text}，{what}为 {_money(expected)}："
                     f"附表以万元为单位，正文的单位应为万元（写成{fig.unit}差了 {'一万' if fig.unit == '元' else '数'}倍）。",
                     val, _money(expected), fig.text, item)
            return
        hint = ""
        if item == "budget":
            ini, _v, _w = self.book.money("initial", "initial", td)
            if ini is not None and agrees(stated, max(places, 0), ini, tol):
                hint = f"（这是{_FUNDS_WORDS['initial']}；{_FUNDS_WORDS['budget']}为年中调整后的预算）"
        shown = fig.text if fig.unit == "万元" else f"{fig.text}（{fmt_number(stated)}万元）"
        self.add("X-REPORT-TEXT", fig, c.para, exc,
                 f"报告正文第 {c.para} 段“{exc}”写的是 {shown}，{what}为 {_money(expected)}。{hint}",
                 val, _money(expected), f"{fmt_number(fig.value)}{fig.unit}", item)

    def _change(self, c: "_Ctx", state: _State, ch: re.Match) -> None:
        fig = c.fig
        base_word = ch.group("base") or ""
        direction = ch.group("dir")
        pre = c.in_clause and [s for s in c.in_clause if s.end <= c.clause_offset(ch.start())
                               and (s.key in _MONEY_SUBJECTS or s.key == "proj")]
        if pre:
            item, ref = pre[-1].key, pre[-1].ref
        elif state.item is not None:
            item, ref = state.item, state.table
        else:
            money = [s for s in c.before if s.key in _MONEY_SUBJECTS or s.key == "proj"]
            if not money:
                self._loose(c)
                return
            item, ref = money[-1].key, money[-1].ref
        base = _base(base_word, direction, item)
        if direction in ("调增", "调减", "追加", "压减") and item in ("budget", "initial", "total", "executed") \
                and base != "budget":
            item, base = "budget", "initial"       # 年中调减: the budget adjusted during the year
        td = c.table if item in _CONTEXT_ITEMS else self.sub.overall
        cur, b, val, cw, bw = self.book.change_values(item, base, td, ref)
        if cur is None or b is None:
            return
        state.item, state.table = item, ref
        exc = c.excerpt(self)
        actual = cur - b
        sign = _DIRS[direction]
        tol = self.book.tol
        if fig.unit == "%":
            if b == 0:
                self.add("X-REPORT-ZERO-BASE", fig, c.para, exc,
                         f"报告正文第 {c.para} 段“{exc}”写的是{direction}{fig.text}，但比较的基数{bw}为 0：从零起步"
                         f"没有增减比率，应写增减的金额（{_money(abs(actual))}）。",
                         val, f"{_money(abs(actual))}（不写比率）", f"{direction}{fig.text}", item)
                return
            rate = actual / b * HUNDRED
            if abs(actual) > tol and (rate > 0) != (sign == _UP):
                self._direction(c, exc, direction, cw, cur, bw, b, val, item)
                return
            if not agrees(fig.value, fig.places, abs(rate), ZERO, fig.approx):
                self.add("X-REPORT-TEXT", fig, c.para, exc,
                         f"报告正文第 {c.para} 段“{exc}”写的是{direction} {fig.text}，附表{cw} {_money(cur)} 比{bw} "
                         f"{_money(b)} {'增加' if actual >= 0 else '减少'} {_pct(abs(rate), fig.places)}。",
                         val, _pct(abs(rate), fig.places), fig.text, item)
            return
        stated = fig.value * _MONEY_FACTOR[fig.unit]
        places = max(fig.places + {"万元": 0, "元": 4, "千元": 1, "亿元": -4}[fig.unit], 0)
        if abs(actual) > tol and (actual > 0) != (sign == _UP):
            self._direction(c, exc, direction, cw, cur, bw, b, val, item)
            return
        if not agrees(stated, places, abs(actual), tol, fig.approx):
            self.add("X-REPORT-TEXT", fig, c.para, exc,
                     f"报告正文第 {c.para} 段“{exc}”写的是{direction} {fig.text}，附表{cw} {_money(cur)} 比{bw} "
                     f"{_money(b)} {'增加' if actual >= 0 else '减少'} {_money(abs(actual))}。",
                     val, _money(abs(actual)), fig.text, item)

    def _direction(self, c, exc, direction, cw, cur, bw, b, val, item) -> None:
        actual = cur - b
        real = "增加" if actual > 0 else "减少"
        self.add("X-REPORT-DIRECTION", c.fig, c.para, exc,
                 f"报告正文第 {c.para} 段“{exc}”写的是“{direction}”，附表{cw} {_money(cur)} 比{bw} {_money(b)} "
                 f"{real} {_money(abs(actual))}：方向相反。", val, f"{real} {_money(abs(actual))}", direction, item)

    def _directions(self, para, line, s0, sent, subjects, blanked, figs) -> None:
        """比上年有所减少 … without a figure: only the direction can be checked."""
        for m in _CHANGE_WORDS_RE.finditer(sent):
            nxt = m.group("next")
            if nxt and (nxt.isdigit() or nxt in "约"):
                continue                     # a figure follows: checked with the figure
            money = [s for s in subjects if s.end <= m.start() and (s.key in _MONEY_SUBJECTS or s.key == "proj")]
            if not money:
                continue
            item, ref = money[-1].key, money[-1].ref
            base = _base(m.group("base") or "", m.group("dir"), item)
            td = self.sub.overall
            cur, b, val, cw, bw = self.book.change_values(item, base, td, ref)
            if cur is None or b is None:
                continue
            actual = cur - b
            if abs(actual) <= self.book.tol:
                continue
            if (actual > 0) != (_DIRS[m.group("dir")] == _UP):
                a = max(0, m.start() - 18)
                exc = sent[a:m.end() - len(nxt)].strip(" ，,、")
                real = "增加" if actual > 0 else "减少"
                self.add("X-REPORT-DIRECTION", None, para, exc,
                         f"报告正文第 {para} 段“{exc}”写的是“{m.group('dir')}”，附表{cw} {_money(cur)} 比{bw} "
                         f"{_money(b)} {real} {_money(abs(actual))}：方向相反。",
                         val, f"{real} {_money(abs(actual))}", m.group("dir"), item)

    # -- percentages ---------------------------------------------------------------
    def _percent(self, c: "_Ctx", state: _State) -> None:
        ch = _CHANGE_END_RE.search(c.clause)
        if ch:
            self._change(c, state, ch)
            return
        share = _SHARE_RE.search(c.clause)
        if share and "占" in c.clause:
            self._share(c, state, share)
            return
        keys = [s.key for s in c.in_clause]
        if keys and keys[-1] == "exec_rate":
            self._exec_rate(c)
            return
        if keys and keys[-1] == "control_rate":
            self._control_rate(c)
            return
        if c.before and c.before[-1].key == "ind":
            self._indicator(c)
            return
        self._loose(c)

    def _exec_rate(self, c: "_Ctx") -> None:
        fig = c.fig
        td = c.table or self.sub.overall
        named = [s for s in c.before if s.key in ("proj", "total", "total_score")]
        if named and named[-1].key == "proj":
            ref = named[-1].ref
            if ref.get("table") is not None:
                td = ref["table"]
            else:                                       # a row of table 1: its 本年决算数 ÷ 本年预算数
                self._row_rate(c, named[-1])
                return
        elif named:
            td = self.sub.overall
        ts = self.book.table_score(td)
        if ts is None or ts.rate is None:
            return
        self._year_of(c)
        if agrees(fig.value, fig.places, ts.rate, ZERO, fig.approx):
            return
        exc = c.excerpt(self)
        val = td.fields.get("funds.total.rate") or td.fields.get("funds.total.executed")
        name = "整体支出自评表" if td.kind == "overall" else f"项目“{td.display_name}”自评表"
        ini, _iv = self.book.field(td, "funds.total.initial")
        if ini not in (None, ZERO) and ts.executed is not None and "年初" in c.blank_clause + c.clause:
            if agrees(fig.value, fig.places, ts.executed / ini * HUNDRED, ZERO):
                return                   # 按年初预算计算的执行率: said so, and right
        if ini not in (None, ZERO) and ts.executed is not None:
            wrong = ts.executed / ini * HUNDRED
            if agrees(fig.value, fig.places, wrong, ZERO):
                self.add("X-REPORT-RATE-BASE", fig, c.para, exc,
                         f"报告正文第 {c.para} 段“{exc}”写的执行率 {fig.text} 是{_FUNDS_WORDS['executed']} ÷ "
                         f"{_FUNDS_WORDS['initial']}（{_money(ts.executed)} ÷ {_money(ini)}）；执行率应以"
                         f"{_FUNDS_WORDS['budget']}为分母：{name} "
                         f"{_money(ts.executed)} ÷ {_money(ts.budget)} = {_pct(ts.rate, max(fig.places, 2))}。",
                         val, _pct(ts.rate, fig.places), fig.text, "funds.total.rate")
                return
        self.add("X-REPORT-TEXT", fig, c.para, exc,
                 f"报告正文第 {c.para} 段“{exc}”写的是 {fig.text}，{name}预算执行率（{_FUNDS_WORDS['executed']} ÷ "
                 f"{_FUNDS_WORDS['budget']}，"
                 f"{_money(ts.executed)} ÷ {_money(ts.budget)}）为 {_pct(ts.rate, max(fig.places, 2))}。",
                 val, _pct(ts.rate, fig.places), fig.text, "funds.total.rate")

    def _row_rate(self, c: "_Ctx", subj: _Subject) -> None:
        row = subj.ref.get("row")
        if row is None:
            return
        b, f = row.get("budget"), row.get("final")
        bv, fv = (b.amount_value() if b is not None else None), (f.amount_value() if f is not None else None)
        if not bv or fv is None:
            return
        rate = fv / bv * HUNDRED
        fig = c.fig
        if agrees(fig.value, fig.places, rate, ZERO, fig.approx):
            return
        name = next((k for k, r in self.book.projects.items() if r is subj.ref), "")
        exc = c.excerpt(self)
        self.add("X-REPORT-TEXT", fig, c.para, exc,
                 f"报告正文第 {c.para} 段“{exc}”写的是 {fig.text}，基础数据表项目“{name}”{_BASIC_COLS['final']} ÷ "
                 f"{_BASIC_COLS['budget']}"
                 f"（{_money(fv)} ÷ {_money(bv)}）为 {_pct(rate, max(fig.places, 2))}。",
                 f, _pct(rate, fig.places), fig.text, "proj.rate")

    def _control_rate(self, c: "_Ctx") -> None:
        b = self.sub.basic
        if b is None:
            return
        a, n = b.fields.get("staff.actual"), b.fields.get("staff.authorized")
        av, nv = (a.number_value() if a else None), (n.number_value() if n else None)
        if av is None or not nv:
            return
        rate = av / nv * HUNDRED
        fig = c.fig
        if agrees(fig.value, fig.places, rate, ZERO, fig.approx):
            return
        exc = c.excerpt(self)
        self.add("X-REPORT-TEXT", fig, c.para, exc,
                 f"报告正文第 {c.para} 段“{exc}”写的是 {fig.text}，基础数据表人员控制率（{_BASIC['staff.actual'].label} "
                 f"{fmt_number(av)} ÷ {_BASIC['staff.authorized'].label} {fmt_number(nv)}）为 "
                 f"{_pct(rate, max(fig.places, 2))}。",
                 b.fields.get("staff.rate") or a, _pct(rate, fig.places), fig.text, "staff.rate")

    def _share(self, c: "_Ctx", state: _State, m: re.Match) -> None:
        fig = c.fig
        den_text = m.group("den") or ""
        at = c.clause_offset(m.start())
        den_subj = [s for s in c.in_clause if s.start >= at and (s.key in _MONEY_SUBJECTS or s.key == "proj")]
        num_subj = [s for s in c.in_clause if s.end <= at and (s.key in _MONEY_SUBJECTS or s.key == "proj")]
        if num_subj:
            item, ref = num_subj[-1].key, num_subj[-1].ref
        elif state.item is not None:
            item, ref = state.item, state.table
        else:
            self._loose(c)
            return
        if den_subj:
            den, dref = den_subj[0].key, den_subj[0].ref
        elif not den_text.strip() or re.search(r"总额|合计|全部|总", den_text):
            den, dref = "total", None
        else:
            self._loose(c)
            return
        td = c.table if item in _CONTEXT_ITEMS else self.sub.overall
        num, val, nw = self.book.money(item, state.column if item in _BASIC_ITEMS and state.column else "final", td, ref)
        d, _dv, dw = self.book.money(den, "final", td if den in _CONTEXT_ITEMS else self.sub.overall, dref)
        if num is None or not d:
            return
        share = num / d * HUNDRED
        self._year_of(c)
        if agrees(fig.value, fig.places, share, ZERO, fig.approx):
            return
        exc = c.excerpt(self)
        self.add("X-REPORT-TEXT", fig, c.para, exc,
                 f"报告正文第 {c.para} 段“{exc}”写的是 {fig.text}，附表{nw} {_money(num)} ÷ {dw} {_money(d)} = "
                 f"{_pct(share, max(fig.places, 2))}。", val, _pct(share, fig.places), fig.text, f"share:{item}/{den}")

    # -- people --------------------------------------------------------------------
    def _people(self, c: "_Ctx", state: _State) -> None:
        staff = [s for s in c.in_clause if s.key in ("staff_authorized", "staff_actual")]
        if not staff:
            if c.before and c.before[-1].key == "ind":
                self._indicator(c)
            else:
                self._loose(c)
            return
        key = staff[-1].key
        self._year_of(c)
        b = self.sub.basic
        field = "staff.authorized" if key == "staff_authorized" else "staff.actual"
        v = b.fields.get(field) if b else None
        x = v.number_value() if v is not None else None
        if x is None:
            return
        fig = c.fig
        if agrees(fig.value, fig.places, x, ZERO, fig.approx):
            return
        exc = c.excerpt(self)
        what = f"基础数据表{_BASIC[field].label}"
        self.add("X-REPORT-TEXT", fig, c.para, exc, f"报告正文第 {c.para} 段“{exc}”写的是 {fig.text}，{what}为 {fmt_number(x)}人。",
                 v, f"{fmt_number(x)}人", fig.text, key)

    # -- scores and weights ------------------------------------------------------------
    def _score(self, c: "_Ctx", state: _State) -> None:
        fig = c.fig
        verb = _SCORE_VERB_RE.search(c.clause)
        if verb is None or c.criteria or _COND_SCORE_RE.search(c.clause):
            return
        kinds = ("ind", "exec_rate", "total_score", "total", "proj", "score_word")
        scorable = [s for s in c.before if s.key in kinds or s.key.startswith(("level1:", "level2:"))]
        named = [s for s in scorable if s.key != "score_word"]
        if named and scorable[-1].key == "score_word":
            scorable = named                 # 预算执行率……自评得分9分: the 执行率's points
        weight = verb.group("verb") in ("分值", "权重", "满分")
        if not scorable or (verb.group("verb") == "得" and not [s for s in c.in_clause if s in scorable]):
            return               # points of nothing named: a criterion, a rubric, not a restated score
        subj = scorable[-1]
        if (id(subj), weight) in state.scored:
            # its points were given already in this sentence: a second 自评得分/总分 is the table's total
            if weight or verb.group("verb") not in ("得分", "总分", "自评得", "结果", "综合得", "最终得", "合计得", "共得"):
                return
            subj = _Subject("total_score", subj.start, subj.end)
        if subj.key == "score_word":
            subj = _Subject("total_score", subj.start, subj.end)
        state.scored.add((id(subj), weight))
        td = c.table or self.sub.overall
        if subj is not None and subj.key == "proj" and self.book.project_table(subj) is not None:
            td = self.book.project_table(subj)
        ts = self.book.table_score(td)
        if subj is not None and subj.key == "ind":
            self._indicator_points(c, subj, weight)
            return
        if ts is None:
            return
        name = "整体支出自评表" if td.kind == "overall" else f"项目“{td.display_name}”自评表"
        if subj is None or subj.key in ("total_score", "total", "proj"):
            if weight:
                x = (ts.exec_weight or ZERO) + sum((l.weight for l in ts.level1 + ts.groups), ZERO)
                what, val = f"{name}总分值", td.fields.get("total.weight")
            else:
                x, what, val = ts.total_self, f"{name}总分（各项得分之和）", td.fields.get("total.score")
        elif subj.key == "exec_rate":
            x = ts.exec_weight if weight else ts.exec_self
            what, val = f"{name}预算执行率{_WEIGHT if weight else _SCORE}", td.fields.get(
                "funds.total.weight" if weight else "funds.total.score")
        elif subj.key.startswith("level1:"):
            k = subj.key.split(":", 1)[1]
            l1 = next((l for l in ts.level1 if l.key == k), None)
            if l1 is None:
                return
            x = l1.weight if weight else l1.self_score
            what = f"{name}{l1.name}{_WEIGHT if weight else _SCORE}合计"
            val = td.fields.get(f"ind.{k}.{'weight_total' if weight else 'score_total'}") or td.fields.get(f"ind.{k}.label")
        else:
            block = subj.key.split(":", 1)[1]
            rows = [i for i in td.indicators() if i.block == block]
            if not rows:
                return
            nums = [i.get("weight" if weight else "score").number_value() for i in rows]
            if any(n is None for n in nums):
                return
            x = sum(nums, ZERO)
            what = f"{name}{rows[0].level2}{_WEIGHT if weight else _SCORE}合计"
            val = td.fields.get(f"{block}.label") or rows[0].anchor
        if x is None:
            return
        self._year_of(c)
        if agrees(fig.value, fig.places, x, self.book.score_tol, fig.approx):
            return
        exc = c.excerpt(self)
        self.add("X-REPORT-TEXT", fig, c.para, exc, f"报告正文第 {c.para} 段“{exc}”写的是 {fig.text}，{what}为 {fmt_number(x)}分。",
                 val, f"{fmt_number(x)}分", f"{fmt_number(fig.value)}分",
                 "self_score" if subj is None or subj.key in ("total_score", "total") else subj.key)

    def _candidates(self, c: "_Ctx", subj: _Subject) -> list[Indicator]:
        inds: list[Indicator] = list(subj.ref)
        mine = [i for i in inds if i.table is c.table]
        return mine or inds

    def _indicator_points(self, c: "_Ctx", subj: _Subject, weight: bool) -> None:
        fig = c.fig
        cands = self._candidates(c, subj)
        vals = [(i, i.get("weight" if weight else "score")) for i in cands]
        nums = [(i, v, v.number_value()) for i, v in vals if v.number_value() is not None]
        if not nums or any(agrees(fig.value, fig.places, x, self.book.score_tol, fig.approx) for _i, _v, x in nums):
            return
        i, v, x = nums[0]
        exc = c.excerpt(self)
        self.add("X-REPORT-TEXT", fig, c.para, exc,
                 f"报告正文第 {c.para} 段“{exc}”写的是 {fig.text}，指标“{i.name}”的{_WEIGHT if weight else _SCORE}为 "
                 f"{fmt_number(x)}分。",
                 v, f"{fmt_number(x)}分", f"{fmt_number(fig.value)}分", "indicator")

    def _indicator(self, c: "_Ctx") -> bool:
        """A figure restating an indicator's 年度指标值 or 实际完成值 (the indicator named before it)."""
        subj = next((s for s in reversed(c.before) if s.key == "ind"), None)
        if subj is None:
            return False
        fig = c.fig
        words = c.blank_before[subj.end:]
        t = [m.start() for m in _TARGET_WORDS_RE.finditer(words)]
        a = [m.start() for m in _ACTUAL_WORDS_RE.finditer(words)]
        col = "target" if t and (not a or t[-1] > a[-1]) else "actual"
        cands = self._candidates(c, subj)
        checked = []
        for ind in cands:
            v = ind.get(col)
            q = v.quantity()
            if q.value is None or q.op == "between":
                continue
            qv, qu = q.value, q.unit
            sv, su = fig.value, fig.unit
            if qu in _MONEY_FACTOR and su in _MONEY_FACTOR:
                qv, sv = qv * _MONEY_FACTOR[qu], sv * _MONEY_FACTOR[su]
            elif qu is not None and qu != su and not (qu in ("人次", "次") and su in ("人次", "次")):
                continue
            checked.append((ind, v, q))
            places = fig.places + (4 if su == "元" else 0)
            if agrees(sv, places, qv, ZERO):
                return True
            if q.approx == "at_least" and sv >= qv:          # the table says 100余次: 120次 can be so
                return True
            if fig.approx == "at_least" and qv >= sv:        # the prose says 100余次 of 134
                return True
        if not checked:
            return True
        ind, v, q = checked[0]
        exc = c.excerpt(self)
        word = forms.INDICATOR_COLUMN_LABELS[col]
        self.add("X-REPORT-TEXT", fig, c.para, exc,
                 f"报告正文第 {c.para} 段“{exc}”写的是 {fig.text}，指标“{ind.name}”的{word}为“{v.text()}”。",
                 v, v.text(), fig.text, "indicator")
        return True

    # -- grades --------------------------------------------------------------------
    def _grades(self, para, line, s0, sent, subjects, sent_table) -> None:
        bands = [str(b[0]) for b in self.profile.get("grades", "bands", [])]
        for m in _GRADE_RE.finditer(sent):
            if not (m.group("conn") or m.group("q") or m.group("tail")):
                continue
            said = m.group("g")
            canon = _GRADE_CANON.get(said, said)
            if canon not in bands and said not in bands:
                continue
            td = sent_table or self.sub.overall
            projs = [s for s in subjects if s.end <= m.start() and s.key == "proj" and self.book.project_table(s)]
            if projs:
                td = self.book.project_table(projs[-1])
            ts = self.book.table_score(td)
            if ts is None or ts.total_self is None:
                continue
            grade = self.profile.grade(ts.total_self)
            if grade in (said, canon):
                continue
            a = max(0, m.start() - 18)
            exc = sent[a:m.end()].strip(" ，,、")
            name = "整体支出自评表" if td.kind == "overall" else f"项目“{td.display_name}”自评表"
            self.add("X-REPORT-GRADE", None, para, exc,
                     f"报告正文第 {para} 段“{exc}”写的等级是“{said}”，{name}总分 {fmt_number(ts.total_self)} 分按评分方案"
                     f"“{self.profile.name}”的分档应为“{grade}”。",
                     td.fields.get("total.score"), grade, said, "grade")

    # -- year, unit name -----------------------------------------------------------------
    def _cover(self, lines: list[str]) -> None:
        """The title (cover): the paragraphs before the first heading; its year and unit name."""
        year = self.book.year
        for n, raw in enumerate(lines[:12], start=1):
            line = clean_text(raw)
            if not line.strip():
                continue
            if _HEADING_RE.match(line):
                break
            flat = re.sub(r"\s+", "", line)
            if "报告" not in flat and "自评" not in flat:
                continue
            m = _YEAR_RE.search(flat)
            if m and year is not None and int(m.group(1)) != year:
                self.add("X-REPORT-YEAR", None, n, flat[:40],
                         f"报告标题（第 {n} 段“{flat[:40]}”）写的是 {m.group(1)} 年度，附表为 {year} 年度。",
                         self._year_val(), str(year), m.group(1), "year")
            u = re.search(r"(?:(?:19|20)[0-9]{2}年度?)(?P<u>.+?)(?:部门)?(?:整体支出|预算绩效|绩效自评|绩效评价|单位整体)", flat)
            if u and self.unit_names:
                said = u.group("u")
                keys = {_name_key(x) for x in self.unit_names}
                if _name_key(said) and _name_key(said) not in keys:
                    ref = self._unit_ref()
                    self.add("X-REPORT-UNIT-NAME", None, n, flat[:40],
                             f"报告标题（第 {n} 段）写的单位名称“{said}”与附表的单位名称“{ref.text() if ref else ''}”不一致。",
                             ref, ref.text() if ref else None, said, "unit")
            return

    def _year_val(self) -> Val | None:
        for t in self.sub.tables:
            v = t.fields.get("year")
            if v is not None and not v.empty:
                return v
        return None

    def _unit_ref(self) -> Val | None:
        for t in (self.sub.basic, self.sub.overall):
            if t is not None and t.fields.get("unit") is not None and not t.fields["unit"].empty:
                return t.fields["unit"]
        return None

    def _unit_names(self, para: int, line: str) -> None:
        """A unit name in the prose that is almost, but not exactly, one of the tables' names."""
        flat = re.sub(r"\s+", "", line)
        names = {_name_key(n): n for n in self.unit_names | ({self.department} if self.department else set())}
        for n in self.unit_names:
            m = None
            for m in _UNIT_SUFFIX_RE.finditer(n[:10]):
                pass
            if m is None or m.end() < 3 or len(n) - m.end() < 2:
                continue
            prefix, suffix = n[:m.end()], n[-2:]
            for occ in re.finditer(re.escape(prefix), flat):
                rest = flat[occ.start():occ.start() + len(n) + 6]
                if any(rest.startswith(x) for x in self.unit_names):
                    continue
                end = rest.find(suffix, len(prefix))
                if end < 0:
                    continue
                cand = rest[:end + len(suffix)]
                if _name_key(cand) in names:
                    continue
                if difflib.SequenceMatcher(None, cand, n).ratio() < 0.75:
                    continue
                if any(o.code == "X-REPORT-UNIT-NAME" and o.found == cand for o in self.obs):
                    continue
                ref = self._unit_ref()
                self.add("X-REPORT-UNIT-NAME", None, para, cand,
                         f"报告正文第 {para} 段写的单位名称“{cand}”与附表的单位名称“{'”“'.join(sorted(self.unit_names))}”"
                         f"都不一致。", ref, ref.text() if ref else None, cand, "unit")

    def _year_of(self, c: "_Ctx", prev: bool = False) -> None:
        """A year written before a figure restating the tables: the tables' year (the year before
        for a 上年决算数)."""
        year = self.book.year
        if year is None:
            return
        ys = list(_YEAR_RE.finditer(c.blank_before))     # a year inside a project's name does not count
        if not ys:
            return
        y = int(ys[-1].group(1))
        if y == (year - 1 if prev else year):
            return
        if year - 5 <= y <= year + 1 and not any(o.code == "X-REPORT-YEAR" and o.para == c.para for o in self.obs):
            exc = c.sent[max(0, ys[-1].start() - 4):c.fig.end].strip(" ，,、")
            self.add("X-REPORT-YEAR", c.fig, c.para, exc,
                     f"报告正文第 {c.para} 段“{exc}”写的是 {y} 年，附表为 {year} 年度：请核对年份（可能沿用了往年的报告）。",
                     self._year_val(), str(year), str(y), "year")

    # -- figures the tables do not hold ----------------------------------------------------
    def _loose(self, c: "_Ctx") -> None:
        words = re.split(r"[,，、:：;；（）()]", c.clause)[-1]
        words = re.sub(r"^\s*(?:其中|另外|此外|包括|以及|和|及)?", "", words)
        words = re.sub(r"(?:为|是|共|共计|合计|约|达|达到|计|了|：|:|\s)+$", "", words).strip(" ，,、“”\"")
        words = words[-10:]
        if len(re.findall(r"[\u4e00-\u9fff]", words)) < 3 or _CHANGE_END_RE.search(c.clause) or "占" in words:
            return
        if _DIRS.keys() & set(re.findall(_DIR_ALT, words)):
            return
        unit = "money" if c.fig.unit in _MONEY_FACTOR else c.fig.unit
        self.loose.setdefault((unit, words), []).append((c.fig, c.excerpt(self)))

    def _twice(self) -> None:
        for (unit, words), figs in self.loose.items():
            seen: dict[Decimal, tuple[Figure, str]] = {}
            for fig, exc in figs:
                v = fig.value * _MONEY_FACTOR[fig.unit] if unit == "money" else fig.value
                seen.setdefault(v, (fig, exc))
            if len(seen) < 2:
                continue
            (f1, e1), (f2, e2) = list(seen.values())[:2]
            self.add("X-REPORT-TWICE", f2, f2.para, e2,
                     f"报告正文第 {f1.para} 段“{e1}”与第 {f2.para} 段“{e2}”对“{words}”写了不同的数字："
                     f"{f1.text} 与 {f2.text}，附表中没有这个数字可以核对，请统一。",
                     None, f1.text, f2.text, words)


def _bare(clause: str) -> bool:
    """The clause says only which column or repeats the subject ("，实际支出", "，其中预算")."""
    rest = re.sub(r"[\s,，、:：;；“”\"]|其中|为|是|共|共计|合计|约|达到|达|计|了|全年|年度|本年|当年|[0-9]{4}年度?", "", clause)
    rest = _COLUMN_RE.sub("", rest)
    rest = re.sub(r"数|金额|资金|费用|经费|情况|完成数", "", rest)
    return len(rest) <= 2


@dataclass
class _Ctx:
    para: int
    line: str
    s0: int
    sent: str
    fig: Figure
    clause: str
    blank_clause: str
    blank_before: str
    before: list
    in_clause: list
    table: TableData | None
    criteria: bool

    def excerpt(self, reader: _Reader) -> str:
        """The words of the figure's clause (from the punctuation before it, at most 30 characters)."""
        head = self.sent[:self.fig.start]
        cut = max(head.rfind(p) for p in "，,；;：:、")
        a = cut + 1 if self.fig.start - cut <= 31 else max(0, self.fig.start - 18)
        return self.sent[a:self.fig.end].strip(" ，,、：:")

    def clause_offset(self, i: int) -> int:
        """An offset in the clause as an offset in the sentence."""
        return self.fig.start - len(self.clause) + i


def analyse(text: str, sub: Submission, profile) -> list[Observation]:
    """Every disagreement between the report's text and the tables (see the module docstring)."""
    return _Reader(sub, profile).run(text)
