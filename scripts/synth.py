#!/usr/bin/env python3
"""Synthetic submissions for tests and benchmarks: varied, consistent, with known mistakes.

``make(i, seed)`` gives one unit's submission (nested JSON, as ``gridbudget fill`` takes)
and the set of (rule code, severity) that validation must report for it: empty for a
clean one, the injected mistake's codes otherwise (about one in five). ``write_files``
writes N of them as workbooks: mostly the standard template, some with the defined
names stripped (read by labels, as a hand-made workbook is), and a few broken files.

    python scripts/synth.py OUTDIR N
"""

from __future__ import annotations

import io
import random
import re
import sys
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gridbudget import forms  # noqa: E402
from gridbudget.submission import flatten  # noqa: E402
from gridbudget.write.template import TemplateOptions, build_workbook  # noqa: E402

D = Decimal
DEPARTMENTS = ["岳阳市财政局", "岳阳市教育局", "岳阳市卫生健康委员会", "岳阳市农业农村局", "岳阳市民政局", "岳阳市交通运输局"]
UNIT_WORDS = ["第一中学", "疾病预防控制中心", "农业技术推广站", "社会福利院", "公路事务中心", "网格化服务中心", "档案馆",
              "图书馆", "城市管理综合执法支队", "水利工程管理站"]
MEASURES = [("次", 5, 200), ("条", 100, 5000), ("人", 10, 900), ("个", 1, 60), ("户", 20, 3000), ("场", 2, 40)]
QUAL = [("定性", "达成"), ("提升", "有效提升"), ("改善", "显著改善"), ("定性", "及时"), ("优化", "持续优化")]
MISTAKES = ("income", "score_over", "deducted_blank", "project_name", "weight")


def q2(x: Decimal) -> Decimal:
    return x.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def _weights(total: int, n: int, rng: random.Random) -> list[int]:
    """n positive integers adding up to total."""
    if n == 1:
        return [total]
    cuts = sorted(rng.sample(range(1, total), n - 1))
    return [b - a for a, b in zip([0] + cuts, cuts + [total])]


def _indicators(rng: random.Random, n: int, budget: Decimal) -> dict:
    """An indicator tree of n rows (at least one per 一级), every target met, full marks."""
    per = {"output": max(3, n - 4), "benefit": 2 if n >= 8 else 1, "satisfaction": 1}
    per["output"] = max(1, n - per["benefit"] - per["satisfaction"])
    tree: dict = {}
    for l1key, l1name, l1weight, level2 in forms.LEVEL1:
        k = per[l1key]
        ws = _weights(l1weight, k, rng) if k <= l1weight else [1] * k
        rows_by_l2: dict[str, list] = {}
        for j, w in enumerate(ws):
            l2key = level2[j % len(level2)][0]
            if l1key == "output" and l2key == "cost":
                row = {"name": "成本控制在预算内", "target": f"≤{budget}万元", "actual": f"{q2(budget * D('0.97'))}万元"}
            elif l1key == "satisfaction":
                row = {"name": "服务对象满意度", "target": "≥90%", "actual": f"{rng.randint(90, 99)}%"}
            elif rng.random() < 0.3:
                t, a = rng.choice(QUAL)
                row = {"name": f"工作质量{j + 1}", "target": t, "actual": a}
            else:
                unit, lo, hi = rng.choice(MEASURES)
                target = rng.randint(lo, hi)
                actual = target + rng.randint(0, target // 5)                # met, under 130%
                row = {"name": f"完成工作量{j + 1}", "target": f"≥{target}{unit}", "actual": f"{actual}{unit}"}
            row.update({"weight": w, "score": w, "note": "无偏差"})
            rows_by_l2.setdefault(l2key, []).append(row)
        tree[l1key] = {"label": l1name, **{k2: {"label": name, "rows": rows_by_l2[k2]}
                                           for k2, name, _s in level2 if k2 in rows_by_l2}}
    return tree


def make(i: int, seed: int = 2024) -> tuple[dict, set[tuple[str, str]]]:
    rng = random.Random(seed * 100003 + i)
    dept = DEPARTMENTS[i % len(DEPARTMENTS)]
    unit = f"岳阳市{rng.choice(UNIT_WORDS)}{i:05d}"
    year = 2024
    nproj = rng.randint(1, 5)
    projects = []
    proj_rows = []
    for k in range(nproj):
        budget = q2(D(rng.randint(500, 20000)) / 100)
        executed = q2(budget * D(rng.randint(9100, 10000)) / 10000)
        name = f"{rng.choice(['专项业务经费', '信息化建设', '设备购置', '运行维护', '培训宣传'])}{k + 1}"
        proj_rows.append({"name": name, "prev_final": q2(budget * D("0.9")), "budget": budget, "final": executed})
        rate = executed / budget * 100
        score = q2(D(10) * min(rate / 100, D(1)))
        projects.append({
            "name": name, "year": year, "department": dept, "unit": unit,
            "funds": {"total": {"initial": budget, "budget": budget, "executed": executed, "weight": 10, "score": score},
                      "current": {"initial": budget, "budget": budget, "executed": executed}},
            "goals": [{"expected": f"完成{name}年度任务。", "achieved": "已按计划完成。"}],
            "ind": _indicators(rng, rng.randint(8, 20), budget),
        })
    project_total = sum((p["final"] for p in proj_rows), D(0))
    basic_exec = q2(D(rng.randint(3000, 60000)) / 100)
    public = q2(basic_exec * D("0.12"))
    total = basic_exec + project_total
    other = q2(D(rng.randint(0, 100)) / 100)
    budget = q2(total * D(rng.randint(10000, 10800)) / 10000)
    rate = total / budget * 100
    overall = {
        "unit": unit, "year": year,
        "funds": {"total": {"initial": budget, "budget": budget, "executed": total, "weight": 10,
                            "score": q2(D(10) * min(rate / 100, D(1)))}},
        "income": {"general": total - other, "other": other},
        "expense": {"basic": basic_exec, "project": project_total},
        "goals": [{"expected": "履行职责，完成年度工作任务。", "achieved": "各项工作按计划完成。"}],
        "ind": _indicators(rng, rng.randint(8, 20), budget),
    }
    staff = rng.randint(5, 80)
    basic = {
        "unit": unit, "year": year, "staff": {"authorized": staff, "actual": staff - rng.randint(0, 3)},
        "reception": {"prev_final": D("0.50"), "budget": D("0.45"), "final": D("0.40")},
        "projects": proj_rows,
        "public": {"prev_final": public, "budget": public, "final": public},
        "office": {"prev_final": q2(public / 2), "budget": q2(public / 2), "final": q2(public / 2)},
    }
    data = {"basic": basic, "overall": overall, "projects": projects}
    expected: set[tuple[str, str]] = set()
    if i % 5 == 4:
        kind = MISTAKES[(i // 5) % len(MISTAKES)]
        # the mistake goes into a quantitative ≥ row (qualitative rows would add band findings)
        rows = [r for k, v in overall["ind"]["output"].items() if k != "label" for r in v["rows"]]
        r = next((r for r in rows if r["target"].startswith("≥")), rows[0])
        if kind == "income":
            overall["income"]["general"] += D(1)
            expected = {("W-INCOME-SUM", "error")}
        elif kind == "score_over":
            r["score"] = r["weight"] + 2
            expected = {("S-SCORE-RANGE", "error")}
        elif kind == "deducted_blank":
            r["score"] = r["weight"] - 1 if r["weight"] > 1 else D("0.5")
            r["note"] = ""
            expected = {("D-NOTE-DEDUCTED-BLANK", "error"), ("S-MET-DEDUCTED", "warning")}
        elif kind == "project_name":
            projects[0]["name"] = projects[0]["name"] + "（改）"
            expected = {("X-PROJECT-SHEET-ROW", "warning")}
        elif kind == "weight":
            r["weight"] = r["weight"] + 5
            r["score"] = r["weight"]
            expected = {("S-WEIGHT-L1", "warning"), ("S-WEIGHT-TOTAL", "error")}
    return data, expected


def strip_names(xlsx: bytes) -> bytes:
    """The same workbook without its defined names: read by labels, like a hand-made one."""
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                data = re.sub(rb"<definedNames>.*?</definedNames>", b"", data, flags=re.S)
            dst.writestr(info, data)
    return out.getvalue()


BROKEN = {"empty": b"", "text": "这是一份说明，不是表格".encode("utf-8")}


def write_files(outdir: Path, n: int, seed: int = 2024, *, broken_every: int = 200, label_every: int = 7) -> dict:
    """Write n submissions; return {file name: expected set or the string 'unreadable'}."""
    outdir.mkdir(parents=True, exist_ok=True)
    expected: dict[str, object] = {}
    for i in range(n):
        if broken_every and i % broken_every == broken_every - 1:
            kind = ("empty", "text", "truncated")[(i // broken_every) % 3]
            name = f"unit-{i:05d}-broken.xlsx"
            if kind == "truncated":
                data, _ = make(i, seed)
                raw = build_workbook(TemplateOptions(), flatten(data))
                (outdir / name).write_bytes(raw[: len(raw) // 3])
            else:
                (outdir / name).write_bytes(BROKEN[kind])
            expected[name] = "unreadable"
            continue
        data, exp = make(i, seed)
        raw = build_workbook(TemplateOptions(unit=data["overall"]["unit"]), flatten(data))
        if label_every and i % label_every == 3:
            raw = strip_names(raw)
        name = f"unit-{i:05d}.xlsx"
        (outdir / name).write_bytes(raw)
        expected[name] = exp
    return expected


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "synthetic")
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    exp = write_files(out, count)
    print(f"wrote {len(exp)} files to {out}")
