"""Tests for gridbudget.read.book (fixtures are generated into tmp dirs, never committed)."""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import re
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from gridbudget.read.book import Book, Cell, ReadError, open_book
from gridbudget.read.numfmt import format_info
from gridbudget.read.ooxml import parse_name_target, shift_formula

CJK = re.compile(r"[\u4e00-\u9fff]")

# ---------------------------------------------------------------------------
# Fixture builders
# ---------------------------------------------------------------------------


def make_features(path: Path) -> Path:
    """An xlsxwriter workbook exercising values, formats, protection, merges and names."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("基础数据表")
    ws2 = wb.add_worksheet("张'三表")
    ws3 = wb.add_worksheet("隐藏表")
    ws3.hide()
    fmt = lambda **kw: wb.add_format(kw)
    unlocked = fmt(locked=False)
    ws.protect()
    ws.write("A1", "单位名称")
    ws.write("B1", "某某局", unlocked)
    ws.write("A2", 0.5, fmt(num_format="0%"))  # builtin 9
    ws.write("B2", 0.1234, fmt(num_format="0.00%"))  # builtin 10
    ws.write("C2", 0.25, fmt(num_format="0.0%"))  # custom
    ws.write("A3", 1234.5, fmt(num_format="#,##0.00"))  # builtin 4
    ws.write("B3", 12, fmt(num_format="0"))  # builtin 1
    ws.write("C3", 3.14159, fmt(num_format='0.000"元"'))
    ws.write("D3", 2.5, fmt(num_format='"%"0.00'))  # quoted percent sign
    ws.write("E3", 45000, fmt(num_format="yyyy-mm-dd"))
    ws.write("F3", 7)
    ws.write("G3", -0.75)
    ws.merge_range("A5:C6", "合并", unlocked)
    ws.write_formula("A8", "=SUM(A3:B3)", fmt(num_format="#,##0.00"), 1246.5)
    ws.write_formula("B8", "=A3*2", None, "")  # no cached value
    ws.write_formula("C8", "=1/0", None, "#DIV/0!")
    ws.write_formula("D8", "=A3+1")  # xlsxwriter's default cache: 0
    ws.write_rich_string("A9", "rich ", fmt(bold=True), "文本")
    ws.write_boolean("B9", False)
    ws.write_boolean("C9", True)
    ws.write_string("D9", "=不是公式")
    ws.repeat_rows(0)  # _xlnm.Print_Titles: must be skipped
    ws2.write("A1", "x")
    ws2.write("B2", 3)
    wb.define_name("'基础数据表'!单位", "='基础数据表'!$B$1")
    wb.define_name("总额", "='基础数据表'!$A$3:$B$3")
    wb.define_name("另一", "='张''三表'!$A$1")
    wb.define_name("税率", "=0.13")  # not a reference: skipped
    wb.close()
    return path


def make_realistic(path: Path) -> Path:
    """~4 sheets, ~550 filled cells, merges, formulas, protection: the benchmark workbook."""
    wb = xlsxwriter.Workbook(str(path))
    title = wb.add_format({"bold": True, "align": "center"})
    money = wb.add_format({"num_format": "#,##0.00", "locked": False})
    pct = wb.add_format({"num_format": "0.00%"})
    txt = wb.add_format({"locked": False})
    for si, sname in enumerate(["基础数据表", "整体支出自评表", "项目支出自评表", "绩效指标表"]):
        ws = wb.add_worksheet(sname)
        ws.protect()
        ws.merge_range(0, 0, 0, 5, f"{sname}（2024年度）", title)
        ws.merge_range(1, 0, 1, 2, "单位名称：", title)
        for r in range(2, 28):
            ws.write_string(r, 0, f"项目{r}-{si}")
            ws.write_string(r, 1, "说明文字" * (r % 3 + 1), txt)
            ws.write_number(r, 2, 1000 + r * 13.25, money)
            ws.write_number(r, 3, 800 + r * 7.5, money)
            ws.write_formula(r, 4, f"=IFERROR(D{r + 1}/C{r + 1},0)", pct,
                             (800 + r * 7.5) / (1000 + r * 13.25))
        ws.write_formula(28, 2, "=SUM(C3:C28)", money, 0)
        ws.write_formula(28, 3, "=SUM(D3:D28)", money, "")
        ws.merge_range(29, 0, 30, 5, "备注：本表由单位填报。", txt)
        for r in range(31, 33):
            ws.write_string(r, 0, "分值")
            ws.write_number(r, 1, r)
        wb.define_name(f"'{sname}'!单位名称", f"='{sname}'!$D$2")
    wb.define_name("总金额", "='整体支出自评表'!$C$29")
    wb.close()
    return path


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_RELNS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"

DEFAULT_STYLES = (
    '<styleSheet xmlns="{ns}"><numFmts count="1"><numFmt numFmtId="164" formatCode="0.0%"/></numFmts>'
    '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="164"/>'
    '<xf numFmtId="2" applyProtection="1"><protection locked="0"/></xf>'
    '<xf numFmtId="10"><protection locked="false" hidden="true"/></xf></cellXfs></styleSheet>'
)


def raw_xlsx(
    path: Path,
    sheets: list[tuple[str, str]],
    *,
    shared: str | None = None,
    styles: str | None = DEFAULT_STYLES,
    names: str = "",
    strict: bool = False,
    macro: bool = False,
    states: dict[str, str] | None = None,
    extra: dict[str, bytes] | None = None,
    skip_parts: tuple[str, ...] = (),
) -> Path:
    """Write an OOXML package by hand: ``sheets`` are (name, worksheet body XML)."""
    ns, relns = (STRICT_MAIN, STRICT_RELNS) if strict else (MAIN, RELNS)
    states = states or {}
    parts: dict[str, bytes] = {}
    main_ct = ("application/vnd.ms-excel.sheet.macroEnabled.main+xml" if macro else
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
    parts["[Content_Types].xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        f'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="{main_ct}"/>'
        "</Types>"
    ).encode()
    parts["_rels/.rels"] = (
        f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{relns}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ).encode()
    rels, sheet_els = [], []
    for i, (name, body) in enumerate(sheets, start=1):
        rels.append(f'<Relationship Id="rId{i}" Type="{relns}/worksheet" Target="worksheets/sheet{i}.xml"/>')
        state = f' state="{states[name]}"' if name in states else ""
        sheet_els.append(f'<sheet name={quoteattr(name)} sheetId="{i}"{state} r:id="rId{i}"/>')
        parts[f"xl/worksheets/sheet{i}.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{ns}" xmlns:r="{relns}">{body}</worksheet>'
        ).encode()
    if shared is not None:
        rels.append(f'<Relationship Id="rIdS" Type="{relns}/sharedStrings" Target="sharedStrings.xml"/>')
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{ns}">{shared}</sst>'.encode()
    if styles is not None:
        rels.append(f'<Relationship Id="rIdY" Type="{relns}/styles" Target="/xl/styles.xml"/>')
        parts["xl/styles.xml"] = styles.format(ns=ns).encode()
    parts["xl/_rels/workbook.xml.rels"] = f'<Relationships xmlns="{PKG}">{"".join(rels)}</Relationships>'.encode()
    defined = f"<definedNames>{names}</definedNames>" if names else ""
    parts["xl/workbook.xml"] = (
        f'<workbook xmlns="{ns}" xmlns:r="{relns}"><sheets>{"".join(sheet_els)}</sheets>{defined}</workbook>'
    ).encode()
    parts.update(extra or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            if name not in skip_parts:
                zf.writestr(name, data)
    return path


def sheet_data(rows: str, tail: str = "") -> str:
    return f"<sheetData>{rows}</sheetData>{tail}"


def dn(name: str, text: str, local: int | None = None) -> str:
    loc = f' localSheetId="{local}"' if local is not None else ""
    return f"<definedName name={quoteattr(name)}{loc}>{escape(text)}</definedName>"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------
# xlsxwriter-generated workbook
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def features(tmp_path_factory) -> Path:
    return make_features(tmp_path_factory.mktemp("features") / "features.xlsx")


@pytest.fixture(scope="module")
def fbook(features) -> Book:
    return open_book(features)


def test_values_and_types(fbook: Book, features: Path):
    assert fbook.kind == "xlsx"
    assert fbook.path == str(features)
    assert [s.name for s in fbook.sheets] == ["基础数据表", "张'三表", "隐藏表"]
    s = fbook.sheets[0]
    assert s.value(0, 0) == "单位名称"
    assert s.value(2, 1) == 12 and type(s.value(2, 1)) is int
    assert s.value(2, 0) == 1234.5 and type(s.value(2, 0)) is float
    assert s.value(2, 6) == -0.75
    assert s.value(2, 4) == 45000  # dates stay serial numbers
    assert s.value(8, 0) == "rich 文本"  # rich text runs joined
    assert s.value(8, 1) is False and s.value(8, 2) is True
    assert s.value(8, 3) == "=不是公式" and s.cells[(8, 3)].formula is None
    assert s.value(50, 50) is None
    assert (3, 0) not in s.cells  # empty row
    assert fbook.sha256 == sha(features)
    assert fbook.values_only is False


def test_formulas_and_cached_values(fbook: Book):
    s = fbook.sheets[0]
    assert fbook.has_formulas
    a8 = s.cells[(7, 0)]
    assert (a8.formula, a8.value) == ("SUM(A3:B3)", 1246.5)
    b8 = s.cells[(7, 1)]
    assert (b8.formula, b8.value) == ("A3*2", None)  # value="" -> no cache
    c8 = s.cells[(7, 2)]
    assert (c8.formula, c8.value, c8.error) == ("1/0", None, "#DIV/0!")
    d8 = s.cells[(7, 3)]
    assert (d8.formula, d8.value) == ("A3+1", 0)  # xlsxwriter's plausible-but-wrong cache
    assert fbook.sheets[1].cells[(0, 0)].formula is None


@pytest.mark.parametrize(
    "ref, percent, decimals",
    [
        ((1, 0), True, 0),  # 0%
        ((1, 1), True, 2),  # 0.00%
        ((1, 2), True, 1),  # 0.0%
        ((2, 0), False, 2),  # #,##0.00
        ((2, 1), False, 0),  # 0
        ((2, 2), False, 3),  # 0.000"元"
        ((2, 3), False, 2),  # "%"0.00: the % is quoted
        ((2, 4), False, None),  # date
        ((2, 5), False, None),  # General
        ((7, 0), False, 2),  # formula cell keeps its format
    ],
)
def test_percent_and_decimals(fbook: Book, ref, percent, decimals):
    cell = fbook.sheets[0].cells[ref]
    assert (cell.percent, cell.decimals) == (percent, decimals)


def test_locked_protection_state(fbook: Book):
    s0, s1, s2 = fbook.sheets
    assert s0.cells[(0, 1)].locked is False
    assert s0.cells[(4, 0)].locked is False
    assert s0.cells[(0, 0)].locked is True
    assert s0.protected is True and s1.protected is False
    assert (s0.state, s1.state, s2.state) == ("visible", "visible", "hidden")
    assert s2.cells == {}


def test_merged_ranges(fbook: Book):
    s = fbook.sheets[0]
    assert s.merged == [(4, 0, 5, 2)]
    assert s.merged_anchor(5, 2) == (4, 0)
    assert s.merged_anchor(4, 1) == (4, 0)
    assert s.merged_anchor(6, 0) == (6, 0)
    assert s.value(*s.merged_anchor(5, 1)) == "合并"


def test_defined_names(fbook: Book):
    assert fbook.names == {
        "总额": ("基础数据表", 2, 0, 2, 1),
        "另一": ("张'三表", 0, 0, 0, 0),
    }
    assert fbook.sheets[0].names == {"单位": (0, 1, 0, 1)}
    assert fbook.sheets[1].names == {}
    assert not any(n.startswith("_xlnm") for s in fbook.sheets for n in s.names)


def test_data_argument_and_pickling(features: Path, tmp_path: Path):
    data = features.read_bytes()
    book = open_book(tmp_path / "不存在的文件.xlsx", data=data)
    assert book.path.endswith("不存在的文件.xlsx")
    assert book.sha256 == hashlib.sha256(data).hexdigest()
    assert book.sheets[0].value(0, 1) == "某某局"
    again = pickle.loads(pickle.dumps(book))
    assert again == book
    assert isinstance(again.sheets[0].cells[(0, 0)], Cell)
    err = ReadError("corrupt", "a.xlsx", "文件 a.xlsx 已损坏")
    err2 = pickle.loads(pickle.dumps(err))
    assert (err2.code, err2.file, err2.message, str(err2)) == ("corrupt", "a.xlsx", "文件 a.xlsx 已损坏",
                                                              "文件 a.xlsx 已损坏")


def test_openpyxl_written_errors_and_formulas(tmp_path: Path):
    openpyxl = pytest.importorskip("openpyxl")
    from openpyxl.styles import Protection

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "整体支出自评表"
    ws["A1"] = "#DIV/0!"
    ws["A2"] = "#N/A"
    ws["A3"] = "=SUM(B1:B2)"
    ws["B1"] = 0.35
    ws["B1"].number_format = "0.00%"
    ws["B2"] = 4
    ws["B2"].protection = Protection(locked=False)
    ws["C1"] = "文本 with _x000D_ escape"
    ws.merge_cells("D1:E2")
    ws.protection.sheet = True
    path = tmp_path / "op.xlsx"
    wb.save(path)
    s = open_book(path).sheets[0]
    assert (s.cells[(0, 0)].error, s.cells[(0, 0)].value) == ("#DIV/0!", None)
    assert s.cells[(1, 0)].error == "#N/A"
    assert (s.cells[(2, 0)].formula, s.cells[(2, 0)].value) == ("SUM(B1:B2)", None)
    assert (s.cells[(0, 1)].percent, s.cells[(0, 1)].decimals) == (True, 2)
    assert s.cells[(1, 1)].locked is False and s.cells[(0, 1)].locked is True
    assert s.merged == [(0, 3, 1, 4)] and s.protected


# ---------------------------------------------------------------------------
# Hand-written XML
# ---------------------------------------------------------------------------


def test_raw_cell_types(tmp_path: Path):
    rows = (
        '<row r="1">'
        '<c r="A1" t="inlineStr"><is><t>内联</t></is></c>'
        '<c r="B1" t="inlineStr"><is><r><t>富</t></r><r><rPr><b/></rPr><t xml:space="preserve">文本 </t></r></is></c>'
        '<c r="C1" t="b"><v>1</v></c>'
        '<c r="D1" t="e"><v>#REF!</v></c>'
        '<c r="E1" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>'
        '<c r="F1" t="s"><v>0</v></c>'
        '<c r="G1" t="s"><v>1</v></c>'
        '<c r="H1" t="s"><v>2</v></c>'
        '<c r="I1" s="1"/>'
        "</row>"
        '<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>1.0</v></c><c r="C2"><v>1E3</v></c>'
        '<c r="D2"><v>-5</v></c><c r="E2" t="n"><v>0.1</v></c><c r="F2"><v>2.5e-3</v></c>'
        '<c r="G2" s="1"><v>0.5</v></c><c r="H2" s="2"><v>3</v></c><c r="I2" s="3"><v>0.25</v></c>'
        '<c r="J2" s="9"><v>4</v></c></row>'
    )
    shared = (
        "<si><t>普通</t></si>"
        "<si><r><t>甲</t></r><r><t>乙</t></r><rPh sb=\"0\" eb=\"1\"><t>ジャ</t></rPh></si>"
        "<si><t>换行_x000D_\n结束</t><phoneticPr fontId=\"1\"/></si>"
    )
    book = open_book(raw_xlsx(tmp_path / "raw.xlsx", [("表1", sheet_data(rows))], shared=shared))
    s = book.sheets[0]
    assert s.value(0, 0) == "内联"
    assert s.value(0, 1) == "富文本 "
    assert s.value(0, 2) is True
    assert (s.cells[(0, 3)].error, s.value(0, 3)) == ("#REF!", None)
    assert (s.value(0, 4), s.cells[(0, 4)].formula) == ("ab", '"a"&"b"')
    assert s.value(0, 5) == "普通"
    assert s.value(0, 6) == "甲乙"  # phonetic run excluded
    assert s.value(0, 7) == "换行\r\n结束"
    assert (0, 8) not in s.cells  # styled blank does not exist
    values = [s.value(1, c) for c in range(6)]
    assert values == [1, 1.0, 1000.0, -5, 0.1, 0.0025]
    assert [type(v) for v in values] == [int, float, float, int, float, float]
    assert (s.cells[(1, 6)].percent, s.cells[(1, 6)].decimals, s.cells[(1, 6)].locked) == (True, 1, True)
    assert (s.cells[(1, 7)].percent, s.cells[(1, 7)].decimals, s.cells[(1, 7)].locked) == (False, 2, False)
    assert (s.cells[(1, 8)].percent, s.cells[(1, 8)].decimals, s.cells[(1, 8)].locked) == (True, 2, False)
    assert s.cells[(1, 9)] == Cell(4)  # unknown style index -> defaults
    assert book.has_formulas


def test_raw_missing_references(tmp_path: Path):
    rows = (
        "<row><c><v>1</v></c><c><v>2</v></c></row>"  # row 1: A1, B1
        '<row r="4"><c><v>3</v></c><c r="D4"><v>4</v></c><c><v>5</v></c></row>'  # A4, D4, E4
        "<row><c t=\"inlineStr\"><is><t>x</t></is></c></row>"  # A5
    )
    s = open_book(raw_xlsx(tmp_path / "noref.xlsx", [("S", sheet_data(rows))])).sheets[0]
    assert {k: c.value for k, c in s.cells.items()} == {
        (0, 0): 1, (0, 1): 2, (3, 0): 3, (3, 3): 4, (3, 4): 5, (4, 0): "x"}


def test_raw_shared_and_array_formulas(tmp_path: Path):
    rows = (
        '<row r="1"><c r="A1"><f t="shared" ref="A1:A3" si="0">B1*$C$1+SUM(B$1:B1)</f><v>1</v></c>'
        '<c r="E1"><f t="array" ref="E1:E2">B1:B2*2</f><v>2</v></c></row>'
        '<row r="2"><c r="A2"><f t="shared" si="0"/><v>2</v></c><c r="E2"><v>4</v></c></row>'
        '<row r="3"><c r="A3"><f t="shared" si="0"/></c>'
        '<c r="B3"><f t="shared" si="7"/><v>9</v></c></row>'  # master unknown
    )
    s = open_book(raw_xlsx(tmp_path / "shared.xlsx", [("S", sheet_data(rows))])).sheets[0]
    assert s.cells[(0, 0)].formula == "B1*$C$1+SUM(B$1:B1)"
    assert s.cells[(1, 0)].formula == "B2*$C$1+SUM(B$1:B2)"
    assert (s.cells[(2, 0)].formula, s.value(2, 0)) == ("B3*$C$1+SUM(B$1:B3)", None)
    assert (s.cells[(2, 1)].formula, s.value(2, 1)) == ("", 9)
    assert s.cells[(0, 4)].formula == "B1:B2*2"
    assert (s.cells[(1, 4)].formula, s.value(1, 4)) == ("", 4)  # inside the array range


def test_raw_merges_protection_names(tmp_path: Path):
    body1 = sheet_data('<row r="4"><c r="B4"><v>1</v></c></row>',
                       '<sheetProtection sheet="true" objects="true"/>'
                       '<mergeCells count="2"><mergeCell ref="A1:B2"/><mergeCell ref="$C$3:D$5"/></mergeCells>')
    body2 = sheet_data('<row r="1"><c r="A1"><v>2</v></c></row>', '<sheetProtection password="ABCD"/>')
    names = "".join([
        dn("甲", "'基础数据表'!$B$4"),
        dn("乙", "基础数据表!$B$4:$D$9"),
        dn("丙", "整体支出自评表!$A$1:$A$1"),
        dn("丁", "'O''Brien 表'!A1:B2"),
        dn("逆序", "基础数据表!$D$9:$B$4"),
        dn("坏一", "#REF!"),
        dn("坏二", "基础数据表!#REF!"),
        dn("公式", "OFFSET(基础数据表!$A$1,0,0,3,1)"),
        dn("多区", "基础数据表!$A$1,基础数据表!$B$2"),
        dn("整列", "基础数据表!$A:$A"),
        dn("三维", "基础数据表:整体支出自评表!$A$1"),
        dn("无表", "不存在!$A$1"),
        dn("常量", "0.13"),
        dn("_xlnm.Print_Area", "基础数据表!$A$1:$D$9", 0),
        dn("局部", "基础数据表!$C$3", 0),
        dn("局部", "整体支出自评表!$A$2", 1),
        dn("错位", "基础数据表!$A$1", 1),  # scoped to sheet 1 but points at sheet 0: skipped
        dn("越界", "基础数据表!$A$1", 9),
        dn("大小写", "基础数据表!$a$1"),
    ])
    book = open_book(raw_xlsx(
        tmp_path / "names.xlsx",
        [("基础数据表", body1), ("整体支出自评表", body2), ("O'Brien 表", sheet_data(""))],
        names=names, states={"O'Brien 表": "veryHidden"}))
    s0, s1, s2 = book.sheets
    assert s0.merged == [(0, 0, 1, 1), (2, 2, 4, 3)]
    assert s0.protected is True and s1.protected is False
    assert s2.state == "veryHidden"
    assert book.names == {
        "甲": ("基础数据表", 3, 1, 3, 1),
        "乙": ("基础数据表", 3, 1, 8, 3),
        "丙": ("整体支出自评表", 0, 0, 0, 0),
        "丁": ("O'Brien 表", 0, 0, 1, 1),
        "逆序": ("基础数据表", 3, 1, 8, 3),
        "大小写": ("基础数据表", 0, 0, 0, 0),
    }
    assert s0.names == {"局部": (2, 2, 2, 2)}
    assert s1.names == {"局部": (1, 0, 1, 0)}
    assert s2.names == {}


_DV = ('<dataValidations count="1"><dataValidation type="list" allowBlank="1" sqref="B4">'
       '<formula1>"达成,部分达成,未达成"</formula1></dataValidation></dataValidations>')
_EXT = ('<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" xmlns:x14="http://schemas.microsoft.com/'
        'office/spreadsheetml/2009/9/main"><x14:dataValidations count="0"/></ext></extLst>')


def _book_tuple(path: Path):
    b = open_book(path)
    return (b.names, b.has_formulas, [(s.name, s.cells, s.merged, s.names, s.protected, s.state) for s in b.sheets])


@pytest.mark.parametrize("tail, names", [
    (_DV + _EXT, dn("甲", "'基础数据表'!$B$4") + dn("乙", "基础数据表!$C$3", 0)),
    # LibreOffice writes the attributes in another order: the name table is read by lxml
    (_DV, '<definedName function="false" hidden="false" localSheetId="0" name="丙" vbProcedure="false">'
          "基础数据表!$B$4</definedName>"),
    # an entity in the name table, a comment in the drop-downs hiding a closing tag, two extLst
    (_DV.replace("</dataValidations>", "<!-- </dataValidations> --></dataValidations>") + _EXT + _EXT,
     dn("丁&戊", "'基础数据表'!$B$4")),
])
def test_unused_parts_cut_out_read_the_same(tmp_path: Path, monkeypatch, tail, names):
    """Drop-down lists, extensions and the name table are cut out of the bytes before lxml parses
    them (:func:`gridbudget.read.ooxml._cut`): the book is the same as parsed whole."""
    from gridbudget.read import ooxml

    body = sheet_data('<row r="4"><c r="B4" t="inlineStr"><is><t>达成</t></is></c>'
                      '<c r="C4"><f>1+1</f><v>2</v></c></row>',
                      '<sheetProtection sheet="1"/><mergeCells count="1"><mergeCell ref="A1:B2"/></mergeCells>'
                      + tail)
    path = raw_xlsx(tmp_path / "cut.xlsx", [("基础数据表", body)], names=names)
    cut = _book_tuple(path)
    monkeypatch.setattr(ooxml, "_cut", lambda raw, tag: (raw, None))
    assert _book_tuple(path) == cut
    assert cut[2][0][1][(3, 1)].value == "达成" and cut[2][0][2] == [(0, 0, 1, 1)]
    assert cut[0] or cut[2][0][3]                     # the names were read


def test_cut_and_name_table_shapes():
    from gridbudget.read.ooxml import _cut, _defined_names

    raw = b'<a><b/><dataValidations count="1"><x/></dataValidations><c/></a>'
    assert _cut(raw, b"dataValidations") == (b"<a><b/><c/></a>",
                                             b'<dataValidations count="1"><x/></dataValidations>')
    for kept in (raw.replace(b"<c/>", b"<dataValidations><y/></dataValidations>"),     # twice
                 raw.replace(b"<x/>", b"<!-- x -->"),                                      # a comment
                 b"<a><dataValidations/></a>", b"<a><dataValidationsX></dataValidationsX></a>"):
        assert _cut(kept, b"dataValidations") == (kept, None)
    part = ('<definedNames><definedName name="甲" localSheetId="1">\'表\'!$B$4</definedName>'
            '<definedName name="乙" hidden="1">表!$C$3</definedName></definedNames>').encode()
    assert _defined_names(part) == [("甲", "1", "'表'!$B$4"), ("乙", None, "表!$C$3")]
    assert _defined_names(part.replace(b"</definedNames>", b"<!-- c --></definedNames>")) is None
    assert _defined_names(part.replace(b'name="\xe4\xb9\x99" hidden="1"', b'hidden="1" name="x"')) is None
    assert _defined_names(part.replace(b"$C$3", b"$C$3&amp;")) is None


def test_cut_leaves_broken_xml_to_the_parser(tmp_path: Path):
    """A cut that would hide a broken part does not: outside the unused elements a broken sheet is
    still reported as broken; a broken drop-down list alone (never read) is not."""
    broken_cells = sheet_data('<row r="1"><c r="A1"><v>1</v></row>', _DV)
    with pytest.raises(ReadError) as exc:
        open_book(raw_xlsx(tmp_path / "a.xlsx", [("表", broken_cells)]))
    assert exc.value.code == "corrupt"
    broken_dv = sheet_data('<row r="1"><c r="A1"><v>1</v></c></row>', _DV.replace("</formula1>", ""))
    assert open_book(raw_xlsx(tmp_path / "b.xlsx", [("表", broken_dv)])).sheets[0].cells[(0, 0)].value == 1


def test_strict_namespace_and_xlsm(tmp_path: Path):
    rows = '<row r="1"><c r="A1" t="s" s="1"><v>0</v></c><c r="B1"><f>A1</f><v>7</v></c></row>'
    book = open_book(raw_xlsx(tmp_path / "strict.xlsx", [("S", sheet_data(rows))],
                              shared="<si><t>严格</t></si>", strict=True,
                              names=dn("n", "S!$B$1")))
    s = book.sheets[0]
    assert (s.value(0, 0), s.cells[(0, 0)].percent, s.cells[(0, 1)].formula) == ("严格", True, "A1")
    assert book.names == {"n": ("S", 0, 1, 0, 1)}
    assert book.kind == "xlsx"
    macro = open_book(raw_xlsx(tmp_path / "m.xlsx", [("S", sheet_data(rows))],
                               shared="<si><t>x</t></si>", macro=True))
    assert macro.kind == "xlsm"
    vba = open_book(raw_xlsx(tmp_path / "v.bin", [("S", sheet_data(rows))], shared="<si><t>x</t></si>",
                             extra={"xl/vbaProject.bin": b"\0" * 10}))
    assert vba.kind == "xlsm"


def test_no_styles_no_shared_strings(tmp_path: Path):
    rows = '<row r="1"><c r="A1" s="3"><v>5</v></c></row>'
    s = open_book(raw_xlsx(tmp_path / "bare.xlsx", [("S", sheet_data(rows))], styles=None)).sheets[0]
    assert s.cells[(0, 0)] == Cell(5, None, None, False, None, True)


def test_text_in_a_number_cell_is_kept_as_text(tmp_path: Path):
    # Text typed into a numeric cell (and inf/nan, which no spreadsheet stores) stays on the
    # fast path as the text itself, for the value reader to judge; formulas are kept.
    rows = ('<row r="1"><c r="A1"><v>abc</v></c><c r="B1" s="1"><f>A1</f><v>2</v></c>'
            '<c r="C1"><v>inf</v></c><c r="D1"><v>1e999</v></c><c r="E1"><v>123456789012345678901234</v></c></row>')
    book = open_book(raw_xlsx(tmp_path / "odd.xlsx", [("S", sheet_data(rows))]))
    assert book.values_only is False
    sh = book.sheets[0]
    assert sh.value(0, 0) == "abc" and sh.value(0, 1) == 2 and sh.cells[(0, 1)].formula == "A1"
    assert sh.value(0, 2) == "inf" and sh.value(0, 3) == "1e999" and sh.value(0, 4) == "123456789012345678901234"


def test_escaped_lone_surrogate_becomes_replacement_character(tmp_path: Path):
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    shared = "<si><t>a_xD800_b</t></si><si><t>_xD83D__xDE00_</t></si>"
    sh = open_book(raw_xlsx(tmp_path / "s.xlsx", [("S", sheet_data(rows))], shared=shared)).sheets[0]
    assert sh.value(0, 0) == "a\ufffdb" and sh.value(0, 1) == "\U0001F600"
    sh.value(0, 0).encode("utf-8")            # encodable: printing it can never fail


def test_missing_shared_string_is_an_empty_cell(tmp_path: Path):
    rows = '<row r="1"><c r="A1" t="s"><v>5</v></c><c r="B1"><v>7</v></c></row>'  # no such shared string
    path = raw_xlsx(tmp_path / "odd.xlsx", [("S", sheet_data(rows))], shared="<si><t>a</t></si>")
    sh = open_book(path).sheets[0]
    assert (0, 0) not in sh.cells and sh.value(0, 1) == 7


# ---------------------------------------------------------------------------
# Helpers: formulas, formats, names
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "formula, dr, dc, expected",
    [
        ("A1+B2", 1, 0, "A2+B3"),
        ("$A$1+A$1+$A1", 2, 3, "$A$1+D$1+$A3"),
        ("SUM(A1:B2)", 0, 1, "SUM(B1:C2)"),
        ("SUM(A:B)+SUM(1:2)", 1, 1, "SUM(B:C)+SUM(2:3)"),
        ('"A1"&A1', 1, 0, '"A1"&A2'),
        ("LOG10(A1)+ATAN2(B1,C1)", 1, 0, "LOG10(A2)+ATAN2(B2,C2)"),
        ("'My A1'!A1+基础数据表!B2", 1, 1, "'My A1'!B2+基础数据表!C3"),
        ("金额A1+A1", 1, 0, "金额A1+A2"),
        ("A1-1", 0, -1, "#REF!-1"),
        ("Table1[Col A1]+A1", 1, 0, "Table1[Col A1]+A2"),
        ("XFE1+A1", 1, 0, "XFE1+A2"),  # not a column: a name
        ("A1", 0, 0, "A1"),
    ],
)
def test_shift_formula(formula, dr, dc, expected):
    assert shift_formula(formula, dr, dc) == expected


def _col(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


_refs = st.builds(
    lambda c, r, ac, ar: f"{'$' if ac else ''}{_col(c)}{'$' if ar else ''}{r}",
    st.integers(60, 300), st.integers(60, 300), st.booleans(), st.booleans(),
)
_atoms = st.one_of(
    _refs,
    st.builds(lambda a, b: f"{a}:{b}", _refs, _refs),
    st.builds(lambda a: f"SUM({a})", _refs),
    st.builds(lambda a: f"'数据 表'!{a}", _refs),
    st.sampled_from(['"A1"', "1.5", "LOG10(2)", "TRUE"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_atoms, min_size=1, max_size=5), st.integers(-50, 50), st.integers(-50, 50))
def test_shift_formula_agrees_with_openpyxl(atoms, dr, dc):
    from openpyxl.formula.translate import Translator

    formula = "+".join(atoms)
    expected = Translator("=" + formula, origin="C3").translate_formula(f"{_col(3 + dc)}{3 + dr}") \
        if dr >= 0 and dc >= 0 else None
    if expected is None:  # openpyxl needs a valid destination cell: shift the origin instead
        expected = Translator("=" + formula, origin=f"{_col(60)}{60}").translate_formula(
            f"{_col(60 + dc)}{60 + dr}")
    assert "=" + shift_formula(formula, dr, dc) == expected


@pytest.mark.parametrize(
    "code, expected",
    [
        ("General", (False, None)),
        ("0", (False, 0)),
        ("0.00", (False, 2)),
        ("#,##0.00_);[Red](#,##0.00)", (False, 2)),
        ("0.0%", (True, 1)),
        ("0%", (True, 0)),
        ('"%"0.00', (False, 2)),
        ("0.00\\%", (False, 2)),
        ('0.00"元"', (False, 2)),
        ("[$-804]0.000", (False, 3)),
        ("yyyy-mm-dd", (False, None)),
        ('yyyy"年"m"月"d"日"', (False, None)),
        ("h:mm:ss", (False, None)),
        ("0.00E+00", (False, None)),
        ("# ?/?", (False, None)),
        ("@", (False, None)),
        ('_-* #,##0.00_-;\\-* #,##0.00_-;_-* "-"??_-;_-@_-', (False, 2)),
        ("[DBNum2][$-804]General", (False, None)),
    ],
)
def test_format_info(code, expected):
    assert format_info(code) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("'基础数据表'!$B$4", ("基础数据表", (3, 1, 3, 1))),
        ("基础数据表!$B$4:$D$9", ("基础数据表", (3, 1, 8, 3))),
        ("整体支出自评表!$A$1:$A$1", ("整体支出自评表", (0, 0, 0, 0))),
        ("'It''s'!B4", ("It's", (3, 1, 3, 1))),
        ("=Sheet1!A1", ("Sheet1", (0, 0, 0, 0))),
        ("#REF!", None),
        ("Sheet1!#REF!", None),
        ("Sheet1!$A:$A", None),
        ("Sheet1!A1,Sheet1!B1", None),
        ("SUM(Sheet1!A1)", None),
        ("Sheet1!XFE1", None),
        ("Sheet1!A0", None),
        ("0.13", None),
        ("", None),
    ],
)
def test_parse_name_target(text, expected):
    assert parse_name_target(text) == expected


# ---------------------------------------------------------------------------
# Bad inputs
# ---------------------------------------------------------------------------


def _zip_bytes(entries: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _good_xlsx_bytes(tmp_path: Path, body: str = "", shared: str | None = None) -> bytes:
    body = body or sheet_data('<row r="1"><c r="A1"><v>1</v></c></row>')
    return raw_xlsx(tmp_path / f"src-{uuid.uuid4().hex}.xlsx", [("S", body)], shared=shared).read_bytes()


def _replace_entry(data: bytes, name: str, new: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    return _zip_bytes({i.filename: (new if i.filename == name else src.read(i)) for i in src.infolist()})


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[bytes, str, str, dict]]:
    """label -> (bytes, file name, expected code, open_book kwargs)"""
    good = _good_xlsx_bytes(tmp_path)
    doctype_sheet = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY x "boom">]>'
                     b'<worksheet xmlns="' + MAIN.encode() + b'"><sheetData><row r="1"><c r="A1" '
                     b't="inlineStr"><is><t>&x;</t></is></c></row></sheetData></worksheet>')
    lol = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
           b'"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><sst xmlns="' + MAIN.encode()
           + b'"><si><t>&lol2;</t></si></sst>')
    shared_good = _good_xlsx_bytes(tmp_path, shared="<si><t>a</t></si>")
    # an entry whose declared size lies: patch the sizes of a 3 MB zeros entry down to 100
    big = _replace_entry(good, "xl/worksheets/sheet1.xml",
                         b"<worksheet xmlns='" + MAIN.encode() + b"'><sheetData/></worksheet>" + b" " * 3_000_000)
    lh = zipfile.ZipFile(io.BytesIO(big)).getinfo("xl/worksheets/sheet1.xml").header_offset
    lying = bytearray(big)
    lying[lh + 22: lh + 26] = (100).to_bytes(4, "little")  # local header: uncompressed size
    patched = 0
    for m in re.finditer(re.escape(b"PK\x01\x02"), big):
        pos = m.start()
        nlen = int.from_bytes(big[pos + 28: pos + 30], "little")
        if big[pos + 46: pos + 46 + nlen] == b"xl/worksheets/sheet1.xml":
            lying[pos + 24: pos + 28] = (100).to_bytes(4, "little")  # central directory
            patched += 1
    assert patched == 1
    # flip bytes in the middle of a compressed entry
    damaged = bytearray(good)
    sinfo = zipfile.ZipFile(io.BytesIO(good)).getinfo("xl/worksheets/sheet1.xml")
    start = sinfo.header_offset + 30 + len(sinfo.filename) + len(sinfo.extra)
    for k in range(start + 5, start + 15):
        damaged[k] ^= 0x5A
    # zip-level encryption flag on every entry
    zcrypt = bytearray(good)
    for m in re.finditer(re.escape(b"PK\x03\x04"), good):
        zcrypt[m.start() + 6] |= 1
    for m in re.finditer(re.escape(b"PK\x01\x02"), good):
        zcrypt[m.start() + 8] |= 1
    ods_doctype = _zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                              "content.xml": b'<!DOCTYPE x [<!ENTITY a "b">]><office:document-content/>'},
                             zipfile.ZIP_STORED)
    return {
        "empty": (b"", "empty.xlsx", "empty_file", {}),
        "text": ("单位名称,金额\n某某局,100\n".encode("gbk"), "text.xlsx", "not_workbook", {}),
        "csv_utf8": (b"a,b\n1,2\n", "data.csv", "not_workbook", {}),
        "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "report.xlsx", "not_workbook", {}),
        "html": (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "web.xls",
                 "not_workbook", {}),
        "empty_zip": (_zip_bytes({}), "emptyzip.xlsx", "not_workbook", {}),
        "truncated": (good[: len(good) // 2], "truncated.xlsx", "corrupt", {}),
        "docx": (_zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}),
                 "letter.xlsx", "not_workbook", {}),
        "plain_zip": (_zip_bytes({"readme.txt": b"hello"}), "archive.xlsx", "not_workbook", {}),
        "odt": (_zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text",
                            "content.xml": b"<x/>"}, zipfile.ZIP_STORED), "doc.ods", "not_workbook", {}),
        "xlsb": (_zip_bytes({"xl/workbook.bin": b"\0" * 10}), "book.xlsb", "unsupported", {}),
        "bomb_ratio": (_zip_bytes({"xl/workbook.xml": b"\0" * (8 << 20)}), "bomb.xlsx", "too_large", {}),
        "bomb_total": (good, "total.xlsx", "too_large", {"max_unzipped": 1000}),
        "lying_size": (bytes(lying), "lying.xlsx", "too_large", {"max_unzipped": 1 << 20}),
        "lying_size_default": (bytes(lying), "lying2.xlsx", "corrupt", {}),
        "doctype_sheet": (_replace_entry(good, "xl/worksheets/sheet1.xml", doctype_sheet),
                          "doctype.xlsx", "corrupt", {}),
        "billion_laughs": (_replace_entry(shared_good, "xl/sharedStrings.xml", lol), "lol.xlsx", "corrupt", {}),
        "ods_doctype": (ods_doctype, "x.ods", "corrupt", {}),
        "invalid_xml": (_replace_entry(good, "xl/workbook.xml", b"<workbook><sheets>"), "badxml.xlsx",
                        "corrupt", {}),
        "not_workbook_root": (_replace_entry(good, "xl/workbook.xml", b"<other/>"), "root.xlsx", "corrupt", {}),
        "missing_sheet_part": (_zip_bytes({i.filename: zipfile.ZipFile(io.BytesIO(good)).read(i)
                                           for i in zipfile.ZipFile(io.BytesIO(good)).infolist()
                                           if "worksheets" not in i.filename}),
                               "nosheet.xlsx", "corrupt", {}),
        "damaged_entry": (bytes(damaged), "damaged.xlsx", "corrupt", {}),
        "zip_password": (bytes(zcrypt), "zipcrypt.xlsx", "encrypted", {}),
        "ole_garbage": (bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 600, "broken.xls", "corrupt", {}),
    }


BAD_LABELS = [
    "empty", "text", "csv_utf8", "pdf", "html", "empty_zip", "truncated", "docx", "plain_zip", "odt",
    "xlsb", "bomb_ratio", "bomb_total", "lying_size", "lying_size_default", "doctype_sheet",
    "billion_laughs", "ods_doctype", "invalid_xml", "not_workbook_root", "missing_sheet_part",
    "damaged_entry", "zip_password", "ole_garbage",
]


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory):
    return _bad_inputs(tmp_path_factory.mktemp("badsrc"))


@pytest.mark.parametrize("label", BAD_LABELS)
def test_bad_inputs(label, bad_inputs, tmp_path: Path):
    data, fname, code, kwargs = bad_inputs[label]
    path = tmp_path / fname
    path.write_bytes(data)
    before, mtime = sha(path), path.stat().st_mtime_ns
    with pytest.raises(ReadError) as info:
        open_book(path, **kwargs)
    err = info.value
    assert err.code == code, err.message
    assert err.code in ReadError.CODES
    assert err.file == str(path)
    assert fname in err.message and fname in str(err)
    assert CJK.search(err.message)
    assert sha(path) == before and path.stat().st_mtime_ns == mtime
    assert sorted(os.listdir(tmp_path)) == [fname]  # nothing written next to the input


def test_bad_input_messages_say_what_to_do(bad_inputs, tmp_path: Path):
    def message(label):
        data, fname, _, kwargs = bad_inputs[label]
        try:
            open_book(tmp_path / fname, data=data, **kwargs)
        except ReadError as exc:
            return exc.message
        raise AssertionError(label)

    assert ".xlsx" in message("text") and ".xls" in message("text")
    assert "PDF" in message("pdf")
    assert "Word" in message("docx")
    assert "不安全" in message("doctype_sheet") and "不安全" in message("billion_laughs")
    assert "另存为" in message("truncated")
    assert "过大" in message("bomb_ratio")
    assert "密码" in message("zip_password")


def test_not_found_and_directory(tmp_path: Path):
    with pytest.raises(ReadError) as info:
        open_book(tmp_path / "缺失.xlsx")
    assert info.value.code == "not_found" and "缺失.xlsx" in info.value.message
    (tmp_path / "目录.xlsx").mkdir()
    with pytest.raises(ReadError) as info:
        open_book(tmp_path / "目录.xlsx")
    assert info.value.code == "not_found" and "目录.xlsx" in info.value.message


def test_file_larger_than_limit(tmp_path: Path, features: Path):
    path = tmp_path / "big.xlsx"
    shutil.copy(features, path)
    with pytest.raises(ReadError) as info:
        open_book(path, max_unzipped=100)
    assert info.value.code == "too_large"


def test_encrypted_xlsx(features: Path, tmp_path: Path):
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")
    if not hasattr(ooxml.OOXMLFile, "encrypt"):
        pytest.skip("this msoffcrypto-tool cannot encrypt")
    out = io.BytesIO()
    with open(features, "rb") as fh:
        ooxml.OOXMLFile(fh).encrypt("密码123", out)
    path = tmp_path / "加密.xlsx"
    path.write_bytes(out.getvalue())
    before = sha(path)
    with pytest.raises(ReadError) as info:
        open_book(path)
    assert info.value.code == "encrypted"
    assert "加密.xlsx" in info.value.message and "密码" in info.value.message
    assert sha(path) == before


# ---------------------------------------------------------------------------
# LibreOffice round trips (xlsx, xls, ods)
# ---------------------------------------------------------------------------


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _convert(src: Path, fmt: str, outdir: Path) -> Path:
    exe = _soffice()
    profile = Path("/tmp") / f"lo-{uuid.uuid4().hex}"
    outdir.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", fmt, "--outdir", str(outdir), str(src)],
            check=False, capture_output=True, timeout=180,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = outdir / (src.stem + "." + fmt.split(":")[0])
    if not out.exists():  # soffice exits 0 even when it produced nothing
        pytest.fail(f"LibreOffice produced no {fmt} for {src.name}")
    return out


@pytest.fixture(scope="module")
def lo_copies(features: Path, tmp_path_factory) -> dict[str, Path]:
    if _soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    base = tmp_path_factory.mktemp("lo")
    return {fmt: _convert(features, fmt, base / fmt) for fmt in ("xlsx", "xls", "ods")}


def _values(book: Book) -> dict[str, dict[tuple[int, int], object]]:
    return {s.name: {k: c.value for k, c in s.cells.items()} for s in book.sheets}


@pytest.mark.libreoffice
def test_libreoffice_xlsx_round_trip(lo_copies, fbook: Book):
    book = open_book(lo_copies["xlsx"])
    assert book.kind == "xlsx"
    orig, copy = _values(fbook), _values(book)
    # LibreOffice computes the formula that had no cached value (B8 = A3*2) and keeps the others
    assert copy["基础数据表"].pop((7, 1)) == 2469
    assert orig["基础数据表"].pop((7, 1)) is None
    assert copy == orig
    assert book.names == fbook.names  # LibreOffice drops the quotes around sheet names
    assert [s.names for s in book.sheets] == [s.names for s in fbook.sheets]
    assert [s.merged for s in book.sheets] == [s.merged for s in fbook.sheets]
    assert [(s.protected, s.state) for s in book.sheets] == [(s.protected, s.state) for s in fbook.sheets]
    s, o = book.sheets[0], fbook.sheets[0]
    for ref in o.cells:
        assert (s.cells[ref].percent, s.cells[ref].decimals, s.cells[ref].locked, s.cells[ref].error) == \
            (o.cells[ref].percent, o.cells[ref].decimals, o.cells[ref].locked, o.cells[ref].error), ref
    assert s.cells[(7, 0)].formula == "SUM(A3:B3)"


@pytest.mark.libreoffice
def test_libreoffice_xls_read_through_calamine(lo_copies, fbook: Book, tmp_path: Path):
    path = lo_copies["xls"]
    assert path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    before = sha(path)
    book = open_book(path)
    assert sha(path) == before and book.sha256 == before
    assert book.kind == "xls" and book.names == {} and book.has_formulas is False
    assert book.values_only is True
    assert [s.name for s in book.sheets] == ["基础数据表", "张'三表", "隐藏表"]
    assert book.sheets[2].state == "hidden"
    got = _values(book)["基础数据表"]
    want = _values(fbook)["基础数据表"]
    want[(7, 1)] = 2469  # computed by LibreOffice
    del want[(7, 2)]  # the #DIV/0! error: calamine reports errors as empty cells
    assert got == want
    assert type(got[(2, 1)]) is int and got[(8, 1)] is False
    assert book.sheets[0].merged == [(4, 0, 5, 2)]
    assert all(c.formula is None and c.percent is False for c in book.sheets[0].cells.values())
    # the same bytes named .et are reported as a WPS workbook and read the same way
    et = tmp_path / "wps表格.et"
    shutil.copy(path, et)
    book_et = open_book(et)
    assert book_et.kind == "et" and _values(book_et) == _values(book)


def _patch_ole_stream(src: Path, dst: Path, stream: str, patch) -> None:
    olefile = pytest.importorskip("olefile")
    shutil.copy(src, dst)
    with olefile.OleFileIO(str(dst), write_mode=True) as ole:
        data = bytearray(ole.openstream(stream).read())
        patch(data)
        ole.write_stream(stream, bytes(data))


@pytest.mark.libreoffice
def test_libreoffice_xls_encrypted_and_unreadable(lo_copies, tmp_path: Path):
    src = lo_copies["xls"]

    def add_filepass(data: bytearray) -> None:
        # turn the first record after BOF into a FILEPASS (RC4) record of the same size
        pos = 4 + int.from_bytes(data[2:4], "little")
        assert int.from_bytes(data[pos + 2: pos + 4], "little") >= 2
        data[pos: pos + 2] = (0x002F).to_bytes(2, "little")
        data[pos + 4: pos + 6] = (0x0001).to_bytes(2, "little")

    enc = tmp_path / "加密.xls"
    _patch_ole_stream(src, enc, "Workbook", add_filepass)
    before = sha(enc)
    with pytest.raises(ReadError) as info:
        open_book(enc)
    assert info.value.code == "encrypted" and "加密.xls" in info.value.message
    assert sha(enc) == before

    def garble(data: bytearray) -> None:
        for i in range(len(data)):
            data[i] = (i * 7 + 3) & 0xFF

    for name, code, hint in (("坏.xls", "legacy_unreadable", ".xls"), ("坏.et", "unsupported", "WPS")):
        bad = tmp_path / name
        _patch_ole_stream(src, bad, "Workbook", garble)
        with pytest.raises(ReadError) as info:
            open_book(bad)
        assert info.value.code == code and name in info.value.message and hint in info.value.message
        assert "另存为" in info.value.message


@pytest.mark.libreoffice
def test_libreoffice_ods_read_through_calamine(lo_copies, fbook: Book):
    book = open_book(lo_copies["ods"])
    assert book.kind == "ods" and book.names == {} and book.values_only is True
    got = _values(book)["基础数据表"]
    want = _values(fbook)["基础数据表"]
    want[(7, 1)] = 2469
    del want[(7, 2)]
    # calamine reads ODS booleans as numbers
    want[(8, 1)], want[(8, 2)] = 0, 1
    assert got == want
    assert _values(book)["张'三表"] == {(0, 0): "x", (1, 1): 3}


# ---------------------------------------------------------------------------
# Speed and import cost
# ---------------------------------------------------------------------------


def test_import_is_light():
    code = ("import sys, gridbudget.read.book; "
            "print(sorted(m for m in ('openpyxl', 'pandas', 'python_calamine', 'msoffcrypto', 'lxml.etree') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"


def test_realistic_workbook_reads_like_calamine(tmp_path: Path):
    """Timing lives in scripts/bench.py; here: the same values as python-calamine."""
    from python_calamine import CalamineWorkbook

    path = make_realistic(tmp_path / "realistic.xlsx")
    book = open_book(path)
    assert 500 <= sum(len(s.cells) for s in book.sheets) <= 600
    assert book.names == {"总金额": ("整体支出自评表", 28, 2, 28, 2)}
    assert all(s.names == {"单位名称": (1, 3, 1, 3)} and len(s.merged) == 3 for s in book.sheets)
    wb = CalamineWorkbook.from_path(str(path))
    for i, sheet in enumerate(book.sheets):
        rows = wb.get_sheet_by_index(i).to_python(skip_empty_area=False)
        for (r, c), cell in sheet.cells.items():
            if cell.value not in (None, "") and cell.formula is None:
                assert rows[r][c] == cell.value, (sheet.name, r, c)
