"""Findings: what validation reports, as data.

A :class:`Finding` names its rule (a stable code), severity, kind (表内 / 表间 / 计分 /
完整性 / 跨年 / 下发), file, sheet, cell, the field it concerns, the expected and the found
value and a Chinese message. Terminal text, JSON, the annotated workbook and the
summary sheets are views of the same list.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)
SEVERITY_LABELS = {ERROR: "错误", WARNING: "警告", INFO: "提示"}
SEVERITY_RANK = {ERROR: 0, WARNING: 1, INFO: 2}

KIND_WITHIN, KIND_ACROSS, KIND_SCORING, KIND_COMPLETE, KIND_YEARS = "表内", "表间", "计分", "完整性", "跨年"
KIND_HANDOUT = "下发"       # what the bureau handed out (gridbudget distribute) was changed
KINDS = (KIND_WITHIN, KIND_ACROSS, KIND_SCORING, KIND_COMPLETE, KIND_YEARS, KIND_HANDOUT)


def fmt_value(v: Any) -> str:
    """A value as shown in messages: Decimals without trailing zeros beyond 2 places."""
    if v is None:
        return "（空）"
    if isinstance(v, Decimal):
        q = v.quantize(Decimal("0.01")) if v.as_tuple().exponent < -2 else v
        s = format(q, "f")
        return s
    return str(v)


@dataclass
class Finding:
    code: str
    severity: str
    kind: str
    message: str
    file: str = ""
    sheet: str | None = None
    cell: str | None = None
    table: str | None = None          # "basic" | "overall" | "project"
    table_name: str | None = None     # 基础数据表 / 整体支出自评表 / the project's name
    family: str | None = None         # the table's family (gridbudget/forms/families.py), when a table is named
    key: str | None = None            # field key, e.g. "funds.total.rate"
    expected: Any = None
    found: Any = None
    title: str = ""                   # the rule's Chinese title
    explainable: bool = True          # the rule lets a unit answer it with a 出错说明 (Rule.explainable)
    explanation: str | None = None    # the unit's 出错说明 for this finding, read back from the workbook

    @property
    def explained(self) -> bool:
        """已说明: the unit wrote an explanation and the rule accepts one."""
        return bool(self.explainable and self.explanation)

    @property
    def open(self) -> bool:
        """An error or warning still standing: not explained (an explanation of an unexplainable rule does not count)."""
        return self.severity in (ERROR, WARNING) and not self.explained

    @property
    def where(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or ""

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in _FIELDS}
        d["expected"] = _jsonable(self.expected)
        d["found"] = _jsonable(self.found)
        return d

    def sort_key(self) -> tuple:
        return (self.file, _TABLE_ORDER.get(self.table or "", 9), self.sheet or "", _cell_order(self.cell),
                SEVERITY_RANK.get(self.severity, 9), self.code)


_FIELDS = tuple(f.name for f in fields(Finding))
_TABLE_ORDER = {"basic": 0, "overall": 1, "project": 2}


def _cell_order(cell: str | None) -> tuple[int, int]:
    if not cell:
        return (0, 0)
    col = 0
    i = 0
    while i < len(cell) and cell[i].isalpha():
        col = col * 26 + (ord(cell[i].upper()) - 64)
        i += 1
    try:
        row = int(cell[i:])
    except ValueError:
        row = 0
    return (row, col)


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return str(v)


STATUS_ERROR, STATUS_PENDING, STATUS_PASSED = "有错误", "待说明", "通过"
STATUS_MISSING, STATUS_UNREADABLE = "未提交", "未能读取"
#: Every status a unit can have in a summary, worst first.
STATUSES = (STATUS_MISSING, STATUS_UNREADABLE, STATUS_ERROR, STATUS_PENDING, STATUS_PASSED)


def finding_status(findings, *, unreadable: bool = False) -> str:
    """有错误 / 待说明 / 通过 of one file's findings (Finding objects or their dicts)."""
    if unreadable:
        return STATUS_UNREADABLE
    worst = STATUS_PASSED
    for f in findings:
        if isinstance(f, dict):
            sev, ok = f.get("severity"), bool(f.get("explainable", True) and f.get("explanation"))
        else:
            sev, ok = f.severity, f.explained
        if ok:
            continue
        if sev == ERROR:
            return STATUS_ERROR
        if sev == WARNING:
            worst = STATUS_PENDING
    return worst


@dataclass
class Report:
    """All findings for one file, with what was read."""

    file: str
    findings: list[Finding] = field(default_factory=list)
    tables_found: list[str] = field(default_factory=list)
    unit: str = ""
    year: int | None = None
    read_error: str | None = None     # the Chinese message when the file could not be read
    read_error_code: str | None = None
    file_kind: str | None = None      # "xlsx", "xls" … of a file that was read
    tables: list[dict] = field(default_factory=list)   # each table read: sheet, kind, name, family, family_name
    notes: list[str] = field(default_factory=list)     # remarks on the run (e.g. last year's workbook), Chinese
    previous_error: str | None = None                  # --previous could not be read (the check went on without it)
    outputs: list[str] = field(default_factory=list)   # files written for this report (annotated copy)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def open_errors(self) -> int:
        """Errors not explained away (these set exit code 1)."""
        return sum(1 for f in self.findings if f.severity == ERROR and not f.explained)

    @property
    def open_warnings(self) -> int:
        """Warnings without an accepted explanation (exit code 1 under --strict)."""
        return sum(1 for f in self.findings if f.severity == WARNING and not f.explained)

    @property
    def explained(self) -> int:
        """Findings answered by an accepted 出错说明 (已说明)."""
        return sum(1 for f in self.findings if f.explained)

    @property
    def status(self) -> str:
        """The unit's status: 有错误 (an error not explained away), 待说明 (a warning without
        explanation), 通过; 未能读取 when the file could not be read."""
        return finding_status(self.findings, unreadable=bool(self.read_error))

    @property
    def errors(self) -> int:
        return self.count(ERROR)

    @property
    def warnings(self) -> int:
        return self.count(WARNING)

    @property
    def infos(self) -> int:
        return self.count(INFO)
