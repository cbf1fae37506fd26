"""The submission model as JSON data (the format `gridbudget fill` takes back).

Values are exported by meaning, not by how the cell happened to hold them: amounts in
万元 as numbers (a table in 元 is converted), counts, weights and scores as numbers,
targets and actuals as the text people write (a number in a percent cell becomes
``"98%"``), text with surrounding blanks trimmed, 一级/二级 names in their official
form. Formula fields are not exported: they are derived and recomputed by validation.
Each exported value's cell is listed under ``sources``.

Indicator rows under level names the form has no place for (项目决策, 规划, 履职效能 …; a 二级 outside
a standard 一级's list) are exported as groups (``ind.other``, ``ind.<一级>.other``: label, points,
rows; see :data:`gridbudget.forms.OTHER`). A template section whose 一级 (or 二级) name is none of the
standard ones, as ``gridbudget fill`` writes such groups, is exported as such a group again (the reader
re-keys it as the label reader keys such levels).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .. import forms
from ..model import Submission, TableData, Val, parse_year
from .grid import split_weight
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


# ---------------------------------------------------------------------------
# Groups of other level names
# ---------------------------------------------------------------------------
def _name_and_points(v: Val | None) -> tuple[str | None, Decimal | None]:
    """A level label as (name, points written in it): '项目决策（2分）' -> ('项目决策', 2)."""
    if v is None or v.empty or v.error:
        return None, None
    name, w = split_weight(clean_text(v.raw))
    return (name or None), w


def _stated(td: TableData, levels: tuple[int, ...], name: str | None, rows: list[dict[str, Val]]) -> Decimal | None:
    """The points the reader found in a label of this name over these rows (td.stated), by level."""
    ids = {id(r) for r in rows}
    for level in levels:
        for sw in td.stated:
            if sw.level == level and norm(sw.label) == norm(name) and any(id(r) in ids for r in sw.rows):
                return sw.weight
    return None


Src = dict[str, str]      # where each value of a group came from, by path relative to the group


def _group_rows(rows: list[dict[str, Val]], src: Src) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for row in rows:
        r: dict[str, Any] = {}
        for f in forms.INDICATOR_FIELDS:
            v = row.get(f.key)
            val = export_value(v, f) if v is not None else None
            if val is not None:
                r[f.key] = val
                if v.cell:
                    src[f".{forms.GROUP_ROWS}[{len(out)}].{f.key}"] = v.where
        if r:
            out.append(r)
    return out


def _head(label: Val | None, name: str | None, weight: Decimal | None, src: Src) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if name:
        out["label"] = name
        if label is not None and label.cell:
            src[".label"] = label.where
    if weight is not None:
        out["weight"] = weight
    return out


def _level2_group(td: TableData, label: Val | None, rows: list[dict[str, Val]]) -> tuple[dict[str, Any], Src] | None:
    """A 二级 group: its name and points (written in the label, else found by the label reader) and rows."""
    name, w = _name_and_points(label)
    src: Src = {}
    out = _head(label, name, _stated(td, (2,), name, rows) if w is None else w, src)
    out[forms.GROUP_ROWS] = _group_rows(rows, src)
    return (out, src) if out[forms.GROUP_ROWS] else None


def _level1_group(td: TableData, label: Val | None, inner: list[tuple[dict[str, Any], Src]],
                  stated_rows: list[dict[str, Val]]) -> tuple[dict[str, Any], Src] | None:
    """A 一级 group over its 二级 groups (points from the label, else the label reader's 一级 or 项目权重)."""
    name, w = _name_and_points(label)
    src: Src = {}
    out = _head(label, name, _stated(td, (1, 0), name, stated_rows) if w is None else w, src)
    out[forms.GROUP_LEVEL2] = [g for g, _s in inner]
    for i, (_g, s2) in enumerate(inner):
        src.update({f".{forms.GROUP_LEVEL2}[{i}]{k}": v for k, v in s2.items()})
    return (out, src) if inner else None


def export_groups(td: TableData, sources: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """The table's indicator rows under level names the form has no place for, as groups by parent key
    (``ind``: 一级 groups; ``ind.<一级>``: 二级 groups). Their cells go into ``sources``. (A template
    section renamed to another level is re-keyed by the reader, :func:`gridbudget.read.indicators.template_levels`,
    and comes here as the label reader's blocks do.)"""
    parents = forms.group_parents(td.kind)
    if not parents:
        return {}
    top = next(p for p, level in parents if level == 1)
    form_blocks = block_columns(td.kind)
    groups: dict[str, list[dict[str, Any]]] = {}

    def add(parent: str, made: tuple[dict[str, Any], Src] | None) -> None:
        if made is None:
            return
        g, src = made
        at = f"{parent}.{forms.OTHER}[{len(groups.setdefault(parent, []))}]"
        groups[parent].append(g)
        sources.update({at + k: v for k, v in src.items()})

    # blocks the label reader keyed outside the form: ind.x1.y1 (一级 and 二级 of other names),
    # ind.output.y1 (a 二级 of another name under a standard 一级)
    others: dict[str, list[str]] = {}
    for block, rows in td.blocks.items():
        if rows and block not in form_blocks and block.startswith(top + ".") and block.count(".") == top.count(".") + 2:
            l1 = block[len(top) + 1:].split(".")[0]
            if l1 in forms.LEVEL1_KEYS:
                add(f"{top}.{l1}", _level2_group(td, td.fields.get(f"{block}.label"), rows))
            else:
                others.setdefault(l1, []).append(block)
    for l1, blocks in others.items():
        inner = [g for g in (_level2_group(td, td.fields.get(f"{b}.label"), td.blocks[b]) for b in blocks) if g]
        add(top, _level1_group(td, td.fields.get(f"{top}.{l1}.label"), inner,
                               [r for b in blocks for r in td.blocks[b]]))
    return groups


def export_table(td: TableData) -> tuple[dict[str, Any], dict[str, str]]:
    fields = _table_fields(td.kind)
    flat: dict[str, Any] = {"__fields__": {}, "__blocks__": {}}
    sources: dict[str, str] = {}
    groups = export_groups(td, sources)
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
    if groups:
        flat["__groups__"] = groups
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
