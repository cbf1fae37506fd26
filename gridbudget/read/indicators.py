"""Indicator grids: one- or two-row headers, the 一级/二级/三级 hierarchy, weights in labels or
implied, the 总分 row and the family a table is placed in; and the sections of a template sheet that
carry other level names (:func:`template_levels`), keyed as the grids key them."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from .. import forms
from ..forms import families
from ..model import StatedWeight, TableData, Val
from .grid import _ALL_INDICATOR_COLUMNS, _EXTRA_KEYS, _Grid, _STOP_WORDS, _TOTAL_WORDS, _is_number_cell, _match_column, _val, norm, split_weight


def _level1_key(t: str) -> str | None:
    """产出 / 效益 / 满意度 by the words of :data:`gridbudget.forms.LEVEL1_WORDS`."""
    return next((key for word, key in forms.LEVEL1_WORDS if word in t), None)


def level2_key(l1: str | None, t: str) -> str | None:
    """The 二级 block key for a 二级指标 text (under 一级 ``l1`` when known)."""
    for l1key, _name, _w, level2 in forms.LEVEL1:
        if l1 is not None and l1key != l1:
            continue
        for l2key, l2name, syn in level2:
            if any(norm(w) in t for w in (l2name, *syn)):
                return l2key
    return None


def _level1_of(l2key: str) -> str:
    return next(k for k, _n, _w, lv in forms.LEVEL1 if any(x[0] == l2key for x in lv))


_OPERATORS = {"≥": "≥", ">=": "≥", "≧": "≥", "大于等于": "≥", "不低于": "≥", "≤": "≤", "<=": "≤", "≦": "≤",
              "小于等于": "≤", "不高于": "≤", "不超过": "≤", "=": "=", "＝": "=", "等于": "=", ">": ">",
              "＞": ">", "大于": ">", "<": "<", "＜": "<", "小于": "<"}


def _compose_quantities(row: dict[str, Val], op: Val | None, munit: Val | None) -> None:
    """Layouts with separate 指标性质 (≥, ≤, =) and 度量单位 columns: join them into the
    target and actual as people write them in one cell ("≥" "100" "次" -> "≥100次")."""
    o = _OPERATORS.get(norm(op.raw)) if op is not None and not op.empty else None
    u = munit.text() if munit is not None and not munit.empty else ""
    for col, with_op in (("target", True), ("actual", False)):
        v = row.get(col)
        if v is None or v.empty or v.error:
            continue
        q = v.quantity()
        text = v.text() if isinstance(v.raw, str) else (
            format(q.value.normalize(), "f") if q.value is not None and q.unit is None else v.text())
        if q.value is not None and q.unit is None and u and not q.qualitative:
            text += u
        if with_op and o and q.op is None and not q.qualitative:
            text = o + text
        if text != v.text():
            row[col] = Val(text, v.sheet, v.cell, v.formula, v.error, False, v.decimals, v.unit)


def _band_columns(grid: _Grid, rows: list[int]) -> dict[str, int]:
    """Column keys of an indicator header of one or more rows: a lower row's label wins over
    the merged label above it (指标值 under 年度指标值)."""
    sheet = grid.sheet
    found: dict[str, list[int]] = {}
    seen: set[int] = set()
    every = sorted({c for rr in rows for c in grid.cols(rr)})
    for r in reversed(rows):
        for c in every:
            if c in seen:
                continue
            ar, ac = sheet.merged_anchor(r, c) if sheet.merged else (r, c)
            t = grid.text.get((ar, ac))
            if not t:
                continue
            key = _match_column(t, _ALL_INDICATOR_COLUMNS)
            if key:
                found.setdefault(key, []).append(c)
                seen.add(c)
    cols = {k: cs[0] for k, cs in found.items()}
    if len(found.get("name", ())) > 1 and len(found.get("target", ())) > 1:
        # 中期 and 年度 indicators side by side (the 财预〔2015〕88号 申报表): the year's set is the last one
        start = max(found.get("l2", found["name"]))
        for k, cs in found.items():
            later = sorted(c for c in cs if c >= start)
            if later:
                cols[k] = later[0]
    return cols


def _is_indicator_header(cols: dict[str, int]) -> bool:
    return bool(("name" in cols or "l1" in cols or "l2" in cols)
                and len({"target", "actual", "weight", "score"} & cols.keys()) >= (1 if "name" in cols else 2))


def _indicator_headers(grid: _Grid, r1: int, r2: int) -> list[tuple[int, int, dict[str, int]]]:
    return grid.memo("indicators", r1, r2, _find_indicator_headers)


def _find_indicator_headers(grid: _Grid, r1: int, r2: int) -> list[tuple[int, int, dict[str, int]]]:
    """Every indicator grid header in rows r1..r2: (last header row, first header row, columns)."""
    out: list[tuple[int, int, dict[str, int]]] = []
    for r in range(r1, r2 + 1):
        if out and r <= out[-1][0]:
            continue
        cols = _band_columns(grid, [r])
        if not _is_indicator_header(cols):
            continue
        top, band = r, [r]
        prev = r - 1
        if prev >= r1 and not any(_is_number_cell(grid.sheet, prev, c) for c in grid.cols(prev)):
            above = _band_columns(grid, [prev])
            if len(above) >= 2 and not _is_indicator_header(above) or any(
                    grid.sheet.merged_anchor(r, c) == (prev, c) for c in grid.cols(prev) if grid.sheet.merged):
                top, band = prev, [prev, r]
        out.append((r, top, _band_columns(grid, band)))
    return out


def _extra_key(extra: dict[str, str], prefix: str, label: str) -> str:
    """The block key of a level label outside 产出/效益/满意度: ``x1``, ``x2`` … for 一级 (and groups above
    一级), ``y1`` … for 二级, numbered in the order the table meets them; the same label the same key."""
    k = extra.get(prefix + label)
    if k is None:
        k = extra[prefix + label] = f"{prefix}{sum(1 for x in extra if x.startswith(prefix)) + 1}"
    return k


class _Level:
    """The level labels met so far in an indicator grid, and their stated points."""

    def __init__(self) -> None:
        self.key: str | None = None
        self.label: str = ""
        self.stated: StatedWeight | None = None


def _read_indicators(grid: _Grid, td: TableData, hr: int, top: int, cols: dict[str, int], end: int,
                     facts: list[str], extra: dict[str, str]) -> None:
    """The rows of one indicator grid. ``extra`` maps level labels outside 产出/效益/满意度 to their
    block keys (x1, y1 …); it is shared by the grids of one table, so their keys never collide."""
    sheet, unit = grid.sheet, td.unit
    facts.extend(grid.text.get((r, c), "") for r in range(top, hr + 1) for c in grid.cols(r))
    if "weight" in cols and "target" in cols and cols["weight"] < cols["target"]:
        facts.append(families.FACT_WEIGHT_BEFORE_TARGET)
    if "target" not in cols and "actual" not in cols:
        facts.append(families.FACT_NO_TARGET)
    if not {"l0", "l1", "l2"} & cols.keys():
        facts.append(families.FACT_NO_LEVELS)
    td.columns = td.columns | {k for k in cols if k not in _EXTRA_KEYS}
    first_col = min(cols.values())
    # points of the whole indicator block, in a label left of the grid ("年度绩效目标（80分）")
    block_sw = None
    for r in range(max(top - 1, 0), hr + 1):
        for c in grid.cols(r):
            t = grid.text.get((r, c), "")
            if c < first_col or (c not in cols.values() and _match_column(t, _ALL_INDICATOR_COLUMNS) is None):
                name, w = split_weight(t)
                if w is not None and ("目标" in name or "指标" in name):
                    block_sw = StatedWeight(-1, name, _val(sheet, r, c, unit, w), w)
                    td.stated.append(block_sw)
    levels = {k: _Level() for k in ("l0", "l1", "l2")}

    def extra_key(prefix: str, label: str) -> str:
        return _extra_key(extra, prefix, label)

    def stated(level: int, name: str, w, r: int, c: int) -> StatedWeight | None:
        if w is None:
            return None
        sw = StatedWeight(level, name, _val(sheet, r, c, unit, w), w)
        td.stated.append(sw)
        above = {0: (), 1: ("l0",), 2: ("l1", "l0")}[level]
        parent = next((levels[k].stated for k in above if levels[k].stated is not None), block_sw)
        if parent is not None:
            parent.children.append(sw)
        return sw

    for r in range(hr + 1, end + 1):
        cells = grid.cols(r)
        if not cells:
            continue
        row_texts = [grid.text.get((r, c), "") for c in cells]
        if any(t.startswith(_TOTAL_WORDS) and len(t) <= 8 for t in row_texts):
            _total_row(grid, td, r, cols)
            break
        if any(t.startswith(_STOP_WORDS) for t in row_texts):
            break
        if sheet.merged and len({sheet.merged_anchor(r, c) for c in cols.values()}) == 1:
            continue              # one cell across the grid: a section title ("项目年度目标1：…"), not a row
        subtotal = False
        for lv in ("l0", "l1", "l2"):
            if lv not in cols:
                continue
            t = grid.text.get((r, cols[lv]))
            if not t:
                continue
            name, w = split_weight(t)
            if lv == "l1" and ("小计" in name or "合计" in name):
                k = _level1_key(name)
                if k:
                    for ck, fk in (("weight", "weight_total"), ("score", "score_total")):
                        if ck in cols:
                            td.fields[f"ind.{k}.{fk}"] = _val(sheet, r, cols[ck], unit)
                levels["l1"].key = "subtotal"
                subtotal = True
                break
            cur = levels[lv]
            cur.label = name
            if lv == "l0":
                cur.key = extra_key("x", name)
                levels["l1"].__init__()
                levels["l2"].__init__()
                td.fields.setdefault(f"ind.{cur.key}.label", _val(sheet, r, cols[lv], unit, name))
                cur.stated = stated(0, name, w, r, cols[lv])
            elif lv == "l1":
                k = _level1_key(name)
                cur.key = k if k is not None else extra_key("x", name)
                levels["l2"].__init__()
                if f"ind.{cur.key}.label" not in td.fields:
                    td.fields[f"ind.{cur.key}.label"] = _val(sheet, r, cols[lv], unit, name if w is not None else None)
                cur.stated = stated(1, name, w, r, cols[lv])
            else:
                l1 = levels["l1"].key if levels["l1"].key not in (None, "subtotal") else None
                k2 = level2_key(l1, name) if l1 is None or l1 in forms.LEVEL1_KEYS else None
                if k2 is None and l1 in forms.LEVEL1_KEYS:
                    other = level2_key(None, name)
                    if other is not None:
                        l1_cell = (r, cols["l1"]) if "l1" in cols else None
                        if l1_cell and not grid.text.get(l1_cell) and (
                                not sheet.merged or sheet.merged_anchor(*l1_cell) == l1_cell):
                            td.notes.append(("level1_inferred", r, cols["l1"], name))   # an empty 一级 cell
                        else:                   # a standard 二级 under the wrong 一级 (满意度 under 效益)
                            td.misplaced.append((_val(sheet, r, cols[lv]), _level1_of(other), l1))
                        k2 = other
                        levels["l1"].key = _level1_of(other)
                if k2 is not None and l1 is None:
                    levels["l1"].key = _level1_of(k2)
                    if "l1" in cols and levels["l0"].key is None:
                        td.notes.append(("level1_inferred", r, cols["l1"], name))
                cur.key = k2 if k2 is not None else extra_key("y", name)
                block = f"ind.{levels['l1'].key or levels['l0'].key or 'x0'}.{cur.key}"
                if f"{block}.label" not in td.fields:
                    td.fields[f"{block}.label"] = _val(sheet, r, cols[lv], unit, name if w is not None else None)
                cur.stated = stated(2, name, w, r, cols[lv])
        if subtotal:
            continue
        row = {ck: _val(sheet, r, c, unit) for ck, c in cols.items() if ck not in ("l0", "l1", "l2", "op", "munit", "seq")}
        if "op" in cols or "munit" in cols:
            _compose_quantities(row, _val(sheet, r, cols["op"]) if "op" in cols else None,
                                _val(sheet, r, cols["munit"]) if "munit" in cols else None)
        if all(v.empty and not v.error for k, v in row.items() if k not in ("review", "method", "core")):
            continue
        l1key = levels["l1"].key if levels["l1"].key not in (None, "subtotal") else levels["l0"].key
        l2key = levels["l2"].key
        if l1key is None and "l1" not in cols and "l2" not in cols:
            l1key = "x0"                  # a flat list: no levels at all
        if l1key is None:
            td.blocks.setdefault("__unplaced__", []).append(row)
            continue
        if l2key is None:
            l2key = "y0"
        td.blocks.setdefault(f"ind.{l1key}.{l2key}", []).append(row)
        for lv in ("l0", "l1", "l2"):
            if levels[lv].stated is not None:
                levels[lv].stated.rows.append(row)
        if block_sw is not None:
            block_sw.rows.append(row)


def _total_row(grid: _Grid, td: TableData, r: int, cols: dict[str, int]) -> None:
    """The 总分 / 合计 row: its points and score, in the grid's own columns only."""
    sheet = grid.sheet
    for ck, key in (("weight", "total.weight"), ("score", "total.score")):
        c = cols.get(ck)
        if c is not None and sheet.value(*(sheet.merged_anchor(r, c) if sheet.merged else (r, c))) is not None:
            td.fields[key] = _val(sheet, r, c, td.unit)


def _place_family(td: TableData, facts: list[str]) -> None:
    """Name the table's family; weights implied by the scores where the family has no 分值 column."""
    fam = families.detect(td.kind, [norm(t) for t in facts if t], norm)
    td.family = fam.key
    dev = td.fields.get("text.deviation")
    if "note" not in td.columns and dev is not None:
        # one 偏差大或目标未完成原因分析 text for the whole table (20/80 tables): every row's note
        for rows in (v for k, v in td.blocks.items() if k.startswith("ind.")):
            for row in rows:
                row.setdefault("note", dev)
    _imply_weights(td)


def _near_whole(x: Decimal, tol: Decimal) -> Decimal | None:
    n = x.quantize(Decimal(1))
    return n if abs(x - n) <= tol and n > 0 else None


def _imply_weights(td: TableData) -> None:
    """Rows of a grid with no 分值 column: each indicator's points from its label ("数量指标 15分" over
    a single row), else from its score: full marks for a met target, 得分 ÷ (B/A) where that gives
    whole points (得分 = 分值 × B/A, the rule these tables print)."""
    single = {id(sw.rows[0]): sw for sw in td.stated if sw.level == 2 and len(sw.rows) == 1}
    for ind in td.indicators():
        row = ind.row
        if "weight" in row or "score" not in row:
            continue
        sv = row.get("score")
        s = sv.number_value() if sv is not None else None
        w = None
        if id(row) in single:
            w = single[id(row)].weight
        elif s is not None:
            w = s
            t, a = ind.get("target").quantity(), ind.get("actual").quantity()
            if t.value and a.value and t.value > 0 and a.value > 0 and not t.qualitative and t.op in (None, ">=", ">"):
                ratio = a.value / t.value
                places = -sv.number_value().as_tuple().exponent if sv.number_value() is not None else 0
                tol = Decimal("0.5").scaleb(-max(places, 0)) / ratio + Decimal("0.01")
                prop = _near_whole(s / ratio, tol)
                if ratio < 1:
                    w = prop
                elif prop is not None and _near_whole(s, Decimal("0.001")) is None:
                    w = prop
        if w is not None and sv is not None:
            row["weight"] = Val(w, sv.sheet, sv.cell, unit=td.unit, implied=True)




# ---------------------------------------------------------------------------
# Template sheets whose sections carry other level names
# ---------------------------------------------------------------------------
def _label_name(v: Val | None) -> tuple[str, Decimal | None]:
    """A level label cell as (name, points written in it), normalised as the label reader reads labels."""
    if v is None or v.empty or v.error:
        return "", None
    return split_weight(norm(v.raw))


@lru_cache(maxsize=None)
def _form_labels(top: str) -> tuple[tuple[str, str], ...]:
    """(label key, the form's name) of every 一级 and 二级 level cell of a template's indicator grid."""
    out = []
    for l1key, name, _w, level2 in forms.LEVEL1:
        out.append((f"{top}.{l1key}.label", name))
        out += [(f"{top}.{l1key}.{l2key}.label", n2) for l2key, n2, _s in level2]
    return tuple(out)


def _states(row: dict[str, Val], col: str) -> bool:
    v = row.get(col)
    return v is not None and (not v.empty or v.error is not None)


def template_levels(td: TableData) -> None:
    """A template sheet's indicator sections whose 一级 or 二级 label cell names a level outside the form
    (``gridbudget fill`` writes groups of other level names there: “项目决策（2分）”, “规划（15分）”; a unit may
    type one over the template's name): their rows re-keyed as the label reader keys rows under such levels
    (``ind.x1.y1``, ``ind.output.y1``; an unnamed 二级 ``y0``), their labels and stated points moved with them,
    and the table's family detected from the labels and the columns its rows use.

    A label is a standard level when the label reader would read it as one (the words of
    :data:`gridbudget.forms.LEVEL1_WORDS`, :func:`level2_key`): a synonym or points typed over the
    template's name keep the section standard, and a table whose labels are all standard is left as read."""
    parents = forms.group_parents(td.kind)
    if not parents:
        return
    top = next(p for p, level in parents if level == 1)
    fields = td.fields
    if all((v := fields.get(k)) is not None and v.raw == name for k, name in _form_labels(top)):
        return          # every level cell as the template wrote it: nothing to re-key
    facts = [v.text() for k, v in td.fields.items() if k.startswith(top + ".") and k.endswith(".label") and not v.empty]
    extra: dict[str, str] = {}
    used: set[str] = set()
    moved = False

    def key(parent: str, prefix: str, name: str, slot: str) -> str:
        """The label reader's key for a level name (an unnamed level: ``x0`` / ``y0``); a template section
        or slot of a name (or of none) met before keeps its own key, as it is a group of its own."""
        k = _extra_key(extra, prefix, name) if name else f"{prefix}0"
        if f"{parent}.{k}" in used:
            k = _extra_key(extra, prefix, f"{name}#{slot}")
        used.add(f"{parent}.{k}")
        return f"{parent}.{k}"

    def move(block: str, to: str, label: Val | None, name: str, w: Decimal | None,
             parent: StatedWeight | None) -> list[dict[str, Val]]:
        """A template block's rows to their key, with the 二级 label and the points stated in it."""
        rows = td.blocks.pop(block)
        td.blocks.setdefault(to, []).extend(rows)
        if name and label is not None and f"{to}.label" not in td.fields:
            td.fields[f"{to}.label"] = label if w is None else Val(name, label.sheet, label.cell, unit=td.unit)
        if w is not None and label is not None:
            sw = StatedWeight(2, name, Val(w, label.sheet, label.cell, unit=td.unit), w, rows=list(rows))
            td.stated.append(sw)
            if parent is not None:
                parent.children.append(sw)
        return rows

    for l1key, _name, _w, level2 in forms.LEVEL1:
        sec = f"{top}.{l1key}"
        own = [f"{sec}.{k2}" for k2, _n2, _s in level2]
        filled = [b for b in own if td.blocks.get(b)]
        if not filled:
            continue
        label = td.fields.get(f"{sec}.label")
        name, w = _label_name(label)
        names = {b: _label_name(td.fields.get(f"{b}.label")) for b in filled}
        if name:
            standard = _level1_key(name) is not None
        else:               # an empty 一级 cell: standard when a 二级 names its 一级 (the label reader infers it)
            standard = any(n and level2_key(None, n) is not None for n, _w2 in names.values())
        if standard:
            for b in filled:
                n2, w2 = names[b]
                if n2 and level2_key(None, n2) is not None:
                    continue
                move(b, key(sec, "y", n2, b), td.fields.pop(f"{b}.label", None), n2, w2, None)
                moved = True
            continue
        # a 一级 of another name: the whole section, its 二级 labels whatever they say
        moved = True
        x = key(top, "x", name, sec)
        td.fields.pop(f"{sec}.label", None)
        if name and label is not None:
            td.fields.setdefault(f"{x}.label", label if w is None else Val(name, label.sheet, label.cell, unit=td.unit))
        sw1 = None
        if w is not None and label is not None:
            sw1 = StatedWeight(1, name, Val(w, label.sheet, label.cell, unit=td.unit), w)
            td.stated.append(sw1)
        labels2 = {b: td.fields.pop(f"{b}.label", None) for b in own}
        rows = []
        for b in filled:
            n2, w2 = names[b]
            rows += move(b, key(x, "y", n2, b), labels2[b], n2, w2, sw1)
        if sw1 is not None:
            sw1.rows.extend(rows)
        if not any(_states(r, c) for r in rows for c in ("target", "actual")):
            for r in rows:            # scoring criteria (a rubric), not targets: as a grid without these columns
                r.pop("target", None)
                r.pop("actual", None)
    if moved:
        _template_family(td, top, facts)


def _template_family(td: TableData, top: str, facts: list[str]) -> None:
    """The family of a template table with other level names, by its labels and the columns its rows use.
    A table whose rows all sit under other 一级 names and state no target or actual is a rubric: the
    kind's rubric family when its labels name no family."""
    rows = [(b, r) for b, rs in td.blocks.items() if b.startswith(top + ".") and b.count(".") == 2 for r in rs]
    if not any(_states(r, c) for _b, r in rows for c in ("target", "actual")):
        facts.append(families.FACT_NO_TARGET)
    _place_family(td, facts)
    if (td.fam.level_weights and families.FACT_NO_TARGET in facts
            and not any(b.split(".")[1] in forms.LEVEL1_KEYS for b, _r in rows)):
        rubric = next((f for f in families.FAMILIES if f.kind == td.kind and f.rubric and not f.level_weights), None)
        if rubric is not None:
            td.family = rubric.key
    if not td.fam.note_column and not any(_states(r, "note") for _b, r in rows):
        td.columns = td.columns - {"note"}      # the family has no 偏差原因 column and no row uses the template's
