"""Write the standardized workbook (blank, or filled from submission data).

Everything here is derived from :mod:`gridbudget.forms`: rows, labels, merges,
formulas, defined names, validation and print set-up. No cell address is written
in this module.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import forms
from ..forms import Field, Placed, Put, Table, a1, col_letter, defined_name, layout
from . import style as _style
from .fsutil import atomic_write_bytes
from ..model import parse_year
from ..read.handout import HANDOUT_SHEET, row_key     # the very hidden sheet of a handed-out workbook

# The font and fills are the shared ones (declared once in write/style.py, hex RGB without '#').
FONT = _style.FONT
INPUT_FILL = _style.INPUT_FILL        # pale yellow: a person types here
FORMULA_FILL = _style.FORMULA_FILL    # pale blue: computed, locked
HEADER_FILL = _style.HEADER_FILL      # grey: headers and fixed labels (not to be filled)
BLANK_FILL = _style.BLANK_FILL        # lighter grey: cells not to be filled
DEFAULT_ROW_HEIGHT = 15.0             # points (xlsxwriter's default row)
NUMBER_INDENT = 1                     # right-aligned numbers keep clear of the next cell's text ...
TEXT_INDENT = 1                       # ... and boxed left-aligned text keeps clear of the cell before it
TEXT_INDENT_UNITS = 2.0               # the width (column units) one indent level takes from wrapped text
# The colours a person sees in the template and what they mean (the 填表说明 legend).
TEMPLATE_LEGEND = (
    ("input", "淡黄", "由单位填写（有输入提示；一级、二级指标名称等有下拉列表）"),
    ("formula", "淡蓝", "公式自动计算，已锁定，请勿改写"),
    ("header", "灰", "表头和固定标签，不需填写"),
    ("blank", "浅灰", "本栏不需填写"),
)

NUM_FORMATS = {
    forms.MONEY: "0.00", forms.RATE: "0.00%", forms.COUNT: "0", forms.AREA: "0.00",
    forms.SCORE: "0.00", forms.WEIGHT: "0.00",
}

_PLACEHOLDER = re.compile(r"\{(range:)?([^{}@]+)(?:@([^{}]+))?\}")


@dataclass
class TemplateOptions:
    unit: str | None = None
    year: int | None = None
    projects: int = 1
    department: str | None = None
    tables: tuple[str, ...] = ("basic", "overall", "project")   # the tables to write (a family's layout: one)
    # handed out by the bureau (gridbudget distribute): these field keys, when the data fills them, are
    # written locked and grey, and a very hidden sheet (HANDOUT_SHEET) records them with a fingerprint.
    # A column of repeated rows is named "BLOCK.COLUMN", BLOCK being the block key or its first part
    # ("ind.target": the 指标值 of every indicator block); its record key is "BLOCK[i].COLUMN".
    given: tuple[str, ...] = ()
    handout: dict[str, Any] | None = None      # 单位编码, 主管部门 … for the fingerprint sheet (None: none written)




def resolve_formula(formula: str, placed: Placed) -> str:
    """Turn a formula written in field keys into an A1 formula for this layout."""
    def sub(m: re.Match) -> str:
        is_range, key, col_key = m.group(1), m.group(2), m.group(3)
        if is_range:
            reps = placed.repeats_in(key)
            if not reps:
                raise KeyError(f"no repeated rows under {key}")
            col = reps[0].cols[col_key]
            first = min(r.first for r in reps)
            last = max(r.last for r in reps)
            return f"{col_letter(col)}{first + 1}:{col_letter(col)}{last + 1}"
        r, c = placed.cell(key)
        return a1(r, c)
    return "=" + _PLACEHOLDER.sub(sub, formula)


def _text(s: str, ctx: dict[str, Any]) -> str:
    return s.format(**ctx) if "{" in s else s


FONT_SIZES = {"title": 16, "note": 9}


class _Formats:
    def __init__(self, wb):
        base = {"font_name": FONT, "font_size": _style.BODY_SIZE, "valign": "vcenter", "text_wrap": True}
        boxed = dict(base, border=1)
        self.wb = wb
        self.cache: dict[tuple, Any] = {}
        self.spec = {
            "title": dict(base, bold=True, font_size=FONT_SIZES["title"], align="center"),
            "header": dict(boxed, bold=True, align="center", bg_color="#" + HEADER_FILL),
            "label": dict(boxed, align="left"),
            "note": dict(base, font_size=FONT_SIZES["note"], align="left"),
            "footer": dict(base, align="left"),
            "blank": dict(boxed, bg_color="#" + BLANK_FILL),
            "input": dict(boxed, bg_color="#" + INPUT_FILL, locked=False),
            "formula": dict(boxed, bg_color="#" + FORMULA_FILL, locked=True),
            "given": dict(boxed, bg_color="#" + BLANK_FILL, locked=True),     # handed out: not to be changed
        }

    def get(self, style: str, kind: str | None = None, align: str | None = None, *, editable: bool = False):
        """The format of a cell; ``editable`` unlocks it whatever its style (a field a person may change)."""
        key = (style, kind, align, editable)
        if key not in self.cache:
            spec = dict(self.spec[style])
            if kind in NUM_FORMATS:
                spec["num_format"] = NUM_FORMATS[kind]
                spec.setdefault("align", "right")
            elif kind == forms.YEAR:
                spec["align"] = "center"
            elif style in ("input", "formula", "given"):
                spec.setdefault("align", "left")
            if align:
                spec["align"] = align
            if kind in NUM_FORMATS:
                spec.pop("text_wrap", None)          # a wrapped number loses its indent in LibreOffice
                if spec.get("align") == "right":
                    spec["indent"] = NUMBER_INDENT
            elif spec.get("align") == "left" and spec.get("border"):
                spec["indent"] = TEXT_INDENT
            if editable:
                spec["locked"] = False
            self.cache[key] = self.wb.add_format(spec)
        return self.cache[key]


def _validation(field: Field, choices: tuple[str, ...]) -> dict | None:
    if choices:
        return {"validate": "list", "source": list(choices), "input_title": field.label[:32],
                "input_message": (field.prompt or "请从下拉列表选择。")[:255],
                "error_title": "请从列表选择", "error_message": f"{field.label}应为：" + "、".join(choices),
                "error_type": "warning"}
    kind = field.kind
    msg = field.prompt
    if kind == forms.MONEY:
        return {"validate": "decimal", "criteria": ">=", "value": 0, "input_title": "金额（万元）",
                "input_message": msg or "请填写金额（万元）。", "error_title": "金额有误",
                "error_message": "请填写不小于 0 的数字，单位万元，不要带“万元”等文字。"}
    if kind == forms.WEIGHT:
        return {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100,
                "input_title": "分值", "input_message": msg or "分值为 0 到 100 之间的数。",
                "error_title": "分值有误", "error_message": "分值应为 0 到 100 之间的数字。"}
    if kind == forms.SCORE:
        return {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100,
                "input_title": "得分", "input_message": msg or "得分应在 0 与本行分值之间。",
                "error_title": "得分有误", "error_message": "得分应为 0 到 100 之间的数字，且不超过本行分值。"}
    if kind == forms.COUNT:
        return {"validate": "integer", "criteria": ">=", "value": 0, "input_title": "人数",
                "input_message": msg or "请填写整数人数。", "error_title": "人数有误",
                "error_message": "请填写不小于 0 的整数。"}
    if kind == forms.AREA:
        return {"validate": "decimal", "criteria": ">=", "value": 0, "input_title": "面积（㎡）",
                "input_message": "请填写面积，单位平方米。", "error_title": "面积有误",
                "error_message": "请填写不小于 0 的数字（平方米）。"}
    if kind == forms.YEAR:
        return {"validate": "integer", "criteria": "between", "minimum": 2000, "maximum": 2100,
                "input_title": "年度", "input_message": "四位数年度，如 2024。", "error_title": "年度有误",
                "error_message": "请填写四位数年度，如 2024。"}
    if msg:
        return {"validate": "any", "input_title": field.label[:32], "input_message": msg[:255]}
    return None


def _cell_value(v: Any) -> Any:
    """A value from submission data, as it should be written into a cell."""
    if isinstance(v, Decimal):
        return float(v) if v == v.to_integral_value() or abs(v.as_tuple().exponent) <= 10 else str(v)
    return v


class _SheetWriter:
    def __init__(self, wb, fmt: _Formats, table: Table, sheet_name: str, ctx: dict[str, Any],
                 data: dict[str, Any] | None):
        self.wb, self.fmt, self.table, self.name, self.ctx = wb, fmt, table, sheet_name, ctx
        self.data = data or {}
        counts = {}
        for key, rows in self.data.get("__blocks__", {}).items():
            counts[key] = max(len(rows), _default_count(table, key))
        self.placed = layout(table, counts)
        self.given: set[str] = set()                   # field keys written locked (handed out)
        self.handed: list[tuple[str, str, Any]] = []   # (cell, key, value) of what was handed out
        self.ws = wb.add_worksheet(sheet_name)
        self._validations: dict[str, tuple[dict, list[tuple[int, int, int, int]]]] = {}

    # -- names ---------------------------------------------------------------
    def _name(self, name: str, r1: int, c1: int, r2: int | None = None, c2: int | None = None) -> None:
        quoted = "'" + self.name.replace("'", "''") + "'"
        ref = f"${col_letter(c1)}${r1 + 1}"
        if r2 is not None and (r2, c2) != (r1, c1):
            ref += f":${col_letter(c2)}${r2 + 1}"
        self.wb.define_name(f"{quoted}!{name}", f"={quoted}!{ref}")

    # -- writing -------------------------------------------------------------
    def _is_given(self, fld, block: str | None) -> bool:
        if block is None:
            return fld.key in self.given
        return f"{block}.{fld.key}" in self.given or f"{block.split('.')[0]}.{fld.key}" in self.given

    def _put(self, row: int, it: Put, value: Any = None, last_row: int | None = None,
             block: tuple[str, int] | None = None) -> None:
        """Write one item; last_row > row merges down (section labels); ``block`` = (key, index) of a repeated row."""
        ws = self.ws
        fld = it.field
        kind = fld.kind if fld else None
        style = it.style
        handed = (fld is not None and not fld.computed and value not in (None, "")
                  and self._is_given(fld, block[0] if block else None))
        if handed:
            style = "given"
            key = row_key(block[0], block[1], fld.key) if block else fld.key
            self.handed.append((a1(row, it.col), key, value))
        fmt = self.fmt.get(style, kind, "center" if (last_row is not None and last_row > row) else None,
                           editable=fld is not None and not fld.computed and not handed)
        content: Any
        if fld is not None and fld.computed:
            content = resolve_formula(fld.formula, self.placed)
        elif fld is not None:
            content = value if value is not None else fld.default
        else:
            content = _text(it.shown or "", self.ctx)
        r2 = last_row if last_row is not None else row
        c2 = it.col + it.span - 1
        if (r2, c2) != (row, it.col):
            ws.merge_range(row, it.col, r2, c2, "", fmt)
        if fld is not None and fld.computed:
            ws.write_formula(row, it.col, content, fmt, "")      # empty cache: clients compute it
        else:
            self._write(row, it.col, content, fmt)                # user text is always text

    def _write(self, row: int, col: int, content: Any, fmt) -> None:
        content = _cell_value(content)
        if content is None or content == "":
            self.ws.write_blank(row, col, None, fmt)
        elif isinstance(content, bool):
            self.ws.write_boolean(row, col, content, fmt)
        elif isinstance(content, (int, float)):
            self.ws.write_number(row, col, content, fmt)
        else:
            self.ws.write_string(row, col, str(content), fmt)

    def write(self) -> Placed:
        ws, placed, table = self.ws, self.placed, self.table
        for c, w in enumerate(table.widths):
            ws.set_column(c, c, w)
        fields_data: dict[str, Any] = self.data.get("__fields__", {})
        heights: dict[int, float] = {}          # row -> height (points); 0 for the default
        # fixed lines
        for row, line in placed.lines:
            values = [fields_data.get(it.field.key) if it.field else None for it in line.items]
            heights[row] = max(line.height or 0, self._wrapped_height(zip(line.items, values)))
            for it, val in zip(line.items, values):
                self._put(row, it, val)
                if it.field is not None:
                    self._field_extras(it, row, row)
        # repeated rows
        blocks: dict[str, list[dict[str, Any]]] = self.data.get("__blocks__", {})
        for key, rep in placed.repeats.items():
            rows = blocks.get(key, [])
            for i in range(rep.count):
                row = rep.first + i
                rowdata = rows[i] if i < len(rows) else {}
                values = [rowdata.get(it.field.key) if it.field else None for it in rep.block.items]
                heights[row] = max(rep.block.height or 0, self._wrapped_height(zip(rep.block.items, values)))
                for it, val in zip(rep.block.items, values):
                    self._put(row, it, val, block=(key, i))
            for it in rep.block.items:
                if it.field is not None:
                    self._name(defined_name(f"{key}.{it.field.key}"), rep.first, it.col, rep.last, it.col)
                    self._validate(it, rep.first, rep.last)
        # section labels (merged down their rows): the last row grows when the rows are too low
        for key, (first, last, section) in placed.sections.items():
            lab = section.label
            if lab is None:
                continue
            val = fields_data.get(lab.field.key) if lab.field else None
            self._put(first, lab, val, last_row=last)
            if lab.field is not None:
                self._field_extras(lab, first, first)
            need = self._wrapped_height([(lab, val)], always=True)
            have = sum(heights.get(r) or DEFAULT_ROW_HEIGHT for r in range(first, last + 1))
            if need > have:
                heights[last] = round((heights.get(last) or DEFAULT_ROW_HEIGHT) + need - have, 1)
        for row, height in sorted(heights.items()):
            if height:
                ws.set_row(row, height)
        self._name(forms.FORM_MARKER + table.key, 0, 0)
        self._write_validations()
        self._page_setup()
        return placed

    def _width(self, it: Put) -> float:
        return sum(self.table.widths[it.col:it.col + it.span])

    def _shown(self, it: Put, value: Any) -> Any:
        """The text a cell shows (None for a formula)."""
        if it.field is not None:
            return None if it.field.computed else (value if value is not None else it.field.default)
        return _text(it.shown or "", self.ctx)

    def _wrapped_height(self, items, *, always: bool = False) -> float:
        """Row height (points) showing the wrapped text of (item, value) pairs whole (style.row_height);
        0 when every text fits on one line and the default row will do (unless ``always``)."""
        need, wraps = 0.0, False
        for it, value in items:
            text = self._shown(it, value)
            if not isinstance(text, str) or not text:
                continue
            width = self._width(it)
            if it.style in ("label", "input"):
                width -= TEXT_INDENT_UNITS
            size = FONT_SIZES.get(it.style, _style.BODY_SIZE)
            wraps = wraps or _style.lines_needed(text, width) > 1
            need = max(need, _style.row_height([(text, width)], size))
        return need if (wraps or always) else 0.0

    def _field_extras(self, it: Put, r1: int, r2: int) -> None:
        self._name(defined_name(it.field.key), r1, it.col)
        self._validate(it, r1, r2)

    def _validate(self, it: Put, r1: int, r2: int) -> None:
        """Collect a validation; identical ones are written once over all their ranges."""
        if it.field is None or it.field.computed:
            return
        v = _validation(it.field, it.choices)
        if v:
            key = repr(sorted(v.items()))
            self._validations.setdefault(key, (v, []))[1].append((r1, it.col, r2, it.col))

    def _write_validations(self) -> None:
        from xlsxwriter.utility import xl_range

        for v, ranges in self._validations.values():
            opts = dict(v)
            if len(ranges) > 1:
                opts["multi_range"] = " ".join(xl_range(*r) for r in ranges)
            self.ws.data_validation(*ranges[0], opts)

    def _page_setup(self) -> None:
        ws, table = self.ws, self.table
        ws.set_paper(9)  # A4
        if table.landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.5, right=0.5, top=0.5, bottom=0.5)   # 519 pt of rows a landscape page
        ws.center_horizontally()
        ws.repeat_rows(0, 1)
        ws.freeze_panes(2, 0)
        ws.set_footer("&C第 &P 页，共 &N 页")
        breaks = [self.placed.section_rows(k)[0] for k in table.page_breaks]
        if breaks:
            ws.set_h_pagebreaks(breaks)
        ws.protect("", {"format_cells": False, "format_columns": True, "format_rows": True,
                        "insert_rows": True, "delete_rows": True, "select_locked_cells": True,
                        "select_unlocked_cells": True, "sort": False, "autofilter": False})


def _default_count(table: Table, key: str) -> int:
    placed = layout(table)
    rep = placed.repeats.get(key)
    return rep.count if rep else 1


GUIDE_LINES = (     # each either one line or clearly two at the guide's width (no word left alone on a line)
    "本工作簿包含三张附表：基础数据表、整体支出自评表、项目支出自评表（每个项目一张）。",
    "金额单位均为万元，保留两位小数；请填写数字，不要在金额单元格中加“万元”等文字。",
    "执行率 = 全年执行数 ÷ 全年预算数；控制率 = 实际在职人数 ÷ 编制数；三公经费等自动求和。",
    "评分权重（财预〔2020〕10号）：执行率 10 分、产出 50 分、效益 30 分、满意度 10 分，共 100 分。",
    "三级指标：每个二级指标下预留了空行，行数不够时，在该指标块中间（不要在最后一行之后）插入整行，小计与总分公式会自动包含新行。",
    "年度指标值写法示例：≥100次、≤50万元、95%、定性；实际完成值示例：134条、40.6万元、98%、达成。",
    "偏差原因分析及改进措施：未达成目标、扣分、实际完成值超过目标 30% 以上、预算执行率低于 90% 时，"
    "必须填写原因及改进措施。",
    "增加项目：右键单击“项目支出自评表-1”工作表标签，选择“移动或复制工作表”并勾选“建立副本”，再改名为“项目支出自评表-2”等；"
    "也可运行 gridbudget template --projects N 生成含 N 张项目表的新模板。",
    "工作表已保护（无密码），调整格式可在“审阅 → 撤销工作表保护”后操作；公式单元格请勿改写。",
    "打印：A4，基础数据表纵向，自评表横向；自评表的资金与年度总体目标一页，绩效指标另起一页。",
    "填好后运行 gridbudget validate 文件名.xlsx 检查，按提示逐项修改。",
)
GUIDE_WIDTHS = (6, 80)          # number or colour swatch | text (portrait A4 at 100 %)


def _write_guide(wb, fmt: _Formats, ctx: dict[str, Any], sheets: list[str]) -> None:
    """The 填表说明 sheet: a title block, the colour legend, then the numbered notes."""
    ws = wb.add_worksheet(forms.GUIDE_SHEET)
    for c, w in enumerate(GUIDE_WIDTHS):
        ws.set_column(c, c, w)
    text_width = GUIDE_WIDTHS[1]
    title = _style.xlsxwriter_format(wb, bold=True, font_size=FONT_SIZES["title"], align="center")
    sub = _style.xlsxwriter_format(wb, align="center", text_wrap=True)
    heading = _style.xlsxwriter_format(wb, bold=True, bottom=1)
    body = _style.xlsxwriter_format(wb, text_wrap=True, valign="top")
    number = _style.xlsxwriter_format(wb, align="right", valign="top")
    row = 0
    ws.merge_range(row, 0, row, 1, f"{ctx['year']}年度部门整体支出绩效自评附表　填表说明", title)
    ws.set_row(row, 30)
    row += 1
    unit = ctx.get("unit") or "（在各表中填写）"
    for info in (f"填报单位：{unit}　　年度：{ctx['year']}", f"附表：{'、'.join(sheets)}"):
        ws.merge_range(row, 0, row, 1, info, sub)
        ws.set_row(row, _style.row_height([(info, sum(GUIDE_WIDTHS))]))
        row += 1
    handout = ctx.get("handout")
    if handout is not None:                       # handed out by the bureau: what to do and by when
        row += 1
        ws.merge_range(row, 0, row, 1, "下发说明", heading)
        ws.set_row(row, 20)
        row += 1
        for i, text in enumerate(handout_lines(handout, ctx), 1):
            ws.write_string(row, 0, f"{i}.", number)
            ws.write_string(row, 1, text, body)
            ws.set_row(row, max(20, _style.row_height([(text, text_width)])))
            row += 1
    row += 1
    ws.merge_range(row, 0, row, 1, "颜色说明", heading)
    ws.set_row(row, 20)
    row += 1
    for style, colour, meaning in TEMPLATE_LEGEND:
        text = f"{colour}：{meaning}"
        ws.write_blank(row, 0, None, fmt.get(style))
        ws.write_string(row, 1, text, fmt.get("label"))
        ws.set_row(row, max(20, _style.row_height([(text, text_width)])))
        row += 1
    row += 1
    ws.merge_range(row, 0, row, 1, "填写说明", heading)
    ws.set_row(row, 20)
    row += 1
    for i, text in enumerate(GUIDE_LINES, 1):
        ws.write_string(row, 0, f"{i}.", number)
        ws.write_string(row, 1, text, body)
        ws.set_row(row, max(20, _style.row_height([(text, text_width)])))
        row += 1
    _style.xlsxwriter_page(ws, landscape=False, title=forms.GUIDE_SHEET)
    ws.center_horizontally()


def handout_lines(handout: dict[str, Any], ctx: dict[str, Any]) -> list[str]:
    """The 下发说明 of a handed-out workbook's 填表说明: who handed it out, what is locked, what to fill, by when."""
    code = handout.get("单位编码")
    who = handout.get("主管部门")
    lines = [f"本工作簿由财政局{('经' + str(who)) if who else ''}于{handout.get('下发日期') or '（日期）'}下发给"
             f"{ctx.get('unit') or '本单位'}" + (f"（单位编码 {code}）" if code else "") + "，请在本工作簿上填写，不要另建工作簿。",
             "浅灰色、已锁定的单元格是下发数（单位名称、年度、主管部门、项目名称、年初预算数、调整后预算数），不能修改；"
             "如有误请联系财政局重新下发。工作簿中记有下发数和它们的指纹，交回后审核时逐格核对，改动的下发数会被报出。",
             *(["编制预算时申报的年度目标、三级指标和指标值（绩效目标申报表）也已预填并锁定：请对照填写实际完成情况、实际完成值、"
                "分值与得分，不要删除、改名或调低指标；年中经批准增加的指标写在同一二级指标下的空行，并在出错说明中写明依据。"]
               if handout.get("申报目标") else []),
             "请填写淡黄色单元格：全年执行数、按收入和支出性质分的执行数、年度总体目标、各级绩效指标的指标值和实际完成值、"
             "分值与得分、偏差原因；淡蓝色为公式，自动计算。",
             "填好后可先审核（gridbudget validate 本文件 --annotate 审核副本.xlsx）；对警告，在审核副本“审核结果”表最后一列"
             "“出错说明”写明原因后交回审核副本；错误须在表中改正。"]
    deadline = handout.get("交回截止日期")
    lines.append(f"请于 {deadline} 前交回。" if deadline else "请按财政局通知的时间交回。")
    return lines


def build_workbook(opts: TemplateOptions | None = None, data: dict[str, Any] | None = None) -> bytes:
    """Build the workbook and return its bytes (deterministic for equal inputs).

    ``data`` is flat submission data as produced by :func:`gridbudget.submission.flatten`:
    ``{"basic": {"__fields__": {...}, "__blocks__": {...}}, "overall": {...}, "projects": [...]}``.
    """
    import xlsxwriter

    opts = opts or TemplateOptions()
    data = data or {}
    year = opts.year or _data_year(data) or _dt.date.today().year - 1
    unit = opts.unit or ""
    ctx = {"year": year, "prev_year": year - 1, "unit": unit, "handout": opts.handout}
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False,
                                   "default_format_properties": {"font_name": FONT, "font_size": _style.BODY_SIZE}})
    wb.set_properties({"title": f"{year}年度部门整体支出绩效自评附表", "author": "gridbudget",
                       "created": _dt.datetime(2000, 1, 1), "comments": "gridbudget template"})
    wb.set_calc_mode("auto")
    fmt = _Formats(wb)
    projects = list(data.get("projects") or [])
    n = max(opts.projects, len(projects), 1) if "project" in opts.tables else 0
    sheets = [t.sheet for t in (forms.BASIC, forms.OVERALL) if t.key in opts.tables]
    if n:
        sheets.append(f"{forms.PROJECT_SHEET_PREFIX.rstrip('-')} {n} 张")
    _write_guide(wb, fmt, ctx, sheets)

    def with_header(tdata: dict | None, extra: dict[str, Any]) -> dict:
        tdata = {"__fields__": dict((tdata or {}).get("__fields__", {})), "__blocks__": (tdata or {}).get("__blocks__", {})}
        for k, v in extra.items():
            if v not in (None, "") and tdata["__fields__"].get(k) in (None, ""):
                tdata["__fields__"][k] = v
        return tdata

    header = {"unit": unit or None, "year": year}
    writers: list[_SheetWriter] = []

    def write(table, name: str, tdata: dict) -> None:
        w = _SheetWriter(wb, fmt, table, name, ctx, tdata)
        w.given = set(opts.given)
        w.write()
        writers.append(w)

    if "basic" in opts.tables:
        write(forms.BASIC, forms.BASIC.sheet, with_header(data.get("basic"), header))
    if "overall" in opts.tables:
        write(forms.OVERALL, forms.OVERALL.sheet, with_header(data.get("overall"), header))
    for i in range(n):
        pdata = projects[i] if i < len(projects) else None
        extra = {"year": year, "unit": unit or None, "department": opts.department}
        write(forms.PROJECT, forms.project_sheet_name(i + 1), with_header(pdata, extra))
    if opts.handout is not None:
        items = [(w.name, cell, key, value) for w in writers for cell, key, value in w.handed]
        _write_handout(wb, dict(opts.handout, 年度=year, 单位名称=unit), items)
    wb.worksheets()[1].activate()
    wb.close()
    return buf.getvalue()


def handout_hash(info: dict[str, Any], items: list[tuple[str, str, str, Any]]) -> str:
    """The fingerprint of a handed-out workbook: SHA-256 over the unit, year, template version and
    every handed-out figure (sheet, field key, value as text). Cell addresses are not part of it."""
    import hashlib
    import json

    canon = {"unit_code": str(info.get("单位编码") or ""), "unit": str(info.get("单位名称") or ""),
             "year": str(info.get("年度") or ""), "version": str(info.get("模板版本") or ""),
             "items": sorted([str(sheet), str(key), _hash_text(value)] for sheet, _cell, key, value in items)}
    return hashlib.sha256(json.dumps(canon, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def _hash_text(value: Any) -> str:
    """A value as the fingerprint hashes it: amounts as Decimal with two places, text stripped."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float, Decimal)):
        return format(Decimal(str(value)).quantize(Decimal("0.01")), "f")
    try:
        return format(Decimal(str(value).strip()).quantize(Decimal("0.01")), "f")
    except ArithmeticError:
        return str(value).strip()


def _write_handout(wb, info: dict[str, Any], items: list[tuple[str, str, str, Any]]) -> None:
    """The very hidden 下发信息 sheet: key/value rows, then one row per handed-out figure."""
    from .. import __version__

    info = dict(info)
    info.setdefault("模板版本", __version__)
    info["指纹"] = handout_hash(info, items)
    ws = wb.add_worksheet(HANDOUT_SHEET)
    r = 0
    ws.write_string(r, 0, "gridbudget 下发信息（请勿修改）")
    for k in ("单位编码", "单位名称", "主管部门", "年度", "模板版本", "下发日期", "交回截止日期", "指纹"):
        r += 1
        ws.write_string(r, 0, k)
        ws.write_string(r, 1, "" if info.get(k) is None else str(info.get(k)))
    r += 2
    for c, h in enumerate(("工作表", "单元格", "字段", "下发值")):
        ws.write_string(r, c, h)
    for sheet, cell, key, value in items:
        r += 1
        ws.write_string(r, 0, sheet)
        ws.write_string(r, 1, cell)
        ws.write_string(r, 2, key)
        ws.write_string(r, 3, _hash_text(value))
    ws.protect()
    ws.very_hidden()


def _data_year(data: dict[str, Any]) -> int | None:
    """The year the data states: the overall table's, the basic table's, else the first project's."""
    for part in (data.get("overall"), data.get("basic"), *(data.get("projects") or [])):
        if part:
            y = parse_year(part.get("__fields__", {}).get("year"))
            if y is not None:
                return y
    return None


def write_template(path: str | Path, opts: TemplateOptions | None = None, data: dict[str, Any] | None = None) -> Path:
    """Write the workbook atomically to ``path``."""
    path = Path(path)
    atomic_write_bytes(path, build_workbook(opts, data))
    return path
