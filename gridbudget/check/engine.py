"""Validation engine: rules registered with a stable code, run over the data model.

A rule is a small function ``check(ctx) -> Iterable[Hit]`` registered with
:func:`rule`; its code, kind (表内 / 表间 / 计分 / 完整性 / 跨年), default severity,
Chinese title and explanation live beside it. A profile may switch a rule off or
change its severity (``[rules]`` in the profile TOML).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from .. import forms
from .findings import ERROR, Finding, Report
from ..model import Submission, TableData, Val
from ..score.profile import Profile, load_profile


@dataclass(frozen=True)
class Rule:
    code: str
    kind: str
    severity: str
    title: str
    explanation: str
    source: str
    check: Callable[["Ctx"], Iterable["Hit"]]
    explainable: bool = True


RULES: dict[str, Rule] = {}


def rule(code: str, kind: str, severity: str, title: str, explanation: str, source: str = "", *,
         explainable: bool | None = None):
    """Register a rule function under ``code``.

    ``explainable``: whether a unit may answer a finding of this rule with a 出错说明 (the
    finding is then 已说明 and no longer counts against the unit). By default a rule whose
    default severity is 错误 cannot be explained (arithmetic or logic that cannot be right
    must be corrected), a 警告 or 提示 can.
    """
    def deco(fn: Callable[["Ctx"], Iterable["Hit"]]):
        if code in RULES:
            raise ValueError(f"duplicate rule code {code}")
        ok = severity != ERROR if explainable is None else explainable
        RULES[code] = Rule(code, kind, severity, title, explanation, source, fn, ok)
        return fn
    return deco


@dataclass
class Hit:
    """What a rule found; the engine turns it into a :class:`Finding`."""

    table: TableData | None
    val: Val | None
    message: str
    expected: Any = None
    found: Any = None
    key: str | None = None
    severity: str | None = None       # overrides the rule's default (still subject to the profile)
    sheet: str | None = None          # when there is no Val to point at
    cell: str | None = None


@dataclass
class Ctx:
    sub: Submission
    profile: Profile
    previous: Submission | None = None
    report: str | None = None          # the report's text, when given (report prose vs tables)
    _memo: dict | None = None

    def per_table(self, what: str, td: TableData, make: Callable[[TableData], Any]) -> Any:
        """``make(td)``, computed once per validation run and table (rules share what they derive)."""
        if self._memo is None:
            self._memo = {}
        got = self._memo.get((what, id(td)))
        if got is None or got[0] is not td:          # (the table object held: its id stays its own)
            got = self._memo[(what, id(td))] = (td, make(td))
        return got[1]

    def inds(self, td: TableData) -> list:
        """The table's 三级指标 rows."""
        return self.per_table("inds", td, TableData.indicators)

    def cells(self, td: TableData) -> list[tuple[str, str | None, Val]]:
        """(key, kind, value) of every cell the table read (:func:`.rules.common.table_cells`): several
        rules walk them all."""
        from .rules.common import table_cells

        return self.per_table("cells", td, lambda t: list(table_cells(t)))

    def money(self, td: TableData) -> list[tuple[str, Val]]:
        """(key, value) of every money cell of the table, in the order of :meth:`cells`."""
        return self.per_table("money", td, lambda t: [(key, v) for key, kind, v in self.cells(t) if kind == forms.MONEY])


def _finding(rule_: Rule, hit: Hit, file: str, severity: str) -> Finding:
    td = hit.table
    sheet = hit.val.sheet if hit.val is not None and hit.val.sheet else hit.sheet or (td.sheet if td else None)
    cell = hit.val.cell if hit.val is not None and hit.val.cell else hit.cell
    return Finding(code=rule_.code, severity=severity, kind=rule_.kind, message=hit.message, file=file,
                   sheet=sheet, cell=cell, table=td.kind if td else None,
                   table_name=td.display_name if td else None, family=td.fam.key if td else None, key=hit.key, expected=hit.expected,
                   found=hit.found, title=rule_.title, explainable=rule_.explainable)


def run_rules(sub: Submission, profile: Profile | None = None, *, previous: Submission | None = None,
              file: str | None = None, report: str | None = None) -> list[Finding]:
    from . import rules as _rules  # noqa: F401  (registers the rules)

    profile = profile or load_profile()
    ctx = Ctx(sub, profile, previous, report)
    name = file if file is not None else str(sub.file)
    out: list[Finding] = []
    overrides = profile.data.get("rules", {})
    for code, r in RULES.items():
        override = overrides.get(code)
        if override == "off":
            continue
        for hit in r.check(ctx):
            # the profile's choice wins over the rule's default and its own escalation
            out.append(_finding(r, hit, name, override or hit.severity or r.severity))
    out.sort(key=Finding.sort_key)
    return out


def validate_submission(sub: Submission, profile: Profile | None = None, *,
                        previous: Submission | None = None, report: str | None = None) -> Report:
    findings = run_rules(sub, profile, previous=previous, report=report)
    return Report(file=sub.file, findings=findings, tables_found=sub.tables_found, unit=sub.unit, year=sub.year,
                  file_kind=sub.file_kind, tables=sub.tables_read())



def validate_file(path: str | Path, profile: Profile | None = None, *, previous: str | Path | None = None,
                  data: bytes | None = None, report: str | None = None) -> Report:
    """Read and validate one workbook; a file that cannot be read gives a Report with read_error.

    ``data`` gives the bytes when they do not come from ``path`` itself (a member of a zip archive).
    """
    from ..read.book import ReadError
    from ..read.tables import read_submission

    try:
        sub = read_submission(path, data=data)
    except ReadError as exc:
        return Report(file=str(path), read_error=exc.message, read_error_code=exc.code)
    prev = None
    if previous is not None:
        try:
            prev = read_submission(previous)
        except ReadError as exc:
            return Report(file=str(previous), read_error=exc.message, read_error_code=exc.code)
    return validate_submission(sub, profile, previous=prev, report=report)


