"""The batch summary as a workbook (xlsxwriter), CSV, JSON or pandas DataFrames.

All views carry the same rows: one per unit (汇总), one per project sheet (项目), one per
finding (问题清单), one per unreadable file (未能读取). User text is always written as
text (never as a formula or a link); CSV cells that start with = + - @ are neutralised.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Iterator

from .. import __version__
from ..batch import BatchResult
from ..check.findings import SEVERITY_LABELS
from .fsutil import atomic_write_bytes
from ..read.tables import norm

UNIT_COLUMNS = (
    ("department", "主管部门", 22), ("unit", "单位", 30), ("year", "年度", 7), ("budget", "全年预算数（万元）", 12),
    ("executed", "全年执行数（万元）", 12), ("rate", "执行率", 9), ("total_self", "自评总分", 9),
    ("total_recomputed", "重算总分", 9), ("difference", "差额", 8), ("grade", "等级", 7), ("projects", "项目数", 7),
    ("errors", "错误", 7), ("warnings", "警告", 7), ("duplicate", "重复提交", 9), ("file", "文件名", 40),
)
PROJECT_COLUMNS = (
    ("department", "主管部门", 22), ("unit", "单位", 30), ("name", "项目名称", 30), ("sheet", "工作表", 16),
    ("family", "表式", 24), ("budget", "全年预算数（万元）", 12), ("executed", "全年执行数（万元）", 12), ("rate", "执行率", 9),
    ("total_self", "自评总分", 9), ("total_recomputed", "重算总分", 9), ("difference", "差额", 8),
    ("grade", "等级", 7), ("errors", "错误", 7), ("warnings", "警告", 7), ("file", "文件名", 40),
)
FINDING_COLUMNS = (
    ("unit", "单位", 26), ("department", "主管部门", 18), ("file", "文件", 30), ("sheet", "工作表", 16),
    ("cell", "单元格", 8), ("code", "规则代码", 20), ("severity", "级别", 6), ("kind", "类别", 7),
    ("title", "规则名称", 24), ("message", "说明", 70), ("expected", "应为", 14), ("found", "实为", 14),
)
FAILURE_COLUMNS = (("file", "文件", 50), ("reason", "原因", 70), ("advice", "处理建议", 40), ("sha256", "SHA-256", 66))
GRADES = ("优", "良", "中", "差")
RATE_BINS = ((None, 60, "60%以下"), (60, 70, "60%–70%"), (70, 80, "70%–80%"), (80, 90, "80%–90%"),
             (90, 95, "90%–95%"), (95, 100, "95%–100%"), (100, None, "100%及以上"))


# ---------------------------------------------------------------------------
# rows (shared by every view), streamed from the batch's store in their order
# ---------------------------------------------------------------------------
NO_DEPARTMENT, NO_UNIT = "（未注明主管部门）", "（未注明单位）"
_ORDER = (f"COALESCE(NULLIF(department, ''), '{NO_DEPARTMENT}'), COALESCE(NULLIF(unit, ''), '{NO_UNIT}'), name")


def _dup_keys(batch: BatchResult) -> set[tuple[str, Any]]:
    return {(k, y) for k, y in batch.store.query(
        "SELECT unit_key, year FROM units WHERE read_error IS NULL AND unit_key IS NOT NULL AND unit_key != '' "
        "GROUP BY unit_key, year HAVING COUNT(*) > 1")}


def unit_rows(batch: BatchResult) -> Iterator[dict[str, Any]]:
    dups = _dup_keys(batch)
    for r in batch.store.results(order=f"read_error IS NOT NULL, {_ORDER}"):
        if r.read_error:
            break
        yield {
            "department": r.department or NO_DEPARTMENT, "unit": r.unit or NO_UNIT, "year": r.year,
            "budget": r.budget, "executed": r.executed, "rate": r.rate, "total_self": r.total_self,
            "total_recomputed": r.total_recomputed, "difference": r.difference, "grade": r.grade,
            "projects": len(r.projects), "errors": r.errors, "warnings": r.warnings,
            "duplicate": "是" if (norm(r.unit), r.year) in dups else "", "file": r.name,
        }


def project_rows(batch: BatchResult) -> Iterator[dict[str, Any]]:
    for r in batch.store.results(order=f"read_error IS NOT NULL, {_ORDER}"):
        if r.read_error:
            break
        for p in r.projects:
            yield {"department": r.department or NO_DEPARTMENT, "unit": r.unit or NO_UNIT,
                   **{k: p.get(k) for k in ("name", "sheet", "family", "budget", "executed", "rate", "total_self",
                                            "total_recomputed", "difference", "grade", "errors", "warnings")},
                   "file": r.name}


def failure_rows(batch: BatchResult) -> list[dict[str, Any]]:
    rows = [{"file": n, "reason": e, "advice": a, "sha256": h} for n, e, a, h in batch.store.query(
        "SELECT name, read_error, advice, sha256 FROM units WHERE read_error IS NOT NULL ORDER BY idx")]
    from ..batch import why_missing

    rows += [{"file": m, "reason": why_missing(m), "advice": "检查路径、文件夹或通配符。", "sha256": ""}
             for m in batch.missing]
    return rows


def finding_rows(batch: BatchResult) -> Iterator[dict[str, Any]]:
    for f in batch.findings():
        yield {k: f.get(k) for k, _l, _w in FINDING_COLUMNS}


# ---------------------------------------------------------------------------
# xlsx
# ---------------------------------------------------------------------------
def _num(x: Any) -> Any:
    return float(x) if isinstance(x, Decimal) else x


def write_xlsx(batch: BatchResult, path: str | Path) -> Path:
    import os
    import tempfile

    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    # constant_memory: rows go to temporary files as they are written, so memory stays flat
    wb = xlsxwriter.Workbook(tmp, {"constant_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False})
    wb.set_properties({"title": "绩效自评批量汇总", "author": "gridbudget"})
    F = _Formats(wb)
    units = _sheet_units(wb, F, unit_rows(batch))
    _sheet_projects(wb, F, project_rows(batch))
    rule_counts, unit_rule = _sheet_findings(wb, F, batch)
    _sheet_rules(wb, F, rule_counts, unit_rule)
    _sheet_failures(wb, F, failure_rows(batch))
    _sheet_about(wb, F, batch, units.count)
    _sheet_charts(wb, F, units)
    try:
        wb.close()
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


class _Formats:
    def __init__(self, wb):
        base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
        self.head = wb.add_format(dict(base, bold=True, bg_color="#EDEDED", border=1, text_wrap=True, align="center"))
        self.text = wb.add_format(dict(base, border=1))
        self.wrap = wb.add_format(dict(base, border=1, text_wrap=True))
        self.money = wb.add_format(dict(base, border=1, num_format="#,##0.00"))
        self.score = wb.add_format(dict(base, border=1, num_format="0.00"))
        self.pct = wb.add_format(dict(base, border=1, num_format="0.00%"))
        self.int = wb.add_format(dict(base, border=1, num_format="0"))
        self.sub_text = wb.add_format(dict(base, border=1, bold=True, bg_color="#F2F2F2"))
        self.sub_money = wb.add_format(dict(base, border=1, bold=True, bg_color="#F2F2F2", num_format="#,##0.00"))
        self.sub_pct = wb.add_format(dict(base, border=1, bold=True, bg_color="#F2F2F2", num_format="0.00%"))
        self.sub_score = wb.add_format(dict(base, border=1, bold=True, bg_color="#F2F2F2", num_format="0.00"))
        self.sub_int = wb.add_format(dict(base, border=1, bold=True, bg_color="#F2F2F2", num_format="0"))
        self.title = wb.add_format(dict(base, bold=True, font_size=14))
        self.red = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.green = wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"})
        self.yellow = wb.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700"})
        self.blue = wb.add_format({"bg_color": "#DDEBF7", "font_color": "#1F4E79"})


def _print_setup(ws, *, one_page: bool = False) -> None:
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 1 if one_page else 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.set_footer("&C&A 第 &P 页，共 &N 页")


def _header(ws, F, columns, row: int = 0) -> None:
    for c, (_k, label, width) in enumerate(columns):
        ws.set_column(c, c, width)
    for c, (_k, label, _w) in enumerate(columns):
        ws.write_string(row, c, label, F.head)
    ws.set_row(row, 30)
    ws.freeze_panes(row + 1, 0)
    ws.repeat_rows(row)
    _print_setup(ws)


def _cell(ws, F, r: int, c: int, key: str, v: Any) -> None:
    if v is None or v == "":
        ws.write_blank(r, c, None, F.text)
    elif key == "rate":
        ws.write_number(r, c, float(v) / 100, F.pct)
    elif key in ("budget", "executed"):
        ws.write_number(r, c, _num(v), F.money)
    elif key in ("total_self", "total_recomputed", "difference"):
        ws.write_number(r, c, _num(v), F.score)
    elif isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
        ws.write_number(r, c, _num(v), F.int)
    else:
        ws.write_string(r, c, str(v), F.wrap if key in ("message", "reason", "advice") else F.text)


def _grade_and_diff_colours(ws, F, first: int, last: int, grade_col: int, diff_col: int) -> None:
    if last < first:
        return
    ws.conditional_format(first, diff_col, last, diff_col, {"type": "cell", "criteria": "<", "value": -0.005,
                                                           "format": F.red})
    ws.conditional_format(first, diff_col, last, diff_col, {"type": "cell", "criteria": ">", "value": 0.005,
                                                           "format": F.green})
    for grade, fmt in (("优", F.green), ("良", F.blue), ("中", F.yellow), ("差", F.red)):
        ws.conditional_format(first, grade_col, last, grade_col, {"type": "cell", "criteria": "==",
                                                                 "value": f'"{grade}"', "format": fmt})


class _Totals:
    """Running totals of unit rows (Decimal), for subtotal rows and the charts."""

    def __init__(self) -> None:
        self.count = 0
        self.sums: dict[str, Decimal] = defaultdict(Decimal)
        self.n: Counter = Counter()
        self.grades: Counter = Counter()
        self.rate_bins: Counter = Counter()

    def add(self, row: dict[str, Any]) -> None:
        self.count += 1
        for k in ("budget", "executed", "total_self", "total_recomputed", "difference", "projects", "errors",
                  "warnings"):
            if row[k] is not None:
                self.sums[k] += Decimal(row[k])
                self.n[k] += 1
        self.grades[row["grade"] or "无等级"] += 1
        rate = row["rate"]
        if rate is not None:
            for lo, hi, label in RATE_BINS:
                if (lo is None or rate >= lo) and (hi is None or rate < hi):
                    self.rate_bins[label] += 1

    def avg(self, key: str) -> Any:
        return float(self.sums[key] / self.n[key]) if self.n[key] else ""


def _sheet_units(wb, F, units: Iterable[dict[str, Any]]) -> _Totals:
    ws = wb.add_worksheet("汇总")
    _header(ws, F, UNIT_COLUMNS)
    col = {k: i for i, (k, _l, _w) in enumerate(UNIT_COLUMNS)}
    r = 1
    total = _Totals()
    groups: list[tuple[int, int]] = []
    group: _Totals | None = None
    dept = None
    start = r

    def close_group() -> None:
        nonlocal r
        _subtotal(ws, F, r, col, f"小计：{dept}", [(start, r - 1)], group)
        groups.append((start, r - 1))
        r += 1

    for row in units:
        if group is not None and row["department"] != dept:
            close_group()
        if group is None or row["department"] != dept:
            dept, group, start = row["department"], _Totals(), r
        for k, _l, _w in UNIT_COLUMNS:
            _cell(ws, F, r, col[k], k, row[k])
        group.add(row)
        total.add(row)
        r += 1
    if group is not None:
        close_group()
        _subtotal(ws, F, r, col, "合计", groups, total)
        r += 1
    ws.autofilter(0, 0, max(r - 1, 1), len(UNIT_COLUMNS) - 1)
    _grade_and_diff_colours(ws, F, 1, r - 1, col["grade"], col["difference"])
    ws.conditional_format(1, col["errors"], max(r - 1, 1), col["errors"],
                          {"type": "cell", "criteria": ">", "value": 0, "format": F.red})
    ws.conditional_format(1, col["duplicate"], max(r - 1, 1), col["duplicate"],
                          {"type": "cell", "criteria": "==", "value": '"是"', "format": F.yellow})
    return total


def _rng(col: int, spans: list[tuple[int, int]]) -> str:
    from xlsxwriter.utility import xl_range

    return ",".join(xl_range(a, col, b, col) for a, b in spans)


def _subtotal(ws, F, r: int, col: dict[str, int], label: str, spans: list[tuple[int, int]], t: _Totals) -> None:
    """A subtotal row: SUM/AVERAGE formulas over ``spans``, their values cached (computed in Decimal)."""
    from xlsxwriter.utility import xl_rowcol_to_cell

    budget, executed = t.sums["budget"], t.sums["executed"]
    for k, _l, _w in UNIT_COLUMNS:
        ws.write_blank(r, col[k], None, F.sub_text)
    ws.write_string(r, col["unit"], label, F.sub_text)
    ws.write_string(r, col["department"], label if label == "合计" else "", F.sub_text)
    ws.write_formula(r, col["budget"], f"=SUM({_rng(col['budget'], spans)})", F.sub_money, float(budget))
    ws.write_formula(r, col["executed"], f"=SUM({_rng(col['executed'], spans)})", F.sub_money, float(executed))
    b, e = xl_rowcol_to_cell(r, col["budget"]), xl_rowcol_to_cell(r, col["executed"])
    rate = float(executed / budget) if budget else ""
    ws.write_formula(r, col["rate"], f'=IF({b}>0,{e}/{b},"")', F.sub_pct, rate)
    for k in ("total_self", "total_recomputed", "difference"):
        ws.write_formula(r, col[k], f'=IFERROR(AVERAGE({_rng(col[k], spans)}),"")', F.sub_score, t.avg(k))
    for k in ("projects", "errors", "warnings"):
        ws.write_formula(r, col[k], f"=SUM({_rng(col[k], spans)})", F.sub_int, int(t.sums[k]))
    ws.write_string(r, col["file"], f"{t.count} 个单位（自评/重算总分、差额为平均值）", F.sub_text)


def _sheet_projects(wb, F, rows: Iterable[dict[str, Any]]) -> None:
    ws = wb.add_worksheet("项目")
    _header(ws, F, PROJECT_COLUMNS)
    col = {k: i for i, (k, _l, _w) in enumerate(PROJECT_COLUMNS)}
    n = 0
    for n, row in enumerate(rows, start=1):
        for k, _l, _w in PROJECT_COLUMNS:
            _cell(ws, F, n, col[k], k, row[k])
    ws.autofilter(0, 0, max(n, 1), len(PROJECT_COLUMNS) - 1)
    _grade_and_diff_colours(ws, F, 1, n, col["grade"], col["difference"])


def _sheet_findings(wb, F, batch: BatchResult):
    ws = wb.add_worksheet("问题清单")
    _header(ws, F, FINDING_COLUMNS)
    rule_counts: dict[str, Counter] = defaultdict(Counter)
    titles: dict[str, tuple[str, str]] = {}
    unit_rule: dict[tuple[str, str], Counter] = defaultdict(Counter)
    r = 0
    for f in finding_rows(batch):
        r += 1
        for c, (k, _l, _w) in enumerate(FINDING_COLUMNS):
            v = f.get(k)
            if k == "severity":
                v = SEVERITY_LABELS.get(v, v)
            if v is None or v == "":
                ws.write_blank(r, c, None, F.text)
            else:
                ws.write_string(r, c, str(v), F.wrap if k == "message" else F.text)
        rule_counts[f["code"]][f["severity"]] += 1
        titles[f["code"]] = (f.get("title") or "", f.get("kind") or "")
        unit_rule[(f.get("department") or "", f.get("unit") or f.get("file") or "")][f["code"]] += 1
    ws.autofilter(0, 0, max(r, 1), len(FINDING_COLUMNS) - 1)
    sev_col = [k for k, _l, _w in FINDING_COLUMNS].index("severity")
    for label, fmt in (("错误", F.red), ("警告", F.yellow), ("提示", F.blue)):
        ws.conditional_format(1, sev_col, max(r, 1), sev_col, {"type": "cell", "criteria": "==",
                                                               "value": f'"{label}"', "format": fmt})
    return {code: (titles[code], counts) for code, counts in rule_counts.items()}, unit_rule


def _sheet_rules(wb, F, rule_counts, unit_rule) -> None:
    ws = wb.add_worksheet("规则统计")
    cols = (("code", "规则代码", 22), ("title", "规则名称", 28), ("kind", "类别", 8), ("error", "错误", 8),
            ("warning", "警告", 8), ("info", "提示", 8), ("total", "合计", 8))
    _header(ws, F, cols)
    codes = sorted(rule_counts)
    for r, code in enumerate(codes, start=1):
        (title, kind), counts = rule_counts[code]
        ws.write_string(r, 0, code, F.text)
        ws.write_string(r, 1, title, F.text)
        ws.write_string(r, 2, kind, F.text)
        for c, sev in enumerate(("error", "warning", "info"), start=3):
            ws.write_number(r, c, counts.get(sev, 0), F.int)
        ws.write_number(r, 6, sum(counts.values()), F.int)
    r = len(codes) + 2
    ws.write_string(r, 0, "单位 × 规则（问题数）", F.title)
    r += 1
    ws.write_string(r, 0, "主管部门", F.head)
    ws.write_string(r, 1, "单位", F.head)
    for c, code in enumerate(codes, start=2):
        ws.write_string(r, c, code, F.head)
    for (dept, unit), counts in sorted(unit_rule.items()):
        r += 1
        ws.write_string(r, 0, dept or "（未注明主管部门）", F.text)
        ws.write_string(r, 1, unit or "", F.text)
        for c, code in enumerate(codes, start=2):
            if counts.get(code):
                ws.write_number(r, c, counts[code], F.int)
            else:
                ws.write_blank(r, c, None, F.text)


def _sheet_failures(wb, F, rows: list[dict[str, Any]]) -> None:
    ws = wb.add_worksheet("未能读取")
    _header(ws, F, FAILURE_COLUMNS)
    for r, row in enumerate(rows, start=1):
        for c, (k, _l, _w) in enumerate(FAILURE_COLUMNS):
            _cell(ws, F, r, c, k, row[k])
    if not rows:
        ws.write_string(1, 0, "所有文件均已读取。", F.text)


def _sheet_about(wb, F, batch: BatchResult, nunits: int) -> None:
    ws = wb.add_worksheet("说明")
    _print_setup(ws)
    ws.set_column(0, 0, 60)
    ws.set_column(1, 1, 70)
    lines = [("评分方案", f"{batch.profile_title}（{batch.profile}）"), ("工具版本", f"gridbudget {__version__}"),
             ("运行时间", batch.started), ("处理文件数", str(batch.files)), ("汇总单位数", str(nunits)),
             ("未能读取", str(batch.failed + len(batch.missing))),
             ("说明", "自评总分为单位自己填写的总分；重算总分按评分方案重新计算；差额 = 重算 − 自评。"
                    "等级按重算总分确定。问题清单中的错误须修改，警告须核实或说明，提示供参考。")]
    for r, (k, v) in enumerate(lines):
        ws.write_string(r, 0, k, F.head)
        ws.write_string(r, 1, v, F.wrap)
    r = len(lines) + 1
    ws.write_string(r, 0, "输入文件", F.head)
    ws.write_string(r, 1, "SHA-256", F.head)
    for name, sha in batch.store.query("SELECT name, sha256 FROM units ORDER BY idx"):
        r += 1
        ws.write_string(r, 0, name, F.text)
        ws.write_string(r, 1, sha or "（无法读取）", F.text)


def _sheet_charts(wb, F, units: _Totals) -> None:
    ws = wb.add_worksheet("图表")
    _print_setup(ws, one_page=True)
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 10)
    ws.write_string(0, 0, "等级", F.head)
    ws.write_string(0, 1, "单位数", F.head)
    grades = [(g, units.grades.get(g, 0)) for g in (*GRADES, "无等级")]
    for r, (g, n) in enumerate(grades, start=1):
        ws.write_string(r, 0, g, F.text)
        ws.write_number(r, 1, n, F.int)
    base = len(grades) + 2
    ws.write_string(base, 0, "执行率", F.head)
    ws.write_string(base, 1, "单位数", F.head)
    rates = [(label, units.rate_bins.get(label, 0)) for _lo, _hi, label in RATE_BINS]
    for r, (label, n) in enumerate(rates, start=base + 1):
        ws.write_string(r, 0, label, F.text)
        ws.write_number(r, 1, n, F.int)
    for title, first, n, anchor, color in (("等级分布（按重算总分）", 1, len(grades), "D2", "#4472C4"),
                                           ("预算执行率分布", base + 1, len(rates), "D20", "#ED7D31")):
        chart = wb.add_chart({"type": "column"})
        chart.add_series({"name": title, "categories": ["图表", first, 0, first + n - 1, 0],
                          "values": ["图表", first, 1, first + n - 1, 1], "fill": {"color": color},
                          "data_labels": {"value": True}})
        chart.set_title({"name": title, "name_font": {"name": "宋体", "size": 12}})
        chart.set_legend({"none": True})
        chart.set_x_axis({"num_font": {"name": "宋体"}})
        chart.set_y_axis({"name": "单位数", "name_font": {"name": "宋体"}, "major_gridlines": {"visible": True}})
        chart.set_size({"width": 620, "height": 330})
        ws.insert_chart(anchor, chart)


# ---------------------------------------------------------------------------
# csv / json / pandas
# ---------------------------------------------------------------------------
_CSV_DANGER = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(v: Any) -> Any:
    """Neutralise a cell a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(v, str) and v.startswith(_CSV_DANGER):
        return "'" + v
    if isinstance(v, Decimal):
        return format(v, "f")
    return "" if v is None else v


def _csv_bytes(columns, rows: Iterable[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([label for _k, label, _w in columns])
    for row in rows:
        w.writerow([csv_safe(SEVERITY_LABELS.get(row.get(k), row.get(k)) if k == "severity" else row.get(k))
                    for k, _l, _w in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")      # BOM: Excel opens UTF-8 CSV correctly


def csv_paths(path: str | Path) -> list[Path]:
    """The four files ``write_csv`` writes: 汇总 at ``path``, 项目, 问题清单 and 未能读取 beside it."""
    path = Path(path)
    stem = path.with_suffix("")
    return [path, *(Path(f"{stem}-{part}.csv") for part in ("项目", "问题清单", "未能读取"))]


def csv_header(columns) -> str:
    return ",".join(label for _k, label, _w in columns)


def write_csv(batch: BatchResult, path: str | Path) -> list[Path]:
    """汇总 to ``path``; 项目, 问题清单 and 未能读取 beside it (``name-项目.csv`` …)."""
    path = Path(path)
    stem = path.with_suffix("")
    parts = [(path, UNIT_COLUMNS, unit_rows(batch)),
             (Path(f"{stem}-项目.csv"), PROJECT_COLUMNS, project_rows(batch)),
             (Path(f"{stem}-问题清单.csv"), FINDING_COLUMNS, finding_rows(batch)),
             (Path(f"{stem}-未能读取.csv"), FAILURE_COLUMNS, failure_rows(batch))]
    return [atomic_write_bytes(p, _csv_bytes(cols, rows)) for p, cols, rows in parts]


def summary_dict(batch: BatchResult) -> dict[str, Any]:
    return {
        "schema": "gridbudget.summary/1",
        "meta": {"profile": batch.profile, "profile_title": batch.profile_title, "version": __version__,
                 "started": batch.started, "files": batch.files, "jobs": batch.jobs,
                 "inputs": [{"file": n, "sha256": h} for n, h in batch.store.query(
                     "SELECT name, sha256 FROM units ORDER BY idx")]},
        "units": list(unit_rows(batch)), "projects": list(project_rows(batch)), "findings": list(finding_rows(batch)),
        "failures": failure_rows(batch),
    }


def write_json(batch: BatchResult, path: str | Path) -> Path:
    from ..submission import dumps

    return atomic_write_bytes(path, (dumps(summary_dict(batch)) + "\n").encode("utf-8"))


def to_dataframes(batch: BatchResult) -> dict[str, Any]:
    """pandas DataFrames of the unit rows, project rows, findings and failures (for notebooks)."""
    import pandas as pd

    def frame(columns, rows):
        df = pd.DataFrame([{label: (float(r.get(k)) if isinstance(r.get(k), Decimal) else r.get(k))
                            for k, label, _w in columns} for r in rows], columns=[c[1] for c in columns])
        return df

    return {"units": frame(UNIT_COLUMNS, unit_rows(batch)), "projects": frame(PROJECT_COLUMNS, project_rows(batch)),
            "findings": frame(FINDING_COLUMNS, finding_rows(batch)),
            "failures": frame(FAILURE_COLUMNS, failure_rows(batch))}


def summarize(paths: Iterable[str], *, profile: str | None = None, jobs: int | None = None, timeout: float = 60,
              units_csv: str | None = None, progress=None) -> BatchResult:
    """The Python API: collect the inputs and run the batch. Close the result (or use ``with``)."""
    from ..batch import collect_inputs, run_batch
    from ..read.unitlist import load_units

    inputs, missing = collect_inputs(paths)
    dept = load_units(units_csv) if units_csv else None
    batch = run_batch(inputs, profile=profile, jobs=jobs, timeout=timeout, department_of=dept, progress=progress)
    batch.missing = missing
    return batch

