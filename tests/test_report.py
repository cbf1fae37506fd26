"""``gridbudget report`` (the draft 部门整体支出绩效自评报告, .docx) and ``validate --report`` (every
figure the prose states, matched to the table figure it restates)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from gridbudget import cli
from gridbudget.check.engine import run_rules
from gridbudget.check.findings import ERROR, WARNING
from gridbudget.check.prose import analyse, clean_text, figures, read_report
from gridbudget.read.tables import read_submission
from gridbudget.score.profile import load_profile
from gridbudget.write import libreoffice as lo
from gridbudget.write.report import ReportOptions, render_report, write_report
from helpers import EXAMPLE_XLSX, SEED_TEXT

# the rule codes this module tests (each with a case that fires and one that does not)
REPORT_CODES = ("X-REPORT-TEXT", "X-REPORT-GRADE", "X-REPORT-RATE-BASE", "X-REPORT-UNIT", "X-REPORT-ZERO-BASE",
                "X-REPORT-DIRECTION", "X-REPORT-TWICE", "X-REPORT-UNIT-NAME", "X-REPORT-YEAR")

docx = pytest.importorskip("docx")


@pytest.fixture(scope="module")
def seed():
    return read_submission(EXAMPLE_XLSX)


@pytest.fixture(scope="module")
def profile():
    return load_profile()


@pytest.fixture(scope="module")
def draft(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "自评报告.docx"
    write_report(EXAMPLE_XLSX, path)
    return path


def prose(sub, text: str) -> list:
    """The X-REPORT-* findings of a report text."""
    return [f for f in run_rules(sub, report=text) if f.code.startswith("X-REPORT")]


def cell(sheet: str, ref: str) -> str:
    return f"{sheet}!{ref}"


def money(x) -> str:
    return f"{Decimal(str(x)).quantize(Decimal('0.01'))}万元"


# ---------------------------------------------------------------------------
# the draft
# ---------------------------------------------------------------------------
def test_draft_outline_figures_and_placeholders(draft, seed):
    d = docx.Document(str(draft))
    paras = d.paragraphs
    styles = [(p.style.name, p.text) for p in paras]
    assert styles[0] == ("Title", "2024年度岳阳市君山区社会治理网格化服务中心整体支出绩效自评报告")
    h1 = [t for s, t in styles if s == "Heading 1"]
    assert h1 == ["一、部门（单位）基本情况", "二、部门整体支出情况", "三、绩效目标完成情况", "四、预算执行情况",
                  "五、存在的问题及原因分析", "六、下一步改进措施", "七、自评结论", "八、自评结果拟应用和公开情况",
                  "九、其他需要说明的情况"]
    h2 = [t for s, t in styles if s == "Heading 2"]
    assert h2[:4] == ["（一）机构和人员", "（二）部门主要职能", "（一）收入情况", "（二）支出情况"]
    assert "（三）“三公”经费支出情况" in h2
    assert ["（二）产出指标完成情况", "（三）效益指标完成情况", "（四）满意度指标完成情况",
            "（五）项目“移动网格平台”绩效目标完成情况"] == [t for t in h2 if t.startswith(("（二）产出", "（三）效益",
                                                                                  "（四）满意", "（五）项目"))]
    text = "\n".join(p.text for p in paras)
    ov, basic = seed.overall, seed.basic
    # every figure from the workbook (a few restated literally here; all of them by the round trip below)
    for key in ("funds.total.executed", "funds.total.budget", "funds.total.initial", "expense.basic",
                "expense.project", "income.general", "income.other"):
        assert money(ov.fields[key].amount_value()) in text, key
    assert "编制数4人，实际在职人数4人，人员控制率100.00%" in text
    assert f"“三公”经费预算{money(basic.fields['reception.budget'].amount_value())}" in text
    assert "公务接待费预算0.45万元，实际支出0.21万元，比上年决算数增加0.21万元" in text
    assert "人员经费47.52万元，占基本支出的91.26%" in text and "占整体支出的44.52%" in text
    assert "预算执行率99.13%" in text and "预算执行率81.20%" in text
    assert "自评总分98分，等级为“优”" in text
    assert "“控制在预算内”年度指标值≤120.54万元，实际完成116.95万元，已达成目标，分值10分，得分9分，偏差原因及改进措施：预算减少" in text
    # what only the unit can write: a highlighted placeholder with a hint
    highlighted = [r for p in paras for r in p.runs if r.font.highlight_color is not None]
    assert highlighted and all(r.text.startswith("【") and r.text.endswith("】") for r in highlighted)
    asks = [r.text for r in highlighted if r.text.startswith("【请填写")]
    for words in ("主要职能", "归纳问题", "改进措施", "公开方式", "报告日期"):
        assert any(words in a for a in asks), words
    after = {styles[i][1]: styles[i + 1][1] for i in range(len(styles) - 1)}
    assert after["（二）部门主要职能"].startswith("【请填写")
    assert after["五、存在的问题及原因分析"].startswith("【请填写")
    assert after["六、下一步改进措施"].startswith("【请填写")
    # a recomputed score that differs is a note for the unit, not prose
    assert "【核对提示：评分方案“national-2020”" in text and "执行率得分应为9.91分" in text
    # the appendix: the three tables as Word tables
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    assert "部门整体支出绩效评价基础数据表" in text and len(d.tables) >= 5
    for v in ("116.95", "117.98", "120.54", "99.13%", "81.20%", "≤120.54万元", "人口信息等累计18万余条", "预算减少",
              "  2、治理网格服务专项", "0.21", "100.00%"):
        assert v in cells, v
    assert d.core_properties.last_modified_by == "gridbudget"


def test_draft_typography(draft):
    from docx.oxml.ns import qn
    from docx.shared import Pt

    d = docx.Document(str(draft))
    s = d.sections[0]
    def mm(*xs):
        return tuple(round(x.mm) for x in xs)

    assert mm(s.page_width, s.page_height) == (210, 297)                       # A4
    assert mm(s.top_margin, s.bottom_margin, s.left_margin, s.right_margin) == (37, 35, 28, 26)   # GB/T 9704
    wide = [x for x in d.sections if x.page_width > x.page_height]
    assert len(wide) == 2                    # the two self-evaluation tables are landscape

    def east(style):
        return style.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))

    assert east(d.styles["Normal"]) == "仿宋_GB2312" and d.styles["Normal"].font.size == Pt(16)
    assert east(d.styles["Heading 1"]) == "黑体" and east(d.styles["Heading 2"]) == "楷体_GB2312"
    assert east(d.styles["Title"]) == "方正小标宋简体"
    table = next(p for p in d.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml").blob.decode()
    assert 'w:name="仿宋_GB2312"' in table and 'w:altName w:val="仿宋"' in table
    footer = s.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "—" in s.footer.paragraphs[0].text


def test_round_trip_gives_no_prose_finding_and_every_figure_is_checked(draft, seed, profile):
    text = read_report(draft)
    assert prose(seed, text) == []
    # every figure of the prose is read back to its cell: changing any one gives exactly one finding
    lines = text.splitlines()
    stop = lines.index("附件1")
    checked = 0
    for i in range(stop):
        line = clean_text(lines[i])
        for f in figures(i + 1, line):
            new = f.value + (1 if f.value < 50 else -3)
            changed = lines[:i] + [lines[i][:f.start] + f"{new}{f.unit}" + lines[i][f.end:]] + lines[i + 1:]
            got = analyse("\n".join(changed), seed, profile)
            assert len(got) == 1, (i + 1, line[max(0, f.start - 20):f.end], [o.message for o in got])
            checked += 1
    assert checked > 150


def test_draft_of_a_hand_made_workbook(tmp_path):
    import sys

    from helpers import ROOT
    sys.path.insert(0, str(ROOT / "scripts"))
    import seed_layout

    path = tmp_path / "seed.xlsx"
    path.write_bytes(seed_layout.build("seed"))
    sub = read_submission(path)
    out = tmp_path / "r.docx"
    out.write_bytes(render_report(None, sub=sub))
    text = read_report(out)
    assert prose(sub, text) == []
    assert "经济效益指标分值10分" in text           # the label typed "经济效\n益指标" is one word in the prose


# ---------------------------------------------------------------------------
# the seed's own report
# ---------------------------------------------------------------------------
def test_seed_report_gives_its_two_known_errors_and_nothing_else(seed):
    got = [(f.code, f.severity, f.where, f.found, f.expected) for f in prose(seed, read_report(SEED_TEXT))]
    assert sorted(got) == sorted([
        ("X-REPORT-TEXT", ERROR, cell("基础数据表", "D11"), "0万元", "0.21万元"),         # 公务接待费0万元
        ("X-REPORT-TEXT", ERROR, cell("整体支出自评表", "H40"), "99分", "98分"),          # 打分得出结果为99分
    ])
    messages = [f.message for f in prose(seed, read_report(SEED_TEXT))]
    assert any("第 28 段" in m and "公务接待费0万元" in m for m in messages)
    assert any("第 30 段" in m and "99分" in m for m in messages)


def _fixed_seed() -> str:
    """The seed report with its two errors corrected and its grade stated (the seed states none)."""
    text = read_report(SEED_TEXT)
    return (text.replace("打分得出结果为99分", "打分得出结果为98分，等级为“优”")
                .replace("公务接待费0万元", "公务接待费0.21万元"))


FIVE = (  # (what, original, changed, code, cell, found)
    ("amount", "项目支出合计64.88万元", "项目支出合计64.58万元", "X-REPORT-TEXT", cell("整体支出自评表", "I7"), "64.58万元"),
    ("percentage", "占基本支出的91.26%", "占基本支出的92.26%", "X-REPORT-TEXT", cell("整体支出自评表", "I6"), "92.26%"),
    ("count", "实有人数为4人", "实有人数为5人", "X-REPORT-TEXT", cell("基础数据表", "C4"), "5人"),
    ("total score", "结果为98分", "结果为96分", "X-REPORT-TEXT", cell("整体支出自评表", "H40"), "96分"),
    ("grade", "等级为“优”", "等级为“良”", "X-REPORT-GRADE", cell("整体支出自评表", "H40"), "良"),
)


def test_five_changed_figures_give_exactly_five_findings(seed):
    base = _fixed_seed()
    assert prose(seed, base) == []
    changed = base
    for _what, old, new, *_ in FIVE:
        assert changed.count(old) == 1, old
        changed = changed.replace(old, new)
    got = sorted((f.code, f.where, f.found) for f in prose(seed, changed))
    assert got == sorted((code, where, found) for _w, _o, _n, code, where, found in FIVE)
    for _what, old, new, code, where, found in FIVE:          # and each alone gives its own
        one = [(f.code, f.where, f.found) for f in prose(seed, base.replace(old, new))]
        assert one == [(code, where, found)]


# ---------------------------------------------------------------------------
# each check: fires on a wrong figure, silent on the right one
# ---------------------------------------------------------------------------
CASES = [
    # (code, wrong text, right text)
    ("X-REPORT-TEXT", "2024年度整体支出126.95万元。", "2024年度整体支出116.95万元。"),
    ("X-REPORT-TEXT", "预算执行率为98.13%。", "预算执行率为99.13%。"),
    ("X-REPORT-TEXT", "基本支出占比45.52%。", "基本支出占比44.52%。"),
    ("X-REPORT-TEXT", "公用经费4.55万元，比上年增加1.15万元。", "公用经费4.55万元，比上年增加1.05万元。"),
    ("X-REPORT-TEXT", "公用经费4.55万元，比上年增长35%。", "公用经费4.55万元，比上年增长30%。"),
    ("X-REPORT-TEXT", "项目“移动网格平台”预算执行率99.13%。", "项目“移动网格平台”预算执行率81.2%。"),
    ("X-REPORT-TEXT", "业务工作经费预算19.76万元，实际支出19.58万元，执行率98%。",
     "业务工作经费预算19.76万元，实际支出19.58万元，执行率99.09%。"),
    ("X-REPORT-TEXT", "“更新完善数据库”实际完成135条。", "“更新完善数据库”实际完成134条。"),
    ("X-REPORT-TEXT", "产出指标分值50分，自评得分48分。", "产出指标分值50分，自评得分49分。"),
    ("X-REPORT-TEXT", "预算执行率99.13%，分值10分，自评得分10分。", "预算执行率99.13%，分值10分，自评得分9分。"),
    ("X-REPORT-GRADE", "部门整体支出绩效自评得分98分，评价等级为良好。", "部门整体支出绩效自评得分98分，评价等级为优秀。"),
    ("X-REPORT-RATE-BASE", "全年执行数116.95万元，预算执行率为97.02%。", "全年执行数116.95万元，预算执行率为99.13%。"),
    ("X-REPORT-UNIT", "2024年度整体支出116.95元。", "2024年度整体支出1169500元。"),
    ("X-REPORT-ZERO-BASE", "公务接待费0.21万元，较上年增长100%。", "公务接待费0.21万元，较上年增加0.21万元。"),
    ("X-REPORT-DIRECTION", "三公经费支出0.21万元，比上年减少0.21万元。", "三公经费支出0.21万元，比上年增加0.21万元。"),
    ("X-REPORT-DIRECTION", "“三公”经费全年实际支出较预算有所增加。", "“三公”经费全年实际支出较预算有所减少。"),
    ("X-REPORT-TWICE", "固定资产账面净值4.29万元。\n至年末，固定资产账面净值4.30万元。",
     "固定资产账面净值4.29万元。\n至年末，固定资产账面净值4.29万元。"),
    ("X-REPORT-UNIT-NAME", "2024年度岳阳市君山区社会治理网格服务中心整体支出绩效自评报告\n一、基本情况",
     "2024年度岳阳市君山区社会治理网格化服务中心整体支出绩效自评报告\n一、基本情况"),
    ("X-REPORT-UNIT-NAME", "一、基本情况\n岳阳市君山区社会治理网格服务中心系区政府直属事业单位。",
     "一、基本情况\n岳阳市君山区社会治理网格化服务中心系区政府直属事业单位。"),
    ("X-REPORT-YEAR", "2023年度岳阳市君山区社会治理网格化服务中心整体支出绩效自评报告\n一、基本情况",
     "2024年度岳阳市君山区社会治理网格化服务中心整体支出绩效自评报告\n一、基本情况"),
    ("X-REPORT-YEAR", "2023年度整体支出116.95万元。", "2024年度整体支出116.95万元。"),
]


@pytest.mark.parametrize("code,wrong,right", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_check(seed, code, wrong, right):
    got = prose(seed, wrong)
    assert [f.code for f in got] == [code], [f.message for f in got]
    assert "报告" in got[0].message and "段" in got[0].message
    assert prose(seed, right) == []


def test_findings_point_at_paragraph_and_cell(seed):
    text = "一、基本情况\n本单位人员编制4人。\n2024年“三公”经费预算0.55万元，实际支出0.21万元。"
    (f,) = prose(seed, text)
    assert f.where == cell("基础数据表", "C6") and f.severity == ERROR
    assert "第 3 段" in f.message and "“三公”经费预算0.55万元" in f.message and "本年预算数为 0.45万元" in f.message


def test_wording_that_is_not_a_restatement_is_left_alone(seed):
    text = "\n".join([
        "全年预算执行率达到95%以上，资金支出控制在120.54万元以内。",       # bounds, not figures
        "按年初预算计算，执行率为97.02%。",                                 # says which denominator
        "项目完成率100%，共设置绩效指标11个，满意度达到98%。",               # no table figure to compare
        "1.印发绩效自评通知的得2分，否则不得分。",                          # scoring criteria
        "按时向市财政局报送报告的得10分；每推迟一个工作日报送报告的扣1分，最多扣10分。",
        "至2024年12月，固定资产账面净值4.29万元。",
        "项目“2019年新型农业经营主体扶持项目”不在本单位。",
        "移动网格平台项目预算执行率为81.2%，得分9分，自评得分98分，等级为优秀。",
        "治理网格服务专项资金50万元，实际使用40.6万元，执行率81.20%。",
        "【请填写：本单位的主要职能，整体支出999万元】",                     # a drafter's note
    ])
    assert prose(seed, text) == []


def test_twice_is_a_warning_without_a_cell(seed):
    (f,) = prose(seed, "固定资产账面净值4.29万元。\n固定资产账面净值4.30万元。")
    assert f.severity == WARNING and f.cell is None and "第 1 段" in f.message and "第 2 段" in f.message


# ---------------------------------------------------------------------------
# a unit's own template
# ---------------------------------------------------------------------------
def _template(path: Path, *, marker: bool) -> Path:
    from docx.shared import Pt, RGBColor

    d = docx.Document()
    d.styles["Normal"].font.size = Pt(14)
    d.sections[0].header.paragraphs[0].text = "君山区网格中心文件"
    red = d.add_paragraph().add_run("岳阳市君山区社会治理网格化服务中心文件")
    red.font.color.rgb = RGBColor(0xFF, 0, 0)
    if marker:
        d.add_paragraph("{{正文}}")
        d.add_paragraph("抄送：区财政局")
    else:
        d.add_paragraph("去年的报告正文，应被替换。")
    d.save(str(path))
    return path


def test_custom_template_keeps_styles_header_and_red_head(tmp_path, seed):
    from docx.shared import Pt

    tpl = _template(tmp_path / "红头.docx", marker=True)
    out = tmp_path / "r.docx"
    write_report(EXAMPLE_XLSX, out, ReportOptions(template=tpl))
    d = docx.Document(str(out))
    texts = [p.text for p in d.paragraphs]
    assert texts[0] == "岳阳市君山区社会治理网格化服务中心文件"          # the 红头 stays on top
    assert texts[1].startswith("2024年度岳阳市君山区社会治理网格化服务中心整体支出绩效自评报告")
    assert "{{正文}}" not in texts and "抄送：区财政局" in texts
    assert d.sections[0].header.paragraphs[0].text == "君山区网格中心文件"
    assert d.styles["Normal"].font.size == Pt(14)                        # the unit's style, not ours
    assert prose(seed, read_report(out)) == []

    plain = _template(tmp_path / "旧报告.docx", marker=False)
    write_report(EXAMPLE_XLSX, out, ReportOptions(template=plain))
    d = docx.Document(str(out))
    assert "去年的报告正文，应被替换。" not in [p.text for p in d.paragraphs]
    assert d.sections[0].header.paragraphs[0].text == "君山区网格中心文件"


# ---------------------------------------------------------------------------
# the command
# ---------------------------------------------------------------------------
def _run(argv, capsys) -> tuple[int, str]:
    rc = cli.run([str(a) for a in argv])
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text
    return rc, text


def test_cli_exit_codes(tmp_path, capsys):
    out = tmp_path / "自评报告.docx"
    rc, text = _run(["report", EXAMPLE_XLSX, "-o", out], capsys)
    assert rc == 0 and "已生成自评报告初稿" in text and out.exists()
    rc, text = _run(["report", EXAMPLE_XLSX, "-o", out], capsys)       # its own output: replaced
    assert rc == 0
    bad = tmp_path / "坏的.xlsx"
    bad.write_bytes(b"not a workbook at all")
    rc, text = _run(["report", bad, "-o", tmp_path / "x.docx"], capsys)
    assert rc == 2 and "坏的.xlsx" in text and not (tmp_path / "x.docx").exists()
    rc, text = _run(["report", tmp_path / "nosuch.xlsx", "-o", tmp_path / "x.docx"], capsys)
    assert rc == 2 and "nosuch.xlsx" in text
    rc, text = _run(["report", EXAMPLE_XLSX, "-o", tmp_path / "x.pdf"], capsys)
    assert rc == 3 and "应以 .docx 结尾" in text
    theirs = tmp_path / "单位自己的.docx"
    theirs.write_bytes(_template(tmp_path / "t.docx", marker=False).read_bytes())
    rc, text = _run(["report", EXAMPLE_XLSX, "-o", theirs], capsys)
    assert rc == 3 and "--force" in text
    rc, text = _run(["report", EXAMPLE_XLSX, "-o", theirs, "--force"], capsys)
    assert rc == 0
    rc, text = _run(["report", EXAMPLE_XLSX, "-o", tmp_path / "y.docx", "--template", bad], capsys)
    assert rc == 2 and "模板" in text
    rc, text = _run(["report", EXAMPLE_XLSX, "-o", tmp_path / "y.docx", "--template", EXAMPLE_XLSX], capsys)
    assert rc == 2 and "模板" in text and "Excel" in text
    rc, text = _run(["report", EXAMPLE_XLSX, "-o", tmp_path / "y.docx", "--profile", "nosuch"], capsys)
    assert rc == 3


def test_cli_validate_report_docx_round_trip(tmp_path, capsys):
    out = tmp_path / "r.docx"
    assert _run(["report", EXAMPLE_XLSX, "-o", out], capsys)[0] == 0
    rc, text = _run(["validate", EXAMPLE_XLSX, "--report", out], capsys)
    assert rc == 0 and "X-REPORT" not in text
    assert text.rstrip().endswith("共检查 1 个文件：错误 0 项，警告 10 项，提示 5 项。")


# ---------------------------------------------------------------------------
# LibreOffice Writer opens it
# ---------------------------------------------------------------------------
def _writer_installed() -> bool:
    soffice = lo.find_soffice()
    if soffice is None:
        return False
    program = Path(soffice).resolve().parent
    return any(program.glob("libswlo.so*")) or any(program.glob("swriter*"))


@pytest.mark.libreoffice
@pytest.mark.skipif(not lo.available() or not _writer_installed(), reason="LibreOffice Writer is not installed")
def test_draft_opens_in_libreoffice_writer(draft, tmp_path):
    pdf = lo.to_pdf(draft, tmp_path / "r.pdf", recalc=False)
    assert lo.pdf_page_count(pdf) > 1
    if lo.available():
        pngs = lo.pdf_to_png(pdf, tmp_path / "p")
    assert len(pngs) == lo.pdf_page_count(pdf)


def test_numbers_in_the_draft_are_decimal_formatted(draft):
    text = read_report(draft)
    assert not re.search(r"\d\.\d{3,}", text.split("附件1")[0])          # no float tails in the prose
