#!/usr/bin/env python3
"""Generate docs/families.md and docs/families/<key>.png from gridbudget/forms/families.py.

    python3 scripts/families_doc.py          # write the markdown and the pictures
    python3 scripts/families_doc.py --check  # exit 1 when docs/families.md is out of date
    python3 scripts/families_doc.py --pictures=KEY,KEY   # the markdown, and only these families' pictures

Every statement about a family is derived from its ``Family`` description; the only
prose typed here is fixed explanation that applies to all families. The vocabulary
section is derived from ``gridbudget.forms`` (FUNDS_COLUMNS, INDICATOR_COLUMNS,
INDICATOR_EXTRA_COLUMNS, TEXT_BLOCKS, TITLE_WORDS, HEADER_TOTAL_WORDS).

Pictures: a small sample workbook of each family's ``example`` header rows is written
with openpyxl, printed to PDF by LibreOffice (headless, throwaway profile) and
rasterised and cropped with pdftoppm. They are not byte-stable, so ``--check`` compares
only the markdown and never starts LibreOffice.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gridbudget import forms  # noqa: E402
from gridbudget.forms import families as fam  # noqa: E402

DOC = ROOT / "docs" / "families.md"
PICTURES = ROOT / "docs" / "families"
PICTURE_DPI = 60
PICTURE_MAX_BYTES = 60_000
PICTURE_WIDTH_PX = 680     # width of the table in the picture

# ---------------------------------------------------------------------------
# Fixed wording shared by all families
# ---------------------------------------------------------------------------
KIND_NAMES = {"project": "项目支出", "overall": "部门整体", "basic": "基础数据表"}

# Reader facts (see read/tables.py): what each one means, keyed by the constants themselves.
FACT_EXPLANATIONS = {
    fam.FACT_WEIGHT_BEFORE_TARGET: "指标表中“分值”列在“年度指标值”列的左边",
    fam.FACT_FUNDS_UNSCORED: "资金表头既没有“分值”列也没有“得分”列，即预算执行率不计分",
    fam.FACT_NO_TARGET: "指标表既没有“年度指标值”列也没有“实际完成值”列，各行是评分细则",
    fam.FACT_NO_LEVELS: "指标表没有“一级指标”“二级指标”层次",
}

WEIGHT_SOURCES = {
    "column": "分值列：每行的分值写在“分值”列（或其同义词）中",
    "implied": "推算：没有分值列时按 得分 = 分值 × 完成率 推算各行分值",
    "labels": "标签里的分值：分值写在一级、二级指标等标签里（如“产出指标 40分”）",
}

WEIGHT_SOURCE_SHORT = {"column": "分值列", "implied": "推算", "labels": "标签"}

LEVEL_NAMES = {key: name for key, name, _w, _l2 in forms.LEVEL1}
TEXT_BLOCK_NAMES = {key: label for key, label, _syn in forms.TEXT_BLOCKS}
NOTE_LABEL = next(label for key, label, _k, _s in forms.INDICATOR_COLUMNS if key == "note")


def _cell(text: object) -> str:
    """Text safe inside a markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _words(words) -> str:
    return "、".join(f"“{w}”" for w in words) if words else "—"


def _fact_or_word(w: str) -> str:
    if w.startswith("@"):
        meaning = FACT_EXPLANATIONS.get(w, "读取器从表格结构推出的事实")
        return f"`{w}`（读取器事实：{meaning}）"
    return f"“{w}”"


def _title_words(kind: str) -> tuple[str, ...]:
    return next((words for k, words in forms.TITLE_WORDS if k == kind), ())


def _is_scored(f: fam.Family) -> bool:
    return not f.declaration and not (f.funds_weight is None and f.indicator_total is None and not f.level_weights)


def _funds_text(f: fam.Family) -> str:
    return f"{f.funds_weight} 分" if f.funds_weight is not None else "不计分"


def _levels_text(f: fam.Family) -> str:
    if f.level_weights:
        return "、".join(f"{LEVEL_NAMES.get(k, k)} {w} 分" for k, w in f.level_weights)
    return "没有统一的标准分值，标在标签里（或以各行分值为准）"


def _indicator_total_text(f: fam.Family) -> str:
    return f"{f.indicator_total} 分" if f.indicator_total is not None else "不固定（按各行分值合计）"


def _template_text(f: fam.Family) -> str:
    if f.declaration:
        return "不生成模板（由 `gridbudget distribute 预算清单 --targets 申报表` 读取，预填下发的自评表）"
    if f.layout is None:
        return "不生成模板（本表式只读取、审核、评分）"
    table = forms.TABLES.get(f.layout)
    name = f"，{table.name}" if table is not None else ""
    return f"`gridbudget template --family {f.key}` 可写出本表式（模板布局 `{f.layout}`{name}）"


def _example_table(rows) -> list[str]:
    n = max(len(r) for r in rows)
    rows = [tuple(r) + ("",) * (n - len(r)) for r in rows]
    cols = [forms.col_letter(i) for i in range(n)]
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * n]
    out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return out


def _family_section(f: fam.Family) -> list[str]:
    default = fam.DEFAULT_FAMILY.get(f.kind) == f.key
    out = [f"### {f.name}", "", f"键：`{f.key}`　表类：{KIND_NAMES.get(f.kind, f.kind)}"
           + ("（本类默认表式）" if default else ""), "", f"> {f.description}", ""]

    out.append("**识别**")
    out.append("")
    if f.titles:
        out.append(f"- 标题词（本表式，先于各表类的标题词判断）：{_words(f.titles)}")
    else:
        out.append(f"- 标题词（{KIND_NAMES.get(f.kind, f.kind)}类）：{_words(_title_words(f.kind))}")
    if f.markers:
        out.append(f"- 标志（任一即可）：{'、'.join(_fact_or_word(w) for w in f.markers)}")
    if f.requires:
        out.append(f"- 必需（全部具备）：{'、'.join(_fact_or_word(w) for w in f.requires)}")
    if not f.markers and not f.requires:
        out.append("- 没有标志词：" + ("同类表没有匹配到其他表式时按本表式读取" if default
                                       else "不会被自动识别"))
    out.append(f"- 优先级（rank）：{f.rank}")
    out.append("")

    out.append("**计分**")
    out.append("")
    if _is_scored(f):
        out.append(f"- 预算执行率：{_funds_text(f)}")
        out.append(f"- 一级指标标准分值：{_levels_text(f)}")
        out.append(f"- 指标合计：{_indicator_total_text(f)}")
        out.append(f"- 总分：{f.total} 分")
        out.append(f"- 分值来自：{WEIGHT_SOURCES.get(f.weights, f.weights)}")
        out.append("- 各行：" + ("评分细则（评价内容、评分标准），没有目标值与完成值" if f.rubric
                                else "绩效目标（年度指标值与实际完成值对照）"))
    elif f.declaration:
        out.append("- 本表不审核、不计分：各行是申报的三级指标与指标值，没有实际完成值、分值、得分；"
                   "指标按一级、二级指标归入自评表的同名位置")
    else:
        out.append("- 本表不计分")
    out.append("")

    out.append("**说明与文字**")
    out.append("")
    out.append(f"- 说明列：{'有（' + NOTE_LABEL + '，或其同义词）' if f.note_column else '无'}")
    blocks = "、".join(f"{TEXT_BLOCK_NAMES.get(t, t)}（`{t}`）" for t in f.texts)
    out.append(f"- 文字块：{blocks if blocks else '无'}")
    out.append("")

    out.append(f"**模板**：{_template_text(f)}")
    out.append("")
    out.append("**来源**：" + ("；".join(f.sources) if f.sources else "—"))
    out.append("")

    if f.example:
        out.append("**表头示例**（按原表印刷的表头行）")
        out.append("")
        out.append(f"![{f.name}](families/{f.key}.png)")
        out.append("")
        out.extend(_example_table(f.example))
        out.append("")
    return out


def _vocab_table(title: str, rows, with_kind: bool) -> list[str]:
    out = [f"### {title}", ""]
    if with_kind:
        out += ["| 键 | 官方标签 | 类型 | 同义词 |", "|---|---|---|---|"]
        out += [f"| `{k}` | {_cell(label)} | {_cell(forms.KIND_LABELS.get(kind, kind))} | "
                f"{_cell('、'.join(syn)) or '—'} |" for k, label, kind, syn in rows]
    else:
        out += ["| 键 | 官方标签 | 同义词 |", "|---|---|---|"]
        out += [f"| `{k}` | {_cell(label)} | {_cell('、'.join(syn)) or '—'} |" for k, label, syn in rows]
    out.append("")
    return out


def render_markdown() -> str:
    """The whole of docs/families.md (deterministic)."""
    out = [
        "# 表式说明",
        "",
        "<!-- 由 scripts/families_doc.py 根据 gridbudget/forms/families.py 生成，请勿手工修改。 -->",
        "",
        "各地发布的绩效自评表格式不一。gridbudget 把每一种格式（“表式”）描述一次：怎样识别、预算执行率和指标各占多少分、"
        "分值从哪里来、各行是目标还是评分细则、有哪些文字块、出自哪里。读取时为每张表确定表式，审核和评分按表式取分值和关系。",
        "",
        "## 总览",
        "",
        "| 键 | 名称 | 表类 | 预算执行率 | 指标合计 | 总分 | 分值来自 | 模板 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in fam.ALL_FAMILIES:
        scored = _is_scored(f)
        out.append(" | ".join([
            f"| `{f.key}`", _cell(f.name), KIND_NAMES.get(f.kind, f.kind),
            _funds_text(f) if scored else "—",
            _indicator_total_text(f) if scored else "—",
            str(f.total) if scored else "—",
            WEIGHT_SOURCE_SHORT.get(f.weights, f.weights) if scored else "—",
            "可" if f.layout else "—",
        ]) + " |")
    out += [
        "",
        "## 识别方法",
        "",
        "1. 先按标题词确定表类（项目支出、部门整体、基础数据表），标题词见下文“词汇”。",
        "2. 在同类表式中，表头文字含“标志”中任一词、且含“必需”中全部词的表式匹配；"
        "没有匹配时用本类默认表式。",
        "3. 多个表式匹配时，优先级（rank）最高、即最具体的表式胜出。",
        "4. 以 `@` 开头的不是表头文字，而是读取器从表格结构推出的事实：",
        "",
    ]
    out += [f"   - `{k}`：{v}" for k, v in FACT_EXPLANATIONS.items()]
    out += [
        "",
        "分值来源：",
        "",
    ]
    out += [f"- `{k}`：{v}" for k, v in WEIGHT_SOURCES.items()]
    out.append("")
    for kind, kind_name in KIND_NAMES.items():
        members = [f for f in fam.FAMILIES if f.kind == kind and not f.declaration]
        if not members:
            continue
        out += [f"## {kind_name}表式", ""]
        for f in members:
            out += _family_section(f)
    others = [f for f in fam.FAMILIES if f.kind not in KIND_NAMES]
    if others:
        out += ["## 其他", ""]
        for f in others:
            out += _family_section(f)
    out += ["## 绩效目标申报表（不审核、不计分）", "",
            "编制预算时申报的绩效目标。读取方法与自评表相同，标题即可确定表式；读取后不作为自评表审核，"
            "`gridbudget distribute 预算清单 --targets 申报表` 用它预填、锁定各项目的年度目标和指标，"
            "交回后 F- 规则按下发记录核对被删除、改名、增加的指标和被调低的指标值。", ""]
    for f in fam.DECLARATIONS:
        out += _family_section(f)

    out += [
        "## 词汇",
        "",
        "所有表式共用同一套词汇：表头单元格中包含的最长官方标签或同义词决定该列的含义。表式只决定这些列对计分的意义。",
        "",
    ]
    out += _vocab_table("资金列", forms.FUNDS_COLUMNS, True)
    out += _vocab_table("指标列", forms.INDICATOR_COLUMNS, True)
    out += _vocab_table("指标附加列（读取、显示、审核，不写入模板）", forms.INDICATOR_EXTRA_COLUMNS, True)
    out += _vocab_table("文字块", forms.TEXT_BLOCKS, False)
    out += ["### 标题词", "", "| 表类 | 标题词 |", "|---|---|"]
    out += [f"| {KIND_NAMES.get(k, k)}（`{k}`） | {_cell('、'.join(words))} |" for k, words in forms.TITLE_WORDS]
    out += [f"| {f.name}（`{f.kind}`，`{f.key}`） | {_cell('、'.join(f.titles))} |" for f in fam.ALL_FAMILIES if f.titles]
    out.append("")
    total_words = getattr(forms, "HEADER_TOTAL_WORDS", ())
    if total_words:
        out += [f"标题行中的自评总分写法：{_cell('、'.join(total_words))}。", ""]
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------------
# Pictures
# ---------------------------------------------------------------------------
def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _merges(rows: list[tuple[str, ...]]) -> list[tuple[int, int, int, int]]:
    """Merged ranges (r0, c0, r1, c1), 0-based, inferred from empty cells: an empty cell
    under a one-column label continues it downward, otherwise an empty cell continues
    its left neighbour's label (of the same row) to the right."""
    owner: dict[tuple[int, int], tuple[int, int]] = {}
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if text:
                owner[(r, c)] = (r, c)
                continue
            above = owner.get((r - 1, c))
            left = owner.get((r, c - 1))
            if above is not None and above[1] == c and owner.get((above[0], c + 1)) != above:
                owner[(r, c)] = above
            elif left is not None and left[0] == r:
                owner[(r, c)] = left
    ranges: dict[tuple[int, int], list[int]] = {}
    for (r, c), (r0, c0) in owner.items():
        box = ranges.setdefault((r0, c0), [r0, c0, r0, c0])
        box[2], box[3] = max(box[2], r), max(box[3], c)
    return sorted(tuple(b) for b in ranges.values() if (b[2], b[3]) != (b[0], b[1]))


def build_sample(f: fam.Family, scale: int = 100) -> bytes:
    """A one-sheet workbook: the family name as title, then its example header rows."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    n = max(len(r) for r in f.example)
    rows = [tuple(r) + ("",) * (n - len(r)) for r in f.example]
    wb = Workbook()
    ws = wb.active
    ws.title = "表式"
    font = "WenQuanYi Micro Hei"
    ws.cell(1, 1, f.name).font = Font(name=font, bold=True, size=12)
    ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n)
    ws.row_dimensions[1].height = 24
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            cell = ws.cell(r + 2, c + 1, text or None)
            cell.font = Font(name=font, bold=True, size=10)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = border
    for r0, c0, r1, c1 in _merges(rows):
        ws.merge_cells(start_row=r0 + 2, start_column=c0 + 1, end_row=r1 + 2, end_column=c1 + 1)
    for c in range(n):
        longest = max((_display_width(row[c]) for row in rows), default=0)
        # wrap long labels onto two or three lines
        ws.column_dimensions[get_column_letter(c + 1)].width = min(max(longest * 0.62 + 2, 8.0), 16.0)
    for r in range(len(rows)):
        ws.row_dimensions[r + 2].height = 42
    # Print on landscape A3 (room to spare); the scale is chosen by render_pictures so that
    # the table comes out about PICTURE_WIDTH_PX wide at PICTURE_DPI.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.page_margins.left = ws.page_margins.right = ws.page_margins.top = ws.page_margins.bottom = 0.3
    ws.page_margins.header = ws.page_margins.footer = 0
    ws.page_setup.scale = scale
    ws.print_area = f"A1:{get_column_letter(n)}{len(rows) + 1}"
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _pgm_bbox(path: Path, pad: int = 4) -> tuple[int, int, int, int] | None:
    """Bounding box (x, y, w, h) of the non-white pixels of a binary PGM."""
    data = path.read_bytes()
    parts, pos = [], 0
    while len(parts) < 4:           # magic, width, height, maxval (no comments from pdftoppm)
        while data[pos:pos + 1].isspace():
            pos += 1
        start = pos
        while not data[pos:pos + 1].isspace():
            pos += 1
        parts.append(data[start:pos])
    pos += 1
    w, h = int(parts[1]), int(parts[2])
    pixels = data[pos:pos + w * h]
    xs0, ys0, xs1, ys1 = w, h, -1, -1
    for y in range(h):
        line = pixels[y * w:(y + 1) * w]
        dark = [x for x, v in enumerate(line) if v < 240]
        if dark:
            ys0, ys1 = min(ys0, y), y
            xs0, xs1 = min(xs0, dark[0]), max(xs1, dark[-1])
    if xs1 < 0:
        return None
    x0, y0 = max(0, xs0 - pad), max(0, ys0 - pad)
    return x0, y0, min(w, xs1 + pad + 1) - x0, min(h, ys1 + pad + 1) - y0


def render_pictures(keys: list[str] | None = None) -> list[Path]:
    """Write docs/families/<key>.png for every family with an example; return the paths."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftoppm = shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        print("LibreOffice (soffice) or pdftoppm not found: pictures not written", file=sys.stderr)
        return []
    PICTURES.mkdir(parents=True, exist_ok=True)
    chosen = [f for f in fam.ALL_FAMILIES if f.example and (keys is None or f.key in keys)]
    if not chosen:
        return []
    written = []
    with tempfile.TemporaryDirectory(prefix="families_doc_") as tmp:
        work = Path(tmp)
        profile = (work / "profile").as_uri()

        def to_pdf(folder: Path, books: dict[str, bytes]) -> None:
            folder.mkdir()
            for key, data in books.items():
                (folder / f"{key}.xlsx").write_bytes(data)
            subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                            "--outdir", str(folder)] + [str(folder / f"{k}.xlsx") for k in books],
                           check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)

        def bbox(pdf: Path) -> tuple[int, int, int, int] | None:
            stem = pdf.with_suffix("")
            subprocess.run([pdftoppm, "-r", str(PICTURE_DPI), "-f", "1", "-l", "1", "-singlefile", "-gray",
                            str(pdf), str(stem)], check=True)
            return _pgm_bbox(stem.with_suffix(".pgm"))

        # Pass 1 at 100 % measures each table; pass 2 prints it at the scale that gives the target width.
        to_pdf(work / "measure", {f.key: build_sample(f) for f in chosen})
        scales = {}
        for f in chosen:
            pdf = work / "measure" / f"{f.key}.pdf"
            box = bbox(pdf) if pdf.exists() else None
            scales[f.key] = max(40, min(250, int(PICTURE_WIDTH_PX / box[2] * 100))) if box else 100
        to_pdf(work / "final", {f.key: build_sample(f, scales[f.key]) for f in chosen})
        for f in chosen:
            pdf = work / "final" / f"{f.key}.pdf"
            if not pdf.exists():
                print(f"no PDF for {f.key}", file=sys.stderr)
                continue
            crop = []
            box = bbox(pdf)
            if box is not None:
                x, y, w, h = box
                crop = ["-x", str(x), "-y", str(y), "-W", str(w), "-H", str(h)]
            stem = work / "final" / f"{f.key}-crop"
            subprocess.run([pdftoppm, "-r", str(PICTURE_DPI), "-f", "1", "-l", "1", "-singlefile", "-png"]
                           + crop + [str(pdf), str(stem)], check=True)
            out = PICTURES / f"{f.key}.png"
            shutil.copyfile(stem.with_suffix(".png"), out)
            size = out.stat().st_size
            note = "" if size < PICTURE_MAX_BYTES else f" (over {PICTURE_MAX_BYTES} bytes)"
            print(f"wrote {out.relative_to(ROOT)} ({size} bytes){note}")
            written.append(out)
    return written


def main(argv: list[str]) -> int:
    text = render_markdown()
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            print(f"out of date: {DOC.relative_to(ROOT)} (run python3 scripts/families_doc.py)")
            return 1
        return 0
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)} ({len(text.encode('utf-8'))} bytes)")
    keys = [a.split("=", 1)[1] for a in argv if a.startswith("--pictures=")]     # only these families' pictures
    render_pictures(keys[0].split(",") if keys else None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
