#!/usr/bin/env python3
"""Regenerate the committed workbooks from the form description (deterministic).

    python scripts/build_templates.py          # write them
    python scripts/build_templates.py --check  # exit 1 when a committed file differs

Outputs:
    workbook_templates/self-evaluation-template.xlsx   blank, one project sheet
    workbook_templates/self-evaluation-template-3projects.xlsx
    examples/junshan-2024.xlsx                          the seed unit, filled from examples/junshan-2024.json
    examples/cycle/预算清单.csv                           the seed unit's budget list (gridbudget distribute)
    examples/cycle/申报表/移动网格平台.xlsx                its project's 绩效目标申报表 (distribute --targets),
                                                        laid out as units publish it, from the seed's targets
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


def budget_list(example: dict) -> bytes:
    """The bureau's budget list for the seed unit: its overall funds and each project's (万元)."""
    o = example["overall"]
    lines = ["单位编码,单位名称,主管部门,项目名称,年初预算数,调整后预算数",
             f"0101,{o['unit']},{example['projects'][0]['department']},,{o['funds']['total']['initial']},"
             f"{o['funds']['total']['budget']}"]
    for pr in example["projects"]:
        t = pr["funds"]["total"]
        lines.append(f"0101,{o['unit']},{pr['department']},{pr['name']},{t['initial']},{t['budget']}")
    return ("\n".join(lines) + "\n").encode("utf-8-sig")        # BOM: Excel opens it as UTF-8


def declaration(pr: dict, year: int) -> bytes:
    """A 项目支出绩效目标申报表 of a project as units lay it out (label rows over an indicator grid),
    its goals and indicators being the targets the self-evaluation restates (deterministic bytes)."""
    import datetime as dt
    import io

    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"created": dt.datetime(2000, 1, 1)})
    ws = wb.add_worksheet("申报表")
    ws.set_column(0, 0, 14)
    ws.set_column(1, 3, 18)
    ws.set_column(4, 4, 14)
    ws.write(0, 0, "项目支出绩效目标申报表")
    ws.write(1, 0, f"（{year}年度）")
    rows = [("项目名称", pr["name"]), ("主管部门", pr["department"]), ("实施单位", pr["unit"]),
            ("年度绩效目标", "；".join(g["expected"] for g in pr.get("goals", [])))]
    for i, (label, value) in enumerate(rows, start=2):
        ws.write(i, 0, label)
        ws.write(i, 1, value)
    r = len(rows) + 2
    for c, h in enumerate(("绩效指标", "一级指标", "二级指标", "三级指标", "指标值")):
        ws.write(r, c, h)
    for l1 in pr["ind"].values():
        for key, l2 in l1.items():
            if key == "label":
                continue
            for row in l2.get("rows", []):
                r += 1
                for c, v in enumerate((l1["label"], l2["label"], row["name"], row["target"]), start=1):
                    ws.write_string(r, c, str(v))
    wb.close()
    return buf.getvalue()


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
        ROOT / "examples" / "cycle" / "预算清单.csv": budget_list(example),
        **{ROOT / "examples" / "cycle" / "申报表" / f"{pr['name']}.xlsx": declaration(pr, example["overall"]["year"])
           for pr in example["projects"]},
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
