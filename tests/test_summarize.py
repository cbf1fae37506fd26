"""Batch summaries: exact findings and totals on generated files, broken files, --jobs, outputs."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from gridbudget.write import libreoffice as lo
from gridbudget.batch import collect_inputs, run_batch
from gridbudget.write.summary import summarize, to_dataframes, unit_rows, write_csv, write_json, write_xlsx
from helpers import EXAMPLE_XLSX, ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import synth  # noqa: E402


def header_row(ws, first: str = "主管部门") -> int:
    """The table header under a sheet's title block."""
    return next(r for r in range(1, 20) if ws.cell(r, 1).value == first)


def hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("batch")
    expected = synth.write_files(d / "units", 40, broken_every=0)
    # broken inputs: corrupt, encrypted, empty, not a workbook
    bad = d / "units"
    (bad / "zz-empty.xlsx").write_bytes(b"")
    (bad / "zz-text.xlsx").write_text("不是表格", encoding="utf-8")
    raw = EXAMPLE_XLSX.read_bytes()
    (bad / "zz-corrupt.xlsx").write_bytes(raw[: len(raw) // 2])
    from msoffcrypto.format import ooxml
    with open(EXAMPLE_XLSX, "rb") as fh, open(bad / "zz-encrypted.xlsx", "wb") as out:
        ooxml.OOXMLFile(fh).encrypt("密码123", out)
    for n in ("zz-empty.xlsx", "zz-text.xlsx", "zz-corrupt.xlsx", "zz-encrypted.xlsx"):
        expected[n] = "unreadable"
    return d, expected


def _findings_by_file(batch) -> dict[str, set]:
    out = defaultdict(set)
    for f in batch.findings():
        out[Path(f["file"]).name].add((f["code"], f["severity"]))
    return out


def test_exact_findings_and_totals(batch_dir):
    d, expected = batch_dir
    before = hashes(d)
    inputs, missing = collect_inputs([d / "units"])
    assert not missing and len(inputs) == len(expected)
    with run_batch(inputs, jobs=1) as batch:
        got = _findings_by_file(batch)
        results = {Path(r.name).name: r for r in batch.results}
        for name, exp in expected.items():
            r = results[name]
            if exp == "unreadable":
                assert r.read_error and r.advice, name
                continue
            assert r.read_error is None, (name, r.read_error)
            assert got.get(name, set()) == exp, name
        # totals: every generated unit's overall figures, summed in Decimal
        rows = list(unit_rows(batch))
        want_budget = sum((synth.make(int(n[5:10]))[0]["overall"]["funds"]["total"]["budget"]
                           for n, e in expected.items() if e != "unreadable"), Decimal(0))
        assert sum(r["budget"] for r in rows) == want_budget
        clean = [r for n, r in results.items() if expected[n] == set()]
        assert clean and all(r.total_self == r.total_recomputed for r in clean)
    assert hashes(d) == before


def test_output_identical_whatever_jobs(batch_dir, tmp_path):
    d, _ = batch_dir
    outs = {}
    for jobs in (1, 2):
        with summarize([str(d / "units")], jobs=jobs) as batch:
            path = write_xlsx(batch, tmp_path / f"s{jobs}.xlsx")
        wb = openpyxl.load_workbook(path)
        # every title block says when the batch ran: the only difference allowed
        outs[jobs] = {ws.title: [[re.sub(r"汇总时间：[^　]*", "", c.value) if isinstance(c.value, str) else c.value
                                  for c in row] for row in ws.iter_rows()]
                      for ws in wb if ws.title != "说明"}
    assert outs[1] == outs[2]


def test_summary_workbook_sheets(batch_dir, tmp_path):
    d, expected = batch_dir
    units_csv = tmp_path / "units.csv"
    units_csv.write_text("单位,主管部门\n岳阳市君山区社会治理网格化中心,君山区委政法委\n", encoding="utf-8")
    inputs = [str(d / "units"), str(EXAMPLE_XLSX), str(tmp_path / "nothing-*.xlsx")]
    shutil.copy(EXAMPLE_XLSX, tmp_path / "again.xlsx")                # the same unit twice
    inputs.append(str(tmp_path / "again.xlsx"))
    with summarize(inputs, jobs=2, units_csv=str(units_csv)) as batch:
        path = write_xlsx(batch, tmp_path / "summary.xlsx")
        frames = to_dataframes(batch)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["汇总", "项目", "问题清单", "规则统计", "单位×规则", "未能读取", "说明", "图表"]
    ws = wb["汇总"]
    top = header_row(ws)
    header = [c.value for c in ws[top]]
    assert header[:3] == ["主管部门", "单位", "年度"] and ws.freeze_panes == f"C{top + 1}" and ws.auto_filter.ref
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=top + 1)]
    seed_rows = [r for r in rows if r[1] == "岳阳市君山区社会治理网格化中心"]
    # the workbooks do not name a 主管部门 for the unit itself; the projects do (财政局) and win over units.csv
    # listed twice, flagged, counted once (the first by name)
    dup, counted = header.index("重复\n提交"), header.index("计入\n合计")       # after 已说明 and 状态 (issue 12)
    assert len(seed_rows) == 2 and all(r[dup] == "是" for r in seed_rows)
    assert sorted(r[counted] for r in seed_rows) == ["否", "是"]
    assert any(isinstance(r[1], str) and r[1].startswith("小计：") for r in rows)
    assert rows[-1][1] == "合计" and isinstance(rows[-1][3], str) and rows[-1][3].startswith("=SUMIFS(")
    fails_ws = wb["未能读取"]
    fails = [[c.value for c in r] for r in fails_ws.iter_rows(min_row=header_row(fails_ws, "文件") + 1)]
    names = " ".join(str(r[0]) for r in fails)
    for n in ("zz-empty.xlsx", "zz-text.xlsx", "zz-corrupt.xlsx", "zz-encrypted.xlsx", "nothing-*.xlsx"):
        assert n in names
    assert all(r[1] and r[2] for r in fails)
    assert "密码" in " ".join(str(r[1]) for r in fails)
    # pandas views carry the same rows
    assert len(frames["units"]) == len(rows) - sum(1 for r in rows if r[1] and str(r[1]).startswith(("小计", "合计")))
    assert len(frames["findings"]) == wb["问题清单"].max_row - header_row(wb["问题清单"], "单位")
    about = [[c.value for c in r] for r in wb["说明"].iter_rows()]
    assert any(r[0] == "评分方案" and "national-2020" in r[1] for r in about)
    assert sum(1 for r in about if isinstance(r[3], str) and len(r[3]) == 64) >= 40     # each input's SHA-256


def test_zip_archive_read_in_place(tmp_path):
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(EXAMPLE_XLSX, "单位A/junshan.xlsx")
        zf.writestr("单位B/说明.txt", "readme")
        zf.writestr("单位B/broken.xlsx", b"PK\x03\x04broken")
    inputs, _ = collect_inputs([archive])
    assert [i.name for i in inputs] == [f"{archive}!单位A/junshan.xlsx", f"{archive}!单位B/broken.xlsx"]
    with run_batch(inputs, jobs=1) as batch:
        ok = [r for r in batch.results if not r.read_error]
        assert len(ok) == 1 and ok[0].unit == "岳阳市君山区社会治理网格化中心"
        assert len([r for r in batch.results if r.read_error]) == 1


def test_csv_and_json_carry_the_same_rows_and_neutralise(tmp_path):
    wb = openpyxl.load_workbook(EXAMPLE_XLSX)
    from gridbudget import forms
    ws = wb[forms.OVERALL.sheet]
    r, c = forms.layout(forms.OVERALL).cell("unit")
    ws.cell(r + 1, c + 1).value = "=HYPERLINK(\"http://x\")单位"
    ws.cell(r + 1, c + 1).data_type = "s"          # typed as text by the unit
    evil = tmp_path / "evil.xlsx"
    wb.save(evil)
    with summarize([str(evil)], jobs=1) as batch:
        paths = write_csv(batch, tmp_path / "s.csv")
        jpath = write_json(batch, tmp_path / "s.json")
        xpath = write_xlsx(batch, tmp_path / "s.xlsx")
    units = list(csv.reader(io.StringIO(paths[0].read_text(encoding="utf-8-sig"))))
    assert units[1][1].startswith("'=")
    data = json.loads(jpath.read_text(encoding="utf-8"))
    assert len(data["units"]) == len(units) - 1
    findings = list(csv.reader(io.StringIO(paths[2].read_text(encoding="utf-8-sig"))))
    assert len(data["findings"]) == len(findings) - 1
    ws = openpyxl.load_workbook(xpath)["汇总"]
    cell = ws.cell(header_row(ws) + 1, 2)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")     # text, not a formula


def test_cli_summarize(tmp_path, batch_dir):
    from typer.testing import CliRunner
    from gridbudget.cli import app

    d, _ = batch_dir
    out = tmp_path / "summary.xlsx"
    res = CliRunner().invoke(app, ["summarize", str(d / "units"), "-o", str(out), "--jobs", "2"])
    assert res.exit_code == 2, res.output             # some files could not be read; the summary is written
    assert out.exists() and "未能读取" in res.output
    res = CliRunner().invoke(app, ["summarize", str(EXAMPLE_XLSX), "-o", str(EXAMPLE_XLSX)])
    assert res.exit_code != 0 and "从不改写输入文件" in res.output


@pytest.mark.libreoffice
@pytest.mark.skipif(not lo.available() or shutil.which("pdftotext") is None, reason="LibreOffice/poppler missing")
def test_summary_opens_in_libreoffice(batch_dir, tmp_path):
    d, _ = batch_dir
    with summarize([str(d / "units")], jobs=2) as batch:
        path = write_xlsx(batch, tmp_path / "summary.xlsx")
    pdf = lo.to_pdf(path, tmp_path / "summary.pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    for word in ("主管部门", "规则代码", "处理建议", "等级分布", "单位数"):
        assert word in text, word
    recalced = lo.recalculate(path, tmp_path / "recalc.xlsx")
    ws = openpyxl.load_workbook(recalced, data_only=True)["汇总"]
    total = [r for r in ws.iter_rows(values_only=True) if r[1] == "合计"][0]
    ours = [r for r in openpyxl.load_workbook(path, data_only=True)["汇总"].iter_rows(values_only=True)
            if r[1] == "合计"][0]
    assert total[3] == pytest.approx(ours[3]) and total[4] == pytest.approx(ours[4])
    assert total[6:9] == pytest.approx(ours[6:9])       # the averages (AVERAGEIFS) agree too


def test_a_file_over_its_time_limit_becomes_a_failure_row():
    # the worker is killed from outside when the file's time is up, and the batch goes on
    from gridbudget.batch import collect_inputs, run_batch

    inputs, _ = collect_inputs([EXAMPLE_XLSX])
    with run_batch(inputs * 2, jobs=1, timeout=0.001) as batch:
        results = batch.results
    assert len(results) == 2
    for r in results:
        assert r.read_error_code == "timeout" and "超过 0.001 秒" in r.read_error and "超时" in r.read_error
        assert r.advice
    with run_batch(inputs, jobs=1, timeout=60) as batch:
        (r,) = batch.results
    assert r.read_error is None and r.unit


