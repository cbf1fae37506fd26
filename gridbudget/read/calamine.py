"""The python-calamine path (.xls, WPS .et, .ods, and the OOXML fallback): values only."""

from __future__ import annotations

import io

from .workbook import Book, Cell, Sheet
from .safety import _err


# ---------------------------------------------------------------------------
# python-calamine path (xls, et, ods, fallback)
# ---------------------------------------------------------------------------

_EPOCH = None


def _calamine_value(v):
    if v is None or v == "":
        return None
    t = type(v)
    if t is bool or t is int or t is str:
        return v
    if t is float:
        return int(v) if v.is_integer() else v
    import datetime as dt

    global _EPOCH
    if _EPOCH is None:
        _EPOCH = dt.datetime(1899, 12, 30)
    if isinstance(v, dt.datetime):
        serial = (v - _EPOCH).total_seconds() / 86400
    elif isinstance(v, dt.date):
        serial = (v - _EPOCH.date()).days
    elif isinstance(v, dt.time):
        serial = (v.hour * 3600 + v.minute * 60 + v.second + v.microsecond / 1e6) / 86400
    elif isinstance(v, dt.timedelta):
        serial = v.total_seconds() / 86400
    else:
        return str(v)
    return int(serial) if float(serial).is_integer() else serial


def _read_calamine(data: bytes, file: str, name: str, kind: str, digest: str) -> Book:
    """Values-only reading; see the module docstring for what is lost on this path.

    calamine, olefile and msoffcrypto raise many exception types on hostile input, so
    this path and ``_open_ole`` catch ``Exception`` and turn it into a ReadError.
    """
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:
        if kind == "et":
            raise _err("unsupported_et", file, name) from None
        if kind == "xls":
            raise _err("legacy_unreadable", file, name) from None
        raise _err("corrupt", file, name, "（表格内容无法解析）") from None
    sheets: list[Sheet] = []
    try:
        for i, meta in enumerate(wb.sheets_metadata):
            vis = str(getattr(meta, "visible", "")).lower()
            state = "veryHidden" if "veryhidden" in vis else "hidden" if "hidden" in vis else "visible"
            sh = Sheet(meta.name, {}, [], {}, False, state)
            sheets.append(sh)
            try:
                cs = wb.get_sheet_by_index(i)
                rows = cs.to_python()  # starts at cs.start, the first non-empty cell
                r0, c0 = cs.start or (0, 0)
            except Exception:
                if "worksheet" not in str(getattr(meta, "typ", "")).lower():
                    continue  # chart sheets etc. have no cells
                raise
            cells = sh.cells
            for r, row in enumerate(rows):
                for c, v in enumerate(row):
                    if v == "" or v is None:
                        continue
                    cells[(r0 + r, c0 + c)] = Cell(_calamine_value(v))
            merged = getattr(cs, "merged_cell_ranges", None)
            for (r1, c1), (r2, c2) in merged or ():
                sh.merged.append((r1, c1, r2, c2))
    except Exception:
        if kind == "et":
            raise _err("unsupported_et", file, name) from None
        if kind == "xls":
            raise _err("legacy_unreadable", file, name) from None
        raise _err("corrupt", file, name, "（表格内容无法解析）") from None
    finally:
        try:
            wb.close()
        except Exception:
            pass
    return Book(file, kind, sheets, {}, False, digest, values_only=True)
