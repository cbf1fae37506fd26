"""Table families: the layouts units actually publish, each described once, as data.

A *family* is a way of laying out and scoring one of the self-evaluation tables: the
central 2020 project table, the 2021+ grid, the provincial 20/80 tables, the rubric
tables, the Chongqing flat list… Each description below says how the family is
recognised (words of its title and header), how many points the execution rate and
the indicators carry, where the weights come from (a 分值 column, the labels, or
implied by the scores), whether the rows are targets or rubric criteria, which
free-text blocks it has, and where it comes from. The reader names the family of
every table it reads; the checks and the scoring take their weights and relations
from it; ``gridbudget template --family`` writes the families that have a layout;
``docs/families.md`` is generated from it.

Vocabulary (column labels and their regional synonyms) is declared in
:mod:`gridbudget.forms` (``FUNDS_COLUMNS``, ``INDICATOR_COLUMNS``, ``INDICATOR_EXTRA_COLUMNS``,
``TEXT_BLOCKS``): every family reads with the same words, a family only decides what
the columns it has mean for the score.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable

# Facts the reader derives from a table besides its header words (see read/tables.py).
FACT_WEIGHT_BEFORE_TARGET = "@分值在指标值前"
FACT_FUNDS_UNSCORED = "@资金不计分"
FACT_NO_TARGET = "@无指标值列"
FACT_NO_LEVELS = "@无一级二级"


@dataclass(frozen=True)
class Family:
    key: str
    name: str                                  # shown to users
    kind: str                                  # "project" | "overall" | "basic"
    description: str
    markers: tuple[str, ...] = ()              # any of these header words or facts marks the family
    requires: tuple[str, ...] = ()             # all of these must be present
    rank: int = 0                              # the most specific matching family wins
    funds_weight: int | None = 10              # points of the execution rate; None: funds not scored
    level_weights: tuple[tuple[str, int], ...] = (("output", 50), ("benefit", 30), ("satisfaction", 10))
    indicator_total: int | None = 90           # points of the indicator block (None: not fixed)
    total: int = 100
    weights: str = "column"                    # "column" | "implied" (得分 = 分值 × 完成率) | "labels"
    rubric: bool = False                       # rows are scoring criteria, not targets with actuals
    note_column: bool = True                   # rows carry a deviation note
    texts: tuple[str, ...] = ()                # free-text blocks the family requires (TEXT_BLOCKS keys)
    layout: str | None = None                  # forms table key with a template layout, when there is one
    example: tuple[tuple[str, ...], ...] = ()  # a few header rows as printed (docs picture)
    sources: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()               # title words that name the family (read before the table's kind words)
    declaration: bool = False                  # a 绩效目标申报表: targets declared at budget time, not a self-evaluation


_NATIONAL_SOURCE = "财预〔2020〕10号《项目支出绩效评价管理办法》附件 项目支出绩效自评表"

FAMILIES: tuple[Family, ...] = (
    Family(
        "central-2020", "全国通用项目支出绩效自评表（2020版）", "project",
        "年初预算数 / 全年预算数 / 全年执行数 / 分值 / 执行率 / 得分；一级、二级、三级指标，年度指标值、实际完成值、"
        "分值、得分、偏差原因分析及改进措施。预算执行率 10 分，产出 50、效益 30、满意度 10。",
        layout="project",
        example=(("项目资金（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"),
                 ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施")),
        sources=(_NATIONAL_SOURCE, "语料 01–04"),
    ),
    Family(
        "central-2020-overall", "部门整体支出绩效自评表（中央/湖南）", "overall",
        "年度资金总额与按收入性质分、按支出性质分；年度总体目标；指标体系与项目表相同。预算执行率 10 分，"
        "产出 50、效益 30、满意度 10。",
        layout="overall",
        sources=("种子报告附表（岳阳市君山区，2024）", "湘财绩〔2020〕8号"),
    ),
    Family(
        "basic", "部门整体支出绩效评价基础数据表", "basic",
        "财政供养人员、三公经费及明细、项目支出、公用经费及明细、政府采购、楼堂馆所；上年决算 / 本年预算 / 本年决算。",
        funds_weight=None, level_weights=(), indicator_total=None, note_column=False, layout="basic",
        sources=("种子报告附表",),
    ),
    Family(
        "grid-2021", "2021年后全国模板（指标性质、指标值、度量单位分列）", "project",
        "年度指标值拆成 指标性质（≥ ≤ =）/ 指标值 / 度量单位 三列，表头一行或两行；成本指标可作一级指标"
        "（经济成本、社会成本、生态环境成本）。计分同全国通用表。",
        markers=("指标性质", "度量单位", "计量单位"), rank=1,
        example=(("绩效指标", "", "", "年度指标值", "", "", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"),
                 ("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "", "", "", "")),
        sources=("财政部 2021 年后项目支出绩效目标表样", "语料 05（云南丽江）"),
    ),
    Family(
        "sichuan-10-90", "四川部门预算项目支出绩效自评表（10+90）", "project",
        "预算执行情况（10分）：年初预算 / 调整后预算数 / 预算执行数 / 预算执行率 / 权重 / 得分 / 原因；"
        "绩效指标（90分）：指标性质 / 指标值 / 度量单位 / 完成值 / 权重 / 得分 / 未完成原因分析；"
        "其后评价结论、存在问题、改进措施（各 200 字以内）。执行率低于 90% 须说明原因。",
        markers=("部门预算项目支出绩效自评表", "预算执行情况(10分)", "绩效指标(90分)", "财政专户管理资金", "未完成原因分析",
                 "评价结论"), requires=("权重",), rank=2,
        texts=("conclusion", "problems", "measures"),
        example=(("预算执行情况(10分)", "年度预算数(万元)", "", "年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重", "得分", "原因"),
                 ("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "完成值", "权重", "得分", "未完成原因分析")),
        sources=("四川省财政厅 510000_0013zp 表样", "语料 06（四川大英）"),
    ),
    Family(
        "provincial-20-80", "省级项目绩效自评表（预算执行 20 分 + 绩效目标 80 分）", "project",
        "预算执行情况（20分）：预算数(A) / 执行数(B) / 执行率(B/A) / 得分（20分×执行率）；年度绩效目标（80分）："
        "一级、二级、三级指标，年初目标值(A) / 实际完成值(B) / 得分，常常没有分值列：分值由一级指标标注的分数、"
        "或由 得分 = 分值 × B/A 推算。",
        markers=("年初目标值", "20分*执行率", "20分×执行率", "(20分)", "(80分)"), rank=2,
        funds_weight=20, level_weights=(), indicator_total=80, weights="implied",
        texts=("deviation", "application"),
        example=(("预算执行情况（万元）（20分）", "", "预算数(A)", "执行数(B)", "执行率(B/A)", "得分（20分*执行率）"),
                 ("年度绩效目标（80分）", "一级指标", "二级指标", "三级指标", "年初目标值(A)", "实际完成值(B)", "得分")),
        sources=("湖北、云南、安徽等地项目支出绩效自评表", "语料 07、08、12"),
    ),
    Family(
        "target-40-40-20", "绩效目标自评表（资金不计分，产出 40 / 效益 40 / 满意度 20）", "project",
        "资金情况按来源列示（中央补助、自治区补助、市县资金），有执行率但不计分；指标表 分值 在 年度指标值 之前，"
        "产出 40、效益 40、满意度 20；项目总得分常写在标题行。",
        markers=(FACT_WEIGHT_BEFORE_TARGET,), requires=(FACT_FUNDS_UNSCORED,), rank=2,
        funds_weight=None, level_weights=(("output", 40), ("benefit", 40), ("satisfaction", 20)), indicator_total=100,
        example=(("资金情况（万元）", "", "", "全年预算数(A)", "", "全年执行数(B)", "", "执行率(B/A)"),
                 ("一级指标", "二级指标", "三级指标", "分值", "年度指标值", "全年实际值", "得分", "未完成原因及改进措施")),
        sources=("宁夏自治区专项绩效目标自评表", "语料 11"),
    ),
    Family(
        "decision-management", "项目决策 / 项目管理 / 项目绩效 评分表", "project",
        "资金按来源列示、不计分；项目决策、项目管理为评价内容（评分标准），项目绩效为一级、二级、三级指标；"
        "分值写在标签里（“产出指标 40分”“数量指标 15分”），有自评分、复核分两列。如 2 + 13 + 85。",
        markers=("项目决策", "项目管理", "复核分"), rank=3,
        funds_weight=None, level_weights=(), indicator_total=100, weights="labels", note_column=False,
        example=(("项目权重", "评价内容", "", "", "分值", "自评分", "复核分", "", "评价标准及依据"),
                 ("项目权重", "一级指标", "二级指标", "指标名称（三级指标）", "年初指标值", "年终完成值", "自评分", "复核分", "评价标准")),
        sources=("湖北广水市财政预算支出项目绩效目标自评表", "语料 09"),
    ),
    Family(
        "beijing", "北京项目支出绩效自评表（含得分计算方法）", "project",
        "在分值、得分旁有“得分计算方法”列（文字，写明计分方法，不是分数）；资金行为 年度资金总额、本年一般公共预算拨款等。"
        "计分同全国通用表。",
        markers=("得分计算方法",), rank=2,
        example=(("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "得分计算方法", "偏差原因分析及改进措施"),),
        sources=("北京市项目支出绩效自评表样",),
    ),
    Family(
        "chongqing-flat", "重庆部门整体绩效自评表（指标平列）", "overall",
        "部门预算执行情况：年初预算数 / 全年（调整）预算数 / 全年执行数 / 执行率 / 执行率权重 / 执行率得分；"
        "指标平列一张表：年初指标值 / 调整指标值 / 全年完成值 / 得分系数 / 指标权重 / 指标得分 / 是否核心指标，"
        "没有一级、二级层次；指标得分 = 指标权重 × 得分系数。",
        markers=("得分系数", "是否核心指标", "调整指标值"), requires=(FACT_NO_LEVELS,), rank=3,
        level_weights=(), indicator_total=None,
        example=(("指标名称", "年初指标值", "调整指标值", "全年完成值", "得分系数", "指标权重", "指标得分", "是否核心指标"),),
        sources=("重庆市部门整体绩效自评表样",),
    ),
    Family(
        "dept-rubric", "部门整体支出绩效评价自评表（评分细则）", "overall",
        "按管理评分细则自评：一级、二级、三级指标，指标分值、指标解释、评分标准、自评得分；没有年度指标值、"
        "实际完成值；二级指标的分值写在标签里（“基础信息（3分）”）。如 规划 15、执行 35 …；"
        "部门决策 25 / 综合管理 30 / 部门绩效情况 45（达州）；履职效能 / 管理效率 / 运行成本；投入 / 过程 / 产出 / 效益。",
        markers=("指标解释", "评分标准", "指标说明及评分标准", "部门决策", "综合管理", "履职效能", "管理效率"),
        requires=(FACT_NO_TARGET,), rank=2,
        funds_weight=None, level_weights=(), indicator_total=100, weights="column", rubric=True, note_column=False,
        example=(("序号", "一级指标", "二级指标", "三级指标", "指标分值", "指标解释", "指标说明及评分标准", "自评得分"),),
        sources=("安徽寿县部门整体支出绩效评价自评表", "达州市部门整体支出绩效评价指标体系", "语料 10"),
    ),
)


_DECLARATION_SOURCE = "财预〔2015〕88号《中央部门预算绩效目标管理办法》附件 项目支出绩效目标申报表、部门整体支出绩效目标申报表"

# Targets declared at budget time (绩效目标申报表). Read with the same machinery as the self-evaluation
# tables, but never checked or scored as one: ``gridbudget distribute --targets`` pre-fills a project's
# 年度目标 and indicators from them, and the F- rules compare what comes back with what was declared.
DECLARATIONS: tuple[Family, ...] = (
    Family(
        "declaration-overall", "部门整体支出绩效目标申报表", "overall",
        "部门（单位）名称、年度主要任务、年度绩效目标；绩效指标：一级、二级、三级指标与指标值。"
        "不审核、不计分，只作为下发整体支出自评表时预填、锁定的年度目标和指标。",
        titles=("整体支出绩效目标申报表", "整体绩效目标申报表", "整体支出绩效目标表"),
        markers=("整体支出绩效目标申报表", "整体绩效目标申报表", "整体支出绩效目标表"), rank=9, declaration=True,
        funds_weight=None, indicator_total=None, note_column=False,
        example=(("部门（单位）名称", "", "", "", ""), ("年度绩效目标", "", "", "", ""),
                 ("绩效指标", "一级指标", "二级指标", "三级指标", "指标值")),
        sources=(_DECLARATION_SOURCE,),
    ),
    Family(
        "declaration-project", "项目支出绩效目标申报表", "project",
        "项目名称、主管部门、实施单位、项目资金（年度资金总额、其中财政拨款、其他资金）、年度绩效目标；"
        "绩效指标：一级、二级、三级指标与指标值（2021 年后的表样把指标值拆成 指标性质 / 指标值 / 度量单位）。"
        "没有实际完成值、分值、得分：不审核、不计分，只作为下发自评表时预填、锁定的年度目标和指标。",
        titles=("项目支出绩效目标申报表", "项目绩效目标申报表", "项目支出绩效目标表", "项目绩效目标表", "绩效目标申报表"),
        markers=("绩效目标申报表", "绩效目标表"), rank=9, declaration=True,
        funds_weight=None, indicator_total=None, note_column=False,
        example=(("项目名称", "", "", "", ""), ("年度绩效目标", "", "", "", ""),
                 ("绩效指标", "一级指标", "二级指标", "三级指标", "指标值")),
        sources=(_DECLARATION_SOURCE, "财预〔2020〕10号（绩效目标与自评指标对应）"),
    ),
)
ALL_FAMILIES = FAMILIES + DECLARATIONS      # FAMILIES: the self-evaluation tables only

# Title words of the families that name themselves by title (the declarations), by table kind.
FAMILY_TITLES: tuple[tuple[str, tuple[str, ...]], ...] = tuple((f.kind, f.titles) for f in ALL_FAMILIES if f.titles)
# A declaration's goals label ("年度绩效目标" is the 20/80 tables' indicator block label: declarations only).
DECLARATION_GOAL_WORDS = ("年度绩效目标", "绩效目标", "年度目标")

FAMILY_BY_KEY = {f.key: f for f in ALL_FAMILIES}
DEFAULT_FAMILY = {"project": "central-2020", "overall": "central-2020-overall", "basic": "basic"}


def family(key: str | None, kind: str = "project") -> Family:
    """The family by key; the table kind's default when unknown."""
    f = FAMILY_BY_KEY.get(key or "")
    return f if f is not None else FAMILY_BY_KEY[DEFAULT_FAMILY.get(kind, "central-2020")]


@lru_cache(maxsize=None)
def _norm_markers(key: str, normalize: Callable[[str], str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    f = FAMILY_BY_KEY[key]
    return tuple(normalize(w) for w in f.markers), tuple(normalize(w) for w in f.requires)


def detect(kind: str, facts: Iterable[str], normalize: Callable[[str], str] = str) -> Family:
    """The most specific family of ``kind`` whose markers appear in ``facts`` (header texts and
    reader facts, normalised by ``normalize``, which is applied to the markers too); the kind's
    default family when none does."""
    texts = tuple(facts)
    best = family(None, kind)
    for f in ALL_FAMILIES:
        if f.kind != kind or not (f.markers or f.requires) or f.rank <= best.rank:
            continue
        markers, requires = _norm_markers(f.key, normalize)
        if requires and not all(any(r in t for t in texts) for r in requires):
            continue
        if markers and not any(m in t for m in markers for t in texts):
            continue
        best = f
    return best


def with_layout() -> list[Family]:
    return [f for f in FAMILIES if f.layout]
