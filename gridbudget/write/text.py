"""Views of findings: terminal text and JSON (the annotated workbook is in annotate.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from ..check.findings import ERROR, INFO, SEVERITY_LABELS, WARNING, Finding, Report, fmt_value

FINDINGS_SCHEMA_VERSION = "gridbudget.findings/1"

_COLORS = {ERROR: "\033[31m", WARNING: "\033[33m", INFO: "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"
_TABLE_TITLES = {"basic": "基础数据表", "overall": "部门整体支出绩效自评表", "project": "项目支出绩效自评表"}


def use_color(stream) -> bool:
    """Colours only on a terminal, and never with NO_COLOR set (https://no-color.org)."""
    if os.environ.get("NO_COLOR") is not None or os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def finding_line(f: Finding, color: bool = False) -> str:
    where = f"{f.file}:{f.where}" if f.where else f.file
    sev = SEVERITY_LABELS.get(f.severity, f.severity)
    tail = ""
    if f.expected is not None or f.found is not None:
        tail = f"（应为 {fmt_value(f.expected)}，实为 {fmt_value(f.found)}）"
    tail += explanation_text(f)
    if color:
        c = _COLORS.get(f.severity, "")
        if f.explained:
            c = _DIM
        return f"{_BOLD}{where}{_RESET} {_DIM}{f.code}{_RESET} {c}{sev}{_RESET} {f.message}{tail}"
    return f"{where} {f.code} {sev} {f.message}{tail}"


def explanation_text(f: Finding) -> str:
    """What the unit's 出错说明 does to a finding, as the tail of its line ("" without one)."""
    if not f.explanation:
        return ""
    if f.explainable:
        return f"【已说明】{f.explanation}"
    return f"【说明不能代替改正】{f.explanation}"


def _group_title(f: Finding) -> str:
    base = _TABLE_TITLES.get(f.table or "", "工作簿")
    if f.table == "project" and f.table_name:
        return f"{base}：{f.table_name}"
    return base


def render_text(reports: Iterable[Report], color: bool = False) -> str:
    lines: list[str] = []
    totals = {ERROR: 0, WARNING: 0, INFO: 0}
    nfiles = unreadable = explained = 0
    for rep in reports:
        nfiles += 1
        if rep.read_error:
            unreadable += 1
            msg = f"{rep.file}: 无法读取：{rep.read_error}"
            lines.append(f"{_COLORS[ERROR]}{msg}{_RESET}" if color else msg)
            continue
        for note in rep.notes:
            lines.append(f"{rep.file}: 注意：{note}")
        for t in rep.tables:
            if t.get("source") == "layout":
                lines.append(f"{rep.file}: 工作表“{t['sheet']}”读作{_TABLE_TITLES.get(t['kind'], t['kind'])}"
                             f"（表式：{t['family_name']}）")
        group: object = render_text      # no group yet (a sentinel no finding's group equals)
        for f in rep.findings:
            g = (f.table, f.sheet) if f.table else None     # workbook-wide findings: one heading
            if g != group:
                group = g
                title = f"【{_group_title(f)}】"
                lines.append(f"{_BOLD}{title}{_RESET}" if color else title)
            lines.append("  " + finding_line(f, color))
            totals[f.severity] = totals.get(f.severity, 0) + 1
            explained += f.explained
        if not rep.findings:
            lines.append(f"{rep.file}: 未发现问题。")
    summary = (f"共检查 {nfiles} 个文件：错误 {totals[ERROR]} 项，警告 {totals[WARNING]} 项，提示 {totals[INFO]} 项"
               + (f"（其中已说明 {explained} 项）" if explained else "")
               + (f"，{unreadable} 个文件无法读取" if unreadable else "") + "。")
    lines.append(summary)
    return "\n".join(lines) + "\n"


def report_dict(rep: Report) -> dict[str, Any]:
    return {
        "file": rep.file,
        "unit": rep.unit,
        "year": rep.year,
        "tables_found": rep.tables_found,
        "tables": rep.tables,
        "read_error": rep.read_error,
        "read_error_code": rep.read_error_code,
        "notes": rep.notes,
        "previous_error": rep.previous_error,
        "counts": {"error": rep.errors, "warning": rep.warnings, "info": rep.infos, "explained": rep.explained},
        "status": None if rep.read_error else rep.status,
        "findings": [f.to_dict() for f in rep.findings],
    }


def render_json(reports: Iterable[Report]) -> dict[str, Any]:
    reps = list(reports)
    return {
        "schema": FINDINGS_SCHEMA_VERSION,
        "files": [report_dict(r) for r in reps],
        "counts": {"error": sum(r.errors for r in reps), "warning": sum(r.warnings for r in reps),
                   "info": sum(r.infos for r in reps), "explained": sum(r.explained for r in reps),
                   "unreadable": sum(1 for r in reps if r.read_error)},
    }


def display_name(path: str | Path) -> str:
    return Path(path).name
