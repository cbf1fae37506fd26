"""Views of a score: the 评分汇总 sheet (first sheet of a copy), terminal text and JSON.

All three show the same numbers: the unit's own scores beside the recomputed ones.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import __version__, forms
from ..check.findings import Report
from ..score.engine import SubmissionScore, TableScore

SHEET_TITLE = "评分汇总"
GRADE_FILLS = {"优": "C6EFCE", "良": "DDEBF7", "中": "FFEB9C", "差": "FFC7CE"}
INPUT_FILL = "FFF9DB"

# (key in table_row, label, width, number format)
SUMMARY_COLUMNS = (
    ("name", "表", 26, None), ("budget", "全年预算数（万元）", 12, "0.00"), ("executed", "全年执行数（万元）", 12, "0.00"),
    ("rate", "执行率", 9, "0.00%"), ("exec_self", "执行率得分（自评）", 10, "0.00"),
    ("exec_recomputed", "执行率得分（重算）", 10, "0.00"), ("output_self", "产出（自评）", 9, "0.00"),
    ("output_recomputed", "产出（重算）", 9, "0.00"), ("benefit_self", "效益（自评）", 9, "0.00"),
    ("benefit_recomputed", "效益（重算）", 9, "0.00"), ("satisfaction_self", "满意度（自评）", 9, "0.00"),
    ("satisfaction_recomputed", "满意度（重算）", 9, "0.00"), ("total_self", "总分（自评）", 9, "0.00"),
    ("total_recomputed", "总分（重算）", 9, "0.00"), ("difference", "差额", 8, "0.00"),
    ("grade_self", "等级（自评）", 8, None), ("grade_recomputed", "等级（重算）", 8, None),
    ("errors", "错误", 6, "0"), ("warnings", "警告", 6, "0"),
)
SUMMARY_COL = {key: i + 1 for i, (key, *_rest) in enumerate(SUMMARY_COLUMNS)}     # 1-based columns
# (label, first column, columns spanned) on the grid the summary's widths define
DETAIL_COLUMNS = (("表", 1, 1), ("一级指标", 2, 1), ("二级指标", 3, 1), ("三级指标", 4, 3), ("年度指标值", 7, 1),
                  ("实际完成值", 8, 2), ("分值", 10, 1), ("自评得分", 11, 1), ("重算得分", 12, 1), ("差额", 13, 1),
                  ("重算依据", 14, 4), ("提示", 18, 2))
RUBRIC_COLUMNS = (("考核内容", 1, 1), ("考核项", 2, 2), ("评分标准", 4, 8), ("满分", 12, 1), ("得分", 13, 1),
                  ("评分方式与理由", 14, 6))


def _f(x: Decimal | None) -> float | None:
    return None if x is None else float(x)


def _counts(report: Report | None, table) -> tuple[int, int]:
    if report is None:
        return 0, 0
    mine = [f for f in report.findings if f.sheet == table.sheet]
    return sum(1 for f in mine if f.severity == "error"), sum(1 for f in mine if f.severity == "warning")


def table_row(ts: TableScore) -> dict[str, Any]:
    l1 = {l.key: l for l in ts.level1}
    return {
        "table": ts.table.kind, "name": ts.name, "sheet": ts.table.sheet,
        "budget": ts.budget, "executed": ts.executed,
        "rate": None if ts.rate is None else ts.rate.quantize(Decimal("0.01")),
        "exec_weight": ts.exec_weight, "exec_self": ts.exec_self, "exec_recomputed": ts.exec_recomputed,
        "exec_basis": ts.exec_basis, "exec_flag": ts.exec_flag,
        # every standard 一级 (a family without them leaves these columns empty)
        **{f"{k}_{what}": getattr(l1[k], attr) if k in l1 else None for k, *_ in forms.LEVEL1
           for what, attr in (("self", "self_score"), ("recomputed", "recomputed"), ("weight", "weight"))},
        "total_self": ts.total_self, "total_recomputed": ts.total_recomputed, "difference": ts.diff,
        "grade_self": ts.grade_self, "grade_recomputed": ts.grade_recomputed,
    }


def score_dict(score: SubmissionScore, report: Report | None = None, file: str = "") -> dict[str, Any]:
    tables = []
    for ts in score.tables:
        row = table_row(ts)
        row["errors"], row["warnings"] = _counts(report, ts.table)
        row["indicators"] = [{
            "level1": s.indicator.level1, "level2": s.indicator.level2, "name": s.indicator.name,
            "target": s.indicator.get("target").text(), "actual": s.indicator.get("actual").text(),
            "weight": s.weight, "self": s.self_score, "recomputed": s.recomputed, "difference": s.diff,
            "basis": s.basis, "flag": s.flag, "cell": s.indicator.get("score").where,
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
        for l in ts.level1 + ts.groups:
            lines.append(f"  {l.name}（分值 {_s(l.weight)}）：自评 {_s(l.self_score)}，重算 {_s(l.recomputed)}")
        for s in ts.indicators:
            if (s.diff is not None and s.diff != 0) or s.flag:
                lines.append(f"    · {s.indicator.name}：自评 {_s(s.self_score)}，重算 {_s(s.recomputed)}（{s.basis}）"
                             + (f"  ⚠ {s.flag}" if s.flag else ""))
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
def write_score_sheet(wb, score: SubmissionScore, report: Report | None, *, unit: str, year: int | None) -> Any:
    """Add the 评分汇总 sheet as the first sheet of openpyxl workbook ``wb`` and return it."""
    from openpyxl.formatting.rule import CellIsRule, FormulaRule
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from .wbcopy import print_landscape

    title = SHEET_TITLE
    n = 2
    while title in wb.sheetnames:
        title = f"{SHEET_TITLE}({n})"
        n += 1
    ws = wb.create_sheet(title, 0)
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_font = Font(name="宋体", bold=True, size=10)
    body_font = Font(name="宋体", size=10)
    wrap = Alignment(wrap_text=True, vertical="center")
    center = Alignment(wrap_text=True, vertical="center", horizontal="center")

    def put(r: int, c: int, v: Any, *, fmt: str | None = None, bold: bool = False, fill: str | None = None,
            align=wrap, locked: bool = True, border: bool = True, formula: bool = False):
        cell = ws.cell(r, c)
        if isinstance(v, Decimal):
            v = float(v)
        cell.value = v
        if isinstance(v, str) and v.startswith("=") and not formula:
            cell.data_type = "s"          # user text stays text
        cell.font = head_font if bold else body_font
        cell.alignment = align
        if border:
            cell.border = box
        if fmt:
            cell.number_format = fmt
        if fill:
            cell.fill = PatternFill("solid", fgColor=fill)
        cell.protection = Protection(locked=locked)
        return cell

    ncols = len(SUMMARY_COLUMNS)

    def spanned(r: int, c: int, span: int, v: Any, **kw):
        cell = put(r, c, v, **kw)
        for cc in range(c + 1, c + span):
            put(r, cc, None, border=True, locked=kw.get("locked", True), fill=kw.get("fill"))
        if span > 1:
            ws.merge_cells(start_row=r, start_column=c, end_row=r, end_column=c + span - 1)
        return cell

    def diff_colours(ref: str) -> None:
        """Differences (recomputed − self): red when the unit scored itself higher, green when lower."""
        ws.conditional_formatting.add(ref, CellIsRule(operator="lessThan", formula=["-0.005"],
                                                      fill=PatternFill("solid", fgColor="FFC7CE")))
        ws.conditional_formatting.add(ref, CellIsRule(operator="greaterThan", formula=["0.005"],
                                                      fill=PatternFill("solid", fgColor="C6EFCE")))

    def section(r: int, text: str):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        put(r, 1, text, bold=True, border=False)
        ws.row_dimensions[r].height = 20

    def header(r: int, columns):
        for label, c, span in columns:
            spanned(r, c, span, label, bold=True, fill="EDEDED", align=center)
        ws.row_dimensions[r].height = 24
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    put(1, 1, f"{unit}{year or ''}年度绩效自评评分汇总", bold=True, align=center, border=False).font = Font(
        name="宋体", bold=True, size=16)
    ws.row_dimensions[1].height = 28
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncols)
    put(2, 1, f"评分方案：{score.profile.title}（{score.profile.name}）。单位自评得分保持原样，按评分方案重算的得分并列显示；"
              f"差额 = 重算 − 自评（红色：自评高于规则，绿色：自评低于规则）。由 gridbudget {__version__} 生成。",
        border=False)
    ws.row_dimensions[2].height = 30

    hdr = 4
    for c, (_key, label, width, _fmt) in enumerate(SUMMARY_COLUMNS, start=1):
        put(hdr, c, label, bold=True, fill="EDEDED", align=center)
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.row_dimensions[hdr].height = 42
    r = hdr + 1
    first_data = r
    for ts in score.tables:
        row = table_row(ts)
        row["errors"], row["warnings"] = _counts(report, ts.table)
        row["rate"] = None if ts.rate is None else ts.rate / 100
        for c, (key, _label, _w, fmt) in enumerate(SUMMARY_COLUMNS, start=1):
            put(r, c, row[key], fmt=fmt, align=center if c > 1 else wrap)
        link = ws.cell(r, 1)
        link.hyperlink = f"#'{ts.table.sheet}'!A1"
        link.font = Font(name="宋体", size=10, color="0563C1", underline="single")
        r += 1
    last_data = r - 1
    if last_data >= first_data:
        col = {k: get_column_letter(i) for k, i in SUMMARY_COL.items()}
        diff_ref = f"{col['difference']}{first_data}:{col['difference']}{last_data}"
        diff_colours(diff_ref)
        for letter in (col["grade_self"], col["grade_recomputed"]):
            rng = f"{letter}{first_data}:{letter}{last_data}"
            for grade, color in GRADE_FILLS.items():
                ws.conditional_formatting.add(rng, FormulaRule(formula=[f'{letter}{first_data}="{grade}"'],
                                                               fill=PatternFill("solid", fgColor=color)))
        err_ref = f"{col['errors']}{first_data}:{col['errors']}{last_data}"
        ws.conditional_formatting.add(err_ref, CellIsRule(operator="greaterThan", formula=["0"],
                                                          fill=PatternFill("solid", fgColor="FFC7CE")))

    # indicator details
    r += 1
    section(r, "指标重算明细（只列重算得分与自评不同或需要复核的指标；点击表名跳到该指标的得分单元格）")
    r += 1
    header(r, DETAIL_COLUMNS)
    r += 1
    detail_first = r
    for ts in score.tables:
        for s in ts.indicators:
            if not ((s.diff is not None and s.diff != 0) or s.flag):
                continue
            i = s.indicator
            vals = [ts.name, i.level1, i.level2, i.name, i.get("target").text(), i.get("actual").text(), s.weight,
                    s.self_score, s.recomputed, s.diff, s.basis, s.flag]
            for (label, c, span), v in zip(DETAIL_COLUMNS, vals):
                num = label in ("分值", "自评得分", "重算得分", "差额")
                spanned(r, c, span, v, fmt="0.00" if num else None, align=center if num else wrap)
            ws.row_dimensions[r].height = 30
            sc = i.get("score")
            if sc.cell:
                ws.cell(r, 1).hyperlink = f"#'{sc.sheet}'!{sc.cell}"
                ws.cell(r, 1).font = Font(name="宋体", size=10, color="0563C1", underline="single")
            r += 1
    if r == detail_first:
        put(r, 1, "所有指标的重算得分与自评得分一致。", border=False)
        r += 1
    else:
        diff_col = get_column_letter(next(c for label, c, _s in DETAIL_COLUMNS if label == "差额"))
        ref = f"{diff_col}{detail_first}:{diff_col}{r - 1}"
        diff_colours(ref)

    # the work rubric
    if score.rubric:
        r += 1
        section(r, "部门整体支出绩效自评工作考核评分表（自动评分项目已填；淡黄色单元格由审核人员评分，合计自动更新）")
        r += 1
        header(r, RUBRIC_COLUMNS)
        r += 1
        rub_first = r
        col = {label: (c, span) for label, c, span in RUBRIC_COLUMNS}
        max_col = get_column_letter(col["满分"][0])
        pts_col = get_column_letter(col["得分"][0])
        for item in score.rubric:
            spanned(r, *col["考核内容"], item.group)
            spanned(r, *col["考核项"], item.name)
            spanned(r, *col["评分标准"], item.criteria)
            spanned(r, *col["满分"], item.max_points, fmt="0.00", align=center)
            if item.auto:
                spanned(r, *col["得分"], item.points, fmt="0.00", align=center)
                spanned(r, *col["评分方式与理由"], f"自动评分：{item.reason}")
            else:
                spanned(r, *col["得分"], None, fmt="0.00", align=center, fill=INPUT_FILL, locked=False)
                dv = DataValidation(type="decimal", operator="between", formula1="0", formula2=f"${max_col}${r}",
                                    allow_blank=True, showErrorMessage=True, errorTitle="得分有误",
                                    error="得分应在 0 与该项满分之间。", promptTitle="审核人员评分",
                                    prompt=f"请填写本项得分（0–{item.max_points}）。", showInputMessage=True)
                ws.add_data_validation(dv)
                dv.add(f"{pts_col}{r}")
                spanned(r, *col["评分方式与理由"], "审核人员评分")
            ws.row_dimensions[r].height = 32
            r += 1
        spanned(r, *col["考核内容"], "合计", bold=True)
        spanned(r, *col["考核项"], None)
        spanned(r, *col["评分标准"], "满分 100 分")
        spanned(r, *col["满分"], f"=SUM({max_col}{rub_first}:{max_col}{r - 1})", fmt="0.00", align=center, formula=True)
        spanned(r, *col["得分"], f"=SUM({pts_col}{rub_first}:{pts_col}{r - 1})", fmt="0.00", align=center,
                formula=True, bold=True)
        spanned(r, *col["评分方式与理由"], None)
        r += 1

    ws.freeze_panes = ws.cell(hdr + 1, 2)
    print_landscape(ws, hdr)
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
    ws = write_score_sheet(copy.wb, score, report, unit=unit, year=year)
    if copy.notes:
        ws.cell(3, 1).value = " ".join(copy.notes)
    activate(copy.wb, ws)
    return save_copy(copy)
