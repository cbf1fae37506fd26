"""The hostile-input corpus (tests/hostile/make.py) through the real command line.

Every case: the exact exit code of the contract, the Chinese words its message must hold
(the file's name among them), no traceback and no English exception text, the inputs
untouched, no temporary file left beside an output, and for the heavy cases a peak
memory under 500 MB.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
from make import build  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
_ENGLISH = re.compile(r"Traceback|Error:|Exception|panicked|Usage:|Try '|Invalid value|No such")

# Run one command and report its exit code, output and the peak memory of everything it ran.
_MEASURE = r"""
import json, resource, subprocess, sys
p = subprocess.run(sys.argv[1:], capture_output=True)
print(json.dumps({"rc": p.returncode, "out": p.stdout.decode("utf-8", "replace"),
                  "err": p.stderr.decode("utf-8", "replace"),
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile")
    return out, {c.id: c for c in build(out)}


def _digests(folder: Path) -> dict[str, str]:
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def run_case(folder: Path, case) -> dict:
    argv = [a.replace("{dir}", str(folder)) for a in case.argv]
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="120", GRIDBUDGET_LOG_DIR=str(folder / "logs"))
    p = subprocess.run([sys.executable, "-c", _MEASURE, sys.executable, "-m", "gridbudget.cli", *argv],
                       capture_output=True, env=env, cwd=folder, timeout=300)
    return json.loads(p.stdout)




def _ids() -> list[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return [c.id for c in build(Path(tmp))]


@pytest.mark.parametrize("cid", _ids())
def test_hostile_case(corpus, cid):
    folder, cases = corpus
    case = cases[cid]
    inputs_before = _digests(folder)
    res = run_case(folder, case)
    text = res["out"] + res["err"]
    assert res["rc"] == case.rc, f"{cid}: exit {res['rc']} (expected {case.rc})\n{text[-3000:]}"
    assert not _ENGLISH.search(text), f"{cid}: English or traceback in the output\n{text[-3000:]}"
    for words in case.says:
        assert words in text, f"{cid}: «{words}» not in\n{text[-3000:]}"
    for name in case.outputs:
        assert (folder / name).is_file(), f"{cid}: {name} not written"
    for name in case.no_outputs:
        assert not (folder / name).exists(), f"{cid}: {name} written"
    after = _digests(folder)
    for path, digest in inputs_before.items():
        assert after.get(path) == digest, f"{cid}: input {path} changed"
    assert not [p for p in folder.rglob("*.tmp")], f"{cid}: a temporary file was left"
    if case.heavy:
        assert res["maxrss_kb"] < 500 * 1024, f"{cid}: peak memory {res['maxrss_kb'] // 1024} MB"


def test_zip_members_are_listed_with_their_real_names(corpus):
    folder, cases = corpus
    res = run_case(folder, cases["zip-members"])
    assert res["rc"] == 2
    summary = json.loads((folder / "zip-汇总.json").read_text(encoding="utf-8"))
    names = [u["file"] for u in summary["units"]] + [f["file"] for f in summary["failures"]]
    assert any(n.endswith("!单位B（GBK）.xlsx") for n in names), names        # not cp437 mojibake
    assert any("（第 2 个同名文件）" in n for n in names), names               # both duplicates read
    nested = [f for f in summary["failures"] if f["file"].endswith("嵌套.zip")]
    assert nested and "压缩包中又有压缩包" in nested[0]["reason"]
    assert not any(n.endswith("说明.docx") for n in names)


def test_a_folder_mixing_good_files_with_every_hostile_file(corpus, tmp_path):
    """summarize finishes on a folder holding the seed and every hostile workbook, lists each
    bad one, and stays within its limits."""
    folder, _cases = corpus
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for p in folder.iterdir():
        if p.is_file() and p.suffix.lower() in (".xlsx", ".xls", ".et", ".ods", ".zip"):
            (mixed / p.name).write_bytes(p.read_bytes())
    (mixed / "good.xlsx").write_bytes((ROOT / "examples" / "junshan-2024.xlsx").read_bytes())
    out = tmp_path / "汇总.json"
    res = run_case(tmp_path, type("C", (), {"argv": ["summarize", str(mixed), "-o", str(out), "--format", "json",
                                                     "--timeout", "20", "--jobs", "2"]})())
    text = res["out"] + res["err"]
    assert res["rc"] == 2, text
    assert not _ENGLISH.search(text), text
    summary = json.loads(out.read_text(encoding="utf-8"))
    failed = {Path(f["file"].split("!")[0]).name for f in summary["failures"]}
    for bad in ("ods-repeat-bomb.ods", "encrypted.xlsx", "truncated.xlsx", "doctype.xlsx", "empty.xlsx",
                "report.xlsx", "zip-bomb-part.xlsx", "corrupt-member.zip", "bomb-member.zip"):
        assert bad in failed, (bad, sorted(failed))
    read = {Path(u["file"]).name for u in summary["units"] if u.get("unit")}
    assert "good.xlsx" in read and "surrogate-control.xlsx" in read
    assert res["maxrss_kb"] < 500 * 1024


def test_an_internal_error_prints_a_message_and_writes_a_log(tmp_path, monkeypatch, capsys):
    from gridbudget import cli
    from gridbudget.write import template

    def boom(*_a, **_k):
        raise RuntimeError("simulated bug")

    monkeypatch.setenv("GRIDBUDGET_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(template, "write_template", boom)
    rc = cli.run(["template", "-o", str(tmp_path / "t.xlsx")])
    err = capsys.readouterr().err
    assert rc == 4
    assert "程序内部出错" in err and "Traceback" not in err
    logs = list((tmp_path / "logs").iterdir())
    assert len(logs) == 1 and str(logs[0]) in err
    assert "simulated bug" in logs[0].read_text(encoding="utf-8")
