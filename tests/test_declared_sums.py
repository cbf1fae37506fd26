"""Relations declared once in the forms drive the checks.

* Typed totals and their typed parts (``forms.Field.checks``: 年度资金总额 by source, 全年执行数 按收入性质分 /
  按支出性质分, 公用经费's 其中 items): every declaration is checked by its rule, at the cell the rule
  has always pointed at, and the rule adds up the parts the declaration names (no list of its own).
* The 跨年 rule compares every 基础数据表 row that has a 上年决算数 and a 本年决算数 (read from the form).
"""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from gridbudget import forms
from gridbudget.check.engine import run_rules
from gridbudget.check.findings import ERROR
from gridbudget.check.rules.common import lines_with, named_blocks
from gridbudget.model import Val
from gridbudget.read.tables import read_submission
from helpers import EXAMPLE_XLSX

# The rule that checks each declared sum (by the declaration's name), and where it points: the total,
# the first part filled in, or the largest part.
RULES = {"funds": ("W-PROJECT-FUNDS-SUM", "total"), "income": ("W-INCOME-SUM", "first part"),
         "expense": ("W-EXPENSE-SUM", "first part"), "public": ("W-SUBITEM-GT-PARENT", "largest part")}
DECLARED = [(kind, total, s) for kind in forms.TABLES for total, s in forms.checked_sums(kind)]


@pytest.fixture(scope="module")
def seed():
    return read_submission(EXAMPLE_XLSX)


def _table(sub, kind):
    return {"basic": sub.basic, "overall": sub.overall, "project": sub.projects[0]}[kind]


def _set(td, key: str, raw) -> None:
    old = td.fields.get(key) or Val(None, td.sheet)
    td.fields[key] = Val(raw, old.sheet or td.sheet, old.cell, unit=old.unit)


def _where(td, key: str) -> str:
    return td.fields[key].where


def _found(sub, code: str, **kw) -> list[tuple[str, str]]:
    return [(f.where, f.key) for f in run_rules(sub, **kw) if f.code == code]


def test_the_declarations():
    # what issue 9 names: 年度资金总额 = 当年财政拨款 + 上年结转资金 + 其他资金 in three columns; 全年执行数 by 收入性质
    # and by 支出性质; none of them a template formula (the unit types the totals)
    got = {(kind, total, s.name) for kind, total, s in DECLARED}
    assert {("project", f"funds.total.{c}", "funds") for c in ("initial", "budget", "executed")} <= got
    assert {("overall", "funds.total.executed", "income"), ("overall", "funds.total.executed", "expense")} <= got
    fields = {kind: forms.fields_of(kind) for kind in forms.TABLES}
    for kind, total, s in DECLARED:
        assert not fields[kind][total].computed and fields[kind][total].formula is None
        assert all(p in fields[kind] and not fields[kind][p].computed for p in s.parts), (kind, total, s)
    assert [p for _k, _t, s in DECLARED if s.name == "income" for p in s.parts] == [
        f"income.{k}" for k, _l, _s in forms.INCOME_ROWS]


@pytest.mark.parametrize("kind,total,declared", DECLARED, ids=[f"{k}-{t}-{s.name}" for k, t, s in DECLARED])
def test_every_declared_sum_is_checked_at_its_cell(seed, kind, total, declared):
    assert declared.name in RULES, f"no rule checks the sums named {declared.name!r}: add one to check/rules/within.py"
    code, at = RULES[declared.name]
    sub = copy.deepcopy(seed)
    td = _table(sub, kind)
    for p in declared.parts:
        _set(td, p, Decimal(1))
    n = len(declared.parts)
    # agrees: nothing at this sum's cells
    _set(td, total, Decimal(n))
    where = {"total": _where(td, total), "first part": _where(td, declared.parts[0]),
             "largest part": _where(td, declared.parts[0])}[at]
    assert where not in [w for w, _k in _found(sub, code)]
    # broken: a partial listing exceeds its total, an equality is off by 5
    _set(td, total, Decimal(n - 2) if declared.partial else Decimal(n + 5))
    got = _found(sub, code)
    assert where in [w for w, _k in got], got
    assert (ERROR,) == tuple({f.severity for f in run_rules(sub) if f.code == code and f.where == where})


def test_the_rules_add_what_the_declaration_names(seed, monkeypatch):
    """A declaration changed in the forms changes the check: the rules keep no list of their own."""
    sub = copy.deepcopy(seed)
    ov = sub.overall
    executed = ov.fields["funds.total.executed"].amount_value()
    parts = forms.INCOME_SUM.parts
    for p in parts:
        _set(ov, p, Decimal(0))
    _set(ov, parts[0], executed)
    _set(ov, parts[-1], Decimal(7))          # 其他资金 7 too many
    assert [w for w, _k in _found(sub, "W-INCOME-SUM")] == [_where(ov, parts[0])]
    fewer = forms.Sum(parts[:-1], name=forms.INCOME_SUM.name, label=forms.INCOME_SUM.label)
    declared = forms.checked_sums("overall")
    monkeypatch.setattr(forms, "checked_sums", lambda kind: tuple(
        (k, fewer if s == forms.INCOME_SUM else s) for k, s in declared) if kind == "overall" else ())
    assert _found(sub, "W-INCOME-SUM") == []           # without 其他资金 the breakdown adds up
    assert _found(sub, "W-PROJECT-FUNDS-SUM") == []    # no declaration, no check


def test_project_sources_over_budget_follow_the_declared_rows(seed):
    sub = copy.deepcopy(seed)
    pj = sub.projects[0]
    _set(pj, "funds.carryover.budget", Decimal(1))
    _set(pj, "funds.carryover.executed", Decimal(2))
    got = [(f.where, f.message) for f in run_rules(sub) if f.code == "W-EXEC-OVER-BUDGET"]
    assert (_where(pj, "funds.carryover.executed"), "上年结转资金的全年执行数 2.00万元 大于全年预算数 1.00万元。") in got


# ---------------------------------------------------------------------------
# 跨年: every 基础数据表 row with both columns
# ---------------------------------------------------------------------------
COMPARED = [k for k in lines_with("basic", "prev_final", "final")
            if not any(p.startswith("range:") for p in getattr(
                forms.fields_of("basic")[f"{k}.prev_final"].relation, "parts", ()))]


def test_years_rows_come_from_the_form():
    # the rows the rule used to list by hand, and every other such row of the form
    assert set(COMPARED) >= {"sangong", "car", "car_purchase", "car_operation", "abroad", "reception", "public",
                             "office", "utilities", "meetings"}
    assert "projects_total" in lines_with("basic", "prev_final", "final") and "projects_total" not in COMPARED
    assert named_blocks("basic", "prev_final", "final") == ("projects", "special_funds")


@pytest.mark.parametrize("key", COMPARED)
def test_years_rule_compares_every_basic_row(seed, key):
    prev = copy.deepcopy(seed)
    _set(prev.basic, f"{key}.final", Decimal("123.45"))
    hits = [f for f in run_rules(seed, previous=prev) if f.code == "Y-PREV-FINAL"]
    mine = [f for f in hits if f.where == _where(seed.basic, f"{key}.prev_final")]
    assert len(mine) == 1, [(f.where, f.message) for f in hits]
    label = forms.row_label(forms.fields_of("basic")[f"{key}.prev_final"].label)
    assert mine[0].message.startswith(f"{label}上年决算数 ") and mine[0].expected == "123.45万元"


def test_years_rule_on_the_seed_against_itself_reports_what_it_did(seed):
    # last year's 本年决算数 are the seed's own: only the rows whose two columns differ in the seed
    got = sorted((f.where, f.message) for f in run_rules(seed, previous=seed) if f.code == "Y-PREV-FINAL")
    basic = seed.basic
    differ = [k for k in COMPARED
              if basic.get(f"{k}.prev_final").amount_value() != basic.get(f"{k}.final").amount_value()]
    rows = [(b, r) for b in named_blocks("basic", "prev_final", "final") for r in basic.rows(b)
            if not r["name"].empty and r.get("prev_final") and r["prev_final"].amount_value() != (
                r["final"].amount_value() if r.get("final") else None)]
    assert len(got) == len(differ) + len(rows)
