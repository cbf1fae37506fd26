"""Views of a score: the 评分汇总 sheet (first sheet of a copy), terminal text and JSON.

All three show the same numbers: the unit's own scores beside the recomputed ones, per 一级
group as each table's family has them (产出 / 效益 / 满意度, 项目决策 / 项目管理, 规划 / 执行 …),
and any deduction the profile makes (total capped by the execution rate, 指标偏离).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import __version__, forms
from . import style
from ..check.findings import Report
from ..score.engine import SubmissionScore, TableScore

SHEET_TITLE = "评分汇总"

# The summary table, one row per table: (key in the row, column width, number format). Between
# the execution rate's points and the total stand ``slots`` pairs of 一级 group columns (自评 /
# 重算), named per block of tables by the groups of their family (LEVEL_SLOTS at least).
LEVEL_SLOTS = 3
_HEAD = (("name", 18, None), ("budget", 11, "0.00"), ("executed", 11, "0.00"), ("rate", 8, "0.00%"),
         ("exec_self", 7, "0.00"), ("exec_recomputed", 7, "0.00"))
_TAIL = (("total_self", 7, "0.00"), ("total_recomputed", 7, "0.00"), ("difference", 7, "0.00"),
         ("grade_self", 5, None), ("grade_recomputed", 5, None), ("errors", 5, "0"), ("warnings", 5, "0"))
_LEVEL_WIDTH = 7


def summary_columns(slots: int = LEVEL_SLOTS) -> tuple[tuple[str, float, str | None], ...]:
    """The summary's columns with ``slots`` 一级 group pairs (level1_self, level1_recomputed …)."""
    levels = tuple((f"level{i}_{what}", _LEVEL_WIDTH, "0.00") for i in range(1, slots + 1)
                   for what in ("self", "recomputed"))
    return _HEAD + levels + _TAIL


def summary_header(names: tuple[str, ...], slots: int = LEVEL_SLOTS):
    """The summary's two header rows for a block of tables whose 一级 groups are ``names``:
    ((label, first column, columns spanned), …) and {column: label of the second row}. A label
    spanning one column stands over both rows, a label over two columns has 自评 / 重算 (or
    错误 / 警告) below it; a slot the block does not use is left blank."""
    t = 7 + 2 * slots                                          # the first column after the groups
    top = [("表", 1, 1), ("全年预算数\n（万元）", 2, 1), ("全年执行数\n（万元）", 3, 1), ("执行率", 4, 1),
           ("执行率得分", 5, 2)]
    top += [(names[i] if i < len(names) else "", 7 + 2 * i, 2) for i in range(slots)]
    top += [("总分", t, 2), ("差额", t + 2, 1), ("等级", t + 3, 2), ("审核问题", t + 5, 2)]
    sub = {5: "自评", 6: "重算"}
    sub.update({c: w for i in range(min(len(names), slots)) for c, w in ((7 + 2 * i, "自评"), (8 + 2 * i, "重算"))})
    sub.update({t: "自评", t + 1: "重算", t + 3: "自评", t + 4: "重算", t + 5: "错误", t + 6: "警告"})
    return tuple(top), sub


# (label, first column, columns spanned) on the grid the summary's widths define (LEVEL_SLOTS
# groups; each slot more widens the last column group by the two columns it adds)
DETAIL_COLUMNS = (("表", 1, 1), ("一级指标", 2, 1), ("二级指标", 3, 1), ("三级指标", 4, 2), ("年度指标值", 6, 2),
                  ("实际完成值", 8, 2), ("分值", 10, 1), ("自评\n得分", 11, 1), ("重算\n得分", 12, 1), ("差额", 13, 1),
                  ("重算依据", 14, 3), ("提示", 17, 3))
RUBRIC_COLUMNS = (("一级指标", 1, 1), ("二级指标", 2, 1), ("评分标准", 3, 6), ("所需佐证材料", 9, 4), ("满分", 13, 1),
                  ("得分", 14, 1), ("评分方式与理由", 15, 5))


_STANDARD_NAMES = tuple(name for _key, name, *_rest in forms.LEVEL1)      # 产出指标, 效益指标, 满意度指标


def _widen_last(columns, extra: int):
    *rest, (label, c, span) = columns
    return (*rest, (label, c, span + extra))


def level_names(ts: TableScore) -> tuple[str, ...]:
    """The names of a table's 一级 groups, in the order the summary shows them."""
    return tuple(l.name for l in ts.levels)


def _f(x: Decimal | None) -> float | None:
    return None if x is None else float(x)


def _counts(report: Report | None, table) -> tuple[int, int]:
    if report is None:
        return 0, 0
    mine = [f for f in report.findings if f.sheet == table.sheet]
    return sum(1 for f in mine if f.severity == "error"), sum(1 for f in mine if f.severity == "warning")


def table_row(ts: TableScore) -> dict[str, Any]:
    l1 = {l.key: l for l in ts.level1}
    levels = ts.levels
    return {
        "table": ts.table.kind, "name": ts.name, "sheet": ts.table.sheet,
        "budget": ts.budget, "executed": ts.executed,
        "rate": None if ts.rate is None else ts.rate.quantize(Decimal("0.01")),
        "exec_weight": ts.exec_weight, "exec_self": ts.exec_self, "exec_recomputed": ts.exec_recomputed,
        "exec_basis": ts.exec_basis, "exec_flag": ts.exec_flag,
        # every standard 一级 (a family without them leaves these columns empty)
        **{f"{k}_{what}": getattr(l1[k], attr) if k in l1 else None for k, *_ in forms.LEVEL1
           for what, attr in (("self", "self_score"), ("recomputed", "recomputed"), ("weight", "weight"))},
        # the table's own 一级 groups (the standard ones, or 项目决策 / 规划 … of its family), in order
        "levels": [{"name": l.name, "weight": l.weight, "self": l.self_score, "recomputed": l.recomputed}
                   for l in levels],
        **{f"level{i}_{what}": getattr(l, attr) for i, l in enumerate(levels, 1)
           for what, attr in (("self", "self_score"), ("recomputed", "recomputed"))},
        "total_self": ts.total_self, "total_recomputed": ts.total_recomputed, "difference": ts.diff,
        "grade_self": ts.grade_self, "grade_recomputed": ts.grade_recomputed,
        # [exec_rate] total_caps: the highest total the execution rate allows and the points above it
        "total_before_cap": ts.total_before_cap, "total_cap": ts.total_cap, "cap_deduction": ts.cap_deduction,
        "cap_reason": ts.cap_reason,
    }


def _listed(s) -> bool:
    """An indicator the views list: its recomputed points differ, it is flagged, or points were deducted."""
    return (s.diff is not None and s.diff != 0) or bool(s.flag) or s.deduction > 0


def score_dict(score: SubmissionScore, report: Report | None = None, file: str = "") -> dict[str, Any]:
    tables = []
    for ts in score.tables:
        row = table_row(ts)
        row["errors"], row["warnings"] = _counts(report, ts.table)
        row["indicators"] = [{
            "level1": s.indicator.level1, "level2": s.indicator.level2, "name": s.indicator.name,
            "target": s.indicator.get("target").text(), "actual": s.indicator.get("actual").text(),
            "weight": s.weight, "self": s.self_score, "recomputed": s.recomputed, "difference": s.diff,
            "basis": s.basis, "flag": s.flag, "deduction": s.deduction, "cell": s.indicator.get("score").where,
        } for s in ts.indicators]
        tables.append(row)
    return {
        "schema": "gridbudget.score/1", "file": file, "profile": score.profile.name,
        "profile_title": score.profile.title, "tables": tables,
        "rubric": [{"group": r.group, "name": r.name, "max": r.max_points, "points": r.points,
                    "auto": r.auto, "reason": r.reason} for r in score.rubric],
        "rubric_auto_points": score.rubric_auto_points,
        "rubric_auto_max": sum((r.max_points for r in score.rubric if r.auto), Decimal(0)),
    }


def _s(x: Decimal | None) -> str:
    return "—" if x is None else format(x.quantize(Decimal("0.01")), "f")


def render_score_text(score: SubmissionScore, report: Report | None = None, file: str = "") -> str:
    lines = [f"{file}  评分方案：{score.profile.title}（{score.profile.name}）"]
    for ts in score.tables:
        e, w = _counts(report, ts.table)
        lines.append(f"【{ts.name}】全年预算数 {_s(ts.budget)} 万元，全年执行数 {_s(ts.executed)} 万元，执行率 "
                     f"{_s(ts.rate)}%")
        lines.append(f"  预算执行率得分：自评 {_s(ts.exec_self)}，重算 {_s(ts.exec_recomputed)}（{ts.exec_basis}）"
                     + (f"  ⚠ {ts.exec_flag}" if ts.exec_flag else ""))
        for l in ts.levels:
            lines.append(f"  {l.name}（分值 {_s(l.weight)}）：自评 {_s(l.self_score)}，重算 {_s(l.recomputed)}")
        for s in ts.indicators:
            if _listed(s):
                lines.append(f"    · {s.indicator.name}：自评 {_s(s.self_score)}，重算 {_s(s.recomputed)}（{s.basis}）"
                             + (f"  ⚠ {s.flag}" if s.flag else ""))
        if ts.cap_deduction > 0:
            lines.append(f"  总分上限：{ts.cap_reason}（重算合计 {_s(ts.total_before_cap)} 分）")
        lines.append(f"  总分：自评 {_s(ts.total_self)}（{ts.grade_self or '—'}），重算 {_s(ts.total_recomputed)}"
                     f"（{ts.grade_recomputed or '—'}），差额 {_s(ts.diff)}；审核：错误 {e} 项，警告 {w} 项")
    auto = [r for r in score.rubric if r.auto]
    if score.rubric:
        lines.append(f"自评工作考核评分表：自动评分项目得 {_s(score.rubric_auto_points)} / "
                     f"{_s(sum((r.max_points for r in auto), Decimal(0)))} 分，其余 "
                     f"{_s(sum((r.max_points for r in score.rubric if not r.auto), Decimal(0)))} 分待审核人员评分。")
        for r in auto:
            lines.append(f"  {r.name}：{_s(r.points)} / {_s(r.max_points)}（{r.reason}）")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# the 评分汇总 sheet
# ---------------------------------------------------------------------------
def _evidence(score: SubmissionScore) -> dict[tuple[str, str], str]:
    """所需佐证材料 of each rubric item, (group, name) -> text, from the profile's [[rubric.items]]."""
    items = score.profile.data.get("rubric", {}).get("items", [])
    return {(i.get("group", ""), i.get("name", "")): i.get("evidence", "") for i in items if isinstance(i, dict)}


def summary_blocks(tables: list[TableScore]) -> list[tuple[tuple[str, ...], list[TableScore]]]:
    """The tables grouped by their 一级 groups (one header per group), in order of first appearance;
    a table without any group joins the first block."""
    out: dict[tuple[str, ...], list[TableScore]] = {}
    bare = []
    for ts in tables:
        names = level_names(ts)
        if names:
            out.setdefault(names, []).append(ts)
        else:
            bare.append(ts)
    if bare:
        first = next(iter(out), ())
        out[first] = out.get(first, []) + bare
    return list(out.items())


def write_score_sheet(wb, score: SubmissionScore, report: Report | None, *, unit: str, year: int | None,
                      file: str = "", notes: list[str] | None = None) -> Any:
    """Add the 评分汇总 sheet as the first sheet of openpyxl workbook ``wb`` and return it.

    A title block (unit, year, file, profile, date, notes of the copy), a legend of the colours,
    the summary (one row per table, 自评 beside 重算 under two header rows; the 一级 columns are
    the groups of the tables' family, one header per set of groups), any total capped by the
    execution rate, the indicators whose recomputed points differ or were deducted, and the work
    rubric (自评工作考核评分表) with its groups merged as in the official form and its 所需佐证材料.
    Every text wraps in a row as tall as it needs; A4 landscape, one page wide, page numbers; no
    heading ends a page.
    """
    from datetime import date

    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Alignment, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.pagebreak import Break

    title = SHEET_TITLE
    n = 2
    while title in wb.sheetnames:
        title = f"{SHEET_TITLE}({n})"
        n += 1
    ws = wb.create_sheet(title, 0)
    box = style.openpyxl_border()
    wrap = Alignment(wrap_text=True, vertical="center")   # texts and numbers of a row centred alike
    center = Alignment(wrap_text=True, vertical="center", horizontal="center")
    sblocks = summary_blocks(score.tables)
    slots = max([LEVEL_SLOTS] + [len(names) for names, _t in sblocks])
    columns = summary_columns(slots)
    col_of = {key: i for i, (key, *_rest) in enumerate(columns, start=1)}
    detail_columns = _widen_last(DETAIL_COLUMNS, 2 * (slots - LEVEL_SLOTS))
    rubric_columns = _widen_last(RUBRIC_COLUMNS, 2 * (slots - LEVEL_SLOTS))
    ncols = len(columns)
    widths = [w for _k, w, _f in columns]
    for c, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = w
    total_width = sum(widths)

    def span_width(c: int, span: int) -> float:
        return sum(widths[c - 1:c - 1 + span])

    def put(r: int, c: int, v: Any, *, fmt: str | None = None, bold: bool = False, fill: str | None = None,
            align=wrap, locked: bool = True, border: bool = True, formula: bool = False,
            size: float = style.BODY_SIZE):
        cell = ws.cell(r, c)
        if isinstance(v, Decimal):
            v = float(v)
        cell.value = v
        if isinstance(v, str) and v.startswith("=") and not formula:
            cell.data_type = "s"          # user text stays text
        cell.font = style.openpyxl_font(bold=bold, size=size)
        cell.alignment = align
        if border:
            cell.border = box
        if fmt:
            cell.number_format = fmt
        if fill:
            cell.fill = style.openpyxl_fill(fill)
        cell.protection = Protection(locked=locked)
        return cell

    def spanned(r: int, c: int, span: int, v: Any, *, rows: int = 1, **kw):
        cell = put(r, c, v, **kw)
        for rr in range(r, r + rows):
            for cc in range(c, c + span):
                if (rr, cc) != (r, c):
                    put(rr, cc, None, border=True, locked=kw.get("locked", True), fill=kw.get("fill"))
        if span > 1 or rows > 1:
            ws.merge_cells(start_row=r, start_column=c, end_row=r + rows - 1, end_column=c + span - 1)
        return cell

    def fit(r: int, texts: list[tuple[Any, float]], *, size: float = style.BODY_SIZE) -> None:
        """Row ``r`` as tall as its wrapped texts need."""
        ws.row_dimensions[r].height = style.wrapped_row_height(
            [(t, w) for t, w in texts if isinstance(t, str)] or [("", 10)], size=size)

    def line(r: int, text: str, *, bold: bool = False, size: float = style.BODY_SIZE, align=wrap) -> None:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        put(r, 1, text, bold=bold, size=size, border=False, align=align)
        fit(r, [(text, total_width)], size=size)

    def diff_colours(ref: str) -> None:
        """Differences (recomputed − self): red when the unit scored itself higher, green when lower."""
        ws.conditional_formatting.add(ref, CellIsRule(operator="lessThan", formula=["-0.005"],
                                                      fill=PatternFill("solid", fgColor=style.BAD_FILL)))
        ws.conditional_formatting.add(ref, CellIsRule(operator="greaterThan", formula=["0.005"],
                                                      fill=PatternFill("solid", fgColor=style.GOOD_FILL)))

    keep: list[int] = []                  # headings that must not end a printed page
    blocks: list[tuple[int, int]] = []    # rows printed on one page when they fit on one

    def header(r: int, columns) -> None:
        for label, c, span in columns:
            spanned(r, c, span, label, bold=True, fill=style.HEADER_FILL, align=center)
        fit(r, [(label, span_width(c, span)) for label, c, span in columns])
        keep.append(r)

    # -- title block
    d = date.today()
    line(1, f"{unit}{year or ''}年度绩效自评评分汇总", bold=True, size=style.TITLE_SIZE,
         align=Alignment(horizontal="center", vertical="center", wrap_text=True))
    line(2, "　　".join([f"单位：{unit or '（未识别）'}", f"年度：{year or '（未识别）'}"]
                       + ([f"文件：{file}"] if file else [])))
    line(3, "　　".join([f"评分方案：{score.profile.title}（{score.profile.name}）",
                        f"评分日期：{d.year}年{d.month}月{d.day}日", f"由 gridbudget {__version__} 生成"]))
    line(4, "单位的自评得分保持原样，按评分方案重算的得分并列显示；差额 = 重算 − 自评。等级按各自的总分评定；"
            "审核问题为该表审核发现的错误、警告项数。")
    r = 5
    for note in notes or []:
        line(r, note)
        r += 1

    # -- legend
    legend = [(style.BAD_FILL, "差额为负：单位自评得分高于按评分方案重算的得分（自评偏高）；“错误”列：该表审核发现错误"),
              (style.GOOD_FILL, "差额为正：单位自评得分低于按评分方案重算的得分")]
    if score.rubric:
        legend.append((style.INPUT_FILL, "由审核人员填写的得分（自评工作考核评分表）"))
    r = style.openpyxl_legend(ws, r + 1, legend, slots=[(1, 2, ncols)])

    # -- the summary: per set of 一级 groups, two header rows naming them, then its tables
    link_font = style.openpyxl_font(color="0563C1")
    link_font.underline = "single"
    col = {k: get_column_letter(i) for k, i in col_of.items()}
    summary_first = r + 1
    first_data = None
    for names, members in sblocks or [(_STANDARD_NAMES, [])]:
        hdr = r + 1
        top, sub = summary_header(names, slots)
        for label, c, span in top:
            if span == 1:
                spanned(hdr, c, 1, label, rows=2, bold=True, fill=style.HEADER_FILL, align=center)
            else:
                spanned(hdr, c, span, label or None, bold=True, fill=style.HEADER_FILL, align=center)
                for cc in range(c, c + span):
                    put(hdr + 1, cc, sub.get(cc), bold=True, fill=style.HEADER_FILL, align=center)
        fit(hdr, [(label, span_width(c, span)) for label, c, span in top])
        ws.row_dimensions[hdr + 1].height = style.wrapped_row_height([("自评", 7)])
        keep += [hdr, hdr + 1]
        r = hdr + 2
        first_data = first_data or r
        start = r
        for ts in members:
            row = table_row(ts)
            row["errors"], row["warnings"] = _counts(report, ts.table)
            row["rate"] = None if ts.rate is None else ts.rate / 100
            for c, (key, _w, fmt) in enumerate(columns, start=1):
                put(r, c, row.get(key), fmt=fmt, align=center if c > 1 else wrap)
            fit(r, [(row["name"], widths[0])])
            link = ws.cell(r, 1)
            link.hyperlink = f"#'{ts.table.sheet}'!A1"
            link.font = link_font
            r += 1
        if r > start:
            diff_colours(f"{col['difference']}{start}:{col['difference']}{r - 1}")
            err_ref = f"{col['errors']}{start}:{col['errors']}{r - 1}"
            ws.conditional_formatting.add(err_ref, CellIsRule(operator="greaterThan", formula=["0"],
                                                              fill=PatternFill("solid", fgColor=style.BAD_FILL)))
        blocks.append((hdr, r - 1))        # one header with its tables
    # -- totals capped by the execution rate ([exec_rate] total_caps), under the summary
    for ts in score.tables:
        if ts.cap_deduction > 0:
            line(r, f"总分上限：{ts.name}，{ts.cap_reason}（重算合计 {_s(ts.total_before_cap)} 分，重算总分取 "
                    f"{_s(ts.total_recomputed)} 分；评分方案 {score.profile.name}）。")
            r += 1
    blocks.append((summary_first, r - 1))  # the whole summary, kept on one page when it fits

    def section(r: int, text: str) -> None:
        line(r, text, bold=True)
        keep.append(r)
    # -- indicator details
    r += 1
    detail_section = r
    section(r, "指标重算明细（只列重算得分与自评不同、有扣减或需要复核的指标；点击表名跳到该指标的得分单元格）")
    r += 1
    header(r, detail_columns)
    r += 1
    detail_first = r
    for ts in score.tables:
        for s in ts.indicators:
            if not _listed(s):
                continue
            i = s.indicator
            vals = [ts.name, i.level1, i.level2, i.name, i.get("target").text(), i.get("actual").text(), s.weight,
                    s.self_score, s.recomputed, s.diff, s.basis, s.flag]
            for (label, c, span), v in zip(detail_columns, vals):
                num = c in (10, 11, 12, 13)
                spanned(r, c, span, v, fmt="0.00" if num else None, align=center if num else wrap)
            fit(r, [(v, span_width(c, span)) for (_l, c, span), v in zip(detail_columns, vals)])
            sc = i.get("score")
            if sc.cell:
                ws.cell(r, 1).hyperlink = f"#'{sc.sheet}'!{sc.cell}"
                ws.cell(r, 1).font = link_font
            r += 1
    if r == detail_first:
        line(r, "所有指标的重算得分与自评得分一致。")
        r += 1
    else:
        diff_col = get_column_letter(next(c for label, c, _s in detail_columns if label == "差额"))
        diff_colours(f"{diff_col}{detail_first}:{diff_col}{r - 1}")
    blocks.append((detail_section, r - 1))

    # -- the work rubric, its 一级指标 merged down its items as on the official form
    if score.rubric:
        r += 1
        rubric_section = r
        section(r, "部门整体支出绩效自评工作考核评分表（自动评分项目已填；淡黄色单元格由审核人员评分，得分合计自动更新）")
        r += 1
        header(r, rubric_columns)
        r += 1
        rub_first = r
        col = {label: (c, span) for label, c, span in rubric_columns}
        max_col = get_column_letter(col["满分"][0])
        pts_col = get_column_letter(col["得分"][0])
        evidence = _evidence(score)
        runs: list[tuple[int, int, str]] = []           # (first row, rows, group)
        for item in score.rubric:
            if runs and runs[-1][2] == item.group:
                runs[-1] = (runs[-1][0], runs[-1][1] + 1, item.group)
            else:
                runs.append((r, 1, item.group))
            ev = evidence.get((item.group, item.name), "")
            spanned(r, *col["二级指标"], item.name, align=wrap)
            spanned(r, *col["评分标准"], item.criteria, align=wrap)
            spanned(r, *col["所需佐证材料"], ev, align=wrap)
            spanned(r, *col["满分"], item.max_points, fmt="0.00", align=center)
            if item.auto:
                reason = f"自动评分：{item.reason}"
                spanned(r, *col["得分"], item.points, fmt="0.00", align=center)
            else:
                reason = "审核人员评分"
                spanned(r, *col["得分"], None, fmt="0.00", align=center, fill=style.INPUT_FILL, locked=False)
                dv = DataValidation(type="decimal", operator="between", formula1="0", formula2=f"${max_col}${r}",
                                    allow_blank=True, showErrorMessage=True, errorTitle="得分有误",
                                    error="得分应在 0 与该项满分之间。", promptTitle="审核人员评分",
                                    prompt=f"请填写本项得分（0–{item.max_points}）。", showInputMessage=True)
                ws.add_data_validation(dv)
                dv.add(f"{pts_col}{r}")
            spanned(r, *col["评分方式与理由"], reason, align=wrap)
            fit(r, [(item.name, span_width(*col["二级指标"])), (item.criteria, span_width(*col["评分标准"])),
                    (ev, span_width(*col["所需佐证材料"])), (reason, span_width(*col["评分方式与理由"]))])
            r += 1
        for first, rows, group in runs:
            blocks.append((first, first + rows - 1))
            spanned(first, *col["一级指标"], group, rows=rows, bold=True, align=center)
            need = style.wrapped_row_height([(group, span_width(*col["一级指标"]))])
            have = sum(ws.row_dimensions[x].height or 15 for x in range(first, first + rows))
            if need > have:
                ws.row_dimensions[first + rows - 1].height = (ws.row_dimensions[first + rows - 1].height or 15) \
                    + need - have
        # totals: 满分合计 and 得分合计, said in words (the 得分 is complete only once a reviewer has scored)
        auto_pts = sum((i.points for i in score.rubric if i.auto and i.points is not None), Decimal(0))
        auto_max = sum((i.max_points for i in score.rubric if i.auto), Decimal(0))
        label = "满分合计 / 得分合计"
        words = (f"满分合计为各项满分之和；得分合计 = 自动评分项得分小计 {_s(auto_pts)} 分（这些项满分 {_s(auto_max)} 分）"
                 "＋ 审核人员在淡黄色单元格中的评分。")
        pts_ref = f"{pts_col}{rub_first}:{pts_col}{r - 1}"
        status = (f'=IF(COUNTBLANK({pts_ref})>0,"得分合计尚未完成：还有 "&COUNTBLANK({pts_ref})'
                  f'&" 项待审核人员评分","全部考核项已评分，得分合计即考核得分")')
        longest = f"得分合计尚未完成：还有 {len(score.rubric)} 项待审核人员评分"
        text_c = col["评分标准"][0]
        text_span = col["满分"][0] - text_c                    # 评分标准 and 所需佐证材料
        spanned(r, 1, text_c - 1, label, bold=True, align=center)
        spanned(r, text_c, text_span, words, align=wrap)
        spanned(r, *col["满分"], f"=SUM({max_col}{rub_first}:{max_col}{r - 1})", fmt="0.00", align=center,
                formula=True, bold=True)
        spanned(r, *col["得分"], f"=SUM({pts_ref})", fmt="0.00", align=center, formula=True, bold=True)
        spanned(r, *col["评分方式与理由"], status, align=wrap, formula=True)
        fit(r, [(label, span_width(1, text_c - 1)), (words, span_width(text_c, text_span)),
                (longest, span_width(*col["评分方式与理由"]))])
        blocks.append((rubric_section, r))
        r += 1

    last = r - 1
    ws.freeze_panes = ws.cell(first_data, 2)
    style.openpyxl_page(ws, header_row=1, title=SHEET_TITLE)   # the title row heads every page
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    heights = {i: dim.height for i, dim in ws.row_dimensions.items() if dim.height}
    capacities = style.openpyxl_capacities(ws, widths, samples=15)
    for b in style.keep_with_next_breaks(heights, last, capacities=capacities, repeated=heights.get(1, 15.0),
                                         keep=keep, blocks=blocks):
        ws.row_breaks.append(Break(id=b - 1))
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.sheet_properties.tabColor = "4472C4"
    return ws


def write_scored_copy(src: str | Path, dst: str | Path, score: SubmissionScore, report: Report | None,
                      *, unit: str, year: int | None, kind: str | None = None) -> Path:
    """A copy of ``src`` with 评分汇总 as its first, active sheet (the input is never changed).

    ``kind`` is the file kind when the caller already read the workbook (it is not opened again to check it).
    """
    from .wbcopy import activate, open_copy, save_copy

    copy = open_copy(src, dst, purpose="评分副本", kind=kind)
    ws = write_score_sheet(copy.wb, score, report, unit=unit, year=year, file=Path(src).name, notes=copy.notes)
    activate(copy.wb, ws)
    return save_copy(copy)
