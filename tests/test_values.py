"""Tests for gridbudget.read.values: reading what accountants type into cells."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridbudget.read.values import (
    Amount,
    Quantity,
    chinese_number,
    is_blank,
    is_no_deviation,
    normalize_text,
    parse_amount,
    parse_count,
    parse_quantity,
    parse_rate,
    parse_score,
)

D = Decimal
FULL_WIDTH = str.maketrans("0123456789.-,%", "０１２３４５６７８９．－，％")


def to_full_width(s: str) -> str:
    return s.translate(FULL_WIDTH)


# ---------------------------------------------------------------------------
# normalize_text / is_blank
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("１１６．９５", "116.95"),
        ("９８％", "98%"),
        ("（１）：＞＜＝，", "(1):><=,"),
        ("﹦100﹤﹥", "=100<>"),      # small forms, typed as 指标性质 in some provinces
        ("ＡＢＣａｂｃ", "ABCabc"),
        ("\u3000无偏差\u3000", "无偏差"),
        ("\xa0 116.95 \xa0", "116.95"),
        ("1 169 500", "1169500"),
        ("1\u3000169", "1169"),
        ("12\n34", "1234"),
        ("\ufeff10\u200b", "10"),
        ("君山区 网格中心", "君山区 网格中心"),  # inner space between words kept
        ("岳阳市君山区社会治理网格化中心", "岳阳市君山区社会治理网格化中心"),
        ("", ""),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@given(st.text())
def test_normalize_text_is_idempotent(s: str) -> None:
    once = normalize_text(s)
    assert normalize_text(once) == once


@given(st.integers(min_value=0, max_value=10**15))
def test_normalize_text_full_width_digits(n: int) -> None:
    assert normalize_text("\u3000" + to_full_width(str(n)) + " ") == str(n)


@pytest.mark.parametrize(
    "raw",
    [None, "", " ", "\u3000", "\n", "—", "——", "-", "--", "－", "无", "/", "／", "空",
     "不适用", "N/A", "n/a", "\u3000—\u3000", float("nan"), D("NaN")],
)  # fmt: skip
def test_is_blank_true(raw: object) -> None:
    assert is_blank(raw) is True


@pytest.mark.parametrize("raw", [0, 0.0, D(0), "0", "无偏差", "定性", "一", "-3.5", "否", False])
def test_is_blank_false(raw: object) -> None:
    assert is_blank(raw) is False


# ---------------------------------------------------------------------------
# chinese_number
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("零", 0), ("一", 1), ("两", 2), ("十", 10), ("十二", 12), ("二十", 20),
        ("一百零五", 105), ("一百一十", 110), ("一百一", 110), ("两千三百", 2300),
        ("两千三", 2300), ("三万", 30000), ("一万五", 15000), ("十万", 100000),
        ("一千零一十", 1010), ("十二万三千四百五十六", 123456), ("一亿零二十万", 100200000),
        ("三亿五千万", 350000000), ("一万亿", 10**12), ("壹佰贰拾", 120), ("百", 100),
        ("三点五", D("3.5")), ("一点五亿", 150000000), ("　十二　", 12),
    ],
)  # fmt: skip
def test_chinese_number(text: str, expected: int | Decimal) -> None:
    assert chinese_number(text) == D(expected)


@pytest.mark.parametrize(
    "text", ["", "一二", "二〇二四", "十十", "百一十二千", "一百零", "零五", "12", "三次", "约一百", "点五", "abc"]
)
def test_chinese_number_rejects(text: str) -> None:
    assert chinese_number(text) is None


_CN_D = "零一二三四五六七八九"


def _cn_section(n: int) -> str:
    out = ""
    pending_zero = False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // unit_value % 10
        if digit == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out += "零"
            pending_zero = False
        out += _CN_D[digit] + unit
    return out


def to_chinese(n: int) -> str:
    """Reference converter (standard written form) for n < 10**12."""
    if n == 0:
        return "零"
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out = ""
    gap = False
    for i in reversed(range(len(groups))):
        g = groups[i]
        if g == 0:
            gap = bool(out)
            continue
        if out and (g < 1000 or gap):
            out += "零"
        out += _cn_section(g) + ("", "万", "亿")[i]
        gap = False
    return out


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_chinese_number_round_trip(n: int) -> None:
    assert chinese_number(to_chinese(n)) == n


# ---------------------------------------------------------------------------
# parse_amount
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "unit_seen"),
    [
        (116.95, D("116.95"), None),
        (116.95000000000002, D("116.95"), None),
        (52.07 + 64.88, D("116.95"), None),
        (0.1 + 0.2, D("0.3"), None),
        (4, D(4), None),
        (D("116.950"), D("116.95"), None),
        ("116.95", D("116.95"), None),
        ("116.95万元", D("116.95"), "万元"),
        ("116.95 万元", D("116.95"), "万元"),
        ("１１６．９５", D("116.95"), None),
        ("1,169,500元", D("116.95"), "元"),
        ("¥1,169,500", D("116.95"), "元"),
        ("1.2亿", D(12000), "亿元"),
        ("1.2亿元", D(12000), "亿元"),
        ("18万", D(18), "万元"),
        ("0", D(0), None),
        ("0.00", D(0), None),
        ("-3.5", D("-3.5"), None),
        ("－3.5", D("-3.5"), None),
        ("五十万元", D(50), "万元"),
        ("一亿五千万", D(15000), "万元"),
    ],
)
def test_parse_amount_values(raw: object, value: Decimal, unit_seen: str | None) -> None:
    a = parse_amount(raw)
    assert a.raw is raw   # the caller's own object, even when an equal value was parsed before
    assert a.value == value
    assert isinstance(a.value, Decimal)
    assert a.unit_seen == unit_seen
    assert not a.empty and a.error is None


def test_parse_amount_float_noise_is_removed_in_display() -> None:
    assert str(parse_amount(116.95000000000002).value) == "116.95"
    assert str(parse_amount(52.07 + 64.88).value) == "116.95"


@pytest.mark.parametrize(
    ("raw", "value"),
    [("116.95万元", D(1169500)), ("1,169,500元", D(1169500)), ("1.2亿", D(120000000)), ("3", D(3)), (3.5, D("3.5"))],
)
def test_parse_amount_in_yuan(raw: object, value: Decimal) -> None:
    assert parse_amount(raw, unit="元").value == value


@pytest.mark.parametrize("raw", [None, "", "\u3000", "—", "——", "-", "无", "/", float("nan")])
def test_parse_amount_empty(raw: object) -> None:
    a = parse_amount(raw)
    assert a.empty and a.value is None and a.error is None


@pytest.mark.parametrize(
    "raw", ["约一百多", "3.5和7", "50%", "116.95万", "约116.95", "116,95", "12.3.4", "满", True, "≤50万元", float("inf")]
)
def test_parse_amount_errors(raw: object) -> None:
    a = parse_amount(raw)
    if raw == "116.95万":  # 万 alone is read as 万元: not an error
        assert a.value == D("116.95")
        return
    assert a.value is None and not a.empty
    assert a.error is not None and a.error.startswith("无法识别的金额：“")


def test_parse_amount_error_message_quotes_text() -> None:
    assert parse_amount("约一百多").error == "无法识别的金额：“约一百多”"


def test_parse_amount_rejects_unknown_target_unit() -> None:
    with pytest.raises(ValueError):
        parse_amount("1", unit="美元")


def test_amount_is_frozen() -> None:
    a = parse_amount("1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.value = D(2)  # type: ignore[misc]


_UNIT_EXP = {"": None, "元": 0, "万元": 4, "万": 4, "亿元": 8, "亿": 8}


@settings(max_examples=300)
@given(
    d=st.decimals(min_value=-10**9, max_value=10**9, places=4, allow_nan=False, allow_infinity=False),
    unit=st.sampled_from(sorted(_UNIT_EXP)),
    target=st.sampled_from(["万元", "元"]),
    full_width=st.booleans(),
    grouped=st.booleans(),
    pad=st.sampled_from(["", " ", "\u3000", "\xa0"]),
)
def test_parse_amount_round_trip(d: Decimal, unit: str, target: str, full_width: bool, grouped: bool, pad: str) -> None:
    text = f"{d:,f}" if grouped else f"{d:f}"
    if full_width:
        text = to_full_width(text)
    a = parse_amount(pad + text + unit + pad, unit=target)
    assert a.error is None
    exp = _UNIT_EXP[unit]
    expected = d if exp is None else d * D(10) ** (exp - {"万元": 4, "元": 0}[target])
    assert a.value == expected


@settings(max_examples=300)
@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_parse_amount_float_cells_recover_the_typed_decimal(d: Decimal) -> None:
    assert parse_amount(float(d)).value == d


# ---------------------------------------------------------------------------
# parse_quantity
# ---------------------------------------------------------------------------


def _check(q: Quantity, **expected: object) -> None:
    for key, want in expected.items():
        got = getattr(q, key)
        assert got == want, f"{key}: {got!r} != {want!r} in {q!r}"
    assert q.error is None


@pytest.mark.parametrize(
    ("raw", "percent_cell", "value", "unit"),
    [
        (1, False, D(1), None),
        (134, False, D(134), None),
        (0.98, False, D("0.98"), None),
        (0.98, True, D(98), "%"),
        (1, True, D(100), "%"),
        (0.8120000000000001, True, D("81.2"), "%"),
        (D("0.9913"), True, D("99.13"), "%"),
        ("0.98", True, D("0.98"), None),  # text is never rescaled
    ],
)
def test_quantity_plain_numbers(raw: object, percent_cell: bool, value: Decimal, unit: str | None) -> None:
    q = parse_quantity(raw, percent_cell=percent_cell)
    _check(q, value=value, unit=unit, op=None, approx=None, qualitative=False, empty=False)
    assert q.raw is raw   # the caller's own object, even when an equal value was parsed before


@pytest.mark.parametrize("parse", [parse_quantity, parse_amount, parse_rate, parse_score])
@pytest.mark.parametrize("make", [lambda: "".join(["0.", "98"]), lambda: float("0.98"), lambda: int("123456")])
def test_memoised_parse_returns_the_callers_raw(parse, make) -> None:
    """An equal value parsed earlier (another workbook's cell) must not leak its object into ``raw``."""
    first, second = make(), make()
    assert first == second and first is not second
    parse(first)
    assert parse(second).raw is second
    assert parse(first).raw is first


@pytest.mark.parametrize(
    ("raw", "value", "unit", "decimals"),
    [
        ("1次", D(1), "次", 0),
        ("134条", D(134), "条", 0),
        ("100%", D(100), "%", 0),
        ("98％", D(98), "%", 0),
        ("95%", D(95), "%", 0),
        ("116.95万元", D("116.95"), "万元", 2),
        ("40.6万元", D("40.6"), "万元", 1),
        ("１００％", D(100), "%", 0),
        ("3个工作日", D(3), "个工作日", 0),
        ("1次/年", D(1), "次/年", 0),
        ("1,000次", D(1000), "次", 0),
        ("-3.5%", D("-3.5"), "%", 1),
        ("10000", D(10000), None, 0),
    ],
)
def test_quantity_text_with_units(raw: str, value: Decimal, unit: str, decimals: int) -> None:
    _check(parse_quantity(raw), value=value, unit=unit, op=None, decimals=decimals, qualitative=False)


@pytest.mark.parametrize(
    ("raw", "op", "value", "unit"),
    [
        ("≥1次", ">=", D(1), "次"),
        ("≧1", ">=", D(1), None),
        (">=100条", ">=", D(100), "条"),
        ("＞5", ">", D(5), None),
        ("≤120.54万元", "<=", D("120.54"), "万元"),
        ("≦50", "<=", D(50), None),
        ("<=50万元", "<=", D(50), "万元"),
        ("＜＝50", "<=", D(50), None),
        ("=100%", "=", D(100), "%"),
        ("═100%", "=", D(100), "%"),
        ("＝100%", "=", D(100), "%"),
        ("≥ 98 %", ">=", D(98), "%"),
        ("≥10000", ">=", D(10000), None),
    ],
)
def test_quantity_symbol_operators(raw: str, op: str, value: Decimal, unit: str | None) -> None:
    _check(parse_quantity(raw), op=op, value=value, unit=unit, qualitative=False)


@pytest.mark.parametrize(
    ("raw", "op", "value", "unit"),
    [
        ("不低于95%", ">=", D(95), "%"),
        ("不少于100次", ">=", D(100), "次"),
        ("达到100%", ">=", D(100), "%"),
        ("大于等于90%", ">=", D(90), "%"),
        ("不超过50万元", "<=", D(50), "万元"),
        ("不高于5%", "<=", D(5), "%"),
        ("控制在120.54万元以内", "<=", D("120.54"), "万元"),
        ("控制在50万元内", "<=", D(50), "万元"),
        ("控制在95%以上", ">=", D(95), "%"),
        ("小于等于3天", "<=", D(3), "天"),
        ("低于5%", "<", D(5), "%"),
        ("高于80%", ">", D(80), "%"),
        ("超过100人", ">", D(100), "人"),
        ("3个工作日内", "<=", D(3), "个工作日"),
        ("5%以下", "<=", D(5), "%"),
    ],
)
def test_quantity_word_operators(raw: str, op: str, value: Decimal, unit: str | None) -> None:
    _check(parse_quantity(raw), op=op, value=value, unit=unit)


@pytest.mark.parametrize(
    ("raw", "value", "upper", "unit"),
    [
        ("90%-100%", D(90), D(100), "%"),
        ("90～100%", D(90), D(100), "%"),
        ("90~100%", D(90), D(100), "%"),
        ("90%至100%", D(90), D(100), "%"),
        ("90-100", D(90), D(100), None),
        ("90—100", D(90), D(100), None),
        ("5次至10次", D(5), D(10), "次"),
        ("5-10万人", D(50000), D(100000), "人"),
        ("5-10万元", D(5), D(10), "万元"),
        ("三至五次", D(3), D(5), "次"),
    ],
)
def test_quantity_ranges(raw: str, value: Decimal, upper: Decimal, unit: str | None) -> None:
    _check(parse_quantity(raw), op="between", value=value, upper=upper, unit=unit)


@pytest.mark.parametrize(
    ("raw", "value", "unit", "approx", "op"),
    [
        ("100余次", D(100), "次", "at_least", None),
        ("100多次", D(100), "次", "at_least", None),
        ("100次以上", D(100), "次", "at_least", ">="),
        ("约50人", D(50), "人", "about", None),
        ("50人左右", D(50), "人", "about", None),
        ("大约3天", D(3), "天", "about", None),
        ("10余万条", D(100000), "条", "at_least", None),
        ("百余次", D(100), "次", "at_least", None),
    ],
)
def test_quantity_approximate(raw: str, value: Decimal, unit: str, approx: str, op: str | None) -> None:
    _check(parse_quantity(raw), value=value, unit=unit, approx=approx, op=op)


@pytest.mark.parametrize(
    ("raw", "value", "unit", "approx", "op"),
    [
        ("人口信息等累计18万余条", D(180000), "条", "at_least", None),
        ("每季度1次", D(1), "次", None, None),
        ("满意度达到95%以上", D(95), "%", "at_least", ">="),
        ("群众满意度98%", D(98), "%", None, None),
        ("完成率100%，完成率100%", D(100), "%", None, None),  # the same number twice
        ("2024年完成100次", D(100), "次", None, None),  # a year is not a quantity
    ],
)
def test_quantity_embedded_in_text(raw: str, value: Decimal, unit: str, approx: str | None, op: str | None) -> None:
    q = parse_quantity(raw)
    _check(q, value=value, unit=unit, approx=approx, op=op, qualitative=False)
    assert q.text == normalize_text(raw)


@pytest.mark.parametrize(
    ("raw", "value", "unit"),
    [
        ("1.2亿", D(120000000), None),
        ("1.2亿元", D("1.2"), "亿元"),
        ("18万余条", D(180000), "条"),
        ("18万条", D(180000), "条"),
        ("3千万元", D(3000), "万元"),
        ("2万人次", D(20000), "人次"),
        ("100多万", D(1000000), None),
    ],
)
def test_quantity_multipliers(raw: str, value: Decimal, unit: str | None) -> None:
    _check(parse_quantity(raw), value=value, unit=unit)


@pytest.mark.parametrize(
    ("raw", "value", "unit", "op"),
    [
        ("一次", D(1), "次", None),
        ("两次", D(2), "次", None),
        ("十二个", D(12), "个", None),
        ("≥三次", D(3), "次", ">="),
        ("不少于两场", D(2), "场", ">="),
        ("百分之九十五", D(95), "%", None),
        ("百分百", D(100), "%", None),
        ("一万五千人", D(15000), "人", None),
        ("十二", D(12), None, None),
    ],
)
def test_quantity_chinese_numerals(raw: str, value: Decimal, unit: str | None, op: str | None) -> None:
    _check(parse_quantity(raw), value=value, unit=unit, op=op, qualitative=False)


@pytest.mark.parametrize(
    "raw",
    ["定性", "有效推进", "及时", "显著改善", "有效提升", "持续优化", "提升", "优化", "改善", "达成",
     "部分达成", "未达成", "达成预期指标", "良好", "是", "否", "完成", "按时完成", "一次性", "一户一档",
     "零投诉", "不低于上年", "12月底前", "2024年12月31日前完成", "全覆盖"],
)  # fmt: skip
def test_quantity_qualitative(raw: str) -> None:
    q = parse_quantity(raw)
    _check(q, qualitative=True, value=None, op=None, unit=None, empty=False, text=raw)


def test_quantity_qualitative_non_text_cells() -> None:
    q = parse_quantity(datetime.date(2024, 12, 31))
    _check(q, qualitative=True, value=None, text="2024-12-31")
    assert q.raw == datetime.date(2024, 12, 31)
    assert parse_quantity(True).qualitative


@pytest.mark.parametrize("raw", [None, "", "\u3000", " ", "—", "——", "无", "/", "N/A", float("nan")])
def test_quantity_empty(raw: object) -> None:
    q = parse_quantity(raw)
    assert q.empty is True
    assert q.value is None and q.error is None and q.qualitative is False


@pytest.mark.parametrize(
    ("raw", "text", "qualitative", "value"),
    [
        ("\u3000无偏差", "无偏差", True, None),
        ("\u3000１０\u3000次", "10 次", False, D(10)),
        ("≥\u3000１\u3000次", "≥ 1 次", False, D(1)),
        ("９５．５％", "95.5%", False, D("95.5")),
        ("\xa0134条\n", "134条", False, D(134)),
    ],
)
def test_quantity_full_width_and_spaces(raw: str, text: str, qualitative: bool, value: Decimal | None) -> None:
    _check(parse_quantity(raw), text=text, qualitative=qualitative, value=value)


@pytest.mark.parametrize(
    "raw",
    [
        "≥",
        "约一百多点吧3.5和7",
        "3.5和7",
        "100-90",  # inverted range
        "≤50以上",  # contradicting operator and suffix
        "90%-100次",  # range with two different units
        "≥90%-100%",  # operator on a range
        "五至三次",
        "1:1",
        "100，200人",  # a Chinese comma separates two numbers here
        "十十次",
        "%",
    ],
)
def test_quantity_unreadable(raw: str) -> None:
    q = parse_quantity(raw)
    assert q.value is None and q.upper is None
    assert q.error is not None
    assert q.error.startswith("无法识别的数值：“" + normalize_text(raw) + "”")
    assert not q.empty and not q.qualitative
    assert q.text == normalize_text(raw)


def test_quantity_decimals_default_and_frozen() -> None:
    assert parse_quantity(0.5).decimals is None
    assert Quantity(None, None, None, None, None, None, False, None, True, None).decimals is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_quantity("1").value = D(2)  # type: ignore[misc]


_SEED_VALUES = [
    ("≥1次", "1次"), ("≥100条", "134条"), ("≥100次", "100余次"), ("定性", "有效推进"),
    ("≥100%", "100%"), ("定性", "及时"), ("≤120.54万元", "116.95万元"), ("提升", "有效提升"),
    ("优化", "持续优化"), ("95%", "98%"), ("≥10000", "人口信息等累计18万余条"), ("≥98%", "100%"),
    ("≤50万元", "40.6万元"), ("改善", "显著改善"),
]  # fmt: skip


@pytest.mark.parametrize(("target", "actual"), _SEED_VALUES)
def test_seed_indicator_values_are_all_readable(target: str, actual: str) -> None:
    t, a = parse_quantity(target), parse_quantity(actual)
    assert t.error is None and a.error is None
    assert t.qualitative == a.qualitative
    if not t.qualitative:
        assert t.value is not None and a.value is not None
        assert t.unit in (a.unit, None)


_OPS = {"≥": ">=", "≧": ">=", ">=": ">=", "≤": "<=", "<=": "<=", ">": ">", "<": "<", "=": "=",
        "不低于": ">=", "不超过": "<=", "低于": "<", "高于": ">", "": None}  # fmt: skip
_UNITS = ["", "%", "次", "条", "人", "个", "天", "㎡", "户", "场", "期", "份", "项", "家", "人次", "万元", "元"]


@settings(max_examples=300)
@given(
    op=st.sampled_from(sorted(_OPS)),
    d=st.decimals(min_value=0, max_value=10**8, places=2, allow_nan=False, allow_infinity=False),
    unit=st.sampled_from(_UNITS),
    full_width=st.booleans(),
)
def test_quantity_round_trip(op: str, d: Decimal, unit: str, full_width: bool) -> None:
    number = f"{d:f}"
    text = op + (to_full_width(number) if full_width else number) + unit
    q = parse_quantity(text)
    _check(q, op=_OPS[op], value=d, unit=unit or None, qualitative=False, decimals=2)


_ALPHABET = list(
    "0123456789.,-~%≥≤<>=约余多万亿元次人条以上下内左右至到一二三十百千零两　 ，：（）＞＜＝％０１２３４５６７８９．"
    "定性达成控制在不低于超过年月日第/"
)


@settings(max_examples=500)
@given(st.one_of(st.text(st.sampled_from(_ALPHABET), max_size=14), st.text(max_size=10)))
def test_quantity_never_raises_and_is_consistent(s: str) -> None:
    q = parse_quantity(s)
    assert q.raw is s  # the caller's own object, though equal strings share one cached parse
    assert sum((q.empty, q.qualitative, q.error is not None)) <= 1
    if q.error is not None:
        assert q.value is None and q.error.startswith("无法识别的数值")
    elif not q.empty and not q.qualitative:
        assert q.value is not None
        assert (q.op == "between") == (q.upper is not None)
    if not q.empty:
        assert q.text == normalize_text(s)
    parse_rate(s)
    parse_amount(s)
    parse_score(s)
    parse_count(s)
    is_no_deviation(s)


# ---------------------------------------------------------------------------
# parse_rate
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "percent_cell", "value", "decimals"),
    [
        ("99.13%", False, D("99.13"), 2),
        ("81.2%", False, D("81.2"), 1),
        ("81.20%", False, D("81.20"), 2),
        ("86%", False, D(86), 0),
        ("１００％", False, D(100), 0),
        (0.9913, True, D("99.13"), None),
        (0.9913, False, D("99.13"), None),
        (99.13, False, D("99.13"), None),
        (1, False, D(100), None),
        (1.5, False, D(150), None),
        (1.51, False, D("1.51"), None),
        (0.8120000000000001, True, D("81.2"), None),
        (116.95 / 117.98, True, D("99.12697067"), None),  # 10 decimals kept from the cell
        ("0.9913", False, D("99.13"), 2),
        ("99.13", False, D("99.13"), 2),
        ("5‰", False, D("0.5"), 1),
    ],
)
def test_parse_rate(raw: object, percent_cell: bool, value: Decimal, decimals: int | None) -> None:
    q = parse_rate(raw, percent_cell=percent_cell)
    _check(q, value=value, unit="%", decimals=decimals)


def test_parse_rate_keeps_operator() -> None:
    _check(parse_rate("≥95%"), op=">=", value=D(95), unit="%")


@pytest.mark.parametrize("raw", [None, "", "—", "　"])
def test_parse_rate_empty(raw: object) -> None:
    assert parse_rate(raw).empty


@pytest.mark.parametrize("raw", ["良好", "5次", "3.5和7", "≥"])
def test_parse_rate_errors(raw: str) -> None:
    q = parse_rate(raw)
    assert q.value is None and q.error is not None and q.error.startswith("无法识别的比率：“")


@settings(max_examples=200)
@given(st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False, allow_infinity=False), st.integers(0, 4))
def test_parse_rate_decimals_shown(d: Decimal, places: int) -> None:
    shown = round(d, places)
    q = parse_rate(f"{shown:.{places}f}%")
    _check(q, value=shown, decimals=places, unit="%")


# ---------------------------------------------------------------------------
# parse_score / parse_count
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [(9, D(9)), (9.0, D(9)), ("9分", D(9)), ("１０", D(10)), ("9.5", D("9.5")), ("九分", D(9)), (" 10 分 ", D(10))],
)
def test_parse_score(raw: object, value: Decimal) -> None:
    a = parse_score(raw)
    assert a.value == value and a.error is None and not a.empty


@pytest.mark.parametrize("raw", ["满分", "9分左右", "A", "9/10"])
def test_parse_score_errors(raw: str) -> None:
    a = parse_score(raw)
    assert a.value is None and a.error is not None and a.error.startswith("无法识别的分值：“")


@pytest.mark.parametrize("raw", [None, "", "—", "\u3000"])
def test_parse_score_empty(raw: object) -> None:
    assert parse_score(raw).empty


@pytest.mark.parametrize(
    ("raw", "value"), [("4", D(4)), ("4人", D(4)), (4.0, D(4)), (4, D(4)), ("四人", D(4)), ("１４３", D(143))]
)
def test_parse_count(raw: object, value: Decimal) -> None:
    a = parse_count(raw)
    assert a.value == value and a.error is None
    assert str(a.value) == str(value)


@pytest.mark.parametrize(("raw", "message"), [("4.5", "人数应为整数：“4.5”"), (4.5, "人数应为整数：“4.5”"), ("四个半", None)])
def test_parse_count_errors(raw: object, message: str | None) -> None:
    a = parse_count(raw)
    assert a.value is None and a.error is not None
    if message is not None:
        assert a.error == message


# ---------------------------------------------------------------------------
# is_no_deviation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["无偏差", "无", "无偏差。", "\u3000无偏差", "未偏差", "没有偏差", "完成目标，无偏差", "/", "—", "", None,
     "未发生偏差", "偏差原因：无", "无偏差；", "已完成年度目标，无偏差。"],
)  # fmt: skip
def test_is_no_deviation_true(text: str | None) -> None:
    assert is_no_deviation(text) is True


@pytest.mark.parametrize(
    "text", ["预算减少", "预算减少，无偏差", "因疫情影响未完成", "偏差较大", "部分完成", "资金未及时拨付", 0]
)
def test_is_no_deviation_false(text: object) -> None:
    assert is_no_deviation(text) is False


def test_result_types_are_dataclasses() -> None:
    assert {f.name for f in dataclasses.fields(Amount)} == {"raw", "value", "empty", "error", "unit_seen"}
    assert [f.name for f in dataclasses.fields(Quantity)] == [
        "raw", "op", "value", "upper", "unit", "approx", "qualitative", "text", "empty", "error", "decimals",
    ]  # fmt: skip
