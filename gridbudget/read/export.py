"""The submission model as JSON data (the format `gridbudget fill` takes back).

Values are exported by meaning, not by how the cell happened to hold them: amounts in
万元 as numbers (a table in 元 is converted), counts, weights and scores as numbers,
targets and actuals as the text people write (a number in a percent cell becomes
``"98%"``), text with surrounding blanks trimmed, 一级/二级 names in their official
form. Formula fields are not exported: they are derived and recomputed by validation.
Each exported value's cell is listed under ``sources``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .. import forms
from ..model import Submission, TableData, Val, parse_year
from .tables import level2_key, norm
from ..submission import SCHEMA_VERSION, block_columns, nest_table


def _fmt_decimal(d: Decimal) -> str:
    s = format(d.normalize(), "f")
    return s


def export_value(v: Val, field: forms.Field) -> Any:
    """The exported meaning of one value (None when empty)."""
    if v.error:
        return v.error
    if v.empty or v.raw is None:
        return None
    kind = field.kind
    if kind == forms.MONEY:
        a = v.amount()
        return a.value if a.value is not None else v.text()
    if kind in (forms.WEIGHT, forms.SCORE, forms.AREA):
        a = v.number()
        return a.value if a.value is not None else v.text()
    if kind == forms.COUNT:
        a = v.count()
        return a.value if a.value is not None else v.text()
    if kind == forms.YEAR:
        y = parse_year(v.raw)
        return y if y is not None else clean_text(v.raw)
    if kind == forms.RATE:
        q = v.rate()
        return q.value if q.value is not None else v.text()
    if kind == forms.QUANTITY:
        if isinstance(v.raw, (int, float, Decimal)) and not isinstance(v.raw, bool):
            q = v.quantity()
            if q.value is not None:
                return f"{_fmt_decimal(q.value)}%" if q.unit == "%" else q.value
        return clean_text(v.raw)
    return clean_text(v.raw)


_BLANKS = " \t\r\n\u3000\xa0"


def clean_text(raw: Any) -> str:
    """Text as the user typed it, without surrounding blanks (punctuation is kept)."""
    return str(raw).strip(_BLANKS)


def _level_label(key: str, v: Val) -> Any:
    """一级/二级 names in their official form when recognised."""
    t = norm(v.raw)
    parts = key.split(".")   # ind.<l1>.label or ind.<l1>.<l2>.label
    for l1key, l1name, _w, level2 in forms.LEVEL1:
        if parts[1] != l1key:
            continue
        if len(parts) == 3:
            return l1name if t and (l1name[:2] in t) else (clean_text(v.raw) if t else None)
        k2 = level2_key(l1key, t) if t else None
        for l2key, l2name, _s in level2:
            if l2key == k2:
                return l2name
    return clean_text(v.raw) if t else None


def _table_fields(kind: str) -> dict[str, tuple[forms.Field, str | None]]:
    return {key: (f, block) for key, f, block in forms.iter_fields(forms.TABLES[kind])}


def export_table(td: TableData) -> tuple[dict[str, Any], dict[str, str]]:
    fields = _table_fields(td.kind)
    flat: dict[str, Any] = {"__fields__": {}, "__blocks__": {}}
    sources: dict[str, str] = {}
    for key, entry in fields.items():
        v = td.fields.get(key)
        if v is None or entry[0].computed or entry[1] is not None:
            continue
        if key.startswith("ind.") and key.endswith(".label"):
            val = _level_label(key, v) if not v.empty else None
        elif key == "year":
            val = td.year
        else:
            val = export_value(v, entry[0])
        if val is not None:
            flat["__fields__"][key] = val
            if v.cell:
                sources[key] = v.where
    if "year" not in flat["__fields__"] and td.year:
        flat["__fields__"]["year"] = td.year
    for block, columns in block_columns(td.kind).items():
        rows = td.blocks.get(block, [])
        out_rows = []
        for i, row in enumerate(rows):
            out = {}
            for col in columns:
                v = row.get(col)
                entry = fields.get(f"{block}.{col}")
                if v is None or entry is None:
                    continue
                val = export_value(v, entry[0])
                if val is not None:
                    out[col] = val
                    if v.cell:
                        sources[f"{block}[{i}].{col}"] = v.where
            if out:
                out_rows.append(out)
        if out_rows:
            flat["__blocks__"][block] = out_rows
    return nest_table(td.kind, flat), sources


def export_submission(sub: Submission, *, with_sources: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"schema": SCHEMA_VERSION}
    sources: dict[str, Any] = {}
    if sub.basic is not None:
        out["basic"], sources["basic"] = export_table(sub.basic)
    if sub.overall is not None:
        out["overall"], sources["overall"] = export_table(sub.overall)
    projects = [export_table(p) for p in sub.projects]
    out["projects"] = [p for p, _s in projects]
    sources["projects"] = [s for _p, s in projects]
    out["tables_found"] = sub.tables_found
    if with_sources:                  # what was read, and how: not data to fill back
        out["tables"] = sub.tables_read()
        out["file"] = sub.file
        out["sources"] = sources
        out["problems"] = [{"code": p.code, "message": p.message, "sheet": p.sheet, "cell": p.cell}
                           for p in sub.problems]
    return out
