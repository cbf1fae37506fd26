"""Shared test helpers."""

from __future__ import annotations

import hashlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_JSON = ROOT / "examples" / "junshan-2024.json"
EXAMPLE_XLSX = ROOT / "examples" / "junshan-2024.xlsx"
SEED_TEXT = ROOT / "examples" / "seed" / "junshan-grid-center-2024-self-evaluation.txt"


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def named_cells(wb, sheet_name: str) -> dict[str, tuple[int, int, int, int]]:
    """Sheet-scoped defined names of an openpyxl workbook -> (r1, c1, r2, c2) 1-based."""
    from openpyxl.utils.cell import range_boundaries

    ws = wb[sheet_name]
    out = {}
    for name, dn in ws.defined_names.items():
        ref = dn.attr_text.split("!")[-1].replace("$", "")
        c1, r1, c2, r2 = range_boundaries(ref)
        out[name] = (r1, c1, r2, c2)
    return out
