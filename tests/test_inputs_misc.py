"""Issue 10: the inputs that are not workbooks never end in a traceback.

``fill`` JSON (gridbudget.submission.load_json / flatten), the ``--report`` text
(gridbudget.check.prose.read_report) and the ``--units`` list
(gridbudget.read.unitlist.load_units): every hostile or faulty file ends in an exception
of gridbudget.errors with a Chinese message naming the file (and the key path in JSON).
"""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import struct
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from gridbudget.check.prose import read_report
from gridbudget.errors import EXIT_UNREADABLE, EXIT_USAGE, InputError, UsageError
from gridbudget.read.unitlist import load_units
from gridbudget.submission import dumps, flatten, load_json, validate
from helpers import EXAMPLE_JSON, ROOT

CJK = re.compile(r"[\u4e00-\u9fff]")


def refused(exc_type, func, path: Path, *also: str) -> str:
    """Call func(path), expect exc_type with a Chinese message naming the file (and ``also``)."""
    with pytest.raises(exc_type) as info:
        func(path)
    msg = str(info.value)
    assert type(info.value) is exc_type
    assert CJK.search(msg), msg
    assert path.name in msg, msg
    for part in also:
        assert part in msg, (part, msg)
    assert "Traceback" not in msg
    return msg


def sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


def cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file (CFB v3) holding ``streams`` (each padded to 4096 bytes,
    so no mini stream is needed): enough for olefile to list the streams."""
    end, free, fatsect, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    sector = 512
    datas = [d.ljust(4096, b"\0") for d in streams.values()]
    fat = [fatsect, end]                       # sector 0: FAT, sector 1: directory
    starts = []
    for d in datas:
        n = -(-len(d) // sector)
        first = len(fat)
        starts.append(first)
        fat += [first + i + 1 for i in range(n - 1)] + [end]
    assert len(fat) <= 128
    fat += [free] * (128 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return (raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), kind, 1)
                + struct.pack("<III", nostream, right, child) + b"\0" * 16 + b"\0" * 4 + b"\0" * 16
                + struct.pack("<IQ", start, size))

    names = list(streams)
    dirs = entry("Root Entry", 5, 1 if names else nostream, nostream, end, 0)
    for i, (n, d) in enumerate(zip(names, datas), start=1):
        dirs += entry(n, 2, nostream, i + 1 if i < len(names) else nostream, starts[i - 1], len(d))
    dirs = dirs.ljust(sector * (-(-len(dirs) // sector)), b"\0")
    assert len(dirs) == sector, "one directory sector is enough for three streams"
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\0" * 6 + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
    assert len(header) == sector
    return header + b"".join(struct.pack("<I", x) for x in fat) + dirs + b"".join(datas)


# ===========================================================================
# 1. fill JSON
# ===========================================================================
def write_json(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


WRONG_SHAPES = {
    # name: (JSON text, key path the message names)
    "top-level-list": ("[]", "顶层"),
    "top-level-string": ('"x"', "顶层"),
    "basic-string": ('{"basic": "x"}', "basic"),
    "projects-number": ('{"projects": 5}', "projects"),
    "projects-non-objects": ('{"projects": [{"name": "甲"}, 1, "x"]}', "projects[1]"),
    "field-object": ('{"basic": {"year": {"value": 2024}}}', "basic.year"),
    "field-list": ('{"overall": {"funds": {"total": {"executed": [116.95]}}}}', "overall.funds.total.executed"),
    "row-field-object": ('{"projects": [{"ind": {"output": {"cost": {"rows": [{"target": {}}]}}}}]}',
                         "projects[0].ind.output.cost.rows[0].target"),
    "nan": ('{"basic": {"staff": {"actual": NaN}}}', "basic.staff.actual"),
    "infinity": ('{"overall": {"funds": {"total": {"budget": Infinity}}}}', "overall.funds.total.budget"),
    "minus-infinity": ('{"projects": [{"funds": {"total": {"score": -Infinity}}}]}',
                       "projects[0].funds.total.score"),
    "1e400": ('{"overall": {"funds": {"total": {"executed": 1e400}}}}', "overall.funds.total.executed"),
    "exponent-beyond-decimal": ('{"overall": {"funds": {"total": {"executed": 1e999999999999999999999}}}}',
                                "overall.funds.total.executed"),
    "huge-integer": ('{"basic": {"staff": {"actual": ' + "9" * 5000 + "}}}", "basic.staff.actual"),
    "trillion": ('{"basic": {"public": {"final": 1000000000000}}}', "basic.public.final"),
    "too-many-digits": ('{"basic": {"public": {"final": 1.' + "3" * 40 + "}}}", "basic.public.final"),
    "text-too-long": (json.dumps({"overall": {"goals": [{"expected": "长" * 40_000}]}}), "overall.goals[0].expected"),
    "control-character": (json.dumps({"projects": [{"name": "网格\u0001化"}]}), "projects[0].name"),
    "lone-surrogate": ('{"overall": {"unit": "\\ud800"}}', "overall.unit"),
    "unknown-top-level-key": ('{"project": []}', "project"),
    "unknown-table-key": ('{"basic": {"yaer": 2024}}', "basic.yaer"),
    "boolean": ('{"basic": {"year": true}}', "basic.year"),
    "null": ('{"basic": {"year": null}}', "basic.year"),
    "schema-version": ('{"schema": "gridbudget.submission/9"}', "schema"),
}


@pytest.mark.parametrize("case", sorted(WRONG_SHAPES))
def test_json_of_the_wrong_shape_is_refused_with_the_key_path(tmp_path, case):
    text, key_path = WRONG_SHAPES[case]
    path = write_json(tmp_path, f"{case}.json", text)
    refused(InputError, load_json, path, key_path)


def test_unknown_top_level_key_lists_the_allowed_keys(tmp_path):
    path = write_json(tmp_path, "data.json", '{"project": [], "basic": {}}')
    msg = refused(InputError, load_json, path, "project")
    schema = json.loads((ROOT / "gridbudget" / "schema" / "submission.schema.json").read_text(encoding="utf-8"))
    for key in schema["properties"]:          # exactly what the schema allows
        assert key in msg, key


def test_several_problems_are_listed_together(tmp_path):
    path = write_json(tmp_path, "many.json", json.dumps({"basic": {"yaer": 1, "year": []}, "projects": [1, 2]}))
    msg = refused(InputError, load_json, path, "basic.yaer", "basic.year", "projects[0]", "projects[1]")
    assert "4 处" in msg


def test_deeply_nested_json_is_refused(tmp_path):
    for name, text in (("deep.json", "[" * 100_000 + "]" * 100_000),
                       ("deep-under-key.json", '{"basic": ' + "[" * 100_000 + "]" * 100_000 + "}")):
        refused(InputError, load_json, write_json(tmp_path, name, text))
    # nested deeply but within the parser's reach: refused at the first wrong type, not walked
    path = write_json(tmp_path, "nested.json", '{"basic": {"year": ' + "[" * 500 + "]" * 500 + "}}")
    refused(InputError, load_json, path, "basic.year")


def test_json_syntax_error_names_the_line(tmp_path):
    path = write_json(tmp_path, "syntax.json", '{\n  "basic": {\n    "year": 2024,\n  }\n}')
    refused(InputError, load_json, path, "第 4 行")


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-16"])
def test_json_in_chinese_windows_encodings_is_accepted(tmp_path, encoding):
    doc = {"overall": {"unit": "岳阳市君山区社会治理网格化服务中心", "year": 2024,
                       "funds": {"total": {"executed": 116.95}}}}
    path = write_json(tmp_path, "数据.json", json.dumps(doc, ensure_ascii=False).encode(encoding))
    got = load_json(path)
    assert got["overall"]["unit"] == "岳阳市君山区社会治理网格化服务中心"
    assert got["overall"]["funds"]["total"]["executed"] == Decimal("116.95")


def test_json_that_is_no_text_file_is_refused(tmp_path):
    for name, data in (("binary.json", b"\x00\x01\x02{}"), ("book.json", b"PK\x03\x04" + b"\0" * 100),
                       ("latin.json", b'{"basic": {"unit": "\xff\xfe\xfd"}}')):
        path = write_json(tmp_path, name, data)
        with pytest.raises(InputError) as info:
            load_json(path)
        assert name in str(info.value) and CJK.search(str(info.value))


def test_json_file_problems(tmp_path):
    folder = tmp_path / "folder.json"
    folder.mkdir()
    refused(InputError, load_json, folder, "文件夹")
    refused(InputError, load_json, tmp_path / "missing.json", "找不到")
    refused(InputError, load_json, sparse(tmp_path / "huge.json", 21 * 2**20), "20 MB")
    refused(InputError, load_json, write_json(tmp_path, "empty.json", ""), "空文件")
    refused(InputError, load_json, write_json(tmp_path, "blank.json", "\ufeff \n"), "空文件")
    assert InputError.exit_code == EXIT_UNREADABLE


def test_flatten_refuses_a_wrong_shape_from_python_too():
    with pytest.raises(InputError) as info:
        flatten({"projects": 5})
    assert "projects" in str(info.value) and CJK.search(str(info.value))
    with pytest.raises(InputError):
        flatten({"overall": {"funds": {"total": {"executed": float("nan")}}}})
    with pytest.raises(InputError):
        flatten([])                                      # type: ignore[arg-type]


def test_flatten_gives_the_template_writer_decimals_and_str():
    flat = flatten(load_json(EXAMPLE_JSON))
    values = []
    for table in [flat["basic"], flat["overall"], *flat["projects"]]:
        values += table["__fields__"].values()
        values += [v for rows in table["__blocks__"].values() for r in rows for v in r.values()]
    assert values
    assert all(type(v) in (Decimal, str) for v in values), {type(v) for v in values}
    assert all(v.is_finite() for v in values if isinstance(v, Decimal))
    # ints and floats from Python callers become Decimal too
    flat = flatten({"basic": {"year": 2024, "staff": {"actual": 4}, "public": {"final": 4.55}}})
    assert flat["basic"]["__fields__"] == {"year": Decimal(2024), "staff.actual": Decimal(4),
                                           "public.final": Decimal("4.55")}


def test_the_checker_speaks_every_keyword_the_schema_uses():
    from gridbudget.schema import submission_schema
    from gridbudget.submission import _Checker

    used: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            used.update(node)
            for key, value in node.items():
                if key in ("properties", "$defs"):
                    for sub in value.values():
                        walk(sub)
                elif key not in ("enum", "const", "required"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(submission_schema())
    assert used <= _Checker.KEYWORDS, used - _Checker.KEYWORDS


def test_the_checker_agrees_with_jsonschema():
    jsonschema = pytest.importorskip("jsonschema")
    from gridbudget.schema import submission_schema

    validator = jsonschema.Draft202012Validator(submission_schema())
    example = json.loads(dumps(load_json(EXAMPLE_JSON)))
    docs = [example, {}, {"basic": {}}, {"projects": []}, {"projects": [{}]}, [], "x", {"basic": "x"},
            {"project": []}, {"basic": {"year": 2024.5}}, {"basic": {"year": "2024年"}},
            {"basic": {"thrift": 3}}, {"overall": {"goals": {"expected": "目标"}}},
            {"tables_found": ["basic", "basic"]}, {"tables_found": ["basic", "projects"]},
            {"problems": [{"code": "x"}]}, {"problems": [{"code": "x", "message": "m", "sheet": None}]},
            {"sources": {"basic": {"year": "基础数据表!B3"}}}, {"sources": {"basic": {"year": 3}}},
            {"tables": [{"sheet": "a", "kind": "basic", "family": "basic", "extra": 1}]},
            {"tables": [{"sheet": "a", "kind": "basic"}]},
            {"overall": {"ind": {"output": {"quantity": [{"name": "x"}]}}}},
            {"overall": {"ind": {"output": {"quantity": {"rows": [{"name": "x", "targte": 1}]}}}}}]
    for doc in docs:
        ours = True
        try:
            validate(doc)
        except InputError:
            ours = False
        assert ours == validator.is_valid(doc), doc


def test_example_json_loads_unchanged():
    doc = load_json(EXAMPLE_JSON)
    with open(EXAMPLE_JSON, encoding="utf-8") as fh:
        assert json.loads(dumps(doc)) == json.load(fh)


# --- through the command line: exit code 2, the message, no traceback, no output ---


def run_fill(tmp_path: Path, data: Path) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path / "out.xlsx"
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="200")
    res = subprocess.run([sys.executable, "-m", "gridbudget.cli", "fill", str(data), "-o", str(out)],
                         capture_output=True, text=True, encoding="utf-8", errors="replace", env=env,
                         cwd=tmp_path, timeout=120)
    return res, out


@pytest.mark.parametrize("case", ["top-level-list", "projects-number", "nan", "1e400", "control-character"])
def test_cli_fill_refuses_bad_json_without_traceback(tmp_path, case):
    text, key_path = WRONG_SHAPES[case]
    res, out = run_fill(tmp_path, write_json(tmp_path, "bad.json", text))
    assert "Traceback" not in res.stderr, res.stderr
    assert not out.exists()
    assert "bad.json" in res.stderr and key_path in res.stderr
    assert res.returncode == EXIT_UNREADABLE


def test_cli_fill_refuses_a_folder_and_deep_nesting_without_traceback(tmp_path):
    folder = tmp_path / "folder.json"
    folder.mkdir()
    for data in (folder, write_json(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)):
        res, out = run_fill(tmp_path, data)
        assert "Traceback" not in res.stderr, res.stderr
        assert not out.exists()


def test_cli_fill_accepts_gbk_json(tmp_path):
    doc = json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))
    res, out = run_fill(tmp_path, write_json(tmp_path, "gbk.json", json.dumps(doc, ensure_ascii=False).encode("gbk")))
    assert res.returncode == 0, res.stderr
    assert out.exists() and "Traceback" not in res.stderr


# ===========================================================================
# 2. --report
# ===========================================================================
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def docx(body: str, *, extra: dict[str, bytes] | None = None, document: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                    'package/2006/content-types"/>')
        zf.writestr("word/document.xml", document if document is not None else
                    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    f'<w:document xmlns:w="{W}" xmlns:mc="{MC}"><w:body>{body}<w:sectPr/></w:body></w:document>')
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_docx_paragraph_text_is_extracted_from_the_xml(tmp_path):
    body = (
        '<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>'
        '<w:r><w:t>整体支出</w:t></w:r><w:r><w:t xml:space="preserve">116.95 </w:t></w:r><w:r><w:t>万元</w:t></w:r></w:p>'
        '<w:p><w:r><w:t>编制数</w:t><w:tab/><w:t>4人</w:t><w:br/><w:t>第二行</w:t></w:r></w:p>'
        '<w:p><w:r><w:t>公务接待费</w:t></w:r><w:del><w:r><w:delText>9.99万元</w:delText></w:r></w:del>'
        '<w:ins><w:r><w:t>0.21万元</w:t></w:r></w:ins>'
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r></w:p>'
        '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>单元格一</w:t></w:r></w:p></w:tc>'
        '<w:tc><w:p><w:r><w:t>单元格二</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
        '<w:p/>'
        '<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent>'
        '<w:p><w:r><w:t>文本框</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice>'
        '<mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>文本框</w:t></w:r></w:p></w:txbxContent></w:pict>'
        '</mc:Fallback></mc:AlternateContent></w:r><w:r><w:t>&lt;结尾&amp;</w:t></w:r></w:p>'
    )
    path = tmp_path / "报告.docx"
    path.write_bytes(docx(body))
    assert read_report(path).split("\n") == [
        "整体支出116.95 万元", "编制数\t4人", "第二行", "公务接待费0.21万元", "单元格一", "单元格二", "", "文本框",
        "<结尾&"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_report_text_encodings(tmp_path, encoding):
    text = "部门整体支出116.95万元。\n公务接待费0.21万元。"
    path = tmp_path / "报告.txt"
    path.write_bytes(text.encode(encoding))
    assert read_report(path).splitlines() == text.splitlines()


def test_report_oversized(tmp_path):
    refused(InputError, read_report, sparse(tmp_path / "大报告.txt", 51 * 2**20), "MB")


def test_report_encrypted_docx(tmp_path):
    path = tmp_path / "加密报告.docx"
    path.write_bytes(cfb({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": b"\0" * 8}))
    refused(InputError, read_report, path, "设有打开密码")


def test_report_encrypted_docx_by_msoffcrypto(tmp_path):
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")
    if not hasattr(ooxml.OOXMLFile, "encrypt"):
        pytest.skip("this msoffcrypto-tool cannot encrypt")
    plain = tmp_path / "plain.docx"
    plain.write_bytes(docx("<w:p><w:r><w:t>正文</w:t></w:r></w:p>"))
    path = tmp_path / "有密码.docx"
    with open(plain, "rb") as fh, open(path, "wb") as out:
        ooxml.OOXMLFile(fh).encrypt("密码123", out)
    refused(InputError, read_report, path, "设有打开密码")


def test_report_old_doc(tmp_path):
    path = tmp_path / "旧报告.doc"
    path.write_bytes(cfb({"WordDocument": b"\xec\xa5" + b"\0" * 100, "1Table": b"\0" * 10}))
    refused(InputError, read_report, path, ".doc")
    broken = tmp_path / "坏的.doc"
    broken.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    refused(InputError, read_report, broken)


def test_report_corrupt_zip(tmp_path):
    good = docx("<w:p><w:r><w:t>正文</w:t></w:r></w:p>")
    path = tmp_path / "损坏.docx"
    path.write_bytes(good[: len(good) // 2])
    refused(InputError, read_report, path, "损坏")
    path = tmp_path / "乱码.docx"
    path.write_bytes(b"PK\x03\x04" + os.urandom(2000))
    refused(InputError, read_report, path)


def test_report_zip_without_document(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    path = tmp_path / "表格.docx"
    path.write_bytes(buf.getvalue())
    refused(InputError, read_report, path, "Excel")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    path = tmp_path / "压缩包.docx"
    path.write_bytes(buf.getvalue())
    refused(InputError, read_report, path, "word/document.xml")


def test_report_zip_bomb_and_doctype(tmp_path):
    path = tmp_path / "炸弹.docx"
    path.write_bytes(docx("", document=b"<a>" + b" " * (8 * 2**20) + b"</a>"))
    refused(InputError, read_report, path, "压缩比")
    path = tmp_path / "实体.docx"
    path.write_bytes(docx("", document=b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><d>&x;</d>'))
    refused(InputError, read_report, path, "DOCTYPE")
    path = tmp_path / "坏XML.docx"
    path.write_bytes(docx("", document=b"<w:document"))
    refused(InputError, read_report, path)


def test_report_pdf_folder_missing_empty_binary(tmp_path):
    pdf = tmp_path / "报告.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    refused(InputError, read_report, pdf, "PDF")
    folder = tmp_path / "报告文件夹"
    folder.mkdir()
    refused(InputError, read_report, folder, "文件夹")
    refused(InputError, read_report, tmp_path / "没有这个报告.txt", "找不到")
    empty = tmp_path / "空报告.txt"
    empty.write_bytes(b"")
    refused(InputError, read_report, empty, "空文件")
    png = tmp_path / "截图.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    refused(InputError, read_report, png, "图片")
    rtf = tmp_path / "报告.rtf"
    rtf.write_bytes(b"{\\rtf1\\ansi hello}")
    refused(InputError, read_report, rtf, "RTF")


# ===========================================================================
# 3. --units
# ===========================================================================
UNITS = [("岳阳市君山区社会治理网格化服务中心", "岳阳市君山区委政法委"), ("君山区财政局", "君山区财政局"),
         ("君山区 教育局", "君山区教育局")]


def units_text(sep: str = ",", header: tuple[str, ...] = ("单位", "主管部门")) -> str:
    return "\r\n".join([sep.join(header)] + [sep.join(row) for row in UNITS]) + "\r\n"


def assert_units(lookup) -> None:
    assert lookup("岳阳市君山区社会治理网格化服务中心") == "岳阳市君山区委政法委"
    assert lookup("君山区财政局 ") == "君山区财政局"
    assert lookup("君山区教育局") == "君山区教育局"          # matched on normalised names
    assert lookup("别的单位") == "" and lookup("") == ""


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le"])
def test_units_csv_encodings(tmp_path, encoding):
    path = tmp_path / "units.csv"
    path.write_bytes(units_text("\t" if encoding.startswith("utf-16") else ",").encode(encoding))
    assert_units(load_units(path))


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_units_separators_are_sniffed(tmp_path, sep):
    path = tmp_path / "units.txt"
    path.write_text(units_text(sep), encoding="utf-8")
    assert_units(load_units(path))


@pytest.mark.parametrize("header", [("单位名称", "主管部门"), ("预算单位", "部门"), ("Unit", "Department"),
                                    ("单位编码", "单位名称", "主管部门名称"), ("主管部门", "单位")])
def test_units_header_synonyms(tmp_path, header):
    def row(unit: str, dept: str) -> tuple[str, ...]:
        by_header = {"单位编码": "10001", "主管部门": dept, "单位": unit}
        return tuple(by_header.get(h, unit if "单位" in h or h == "Unit" else dept) for h in header)

    rows = [header] + [row(u, d) for u, d in UNITS]
    path = tmp_path / "units.csv"
    path.write_text("\n".join(",".join(r) for r in rows), encoding="gbk")
    assert_units(load_units(path))


def test_units_title_row_and_quoted_commas(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text('2024年度单位名单,,\n序号,单位,主管部门\n1,"君山区财政局",君山区财政局\n'
                    '2,"某某中心,分中心",某某局\n', encoding="utf-8-sig")
    lookup = load_units(path)
    assert lookup("君山区财政局") == "君山区财政局" and lookup("某某中心,分中心") == "某某局"
    assert len(lookup) == 2


def test_units_xlsx(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名单"
    ws.append(["单位编码", "单位名称", "主管部门"])
    for i, (u, d) in enumerate(UNITS, start=1):
        ws.append([1000 + i, u, d])
    wb.create_sheet("其他").append(["无关"])
    path = tmp_path / "单位名单.xlsx"
    wb.save(path)
    lookup = load_units(path)
    assert_units(lookup)
    assert pickle.loads(pickle.dumps(lookup))("君山区财政局") == "君山区财政局"


def test_units_refused(tmp_path):
    folder = tmp_path / "名单文件夹"
    folder.mkdir()
    refused(UsageError, load_units, folder, "文件夹")
    refused(UsageError, load_units, tmp_path / "没有.csv", "找不到")
    empty = tmp_path / "空.csv"
    empty.write_bytes(b"")
    refused(UsageError, load_units, empty, "空")
    bom_only = tmp_path / "只有BOM.csv"
    bom_only.write_bytes(b"\xef\xbb\xbf\r\n")
    refused(UsageError, load_units, bom_only, "空")
    no_unit = tmp_path / "没有单位列.csv"
    no_unit.write_text("名称,上级\n甲,乙\n", encoding="utf-8")
    refused(UsageError, load_units, no_unit, "单位", "名称")
    no_dept = tmp_path / "没有部门列.csv"
    no_dept.write_text("单位,编码\n甲,1\n", encoding="utf-8")
    refused(UsageError, load_units, no_dept, "主管部门")
    header_only = tmp_path / "只有表头.csv"
    header_only.write_text("单位,主管部门\n", encoding="utf-8")
    refused(UsageError, load_units, header_only, "表头")
    refused(UsageError, load_units, sparse(tmp_path / "大.csv", 21 * 2**20), "20 MB")
    many = tmp_path / "太多行.csv"
    many.write_text("单位,主管部门\n" + "".join(f"单位{i},部门\n" for i in range(100_001)), encoding="utf-8")
    refused(UsageError, load_units, many, "100000")
    binary = tmp_path / "二进制.csv"
    binary.write_bytes(b"\x00\x01\x02\x03\xff\xfe\x00\x00" * 10)
    refused(UsageError, load_units, binary)
    broken = tmp_path / "坏表.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    refused(UsageError, load_units, broken)
    assert UsageError.exit_code == EXIT_USAGE


def test_units_xlsx_with_too_many_rows(tmp_path):
    import xlsxwriter

    path = tmp_path / "大名单.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["单位", "主管部门"])
    ws.write_row(200_000, 0, ["最后", "一个"])
    wb.close()
    refused(UsageError, load_units, path, "100000")


def test_units_csv_field_too_large(tmp_path):
    path = tmp_path / "超长.csv"
    path.write_text('单位,主管部门\n"' + "长" * 200_000 + '",部门\n', encoding="utf-8")
    refused(UsageError, load_units, path)

