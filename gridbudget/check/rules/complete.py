"""完整性 rules (``C-``): required cells, unreadable values, missing tables, read notes."""

from __future__ import annotations

import re

from ... import forms
from ..findings import ERROR, INFO, KIND_COMPLETE, WARNING
from ...model import Val
from ..engine import Ctx, Hit, rule
from ...forms.cells import parse_a1
from .common import label_of, problems, _level1_rows, _name_key, tables


# ---------------------------------------------------------------------------
# 完整性 (completeness, readability)
# ---------------------------------------------------------------------------
_REQUIRED_FUNDS = ("funds.total.budget", "funds.total.executed", "funds.total.weight", "funds.total.score")
_POINTS = ("funds.total.weight", "funds.total.score")     # the execution rate's points: 预算执行率分值 / 得分


def _funds_label(kind: str, key: str) -> str:
    """A required cell of the funds total row as words: 全年预算数, 预算执行率分值."""
    return ("预算执行率" if key in _POINTS else "") + forms.fields_of(kind)[key].label


_REQUIRED_COLUMNS = tuple((k, forms.fields_of("project")[f"ind.output.quantity.{k}"].label)
                          for k in ("name", "target", "actual", "weight", "score"))


@rule("C-REQUIRED", KIND_COMPLETE, ERROR, "必填项为空",
      "单位名称、项目名称、全年预算数、全年执行数、执行率的分值与得分，以及每个三级指标的指标值、实际完成值、分值和得分必须填写。",
      "RULES V15")
def required(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        fields = forms.fields_of(td.kind)
        for key in forms.HEADER_FIELDS[td.kind]:
            label = fields[key].label
            v = td.fields.get(key)
            if v is not None and v.cell and v.empty:
                yield Hit(td, v, f"{label}未填写。", expected=label, key=key)
        scored = td.fam.funds_weight is not None
        for key in _REQUIRED_FUNDS:
            v = td.fields.get(key)
            if not scored and key in _POINTS:
                continue
            label = _funds_label(td.kind, key)
            if v is not None and v.cell and v.empty and not v.is_formula:
                yield Hit(td, v, f"{label_of(td)}的{label}未填写。", expected=label, key=key)
        # each 三级指标: the columns its grid has (a rubric row has no target or actual)
        for i in ctx.inds(td):
            missing = [(col, lab) for col, lab in _REQUIRED_COLUMNS if col in i.row and i.get(col).empty]
            if missing:
                # point at the leftmost empty cell (分值 comes before 指标值 in some families)
                missing.sort(key=lambda m: (parse_a1(i.get(m[0]).cell) or (0, 1 << 20))[1])
                col = missing[0][0]
                yield Hit(td, i.get(col) if i.get(col).cell else i.anchor,
                          f"三级指标“{i.name or '（无名称）'}”缺少：{'、'.join(lab for _c, lab in missing)}。",
                          expected="、".join(lab for _c, lab in missing), key=f"{i.block}.{col}")
    for td in tables(ctx, "basic"):
        for key in ("staff.authorized", "staff.actual"):
            label = forms.fields_of(td.kind)[key].label
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
        for key, kind, v in ctx.cells(td):
            reader = _READERS.get(kind)
            if reader is None or v.empty or v.error or v.uncomputed or v.implied:
                continue
            res = reader(v)
            if res.error:
                yield Hit(td, v, res.error, expected=forms.KIND_LABELS[kind], found=v.text(), key=key)


@rule("C-CELL-PROBLEM", KIND_COMPLETE, ERROR, "公式错误或未计算",
      "单元格是公式错误（#DIV/0!、#REF!、#VALUE! 等），或是文件从未在 Excel/WPS 中打开保存、公式没有计算结果；"
      "这样的值无法读取，不会当作 0。", "PITFALLS")
def cell_problems(ctx: Ctx):
    for td, p in problems(ctx, "formula_error", "uncomputed_formula"):
        yield Hit(td, None, p.message, expected="数值", found=p.found, key=p.key, sheet=p.sheet, cell=p.cell,
                  severity=ERROR if p.code == "formula_error" else WARNING)


@rule("C-LEVEL-UNKNOWN", KIND_COMPLETE, WARNING, "指标无法归入一级/二级指标",
      "三级指标所在的一级、二级指标名称无法识别（不是产出/效益/满意度及其标准二级指标）：自制表中这些行没有参加审核；"
      "标准模板中被改成其他名称的一级指标下的行仍参加审核，但不再按产出/效益/满意度的标准分值核对权重。", "RULES A2")
def level_unknown(ctx: Ctx):
    for td, p in problems(ctx, "indicator_level_unknown"):
        yield Hit(td, None, p.message, sheet=p.sheet, cell=p.cell)


@rule("C-READ-NOTE", KIND_COMPLETE, INFO, "读取说明",
      "读取时的说明：空白的项目表被忽略、同一工作簿中重复的表只读第一张等。", "")
def read_notes(ctx: Ctx):
    for _td, p in problems(ctx, "read_note"):
        yield Hit(None, None, p.message, sheet=p.sheet, cell=p.cell)


@rule("C-TABLE-MISSING", KIND_COMPLETE, INFO, "缺少附表",
      "自评附表应包括基础数据表、部门整体支出绩效自评表和项目支出绩效自评表；缺少的表只作提示（很多提交只含其中几张）。",
      "DOMAIN、RULES H8（附件部分内容齐全）")
def table_missing(ctx: Ctx):
    found = set(ctx.sub.tables_found)
    first = ctx.sub.tables[0] if ctx.sub.tables else None
    spare = [p.sheet for p in ctx.sub.problems if p.key == "spare_project"]
    for kind, label in (("basic", "基础数据表"), ("overall", "部门整体支出绩效自评表"), ("project", "项目支出绩效自评表")):
        if kind not in found:
            if kind == "project" and spare:
                yield Hit(None, None, f"{len(spare)} 张{label}（{'、'.join(spare)}）都没有填写。", expected=label,
                          found="空表", sheet=spare[0])
                continue
            yield Hit(None, None, f"工作簿中没有找到{label}。", expected=label, found=None,
                      sheet=first.sheet if first else None)


@rule("C-NO-INDICATORS", KIND_COMPLETE, ERROR, "一级指标下没有三级指标",
      "产出、效益、满意度每个一级指标下至少应有一个三级指标（绩效指标全部细化到三级）。", "RULES A1、H8")
def no_indicators(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        if td.unplaced or not td.fam.level_weights:
            continue       # another indicator system: C-LEVEL-UNKNOWN says so once; rubric families have none
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



# ---------------------------------------------------------------------------
# 完整性: what the free text and names say
# ---------------------------------------------------------------------------
_INSTRUCTION_START = re.compile(r"^[(（【\[]?(结合|对照|针对|请)")
_INSTRUCTION_WORDS = ("说明", "分析", "提出", "填写")


def _is_instruction(text: str) -> bool:
    t = "".join(text.split())
    if "字以内" in t:
        return True
    return bool(_INSTRUCTION_START.match(t)) and any(w in t for w in _INSTRUCTION_WORDS)


def _goal_label(td, col: str) -> str:
    """A goal cell as words: 年度总体目标的预期目标."""
    return f"{forms.block_label(td.kind, 'goals')}的{forms.fields_of(td.kind)[f'goals.{col}'].label}"


def _free_texts(ctx: Ctx, td) -> list[tuple[str, str, Val]]:
    """(key, label, value) of the table's free-text cells: goals, 偏差原因, text.* blocks."""
    out = []
    for row in td.rows("goals"):
        for col in ("expected", "achieved"):
            v = row.get(col)
            if v is not None:
                out.append((f"goals.{col}", _goal_label(td, col), v))
    shared = {id(v) for k, v in td.fields.items() if k.startswith("text.")}
    for i in ctx.inds(td):
        if id(i.get("note")) not in shared:      # a table-wide 偏差原因 text is listed once, below
            out.append((f"{i.block}.note", f"三级指标“{i.name}”的偏差原因分析", i.get("note")))
    labels = {f"text.{k}": label for k, label, _syn in forms.TEXT_BLOCKS}
    for key, v in td.fields.items():
        if key.startswith("text."):
            out.append((key, labels.get(key, "文字说明"), v))
    return out


@rule("C-TEMPLATE-TEXT", KIND_COMPLETE, WARNING, "仍是填表说明文字",
      "年度总体目标、偏差原因分析、评价结论、存在问题、改进措施等文字栏中仍是模板的填表说明"
      "（如“（200字以内）”“结合……说明……”），没有填写实际内容。", "RULES H8")
def template_text(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        for key, label, v in _free_texts(ctx, td):
            if v.empty or not isinstance(v.raw, str) or not _is_instruction(v.text()):
                continue
            yield Hit(td, v if v.cell else None, f"{label}仍是填表说明“{v.text()}”，没有填写实际内容。",
                      expected="实际内容", found=v.text(), key=key)


_ONLY_NUMBER = re.compile(r"[-+]?[0-9][0-9,]*(?:\.[0-9]+)?(?:万元|亿元|元|万)?[。.]?")


@rule("C-GOAL-RESTATES", KIND_COMPLETE, INFO, "年度总体目标未写目标内容",
      "年度总体目标应写明要完成的任务和达到的效果；只填一个数字或金额（如“287”），或只重复项目名称时，"
      "等于没有写目标。", "RULES H8")
def goal_restates(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        name = _name_key(td.get("name").text()) if td.kind == "project" else ""
        for row in td.rows("goals"):
            for col in ("expected", "achieved"):
                v = row.get(col)
                if v is None or v.empty:
                    continue
                t = "".join(v.text().split())
                if _ONLY_NUMBER.fullmatch(t):
                    why = "只有一个数字"
                elif col == "expected" and name and len(t) < 20 and _name_key(t) and _name_key(t) in name:
                    why = "只重复了项目名称"
                else:
                    continue
                yield Hit(td, v if v.cell else None, f"{_goal_label(td, col)}“{v.text()}”{why}，没有写目标内容。",
                          expected="目标内容", found=v.text(), key=f"goals.{col}")


_YEAR_SPAN = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})(?:年|年度)?\s*(?:[-—–~～至到])\s*((?:19|20)[0-9]{2})年")
_YEAR = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})年")


@rule("C-GOAL-YEAR", KIND_COMPLETE, INFO, "目标中的年份与表格年度不符",
      "年度总体目标（预期目标）中写到的年份都不是本表的年度，可能沿用了往年的目标未更新。", "RULES H8")
def goal_year(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        year = td.year
        if not year:
            continue
        for row in td.rows("goals"):
            v = row.get("expected")
            if v is None or v.empty or not isinstance(v.raw, str):
                continue
            t = v.text()
            spans = [(int(a), int(b)) for a, b in _YEAR_SPAN.findall(t)]
            years = sorted({int(y) for y in _YEAR.findall(_YEAR_SPAN.sub(" ", t))})
            if not spans and not years:
                continue
            if year in years or any(a <= year <= b for a, b in spans):
                continue
            named = "、".join([f"{a}—{b}年" for a, b in spans] + [f"{y}年" for y in years])
            yield Hit(td, v if v.cell else None, f"年度总体目标写的是{named}，本表是 {year} 年度。",
                      expected=f"{year}年", found=named, key="goals.expected")


_GRADES = ("不合格", "合格", "优秀", "良好", "较好", "较差", "一般", "优", "良", "中", "低", "差", "好")
_GRADE_RE = re.compile("|".join(_GRADES))
_GRADE_FILLER = re.compile(r"[\s、,，/／;；|｜。.:：()（）\-—]|定性|等级|等|级|档")


@rule("C-QUAL-TARGET-SCALE", KIND_COMPLETE, INFO, "定性指标值写成了等级列表",
      "定性指标的年度指标值应写明要达到的等级或状态（如“良好”“有效提升”），不应照抄评价等级表"
      "（“优良中低差”“好、较好、一般、差”）。", "RULES A2")
def qual_target_scale(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        for i in ctx.inds(td):
            v = i.get("target")
            if v.empty or not isinstance(v.raw, str):
                continue
            t = v.text()
            grades = _GRADE_RE.findall(t)
            if len(set(grades)) < 3 or _GRADE_FILLER.sub("", _GRADE_RE.sub("", t)):
                continue
            yield Hit(td, v if v.cell else i.anchor,
                      f"三级指标“{i.name}”的{forms.INDICATOR_COLUMN_LABELS['target']}“{t}”列出了评价等级，"
                      "没有写明要达到哪一等级。",
                      expected="一个等级或状态", found=t, key=f"{i.block}.target")


_TITLE_ENDINGS = ("自评表", "绩效目标表")


@rule("C-NAME-IS-TITLE", KIND_COMPLETE, INFO, "项目名称写成了表名",
      "项目支出名称应是项目本身的名称；填成“××项目支出绩效自评表”“绩效目标表”等表名时，汇总和对账时无法与基础数据表"
      "的项目行对应。", "RULES H8")
def name_is_title(ctx: Ctx):
    for td in tables(ctx, "project"):
        v = td.get("name")
        t = "".join(v.text().split()).rstrip("。.")
        if t.endswith(_TITLE_ENDINGS):
            # 项目名称: what the cell should hold, in words (the cell's label is 项目支出名称)
            yield Hit(td, v if v.cell else None, f"项目名称“{v.text()}”是表名，不是项目名称。",
                      expected="项目名称", found=v.text(), key="name")


@rule("C-LEVEL2-EMPTY", KIND_COMPLETE, INFO, "二级指标下没有三级指标",
      "产出指标下的数量、质量、时效、成本指标列出后应设置三级指标。只检查按表格版式读取的表；效益指标的二级指标"
      "按项目实际选用，空着不提示；整个一级指标为空时由“一级指标下没有三级指标”报告。", "RULES A1")
def level2_empty(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        if td.source != "layout" or td.unplaced:
            continue
        groups = _level1_rows(ctx, td)
        for l1key, _name, _w, level2 in forms.LEVEL1:
            if l1key != "output" or not groups[l1key]:
                continue        # 效益 二级 are chosen per project; an empty 一级 is C-NO-INDICATORS
            for l2key, l2name, _syn in level2:
                v = td.fields.get(f"ind.{l1key}.{l2key}.label")
                if v is None or not v.cell or v.empty or td.rows(f"ind.{l1key}.{l2key}"):
                    continue
                yield Hit(td, v, f"{label_of(td)}的二级指标“{v.text()}”下没有三级指标。",
                          expected="至少一个三级指标", found=None, key=f"ind.{l1key}.{l2key}")


@rule("C-LEVEL1-BLANK", KIND_COMPLETE, INFO, "一级指标未填",
      "一级指标单元格为空，读取时按其下二级指标的名称推定了一级指标；请补填一级指标名称。", "RULES A2")
def level1_blank(ctx: Ctx):
    for td, p in problems(ctx, "level1_inferred"):
        yield Hit(td, None, p.message, sheet=p.sheet, cell=p.cell)


@rule("C-FORM-UNKNOWN", KIND_COMPLETE, WARNING, "表式未识别",
      "有自评表的标题，但其下的资金表头、指标表头都不是已知表式（见 docs/families.md）：说明识别到了什么、没识别到什么，"
      "这张表没有读取，也不据此报“缺少”或“未填写”。", "FAMILIES")
def form_unknown(ctx: Ctx):
    for _td, p in problems(ctx, "form_unknown"):
        yield Hit(None, None, p.message, expected="已知表式", found=p.found, sheet=p.sheet, cell=p.cell)


@rule("C-SHEET-SKIPPED", KIND_COMPLETE, WARNING, "工作表过大未读取",
      "工作表的内容超过读取上限（见 README“限额”），没有读取：这张工作表上的表格既没有审核也没有评分。", "README 限额")
def sheet_skipped(ctx: Ctx):
    for _td, p in problems(ctx, "sheet_skipped"):
        yield Hit(None, None, p.message, expected="在读取上限内", found=p.found, sheet=p.sheet, cell=p.cell)


@rule("C-REVIEW-EMPTY", KIND_COMPLETE, INFO, "复核分列为空",
      "有“复核分”列的表式，复核分由财政部门复核时填写；自评阶段为空是正常的，提示审核人员填写。", "FAMILIES")
def review_empty(ctx: Ctx):
    for td in tables(ctx, "overall", "project"):
        rows = [i for i in ctx.inds(td) if "review" in i.row]
        if rows and all(i.row["review"].empty for i in rows):
            review = forms.INDICATOR_COLUMN_LABELS["review"]
            yield Hit(td, rows[0].row["review"], f"{label_of(td)}的{review}列（{len(rows)} 行）都没有填写，待财政部门复核。",
                      expected=review, found=None)
