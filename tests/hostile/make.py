"""The hostile-input corpus: every file a bureau could receive that once crashed, hung or
blew up a command, generated (nothing binary is stored), each with the command to run,
its exact exit code and the Chinese words its message must hold.

    python3 tests/hostile/make.py OUTDIR      # writes the files and OUTDIR/cases.json

``tests/test_hostile.py`` runs every case through the real command line.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "junshan-2024.xlsx"
SEED_JSON = ROOT / "examples" / "junshan-2024.json"
SEED_LAST_LINE = "共检查 1 个文件：错误 0 项，警告 10 项，提示 5 项。"


@dataclass
class Case:
    id: str
    argv: list[str]            # {dir} is replaced by the case folder
    rc: int
    says: list[str] = field(default_factory=list)      # each must appear in stdout + stderr
    heavy: bool = False        # measure peak memory (must stay under 500 MB)
    stdout_has: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)   # files that must exist afterwards
    no_outputs: list[str] = field(default_factory=list)  # files that must not exist afterwards


# ---------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------

def patch_xlsx(dst: Path, edits: dict[str, object], src: Path = SEED) -> Path:
    """A copy of ``src`` with parts replaced: a bytes value, or a function old -> new."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            edit = edits.get(info.filename)
            if callable(edit):
                data = edit(data)
            elif edit is not None:
                data = edit
            zout.writestr(info.filename, data)
        for name, data in edits.items():
            if name not in zin.namelist() and isinstance(data, bytes):
                zout.writestr(name, data)
    return dst


def set_cell(ref: str, xml: str, sheet: str = "xl/worksheets/sheet3.xml"):
    """Replace cell ``ref`` of ``sheet`` with the given <c> element."""
    def edit(data: bytes) -> bytes:
        text = data.decode("utf-8")
        new, n = re.subn(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', xml, text, count=1)
        assert n == 1, ref
        return new.encode("utf-8")
    return {sheet: edit}


def append_to_sheet(xml_rows: str, first_row_cells: str = "", sheet: str = "xl/worksheets/sheet3.xml"):
    def edit(data: bytes) -> bytes:
        text = data.decode("utf-8")
        if first_row_cells:
            text = re.sub(r'(<row r="1"[^>]*>)(.*?)(</row>)', lambda m: m.group(1) + m.group(2) + first_row_cells
                          + m.group(3), text, count=1)
        text = text.replace("</sheetData>", xml_rows + "</sheetData>")
        return text.encode("utf-8")
    return {sheet: edit}


def ods(dst: Path, content: str) -> Path:
    with zipfile.ZipFile(dst, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest xmlns:manifest='
                   '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return dst


ODS_BOMB = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
            '<table:table table:name="表1"><table:table-row table:number-rows-repeated="65536">'
            '<table:table-cell table:number-columns-repeated="1024" office:value-type="float" office:value="1">'
            '<text:p>1</text:p></table:table-cell></table:table-row></table:table>'
            '</office:spreadsheet></office:body></office:document-content>')


def xls_far_cell(dst: Path) -> Path | None:
    try:
        import xlwt
    except ImportError:
        return None
    wb = xlwt.Workbook()
    ws = wb.add_sheet("表1")
    ws.write(0, 0, "项目支出绩效自评表")
    ws.write(65535, 255, 1)
    wb.save(str(dst))
    return dst


def encrypted_xlsx(dst: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with open(SEED, "rb") as fh:
        OOXMLFile(fh).encrypt("secret", out)
    dst.write_bytes(out.getvalue())
    return dst


def many_rows(dst: Path, rows: int) -> Path:
    body = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c><c r="B{i}" t="inlineStr"><is><t>行{i}</t></is></c></row>'
                   for i in range(1, rows + 1))
    return patch_xlsx(dst, {"xl/worksheets/sheet1.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns='
        '"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + body +
        '</sheetData></worksheet>').encode("utf-8")})


class _RawName(zipfile.ZipInfo):
    """A member whose name is stored as the given bytes, without the UTF-8 flag (as the
    archivers of Chinese Windows store GBK names)."""

    __slots__ = ("raw",)

    def _encodeFilenameFlags(self):
        return self.raw, self.flag_bits & ~0x800


def zip_of(dst: Path, members: list[tuple[object, bytes]]) -> Path:
    """A zip; a member name given as bytes is stored as is (GBK, no UTF-8 flag)."""
    import warnings

    with warnings.catch_warnings(), zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        warnings.simplefilter("ignore")             # a duplicate member name is the point
        for name, data in members:
            if isinstance(name, bytes):
                info = _RawName(name.decode("cp437"))
                info.raw = name
            else:
                info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return dst


def encrypted_member_zip(dst: Path) -> Path:
    """A zip whose member has the "encrypted" flag set (as a password-protected archive has)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("单位甲.xlsx", SEED.read_bytes())
    data = bytearray(buf.getvalue())
    data[6] |= 1                                    # the local header's flags (the member is first)
    data[data.rfind(b"PK\x01\x02") + 8] |= 1        # the central directory's (after the stored data)
    dst.write_bytes(bytes(data))
    return dst


def corrupt_member_zip(dst: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("单位乙.xlsx", SEED.read_bytes())
    data = bytearray(buf.getvalue())
    mid = len(data) // 3
    data[mid:mid + 200] = b"\x00" * 200
    dst.write_bytes(bytes(data))
    return dst


def bomb_member_zip(dst: Path) -> Path:
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("单位丙.xlsx")
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as fh:
            for _ in range(120):
                fh.write(b"\0" * 2**20)                   # 120 MB of zeros in ~120 KB
    return dst


# ---------------------------------------------------------------------------
# the corpus
# ---------------------------------------------------------------------------

def build(out: Path) -> list[Case]:
    out.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []
    V = ["validate"]

    def add(case: Case) -> None:
        cases.append(case)

    # -- cell contents that crashed the reader, the rules or the copies ---------------
    hostile_text = "注意_xD800_a_x0001_b_x0007_c=cmd|' /C calc'!A0"
    patch_xlsx(out / "surrogate-control.xlsx", append_to_sheet(
        "", f'<c r="Z1" t="inlineStr"><is><t>{hostile_text}</t></is></c>'))
    add(Case("surrogate-validate", V + ["{dir}/surrogate-control.xlsx"], 0, [SEED_LAST_LINE]))
    add(Case("surrogate-export", ["export", "{dir}/surrogate-control.xlsx", "-o", "{dir}/s.json"], 0,
             outputs=["s.json"]))
    add(Case("surrogate-annotate", V + ["{dir}/surrogate-control.xlsx", "--annotate", "{dir}/s-审核.xlsx"], 0,
             ["已生成带批注的副本"], outputs=["s-审核.xlsx"]))
    add(Case("surrogate-score", ["score", "{dir}/surrogate-control.xlsx", "-o", "{dir}/s-评分.xlsx"], 0,
             ["已生成评分副本"], outputs=["s-评分.xlsx"]))

    for cid, value in (("amount-1e26", "1e26"), ("amount-nan", "NaN"), ("amount-inf", "INF"),
                       ("amount-1e308", "1e308"), ("amount-100k-digits", "9" * 100_000)):
        patch_xlsx(out / f"{cid}.xlsx", set_cell("E4", f'<c r="E4" s="13"><v>{value}</v></c>'))
        add(Case(cid, V + [f"{{dir}}/{cid}.xlsx"], 1, ["整体支出自评表!E4"]))
    patch_xlsx(out / "chinese-numeral-recursion.xlsx",
               set_cell("E4", '<c r="E4" t="inlineStr"><is><t>一' + "亿一" * 1500 + "</t></is></c>"))
    add(Case("chinese-numeral-recursion", V + ["{dir}/chinese-numeral-recursion.xlsx"], 1, ["整体支出自评表!E4"]))

    patch_xlsx(out / "far-cell-text-number.xlsx", append_to_sheet(
        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', '<c r="Z1"><v>abc</v></c>'))
    add(Case("far-cell-text-number", V + ["{dir}/far-cell-text-number.xlsx"], 0, [SEED_LAST_LINE], heavy=True))

    # -- files whose used range or size would take gigabytes --------------------------
    ods(out / "ods-repeat-bomb.ods", ODS_BOMB)
    add(Case("ods-repeat-bomb", V + ["{dir}/ods-repeat-bomb.ods"], 2, ["ods-repeat-bomb.ods", "内容过大", "65,536 行"],
             heavy=True))
    if xls_far_cell(out / "xls-far-cell.xls") is not None:
        add(Case("xls-far-cell", V + ["{dir}/xls-far-cell.xls"], 2, ["xls-far-cell.xls", "内容过大"], heavy=True))
    many_rows(out / "rows-620k.xlsx", 620_000)
    add(Case("rows-620k", V + ["{dir}/rows-620k.xlsx", "--timeout", "20"], 0, ["C-SHEET-SKIPPED", "未读取", "警告 11 项"], heavy=True))
    many_rows(out / "rows-200k.xlsx", 200_000)
    add(Case("rows-200k-timeout", V + ["{dir}/rows-200k.xlsx", "--timeout", "0.05"], 2,
             ["rows-200k.xlsx", "超时"], heavy=True))

    # -- containers that are not what they say ----------------------------------------
    encrypted_xlsx(out / "encrypted.xlsx")
    add(Case("encrypted", V + ["{dir}/encrypted.xlsx"], 2, ["encrypted.xlsx", "设有打开密码"]))
    data = SEED.read_bytes()
    (out / "truncated.xlsx").write_bytes(data[: len(data) // 2])
    add(Case("truncated", V + ["{dir}/truncated.xlsx"], 2, ["truncated.xlsx", "损坏"]))
    patch_xlsx(out / "doctype.xlsx", {"xl/workbook.xml": lambda b: b.replace(
        b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>', 1)})
    add(Case("doctype", V + ["{dir}/doctype.xlsx"], 2, ["doctype.xlsx", "不安全"]))
    patch_xlsx(out / "zip-bomb-part.xlsx", {"xl/media/zeros.bin": b"\0" * (50 * 2**20)})
    add(Case("zip-bomb-part", V + ["{dir}/zip-bomb-part.xlsx"], 2, ["zip-bomb-part.xlsx", "内容过大"]))
    (out / "empty.xlsx").write_bytes(b"")
    add(Case("empty", V + ["{dir}/empty.xlsx"], 2, ["empty.xlsx", "空文件"]))
    (out / "report.xlsx").write_bytes(b"%PDF-1.7\n" + b"x" * 2000)
    add(Case("pdf-renamed", V + ["{dir}/report.xlsx"], 2, ["report.xlsx", "PDF"]))
    (out / "random.et").write_bytes(os.urandom(4096))
    add(Case("random-et", V + ["{dir}/random.et"], 2, ["random.et"]))
    (out / "ole-garbage.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(4000))
    add(Case("ole-garbage", V + ["{dir}/ole-garbage.xls"], 2, ["ole-garbage.xls", "损坏"]))
    (out / "folder.xlsx").mkdir(exist_ok=True)
    add(Case("folder-named-xlsx", ["export", "{dir}/folder.xlsx"], 2, ["folder.xlsx", "文件夹"]))
    (out / "emptydir").mkdir(exist_ok=True)
    add(Case("empty-folder", V + ["{dir}/emptydir"], 2, ["emptydir", "没有工作簿"]))

    # -- zip archives of submissions ---------------------------------------------------
    seed = SEED.read_bytes()
    zip_of(out / "archive.zip", [
        ("单位A.xlsx", seed), ("子目录/单位A.xlsx", seed), ("单位A.xlsx", seed),       # duplicate name
        ("单位B（GBK）.xlsx".encode("gbk"), seed),                                # GBK name, no UTF-8 flag
        ("嵌套.zip", (out / "empty.xlsx").read_bytes() or b"PK\x05\x06" + b"\0" * 18),
        ("说明.docx", b"not a workbook"),
    ])
    add(Case("zip-members", ["summarize", "{dir}/archive.zip", "-o", "{dir}/zip-汇总.json", "--format", "json"], 2,
             ["已汇总 4 个文件，1 个未能读取"], outputs=["zip-汇总.json"],
             stdout_has=[]))
    encrypted_member_zip(out / "encrypted-member.zip")
    add(Case("zip-encrypted-member", V + ["{dir}/encrypted-member.zip"], 2, ["单位甲.xlsx", "设有打开密码"]))
    corrupt_member_zip(out / "corrupt-member.zip")
    add(Case("zip-corrupt-member", V + ["{dir}/corrupt-member.zip"], 2, ["单位乙.xlsx", "损坏"]))
    bomb_member_zip(out / "bomb-member.zip")
    add(Case("zip-oversized-member", V + ["{dir}/bomb-member.zip"], 2, ["单位丙.xlsx", "内容过大"]))

    # -- folders with names and links that broke the listing --------------------------
    folder = out / "inbox"
    folder.mkdir(exist_ok=True)
    (folder / "good.xlsx").write_bytes(seed)
    try:
        with open(os.path.join(os.fsencode(folder), "单位丁".encode("gbk") + b".xlsx"), "wb") as fh:
            fh.write(seed)
    except OSError:        # pragma: no cover - file systems that refuse non-UTF-8 names
        pass
    loop = folder / "loop.xlsx"
    if not loop.is_symlink():
        try:
            os.symlink("loop.xlsx", loop)
        except OSError:    # pragma: no cover
            pass
    add(Case("folder-gbk-name-symlink-loop", ["summarize", "{dir}/inbox", "-o", "{dir}/inbox-汇总.xlsx"], 0,
             ["已汇总 2 个文件，0 个未能读取"], outputs=["inbox-汇总.xlsx"]))

    # -- outputs that cannot be written --------------------------------------------------
    (out / "a-file").write_bytes(b"x")
    add(Case("output-under-a-file", ["score", str(SEED), "-o", "{dir}/a-file/评分.xlsx"], 3,
             ["a-file", "不是文件夹"]))
    (out / "outdir.xlsx").mkdir(exist_ok=True)
    add(Case("output-is-a-folder", ["template", "-o", "{dir}/outdir.xlsx"], 3, ["outdir.xlsx", "文件夹"]))
    add(Case("output-wrong-suffix", ["summarize", str(SEED), "-o", "{dir}/汇总.txt"], 3, ["汇总.txt", ".xlsx"],
             no_outputs=["汇总.txt"]))
    patch_xlsx(out / "filled.xlsx", {"docProps/core.xml": lambda b: b.replace(
        b"<cp:lastModifiedBy>gridbudget</cp:lastModifiedBy>", "<cp:lastModifiedBy>张会计</cp:lastModifiedBy>".encode())})
    add(Case("output-is-a-filled-workbook", ["template", "-o", "{dir}/filled.xlsx"], 3, ["filled.xlsx", "--force"]))

    # -- configuration ----------------------------------------------------------------------
    (out / "units-gbk.csv").write_bytes("单位,主管部门\n岳阳市君山区社会治理网格化服务中心,君山区委政法委\n".encode("gbk"))
    add(Case("units-gbk", ["summarize", str(SEED), "-o", "{dir}/u-汇总.json", "--format", "json",
                           "--units", "{dir}/units-gbk.csv"], 0, outputs=["u-汇总.json"]))
    add(Case("units-folder", ["summarize", str(SEED), "-o", "{dir}/u2-汇总.xlsx", "--units", "{dir}/emptydir"], 3,
             ["emptydir"], no_outputs=["u2-汇总.xlsx"]))
    (out / "bad-profile.toml").write_text('[profile]\nname = "x"\nextends = "national-2020"\n'
                                          '[rules]\n"W-EXEC-RATE" = "warn"\n', encoding="utf-8")
    add(Case("profile-severity-typo", V + [str(SEED), "--profile", "{dir}/bad-profile.toml"], 3,
             ["bad-profile.toml", "warn"]))
    for cid, val in (("timeout-inf", "inf"), ("timeout-nan", "nan"), ("timeout-zero", "0")):
        add(Case(cid, ["summarize", str(SEED), "-o", "{dir}/t.xlsx", "--timeout", val], 3, ["--timeout"]))

    # -- fill with JSON of the wrong shape ----------------------------------------------------
    for cid, text in (("fill-list", "[]"), ("fill-basic-string", '{"basic": "x"}'),
                      ("fill-projects-number", '{"projects": 5}'),
                      ("fill-nan", '{"basic": {"staff": {"actual": NaN}}}'),
                      ("fill-1e400", '{"overall": {"funds": {"total": {"executed": 1e400}}}}'),
                      ("fill-deep", "[" * 100_000 + "]" * 100_000)):
        (out / f"{cid}.json").write_text(text, encoding="utf-8")
        add(Case(cid, ["fill", f"{{dir}}/{cid}.json", "-o", f"{{dir}}/{cid}.xlsx"], 2, [f"{cid}.json"],
                 no_outputs=[f"{cid}.xlsx"]))
    (out / "fill-gbk.json").write_bytes(SEED_JSON.read_text(encoding="utf-8").encode("gb18030"))
    add(Case("fill-gbk", ["fill", "{dir}/fill-gbk.json", "-o", "{dir}/fill-gbk.xlsx"], 0, outputs=["fill-gbk.xlsx"]))

    # -- the other files a command reads -------------------------------------------------------
    (out / "report-corrupt.docx").write_bytes(b"PK\x03\x04" + os.urandom(3000))
    add(Case("report-corrupt-docx", V + [str(SEED), "--report", "{dir}/report-corrupt.docx"], 2,
             ["report-corrupt.docx"]))
    add(Case("previous-missing", V + [str(SEED), "--previous", "{dir}/nosuch.xlsx"], 2, ["nosuch.xlsx"]))
    (out / "previous-broken.xlsx").write_bytes(b"garbage")
    add(Case("previous-unreadable", V + [str(SEED), "--previous", "{dir}/previous-broken.xlsx"], 2,
             ["previous-broken.xlsx", "跨年核对未进行", "警告 10 项"]))
    add(Case("previous-same-year", V + [str(SEED), "--previous", str(SEED)], 0,
             ["不早于本年度", "跨年核对未进行", SEED_LAST_LINE]))

    # -- usage ----------------------------------------------------------------------------------
    add(Case("usage-unknown-option", V + [str(SEED), "--nope"], 3, ["没有选项 --nope"]))
    add(Case("usage-missing-argument", V, 3, ["缺少参数"]))
    add(Case("usage-unknown-command", ["frobnicate"], 3, ["没有命令"]))
    add(Case("usage-bad-integer", ["template", "--projects", "abc"], 3, ["--projects"]))
    add(Case("version", ["--version"], 0, ["gridbudget "]))

    (out / "cases.json").write_text(json.dumps([asdict(c) for c in cases], ensure_ascii=False, indent=1),
                                    encoding="utf-8")
    return cases


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 tests/hostile/make.py OUTDIR")
    for c in build(Path(sys.argv[1])):
        print(c.id, c.rc, " ".join(c.argv))
