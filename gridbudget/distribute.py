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

With ``--targets`` the 绩效目标申报表 (:mod:`gridbudget.read.targets`) are matched to the list's projects
(:func:`match_targets`) and each project's declared 年度目标 and indicators are pre-filled, locked and
recorded row by row; the F- rules then say which indicator was dropped, renamed or added and which
target lowered. :func:`fill_into` (``gridbudget fill --into``) writes a unit's JSON data into a
handed-out workbook, keeping everything that was handed out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from .errors import UsageError
from .read.unitlist import DEPARTMENT_HEADERS, UNIT_HEADERS     # the same columns as the --units list

if TYPE_CHECKING:
    from .read.targets import Declaration

CODE_HEADERS = ("单位编码", "单位代码", "预算单位编码", "单位编号", "编码", "code")
PROJECT_HEADERS = ("项目名称", "项目", "预算项目", "项目支出名称", "project")
INITIAL_HEADERS = ("年初预算数", "年初预算", "年初数", "年初预算金额", "预算数")
BUDGET_HEADERS = ("调整后预算数", "全年预算数", "调整预算数", "调整后预算", "全年预算")
YEAR_HEADERS = ("年度", "预算年度", "year")
OVERALL_NAMES = ("", "整体", "部门整体", "单位整体", "合计", "整体支出")
#: The field keys a handed-out workbook locks; with ``--targets`` also the declared goals and indicators
#: (block columns, see TemplateOptions.given).
GIVEN = ("unit", "year", "department", "name", "funds.total.initial", "funds.total.budget",
         "goals.expected", "ind.name", "ind.target")
_HINT = ("预算清单应有“单位名称”列和“年初预算数”或“调整后预算数”列（另可有单位编码、主管部门、项目名称、年度），"
         "第一行（或标题下的一行）为表头，可以是 CSV、文本或 Excel 工作簿。")


@dataclass
class Project:
    name: str
    initial: Decimal | None = None
    budget: Decimal | None = None
    declared: "Declaration | None" = None      # its 绩效目标申报表 (--targets)


@dataclass
class UnitBudget:
    code: str
    unit: str
    department: str = ""
    year: int | None = None
    overall: Project | None = None
    projects: list[Project] = field(default_factory=list)
    overall_declared: "Declaration | None" = None


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


def _declared_blocks(d: "Declaration | None") -> dict[str, list[dict[str, str]]]:
    """The goals and indicator rows of a declaration, as template blocks."""
    if d is None:
        return {}
    blocks: dict[str, list[dict[str, str]]] = {}
    if d.goals:
        blocks["goals"] = [{"expected": g} for g in d.goals]
    for ind in d.indicators:
        row = {"name": ind.name}
        if ind.target:
            row["target"] = ind.target
        blocks.setdefault(ind.block, []).append(row)
    return blocks


def _flat(u: UnitBudget, year: int) -> dict:
    overall = {"unit": u.unit, "year": year}
    if u.overall is not None:
        overall.update({"funds.total.initial": u.overall.initial, "funds.total.budget": u.overall.budget})
    projects = [{"__fields__": {k: v for k, v in {
        "name": p.name, "unit": u.unit, "year": year, "department": u.department or None,
        "funds.total.initial": p.initial, "funds.total.budget": p.budget}.items() if v not in (None, "")},
        "__blocks__": _declared_blocks(p.declared)} for p in u.projects]
    return {"basic": {"__fields__": {"unit": u.unit, "year": year}, "__blocks__": {}},
            "overall": {"__fields__": {k: v for k, v in overall.items() if v is not None},
                        "__blocks__": _declared_blocks(u.overall_declared)},
            "projects": projects}


def match_targets(units: list[UnitBudget], declarations: list["Declaration"]) -> list[str]:
    """Attach each declaration to its project (by 项目名称, then 单位 when two units have a project of
    that name) or its unit's overall table (by 单位名称); one Chinese line per declaration left over."""
    from .read.targets import name_key

    notes = []
    for d in declarations:
        if d.kind == "project":
            cands = [(u, p) for u in units for p in u.projects if name_key(p.name) == name_key(d.project)]
            if len(cands) > 1 and d.unit:
                cands = [(u, p) for u, p in cands if name_key(u.unit) == name_key(d.unit)] or cands
        else:
            cands = [(u, None) for u in units if name_key(u.unit) in (name_key(d.unit), name_key(d.department))]
        if not cands:
            notes.append(f"{d.label}在预算清单中没有对应的{'项目' if d.kind == 'project' else '单位'}，没有预填。")
            continue
        if len(cands) > 1:
            notes.append(f"{d.label}在预算清单中对应多个单位（{'、'.join(u.unit for u, _p in cands)}），"
                         "没有预填：请在申报表中写明实施单位。")
            continue
        u, p = cands[0]
        if (p.declared if p is not None else u.overall_declared) is not None:
            notes.append(f"{d.label}与另一张申报表是同一个{'项目' if p is not None else '单位'}，只预填了第一张。")
            continue
        if p is not None:
            p.declared = d
        else:
            u.overall_declared = d
        if d.unplaced:
            notes.append(f"{d.label}中有 {len(d.unplaced)} 个指标（如“{d.unplaced[0]}”）不在标准的一级、二级指标下，"
                         "没有预填，请单位自行填写。")
    return notes


def file_name(u: UnitBudget) -> str:
    base = f"{u.code}-{u.unit}" if u.code else u.unit
    return re.sub(r'[\\/:*?"<>|\s]+', "_", base).strip("._") + ".xlsx"


def distribute(budget_list: str | Path, out_dir: str | Path, *, year: int | None = None, deadline: str | None = None,
               force: bool = False, targets: Iterable[str | Path] = (), notes: list[str] | None = None,
               timeout: float | None = None) -> list[Path]:
    """Write one pre-filled workbook per unit of ``budget_list`` into ``out_dir``; the paths written.

    ``deadline`` (free text, e.g. 2025年3月31日) goes into the 下发说明 of each 填表说明 sheet.
    ``targets``: 绩效目标申报表 files, folders or .zip archives; each project's declared 年度目标 and
    indicators are pre-filled and locked. What could not be used is appended to ``notes`` (Chinese);
    a 申报表 that cannot be read at all (or not within ``timeout`` seconds) raises InputError (exit 2)
    before anything is written."""
    from .errors import InputError
    from .read.targets import read_targets
    from .write.fsutil import prepare_output
    from .write.template import TemplateOptions, write_template

    units = read_budget_list(budget_list, year)
    targets = [str(t) for t in targets]
    if targets:
        declarations, problems = read_targets(targets, timeout)        # each file in a worker, under the time limit
        if problems:
            raise InputError("绩效目标申报表无法使用，没有下发：\n" + "\n".join(problems))
        left = match_targets(units, declarations)
        if notes is not None:
            notes.extend(left)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"输出位置 {out} 是文件，请给出一个文件夹（如 下发/）。")
    paths = []
    for u in units:
        path = out / file_name(u)
        prepare_output(path, "xlsx", [budget_list, *targets], force=force)
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
                                                     "交回截止日期": deadline or "",
                                                     "申报目标": u.overall_declared is not None
                                                     or any(p.declared is not None for p in u.projects)})
        write_template(path, opts, _flat(u, y))
    return paths


# ---------------------------------------------------------------------------
# gridbudget fill --into: a unit's data into the workbook the bureau handed out
# ---------------------------------------------------------------------------
def _merge_table(base: dict, new: dict | None, fixed: dict[str, str], rows: dict[str, dict[int, set[str]]],
                 where: str, kind: str, notes: list[str]) -> dict:
    """``base`` (what the handed-out table holds) with ``new`` (the unit's data) written over everything
    but the handed-out values: fixed field keys, and the handed-out columns of repeated rows (matched
    by 三级指标 name for indicators, by position for goals)."""
    from . import forms
    from .read.targets import target_key

    labels = forms.fields_of(kind)

    def label(key: str) -> str:
        f = labels.get(key)
        return f.label.format(year="本", prev_year="上") if f is not None else key

    fields = dict(base["__fields__"])
    blocks = {k: [dict(r) for r in v] for k, v in base["__blocks__"].items()}
    if not new:
        return {"__fields__": fields, "__blocks__": blocks}
    for k, v in new["__fields__"].items():
        if k in fixed:
            if target_key(str(v)) != target_key(str(fields.get(k, ""))) and str(v) != fixed[k]:
                notes.append(f"{where}的{label(k)}是下发数，保留下发值“{fixed[k]}”（数据中为“{v}”）。")
            continue
        fields[k] = v
    for block, new_rows in new["__blocks__"].items():
        handed = rows.get(block)
        if not handed:
            blocks[block] = [dict(r) for r in new_rows]
            continue
        have = blocks.setdefault(block, [])
        for i, r in enumerate(new_rows):
            if block.startswith("ind."):
                j = next((j for j, b in enumerate(have) if target_key(b.get("name", "")) == target_key(r.get("name", ""))),
                         None)
            else:
                j = i if i < len(have) else None
            if j is None:
                have.append(dict(r))
                continue
            locked = handed.get(j, set())
            for col, v in r.items():
                if col in locked:
                    if target_key(str(v)) != target_key(str(have[j].get(col, ""))):
                        whose = f"三级指标“{have[j].get('name')}”的" if block.startswith("ind.") else f"第 {j + 1} 行的"
                        notes.append(f"{where}{whose}{label(block + '.' + col)}是下发的，保留下发值“{have[j].get(col)}”"
                                     f"（数据中为“{v}”）。")
                    continue
                have[j][col] = v
    return {"__fields__": fields, "__blocks__": blocks}


def fill_into(data_path: str | Path, into: str | Path, output: str | Path, *, force: bool = False) -> list[str]:
    """Write ``output``: the handed-out workbook ``into`` with the unit's JSON data filled in, the
    handed-out figures, goals and indicators kept (and still locked), the 下发信息 record and its
    fingerprint carried over. Returns Chinese notes on data that was not written (a handed-out value)."""
    from .errors import UsageError
    from .read.explain import read_submission
    from .read.handout import parse_row_key
    from .read.export import export_table
    from .read.targets import name_key
    from .submission import _decimals, flatten, flatten_table, load_json, place_groups
    from .write.fsutil import prepare_output
    from .write.template import TemplateOptions, write_template

    prepare_output(output, "xlsx", [data_path, into], force=force)
    nested = load_json(data_path)
    notes: list[str] = []
    new = flatten(nested, source=str(data_path), notes=notes)
    sub, _expl = read_submission(into)
    h = sub.handout
    if h is None:
        raise UsageError(f"{into} 不是财政局下发（gridbudget distribute）的工作簿：--into 只用于下发的工作簿，"
                         "其他情况请直接 gridbudget fill 数据.json -o 输出.xlsx。")
    fixed: dict[str, dict[str, str]] = {}
    rows: dict[str, dict[str, dict[int, set[str]]]] = {}
    for item in h.items:
        parsed = parse_row_key(item.key)
        if parsed is not None:
            block, index, col = parsed
            rows.setdefault(item.sheet, {}).setdefault(block, {}).setdefault(index, set()).add(col)
        else:
            fixed.setdefault(item.sheet, {})[item.key] = item.value

    def base(td):
        flat = _decimals(flatten_table(td.kind, export_table(td)[0]))
        place_groups(td.kind, flat, td.label)         # the handed-out sheet's own renamed sections, as they were
        return flat

    def merged(td, new_part):
        return _merge_table(base(td), new_part, fixed.get(td.sheet, {}), rows.get(td.sheet, {}),
                            f"工作表“{td.sheet}”", td.kind, notes)

    flat: dict = {}
    for part, td in (("basic", sub.basic), ("overall", sub.overall)):
        if td is not None:
            flat[part] = merged(td, new.get(part))
    left = list(new["projects"])
    projects = []
    for td in sub.projects:
        key = name_key(td.get("name").text())
        j = next((j for j, p in enumerate(left) if name_key(str(p["__fields__"].get("name", ""))) == key), None)
        projects.append(merged(td, left.pop(j) if j is not None else None))
    for p in left:
        notes.append(f"数据中的项目“{p['__fields__'].get('name', '（无名称）')}”不是下发的项目，另起一张项目表写入。")
        projects.append(p)
    flat["projects"] = projects
    info = {k: v for k, v in h.info.items() if k != "指纹"}
    info["申报目标"] = any(block.startswith("ind.") for r in rows.values() for block in r)
    year = sub.overall.year if sub.overall is not None and sub.overall.year else None
    year = year or int(h.info.get("年度") or 0) or None
    opts = TemplateOptions(unit=h.info.get("单位名称") or None, year=year, projects=max(1, len(projects)),
                           department=h.info.get("主管部门") or None, given=GIVEN, handout=info)
    write_template(output, opts, flat)
    return notes
