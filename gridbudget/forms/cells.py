"""A1 cell addresses (0-based row and column in, Excel letters out)."""

from __future__ import annotations

from functools import lru_cache


def col_letter(c: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    s = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        s = chr(65 + rem) + s
    return s


@lru_cache(maxsize=16384)
def a1(r: int, c: int) -> str:
    """(0, 0) -> A1."""
    return f"{col_letter(c)}{r + 1}"


def parse_a1(ref: str | None) -> tuple[int, int] | None:
    """'H14' -> (13, 7): the 0-based row and column of an A1 reference; None when there is none."""
    letters = ""
    for ch in ref or "":
        if not ch.isalpha():
            break
        letters += ch.upper()
    digits = (ref or "")[len(letters):]
    if not letters or not digits.isdigit():
        return None
    c = 0
    for ch in letters:
        c = c * 26 + ord(ch) - 64
    return int(digits) - 1, c - 1
