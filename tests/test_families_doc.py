"""docs/families.md is generated from gridbudget/forms/families.py and must be current."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from gridbudget.forms import families

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("families_doc", ROOT / "scripts" / "families_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_doc_is_current():
    text = _generator().render_markdown()
    committed = (ROOT / "docs" / "families.md").read_text(encoding="utf-8")
    assert committed == text, "docs/families.md is out of date: run python3 scripts/families_doc.py"


def test_every_family_is_documented():
    text = _generator().render_markdown()
    for f in families.FAMILIES:
        assert f"`{f.key}`" in text, f.key
        assert f.name in text, f.name
        if f.example:
            assert f"families/{f.key}.png" in text, f.key
            assert (ROOT / "docs" / "families" / f"{f.key}.png").is_file(), f.key


def test_check_mode_flags_a_stale_doc(tmp_path, monkeypatch):
    gen = _generator()
    stale = tmp_path / "families.md"
    stale.write_text("# old\n", encoding="utf-8")
    monkeypatch.setattr(gen, "DOC", stale)
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    assert gen.main(["--check"]) == 1
    stale.write_text(gen.render_markdown(), encoding="utf-8")
    assert gen.main(["--check"]) == 0
