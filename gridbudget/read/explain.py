"""出错说明: the explanations a unit writes beside the findings, read back from its workbook.

A unit answers the findings of its workbook in one of two places:

* the 出错说明 column of the 审核结果 sheet of an annotated copy (``validate --annotate``)
  it returns — every row there names the finding by 规则代码, 工作表 and 单元格;
* a sheet called 出错说明 it adds to its own workbook, with the same three columns and a
  出错说明 (or 说明原因) column.

:func:`read_submission` opens the workbook once with :func:`gridbudget.read.book.open_book`
(the same safe reader as the tables), takes those sheets out before the tables are read
(they are not self-evaluation tables: a 审核结果 sheet quotes table titles and figures),
and returns the submission with the explanations keyed by (rule code, sheet, cell). The very
hidden 下发信息 sheet of a handed-out workbook is taken out too and put on the submission as
``sub.handout`` (:mod:`gridbudget.read.handout`; None when there is none).
:func:`apply_explanations` puts each onto its finding (``Finding.explanation``); whether it
counts is the rule's ``explainable``.
"""

from __future__ import annotations

import re
from pathlib import Path

from .book import Book, Sheet, open_book

__all__ = ["EXPLAIN_SHEET", "EXPLAIN_HEADER", "Explanations", "apply_explanations", "explanation_key",
           "is_explanation_sheet", "read_explanations", "read_submission", "stale_note"]

#: The sheet a unit may add to its own workbook, and the column header it writes in.
EXPLAIN_SHEET = "出错说明"
EXPLAIN_HEADER = "出错说明"
_SHEET_NAME = re.compile(r"^(审核结果|出错说明)(\(\d+\)|（\d+）)?$")
_HEADERS = {"code": ("规则代码", "代码"), "sheet": ("工作表",), "cell": ("单元格",),
            "text": ("出错说明", "说明原因", "情况说明")}

Explanations = dict[tuple[str, str, str], str]


def _norm(v: object) -> str:
    return re.sub(r"\s+", "", str(v)) if v is not None else ""


def explanation_key(code: str | None, sheet: str | None, cell: str | None) -> tuple[str, str, str]:
    """How a finding and an explanation row are matched: rule code, sheet and cell, normalised."""
    return (_norm(code).upper(), (sheet or "").strip(), _norm(cell).replace("$", "").upper())


def _header(sheet: Sheet) -> tuple[int, dict[str, int]] | None:
    """The header row of an explanation table (0-based) and its columns, or None."""
    rows: dict[int, dict[int, str]] = {}
    for (r, c), cell in sheet.cells.items():
        if r < 60 and isinstance(cell.value, str):
            rows.setdefault(r, {})[c] = _norm(cell.value)
    for r in sorted(rows):
        cols: dict[str, int] = {}
        for c, text in sorted(rows[r].items()):
            for key, names in _HEADERS.items():
                if key not in cols and text in names:
                    cols[key] = c
        if {"code", "sheet", "cell"} <= cols.keys():       # a copy annotated before 出错说明 existed has no text column
            return r, cols
    return None


def is_explanation_sheet(sheet: Sheet) -> bool:
    """A 审核结果 sheet of an annotated copy or a unit's 出错说明 sheet (named so, with its header row)."""
    return bool(_SHEET_NAME.match(sheet.name.strip())) and _header(sheet) is not None


def read_explanations(book: Book) -> Explanations:
    """Every non-empty explanation in the workbook's explanation sheets, by :func:`explanation_key`.

    When several sheets explain the same finding, the last sheet's text is kept (a later
    round of answers replaces an earlier one).
    """
    out: Explanations = {}
    for sheet in book.sheets:
        if not _SHEET_NAME.match(sheet.name.strip()):
            continue
        found = _header(sheet)
        if found is None:
            continue
        head, cols = found
        if "text" not in cols:
            continue
        last = max((r for r, _c in sheet.cells), default=head)
        for r in range(head + 1, last + 1):
            code = sheet.value(r, cols["code"])
            text = sheet.value(r, cols["text"])
            if code is None or text is None or not str(text).strip():
                continue
            key = explanation_key(str(code), _text(sheet.value(r, cols["sheet"])), _text(sheet.value(r, cols["cell"])))
            out[key] = str(text).strip()
    return out


def _text(v: object) -> str:
    return "" if v is None else str(v).strip()


def apply_explanations(findings, explanations: Explanations) -> int:
    """Put each explanation on its finding; the number of explanations that matched no finding
    (the finding is gone: corrected since, or the row was edited)."""
    if not explanations:
        return 0
    used = set()
    for f in findings:
        key = explanation_key(f.code, f.sheet, f.cell)
        text = explanations.get(key)
        if text:
            f.explanation = text
            used.add(key)
    return len(explanations) - len(used)


def stale_note(n: int) -> str:
    """The remark on explanations that matched no finding ("" when there are none)."""
    return f"出错说明中有 {n} 条没有对应的问题（问题可能已改正，或规则代码、工作表、单元格被改动），已忽略。" if n else ""


def read_submission(path: str | Path, *, data: bytes | None = None):
    """(submission, explanations): :func:`gridbudget.read.tables.read_submission` that also reads
    the 出错说明 and leaves the explanation sheets out of the tables. One reading of the file.

    Raises :class:`ReadError` exactly as ``read_submission`` does.
    """
    from .tables import _cell_problems, check_found, read_book

    from .handout import is_handout_sheet, read_handout

    book = open_book(path, data=data)
    explanations = read_explanations(book)
    handout = read_handout(book)
    book.sheets = [s for s in book.sheets if not is_explanation_sheet(s) and not is_handout_sheet(s)]
    sub = read_book(book)
    sub.handout = handout          # what the bureau handed out (gridbudget distribute), for the F- rules
    check_found(sub, path)
    _cell_problems(sub)
    return sub, explanations
