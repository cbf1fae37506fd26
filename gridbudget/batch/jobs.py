"""The work of the single-file commands, as functions a worker process runs.

Each takes what it needs (picklable) and returns what the command prints; it runs under
the worker's memory cap and deadline (:mod:`gridbudget.batch.workers`), so a hostile
file ends as a Chinese message, never as a crash of the command. Outputs are written
inside the worker too: reading the input again for a copy is bounded the same way.
"""

from __future__ import annotations

from typing import Any

from . import Input


def _read_previous(previous: str | None, sub):
    """Last year's workbook for the 跨年 rules: (submission or None, note or None, unreadable)."""
    if previous is None:
        return None, None, False
    from ..read.book import ReadError
    from ..read.tables import read_submission

    try:
        prev = read_submission(previous)
    except ReadError as exc:
        return None, f"上年度工作簿无法读取，跨年核对未进行：{exc.message}", True
    if prev.year is not None and sub.year is not None and prev.year >= sub.year:
        return None, (f"上年度工作簿 {previous} 的年度是 {prev.year}，不早于本年度 {sub.year}，跨年核对未进行："
                      f"请确认 --previous 给的是上一年度的工作簿。"), False
    return prev, None, False


def validate_job(inp: Input, data: bytes | None, error: Exception | None, profile, *,
                 previous: str | None = None, report: str | None = None,
                 annotate: str | None = None):
    """Read and validate one input; a Report (read errors included), the annotated copy written."""
    from ..check.engine import validate_submission
    from ..check.findings import Report
    from ..read.book import ReadError
    from ..read.explain import apply_explanations, read_submission, stale_note

    try:
        if error is not None:
            raise error
        if data is None and inp.member is not None:
            data = inp.read()
        sub, explanations = read_submission(inp.path if inp.member is None else inp.name, data=data)
    except ReadError as exc:
        return Report(file=inp.name, read_error=exc.message, read_error_code=exc.code)
    if inp.member is None:
        sub.file = inp.name
    prev, note, unreadable = _read_previous(previous, sub)
    rep = validate_submission(sub, profile, previous=prev, report=report)
    stale = apply_explanations(rep.findings, explanations)       # 出错说明 the unit wrote: 已说明
    rep.file = inp.name
    if stale:
        rep.notes.append(stale_note(stale))
    if note:
        rep.notes.append(note)
    if unreadable:
        rep.previous_error = note
    if annotate is not None:
        from ..write.annotate import annotate as write_annotated

        try:
            written = write_annotated(inp.path, rep.findings, annotate, kind=rep.file_kind,
                                      unit=sub.unit, year=sub.year, profile=profile)
        except ValueError as exc:
            from ..errors import UsageError

            raise UsageError(str(exc)) from None
        rep.outputs.append(str(written))
    return rep


def score_job(path: str, name: str, profile, output: str | None, fmt: str) -> tuple[str, str | None]:
    """Score one workbook: (the text or JSON to print, the scored copy written or None)."""
    from ..check.engine import validate_submission
    from ..read.explain import read_submission
    from ..score.engine import score_submission
    from ..submission import dumps
    from ..write.scoresheet import render_score_text, score_dict, write_scored_copy

    sub, _explanations = read_submission(path)      # an annotated copy's 审核结果 is not a table
    report = validate_submission(sub, profile)
    score = score_submission(sub, profile)
    text = dumps(score_dict(score, report, name)) + "\n" if fmt == "json" else render_score_text(score, report, name)
    written = None
    if output is not None:
        try:
            written = str(write_scored_copy(path, output, score, report, unit=sub.unit, year=sub.year,
                                            kind=sub.file_kind))
        except ValueError as exc:
            from ..errors import UsageError

            raise UsageError(str(exc)) from None
    return text, written


def report_job(path: str, output: str, template: str | None, profile) -> str:
    """Draft one workbook's self-evaluation report (.docx); the path written."""
    from ..read.tables import read_submission
    from ..write.report import ReportOptions, write_report

    sub = read_submission(path)
    return str(write_report(path, output, ReportOptions(template=template, profile=profile), sub=sub))


def export_job(path: str, sources: bool) -> str:
    """Read one workbook and give its JSON export."""
    from ..read.explain import read_submission
    from ..read.export import export_submission
    from ..submission import dumps

    return dumps(export_submission(read_submission(path)[0], with_sources=sources)) + "\n"


def result_or_raise(result: Any, name: str, timeout: float | None) -> Any:
    """A single-file job's result, or the UserError / internal error its failure stands for."""
    from ..errors import InputError
    from .workers import Failed, INTERNAL, USER

    if not isinstance(result, Failed):
        return result
    if result.code == USER and result.error is not None:
        raise result.error
    if result.code == INTERNAL:
        raise InternalFailure(result.detail, name)
    from . import failure

    raise InputError(failure(Input(name, name), result, timeout).read_error or "")


class InternalFailure(Exception):
    """An unexpected error inside a worker: ``detail`` is its traceback."""

    def __init__(self, detail: str, name: str):
        super().__init__(detail, name)
        self.detail, self.name = detail, name
