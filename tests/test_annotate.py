"""The annotated copy (gridbudget.write.annotate): comments, fills, 审核结果 sheet, nothing lost."""

from __future__ import annotations

import copy
import importlib.util
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from helpers import EXAMPLE_XLSX, ROOT, named_cells, sha256
from openpyxl.comments import Comment

from gridbudget.write import libreoffice as lo
from gridbudget.write import style
from gridbudget.write.annotate import FILLS, annotate, comment_text, copy_losses, summary_line
from gridbudget.check.findings import Finding

OVERALL = "整体支出自评表"
PROJECT = "项目支出自评表-1"
needs_lo = pytest.mark.skipif(not lo.available(), reason="LibreOffice (soffice) is not installed")


def _findings() -> list[Finding]:
    return [
        Finding("V-EXEC-RATE", "error", "表内", "执行率计算有误：应为 99.13%，实为 98.00%",
                file="junshan-2024.xlsx", sheet=OVERALL, cell="H4", table="overall", table_name=OVERALL,
                key="funds.total.score", expected="99.13%", found="98.00%", title="执行率计算"),
        # info before warning on purpose: the comment must put the warning first
        Finding("I-SCORE-NOTE", "info", "计分", "得分与分值相同，请确认无偏差", sheet=PROJECT, cell="H25",
                table="project", title="得分提示"),
        Finding("W-DEVIATION", "warning", "表内", "扣分但偏差原因为空", sheet=PROJECT, cell="$H$25",
                table="project", title="偏差原因"),
        Finding("C-MISSING", "warning", "完整性", "缺少项目支出自评表-2", table="project", title="项目表缺失"),
        Finding("X-INJECT", "error", "表内", "=cmd|' /C calc'!A0", sheet=OVERALL, cell="D4",
                expected=None, found="=1+1", title="公式注入"),
    ]


@pytest.fixture()
def example(tmp_path) -> Path:
    p = tmp_path / "in" / "junshan-2024.xlsx"
    p.parent.mkdir()
    shutil.copyfile(EXAMPLE_XLSX, p)
    return p


@pytest.fixture()
def annotated(example, tmp_path):
    before = sha256(example)
    mtime = example.stat().st_mtime_ns
    out = annotate(example, _findings(), tmp_path / "out" / "审核副本.xlsx")
    assert sha256(example) == before and example.stat().st_mtime_ns == mtime
    return example, out


def _table(ws):
    """Header row number and {序号: row values} of the 审核结果 sheet (severity headings skipped)."""
    header = next(r for r in range(1, 60) if ws.cell(r, 1).value == "序号")
    rows = {}
    for row in ws.iter_rows(min_row=header + 1, values_only=False):
        if not isinstance(row[0].value, int):
            continue
        rows[row[0].value] = row
    return header, rows


def _counts(ws) -> str | None:
    """The counts line of the title block (错误 N 项，警告 N 项，提示 N 项)."""
    return next((c.value for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("错误 ")), None)


# --------------------------------------------------------------------------- 审核结果 sheet


def test_summary_sheet_first_active_with_links(annotated):
    src, out = annotated
    assert out.name == "审核副本.xlsx" and out.is_file()
    assert sha256(EXAMPLE_XLSX) == sha256(src)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "审核结果"
    assert wb.sheetnames[1:] == openpyxl.load_workbook(src).sheetnames
    assert wb.active.title == "审核结果"
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == ["审核结果"]
    ws = wb["审核结果"]
    assert ws["A1"].value == "审核结果"
    assert _counts(ws) == "错误 2 项，警告 2 项，提示 1 项" == summary_line(_findings())
    header, rows = _table(ws)
    assert [c.value for c in ws[header]] == ["序号", "级别", "规则代码", "规则名称", "类别", "表", "工作表",
                                            "单元格", "应为", "实为", "说明", "出错说明"]
    assert all(c.font.b for c in ws[header])
    assert ws.freeze_panes == f"A{header + 1}"
    assert ws.auto_filter.ref == f"A{header}:L{header + 5 + 3}"          # 5 findings under 3 severity headings
    assert sorted(rows) == [1, 2, 3, 4, 5]
    by_code = {r[2].value: r for r in rows.values()}
    assert set(by_code) == {f.code for f in _findings()}

    links = {code: (r[7].value, r[7].hyperlink.location if r[7].hyperlink else None) for code, r in by_code.items()}
    assert links["V-EXEC-RATE"] == ("H4", f"'{OVERALL}'!H4")
    assert links["W-DEVIATION"] == ("H25", f"'{PROJECT}'!H25")
    assert links["I-SCORE-NOTE"] == ("H25", f"'{PROJECT}'!H25")
    assert links["X-INJECT"] == ("D4", f"'{OVERALL}'!D4")
    assert links["C-MISSING"] == (None, None)
    for _, loc in links.values():  # a link names an existing cell of an existing sheet
        if loc:
            sheet, ref = loc.rsplit("!", 1)
            assert sheet.strip("'") in wb.sheetnames and wb[sheet.strip("'")][ref] is not None

    row = by_code["V-EXEC-RATE"]
    assert [c.value for c in row[1:]] == ["错误", "V-EXEC-RATE", "执行率计算", "表内", OVERALL, OVERALL, "H4",
                                          "99.13%", "98.00%", "执行率计算有误：应为 99.13%，实为 98.00%",
                                          row[11].value]
    assert row[1].font.color.rgb.endswith("9C0006")
    assert by_code["W-DEVIATION"][1].font.color.rgb.endswith(style.SEVERITY_FONT["warning"])
    assert by_code["I-SCORE-NOTE"][1].font.color.rgb.endswith(style.SEVERITY_FONT["info"])
    assert by_code["C-MISSING"][5].value == "项目支出自评表"        # table name from the table code
    assert ws.column_dimensions["K"].width >= 36 and row[10].alignment.wrap_text


def test_user_text_stays_text(annotated):
    _, out = annotated
    wb = openpyxl.load_workbook(out)
    _, rows = _table(wb["审核结果"])
    row = next(r for r in rows.values() if r[2].value == "X-INJECT")
    assert row[10].value == "=cmd|' /C calc'!A0" and row[10].data_type == "s"
    assert row[9].value == "=1+1" and row[9].data_type == "s"
    assert row[10].quotePrefix
    with zipfile.ZipFile(out) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml
    assert wb[OVERALL]["D4"].comment.text == "【错误】X-INJECT =cmd|' /C calc'!A0"


def test_no_findings(example, tmp_path):
    out = annotate(example, [], tmp_path / "clean.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    assert ws.title == "审核结果" and wb.active is ws
    assert _counts(ws) == "错误 0 项，警告 0 项，提示 0 项"
    assert any("未发现问题" in str(c.value) for c in ws["A"] if c.value)
    for name in wb.sheetnames[1:]:
        assert not any(c.comment for row in wb[name].iter_rows() for c in row)


# --------------------------------------------------------------------------- comments and fills


def test_comments_joined_most_severe_first(annotated):
    _, out = annotated
    wb = openpyxl.load_workbook(out)
    c = wb[OVERALL]["H4"].comment
    assert c is not None and c.author == "gridbudget"
    assert c.text == "【错误】V-EXEC-RATE 执行率计算有误：应为 99.13%，实为 98.00%"
    shared = wb[PROJECT]["H25"].comment
    assert shared.author == "gridbudget"
    assert shared.text == "【警告】W-DEVIATION 扣分但偏差原因为空\n【提示】I-SCORE-NOTE 得分与分值相同，请确认无偏差"
    assert comment_text(_findings()[1:3]) == shared.text
    commented = {(ws.title, cell.coordinate) for ws in wb.worksheets for row in ws.iter_rows() for cell in row
                 if cell.comment}
    assert commented == {(OVERALL, "H4"), (OVERALL, "D4"), (PROJECT, "H25")}


def test_fills_by_severity_and_style_kept(example, annotated):
    _, out = annotated
    before = openpyxl.load_workbook(example)
    after = openpyxl.load_workbook(out)
    cells = [(OVERALL, "H4", "error"), (PROJECT, "H25", "warning"), (OVERALL, "D4", "error")]
    for sheet, ref, sev in cells:
        b, a = before[sheet][ref], after[sheet][ref]
        assert a.fill.fill_type == "solid"
        assert a.fill.fgColor.rgb[-6:] == FILLS[sev]
        assert b.fill.fgColor.rgb[-6:] != FILLS[sev]          # the fill really changed
        # (StyleProxy == StyleProxy is always False in openpyxl: compare plain copies)
        for attr in ("font", "border", "alignment", "protection"):
            assert copy.copy(getattr(a, attr)) == copy.copy(getattr(b, attr)), (ref, attr)
        assert a.font.name == b.font.name and a.font.sz == b.font.sz and a.font.b == b.font.b
        assert a.border.left.style == b.border.left.style
        assert a.number_format == b.number_format
        assert a.protection.locked == b.protection.locked and a.protection.hidden == b.protection.hidden
        assert a.value == b.value
    assert FILLS == style.SEVERITY_FILL == {"error": "FF9999", "warning": "FFC000", "info": "B4A7D6"}
    # a cell whose only finding is an info gets the lavender fill
    info_only = [Finding("I-1", "info", "表内", "提示", sheet=OVERALL, cell="E4")]
    out2 = annotate(example, info_only, out.with_name("info.xlsx"))
    e4 = openpyxl.load_workbook(out2)[OVERALL]["E4"]
    assert e4.fill.fgColor.rgb[-6:] == "B4A7D6"
    # untouched cells keep their fill
    assert copy.copy(after[OVERALL]["G4"].fill) == copy.copy(before[OVERALL]["G4"].fill)
    assert after[OVERALL]["G4"].fill.fgColor.rgb == before[OVERALL]["G4"].fill.fgColor.rgb


def test_existing_comment_kept_and_ours_appended(example, tmp_path):
    wb = openpyxl.load_workbook(example)
    wb[OVERALL]["H4"].comment = Comment("会计：此处按调整后预算计算", "张会计")
    user = tmp_path / "with-comment.xlsx"
    wb.save(user)
    out = annotate(user, _findings()[:1], tmp_path / "out.xlsx")
    c = openpyxl.load_workbook(out)[OVERALL]["H4"].comment
    assert c.text.startswith("会计：此处按调整后预算计算")
    assert c.text.endswith("【错误】V-EXEC-RATE 执行率计算有误：应为 99.13%，实为 98.00%")
    assert c.author == "张会计"


def test_merged_cell_annotated_on_its_anchor(example, tmp_path):
    wb = openpyxl.load_workbook(example)
    ws = wb[OVERALL]
    rng = next(r for r in ws.merged_cells.ranges if r.max_col > r.min_col)
    inner = ws.cell(rng.min_row, rng.min_col + 1).coordinate
    anchor = ws.cell(rng.min_row, rng.min_col).coordinate
    f = [Finding("W-M", "warning", "表内", "合并单元格", sheet=OVERALL, cell=inner),
         Finding("E-X", "error", "表内", "不存在的工作表", sheet="没有这张表", cell="A1"),
         Finding("E-Y", "error", "表内", "无效单元格", sheet=OVERALL, cell="not-a-cell")]
    out = annotate(example, f, tmp_path / "m.xlsx")
    wb2 = openpyxl.load_workbook(out)
    assert wb2[OVERALL][anchor].comment.text == "【警告】W-M 合并单元格"
    assert wb2[OVERALL][anchor].fill.fgColor.rgb[-6:] == FILLS["warning"]
    _, rows = _table(wb2["审核结果"])
    by_code = {r[2].value: r for r in rows.values()}
    assert by_code["W-M"][7].hyperlink.location == f"'{OVERALL}'!{inner}"
    assert by_code["E-X"][7].hyperlink is None and by_code["E-Y"][7].hyperlink is None
    assert "未找到" in by_code["E-X"][10].value


# --------------------------------------------------------------------------- the user's workbook survives


def _formulas(ws) -> dict[str, str]:
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.data_type == "f"}


def test_workbook_features_survive(example, annotated):
    _, out = annotated
    before = openpyxl.load_workbook(example)
    after = openpyxl.load_workbook(out)
    n_formulas = 0
    for name in before.sheetnames:
        b, a = before[name], after[name]
        assert sorted(map(str, a.merged_cells.ranges)) == sorted(map(str, b.merged_cells.ranges)), name
        assert len(a.data_validations.dataValidation) == len(b.data_validations.dataValidation), name
        assert [(d.sqref.ranges and str(d.sqref), d.formula1, d.prompt, d.promptTitle)
                for d in a.data_validations.dataValidation] == \
               [(d.sqref.ranges and str(d.sqref), d.formula1, d.prompt, d.promptTitle)
                for d in b.data_validations.dataValidation], name
        assert a.protection.sheet == b.protection.sheet, name
        assert a.protection.password == b.protection.password, name
        assert named_cells(after, name) == named_cells(before, name), name
        assert _formulas(a) == _formulas(b), name
        n_formulas += len(_formulas(b))
        assert {k: v.width for k, v in a.column_dimensions.items()} == \
               {k: v.width for k, v in b.column_dimensions.items()}, name
        assert a.print_title_rows == b.print_title_rows and a.freeze_panes == b.freeze_panes, name
        assert a.page_setup.orientation == b.page_setup.orientation, name
        unlocked_b = {c.coordinate for row in b.iter_rows() for c in row if not c.protection.locked}
        unlocked_a = {c.coordinate for row in a.iter_rows() for c in row if not c.protection.locked}
        assert unlocked_a == unlocked_b, name
        values_b = {c.coordinate: c.value for row in b.iter_rows() for c in row}
        values_a = {c.coordinate: c.value for row in a.iter_rows() for c in row}
        assert values_a == values_b, name
    # the example really has what we compare
    assert n_formulas > 10
    assert before[OVERALL].protection.sheet and before[OVERALL].data_validations.dataValidation
    assert named_cells(before, OVERALL)
    # sheet-scoped names are written for the right (shifted) sheet index
    with zipfile.ZipFile(out) as zf:
        wbxml = zf.read("xl/workbook.xml").decode()
    idx = after.sheetnames.index(PROJECT)
    assert f'<definedName name="gb_department" localSheetId="{idx}">' in wbxml
    assert after["审核结果"].protection.sheet and not after["审核结果"].protection.password   # only 出错说明 takes input


def test_losses_reported_only_when_present(example, tmp_path):
    assert copy_losses(example) == []
    # a sheet with an x14 data validation in its extLst (as Excel 2010+ writes cross-sheet lists)
    fake = tmp_path / "ext.xlsx"
    with zipfile.ZipFile(example) as zin, zipfile.ZipFile(fake, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet3.xml":
                ext = ('<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
                       'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
                       '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
                       '<x14:dataValidation type="list" allowBlank="1"><x14:formula1><xm:f>填表说明!$A$1:$A$3</xm:f>'
                       '</x14:formula1><xm:sqref>I5</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>')
                data = data.replace(b"</worksheet>", ext.encode() + b"</worksheet>")
            zout.writestr(item, data)
    losses = copy_losses(fake)
    assert losses and "数据验证" in losses[0]
    out = annotate(fake, _findings()[:1], tmp_path / "ext-out.xlsx")
    ws = openpyxl.load_workbook(out)["审核结果"]
    assert any("未能保留" in str(c.value) and "数据验证" in str(c.value) for c in ws["A"] if c.value)


def test_hand_layout_workbook(tmp_path):
    spec = importlib.util.spec_from_file_location("seed_layout", ROOT / "scripts" / "seed_layout.py")
    seed_layout = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(seed_layout)
    src = tmp_path / "seed.xlsx"
    src.write_bytes(seed_layout.build("seed"))
    before = sha256(src)
    f = [Finding("V-EXEC-RATE", "error", "表内", "执行率计算有误", sheet="附件2", cell="G4"),
         Finding("W-X", "warning", "表内", "基础数据", sheet="附件1", cell="B4")]
    out = annotate(src, f, tmp_path / "seed-out.xlsx")
    assert sha256(src) == before
    wb = openpyxl.load_workbook(out)
    orig = openpyxl.load_workbook(src)
    assert wb.sheetnames == ["审核结果", "附件1", "附件2", "附件3"] and wb.active.title == "审核结果"
    assert wb["附件2"]["G4"].comment.text.startswith("【错误】V-EXEC-RATE")
    assert wb["附件1"]["B4"].fill.fgColor.rgb[-6:] == FILLS["warning"]
    for name in orig.sheetnames:
        assert sorted(map(str, wb[name].merged_cells.ranges)) == sorted(map(str, orig[name].merged_cells.ranges))
    _, rows = _table(wb["审核结果"])
    assert {r[7].hyperlink.location for r in rows.values()} == {"'附件2'!G4", "'附件1'!B4"}


# --------------------------------------------------------------------------- never over the input


def test_dst_is_src_refused(example, tmp_path):
    before, mtime = sha256(example), example.stat().st_mtime_ns
    for dst in (example, example.parent / ".." / "in" / example.name, str(example)):
        with pytest.raises(ValueError, match="输入文件"):
            annotate(example, _findings(), dst)
    assert sha256(example) == before and example.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in example.parent.iterdir()) == [example.name]


def test_output_suffix_follows_content(example, tmp_path):
    out = annotate(example, [], tmp_path / "copy.xls")
    assert out == tmp_path / "copy.xlsx" and out.is_file() and not (tmp_path / "copy.xls").exists()
    # a macro workbook's copy is written where asked: .xlsm keeps the macro content type,
    # .xlsx drops the macros and says so on the 审核结果 sheet
    xlsm = tmp_path / "m.xlsm"
    shutil.copyfile(example, xlsm)
    out = annotate(xlsm, _findings()[:1], tmp_path / "m-out.xlsm")
    assert out == tmp_path / "m-out.xlsm"
    with zipfile.ZipFile(out) as zf:
        assert b"macroEnabled" in zf.read("[Content_Types].xml")
    out = annotate(xlsm, _findings()[:1], tmp_path / "m-out.xlsx")
    assert out == tmp_path / "m-out.xlsx"
    with zipfile.ZipFile(out) as zf:
        assert b"macroEnabled" not in zf.read("[Content_Types].xml")
    # a workbook without macros cannot be copied to .xlsm (Excel would refuse to open it)
    with pytest.raises(ValueError, match=r"\.xlsx"):
        annotate(example, [], tmp_path / "plain.xlsm")


def test_xls_without_libreoffice_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(lo, "available", lambda: False)
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)
    with pytest.raises(ValueError, match=r"\.xlsx") as exc:
        annotate(xls, _findings(), tmp_path / "old-out.xlsx")
    assert "另存为" in str(exc.value) and "old.xls" in str(exc.value)
    assert not (tmp_path / "old-out.xlsx").exists()
    not_a_book = tmp_path / "x.xlsx"
    not_a_book.write_text("序号,级别\n", encoding="utf-8")
    with pytest.raises(ValueError, match="不是 Excel/WPS 工作簿"):
        annotate(not_a_book, [], tmp_path / "y.xlsx")


# --------------------------------------------------------------------------- a real client opens it


@pytest.mark.libreoffice
@needs_lo
def test_libreoffice_opens_the_copy(annotated, tmp_path):
    _, out = annotated
    pdf = lo.to_pdf(out, tmp_path / "pdf" / "copy.pdf")
    assert lo.pdf_page_count(pdf) >= 1
    (xlsx,) = lo.convert([out], tmp_path / "lo", "xlsx")
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames[0] == "审核结果"
    assert _counts(wb["审核结果"]) == "错误 2 项，警告 2 项，提示 1 项"
    assert "V-EXEC-RATE" in wb[OVERALL]["H4"].comment.text
    assert wb[PROJECT]["H25"].comment.text.splitlines()[0].startswith("【警告】W-DEVIATION")
    _, rows = _table(wb["审核结果"])
    link = next(r[7].hyperlink for r in rows.values() if r[2].value == "V-EXEC-RATE")
    assert link is not None
    assert OVERALL in (link.location or link.target or "") and "H4" in (link.location or link.target or "")
    inj = next(r for r in rows.values() if r[2].value == "X-INJECT")
    assert inj[10].value == "=cmd|' /C calc'!A0" and inj[10].data_type == "s"


@pytest.mark.libreoffice
@needs_lo
def test_ods_converted_by_libreoffice(example, tmp_path):
    (ods,) = lo.convert([example], tmp_path / "ods", "ods", recalc=False)
    before = sha256(ods)
    out = annotate(ods, _findings()[:1], tmp_path / "ods-out.ods")
    assert out.suffix == ".xlsx" and sha256(ods) == before
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "审核结果"
    assert wb[OVERALL]["H4"].comment.text.startswith("【错误】V-EXEC-RATE")
    assert any("LibreOffice" in str(c.value) for c in wb["审核结果"]["A"] if c.value)
