"""A draft 部门整体支出绩效自评报告 (.docx) written from a unit's workbook.

The draft follows the outline of the seed report and of the provincial 操作规程: 部门（单位）
基本情况; 部门整体支出情况 (收入, 支出按基本/项目, 三公经费 item by item with the change on last
year); 绩效目标完成情况 (年度总体目标, then one sentence per 三级指标 under its 一级/二级: target,
actual, met or not, points, the unit's 偏差原因; each project table in turn); 预算执行情况
(执行率 and its points); 存在的问题; 改进措施; 自评结论 (total and grade); 结果应用和公开 — and the
three tables as Word tables in the appendix.

Every figure comes from the workbook (:func:`gridbudget.read.tables.read_submission`) and its
scores (:func:`gridbudget.score.engine.score_submission`); the sentences are written so that
``gridbudget validate --report`` reads each figure back to the cell it restates. What only the
unit can write (duties, problems, measures) is a highlighted placeholder 【请填写：…】 with a
one-line hint; notes for the unit (a recomputed score that differs, facts the tables show) are
highlighted in 【】 too, and the report checker skips text in 【】.

Typography by default follows GB/T 9704 (党政机关公文格式): A4, margins 上 37 mm 下 35 mm 左 28 mm
右 26 mm, title 方正小标宋简体 二号, body 仿宋_GB2312 三号 with a fixed 28.95 pt line (22 lines a
page), level-1 headings 黑体, level-2 楷体_GB2312, level-3 仿宋 bold, page numbers “— 1 —”. A
unit's own .docx can be the template: its styles, headers, footers and page set-up are kept; the
draft replaces a paragraph reading {{正文}} (so a 红头 above it stays), or else the template's body.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Iterable

from .. import forms
from ..errors import InputError
from ..model import Indicator, Submission, TableData, Val
from ..read.values import is_no_deviation

ZERO, HUNDRED = Decimal(0), Decimal(100)
BODY_MARKERS = ("{{正文}}", "{{报告正文}}", "【正文】")

# fonts: the name Word asks for, and what to use where it is not installed (w:altName)
FONT_BODY, FONT_BODY_ALT = "仿宋_GB2312", "仿宋"
FONT_H1 = "黑体"
FONT_H2, FONT_H2_ALT = "楷体_GB2312", "楷体"
FONT_TITLE, FONT_TITLE_ALT = "方正小标宋简体", "宋体"
FONT_LATIN = "Times New Roman"
FONT_PAGE = "宋体"

STYLE_TABLE = "GB表格文字"
STYLE_TABLE_TITLE = "GB附表标题"
STYLE_PLACEHOLDER_HINT = "【请填写：{}】"


@dataclass
class ReportOptions:
    """Choices for the draft: the body size (三号 16 pt, or 四号 14 pt) and a template .docx."""

    template: str | os.PathLike | None = None
    body_pt: float = 16.0
    profile: object = None          # a gridbudget.score.profile.Profile (default: national-2020)


# ---------------------------------------------------------------------------
# numbers as the report writes them
# ---------------------------------------------------------------------------
def wan(x: Decimal | None) -> str:
    """116.95 -> '116.95万元' (two decimals, as the tables)."""
    return "" if x is None else f"{x.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}万元"


def num2(x: Decimal | None) -> str:
    return "" if x is None else f"{x.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


def pct(x: Decimal | None) -> str:
    return "" if x is None else f"{x.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


def pts(x: Decimal | None) -> str:
    """Points without trailing zeros: 10, 9.5, 9.91."""
    if x is None:
        return ""
    q = x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
    return format(q, "f")


def _amt(v: Val | None) -> Decimal | None:
    return v.amount_value() if v is not None else None


def shown(v: Val | None) -> str:
    """A cell's text as the unit typed it (full-width punctuation kept), numbers without a float tail."""
    if v is None or v.raw is None:
        return ""
    if isinstance(v.raw, str):
        return v.raw.strip()
    if isinstance(v.raw, bool):
        return str(v.raw)
    if isinstance(v.raw, (int, float, Decimal)):
        x = v.number_value()
        return pts(x) if x is not None else str(v.raw)
    return str(v.raw)


# ---------------------------------------------------------------------------
# the figures a report restates, from the workbook
# ---------------------------------------------------------------------------
class Figures:
    """The workbook's figures the draft states (computed cells included)."""

    def __init__(self, sub: Submission, profile):
        from ..score.engine import score_submission

        self.sub, self.profile = sub, profile
        self.score = score_submission(sub, profile)
        self.by_table = {id(ts.table): ts for ts in self.score.tables}

    @property
    def year(self) -> int | None:
        return self.sub.year

    @property
    def unit(self) -> str:
        for t in (self.sub.basic, self.sub.overall):
            if t is not None and not t.get("unit").empty:
                return t.get("unit").text().strip()
        return self.sub.unit.strip()

    def ts(self, td: TableData | None):
        return self.by_table.get(id(td)) if td is not None else None

    def basic(self, key: str, col: str) -> Decimal | None:
        """A 基础数据表 amount; an empty row is 0, a total left to its formula is the sum of its parts."""
        b = self.sub.basic
        if b is None:
            return None
        v = b.fields.get(f"{key}.{col}")
        if v is None:
            return None
        x = v.amount_value()
        if x is None:
            parts = {"sangong": ("car", "abroad", "reception"), "car": ("car_purchase", "car_operation")}.get(key)
            if parts:
                return sum((self.basic(p, col) or ZERO for p in parts), ZERO)
            if key == "projects_total":
                rows = b.rows("projects") + b.rows("special_funds")
                xs = [_amt(r.get(col)) for r in rows]
                return sum((x for x in xs if x is not None), ZERO)
            if v.empty:
                return ZERO
        return x

    def has_basic(self, key: str) -> bool:
        b = self.sub.basic
        return b is not None and any(f"{key}.{c}" in b.fields for c in ("final", "budget", "prev_final"))

    def field(self, td: TableData | None, key: str) -> Decimal | None:
        return _amt(td.fields.get(key)) if td is not None else None

    def staff(self) -> tuple[Decimal | None, Decimal | None]:
        b = self.sub.basic
        if b is None:
            return None, None
        a, n = b.fields.get("staff.authorized"), b.fields.get("staff.actual")
        return (a.number_value() if a else None), (n.number_value() if n else None)

    def projects_rows(self) -> list[dict[str, Val]]:
        b = self.sub.basic
        if b is None:
            return []
        return [r for r in b.rows("projects") + b.rows("special_funds")
                if r.get("name") is not None and r["name"].text().strip()]


# ---------------------------------------------------------------------------
# the document: styles, page set-up, fonts
# ---------------------------------------------------------------------------
def _rfonts(el_rpr, east: str, latin: str | None = None) -> None:
    from docx.oxml.ns import qn

    rfonts = el_rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = el_rpr.makeelement(qn("w:rFonts"), {})
        el_rpr.insert(0, rfonts)
    for a in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(a), None)
    latin = latin or FONT_LATIN
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), east)
    rfonts.set(qn("w:cs"), latin)


def _set_font(style_or_run, east: str, size: float | None = None, bold: bool | None = None,
              latin: str | None = None) -> None:
    from docx.shared import Pt

    font = style_or_run.font
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    font.color.rgb = None
    el = style_or_run.element
    rpr = el.get_or_add_rPr()
    _rfonts(rpr, east, latin)
    # no theme colour left from the default template
    from docx.oxml.ns import qn

    color = rpr.find(qn("w:color"))
    if color is not None:
        rpr.remove(color)


def _style(doc, name: str, *, base: str | None = "Normal", paragraph: bool = True, own: bool):
    """The style ``name``: the template's own when it has one (``own`` False keeps it untouched);
    created otherwise. Returns (style, whether to apply our formatting)."""
    from docx.enum.style import WD_STYLE_TYPE

    try:
        st = doc.styles[name]
        return st, own
    except KeyError:
        st = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH if paragraph else WD_STYLE_TYPE.CHARACTER)
        if base is not None:
            try:
                st.base_style = doc.styles[base]
            except KeyError:
                pass
        return st, True


def _para_format(st, *, size: float, align=None, first_indent_chars: float | None = 2, exact: float | None = None,
                 before: float = 0, after: float = 0, keep_next: bool = False, outline: int | None = None) -> None:
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    pf = st.paragraph_format
    if align is not None:
        pf.alignment = align
    pf.first_line_indent = Pt(size * first_indent_chars) if first_indent_chars else Pt(0)
    pf.left_indent = Pt(0)
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    if exact:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(exact)
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    pf.keep_with_next = keep_next
    pf.widow_control = True
    if outline is not None:
        from docx.oxml.ns import qn

        ppr = st.element.get_or_add_pPr()
        ol = ppr.find(qn("w:outlineLvl"))
        if ol is None:
            ol = ppr.makeelement(qn("w:outlineLvl"), {})
            ppr.append(ol)
        ol.set(qn("w:val"), str(outline))


def _setup_styles(doc, own: bool, body_pt: float) -> dict[str, str]:
    """Styles the draft uses: Normal, Title, Heading 1–3 and two of its own. ``own`` is True for
    gridbudget's default document (the GB/T 9704 look is applied to every style); with a unit's
    template only the styles it lacks are made."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    line = 28.95 if body_pt >= 16 else 25.0
    names = {}
    st, apply = _style(doc, "Normal", base=None, own=own)
    if apply:
        _set_font(st, FONT_BODY, body_pt, False)
        _para_format(st, size=body_pt, first_indent_chars=None, exact=line, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    names["body"] = "Normal"
    st, apply = _style(doc, "Title", own=own)
    if apply:
        _set_font(st, FONT_TITLE, 22, False)
        _para_format(st, size=22, first_indent_chars=None, exact=36, align=WD_ALIGN_PARAGRAPH.CENTER, after=28,
                     keep_next=True, outline=0)
        _no_border(st)
    names["title"] = "Title"
    for level, (font, bold) in enumerate(((FONT_H1, False), (FONT_H2, False), (FONT_BODY, True)), start=1):
        name = f"Heading {level}"
        st, apply = _style(doc, name, own=own)
        if apply:
            _set_font(st, font, body_pt, bold)
            st.font.italic = False
            _para_format(st, size=body_pt, exact=line, align=WD_ALIGN_PARAGRAPH.JUSTIFY, keep_next=True,
                         outline=level - 1 if level < 3 else 2)
        names[f"h{level}"] = name
    st, apply = _style(doc, STYLE_TABLE, own=own)
    if apply:
        _set_font(st, FONT_BODY, 10.5, False)
        _para_format(st, size=10.5, first_indent_chars=None, align=WD_ALIGN_PARAGRAPH.CENTER)
    names["cell"] = STYLE_TABLE
    st, apply = _style(doc, STYLE_TABLE_TITLE, own=own)
    if apply:
        _set_font(st, FONT_H1, 14, False)
        _para_format(st, size=14, first_indent_chars=None, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=6,
                     keep_next=True)
    names["table_title"] = STYLE_TABLE_TITLE
    return names


def _no_border(st) -> None:
    """The default template's Title has a bottom border and spacing: removed."""
    from docx.oxml.ns import qn

    ppr = st.element.get_or_add_pPr()
    for tag in ("w:pBdr", "w:contextualSpacing"):
        el = ppr.find(qn(tag))
        if el is not None:
            ppr.remove(el)
    rpr = st.element.get_or_add_rPr()
    for tag in ("w:spacing", "w:kern"):
        el = rpr.find(qn(tag))
        if el is not None:
            rpr.remove(el)


def _font_table(doc) -> None:
    """Declare the Chinese fonts with the alternative Word uses where they are not installed."""
    from lxml import etree

    W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    part = next((p for p in doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml"), None)
    if part is None or not hasattr(part, "_blob"):
        return
    try:
        root = etree.fromstring(part._blob, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return
    have = {f.get(f"{{{W}}}name") for f in root.findall(f"{{{W}}}font")}
    for name, alt, family in ((FONT_BODY, FONT_BODY_ALT, "modern"), (FONT_H2, FONT_H2_ALT, "modern"),
                              (FONT_TITLE, FONT_TITLE_ALT, "script"), (FONT_H1, "SimHei", "modern"),
                              ("仿宋", "FangSong", "modern"), ("宋体", "SimSun", "auto")):
        if name in have:
            continue
        f = etree.SubElement(root, f"{{{W}}}font")
        f.set(f"{{{W}}}name", name)
        etree.SubElement(f, f"{{{W}}}altName").set(f"{{{W}}}val", alt)
        etree.SubElement(f, f"{{{W}}}charset").set(f"{{{W}}}val", "86")
        etree.SubElement(f, f"{{{W}}}family").set(f"{{{W}}}val", family)
        etree.SubElement(f, f"{{{W}}}pitch").set(f"{{{W}}}val", "fixed" if family == "modern" else "variable")
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page(section, landscape: bool = False) -> None:
    """A4 with the GB/T 9704 margins (上37 下35 左28 右26 mm); landscape pages turn them with the paper."""
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm

    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
        section.top_margin, section.bottom_margin = Mm(28), Mm(26)
        section.left_margin, section.right_margin = Mm(37), Mm(35)
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(18)


def _page_number(section) -> None:
    """“— 1 —” centred in the footer, 宋体 四号."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    footer = section.footer
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    for r in list(p.runs):
        r._r.getparent().remove(r._r)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.first_line_indent = 0

    def run(text: str | None = None, fld: str | None = None):
        r = p.add_run(text or "")
        _set_font(r, FONT_PAGE, 14, False, latin=FONT_PAGE)
        if fld is not None:
            for kind, instr in (("begin", None), (None, fld), ("separate", None), (None, None), ("end", None)):
                if kind:
                    el = r._r.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): kind})
                    r._r.append(el)
                elif instr:
                    el = r._r.makeelement(qn("w:instrText"), {"{http://www.w3.org/XML/1998/namespace}space": "preserve"})
                    el.text = f" {instr} "
                    r._r.append(el)
                else:
                    el = r._r.makeelement(qn("w:t"), {})
                    el.text = "1"
                    r._r.append(el)
        return r

    run("— ")
    run(fld="PAGE")
    run(" —")


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------
class _Writer:
    def __init__(self, doc, names: dict[str, str], body_pt: float):
        self.doc, self.names, self.body_pt = doc, names, body_pt
        size = doc.styles[names["body"]].font.size
        self.indent_pt = (size.pt if size is not None else body_pt) * 2     # 首行缩进两个字

    def title(self, text: str):
        return self.doc.add_paragraph(text, style=self.names["title"])

    def h1(self, text: str):
        return self.doc.add_paragraph(text, style=self.names["h1"])

    def h2(self, text: str):
        return self.doc.add_paragraph(text, style=self.names["h2"])

    def h3(self, text: str):
        return self.doc.add_paragraph(text, style=self.names["h3"])

    def para(self, *parts: str | tuple[str, str], indent: bool = True, align=None):
        """A body paragraph; a part ("note", text) is a highlighted placeholder or note."""
        from docx.shared import Pt

        p = self.doc.add_paragraph(style=self.names["body"])
        if indent:
            p.paragraph_format.first_line_indent = Pt(self.indent_pt)
        if align is not None:
            p.alignment = align
        for part in parts:
            if isinstance(part, tuple):
                self.note(p, part[1])
            elif part:
                p.add_run(part)
        return p

    def note(self, p, text: str):
        from docx.enum.text import WD_COLOR_INDEX

        r = p.add_run(text if text.startswith("【") else f"【{text}】")
        r.font.highlight_color = WD_COLOR_INDEX.YELLOW
        return r


def placeholder(hint: str) -> tuple[str, str]:
    return ("note", STYLE_PLACEHOLDER_HINT.format(hint))


def write_report(workbook: str | os.PathLike, output: str | os.PathLike, options: ReportOptions | None = None,
                 *, sub: Submission | None = None) -> Path:
    """Write the draft report of ``workbook`` to ``output`` (.docx); returns the path written."""
    from ..write.fsutil import atomic_write_bytes

    data = render_report(workbook, options, sub=sub)
    return atomic_write_bytes(output, data)


def render_report(workbook: str | os.PathLike | None, options: ReportOptions | None = None, *,
                  sub: Submission | None = None) -> bytes:
    """The draft report as .docx bytes (``sub`` when the workbook is read already)."""
    import docx

    from ..read.tables import read_submission
    from ..score.profile import load_profile

    options = options or ReportOptions()
    if sub is None:
        sub = read_submission(workbook)
    if sub.overall is None and sub.basic is None and not sub.projects:
        raise InputError(f"{sub.file} 中没有找到自评附表（基础数据表、部门整体支出绩效自评表或项目支出绩效自评表），"
                         "无法起草自评报告。")
    profile = options.profile or load_profile()
    fig = Figures(sub, profile)
    own = options.template is None
    if own:
        doc = docx.Document()
        _clear_body(doc)
    else:
        doc = _open_template(options.template)
    marker = _take_marker(doc) if not own else None
    if not own and marker is None:
        _clear_body(doc)
    names = _setup_styles(doc, own, options.body_pt)
    _font_table(doc)
    body = doc.element.body
    before = set(body)
    if own:
        _page(doc.sections[0])
        _page_number(doc.sections[0])
    w = _Writer(doc, names, options.body_pt)
    _write_prose(w, fig)
    # the appendix: table 1 portrait, the self-evaluation tables landscape
    _appendix(doc, w, fig, own)
    if marker is not None:           # the draft goes where the template says {{正文}}
        for el in [el for el in body if el not in before and not el.tag.endswith("}sectPr")]:
            marker.addprevious(el)
        marker.getparent().remove(marker)
    cp = doc.core_properties
    cp.title = _title_text(fig)
    cp.subject = "部门整体支出绩效自评报告（初稿）"
    cp.author = fig.unit or ""
    cp.last_modified_by = "gridbudget"          # marks the file as gridbudget's own output (fsutil)
    import datetime

    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, tzinfo=None)
    cp.modified = now
    if own:
        cp.created, cp.revision = now, 1
    cp.comments = "由 gridbudget report 根据附表生成的初稿：黄色底纹的【】内容请单位填写或核对后删除。"
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _clear_body(doc) -> None:
    """Remove the body's content, keeping its final section properties (page set-up, headers)."""
    from docx.oxml.ns import qn

    body = doc.element.body
    for el in list(body):
        if el.tag != qn("w:sectPr"):
            body.remove(el)


def _take_marker(doc):
    """The template's {{正文}} paragraph (the draft goes there), or None."""
    for p in doc.paragraphs:
        if p.text.strip() in BODY_MARKERS:
            return p._p
    return None


def _open_template(path) -> object:
    import docx

    from ..check.prose import read_report

    shown = os.fspath(path)
    try:
        read_report(path)               # the same limits as a report: encrypted, corrupt, oversized are refused
    except InputError as exc:
        raise InputError(exc.message.replace("报告", "模板", 1).replace(
            "请提交 Word（.docx）或文本（.txt）格式的报告。", "模板应为 Word（.docx）文档。")) from None
    try:
        doc = docx.Document(os.fspath(path))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for a bad package
        raise InputError(f"模板 {shown} 不能作为 Word 模板打开（{type(exc).__name__}）：请用 Word 或 WPS 另存为 .docx。") from None
    return doc


def _title_text(fig: Figures) -> str:
    year = f"{fig.year}年度" if fig.year else ""
    return f"{year}{fig.unit}整体支出绩效自评报告"


# ---------------------------------------------------------------------------
# the prose
# ---------------------------------------------------------------------------
_CN = "一二三四五六七八九十"


def _cn(i: int) -> str:
    return _CN[i - 1] if 1 <= i <= 10 else str(i)


def _write_prose(w: _Writer, fig: Figures) -> None:
    sub = fig.sub
    y = f"{fig.year}年" if fig.year else "本年度"
    w.title(_title_text(fig))
    # 一、基本情况
    w.h1("一、部门（单位）基本情况")
    w.h2("（一）机构和人员")
    authorized, actual = fig.staff()
    staff = []
    if authorized is not None:
        staff.append(f"编制数{pts(authorized)}人")
    if actual is not None:
        staff.append(f"实际在职人数{pts(actual)}人")
    if authorized and actual is not None:
        staff.append(f"人员控制率{pct(actual / authorized * HUNDRED)}")
    w.para(f"{y}，本单位" + "，".join(staff) + "。" if staff else "",
           placeholder("单位性质（行政/事业）、级别、隶属关系、内设机构等"))
    w.h2("（二）部门主要职能")
    w.para(placeholder("本单位的主要职能，可按“三定”方案逐条列出"))

    # 二、部门整体支出情况
    w.h1("二、部门整体支出情况")
    ov = sub.overall
    ts = fig.ts(ov)
    w.h2("（一）收入情况")
    initial, budget, executed = (fig.field(ov, k) for k in ("funds.total.initial", "funds.total.budget",
                                                            "funds.total.executed"))
    s = []
    if initial is not None and budget is not None and initial != budget:
        change = budget - initial
        s.append(f"{y}度年初预算数{wan(initial)}，年中{'调增' if change > 0 else '调减'}{wan(abs(change))}，"
                 f"全年预算数{wan(budget)}")
    elif budget is not None:
        s.append(f"{y}度全年预算数{wan(budget)}" + ("（与年初预算数相同）" if initial is not None else ""))
    incomes = [(label, fig.field(ov, f"income.{k}")) for k, label, _s in forms.INCOME_ROWS]
    incomes = [(label, x) for label, x in incomes if x]
    if executed is not None:
        s.append(f"全年执行数{wan(executed)}" + ("，其中：" + "，".join(f"{label}{wan(x)}" for label, x in incomes)
                                                  if incomes else ""))
    w.para("；".join(s) + "。" if s else "", *([] if s else [placeholder("全年预算数、全年执行数及资金来源")]))

    w.h2("（二）支出情况")
    basic, project = fig.field(ov, "expense.basic"), fig.field(ov, "expense.project")
    total = executed
    if total:
        parts = [f"{y}度整体支出{wan(total)}"]
        if basic is not None:
            parts.append(f"其中：基本支出{wan(basic)}，占整体支出的{pct(basic / total * HUNDRED)}")
        w.para("，".join(parts) + ("；" if project is not None else "。") +
               (f"项目支出{wan(project)}，占整体支出的{pct(project / total * HUNDRED)}。" if project is not None else ""))
    public = fig.basic("public", "final") if fig.has_basic("public") else None
    if basic and public is not None:
        personnel = basic - public
        w.para(f"基本支出中，人员经费{wan(personnel)}，占基本支出的{pct(personnel / basic * HUNDRED)}；"
               f"公用经费{wan(public)}，占基本支出的{pct(public / basic * HUNDRED)}。")
        pb, pp = fig.basic("public", "budget"), fig.basic("public", "prev_final")
        line = f"公用经费预算{wan(pb)}，实际支出{wan(public)}"
        if pp is not None:
            line += _change_words(public, pp)
        w.para(line + "。")
    rows = fig.projects_rows()
    if rows:
        items = []
        for r in rows:
            name = r["name"].text().strip()
            b, f = _amt(r.get("budget")), _amt(r.get("final"))
            items.append(f"{name}" + (f"预算{wan(b)}，实际支出{wan(f if f is not None else ZERO)}" if b is not None
                                       else f"未填预算数，实际支出{wan(f if f is not None else ZERO)}"))
        w.para("项目支出分项目：" + "；".join(items) + "。")
    if fig.has_basic("sangong"):
        _sangong(w, fig, y)

    # 三、绩效目标完成情况
    w.h1("三、绩效目标完成情况")
    n2 = 1
    if ov is not None:
        goals = [(r.get("expected"), r.get("achieved")) for r in ov.rows("goals")]
        if goals:
            w.h2(f"（{_cn(n2)}）年度总体目标完成情况")
            n2 += 1
            for e, a in goals:
                if e is not None and not e.empty:
                    w.para("预期目标：" + _flat(shown(e)))
                if a is not None and not a.empty:
                    w.para("实际完成情况：" + _flat(shown(a)))
        if ts is not None:
            for l1 in ts.level1:
                inds = [i for i in ts.indicators if i.indicator.level1_key == l1.key]
                w.h2(f"（{_cn(n2)}）{l1.name}完成情况")
                n2 += 1
                w.para(f"{l1.name}分值{pts(l1.weight)}分，自评得分{pts(l1.self_score)}分。")
                _indicators(w, fig, ov, inds)
    for td in sub.projects:
        pts_ = fig.ts(td)
        if pts_ is None:
            continue
        w.h2(f"（{_cn(n2)}）项目“{td.display_name}”绩效目标完成情况")
        n2 += 1
        _project(w, fig, td, pts_)

    # 四、预算执行情况
    w.h1("四、预算执行情况")
    if ts is not None and ts.rate is not None:
        w.para(f"{y}度全年预算数{wan(ts.budget)}，全年执行数{wan(ts.executed)}，预算执行率{pct(ts.rate)}。")
        w.para(f"预算执行率分值{pts(ts.exec_weight)}分，自评得分{pts(ts.exec_self)}分。"
               if ts.exec_self is not None else f"预算执行率分值{pts(ts.exec_weight)}分。",
               *_recomputed_exec(fig, ts))
    else:
        w.para(placeholder("全年预算数、全年执行数与预算执行率（附表缺少这些数字）"))

    # 五、存在的问题
    w.h1("五、存在的问题及原因分析")
    w.para(placeholder("从预算和预算绩效管理、部门履职效能、资金分配使用和管理、资产和财务管理、政府采购等方面归纳问题并分析原因"))
    facts = _facts(fig)
    if facts:
        w.para(("note", "【附表反映的情况，可供参考（核对后删除本提示）：" + "；".join(facts) + "。】"))
    # 六、改进措施
    w.h1("六、下一步改进措施")
    w.para(placeholder("与上述问题逐条对应的改进措施"))
    # 七、自评结论
    w.h1("七、自评结论")
    if ts is not None and ts.total_self is not None:
        grade = fig.profile.grade(ts.total_self)
        w.para(f"根据部门整体支出绩效自评表，本单位{y}度部门整体支出绩效自评总分{pts(ts.total_self)}分，"
               f"等级为“{grade}”。")
        parts = []
        if ts.exec_self is not None:
            parts.append(f"预算执行率得分{pts(ts.exec_self)}分")
        parts += [f"{l1.name}得分{pts(l1.self_score)}分" for l1 in ts.level1]
        if parts:
            w.para("其中：" + "，".join(parts) + "。", *_recomputed_total(fig, ts))
    for td in sub.projects:
        pts_ = fig.ts(td)
        if pts_ is not None and pts_.total_self is not None:
            w.para(f"项目“{td.display_name}”自评总分{pts(pts_.total_self)}分，等级为“{fig.profile.grade(pts_.total_self)}”。")
    # 八、结果应用和公开
    w.h1("八、自评结果拟应用和公开情况")
    w.para(placeholder("自评结果的应用安排（预算安排、改进管理）和公开方式（如在政府门户网站公开）"))
    w.h1("九、其他需要说明的情况")
    w.para(placeholder("其他需要说明的情况；没有的写“无”"))
    # signature
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    w.para("")
    w.para(fig.unit, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    w.para(placeholder("报告日期"), indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)


def _flat(text: str) -> str:
    return re.sub(r"\s*\n\s*", "；", text.strip()).strip("；")


def _change_words(cur: Decimal, prev: Decimal) -> str:
    """'，比上年决算数增加0.21万元（增长30.00%）' — no rate from a zero base."""
    d = cur - prev
    if d == 0:
        return f"，与上年决算数{wan(prev)}持平"
    word, rate_word = ("增加", "增长") if d > 0 else ("减少", "下降")
    rate = f"（{rate_word}{pct(abs(d) / prev * HUNDRED)}）" if prev != 0 else ""
    return f"，比上年决算数{word}{wan(abs(d))}{rate}"


def _sangong(w: _Writer, fig: Figures, y: str) -> None:
    w.h2("（三）“三公”经费支出情况")
    b, f, p = (fig.basic("sangong", c) for c in ("budget", "final", "prev_final"))
    line = f"{y}度“三公”经费预算{wan(b)}，实际支出{wan(f)}"
    if p is not None:
        line += _change_words(f, p)
    items = []
    for key, label in (("car", "公务用车购置和维护经费"), ("abroad", "因公出国（境）经费"), ("reception", "公务接待费")):
        ib, i_f, ip = (fig.basic(key, c) for c in ("budget", "final", "prev_final"))
        s = f"{label}预算{wan(ib)}，实际支出{wan(i_f)}"
        if ip is not None and (ip or i_f):
            s += _change_words(i_f, ip)
        items.append(s)
    w.para(line + "。其中：" + "；".join(items) + "。",
           placeholder("“三公”经费增减变化的主要原因") if p is not None and f != p else "")


def _met_words(fig: Figures, ind: Indicator) -> str:
    from ..check.indicators import assess

    a = assess(ind, fig.profile)
    if a.met is True:
        return "已达成目标"
    if a.met is False:
        return "未达成目标"
    return ""


def _quote(v: Val) -> str:
    t = shown(v)
    return t if t else "（空）"


_LEVEL2_NAMES = {f"ind.{k1}.{k2}": n2 for k1, _n1, _w, level2 in forms.LEVEL1 for k2, n2, _s in level2}


def _indicators(w: _Writer, fig: Figures, td: TableData, scores: list) -> None:
    """One paragraph per 二级指标: a sentence per 三级指标."""
    by_block: dict[str, list] = {}
    for s in scores:
        by_block.setdefault(s.indicator.block, []).append(s)
    for block, items in by_block.items():
        l2 = re.sub(r"\s+", "", items[0].indicator.level2) or _LEVEL2_NAMES.get(block, "其他指标")
        weight = sum((s.weight or ZERO for s in items), ZERO)
        score = sum((s.self_score or ZERO for s in items), ZERO)
        sentences = [f"{l2}分值{pts(weight)}分，得分{pts(score)}分"]
        notes = []
        for s in items:
            sent, note = _indicator_sentence(fig, s)
            sentences.append(sent)
            if note:
                notes.append(note)
        w.para("；".join(sentences) + "。", *notes)


def _indicator_sentence(fig: Figures, s) -> tuple[str, tuple[str, str] | str]:
    ind = s.indicator
    name = shown(ind.get("name")) or "（未命名指标）"
    target, actual = ind.get("target"), ind.get("actual")
    text = f"“{name}”年度指标值{_quote(target)}，实际完成{_quote(actual)}"
    met = _met_words(fig, ind)
    if met:
        text += f"，{met}"
    if s.weight is not None:
        text += f"，分值{pts(s.weight)}分"
    if s.self_score is not None:
        text += f"，得分{pts(s.self_score)}分"
    note = shown(ind.get("note"))
    deducted = s.weight is not None and s.self_score is not None and s.self_score < s.weight
    extra: tuple[str, str] | str = ""
    if note and not is_no_deviation(note):
        text += f"，偏差原因及改进措施：{_flat(note)}"
    elif deducted:
        extra = ("note", f"【“{name}”扣了分，附表偏差原因却写“{note or '（空）'}”：请说明扣分原因及改进措施】")
    return text, extra


def _project(w: _Writer, fig: Figures, td: TableData, ts) -> None:
    name = td.display_name
    s = [f"项目“{name}”"]
    if ts.budget is not None:
        s.append(f"全年预算数{wan(ts.budget)}")
    if ts.executed is not None:
        s.append(f"全年执行数{wan(ts.executed)}")
    if ts.rate is not None:
        s.append(f"预算执行率{pct(ts.rate)}")
    head = s[0] + "，".join(s[1:])
    if ts.exec_weight is not None:
        head += f"，执行率分值{pts(ts.exec_weight)}分"
    if ts.exec_self is not None:
        head += f"，得分{pts(ts.exec_self)}分"
    if ts.total_self is not None:
        head += f"；自评总分{pts(ts.total_self)}分，等级为“{fig.profile.grade(ts.total_self)}”"
    w.para(head + "。", *_recomputed_exec(fig, ts))
    goals = [(r.get("expected"), r.get("achieved")) for r in td.rows("goals")]
    for e, a in goals:
        if e is not None and not e.empty:
            w.para("预期目标：" + _flat(shown(e)))
        if a is not None and not a.empty:
            w.para("实际完成情况：" + _flat(shown(a)))
    for l1 in ts.level1:
        inds = [i for i in ts.indicators if i.indicator.level1_key == l1.key]
        if not inds:
            continue
        w.para(f"{l1.name}分值{pts(l1.weight)}分，自评得分{pts(l1.self_score)}分。")
        _indicators(w, fig, td, inds)


def _recomputed_exec(fig: Figures, ts) -> list:
    if ts.exec_recomputed is None or ts.exec_self is None or ts.exec_recomputed == ts.exec_self:
        return []
    return [("note", f"【核对提示：评分方案“{fig.profile.name}”的计分规则为“{ts.exec_basis}”，执行率得分应为"
                     f"{pts(ts.exec_recomputed)}分，与自评得分不同；请核对附表后删除本提示】")]


def _recomputed_total(fig: Figures, ts) -> list:
    if ts.total_recomputed is None or ts.total_self is None or ts.total_recomputed == ts.total_self:
        return []
    return [("note", f"【核对提示：按评分方案“{fig.profile.name}”重算，总分为{pts(ts.total_recomputed)}分"
                     f"（{ts.grade_recomputed}），与自评总分不同；请核对附表后删除本提示】")]


def _facts(fig: Figures) -> list[str]:
    """What the tables show that a 存在的问题 section usually speaks of."""
    out = []
    threshold = fig.profile.explain_below
    for ts in fig.score.tables:
        name = "部门整体支出" if ts.table.kind == "overall" else f"项目“{ts.name}”"
        if ts.rate is not None and ts.rate < threshold:
            out.append(f"{name}预算执行率{pct(ts.rate)}，低于{pts(threshold)}%")
        missed = [s.indicator.name for s in ts.indicators
                  if s.weight is not None and s.self_score is not None and s.self_score < s.weight]
        if missed:
            out.append(f"{name}有{len(missed)}个指标扣分（{'、'.join(missed[:5])}）")
    ov = fig.sub.overall
    ini, bud = fig.field(ov, "funds.total.initial"), fig.field(ov, "funds.total.budget")
    if ini is not None and bud is not None and ini != bud:
        out.append(f"年中预算{'调增' if bud > ini else '调减'}{wan(abs(bud - ini))}")
    for r in fig.projects_rows():
        if r.get("budget") is not None and r["budget"].empty and _amt(r.get("final")):
            out.append(f"项目“{r['name'].text().strip()}”有支出而未列预算")
    return out


# ---------------------------------------------------------------------------
# the appendix tables
# ---------------------------------------------------------------------------
def _appendix(doc, w: _Writer, fig: Figures, own: bool) -> None:
    from docx.enum.section import WD_SECTION

    sub = fig.sub
    tables: list[tuple[str, TableData]] = []
    if sub.basic is not None:
        tables.append(("basic", sub.basic))
    if sub.overall is not None:
        tables.append(("overall", sub.overall))
    tables += [("project", p) for p in sub.projects]
    if not tables:
        return
    year = f"{fig.year}年度" if fig.year else ""
    for n, (kind, td) in enumerate(tables, start=1):
        landscape = kind != "basic"
        sec = doc.add_section(WD_SECTION.NEW_PAGE)
        if own:
            _page(sec, landscape)
        else:
            _turn(sec, landscape)
        p = w.para(f"附件{n}", indent=False)
        p.runs[0].font.name = None
        _set_font(p.runs[0], FONT_H1, w.body_pt)
        title = {"basic": f"{year}部门整体支出绩效评价基础数据表", "overall": f"{year}部门整体支出绩效自评表",
                 "project": f"{year}项目支出绩效自评表"}[kind]
        doc.add_paragraph(title, style=w.names["table_title"])
        width = _text_width(sec)
        if kind == "basic":
            _basic_table(doc, w, fig, td, width)
        else:
            _eval_table(doc, w, fig, td, width)
        doc.add_paragraph("填表人：            填报日期：            联系电话：            单位负责人签字：",
                          style=w.names["cell"]).alignment = 0


def _turn(section, landscape: bool) -> None:
    """A unit's template: keep its margins, turn the paper for the wide tables."""
    from docx.enum.section import WD_ORIENT

    w, h = section.page_width, section.page_height
    if w is None or h is None:
        return
    if landscape and w < h:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = h, w
    elif not landscape and w > h:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = h, w


def _text_width(section) -> int:
    return int(section.page_width - section.left_margin - section.right_margin)


def _table(doc, w: _Writer, rows: int, widths: Iterable[float], total: int):
    """A bordered table with fixed column widths (shares of ``total`` EMU)."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml.ns import qn

    widths = list(widths)
    t = doc.add_table(rows=rows, cols=len(widths))
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    tblpr = t._tbl.tblPr
    borders = tblpr.makeelement(qn("w:tblBorders"), {})
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(borders.makeelement(qn(f"w:{side}"), {qn("w:val"): "single", qn("w:sz"): "4",
                                                            qn("w:space"): "0", qn("w:color"): "000000"}))
    tblpr.append(borders)
    layout = tblpr.makeelement(qn("w:tblLayout"), {qn("w:type"): "fixed"})
    tblpr.append(layout)
    s = sum(widths)
    emus = [int(total * x / s) for x in widths]
    grid = t._tbl.tblGrid
    for gc, e in zip(grid.findall(qn("w:gridCol")), emus):
        gc.set(qn("w:w"), str(e // 635))
    for row in t.rows:
        for c, e in zip(row.cells, emus):
            c.width = e
    return t


def _cell(t, r: int, c: int, text: str, w: _Writer, *, bold: bool = False, align: str = "center",
          span: int = 1, down: int = 1, shade: bool = False):
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    cell = t.cell(r, c)
    if span > 1 or down > 1:
        cell = cell.merge(t.cell(r + down - 1, c + span - 1))
        for extra in cell.paragraphs[1:]:          # the merged cells' empty paragraphs
            if not extra.text:
                extra._p.getparent().remove(extra._p)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    p = cell.paragraphs[0]
    p.style = w.names["cell"]
    p.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "left": WD_ALIGN_PARAGRAPH.LEFT,
                   "right": WD_ALIGN_PARAGRAPH.RIGHT}[align]
    lines = (text or "").split("\n")
    for i, line in enumerate(lines):
        r_ = p.add_run(line)
        if bold:
            r_.bold = True
        if i < len(lines) - 1:
            r_.add_break()
    if shade:
        tcpr = cell._tc.get_or_add_tcPr()
        sh = tcpr.makeelement(qn("w:shd"), {qn("w:val"): "clear", qn("w:color"): "auto", qn("w:fill"): "F2F2F2"})
        tcpr.append(sh)
    return cell


def _header_row(t, r: int) -> None:
    from docx.oxml.ns import qn

    trpr = t.rows[r]._tr.get_or_add_trPr()
    trpr.append(trpr.makeelement(qn("w:tblHeader"), {}))


def _no_split(t) -> None:
    from docx.oxml.ns import qn

    for row in t.rows:
        trpr = row._tr.get_or_add_trPr()
        trpr.append(trpr.makeelement(qn("w:cantSplit"), {}))


def _basic_table(doc, w: _Writer, fig: Figures, td: TableData, width: int) -> None:
    year = fig.year
    prev = f"{year - 1}年决算数" if year else "上年决算数"
    this_b, this_f = (f"{year}年预算数", f"{year}年决算数") if year else ("本年预算数", "本年决算数")
    unit = td.get("unit").text().strip()
    lines: list[tuple[str, tuple[str, str, str], bool]] = []   # label, three values, header

    def money_row(key: str, label: str, dash: bool = False):
        vals = []
        for col in ("prev_final", "budget", "final"):
            if dash and col == "prev_final":
                vals.append("——")
                continue
            v = td.fields.get(f"{key}.{col}")
            x = fig.basic(key, col) if v is not None and (v.is_formula or key in ("sangong", "car")) else _amt(v)
            vals.append(num2(x) if x is not None and (x != 0 or key in ("sangong",)) else
                        (num2(x) if v is not None and not v.empty and x is not None else ""))
        lines.append((label, tuple(vals), False))

    authorized, actual = fig.staff()
    rate = pct(actual / authorized * HUNDRED) if authorized and actual is not None else ""
    lines.append(("财政供养人员情况（人）", ("编制数", f"{year}年实际在职人数" if year else "实际在职人数", "控制率"), True))
    lines.append(("", (pts(authorized), pts(actual), rate), False))
    lines.append(("经费控制情况（万元）", (prev, this_b, this_f), True))
    money_row("sangong", "三公经费")
    money_row("car", "  1、公务用车购置和维护经费")
    money_row("car_purchase", "      其中：公车购置")
    money_row("car_operation", "            公车运行维护")
    money_row("abroad", "  2、出国经费")
    money_row("reception", "  3、公务接待")
    tot = [fig.basic("projects_total", c) for c in ("prev_final", "budget", "final")]
    lines.append(("项目支出：", tuple(num2(x) if x else "" for x in tot), False))
    for i, r in enumerate(fig.projects_rows(), start=1):
        vals = tuple(num2(_amt(r.get(c))) if _amt(r.get(c)) is not None else "" for c in ("prev_final", "budget", "final"))
        lines.append((f"  {i}、{r['name'].text().strip()}", vals, False))
    money_row("public", "公用经费")
    money_row("office", "    其中：办公经费")
    money_row("utilities", "          水费、电费、差旅费")
    money_row("meetings", "          会议费、培训费")
    money_row("procurement", "政府采购金额", dash=True)
    money_row("basic_adjust", "部门基本支出预算调整", dash=True)
    t = _table(doc, w, len(lines) + 1, (34, 16, 16, 16), width)
    _cell(t, 0, 0, f"填报单位：{unit}", w, align="left", span=4)
    for r, (label, vals, header) in enumerate(lines, start=1):
        _cell(t, r, 0, label, w, align="left" if not header else "center", bold=header, shade=header)
        for c, v in enumerate(vals, start=1):
            _cell(t, r, c, v, w, bold=header, shade=header, align="center")
    _rows_at_least(t, 6.5)
    _no_split(t)
    # 楼堂馆所 and 厉行节约
    b = [td.fields.get(f"building.{k}") for k in ("name", "approved_area", "actual_area", "area_rate", "budget",
                                                  "actual", "invest_rate")]
    doc.add_paragraph("", style=w.names["cell"])
    t2 = _table(doc, w, 4, (24, 12, 12, 12, 12, 12, 14), width)
    heads = (f"楼堂馆所控制情况\n（{year}年完工项目）" if year else "楼堂馆所控制情况", "批复规模\n（㎡）", "实际规模\n（㎡）",
             "规模控制率", "预算投资\n（万元）", "实际投资\n（万元）", "投资概算控制率")
    for c, h in enumerate(heads):
        _cell(t2, 0, c, h, w, bold=True, shade=True)
    vals = []
    for i, v in enumerate(b):
        if v is None or (v.empty and not v.is_formula):
            vals.append("")
        elif i in (3, 6):
            a, d = (b[2], b[1]) if i == 3 else (b[5], b[4])
            x, y = (a.number_value() if a else None), (d.number_value() if d else None)
            vals.append(pct(x / y * HUNDRED) if x is not None and y else "")
        else:
            vals.append(shown(v))
    for c, v in enumerate(vals):
        _cell(t2, 1, c, v, w)
    _cell(t2, 2, 0, "厉行节约保障措施", w, bold=True, shade=True)
    _cell(t2, 2, 1, shown(td.get("thrift")), w, align="left", span=6)
    _cell(t2, 3, 0, "说明：“项目支出”需要填报基本支出以外的所有项目支出情况，“公用经费”填报基本支出中的一般商品和服务支出。",
          w, align="left", span=7)
    _rows_at_least(t2, 6.5)
    _no_split(t2)


def _eval_table(doc, w: _Writer, fig: Figures, td: TableData, width: int) -> None:
    """整体支出自评表 or 项目支出自评表 as two tables that read as one: the header, funds and goals;
    then the indicators with their header row repeated on every page, and the 总分."""
    ts = fig.ts(td)
    project = td.kind == "project"
    unit = shown(td.get("unit"))
    top: list = [("head",)] + ([("head2",)] if project else []) + [("fund_head",)]
    fund_lines = [("total", "年度资金总额")]
    if project:
        fund_lines += [(k, f"{'其中：' if i == 0 else ''}{label}")
                       for i, (k, label, _s) in enumerate(forms.PROJECT_FUND_ROWS)]
    top += [("fund", k, label) for k, label in fund_lines]
    if not project:
        incomes = [(label, td.fields.get(f"income.{k}")) for k, label, _s in forms.INCOME_ROWS]
        expenses = [(label, td.fields.get(f"expense.{k}")) for k, label, _s in forms.EXPENSE_ROWS]
        top.append(("split_head",))
        for i in range(max(len(incomes), len(expenses))):
            top.append(("split", incomes[i] if i < len(incomes) else None, expenses[i] if i < len(expenses) else None))
    goals = td.rows("goals") or [{}]
    top.append(("goal_head",))
    top += [("goal", g) for g in goals]
    t = _table(doc, w, len(top), (11, 15, 14, 14, 14, 8, 11, 8), width)
    first_fund = next(i for i, r in enumerate(top) if r[0] == "fund_head")
    last_fund = max(i for i, r in enumerate(top) if r[0] in ("fund", "split", "split_head"))
    first_goal = next(i for i, r in enumerate(top) if r[0] == "goal_head")
    last_goal = max(i for i, r in enumerate(top) if r[0] == "goal")
    for r, row in enumerate(top):
        kind = row[0]
        if kind == "head":
            if project:
                _cell(t, r, 0, "项目支出名称", w, bold=True, shade=True)
                _cell(t, r, 1, td.display_name, w, align="left", span=7)
            else:
                _cell(t, r, 0, "部门名称", w, bold=True, shade=True)
                _cell(t, r, 1, unit, w, align="left", span=5)
                _cell(t, r, 6, "年度", w, bold=True, shade=True)
                _cell(t, r, 7, str(td.year or ""), w)
        elif kind == "head2":
            _cell(t, r, 0, "主管部门", w, bold=True, shade=True)
            _cell(t, r, 1, shown(td.get("department")), w, align="left", span=3)
            _cell(t, r, 4, "实施单位", w, bold=True, shade=True)
            _cell(t, r, 5, unit, w, align="left", span=3)
        elif kind == "fund_head":
            _cell(t, r, 0, "项目资金\n（万元）" if project else "年度预算\n申请\n（万元）", w, bold=True, shade=True,
                  down=last_fund - first_fund + 1)
            for c, h in enumerate(("", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"), start=1):
                _cell(t, r, c, h, w, bold=True, shade=True)
        elif kind == "fund":
            k, label = row[1], row[2]
            _cell(t, r, 1, label, w, align="left")
            for c, col in enumerate(("initial", "budget", "executed"), start=2):
                _cell(t, r, c, num2(fig.field(td, f"funds.{k}.{col}")), w)
            if k == "total" and ts is not None:
                _cell(t, r, 5, pts(ts.exec_weight), w)
                _cell(t, r, 6, pct(ts.rate), w)
                _cell(t, r, 7, pts(ts.exec_self), w)
            else:
                for c in (5, 6, 7):
                    _cell(t, r, c, "", w)
        elif kind == "split_head":
            _cell(t, r, 1, "按收入性质分：", w, align="left", span=3)
            _cell(t, r, 4, "按支出性质分：", w, align="left", span=4)
        elif kind == "split":
            inc, exp = row[1], row[2]
            _cell(t, r, 1, f"{inc[0]}：{num2(_amt(inc[1]))}" if inc is not None else "", w, align="left", span=3)
            _cell(t, r, 4, f"{exp[0]}：{num2(_amt(exp[1]))}" if exp is not None else "", w, align="left", span=4)
        elif kind == "goal_head":
            _cell(t, r, 0, "年度总体\n目标", w, bold=True, shade=True, down=last_goal - first_goal + 1)
            _cell(t, r, 1, "预期目标", w, bold=True, shade=True, span=3)
            _cell(t, r, 4, "实际完成情况", w, bold=True, shade=True, span=4)
        elif kind == "goal":
            g = row[1]
            _cell(t, r, 1, shown(g.get("expected")), w, align="left", span=3)
            _cell(t, r, 4, shown(g.get("achieved")), w, align="left", span=4)
    _rows_at_least(t, 7)
    _no_split(t)
    _spacer(doc)
    # the indicators
    inds = _indicator_rows(td, ts)
    t = _table(doc, w, len(inds) + 2, (9, 12, 21, 15, 15, 6, 6, 22), width)
    for c, h in enumerate(("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                           "偏差原因分析及改进措施")):
        _cell(t, 0, c, h, w, bold=True, shade=True)
    _header_row(t, 0)
    for r, row in enumerate(inds, start=1):
        ind = row[2]
        if ind is None:
            for c in range(2, 8):
                _cell(t, r, c, "", w)
            continue
        _cell(t, r, 2, shown(ind.get("name")), w, align="left")
        _cell(t, r, 3, shown(ind.get("target")), w)
        _cell(t, r, 4, shown(ind.get("actual")), w)
        _cell(t, r, 5, pts(ind.get("weight").number_value()), w)
        _cell(t, r, 6, pts(ind.get("score").number_value()), w)
        _cell(t, r, 7, shown(ind.get("note")), w, align="left")
    last = len(inds) + 1
    _cell(t, last, 0, "总分", w, bold=True, shade=True, span=5)
    total_w = (ts.exec_weight or ZERO) + sum((l.weight for l in ts.level1 + ts.groups), ZERO) if ts else None
    _cell(t, last, 5, pts(total_w), w, bold=True)
    _cell(t, last, 6, pts(ts.total_self) if ts else "", w, bold=True)
    _cell(t, last, 7, "", w)
    _merge_levels(t, w, [("head",)] + inds)
    _rows_at_least(t, 7)
    _no_split(t)


def _spacer(doc) -> None:
    """A hairline paragraph between two tables (so Word keeps them apart)."""
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    p = doc.add_paragraph()
    pf = p.paragraph_format
    pf.line_spacing_rule, pf.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(1)
    pf.space_before = pf.space_after = Pt(0)
    pf.first_line_indent = Pt(0)


def _rows_at_least(t, mm: float) -> None:
    from docx.enum.table import WD_ROW_HEIGHT_RULE
    from docx.shared import Mm

    for row in t.rows:
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        row.height = Mm(mm)


def _indicator_rows(td: TableData, ts) -> list:
    """One row per 三级指标, and one empty row for each standard 二级 without any (as the form shows)."""
    out = []
    inds = td.indicators()
    seen_blocks = []
    for l1key, l1name, _w, level2 in forms.LEVEL1:
        l1_label = td.get(f"ind.{l1key}.label").text() or l1name
        mine = [i for i in inds if i.level1_key == l1key]
        if not mine and not any(i.level1_key == l1key for i in inds) and td.fam.key not in ("", "central-2020",
                                                                                          "central-2020-overall"):
            continue
        for l2key, l2name, _s in level2:
            block = f"ind.{l1key}.{l2key}"
            l2_label = td.get(f"{block}.label").text() or l2name
            rows = [i for i in mine if i.block == block]
            seen_blocks.append(block)
            if rows:
                out += [("ind", (l1key, l1_label, block, l2_label), i) for i in rows]
            else:
                out.append(("ind", (l1key, l1_label, block, l2_label), None))
    other = [i for i in inds if i.block not in seen_blocks]
    out += [("ind", (i.level1_key, i.level1, i.block, i.level2), i) for i in other]
    return out


def _merge_levels(t, w: _Writer, rows: list) -> None:
    ind = [(r, row[1]) for r, row in enumerate(rows) if row[0] == "ind"]
    for level in (0, 1):
        i = 0
        while i < len(ind):
            r0, key = ind[i]
            j = i
            same = (key[0],) if level == 0 else (key[0], key[2])
            while j + 1 < len(ind) and ((ind[j + 1][1][0],) if level == 0 else (ind[j + 1][1][0], ind[j + 1][1][2])) == same:
                j += 1
            label = key[1] if level == 0 else key[3]
            _cell(t, r0, level, label, w, down=ind[j][0] - r0 + 1)
            i = j + 1


def default_output_name(workbook: str | os.PathLike) -> str:
    return f"{Path(workbook).stem}-自评报告.docx"


__all__ = ["ReportOptions", "render_report", "write_report", "Figures", "BODY_MARKERS"]
