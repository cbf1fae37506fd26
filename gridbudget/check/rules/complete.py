"""完整性 rules (``C-``): required cells, unreadable values, missing tables, read notes."""

from __future__ import annotations

from ... import forms
from ..findings import ERROR, INFO, KIND_COMPLETE, WARNING
from ...model import Val
from ..engine import Ctx, Hit, rule
from .common import label_of, _level1_rows, tables


# ---------------------------------------------------------------------------
# 完整性 (completeness, readability)
# ---------------------------------------------------------------------------
_REQUIRED_FUNDS = (("funds.total.budget", "全年预算数"), ("funds.total.executed", "全年执行数"),
                   ("funds.total.weight", "预算执行率分值"), ("funds.total.score", "预算执行率得分"))


@rule("C-REQUIRED", KIND_COMPLETE, ERROR, "必填项为空",
      "单位名称、项目名称、全年预算数、全年执行数、执行率的分值与得分，以及每个三级指标的指标值、实际完成值、分值和得分必须填写。",
      "RULES V15")
def required(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        head = ("unit", "预算部门名称") if td.kind == "overall" else ("name", "项目支出名称")
        v = td.fields.get(head[0])
        if v is None or v.empty:
            if v is not None and v.cell:
                yield Hit(td, v, f"{head[1]}未填写。", expected=head[1], key=head[0])
        for key, label in _REQUIRED_FUNDS:
            v = td.fields.get(key)
            if v is not None and v.cell and v.empty and not v.is_formula:
                yield Hit(td, v, f"{label_of(td)}的{label}未填写。", expected=label, key=key)
        for i in ctx.inds(td):
            missing = [lab for col, lab in (("name", "三级指标名称"), ("target", "年度指标值"), ("actual", "实际完成值"),
                                            ("weight", "分值"), ("score", "得分")) if i.get(col).empty]
            if missing:
                col = {"三级指标名称": "name", "年度指标值": "target", "实际完成值": "actual", "分值": "weight",
                       "得分": "score"}[missing[0]]
                yield Hit(td, i.get(col) if i.get(col).cell else i.anchor,
                          f"三级指标“{i.name or '（无名称）'}”缺少：{'、'.join(missing)}。",
                          expected="、".join(missing), key=f"{i.block}.{col}")
    for td in tables(ctx, "basic"):
        for key, label in (("staff.authorized", "编制数"), ("staff.actual", "实际在职人数")):
            v = td.fields.get(key)
            if v is not None and v.cell and v.empty:
                yield Hit(td, v, f"基础数据表的{label}未填写。", expected=label, key=key)


_READERS = {forms.MONEY: Val.amount, forms.WEIGHT: Val.number, forms.SCORE: Val.number, forms.AREA: Val.number,
            forms.COUNT: Val.count, forms.RATE: Val.rate, forms.QUANTITY: Val.quantity}


@rule("C-UNREADABLE", KIND_COMPLETE, ERROR, "数值无法识别",
      "应填数字的单元格（金额、人数、分值、得分、比率）或指标值中的文字无法识别为数值，如“约一百多”、两个数字并列等；"
      "请改为明确的数字（金额单元格不要加“万元”以外的文字）。", "RULES V15")
def unreadable(ctx: Ctx):
    for td in ctx.sub.tables:
        fields = forms.fields_of(td.kind)
        items = [(k, v) for k, v in td.fields.items()]
        items += [(f"{b}.{c}", v) for b, rows in td.blocks.items() for row in rows for c, v in row.items()]
        for key, v in items:
            f = fields.get(key)
            if f is None or v.empty or v.error or v.uncomputed:
                continue
            reader = _READERS.get(f.kind)
            if reader is None:
                continue
            res = reader(v)
            if res.error:
                yield Hit(td, v, res.error, expected=forms.KIND_LABELS[f.kind], found=v.text(), key=key)


@rule("C-CELL-PROBLEM", KIND_COMPLETE, ERROR, "公式错误或未计算",
      "单元格是公式错误（#DIV/0!、#REF!、#VALUE! 等），或是文件从未在 Excel/WPS 中打开保存、公式没有计算结果；"
      "这样的值无法读取，不会当作 0。", "PITFALLS")
def cell_problems(ctx: Ctx):
    for p in ctx.sub.problems:
        if p.code not in ("formula_error", "uncomputed_formula"):
            continue
        td = next((t for t in ctx.sub.tables if t.sheet == p.sheet), None)
        yield Hit(td, None, p.message, expected="数值", found=p.found, key=p.key, sheet=p.sheet, cell=p.cell,
                  severity=ERROR if p.code == "formula_error" else WARNING)


@rule("C-LEVEL-UNKNOWN", KIND_COMPLETE, WARNING, "指标无法归入一级/二级指标",
      "三级指标所在的一级、二级指标名称无法识别（不是产出/效益/满意度及其标准二级指标），这些行没有参加审核。", "RULES A2")
def level_unknown(ctx: Ctx):
    for p in ctx.sub.problems:
        if p.code == "indicator_level_unknown":
            td = next((t for t in ctx.sub.tables if t.sheet == p.sheet), None)
            yield Hit(td, None, p.message, sheet=p.sheet, cell=p.cell)


@rule("C-READ-NOTE", KIND_COMPLETE, INFO, "读取说明",
      "读取时的说明：空白的项目表被忽略、同一工作簿中重复的表只读第一张等。", "")
def read_notes(ctx: Ctx):
    for p in ctx.sub.problems:
        if p.code == "read_note":
            yield Hit(None, None, p.message, sheet=p.sheet, cell=p.cell)


@rule("C-TABLE-MISSING", KIND_COMPLETE, INFO, "缺少附表",
      "自评附表应包括基础数据表、部门整体支出绩效自评表和项目支出绩效自评表；缺少的表只作提示（很多提交只含其中几张）。",
      "DOMAIN、RULES H8（附件部分内容齐全）")
def table_missing(ctx: Ctx):
    found = set(ctx.sub.tables_found)
    first = ctx.sub.tables[0] if ctx.sub.tables else None
    for kind, label in (("basic", "基础数据表"), ("overall", "部门整体支出绩效自评表"), ("project", "项目支出绩效自评表")):
        if kind not in found:
            yield Hit(None, None, f"工作簿中没有找到{label}。", expected=label, found=None,
                      sheet=first.sheet if first else None)


@rule("C-NO-INDICATORS", KIND_COMPLETE, ERROR, "一级指标下没有三级指标",
      "产出、效益、满意度每个一级指标下至少应有一个三级指标（绩效指标全部细化到三级）。", "RULES A1、H8")
def no_indicators(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        if td.unplaced:
            continue       # another indicator system: C-LEVEL-UNKNOWN says so once
        groups = _level1_rows(ctx, td)
        for key, name, _w, _l2 in forms.LEVEL1:
            if not groups[key]:
                v = td.fields.get(f"ind.{key}.label")
                yield Hit(td, v if v is not None and v.cell else None, f"{label_of(td)}的{name}下没有三级指标。",
                          expected="至少一个三级指标", found=None, key=f"ind.{key}")


@rule("C-FORMULA-OVERWRITTEN", KIND_COMPLETE, WARNING, "计算单元格被改写",
      "标准模板中的计算单元格（执行率、控制率、合计、小计、总分）应保留公式；被改写为数字或清空后，"
      "表中数字不再随填报数据变化。", "模板说明")
def formula_overwritten(ctx: Ctx):
    for td in ctx.sub.tables:
        if td.source != "template":
            continue
        for key in forms.computed_keys(td.kind):
            f = forms.fields_of(td.kind)[key]
            v = td.fields.get(key)
            if v is None or v.is_formula:
                continue
            what = "被改写为常数" if not v.empty else "公式被清除"
            yield Hit(td, v, f"“{f.label.format(year='本', prev_year='上')}”是计算单元格，{what}（{v.text() or '空'}）。",
                      expected="公式", found=v.text() or None, key=key)
