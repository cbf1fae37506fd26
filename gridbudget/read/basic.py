"""The 部门整体支出绩效评价基础数据表 of any layout, read by its labels."""

from __future__ import annotations


from .. import forms
from ..model import TableData, Val
from .grid import _Grid, _YEAR, _after_label, _declared_unit, _read_header, _title_year, _val, _values_row, strip_numbering


def _read_basic(grid: _Grid, r1: int, r2: int) -> TableData:
    sheet = grid.sheet
    unit = _declared_unit(grid, r1, r2)
    td = TableData("basic", sheet.name, "layout", unit=unit, title_year=_title_year(grid, r1, r2))
    put = lambda key, r, c, raw=None: td.fields.__setitem__(key, _val(sheet, r, c, unit, raw))  # noqa: E731

    _read_header(grid, r1, r2, put, (("unit", ("填报单位", "单位名称", "部门名称")),))

    # 财政供养人员情况
    hit = grid.first(lambda t: t.startswith("编制数") or t == "编制人数", r1, r2)
    if hit:
        hr = hit[0]
        cols = {"staff.authorized": hit[1]}
        for c in grid.cols(hr):
            t = grid.text.get((hr, c), "")
            if "在职人数" in t or "实有人数" in t or "在职" in t:
                cols["staff.actual"] = c
            elif "控制率" in t:
                cols["staff.rate"] = c
        vr = _values_row(grid, hr, list(cols.values()), r2)
        if vr is not None:
            for key, c in cols.items():
                put(key, vr, c)

    # 经费控制情况
    hit = grid.first(lambda t: "经费控制情况" in t, r1, r2)
    if hit:
        fr, lc = hit
        colmap = _basic_columns(grid, fr, lc)
        mode = None
        for r in range(fr + 1, r2 + 1):
            label_t = grid.text.get(sheet.merged_anchor(r, lc) if sheet.merged else (r, lc), "")
            if any(w in label_t for w in ("楼堂馆所", "厉行节约")):
                break
            bare = strip_numbering(label_t).strip("….. ")   # drop ellipsis rows ("……")
            key = _basic_row_key(bare)
            if key == "special_header":
                mode = "special_funds"
                continue
            if key is not None:
                mode = "projects" if key == "projects_total" else None
                for ck, c in colmap.items():
                    put(f"{key}.{ck}", r, c)
                continue
            if mode is None:
                continue
            # a project (or 市级专项资金) row: its name is the label without numbering
            row = {"name": _val(sheet, r, lc, unit, bare or None)}
            if not bare:
                row["name"] = Val(None, sheet.name, forms.a1(r, lc), unit=unit)
            for ck, c in colmap.items():
                row[ck] = _val(sheet, r, c, unit)
            if bare or any(not v.empty for k, v in row.items() if k != "name"):
                td.blocks.setdefault(mode, []).append(row)

    # 楼堂馆所
    hit = grid.first(lambda t: "楼堂馆所" in t, r1, r2)
    if hit:
        hr = hit[0]
        cols = {}
        for c in grid.cols(hr):
            t = grid.text.get((hr, c), "")
            for key, words in (("building.approved_area", ("批复规模",)), ("building.actual_area", ("实际规模",)),
                               ("building.area_rate", ("规模控制率",)), ("building.budget", ("预算投资",)),
                               ("building.actual", ("实际投资",)), ("building.invest_rate", ("概算控制率",))):
                if any(w in t for w in words):
                    cols[key] = c
        vr = _values_row(grid, hr, list(cols.values()), r2, max_gap=2)
        if vr is not None:
            for key, c in cols.items():
                put(key, vr, c)
            if grid.text.get((vr, hit[1])):
                put("building.name", vr, hit[1])
    hit = grid.first(lambda t: "厉行节约" in t, r1, r2)
    if hit:
        got = _after_label(grid, hit[0], hit[1], "厉行节约保障措施", None)
        if got:
            put("thrift", got[0], got[1], got[2])
    return td




def _basic_columns(grid: _Grid, fr: int, lc: int) -> dict[str, int]:
    found = []
    for c in grid.cols(fr):
        if c <= lc:
            continue
        t = grid.text.get((fr, c), "")
        if "预算" in t or "决算" in t:
            m = _YEAR.search(t)
            found.append((c, t, int(m.group(1)) if m else None))
    years = [y for _c, _t, y in found if y]
    top = max(years) if years else None
    out: dict[str, int] = {}
    finals = []
    for c, t, y in found:
        if "预算" in t and "决算" not in t:
            out.setdefault("budget", c)
        elif "上年" in t or (y is not None and top is not None and y < top):
            out.setdefault("prev_final", c)
        elif "本年" in t or (y is not None and y == top):
            out.setdefault("final", c)
        else:
            finals.append(c)
    for c in finals:   # no years given: first 决算 column is last year's
        if "prev_final" not in out:
            out["prev_final"] = c
        elif "final" not in out:
            out["final"] = c
    return out


_BASIC_ROWS = forms.row_words("basic")     # (word, row key), longest word first


def _basic_row_key(bare: str) -> str | None:
    if not bare:
        return None
    for word, key in _BASIC_ROWS:
        if word in bare:
            if key == "projects_total" and not bare.startswith(word):
                continue
            return key
    return None


