"""Number formats: whether a format shows a percent, how many decimals it keeps, whether it shows a date."""

from __future__ import annotations

import re


# ---------------------------------------------------------------------------
# Number formats
# ---------------------------------------------------------------------------

# builtin numFmtId -> (percent, decimals); ids not listed: (False, None)
_BUILTIN_FMT: dict[int, tuple[bool, int | None]] = {
    1: (False, 0), 2: (False, 2), 3: (False, 0), 4: (False, 2),
    5: (False, 0), 6: (False, 0), 7: (False, 2), 8: (False, 2),
    9: (True, 0), 10: (True, 2),
    37: (False, 0), 38: (False, 0), 39: (False, 2), 40: (False, 2),
    41: (False, 0), 42: (False, 0), 43: (False, 2), 44: (False, 2),
}
# builtin numFmtIds that show a date or a time (14-22, 45-47, and the CJK date/time ids 27-36, 50-58)
BUILTIN_DATE_FMT = frozenset((*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)))
_FMT_CACHE: dict[str, tuple[bool, int | None]] = {}
_FMT_LITERAL = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.', re.DOTALL)


def format_info(code: str) -> tuple[bool, int | None]:
    """(percent, decimals) shown by a number format code.

    decimals is None for General, text, dates/times, fractions and scientific formats.
    """
    hit = _FMT_CACHE.get(code)
    if hit is not None:
        return hit
    bare = _FMT_LITERAL.sub("", code)  # drop quoted text, escapes, [colour]/[$-804], padding
    percent = "%" in bare
    first = _split_sections(code)[0]
    sec = _FMT_LITERAL.sub("", first)
    low = sec.lower().replace("general", "")
    decimals: int | None
    if (any(ch in low for ch in "ymdhsbe")  # dates, times, B.E. years, scientific
            or "/" in low or "@" in low or not any(ch in low for ch in "0#?")):
        decimals = None
    else:
        _, dot, tail = low.partition(".")
        decimals = 0
        if dot:
            for ch in tail:
                if ch in "0#?":
                    decimals += 1
                elif ch in ",%":
                    continue
                else:
                    break
    result = (percent, decimals)
    if len(_FMT_CACHE) < 10_000:
        _FMT_CACHE[code] = result
    return result


def is_date_format(code: str) -> bool:
    """True when a number format code shows a date or a time (yyyy-mm-dd, yyyy"年"m"月", h:mm …)."""
    sec = _FMT_LITERAL.sub("", _split_sections(code)[0]).lower().replace("general", "")
    return any(ch in sec for ch in "ymdh")


def _split_sections(code: str) -> list[str]:
    out, cur, i, n = [], [], 0, len(code)
    while i < n:
        ch = code[i]
        if ch == '"':
            j = code.find('"', i + 1)
            j = n - 1 if j < 0 else j
            cur.append(code[i : j + 1])
            i = j + 1
            continue
        if ch == "\\" and i + 1 < n:
            cur.append(code[i : i + 2])
            i += 2
            continue
        if ch == "[":
            j = code.find("]", i + 1)
            j = n - 1 if j < 0 else j
            cur.append(code[i : j + 1])
            i = j + 1
            continue
        if ch == ";":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    out.append("".join(cur))
    return out
