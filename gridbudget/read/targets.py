"""Targets declared at budget time (绩效目标申报表), read for ``gridbudget distribute --targets``.

A 申报表 is one more table family (``declaration-project`` / ``declaration-overall`` in
:mod:`gridbudget.forms.families`): it is found and read by the same machinery as the
self-evaluation tables (its title names the family, its 年度绩效目标 are the goals, its
indicator grid the 一级/二级/三级 indicators with their 指标值), then set aside from the checks.
This module turns each such table into a :class:`Declaration` the distributor can match with
the budget list and pre-fill, and says in Chinese which files could not be used.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..model import TableData


@dataclass
class DeclaredIndicator:
    block: str          # the form's indicator block, e.g. "ind.output.quantity"
    name: str           # 三级指标
    target: str         # 指标值 as declared (operator, number and unit as written)
    where: str          # sheet!cell of the 三级指标 in the 申报表


@dataclass
class Declaration:
    kind: str                    # "project" | "overall"
    unit: str                    # 实施单位 / 单位名称 (may be blank)
    department: str              # 主管部门
    project: str                 # 项目名称 ("" for a 部门整体 declaration)
    goals: list[str] = field(default_factory=list)
    indicators: list[DeclaredIndicator] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)   # indicators under levels the form has no block for
    file: str = ""
    sheet: str = ""

    @property
    def label(self) -> str:
        what = f"项目“{self.project}”" if self.kind == "project" else f"单位“{self.unit}”的部门整体目标"
        return f"{what}（{self.file} 工作表“{self.sheet}”）"


def name_key(text: str) -> str:
    """A unit or project name as matched between the budget list and the 申报表."""
    return re.sub(r"[\s\u3000（）()“”\"'、，,。.·-]", "", text or "").casefold()


def target_key(text: str) -> str:
    """An indicator's name or target as compared between handed out and returned."""
    from .grid import norm

    return norm(text or "").replace(" ", "")


def _declaration(td: TableData, file: str, blocks: Iterable[str]) -> Declaration:
    """The declaration of one table; texts as written (what ``export`` and ``fill`` would carry)."""
    from .. import forms
    from .export import export_value

    fields = forms.fields_of(td.kind)

    def text(key: str, v) -> str:
        if v is None or key not in fields:
            return v.text() if v is not None else ""
        got = export_value(v, fields[key])
        return "" if got is None else str(got)

    known = set(blocks)
    d = Declaration(td.kind, text("unit", td.get("unit")), text("department", td.get("department")),
                    text("name", td.get("name")) if td.kind == "project" else "", file=file, sheet=td.sheet)
    d.goals = [t for t in (text("goals.expected", r.get("expected")) for r in td.rows("goals")) if t]
    for ind in td.indicators():
        if not ind.name:
            continue
        if ind.block not in known:
            d.unplaced.append(ind.name)
            continue
        d.indicators.append(DeclaredIndicator(ind.block, text(f"{ind.block}.name", ind.get("name")),
                                              text(f"{ind.block}.target", ind.get("target")), ind.anchor.where))
    return d


def declarations_job(inp) -> list[Declaration] | str:
    """The declarations of one input (a file or a zip member), or why it holds none (Chinese).
    Runs in a worker process (:func:`read_targets`); a ReadError travels back as the user's error."""
    from ..submission import block_columns
    from .book import open_book
    from .tables import read_book

    data = inp.read() if inp.member is not None else None
    sub = read_book(open_book(inp.name if data is not None else inp.path, data=data))
    found = [td for td in sub.found if td.fam.declaration]
    if not found:
        return f"{inp.name}：没有找到绩效目标申报表（标题应含“绩效目标申报表”或“绩效目标表”）。"
    return [_declaration(td, Path(inp.name).name, block_columns(td.kind)) for td in found]


def read_targets(paths: Iterable[str | os.PathLike], timeout: float | None = None) -> tuple[list[Declaration], list[str]]:
    """The declarations in the given files, folders or .zip archives, and one Chinese line for each
    input that could not be used (unreadable, too slow or too large, or holding no 申报表). Each file is
    read in a worker process under the batch's memory cap and ``timeout`` (seconds, default the
    commands' default), so one hostile file cannot hang or exhaust the machine. Never raises for a bad file."""
    from ..batch import collect_inputs, failure, why_missing
    from ..batch.workers import DEFAULT_TIMEOUT, Failed, Pool

    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    inputs, missing = collect_inputs([os.fspath(p) for p in paths])
    problems = [why_missing(m) for m in missing]
    usable = []
    for inp in inputs:
        if inp.problem is not None:
            problems.append(f"{inp.name}：{inp.problem}")
        else:
            usable.append(inp)
    out: list[Declaration] = []
    with Pool(1) as pool:
        for i, result in pool.run(declarations_job, [(inp,) for inp in usable], timeout):
            if isinstance(result, Failed):
                problems.append(failure(usable[i], result, timeout).read_error or f"{usable[i].name}：无法读取。")
            elif isinstance(result, str):
                problems.append(result)
            else:
                out.extend(result)
    return out, problems
