"""The sheets added to the annotated copy (审核结果) and the scored copy (评分汇总) read on
screen and print on A4: nothing cut, a legible scale, a title block and a legend; findings
grouped by severity then table with their full text; finding colours apart from the
template's fills; the work rubric merged as on the official form with its 所需佐证材料."""

from __future__ import annotations

import re
import shutil
import subprocess

import openpyxl
import pytest
from helpers import EXAMPLE_XLSX, sha256
from printcheck import fit_problems

from gridbudget.check.engine import validate_submission
from gridbudget.check.findings import SEVERITY_RANK, Finding
from gridbudget.read.tables import read_submission
from gridbudget.score.engine import score_submission
from gridbudget.write import libreoffice as lo
from gridbudget.write import style
from gridbudget.write.annotate import annotate
from gridbudget.write.scoresheet import write_scored_copy
from gridbudget.write.template import TemplateOptions, write_template

TABLE_ORDER = {"basic": 0, "overall": 1, "project": 2}

LONG = ("项目“{n}”的全年执行数与基础数据表中同名项目支出行的本年决算数不一致（相差 12.34万元），"
        "单位在偏差原因分析及改进措施中也没有说明差异的来源；请核对两张表的金额口径是否一致，"
        "是否把结转资金、其他资金计入了其中一张表，改正后重新提交，必要时附上财务核算明细。")


def _findings(path):
    sub = read_submission(path)
    return sub, validate_submission(sub, None).findings


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    """Annotated and scored copies of the seed, of a blank template (many findings) and of the
    template with many long findings added."""
    tmp = tmp_path_factory.mktemp("copies")
    seed = tmp / "junshan-2024.xlsx"
    shutil.copyfile(EXAMPLE_XLSX, seed)
    blank = write_template(tmp / "blank.xlsx", TemplateOptions(unit="测试单位", year=2024, projects=3))
    out = {}
    for name, src in (("seed", seed), ("blank", blank)):
        before = sha256(src)
        sub, found = _findings(src)
        out[f"{name}-findings"] = found
        out[f"{name}-annotated"] = annotate(src, found, tmp / f"{name}-审核.xlsx", profile="national-2020")
        out[f"{name}-scored"] = write_scored_copy(src, tmp / f"{name}-评分.xlsx", score_submission(sub), None,
                                                  unit=sub.unit, year=sub.year)
        assert sha256(src) == before                      # the copies never modify the input
    # many long findings on many cells, every severity, every table
    _, found = _findings(blank)
    sheets = openpyxl.load_workbook(blank).sheetnames
    many = list(found)
    for i in range(60):
        sev = ("error", "warning", "info")[i % 3]
        table = ("basic", "overall", "project")[i % 3]
        sheet = next(s for s in sheets if s.startswith(("基础", "整体", "项目")[i % 3]))
        many.append(Finding(f"W-QUANTITY-RESTATES-BUDGET-{i}", sev, "表间", LONG.format(n=f"项目{i}"), sheet=sheet,
                            cell=f"D{5 + i % 20}", table=table, title="数量指标只是重述预算金额且没有说明",
                            expected="与基础数据表一致（117.98万元）", found="与基础数据表不一致（105.64万元）"))
    out["many-findings"] = many
    out["many-annotated"] = annotate(blank, many, tmp / "many-审核.xlsx")
    return out


def _rows(ws):
    """(heading rows, finding rows) of 审核结果 below its header row."""
    header = next(r for r in range(1, 80) if ws.cell(r, 1).value == "序号")
    headings, rows = [], []
    for row in ws.iter_rows(min_row=header + 1):
        if isinstance(row[0].value, int):
            rows.append(row)
        elif isinstance(row[0].value, str):
            headings.append(row[0].value)
    return header, headings, rows


# --------------------------------------------------------------------------- fit and print


@pytest.mark.parametrize("name, sheet", [("seed-annotated", "审核结果"), ("blank-annotated", "审核结果"),
                                         ("many-annotated", "审核结果"), ("seed-scored", "评分汇总"),
                                         ("blank-scored", "评分汇总")])
def test_added_sheet_fits_and_prints(copies, name, sheet):
    path = copies[name]
    assert fit_problems(path, sheets=[sheet]) == []
    ws = openpyxl.load_workbook(path)[sheet]
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and int(ws.page_setup.fitToWidth) == 1
    assert int(ws.page_setup.fitToHeight) == 0
    assert ws.print_title_rows                          # a repeated row on every page
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width for c in range(1, ws.max_column + 1)]
    assert all(widths) and style.print_scale(widths) >= 75      # well above style.MIN_PRINT_SCALE
    fonts = {c.font.name for row in ws.iter_rows() for c in row if c.value is not None}
    assert fonts == {style.FONT}


def test_seed_findings_unchanged(copies):
    found = copies["seed-findings"]
    assert [sum(f.severity == s for f in found) for s in ("error", "warning", "info")] == [0, 10, 5]


# --------------------------------------------------------------------------- 审核结果


def test_title_block_and_legend(copies):
    ws = openpyxl.load_workbook(copies["seed-annotated"])["审核结果"]
    header, _, _ = _rows(ws)
    block = [str(ws.cell(r, c).value) for r in range(1, header) for c in range(1, 4) if ws.cell(r, c).value]
    text = "\n".join(block)
    assert ws["A1"].value == "审核结果" and ws["A1"].font.sz == style.TITLE_SIZE
    for part in ("单位：岳阳市君山区社会治理网格化中心", "年度：2024", "文件：junshan-2024.xlsx", "评分方案：national-2020",
                 "审核日期：", "错误 0 项，警告 10 项，提示 5 项", "批注不打印"):
        assert part in text, part
    # the legend: every colour with its meaning, the swatch filled with that colour
    for fill, meaning in style.SEVERITY_LEGEND:
        r, c = next((r, c) for r in range(1, header) for c in range(1, 12) if ws.cell(r, c).value == meaning)
        assert ws.cell(r, c - 1).fill.fill_type == "solid", meaning
        assert ws.cell(r, c - 1).fill.fgColor.rgb[-6:] == fill, meaning     # the swatch beside it


@pytest.mark.parametrize("name", ["seed", "blank", "many"])
def test_grouped_by_severity_then_table_with_full_text(copies, name):
    found = copies[f"{name}-findings"]
    ws = openpyxl.load_workbook(copies[f"{name}-annotated"])["审核结果"]
    header, headings, rows = _rows(ws)
    assert [c.value for c in ws[header]][:4] == ["序号", "级别", "规则代码", "规则名称"]
    assert [r[0].value for r in rows] == list(range(1, len(found) + 1))
    labels = {"error": "错误", "warning": "警告", "info": "提示"}
    present = [s for s in ("error", "warning", "info") if any(f.severity == s for f in found)]
    assert [h.split("　")[0] for h in headings] == [labels[s] for s in present]     # one heading per severity
    keys = []
    for row in rows:
        f = next(f for f in found if f.code == row[2].value and (f.sheet or "") == (row[6].value or "")
                 and row[10].value.startswith(f.message))
        assert row[1].value == labels[f.severity]
        keys.append((SEVERITY_RANK[f.severity], TABLE_ORDER.get(f.table or "", 9)))
    assert keys == sorted(keys)                         # severity first, then table
    # every finding's full message, rule title and code are on the sheet, whole
    cells = [(r[2].value, r[3].value, r[10].value) for r in rows]
    for f in found:
        assert any(code == f.code and title == f.title and note.startswith(f.message) for code, title, note in cells), f.code
    for r in rows:
        assert r[10].alignment.wrap_text and ws.row_dimensions[r[0].row].height


def test_flagged_cells_use_the_finding_colours(copies):
    src = openpyxl.load_workbook(EXAMPLE_XLSX)
    wb = openpyxl.load_workbook(copies["seed-annotated"])
    new = set(style.SEVERITY_FILL.values())
    assert not new & {style.INPUT_FILL, style.FORMULA_FILL, style.BLANK_FILL}
    worst: dict[tuple[str, str], str] = {}
    for f in copies["seed-findings"]:
        if f.sheet and f.cell:
            key = (f.sheet, f.cell)
            if key not in worst or SEVERITY_RANK[f.severity] < SEVERITY_RANK[worst[key]]:
                worst[key] = f.severity
    assert len(worst) >= 10
    for (sheet, ref), sev in worst.items():
        cell = wb[sheet][ref]
        if type(cell).__name__ == "MergedCell":           # annotated on its range's anchor
            rng = next(r for r in wb[sheet].merged_cells.ranges if ref in r)
            cell = wb[sheet].cell(rng.min_row, rng.min_col)
        rgb = cell.fill.fgColor.rgb[-6:]
        assert rgb == style.SEVERITY_FILL[sev], (sheet, ref)
        assert rgb not in (style.INPUT_FILL, style.FORMULA_FILL)
        assert src[sheet][cell.coordinate].fill.fgColor.rgb[-6:] != rgb
    # on 审核结果 the 级别 cells carry the same colours
    _, _, rows = _rows(wb["审核结果"])
    assert {r[1].fill.fgColor.rgb[-6:] for r in rows} == {style.SEVERITY_FILL["warning"], style.SEVERITY_FILL["info"]}


def test_severity_heading_never_ends_a_page():
    heights = {r: 15.0 for r in range(1, 41)}
    # a page holds 10 rows; row 10 is a heading: it goes to the next page with row 11
    assert style.keep_with_next_breaks(heights, 40, capacities=[150.0], repeated=15.0, keep=[10]) == [10]
    assert style.keep_with_next_breaks(heights, 40, capacities=[150.0], repeated=15.0, keep=[5]) == []
    # a block that fits on a page is not split; one that does not is left to break by itself
    assert style.keep_with_next_breaks(heights, 40, capacities=[150.0], repeated=15.0, blocks=[(8, 12)]) == [8]
    assert style.keep_with_next_breaks(heights, 40, capacities=[150.0], repeated=15.0, blocks=[(8, 30)]) == []


# --------------------------------------------------------------------------- 评分汇总


def test_scored_headers_do_not_split_and_grades_are_plain(copies):
    ws = openpyxl.load_workbook(copies["seed-scored"])["评分汇总"]
    merged = {(m.min_row, m.min_col): m for m in ws.merged_cells.ranges}
    heads = [c for row in ws.iter_rows() for c in row
             if c.font.b and c.fill.fill_type and c.fill.fgColor.rgb[-6:] == style.HEADER_FILL and c.value]
    assert len(heads) > 30
    for c in heads:
        m = merged.get((c.row, c.column))
        last = m.max_col if m else c.column
        width = sum(ws.column_dimensions[openpyxl.utils.get_column_letter(x)].width for x in range(c.column, last + 1))
        # each header line fits its column: no break before "）" or anywhere else inside a line
        assert style.wrapped_lines(c.value, width) == c.value.count("\n") + 1, c.value
    # grades carry no colour (their meaning is the word itself); coloured cells have a legend
    rules = {str(rng): [r.dxf.fill.fgColor.rgb[-6:] for r in cf.rules if r.dxf and r.dxf.fill]
             for cf in ws.conditional_formatting for rng in [cf.sqref]}
    summary_first = next(r for r in ws.iter_rows() if r[0].value == "部门整体支出绩效自评表")[0].row
    grade_col = openpyxl.utils.get_column_letter(16)
    assert not any(ref.startswith(grade_col) for ref in rules)
    colours = {c for fills in rules.values() for c in fills}
    legend = {ws.cell(r, 1).fill.fgColor.rgb[-6:] for r in range(1, summary_first) if ws.cell(r, 1).fill.fill_type}
    assert colours <= legend and style.INPUT_FILL in legend
    assert any("差额为负" in str(ws.cell(r, 2).value) for r in range(1, summary_first))


def test_rubric_groups_merged_with_evidence_and_clear_totals(copies):
    ws = openpyxl.load_workbook(copies["seed-scored"])["评分汇总"]
    head = next(r for r in ws.iter_rows() if r[0].value == "一级指标" and any(c.value == "所需佐证材料" for c in r))
    labels = [c.value for c in head if c.value]
    assert labels == ["一级指标", "二级指标", "评分标准", "所需佐证材料", "满分", "得分", "评分方式与理由"]
    ev_col = next(c.column for c in head if c.value == "所需佐证材料")
    groups = {}
    for m in ws.merged_cells.ranges:
        if m.min_col == 1 == m.max_col and m.max_row > m.min_row and m.min_row > head[0].row:
            groups[ws.cell(m.min_row, 1).value] = m.max_row - m.min_row + 1
    assert groups == {"布置工作（10分）": 2, "实施评价（20分）": 2, "自评报告（70分）": 7}
    texts = [str(ws.cell(r, 1).value) for r in range(head[0].row + 1, ws.max_row + 1) if ws.cell(r, 1).value]
    assert texts.count("自评报告（70分）") == 1                 # not repeated on every row
    evidence = [ws.cell(r, ev_col).value for r in range(head[0].row + 1, ws.max_row + 1) if ws.cell(r, ev_col).value]
    assert "绩效自评通知盖章的电子版" in evidence and any("转移支付" in e for e in evidence)
    # the totals row says what its two numbers are
    total = next(r for r in ws.iter_rows() if r[0].value == "满分合计 / 得分合计")
    words = " ".join(str(c.value) for c in total if isinstance(c.value, str))
    assert "自动评分项得分小计 17.00 分" in words and "审核人员" in words
    assert not any(c.value == "合计" for row in ws.iter_rows() for c in row)


def test_profile_evidence_key():
    from gridbudget.score import profile as profile_mod
    from gridbudget.score.profile import load_profile

    assert "evidence" in profile_mod._schema()["rubric"]["items"]
    items = load_profile().data["rubric"]["items"]
    assert [i["name"] for i in items if i.get("evidence")] == ["自评通知", "工作小组", "单位自查"]
    assert load_profile("vendor-pmkpi").data["rubric"]["items"][0]["evidence"] == "绩效自评通知盖章的电子版"


# --------------------------------------------------------------------------- on paper


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def _printed_column(pdf, widths: list[float], first: str, last: str) -> str:
    """The text printed in column ``last`` of the 审核结果 table (``widths`` run up to it), page after
    page, in reading order: its edges are found from the centres of the first and last header words."""
    html = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    out = []
    for page in html.split("<page ")[1:]:
        words = [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in _WORD.findall(page)]
        heads = [w for w in words if w[4] == first]
        tails = [w for w in words if w[4] == last]
        pair = next(((h, t) for h in heads for t in tails if abs(h[1] - t[1]) < 2), None)
        if pair is None:
            continue
        (h, t), before = pair, sum(widths[:-1])
        c1, c2 = (h[0] + h[2]) / 2, (t[0] + t[2]) / 2
        scale = (c2 - c1) / (before + widths[-1] / 2 - widths[0] / 2)
        left = c1 - scale * widths[0] / 2 + scale * before
        right = left + scale * widths[-1]          # a column may follow it (出错说明, issue 12)
        body = sorted((w for w in words if w[0] >= left - 1 and w[2] <= right + 1 and w[1] > h[3]),
                      key=lambda w: (w[1], w[0]))
        out.append("".join(w[4] for w in body))
    return "".join(out)


@pytest.mark.libreoffice
@pytest.mark.skipif(not lo.available() or shutil.which("pdftotext") is None,
                    reason="LibreOffice and pdftotext are needed")
@pytest.mark.parametrize("name", ["seed", "many"])
def test_printed_pages_hold_every_finding(copies, tmp_path, name):
    """Comments do not print: the full text of every finding is on the printed 审核结果 pages."""
    path = copies[f"{name}-annotated"]
    pdf = lo.to_pdf(path, tmp_path / "copy.pdf", recalc=False)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    first = _compact(text.split("\f")[0])
    assert first.startswith("审核结果") and "图例" in first
    counts = "".join(f"{label}{sum(f.severity == s for f in copies[f'{name}-findings'])}项"
                     for s, label in (("error", "错误"), ("warning", "，警告"), ("info", "，提示")))
    assert counts in first
    ws = openpyxl.load_workbook(path)["审核结果"]
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width for c in range(1, 12)]
    column = _compact(_printed_column(pdf, widths, "序号", "说明"))
    for f in copies[f"{name}-findings"]:
        assert _compact(f.message) in column, f.message
