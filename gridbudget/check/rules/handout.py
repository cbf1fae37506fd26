"""F- rules: what the bureau handed out (``gridbudget distribute``) must come back unchanged.

A handed-out workbook carries a very hidden 下发信息 sheet (``sub.handout``, read by
:mod:`gridbudget.read.handout`): the unit, year, template version, the handed-out figures
(unit, project names, 年初预算数, 调整后预算数 …) by sheet, cell and field key, and a
fingerprint over them. Sheet protection without a password is easy to remove, so these
rules compare what came back with the record, on the cell. None of them can be explained
away: the bureau's figures are changed by the bureau.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ..engine import Ctx, Hit, rule
from ..findings import ERROR, KIND_HANDOUT, WARNING

HANDOUT_CODES = ("F-FIGURE-CHANGED", "F-TABLE-MISSING", "F-RECORD-CHANGED")
_LABELS = {"unit": "单位名称", "name": "项目名称", "department": "主管部门", "year": "年度",
           "funds.total.initial": "年初预算数", "funds.total.budget": "调整后预算数（全年预算数）"}


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


@rule("F-FIGURE-CHANGED", KIND_HANDOUT, ERROR, "下发数被改动",
      "财政局下发（gridbudget distribute）并锁定的单位名称、项目名称、年初预算数、调整后预算数等，交回时与下发时不同"
      "（工作表保护没有密码，可以被取消）。按工作簿中隐藏的下发记录逐格核对；下发数有误应由财政局重新下发。",
      "下发记录（gridbudget distribute）", explainable=False)
def figure_changed(ctx: Ctx):
    h = _handout(ctx)
    if h is None:
        return
    for item in h.items:
        tables = _tables(ctx, item.sheet)
        if not tables:
            continue                                   # F-TABLE-MISSING
        td = tables[0]
        val = td.get(item.key)
        same, found = _current(val, item.value)
        if same:
            continue
        what = _LABELS.get(item.key, item.key)
        hit = Hit(td, val if val.cell else None, f"{what}下发为“{item.value}”，交回时为“{found if found is not None else '（空）'}”："
                  "下发数不能由单位修改，请恢复下发数；如下发数有误，请联系财政局重新下发。",
                  expected=item.value, found=found, key=item.key)
        if not val.cell:
            hit.sheet, hit.cell = item.sheet, item.cell
        yield hit


@rule("F-TABLE-MISSING", KIND_HANDOUT, ERROR, "下发的表不见了",
      "下发工作簿中预填的工作表（如某个项目的项目支出自评表）交回时找不到了：被删除、改名或另起了一张表。", "下发记录（gridbudget distribute）",
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
      "请使用财政局下发的原工作簿填写。记录表被取消隐藏而内容未改时为警告。", "下发记录（gridbudget distribute）", explainable=False)
def record_changed(ctx: Ctx):
    h = _handout(ctx)
    if h is None:
        return
    if h.computed_hash() != h.fingerprint:
        yield Hit(None, None, "下发记录与其指纹不符：下发记录被改动过，核对以工作簿中的记录为准可能不可靠。",
                  expected=h.fingerprint[:16], found=h.computed_hash()[:16], sheet="gb_下发信息")
    elif h.state == "visible":      # LibreOffice saves "very hidden" as "hidden": only a shown record is remarked on
        yield Hit(None, None, "下发记录工作表被取消了隐藏（内容未改动）：请重新隐藏，不要修改。", expected="隐藏",
                  found="显示", sheet="gb_下发信息", severity=WARNING)
