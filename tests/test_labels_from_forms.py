"""The checks name fields, columns and levels with the labels the forms declare (gridbudget/forms):
no label is written a second time in the check modules, and renaming one in the forms renames it
in the messages."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from gridbudget import forms
from gridbudget.check.engine import RULES, run_rules
from gridbudget.model import Val
from gridbudget.read.tables import read_submission
from helpers import EXAMPLE_XLSX, ROOT
from test_content_rules import book, messages

CHECK = ROOT / "gridbudget" / "check"
_CJK = re.compile(r"[\u4e00-\u9fff]")

# (module, scope, literal): a label the forms declare, written on purpose where it is not the label.
ALLOWED = {
    # C-NAME-IS-TITLE: what the project table's 项目支出名称 cell should hold, said in words
    ("complete.py", "name_is_title", "项目名称"),
    # a word searched for in indicator names as units write them (W-EXEC-AS-INDICATOR)
    ("within.py", "_EXEC_NAME", "执行率"),
    # patterns of how reports write a subject, beside their variants (the report's vocabulary)
    ("prose.py", "_SUBJECTS", "基本支出"),
    ("prose.py", "_SUBJECTS", "项目支出"),
    ("prose.py", "_SUBJECTS", "其他资金"),
    # the verbs of _SCORE_VERB_RE a report writes before points (分值为 / 得分 / 总分)
    ("prose.py", "_score", "分值"),
    ("prose.py", "_score", "得分"),
    ("prose.py", "_score", "总分"),
}


def _labels() -> set[str]:
    """Every label of the forms as words: field labels (as written, as words, as a row), static
    header and row labels, level names, column labels, block labels."""
    out: set[str] = set()

    def add(text: str | None) -> None:
        if not text:
            return
        for t in (text, forms.plain_label(text), forms.row_label(text)):
            if _CJK.search(t):
                out.add(t)

    for table in forms.TABLES.values():
        for _key, f, _block in forms.iter_fields(table):
            add(f.label)
        placed = forms.layout(table)
        for _row, line in placed.lines:
            for it in line.items:
                if it.style in ("header", "label"):
                    add(it.text)
        for rep in placed.repeats.values():
            add(rep.block.label)
    for _k, name, _w, level2 in forms.LEVEL1:
        add(name)
        for _k2, name2, _s in level2:
            add(name2)
    for cols in (forms.FUNDS_COLUMNS, forms.INDICATOR_COLUMNS, forms.INDICATOR_EXTRA_COLUMNS):
        for _k, label, _kind, _s in cols:
            add(label)
    for _k, label in forms.BASIC_COLUMNS:
        add(label)
    for _k, label, _s in forms.TEXT_BLOCKS:
        add(label)
    add(forms.GOALS_LABEL)
    add(forms.FUNDS_TOTAL_LABELS[0])
    return out


def _literals(path: Path):
    """(scope, string, line) of each string constant of a module (f-string parts included); the
    scope is the innermost function or class, or the module-level name assigned."""
    def walk(node, scope):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scope = node.name
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and scope == "<module>":
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
            scope = names[0] if names else scope
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield scope, node.value, node.lineno
        for child in ast.iter_child_nodes(node):
            yield from walk(child, scope)

    yield from walk(ast.parse(path.read_text(encoding="utf-8")), "<module>")


def test_check_modules_write_no_label_of_the_forms():
    labels = _labels()
    found, used = [], set()
    for path in sorted(CHECK.rglob("*.py")):
        for scope, text, line in _literals(path):
            if text not in labels:
                continue
            entry = (path.name, scope, text)
            if entry in ALLOWED:
                used.add(entry)
                continue
            found.append(f"{path.relative_to(ROOT)}:{line} ({scope}) “{text}”")
    assert not found, "labels written by hand instead of taken from gridbudget/forms:\n" + "\n".join(found)
    assert used == ALLOWED, f"allowed literals no longer in the code (drop them from ALLOWED): {ALLOWED - used}"


# ---------------------------------------------------------------------------
# A label renamed in the forms is renamed in the messages
# ---------------------------------------------------------------------------
@pytest.fixture()
def seed():
    return read_submission(EXAMPLE_XLSX)



def _messages(sub, code):
    return [f.message for f in run_rules(sub) if f.code == code]


def test_funds_column_labels_word_the_budget_adjusted_message(seed, monkeypatch):
    before = _messages(seed, "W-BUDGET-ADJUSTED")
    assert before and before[0].startswith("全年预算数 117.98万元 与年初预算数 120.54万元 不同")
    monkeypatch.setitem(forms.FUNDS_COLUMN_LABELS, "budget", "调整后预算")
    monkeypatch.setitem(forms.FUNDS_COLUMN_LABELS, "initial", "年初数")
    after = _messages(seed, "W-BUDGET-ADJUSTED")
    assert after[0].startswith("调整后预算 117.98万元 与年初数 120.54万元 不同")


def _relabelled(kind: str, key: str, label: str):
    """forms.fields_of with one field's label replaced."""
    original = forms.fields_of

    def fields_of(k: str):
        fields = original(k)
        return {**fields, key: replace(fields[key], label=label)} if k == kind else fields
    return fields_of


def test_row_and_column_labels_word_the_sangong_increase_message(seed, monkeypatch):
    assert _messages(seed, "W-SANGONG-INCREASE") == ["三公经费本年决算数 0.21万元 比上年决算数 0.00万元 增加 0.21万元。"]
    monkeypatch.setattr(forms, "fields_of", _relabelled("basic", "sangong.final", "“三公”经费（{year}年决算数）"))
    monkeypatch.setattr(forms, "BASIC_COLUMNS", (("prev_final", "{prev_year}年实际支出"), ("budget", "{year}年预算"),
                                                 ("final", "{year}年实际支出")))
    assert _messages(seed, "W-SANGONG-INCREASE") == ["“三公”经费本年实际支出 0.21万元 比上年实际支出 0.00万元 增加 0.21万元。"]


def test_level_and_column_labels_word_the_cost_actual_message(tmp_path, monkeypatch):
    sub = book(tmp_path, cost_actual="50万元")
    assert messages(sub, "W-COST-ACTUAL-BUDGET")[0].startswith(
        "成本指标“项目总成本”的实际完成值 50.00万元 等于全年预算数，而全年执行数只有 45.00万元")
    monkeypatch.setitem(forms.LEVEL2_NAMES, "cost", "成本类指标")
    monkeypatch.setitem(forms.INDICATOR_COLUMN_LABELS, "actual", "全年实际值")
    assert messages(sub, "W-COST-ACTUAL-BUDGET")[0].startswith(
        "成本类指标“项目总成本”的全年实际值 50.00万元 等于全年预算数，而全年执行数只有 45.00万元")


# ---------------------------------------------------------------------------
# W-SANGONG-SUM: the totals the forms' sums named sangong and car compute
# ---------------------------------------------------------------------------
def test_sangong_sum_checks_the_sums_by_their_declared_names(seed, monkeypatch):
    basic = seed.basic
    basic.fields["car_purchase.final"] = Val(Decimal("1"), basic.sheet, "D8")
    basic.fields["car.final"] = Val(Decimal("5"), basic.sheet, "D7")      # typed over the formula: 5 ≠ 1
    hits = [(f.key, f.message) for f in run_rules(seed) if f.code == "W-SANGONG-SUM"]
    said = "公务用车购置和维护经费（本年决算数） 5.00万元 不等于公车购置、公车运行维护之和 1.00万元（相差 4.00万元）。"
    assert hits == [("car.final", said)]
    # the rule follows the name of the relation, not the key: a sum renamed is not its business
    original = forms.fields_of

    def fields_of(kind: str):
        fields = original(kind)
        if kind != "basic":
            return fields
        return {k: replace(f, relation=replace(f.relation, name="other"))
                if isinstance(f.relation, forms.Sum) and f.relation.name == "car" else f for k, f in fields.items()}

    monkeypatch.setattr(forms, "fields_of", fields_of)
    assert [f for f in run_rules(seed) if f.code == "W-SANGONG-SUM"] == []


def test_sangong_sum_words_its_declared_relations():
    import gridbudget.check.rules  # noqa: F401  (registers the rules)
    text = RULES["W-SANGONG-SUM"].explanation
    assert text.startswith("三公经费 = 公务用车购置和维护经费 + 出国经费 + 公务接待；"
                           "公务用车购置和维护经费 = 公车购置 + 公车运行维护；上年决算数、本年预算数、本年决算数三列分别核对。")
    names = {f.relation.name for _k, f, _b in forms.iter_fields(forms.BASIC) if isinstance(f.relation, forms.Sum)}
    assert {"sangong", "car", "projects"} <= names
