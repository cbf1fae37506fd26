"""Table families: each family's layout, built here from its published description, is read,
named and checked by its own rules (weights from labels or implied, 20/80 funds points,
rubric rows, flat lists, header self-scores, unknown forms)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from gridbudget.check.engine import run_rules
from gridbudget.forms import families
from gridbudget.read.tables import read_submission, split_weight
from gridbudget.read.values import normalize_text

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"


def build(tmp_path: Path, rows: list[list], merges: tuple[str, ...] = (), name: str = "表", sheet: str | None = None) -> Path:
    """A workbook ``name``.xlsx of one sheet (``sheet``, else ``name``) holding ``rows`` as laid out."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet or name
    for r, cells in enumerate(rows, start=1):
        for c, v in enumerate(cells, start=1):
            if isinstance(v, dict):
                ws.cell(r, c, v["v"]).number_format = v["fmt"]
            elif v is not None and v != "":
                ws.cell(r, c, v)
    for m in merges:
        ws.merge_cells(m)
    path = tmp_path / f"{name}.xlsx"
    wb.save(path)
    return path


def codes(sub) -> list[tuple[str, str, str | None]]:
    return [(f.code, f.severity, f.cell) for f in run_rules(sub)]


# ---------------------------------------------------------------------------
# Provincial 20/80: 预算数(A)/执行数(B)/执行率/得分（20分*执行率）; no 分值 column
# ---------------------------------------------------------------------------
P2080 = [
    ["项目支出绩效自评表"],
    ["单位名称：某县农业农村局", None, None, None, "填报日期：2022年7月5日"],
    ["项目名称", "某扶持项目"],
    ["主管部门", "某县人民政府", None, None, "项目实施单位", "某县农业农村局"],
    ["预算执行情况（万元）（20分）", None, "预算数(A)", "执行数(B)", "执行率(B/A)", "得分（20分*执行率）"],
    ["年度财政资金总额", None, 500, 400, {"v": 0.8, "fmt": "0.00%"}, 16],
    ["年度绩效目标（80分）", "一级指标", "二级指标", "三级指标", "年初目标值(A)", "实际完成值(B)", "得分"],
    [None, "产出指标", "数量指标", "扶持主体（个）", 15, 6, 8],
    [None, None, "质量指标", "验收合格率", "100%", "100%", 20],
    [None, "效益指标", "经济效益指标", "实现产值（万元）", 8000, 12760, 31.9],
    [None, "满意度指标", "服务对象满意度指标", "满意度（%）", 90, 100, 11.1],
    ["总分", None, None, None, None, None, 87],
    ["偏差大或目标未完成原因分析", "部分主体不具备扶持条件，资金结余。"],
    ["改进措施及结果应用方案", "加强管理。"],
]


def test_provincial_20_80_is_named_and_weights_are_implied(tmp_path):
    sub = read_submission(build(tmp_path, P2080))
    (td,) = sub.projects
    assert td.family == "provincial-20-80"
    assert td.get("funds.total.weight").number_value() == 20 and td.get("funds.total.weight").implied
    weights = [i.get("weight").number_value() for i in td.indicators()]
    assert weights == [20, 20, 20, 10]          # 8 ÷ (6/15); full marks; 31.9 ÷ (12760/8000); 11.1 ÷ (100/90)
    assert "note" not in td.columns and td.indicators()[0].get("note").text().startswith("部分主体")
    got = codes(sub)
    assert ("S-WEIGHT-IMPLIED", "warning", "G8") in got
    assert ("S-SCORE-RANGE", "error", "G10") in got and ("S-SCORE-RANGE", "error", "G11") in got
    assert ("S-TOTAL-CAPPED", "error", "G12") in got
    capped = next(f for f in run_rules(sub) if f.code == "S-TOTAL-CAPPED")
    assert Decimal(str(capped.expected)) == Decimal("74")   # 16 + 8 + 20 + 20 + 10
    assert not [c for c in got if c[0] in ("S-SCORE-SUM", "S-EXEC-WEIGHT", "C-REQUIRED", "D-NOTE-DEDUCTED-BLANK")]


def test_block_points_against_level_labels(tmp_path):
    rows = [r[:] for r in P2080]
    rows[7] = [None, "产出指标（60分）", "数量指标", "扶持主体（个）", 15, 15, 30]
    rows[9] = [None, "效益指标（40分）", "经济效益指标", "实现产值（万元）", 8000, 8000, 30]
    rows[10] = [None, None, "社会效益指标", "带动就业", "100人", "100人", 10]
    rows[8] = [None, None, "质量指标", "验收合格率", "100%", "100%", 30]
    rows[11] = ["总分", None, None, None, None, None, 100]
    sub = read_submission(build(tmp_path, rows))
    got = codes(sub)
    assert ("S-WEIGHT-LABEL", "error", "A7") in got        # 80 vs 60 + 40
    assert ("S-SCORE-SUM", "error", "G12") in got          # 16 + 100 = 116
    assert not [c for c in got if c[0] == "S-WEIGHT-LABEL" and c[2] in ("B8", "B10")]


def test_percent_unit_with_large_values(tmp_path):
    rows = [r[:] for r in P2080]
    rows[9] = [None, "效益指标", "经济效益指标", "实现产值（%）", 8000, 12760, 31.9]
    assert ("W-UNIT-MISMATCH", "info", "E10") in codes(read_submission(build(tmp_path, rows)))


def test_misplaced_level2(tmp_path):
    rows = [r[:] for r in P2080]
    rows[10] = [None, "效益指标", "服务对象满意度指标", "满意度（%）", "90%", "95%", 10]
    sub = read_submission(build(tmp_path, rows))
    assert ("S-LEVEL-MISPLACED", "warning", "C11") in codes(sub)


# ---------------------------------------------------------------------------
# 2021+ grid: a two-row header, 指标性质 / 指标值 / 度量单位
# ---------------------------------------------------------------------------
def test_grid_2021_two_row_header(tmp_path):
    rows = [
        ["2020年度项目支出绩效自评表"],
        ["项目名称", "执法补助经费"],
        ["主管部门", "某市自然资源局", None, None, None, "实施单位", "某区自然资源局"],
        ["项目资金（万元）", None, None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        [None, "年度资金总额", None, 7.29, 7.29, 7.29, 10, {"v": 1, "fmt": "0%"}, 10],
        ["绩效指标", None, None, "年度指标值", None, None, "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位"],
        ["产出指标", "质量指标", "项目验收合格率", "﹦", 100, "%", 100, 50, 45],
        ["效益指标", "社会效益指标", "违法行为责停率", "≥", 95, "%", 95, 30, 30],
        ["满意度指标", "服务对象满意度指标", "满意度", "≥", 95, "%", 96, 10, 10],
    ]
    merges = ("D6:F6", "G6:G7", "H6:H7", "I6:I7", "J6:J7", "A6:C6")
    sub = read_submission(build(tmp_path, rows, merges))
    (td,) = sub.projects
    assert td.family == "grid-2021"
    first = td.indicators()[0]
    assert first.get("target").text() == "=100%" and first.get("weight").number_value() == 50
    got = codes(sub)
    assert ("S-MET-DEDUCTED", "warning", "I8") in got and ("D-NOTE-DEDUCTED-BLANK", "error", "J8") in got


# ---------------------------------------------------------------------------
# Target self-evaluation, no funds points: 分值 before 指标值, 40 / 40 / 20, score in the title row
# ---------------------------------------------------------------------------
def test_target_40_40_20(tmp_path):
    rows = [
        ["某示范推广项目绩效目标自评表（2022年度）", None, None, None, None, "项目总得分99分"],
        ["项目名称", "某示范推广项目", None, None, "项目实施单位/项目负责人", "某农技中心"],
        ["资金情况（万元）", None, None, "全年预算数(A)", None, "全年执行数(B)", None, "执行率(B/A)"],
        [None, "年度资金总额", None, 300, None, 290, None, {"v": 0.9667, "fmt": "0.00%"}],
        ["一级指标", "二级指标", "三级指标", "分值", "年度指标值", "全年实际值", "得分", "未完成原因及改进措施"],
        ["产出指标（40分）", "数量指标", "发放原原种", 40, "550万粒", "550万粒", 40],
        ["效益指标（40分）", "社会效益指标", "推广面积占比", 40, "≥80%", "85%", 40],
        ["满意度指标（20分）", "服务对象满意度指标", "农户满意度", 20, "≥90%", "95%", 19, "个别农户反映发放不及时"],
    ]
    sub = read_submission(build(tmp_path, rows))
    (td,) = sub.projects
    assert td.family == "target-40-40-20"
    assert td.get("total.score").number_value() == 99 and td.get("total.score").cell == "F1"
    got = codes(sub)
    assert not [c for c in got if c[0] in ("S-WEIGHT-L1", "S-WEIGHT-TOTAL", "S-EXEC-WEIGHT", "S-WEIGHT-LABEL")]
    assert not [c for c in got if c[0] == "C-REQUIRED" and c[2] in ("F4", "G4", "H4")]   # no funds points
    assert ("S-SCORE-SUM", "error", "F1") not in got                                       # 40 + 40 + 19 = 99


# ---------------------------------------------------------------------------
# 项目决策 / 项目管理 / 项目绩效 rubric with weights inside labels and 复核分
# ---------------------------------------------------------------------------
_DM_ROWS = [
    ["某市财政预算支出项目绩效目标自评表"],
    ["填报日期：2022年8月10日", None, None, None, None, "自评总分：28"],
    ["项目名称", "乡村道路养护", None, None, "项目主管单位", "某市交通运输局"],
    ["项目实施单位", "某市交通运输局"],
    ["项目资金（万元）", "来源", "中央（万元）", "省、地（万元）", "本级（万元）", "其他（万元）", "合计（万元）",
     "执行数（万元）", "执行率"],
    [None, None, None, None, None, None, 309, 309, "100 %"],
    ["项目权重", "评价内容", None, None, "分值", "自评分", "复核分", None, "评价标准及依据"],
    ["项目决策 2分", "决策依据", None, None, 2, 2, None, None, "有计划计2分"],
    ["项目管理 13分", "财务制度", None, None, 6, 5, None, None, "制度齐全"],
    [None, "运行监管", None, None, 6, 6, None, None, "有监管记录"],
    ["项目权重", "一级指标", "二级指标", "指标名称（三级指标）", "年初指标值", "年终完成值", "自评分", "复核分", "评价标准"],
    ["项目绩效 85分", "产出指标 40分", "数量指标 15分", "养护里程", "300公里", "300公里", 15, None, "按完成程度"],
]


def test_decision_management_rubric(tmp_path):
    rows = _DM_ROWS
    sub = read_submission(build(tmp_path, rows))
    (td,) = sub.projects
    assert td.family == "decision-management"
    assert [i.name for i in td.indicators()] == ["决策依据", "财务制度", "运行监管", "养护里程"]   # sheet order
    assert td.indicators()[-1].get("weight").number_value() == 15 and td.indicators()[-1].get("weight").implied
    got = codes(sub)
    assert ("S-WEIGHT-LABEL", "error", "A9") in got            # 项目管理 13 vs 6 + 6
    assert [c for c in got if c[0] == "C-REVIEW-EMPTY"] == [("C-REVIEW-EMPTY", "info", "G8")]
    assert ("W-FUNDS-SOURCES", "info", "C6") in got
    assert ("S-SCORE-SUM", "error", "F2") not in got            # 2 + 5 + 6 + 15 = 28
    assert not [c for c in got if c[0] == "C-REQUIRED" and c[2] in ("E8", "F8", "E9")]   # rubric rows: no targets needed
    assert not [c for c in got if c[0] in ("C-NO-INDICATORS", "S-WEIGHT-L1")]


def test_decision_management_scores_by_its_own_levels(tmp_path):
    from gridbudget.score.engine import score_submission

    ts = score_submission(read_submission(build(tmp_path, _DM_ROWS))).tables[0]
    assert [(g.name, g.weight, g.self_score) for g in ts.groups] == [("项目决策", 2, 2), ("项目管理", 12, 11)]
    assert [l.key for l in ts.level1] == ["output"] and ts.level1[0].weight == 15
    assert ts.exec_recomputed is None and "资金不计分" in ts.exec_basis
    assert all(not s.flag for s in ts.indicators) and ts.total_recomputed == 28


# ---------------------------------------------------------------------------
# 部门整体 rubric: 指标解释 / 评分标准 / 自评得分, 二级 weights in labels
# ---------------------------------------------------------------------------
def test_department_rubric(tmp_path):
    rows = [
        ["2023年度部门整体支出绩效评价自评表"],
        ["单位"],
        ["序号", "一级指标", "二级指标", "三级指标", "指标分值", "指标解释", "指标说明及评分标准", "自评得分"],
        [1, "规划（15分）", "基础信息（3分）", "基础信息完整性", 3, "信息是否完整", "完整得3分", 3],
        [2, None, "工作计划（12分）", "年度计划完整性", 6, "计划是否完整", "完整得6分", 6],
        [3, None, None, "年度计划明确性", 6, "计划是否明确", "明确得6分", 7],
    ]
    sub = read_submission(build(tmp_path, rows, ("B2:H2", "B4:B6", "C5:C6")))
    td = sub.overall
    assert td is not None and td.family == "dept-rubric"
    got = codes(sub)
    assert ("C-REQUIRED", "error", "B2") in got
    assert ("S-SCORE-RANGE", "error", "H6") in got
    assert not [c for c in got if c[0] == "S-WEIGHT-LABEL"]    # 3 = 3; 12 = 6 + 6; 15 = 3 + 12
    assert not [c for c in got if c[0] in ("C-NO-INDICATORS", "S-WEIGHT-L1", "D-NOTE-DEDUCTED-BLANK")]
    assert not [c for c in got if c[0] == "C-REQUIRED" and c[2] != "B2"]


# ---------------------------------------------------------------------------
# Chongqing flat list; Beijing 得分计算方法; Sichuan 10 + 90
# ---------------------------------------------------------------------------
def test_chongqing_flat_list(tmp_path):
    rows = [
        ["2023年度部门整体绩效自评表"],
        ["部门名称", "某区农业农村委员会"],
        ["部门预算执行情况", None, "年初预算数", "全年(调整)预算数", "全年执行数", "执行率", "执行率权重", "执行率得分"],
        [None, "年度资金总额", 1000, 1200, 1140, {"v": 0.95, "fmt": "0.00%"}, 10, 9.5],
        ["指标名称", "年初指标值", "调整指标值", "全年完成值", "得分系数", "指标权重", "指标得分", "是否核心指标"],
        ["农业产值增长率", "≥5%", "≥5%", "6%", 1, 45, 45, "是"],
        ["农户满意度", "≥90%", None, "92%", 0.9, 45, 41, "否"],
    ]
    sub = read_submission(build(tmp_path, rows))
    td = sub.overall
    assert td is not None and td.family == "chongqing-flat"
    assert [i.name for i in td.indicators()] == ["农业产值增长率", "农户满意度"]
    got = codes(sub)
    assert ("S-SCORE-COEF", "error", "G7") in got               # 45 × 0.9 = 40.5
    assert not [c for c in got if c[0] in ("C-NO-INDICATORS", "S-WEIGHT-L1", "C-LEVEL-UNKNOWN")]


def test_beijing_method_column_is_not_a_score(tmp_path):
    rows = [
        ["项目支出绩效自评表"],
        ["项目名称", "某项目"],
        ["主管部门", "某局", None, None, "实施单位", "某中心"],
        ["项目资金（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        [None, "年度资金总额", 100, 100, 100, 10, {"v": 1, "fmt": "0%"}, 10],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "得分计算方法", "偏差原因分析及改进措施"],
        ["产出指标", "数量指标", "培训人次", "≥100人次", "120人次", 50, 50, "完成得满分"],
        ["效益指标", "社会效益指标", "群众知晓率", "≥90%", "95%", 30, 30, "按比例"],
        ["满意度指标", "服务对象满意度指标", "满意度", "≥90%", "95%", 10, 10, "按比例"],
    ]
    sub = read_submission(build(tmp_path, rows))
    (td,) = sub.projects
    assert td.family == "beijing"
    assert [i.get("score").number_value() for i in td.indicators()] == [50, 30, 10]
    assert [i.row["method"].text() for i in td.indicators()][0] == "完成得满分"
    assert not [c for c in codes(sub) if c[1] == "error"]


def test_sichuan_10_90(tmp_path):
    rows = [
        ["部门预算项目支出绩效自评表(2023年度)"],
        ["项目名称", "某监管经费"],
        ["主管部门", "某局", None, None, None, "实施单位 (盖章)", "某局"],
        ["预算执行情况(10分)", "年度预算数(万元)", None, "年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重", "得分", "原因"],
        [None, "总额", None, 45, 45, 45, {"v": 1, "fmt": "0%"}, 10, 10],
        [None, "其中：财政资金", None, 45, 45, 45],
        ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "完成值", "权重", "得分", "未完成原因分析"],
        ["产出指标", "数量指标", "监管人员", "=", 14, "人", 14, 50, 50],
        ["效益指标", "社会效益指标", "基金安全", "=", 100, "%", 100, 30, 30],
        ["满意度指标", "服务对象满意度指标", "满意度", "≥", 90, "%", 95, 10, 10],
        ["合计", None, None, None, None, None, None, 100, 100],
        ["评价结论", "项目自评得分100分。"],
        ["存在问题", "无"],
        ["改进措施", "无"],
    ]
    sub = read_submission(build(tmp_path, rows))
    (td,) = sub.projects
    assert td.family == "sichuan-10-90"
    assert td.get("text.conclusion").text() == "项目自评得分100分。"
    assert td.get("funds.total.weight").number_value() == 10
    assert not [c for c in codes(sub) if c[1] == "error" and c[0] != "S-WEIGHT-TOTAL"]


# ---------------------------------------------------------------------------
# A table that matches no family; vocabulary helpers; the family description itself
# ---------------------------------------------------------------------------
def test_unknown_form_is_one_finding_on_its_title(tmp_path):
    rows = [["2023年度项目支出绩效自评表"], ["说明", "本表按上级通知另行报送"], ["备注", "无"]]
    sub = read_submission(build(tmp_path, rows))
    assert sub.tables == []
    got = codes(sub)
    assert [c for c in got if c[0] == "C-FORM-UNKNOWN"] == [("C-FORM-UNKNOWN", "warning", "A1")]
    assert not [c for c in got if c[0] in ("C-REQUIRED", "C-NO-INDICATORS")]


def test_split_weight():
    assert split_weight("产出指标（50分）") == ("产出指标", Decimal(50))
    assert split_weight("数量指标 15分") == ("数量指标", Decimal(15))
    assert split_weight("规划") == ("规划", None)
    assert split_weight("100分") == ("100分", None)


def test_family_descriptions_are_consistent():
    keys = [f.key for f in families.FAMILIES]
    assert len(keys) == len(set(keys))
    for f in families.FAMILIES:
        assert f.kind in ("project", "overall", "basic") and f.name and f.description and f.sources
        assert f.weights in ("column", "implied", "labels")
        if f.level_weights and f.indicator_total is not None:
            assert sum(w for _k, w in f.level_weights) + (f.funds_weight or 0) == f.total, f.key
    for kind, key in families.DEFAULT_FAMILY.items():
        assert families.FAMILY_BY_KEY[key].kind == kind
    from gridbudget.read.tables import norm
    assert families.detect("project", ["年度指标值", "实际完成值"], norm).key == "central-2020"
    assert families.detect("project", [norm("指标性质"), norm("年初目标值（A）")], norm).key == "provincial-20-80"
    assert families.detect("overall", [norm("得分系数"), families.FACT_NO_LEVELS], norm).key == "chongqing-flat"
    assert families.detect("overall", [norm("得分系数")], norm).key == "central-2020-overall"    # levels: not a flat list


# ---------------------------------------------------------------------------
# The development corpus (../shared/corpus, present in CI): findings found, no false errors
# ---------------------------------------------------------------------------
@pytest.mark.skipif(not (SHARED / "check.py").exists(),
                    reason="the development corpus ../shared/corpus is not beside this checkout (CI has it)")
def test_corpus(tmp_path):
    out = tmp_path / "corpus"
    subprocess.run([sys.executable, str(SHARED / "make_workbooks.py"), str(out)], check=True, capture_output=True)
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    r = subprocess.run([sys.executable, str(SHARED / "check.py"), str(out)], capture_output=True, text=True,
                       env=env, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    last = r.stdout.strip().splitlines()[-1]        # corpus: findings H/N, false errors on holds F
    hit, total = (int(x) for x in last.split("findings ")[1].split(",")[0].split("/"))
    false = int(last.rsplit(" ", 1)[1])
    assert false == 0, r.stdout
    assert hit == total == 74, r.stdout          # every listed finding, on its cell
    # every table of every case is named as the family its transcriber gave it
    expected = {"central-2020-project": "central-2020", "grid-2021-project (Sichuan": "sichuan-10-90",
                "grid-2021-project": "grid-2021", "provincial-20-80": "provincial-20-80",
                "project-decision-management-performance": "decision-management",
                "department-rubric": "dept-rubric", "target-self-eval-40-40-20": "target-40-40-20"}
    for case in sorted((SHARED / "real").glob("*.json")):
        given = json.loads(case.read_text(encoding="utf-8"))["family"]
        want = next(v for k, v in expected.items() if given.startswith(k))
        r = subprocess.run([sys.executable, "-m", "gridbudget", "validate", str(out / f"{case.stem}.xlsx"),
                            "--format", "json"], capture_output=True, text=True, timeout=120)
        got = json.loads(r.stdout)["files"][0]
        assert got["tables"] and {t["family"] for t in got["tables"]} == {want}, (case.stem, got["tables"])
        placed = [(f["code"], f["sheet"], f["cell"]) for f in got["findings"] if f["cell"]]
        assert len(placed) == len(set(placed)), (case.stem, "a cell read twice gives the same finding twice")


@pytest.mark.parametrize("rows", [P2080, _DM_ROWS], ids=["20-80", "decision-management"])
def test_scored_and_annotated_copies_of_other_families(tmp_path, rows):
    """The copies a reviewer opens are written for families without the standard 一级 columns too."""
    import openpyxl

    exe = str(Path(sys.executable).parent / "gridbudget")
    src = build(tmp_path, rows)
    for args, out in ((["score", str(src), "-o"], tmp_path / "scored.xlsx"),
                      (["validate", str(src), "--annotate"], tmp_path / "annotated.xlsx")):
        r = subprocess.run([exe, *args, str(out)], capture_output=True, text=True)
        assert "Traceback" not in r.stderr and r.returncode in (0, 1), r.stderr
        assert openpyxl.load_workbook(out).sheetnames[0] in ("评分汇总", "审核结果")


def test_export_names_the_family(tmp_path):
    import jsonschema

    from gridbudget.read.export import export_submission
    from gridbudget.schema import submission_schema

    out = json.loads(json.dumps(export_submission(read_submission(build(tmp_path, P2080))), default=str))
    assert [(t["kind"], t["family"]) for t in out["tables"]] == [("project", "provincial-20-80")]
    jsonschema.Draft202012Validator(submission_schema()).validate(out)


def test_summary_names_each_projects_family(tmp_path):
    import openpyxl

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    build(inbox, P2080, name="a")
    build(inbox, _DM_ROWS, name="b")
    out = tmp_path / "汇总.xlsx"
    r = subprocess.run([str(Path(sys.executable).parent / "gridbudget"), "summarize", str(inbox), "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    ws = openpyxl.load_workbook(out)["项目"]
    rows = list(ws.iter_rows(values_only=True))
    hr = next(i for i, r in enumerate(rows) if "表式" in r)        # the header row, below the title block
    col = rows[hr].index("表式")
    fams = sorted(r[col] for r in rows[hr + 1:] if r[0] and r[col])
    assert fams == sorted([families.FAMILY_BY_KEY["provincial-20-80"].name,
                           families.FAMILY_BY_KEY["decision-management"].name])


def test_text_blocks_beside_or_inside_their_label(tmp_path):
    rows = [r[:] for r in P2080]
    rows[12] = ["偏差大或目标未完成原因分析：部分主体不具备扶持条件，资金结余较多，未全部执行。"]
    rows[13] = ["改进措施及结果应用方案", "加强管理。"]
    (td,) = read_submission(build(tmp_path, rows)).projects
    assert td.get("text.deviation").text() == normalize_text("部分主体不具备扶持条件，资金结余较多，未全部执行。")
    assert td.get("text.deviation").cell == "A13"
    assert td.get("text.application").text() == "加强管理。" and td.get("text.application").cell == "B14"


def test_level_keys_of_two_grids_do_not_collide(tmp_path):
    """Each grid of a table names its own levels; a second grid's 工作成效 is not merged into the first's 项目管理."""
    from gridbudget.score.engine import score_submission

    rows = [r[:] for r in _DM_ROWS]
    rows[-1] = ["项目绩效 85分", "工作成效 40分", "数量指标 15分", "养护里程", "300公里", "300公里", 15, None, "按完成程度"]
    ts = score_submission(read_submission(build(tmp_path, rows))).tables[0]
    assert [(g.name, g.self_score) for g in ts.groups] == [("项目决策", 2), ("项目管理", 11), ("工作成效", 15)]


def test_template_text_in_a_shared_deviation_block_is_reported_once(tmp_path):
    rows = [r[:] for r in P2080]
    rows[12] = ["偏差大或目标未完成原因分析", "结合自评情况，分析偏差原因（200字以内）"]
    got = [c for c in codes(read_submission(build(tmp_path, rows))) if c[0] == "C-TEMPLATE-TEXT"]
    assert got == [("C-TEMPLATE-TEXT", "warning", "B13")]


def test_a_table_wide_deviation_text_must_speak_of_an_overachieved_indicator(tmp_path):
    """20/80 tables have one 原因分析 text for the whole table: an indicator far above its target
    (实现产值 12760 against 8000, 160%) is unexplained unless the text speaks of it."""
    from gridbudget.check.engine import run_rules

    got = [f for f in run_rules(read_submission(build(tmp_path, P2080))) if f.code == "D-NOTE-OVERACHIEVED"]
    assert [(f.cell, f.severity, f.found) for f in got] == [("F10", "warning", "部分主体不具备扶持条件,资金结余。")]   # text as normalised
    assert "原因分析中没有提到它" in got[0].message
    rows = [list(r) for r in P2080]
    rows[12] = ["偏差大或目标未完成原因分析", "部分主体不具备扶持条件，资金结余；新建加工厂投产，实现产值超过目标。"]
    said = build(tmp_path, rows, name="said")
    assert not [f for f in run_rules(read_submission(said)) if f.code == "D-NOTE-OVERACHIEVED"]
