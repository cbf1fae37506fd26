"""Read what accountants type into cells: amounts, quantities, rates, scores, counts.

Everything here is a small pure function over one cell value. Nothing guesses: a
value that cannot be read with certainty comes back with ``error`` set (a Chinese
message quoting the text) and ``value`` None. Money is :class:`decimal.Decimal`
throughout; floats from cells are converted through their shortest ``repr`` and
cleaned of binary noise (``116.95000000000002`` -> ``116.95``).

User-facing messages are Chinese; code and comments are English.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, fields, replace
from decimal import Decimal
from functools import lru_cache

__all__ = [
    "Amount",
    "Quantity",
    "normalize_text",
    "is_blank",
    "chinese_number",
    "parse_amount",
    "parse_quantity",
    "parse_rate",
    "parse_score",
    "parse_count",
    "is_no_deviation",
]

# ---------------------------------------------------------------------------
# Text normalisation
# ---------------------------------------------------------------------------

_NORMALIZE_TABLE: dict[int, int | str | None] = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_NORMALIZE_TABLE.update(
    {
        0x3000: " ",  # ideographic space
        0x00A0: " ",  # no-break space
        0x202F: " ",  # narrow no-break space
        0x1680: " ",
        0x205F: " ",
        **{i: " " for i in range(0x2000, 0x200B)},  # en/em/thin/hair spaces
        0xFE66: "=",  # small equals sign (﹦), as some provinces type 指标性质
        0xFE64: "<",  # small less-than / greater-than
        0xFE65: ">",
        0xFFE5: "¥",  # full-width yen/yuan sign
        0xFFE0: "¢",
        0xFFE1: "£",
        0x200B: None,  # zero-width space
        0x200C: None,
        0x200D: None,
        0x2060: None,  # word joiner
        0xFEFF: None,  # BOM / zero-width no-break space
    }
)
_DIGIT_SPACE_RE = re.compile(r"(?<=[0-9])\s+(?=[0-9])")
# a character the table changes (most texts have none: looking is four times cheaper than translating)
_TRANSLATED_RE = re.compile("[" + "".join(re.escape(chr(k)) for k in sorted(_NORMALIZE_TABLE)) + "]")


def normalize_text(s: str) -> str:
    """Full-width ASCII to half-width, strip both ends, remove spaces between digits.

    CJK characters are left alone. Inner ideographic and no-break spaces become
    ordinary spaces; zero-width characters are removed. Idempotent.
    """
    if not isinstance(s, str):
        s = str(s)
    if _TRANSLATED_RE.search(s) is not None:
        s = s.translate(_NORMALIZE_TABLE)
    s = s.strip()
    if " " in s or "\t" in s or "\n" in s or "\r" in s:
        s = _DIGIT_SPACE_RE.sub("", s)
    return s


_BLANK_WORDS = frozenset({"", "无", "空", "不适用", "N/A"})
_BLANK_MARK_RE = re.compile(r"[-—–―‐‑‒−﹣⸺⸻]+|/+|\\+")


def _is_blank_text(t: str) -> bool:
    """``t`` is already normalised."""
    return t in _BLANK_WORDS or t.upper() in _BLANK_WORDS or _BLANK_MARK_RE.fullmatch(t) is not None


def is_blank(raw: object) -> bool:
    """True for None, empty/whitespace text, dashes (—, ——, -, --), 无, /, 空, 不适用, N/A and NaN."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return _is_blank_text(normalize_text(raw))
    if isinstance(raw, float):
        return math.isnan(raw)
    if isinstance(raw, Decimal):
        return raw.is_nan()
    return False


# ---------------------------------------------------------------------------
# Decimal helpers
# ---------------------------------------------------------------------------

_TEN_DP = Decimal("1e-10")


def _shift(d: Decimal, places: int) -> Decimal:
    """Exactly ``d * 10**places`` (no context rounding), trailing zeros trimmed."""
    sign, digits, exp = d.as_tuple()
    return _trim(Decimal((sign, digits, exp + places)))  # type: ignore[operator]


def _trim(d: Decimal) -> Decimal:
    """Drop trailing fractional zeros and positive exponents without context rounding."""
    sign, digits, exp = d.as_tuple()
    if not isinstance(exp, int):
        return d
    if exp > 0:
        return Decimal((sign, digits + (0,) * exp, 0))
    if exp == 0 or digits[-1] != 0:
        return d
    n = len(digits)
    while exp < 0 and n > 1 and digits[n - 1] == 0:
        n -= 1
        exp += 1
    if n == 1 and digits[0] == 0:
        return Decimal((sign, (0,), 0))
    return Decimal((sign, digits[:n], exp))


def _clean_float(v: float) -> Decimal:
    """A float from a cell as the decimal the user meant.

    Keeps at most 15 significant digits (what a double carries reliably) and at most
    10 decimal places: 116.95000000000002 -> 116.95, 0.30000000000000004 -> 0.3.
    """
    d = Decimal(format(v, ".15g"))
    if d.as_tuple().exponent < -10:  # type: ignore[operator]
        d = d.quantize(_TEN_DP)
    return _trim(d)


class _NotANumber(Exception):
    pass


def _number_to_decimal(raw: object) -> Decimal | None:
    """Decimal for a numeric cell value; None for NaN; raises _NotANumber otherwise.

    Infinite values and booleans raise _NotANumber too.
    """
    tp = type(raw)
    if tp is int:
        return Decimal(raw)  # type: ignore[arg-type]
    if tp is float:
        if math.isnan(raw):  # type: ignore[arg-type]
            return None
        if math.isinf(raw):  # type: ignore[arg-type]
            raise _NotANumber
        return _clean_float(raw)  # type: ignore[arg-type]
    if tp is Decimal:
        if raw.is_nan():  # type: ignore[union-attr]
            return None
        if raw.is_infinite():  # type: ignore[union-attr]
            raise _NotANumber
        return raw  # type: ignore[return-value]
    if isinstance(raw, bool):
        raise _NotANumber
    if isinstance(raw, Decimal):
        return _number_to_decimal(Decimal(raw))
    if isinstance(raw, numbers.Integral):
        return Decimal(int(raw))
    if isinstance(raw, numbers.Real):
        return _number_to_decimal(float(raw))
    raise _NotANumber


def _is_number(raw: object) -> bool:
    return type(raw) in (int, float, Decimal) or (
        isinstance(raw, numbers.Real) and not isinstance(raw, bool)
    )


def _fmt(d: Decimal) -> str:
    return format(d, "f")


def _fraction_digits(num: str) -> int:
    i = num.find(".")
    return 0 if i < 0 else len(num) - i - 1


# ---------------------------------------------------------------------------
# Chinese numerals
# ---------------------------------------------------------------------------

_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2,
    "三": 3, "叁": 3, "參": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6,
    "陸": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}  # fmt: skip
_CN_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_WAN = "万萬"
_CN_YI = "亿億"
_CN_CHARS = "".join(_CN_DIGITS) + "".join(_CN_SMALL_UNITS) + _CN_WAN + _CN_YI


def _cn_small(s: str) -> int | None:
    """A numeral below 10 000 without 万/亿, e.g. 两千三百, 一百零五, 十二, 一百一 (110)."""
    if len(s) == 1:
        if s in _CN_DIGITS:
            return _CN_DIGITS[s]
        if s in _CN_SMALL_UNITS:  # 十 / 百 / 千 alone (十余次, 百余人)
            return _CN_SMALL_UNITS[s]
        return None
    total = 0
    cur: int | None = None
    last_unit = 10000
    zero = False
    started = False
    for ch in s:
        d = _CN_DIGITS.get(ch)
        if d is not None:
            if cur is not None:
                return None  # two digits in a row (一二): not a positional numeral
            if d == 0:
                if not started or zero:
                    return None
                zero = True
                continue
            cur = d
            started = True
            continue
        u = _CN_SMALL_UNITS.get(ch)
        if u is None or u >= last_unit:
            return None
        if cur is None:
            if u == 10 and not started:
                cur = 1  # leading 十 means 一十
            else:
                return None
        total += cur * u
        cur = None
        last_unit = u
        zero = False
        started = True
    if cur is not None:
        if zero or last_unit in (10, 10000):
            total += cur
        else:
            total += cur * (last_unit // 10)  # colloquial: 两千三 = 2300, 一百一 = 110
    elif zero:
        return None  # trailing 零
    return total


def _cn_rest(right: str, big: int) -> int | None:
    """The part after 万/亿: must stay below ``big``."""
    if not right:
        return 0
    if right[0] in "零〇":
        v = _cn_int(right[1:])
        return v if v is not None and 0 < v < big else None
    if len(right) == 1 and right in _CN_DIGITS:
        return _CN_DIGITS[right] * (big // 10)  # colloquial: 一万五 = 15000
    v = _cn_int(right)
    return v if v is not None and v < big else None


def _cn_int(s: str) -> int | None:
    if not s:
        return None
    for big_chars, big, left_parser in ((_CN_YI, 10**8, "int"), (_CN_WAN, 10**4, "small")):
        i = max(s.rfind(big_chars[0]), s.rfind(big_chars[1]))
        if i < 0:
            continue
        left, right = s[:i], s[i + 1 :]
        if not left:
            lv: int | None = 1 if not right else None  # 万 / 亿 alone
        elif left_parser == "int":
            lv = _cn_int(left)
        else:
            lv = _cn_small(left)
        if not lv:
            return None
        rv = _cn_rest(right, big)
        if rv is None:
            return None
        return lv * big + rv
    return _cn_small(s)


_CN_BIG_EXP = {"万": 4, "萬": 4, "亿": 8, "億": 8}


@lru_cache(maxsize=1024)
def _chinese_number_cached(s: str) -> Decimal | None:
    int_part, sep, frac = s.partition("点")
    v = _cn_int(int_part)
    if v is None:
        return None
    if not sep:
        return Decimal(v)
    exp = 0
    while frac and frac[-1] in _CN_BIG_EXP:  # 一点五亿 = 1.5 × 10^8, 三点五万亿
        exp += _CN_BIG_EXP[frac[-1]]
        frac = frac[:-1]
    if not frac or any(ch not in _CN_DIGITS or ch in "两兩" for ch in frac):
        return None
    if exp and any(ch in _CN_BIG_EXP for ch in int_part):
        return None  # 一万点五万: not a numeral
    d = Decimal(f"{v}.{''.join(str(_CN_DIGITS[ch]) for ch in frac)}")
    return _shift(d, exp) if exp else d


def chinese_number(s: str) -> Decimal | None:
    """Chinese numeral to Decimal: 十二 -> 12, 两千三百 -> 2300, 一百零五 -> 105, 三万 -> 30000.

    Also financial forms (壹佰贰拾), colloquial elisions (一万五 -> 15000) and a decimal
    part (三点五 -> 3.5, 一点五亿 -> 150000000). None when ``s`` is not exactly one
    Chinese numeral.
    """
    if not isinstance(s, str):
        return None
    s = normalize_text(s)
    if not s or len(s) > 40:      # no real numeral is longer; 一亿一亿一… would recurse deeply
        return None
    return _chinese_number_cached(s)


# ---------------------------------------------------------------------------
# Result types
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Amount:
    raw: object  # exactly what came from the cell
    value: Decimal | None  # in the target unit; None when empty or unreadable
    empty: bool
    error: str | None  # Chinese reason when the text could not be understood
    unit_seen: str | None  # unit word found in the text ("万元", "元", "亿元", ...)


@dataclass(frozen=True)
class Quantity:
    raw: object
    op: str | None  # ">=", "<=", ">", "<", "=", "between" or None
    value: Decimal | None  # the number (for "between", the lower bound)
    upper: Decimal | None  # for "between" only
    unit: str | None  # unit word after the number ("%", "次", "万元", ...)
    approx: str | None  # "at_least", "about" or None
    qualitative: bool  # a 定性 target or a qualitative result
    text: str | None  # normalised text
    empty: bool
    error: str | None  # Chinese message when a number-looking value could not be read
    decimals: int | None = None  # decimals shown in the text ("81.20%" -> 2)


def _amount(raw: object, value: Decimal | None, empty: bool, error: str | None, unit_seen: str | None) -> Amount:
    """An Amount, built without the frozen dataclass's ``__init__`` (one ``object.__setattr__`` per field:
    most of the cost of reading a value). The result is the same frozen, comparable, hashable object."""
    a = object.__new__(Amount)
    a.__dict__.update(raw=raw, value=value, empty=empty, error=error, unit_seen=unit_seen)
    return a


# ---------------------------------------------------------------------------
# Amounts
# ---------------------------------------------------------------------------

_MONEY_EXP = {"元": 0, "千元": 3, "万元": 4, "亿元": 8}
_MONEY_SUFFIX = {"元": "元", "千元": "千元", "万元": "万元", "万": "万元", "亿元": "亿元", "亿": "亿元"}
_NUM = r"[0-9]+(?:\.[0-9]+)?"
_NUM_GROUPED = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?"
_AMOUNT_RE = re.compile(
    rf"(?P<cur>¥)?(?P<sign>[-+])?(?P<cur2>¥)?(?P<num>{_NUM_GROUPED})(?P<unit>万元|亿元|千元|元|万|亿)?"
)
_CN_AMOUNT_RE = re.compile(rf"(?P<sign>-)?(?P<cn>[{_CN_CHARS}]+(?:点[{_CN_CHARS}]+)?元?)")
_MINUS_TABLE = str.maketrans({"−": "-", "﹣": "-", "﹢": "+"})


def _compact(t: str) -> str:
    """Normalised text without any whitespace."""
    return "".join(t.split()) if (" " in t or "\t" in t or "\n" in t or "\r" in t) else t


def _amount_text(c: str) -> tuple[Decimal, str | None] | None:
    """(number, canonical money unit or None) for a compact amount text, or None."""
    c = c.translate(_MINUS_TABLE)
    m = _AMOUNT_RE.fullmatch(c)
    if m is not None:
        if m["cur"] and m["cur2"]:
            return None
        d = Decimal(m["num"].replace(",", ""))
        if m["sign"] == "-":
            d = -d
        unit = _MONEY_SUFFIX[m["unit"]] if m["unit"] else None
        if (m["cur"] or m["cur2"]) and unit is None:
            unit = "元"
        return d, unit
    m = _CN_AMOUNT_RE.fullmatch(c)
    if m is None:
        return None
    body = m["cn"]
    yuan = body.endswith("元")
    if yuan:
        body = body[:-1]
    d = chinese_number(body)
    if d is None:
        return None
    # The numeral counts 元: 五十万 -> 50 万元, 一亿五千万 -> 15000 万元, 一万五 -> 15000 元.
    unit: str | None
    if body[-1] in "万萬":
        d, unit = _shift(d, -4), "万元"
    elif body[-1] in "亿億":
        d, unit = _shift(d, -8), "亿元"
    elif yuan or any(ch in body for ch in "万萬亿億"):
        unit = "元"
    else:
        unit = None
    if m["sign"]:
        d = -d
    return d, unit


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[:n] + "…"


def _amount_error(raw: object, text: str, kind: str = "金额") -> Amount:
    return _amount(raw=raw, value=None, empty=False, error=f"无法识别的{kind}：“{_short(text)}”", unit_seen=None)


def parse_amount(raw: object, *, unit: str = "万元") -> Amount:
    """Read a money cell into ``unit`` (万元 by default; also 元, 千元, 亿元).

    Numbers pass through as already being in ``unit``. Text may carry a unit
    (116.95万元, 1,169,500元, 1.2亿) and is converted exactly. Blank markers give
    ``empty``; anything else that is not exactly one amount gives ``error``.
    """
    target_exp = _MONEY_EXP.get(unit)
    if target_exp is None:
        raise ValueError(f"不支持的金额单位：“{unit}”")
    if raw is None:
        return _amount(raw=raw, value=None, empty=True, error=None, unit_seen=None)
    if isinstance(raw, str):
        t = normalize_text(raw)
        if _is_blank_text(t):
            return _amount(raw=raw, value=None, empty=True, error=None, unit_seen=None)
        parsed = _amount_text(_compact(t))
        if parsed is None:
            return _amount_error(raw, t)
        d, seen = parsed
        if seen is not None and seen != unit:
            d = _shift(d, _MONEY_EXP[seen] - target_exp)
        return _amount(raw=raw, value=d, empty=False, error=None, unit_seen=seen)
    try:
        d = _number_to_decimal(raw)
    except _NotANumber:
        return _amount_error(raw, str(raw))
    if d is None:
        return _amount(raw=raw, value=None, empty=True, error=None, unit_seen=None)
    return _amount(raw=raw, value=d, empty=False, error=None, unit_seen=None)


# ---------------------------------------------------------------------------
# Quantities
# ---------------------------------------------------------------------------

# Operators written in front of the number. "ctrl" (控制在) takes its direction from
# the suffix (以内 -> <=, 以上 -> >=) and defaults to <=.
_OP_WORDS: dict[str, str] = {
    "≥": ">=", ">=": ">=", "=>": ">=", "≥=": ">=",
    "≤": "<=", "<=": "<=", "=<": "<=", "≤=": "<=",
    ">": ">", "<": "<", "=": "=", "==": "=",
    "大于等于": ">=", "大于或等于": ">=", "不低于": ">=", "不少于": ">=", "不小于": ">=",
    "不得低于": ">=", "不得少于": ">=", "不得小于": ">=", "达到": ">=", "达": ">=",
    "至少": ">=", "最少": ">=",
    "小于等于": "<=", "小于或等于": "<=", "不超过": "<=", "不高于": "<=", "不多于": "<=",
    "不大于": "<=", "不得超过": "<=", "不得高于": "<=", "不得多于": "<=", "不得大于": "<=",
    "至多": "<=", "最多": "<=",
    "低于": "<", "少于": "<", "小于": "<",
    "高于": ">", "超过": ">", "多于": ">", "大于": ">",
    "等于": "=",
    "控制在": "ctrl", "控制于": "ctrl",
}  # fmt: skip
_POST_OP = {"以上": ">=", "及以上": ">=", "以下": "<=", "及以下": "<=", "以内": "<=", "之内": "<=", "内": "<="}
_POST_ABOUT = frozenset({"左右", "上下"})
_POST_AT_LEAST = frozenset({"以上", "及以上"})
_MULT_EXP = {"百": 2, "千": 3, "万": 4, "百万": 6, "千万": 7, "亿": 8, "万亿": 12}
_OP_CANON = str.maketrans(
    {"≧": "≥", "⩾": "≥", "≦": "≤", "⩽": "≤", "═": "=", "−": "-", "﹣": "-", "〜": "~", "﹪": "%", "٪": "%"}
)

# Measure words recognised inside prose and after Chinese numerals. A whole-cell value
# such as "3个工作日" keeps any CJK word after the number as typed.
_KNOWN_UNITS = [
    "%", "‰", "‱", "℃", "㎡", "㎞", "㎏", "m²", "m³", "km", "kg",
    "个百分点", "百分点", "人次", "户次", "场次", "车次", "批次", "件次", "台次", "架次",
    "个工作日", "工作日", "个月", "小时", "分钟", "课时", "学时", "平方米", "平米", "立方米",
    "公顷", "公里", "千米", "公斤", "千克", "万元", "亿元",
    "次", "个", "人", "名", "位", "条", "天", "日", "月", "年", "周", "秒", "亩", "米", "吨",
    "户", "场", "期", "份", "项", "家", "件", "所", "台", "套", "辆", "座", "处", "篇", "本",
    "册", "批", "轮", "类", "种", "组", "支", "间", "张", "块", "部", "页", "起", "宗", "笔",
    "元", "株", "棵", "头", "只", "村", "幅", "栋", "幢", "班", "节", "门", "床", "盏", "例",
    "单", "网格", "个村", "个社区",
]  # fmt: skip


def _alt(words: object) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))  # type: ignore[arg-type]


_OPS = _alt(_OP_WORDS)
_ABOUT = "大约|大概|将近|接近|约|近|逾"  # 逾 (more than) reads as at_least
_POST = _alt(list(_POST_OP) + list(_POST_ABOUT) + ["之间"])
_SEP = "——|—|–|―|-|~|至|到"
_MULT = _alt(_MULT_EXP)
_SIGN = r"(?P<sign>(?<![0-9%])[-+])?"
_UNIT_ANY = (
    rf"(?:%|‰|‱|℃|㎡|㎞|㎏|m²|m³|[A-Za-z]{{1,5}}[23²³]?|(?!{_POST})[\u3400-\u9fff]{{1,6}}?)"
    r"(?:/[A-Za-z\u3400-\u9fff]{1,4})?"
)
_UNIT_KNOWN = rf"(?:{_alt(_KNOWN_UNITS)})(?:/[\u3400-\u9fff])?"


def _expr(num: str, unit: str) -> str:
    return (
        rf"(?P<op>{_OPS})?(?P<about>{_ABOUT})?{_SIGN}"
        rf"(?P<n1>{num})(?P<qa>余|多)?(?P<m1>{_MULT})?(?P<qb>余|多)?(?P<u1>{unit})?"
        rf"(?:(?P<sep>{_SEP})(?P<n2>{num})(?P<m2>{_MULT})?(?P<u2>{unit})?)?"
        rf"(?P<post>{_POST})?"
    )


# A whole cell that is one quantity, e.g. "≥1次", "100余次", "90%-100%", "3个工作日内".
_WHOLE_RE = re.compile(_expr(_NUM_GROUPED, _UNIT_ANY))
# The same when the cell holds a Chinese comma (，): a clause separator, not thousands.
_WHOLE_PLAIN_RE = re.compile(_expr(_NUM, _UNIT_ANY))
# A quantity inside prose, e.g. "人口信息等累计18万余条"; no thousands separators here,
# because a Chinese comma (，) separates clauses.
_SCAN_RE = re.compile(_expr(_NUM, _UNIT_KNOWN))
# A whole cell written in Chinese numerals, e.g. "≥三次", "十二个", "一百多人".
_CN_WHOLE_RE = re.compile(
    rf"(?P<op>{_OPS})?(?P<about>{_ABOUT})?(?P<pct>百分之)?"
    rf"(?P<cn>[{_CN_CHARS}]+(?:点[{_CN_CHARS}]+)?)(?:(?P<sep>{_SEP})(?P<cn2>[{_CN_CHARS}]+))?"
    rf"(?P<q>余|多)?(?P<u>{_UNIT_KNOWN})?(?P<post>{_POST})?"
)
# Dates and ordinals are not quantities: 2024年12月31日, 12月底, 2024-12-31, 第3.
_DATE_RE = re.compile(
    r"(?<![0-9.])(?:"
    r"(?:19|20)[0-9]{2}年(?:[0-9]{1,2}月(?:[0-9]{1,2}[日号])?)?"
    r"|(?:19|20)[0-9]{2}[-/.][0-9]{1,2}[-/.][0-9]{1,2}"
    r"|[0-9]{1,2}月(?:[0-9]{1,2}[日号]|底|末|初|中旬|上旬|下旬|份|前)"
    r"|第[0-9]+)"
)
_HAS_DIGIT_RE = re.compile(r"[0-9]")
_RATIO_RE = re.compile(r"[0-9][:/∶][0-9]")
_NUMBER_SYMBOLS = frozenset("≥≤<>=%‰")
_HUNDRED_PERCENT = frozenset({"百分百", "百分之百"})
_MONEY_MULT = {"万": "万元", "亿": "亿元"}


class _Unreadable(Exception):
    """Raised inside quantity parsing with the Chinese reason as its message."""


_Q_DEFAULTS: dict[str, object] = {
    "op": None, "value": None, "upper": None, "unit": None, "approx": None,
    "qualitative": False, "text": None, "empty": False, "error": None, "decimals": None,
}  # fmt: skip


def _q(raw: object, **kw: object) -> Quantity:
    """A Quantity with the fields not given at their defaults (built as :func:`_amount` builds an Amount)."""
    if not kw.keys() <= _Q_DEFAULTS.keys():
        raise TypeError(f"Quantity has no field {sorted(kw.keys() - _Q_DEFAULTS.keys())}")
    q = object.__new__(Quantity)
    d = q.__dict__
    d["raw"] = raw
    d.update(_Q_DEFAULTS)
    d.update(kw)
    return q


# the two builders set every field of their dataclass, no more (checked once, at import)
if list(_Q_DEFAULTS) != [f.name for f in fields(Quantity)][1:] or \
        _amount.__code__.co_varnames[:5] != tuple(f.name for f in fields(Amount)):
    raise ImportError("values: _q / _amount out of step with Quantity / Amount")


def _money_unit(value: Decimal, mult: str | None, unit: str | None) -> tuple[Decimal, str | None]:
    """Apply a 万/亿 multiplier, except in 万元/亿元 (a money unit, kept as typed)."""
    if mult is None:
        return value, unit
    if unit is not None and unit.startswith("元") and mult[-1] in _MONEY_MULT:
        rest = mult[:-1]
        if rest:  # 千万元 -> 1000 万元
            value = _shift(value, _MULT_EXP[rest])
        return value, _MONEY_MULT[mult[-1]] + unit[1:]
    return _shift(value, _MULT_EXP[mult]), unit


def _resolve_op(op_tok: str | None, post: str | None, text: str) -> str | None:
    op = _OP_WORDS[op_tok] if op_tok else None
    post_op = _POST_OP.get(post) if post else None
    if op == "ctrl":
        return post_op or "<="
    if post_op is None or op is None or op == post_op:
        return post_op if op is None else op
    if op[0] == post_op[0] and op != "=":  # ">" with 以上: keep the explicit operator
        return op
    raise _Unreadable(f"无法识别的数值：“{text}”（比较符号与“{post}”矛盾）")


def _resolve_approx(about: str | None, q: bool, post: str | None) -> str | None:
    if (about is not None and about != "逾") or post in _POST_ABOUT:
        return "about"
    if q or about == "逾" or post in _POST_AT_LEAST:
        return "at_least"
    return None


def _from_match(m: re.Match[str], raw: object, t: str) -> Quantity:
    """Build a Quantity from a _WHOLE_RE / _SCAN_RE match; raises _Unreadable."""
    if m["qa"] and m["qb"]:
        raise _Unreadable(f"无法识别的数值：“{t}”")
    n1s = m["n1"]
    value = Decimal(n1s.replace(",", ""))
    if m["sign"] == "-":
        value = -value
    value, unit = _money_unit(value, m["m1"], m["u1"])
    post = m["post"]
    upper: Decimal | None = None
    if m["n2"] is not None:
        if m["op"] or m["qa"] or m["qb"] or post in _POST_OP:
            raise _Unreadable(f"无法识别的数值：“{t}”")
        upper, unit2 = _money_unit(Decimal(m["n2"].replace(",", "")), m["m2"], m["u2"])
        if m["m1"] is None and m["m2"] is not None and unit2 == m["u2"]:
            # "5-10万人": the multiplier applies to both ends ("5-10万元" is 万元 for both)
            value = _shift(value, _MULT_EXP[m["m2"]])
        if unit is None:
            unit = unit2
        elif unit2 is not None and unit2 != unit:
            raise _Unreadable(f"无法识别的数值：“{t}”（区间两端单位不一致）")
        if value > upper:
            raise _Unreadable(f"无法识别的数值：“{t}”（区间下限大于上限）")
        op: str | None = "between"
    else:
        op = _resolve_op(m["op"], post, t)
    approx = _resolve_approx(m["about"], bool(m["qa"] or m["qb"]), post)
    return _q(
        raw,
        op=op,
        value=value,
        upper=upper,
        unit=unit,
        approx=approx,
        text=t,
        decimals=_fraction_digits(n1s),
    )


def _scan(c: str, raw: object, t: str) -> Quantity:
    """Exactly one quantity (or one range) inside prose, else an error."""
    if _RATIO_RE.search(c) is not None:  # 1:1, 3/4: a ratio is not one quantity
        raise _Unreadable(f"无法识别的数值：“{t}”")
    found: list[Quantity] = []
    for m in _SCAN_RE.finditer(c):
        q = _from_match(m, raw, t)
        if not found or all(
            (q.value, q.upper, q.unit) != (f.value, f.upper, f.unit) for f in found
        ):
            found.append(q)
    if len(found) == 1:
        return found[0]
    if not found:
        raise _Unreadable(f"无法识别的数值：“{t}”")
    raise _Unreadable(f"无法识别的数值：“{t}”（含有多个数字，无法确定以哪个为准）")


def _chinese_whole(m: re.Match[str], raw: object, t: str) -> Quantity:
    cn = m["cn"]
    unit = m["u"]
    value: Decimal | None = None
    if unit is not None and unit.startswith("元") and len(cn) > 1 and cn[-1] in "万亿":
        value = chinese_number(cn[:-1])
        unit = _MONEY_MULT[cn[-1]] + unit[1:]
    if value is None:
        value = chinese_number(cn)
        unit = m["u"]
    if value is None:
        raise _Unreadable(f"无法识别的数值：“{t}”")
    if m["pct"]:
        if unit is not None:
            raise _Unreadable(f"无法识别的数值：“{t}”")
        unit = "%"
    post = m["post"]
    upper: Decimal | None = None
    if m["cn2"] is not None:  # 三至五次
        upper = chinese_number(m["cn2"])
        if upper is None or m["op"] or m["q"] or post in _POST_OP or unit != m["u"] or value > upper:
            raise _Unreadable(f"无法识别的数值：“{t}”")
        op: str | None = "between"
    elif post == "之间":
        raise _Unreadable(f"无法识别的数值：“{t}”")
    else:
        op = _resolve_op(m["op"], post, t)
    return _q(
        raw,
        op=op,
        value=value,
        upper=upper,
        unit=unit,
        approx=_resolve_approx(m["about"], m["q"] is not None, post),
        text=t,
        decimals=0 if "点" not in cn else len(cn) - cn.index("点") - 1,
    )


def _quantity_from_text(raw: object, t: str) -> Quantity:
    c = _compact(t).translate(_OP_CANON)
    if _HAS_DIGIT_RE.search(c) is None:
        m = _CN_WHOLE_RE.fullmatch(c)
        if m is not None:
            return _chinese_whole(m, raw, t)
        if c in _HUNDRED_PERCENT:
            return _q(raw, value=Decimal(100), unit="%", text=t, decimals=0)
        if any(ch in _NUMBER_SYMBOLS for ch in c):
            raise _Unreadable(f"无法识别的数值：“{t}”")
        return _q(raw, qualitative=True, text=t)
    if _DATE_RE.search(c) is not None:
        c = _DATE_RE.sub(" ", c)
        if _HAS_DIGIT_RE.search(c) is None:
            return _q(raw, qualitative=True, text=t)  # a date or deadline, e.g. 12月底前
        return _scan(c, raw, t)
    whole = _WHOLE_PLAIN_RE if isinstance(raw, str) and "，" in raw else _WHOLE_RE
    m = whole.fullmatch(c)
    if m is not None:
        return _from_match(m, raw, t)
    return _scan(c, raw, t)


@lru_cache(maxsize=8192)
def _parse_quantity_str(raw: str) -> Quantity:
    t = normalize_text(raw)
    if _is_blank_text(t):
        return _q(raw, empty=True, text=t or None)
    try:
        return _quantity_from_text(raw, t)
    except _Unreadable as exc:
        return _q(raw, text=t, error=str(exc))


def _quantity_from_number(raw: object, percent_cell: bool) -> Quantity:
    try:
        d = _number_to_decimal(raw)
    except _NotANumber:
        return _q(raw, text=str(raw), error=f"无法识别的数值：“{raw}”")
    if d is None:
        return _q(raw, empty=True)
    if percent_cell:
        v = _shift(d, 2)
        return _q(raw, value=v, unit="%", text=f"{_fmt(v)}%")
    return _q(raw, value=d, text=_fmt(d))


def parse_quantity(raw: object, *, percent_cell: bool = False) -> Quantity:
    """Read an indicator value (年度指标值 / 实际完成值) as typed.

    Handles operators (≥1次, 不低于95%, 控制在50万元以内), ranges (90%-100%),
    approximations (100余次, 约50人, 100次以上), multipliers (18万余条), Chinese
    numerals (≥三次), prose with exactly one number and qualitative words (定性, 及时,
    有效提升). ``percent_cell``: a number from a cell formatted as a percentage is a
    fraction (0.98 -> 98 %). Text is never affected by ``percent_cell``.
    """
    if raw is None:
        return _q(raw, empty=True)
    if type(raw) is str:
        return _with_raw(_parse_quantity_str(raw), raw)  # cached on the text; raw stays the caller's object
    if isinstance(raw, str):
        return _parse_quantity_str.__wrapped__(raw)
    if isinstance(raw, bool):
        return _q(raw, qualitative=True, text="是" if raw else "否")
    if _is_number(raw):
        return _quantity_from_number(raw, percent_cell)
    # dates, times and other objects: read as their text, never as a number
    text = raw.isoformat() if hasattr(raw, "isoformat") else str(raw)
    return replace(_parse_quantity_str(text), raw=raw)


# ---------------------------------------------------------------------------
# Rates, scores, counts
# ---------------------------------------------------------------------------

_FRACTION_LIMIT = Decimal("1.5")


def parse_rate(raw: object, *, percent_cell: bool = False) -> Quantity:
    """Read a rate cell (执行率, 控制率, ...). The result is always in percent.

    "99.13%" -> 99.13; a number in a percent cell is a fraction (0.9913 -> 99.13); a
    number elsewhere, or text without a unit, is a fraction when |x| <= 1.5 and
    already a percentage otherwise. "5‰" -> 0.5. ``decimals`` gives the number of
    decimals shown in the text ("81.20%" -> 2); None for numbers from cells.
    """
    if raw is None:
        return _q(raw, empty=True)
    if _is_number(raw) and not isinstance(raw, bool):
        try:
            d = _number_to_decimal(raw)
        except _NotANumber:
            return _q(raw, text=str(raw), error=f"无法识别的比率：“{raw}”")
        if d is None:
            return _q(raw, empty=True)
        v = _shift(d, 2) if percent_cell or abs(d) <= _FRACTION_LIMIT else d
        return _q(raw, value=v, unit="%", text=f"{_fmt(v)}%")
    q = parse_quantity(raw)
    if q.empty or q.error is not None:
        return q if q.error is None else replace(q, error=q.error.replace("数值", "比率", 1))
    if q.qualitative or q.value is None:
        return replace(q, qualitative=False, error=f"无法识别的比率：“{q.text}”")
    if q.unit == "%":
        return q
    shift = 0
    if q.unit is None:
        if abs(q.value) <= _FRACTION_LIMIT and (q.upper is None or abs(q.upper) <= _FRACTION_LIMIT):
            shift = 2
    elif q.unit == "‰":
        shift = -1
    else:
        return replace(q, value=None, upper=None, error=f"无法识别的比率：“{q.text}”")
    if shift == 0:
        return replace(q, unit="%")
    dec = q.decimals
    return replace(
        q,
        value=_shift(q.value, shift),
        upper=None if q.upper is None else _shift(q.upper, shift),
        unit="%",
        decimals=None if dec is None else max(0, dec - shift),
    )


_SCORE_RE = re.compile(r"(?P<sign>[-+])?(?P<num>[0-9]+(?:\.[0-9]+)?)(?P<unit>分)?")
_COUNT_RE = re.compile(r"(?P<num>[0-9]+(?:\.[0-9]+)?)(?P<unit>人|名|个|位)?")
_CN_SCORE_RE = re.compile(rf"(?P<cn>[{_CN_CHARS}]+(?:点[{_CN_CHARS}]+)?)(?P<unit>分)?")
_CN_COUNT_RE = re.compile(rf"(?P<cn>[{_CN_CHARS}]+)(?P<unit>人|名|个|位)?")


def _parse_simple(
    raw: object, num_re: re.Pattern[str], cn_re: re.Pattern[str], kind: str
) -> Amount:
    if raw is None:
        return _amount(raw=raw, value=None, empty=True, error=None, unit_seen=None)
    if isinstance(raw, str):
        t = normalize_text(raw)
        if _is_blank_text(t):
            return _amount(raw=raw, value=None, empty=True, error=None, unit_seen=None)
        c = _compact(t).translate(_MINUS_TABLE)
        m = num_re.fullmatch(c)
        if m is not None:
            d = Decimal(m["num"])
            if m.groupdict().get("sign") == "-":
                d = -d
            return _amount(raw=raw, value=d, empty=False, error=None, unit_seen=m["unit"])
        m = cn_re.fullmatch(c)
        d2 = chinese_number(m["cn"]) if m is not None else None
        if m is None or d2 is None:
            return _amount_error(raw, t, kind)
        return _amount(raw=raw, value=d2, empty=False, error=None, unit_seen=m["unit"])
    try:
        d3 = _number_to_decimal(raw)
    except _NotANumber:
        return _amount_error(raw, str(raw), kind)
    if d3 is None:
        return _amount(raw=raw, value=None, empty=True, error=None, unit_seen=None)
    return _amount(raw=raw, value=d3, empty=False, error=None, unit_seen=None)


def parse_score(raw: object) -> Amount:
    """Read a 得分 / 分值 cell: 9, "9分", "１０", "9.5", "九分". "满分" is an error."""
    return _parse_simple(raw, _SCORE_RE, _CN_SCORE_RE, "分值")


def parse_count(raw: object) -> Amount:
    """Read a head count (编制数, 实际在职人数): 4, 4.0, "4", "4人", "四人".

    A count that is not a whole number is an error.
    """
    a = _parse_simple(raw, _COUNT_RE, _CN_COUNT_RE, "人数")
    if a.value is None:
        return a
    if a.value != a.value.to_integral_value():
        text = normalize_text(raw) if isinstance(raw, str) else str(raw)
        return _amount(raw=raw, value=None, empty=False, error=f"人数应为整数：“{text}”", unit_seen=a.unit_seen)
    return replace(a, value=Decimal(int(a.value)))


# ---------------------------------------------------------------------------
# Deviation notes
# ---------------------------------------------------------------------------

_CLAUSE_SPLIT_RE = re.compile(r"[,，;；。.!！、]+")
_NO_DEVIATION_RE = re.compile(
    r"(?:偏差(?:原因)?(?:分析)?[:：]?)?"
    r"(?:无|没有|未|未发生|不存在|未出现|无明显|没有出现)(?:任何)?(?:偏差|差异|偏离)(?:情况)?"
    r"|无|偏差(?:原因)?(?:分析)?[:：]?无(?:偏差)?"
)
_COMPLETED_RE = re.compile(
    r"(?:已|均已|全部|按时|按期|如期|圆满|顺利)?(?:完成|达成|实现)(?:年度|预期|既定)?(?:目标|指标|任务|计划)?"
    r"|(?:年度|预期|既定)?(?:目标|指标|任务|计划)(?:已|均已|全部|按时|如期)?(?:完成|达成|实现)"
    r"|达到(?:预期|年度)?(?:目标|指标|效果)"
)


def is_no_deviation(text: object) -> bool:
    """True when a 偏差原因 note says there is no deviation (or is blank).

    "无偏差", "无", "　无偏差。", "没有偏差", "完成目标，无偏差", "/", "—" -> True.
    A note that also gives a reason ("预算减少，无偏差") -> False.
    """
    if text is None:
        return True
    if not isinstance(text, str):
        return is_blank(text)
    t = normalize_text(text)
    if _is_blank_text(t):
        return True
    clauses = [c for c in _CLAUSE_SPLIT_RE.split(_compact(t)) if c]
    if not clauses:
        return False
    said_none = False
    for clause in clauses:
        if _NO_DEVIATION_RE.fullmatch(clause) is not None:
            said_none = True
        elif _COMPLETED_RE.fullmatch(clause) is None:
            return False
    return said_none


# ---------------------------------------------------------------------------
# Memoisation: the same cell contents recur across thousands of workbooks
# ("无偏差", 10, "≥95%" …); results are immutable, so they are shared.
# ---------------------------------------------------------------------------
def _with_raw(hit, raw: object):
    """A cached result whose ``raw`` is the caller's own object, as the result types promise.

    Equal keys may be different objects (another workbook's string, 0.0 for -0.0); a shallow
    copy with ``raw`` replaced (cheaper than dataclasses.replace) keeps the cache shared.
    """
    if hit.raw is raw:
        return hit
    new = object.__new__(type(hit))
    new.__dict__.update(hit.__dict__)
    new.__dict__["raw"] = raw
    return new


def _memo(fn, maxsize: int = 4096):
    cache: dict = {}

    def wrapper(raw: object, **kw: object):
        t = type(raw)
        if t is str or t is int or t is float:
            key = (t, raw, tuple(sorted(kw.items())) if kw else ())
            hit = cache.get(key)
            if hit is not None:
                return _with_raw(hit, raw)
            value = fn(raw, **kw)
            if len(cache) < maxsize:
                cache[key] = value
            return value
        return fn(raw, **kw)

    wrapper.__wrapped__ = fn
    wrapper.__doc__ = fn.__doc__
    wrapper.__name__ = fn.__name__
    return wrapper


# No figure in these tables comes near 10^18 (in 元 that is ten thousand times the
# national budget): a larger value, an infinity or NaN is an error of its cell, so no
# arithmetic downstream ever meets a number beyond Decimal's precision.
MAX_ABS = Decimal("1e18")


def _out_of_range(d: Decimal | None) -> bool:
    return d is not None and (not d.is_finite() or abs(d) >= MAX_ABS)


def _bounded(fn):
    def wrapper(raw: object, **kw: object):
        r = fn(raw, **kw)
        if _out_of_range(r.value) or _out_of_range(getattr(r, "upper", None)):
            text = normalize_text(raw) if isinstance(raw, str) else str(raw)
            r = replace(r, value=None, error=f"数值超出范围：“{_short(text)}”")
            if hasattr(r, "upper"):
                r = replace(r, upper=None)
        return r

    wrapper.__wrapped__ = fn
    wrapper.__doc__ = fn.__doc__
    wrapper.__name__ = fn.__name__
    return wrapper


parse_quantity = _bounded(parse_quantity)
parse_amount = _memo(_bounded(parse_amount))
parse_score = _memo(_bounded(parse_score))
parse_count = _memo(_bounded(parse_count))
parse_rate = _memo(_bounded(parse_rate))
is_no_deviation = lru_cache(maxsize=4096)(is_no_deviation)
