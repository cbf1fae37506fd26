"""What :func:`~gridbudget.read.book.open_book` returns: :class:`Book`, :class:`Sheet` and :class:`Cell`."""

from __future__ import annotations

from dataclasses import dataclass


# ---------------------------------------------------------------------------
# Public data model
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class Cell:
    """One existing cell.

    ``value`` is the cell value or, for a formula cell, its cached value (None when the
    file holds no cached value). ``formula`` is the formula text without the leading
    '=' ("" when the cell is a formula whose text is unknown, e.g. a data table).
    ``date``: the number format shows a date or a time (OOXML only; False on the calamine path).
    """

    value: object
    formula: str | None = None
    error: str | None = None
    percent: bool = False
    decimals: int | None = None
    locked: bool = True
    date: bool = False


@dataclass
class Sheet:
    """One sheet. ``cells`` maps 0-based (row, col) to the cells that exist.

    ``state`` ("visible", "hidden", "veryHidden") is an addition to the agreed API.
    """

    name: str
    cells: dict[tuple[int, int], Cell]
    merged: list[tuple[int, int, int, int]]
    names: dict[str, tuple[int, int, int, int]]
    protected: bool = False
    state: str = "visible"
    skipped: str = ""        # why the sheet's cells were not read (too large), "" when they were

    def value(self, r: int, c: int) -> object:
        cell = self.cells.get((r, c))
        return None if cell is None else cell.value

    def merged_anchor(self, r: int, c: int) -> tuple[int, int]:
        index = self.__dict__.get("_anchors")
        if index is None or self.__dict__.get("_anchors_for") is not self.merged:
            index = {}
            for r1, c1, r2, c2 in self.merged:
                if (r2 - r1 + 1) * (c2 - c1 + 1) > 100_000:      # huge merges: no index, scan
                    index = None
                    break
                for rr in range(r1, r2 + 1):
                    for cc in range(c1, c2 + 1):
                        index[(rr, cc)] = (r1, c1)
            self.__dict__["_anchors"] = index
            self.__dict__["_anchors_for"] = self.merged
        if index is not None:
            return index.get((r, c), (r, c))
        for r1, c1, r2, c2 in self.merged:
            if r1 <= r <= r2 and c1 <= c <= c2:
                return (r1, c1)
        return (r, c)


@dataclass
class Book:
    path: str
    kind: str
    sheets: list[Sheet]
    names: dict[str, tuple[str, int, int, int, int]]
    has_formulas: bool
    sha256: str
    # True when the book was read through python-calamine (xls, et, ods, or the OOXML
    # fallback): formulas, number formats, locked flags, protection, error values and
    # defined names are then unknown, not absent. An addition to the agreed API.
    values_only: bool = False

    def sheet(self, name: str) -> Sheet | None:
        """The sheet called ``name`` or None (an addition to the agreed API)."""
        for s in self.sheets:
            if s.name == name:
                return s
        return None
