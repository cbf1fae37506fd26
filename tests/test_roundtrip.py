"""Property tests: submission JSON -> filled template -> reader -> export gives the JSON back.

The generated submissions are derived from :mod:`gridbudget.forms` (every input field
and block column of the three tables, random subsets filled) and are already in the
normal form export writes, so the comparison is plain equality. The normal form
(see gridbudget/read/export.py and gridbudget/write/template.py):

* formula fields are never exported, so none are generated;
* the template pre-fills field defaults (一级/二级 names, 执行率分值 10) and every
  table's 年度: a table without a year gets the workbook's year (overall's, else
  basic's, else last year's), and a year is exported as an integer;
* 一级/二级 names are exported in official form: generated names are picked from the
  template's drop-down choices;
* the workbook always holds 基础数据表, 整体支出自评表 and at least one 项目支出自评表,
  so ``basic``/``overall`` are always there and "no project" means one blank project sheet, which the
  reader ignores as a spare sheet (as it does any project sheet with no name, money or indicators);
* empty rows and empty blocks are not exported: generated rows hold at least one value;
* text has no surrounding blanks, and is never a blank marker (无, 空, —, /: read as
  empty by design, see gridbudget.read.values.is_blank);
* numbers: integral Decimals serialise as ints on both sides (gridbudget.submission.dumps).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from gridbudget import forms
from gridbudget.read.export import export_submission
from gridbudget.read.tables import read_submission
from gridbudget.submission import (SCHEMA_VERSION, block_columns, dumps, fixed_keys, flatten, flatten_table,
                                   nest_table)
from gridbudget.write.template import TemplateOptions, build_workbook
from gridbudget.read.values import is_blank

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

_BLANKS = " \t\r\n\u3000\xa0"   # what export strips around text (gridbudget.read.export.clean_text)

# ---------------------------------------------------------------------------
# Values by kind
# ---------------------------------------------------------------------------
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
TEXT_ALPHABET = st.one_of(CJK, st.sampled_from(list("，。：；“”、（）0123456789\n")))


def _typed_text(s: str) -> bool:
    return bool(s) and not is_blank(s)


texts = (st.text(alphabet=TEXT_ALPHABET, min_size=1, max_size=30)
         .map(lambda s: s.strip(_BLANKS)).filter(_typed_text))

money = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
points = st.one_of(st.integers(0, 100).map(Decimal),
                   st.decimals(min_value=0, max_value=100, places=1, allow_nan=False, allow_infinity=False),
                   st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False))
areas = st.decimals(min_value=0, max_value=10**5, places=2, allow_nan=False, allow_infinity=False)
counts = st.integers(0, 10_000)
years = st.integers(2000, 2100)

QUANTITY_SAMPLES = ("≥100次", "≤50万元", "95%", "≥98%", "100%", "定性", "有效提升", "及时", "达成", "部分达成",
                    "人口信息等累计18万余条", "100余次", "≥10000", "134条", "40.6万元", "≤120.54万元",
                    "12月底前", "控制在50万元以内", "≥三次")
_OPS = ("", "≥", "≤", ">", "<", ">=", "<=", "不低于", "不超过", "约", "控制在")
_UNITS = ("", "次", "条", "%", "万元", "人次", "个工作日", "余次", "以上", "万余条")
_number_text = st.one_of(st.integers(0, 100_000).map(str),
                         st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False,
                                     allow_infinity=False).map(lambda d: format(d, "f")))
quantities = st.one_of(
    st.sampled_from(QUANTITY_SAMPLES),
    st.builds(lambda op, n, u: f"{op}{n}{u}", st.sampled_from(_OPS), _number_text, st.sampled_from(_UNITS)),
    st.text(alphabet=CJK, min_size=1, max_size=8).filter(_typed_text),      # 有效提升-like words
    st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False),  # a number cell
)

KIND_VALUES = {
    forms.MONEY: money, forms.WEIGHT: points, forms.SCORE: points, forms.AREA: areas,
    forms.COUNT: counts, forms.YEAR: years, forms.QUANTITY: quantities,
    forms.TEXT: texts, forms.NAME: texts,
}


# ---------------------------------------------------------------------------
# Tables, derived from the forms
# ---------------------------------------------------------------------------
def _choices(table: forms.Table) -> dict[str, tuple[str, ...]]:
    """Field key -> the drop-down choices the template offers for it (一级/二级 names)."""
    out: dict[str, tuple[str, ...]] = {}

    def walk(part: forms.Part) -> None:
        items: tuple[forms.Put, ...] = ()
        if isinstance(part, (forms.Line, forms.Repeat)):
            items = part.items
        else:
            items = (part.label,) if part.label is not None else ()
            for p in part.parts:
                walk(p)
        for it in items:
            if it.field is not None and it.choices:
                out[it.field.key] = it.choices

    for p in table.parts:
        walk(p)
    return out


def _input_fields(kind: str) -> dict[str, forms.Field]:
    """Fixed (non-block) fields a person types, by key."""
    return {key: f for key, f, block in forms.iter_fields(forms.TABLES[kind]) if block is None and not f.computed}


def _column_fields(kind: str, block: str) -> dict[str, forms.Field]:
    fields = {key: f for key, f, _b in forms.iter_fields(forms.TABLES[kind])}
    return {c: fields[f"{block}.{c}"] for c in block_columns(kind)[block]}


def _value_strategy(key: str, f: forms.Field, choices: dict[str, tuple[str, ...]]):
    if key in choices:
        return st.sampled_from(choices[key])
    return KIND_VALUES[f.kind]


def _row(cols: dict[str, forms.Field]) -> st.SearchStrategy[dict[str, Any]]:
    """A row of a block with at least one value (export drops empty rows)."""
    values = {c: KIND_VALUES[f.kind] for c, f in cols.items()}

    def with_one(first: str):
        others = {c: v for c, v in values.items() if c != first}
        return st.fixed_dictionaries({first: values[first]}, optional=others).map(
            lambda r: {c: r[c] for c in cols if c in r})     # columns in form order
    return st.sampled_from(list(cols)).flatmap(with_one)


def flat_table(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    """A table in the flat form (``{"__fields__": …, "__blocks__": …}``), random subsets filled."""
    choices = _choices(forms.TABLES[kind])
    fields = st.fixed_dictionaries({}, optional={
        key: _value_strategy(key, f, choices) for key, f in _input_fields(kind).items()})
    blocks = {}
    for block in block_columns(kind):
        cols = _column_fields(kind, block)
        blocks[block] = st.lists(_row(cols), max_size=4)
    return st.builds(lambda f, b: {"__fields__": f, "__blocks__": {k: v for k, v in b.items() if v}},
                     fields, st.fixed_dictionaries(blocks))


def _put(d: dict, path: str, value: Any) -> None:
    *head, last = path.split(".")
    for p in head:
        d = d.setdefault(p, {})
    assert last not in d, path
    d[last] = value


def nest(kind: str, flat: dict[str, Any]) -> dict[str, Any]:
    """Nested JSON of a flat table, written independently of gridbudget.submission.nest_table:
    dotted keys become objects; a block is a list at its key, or under ``rows`` when fields
    are keyed below the block's key (the 二级指标 blocks hold their ``label``)."""
    fixed = fixed_keys(kind)
    out: dict[str, Any] = {}
    for key, value in flat["__fields__"].items():
        _put(out, key, value)
    for block, rows in flat["__blocks__"].items():
        if rows:
            nested_rows = any(k.startswith(block + ".") for k in fixed)
            _put(out, block + ".rows" if nested_rows else block, [dict(r) for r in rows])
    return out


def normal_form(basic: dict, overall: dict, projects: list[dict]) -> dict[str, Any]:
    """The flat tables as a submission in the normal form export writes (see the module doc)."""
    projects = projects or [{"__fields__": {}, "__blocks__": {}}]
    year = overall["__fields__"].get("year") or basic["__fields__"].get("year") or dt.date.today().year - 1
    out: dict[str, Any] = {"schema": SCHEMA_VERSION}
    nested = []
    for kind, flat in [("basic", basic), ("overall", overall)] + [("project", p) for p in projects]:
        fields = dict(flat["__fields__"])
        fields.setdefault("year", year)
        for key, f in _input_fields(kind).items():
            if f.default is not None:
                fields.setdefault(key, f.default)
        nested.append((kind, nest(kind, {"__fields__": fields, "__blocks__": flat["__blocks__"]})))
    out["basic"] = nested[0][1]
    out["overall"] = nested[1][1]
    # a project sheet with no name, no money and no indicators is a spare sheet: the reader ignores it
    out["projects"] = [t for (_k, t), p in zip(nested[2:], projects) if not _blank_project(p)]
    out["tables_found"] = ["basic", "overall"] + (["project"] if out["projects"] else [])
    return out


def _blank_project(flat: dict) -> bool:
    f = flat["__fields__"]
    if f.get("name") not in (None, "") or any(f.get(f"funds.total.{k}") is not None
                                                 for k in ("initial", "budget", "executed", "score")):
        return False
    return not any(rows for b, rows in flat["__blocks__"].items() if b.startswith("ind."))


submissions = st.builds(normal_form, flat_table("basic"), flat_table("overall"),
                        st.lists(flat_table("project"), max_size=3))


def as_json(obj: Any) -> Any:
    return json.loads(dumps(obj))


def round_trip(data: dict[str, Any]) -> dict[str, Any]:
    book = build_workbook(TemplateOptions(), flatten(data))
    sub = read_submission("roundtrip.xlsx", data=book)
    return as_json(export_submission(sub, with_sources=False))


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------
@SETTINGS
@given(submissions)
def test_fill_read_export_gives_the_data_back(data):
    assert round_trip(data) == as_json(data)


@SETTINGS
@given(st.sampled_from(sorted(forms.TABLES)).flatmap(lambda k: st.tuples(st.just(k), flat_table(k))))
def test_flatten_then_nest_is_the_identity(kind_and_flat):
    kind, flat = kind_and_flat
    table = nest(kind, flat)
    assert nest_table(kind, flatten_table(kind, table)) == table
    assert flatten_table(kind, table) == {"__fields__": flat["__fields__"], "__blocks__": flat["__blocks__"]}


@SETTINGS
@given(submissions)
def test_flatten_then_nest_is_the_identity_on_whole_submissions(data):
    flat = flatten(data)
    assert nest_table("basic", flat["basic"]) == data["basic"]
    assert nest_table("overall", flat["overall"]) == data["overall"]
    assert [nest_table("project", p) for p in flat["projects"]] == data["projects"]


# ---------------------------------------------------------------------------
# Fixed examples (two were bugs found by the property tests, now fixed)
# ---------------------------------------------------------------------------
def _one_indicator(**row: Any) -> dict[str, Any]:
    return {"overall": {"year": 2024, "ind": {"output": {"quantity": {"rows": [dict(row)]}}}}}


def _exported_indicator(data: dict[str, Any]) -> dict[str, Any]:
    return round_trip(data)["overall"]["ind"]["output"]["quantity"]["rows"][0]


def test_text_a_user_types_survives():
    row = {"name": "'开头撇号", "target": "≥1,000次", "actual": "=1+1", "note": "第一行\r\n第二行_x000D_"}
    assert _exported_indicator(_one_indicator(**row)) == row


def test_quantity_text_keeps_chinese_punctuation():
    row = {"name": "基础数据录入", "target": "≥10000条", "actual": "人口信息等累计18万余条（含流动人口）"}
    assert _exported_indicator(_one_indicator(**row)) == row


def test_year_typed_with_nian_is_kept():
    out = round_trip({"overall": {"year": "2019年"}})
    assert out["overall"]["year"] == 2019


# ---------------------------------------------------------------------------
# Groups of other level names (forms.OTHER): fill writes them on the template's free indicator
# sections, export reads them back as groups
# ---------------------------------------------------------------------------
_STANDARD_WORDS = tuple(w for w, _k in forms.LEVEL1_WORDS) + tuple(
    w for _k, _n, _w, level2 in forms.LEVEL1 for _k2, name, syn in level2 for w in (name, *syn))
level_names = (st.text(alphabet=CJK, min_size=1, max_size=8)
               .filter(lambda s: _typed_text(s) and not any(w in s for w in _STANDARD_WORDS)))
_INDICATOR_COLUMNS = {f.key: f for f in forms.INDICATOR_FIELDS}


def _group(inner: st.SearchStrategy, key: str) -> st.SearchStrategy[dict[str, Any]]:
    """A group: a name (or none) with points only beside a name, then its 二级 groups or rows."""
    named = st.fixed_dictionaries({"label": level_names}, optional={"weight": points})
    return st.builds(lambda head, body: {**head, key: body}, st.one_of(st.just({}), named), inner)


level2_groups = _group(st.lists(_row(_INDICATOR_COLUMNS), min_size=1, max_size=3), forms.GROUP_ROWS)


def _level1_groups(slots: list[int]) -> st.SearchStrategy[list[dict[str, Any]]]:
    """One group per free section at most, each with no more 二级 groups than its section has slots."""
    return st.integers(1, len(slots)).flatmap(lambda n: st.tuples(*[
        _group(st.lists(level2_groups, min_size=1, max_size=slots[i]), forms.GROUP_LEVEL2) for i in range(n)]))


_SLOTS = [sum(1 for b in block_columns("overall") if b.rsplit(".", 1)[0] == f"ind.{k}") for k, *_ in forms.LEVEL1]


def _groups_back(data: dict[str, Any]) -> dict[str, Any]:
    ind = round_trip(data)["overall"].get("ind", {})
    return {"ind": ind.get("other"), **{k: v["other"] for k, v in ind.items() if isinstance(v, dict) and "other" in v}}


@SETTINGS
@given(_level1_groups(_SLOTS))
def test_level1_groups_come_back(groups):
    data = {"overall": {"year": 2024, "ind": {forms.OTHER: list(groups)}}}
    assert _groups_back(data) == as_json({"ind": list(groups)})


@SETTINGS
@given(st.sampled_from([k for k, *_ in forms.LEVEL1]).flatmap(
    lambda k: st.tuples(st.just(k), st.lists(level2_groups, min_size=1, max_size=_SLOTS[[x for x, *_ in forms.LEVEL1].index(k)]))))
def test_level2_groups_under_a_standard_level_come_back(key_and_groups):
    key, groups = key_and_groups
    data = {"overall": {"year": 2024, "ind": {key: {forms.OTHER: groups}}}}
    assert _groups_back(data) == as_json({"ind": None, key: groups})
