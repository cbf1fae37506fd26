"""Tests for gridbudget.write.libreoffice (headless soffice + poppler helpers)."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import textwrap
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from gridbudget.write import libreoffice as lo
from gridbudget.write.libreoffice import LibreOfficeError

needs_soffice = pytest.mark.skipif(not lo.available(), reason="LibreOffice (soffice) not installed")
needs_pdftoppm = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm not installed")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- helpers


def make_book(path: Path, a: float = 52.07, b: float = 64.88, title: str = "项目支出绩效自评表") -> Path:
    """xlsxwriter workbook: B1, B2 inputs and B3 = B1+B2 with xlsxwriter's cached 0."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("自评表")
    ws.write("A1", title)
    ws.write("B1", a)
    ws.write("B2", b)
    ws.write_formula("B3", "=B1+B2")  # cached value: 0
    wb.close()
    return path


def cached_b3(path: Path) -> float:
    wb = openpyxl.load_workbook(path, data_only=True)
    try:
        return wb.worksheets[0]["B3"].value
    finally:
        wb.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def book(tmp_path: Path) -> Path:
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    return make_book(src_dir / "book.xlsx")


# --------------------------------------------------------------------------- discovery (no soffice needed)


def test_find_soffice_env_override(tmp_path, monkeypatch):
    fake = write_script(tmp_path / "my-soffice", "exit 0\n")
    monkeypatch.setenv("GRIDBUDGET_SOFFICE", str(fake))
    assert lo.find_soffice() == str(fake)
    assert lo.available() is True


def test_find_soffice_env_invalid_means_unavailable(tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDBUDGET_SOFFICE", str(tmp_path / "does-not-exist"))
    assert lo.find_soffice() is None
    assert lo.available() is False
    src = make_book(tmp_path / "a.xlsx")
    with pytest.raises(LibreOfficeError, match="soffice"):
        lo.convert([src], tmp_path / "out", "xlsx")


def test_find_soffice_path_lookup(tmp_path, monkeypatch):
    monkeypatch.delenv("GRIDBUDGET_SOFFICE", raising=False)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = write_script(bindir / "soffice", "exit 0\n")
    monkeypatch.setenv("PATH", str(bindir))
    assert lo.find_soffice() == str(fake)


# --------------------------------------------------------------------------- argument checks (no soffice needed)


def test_convert_empty_inputs_returns_empty(tmp_path):
    assert lo.convert([], tmp_path / "out", "xlsx") == []
    assert not (tmp_path / "out").exists()


def test_missing_input_named_in_error(tmp_path):
    good = make_book(tmp_path / "good.xlsx")
    missing = tmp_path / "缺失文件.xlsx"
    with pytest.raises(LibreOfficeError) as ei:
        lo.convert([good, missing], tmp_path / "out", "xlsx")
    assert "缺失文件.xlsx" in str(ei.value)
    assert "good.xlsx" not in str(ei.value)
    assert ei.value.missing == [missing.absolute()]


def test_refuses_to_overwrite_input_in_its_own_folder(book):
    before = sha256(book)
    with pytest.raises(LibreOfficeError, match="覆盖") as ei:
        lo.convert([book], book.parent, "xlsx")
    assert str(book) in str(ei.value)
    assert sha256(book) == before


@pytest.mark.parametrize("func", [lo.recalculate, lo.to_pdf])
def test_single_file_helpers_refuse_dst_equal_src(book, func):
    before = sha256(book)
    with pytest.raises(LibreOfficeError, match="覆盖"):
        func(book, book)
    assert sha256(book) == before


def test_duplicate_output_names_refused(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    a = make_book(tmp_path / "x" / "same.xlsx")
    b = make_book(tmp_path / "y" / "same.xlsx")
    with pytest.raises(LibreOfficeError, match="同名") as ei:
        lo.convert([a, b], tmp_path / "out", "pdf")
    assert str(a) in str(ei.value) and str(b) in str(ei.value)


# --------------------------------------------------------------------------- fake soffice (process handling)


def test_fake_soffice_command_line_profile_and_home(tmp_path, monkeypatch):
    """The child gets the flags, its own HOME, and a profile with the recalc setting."""
    record = tmp_path / "record"
    record.mkdir()
    fake = write_script(
        tmp_path / "fake-soffice",
        f"""\
        rec="{record}"
        printf '%s\\n' "$@" > "$rec/args"
        printf '%s' "$HOME" > "$rec/home"
        prof=""
        outdir=""
        prev=""
        for a in "$@"; do
          case "$a" in -env:UserInstallation=file://*) prof="${{a#-env:UserInstallation=file://}}";; esac
          if [ "$prev" = "--outdir" ]; then outdir="$a"; fi
          prev="$a"
        done
        cp "$prof/user/registrymodifications.xcu" "$rec/xcu"
        printf '%s' "$prof" > "$rec/profile"
        for a in "$@"; do
          case "$a" in *.xlsx) n=$(basename "$a" .xlsx); printf 'fake' > "$outdir/$n.ods";; esac
        done
        exit 0
        """,
    )
    monkeypatch.setenv("GRIDBUDGET_SOFFICE", str(fake))
    a = make_book(tmp_path / "a.xlsx")
    b = make_book(tmp_path / "b.xlsx")
    outs = lo.convert([b, a], tmp_path / "out", "ods")
    assert outs == [tmp_path / "out" / "b.ods", tmp_path / "out" / "a.ods"]
    assert all(p.read_bytes() == b"fake" for p in outs)

    args = (record / "args").read_text(encoding="utf-8").splitlines()
    for flag in ("--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck"):
        assert flag in args
    assert args[args.index("--convert-to") + 1] == "ods:calc8"
    assert args[-2:] == [str(b), str(a)]  # one call, input order
    home = (record / "home").read_text(encoding="utf-8")
    assert home != os.environ.get("HOME")
    xcu = (record / "xcu").read_text(encoding="utf-8")
    assert 'oor:name="OOXMLRecalcMode"' in xcu and 'oor:name="ODFRecalcMode"' in xcu
    assert xcu.count("<value>0</value>") == 2
    # throwaway profile and HOME removed afterwards
    assert not Path((record / "profile").read_text(encoding="utf-8")).exists()
    assert not Path(home).exists()


def test_fake_soffice_recalc_false_writes_never_mode(tmp_path, monkeypatch):
    record = tmp_path / "xcu"
    fake = write_script(
        tmp_path / "fake-soffice",
        f"""\
        for a in "$@"; do
          case "$a" in -env:UserInstallation=file://*) cp "${{a#-env:UserInstallation=file://}}/user/registrymodifications.xcu" "{record}";; esac
        done
        exit 0
        """,
    )
    monkeypatch.setenv("GRIDBUDGET_SOFFICE", str(fake))
    src = make_book(tmp_path / "a.xlsx")
    with pytest.raises(LibreOfficeError):
        lo.convert([src], tmp_path / "out", "xlsx", recalc=False)
    xcu = record.read_text(encoding="utf-8")
    assert xcu.count("<value>1</value>") == 2 and "<value>0</value>" not in xcu


def test_exit_zero_without_output_is_an_error(tmp_path, monkeypatch):
    fake = write_script(tmp_path / "fake-soffice", "echo 'Error: source file could not be loaded' >&2\nexit 0\n")
    monkeypatch.setenv("GRIDBUDGET_SOFFICE", str(fake))
    src = make_book(tmp_path / "预算表.xlsx")
    out = tmp_path / "out"
    out.mkdir()
    (out / "预算表.xlsx").write_bytes(b"stale output from an earlier run")
    with pytest.raises(LibreOfficeError) as ei:
        lo.convert([src], out, "xlsx")
    msg = str(ei.value)
    assert "预算表.xlsx" in msg
    assert "source file could not be loaded" in msg  # stderr tail included
    assert ei.value.missing == [src.absolute()]


def test_timeout_kills_process_group(tmp_path, monkeypatch):
    marker = tmp_path / "child-survived"
    fake = write_script(
        tmp_path / "fake-soffice",
        f"""\
        (sleep 3; touch "{marker}") &
        sleep 30
        """,
    )
    monkeypatch.setenv("GRIDBUDGET_SOFFICE", str(fake))
    src = make_book(tmp_path / "a.xlsx")
    t0 = time.monotonic()
    with pytest.raises(LibreOfficeError, match="超时"):
        lo.convert([src], tmp_path / "out", "xlsx", timeout=0.5)
    assert time.monotonic() - t0 < 10
    time.sleep(3.5)
    assert not marker.exists(), "background child of soffice was not killed"


def test_chunking_uses_several_calls(tmp_path, monkeypatch):
    calls = tmp_path / "calls"
    fake = write_script(
        tmp_path / "fake-soffice",
        f"""\
        echo call >> "{calls}"
        outdir=""; prev=""
        for a in "$@"; do
          if [ "$prev" = "--outdir" ]; then outdir="$a"; fi
          prev="$a"
        done
        for a in "$@"; do
          case "$a" in *.xlsx) printf 'x' > "$outdir/$(basename "$a" .xlsx).pdf";; esac
        done
        """,
    )
    monkeypatch.setenv("GRIDBUDGET_SOFFICE", str(fake))
    monkeypatch.setattr(lo, "CHUNK_SIZE", 2)
    srcs = [make_book(tmp_path / f"f{i}.xlsx") for i in range(5)]
    outs = lo.convert(srcs, tmp_path / "out", "pdf")
    assert [p.name for p in outs] == [f"f{i}.pdf" for i in range(5)]
    assert calls.read_text().count("call") == 3


# --------------------------------------------------------------------------- PDF helpers without soffice


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type /Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type /Pages/Kids[3 0 R 4 0 R]/Count 2>>endobj\n"
    b"3 0 obj<</Type /Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"4 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def test_pdf_page_count_fallback_without_pdfinfo(tmp_path, monkeypatch):
    pdf = tmp_path / "two.pdf"
    pdf.write_bytes(MINIMAL_PDF)
    real_which = shutil.which
    monkeypatch.setattr(lo.shutil, "which", lambda name, *a, **k: None if name == "pdfinfo" else real_which(name, *a, **k))
    assert lo.pdf_page_count(pdf) == 2


def test_pdf_to_png_missing_pdf(tmp_path):
    with pytest.raises(LibreOfficeError, match="nothing.pdf"):
        lo.pdf_to_png(tmp_path / "nothing.pdf", tmp_path / "page")


# --------------------------------------------------------------------------- real LibreOffice


@pytest.mark.libreoffice
@needs_soffice
def test_recalculate_computes_formulas_and_plain_conversion_keeps_cache(book, tmp_path):
    before = sha256(book)
    assert cached_b3(book) == 0  # xlsxwriter's cached value

    dst = tmp_path / "result" / "recalculated.xlsx"
    assert lo.recalculate(book, dst) == dst.absolute()
    assert cached_b3(dst) == pytest.approx(116.95)
    assert sha256(book) == before

    (plain,) = lo.convert([book], tmp_path / "plain", "xlsx", recalc=False)
    assert plain == (tmp_path / "plain" / "book.xlsx").absolute()
    assert cached_b3(plain) == 0
    assert sha256(book) == before
    # the formula itself survives both round trips
    wb = openpyxl.load_workbook(dst)
    assert wb.worksheets[0]["B3"].value == "=B1+B2"
    wb.close()


@pytest.mark.libreoffice
@needs_soffice
def test_batch_conversion_one_call_all_outputs(tmp_path):
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    specs = {"单位甲.xlsx": (1.5, 2.25), "b b.xlsx": (10, 20), "c.v2.xlsx": (0.1, 0.2)}
    srcs = [make_book(src_dir / name, a, b) for name, (a, b) in specs.items()]
    hashes = [sha256(p) for p in srcs]
    outs = lo.convert(srcs, tmp_path / "out", "xlsx")
    assert [p.name for p in outs] == list(specs)
    for out, (a, b) in zip(outs, specs.values()):
        assert out.is_file()
        assert cached_b3(out) == pytest.approx(a + b)
    assert [sha256(p) for p in srcs] == hashes
    # nothing was written next to the inputs (no lock files, no outputs)
    assert sorted(p.name for p in src_dir.iterdir()) == sorted(specs)


@pytest.mark.libreoffice
@needs_soffice
def test_garbage_input_named_in_error_and_good_output_kept(tmp_path):
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    good = make_book(src_dir / "good.xlsx")
    garbage = src_dir / "损坏.xlsx"
    garbage.write_bytes(b"PK\x03\x04 this is not really a zip" + os.urandom(512))
    hashes = (sha256(good), sha256(garbage))
    out = tmp_path / "out"
    out.mkdir()
    (out / "损坏.xlsx").write_bytes(b"stale")  # must not be mistaken for a fresh output
    with pytest.raises(LibreOfficeError) as ei:
        lo.convert([good, garbage], out, "xlsx")
    msg = str(ei.value)
    assert "损坏.xlsx" in msg
    assert str(good) not in msg
    assert ei.value.missing == [garbage.absolute()]
    assert ei.value.produced == [(out / "good.xlsx").absolute()]
    assert cached_b3(out / "good.xlsx") == pytest.approx(116.95)
    assert (sha256(good), sha256(garbage)) == hashes


@pytest.mark.libreoffice
@needs_soffice
@needs_pdftoppm
def test_to_pdf_and_pdf_to_png(book, tmp_path):
    before = sha256(book)
    pdf = lo.to_pdf(book, tmp_path / "pdf" / "book.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert lo.pdf_page_count(pdf) >= 1
    assert sha256(book) == before

    pages = lo.pdf_to_png(pdf, tmp_path / "png" / "page", dpi=60)
    assert len(pages) == lo.pdf_page_count(pdf)
    assert pages == sorted(pages)
    for page in pages:
        assert page.parent == (tmp_path / "png").absolute()
        assert page.name.startswith("page-") and page.suffix == ".png"
        assert page.read_bytes()[:8] == PNG_MAGIC
    assert sha256(book) == before


@pytest.mark.libreoffice
@needs_soffice
def test_other_formats(book, tmp_path):
    before = sha256(book)
    (ods,) = lo.convert([book], tmp_path / "ods", "ods")
    with zipfile.ZipFile(ods) as zf:
        assert zf.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
    (xls,) = lo.convert([book], tmp_path / "xls", "xls")
    assert xls.read_bytes()[:8] == bytes.fromhex("d0cf11e0a1b11ae1")
    if shutil.which("pdftoppm"):
        (png,) = lo.convert([book], tmp_path / "png", "png")
        assert png.name == "book.png" and png.read_bytes()[:8] == PNG_MAGIC
    assert sha256(book) == before


@pytest.mark.libreoffice
@needs_soffice
def test_parallel_calls_use_separate_profiles(tmp_path):
    srcs = []
    for i, (a, b) in enumerate([(52.07, 64.88), (1000.5, 0.25)]):
        d = tmp_path / f"src{i}"
        d.mkdir()
        srcs.append(make_book(d / "book.xlsx", a, b))
    hashes = [sha256(p) for p in srcs]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futs = [pool.submit(lo.recalculate, src, tmp_path / f"out{i}.xlsx") for i, src in enumerate(srcs)]
        results = [f.result(timeout=300) for f in futs]
    assert cached_b3(results[0]) == pytest.approx(116.95)
    assert cached_b3(results[1]) == pytest.approx(1000.75)
    assert [sha256(p) for p in srcs] == hashes
