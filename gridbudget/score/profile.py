"""Scoring profiles: data files (TOML) that say how points are recomputed and judged.

A profile is looked up by name among the packaged ones (``gridbudget/score/profiles/*.toml``)
or read from a path. See ``docs/profiles.md`` for every key.

Every profile is validated completely when it is loaded: the sections and keys allowed, and
the type of each, are those of the packaged default profile (it sets every key; only
``extends`` is extra). What a default value cannot say -- lists of pairs (tiers, bands),
the words a choice allows, ranges, which keys a profile that extends nothing must set -- is
said once in ``_SHAPES`` below. Rule codes are checked against the registered rules, table
families against ``forms/families.py``, automatic rubric items against ``score/engine.py``.
Any fault is a :class:`ProfileError` (a :class:`~gridbudget.errors.UsageError`, exit code 3)
whose Chinese message names the file and the key.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from ..errors import UsageError
from ..forms.families import FAMILY_BY_KEY, Family

PROFILE_DIR = Path(__file__).with_name("profiles")
DEFAULT_PROFILE = "national-2020"


@dataclass(frozen=True)
class Standards:
    """Standard points of one table: the execution rate (None: funds not scored), each 一级, the total."""

    exec_rate: Decimal | None
    levels: dict[str, Decimal]
    total: Decimal


class ProfileError(UsageError, ValueError):
    """A profile that cannot be found, read or accepted: a Chinese message naming the file and
    the key (exit code 3). ``faults`` holds one line per fault when several were found."""

    def __init__(self, message: str, *, file: str = "", faults: list[str] | None = None):
        super().__init__(message)
        self.file = file
        self.faults = list(faults) if faults else [message]


def available_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return out


@dataclass
class Profile:
    name: str
    data: dict[str, Any]
    path: str = ""
    _words: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        q = self.data.get("qualitative", {})
        for band in ("missed", "partial", "achieved"):
            for w in q.get(f"{band}_words", []):
                self._words.setdefault(w, band)

    # -- values --------------------------------------------------------------
    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self.data.get(section, {}).get(key, default)

    @property
    def title(self) -> str:
        return self.get("profile", "title", self.name)

    def covers(self, family: str) -> bool:
        """The profile's weights apply to this table family (``[profile] families``; all when unset)."""
        listed = self.get("profile", "families")
        return listed is None or family in listed

    def standards(self, fam: Family) -> Standards:
        """The standard points of a table of family ``fam``: the profile's ``[weights]`` for the
        families it covers, the family's own points (forms/families.py) for any other."""
        own = not self.covers(fam.key)
        exec_rate = None if fam.funds_weight is None else (
            Decimal(fam.funds_weight) if own else self.weight("exec_rate"))
        levels = {k: Decimal(w) if own else self.weight(k) for k, w in fam.level_weights}
        return Standards(exec_rate, levels, Decimal(fam.total) if own else self.weight("total"))

    def weight(self, key: str) -> Decimal:
        return Decimal(str(self.get("weights", key, 0)))

    @property
    def amount_tolerance(self) -> Decimal:
        return Decimal(str(self.get("tolerance", "amount", "0.01")))

    @property
    def score_tolerance(self) -> Decimal:
        return Decimal(str(self.get("tolerance", "score", "0.01")))

    @property
    def over_ratio(self) -> Decimal:
        return Decimal(str(self.get("indicators", "over_achievement_ratio", "1.3")))

    @property
    def explain_below(self) -> Decimal:
        return Decimal(str(self.get("exec_rate", "explain_below", 90)))

    @property
    def over_deduction(self) -> Decimal:
        """Points deducted from an indicator over-achieved by ``over_ratio`` or more (0: off)."""
        return Decimal(str(self.get("indicators", "over_achievement_deduction", 0)))

    @property
    def ahead_margin(self) -> Decimal:
        """How far (relative) indicator completion may run ahead of the execution rate (0: off)."""
        return Decimal(str(self.get("exec_rate", "ahead_of_spending", 0)))

    def total_cap(self, rate: Decimal) -> tuple[Decimal, Decimal] | None:
        """(lower bound %, highest total) of the ``[exec_rate] total_caps`` tier an execution rate
        (percent, compared as shown: 2 decimals, half up) falls in; None when the profile sets none."""
        shown = rate.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for lower, cap in self.get("exec_rate", "total_caps", []):
            if shown >= Decimal(str(lower)):
                return Decimal(str(lower)), Decimal(str(cap))
        return None

    def band_of_word(self, text: str) -> str | None:
        """'achieved' | 'partial' | 'missed' for a qualitative result, None when unknown.

        The longest listed word contained in the text decides, so 部分达成 beats 达成
        and 未完成 beats 完成.
        """
        best, best_len = None, 0
        for w, band in self._words.items():
            if w in text and len(w) > best_len:
                best, best_len = band, len(w)
        return best

    def band_range(self, band: str) -> tuple[Decimal, Decimal]:
        lo, hi = self.get("qualitative", band, [0, 1])
        return Decimal(str(lo)), Decimal(str(hi))

    def round(self, x: Decimal) -> Decimal:
        places = int(self.get("rounding", "places", 2))
        mode = ROUND_DOWN if self.get("rounding", "mode", "half_up") == "truncate" else ROUND_HALF_UP
        return x.quantize(Decimal(1).scaleb(-places), rounding=mode)

    def grade(self, total: Decimal | None) -> str:
        if total is None:
            return ""
        for name, low in self.get("grades", "bands", [["优", 90], ["良", 80], ["中", 60], ["差", 0]]):
            if total >= Decimal(str(low)):
                return name
        return self.get("grades", "bands")[-1][0] if self.get("grades", "bands") else ""


# ---------------------------------------------------------------------------
# reading a file
# ---------------------------------------------------------------------------
_TOML_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")


def _read_toml(path: Path, shown: str) -> dict[str, Any]:
    """The TOML file's tables; a missing, unreadable, non-UTF-8 or malformed file is a ProfileError."""
    if path.is_dir():
        raise ProfileError(f"评分方案 {shown} 是文件夹，不是 .toml 文件。", file=shown)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProfileError(f"找不到评分方案文件 {shown}。", file=shown) from None
    except PermissionError:
        raise ProfileError(f"评分方案 {shown} 无法读取：没有读取权限。", file=shown) from None
    except OSError as exc:
        raise ProfileError(f"评分方案 {shown} 无法读取：{exc.strerror or exc}。", file=shown) from None
    try:
        text = raw.decode("utf-8-sig")          # a byte-order mark (Windows Notepad) is fine
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ProfileError(f"评分方案 {shown} 不是 UTF-8 编码（第 {line} 行有无法按 UTF-8 读取的字节），"
                           "请用 UTF-8 编码另存。", file=shown) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        detail = str(exc)
        m = _TOML_AT.search(detail)
        where = ""
        if m:
            detail = detail[:m.start()]
            where = f"（第 {m.group(1)} 行第 {m.group(2)} 列）" if m.group(1) else "（文件末尾）"
        raise ProfileError(f"评分方案 {shown} 不是有效的 TOML{where}：{detail}", file=shown) from None


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------
class _Bad(Exception):
    """A value's fault: ``expected`` gives "应为…，实为 <value>", ``reason`` gives "= <value>：reason"."""

    def __init__(self, reason: str = "", expected: str = ""):
        super().__init__(reason or expected)
        self.reason, self.expected = reason, expected


Checker = Callable[[Any], Any]
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _show(v: Any, limit: int = 80) -> str:
    """A value as written in TOML, shortened for a message."""
    s = _toml(v)
    return s if len(s) <= limit else s[:limit - 1] + "…"


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_toml(x)}" for k, x in v.items()) + "}"
    return str(v)


def _key(k: str) -> str:
    return k if _BARE_KEY.match(k) else json.dumps(k, ensure_ascii=False)


def _or(options: tuple[str, ...]) -> str:
    return options[0] if len(options) == 1 else "、".join(options[:-1]) + " 或 " + options[-1]


def _guess(word: Any, options) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6) if isinstance(word, str) else []
    return f"是否应为 {close[0]}？" if close else ""


def _number(v: Any) -> Decimal:
    """A finite, non-negative number, converted as the accessors convert it (``Decimal(str(v))``):
    a TOML integer or float, or a string holding a number."""
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise _Bad(expected="数字")
    try:
        d = Decimal(str(v))
    except InvalidOperation:
        raise _Bad(expected="数字") from None
    if not d.is_finite():
        raise _Bad("应为有限的数字")
    if d < 0:
        raise _Bad("不能为负数")
    return d


def _number_in(v: Any, what: str) -> Decimal:
    """A number inside a list, its fault phrased for the list."""
    try:
        return _number(v)
    except _Bad as bad:
        raise _Bad(f"{what}应为{bad.expected}，实为 {_show(v)}" if bad.expected else
                   f"{what} {_show(v)} {bad.reason}") from None


def _text(v: Any) -> str:
    if not isinstance(v, str):
        raise _Bad(expected="文字（加英文双引号）")
    return v


def _name(v: Any) -> str:
    if not _text(v).strip():
        raise _Bad("不能为空")
    return v


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise _Bad(expected="true 或 false")
    return v


def _words(v: Any) -> list[str]:
    if not isinstance(v, list) or not all(isinstance(w, str) for w in v):
        raise _Bad(expected='文字列表，如 ["达成", "完成"]')
    if any(not w.strip() for w in v):
        raise _Bad("列表中不能有空文字")
    return v


def _choice(*options: str) -> Checker:
    def check(v: Any) -> str:
        if not isinstance(v, str) or v not in options:
            raise _Bad(f"只能是 {_or(options)}" + (f"（{_guess(v, options)}）" if _guess(v, options) else ""))
        return v
    check.options = options  # type: ignore[attr-defined]
    return check


def _places(v: Any) -> int:
    """``int(v)`` as ``Profile.round`` does, without silently cutting 2.5 to 2."""
    if isinstance(v, bool):
        raise _Bad(expected="整数")
    if isinstance(v, int):
        n = v
    elif isinstance(v, float) and v.is_integer():
        n = int(v)
    elif isinstance(v, str) and re.fullmatch(r"\s*\+?\d+\s*", v):
        n = int(v)
    else:
        raise _Bad(expected="整数")
    if not 0 <= n <= 10:
        raise _Bad("保留位数应在 0 到 10 之间")
    return n


def _share_range(v: Any) -> tuple[Decimal, Decimal]:
    """A qualitative band: [lower, upper] shares of the points, 0 ≤ lower ≤ upper ≤ 1."""
    if not isinstance(v, list) or len(v) != 2:
        raise _Bad(expected="[下限, 上限] 两个数（占分值的比例），如 [0.6, 0.8]")
    lo, hi = _number_in(v[0], "下限"), _number_in(v[1], "上限")
    if hi > 1:
        raise _Bad("上限不能超过 1（占分值的比例）")
    if lo > hi:
        raise _Bad("下限不能大于上限")
    return lo, hi


def _tiers(v: Any) -> list:
    """[[execution-rate lower bound (%), share of the points], …], from high to low."""
    if not isinstance(v, list) or not v or not all(isinstance(t, list) and len(t) == 2 for t in v):
        raise _Bad(expected="非空的分档列表 [[执行率下限（%）, 得分占分值比例], …]，如 [[100, 1.0], [90, 0.6], [0, 0.0]]")
    prev = None
    for i, (lower, share) in enumerate(v, 1):
        lo = _number_in(lower, f"第 {i} 档的执行率下限")
        if _number_in(share, f"第 {i} 档的得分比例") > 1:
            raise _Bad(f"第 {i} 档的得分比例 {_show(share)} 不能超过 1")
        if prev is not None and lo >= prev:
            raise _Bad("各档应按执行率下限从高到低排列")
        prev = lo
    return v


def _caps(v: Any) -> list:
    """[[execution-rate lower bound (%), highest total], …], from high to low, the last from 0;
    an empty list: no cap."""
    example = "如 [[80, 100], [70, 89], [60, 79], [50, 69], [0, 59]]；不限制时写 []"
    if not isinstance(v, list) or not all(isinstance(t, list) and len(t) == 2 for t in v):
        raise _Bad(expected=f"分档列表 [[执行率下限（%）, 总分上限], …]，{example}")
    prev_lo = prev_cap = None
    for i, (lower, cap) in enumerate(v, 1):
        lo = _number_in(lower, f"第 {i} 档的执行率下限")
        top = _number_in(cap, f"第 {i} 档的总分上限")
        if prev_lo is not None and lo >= prev_lo:
            raise _Bad("各档应按执行率下限从高到低排列")
        if prev_cap is not None and top > prev_cap:
            raise _Bad(f"第 {i} 档的总分上限 {_show(cap)} 高于上一档：执行率越低，上限不能越高")
        prev_lo, prev_cap = lo, top
    if v and prev_lo != 0:
        raise _Bad(f"最后一档的执行率下限应为 0（执行率再低也要有上限），{example}")
    return v


def _share(v: Any) -> Decimal:
    """A ratio between 0 and 1 (0.05 is 5%)."""
    d = _number(v)
    if d > 1:
        raise _Bad("应为 0 到 1 之间的比例（0.05 表示 5%）")
    return d


def _bands(v: Any) -> list:
    """[[grade, lower bound of the total], …], from high to low."""
    if not isinstance(v, list) or not v or not all(isinstance(b, list) and len(b) == 2 for b in v):
        raise _Bad(expected='非空的等级列表 [[等级, 总分下限], …]，如 [["优", 90], ["良", 80], ["中", 60], ["差", 0]]')
    prev, seen = None, set()
    for i, (grade, lower) in enumerate(v, 1):
        if not isinstance(grade, str) or not grade.strip():
            raise _Bad(f"第 {i} 档的等级应为文字，实为 {_show(grade)}")
        if grade in seen:
            raise _Bad(f"等级 {_show(grade)} 重复")
        seen.add(grade)
        lo = _number_in(lower, f"第 {i} 档（{grade}）的下限")
        if prev is not None and lo >= prev:
            raise _Bad("各档应按下限从高到低排列")
        prev = lo
    return v


def _families(v: Any) -> list:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise _Bad(expected='表式列表，如 ["central-2020", "grid-2021"]')
    for x in v:
        if x not in FAMILY_BY_KEY:
            raise _Bad(f"没有表式 {_show(x)}（{_guess(x, FAMILY_BY_KEY)}可用：{'、'.join(FAMILY_BY_KEY)}；"
                       "见 docs/families.md）")
    return v


def _auto(v: Any) -> str:
    from .engine import AUTO_ITEMS            # the automatic rubric items

    return _choice(*AUTO_ITEMS)(v)


#: The spellings ``[rules]`` accepts for a rule: the finding severities and ``off``.
OFF = "off"


def _severity(v: Any) -> str:
    from ..check.findings import SEVERITIES, SEVERITY_LABELS

    allowed = (*SEVERITIES, OFF)
    if not isinstance(v, str) or v not in allowed:
        labels = "/".join([SEVERITY_LABELS[s] for s in SEVERITIES] + ["关闭"])
        raise _Bad(f"级别只能是 {_or(allowed)}（{labels}）")
    return v


def _rule_codes() -> set[str]:
    from ..check import rules as _rules  # noqa: F401  (registers the rules)
    from ..check.engine import RULES

    return set(RULES)


_OPS = (">=", "<=", ">", "<", "=")

#: What the default profile's values cannot say, by (section, key); "rubric.items" is the
#: array of tables [[rubric.items]]. Every other key's type is that of its default value
#: (number: a finite non-negative number; text; list of words).
_SHAPES: dict[tuple[str, str], Checker] = {
    ("profile", "name"): _name,
    ("profile", "families"): _families,
    ("exec_rate", "mode"): _choice("capped_linear", "uncapped_linear", "tiered"),
    ("exec_rate", "tiers"): _tiers,
    ("exec_rate", "total_caps"): _caps,
    ("exec_rate", "ahead_of_spending"): _share,
    ("indicators", "positive"): _choice("proportional"),
    ("indicators", "reverse"): _choice("linear_to_double", "proportional"),
    ("indicators", "equal"): _choice("as_positive"),
    ("indicators", "bare_target_cost"): _choice(*_OPS),
    ("indicators", "bare_target_other"): _choice(*_OPS),
    ("qualitative", "achieved"): _share_range,
    ("qualitative", "partial"): _share_range,
    ("qualitative", "missed"): _share_range,
    ("rounding", "places"): _places,
    ("rounding", "mode"): _choice("half_up", "truncate"),
    ("grades", "bands"): _bands,
    ("rubric.items", "name"): _name,
    ("rubric.items", "auto"): _auto,
    ("rubric.items", "evidence"): _text,        # 所需佐证材料; set on some items only
}
#: Keys the default profile does not set because it extends nothing.
_EXTRA_KEYS: dict[tuple[str, str], Checker] = {("profile", "extends"): _name}
#: Sections whose keys are codes rather than names: [rules] "规则代码" = 级别.
_CODE_SECTIONS = {"rules": (_rule_codes, _severity)}
#: Keys every item of an array of tables must have.
_ITEM_REQUIRED = {("rubric", "items"): ("group", "name", "max")}
#: Sections the code has no fallback for: a profile that extends nothing sets all their keys.
_COMPLETE = ("weights", "qualitative")


def _derived(value: Any) -> Checker | None:
    if isinstance(value, bool):
        return _bool
    if isinstance(value, (int, float)):
        return _number
    if isinstance(value, str):
        return _text
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return _words
    return None


@lru_cache(maxsize=1)
def _schema() -> dict[str, dict[str, Any]]:
    """Section -> key -> checker, from the default profile; an array of tables maps its key to
    a dict of its items' keys -> checkers."""
    default = _read_toml(PROFILE_DIR / f"{DEFAULT_PROFILE}.toml", f"{DEFAULT_PROFILE}.toml")

    def checker(where: tuple[str, str], value: Any) -> Checker:
        got = _SHAPES.get(where) or _derived(value)
        if got is None:
            raise RuntimeError(f"profile schema: no shape for [{where[0]}] {where[1]} = {_show(value)}")
        return got

    out: dict[str, dict[str, Any]] = {}
    for sect, body in default.items():
        keys: dict[str, Any] = {}
        for key, value in body.items():
            if isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
                items: dict[str, Checker] = {}
                for item in value:
                    for k, v in item.items():
                        items.setdefault(k, checker((f"{sect}.{key}", k), v))
                keys[key] = items
            else:
                keys[key] = checker((sect, key), value)
        out[sect] = keys
    for (sect, key), check in _EXTRA_KEYS.items():
        out.setdefault(sect, {})[key] = check
    return out


def allowed_keys() -> dict[str, list[str]]:
    """Every section and its keys a profile may set (``[rules]`` takes rule codes)."""
    return {sect: list(keys) for sect, keys in _schema().items()}


class _Faults:
    """The faults found in one file, each a full Chinese line naming the file and the key."""

    def __init__(self, shown: str):
        self.shown, self.lines = shown, []

    def value(self, where: str, v: Any, bad: _Bad) -> None:
        text = f" 应为{bad.expected}，实为 {_show(v)}" if bad.expected else f" = {_show(v)}：{bad.reason}"
        self.lines.append(f"评分方案 {self.shown} 的 {where}{text}")

    def at(self, where: str, text: str) -> None:
        self.lines.append(f"评分方案 {self.shown} 的 {where}：{text}")

    def file(self, text: str) -> None:
        self.lines.append(f"评分方案 {self.shown}：{text}")

    def check(self, where: str, check: Checker, v: Any) -> None:
        try:
            check(v)
        except _Bad as bad:
            self.value(where, v, bad)

    def unknown(self, what: str, label: str, word: str, options, extra: str = "") -> None:
        """未知的键/节 <label>, with the closest allowed word and the allowed ones."""
        hint = _guess(word, options) + (extra or "可用：" + "、".join(options))
        self.file(f"未知的{what} {label}（{hint}）")

    def raise_if_any(self) -> None:
        if self.lines:
            raise ProfileError("\n".join(self.lines), file=self.shown, faults=self.lines)


def _check_file(data: dict[str, Any], f: _Faults) -> None:
    """Every section, key and value of one file, before it is merged with what it extends."""
    if not data:
        f.file(f'是空文件；至少写 [profile] extends = "{DEFAULT_PROFILE}"，再写与之不同的设置。')
        return
    schema = _schema()
    if "extends" in data and "extends" in (data.get("profile") if isinstance(data.get("profile"), dict) else {}):
        f.file("extends 写了两处（顶层与 [profile]），只能写一处")
    for sect, body in data.items():
        if sect == "extends" and not isinstance(body, dict):      # also accepted at the top level
            f.check("extends", _name, body)
            continue
        if sect not in schema:
            if isinstance(body, dict):
                f.unknown("节", f"[{sect}]", sect, list(schema))
            else:
                home = [f"[{s}]" for s, keys in schema.items() if sect in keys]
                f.unknown("键", _key(sect), sect, [], (f"应写在 {'或'.join(home)} 下？" if home else "")
                          + f"顶层只能写 extends 和各节：{'、'.join(f'[{s}]' for s in schema)}")
            continue
        if not isinstance(body, dict):
            f.value(f"[{sect}]", body, _Bad(expected=f"一节（在 [{sect}] 下逐行写键）"))
            continue
        if sect in _CODE_SECTIONS:
            codes_of, check = _CODE_SECTIONS[sect]
            codes = codes_of() if body else set()
            for code, v in body.items():
                where = f"[{sect}] {json.dumps(code, ensure_ascii=False)}"
                if code not in codes:
                    guess = _guess(code, codes)
                    f.at(where, "没有这条审核规则（" + (guess if guess else "") + "规则目录见 gridbudget rules）")
                f.check(where, check, v)
            continue
        for key, v in body.items():
            check = schema[sect].get(key)
            if check is None:
                f.unknown("键", f"[{sect}] {_key(key)}", key, list(schema[sect]))
            elif isinstance(check, dict):
                _check_items(sect, key, check, v, f)
            else:
                f.check(f"[{sect}] {_key(key)}", check, v)


def _check_items(sect: str, key: str, schema: dict[str, Checker], v: Any, f: _Faults) -> None:
    """An array of tables such as [[rubric.items]]."""
    if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
        f.value(f"[{sect}] {key}", v, _Bad(expected=f"一组表，每项以 [[{sect}.{key}]] 开头"))
        return
    for i, item in enumerate(v, 1):
        where = f"[[{sect}.{key}]] 第 {i} 项"
        for k, x in item.items():
            check = schema.get(k)
            if check is None:
                f.unknown("键", f"{where} {_key(k)}", k, list(schema))
            else:
                f.check(f"{where} {_key(k)}", check, x)
        for k in _ITEM_REQUIRED.get((sect, key), ()):
            if k not in item:
                f.file(f"缺少键 {where} {k}")


def _check_complete(data: dict[str, Any], f: _Faults, extends: bool) -> None:
    """After merging: the keys the code has no fallback for are all set."""
    schema = _schema()
    for sect in _COMPLETE:
        have = data.get(sect, {})
        missing = [k for k in schema[sect] if k not in have]
        if missing:
            hint = "" if extends else (f'（没有 extends 的方案须写出 [{sect}] 的全部键；'
                                       f'或写 [profile] extends = "{DEFAULT_PROFILE}" 沿用其余设置）')
            f.file(f"缺少键 [{sect}] {'、'.join(missing)}{hint}")
    ex = data.get("exec_rate", {})
    if ex.get("mode") == "tiered" and "tiers" not in ex:
        f.file('缺少键 [exec_rate] tiers（mode = "tiered" 须写出分档）')


# ---------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------
_LOADED: dict[str, Profile] = {}
_OWN_ONLY = ("name", "title", "description")   # [profile] keys a profile does not inherit


def load_profile(name_or_path: str | None = None) -> Profile:
    """A packaged profile by name, or a TOML file; a file may say ``extends = "national-2020"``.

    The profile is validated completely (every file of an ``extends`` chain); any fault is a
    :class:`ProfileError` naming the file and the key. Profiles are read once per process and
    shared (treat them as read-only).
    """
    return _load(name_or_path or DEFAULT_PROFILE, ())


def _load(key: str, chain: tuple[tuple[str, str], ...]) -> Profile:
    hit = _LOADED.get(key)
    if hit is not None and (not hit.path or Path(hit.path).exists()):
        return hit
    prof = _load_profile(key, chain)
    _LOADED[key] = prof
    return prof


def _locate(name_or_path: str) -> tuple[Path, str]:
    """The file of a profile name or path, and how messages name it."""
    p = Path(name_or_path)
    if p.suffix.lower() == ".toml" or p.exists():
        return p, str(p)
    f = PROFILE_DIR / f"{name_or_path}.toml"
    if not f.exists():
        raise ProfileError(f"没有名为“{name_or_path}”的评分方案；可用：{'、'.join(available_profiles())}，"
                           "或给出 .toml 文件路径。", file=name_or_path)
    return f, f.name


def _base_ref(ref: str, path: Path) -> str:
    """``extends`` names a packaged profile or a path; a relative path that does not exist as
    given is looked up beside the file that extends it."""
    p = Path(ref)
    if not p.is_absolute() and not p.exists() and (path.parent / p).exists():
        return str(path.parent / p)
    return ref


def _load_profile(name_or_path: str, chain: tuple[tuple[str, str], ...]) -> Profile:
    path, shown = _locate(name_or_path)
    data = _read_toml(path, shown)
    faults = _Faults(shown)
    _check_file(data, faults)
    faults.raise_if_any()
    own = data.get("profile", {})
    ref = own.get("extends") or data.get("extends")
    chain = chain + ((str(path.resolve()), shown),)
    if ref:
        where = "[profile] extends" if own.get("extends") else "extends"
        base_key = _base_ref(ref, path)
        try:
            base_path, base_shown = _locate(base_key)
        except ProfileError as exc:
            raise ProfileError(f"评分方案 {shown} 的 {where} = {_show(ref)}：{exc.message}", file=shown) from None
        if not base_path.is_file():
            raise ProfileError(f"评分方案 {shown} 的 {where} = {_show(ref)}：找不到评分方案文件 {base_shown}。",
                               file=shown)
        if str(base_path.resolve()) in {c[0] for c in chain}:
            loop = " → ".join([c[1] for c in chain] + [base_shown])
            err = ProfileError(f"评分方案 {shown} 的 {where} = {_show(ref)}：继承关系成环（{loop}）。", file=shown)
            err.whole_chain = True                        # type: ignore[attr-defined]
            raise err
        try:
            base = _load(base_key, chain)
        except ProfileError as exc:                       # a fault of the base: say who uses it
            if getattr(exc, "whole_chain", False):
                raise
            raise ProfileError(f"{exc.message}\n（{shown} 的 {where} = {_show(ref)} 继承了它）",
                               file=exc.file, faults=exc.faults) from None
        merged = _merge(base.data, data)
        merged["profile"] = {k: v for k, v in merged.get("profile", {}).items() if k not in _OWN_ONLY or k in own}
        data = merged
    _check_complete(data, faults, bool(ref))
    faults.raise_if_any()
    name = own.get("name") or path.stem
    return Profile(name, data, str(path))
