#!/usr/bin/env python3
"""Regenerate the committed workbooks from the form description (deterministic).

    python scripts/build_templates.py          # write them
    python scripts/build_templates.py --check  # exit 1 when a committed file differs

Outputs:
    workbook_templates/self-evaluation-template.xlsx   blank, one project sheet
    workbook_templates/self-evaluation-template-3projects.xlsx
    examples/junshan-2024.xlsx                          the seed unit, filled from examples/junshan-2024.json
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gridbudget.write.fsutil import atomic_write_bytes  # noqa: E402
from gridbudget.submission import flatten, load_json  # noqa: E402
from gridbudget.write.template import TemplateOptions, build_workbook  # noqa: E402

TEMPLATE_YEAR = 2024


def outputs() -> dict[Path, bytes]:
    example = load_json(ROOT / "examples" / "junshan-2024.json")
    flat = flatten(example)
    return {
        ROOT / "workbook_templates" / "self-evaluation-template.xlsx":
            build_workbook(TemplateOptions(year=TEMPLATE_YEAR, projects=1)),
        ROOT / "workbook_templates" / "self-evaluation-template-3projects.xlsx":
            build_workbook(TemplateOptions(year=TEMPLATE_YEAR, projects=3)),
        ROOT / "examples" / "junshan-2024.xlsx":
            build_workbook(TemplateOptions(unit=example["basic"]["unit"]), flat),
    }


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for path, data in outputs().items():
        if check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(path)
        else:
            atomic_write_bytes(path, data)
            print(f"wrote {path.relative_to(ROOT)} ({len(data)} bytes)")
    if stale:
        for p in stale:
            print(f"out of date: {p.relative_to(ROOT)} (run python scripts/build_templates.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
