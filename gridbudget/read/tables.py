"""Read a filled workbook into a :class:`~gridbudget.model.Submission`.

Two strategies, both driven by :mod:`gridbudget.forms`:

* a sheet made from the gridbudget template carries sheet-scoped defined names for
  every field and every block column: it is read through them, so inserted rows,
  moved blocks and copied project sheets read right; a section whose level cell names another level
  (项目决策, 规划 … as ``gridbudget fill`` writes such groups) is keyed as the label reader keys it;
* any other sheet is read by its labels: the official labels (and the synonyms other
  provinces use) locate each table, its header rows and its columns, whatever the
  sheet names, merged cells, spacer rows or extra columns. A sheet may hold several
  tables one below the other.

The label reader is split by what it reads: :mod:`.grid` (a sheet's label text, titles,
vocabulary, values from cells), :mod:`.basic` (the 基础数据表), :mod:`.evaltable` (a
self-evaluation table's blocks: header, funds, goals, text) and :mod:`.indicators` (the
indicator grids, weights and the family a table is placed in). This module finds the
tables in each sheet and assembles the submission.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable


from .. import forms
from .book import Book, ReadError, Sheet, open_book
from ..model import ReadProblem, Submission, TableData
from .basic import _read_basic
from .evaltable import _funds_header, _read_eval_table
from .grid import _Grid, _YEAR, _is_title, _val, norm, split_weight  # noqa: F401  (norm, split_weight: re-exported)
from .indicators import _indicator_headers, level2_key, template_levels  # noqa: F401  (level2_key: re-exported)


# ---------------------------------------------------------------------------
# Template sheets: defined names
# ---------------------------------------------------------------------------
def _sheet_names(book: Book, sheet: Sheet) -> dict[str, tuple[int, int, int, int]]:
    names: dict[str, tuple[int, int, int, int]] = {}
    for n, (sname, r1, c1, r2, c2) in book.names.items():
        if sname == sheet.name and n.startswith(forms.NAME_PREFIX):
            names[n] = (r1, c1, r2, c2)
    names.update({n: ref for n, ref in sheet.names.items() if n.startswith(forms.NAME_PREFIX)})
    return names


def template_kind(names: dict[str, tuple[int, int, int, int]]) -> str | None:
    """The table a sheet was made from by its defined names (:func:`_sheet_names`), None for a sheet not
    made from a template."""
    for key in forms.TABLES:
        if forms.FORM_MARKER + key in names:
            return key
    return None


def read_template_sheet(sheet: Sheet, kind: str, names: dict[str, tuple[int, int, int, int]]) -> TableData:
    targets = forms.name_targets(kind)
    table = TableData(kind, sheet.name, "template")
    columns: dict[str, dict[str, tuple[int, int, int]]] = {}
    for name, (r1, c1, r2, _c2) in names.items():
        target = targets.get(name)
        if target is None:
            continue
        key, block = target
        if block is None:
            table.fields[key] = _val(sheet, r1, c1, anchor=False)     # names point at anchors
        else:
            columns.setdefault(block, {})[key[len(block) + 1:]] = (r1, r2, c1)
    for block, cols in columns.items():
        first = min(r1 for r1, _r2, _c in cols.values())
        last = max(r2 for _r1, r2, _c in cols.values())
        rows = []
        cells = sheet.cells
        for r in range(first, last + 1):
            # most template rows are left empty: skip them before building values
            if not any((r, c) in cells for _r1, _r2, c in cols.values()):
                continue
            row = {ck: _val(sheet, r, c, anchor=False) for ck, (_r1, _r2, c) in cols.items()}
            if any(not v.empty or v.error or v.uncomputed for v in row.values()):
                rows.append(row)
        table.blocks[block] = rows
    template_levels(table)        # sections renamed to other level names (项目决策, 规划 …): keyed as the label reader keys them
    title = sheet.value(0, 0)
    m = _YEAR.search(str(title or ""))
    table.title_year = int(m.group(1)) if m else None
    return table




# ---------------------------------------------------------------------------
# Tables in a sheet
# ---------------------------------------------------------------------------
def _classify(grid: _Grid, r1: int, r2: int) -> str | None:
    has = lambda *ws: grid.first(lambda t: any(w in t for w in ws), r1, r2) is not None  # noqa: E731
    if has("经费控制情况", "财政供养人员"):
        return "basic"
    if has("年度资金总额", "资金总额") or (has("年初预算") and has("全年执行数", "预算执行数", "全年预算数", "调整后预算")):
        if has("项目支出名称", "项目名称"):
            return "project"
        if has("按收入性质", "按支出性质", "部门名称", "单位名称", "一般公共预算"):
            return "overall"
        if has("当年财政拨款", "本年财政拨款", "上年结转"):
            return "project"
        return "overall"
    if _indicator_headers(grid, r1, r2) or _funds_header(grid, r1, r2) is not None:
        # a table read by its indicator grid or its funds block alone (a table's tail on its own sheet,
        # 20/80 and rubric tables): a project table unless it names a department
        return "overall" if has("部门名称", "部门整体", "预算部门") and not has("项目名称") else "project"
    return None


def segments(grid: _Grid) -> list[tuple[str, int, int]]:
    """(kind, first row, last row) of each table on the sheet; kind "unknown" for a title
    over a table that matches no family (reported, never read as empty)."""
    titles = []
    for r in sorted(grid.rows):
        for c in grid.cols(r):
            t = grid.text.get((r, c))
            kind = _is_title(t) if t else None
            if kind:
                titles.append((r, kind))
                break
    out = []
    if not titles:
        kind = _classify(grid, 0, grid.maxrow)
        return [(kind, 0, grid.maxrow)] if kind else []
    for i, (r, kind) in enumerate(titles):
        end = titles[i + 1][0] - 1 if i + 1 < len(titles) else grid.maxrow
        actual = _classify(grid, r, end)
        if actual is None:
            out.append(("unknown", r, end))
            continue
        if kind in ("overall", "project") and actual in ("overall", "project"):
            actual = kind          # the title says which of the two self-evaluation tables it is
        out.append((actual, r, end))
    if titles and titles[0][0] > 0:   # a table above the first title (no title of its own)
        kind = _classify(grid, 0, titles[0][0] - 1)
        if kind and not any(k == kind and a == 0 for k, a, _ in out):
            out.insert(0, (kind, 0, titles[0][0] - 1))
    return out


# ---------------------------------------------------------------------------
# The whole workbook
# ---------------------------------------------------------------------------
def read_book(book: Book) -> Submission:
    sub = Submission(book.path, book.kind, book.sha256)
    sub.hidden_sheets = {s.name: s.state for s in book.sheets if s.state != "visible"}
    for s in book.sheets:
        if s.skipped:
            sub.problems.append(ReadProblem("sheet_skipped", f"工作表“{s.name}”{s.skipped}：如果自评表在这张工作表上，"
                                            "请删除多余的行列后另存再提交。", s.name))
    found: list[TableData] = sub.found
    for sheet in book.sheets:
        if sheet.name == forms.GUIDE_SHEET:
            continue
        names = _sheet_names(book, sheet)
        kind = template_kind(names)
        if kind is not None:
            found.append(read_template_sheet(sheet, kind, names))
            continue
        grid = _Grid(sheet)
        for kind, r1, r2 in segments(grid):
            if kind == "basic":
                found.append(_read_basic(grid, r1, r2))
            elif kind == "unknown":
                sub.problems.append(_form_unknown(grid, r1, r2))
            else:
                found.append(_read_eval_table(grid, r1, r2, kind))
    for td in found:
        _unplaced(sub, td)
        for code, r, c, text in td.notes:
            sub.problems.append(ReadProblem(code, f"一级指标单元格为空，已按二级指标“{text}”推定其一级指标。",
                                            td.sheet, forms.a1(r, c)))
        if td.fam.declaration:          # targets declared at budget time (distribute --targets), not a self-evaluation
            sub.problems.append(ReadProblem(
                "read_note", f"工作表“{td.sheet}”是{td.fam.name}（编制预算时申报的绩效目标），不是自评表，没有审核。",
                td.sheet, key="declaration"))
        elif td.kind == "basic":
            if sub.basic is None:
                sub.basic = td
            else:
                sub.problems.append(ReadProblem(
                    "read_note", f"工作表“{td.sheet}”中又有一张基础数据表，只读取了第一张（“{sub.basic.sheet}”）。", td.sheet))
        elif td.kind == "overall":
            if sub.overall is None:
                sub.overall = td
            else:
                sub.problems.append(ReadProblem(
                    "read_note", f"工作表“{td.sheet}”中又有一张整体支出自评表，只读取了第一张（“{sub.overall.sheet}”）。",
                    td.sheet))
        elif _blank_project(td):
            sub.problems.append(ReadProblem("read_note", f"工作表“{td.sheet}”是没有填写的项目支出自评表，已忽略。", td.sheet,
                                            key="spare_project"))
        else:
            sub.projects.append(td)
    return sub


def _unplaced(sub: Submission, td: TableData) -> None:
    """Rows the family's indicator system cannot place: under an unknown 一级 in a family with
    standard levels (产出 / 效益 / 满意度). They are reported once and left out of the checks; on a template
    sheet (sections renamed to other 一级) they are reported and kept (:func:`_renamed_sections`)."""
    unplaced = td.blocks.pop("__unplaced__", [])
    if td.fam.level_weights:
        others = [b for b in td.blocks if b.startswith("ind.") and b.count(".") == 2 and b.split(".")[1] not in forms.LEVEL1_KEYS]
        if td.source == "template" and others:
            _renamed_sections(sub, td, others)
            return
        for block in others:
            unplaced.extend(td.blocks.pop(block))
    td.unplaced = len(unplaced)
    if unplaced:
        anchor = next((v for v in unplaced[0].values() if v.cell), None)
        names = "、".join(f"“{r['name'].text()}”" for r in unplaced[:3] if r.get("name") and r["name"].text())
        sub.problems.append(ReadProblem(
            "indicator_level_unknown",
            f"{td.label}中有 {len(unplaced)} 个三级指标（如{names or '首行'}）无法归入一级/二级指标"
            "（产出、效益、满意度及其二级指标），这些行未纳入审核，权重与指标完整性也不再判断。",
            anchor.sheet if anchor else td.sheet, anchor.cell if anchor else None))


def _renamed_sections(sub: Submission, td: TableData, blocks: list[str]) -> None:
    """A template table of a family with standard levels whose sections were renamed to other 一级 (a
    unit's own indicator system typed over the template's names): the rows stay, as written, and are
    checked row by row (export carries them as groups); the checks by 产出 / 效益 / 满意度 are not made."""
    rows = [r for b in blocks for r in td.blocks[b]]
    td.unplaced = len(rows)
    anchor = next((v for v in rows[0].values() if v.cell), None)
    levels = "、".join(dict.fromkeys(f"“{td.get(b.rsplit('.', 1)[0] + '.label').text()}”" for b in blocks
                                     if td.get(b.rsplit(".", 1)[0] + ".label").text()))
    sub.problems.append(ReadProblem(
        "indicator_level_unknown",
        f"{td.label}中有 {len(rows)} 个三级指标写在改为其他一级指标{levels and '（' + levels + '）'}的模板栏目中，"
        f"不属于产出、效益、满意度指标：这些行照常审核，一级指标权重、分值合计与指标完整性不再按{td.fam.name}判断。",
        anchor.sheet if anchor else td.sheet, anchor.cell if anchor else None))


def _form_unknown(grid: _Grid, r1: int, r2: int) -> ReadProblem:
    """A titled table whose blocks match no family: what was recognised, what was not."""
    title = grid.first(lambda t: _is_title(t) is not None, r1, r2)
    seen = [w for w, found in (("资金表头", _funds_header(grid, r1, r2) is not None),
                               ("指标表头", bool(_indicator_headers(grid, r1, r2))),
                               ("年度总体目标", grid.first(lambda t: "目标" in t, r1 + 1, r2) is not None)) if found]
    missing = [w for w in ("资金表头（预算数、执行数、执行率）", "指标表头（三级指标、指标值、完成值、分值、得分）")
               if w[:4] not in seen]
    text = grid.text.get(title, "") if title else ""
    return ReadProblem("form_unknown",
                       f"表式未识别：识别到标题“{text}”" + (f"和{'、'.join(seen)}" if seen else "")
                       + f"，未识别到{'、'.join(missing)}；这张表没有读取。", grid.sheet.name,
                       forms.a1(*title) if title else None, found=text)


def _blank_project(td: TableData) -> bool:
    """A project sheet nobody filled in (a spare sheet of the template): no name, no money, no indicators."""
    if not td.get("name").empty:
        return False
    if any(not td.get(f"funds.total.{k}").empty for k in ("initial", "budget", "executed", "score")):
        return False
    return not any(rows for b, rows in td.blocks.items() if b.startswith("ind."))


LOOKED_FOR = "基础数据表（经费控制情况、财政供养人员情况）、整体支出自评表（年度资金总额、按收入性质分）、项目支出自评表（项目支出名称、当年财政拨款）"


def _cell_problems(sub: Submission) -> None:
    """Formula errors and formulas never computed, in the cells a table reads."""
    for td in sub.tables:
        computed = forms.computed_keys(td.kind)
        values = list(td.fields.items())
        values += [(f"{b}.{c}", v) for b, rows in td.blocks.items() for row in rows for c, v in row.items()]
        for key, v in values:
            if v.error:
                sub.problems.append(ReadProblem(
                    "formula_error", f"单元格是公式错误 {v.error}，无法读取其数值；请检查公式引用和除数。",
                    v.sheet, v.cell, key, v.error))
            elif v.uncomputed and key not in computed:
                sub.problems.append(ReadProblem(
                    "uncomputed_formula", "单元格是没有计算结果的公式（文件未经 Excel/WPS 打开保存），未按 0 处理，"
                    "视为未填写；请用 Excel 或 WPS 打开并保存后再提交。", v.sheet, v.cell, key, "=" + (v.formula or "")))


def read_submission(path: str | Path, *, data: bytes | None = None) -> Submission:
    """Open and read a workbook.

    Raises :class:`gridbudget.read.book.ReadError` when the file cannot be read or holds
    none of the three tables (code ``no_tables``).
    """
    book = open_book(path, data=data)
    sub = read_book(book)
    check_found(sub, path)
    _cell_problems(sub)
    return sub


def check_found(sub: Submission, path: str | Path) -> None:
    """Raise ReadError ``no_tables`` when the workbook holds no self-evaluation table (and no table of
    an unknown layout, which is reported as such); a workbook of 绩效目标申报表 only is named as one."""
    if sub.tables or any(p.code == "form_unknown" for p in sub.problems):
        return
    name = Path(path).name
    declared = [td for td in sub.found if td.fam.declaration]
    if declared:
        raise ReadError("no_tables", str(path),
                        f"文件 {name} 是{declared[0].fam.name}（编制预算时申报的绩效目标），不是绩效自评附表，没有审核。"
                        "申报表用于下发自评表时预填目标：gridbudget distribute 预算清单 --targets 申报表文件或文件夹。")
    raise ReadError("no_tables", str(path),
                    f"文件 {name} 中没有找到三张附表中的任何一张。查找了：{LOOKED_FOR}。"
                    "请确认提交的是绩效自评附表，或改用 gridbudget template 生成的标准模板填写。")


def read_many(paths: Iterable[str | Path]):
    for p in paths:
        yield read_submission(p)
