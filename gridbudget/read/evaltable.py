"""A self-evaluation table of any family (整体支出 / 项目支出), read block by block: header
fields, the funds block, goals, then the indicator grids (:mod:`gridbudget.read.indicators`)."""

from __future__ import annotations

from decimal import Decimal

from .. import forms
from ..forms import families
from ..model import TableData, Val
from .grid import _Grid, _HEADER_LABELS, _POINTS_IN_HEADER, _PROJECT_FUND_WORDS, _SOURCE_COLUMNS, _after_label, _declared_unit, _header_total, _is_funds_total, _is_number_cell, _is_title, _match_column, _read_header, _right_of, _text_rows, _title_year, _val, norm
from .indicators import _indicator_headers, _place_family, _read_indicators


def _read_eval_table(grid: _Grid, r1: int, r2: int, kind: str) -> TableData:
    """A self-evaluation table of any family, by its blocks: header fields, a self-score
    written in a header cell, the funds block, the goals, one or more indicator grids, the
    总分 row and the free-text blocks. Each block ends where the next one starts."""
    sheet = grid.sheet
    unit = _declared_unit(grid, r1, r2)
    td = TableData(kind, sheet.name, "layout", unit=unit, title_year=_title_year(grid, r1, r2))
    put = lambda key, r, c, raw=None: td.fields.__setitem__(key, _val(sheet, r, c, unit, raw))  # noqa: E731
    facts: list[str] = []
    title = grid.first(lambda t: _is_title(t) is not None, r1, min(r2, r1 + 2))
    if title is not None:
        facts.append(grid.text[title])

    _read_header(grid, r1, r2, put, _HEADER_LABELS[kind])
    bands = _indicator_headers(grid, r1, r2)
    funds = _funds_header(grid, r1, r2)
    goal_labels = _GOALS_LABEL
    if title is not None and families.detect(kind, [grid.text[title]], norm).declaration:
        goal_labels = _GOALS_LABEL + _DECLARATION_GOALS      # 年度绩效目标: a declaration's goals label
    goals_row = grid.first(lambda t: t.startswith(goal_labels) or t in _GOAL_EXPECTED, r1, r2)
    texts = _text_rows(grid, r1, r2)
    starts = sorted({r for r in ([funds[0]] if funds else []) + ([goals_row[0]] if goals_row else [])
                     + [top for _hr, top, _cols in bands] + [r for r, _c, _k, _w in texts]})

    def end_of(r: int) -> int:
        later = [s for s in starts if s > r]
        return later[0] - 1 if later else r2

    td.columns = frozenset()
    first_block = starts[0] if starts else r2
    _header_total(grid, td, r1, first_block)
    if funds is not None:
        _read_funds(grid, td, funds, end_of(funds[0]), kind, facts)
    if goals_row is not None:
        _read_goals(grid, td, goals_row[0], end_of(goals_row[0]), goal_labels)
    extra: dict[str, str] = {}
    for hr, top, cols in bands:
        _read_indicators(grid, td, hr, top, cols, end_of(hr), facts, extra)
    for r, c, key, word in texts:      # the text after the label in its cell, else the cell beside it
        got = _after_label(grid, r, c, word, None)
        td.fields[f"text.{key}"] = (_val(sheet, r, _right_of(sheet, r, c), unit) if got is None
                                    else _val(sheet, got[0], got[1], unit, got[2]))
    _place_family(td, facts)
    return td




def _funds_header(grid: _Grid, r1: int, r2: int) -> tuple[int, dict[str, int]] | None:
    return grid.memo("funds", r1, r2, _find_funds_header)


def _find_funds_header(grid: _Grid, r1: int, r2: int) -> tuple[int, dict[str, int]] | None:
    """The funds header: the first row with three of 年初预算数 / 全年预算数 / 全年执行数 / 分值 / 执行率 /
    得分 (or their synonyms), one of them a budget or an outturn."""
    for r in range(r1, r2 + 1):
        cols: dict[str, int] = {}
        for c in grid.cols(r):
            key = _match_column(grid.text.get((r, c), ""), forms.FUNDS_COLUMNS)
            if key and key not in cols:
                cols[key] = c
        if len(cols) >= 3 and ("budget" in cols or "executed" in cols):
            return r, cols
    return None


def _read_funds(grid: _Grid, td: TableData, header: tuple[int, dict[str, int]], end: int, kind: str,
                facts: list[str]) -> None:
    sheet, unit = grid.sheet, td.unit
    hr, cols = header
    put = lambda key, r, c, raw=None: td.fields.__setitem__(key, _val(sheet, r, c, unit, raw))  # noqa: E731
    header_texts = [grid.text.get((hr, c), "") for c in grid.cols(hr)]
    facts.extend(header_texts)
    if "score" not in cols and "weight" not in cols:
        facts.append(families.FACT_FUNDS_UNSCORED)
    first_col = min(cols.values())
    total = grid.first(_is_funds_total, hr + 1, end)
    if total is None:   # a funds block with no total label: its first row with an amount
        total = next(((r, first_col) for r in range(hr + 1, end + 1)
                      if any(_is_number_cell(sheet, r, c) for k, c in cols.items() if k in ("budget", "executed"))),
                     None)
    if total is None:
        return
    tr = total[0]
    for ck, c in cols.items():
        put(f"funds.total.{ck}", tr, c)
    if "weight" not in cols:
        # the points of the execution rate written in a header: "预算执行情况（20分）", "得分（20分*执行率）"
        for c in ([cols["score"]] if "score" in cols else []) + grid.cols(hr):
            m = _POINTS_IN_HEADER.search(grid.text.get((hr, c), ""))
            if m:
                td.fields["funds.total.weight"] = Val(Decimal(m.group(1)), sheet.name, forms.a1(hr, c), unit=unit,
                                                      implied=True)
                break
    # fund sources laid out as columns (中央 / 省、地 / 本级 / 其他 … 合计)
    sources = [c for c in grid.cols(hr) if c not in cols.values() and c < cols.get("budget", 0)
               and norm(grid.text.get((hr, c), "")).replace("(万元)", "") in _SOURCE_COLUMNS]
    if len(sources) < 2:
        sources = []
    if sources:
        td.blocks["funds.sources"] = [{"label": _val(sheet, hr, c), "budget": _val(sheet, tr, c, unit)}
                                      for c in sources]
    if kind == "project":
        _read_fund_rows(grid, td, cols, tr, end)
    elif grid.first(lambda t: any(w in t for w in _PROJECT_FUND_WORDS), tr + 1, end) is None:
        # (an overall table laid out with a project's funding rows has no breakdowns to read)
        _read_breakdowns(grid, td, tr + 1, end, unit)


def _read_fund_rows(grid: _Grid, td: TableData, cols: dict[str, int], tr: int, end: int) -> None:
    """A project's rows under the funds total: the national 当年财政拨款 / 上年结转资金 / 其他资金 by
    key, and every other named source row (财政专户管理资金, 自治区补助 …) in the block ``funds.rows``."""
    sheet, unit = grid.sheet, td.unit
    keyed = set()
    for rkey, label, syn in forms.PROJECT_FUND_ROWS:
        words = [norm(w) for w in (label, *syn)]
        hit = grid.first(lambda t, ws=words: any(w in t for w in ws), tr + 1, end)
        if hit:
            keyed.add(hit[0])
            for ck in ("initial", "budget", "executed"):
                if ck in cols:
                    td.fields[f"funds.{rkey}.{ck}"] = _val(sheet, hit[0], cols[ck], unit)
    first_col = min(cols.values())
    rows = []
    for r in range(tr + 1, end + 1):
        if r in keyed:
            continue            # read above by its key: each cell is read once
        labels = [grid.text.get((r, c)) for c in grid.cols(r) if c < first_col and grid.text.get((r, c))]
        label = next((t for t in reversed(labels) if t.rstrip(":：") != "其中"), None)
        if label is None:
            continue
        row = {"label": Val(label, sheet.name, None)}
        row.update({ck: _val(sheet, r, c, unit) for ck, c in cols.items() if ck in ("initial", "budget", "executed", "rate")})
        if any(not v.empty for k, v in row.items() if k != "label"):
            rows.append(row)
    if rows:
        td.blocks["funds.rows"] = rows




def _read_breakdowns(grid: _Grid, td: TableData, ra: int, rb: int, unit: str) -> None:
    sheet = grid.sheet
    labels = [(f"income.{k}", norm(l), tuple(norm(s) for s in syn)) for k, l, syn in forms.INCOME_ROWS] + \
             [(f"expense.{k}", norm(l), tuple(norm(s) for s in syn)) for k, l, syn in forms.EXPENSE_ROWS]
    all_words = [w for _k, l, syn in labels for w in (l, *syn)]
    stop = lambda t: any(w in t for w in all_words) or t.startswith("按")  # noqa: E731
    for r in range(ra, rb + 1):
        for c in grid.cols(r):
            t = grid.text.get((r, c))
            if not t:
                continue
            for key, label, syn in labels:
                if key in td.fields:
                    continue
                word = next((w for w in (label, *syn) if w in t), None)
                if word is None:
                    continue
                got = _after_label(grid, r, c, word, stop)
                if got is None:
                    td.fields[key] = Val(None, sheet.name, forms.a1(r, c), unit=unit)
                else:
                    td.fields[key] = _val(sheet, got[0], got[1], unit, got[2])
                break


def _goal_words(key: str) -> tuple[str, ...]:
    f = forms.fields_of("project")[f"goals.{key}"]
    return tuple(norm(w) for w in (f.label, *f.synonyms))


_GOAL_EXPECTED, _GOAL_ACHIEVED = _goal_words("expected"), _goal_words("achieved")
_GOALS_LABEL = (norm(forms.GOALS_LABEL), *_GOAL_EXPECTED[1:])
_DECLARATION_GOALS = tuple(norm(w) for w in families.DECLARATION_GOAL_WORDS)


def _read_goals(grid: _Grid, td: TableData, gr: int, end: int, labels: tuple[str, ...] = ()) -> None:
    """A 预期目标 / 实际完成情况 header with one goal a row; or a goals label with its text beside it."""
    sheet = grid.sheet
    exp = grid.first(lambda t: t in _GOAL_EXPECTED, gr, min(end, gr + 2))
    if exp is not None:
        beside = grid.right(*exp)
        if beside is not None and grid.text.get(beside, "") not in _GOAL_ACHIEVED:
            exp = None                   # "项目年度目标 | the goal": a label with its value
    if exp is None:
        label = grid.first(lambda t: t.startswith(labels or _GOALS_LABEL), gr, gr)
        pos = grid.right(*label) if label else None
        if pos is not None:
            td.blocks["goals"] = [{"expected": _val(sheet, *pos), "achieved": Val(None, sheet.name)}]
        return
    ach = grid.first(lambda t: t in _GOAL_ACHIEVED, exp[0], exp[0])
    hr = exp[0]
    rows = []
    for r in range(hr + 1, end + 1):
        if grid.first(lambda t: t.startswith("一级指标") or t.startswith("三级指标"), r, r):
            break
        if sheet.merged and sheet.merged_anchor(r, exp[1]) != (r, exp[1]):
            continue   # a continuation row of a merged goal cell
        e = _val(sheet, r, exp[1])
        a = _val(sheet, r, ach[1]) if ach else Val(None, sheet.name)
        if not e.empty or not a.empty:
            rows.append({"expected": e, "achieved": a})
    if rows:
        td.blocks["goals"] = rows


