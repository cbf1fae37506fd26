"""Submission data as JSON: one unit's three tables, values as people typed them.

The JSON nests the dotted field keys of :mod:`gridbudget.forms`:
``overall.funds.total.executed`` is ``{"overall": {"funds": {"total": {"executed": …}}}}``.
A block of repeated rows is a list at its key, or under ``rows`` when the same key also
holds fields (the 二级指标 blocks hold their ``label``). Projects are a list of tables.

Indicator rows under level names the template has no section for (项目决策, 规划, 履职效能 …) are
lists of groups at ``ind.other`` (一级 groups) and ``ind.<一级>.other`` (二级 groups), see
:data:`gridbudget.forms.OTHER`; their flat form is ``"__groups__": {parent key: [groups]}``, and
:func:`flatten` writes them on the template's free indicator sections (:func:`place_groups`).
"""

from __future__ import annotations

import codecs
import json
import os
import re
import stat
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import forms
from .errors import InputError

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
    """Nested JSON of one table -> {"__fields__": {key: value}, "__blocks__": {block: [rows]}}, with
    ``"__groups__": {parent: [groups]}`` when it holds groups of other level names."""
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
    out: dict[str, Any] = {"__fields__": fields, "__blocks__": out_blocks}
    groups = {}
    for parent, level in forms.group_parents(table_key):
        found = _get(nested, f"{parent}.{forms.OTHER}")
        if isinstance(found, list) and found:
            groups[parent] = [_group(level, g) for g in found if isinstance(g, dict)]
    if groups:
        out["__groups__"] = groups
    return out


def _group(level: int, g: dict[str, Any]) -> dict[str, Any]:
    """A group of other level names with its known keys only, empty values left out."""
    out = {f.key: g[f.key] for f in forms.GROUP_FIELDS[level] if g.get(f.key) is not None}
    if level == 1:
        inner = g.get(forms.GROUP_LEVEL2)
        if isinstance(inner, list):
            out[forms.GROUP_LEVEL2] = [_group(2, x) for x in inner if isinstance(x, dict)]
    else:
        rows = g.get(forms.GROUP_ROWS)
        if isinstance(rows, list):
            out[forms.GROUP_ROWS] = [{f.key: r[f.key] for f in forms.INDICATOR_FIELDS if r.get(f.key) is not None}
                                     for r in rows if isinstance(r, dict)]
    return out


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
    for parent, groups in (flat.get("__groups__") or {}).items():
        if groups:
            _set(out, f"{parent}.{forms.OTHER}", groups)
    return out


def flatten(nested: dict[str, Any], *, source: str | None = None, notes: list[str] | None = None) -> dict[str, Any]:
    """A whole submission's nested JSON -> the flat form the template writer takes.

    ``nested`` is checked against the submission schema first (:func:`validate`): a wrong
    shape raises :class:`~gridbudget.errors.InputError` naming ``source`` and the key path.
    In the result every number is a finite :class:`~decimal.Decimal` of sane size and every
    text a ``str`` that Excel can store, so it is safe for the template writer. Groups of
    other level names are written on the template's free indicator sections
    (:func:`place_groups`); ``notes`` receives, in Chinese, where they went and what could not be placed.
    """
    validate(nested, source)
    out: dict[str, Any] = {}
    said: list[str] = []
    for t in TABLE_ORDER:
        if nested.get(t) is not None:
            out[t] = _decimals(flatten_table(t, nested[t]))
            said += place_groups(t, out[t], forms.TABLES[t].name)
    out["projects"] = []
    for i, p in enumerate(nested.get("projects") or []):
        flat = _decimals(flatten_table("project", p))
        name = flat["__fields__"].get("name")
        said += place_groups("project", flat, f"{forms.PROJECT.name}“{name}”" if isinstance(name, str) and name
                             else f"第 {i + 1} 张{forms.PROJECT.name}")
        out["projects"].append(flat)
    if notes is not None:
        notes.extend(said)
    return out


def _decimals(flat: dict[str, Any]) -> dict[str, Any]:
    """Numbers of a flattened table as Decimal (ints and floats from Python callers)."""
    def conv(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list):
            return [conv(x) for x in v]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return v
        return Decimal(v) if isinstance(v, int) else Decimal(repr(v))

    flat["__fields__"] = {k: conv(v) for k, v in flat["__fields__"].items()}
    flat["__blocks__"] = {b: [{c: conv(v) for c, v in r.items()} for r in rows]
                          for b, rows in flat["__blocks__"].items()}
    if "__groups__" in flat:
        flat["__groups__"] = conv(flat["__groups__"])
    return flat


# ---------------------------------------------------------------------------
# Groups of other level names on the template's indicator sections
# ---------------------------------------------------------------------------
def _points(w: Any) -> str:
    if isinstance(w, Decimal):
        return format(w.normalize(), "f")
    text = str(w).strip()
    return text[:-1].strip() if text.endswith("分") else text


def group_label(g: dict[str, Any]) -> str:
    """A group's label as the template shows it: its name with its points, as other tables write
    them ("项目决策（2分）"; read back by the label reader's weight-in-label rule); "" when unnamed."""
    label = g.get("label") or ""
    w = g.get("weight")
    return f"{label}（{_points(w)}分）" if label and w is not None and _points(w) else label


def _shown(g: dict[str, Any]) -> str:
    return f"“{g['label']}”" if g.get("label") else "（未命名）"


def _nrows(g: dict[str, Any]) -> int:
    if forms.GROUP_ROWS in g:
        return len(g[forms.GROUP_ROWS])
    return sum(_nrows(x) for x in g.get(forms.GROUP_LEVEL2, []))


def place_groups(table_key: str, flat: dict[str, Any], where: str) -> list[str]:
    """Write a flattened table's groups of other level names (``flat["__groups__"]``, removed) on the
    template's indicator sections, as far as its layout allows: a 一级 group on a standard 一级 section
    holding no rows (the first with slots for all its 二级 groups, else the largest), its 二级 groups on
    that section's 二级 slots in order, their labels (with points) over the template's names (unused
    slots left unnamed); a 二级 group under a standard 一级 on a free 二级 slot of that 一级. Returns
    notes in Chinese: where each group went, and each group that found no place (not written)."""
    groups = flat.pop("__groups__", None) or {}
    if not groups:
        return []
    fields, blocks = flat["__fields__"], flat["__blocks__"]
    columns = block_columns(table_key)
    parents = forms.group_parents(table_key)
    sections = [p for p, level in parents if level == 2]
    names = {f"{p}.{k}": name for p, level in parents if level == 1 for k, name, _w, _l2 in forms.LEVEL1}
    slots = {sec: [b for b in columns if b.rsplit(".", 1)[0] == sec] for sec in sections}
    taken: set[str] = {b for sec in sections for b in slots[sec] if blocks.get(b)}
    notes: list[str] = []

    def put(slot: str, g: dict[str, Any]) -> None:
        fields[f"{slot}.label"] = group_label(g)
        blocks[slot] = [dict(r) for r in g.get(forms.GROUP_ROWS, [])]
        taken.add(slot)

    # 二级 groups under a standard 一级: the free slots of that 一级
    for sec in sections:
        for g in groups.get(sec, []):
            free = [b for b in slots[sec] if b not in taken]
            if free:
                put(free[0], g)
                notes.append(f"{where}：{names[sec]}下的二级指标{_shown(g)}（模板没有这个二级指标）写入了"
                             f"“{forms.block_label(table_key, free[0])}”一栏。")
            else:
                notes.append(f"{where}：{names[sec]}下的二级指标{_shown(g)}（{_nrows(g)} 个三级指标）没有写入："
                             f"模板中{names[sec]}的二级指标栏都已填写。")
    # 一级 groups: standard 一级 sections that hold nothing
    free_secs = [sec for sec in sections if not any(b in taken for b in slots[sec])]
    for p, level in parents:
        if level != 1:
            continue
        for g in groups.get(p, []):
            inner = g.get(forms.GROUP_LEVEL2, [])
            if not free_secs:
                notes.append(f"{where}：一级指标{_shown(g)}（{_nrows(g)} 个三级指标）没有写入：模板中"
                             f"{'、'.join(names[s] for s in sections)}各栏都已填写。")
                continue
            fit = [sec for sec in free_secs if len(slots[sec]) >= len(inner)]
            sec = fit[0] if fit else max(free_secs, key=lambda x: len(slots[x]))
            free_secs.remove(sec)
            fields[f"{sec}.label"] = group_label(g)
            for slot in slots[sec]:
                fields[f"{slot}.label"] = ""          # the template's 二级 names do not belong to this group
            notes.append(f"{where}：一级指标{_shown(g)}（模板没有这个一级指标）写入了“{names[sec]}”一栏"
                         f"（该栏的小计行名称沿用模板）。")
            for i, g2 in enumerate(inner):
                if i < len(slots[sec]):
                    put(slots[sec][i], g2)
                else:
                    notes.append(f"{where}：一级指标{_shown(g)}下的二级指标{_shown(g2)}（{_nrows(g2)} 个三级指标）"
                                 f"没有写入：写入的“{names[sec]}”一栏只有 {len(slots[sec])} 个二级指标。")
    return notes


def _json_default(o: Any) -> Any:
    if isinstance(o, Decimal):
        if o == o.to_integral_value() and abs(o) < 2**53:
            return int(o)
        return float(o)    # shortest repr: Decimal('116.95') -> 116.95
    raise TypeError(f"cannot serialise {type(o).__name__}")


# ---------------------------------------------------------------------------
# Reading submission JSON safely (gridbudget fill)
# ---------------------------------------------------------------------------
MAX_JSON_BYTES = 20 * 2**20     # a submission is a few hundred KB at most
MAX_TEXT = 32_767               # Excel's limit on the characters of one cell
MAX_MAGNITUDE = 12              # numbers: absolute value below 10**12 (万元: a trillion is absurd)
MAX_DIGITS = 30                 # ... with at most 30 significant digits
MAX_PLACES = 30                 # ... and at most 30 decimal places
MAX_ERRORS = 10                 # problems listed in one message

# Characters Excel (XML 1.0) cannot store; tab, newline and carriage return are fine.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_JSON_MESSAGES = (
    ("Expecting property name enclosed in double quotes", "此处应为用英文双引号括起的键名（或多了逗号）"),
    ("Expecting value", "此处应为一个值（数字、文字、对象或数组；或多了逗号）"),
    ("Expecting ',' delimiter", "缺少英文逗号“,”"),
    ("Expecting ':' delimiter", "缺少英文冒号“:”"),
    ("Unterminated string", "文字缺少结束的英文双引号"),
    ("Invalid control character", "文字中有控制字符（换行请写作 \\n）"),
    ("Invalid \\uXXXX escape", "无效的 \\u 转义"),
    ("Invalid \\escape", "无效的反斜杠转义（反斜杠请写作 \\\\）"),
    ("Extra data", "数据结束后还有多余的内容"),
)

_TYPE_NAMES = {"object": "对象 {…}", "array": "数组 […]", "string": "文字", "number": "数字", "integer": "整数",
               "boolean": "true/false", "null": "null"}


class _BadNumber:
    """A number JSON holds but Python cannot use (NaN, Infinity, an exponent beyond any
    range): kept in place while parsing so the check can name its key path."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def _parse_float(text: str) -> Decimal | _BadNumber:
    try:
        return Decimal(text)
    except ArithmeticError:
        return _BadNumber(text)


def _parse_int(text: str) -> int | Decimal | _BadNumber:
    # int() refuses more than 4300 digits with a ValueError: long ones stay Decimal for the check
    return int(text) if len(text) <= 20 else _parse_float(text)


def _show(text: str, limit: int = 40) -> str:
    """A key or text for a message: control characters made visible, long text shortened."""
    shown = "".join(f"\\u{ord(ch):04x}" if _BAD_CHARS.match(ch) or ch in "\t\r\n" else ch for ch in text[:limit])
    return shown + ("…" if len(text) > limit else "")


def _key_path(path: tuple[str | int, ...]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + _show(p))
    return out or "顶层"


def _describe(value: Any) -> str:
    if isinstance(value, _BadNumber):
        return _show(value.text, 20)
    if isinstance(value, dict):
        return "对象 {…}"
    if isinstance(value, (list, tuple)):
        return "数组 […]"
    if isinstance(value, bool):
        return " true" if value else " false"
    if value is None:
        return " null"
    if isinstance(value, str):
        return f"文字“{_show(value, 20)}”"
    if isinstance(value, (int, float, Decimal)):
        return f"数字 {_show(str(value), 20)}"
    return type(value).__name__


def _is_type(value: Any, t: str) -> bool:
    if t == "object":
        return isinstance(value, dict)
    if t == "array":
        return isinstance(value, list)
    if t == "string":
        return isinstance(value, str)
    if t == "null":
        return value is None
    if t == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return False
    if t == "number":
        return True
    if t == "integer":
        if isinstance(value, int):
            return True
        if isinstance(value, Decimal):
            return value.is_finite() and value == value.to_integral_value()
        return value.is_integer()
    return False


def _number_problem(value: int | float | Decimal) -> str | None:
    """Why a number cannot be written into a cell, or None."""
    if isinstance(value, int):
        return None if abs(value) < 10**MAX_MAGNITUDE else "超出合理范围"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "不是有效的数字"
        value = Decimal(repr(value))
    if not value.is_finite():
        return "不是有效的数字"
    _sign, digits, exp = value.as_tuple()
    assert isinstance(exp, int)
    n = len(digits)
    while n > 1 and digits[n - 1] == 0:
        n -= 1
        exp += 1
    if n == 1 and digits[0] == 0:
        return None
    if n + exp - 1 >= MAX_MAGNITUDE or n > MAX_DIGITS or exp < -MAX_PLACES:
        return "超出合理范围"
    return None


def _text_problem(value: str) -> str | None:
    """Why a text cannot be written into a cell, or None."""
    # Excel counts UTF-16 code units: a character beyond U+FFFF counts twice
    if len(value) > MAX_TEXT // 2 and len(value.encode("utf-16-le", "surrogatepass")) // 2 > MAX_TEXT:
        return f"太长（{len(value)} 个字符），Excel 一个单元格最多 {MAX_TEXT} 个字符"
    m = _BAD_CHARS.search(value)
    if m:
        ch = m.group(0)
        what = "不成对的代理码位" if "\ud800" <= ch <= "\udfff" else "控制字符"
        return f"第 {m.start() + 1} 个字符是{what} U+{ord(ch):04X}，Excel 无法保存：请删除"
    return None


@lru_cache(maxsize=None)
def _schema() -> dict[str, Any]:
    from .schema import submission_schema     # schema imports this module

    return submission_schema()


class _Checker:
    """Checks a document against the submission schema (the subset of draft 2020-12 it
    uses: type, properties, additionalProperties, items, required, const, enum,
    uniqueItems, $ref) plus what a cell can hold; collects Chinese problem texts."""

    KEYWORDS = frozenset({"type", "properties", "additionalProperties", "items", "required", "const", "enum",
                          "uniqueItems", "$ref", "title", "description", "$schema", "$id", "$defs"})

    def __init__(self, root: dict[str, Any]):
        self.root = root
        self.problems: list[str] = []
        self.more = False

    def add(self, path: tuple[str | int, ...], text: str) -> None:
        if len(self.problems) < MAX_ERRORS:
            self.problems.append(f"{_key_path(path)}{' ' if path else ''}{text}")
        else:
            self.more = True

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            ref = schema["$ref"]
            if not ref.startswith("#/"):   # pragma: no cover - the schema only refers to itself
                raise ValueError(f"unsupported $ref {ref}")
            node: Any = self.root
            for part in ref[2:].split("/"):
                node = node[part]
            schema = node
        return schema

    def check(self, value: Any, schema: dict[str, Any], path: tuple[str | int, ...]) -> None:
        if self.more:
            return
        schema = self.resolve(schema)
        if isinstance(value, _BadNumber):
            why = ("JSON 数据不允许 NaN、Infinity" if value.text.lstrip("-") in ("NaN", "Infinity")
                   else "超出可以表示的范围")
            self.add(path, f"的值 {_describe(value)} 不是有效的数字（{why}）。")
            return
        if not isinstance(value, (dict, list, str, bool, int, float, Decimal)) and value is not None:
            self.add(path, f"的值是 {_describe(value)}，不是 JSON 数据。")
            return
        types = schema.get("type")
        if types is not None:
            types = [types] if isinstance(types, str) else list(types)
            if not any(_is_type(value, t) for t in types):
                want = "或".join(_TYPE_NAMES[t] for t in types)
                if value is None and "string" in types:
                    want += "（空白请不写这个键，或写 \"\"）"
                self.add(path, f"应为{want}，实为{_describe(value)}。")
                return
        if "const" in schema and not (type(value) is type(schema["const"]) and value == schema["const"]):
            self.add(path, f"应为“{schema['const']}”，实为{_describe(value)}。")
            return
        if "enum" in schema and not (isinstance(value, str) and value in schema["enum"]):
            self.add(path, f"应为{'、'.join(map(str, schema['enum']))}之一，实为{_describe(value)}。")
            return
        if isinstance(value, str):
            problem = _text_problem(value)
            if problem:
                self.add(path, f"的文字{problem}。")
        elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            problem = _number_problem(value)
            if problem:
                self.add(path, f"的数字 {_show(str(value), 24)} {problem}（绝对值应小于 10^{MAX_MAGNITUDE}，"
                               f"有效数字、小数位数都不超过 {MAX_DIGITS} 位）。")
        elif isinstance(value, dict):
            self.check_object(value, schema, path)
        elif isinstance(value, list):
            items = schema.get("items")
            for i, item in enumerate(value):
                if items is not None:
                    self.check(item, items, path + (i,))
                elif isinstance(item, (dict, list)):   # pragma: no cover - every array has items
                    self.add(path + (i,), "的值不应为对象或数组。")
            if schema.get("uniqueItems"):
                seen: set[Any] = set()
                for i, item in enumerate(value):
                    if isinstance(item, str):
                        if item in seen:
                            self.add(path + (i,), f"与前面的元素重复（{_describe(item)}）。")
                        seen.add(item)

    def check_object(self, value: dict[Any, Any], schema: dict[str, Any], path: tuple[str | int, ...]) -> None:
        props: dict[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if not isinstance(key, str):
                self.add(path, f"的键 {_describe(key)} 不是文字。")
            elif key in props:
                self.check(item, props[key], path + (key,))
            elif extra is False:
                where = "顶层" if not path else _key_path(path) + " 下"
                allowed = "、".join(props) or "（无）"
                self.add(path + (key,), f"不是数据格式中的键：{where}允许的键是 {allowed}。")
            elif isinstance(extra, dict):
                self.check(item, extra, path + (key,))
            elif isinstance(item, str) and _text_problem(item):
                self.add(path + (key,), f"的文字{_text_problem(item)}。")
        for key in schema.get("required", ()):
            if key not in value:
                self.add(path, f"缺少必填的键“{key}”。")


def validate(nested: Any, source: str | os.PathLike | None = None) -> None:
    """Check submission data against the submission schema
    (``gridbudget/schema/submission.schema.json``, generated from the forms) and against
    what a cell can hold: texts Excel can store (at most 32,767 characters, no control
    characters but tab and newline), finite numbers of sane size.

    Raises :class:`~gridbudget.errors.InputError` listing the problems with their key
    paths (``projects[0].funds.total.executed``); ``source`` names the file.
    """
    checker = _Checker(_schema())
    checker.check(nested, _schema(), ())
    if not checker.problems:
        return
    name = os.fspath(source) if source is not None else "提交的数据"
    if len(checker.problems) == 1 and not checker.more:
        raise InputError(f"文件 {name} 的数据格式有误：{checker.problems[0]}"
                         if source is not None else f"{name}格式有误：{checker.problems[0]}")
    lines = "\n".join("  " + p for p in checker.problems)
    if checker.more:
        lines += f"\n  ……（只列出前 {MAX_ERRORS} 处）"
    head = f"文件 {name} 的数据格式有误" if source is not None else f"{name}格式有误"
    raise InputError(f"{head}（{len(checker.problems)}{'+' if checker.more else ''} 处）：\n{lines}")


def _read_bytes(file: Path, name: str) -> bytes:
    try:
        st = os.stat(file)
    except FileNotFoundError:
        raise InputError(f"找不到文件 {name}：请检查文件路径是否正确。") from None
    except OSError as exc:
        raise InputError(f"无法打开文件 {name}（{exc.strerror or '无法访问'}）。") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{name} 是一个文件夹，不是 JSON 数据文件：请指定 .json 文件。")
    if st.st_size > MAX_JSON_BYTES:
        raise InputError(f"文件 {name} 太大（{st.st_size / 2**20:.0f} MB），不像提交数据："
                         f"JSON 数据文件不能超过 {MAX_JSON_BYTES // 2**20} MB。")
    try:
        with open(file, "rb") as fh:
            data = fh.read(MAX_JSON_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"找不到文件 {name}：请检查文件路径是否正确。") from None
    except IsADirectoryError:
        raise InputError(f"{name} 是一个文件夹，不是 JSON 数据文件：请指定 .json 文件。") from None
    except PermissionError:
        raise InputError(f"无法读取文件 {name}：没有读取权限。") from None
    except OSError as exc:
        raise InputError(f"无法读取文件 {name}（{exc.strerror or '读取失败'}）。") from None
    if len(data) > MAX_JSON_BYTES:
        raise InputError(f"文件 {name} 太大，不像提交数据：JSON 数据文件不能超过 {MAX_JSON_BYTES // 2**20} MB。")
    return data


def _decode(data: bytes, name: str) -> str:
    """JSON text: UTF-8 (with or without BOM), UTF-16 with BOM (记事本“Unicode”), else
    GB18030/GBK (Excel and 记事本 on Chinese Windows)."""
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise InputError(f"文件 {name} 是 Excel/Word 文件或压缩包，不是 JSON 数据文件：工作簿请先用 "
                         "gridbudget export 导出 JSON，或直接审核工作簿。")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(f"文件 {name} 的 UTF-16 编码有误，无法读取：请用记事本另存为 UTF-8 编码。") from None
    if b"\x00" not in data:
        for enc in ("utf-8-sig", "gb18030"):
            try:
                return data.decode(enc)
            except UnicodeDecodeError:
                continue
    raise InputError(f"文件 {name} 不是文本文件（既不是 UTF-8 也不是 GBK/GB18030 编码），无法读取："
                     "请用记事本打开后另存为 UTF-8 编码的 .json 文件。")


def _json_message(msg: str) -> str:
    for english, chinese in _JSON_MESSAGES:
        if msg.startswith(english):
            return chinese
    return f"格式错误（{msg}）"


def load_json(path: str | Path) -> dict[str, Any]:
    """Read submission JSON; numbers come back as Decimal (never float), small integers as int.

    The file is read with a size limit, decoded (UTF-8, UTF-16 with BOM, GB18030/GBK),
    parsed (NaN/Infinity refused) and checked against the schema (:func:`validate`).
    Every failure is an :class:`~gridbudget.errors.InputError` with a Chinese message
    naming the file, and the line or key path where it applies.
    """
    name = os.fspath(path)
    text = _decode(_read_bytes(Path(path), name), name)
    if not text.strip():
        raise InputError(f"文件 {name} 是空文件，没有 JSON 数据。")
    try:
        doc = json.loads(text, parse_float=_parse_float, parse_int=_parse_int, parse_constant=_BadNumber)
    except json.JSONDecodeError as exc:
        raise InputError(f"文件 {name} 不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列，"
                         f"{_json_message(exc.msg)}。") from None
    except RecursionError:
        raise InputError(f"文件 {name} 的 JSON 嵌套层数过多，不是提交数据，无法读取。") from None
    validate(doc, name)
    return doc

def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=_json_default)
