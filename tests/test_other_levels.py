"""Indicator rows under level names the template has no section for: export carries them as groups
(``ind.other``: 一级 groups; ``ind.<一级>.other``: 二级 groups under a standard 一级), the schema
describes them, ``fill`` writes them on the template's free indicator sections and says in Chinese
what went where and what could not be placed, and the filled template exports them back.

The workbooks are built here in the layouts of the development corpus (../shared/corpus cases 06, 09
and 10), so these tests run without it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from gridbudget import forms
from test_families import build as build_rows
from gridbudget.read.export import export_submission
from gridbudget.read.tables import read_submission
from gridbudget.schema import submission_schema
from gridbudget.submission import dumps, flatten, flatten_table, nest_table, validate
from gridbudget.write.template import TemplateOptions, build_workbook

# 项目决策 / 项目管理 rubric above a 项目绩效 grid (corpus 09, Hubei): weights in the labels
DECISION = [
    ["某市财政预算支出项目绩效目标自评表"],
    ["填报日期：2022年8月10日", None, None, None, None, "自评总分：95"],
    ["项目名称", "乡村道路建设养护项目", None, None, "项目主管单位", "某市交通运输局"],
    ["项目实施单位", "某市交通运输局", None, None, "项目负责人"],
    ["项目资金（万元）", "来源", "中央（万元）", "省、地（万元）", "本级（万元）", "其他（万元）", "合计（万元）",
     "执行数（万元）", "执行率"],
    [None, None, None, None, None, None, 309, 309, "100 %"],
    ["项目年度目标", "完成乡村道路建设养护里程 300 公里"],
    ["项目权重", "评价内容", None, None, "分值", "自评分", "复核分", None, "评价标准及依据"],
    ["项目决策 2分", "决策依据", None, None, 2, 2, None, None, "有项目年度工作计划计2分"],
    ["项目管理 13分", "财务制度", None, None, 3, 3, None, None, "制度齐全计3分"],
    [None, "组织机构", None, None, 2, 2, None, None, "有专人负责计2分"],
    [None, "运行监管", None, None, 4, 4, None, None, "有监管记录计4分"],
    [None, "目标申报", None, None, 4, 3.5, None, None, "按时申报计4分"],
    ["项目权重", "一级指标", "二级指标", "指标名称（三级指标）", "年初指标值", "年终完成值", "自评分", "复核分", "评价标准"],
    ["项目绩效 85分", "产出指标 40分", "数量指标 15分", "乡村道路建设养护里程", "300公里", "300公里", 15, None, "按完成程度"],
]
DECISION_MERGES = ("B8:D8", "B9:D9", "B10:D10", "B11:D11", "B12:D12", "B13:D13", "A10:A13")

# 部门整体 rubric (corpus 10, Anhui): 规划 / 执行 with their 二级, points in the labels
DEPARTMENT = [
    ["2023年度部门整体支出绩效评价自评表"],
    ["单位", "某县某局"],
    ["序号", "一级指标", "二级指标", "三级指标", "指标分值", "指标解释", "指标说明及评分标准", "自评得分"],
    [1, "规划（15分）", "基础信息（3分）", "基础信息完整性", 3, "信息是否完整", "完整得3分", 3],
    [2, None, "工作计划（6分）", "年度工作计划完整性", 3, "计划是否完整", "完整得3分", 3],
    [3, None, None, "年度工作计划明确性", 3, "计划是否明确", "明确得3分", 2],
    [4, None, "绩效目标（6分）", "年度绩效目标合理性", 4, "目标是否合理", "合理得4分", 4],
    [5, None, None, "年度绩效目标明确性", 2, "目标是否明确", "明确得2分", 2],
    [6, "执行（35分）", "预算执行（18分）", "预算执行率", 5, "执行数 ÷ 预算数", "100%得5分", 5],
]
DEPARTMENT_MERGES = ("B2:H2", "C5:C6", "C7:C8", "B4:B8")

# 成本指标 as a 一级 with no 二级 (corpus 06, Sichuan): a group under the standard 产出指标
COST = [
    ["部门预算项目支出绩效自评表(2023年度)"],
    ["项目名称", "城乡居民医保参保经费"],
    ["主管部门", "某县医疗保障局", None, None, None, "实施单位 (盖章)", "某县医疗保障局"],
    ["预算执行情况(10分)", "年度预算数(万元)", None, "年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重", "得分",
     "原因"],
    [None, "总额", None, 45, 45, 45, {"v": 1, "fmt": "0%"}, 10, 10],
    ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "完成值", "权重", "得分", "未完成原因分析"],
    ["成本指标", None, "网络宣传成本", "≤", 101400, "元", 98000, 20, 20],
    [None, None, "工作经费发放成本", "=", 1, "元/人", 1, 30, 30],
    ["效益指标", "社会效益指标", "群众知晓率", "=", 100, "%", 100, 30, 30],
    ["满意度指标", "服务对象满意度指标", "参保人员满意度", "≥", 90, "%", 95, 10, 10],
    ["合计", None, None, None, None, None, None, 100, 100],
]
COST_MERGES = ("A7:A8", "B7:B8")

CASES = {"decision": (DECISION, DECISION_MERGES), "department": (DEPARTMENT, DEPARTMENT_MERGES), "cost": (COST, COST_MERGES)}


def build(tmp_path: Path, name: str) -> Path:
    rows, merges = CASES[name]
    return build_rows(tmp_path, rows, merges, name, sheet="表")


def exported(path_or_bytes, *, sources: bool = False) -> dict:
    sub = (read_submission("filled.xlsx", data=path_or_bytes) if isinstance(path_or_bytes, bytes)
           else read_submission(path_or_bytes))
    return json.loads(dumps(export_submission(sub, with_sources=sources)))


def evaluated(doc: dict) -> list[dict]:
    """The self-evaluation tables of an export that hold indicator rows."""
    return [t for t in ([doc["overall"]] if doc.get("overall") else []) + doc["projects"]
            if groups(t) or standard_rows(t)]


def groups(table: dict) -> dict[str, list]:
    """Every list of groups of a table, by its parent key."""
    ind = table.get("ind", {})
    out = {"ind": ind["other"]} if "other" in ind else {}
    out.update({f"ind.{k}": v["other"] for k, v in ind.items() if isinstance(v, dict) and "other" in v})
    return out


def standard_rows(table: dict) -> dict[str, list]:
    ind = table.get("ind", {})
    return {f"{k1}.{k2}": v2["rows"] for k1, v1 in ind.items() if isinstance(v1, dict)
            for k2, v2 in v1.items() if isinstance(v2, dict) and v2.get("rows")}


def fill(doc: dict) -> tuple[bytes, list[str]]:
    notes: list[str] = []
    flat = flatten(doc, notes=notes)
    return build_workbook(TemplateOptions(projects=max(1, len(flat["projects"]))), flat), notes


# ---------------------------------------------------------------------------
# export
# ---------------------------------------------------------------------------
def test_export_carries_the_rubric_groups(tmp_path):
    doc = exported(build(tmp_path, "decision"), sources=True)
    (project,) = doc["projects"]
    assert groups(project) == {"ind": [
        {"label": "项目决策", "weight": 2, "level2": [{"rows": [{"name": "决策依据", "weight": 2, "score": 2}]}]},
        {"label": "项目管理", "weight": 13, "level2": [{"rows": [
            {"name": "财务制度", "weight": 3, "score": 3}, {"name": "组织机构", "weight": 2, "score": 2},
            {"name": "运行监管", "weight": 4, "score": 4}, {"name": "目标申报", "weight": 4, "score": 3.5}]}]}]}
    assert standard_rows(project) == {"output.quantity": [
        {"name": "乡村道路建设养护里程", "target": "300公里", "actual": "300公里", "weight": 15, "score": 15}]}
    src = doc["sources"]["projects"][0]
    assert src["ind.other[0].label"] == "表!A9" and src["ind.other[1].level2[0].rows[3].score"] == "表!F13"


def test_export_carries_department_levels_with_their_level2(tmp_path):
    (overall,) = evaluated(exported(build(tmp_path, "department")))
    got = groups(overall)["ind"]
    assert [(g["label"], g["weight"]) for g in got] == [("规划", 15), ("执行", 35)]
    assert [(g2["label"], g2["weight"], [r["name"] for r in g2["rows"]]) for g2 in got[0]["level2"]] == [
        ("基础信息", 3, ["基础信息完整性"]), ("工作计划", 6, ["年度工作计划完整性", "年度工作计划明确性"]),
        ("绩效目标", 6, ["年度绩效目标合理性", "年度绩效目标明确性"])]
    assert got[1]["level2"] == [{"label": "预算执行", "weight": 18, "rows": [
        {"name": "预算执行率", "weight": 5, "score": 5}]}]     # 指标解释 and 评分标准 are not template columns


def test_export_carries_a_level1_without_level2_under_its_standard_level(tmp_path):
    (project,) = evaluated(exported(build(tmp_path, "cost")))
    assert groups(project) == {"ind.output": [{"rows": [
        {"name": "网络宣传成本", "target": "≤101400元", "actual": "98000元", "weight": 20, "score": 20},
        {"name": "工作经费发放成本", "target": "=1元/人", "actual": "1元/人", "weight": 30, "score": 30}]}]}
    assert project["ind"]["output"]["label"] == "成本指标"


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_export_validates(tmp_path, case):
    doc = exported(build(tmp_path, case), sources=True)
    validate(json.loads(json.dumps(doc), parse_float=Decimal))       # the checker fill uses
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator(submission_schema()).validate(doc)


def test_the_schema_describes_the_groups_once():
    schema = submission_schema()
    for kind in ("overall", "project"):
        ind = schema["$defs"][kind]["properties"]["ind"]["properties"]
        assert ind["other"]["items"] == {"$ref": "#/$defs/level1_group"}
        for key, *_ in forms.LEVEL1:
            assert ind[key]["properties"]["other"]["items"] == {"$ref": "#/$defs/level2_group"}
    assert "other" not in json.dumps(schema["$defs"]["basic"])
    rows = schema["$defs"]["level2_group"]["properties"]["rows"]["items"]["properties"]
    assert list(rows) == [f.key for f in forms.INDICATOR_FIELDS]


# ---------------------------------------------------------------------------
# fill, and back
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(CASES))
def test_round_trip_through_the_template(tmp_path, case):
    first = exported(build(tmp_path, case))
    book, notes = fill(first)
    again = exported(book)
    before, after = evaluated(first), evaluated(again)
    assert [groups(t) for t in after] == [groups(t) for t in before]
    assert [standard_rows(t) for t in after] == [standard_rows(t) for t in before]
    assert notes and not [n for n in notes if "没有写入" in n]
    # a second round changes nothing
    assert evaluated(exported(fill(again)[0])) == after


def test_fill_says_where_each_group_went(tmp_path):
    _book, notes = fill(exported(build(tmp_path, "decision")))
    assert notes == [
        "项目支出绩效自评表“乡村道路建设养护项目”：一级指标“项目决策”（模板没有这个一级指标）写入了“效益指标”一栏（该栏的小计行名称沿用模板）。",
        "项目支出绩效自评表“乡村道路建设养护项目”：一级指标“项目管理”（模板没有这个一级指标）写入了“满意度指标”一栏（该栏的小计行名称沿用模板）。"]


def _row(name: str) -> dict:
    return {"name": name, "target": "≥1次", "actual": "1次", "weight": 5, "score": 5}


def test_fill_names_what_it_could_not_place():
    full = {k: {"quantity" if k == "output" else ("social" if k == "benefit" else "service"): {"rows": [_row(k)]}}
            for k, *_ in forms.LEVEL1}
    doc = {"overall": {"year": 2024, "ind": {**full, "other": [
        {"label": "履职效能", "weight": 30, "level2": [{"label": "工作量", "rows": [_row("办件量")]}]}]}}}
    book, notes = fill(doc)
    assert notes == ["部门整体支出绩效自评表：一级指标“履职效能”（1 个三级指标）没有写入：模板中产出指标、效益指标、满意度指标各栏都已填写。"]
    assert "办件量" not in json.dumps(exported(book), ensure_ascii=False)
    # too many 二级 for any free section: the first four are written, the rest named
    many = [{"label": f"二级{i}", "rows": [_row(f"指标{i}")]} for i in range(6)]
    book, notes = fill({"overall": {"year": 2024, "ind": {"other": [{"label": "履职效能", "level2": many}]}}})
    assert notes[1:] == [f"部门整体支出绩效自评表：一级指标“履职效能”下的二级指标“二级{i}”（1 个三级指标）没有写入："
                         "写入的“产出指标”一栏只有 4 个二级指标。" for i in (4, 5)]
    (overall,) = evaluated(exported(book))
    assert [g2["label"] for g2 in groups(overall)["ind"][0]["level2"]] == [f"二级{i}" for i in range(4)]
    # a 二级 of another name under a 一级 whose 二级 slots are all taken
    doc = {"overall": {"year": 2024, "ind": {"satisfaction": {"service": {"rows": [_row("满意度")]},
                                                              "other": [{"label": "群众评议", "rows": [_row("评议")]}]}}}}
    _book, notes = fill(doc)
    assert notes == ["部门整体支出绩效自评表：满意度指标下的二级指标“群众评议”（1 个三级指标）没有写入：模板中满意度指标的二级指标栏都已填写。"]


def test_a_template_renamed_by_hand_exports_groups():
    """A unit that types another 一级 name over the template's exports it as a group, not as 产出."""
    doc = {"overall": {"year": 2024, "ind": {"output": {"label": "履职效能（30分）", "quantity": {
        "label": "工作量（10分）", "rows": [_row("办件量")]}}, "benefit": {"social": {"rows": [_row("群众知晓率")]}}}}}
    (overall,) = evaluated(exported(fill(doc)[0]))
    assert groups(overall) == {"ind": [{"label": "履职效能", "weight": 30, "level2": [
        {"label": "工作量", "weight": 10, "rows": [_row("办件量")]}]}]}
    assert "output" not in overall["ind"] and standard_rows(overall) == {"benefit.social": [_row("群众知晓率")]}


def test_flatten_then_nest_keeps_the_groups(tmp_path):
    (project,) = evaluated(exported(build(tmp_path, "decision")))
    flat = flatten_table("project", project)
    assert set(flat["__groups__"]) == {"ind"}
    assert nest_table("project", flat) == project


def test_cli_fill_prints_the_notes(tmp_path):
    data = tmp_path / "d.json"
    data.write_text(json.dumps(exported(build(tmp_path, "department")), ensure_ascii=False), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "gridbudget", "fill", str(data), "-o", str(tmp_path / "out.xlsx")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "提示：部门整体支出绩效自评表：一级指标“规划”（模板没有这个一级指标）写入了“产出指标”一栏" in r.stderr
