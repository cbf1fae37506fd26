"""Submission data as JSON: one unit's three tables, values as people typed them.

The JSON nests the dotted field keys of :mod:`gridbudget.forms`:
``overall.funds.total.executed`` is ``{"overall": {"funds": {"total": {"executed": …}}}}``.
A block of repeated rows is a list at its key, or under ``rows`` when the same key also
holds fields (the 二级指标 blocks hold their ``label``). Projects are a list of tables.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import forms

SCHEMA_ID = "https://gridbudget.example/schema/submission-1.json"
SCHEMA_VERSION = "gridbudget.submission/1"
TABLE_ORDER = ("basic", "overall")


@lru_cache(maxsize=None)
def _table_keys(table_key: str) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]], dict[str, str]]:
    """(fixed field keys, block key -> column keys, block key -> JSON path)."""
    table = forms.TABLES[table_key]
    fixed: list[str] = []
    blocks: dict[str, list[str]] = {}
    for key, _field, block in forms.iter_fields(table):
        if block is None:
            fixed.append(key)
        else:
            blocks.setdefault(block, []).append(key[len(block) + 1:])
    paths = {}
    for b in blocks:
        paths[b] = b + ".rows" if any(k.startswith(b + ".") for k in fixed) else b
    return tuple(fixed), {b: tuple(c) for b, c in blocks.items()}, paths


def block_columns(table_key: str) -> dict[str, tuple[str, ...]]:
    return _table_keys(table_key)[1]


def fixed_keys(table_key: str) -> tuple[str, ...]:
    return _table_keys(table_key)[0]


def _get(d: dict, path: str) -> Any:
    cur: Any = d
    for p in path.split("."):
        if not isinstance(cur, dict) or p not in cur:
            return None
        cur = cur[p]
    return cur


def _set(d: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    cur = d
    for p in parts[:-1]:
        cur = cur.setdefault(p, {})
    cur[parts[-1]] = value


def flatten_table(table_key: str, nested: dict[str, Any] | None) -> dict[str, Any]:
    """Nested JSON of one table -> {"__fields__": {key: value}, "__blocks__": {block: [rows]}}."""
    nested = nested or {}
    fixed, blocks, paths = _table_keys(table_key)
    fields = {}
    for k in fixed:
        v = _get(nested, k)
        if v is not None and not isinstance(v, (dict, list)):
            fields[k] = v
    out_blocks: dict[str, list[dict[str, Any]]] = {}
    for b, cols in blocks.items():
        rows = _get(nested, paths[b])
        if isinstance(rows, list):
            out_blocks[b] = [{c: r.get(c) for c in cols if isinstance(r, dict) and r.get(c) is not None}
                             for r in rows]
    return {"__fields__": fields, "__blocks__": out_blocks}


def nest_table(table_key: str, flat: dict[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`flatten_table` (fields with value None are left out)."""
    fixed, blocks, paths = _table_keys(table_key)
    out: dict[str, Any] = {}
    for k in fixed:
        v = flat.get("__fields__", {}).get(k)
        if v is not None:
            _set(out, k, v)
    for b in blocks:
        rows = flat.get("__blocks__", {}).get(b)
        if rows:
            _set(out, paths[b], [dict(r) for r in rows])
    return out


def flatten(nested: dict[str, Any]) -> dict[str, Any]:
    """A whole submission's nested JSON -> the flat form the template writer takes."""
    out: dict[str, Any] = {}
    for t in TABLE_ORDER:
        if nested.get(t) is not None:
            out[t] = flatten_table(t, nested[t])
    out["projects"] = [flatten_table("project", p) for p in nested.get("projects") or []]
    return out


def _json_default(o: Any) -> Any:
    if isinstance(o, Decimal):
        if o == o.to_integral_value() and abs(o) < 2**53:
            return int(o)
        return float(o)    # shortest repr: Decimal('116.95') -> 116.95
    raise TypeError(f"cannot serialise {type(o).__name__}")


def load_json(path: str | Path) -> dict[str, Any]:
    """Read submission JSON; numbers come back as Decimal (never float)."""
    try:
        with open(path, "r", encoding="utf-8-sig") as fh:
            return json.load(fh, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ValueError(f"文件 {path} 不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}") from exc


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=_json_default)
