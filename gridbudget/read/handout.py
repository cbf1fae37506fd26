"""What the bureau handed out (``gridbudget distribute``), read back from the returned workbook.

A handed-out workbook has a very hidden sheet (:data:`HANDOUT_SHEET`)
with the unit code, unit, year, template version, the fingerprint (SHA-256) and one row per
handed-out figure (sheet, cell, field key, value). :func:`read_handout` reads it from the
:class:`~gridbudget.read.book.Book` that :func:`gridbudget.read.explain.read_submission`
opened (the sheet is then left out of the tables); the F- rules
(:mod:`gridbudget.check.rules.handout`) compare it with what came back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .book import Book, Sheet

HANDOUT_SHEET = "gb_下发信息"       # the very hidden sheet (written by gridbudget.write.template)
INFO_KEYS = ("单位编码", "单位名称", "主管部门", "年度", "模板版本", "下发日期", "交回截止日期", "指纹")


_ROW_KEY = re.compile(r"^(?P<block>[^\[\]]+)\[(?P<index>\d+)\]\.(?P<col>\w+)$")


def row_key(block: str, index: int, col: str) -> str:
    """The record's key of a handed-out cell in a repeated row: ``ind.output.quantity[0].target``."""
    return f"{block}[{index}].{col}"


def parse_row_key(key: str) -> tuple[str, int, str] | None:
    """(block, row index, column) of a repeated row's record key; None for a fixed field's key."""
    m = _ROW_KEY.match(key)
    return (m["block"], int(m["index"]), m["col"]) if m else None


@dataclass
class HandoutItem:
    sheet: str
    cell: str
    key: str
    value: str          # as the fingerprint hashes it (amounts with two decimals)


@dataclass
class Handout:
    info: dict[str, str] = field(default_factory=dict)
    items: list[HandoutItem] = field(default_factory=list)
    state: str = "veryHidden"       # the sheet's visibility when it was read back

    @property
    def fingerprint(self) -> str:
        return self.info.get("指纹", "")

    def computed_hash(self) -> str:
        """The fingerprint of the info and items as they stand now (differs when the sheet was edited)."""
        from ..write.template import handout_hash

        return handout_hash(self.info, [(i.sheet, i.cell, i.key, i.value) for i in self.items])


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def is_handout_sheet(sheet: Sheet) -> bool:
    return sheet.name == HANDOUT_SHEET


def read_handout(book: Book) -> Handout | None:
    """The handed-out record of the workbook, or None when it has none."""
    sheet = book.sheet(HANDOUT_SHEET)
    if sheet is None:
        return None
    out = Handout(state=sheet.state)
    rows = sorted({r for r, _c in sheet.cells})
    table = False
    for r in rows:
        a, b, c, d = (_text(sheet.value(r, i)) for i in range(4))
        if not table and a == "工作表" and c == "字段":
            table = True
            continue
        if table and a and c:
            out.items.append(HandoutItem(a, b, c, d))
        elif not table and a in INFO_KEYS:
            out.info[a] = b
    return out
