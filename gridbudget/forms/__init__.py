"""The one description of the three appendix tables.

Everything that knows where a value lives derives from this module: the template
writer (rows, labels, merges, formulas, defined names), the template reader (defined
names), the label reader (official labels and their synonyms), the validator's cell
references, arithmetic and messages, and the summaries (labels and kinds).

Columns are declared here and nowhere else; rows are derived by walking a table's
parts in order (see :func:`layout`). A computed field carries its *relation* as data
(:class:`Sum`, :class:`Ratio`) over field keys: ``staff.actual`` is the cell of that field,
``range:ind.output@weight`` the column of the field ``weight`` across every repeated row
of the section or block ``ind.output``, and ``$c`` stands for the column key of a
per-column row. The template writes a relation as an Excel formula
(:attr:`Field.formula`); the checks evaluate the same relation on the values read
(``check/rules/common.py``: ``sum_terms``, and the rate rules), so a sum or a rate is
declared once. A total the unit types together with its parts carries the sums it must agree with
as :attr:`Field.checks` (no formula; the checks add them up). Indicator rows under level names the
template has no section for travel as groups (:data:`OTHER`). The table families other provinces
publish are in :mod:`.families`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field as dc_field
from functools import lru_cache
from typing import Iterator, Union

from .cells import a1, col_letter  # noqa: F401  (re-exported: forms.a1 is used across the package)

# ---------------------------------------------------------------------------
# Kinds of values
# ---------------------------------------------------------------------------
MONEY = "money"        # 万元, two decimals
RATE = "rate"          # a ratio shown as a percentage with two decimals
COUNT = "count"        # persons
AREA = "area"          # ㎡
SCORE = "score"        # points given (得分)
WEIGHT = "weight"      # points available (分值)
QUANTITY = "quantity"  # an indicator target or actual, as people write it
TEXT = "text"          # free text
NAME = "name"          # a name (unit, project, indicator)
YEAR = "year"

KIND_LABELS = {
    MONEY: "金额（万元）", RATE: "比率", COUNT: "人数", AREA: "面积（㎡）", SCORE: "得分",
    WEIGHT: "分值", QUANTITY: "指标值", TEXT: "文字", NAME: "名称", YEAR: "年度",
}

# Column letters are data of the form description; the index of a column is its
# position in the sheet (0 = A).
A, B, C, D, E, F, G, H, I = range(9)


@dataclass(frozen=True)
class Sum:
    """A total: the sum of its parts, each a field key or ``range:BLOCK@COLUMN`` (a column of the
    repeated rows of a block or section). ``$c`` stands for the column key of a per-column row.

    As a :attr:`Field.relation` it is the template's formula; as one of :attr:`Field.checks` it is a
    relation between figures the unit types itself (no formula), which the checks verify. ``name``
    is the checks' handle on a sum (a checked one, or a computed total a rule recomputes: 三公经费),
    ``label`` its parts as words (按收入性质分);
    ``partial`` marks parts that list only some of the total (其中：…): their sum must not exceed it."""

    parts: tuple[str, ...]
    name: str = ""
    label: str = ""
    partial: bool = False

    def formula(self) -> str:
        return "+".join(f"SUM({{{p}}})" if p.startswith("range:") else f"{{{p}}}" for p in self.parts)

    def column(self, c: str) -> "Sum":
        return Sum(tuple(p.replace("$c", c) for p in self.parts), self.name, self.label, self.partial)


@dataclass(frozen=True)
class Ratio:
    """A rate: numerator ÷ denominator, left empty while the numerator is blank or the denominator is
    not positive (a handed-out workbook with its budgets filled in shows no 0.00% before the unit
    types what it spent)."""

    num: str
    den: str

    def formula(self) -> str:
        return f'IF(AND(N({{{self.den}}})>0,{{{self.num}}}<>""),{{{self.num}}}/{{{self.den}}},"")'


Relation = Union[Sum, Ratio]


@dataclass(frozen=True)
class Field:
    """One value a person types or a relation computes."""

    key: str                      # relative to its table or block, e.g. "staff.actual"
    label: str                    # the official Chinese label
    kind: str
    relation: Relation | None = None   # how it is computed (the template formula and the checks' arithmetic)
    required: bool = False
    synonyms: tuple[str, ...] = ()
    default: object = None        # pre-filled value in a blank template
    prompt: str | None = None     # input message shown by Excel/WPS
    # Sums a typed value must agree with though the template does not compute it (the unit types the
    # total and its parts): checked (check/rules/within.py), never written as a formula.
    checks: tuple[Sum, ...] = ()

    @property
    def formula(self) -> str | None:
        """The template formula, in field keys (resolved to A1 references by the template writer)."""
        return self.relation.formula() if self.relation is not None else None

    @property
    def computed(self) -> bool:
        return self.relation is not None


@dataclass(frozen=True)
class Put:
    """An item placed in a row: a static label or a field, spanning columns."""

    col: int
    text: str | None = None       # static text; may hold {year}, {prev_year}, {unit}
    field: Field | None = None
    span: int = 1                 # number of columns merged to the right
    style: str = "label"          # title | header | label | note | footer | input | formula | blank
    choices: tuple[str, ...] = ()  # drop-down list for an input (e.g. 二级指标 names)
    display: str | None = None    # static text as printed, with line breaks where the form breaks it
    #                               (a narrow column); ``text`` stays the label the other modules use

    @property
    def shown(self) -> str | None:
        return self.display if self.display is not None else self.text


@dataclass(frozen=True)
class Line:
    """A fixed row."""

    items: tuple[Put, ...]
    height: float | None = None
    key: str | None = None
    # Words a hand-made table's row label contains (any one identifies the row): the label
    # reader's vocabulary for this row, e.g. 公车运行维护 / 运行维护费 / 公车运行.
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Repeat:
    """Repeating rows: one row template, any number of rows (at least one)."""

    key: str                      # block key, e.g. "projects" or "ind.output.quantity"
    label: str
    items: tuple[Put, ...]        # fields here are keyed relative to the block
    count: int = 3
    height: float | None = None


@dataclass(frozen=True)
class Section:
    """Consecutive parts that share a label merged down one column."""

    key: str
    label: Put | None
    parts: tuple["Part", ...]


Part = Union[Line, Repeat, Section]


@dataclass(frozen=True)
class Table:
    key: str                      # "basic" | "overall" | "project"
    name: str                     # official name of the table
    sheet: str                    # sheet name in the template
    widths: tuple[float, ...]     # column widths, A onward
    landscape: bool
    parts: tuple[Part, ...]
    synonyms: tuple[str, ...] = ()
    page_breaks: tuple[str, ...] = ()   # sections that start a new printed page

    @property
    def ncols(self) -> int:
        return len(self.widths)


# ---------------------------------------------------------------------------
# Shared vocabulary
# ---------------------------------------------------------------------------
FUNDS_COLUMNS = (
    # key, label, kind, synonyms (the longest label or synonym contained in a header cell decides)
    ("initial", "年初预算数", MONEY, ("年初预算",)),
    ("budget", "全年预算数", MONEY, ("调整后预算数", "全年预算", "调整后预算", "预算数(A)", "全年(调整)预算数",
                                   "全年预算数(A)", "合计(万元)")),
    ("executed", "全年执行数", MONEY, ("预算执行数", "全年执行", "实际执行数", "执行数", "执行数(B)", "全年执行数(B)")),
    ("weight", "分值", WEIGHT, ("权重", "执行率权重")),
    ("rate", "执行率", RATE, ("预算执行率", "执行率(B/A)")),
    ("score", "得分", SCORE, ("执行率得分", "自评分")),
)

INDICATOR_COLUMNS = (
    ("name", "三级指标", NAME, ("指标名称", "评价内容", "三级指标名称")),
    ("target", "年度指标值", QUANTITY, ("指标值", "年度目标值", "预期指标值", "年初目标值", "年初指标值", "年初目标值(A)")),
    ("actual", "实际完成值", QUANTITY, ("完成值", "实际完成情况", "全年实际值", "实际完成值(B)", "年终完成值", "全年完成值")),
    ("weight", "分值", WEIGHT, ("权重", "指标分值", "指标权重")),
    ("score", "得分", SCORE, ("自评分", "自评得分", "指标得分")),
    ("note", "偏差原因分析及改进措施", TEXT, ("偏差原因分析", "偏差原因", "未完成原因分析", "原因分析及改进措施",
                                       "未完成原因及改进措施", "未完成原因", "偏差原因分析及改进措施")),
)

# Columns some families add beside the indicator columns: read, shown and checked, never templated.
INDICATOR_EXTRA_COLUMNS = (
    ("l0", "项目权重", NAME, ()),                      # a group above 一级 (项目决策 / 项目管理 / 项目绩效)
    ("l1", "一级指标", NAME, ()),
    ("l2", "二级指标", NAME, ()),
    ("op", "指标性质", TEXT, ("指标方向", "运算符号", "比较符号")),
    ("munit", "度量单位", TEXT, ("计量单位", "计量单位名称")),
    ("seq", "序号", TEXT, ()),
    ("review", "复核分", SCORE, ("复核得分", "财政复核分")),
    ("method", "得分计算方法", TEXT, ("评分标准", "评价标准", "评价标准及依据", "指标说明及评分标准", "指标解释",
                                 "计分方法", "评分办法")),
    ("adjusted", "调整指标值", QUANTITY, ("调整后指标值",)),
    ("coef", "得分系数", WEIGHT, ()),
    ("core", "是否核心指标", TEXT, ("核心指标",)),
)

# Column labels by key: how messages and rule texts name a column (a cell of it: "实际完成值“…”").
FUNDS_COLUMN_LABELS = {k: label for k, label, _kd, _s in FUNDS_COLUMNS}
INDICATOR_COLUMN_LABELS = {k: label for k, label, _kd, _s in INDICATOR_EXTRA_COLUMNS + INDICATOR_COLUMNS}

# Free-text blocks below the indicators (评价结论 …): key, label, synonyms.
TEXT_BLOCKS = (
    ("conclusion", "评价结论", ("自评结论", "总体评价结论", "综合评价结论")),
    ("problems", "存在问题", ("存在的问题", "主要问题")),
    ("measures", "改进措施", ("改进意见", "下一步改进措施")),
    ("deviation", "偏差大或目标未完成原因分析", ("目标未完成原因分析",)),
    ("application", "改进措施及结果应用方案", ("结果应用方案",)),
)

# Fund sources laid out as columns of the funds header (中央 / 省、地 / 本级 / 其他 … 合计).
FUND_SOURCE_COLUMNS = ("中央", "省", "省级", "省、地", "省、市", "市", "市级", "县", "县级", "区级", "本级", "上级",
                       "其他", "自筹", "中央补助", "省级补助", "市县资金", "单位自筹")

# Words of the title of each table (the label reader's table finder).
TITLE_WORDS = (
    ("basic", ("基础数据表",)),
    ("overall", ("整体支出绩效自评表", "整体支出绩效评价自评表", "整体支出自评表", "整体绩效自评表")),
    ("project", ("项目支出绩效自评表", "项目绩效自评表", "项目支出自评表", "项目自评表", "绩效目标自评表",
                 "项目绩效目标自评表")),
)

# A self-score written in a header cell ("自评总分：95", "项目总得分99分").
HEADER_TOTAL_WORDS = ("自评总分", "自评得分", "项目总得分", "总得分")

# 一级指标 -> (key, default weight, 二级指标 [(key, label, synonyms)])
LEVEL1 = (
    ("output", "产出指标", 50, (
        ("quantity", "数量指标", ()),
        ("quality", "质量指标", ()),
        ("timeliness", "时效指标", ()),
        ("cost", "成本指标", ("经济成本", "社会成本", "生态环境成本", "成本")),
    )),
    ("benefit", "效益指标", 30, (
        ("economic", "经济效益指标", ("经济效益",)),
        ("social", "社会效益指标", ("社会效益",)),
        ("ecological", "生态效益指标", ("生态效益",)),
        ("sustainable", "可持续影响指标", ("可持续影响",)),
    )),
    ("satisfaction", "满意度指标", 10, (
        ("service", "服务对象满意度指标", ("服务对象满意度", "满意度")),
    )),
)
EXEC_RATE_WEIGHT = 10
LEVEL1_NAMES = tuple(name for _, name, _, _ in LEVEL1)
LEVEL2_NAMES = {k2: n2 for _k, _n, _w, level2 in LEVEL1 for k2, n2, _s in level2}   # 二级 key -> name
LEVEL1_KEYS = frozenset(k for k, *_ in LEVEL1)
# Words that identify a 一级指标 in any family's wording, tried in this order: 产出…, 满意度…,
# 效益 / 效果…; a 一级 成本指标 (2021+ national templates: 经济成本指标 …) is read as 产出-成本.
LEVEL1_WORDS = (("产出", "output"), ("满意", "satisfaction"), ("效益", "benefit"), ("效果", "benefit"),
                ("成本", "output"))
# Header words of a hand-made table that are labels (never values) besides the header fields.
OTHER_HEADER_LABELS = ("年度", "填报单位", "编制数", "一级指标", "年初预算数", "填表人", "项目负责人", "专项实施期",
                       "填报日期", "项目属性", "项目类别")

INCOME_ROWS = (
    ("general", "一般公共预算", ("一般公共预算拨款", "一般公共预算资金")),
    ("fund", "政府性基金拨款", ("政府性基金预算", "政府性基金")),
    ("special", "纳入专户管理的非税收入拨款", ("纳入专户管理的非税收入", "非税收入拨款")),
    ("other", "其他资金", ()),
)
EXPENSE_ROWS = (
    ("basic", "基本支出", ()),
    ("project", "项目支出", ()),
)
PROJECT_FUND_ROWS = (
    ("current", "当年财政拨款", ("本年财政拨款", "财政拨款")),
    ("carryover", "上年结转资金", ("上年结转",)),
    ("other", "其他资金", ()),
)

# Typed totals that must equal their typed parts (Field.checks; the template computes neither):
# 全年执行数 by 收入性质 and by 支出性质 (整体支出自评表), 年度资金总额 by source, per column (项目支出自评表).
INCOME_SUM = Sum(tuple(f"income.{k}" for k, _l, _s in INCOME_ROWS), name="income", label="按收入性质分")
EXPENSE_SUM = Sum(tuple(f"expense.{k}" for k, _l, _s in EXPENSE_ROWS), name="expense", label="按支出性质分")
PROJECT_FUNDS_SUM = Sum(tuple(f"funds.{k}.$c" for k, _l, _s in PROJECT_FUND_ROWS), name="funds",
                        label="项目资金来源")


# ---------------------------------------------------------------------------
# Labels as words (messages, schema titles, the reader's row names)
# ---------------------------------------------------------------------------
LABEL_WORDS = {"year": "本", "prev_year": "上", "unit": "本单位"}
_NUMBERING = re.compile(r"^(?:其中[:：]?)?\s*(?:[(（]?[0-9一二三四五六七八九十]+[)）、.．]|[0-9]+\s)?\s*(?:其中[:：]?)?")


def strip_numbering(s: str) -> str:
    """'1、业务工作经费' -> '业务工作经费'; '其中：公车购置' -> '公车购置'."""
    return _NUMBERING.sub("", s, count=1).strip(":：")


def plain_label(text: str) -> str:
    """A form label as words: {year} placeholders in words ("{year}年预算数" -> "本年预算数"), no
    surrounding blanks, numbering, "其中：" or trailing colon."""
    t = text.format_map(LABEL_WORDS) if "{" in text else text
    return strip_numbering(t.strip()).strip().rstrip(":：")


def row_label(label: str) -> str:
    """A field's label as the words of its row, without its column: '    其中：公车购置（{prev_year}年决算数）'
    -> '公车购置' (messages, rule texts and schema descriptions)."""
    return plain_label(label.rsplit("（", 1)[0] if label.endswith("）") else label)


# ---------------------------------------------------------------------------
# Builders (small functions that keep the declarations below readable)
# ---------------------------------------------------------------------------
def _f(key, label, kind, *, relation=None, required=False, synonyms=(), default=None, prompt=None, checks=()):
    return Field(key, label, kind, relation, required, tuple(synonyms), default, prompt, tuple(checks))


_MONEY_PROMPT = "请填写金额，单位万元，保留两位小数；没有发生的填 0 或留空。"
_SCORE_PROMPT = "得分应在 0 与本行分值之间。"
_WEIGHT_PROMPT = "分值为 0 到 100 之间的数。"


def _money_row(key: str, label: str, cols, *, col0: int, total: Sum | None = None,
               dash_first: bool = False, label_style: str = "label", span: int = 1,
               words: tuple[str, ...] = (), checks: tuple[Sum, ...] = ()) -> Line:
    """A label in column A and one money field per column of ``cols`` (a ``total`` per column, or
    ``checks`` per column when the row is typed)."""
    items = [Put(A, text=label, style=label_style, span=span)]
    for i, (ckey, clabel) in enumerate(cols):
        col = col0 + i
        if dash_first and i == 0:
            items.append(Put(col, text="——", style="label"))
            continue
        rel = total.column(ckey) if total else None
        items.append(Put(col, field=_f(f"{key}.{ckey}", f"{label.strip('：:')}（{clabel}）", MONEY,
                                       relation=rel, prompt=None if rel else _MONEY_PROMPT,
                                       checks=tuple(c.column(ckey) for c in checks)),
                         style="formula" if rel else "input"))
    return Line(tuple(items), key=key, words=words)


# The funds block: row labels in B:C, then one column per FUNDS_COLUMNS entry from D to I (the
# right-most column included), so every amount sits under its own header.
FUNDS_LABEL_SPAN = 2
FUNDS_COL0 = D


def _funds_header() -> tuple[Put, ...]:
    return tuple([Put(B, text="", style="header", span=FUNDS_LABEL_SPAN)] + [
        Put(FUNDS_COL0 + i, text=label, style="header") for i, (_k, label, _kd, _s) in enumerate(FUNDS_COLUMNS)])


# The funds block's total row: its label, then what other tables write (short words only as a whole cell).
FUNDS_TOTAL_LABELS = ("年度资金总额", "项目资金总额", "财政资金总额", "资金总额", "总额", "合计")


def _funds_total_line(key_prefix: str, checks: dict[str, tuple[Sum, ...]] | None = None) -> Line:
    """The 年度资金总额 row; ``checks`` maps a column key to the sums its typed amount must agree with."""
    items = [Put(B, text=FUNDS_TOTAL_LABELS[0], style="label", span=FUNDS_LABEL_SPAN)]
    for i, (ckey, clabel, kind, syn) in enumerate(FUNDS_COLUMNS):
        col = FUNDS_COL0 + i
        fkey = f"{key_prefix}.{ckey}"
        if ckey == "rate":
            fld = _f(fkey, "执行率", RATE, synonyms=syn,
                     relation=Ratio(f"{key_prefix}.executed", f"{key_prefix}.budget"))
            items.append(Put(col, field=fld, style="formula"))
        elif ckey == "weight":
            items.append(Put(col, field=_f(fkey, "分值", WEIGHT, synonyms=syn, default=EXEC_RATE_WEIGHT,
                                           required=True, prompt="预算执行率分值，一般为 10 分。"), style="input"))
        elif ckey == "score":
            items.append(Put(col, field=_f(fkey, "得分", SCORE, required=True, prompt=_SCORE_PROMPT), style="input"))
        else:
            items.append(Put(col, field=_f(fkey, clabel, kind, synonyms=syn, required=ckey != "initial",
                                           prompt=_MONEY_PROMPT, checks=(checks or {}).get(ckey, ())),
                             style="input"))
    return Line(tuple(items), key=key_prefix)


def _project_fund_line(rkey: str, label: str) -> Line:
    """A sub-row of the project funds block: amounts only (national template A2)."""
    items = [Put(B, text=label, style="label", span=FUNDS_LABEL_SPAN)]
    for i, (ckey, clabel, kind, syn) in enumerate(FUNDS_COLUMNS[:3]):
        items.append(Put(FUNDS_COL0 + i, field=_f(f"funds.{rkey}.{ckey}", f"{label.replace('其中：', '')}（{clabel}）", MONEY,
                                         prompt=_MONEY_PROMPT), style="input"))
    items.extend(Put(FUNDS_COL0 + i, style="blank") for i in range(3, len(FUNDS_COLUMNS)))
    return Line(tuple(items), key=f"funds.{rkey}")


GOALS_LABEL = "年度总体目标"
# Points per goal row: room to write a paragraph, and with the funds block above it fills the first
# printed page of a self-evaluation table (the indicators start the second, see Table.page_breaks).
GOAL_ROW_HEIGHT = 100


def _goals() -> Section:
    return Section("goals", Put(A, text=GOALS_LABEL, display="年度总体\n目标", style="header"), (
        Line((Put(B, text="预期目标", style="header", span=4), Put(F, text="实际完成情况", style="header", span=4))),
        Repeat("goals", "年度总体目标", (
            Put(B, field=_f("expected", "预期目标", TEXT, synonyms=("项目年度目标", "年度目标"), prompt="每行填写一个目标；可在行内换行。"), span=4, style="input"),
            Put(F, field=_f("achieved", "实际完成情况", TEXT, synonyms=("年度目标完成情况", "完成情况")), span=4, style="input"),
        ), count=3, height=GOAL_ROW_HEIGHT),
    ))


def _indicator_row() -> tuple[Put, ...]:
    items = []
    for i, (ckey, clabel, kind, syn) in enumerate(INDICATOR_COLUMNS):
        prompt = {"weight": _WEIGHT_PROMPT, "score": _SCORE_PROMPT,
                  "target": "如 ≥100次、≤50万元、95%、定性。",
                  "actual": "如 134条、40.6万元、98%；定性指标填 达成/部分达成/未达成 等。",
                  "note": "未达成目标、扣分、超额完成较多（≥130%）时须说明原因及改进措施。"}.get(ckey)
        items.append(Put(D + i, field=_f(ckey, clabel, kind, synonyms=syn, prompt=prompt), style="input"))
    return tuple(items)


def _indicator_tree() -> Section:
    level1_parts: list[Part] = [Line((
        Put(B, text="一级指标", style="header"), Put(C, text="二级指标", style="header"),
        *[Put(D + i, text=label, style="header") for i, (_k, label, _kd, _s) in enumerate(INDICATOR_COLUMNS)],
    ), height=24, key="ind.header")]
    for l1key, l1name, l1weight, level2 in LEVEL1:
        l2_sections = []
        for l2key, l2name, l2syn in level2:
            rows = 3 if l1key == "output" else 2
            l2_sections.append(Section(
                f"ind.{l1key}.{l2key}",
                Put(C, field=_f(f"ind.{l1key}.{l2key}.label", "二级指标", NAME, default=l2name,
                                synonyms=l2syn), style="header",
                    choices=tuple(n for _k, n, _s in level2)),
                (Repeat(f"ind.{l1key}.{l2key}", l2name, _indicator_row(), count=rows),),
            ))
        level1_parts.append(Section(
            f"ind.{l1key}",
            Put(B, field=_f(f"ind.{l1key}.label", "一级指标", NAME, default=l1name), style="header",
                choices=LEVEL1_NAMES),
            tuple(l2_sections),
        ))
        level1_parts.append(Line((
            Put(B, text=f"{l1name}小计（标准分值{l1weight}分）", span=5, style="label"),
            Put(G, field=_f(f"ind.{l1key}.weight_total", f"{l1name}分值小计", WEIGHT,
                            relation=Sum((f"range:ind.{l1key}@weight",))), style="formula"),
            Put(H, field=_f(f"ind.{l1key}.score_total", f"{l1name}得分小计", SCORE,
                            relation=Sum((f"range:ind.{l1key}@score",))), style="formula"),
            Put(I, style="blank"),
        ), key=f"ind.{l1key}.subtotal"))
    return Section("ind", Put(A, text="绩效指标", style="header"), tuple(level1_parts))


def _total_line() -> Line:
    weight = Sum(("funds.total.weight", *[f"ind.{k}.weight_total" for k, *_ in LEVEL1]))
    score = Sum(("funds.total.score", *[f"ind.{k}.score_total" for k, *_ in LEVEL1]))
    return Line((
        Put(A, text=TOTAL_LABELS[0], style="header", span=6),
        Put(G, field=_f("total.weight", "总分（分值）", WEIGHT, relation=weight), style="formula"),
        Put(H, field=_f("total.score", "总分（得分）", SCORE, relation=score), style="formula"),
        Put(I, style="blank"),
    ), key="total", height=20)


# The signature line under a table; other provinces sign with more roles (the reader stops at any).
SIGNATURE_LABELS = ("填表人", "填报日期", "联系电话", "单位负责人签字")
OTHER_SIGNATURE_LABELS = ("单位负责人", "项目负责人", "财务负责人", "单位主要负责人", "单位领导审签", "审核人")
# The total row of an indicator grid: its label, then what other tables write.
TOTAL_LABELS = ("总分", "合计", "总计", "综合得分")


def _footer(ncols: int) -> Line:
    return Line((Put(A, text="              ".join(f"{w}：" for w in SIGNATURE_LABELS),
                     span=ncols, style="footer"),), height=20, key="footer")


# ---------------------------------------------------------------------------
# The three tables
# ---------------------------------------------------------------------------
BASIC_COLUMNS = (("prev_final", "{prev_year}年决算数"), ("budget", "{year}年预算数"), ("final", "{year}年决算数"))
BASIC_COLUMN_SYNONYMS = {"prev_final": ("上年决算数", "上年决算"), "budget": ("本年预算数", "预算数"),
                         "final": ("本年决算数", "决算数")}


def _basic() -> Table:
    cols = BASIC_COLUMNS
    # computed totals, named for the checks that recompute them (W-SANGONG-SUM, W-PROJECTS-TOTAL)
    sangong = Sum(("car.$c", "abroad.$c", "reception.$c"), name="sangong")
    car = Sum(("car_purchase.$c", "car_operation.$c"), name="car")
    projects = Sum(("range:projects@$c", "range:special_funds@$c"), name="projects")
    parts: list[Part] = [
        Line((Put(A, text="{year}年度部门整体支出绩效评价基础数据表", span=7, style="title"),), height=30),
        Line((Put(A, text="填报单位：", style="label"),
              Put(B, field=_f("unit", "填报单位", NAME, required=True, synonyms=("单位名称", "部门名称")),
                  span=3, style="input"),
              Put(E, text="年度", style="label"),
              Put(F, field=_f("year", "年度", YEAR, required=True), span=2, style="input"))),
        Line((Put(A, text="财政供养人员情况（人）", style="header"), Put(B, text="编制数", style="header"),
              Put(C, text="{year}年实际在职人数", display="{year}年\n实际在职人数", style="header"), Put(D, text="控制率", style="header")), height=30),
        Line((Put(A, text="", style="label"),
              Put(B, field=_f("staff.authorized", "编制数", COUNT, required=True,
                              prompt="机构编制部门核定的编制人数。"), style="input"),
              Put(C, field=_f("staff.actual", "实际在职人数", COUNT, required=True,
                              synonyms=("在职人数", "实有人数")), style="input"),
              Put(D, field=_f("staff.rate", "控制率", RATE, synonyms=("人员控制率", "财政供养人员控制率"),
                              relation=Ratio("staff.actual", "staff.authorized")),
                  style="formula"))),
        Line((Put(A, text="经费控制情况（万元）", style="header"),
              *[Put(B + i, text=label, style="header") for i, (_k, label) in enumerate(cols)]), height=30),
        _money_row("sangong", "三公经费", cols, col0=B, total=sangong, words=("三公经费",)),
        _money_row("car", "   1、公务用车购置和维护经费", cols, col0=B, total=car, words=("公务用车", "公务用车购置和维护", "购置和维护")),
        _money_row("car_purchase", "       其中：公车购置", cols, col0=B, words=("公车购置", "公务用车购置")),
        _money_row("car_operation", "             公车运行维护", cols, col0=B,
                   words=("公车运行维护", "运行维护费", "公车运行", "公务用车运行")),
        _money_row("abroad", "   2、出国经费", cols, col0=B, words=("出国", "因公出国")),
        _money_row("reception", "   3、公务接待", cols, col0=B, words=("公务接待",)),
        _money_row("projects_total", "项目支出：", cols, col0=B, total=projects, words=("项目支出",)),
        Repeat("projects", "项目支出", (
            Put(A, field=_f("name", "项目名称", NAME, prompt="每个项目一行，如：业务工作经费。"), style="input"),
            *[Put(B + i, field=_f(k, label, MONEY, prompt=_MONEY_PROMPT), style="input")
              for i, (k, label) in enumerate(cols)],
        ), count=5),
        Line((Put(A, text="    市级专项资金（一个专项一行）", style="label"),
              *[Put(B + i, style="blank") for i in range(3)]), key="special_header", words=("专项资金",)),
        Repeat("special_funds", "市级专项资金", (
            Put(A, field=_f("name", "专项名称", NAME), style="input"),
            *[Put(B + i, field=_f(k, label, MONEY, prompt=_MONEY_PROMPT), style="input")
              for i, (k, label) in enumerate(cols)],
        ), count=2),
        _money_row("public", "公用经费", cols, col0=B, words=("公用经费",),
                   checks=(Sum(("office.$c", "utilities.$c", "meetings.$c"), name="public", label="其中",
                               partial=True),)),
        _money_row("office", "    其中：办公经费", cols, col0=B, words=("办公经费", "办公费")),
        _money_row("utilities", "          水费、电费、差旅费", cols, col0=B, words=("水费", "电费", "差旅费")),
        _money_row("meetings", "          会议费、培训费", cols, col0=B, words=("会议费", "培训费")),
        _money_row("procurement", "政府采购金额", cols, col0=B, dash_first=True, words=("政府采购",)),
        _money_row("basic_adjust", "部门基本支出预算调整", cols, col0=B, dash_first=True,
                   words=("预算调整",)),
        Line((Put(A, text="楼堂馆所控制情况\n（{year}年完工项目）", style="header"),
              Put(B, text="批复规模\n（㎡）", style="header"), Put(C, text="实际规模\n（㎡）", style="header"),
              Put(D, text="规模控制率", style="header"), Put(E, text="预算投资\n（万元）", style="header"),
              Put(F, text="实际投资\n（万元）", style="header"), Put(G, text="投资概算控制率", style="header")),
             height=36),
        Line((Put(A, field=_f("building.name", "楼堂馆所项目名称", NAME), style="input"),
              Put(B, field=_f("building.approved_area", "批复规模", AREA), style="input"),
              Put(C, field=_f("building.actual_area", "实际规模", AREA), style="input"),
              Put(D, field=_f("building.area_rate", "规模控制率", RATE,
                              relation=Ratio("building.actual_area", "building.approved_area")),
                  style="formula"),
              Put(E, field=_f("building.budget", "预算投资", MONEY, prompt=_MONEY_PROMPT), style="input"),
              Put(F, field=_f("building.actual", "实际投资", MONEY, prompt=_MONEY_PROMPT), style="input"),
              Put(G, field=_f("building.invest_rate", "投资概算控制率", RATE,
                              relation=Ratio("building.actual", "building.budget")),
                  style="formula"))),
        Line((Put(A, text="厉行节约保障措施", style="header"),
              Put(B, field=_f("thrift", "厉行节约保障措施", TEXT), span=6, style="input")), height=60),
        Line((Put(A, text="说明：“项目支出”需要填报基本支出以外的所有项目支出情况，“公用经费”填报基本支出中的一般商品和服务支出。",
                  span=7, style="note"),), height=30),
        _footer(7),
    ]
    return Table("basic", "部门整体支出绩效评价基础数据表", "基础数据表",
                 widths=(34, 13, 15, 13, 13, 13, 13), landscape=False, parts=tuple(parts),
                 synonyms=("基础数据表",))


# The breakdowns of 全年执行数 side by side, as the official table lays them out: 按收入性质分 in
# B:E with its amounts under 全年执行数 (F, the funds header's column), 按支出性质分 in G:H with its
# amounts in I under a 全年执行数 header of its own (the sub-header row).
BREAKDOWN_AMOUNT_HEADER = "全年执行数"


def _breakdowns() -> list[Line]:
    lines = [Line((Put(B, text=f"{INCOME_SUM.label}：", style="header", span=4),
                   Put(F, text=BREAKDOWN_AMOUNT_HEADER, style="header"),
                   Put(G, text=f"{EXPENSE_SUM.label}：", style="header", span=2),
                   Put(I, text=BREAKDOWN_AMOUNT_HEADER, style="header")), key="funds.breakdown.header")]
    for i in range(max(len(INCOME_ROWS), len(EXPENSE_ROWS))):
        items: list[Put] = []
        if i < len(INCOME_ROWS):
            k, label, syn = INCOME_ROWS[i]
            items += [Put(B, text=("其中：" if i == 0 else "") + label, style="label", span=4),
                      Put(F, field=_f(INCOME_SUM.parts[i], label, MONEY, synonyms=syn, prompt=_MONEY_PROMPT),
                          style="input")]
        if i < len(EXPENSE_ROWS):
            k, label, syn = EXPENSE_ROWS[i]
            items += [Put(G, text=("其中：" if i == 0 else "") + label, style="label", span=2),
                      Put(I, field=_f(EXPENSE_SUM.parts[i], label, MONEY, synonyms=syn, prompt=_MONEY_PROMPT),
                          style="input")]
        else:
            items += [Put(G, style="blank", span=3)]
        lines.append(Line(tuple(items)))
    return lines


# Column widths of the two self-evaluation tables: a section label column wide enough for four
# characters a line, 二级指标 names on one line, 三级指标 names of 16 characters on one line,
# 分值/得分 with room for their padding.
SELF_EVAL_WIDTHS = (9, 12, 20, 28, 14, 14, 9, 9, 24)


def _overall() -> Table:
    income = _breakdowns()
    parts: list[Part] = [
        Line((Put(A, text="{year}年度部门整体支出绩效自评表", span=9, style="title"),), height=26),
        Line((Put(A, text="市级预算部门名称", span=2, style="header"),
              Put(C, field=_f("unit", "市级预算部门名称", NAME, required=True,
                              synonyms=("预算部门名称", "部门（单位）名称", "部门名称", "单位名称", "单位")),
                  span=4, style="input"),
              Put(G, text="年度", style="header"),
              Put(H, field=_f("year", "年度", YEAR, required=True), span=2, style="input"))),
        Section("funds", Put(A, text="年度预算申请（万元）", display="年度预算\n申请\n（万元）", style="header"), (
            Line(_funds_header(), height=30, key="funds.header"),
            _funds_total_line("funds.total", {"executed": (INCOME_SUM, EXPENSE_SUM)}),
            *income,
        )),
        _goals(),
        _indicator_tree(),
        _total_line(),
        _footer(9),
    ]
    return Table("overall", "部门整体支出绩效自评表", "整体支出自评表",
                 widths=SELF_EVAL_WIDTHS, landscape=True, parts=tuple(parts),
                 synonyms=("整体支出绩效自评表", "部门整体支出绩效自评表"), page_breaks=("ind",))


def _project() -> Table:
    parts: list[Part] = [
        Line((Put(A, text="{year}年度项目支出绩效自评表", span=9, style="title"),), height=26),
        Line((Put(A, text="项目支出名称", span=2, style="header"),
              Put(C, field=_f("name", "项目支出名称", NAME, required=True, synonyms=("项目名称",)),
                  span=4, style="input"),
              Put(G, text="年度", style="header"),
              Put(H, field=_f("year", "年度", YEAR, required=True), span=2, style="input"))),
        Line((Put(A, text="主管部门", span=2, style="header"),
              Put(C, field=_f("department", "主管部门", NAME, required=True, synonyms=("主管部门及代码", "项目主管单位", "主管单位")), span=2, style="input"),
              Put(E, text="实施单位", style="header"),
              Put(F, field=_f("unit", "实施单位", NAME, required=True, synonyms=("项目实施单位", "单位名称")), span=4, style="input"))),
        Section("funds", Put(A, text="项目资金（万元）", display="项目资金\n（万元）", style="header"), (
            Line(_funds_header(), height=30, key="funds.header"),
            _funds_total_line("funds.total", {c: (PROJECT_FUNDS_SUM.column(c),)
                                              for c, _l, kind, _s in FUNDS_COLUMNS if kind == MONEY}),
            *[_project_fund_line(k, ("其中：" if i == 0 else "") + label)
              for i, (k, label, _syn) in enumerate(PROJECT_FUND_ROWS)],
        )),
        _goals(),
        _indicator_tree(),
        _total_line(),
        _footer(9),
    ]
    return Table("project", "项目支出绩效自评表", "项目支出自评表-1",
                 widths=SELF_EVAL_WIDTHS, landscape=True, parts=tuple(parts),
                 synonyms=("项目支出绩效自评表", "项目绩效自评表"), page_breaks=("ind",))


BASIC = _basic()
OVERALL = _overall()
PROJECT = _project()
TABLES = {t.key: t for t in (BASIC, OVERALL, PROJECT)}


# ---------------------------------------------------------------------------
# Indicator groups under other level names: carried by export and fill, not templated
# ---------------------------------------------------------------------------
# Tables of other families group 三级 rows under level names the template has no section for (项目决策 /
# 项目管理, 规划 / 执行, 履职效能 …), or under a 二级 outside a standard 一级's list. Submission data
# keeps them as lists of groups at ``OTHER`` beside the form's own keys: under ``ind`` the 一级 groups
# (label, weight, their 二级 groups at ``GROUP_LEVEL2``), under ``ind.<一级>`` the 二级 groups (label,
# weight, their rows at ``GROUP_ROWS``); ``gridbudget fill`` writes them on the template's free indicator
# sections (gridbudget/submission.py).
OTHER = "other"
GROUP_LEVEL2 = "level2"
GROUP_ROWS = "rows"
INDICATOR_FIELDS = tuple(it.field for it in _indicator_row() if it.field is not None)   # a 三级 row's columns
GROUP_FIELDS = {level: (_f("label", name, NAME), _f("weight", f"{name}分值", WEIGHT, prompt=_WEIGHT_PROMPT))
                for level, name in ((1, "一级指标"), (2, "二级指标"))}


@lru_cache(maxsize=None)
def group_parents(table_key: str) -> tuple[tuple[str, int], ...]:
    """Where a table's data holds groups of other level names: (parent key, level of the groups), the
    一级 groups under the indicator section, the 二级 groups under each standard 一级 section. Empty
    for a table without indicators."""
    sections = layout(TABLES[table_key]).sections
    out = [(key, 1) for key, (_f1, _l, sec) in sections.items()
           if any(isinstance(p, Section) and p.key == f"{key}.{k}" for p in sec.parts for k in LEVEL1_KEYS)]
    return tuple(out + [(f"{parent}.{k}", 2) for parent, _lv in out for k, *_ in LEVEL1
                        if f"{parent}.{k}" in sections])
# The fields a self-evaluation table names in its header, in the order the label reader looks for them.
def row_words(table_key: str) -> tuple[tuple[str, str], ...]:
    """(word, row key) of a table's fixed rows (``Line.words``), longest word first: the label
    reader takes the row of the longest word a label contains (公务用车运行维护费 is 运行维护费's
    row, not 公务用车's)."""
    def lines(parts) -> Iterator[Line]:
        for part in parts:
            if isinstance(part, Line):
                yield part
            elif isinstance(part, Section):
                yield from lines(part.parts)

    pairs = [(w, line.key) for line in lines(TABLES[table_key].parts) if line.key for w in line.words]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


HEADER_FIELDS = {"overall": ("unit",), "project": ("name", "department", "unit")}
PROJECT_SHEET_PREFIX = "项目支出自评表-"
GUIDE_SHEET = "填表说明"


def project_sheet_name(n: int) -> str:
    return f"{PROJECT_SHEET_PREFIX}{n}"


# ---------------------------------------------------------------------------
# Layout: rows derived from the parts
# ---------------------------------------------------------------------------
@dataclass
class PlacedRepeat:
    block: Repeat
    first: int                    # 0-based row of the first repeated row
    count: int
    cols: dict[str, int]          # field key (relative to block) -> column

    @property
    def last(self) -> int:
        return self.first + self.count - 1


@dataclass
class Placed:
    """A table laid out: each part placed on concrete rows."""

    table: Table
    lines: list[tuple[int, Line]] = dc_field(default_factory=list)
    repeats: dict[str, PlacedRepeat] = dc_field(default_factory=dict)
    sections: dict[str, tuple[int, int, Section]] = dc_field(default_factory=dict)
    fields: dict[str, tuple[int, int, Field]] = dc_field(default_factory=dict)   # key -> (row, col, field)
    nrows: int = 0

    def cell(self, key: str) -> tuple[int, int]:
        r, c, _ = self.fields[key]
        return r, c

    def section_rows(self, key: str) -> tuple[int, int]:
        if key in self.repeats:
            rep = self.repeats[key]
            return rep.first, rep.last
        first, last, _ = self.sections[key]
        return first, last

    def repeats_in(self, key: str) -> list[PlacedRepeat]:
        """The repeated blocks inside a section (or the block itself), in order."""
        if key in self.repeats:
            return [self.repeats[key]]
        return [r for k, r in self.repeats.items() if k == key or k.startswith(key + ".")]


def layout(table: Table, counts: dict[str, int] | None = None) -> Placed:
    """Place a table's parts on rows. ``counts`` overrides the row count of blocks."""
    counts = counts or {}
    placed = Placed(table)

    def walk(part: Part, row: int) -> int:
        if isinstance(part, Line):
            placed.lines.append((row, part))
            for it in part.items:
                if it.field is not None:
                    placed.fields[it.field.key] = (row, it.col, it.field)
            return row + 1
        if isinstance(part, Repeat):
            n = max(1, counts.get(part.key, part.count))
            cols = {it.field.key: it.col for it in part.items if it.field is not None}
            placed.repeats[part.key] = PlacedRepeat(part, row, n, cols)
            return row + n
        start = row
        if part.label is not None and part.label.field is not None:
            placed.fields[part.label.field.key] = (row, part.label.col, part.label.field)
        for p in part.parts:
            row = walk(p, row)
        placed.sections[part.key] = (start, row - 1, part)
        return row

    row = 0
    for p in table.parts:
        row = walk(p, row)
    placed.nrows = row
    return placed


def iter_fields(table: Table) -> Iterator[tuple[str, Field, str | None]]:
    """Every field of a table: (key, field, block key or None). Block fields are keyed block.key."""
    def walk(part: Part):
        if isinstance(part, Line):
            for it in part.items:
                if it.field is not None:
                    yield it.field.key, it.field, None
        elif isinstance(part, Repeat):
            for it in part.items:
                if it.field is not None:
                    yield f"{part.key}.{it.field.key}", it.field, part.key
        else:
            if part.label is not None and part.label.field is not None:
                yield part.label.field.key, part.label.field, None
            for p in part.parts:
                yield from walk(p)
    for p in table.parts:
        yield from walk(p)


@lru_cache(maxsize=None)
def fields_of(table_key: str) -> dict[str, Field]:
    """Every field of a table by key (block columns keyed ``block.column``)."""
    return {key: f for key, f, _b in iter_fields(TABLES[table_key])}


@lru_cache(maxsize=None)
def block_label(table_key: str, block: str) -> str:
    """The label of a repeated block or section (e.g. projects -> 项目支出, ind.output -> 产出指标)."""
    placed = layout(TABLES[table_key])
    if block in placed.repeats:
        return placed.repeats[block].block.label
    sec = placed.sections.get(block)
    if sec is not None and sec[2].label is not None:
        lab = sec[2].label
        return plain_label(lab.field.default if lab.field is not None else lab.text or "")
    return block


_FUNDS_KINDS = {k: kind for k, _l, kind, _s in FUNDS_COLUMNS}
_INDICATOR_KINDS = {k: kind for k, _l, kind, _s in INDICATOR_EXTRA_COLUMNS + INDICATOR_COLUMNS}


@lru_cache(maxsize=8192)           # called for every cell by several rules: the keys repeat row after row
def column_kind(table_key: str, key: str) -> str | None:
    """The kind of a value by its key: a field of the form, or a column of a block only the label
    reader fills (fund-source rows and columns of other families, indicators under other level names)."""
    f = fields_of(table_key).get(key)
    if f is not None:
        return f.kind
    block, _, col = key.rpartition(".")
    if block in ("funds.rows", "funds.sources"):
        return _FUNDS_KINDS.get(col)
    if block.startswith("ind.") and block.count(".") == 2:
        return _INDICATOR_KINDS.get(col)
    return None


@lru_cache(maxsize=None)
def computed_keys(table_key: str) -> tuple[str, ...]:
    """The fixed (not repeated) fields a formula computes, in form order."""
    return tuple(k for k, f, block in iter_fields(TABLES[table_key]) if f.computed and block is None)


@lru_cache(maxsize=None)
def checked_sums(table_key: str) -> tuple[tuple[str, Sum], ...]:
    """(field key, sum) of every :attr:`Field.checks` of a table, in form order: the typed totals
    the checks add up (年度资金总额 by source, 全年执行数 by 收入性质 and 支出性质, 公用经费's 其中 items)."""
    return tuple((k, s) for k, f, block in iter_fields(TABLES[table_key]) if block is None for s in f.checks)


# ---------------------------------------------------------------------------
# Defined names
# ---------------------------------------------------------------------------
NAME_PREFIX = "gb_"
FORM_MARKER = "gb_form_"   # + table key: marks the sheet (points at the title cell)


def defined_name(key: str) -> str:
    """The defined name of a field or block column key (sheet-scoped)."""
    return NAME_PREFIX + key.replace(".", "_")


@lru_cache(maxsize=None)
def name_index(table_key: str) -> dict[str, str]:
    """defined name -> field key (for fields) or block.column key (for block columns)."""
    out: dict[str, str] = {}
    for key, _f_, _blk in iter_fields(TABLES[table_key]):
        name = defined_name(key)
        if name in out:
            raise ValueError(f"duplicate defined name {name} in {table_key}")
        out[name] = key
    return out


@lru_cache(maxsize=None)
def name_targets(table_key: str) -> dict[str, tuple[str, str | None]]:
    """defined name -> (field key, block key or None)."""
    return {defined_name(key): (key, block) for key, _f_, block in iter_fields(TABLES[table_key])}
