"""The JSON Schema of submissions: generated from the forms, committed, and true to the data."""

from __future__ import annotations

import copy
import json

import pytest

from gridbudget import forms
from gridbudget.read.export import export_submission
from gridbudget.read.tables import read_submission
from gridbudget.schema import main, render, schema_path, submission_schema
from gridbudget.submission import SCHEMA_VERSION, dumps, fixed_keys, load_json
from helpers import EXAMPLE_JSON, EXAMPLE_XLSX

REGENERATE = "python -m gridbudget.schema > gridbudget/schema/submission.schema.json"


@pytest.fixture(scope="module")
def schema() -> dict:
    return submission_schema()


@pytest.fixture(scope="module")
def validator(schema):
    jsonschema = pytest.importorskip("jsonschema")   # in the test extras
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def exported_sub():
    return read_submission(EXAMPLE_XLSX)


def errors(validator, doc) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def reloaded(obj) -> dict:
    return json.loads(dumps(obj))


# ---------------------------------------------------------------------------
# The committed file
# ---------------------------------------------------------------------------
def test_committed_schema_is_up_to_date(schema):
    path = schema_path()
    assert path.exists(), f"{path} is missing: run `{REGENERATE}`"
    committed = path.read_text(encoding="utf-8")
    assert json.loads(committed) == schema, (
        f"{path} is out of date with gridbudget.forms: rerun `{REGENERATE}` (or `python -m gridbudget.schema --write`)")
    assert committed == render(), f"{path} is not formatted as generated: rerun `{REGENERATE}`"


def test_generation_is_deterministic():
    assert render() == render()
    assert json.loads(render()) == submission_schema()


def test_main_prints_the_schema(capsysbinary):
    assert main([]) == 0
    assert capsysbinary.readouterr().out.decode("utf-8") == render()


def test_schema_path_is_inside_the_package():
    assert schema_path().parts[-3:] == ("gridbudget", "schema", "submission.schema.json")


# ---------------------------------------------------------------------------
# Generated from the forms
# ---------------------------------------------------------------------------
def _leaf(table_schema: dict, dotted: str) -> dict:
    node = table_schema
    for p in dotted.split("."):
        assert node.get("type") == "object", dotted
        node = node["properties"][p]
    return node


@pytest.mark.parametrize("kind", sorted(forms.TABLES))
def test_every_field_of_the_forms_is_described(schema, kind):
    table_schema = schema["$defs"][kind]
    fields = {key: f for key, f, _b in forms.iter_fields(forms.TABLES[kind])}
    for key in fixed_keys(kind):
        leaf = _leaf(table_schema, key)
        f = fields[key]
        assert leaf["title"] and "{" not in leaf["title"], key
        assert forms.KIND_LABELS[f.kind] in leaf["description"]
        assert ("公式" in leaf["description"]) == f.computed, key


@pytest.mark.parametrize("kind", sorted(forms.TABLES))
def test_typed_totals_name_what_they_are_checked_against(schema, kind):
    """forms.Field.checks reach the schema: a typed total's description names its parts."""
    declared = forms.checked_sums(kind)
    for key in fixed_keys(kind):
        text = _leaf(schema["$defs"][kind], key)["description"]
        mine = [s for k, s in declared if k == key]
        assert text.count("审核时核对") == len(mine), key
        for s in mine:
            assert " + ".join(forms.row_label(forms.fields_of(kind)[p].label) for p in s.parts) in text


def test_labels_with_years_read_as_words(schema):
    cols = schema["$defs"]["basic"]["properties"]["projects"]["items"]["properties"]
    assert [cols[c]["title"] for c in ("name", "prev_final", "budget", "final")] == [
        "项目名称", "上年决算数", "本年预算数", "本年决算数"]


def test_blocks_with_fields_nest_rows(schema):
    quantity = schema["$defs"]["overall"]["properties"]["ind"]["properties"]["output"]["properties"]["quantity"]
    assert quantity["type"] == "object"
    assert set(quantity["properties"]) == {"label", "rows"}
    assert quantity["properties"]["rows"]["type"] == "array"
    row = quantity["properties"]["rows"]["items"]
    assert list(row["properties"]) == [k for k, *_ in forms.INDICATOR_COLUMNS]
    assert row["additionalProperties"] is False
    goals = schema["$defs"]["project"]["properties"]["goals"]
    assert goals["type"] == "array" and set(goals["items"]["properties"]) == {"expected", "achieved"}


def test_types_per_kind(schema):
    basic = schema["$defs"]["basic"]["properties"]
    assert basic["year"]["type"] == ["integer", "string"]
    assert basic["reception"]["properties"]["final"]["type"] == ["number", "string"]
    assert basic["staff"]["properties"]["actual"]["type"] == ["number", "string"]
    assert basic["thrift"]["type"] == "string"
    row = schema["$defs"]["project"]["properties"]["ind"]["properties"]["output"]["properties"]["cost"][
        "properties"]["rows"]["items"]["properties"]
    assert row["target"]["type"] == ["string", "number"]
    assert row["name"]["type"] == "string"


# ---------------------------------------------------------------------------
# Real data validates
# ---------------------------------------------------------------------------
def test_example_json_validates(validator):
    assert errors(validator, reloaded(load_json(EXAMPLE_JSON))) == []
    with open(EXAMPLE_JSON, encoding="utf-8") as fh:
        assert errors(validator, json.load(fh)) == []


@pytest.mark.parametrize("with_sources", [True, False])
def test_export_validates(validator, exported_sub, with_sources):
    doc = reloaded(export_submission(exported_sub, with_sources=with_sources))
    assert ("sources" in doc) == with_sources
    assert errors(validator, doc) == []


def test_export_with_problems_validates(validator, exported_sub):
    doc = reloaded(export_submission(exported_sub))
    doc["problems"] = [{"code": "formula_error", "message": "单元格是公式错误 #DIV/0!", "sheet": "基础数据表",
                        "cell": "D4"}, {"code": "indicator_level_unknown", "message": "…", "sheet": None,
                                        "cell": None}]
    assert errors(validator, doc) == []


def test_people_typed_values_validate(validator):
    doc = {"schema": SCHEMA_VERSION,
           "basic": {"year": "2024", "staff": {"authorized": "4人", "actual": 4},
                     "reception": {"final": "0.21万元"}},
           "overall": {"funds": {"total": {"rate": "99.13%", "score": "9分"}},
                       "ind": {"output": {"quantity": {"rows": [{"target": 100, "actual": "134条"}]}}}},
           "projects": []}
    assert errors(validator, doc) == []


# ---------------------------------------------------------------------------
# Mistakes are caught
# ---------------------------------------------------------------------------
def _example() -> dict:
    return reloaded(load_json(EXAMPLE_JSON))


@pytest.mark.parametrize("mutate, where", [
    (lambda d: d["overall"]["funds"]["total"].__setitem__("executd", 116.95), "overall/funds/total"),
    (lambda d: d["basic"].__setitem__("yaer", 2024), "basic"),
    (lambda d: d["projects"][0]["ind"]["output"]["cost"]["rows"][0].__setitem__("targte", "≤50万元"),
     "projects/0/ind/output/cost/rows/0"),
    (lambda d: d["overall"]["ind"]["output"].__setitem__("quantiy", {"label": "数量指标"}), "overall/ind/output"),
    (lambda d: d.__setitem__("project", []), ""),
], ids=["funds-key", "table-key", "row-key", "level2-key", "top-level-key"])
def test_misspelt_key_fails(validator, mutate, where):
    doc = _example()
    mutate(doc)
    errs = errors(validator, doc)
    assert errs and all(e.startswith(where + ": ") for e in errs), errs
    assert "Additional properties" in errs[0]


@pytest.mark.parametrize("mutate", [
    lambda d: d["overall"].__setitem__("year", []),
    lambda d: d["basic"].__setitem__("year", 2024.5),
    lambda d: d["basic"]["reception"].__setitem__("final", [0.21]),
    lambda d: d["basic"].__setitem__("thrift", 3),
    lambda d: d["overall"].__setitem__("goals", {"expected": "目标"}),
    lambda d: d["overall"]["ind"]["output"].__setitem__("quantity", [{"name": "x"}]),
    lambda d: d.__setitem__("schema", "gridbudget.submission/2"),
    lambda d: d.__setitem__("tables_found", ["basic", "projects"]),
    lambda d: d.__setitem__("problems", [{"code": "x"}]),
], ids=["year-list", "year-float", "money-list", "text-number", "block-object", "rows-not-nested",
        "schema-version", "tables-found", "problem-without-message"])
def test_wrong_type_fails(validator, mutate):
    doc = _example()
    mutate(doc)
    assert errors(validator, doc)


def test_schema_does_not_change_under_validation(schema, validator):
    before = copy.deepcopy(schema)
    list(validator.iter_errors(_example()))
    assert schema == before
