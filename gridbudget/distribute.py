"""``gridbudget distribute``: one pre-filled workbook per unit from the bureau's budget list.

The budget list is a table as a bureau keeps it (CSV/text in any of the encodings Excel and
WPS save, or an .xlsx/.xls workbook), one row per project, with a header row that may sit
below a title: 单位编码, 单位名称, 主管部门, 项目名称, 年初预算数, 调整后预算数 (synonyms below;
a header saying （元） is converted to 万元). A row without 项目名称 (or with 整体/部门整体)
gives the unit's overall 年度资金总额. The headers are found the way the ``--units`` list's
are (:mod:`gridbudget.read.unitlist`).

Each unit's workbook is the standard template (:func:`gridbudget.write.template.write_template`)
with the unit, year, 主管部门, project names and budget figures filled in, locked and grey
(``TemplateOptions.given``); the unit fills execution, indicators, scores and notes. A very
hidden sheet records what was handed out with a fingerprint (:func:`~gridbudget.write.template.handout_hash`),
so ``validate`` reports a changed handed-out figure on its cell (F- rules). Amounts are Decimal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Iterable

from .errors import UsageError

CODE_HEADERS = ("单位编码", "单位代码", "预算单位编码", "单位编号", "编码", "code")
UNIT_HEADERS = ("单位名称", "单位", "预算单位", "预算单位名称", "单位全称", "unit")
DEPARTMENT_HEADERS = ("主管部门", "主管部门名称", "部门", "主管单位", "department")
PROJECT_HEADERS = ("项目名称", "项目", "预算项目", "项目支出名称", "project")
INITIAL_HEADERS = ("年初预算数", "年初预算", "年初数", "年初预算金额", "预算数")
BUDGET_HEADERS = ("调整后预算数", "全年预算数", "调整预算数", "调整后预算", "全年预算")
YEAR_HEADERS = ("年度", "预算年度", "year")
OVERALL_NAMES = ("", "整体", "部门整体", "单位整体", "合计", "整体支出")
#: The field keys a handed-out workbook locks.
GIVEN = ("unit", "year", "department", "name", "funds.total.initial", "funds.total.budget")
_HINT = ("预算清单应有“单位名称”列和“年初预算数”或“调整后预算数”列（另可有单位编码、主管部门、项目名称、年度），"
         "第一行（或标题下的一行）为表头，可以是 CSV、文本或 Excel 工作簿。")


@dataclass
class Project:
    name: str
    initial: Decimal | None = None
    budget: Decimal | None = None


@dataclass
class UnitBudget:
    code: str
    unit: str
    department: str = ""
    year: int | None = None
    overall: Project | None = None
    projects: list[Project] = field(default_factory=list)


def _norm(text: str) -> str:
    return re.sub(r"[\s（）()]", "", text or "").casefold()


def _find(header: list[str], names: tuple[str, ...]) -> tuple[int | None, bool]:
    """(column, in 元) of the first header that is one of ``names`` (（元）/（万元） stripped)."""
    cols = {}
    for i, h in enumerate(header):
        text = _norm(h.lstrip("\ufeff"))
        yuan = text.endswith("元") and not text.endswith("万元")
        text = re.sub(r"(万元|元)$", "", text)
        cols.setdefault(text, (i, yuan))
    for n in names:
        got = cols.get(_norm(n))
        if got is not None:
            return got
    return None, False


def _amount(text: str, yuan: bool, where: str) -> Decimal | None:
    t = (text or "").strip().replace(",", "").replace("，", "")
    if t in ("", "-", "—", "无"):
        return None
    try:
        v = Decimal(t)
    except InvalidOperation:
        raise UsageError(f"{where}：金额“{text}”无法识别。{_HINT}") from None
    return (v / Decimal(10000)).quantize(Decimal("0.01")) if yuan else v


def read_budget_list(path: str | Path, year: int | None = None) -> list[UnitBudget]:
    """The units of a budget list, in the order they first appear. UsageError (exit 3) when unusable."""
    from .read.safety import _OLE_MAGIC, _ZIP_MAGIC
    from .read.unitlist import HEADER_SEARCH_ROWS, _book_rows, _decode, _read, _text_rows

    file = str(path)
    data = _read(file, file)
    rows: Iterable[list[str]]
    if data[:4] == _ZIP_MAGIC or data[:8] == _OLE_MAGIC:
        rows = _book_rows(file, file, data)
    else:
        rows = _text_rows(_decode(data, file), file)
    it = iter(rows)
    head: list[str] | None = None
    for n, row in enumerate(it):
        if _find(row, UNIT_HEADERS)[0] is not None and (_find(row, INITIAL_HEADERS)[0] is not None
                                                        or _find(row, BUDGET_HEADERS)[0] is not None):
            head = row
            break
        if n + 1 >= HEADER_SEARCH_ROWS:
            break
    if head is None:
        raise UsageError(f"预算清单 {file} 中没有找到表头。{_HINT}")
    col = {k: _find(head, names) for k, names in (
        ("code", CODE_HEADERS), ("unit", UNIT_HEADERS), ("department", DEPARTMENT_HEADERS),
        ("project", PROJECT_HEADERS), ("initial", INITIAL_HEADERS), ("budget", BUDGET_HEADERS),
        ("year", YEAR_HEADERS))}
    if col["initial"][0] == col["budget"][0]:            # 预算数 alone: the adjusted budget is the same
        col["budget"] = (None, False)

    def get(row: list[str], k: str) -> str:
        i = col[k][0]
        return row[i].strip() if i is not None and i < len(row) else ""

    units: dict[str, UnitBudget] = {}
    for n, row in enumerate(it, start=2):
        name = get(row, "unit")
        if not name:
            continue
        where = f"预算清单 {file} 第 {n} 行"
        code = get(row, "code")
        key = code or _norm(name)
        u = units.get(key)
        if u is None:
            y = get(row, "year")
            u = units[key] = UnitBudget(code, name, get(row, "department"),
                                        int(y) if y.isdigit() else year)
        proj = Project(get(row, "project"), _amount(get(row, "initial"), col["initial"][1], where),
                       _amount(get(row, "budget"), col["budget"][1], where))
        if proj.budget is None and col["budget"][0] is None:
            proj.budget = proj.initial
        if _norm(proj.name) in OVERALL_NAMES:
            u.overall = proj
        else:
            u.projects.append(proj)
    if not units:
        raise UsageError(f"预算清单 {file} 只有表头，没有列出任何单位。{_HINT}")
    return list(units.values())


def _flat(u: UnitBudget, year: int) -> dict:
    overall = {"unit": u.unit, "year": year}
    if u.overall is not None:
        overall.update({"funds.total.initial": u.overall.initial, "funds.total.budget": u.overall.budget})
    projects = [{"__fields__": {k: v for k, v in {
        "name": p.name, "unit": u.unit, "year": year, "department": u.department or None,
        "funds.total.initial": p.initial, "funds.total.budget": p.budget}.items() if v not in (None, "")},
        "__blocks__": {}} for p in u.projects]
    return {"basic": {"__fields__": {"unit": u.unit, "year": year}, "__blocks__": {}},
            "overall": {"__fields__": {k: v for k, v in overall.items() if v is not None}, "__blocks__": {}},
            "projects": projects}


def file_name(u: UnitBudget) -> str:
    base = f"{u.code}-{u.unit}" if u.code else u.unit
    return re.sub(r'[\\/:*?"<>|\s]+', "_", base).strip("._") + ".xlsx"


def distribute(budget_list: str | Path, out_dir: str | Path, *, year: int | None = None, deadline: str | None = None,
               force: bool = False) -> list[Path]:
    """Write one pre-filled workbook per unit of ``budget_list`` into ``out_dir``; the paths written.

    ``deadline`` (free text, e.g. 2025年3月31日) goes into the 下发说明 of each 填表说明 sheet."""
    from .write.fsutil import prepare_output
    from .write.template import TemplateOptions, write_template

    units = read_budget_list(budget_list, year)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"输出位置 {out} 是文件，请给出一个文件夹（如 下发/）。")
    paths = []
    for u in units:
        path = out / file_name(u)
        prepare_output(path, "xlsx", [budget_list], force=force)
        paths.append(path)
    if len(set(paths)) != len(paths):
        raise UsageError(f"预算清单 {budget_list} 中有两个单位的文件名相同，请检查单位编码和单位名称。")
    out.mkdir(parents=True, exist_ok=True)
    today = date.today()
    for u, path in zip(units, paths):
        y = u.year or year or today.year - 1
        opts = TemplateOptions(unit=u.unit, year=y, projects=max(1, len(u.projects)), department=u.department or None,
                               given=GIVEN, handout={"单位编码": u.code, "主管部门": u.department,
                                                     "下发日期": f"{today.year}年{today.month}月{today.day}日",
                                                     "交回截止日期": deadline or ""})
        write_template(path, opts, _flat(u, y))
    return paths
