"""JSON Schema (draft 2020-12) of the submission JSON, generated from :mod:`gridbudget.forms`.

Nothing here lists a key by hand: every table's properties come from walking the form
description the same way :mod:`gridbudget.submission` nests dotted field keys, so a
field added to the forms appears in the schema when it is regenerated. The committed
copy lives at ``gridbudget/schema/submission.schema.json``; regenerate it with::

    python -m gridbudget.schema > gridbudget/schema/submission.schema.json
    # or: python -m gridbudget.schema --write

Types follow what people type and what ``gridbudget fill`` accepts: amounts, weights,
scores, areas and head counts are numbers or text ("116.95万元", "4人"); a year is an
integer or text; indicator values are text or numbers; names and free text are text.
Inside tables ``additionalProperties`` is false, so a misspelt key is an error rather
than a value silently dropped by ``fill``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from . import forms
from .forms import families
from .submission import SCHEMA_ID, SCHEMA_VERSION, _table_keys

DRAFT = "https://json-schema.org/draft/2020-12/schema"

# How labels holding {year}/{prev_year}/{unit} read when no particular year is meant.

# JSON types per kind of value (forms.KIND_LABELS gives the Chinese name of each kind).
_KIND_TYPES: dict[str, list[str]] = {
    forms.MONEY: ["number", "string"],
    forms.WEIGHT: ["number", "string"],
    forms.SCORE: ["number", "string"],
    forms.AREA: ["number", "string"],
    forms.COUNT: ["number", "string"],
    forms.RATE: ["number", "string"],
    forms.YEAR: ["integer", "string"],
    forms.QUANTITY: ["string", "number"],
    forms.TEXT: ["string"],
    forms.NAME: ["string"],
}

_KIND_HINTS = {
    forms.MONEY: "数字（万元）或文字，如 116.95 或 “116.95万元”",
    forms.WEIGHT: "数字或文字，如 10",
    forms.SCORE: "数字或文字，如 9",
    forms.AREA: "数字（平方米）或文字",
    forms.COUNT: "整数或文字，如 4 或 “4人”",
    forms.RATE: "数字或文字，如 “99.13%”",
    forms.YEAR: "四位数年度，如 2024",
    forms.QUANTITY: "按填写原样的文字，如 “≥100次”“≤50万元”“95%”“定性”，也可为数字",
    forms.TEXT: "文字",
    forms.NAME: "文字",
}

def _words(text: str) -> str:
    """A form label with its {year} placeholders in words ("{year}年预算数" -> "本年预算数")."""
    return text.format_map(forms.LABEL_WORDS) if "{" in text else text




def _field_schema(field: forms.Field) -> dict[str, Any]:
    kind_label = forms.KIND_LABELS[field.kind]
    parts = [f"{kind_label}：{_KIND_HINTS[field.kind]}。"]
    if field.computed:
        parts.append("由模板公式计算：可以出现在数据中，但填写模板（gridbudget fill）时忽略，导出时不输出。")
    elif field.required:
        parts.append("必填。")
    if field.default is not None:
        parts.append(f"空白模板预填：{field.default}。")
    if field.prompt and not field.computed:
        parts.append(f"填表提示：{field.prompt}")
    if field.synonyms:
        parts.append("表中也写作：" + "、".join(field.synonyms) + "。")
    out: dict[str, Any] = {
        "title": _words(field.label),
        "description": "".join(parts),
    }
    types = _KIND_TYPES[field.kind]
    out["type"] = types[0] if len(types) == 1 else list(types)
    return out


def _titles(table: forms.Table) -> dict[str, str]:
    """Titles of the objects and arrays a table's keys nest into, where the form names them."""
    out: dict[str, str] = {}

    def walk(part: forms.Part) -> None:
        if isinstance(part, forms.Line):
            if part.key:
                text = next((it.text for it in part.items if it.field is None and it.text), None)
                if text and forms.plain_label(text):
                    out.setdefault(part.key, forms.plain_label(text))
        elif isinstance(part, forms.Repeat):
            out.setdefault(part.key, part.label)
        else:
            lab = part.label
            if lab is not None:
                if lab.field is not None and isinstance(lab.field.default, str):
                    out.setdefault(part.key, lab.field.default)
                elif lab.field is None and lab.text:
                    out.setdefault(part.key, forms.plain_label(lab.text))
            for p in part.parts:
                walk(p)

    for p in table.parts:
        walk(p)
    return out


def _object(title: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if title:
        out["title"] = title
    out.update({"type": "object", "properties": {}, "additionalProperties": False})
    return out


def _place(root: dict[str, Any], path: str, leaf: dict[str, Any], titles: dict[str, str]) -> None:
    """Put ``leaf`` at the dotted ``path`` of an object schema, creating objects on the way."""
    parts = path.split(".")
    cur = root
    for i, p in enumerate(parts[:-1]):
        props = cur["properties"]
        sub = ".".join(parts[:i + 1])
        if p not in props:
            props[p] = _object(titles.get(sub))
        elif props[p].get("type") != "object":
            raise ValueError(f"key {sub} is both a value and a group of values")
        cur = props[p]
    if parts[-1] in cur["properties"]:
        raise ValueError(f"key {path} is declared twice")
    cur["properties"][parts[-1]] = leaf


def table_schema(table_key: str) -> dict[str, Any]:
    """The schema of one table's nested JSON (``basic``, ``overall`` or one project)."""
    table = forms.TABLES[table_key]
    fixed, blocks, paths = _table_keys(table_key)
    fields = {key: (f, block) for key, f, block in forms.iter_fields(table)}
    titles = _titles(table)
    root = _object(table.name)
    root["description"] = (f"{table.name}（模板工作表“{table.sheet}”）。键与 gridbudget.forms 的字段键一致，"
                           "按“.”分层；重复行为数组。")
    # walk in form order so the schema reads like the table
    placed_blocks: set[str] = set()
    for key, (f, block) in fields.items():
        if block is None:
            leaf = _field_schema(f)
            for checked in f.checks:         # typed totals: what the checks add up (forms.Field.checks)
                parts = " + ".join(forms.row_label(fields[p][0].label) for p in checked.parts)
                leaf["description"] += (f"审核时核对：{parts} 之和不应超过本项。" if checked.partial
                                        else f"审核时核对：应等于 {parts}。")
            _place(root, key, leaf, titles)
            continue
        if block in placed_blocks:
            continue
        placed_blocks.add(block)
        row = _object()
        for col in blocks[block]:
            row["properties"][col] = _field_schema(fields[f"{block}.{col}"][0])
        label = titles.get(block, block)
        arr = {"title": label if paths[block] == block else f"{label}（各行）",
               "description": "重复行：每个元素是一行，空行不写。列：" + "、".join(
                   _words(fields[f"{block}.{c}"][0].label) for c in blocks[block]) + "。",
               "type": "array", "items": row}
        _place(root, paths[block], arr, titles)
    missing = [k for k in fixed if k not in fields]
    if missing:  # pragma: no cover - _table_keys and iter_fields walk the same forms
        raise ValueError(f"fields not placed: {missing}")
    for parent, level in forms.group_parents(table_key):
        _place(root, f"{parent}.{forms.OTHER}", _groups_schema(table_key, parent, level), titles)
    return root


def _group_item(level: int) -> dict[str, Any]:
    """One group of other level names: its label and points, then its 二级 groups or its rows."""
    item = _object()
    for f in forms.GROUP_FIELDS[level]:
        item["properties"][f.key] = _field_schema(f)
    if level == 1:
        item["properties"][forms.GROUP_LEVEL2] = {
            "title": "二级指标（各组）", "description": "这个一级指标下的各二级指标，按表中顺序；没有二级指标时为一组、不写名称。",
            "type": "array", "items": {"$ref": f"#/$defs/{GROUP_DEFS[2]}"}}
    else:
        row = _object()
        for f in forms.INDICATOR_FIELDS:
            row["properties"][f.key] = _field_schema(f)
        item["properties"][forms.GROUP_ROWS] = {
            "title": "三级指标（各行）", "description": "重复行：每个元素是一行，空行不写。列：" + "、".join(
                _words(f.label) for f in forms.INDICATOR_FIELDS) + "。", "type": "array", "items": row}
    return item


def _groups_schema(table_key: str, parent: str, level: int) -> dict[str, Any]:
    """The list of groups under level names the template has no section for (forms.OTHER)."""
    fill = ("gridbudget fill 把它们写入模板：", "写不下的不写入，并在提示中列出。")
    if level == 1:
        names = "、".join(forms.LEVEL1_NAMES)
        title = f"其他一级指标（{names}以外）"
        text = (f"其他表式按{names}以外的一级指标（如 项目决策、项目管理，规划、执行，履职效能、管理效率）分组的三级指标，"
                f"每组一个一级指标。{fill[0]}每组写入一个没有三级指标的一级指标栏，名称和分值写在一级、二级指标格中"
                f"（如“项目决策（2分）”），{fill[1]}")
    else:
        l1key = parent.rsplit(".", 1)[1]
        l1name, level2 = next((name, lv) for k, name, _w, lv in forms.LEVEL1 if k == l1key)
        title = f"{l1name}的其他二级指标（{'、'.join(n for _k, n, _s in level2)}以外）"
        text = (f"{l1name}下不属于模板二级指标的分组（或没有二级指标的三级指标），每组一个二级指标。"
                f"{fill[0]}写入{l1name}中没有三级指标的二级指标栏，{fill[1]}")
    return {"title": title, "description": text, "type": "array", "items": {"$ref": f"#/$defs/{GROUP_DEFS[level]}"}}


# The group items are defined once in the schema's $defs (referred to from each table).
GROUP_DEFS = {1: "level1_group", 2: "level2_group"}


def _sources_schema() -> dict[str, Any]:
    cells = {"type": "object", "additionalProperties": {"type": "string"},
             "description": "字段键（重复行写作 块键[行号].列键）→ 单元格，如 “整体支出自评表!E7”。"}
    return {
        "title": "数据来源单元格",
        "description": "gridbudget export 附上的每个导出值所在的工作表与单元格；gridbudget fill 忽略。",
        "type": "object",
        "properties": {
            "basic": dict(cells, title=forms.BASIC.name),
            "overall": dict(cells, title=forms.OVERALL.name),
            "projects": {"title": forms.PROJECT.name, "type": "array", "items": cells},
        },
        "additionalProperties": False,
    }


def _problems_schema() -> dict[str, Any]:
    nullable = {"type": ["string", "null"]}
    return {
        "title": "读取问题",
        "description": "读取工作簿时发现的问题（公式错误、未计算的公式、无法归类的指标等）；gridbudget fill 忽略。",
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "code": {"title": "问题代码", "type": "string"},
                "message": {"title": "说明", "type": "string"},
                "sheet": dict(nullable, title="工作表"),
                "cell": dict(nullable, title="单元格"),
            },
            "required": ["code", "message"],
            "additionalProperties": False,
        },
    }


def submission_schema() -> dict[str, Any]:
    """The JSON Schema of a whole submission (what ``gridbudget export`` writes and ``fill`` reads)."""
    defs = {key: table_schema(key) for key in forms.TABLES}
    for level, name in GROUP_DEFS.items():
        defs[name] = {"title": f"{forms.GROUP_FIELDS[level][0].label}（一组）", **_group_item(level)}
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "预算绩效自评附表数据",
        "description": ("一个单位的三张附表（基础数据表、整体支出自评表、项目支出自评表），数值按填写原样。"
                        "由 gridbudget export 导出，gridbudget fill 写回标准模板。本文件由 gridbudget.forms 生成："
                        "python -m gridbudget.schema --write"),
        "type": "object",
        "properties": {
            "schema": {"title": "数据格式版本", "const": SCHEMA_VERSION},
            "basic": {"$ref": "#/$defs/basic"},
            "overall": {"$ref": "#/$defs/overall"},
            "projects": {"title": "项目支出绩效自评表（每个项目一张）", "type": "array",
                         "items": {"$ref": "#/$defs/project"}},
            "tables_found": {"title": "工作簿中找到的表", "type": "array",
                             "items": {"enum": list(forms.TABLES)}, "uniqueItems": True},
            "tables": {"title": "读取的每张表及其表式（gridbudget/forms/families.py）", "type": "array",
                       "items": {"type": "object", "properties": {
                           "sheet": {"type": "string"}, "kind": {"enum": list(forms.TABLES)},
                           "name": {"type": "string"},
                           "family": {"enum": [f.key for f in families.FAMILIES]},
                           "family_name": {"type": "string"}, "source": {"enum": ["template", "layout"]}},
                           "required": ["sheet", "kind", "family"]}},
            "file": {"title": "读取的文件", "type": "string"},
            "sources": _sources_schema(),
            "problems": _problems_schema(),
        },
        "additionalProperties": False,
        "$defs": defs,
    }


def schema_path() -> Path:
    """The committed copy of the schema (shipped as package data)."""
    return Path(__file__).resolve().parent / "schema" / "submission.schema.json"


def render() -> str:
    """The schema as committed: UTF-8 JSON, two-space indent, trailing newline."""
    return json.dumps(submission_schema(), ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the schema; ``--write`` writes it to :func:`schema_path` instead."""
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if argv == ["--write"]:
        schema_path().parent.mkdir(parents=True, exist_ok=True)
        schema_path().write_bytes(text.encode("utf-8"))
        return 0
    if argv:
        sys.stderr.write("用法：python -m gridbudget.schema [--write]\n")
        return 2
    out = getattr(sys.stdout, "buffer", None)
    if out is not None:
        out.write(text.encode("utf-8"))
        out.flush()
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
