"""Plausibility rules: a date in an amount cell, an amount 1000× its neighbours, a table on a hidden sheet.

Each case edits the seed in its hand-typed layout (附件1 基础数据表, 附件2 整体支出自评表, 附件3 项目表;
scripts/seed_layout.py) with openpyxl and reads it back like a real submission.
"""

from __future__ import annotations

import datetime as dt
import io
import sys

import openpyxl
import pytest

from gridbudget.check.engine import run_rules
from gridbudget.check.findings import INFO, WARNING
from gridbudget.read.book import open_book
from gridbudget.read.numfmt import is_date_format
from gridbudget.read.tables import read_submission
from helpers import EXAMPLE_XLSX, ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import seed_layout  # noqa: E402

PLAUSIBLE_CODES = ("W-DATE-AS-AMOUNT", "W-AMOUNT-SCALE", "C-HIDDEN-SHEET")
# 附件3 (the project table): row 5 年度资金总额, row 6 其中：当年财政拨款; C 年初预算数, D 全年预算数, E 全年执行数


def hand(tmp_path, edit=None, name="seed.xlsx"):
    wb = openpyxl.load_workbook(io.BytesIO(seed_layout.build("seed")))
    if edit is not None:
        edit(wb)
    path = tmp_path / name
    wb.save(path)
    return read_submission(path)


def found(sub, code):
    return [f for f in run_rules(sub) if f.code == code]


def hits(sub, code):
    return [(f.severity, f.where) for f in found(sub, code)]


def put(sheet, **cells):
    def edit(wb):
        for ref, value in cells.items():
            wb[sheet][ref] = value
    return edit


def test_seed_raises_none_of_these_rules(tmp_path):
    assert not [f for f in run_rules(read_submission(EXAMPLE_XLSX)) if f.code in PLAUSIBLE_CODES]
    assert not [f for f in run_rules(hand(tmp_path)) if f.code in PLAUSIBLE_CODES]


# ---------------------------------------------------------------------------
# the date flag of the reader
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("code,is_date", [
    ("yyyy-mm-dd", True), ('yyyy"年"m"月"d"日"', True), ("[$-804]yyyy年m月d日", True), ("h:mm", True),
    ("m/d/yy", True), ("0.00", False), ("#,##0.00_);[Red](#,##0.00)", False), ('0.00"万元"', False),
    ("General", False), ("0.00%", False), ("0.00E+00", False), ("@", False), ('#,##0.00"天"', False),
])
def test_is_date_format(code, is_date):
    assert is_date_format(code) is is_date


def test_reader_keeps_the_date_flag(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = dt.datetime(2024, 1, 1)          # openpyxl: serial 45292 with a date format
    ws["A2"] = 45292
    ws["A3"] = 1.5
    ws["A3"].number_format = 'yyyy"年"m"月"d"日"'
    ws["A4"] = 116.95
    ws["A4"].number_format = "0.00"
    path = tmp_path / "d.xlsx"
    wb.save(path)
    cells = open_book(path).sheets[0].cells
    assert [cells[(r, 0)].date for r in range(4)] == [True, False, True, False]
    assert cells[(0, 0)].value == 45292


# ---------------------------------------------------------------------------
# W-DATE-AS-AMOUNT
# ---------------------------------------------------------------------------
def test_date_typed_into_an_amount_cell(tmp_path):
    sub = hand(tmp_path, put("附件3", E6=dt.datetime(2024, 1, 1)))
    assert hits(sub, "W-DATE-AS-AMOUNT") == [(WARNING, "附件3!E6")]
    f = found(sub, "W-DATE-AS-AMOUNT")[0]
    assert "2024-01-01" in f.found and "45292" in f.found
    assert "日期格式" in f.message and "日期被当作金额" in f.message
    assert not [w for _s, w in hits(sub, "W-AMOUNT-SCALE") if w == "附件3!E6"]     # one finding per cell


def test_date_format_on_a_small_amount(tmp_path):
    def edit(wb):
        wb["附件3"]["E6"].number_format = "yyyy-mm-dd"       # 40.6 shows as 1900-02-09
    sub = hand(tmp_path, edit)
    assert hits(sub, "W-DATE-AS-AMOUNT") == [(WARNING, "附件3!E6")]
    assert "1900-02-09" in found(sub, "W-DATE-AS-AMOUNT")[0].message


def test_date_serial_without_date_format(tmp_path):
    sub = hand(tmp_path, put("附件3", E6=45292))
    assert hits(sub, "W-DATE-AS-AMOUNT") == [(WARNING, "附件3!E6")]
    f = found(sub, "W-DATE-AS-AMOUNT")[0]
    assert "2024-01-01" in f.message and "日期被当作金额" in f.message
    assert not [w for _s, w in hits(sub, "W-AMOUNT-SCALE") if w == "附件3!E6"]


def test_large_amount_among_large_amounts_is_no_date(tmp_path):
    # a unit whose project really is 4.5 亿元: every amount of the table is of that size
    sub = hand(tmp_path, put("附件3", C5=45300, D5=45300, E5=45292, C6=45300, D6=45300, E6=45292))
    assert hits(sub, "W-DATE-AS-AMOUNT") == []


def test_year_cell_holding_a_date_is_not_an_amount(tmp_path):
    """A 年度 cell typed as a date shown as 'yyyy' (or 2024 as a number) is no amount."""
    wb = openpyxl.load_workbook(EXAMPLE_XLSX)
    ws = wb["整体支出自评表"]
    year = next(c for row in ws.iter_rows() for c in row if c.value == 2024)
    year.value = dt.datetime(2024, 1, 1)
    year.number_format = "yyyy"
    path = tmp_path / "year.xlsx"
    wb.save(path)
    sub = read_submission(path)
    assert sub.overall.get("year").date
    assert hits(sub, "W-DATE-AS-AMOUNT") == []
    assert hits(read_submission(EXAMPLE_XLSX), "W-DATE-AS-AMOUNT") == []     # 2024 as a plain number


# ---------------------------------------------------------------------------
# W-AMOUNT-SCALE
# ---------------------------------------------------------------------------
def _funds(total, current):
    cells = {}
    for col, x in zip("CDE", total):
        cells[f"{col}5"] = x
    for col, x in zip("CDE", current):
        cells[f"{col}6"] = x
    return put("附件3", **cells)


def test_scale_boundary_one_cell_of_a_row(tmp_path):
    # 全年执行数 1000× the row's 年初预算数 and 全年预算数 (元 typed into 万元)
    sub = hand(tmp_path, _funds((10, 10, 10000), (10, 10, 10)))
    assert hits(sub, "W-AMOUNT-SCALE") == [(WARNING, "附件3!E5")]
    f = found(sub, "W-AMOUNT-SCALE")[0]
    assert f.found == "10000.00万元" and "1,000 倍" in f.message and "年度资金总额" in f.message
    # 999×: not flagged (the part-vs-total check: 9990 is 999× its part 10)
    sub = hand(tmp_path, _funds((10, 10, 9990), (10, 10, 10)), name="999.xlsx")
    assert hits(sub, "W-AMOUNT-SCALE") == []


def test_scale_boundary_small_side(tmp_path):
    sub = hand(tmp_path, _funds((100, 100, 0.1), (100, 100, 100)))
    assert hits(sub, "W-AMOUNT-SCALE") == [(WARNING, "附件3!E5")]       # the total, not its part 当年财政拨款
    assert "1/1,000" in found(sub, "W-AMOUNT-SCALE")[0].message
    sub = hand(tmp_path, _funds((100, 100, 0.1001), (100, 100, 0.1001)), name="small.xlsx")
    assert hits(sub, "W-AMOUNT-SCALE") == []


def test_scale_ignores_zeros_and_blanks(tmp_path):
    sub = hand(tmp_path, _funds((0, 100, 0), (None, 100, None)))
    assert hits(sub, "W-AMOUNT-SCALE") == []


def test_small_sub_item_next_to_a_large_total_is_fine(tmp_path):
    # 公务接待 0.21 under 三公经费 and next to 116.95 of spending: like is only compared with like
    sub = hand(tmp_path, put("附件1", B6=0.05, C6=60, D6=59.5, B11=0.05, C11=60, D11=59.5))
    assert not [w for _s, w in hits(sub, "W-AMOUNT-SCALE") if w.startswith("附件2")]
    sub = hand(tmp_path, name="seed2.xlsx")
    assert hits(sub, "W-AMOUNT-SCALE") == []


def test_scale_two_columns_the_odd_one_by_the_table(tmp_path):
    # only 全年预算数 and 全年执行数 filled: the one far from the table's other amounts is flagged
    sub = hand(tmp_path, _funds((None, 50, 406000), (None, 50, 40.6)))
    assert hits(sub, "W-AMOUNT-SCALE") == [(WARNING, "附件3!E5")]


def test_scale_part_larger_than_its_total(tmp_path):
    # the whole 当年财政拨款 row typed in 元 under a total in 万元
    sub = hand(tmp_path, _funds((50, 50, 40.6), (500000, 500000, 406000)))
    assert hits(sub, "W-AMOUNT-SCALE") == [(WARNING, "附件3!C6"), (WARNING, "附件3!D6"), (WARNING, "附件3!E6")]
    assert "分项" in found(sub, "W-AMOUNT-SCALE")[0].message


def test_scale_total_against_its_parts(tmp_path):
    # the total row typed in 元, its single source row in 万元: 10,000× exactly
    sub = hand(tmp_path, _funds((500000, 500000, 406000), (50, 50, 40.6)))
    assert hits(sub, "W-AMOUNT-SCALE") == [(WARNING, "附件3!C5"), (WARNING, "附件3!D5"), (WARNING, "附件3!E5")]
    # a total 2,000× one part that is only a partial list: not flagged
    sub = hand(tmp_path, _funds((100, 100, 100), (None, None, 0.05)), name="partial.xlsx")
    assert hits(sub, "W-AMOUNT-SCALE") == []


def test_scale_basic_row(tmp_path):
    # 三公经费 row of 附件1: 上年决算数 typed in 元
    sub = hand(tmp_path, put("附件1", B6=4500, C6=4.5, D6=4.2, B11=4500, C11=4.5, D11=4.2))
    assert (WARNING, "附件1!B6") in hits(sub, "W-AMOUNT-SCALE")
    assert (WARNING, "附件1!B11") in hits(sub, "W-AMOUNT-SCALE")


# ---------------------------------------------------------------------------
# C-HIDDEN-SHEET
# ---------------------------------------------------------------------------
def _copy(title, state_of_copy=None, state_of_original=None):
    def edit(wb):
        ws = wb.copy_worksheet(wb[title])
        ws.title = f"{title}（备份）"
        if state_of_copy:
            ws.sheet_state = state_of_copy
        if state_of_original:
            wb[title].sheet_state = state_of_original
    return edit


def test_hidden_copy_of_the_overall_table(tmp_path):
    sub = hand(tmp_path, _copy("附件2", state_of_copy="hidden"))
    assert sub.overall.sheet == "附件2"
    assert hits(sub, "C-HIDDEN-SHEET") == [(WARNING, "附件2（备份）!E4")]
    f = found(sub, "C-HIDDEN-SHEET")[0]
    assert "附件2" in f.message and "读取的是可见表" in f.message
    assert (f.expected, f.found) == ("附件2", "附件2（备份）")


def test_hidden_table_read_instead_of_the_visible_one(tmp_path):
    sub = hand(tmp_path, _copy("附件2", state_of_original="hidden"))
    assert sub.overall.sheet == "附件2"                      # the first in sheet order, hidden
    assert hits(sub, "C-HIDDEN-SHEET") == [(WARNING, "附件2!E4")]
    msg = found(sub, "C-HIDDEN-SHEET")[0].message
    assert "隐藏" in msg and "附件2（备份）" in msg and "审核、评分用的是隐藏表中的数字" in msg


def test_very_hidden_duplicate_project(tmp_path):
    sub = hand(tmp_path, _copy("附件3", state_of_copy="veryHidden"))
    assert len(sub.projects) == 2
    assert hits(sub, "C-HIDDEN-SHEET") == [(WARNING, "附件3（备份）!E5")]
    msg = found(sub, "C-HIDDEN-SHEET")[0].message
    assert "深度隐藏" in msg and "同名项目重复" in msg and "移动网格平台" in msg


def test_hidden_sheet_without_a_table(tmp_path):
    def edit(wb):
        ws = wb.create_sheet("下拉选项")
        for i, w in enumerate(("产出指标", "效益指标", "满意度指标", "数量指标", "质量指标"), 1):
            ws.cell(i, 1, w)
        ws.sheet_state = "hidden"
    sub = hand(tmp_path, edit)
    assert sub.hidden_sheets == {"下拉选项": "hidden"}
    assert hits(sub, "C-HIDDEN-SHEET") == []


def test_only_table_of_its_kind_on_a_hidden_sheet(tmp_path):
    def edit(wb):
        wb["附件1"].sheet_state = "hidden"
    sub = hand(tmp_path, edit)
    assert sub.basic is not None
    assert hits(sub, "C-HIDDEN-SHEET") == [(INFO, "附件1!D6")]
    assert "只在" in found(sub, "C-HIDDEN-SHEET")[0].message


def test_no_hidden_sheets_no_finding(tmp_path):
    sub = hand(tmp_path, _copy("附件2"))         # a visible duplicate: C-READ-NOTE's, not this rule's
    assert hits(sub, "C-HIDDEN-SHEET") == []
