"""F- rules: what the bureau handed out (``gridbudget distribute``) must come back unchanged.

A handed-out workbook carries a very hidden 下发信息 sheet (``sub.handout``, read by
:mod:`gridbudget.read.handout`): the unit, year, template version, the handed-out figures
(unit, project names, 年初预算数, 调整后预算数 …; with ``--targets`` the declared 年度目标,
三级指标 and 指标值) by sheet, cell and field key, and a fingerprint over them. Sheet protection
without a password is easy to remove, so these rules compare what came back with the record,
on the cell. Declared indicators are matched by name, wherever they moved: a name that is gone
is dropped (or renamed, when another name stands in its cell), a name nobody declared is added,
a 指标值 made easier to reach (a smaller ≥ target, a larger ≤ target) is lowered. Only an added
indicator or project can be explained (a mid-year task); the bureau's figures are changed by
the bureau. A profile may change any severity (``[rules]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ... import forms
from ...read.handout import HANDOUT_SHEET, parse_row_key
from ...read.targets import target_key
from ...read.values import parse_quantity
from ..engine import Ctx, Hit, rule
from ..findings import ERROR, KIND_HANDOUT, WARNING
from ..indicators import money_of

HANDOUT_CODES = ("F-FIGURE-CHANGED", "F-TABLE-MISSING", "F-RECORD-CHANGED", "F-INDICATOR-DROPPED",
                 "F-INDICATOR-RENAMED", "F-INDICATOR-ADDED", "F-TARGET-LOWERED", "F-TABLE-ADDED")
_SOURCE = "下发记录（gridbudget distribute）"


def _handout(ctx: Ctx):
    return getattr(ctx.sub, "handout", None)


def _tables(ctx: Ctx, sheet: str):
    return [t for t in ctx.sub.tables if t.sheet == sheet]


def _current(val, handed: str):
    """(same, shown) of the value in the workbook against the handed-out text."""
    try:
        want = Decimal(handed)
    except (InvalidOperation, ValueError):
        text = val.text() if not val.empty else ""
        return text.strip() == handed.strip(), text or None
    got = val.amount_value()
    if got is None:
        got = val.number_value() if hasattr(val, "number_value") else None
    if got is None:
        return False, (val.text() or None) if not val.empty else None
    return abs(got - want) < Decimal("0.005"), got


def _label(td, key: str) -> str:
    """The form's label of a handed-out field (a repeated row's column by its block column key)."""
    f = forms.fields_of(td.kind).get(key)
    return f.label.format(year="本", prev_year="上") if f is not None else key


@dataclass
class _Declared:
    """A handed-out repeated row (a declared indicator or goal): its cells and values by column."""

    sheet: str
    block: str
    index: int
    cells: dict[str, str]
    values: dict[str, str]

    @property
    def name(self) -> str:
        return self.values.get("name", "")


def _rows(h) -> dict[str, list[_Declared]]:
    """The handed-out repeated rows by sheet, in record order."""
    out: dict[tuple[str, str, int], _Declared] = {}
    for item in h.items:
        parsed = parse_row_key(item.key)
        if parsed is None:
            continue
        block, index, col = parsed
        row = out.setdefault((item.sheet, block, index), _Declared(item.sheet, block, index, {}, {}))
        row.cells[col], row.values[col] = item.cell, item.value
    by_sheet: dict[str, list[_Declared]] = {}
    for row in out.values():
        by_sheet.setdefault(row.sheet, []).append(row)
    return by_sheet


@rule("F-FIGURE-CHANGED", KIND_HANDOUT, ERROR, "下发数被改动",
      "财政局下发（gridbudget distribute）并锁定的单位名称、项目名称、年初预算数、调整后预算数、申报的年度目标和指标值等，"
      "交回时与下发时不同（工作表保护没有密码，可以被取消）。按工作簿中隐藏的下发记录逐格核对（指标按名称核对，"
      "被调低的指标值另见 F-TARGET-LOWERED）；下发数有误应由财政局重新下发。", _SOURCE, explainable=False)
def figure_changed(ctx: Ctx):
    h = _handout(ctx)
    if h is None:
        return
    for item in h.items:
        if parse_row_key(item.key) is not None:
            continue                                   # repeated rows: below and in the indicator rules
        tables = _tables(ctx, item.sheet)
        if not tables:
            continue                                   # F-TABLE-MISSING
        td = tables[0]
        val = td.get(item.key)
        same, found = _current(val, item.value)
        if same:
            continue
        hit = Hit(td, val if val.cell else None, f"{_label(td, item.key)}下发为“{item.value}”，交回时为“{found if found is not None else '（空）'}”："
                  "下发数不能由单位修改，请恢复下发数；如下发数有误，请联系财政局重新下发。",
                  expected=item.value, found=found, key=item.key)
        if not val.cell:
            hit.sheet, hit.cell = item.sheet, item.cell
        yield hit
    for sheet, rows in _rows(h).items():
        tables = _tables(ctx, sheet)
        if not tables:
            continue
        td = tables[0]
        goals = td.rows("goals")
        for row in rows:
            if row.block == "goals":                   # the declared 年度目标, row by row
                want = row.values.get("expected", "")
                got = goals[row.index].get("expected") if row.index < len(goals) else None
                text = got.text() if got is not None and not got.empty else ""
                if not _same(want, text):
                    hit = Hit(td, got if got is not None and got.cell else None,
                              f"申报的年度目标下发为“{want}”，交回时为“{text or '（空）'}”：年度目标不能由单位修改，"
                              "完成情况请写在“实际完成情况”栏。", expected=want, found=text or None, key="goals.expected")
                    if hit.val is None:
                        hit.sheet, hit.cell = sheet, row.cells.get("expected")
                    yield hit
        matched, renamed, _dropped, _added = _matches(ctx, td, rows)
        for d, ind in matched + renamed:               # a renamed row's 指标值 is compared with what was declared there
            want, got = d.values.get("target", ""), ind.get("target")
            text = got.text() if not got.empty else ""
            if "target" in d.values and not _same(want, text) and not _lowered(ctx, want, text, ind):
                yield Hit(td, got if got.cell else ind.anchor,
                          f"三级指标“{d.name}”的指标值下发为“{want}”，交回时为“{text or '（空）'}”：申报的指标值不能由单位修改。",
                          expected=want, found=text or None, key=f"{ind.block}.target")


def _matches(ctx: Ctx, td, rows: list[_Declared]):
    """(matched, renamed, dropped, added) of a table's declared indicators against its rows now:
    matched and renamed are (declared, indicator) pairs, dropped declared rows, added indicators."""
    return ctx.per_table("handout_matches", td, lambda t: _match(ctx, t, rows))


def _match(ctx: Ctx, td, rows: list[_Declared]):
    declared = [d for d in rows if d.block.startswith("ind.") and d.name]
    now = [ind for ind in ctx.inds(td) if ind.name]
    by_name: dict[str, list] = {}
    for ind in now:
        by_name.setdefault(target_key(ind.name), []).append(ind)
    used: set[int] = set()
    matched, left = [], []
    for d in declared:
        cands = [i for i in by_name.get(target_key(d.name), []) if id(i) not in used]
        if cands:
            used.add(id(cands[0]))
            matched.append((d, cands[0]))
        else:
            left.append(d)
    renamed, dropped = [], []
    for d in left:
        cell = d.cells.get("name")
        ind = next((i for i in now if id(i) not in used and i.get("name").cell == cell), None)
        if ind is not None:
            used.add(id(ind))
            renamed.append((d, ind))
        else:
            dropped.append(d)
    added = [i for i in now if id(i) not in used] if declared else []
    return matched, renamed, dropped, added


def _same(handed: str, now: str) -> bool:
    """A handed-out text and the cell's text now say the same: equal as numbers (the record keeps
    numbers with two decimals: 95.00 for 95), else equal once normalised (full-width, blanks)."""
    try:
        return abs(Decimal(handed) - Decimal(now.replace(",", ""))) < Decimal("0.005")
    except (InvalidOperation, ValueError):
        return target_key(now) == target_key(handed)


def _lowered(ctx: Ctx, declared: str, now: str, ind) -> bool:
    """The returned 指标值 is easier to reach than the declared one: a smaller number for a ≥ / = target,
    a larger one for a ≤ target, or the direction turned round. Text that cannot be compared is not."""
    a, b = parse_quantity(declared), parse_quantity(now)
    if a.value is None or b.value is None or a.qualitative or b.qualitative:
        return False
    va, vb = a.value, b.value
    if a.unit != b.unit:
        ma, mb = money_of(a), money_of(b)
        if ma is not None and mb is not None:
            va, vb = ma, mb                   # 50万元 against 400000元
        elif ma is not None or mb is not None or (a.unit and b.unit):
            return False                      # units that cannot be compared (次 against 人): changed, not lowered
        # else one side has no unit (≥120个 against ≥100): the numbers are compared as they are
    bare = "bare_target_cost" if ind.level2_key == "cost" else "bare_target_other"
    op_a = a.op or ctx.profile.get("indicators", bare, ">=")
    op_b = b.op or op_a
    if op_a in ("<=", "<"):
        return vb > va or op_b in (">=", ">")
    return vb < va or (op_a in (">=", ">", "=", "between") and op_b in ("<=", "<"))


@rule("F-TABLE-MISSING", KIND_HANDOUT, ERROR, "下发的表不见了",
      "下发工作簿中预填的工作表（如某个项目的项目支出自评表）交回时找不到了：被删除、改名或另起了一张表。", _SOURCE,
      explainable=False)
def table_missing(ctx: Ctx):
    h = _handout(ctx)
    if h is None:
        return
    seen = set()
    for item in h.items:
        if item.sheet in seen or _tables(ctx, item.sheet):
            continue
        seen.add(item.sheet)
        name = next((i.value for i in h.items if i.sheet == item.sheet and i.key == "name"), "")
        yield Hit(None, None, f"下发的工作表“{item.sheet}”" + (f"（项目“{name}”）" if name else "")
                  + "交回时没有找到，请使用下发的工作簿和工作表填写，不要删除或改名。",
                  expected=item.sheet, found=None, sheet=item.sheet)


@rule("F-RECORD-CHANGED", KIND_HANDOUT, ERROR, "下发记录被改动",
      "工作簿中隐藏的下发记录（单位、年度、模板版本和下发数）与其指纹不符：下发记录不能修改，"
      "请使用财政局下发的原工作簿填写。记录表被取消隐藏而内容未改时为警告。", _SOURCE, explainable=False)
def record_changed(ctx: Ctx):
    h = _handout(ctx)
    if h is None:
        return
    if h.computed_hash() != h.fingerprint:
        yield Hit(None, None, "下发记录与其指纹不符：下发记录被改动过，核对以工作簿中的记录为准可能不可靠。",
                  expected=h.fingerprint[:16], found=h.computed_hash()[:16], sheet=HANDOUT_SHEET)
    elif h.state == "visible":      # LibreOffice saves "very hidden" as "hidden": only a shown record is remarked on
        yield Hit(None, None, "下发记录工作表被取消了隐藏（内容未改动）：请重新隐藏，不要修改。", expected="隐藏",
                  found="显示", sheet=HANDOUT_SHEET, severity=WARNING)


def _declared_tables(ctx: Ctx):
    """(table, its declared rows) of every returned table that was handed out with indicators."""
    h = _handout(ctx)
    if h is None:
        return
    for sheet, rows in _rows(h).items():
        tables = _tables(ctx, sheet)
        if tables and any(d.block.startswith("ind.") for d in rows):
            yield tables[0], rows


@rule("F-INDICATOR-DROPPED", KIND_HANDOUT, ERROR, "申报的指标被删除",
      "下发时预填的三级指标（来自绩效目标申报表）交回时在表中找不到了（按指标名称核对）：自评应逐项对应申报的绩效指标，"
      "不能删除。", f"{_SOURCE}；财预〔2020〕10号（自评指标与绩效目标对应）", explainable=False)
def indicator_dropped(ctx: Ctx):
    for td, rows in _declared_tables(ctx):
        for d in _matches(ctx, td, rows)[2]:
            yield Hit(td, None, f"申报的三级指标“{d.name}”（指标值“{d.values.get('target', '')}”）交回时找不到了："
                      "请恢复该指标并填写实际完成值。", expected=d.name, found=None, key=f"{d.block}.name",
                      sheet=td.sheet, cell=d.cells.get("name"))


@rule("F-INDICATOR-RENAMED", KIND_HANDOUT, ERROR, "申报的指标被改名",
      "下发时预填的三级指标名称被改成了另一个名称（原单元格中是一个没有申报的名称）：自评指标应与申报的绩效指标一致。",
      f"{_SOURCE}；财预〔2020〕10号", explainable=False)
def indicator_renamed(ctx: Ctx):
    for td, rows in _declared_tables(ctx):
        for d, ind in _matches(ctx, td, rows)[1]:
            yield Hit(td, ind.get("name"), f"申报的三级指标“{d.name}”被改名为“{ind.name}”：请恢复申报的指标名称。",
                      expected=d.name, found=ind.name, key=f"{ind.block}.name")


@rule("F-INDICATOR-ADDED", KIND_HANDOUT, WARNING, "增加了未申报的指标",
      "表中有绩效目标申报表中没有的三级指标（单位自行增加）：年中调整了绩效目标的，请在出错说明中写明调整依据；"
      "否则请删除。", f"{_SOURCE}；财预〔2020〕10号", explainable=True)
def indicator_added(ctx: Ctx):
    for td, rows in _declared_tables(ctx):
        for ind in _matches(ctx, td, rows)[3]:
            yield Hit(td, ind.get("name"), f"三级指标“{ind.name}”不在申报的绩效指标中（单位自行增加）。",
                      expected=None, found=ind.name, key=f"{ind.block}.name")


@rule("F-TARGET-LOWERED", KIND_HANDOUT, ERROR, "指标值被调低",
      "交回时的年度指标值比申报的更容易达到：≥ 类指标（数量、质量、满意度等）的数值变小，≤ 类指标（成本、时限等）"
      "的数值变大，或方向被改反。调低目标使自评得分虚高，不能由单位修改。", f"{_SOURCE}；RULES A5、A11", explainable=False)
def target_lowered(ctx: Ctx):
    for td, rows in _declared_tables(ctx):
        matched, renamed, _dropped, _added = _matches(ctx, td, rows)
        for d, ind in matched + renamed:
            want, got = d.values.get("target", ""), ind.get("target")
            text = got.text() if not got.empty else ""
            if want and text and _lowered(ctx, want, text, ind):
                yield Hit(td, got, f"三级指标“{ind.name}”的指标值申报为“{want}”，交回时被调低为“{text}”：请恢复申报的指标值，"
                          "按申报的目标评价完成情况。", expected=want, found=text, key=f"{ind.block}.target")


@rule("F-TABLE-ADDED", KIND_HANDOUT, WARNING, "增加了未下发的项目表",
      "下发工作簿中有一张财政局没有下发的项目支出自评表（单位自行增加）：不在预算清单中的项目，请在出错说明中写明资金来源"
      "（如年中追加），或删除该表。", _SOURCE, explainable=True)
def table_added(ctx: Ctx):
    h = _handout(ctx)
    if h is None:
        return
    sheets = {i.sheet for i in h.items}
    for td in ctx.sub.projects:
        if td.sheet not in sheets:
            name = td.get("name")
            yield Hit(td, name if name.cell else None,
                      f"项目支出自评表“{td.display_name}”（工作表“{td.sheet}”）不是财政局下发的。",
                      expected=None, found=td.display_name, key="name", sheet=None if name.cell else td.sheet)
