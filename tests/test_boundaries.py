"""Boundaries: each relation rule exactly at its tolerance (silent) and just past it (an exact finding);
the value parser's comparison words, ranges and money units; every row label of a hand-made
基础数据表; CSV neutralisation of formula-like text.

Written against the mutations that survived the older suite (issue 10): a tolerance dropped from a
rule, ``>`` turned into ``>=`` at the boundary, 之内 read as ≥, a row label of the base table
dropped, CSV neutralisation reduced to ``=``. ``scripts/mutation.py`` runs this file first.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from gridbudget import forms
from gridbudget.check.engine import run_rules
from gridbudget.check.findings import ERROR, INFO, WARNING
from gridbudget.check.indicators import money_of
from gridbudget.check.rules.common import neq
from gridbudget.model import Val
from gridbudget.read.tables import read_submission
from gridbudget.read.values import parse_amount, parse_count, parse_quantity, parse_rate
from gridbudget.score.engine import exec_points
from gridbudget.score.profile import Profile, load_profile
from helpers import EXAMPLE_XLSX

D = Decimal
P1 = forms.project_sheet_name(1)
SHEETS = {"basic": forms.BASIC.sheet, "overall": forms.OVERALL.sheet, "project": P1}


def cell(table: str, key: str, row: int | None = None) -> str:
    """sheet!A1 of a field of the template example, from the form description."""
    placed = forms.layout(forms.TABLES[table])
    if row is None:
        r, c = placed.cell(key)
    else:
        block, col = key.rsplit(".", 1)
        rep = placed.repeats[block]
        r, c = rep.first + row, rep.cols[col]
    return f"{SHEETS[table]}!{forms.a1(r, c)}"


@pytest.fixture(scope="module")
def seed():
    return read_submission(EXAMPLE_XLSX)


def _table(sub, name: str):
    return {"basic": sub.basic, "overall": sub.overall, "project": sub.projects[0]}[name]


class Typed:
    """A value typed with its cell's format: Typed(0.9913, percent=True), Typed(45292, date=True)."""

    def __init__(self, raw, **flags):
        self.raw, self.flags = raw, flags


def edited(seed, *edits):
    """A copy of the seed with values typed over cells: (table, key, raw) or (table, key, raw, row)."""
    sub = copy.deepcopy(seed)
    for table, key, raw, *row in edits:
        td = _table(sub, table)
        flags = raw.flags if isinstance(raw, Typed) else {}
        raw = raw.raw if isinstance(raw, Typed) else raw
        if row:
            block, col = key.rsplit(".", 1)
            old = td.blocks[block][row[0]][col]
            td.blocks[block][row[0]][col] = Val(raw, old.sheet, old.cell, **{"unit": old.unit, **flags})
        else:
            old = td.fields.get(key) or Val(None, td.sheet)
            td.fields[key] = Val(raw, old.sheet or td.sheet, old.cell, **{"unit": old.unit, **flags})
    return sub


def hits(sub, code: str, **kw) -> list[tuple]:
    return [(f.severity, f.where, f.expected, f.found) for f in run_rules(sub, **kw) if f.code == code]


# ---------------------------------------------------------------------------
# the comparison every relation rule uses
# ---------------------------------------------------------------------------
def test_neq_accepts_a_difference_up_to_the_tolerance():
    tol = D("0.01")
    assert not neq(D("10.00"), D("10.01"), tol)
    assert not neq(D("10.01"), D("10.00"), tol)
    assert not neq(D("10"), D("10.010001"), tol)            # the epsilon absorbs noise
    assert neq(D("10"), D("10.0100011"), tol)
    assert neq(D("10.00"), D("10.02"), tol) and neq(D("10.02"), D("10.00"), tol)
    assert not neq(D("10"), D("10.02"), D("0.02"))
    assert neq(D("10"), D("10"), D("-0.01"))                 # a negative tolerance accepts nothing


# ---------------------------------------------------------------------------
# relation rules: (edits exactly at the tolerance, what is reported), (edits just past it, what is reported)
# ---------------------------------------------------------------------------
OV_EXEC = cell("overall", "funds.total.executed")
PJ_EXEC = cell("project", "funds.total.executed")

CASES = [
    # 表内 sums: 按收入性质分 has twice the tolerance (four rows), 按支出性质分 once
    ("W-INCOME-SUM", [("overall", "income.general", D("116.85"))], [],
     [("overall", "income.general", D("116.86"))],
     [(ERROR, cell("overall", "income.general"), "116.95万元", "116.98万元")]),
    ("W-INCOME-SUM", [("overall", "income.general", D("116.81"))], [],
     [("overall", "income.general", D("116.80"))],
     [(ERROR, cell("overall", "income.general"), "116.95万元", "116.92万元")]),
    ("W-EXPENSE-SUM", [("overall", "expense.basic", D("52.08"))], [],
     [("overall", "expense.basic", D("52.09"))],
     [(ERROR, cell("overall", "expense.basic"), "116.95万元", "116.97万元")]),
    ("W-EXPENSE-SUM", [("overall", "expense.basic", D("52.06"))], [],
     [("overall", "expense.basic", D("52.05"))],
     [(ERROR, cell("overall", "expense.basic"), "116.95万元", "116.93万元")]),
    # three source rows: tolerance × max(1, 3 // 2) = 0.01
    ("W-PROJECT-FUNDS-SUM", [("project", "funds.current.executed", D("40.59"))], [],
     [("project", "funds.current.executed", D("40.58"))],
     [(ERROR, PJ_EXEC, "40.58万元", "40.60万元")]),
    ("W-PROJECT-FUNDS-SUM", [("project", "funds.current.budget", D("50.01"))], [],
     [("project", "funds.current.budget", D("50.02"))],
     [(ERROR, cell("project", "funds.total.budget"), "50.02万元", "50.00万元")]),
    # an empty total whose parts are filled; parts that are all 0 say nothing
    ("W-PROJECT-FUNDS-SUM", [("project", "funds.total.initial", None), ("project", "funds.current.initial", D(0))], [],
     [("project", "funds.total.initial", None), ("project", "funds.current.initial", D("0.01"))],
     [(ERROR, cell("project", "funds.total.initial"), "0.01万元", None)]),
    # 三公经费 = 公务用车 + 出国 + 公务接待: with 公务用车 stated, three terms (tolerance 0.01) …
    ("W-SANGONG-SUM", [("basic", "car.final", D(0)), ("basic", "sangong.final", D("0.22"))], [],
     [("basic", "car.final", D(0)), ("basic", "sangong.final", D("0.23"))],
     [(ERROR, cell("basic", "sangong.final"), "0.21万元", "0.23万元")]),
    # … with 公务用车 blank, its two parts count instead: four terms, tolerance 0.02
    ("W-SANGONG-SUM", [("basic", "sangong.final", D("0.23"))], [],
     [("basic", "sangong.final", D("0.24"))],
     [(ERROR, cell("basic", "sangong.final"), "0.21万元", "0.24万元")]),
    ("W-SANGONG-SUM", [("basic", "car_purchase.budget", D(1)), ("basic", "car.budget", D("1.01"))], [],
     [("basic", "car_purchase.budget", D(1)), ("basic", "car.budget", D("1.02"))],
     [(ERROR, cell("basic", "car.budget"), "1.00万元", "1.02万元")]),
    # 项目支出 total of three project rows (19.58 + 40.6 + 4.7): tolerance 0.01
    ("W-PROJECTS-TOTAL", [("basic", "projects_total.final", D("64.89"))], [],
     [("basic", "projects_total.final", D("64.90"))],
     [(ERROR, cell("basic", "projects_total.final"), "64.88万元", "64.90万元")]),
    ("W-PROJECTS-TOTAL", [("basic", "projects_total.final", None)], [], [("basic", "projects_total.final", D("64.86"))],
     [(ERROR, cell("basic", "projects_total.final"), "64.88万元", "64.86万元")]),
    # “其中” items may reach 公用经费 plus the tolerance, not more
    ("W-SUBITEM-GT-PARENT", [("basic", "utilities.final", D("0.01"))], [],
     [("basic", "utilities.final", D("0.02"))],
     [(ERROR, cell("basic", "office.final"), "≤4.55万元", "4.57万元")]),
    ("W-SUBITEM-GT-PARENT", [("basic", "public.budget", D("4.79"))], [],
     [("basic", "public.budget", D("4.78"))],
     [(ERROR, cell("basic", "office.budget"), "≤4.78万元", "4.80万元")]),
    ("W-SUBITEM-GT-PARENT", [("basic", "public.final", None), ("basic", "office.final", D(0))], [],
     [("basic", "public.final", None), ("basic", "office.final", D("0.01"))],
     [(ERROR, cell("basic", "public.final"), "≥0.01万元", None)]),
    ("W-NEGATIVE", [("basic", "public.prev_final", D(0))], [],
     [("basic", "public.prev_final", D("-0.01"))],
     [(ERROR, cell("basic", "public.prev_final"), "≥0", "-0.01万元")]),
    ("W-NEGATIVE", [("basic", "projects.final", D(0), 2)], [],
     [("basic", "projects.final", D("-0.01"), 2)],
     [(ERROR, cell("basic", "projects.final", 2), "≥0", "-0.01万元")]),
    # over budget: more than the budget plus the tolerance
    ("W-EXEC-OVER-BUDGET", [("project", "funds.total.executed", D("50.01"))], [],
     [("project", "funds.total.executed", D("50.02"))],
     [(WARNING, PJ_EXEC, "≤50.00万元", "50.02万元")]),
    ("W-EXEC-OVER-BUDGET", [("project", "funds.current.executed", D("50.01"))], [],
     [("project", "funds.current.executed", D("50.02"))],
     [(WARNING, cell("project", "funds.current.executed"), "≤50.00万元", "50.02万元")]),
    ("W-BUDGET-ADJUSTED", [("overall", "funds.total.initial", D("117.99"))], [],
     [("overall", "funds.total.initial", D("118.00"))],
     [(INFO, cell("overall", "funds.total.budget"), "118.00万元", "117.98万元")]),
    ("W-BUDGET-ADJUSTED", [("overall", "funds.total.initial", D("117.97"))], [],
     [("overall", "funds.total.initial", D("117.96"))],
     [(INFO, cell("overall", "funds.total.budget"), "117.96万元", "117.98万元")]),
    ("W-SANGONG-OVER-BUDGET", [("basic", "reception.final", D("0.46"))], [],
     [("basic", "reception.final", D("0.47"))],
     [(WARNING, cell("basic", "reception.final"), "≤0.45万元", "0.47万元")]),
    ("W-SANGONG-OVER-BUDGET", [("basic", "abroad.budget", D(1)), ("basic", "abroad.final", D("1.01"))], [],
     [("basic", "abroad.budget", D(1)), ("basic", "abroad.final", D("1.02"))],
     [(WARNING, cell("basic", "abroad.final"), "≤1.00万元", "1.02万元")]),
    # 三公 up on last year: the rows' totals when 三公经费 itself is a formula without a value
    ("W-SANGONG-INCREASE", [("basic", "reception.prev_final", D("0.20"))], [],
     [("basic", "reception.prev_final", D("0.19"))],
     [(INFO, cell("basic", "sangong.final"), "≤0.19万元", "0.21万元")]),
    ("W-SANGONG-INCREASE", [("basic", "sangong.prev_final", D(1)), ("basic", "sangong.final", D("1.01"))], [],
     [("basic", "sangong.prev_final", D(1)), ("basic", "sangong.final", D("1.02"))],
     [(INFO, cell("basic", "sangong.final"), "≤1.00万元", "1.02万元")]),
    ("W-PROCUREMENT-OVER", [("basic", "procurement.budget", D(2)), ("basic", "procurement.final", D("2.01"))], [],
     [("basic", "procurement.budget", D(2)), ("basic", "procurement.final", D("2.02"))],
     [(WARNING, cell("basic", "procurement.final"), "≤2.00万元", "2.02万元")]),
    ("W-STAFF-OVER", [("basic", "staff.actual", 4)], [], [("basic", "staff.actual", 5)],
     [(WARNING, cell("basic", "staff.actual"), "≤4", "5")]),
    ("W-STAFF-OVER", [("basic", "staff.actual", "4人")], [], [("basic", "staff.actual", "五人")],
     [(WARNING, cell("basic", "staff.actual"), "≤4", "5")]),
    ("W-STAFF-OVER", [("basic", "staff.authorized", 0), ("basic", "staff.actual", 1)], [],
     [("basic", "staff.authorized", 1), ("basic", "staff.actual", 2)],
     [(WARNING, cell("basic", "staff.actual"), "≤1", "2")]),
    # rates: compared at the decimals the cell shows, half up (64.9 ÷ 80 = 81.125%)
    ("W-EXEC-RATE", [("project", "funds.total.budget", D(80)), ("project", "funds.total.executed", D("64.9")),
                     ("project", "funds.total.rate", "81.13%")], [],
     [("project", "funds.total.budget", D(80)), ("project", "funds.total.executed", D("64.9")),
      ("project", "funds.total.rate", "81.12%")],
     [(ERROR, cell("project", "funds.total.rate"), "81.13%", "81.12%")]),
    # one decimal shown: right when rounded, but a note that two decimals give 81.13%
    ("W-EXEC-RATE", [("project", "funds.total.budget", D(80)), ("project", "funds.total.executed", D("64.96")),
                     ("project", "funds.total.rate", "81.2%")], [],
     [("project", "funds.total.budget", D(80)), ("project", "funds.total.executed", D("64.9")),
      ("project", "funds.total.rate", "81.1%")],
     [(INFO, cell("project", "funds.total.rate"), "81.13%", "81.1%")]),
    # more than four decimals are compared at four
    ("W-EXEC-RATE", [("project", "funds.total.budget", D(80)), ("project", "funds.total.executed", D("64.9")),
                     ("project", "funds.total.rate", "81.12504%")], [],
     [("project", "funds.total.budget", D(80)), ("project", "funds.total.executed", D("64.9")),
      ("project", "funds.total.rate", "81.1251%")],
     [(ERROR, cell("project", "funds.total.rate"), "81.13%", "81.1251%")]),
    ("W-CONTROL-RATE", [("basic", "staff.actual", 3), ("basic", "staff.rate", "75.00%")], [],
     [("basic", "staff.actual", 3), ("basic", "staff.rate", "75.01%")],
     [(ERROR, cell("basic", "staff.rate"), "75.00%", "75.01%")]),
    ("W-CONTROL-RATE", [("basic", "building.budget", D(200)), ("basic", "building.actual", D(199)),
                        ("basic", "building.invest_rate", "99.5%")], [],
     [("basic", "building.budget", D(200)), ("basic", "building.actual", D(199)),
      ("basic", "building.invest_rate", "99.4%")],
     [(ERROR, cell("basic", "building.invest_rate"), "99.50%", "99.4%")]),
    # an indicator value equal to the budget (within the tolerance) restates it
    ("W-QUANTITY-RESTATES-BUDGET", [("overall", "ind.output.quantity.target", "117.99万元", 0)],
     [(INFO, cell("overall", "ind.output.quantity.target", 0), "产出数量", "117.99万元")],
     [("overall", "ind.output.quantity.target", "118.00万元", 0)], []),
    ("W-QUANTITY-RESTATES-BUDGET", [("overall", "ind.output.quantity.target", "1,205,300元", 0)],
     [(INFO, cell("overall", "ind.output.quantity.target", 0), "产出数量", "1,205,300元")],
     [("overall", "ind.output.quantity.target", "1,205,200元", 0)], []),
    # the cost actual equal to the budget while less was spent (by more than the tolerance)
    ("W-COST-ACTUAL-BUDGET", [("overall", "ind.output.cost.actual", "117.97万元", 0)],
     [(WARNING, cell("overall", "ind.output.cost.actual", 0), "116.95万元", "117.97万元")],
     [("overall", "ind.output.cost.actual", "117.96万元", 0)], []),
    ("W-COST-ACTUAL-BUDGET", [("overall", "ind.output.cost.actual", "117.98万元", 0),
                              ("overall", "funds.total.executed", D("117.97"))], [],
     [("overall", "ind.output.cost.actual", "117.98万元", 0), ("overall", "funds.total.executed", D("117.96"))],
     [(WARNING, cell("overall", "ind.output.cost.actual", 0), "117.96万元", "117.98万元")]),
    ("W-UNIT-MISMATCH", [("overall", "ind.output.quality.name", "覆盖率（%）", 1), ("overall", "ind.output.quality.target", 100, 1)], [],
     [("overall", "ind.output.quality.name", "覆盖率（%）", 1), ("overall", "ind.output.quality.target", D("100.01"), 1)],
     [(INFO, cell("overall", "ind.output.quality.target", 1), "百分比数值", "100.01")]),
    ("W-ACTUAL-AS-TARGET", [("overall", "ind.satisfaction.service.actual", "98%", 0)], [],
     [("overall", "ind.satisfaction.service.actual", "≥98%", 0)],
     [(WARNING, cell("overall", "ind.satisfaction.service.actual", 0), "实际数值", "≥98%")]),
    ("W-ACTUAL-AS-TARGET", [("overall", "ind.satisfaction.service.actual", "98%左右", 0)], [],
     [("overall", "ind.satisfaction.service.actual", "不超过98%", 0)],
     [(WARNING, cell("overall", "ind.satisfaction.service.actual", 0), "实际数值", "不超过98%")]),
    # 计分: weights (产出 50, 预算执行率 10, total 100) with the score tolerance 0.01
    ("S-WEIGHT-L1", [("overall", "ind.output.quantity.weight", D("10.01"), 0)], [],
     [("overall", "ind.output.quantity.weight", D("10.02"), 0)],
     [(WARNING, cell("overall", "ind.output.quantity.weight", 0), "50", "50.02")]),
    ("S-WEIGHT-L1", [("overall", "ind.satisfaction.service.weight", D("9.99"), 0)], [],
     [("overall", "ind.satisfaction.service.weight", D("9.98"), 0)],
     [(WARNING, cell("overall", "ind.satisfaction.service.weight", 0), "10", "9.98")]),
    ("S-EXEC-WEIGHT", [("overall", "funds.total.weight", D("10.01"))], [],
     [("overall", "funds.total.weight", D("10.02"))],
     [(WARNING, cell("overall", "funds.total.weight"), "10", "10.02")]),
    ("S-WEIGHT-TOTAL", [("overall", "funds.total.weight", D("9.99"))], [],
     [("overall", "funds.total.weight", D("9.98"))],
     [(ERROR, cell("overall", "total.weight"), "100", "99.98")]),
    ("S-WEIGHT-TOTAL", [("overall", "total.weight", D("100.01"))], [],
     [("overall", "total.weight", D("100.02"))],
     [(ERROR, cell("overall", "total.weight"), "100", "100.02")]),
    ("S-WEIGHT-TOTAL", [("overall", "ind.output.weight_total", D("50.01"))], [],
     [("overall", "ind.output.weight_total", D("49.98"))],
     [(ERROR, cell("overall", "ind.output.weight_total"), "50", "49.98")]),
    # scores within 0 … weight (+ tolerance)
    ("S-SCORE-RANGE", [("project", "ind.output.quality.score", D("10.01"), 0)], [],
     [("project", "ind.output.quality.score", D("10.02"), 0)],
     [(ERROR, cell("project", "ind.output.quality.score", 0), "≤10", "10.02")]),
    ("S-SCORE-RANGE", [("project", "ind.output.quality.score", D(0), 0)], [],
     [("project", "ind.output.quality.score", D("-0.01"), 0)],
     [(ERROR, cell("project", "ind.output.quality.score", 0), "≥0", "-0.01")]),
    ("S-SCORE-RANGE", [("project", "funds.total.score", D("10.01"))], [],
     [("project", "funds.total.score", D("10.02"))],
     [(ERROR, cell("project", "funds.total.score"), "≤10", "10.02")]),
    ("S-SCORE-SUM", [("overall", "total.score", D("98.01"))], [], [("overall", "total.score", D("97.98"))],
     [(ERROR, cell("overall", "total.score"), "98", "97.98")]),
    ("S-SCORE-SUM", [("overall", "ind.output.score_total", D("49.01"))], [],
     [("overall", "ind.output.score_total", D("49.02"))],
     [(ERROR, cell("overall", "ind.output.score_total"), "49", "49.02")]),
    # a missing score makes a wrong total a note (无法核对)
    ("S-SCORE-SUM", [("overall", "ind.output.quality.score", None, 0), ("overall", "total.score", D("93.01"))], [],
     [("overall", "ind.output.quality.score", None, 0), ("overall", "total.score", D("93.02"))],
     [(INFO, cell("overall", "total.score"), "93", "93.02")]),
    # deducted: a score more than the tolerance below the weight (the seed's cost row: met, 9 of 10)
    ("S-MET-DEDUCTED", [("overall", "ind.output.cost.score", D("9.99"), 0)],
     [(WARNING, cell("project", "ind.output.cost.score", 0), "10", "9")],
     [("overall", "ind.output.cost.score", D("9.98"), 0)],
     [(WARNING, cell("overall", "ind.output.cost.score", 0), "10", "9.98"),
      (WARNING, cell("project", "ind.output.cost.score", 0), "10", "9")]),
    ("D-NOTE-DEDUCTED-BLANK", [("overall", "ind.output.cost.score", D("9.99"), 0), ("overall", "ind.output.cost.note", None, 0)], [],
     [("overall", "ind.output.cost.score", D("9.98"), 0), ("overall", "ind.output.cost.note", None, 0)],
     [(ERROR, cell("overall", "ind.output.cost.note", 0), "扣分原因及改进措施", None)]),
    ("D-NOTE-DEDUCTED-NONE", [("project", "ind.output.cost.score", D("9.99"), 0)], [],
     [("project", "ind.output.cost.score", D("9.98"), 0)],
     [(WARNING, cell("project", "ind.output.cost.note", 0), "扣分原因及改进措施", "无偏差")]),
    # full marks: within the tolerance of the weight, on a missed target
    ("S-MISSED-FULL", [("overall", "ind.satisfaction.service.actual", "92%", 0),
                       ("overall", "ind.satisfaction.service.score", D("9.98"), 0)], [],
     [("overall", "ind.satisfaction.service.actual", "92%", 0),
      ("overall", "ind.satisfaction.service.score", D("9.99"), 0)],
     [(ERROR, cell("overall", "ind.satisfaction.service.score", 0), "<10", "9.99")]),
    ("S-MISSED-FULL", [("overall", "ind.satisfaction.service.actual", "95%", 0)], [],
     [("overall", "ind.satisfaction.service.actual", "94.99%", 0)],
     [(ERROR, cell("overall", "ind.satisfaction.service.score", 0), "<10", "10")]),
    # qualitative bands (weight 5): 达成 [4, 5], 部分达成 [3, 4), 未达成 [0, 3)
    ("S-QUAL-BAND", [("overall", "ind.output.timeliness.score", D(4), 0)], [],
     [("overall", "ind.output.timeliness.score", D("3.99"), 0)],
     [(WARNING, cell("overall", "ind.output.timeliness.score", 0), "4.00–5.00", "3.99")]),
    ("S-QUAL-BAND", [("overall", "ind.output.timeliness.actual", "基本完成", 0), ("overall", "ind.output.timeliness.score", D(3), 0)], [],
     [("overall", "ind.output.timeliness.actual", "基本完成", 0), ("overall", "ind.output.timeliness.score", D(4), 0)],
     [(WARNING, cell("overall", "ind.output.timeliness.score", 0), "3.00–4.00", "4")]),
    ("S-QUAL-BAND", [("overall", "ind.output.timeliness.actual", "基本完成", 0), ("overall", "ind.output.timeliness.score", D("3.99"), 0)], [],
     [("overall", "ind.output.timeliness.actual", "基本完成", 0), ("overall", "ind.output.timeliness.score", D("2.99"), 0)],
     [(WARNING, cell("overall", "ind.output.timeliness.score", 0), "3.00–4.00", "2.99")]),
    ("S-QUAL-BAND", [("overall", "ind.output.timeliness.actual", "未完成", 0), ("overall", "ind.output.timeliness.score", D("2.99"), 0)], [],
     [("overall", "ind.output.timeliness.actual", "未完成", 0), ("overall", "ind.output.timeliness.score", D(3), 0)],
     [(WARNING, cell("overall", "ind.output.timeliness.score", 0), "0.00–3.00", "3")]),
    # 130% of the target and more, with nothing said (target ≥100条)
    ("D-NOTE-OVERACHIEVED", [("overall", "ind.output.quantity.actual", "129条", 1)],
     [(WARNING, cell("project", "ind.output.quantity.actual", 0), "<130%或说明原因", "无偏差")],
     [("overall", "ind.output.quantity.actual", "130条", 1)],
     [(WARNING, cell("overall", "ind.output.quantity.actual", 1), "<130%或说明原因", "无偏差"),
      (WARNING, cell("project", "ind.output.quantity.actual", 0), "<130%或说明原因", "无偏差")]),
    ("D-NOTE-MISSED", [("overall", "ind.satisfaction.service.actual", "95%", 0)], [],
     [("overall", "ind.satisfaction.service.actual", "94.99%", 0)],
     [(WARNING, cell("overall", "ind.satisfaction.service.note", 0), "未达成原因及改进措施", "无偏差")]),
    # execution below 90% with every note silent
    ("D-NOTE-LOW-EXEC", [("project", "funds.total.executed", D(45))], [],
     [("project", "funds.total.executed", D("44.99"))],
     [(WARNING, cell("project", "funds.total.rate"), "≥90%或说明原因", "89.98%")]),
    # a total with a score above its weight, by more than the tolerance
    ("S-TOTAL-CAPPED", [("overall", "funds.total.score", D("10.01")), ("overall", "total.score", D("99.01"))], [],
     [("overall", "funds.total.score", D("10.02")), ("overall", "total.score", D("99.02"))],
     [(ERROR, cell("overall", "total.score"), "99", "99.02")]),
    ("S-TOTAL-CAPPED", [("overall", "ind.output.cost.score", D("10.01"), 0), ("overall", "total.score", D("99.01"))], [],
     [("overall", "ind.output.cost.score", D("10.02"), 0), ("overall", "total.score", D("99.02"))],
     [(ERROR, cell("overall", "total.score"), "99", "99.02")]),
    # the unit's execution-rate points against the profile: 116.95 ÷ 117.98 = 99.13% → 9.91
    ("S-SCORE-DIFF", [("overall", "funds.total.score", D("9.90"))],
     [(WARNING, cell("project", "funds.total.score"), "8.12", "9")],
     [("overall", "funds.total.score", D("9.89"))],
     [(WARNING, cell("overall", "funds.total.score"), "9.91", "9.89"),
      (WARNING, cell("project", "funds.total.score"), "8.12", "9")]),
    # a missed ≥ target: 10 × 90 ÷ 95 = 9.47
    ("S-SCORE-DIFF", [("project", "ind.satisfaction.service.actual", "90%", 0),
                      ("project", "ind.satisfaction.service.score", D("9.48"), 0), ("project", "funds.total.score", D("8.12"))],
     [(WARNING, cell("overall", "funds.total.score"), "9.91", "9")],
     [("project", "ind.satisfaction.service.actual", "90%", 0),
      ("project", "ind.satisfaction.service.score", D("9.45"), 0), ("project", "funds.total.score", D("8.12"))],
     [(WARNING, cell("overall", "funds.total.score"), "9.91", "9"),
      (WARNING, cell("project", "ind.satisfaction.service.score", 0), "9.47", "9.45")]),
    # 表间: projects of the base table (3 rows: tolerance 0.01) against the overall table
    ("X-PROJECTS-VS-OVERALL", [("overall", "expense.project", D("64.89"))], [],
     [("overall", "expense.project", D("64.90"))],
     [(ERROR, cell("overall", "expense.project"), "64.88万元", "64.90万元")]),
    ("X-PROJECT-SHEETS-SUM", [("overall", "expense.project", D("40.61"))], [],
     [("overall", "expense.project", D("40.62"))],
     [(INFO, cell("overall", "expense.project"), "40.62万元", "40.60万元")]),
    ("X-PROJECT-SHEETS-SUM", [("overall", "expense.project", D("40.59"))], [],
     [("overall", "expense.project", D("40.58"))],
     [(ERROR, cell("overall", "expense.project"), "≤40.58万元", "40.60万元")]),
    ("X-PUBLIC-GT-BASIC", [("overall", "expense.basic", D("4.54"))], [],
     [("overall", "expense.basic", D("4.53"))],
     [(ERROR, cell("basic", "public.final"), "≤4.53万元", "4.55万元")]),
    ("X-COST-CEILING", [("project", "ind.output.cost.target", "≤50.01万元", 0)], [],
     [("project", "ind.output.cost.target", "≤50.02万元", 0)],
     [(WARNING, cell("project", "ind.output.cost.target", 0), "50.00万元, 50.00万元", "50.02万元")]),
    ("X-COST-CEILING", [("project", "ind.output.cost.target", "控制在500100元以内", 0)], [],
     [("project", "ind.output.cost.target", "控制在500200元之内", 0)],
     [(WARNING, cell("project", "ind.output.cost.target", 0), "50.00万元, 50.00万元", "50.02万元")]),
    # a floor (≥) is not a ceiling
    ("X-COST-CEILING", [("project", "ind.output.cost.target", "≥45万元", 0)], [],
     [("project", "ind.output.cost.target", "45万元", 0)],
     [(WARNING, cell("project", "ind.output.cost.target", 0), "50.00万元, 50.00万元", "45.00万元")]),
    # the project sheet against its base-table row: same name (within the tolerance) …
    ("X-PROJECT-SHEET-ROW", [("project", "name", "治理网格服务专项"), ("project", "funds.total.executed", D("40.61"))], [],
     [("project", "name", "治理网格服务专项"), ("project", "funds.total.executed", D("40.62"))],
     [(ERROR, PJ_EXEC, "50.00万元/40.60万元", "50.00万元/40.62万元")]),
    # … or, named otherwise, the row whose amounts agree
    ("X-PROJECT-SHEET-ROW", [("basic", "projects.final", D("40.61"), 1)],
     [(WARNING, cell("project", "name"), "治理网格服务专项", "移动网格平台")],
     [("basic", "projects.final", D("40.62"), 1)],
     [(WARNING, cell("project", "name"), "基础数据表中的项目支出行", "移动网格平台")]),
    ("X-PROJECT-SHEET-ROW", [("basic", "projects.budget", D("49.99"), 1)],
     [(WARNING, cell("project", "name"), "治理网格服务专项", "移动网格平台")],
     [("basic", "projects.budget", D("49.98"), 1)],
     [(WARNING, cell("project", "name"), "基础数据表中的项目支出行", "移动网格平台")]),
    # project sheets without an outturn say nothing about the overall table's 项目支出
    ("X-PROJECT-SHEETS-SUM", [("project", "funds.total.executed", None)], [],
     [("project", "funds.total.executed", D("40.6"))],
     [(INFO, cell("overall", "expense.project"), "64.88万元", "40.60万元")]),
    ("X-COST-CEILING", [("project", "ind.output.cost.target", "<50.01万元", 0)], [],
     [("project", "ind.output.cost.target", "低于50.02万元", 0)],
     [(WARNING, cell("project", "ind.output.cost.target", 0), "50.00万元, 50.00万元", "50.02万元")]),
    # the first unit name is the reference: only the tables that differ from it are named
    ("X-UNIT-NAME", [("project", "unit", "岳阳市君山区社会治理网格化服务中心"),
                     ("overall", "unit", "岳阳市君山区社会治理网格化服务中心")], [],
     [("project", "unit", "岳阳市君山区社会治理网格化服务中心")],
     [(INFO, cell("overall", "unit"), "岳阳市君山区社会治理网格化服务中心", "岳阳市君山区社会治理网格化中心")]),
    # a head count typed with its unit is read as a number
    ("W-CONTROL-RATE", [("basic", "staff.actual", "3人"), ("basic", "staff.rate", "75%")], [],
     [("basic", "staff.actual", "3人"), ("basic", "staff.rate", "80%")],
     [(ERROR, cell("basic", "staff.rate"), "75.00%", "80%")]),
    # a rate number with no decimals of its own is compared at two
    ("W-EXEC-RATE", [("overall", "funds.total.rate", Typed(0.9913, percent=True))], [],
     [("overall", "funds.total.rate", Typed(0.9912, percent=True))],
     [(ERROR, cell("overall", "funds.total.rate"), "99.13%", "0.9912")]),
    ("W-PROJECT-NO-BUDGET", [("basic", "projects.final", D(0), 2)], [],
     [("basic", "projects.final", D("0.01"), 2)],
     [(WARNING, cell("basic", "projects.budget", 2), "本年预算数", None)]),
    ("W-QUANTITY-RESTATES-BUDGET", [("overall", "ind.output.quantity.target", "117.99万", 0)],
     [(INFO, cell("overall", "ind.output.quantity.target", 0), "产出数量", "117.99万")],
     [("overall", "ind.output.quantity.target", "118.00万", 0)], []),
    # over the weight by no more than the tolerance is not “capped” (S-SCORE-SUM reports a wrong total)
    ("S-TOTAL-CAPPED", [("overall", "funds.total.score", D("10.01")), ("overall", "total.score", D("99.05"))], [],
     [("overall", "funds.total.score", D("10.02")), ("overall", "total.score", D("99.05"))],
     [(ERROR, cell("overall", "total.score"), "99", "99.05")]),
    # full marks on a missed target is S-MISSED-FULL's, not a recomputation difference
    ("S-SCORE-DIFF", [("overall", "ind.satisfaction.service.actual", "92%", 0), ("overall", "funds.total.score", D("9.91"))],
     [(WARNING, cell("project", "funds.total.score"), "8.12", "9")],
     [("overall", "ind.satisfaction.service.actual", "92%", 0), ("overall", "funds.total.score", D("9.91")),
      ("overall", "ind.satisfaction.service.score", D("9.98"), 0)],
     [(WARNING, cell("overall", "ind.satisfaction.service.score", 0), "9.68", "9.98"),
      (WARNING, cell("project", "funds.total.score"), "8.12", "9")]),
    ("C-REQUIRED", [("overall", "ind.output.quantity.actual", "1次", 0)], [],
     [("overall", "ind.output.quantity.actual", None, 0)],
     [(ERROR, cell("overall", "ind.output.quantity.actual", 0), "实际完成值", None)]),
    ("C-REQUIRED", [("overall", "ind.output.quantity.weight", D(10), 0)], [],
     [("overall", "ind.output.quantity.weight", None, 0), ("overall", "ind.output.quantity.score", None, 0)],
     [(ERROR, cell("overall", "ind.output.quantity.weight", 0), "分值、得分", None)]),
    ("C-QUAL-TARGET-SCALE", [("overall", "ind.output.timeliness.target", "优、良", 0)], [],
     [("overall", "ind.output.timeliness.target", "优、良、中", 0)],
     [(INFO, cell("overall", "ind.output.timeliness.target", 0), "一个等级或状态", "优、良、中")]),
    # an Excel date serial of 2000-01-01 … 2050-12-31 among small amounts; a date format on any amount
    ("W-DATE-AS-AMOUNT", [("overall", "income.other", 36525)], [],
     [("overall", "income.other", 36526)],
     [(WARNING, cell("overall", "income.other"), "金额（万元）", "36526（2000-01-01）")]),
    ("W-DATE-AS-AMOUNT", [("overall", "income.other", 55154)], [],
     [("overall", "income.other", 55153)],
     [(WARNING, cell("overall", "income.other"), "金额（万元）", "55153（2050-12-31）")]),
    ("W-DATE-AS-AMOUNT", [("overall", "income.other", Typed(60, date=True))],
     [(WARNING, cell("overall", "income.other"), "金额（万元）", "60（1900-02-29）")],
     [("overall", "income.other", Typed(61, date=True))],
     [(WARNING, cell("overall", "income.other"), "金额（万元）", "61（1900-03-01）")]),
    ("W-DATE-AS-AMOUNT", [("overall", "income.other", Typed(1, date=True))],
     [(WARNING, cell("overall", "income.other"), "金额（万元）", "1（1900-01-01）")],
     [("overall", "income.other", Typed(2958466, date=True))],
     [(WARNING, cell("overall", "income.other"), "金额（万元）", "2958466")]),
    # a missed target scored within the tolerance of full marks is S-MISSED-FULL's
    ("S-SCORE-DIFF", [("overall", "ind.satisfaction.service.actual", "92%", 0), ("overall", "funds.total.score", D("9.91")),
                      ("overall", "ind.satisfaction.service.score", D("9.99"), 0)],
     [(WARNING, cell("project", "funds.total.score"), "8.12", "9")],
     [("overall", "ind.satisfaction.service.actual", "92%", 0), ("overall", "funds.total.score", D("9.91")),
      ("overall", "ind.satisfaction.service.score", D("9.98"), 0)],
     [(WARNING, cell("overall", "ind.satisfaction.service.score", 0), "9.68", "9.98"),
      (WARNING, cell("project", "funds.total.score"), "8.12", "9")]),
    # a goal naming a span of years that includes the table's year (both ends count)
    ("C-GOAL-YEAR", [("overall", "goals.expected", "2022—2024年推进网格化建设", 0)], [],
     [("overall", "goals.expected", "2022—2023年推进网格化建设", 0)],
     [(INFO, cell("overall", "goals.expected", 0), "2024年", "2022—2023年")]),
    ("C-GOAL-YEAR", [("overall", "goals.expected", "2024—2026年推进网格化建设", 0)], [],
     [("overall", "goals.expected", "2025—2026年推进网格化建设", 0)],
     [(INFO, cell("overall", "goals.expected", 0), "2024年", "2025—2026年")]),
    # an amount typed as text in a 元 table: the number to type is in 元
    ("W-AMOUNT-TEXT", [("basic", "public.prev_final", Typed("35000", unit="元"))], [],
     [("basic", "public.prev_final", Typed("3.5万元", unit="元"))],
     [(WARNING, cell("basic", "public.prev_final"), "35000", "3.5万元")]),
    # a deviation note about the funds explains a low execution rate
    ("D-NOTE-LOW-EXEC", [("project", "ind.output.cost.note", "资金到位晚", 0)], [],
     [("project", "ind.output.cost.note", "到位晚", 0)],
     [(WARNING, cell("project", "funds.total.rate"), "≥90%或说明原因", "81.20%")]),
    # a blank unit name is no name to compare
    ("X-UNIT-NAME", [("project", "unit", None), ("overall", "unit", "岳阳市君山区社会治理网格化服务中心")], [],
     [("project", "unit", "别的单位"), ("overall", "unit", "岳阳市君山区社会治理网格化服务中心")],
     [(INFO, cell("project", "unit"), "岳阳市君山区社会治理网格化服务中心", "别的单位")]),
    ("D-NOTE-LOW-EXEC", [("project", "ind.output.cost.note", "支付滞后", 0)], [],
     [("project", "ind.output.cost.note", "滞后", 0)],
     [(WARNING, cell("project", "funds.total.rate"), "≥90%或说明原因", "81.20%")]),
    # a weight left empty: the total is a warning, not an error
    ("S-WEIGHT-TOTAL", [("overall", "ind.output.quantity.weight", D(0), 0)],
     [(ERROR, cell("overall", "total.weight"), "100", "90")],
     [("overall", "ind.output.quantity.weight", None, 0)],
     [(WARNING, cell("overall", "total.weight"), "100", "90")]),
    # a rate typed as a plain number on a template sheet is still a formatting note
    ("W-RATE-FORMAT", [("overall", "funds.total.rate", Typed(0.9913, percent=True))], [],
     [("overall", "funds.total.rate", 0.9913)],
     [(INFO, cell("overall", "funds.total.rate"), "百分比格式的数字", "0.9913")]),
    ("W-DATE-AS-AMOUNT", [("overall", "income.other", Typed(59, date=True))],
     [(WARNING, cell("overall", "income.other"), "金额（万元）", "59（1900-02-28）")],
     [("overall", "income.other", Typed(0, date=True))], []),
]


@pytest.mark.parametrize("code,at,at_want,over,over_want", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_at_and_past_its_tolerance(seed, code, at, at_want, over, over_want):
    assert hits(edited(seed, *at), code) == at_want
    assert hits(edited(seed, *over), code) == over_want


def messages(sub, code: str) -> list[str]:
    return [f.message for f in run_rules(sub) if f.code == code]


def test_rule_messages_count_and_scale(seed):
    sub = edited(seed, ("overall", "ind.output.quality.score", None, 0), ("overall", "total.score", D("93.02")))
    assert messages(sub, "S-SCORE-SUM") == ["表中总分 93.02 与各项得分之和 93 不符（有 1 个指标未填得分，无法核对）。"]
    sub = edited(seed, ("overall", "ind.output.quantity.actual", "200条", 1))
    assert messages(sub, "D-NOTE-OVERACHIEVED")[0] == \
        "“更新完善数据库”目标 ≥100条，实际 200条（约 2.0 倍），远超目标却未说明原因，目标可能定得过低。"
    sub = edited(seed, ("overall", "ind.output.quantity.actual", "199条", 1))
    assert messages(sub, "D-NOTE-OVERACHIEVED")[0] == \
        "“更新完善数据库”目标 ≥100条，实际 199条（199%），远超目标却未说明原因，目标可能定得过低。"
    # the source-row columns that do have figures are named
    sub = edited(seed, ("project", "funds.current.budget", None))
    assert messages(sub, "W-FUNDS-SUBROW-BLANK") == [
        "年度资金总额的全年预算数填了 50，“其中：当年财政拨款”的全年预算数却为空（该行年初预算数、全年执行数有数）。"]


def test_rule_missing_project_tables(seed):
    sub = copy.deepcopy(seed)
    sub.projects.clear()
    assert [(s, w, e) for s, w, e, _f in hits(sub, "C-TABLE-MISSING")] == [(INFO, "基础数据表", "项目支出绩效自评表")]


def test_rule_no_indicators_no_weight_findings(seed):
    sub = copy.deepcopy(seed)
    for block in [b for b in sub.overall.blocks if b.startswith("ind.")]:
        sub.overall.blocks[block] = []
    assert hits(sub, "S-WEIGHT-L1") == [] and hits(sub, "S-WEIGHT-TOTAL") == []
    assert len(hits(sub, "C-NO-INDICATORS")) == 3


def test_rule_no_project_rows_in_the_base_table(seed):
    sub = copy.deepcopy(seed)
    sub.basic.blocks["projects"] = []
    assert hits(sub, "X-PROJECT-SHEET-ROW") == []


def test_rule_low_execution_from_the_one_source_row(seed):
    """A total row without a budget: the one fund-source row that carries the outturn is used."""
    sub = edited(seed, ("project", "funds.total.budget", None))
    sub.projects[0].blocks["funds.rows"] = [{"budget": Val(D(50), P1, "D6"), "executed": Val(D("44.99"), P1, "E6"),
                                             "rate": Val(None, P1, "G6")}]
    assert hits(sub, "D-NOTE-LOW-EXEC") == [(WARNING, f"{P1}!G6", "≥90%或说明原因", "89.98%")]
    sub.projects[0].blocks["funds.rows"][0]["executed"] = Val(D(45), P1, "E6")
    assert hits(sub, "D-NOTE-LOW-EXEC") == []


def test_rule_score_coefficient(seed):
    """指标得分 = 指标权重 × 得分系数 (the Chongqing list), within the score tolerance; 0 ≤ 系数 ≤ 1."""
    def with_coef(coef, score):
        sub = edited(seed, ("overall", "ind.output.quantity.score", score, 0))
        sub.overall.blocks["ind.output.quantity"][0]["coef"] = Val(coef, forms.OVERALL.sheet, "J15")
        return hits(sub, "S-SCORE-COEF")
    where = cell("overall", "ind.output.quantity.score", 0)
    assert with_coef(D("0.9"), D("9.01")) == []
    assert with_coef(D("0.9"), D("9.02")) == [(ERROR, where, "9.00", "9.02")]
    assert with_coef(D(1), D(10)) == [] and with_coef(D(0), D(0)) == []
    assert with_coef(D("1.01"), D(10)) == [(ERROR, f"{forms.OVERALL.sheet}!J15", "0–1", "1.01")]
    assert with_coef(D("-0.01"), D(0)) == [(ERROR, f"{forms.OVERALL.sheet}!J15", "0–1", "-0.01")]


def test_rule_goal_restating_the_project_name(seed):
    name = "君山区社会治理网格化服务移动平台建设运行维护项目"          # 24 characters
    at = edited(seed, ("project", "name", name), ("project", "goals.expected", name[:20], 0))
    assert hits(at, "C-GOAL-RESTATES") == []
    over = edited(seed, ("project", "name", name), ("project", "goals.expected", name[:19], 0))
    assert hits(over, "C-GOAL-RESTATES") == [(INFO, cell("project", "goals.expected", 0), "目标内容", name[:19])]


def test_rule_report_text_at_and_past_the_tolerance(seed):
    def got(text):
        return [(f.severity, f.where, f.table, f.expected, f.found) for f in run_rules(seed, report=text)
                if f.code == "X-REPORT-TEXT"]
    assert got("自评得分为98.01分。公用经费4.56万元。") == []
    assert got("自评得分为98.02分。公用经费4.57万元。") == [
        (ERROR, cell("basic", "public.final"), "basic", "4.55万元", "4.57万元"),
        (ERROR, cell("overall", "total.score"), "overall", "98分", "98.02分")]


def test_rule_previous_year_at_and_past_the_tolerance(seed):
    # last year's table whose 本年决算数 are this year's 上年决算数
    agree = [("basic", "reception.final", D(0)), ("basic", "public.final", D("3.5")), ("basic", "office.final", D("3.4")),
             ("basic", "meetings.final", D("0.1")), ("basic", "projects.final", D("31.4"), 0),
             ("basic", "projects.final", D(50), 1), ("basic", "projects.final", None, 2)]
    assert hits(seed, "Y-PREV-FINAL", previous=edited(seed, *agree)) == []
    prev = edited(seed, *agree, ("basic", "public.final", D("3.51")), ("basic", "projects.final", D("31.39"), 0))
    assert hits(seed, "Y-PREV-FINAL", previous=prev) == []
    prev = edited(seed, *agree, ("basic", "public.final", D("3.52")), ("basic", "projects.final", D("31.38"), 0))
    assert hits(seed, "Y-PREV-FINAL", previous=prev) == [
        (ERROR, cell("basic", "projects.prev_final", 0), "31.38万元", "31.40万元"),
        (ERROR, cell("basic", "public.prev_final"), "3.52万元", "3.50万元")]
    # a figure on one side only
    prev = edited(seed, *agree, ("basic", "office.final", None), ("basic", "projects.final", D("4.7"), 2))
    assert hits(seed, "Y-PREV-FINAL", previous=prev) == [
        (ERROR, cell("basic", "projects.prev_final", 2), "4.70万元", "（空）"),
        (ERROR, cell("basic", "office.prev_final"), "（空）", "3.40万元")]


def test_rule_tolerance_comes_from_the_profile(seed, tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[profile]\nname = "wide"\nextends = "national-2020"\n[tolerance]\namount = 0.05\nscore = 0.5\n',
                    encoding="utf-8")
    wide = load_profile(str(path))
    sub = edited(seed, ("overall", "expense.basic", D("52.12")), ("overall", "funds.total.weight", D("10.5")))
    assert hits(sub, "W-EXPENSE-SUM", profile=wide) == []
    assert hits(sub, "S-EXEC-WEIGHT", profile=wide) == []
    sub = edited(seed, ("overall", "expense.basic", D("52.13")), ("overall", "funds.total.weight", D("10.51")))
    assert hits(sub, "W-EXPENSE-SUM", profile=wide) == [
        (ERROR, cell("overall", "expense.basic"), "116.95万元", "117.01万元")]
    assert hits(sub, "S-EXEC-WEIGHT", profile=wide) == [(WARNING, cell("overall", "funds.total.weight"), "10", "10.51")]


# ---------------------------------------------------------------------------
# execution-rate points and grades (score/engine, score/profile)
# ---------------------------------------------------------------------------
def _profile(**sections) -> Profile:
    base = load_profile()
    data = copy.deepcopy(base.data)
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return Profile("t", data)


@pytest.mark.parametrize("rate,points", [
    (D("99.125"), D("9.91")), (D("99.135"), D("9.91")), (D(100), D(10)), (D("100.01"), D(10)), (D(150), D(10)),
    (D(0), D(0)), (D(-5), D(0)), (D("81.2"), D("8.12")),
])
def test_exec_points_capped_linear(rate, points):
    assert exec_points(rate, D(10), load_profile())[0] == points


@pytest.mark.parametrize("rate,points", [
    (D(100), D(10)), (D("99.99"), D(8)), (D(95), D(8)), (D("94.99"), D(6)), (D(90), D(6)), (D("89.99"), D(0)),
    (D(0), D(0)),
])
def test_exec_points_tiered_boundaries_are_inclusive(rate, points):
    p = _profile(exec_rate={"mode": "tiered"})
    assert exec_points(rate, D(10), p)[0] == points


def test_exec_points_uncapped_flags_points_over_the_weight():
    p = _profile(exec_rate={"mode": "uncapped_linear"})
    assert exec_points(D(100), D(10), p)[:3:2] == (D(10), "")
    pts, _basis, flag = exec_points(D("100.1"), D(10), p)
    assert pts == D("10.01") and flag == "执行率超过 100%，按不封顶规则得分超过分值"
    assert exec_points(D(-1), D(10), p)[0] == D(0)


@pytest.mark.parametrize("total,grade", [
    (D(90), "优"), (D("89.99"), "良"), (D(80), "良"), (D("79.99"), "中"), (D(60), "中"), (D("59.99"), "差"),
    (D(0), "差"), (None, ""),
])
def test_grade_bands_include_their_lower_bound(total, grade):
    assert load_profile().grade(total) == grade


# ---------------------------------------------------------------------------
# the value parser: comparison words, ranges, money units
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("text,op,value,unit", [
    ("≤50万元", "<=", D(50), "万元"), ("≦50万元", "<=", D(50), "万元"), ("<=50万元", "<=", D(50), "万元"),
    ("＜＝50万元", "<=", D(50), "万元"), ("不超过50万元", "<=", D(50), "万元"), ("不高于5%", "<=", D(5), "%"),
    ("不多于3次", "<=", D(3), "次"), ("不大于3次", "<=", D(3), "次"), ("小于等于3次", "<=", D(3), "次"),
    ("不得超过3次", "<=", D(3), "次"), ("至多3次", "<=", D(3), "次"),
    ("50万元以内", "<=", D(50), "万元"), ("50万元之内", "<=", D(50), "万元"), ("3个工作日内", "<=", D(3), "个工作日"),
    ("控制在50万元以内", "<=", D(50), "万元"), ("控制在50万元之内", "<=", D(50), "万元"), ("控制在50万元", "<=", D(50), "万元"),
    ("5%以下", "<=", D(5), "%"), ("5%及以下", "<=", D(5), "%"),
    ("≥95%", ">=", D(95), "%"), ("≧95%", ">=", D(95), "%"), (">=95%", ">=", D(95), "%"), ("不低于95%", ">=", D(95), "%"),
    ("不少于3次", ">=", D(3), "次"), ("不小于3次", ">=", D(3), "次"), ("大于等于3次", ">=", D(3), "次"),
    ("不得低于95%", ">=", D(95), "%"), ("至少3次", ">=", D(3), "次"), ("达到95%", ">=", D(95), "%"),
    ("95%以上", ">=", D(95), "%"), ("95%及以上", ">=", D(95), "%"), ("控制在95%以上", ">=", D(95), "%"),
    ("＞3次", ">", D(3), "次"), ("高于3次", ">", D(3), "次"), ("超过3次", ">", D(3), "次"),
    ("＜3次", "<", D(3), "次"), ("低于3%", "<", D(3), "%"), ("少于3次", "<", D(3), "次"),
    ("=100%", "=", D(100), "%"), ("等于100%", "=", D(100), "%"), ("100%", None, D(100), "%"),
    ("≥三次", ">=", D(3), "次"), ("不超过五十万元", "<=", D(50), "万元"),
])
def test_value_comparison_words(text, op, value, unit):
    q = parse_quantity(text)
    assert (q.op, q.value, q.upper, q.unit, q.error) == (op, value, None, unit, None)


@pytest.mark.parametrize("text,op", [
    ("=<50万元", "<="), ("≤=50万元", "<="), ("=>95%", ">="), ("≥=95%", ">="), ("==5次", "="),
    ("多于3次", ">"), ("大于3次", ">"), ("小于3次", "<"), ("大于或等于3次", ">="), ("小于或等于3次", "<="),
    ("不得少于3次", ">="), ("不得小于3次", ">="), ("最少3次", ">="), ("不得高于5%", "<="), ("不得多于3次", "<="),
    ("不得大于3次", "<="), ("最多3次", "<="), ("达3次", ">="), ("控制于5%", "<="), ("控制在5%以下", "<="),
    # a strict sign with a word of the same direction keeps the strict sign
    (">100次以上", ">"), ("<5%以下", "<"),
])
def test_value_every_comparison_word(text, op):
    q = parse_quantity(text)
    assert (q.op, q.error) == (op, None)


@pytest.mark.parametrize("text,value,unit", [
    ("3千万人次", D(30000000), "人次"), ("3百万人", D(3000000), "人"), ("5千次", D(5000), "次"), ("18万余条", D(180000), "条"),
    ("2万亿元", D(20000), "亿元"), ("1千万元", D(1000), "万元"), ("2千元", D(2000), "元"), ("1.2亿人次", D(120000000), "人次"),
    ("1.5百万元", D(150), "万元"), ("1.5百万", D(1500000), None),
])
def test_value_multipliers(text, value, unit):
    q = parse_quantity(text)
    assert (q.value, q.unit, q.error) == (value, unit, None)


@pytest.mark.parametrize("text,value", [
    ("零", 0), ("〇", 0), ("一", 1), ("壹", 1), ("二", 2), ("贰", 2), ("貳", 2), ("两", 2), ("兩", 2), ("三", 3), ("叁", 3),
    ("參", 3), ("四", 4), ("肆", 4), ("五", 5), ("伍", 5), ("六", 6), ("陆", 6), ("陸", 6), ("七", 7), ("柒", 7), ("八", 8),
    ("捌", 8), ("九", 9), ("玖", 9), ("拾", 10), ("佰", 100), ("仟", 1000), ("壹佰贰拾叁", 123), ("贰仟零伍", 2005),
    ("陆万柒仟", 67000), ("一百〇五", 105), ("万", 10000), ("亿", 100000000), ("一万零五", 10005),
    ("一万零", None), ("一万零零", None), ("零五", None),
])
def test_value_chinese_digits(text, value):
    from gridbudget.read.values import chinese_number

    assert chinese_number(text) == (None if value is None else D(value))


@pytest.mark.parametrize("raw,unit,shown", [
    (1.0, "万元", "1"), (0.0, "万元", "0"), (1.10, "万元", "1.1"), (116.95000000000002, "万元", "116.95"),
    ("0.50万元", "元", "5000"), ("116.95万元", "元", "1169500"), ("1,169,500元", "万元", "116.95"), ("一亿元", "万元", "10000"),
    ("三亿", "万元", "30000"), ("五千元", "万元", "0.5"),
])
def test_value_amounts_shown_without_noise(raw, unit, shown):
    assert str(parse_amount(raw, unit=unit).value) == shown


def test_value_normalisation_edges():
    from gridbudget.read.values import normalize_text

    assert normalize_text("！～") == "!~"                              # U+FF01 and U+FF5E, the ends of the range
    assert normalize_text("｟") == "｟"                                  # U+FF5F is outside it
    assert normalize_text("a\u202fb\u00a0c\u3000d") == "a b c d"
    assert normalize_text("1\u202f000") == "1000"


def test_value_error_messages():
    from gridbudget.read.values import is_no_deviation, parse_score

    assert parse_rate("≥50以内").error == "无法识别的比率：“≥50以内”（比较符号与“以内”矛盾）"
    assert parse_rate("定性").error == "无法识别的比率：“定性”"
    assert parse_score(True).error == "无法识别的分值：“True”"
    assert parse_amount("x" * 40).error == "无法识别的金额：“" + "x" * 40 + "”"
    assert parse_amount("x" * 41).error == "无法识别的金额：“" + "x" * 40 + "…”"
    assert is_no_deviation("，；") is False and is_no_deviation("无偏差。") is True


def test_value_small_parsing_edges():
    from gridbudget.read.values import chinese_number, normalize_text

    assert normalize_text("1\u200b2\u200c3\u200d4\u2060") == "1234"            # zero-width characters go
    assert normalize_text("a\u2000b\u200ac") == "a b c"                          # en quad … hair space
    assert str(parse_amount("0.001万元", unit="元").value) == "10"                 # a positive exponent written out
    assert str(parse_amount(0.12345678901).value) == "0.123456789"             # at most 10 decimals from a float
    assert str(parse_amount(0.1234567891).value) == "0.1234567891"
    assert parse_amount("三亿").unit_seen == "亿元" and parse_amount("一亿五千万").unit_seen == "万元"
    assert chinese_number("一万零一") == 10001 and chinese_number("一万零一万") is None
    assert chinese_number("一点五万") == 15000 and chinese_number("三点五亿") == 350000000
    assert chinese_number("一点五萬") == 15000 and chinese_number("三点五億") == 350000000
    assert parse_quantity("2万亿次").value == D(2000000000000)
    assert parse_rate("0.5").decimals == 0 and parse_rate("0.505").decimals == 1
    assert parse_rate(float("nan")).empty and parse_rate(None).empty and parse_quantity(None).empty
    assert normalize_text("￠￡￥") == "¢£¥"
    assert str(parse_amount("0.000000元").value) == "0" and parse_amount("0.000010元").value == D("1E-9")
    assert parse_quantity(5).text == "5" and parse_quantity(D("0.50")).text == "0.50"
    assert parse_quantity(float("inf")).error == "无法识别的数值：“inf”"


def test_value_range_limits_and_decimal_subclasses():
    class Typed(Decimal):
        pass

    assert parse_amount(Typed("1.5")).value == D("1.5")

    class Count(int):
        pass

    assert parse_amount(Count(5)).value == D(5) and parse_count(Count(5)).value == D(5)
    assert parse_amount(10**18 - 1).value == D(10**18 - 1)
    for raw in (10**18, -10**18, D("1e18"), float("inf"), "1000000000000000000"):
        a = parse_amount(raw)
        assert a.value is None and a.error, raw


@pytest.mark.parametrize("text,approx", [
    ("95%以上", "at_least"), ("100余次", "at_least"), ("逾100次", "at_least"), ("100多次", "at_least"),
    ("约100次", "about"), ("100次左右", "about"), ("近100次", "about"), ("≥100次", None), ("100次以内", None),
])
def test_value_approximations(text, approx):
    assert parse_quantity(text).approx == approx


@pytest.mark.parametrize("text", ["≥50以内", "不低于50万元以内", "≤95%以上", "≥5-10次", "不超过3至5次"])
def test_value_contradicting_comparisons_are_errors(text):
    q = parse_quantity(text)
    assert q.value is None and q.op is None and q.error.startswith("无法识别的数值：“")


@pytest.mark.parametrize("text,value,upper,unit", [
    ("90%-100%", D(90), D(100), "%"), ("90%~100%", D(90), D(100), "%"), ("90%至100%", D(90), D(100), "%"),
    ("90-100%", D(90), D(100), "%"), ("3到5次", D(3), D(5), "次"), ("3—5次", D(3), D(5), "次"),
    ("三至五次", D(3), D(5), "次"), ("5-10万人", D(50000), D(100000), "人"), ("5-10万元", D(5), D(10), "万元"),
    ("5%-5%", D(5), D(5), "%"), ("0.5-1.5小时", D("0.5"), D("1.5"), "小时"),
])
def test_value_ranges(text, value, upper, unit):
    q = parse_quantity(text)
    assert (q.op, q.value, q.upper, q.unit, q.error) == ("between", value, upper, unit, None)


@pytest.mark.parametrize("text", ["100%-90%", "5-3次", "3%-5次", "五至三次"])
def test_value_ranges_upside_down_or_mixed_units_are_errors(text):
    q = parse_quantity(text)
    assert q.value is None and q.error is not None


@pytest.mark.parametrize("text,wan,yuan,seen", [
    ("500元", D("0.05"), D(500), "元"), ("5,000元", D("0.5"), D(5000), "元"), ("1,169,500元", D("116.95"), D(1169500), "元"),
    ("¥1,169,500", D("116.95"), D(1169500), "元"), ("500万元", D(500), D(5000000), "万元"), ("500万", D(500), D(5000000), "万元"),
    ("1.2亿元", D(12000), D(120000000), "亿元"), ("3千元", D("0.3"), D(3000), "千元"), ("500", D(500), D(500), None),
    ("五十万元", D(50), D(500000), "万元"), ("五百元", D("0.05"), D(500), "元"),
])
def test_value_money_units(text, wan, yuan, seen):
    assert (parse_amount(text).value, parse_amount(text).unit_seen) == (wan, seen)
    assert parse_amount(text, unit="元").value == yuan


@pytest.mark.parametrize("text,wan", [
    ("≤500000元", D(50)), ("≤50万元", D(50)), ("≤0.005亿元", D(50)), ("不超过50万元", D(50)), ("500元/人", None),
    ("≤50", None), ("50次", None),
])
def test_value_indicator_money_in_wan(text, wan):
    assert money_of(parse_quantity(text)) == wan


@pytest.mark.parametrize("raw,percent_cell,value", [
    ("99.13%", False, D("99.13")), (0.9913, True, D("99.13")), (0.9913, False, D("99.13")), (D("1.5"), False, D(150)),
    (D("1.51"), False, D("1.51")), ("1.5", False, D(150)), ("1.51", False, D("1.51")), (99.13, False, D("99.13")),
    ("5‰", False, D("0.5")), (1, True, D(100)),
])
def test_value_rates_fraction_limit(raw, percent_cell, value):
    assert parse_rate(raw, percent_cell=percent_cell).value == value


# ---------------------------------------------------------------------------
# every row label of the 基础数据表, in a hand-made workbook (not from the template)
# ---------------------------------------------------------------------------
BASIC_MONEY_ROWS = [         # (label as the form writes it, field key)
    ("三公经费", "sangong"), ("   1、公务用车购置和维护经费", "car"), ("       其中：公车购置", "car_purchase"),
    ("             公车运行维护", "car_operation"), ("   2、出国经费", "abroad"), ("   3、公务接待", "reception"),
    ("项目支出：", "projects_total"), ("公用经费", "public"), ("    其中：办公经费", "office"),
    ("          水费、电费、差旅费", "utilities"), ("          会议费、培训费", "meetings"),
    ("政府采购金额", "procurement"), ("部门基本支出预算调整", "basic_adjust"),
]
COLS = ("prev_final", "budget", "final")


def _basic_labels_from_the_form() -> list[tuple[str, str]]:
    """(label, key) of every money row of the form's 基础数据表, in form order."""
    out = []
    for part in forms.BASIC.parts:
        key = getattr(part, "key", None)
        if key is not None and key.startswith(tuple(k for _l, k in BASIC_MONEY_ROWS)) and hasattr(part, "items"):
            out.append((part.items[0].text, key))
    return out


def test_the_hand_made_rows_are_the_forms_rows():
    assert _basic_labels_from_the_form() == BASIC_MONEY_ROWS


def _amount(i: int, j: int) -> Decimal:
    """A different amount in every cell: row i, column j."""
    return D(i + 1) + D(j + 1) / 10 + D("0.01") * (j + 1)


def _hand_basic(labels: list[tuple[str, str]], *, projects=(("业务工作经费", 7), ("治理网格服务专项", 8)),
                special=(("市级网格化专项", 9),)) -> bytes:
    """A 基础数据表 laid out by hand: title, unit, staff, the money rows with projects and 市级专项资金,
    building control and thrift."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "附件1"
    ws.append(["2024年度部门整体支出绩效评价基础数据表"])
    ws.append(["填报单位：某区网格化服务中心", None, None, None, "年度", 2024])
    ws.append(["财政供养人员情况（人）", "编制数", "2024年实际在职人数", "控制率"])
    ws.append([None, 12, 11, 11 / 12])
    ws.cell(4, 4).number_format = "0.00%"
    ws.append(["经费控制情况（万元）", "2023年决算数", "2024年预算数", "2024年决算数"])
    for i, (label, key) in enumerate(labels):
        if key == "projects_total":
            ws.append([label, *(_amount(i, j) for j in range(3))])
            for name, n in projects:
                ws.append([f"    {n - 6}、{name}", *(_amount(n * 10, j) for j in range(3))])
            ws.append(["    市级专项资金（一个专项一行）"])
            for name, n in special:
                ws.append([f"    {name}", *(_amount(n * 10, j) for j in range(3))])
            continue
        if key in ("procurement", "basic_adjust"):
            ws.append([label, "——", *(_amount(i, j) for j in (1, 2))])
        else:
            ws.append([label, *(_amount(i, j) for j in range(3))])
    ws.append(["楼堂馆所控制情况\n（2024年完工项目）", "批复规模\n（㎡）", "实际规模\n（㎡）", "规模控制率",
               "预算投资\n（万元）", "实际投资\n（万元）", "投资概算控制率"])
    ws.append(["档案楼", 1200, 1150, 1150 / 1200, 300, 290.5, 290.5 / 300])
    ws.append(["厉行节约保障措施", "压缩三公经费。"])
    ws.append(["填表人：      填报日期：        联系电话：          单位负责人签字："])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _read_basic(tmp_path, data: bytes):
    path = tmp_path / "basic.xlsx"
    path.write_bytes(data)
    sub = read_submission(path)
    assert sub.tables_found == ["basic"]
    return sub.basic


def test_basic_every_row_label_reads_into_its_own_field(tmp_path):
    td = _read_basic(tmp_path, _hand_basic(BASIC_MONEY_ROWS))
    rows_before_projects = 6           # money rows start on sheet row 6
    got, want = {}, {}
    for i, (_label, key) in enumerate(BASIC_MONEY_ROWS):
        for j, col in enumerate(COLS):
            if key in ("procurement", "basic_adjust") and col == "prev_final":
                continue
            v = td.fields.get(f"{key}.{col}")
            got[f"{key}.{col}"] = (v.amount_value(), v.cell) if v is not None else None
            extra = 0 if i <= 6 else 4         # the two project rows, the 专项 header and one 专项 row
            want[f"{key}.{col}"] = (_amount(i, j), f"{'BCD'[j]}{rows_before_projects + i + extra}")
    assert got == want
    assert [(r["name"].text(), r["final"].amount_value()) for r in td.rows("projects")] == [
        ("业务工作经费", _amount(70, 2)), ("治理网格服务专项", _amount(80, 2))]
    assert [(r["name"].text(), r["budget"].amount_value()) for r in td.rows("special_funds")] == [
        ("市级网格化专项", _amount(90, 1))]
    assert td.get("unit").text() == "某区网格化服务中心" and td.year == 2024
    assert (td.get("staff.authorized").count().value, td.get("staff.actual").count().value) == (12, 11)
    assert td.get("staff.rate").rate().value.quantize(D("0.01")) == D("91.67")
    assert (td.get("building.approved_area").number_value(), td.get("building.actual_area").number_value(),
            td.get("building.budget").amount_value(), td.get("building.actual").amount_value()) == \
        (D(1200), D(1150), D(300), D("290.5"))
    assert td.get("building.name").text() == "档案楼"
    assert td.get("thrift").text() == "压缩三公经费。"


@pytest.mark.parametrize("label,key", [
    ("三公经费合计", "sangong"), ("公务用车运行维护费", "car_operation"), ("公车运行费", "car_operation"),
    ("运行维护费", "car_operation"), ("公务用车", "car"), ("其中：公车购置费", "car_purchase"),
    ("其中：公务用车购置费", "car_purchase"), ("公务用车运行维护费", "car_operation"),
    ("公务用车购置和维护经费", "car"),
    ("因公出国（境）费", "abroad"), ("出国费", "abroad"), ("公务接待费", "reception"),
    ("办公费", "office"), ("水费", "utilities"), ("电费", "utilities"), ("差旅费", "utilities"),
    ("会议费", "meetings"), ("培训费", "meetings"), ("公用经费合计", "public"), ("政府采购", "procurement"),
    ("基本支出预算调整", "basic_adjust"),
])
def test_basic_row_synonym_reads_into_its_field(tmp_path, label, key):
    """A row labelled with another word of the same item lands in that item, not the row above."""
    labels = [(label if k == key else lab, k) for lab, k in BASIC_MONEY_ROWS]
    td = _read_basic(tmp_path, _hand_basic(labels))
    i = [k for _l, k in labels].index(key)
    assert td.get(f"{key}.final").amount_value() == _amount(i, 2)


@pytest.mark.parametrize("key", [k for _l, k in BASIC_MONEY_ROWS if k not in ("sangong", "projects_total")])
def test_basic_a_row_left_out_is_not_read_from_another_row(tmp_path, key):
    labels = [(lab, k) for lab, k in BASIC_MONEY_ROWS if k != key]
    td = _read_basic(tmp_path, _hand_basic(labels))
    for col in COLS:
        assert td.fields.get(f"{key}.{col}") is None or td.fields[f"{key}.{col}"].empty
    for i, (_lab, k) in enumerate(labels):
        if k != "projects_total":
            assert td.get(f"{k}.final").amount_value() == _amount(i, 2), k


# ---------------------------------------------------------------------------
# CSV neutralisation (write/summary.py); JSON keeps the text exactly
# ---------------------------------------------------------------------------
DANGER = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("text", DANGER)
def test_csv_safe_neutralises_each_formula_prefix(text):
    from gridbudget.write.summary import csv_safe

    assert csv_safe(text) == "'" + text


@pytest.mark.parametrize("value,out", [
    ("单位=1", "单位=1"), ("１+1", "１+1"), (" =1", " =1"), ("'=1", "'=1"), ("", ""), (None, ""),
    (D("-0.91"), "-0.91"), (D("1E+1"), "10"), (3, 3), (-3, -3),
])
def test_csv_safe_leaves_other_values(value, out):
    from gridbudget.write.summary import csv_safe

    assert csv_safe(value) == out


@pytest.fixture(scope="module")
def dangerous_batch(tmp_path_factory):
    """One workbook whose unit, project, department and notes start with formula characters."""
    from gridbudget.write.summary import summarize

    d = tmp_path_factory.mktemp("danger")
    wb = openpyxl.load_workbook(EXAMPLE_XLSX)
    texts = {(forms.OVERALL, "unit"): "@单位", (forms.BASIC, "unit"): "@单位", (forms.PROJECT, "unit"): "@单位",
             (forms.PROJECT, "name"): "-项目", (forms.PROJECT, "department"): "+主管部门"}
    for (table, key), text in texts.items():
        ws = wb[SHEETS[table.key]]
        r, c = forms.layout(table).cell(key)
        ws.cell(r + 1, c + 1).value = text
        ws.cell(r + 1, c + 1).data_type = "s"
    path = d / "danger.xlsx"
    wb.save(path)
    batch = summarize([str(path)], jobs=1)
    yield d, batch
    batch.close()


def test_csv_and_json_outputs_of_formula_like_text(dangerous_batch):
    from gridbudget.write.summary import write_csv, write_json

    d, batch = dangerous_batch
    paths = write_csv(batch, d / "s.csv")
    units = list(csv.reader(io.StringIO(paths[0].read_text(encoding="utf-8-sig"))))
    assert units[1][:2] == ["'+主管部门", "'@单位"]
    projects = list(csv.reader(io.StringIO(paths[1].read_text(encoding="utf-8-sig"))))
    assert projects[1][:3] == ["'+主管部门", "'@单位", "'-项目"]
    findings = list(csv.reader(io.StringIO(paths[2].read_text(encoding="utf-8-sig"))))
    assert {r[0] for r in findings[1:]} == {"'@单位"}
    # numbers stay numbers: a negative difference is not text to neutralise
    diff = units[0].index("差额")
    assert units[1][diff] == "1.91"
    assert [p.name for p in paths] == ["s.csv", "s-项目.csv", "s-问题清单.csv", "s-未能读取.csv"]
    severity = findings[0].index("级别")
    assert {r[severity] for r in findings[1:]} == {"警告", "提示"}      # the seed has no errors
    data = json.loads(write_json(batch, d / "s.json").read_text(encoding="utf-8"))
    assert (data["units"][0]["department"], data["units"][0]["unit"]) == ("+主管部门", "@单位")
    assert data["projects"][0]["name"] == "-项目"


# ---------------------------------------------------------------------------
# the summary workbook's other sheets, found by their headings (the layout may move)
# ---------------------------------------------------------------------------
def _find(ws, text):
    return next(((c.row, c.column) for row in ws.iter_rows() for c in row if c.value == text), None)


def test_summary_rule_statistics_and_failures_sheets(dangerous_batch):
    from collections import Counter

    from gridbudget.write.summary import write_xlsx

    d, batch = dangerous_batch
    wb = openpyxl.load_workbook(write_xlsx(batch, d / "s.xlsx"))
    want = Counter((f["code"], f["severity"]) for f in batch.findings())
    assert want                                     # the seed's own findings
    ws = wb["规则统计"]
    r0, c0 = _find(ws, "规则代码")
    heads = {ws.cell(r0, c).value: c for c in range(c0, ws.max_column + 1)}
    got = {}
    for r in range(r0 + 1, ws.max_row + 1):
        code = ws.cell(r, c0).value
        if not code or not str(code)[:2] in ("W-", "X-", "S-", "D-", "C-", "Y-"):
            break
        got[code] = tuple(ws.cell(r, heads[h]).value or 0 for h in ("错误", "警告", "提示", "合计"))
    codes = sorted({c for c, _s in want})
    assert got == {c: (want[(c, ERROR)], want[(c, WARNING)], want[(c, INFO)],
                       sum(n for (k, _s), n in want.items() if k == c)) for c in codes}
    fails = wb["未能读取"]
    assert _find(fails, "所有文件均已读取。") is not None
    about = wb["说明"]
    listed = [[str(v) for v in row if v is not None] for row in about.iter_rows(values_only=True)
              if any(isinstance(v, str) and v.endswith("danger.xlsx") for v in row)]
    assert len(listed) == 1 and any(re.fullmatch(r"[0-9a-f]{64}", v) for v in listed[0])      # its SHA-256


def test_summary_filters_cover_each_table_and_the_chart_data(dangerous_batch):
    from openpyxl.utils import get_column_letter

    from gridbudget.write.summary import RATE_BINS, write_xlsx

    d, batch = dangerous_batch
    wb = openpyxl.load_workbook(write_xlsx(batch, d / "f.xlsx"))
    for sheet, first in (("汇总", "主管部门"), ("项目", "主管部门"), ("问题清单", "单位")):
        ws = wb[sheet]
        hr = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == first)
        ncols = sum(1 for c in range(1, ws.max_column + 1) if ws.cell(hr, c).value)
        # from the header to the last row (the 合计 row on 汇总), across every column
        assert ws.auto_filter.ref == f"A{hr}:{get_column_letter(ncols)}{ws.max_row}", sheet
    ws = wb["图表"]

    def table(head):
        r, c = _find(ws, head)
        assert ws.cell(r, c + 1).value == "单位数"
        out = []
        while ws.cell(r + 1, c).value is not None:
            r += 1
            out.append((ws.cell(r, c).value, ws.cell(r, c + 1).value))
        return out
    grades = table("等级")
    assert [g for g, _n in grades[:4]] == ["优", "良", "中", "差"] and grades[-1][0] == "无等级"
    assert [(g, n) for g, n in grades if n] == [("优", 1)]          # the seed: 99.91 recomputed
    assert table("执行率") == [(label, 1 if label == "95%–100%" else 0) for _lo, _hi, label in RATE_BINS]


def test_summary_rate_bins_include_their_lower_bound(dangerous_batch):
    """Each execution-rate bin of the chart data includes its lower bound: 60% is 60%–70%, 100% is 100%及以上."""
    from gridbudget.write.summary import RATE_BINS, _Totals, unit_rows

    _d, batch = dangerous_batch
    row = next(iter(unit_rows(batch)))
    edges = [lo for lo, _hi, _l in RATE_BINS if lo is not None]
    labels = [label for _lo, _hi, label in RATE_BINS]
    for k, lo in enumerate(edges):
        for rate, want in ((D(lo), labels[k + 1]), (D(lo) - D("0.01"), labels[k])):
            t = _Totals()
            t.add({**row, "rate": rate})
            assert dict(t.rate_bins) == {want: 1}, rate


def test_summary_project_rows_and_the_grade_bands_text(dangerous_batch):
    from gridbudget.write.summary import project_rows, write_xlsx

    d, batch = dangerous_batch
    [row] = list(project_rows(batch))
    assert (row["budget"], row["executed"], row["rate"]) == (D(50), D("40.6"), D("81.2"))
    assert (row["total_self"], row["total_recomputed"], row["difference"]) == (D(98), D("98.12"), D("0.12"))
    about = openpyxl.load_workbook(write_xlsx(batch, d / "g.xlsx"))["说明"]
    r, c = _find(about, "等级")
    assert about.cell(r, c + 1).value == \
        "按重算总分：优：重算总分 ≥ 90；良：80 ≤ 重算总分 < 90；中：60 ≤ 重算总分 < 80；差：重算总分 < 60。"


def test_summary_duplicate_submissions_in_the_input_list(dangerous_batch, tmp_path):
    import shutil

    from gridbudget.write.summary import summarize, write_xlsx

    d, _batch = dangerous_batch
    for name in ("a.xlsx", "b.xlsx"):
        shutil.copy(d / "danger.xlsx", tmp_path / name)
    with summarize([str(tmp_path / "a.xlsx"), str(tmp_path / "b.xlsx")], jobs=1) as batch:
        about = openpyxl.load_workbook(write_xlsx(batch, tmp_path / "out" / "s.xlsx"))["说明"]
    states = {}
    for row in about.iter_rows(values_only=True):
        name = next((v for v in row if isinstance(v, str) and v.endswith((".xlsx",))), None)
        if name is not None:
            states[Path(name).name] = next(v for v in row if v in ("已读取", "未能读取", "重复提交，计入", "重复提交，未计入"))
    assert states == {"a.xlsx": "重复提交，计入", "b.xlsx": "重复提交，未计入"}
