"""Scoring profiles are validated completely when loaded; every fault is a ProfileError (exit 3)
whose Chinese message names the file and the key."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from gridbudget.errors import EXIT_USAGE, UsageError
from gridbudget.score import profile as profile_mod
from gridbudget.score.profile import ProfileError, available_profiles, load_profile
from helpers import EXAMPLE_XLSX, ROOT

D = Decimal
EXTENDS = '[profile]\nextends = "national-2020"\n'


def write(tmp_path: Path, text: str | bytes, name: str = "my.toml") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def refused(path: str, *fragments: str) -> ProfileError:
    """Loading ``path`` raises exactly ProfileError; its message names the file and each fragment."""
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    exc = info.value
    assert type(exc) is ProfileError
    assert isinstance(exc, UsageError) and isinstance(exc, ValueError) and exc.exit_code == EXIT_USAGE
    msg = str(exc)
    assert Path(path).name in msg, msg
    for frag in fragments:
        assert frag in msg, (frag, msg)
    assert re.search(r"[\u4e00-\u9fff]", msg)
    return exc


# ---------------------------------------------------------------------------
# the packaged profiles
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", available_profiles())
def test_packaged_profiles_load(name):
    p = load_profile(name)
    assert p.name == name and p.path.endswith(f"{name}.toml")


def test_packaged_values_unchanged():
    p = load_profile()
    assert (p.amount_tolerance, p.score_tolerance, p.over_ratio, p.explain_below) == (D("0.01"), D("0.01"), D("1.3"), D(90))
    assert [p.weight(k) for k in ("exec_rate", "output", "benefit", "satisfaction", "total")] == [10, 50, 30, 10, 100]
    v = load_profile("vendor-pmkpi")
    assert v.get("exec_rate", "mode") == "uncapped_linear" and v.grade(D(85)) == "优"
    assert v.weight("output") == D(50) and v.title == "省级系统口径（pmkpi）"
    # the provincial rules: off in the national profile, on in provincial-caps
    assert (p.get("exec_rate", "total_caps"), p.over_deduction, p.ahead_margin) == ([], D(0), D(0))
    c = load_profile("provincial-caps")
    assert c.get("exec_rate", "total_caps") == [[80, 100], [70, 89], [60, 79], [50, 69], [0, 59]]
    assert (c.over_deduction, c.ahead_margin, c.over_ratio) == (D(2), D("0.05"), D("1.3"))
    assert c.get("exec_rate", "mode") == "capped_linear" and c.grade(D(85)) == "良" and c.title.startswith("省级一体化")


def test_schema_comes_from_the_default_profile_and_matches_the_docs():
    """Every key docs/profiles.md documents is allowed, and nothing else."""
    allowed = profile_mod.allowed_keys()
    schema = profile_mod._schema()
    documented: dict[str, set[str]] = {}
    section = None
    for line in (ROOT / "docs" / "profiles.md").read_text(encoding="utf-8").split("## 全部设置", 1)[1].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0].startswith("---") or cells[0] == "节":
            continue
        if cells[0]:
            section = cells[0].strip("`[]")
        documented.setdefault(section, set()).update(re.findall(r"`([A-Za-z_0-9]+)`", cells[1]))
    documented.pop("rules")                                   # keyed by rule codes
    items = documented.pop("rubric.items")
    assert items == set(schema["rubric"]["items"])
    assert documented == {s: set(k) for s, k in allowed.items() if s not in ("rules", "rubric")}
    # every explicit shape is for a key the default profile sets
    for sect, key in profile_mod._SHAPES:
        head, _, sub = sect.partition(".")
        assert key in (schema[head][sub] if sub else schema[head]), (sect, key)
    # every choice a shape allows is documented
    text = (ROOT / "docs" / "profiles.md").read_text(encoding="utf-8")
    for check in profile_mod._SHAPES.values():
        for option in getattr(check, "options", ()):
            assert f"`{option}`" in text or option in ("<", ">", "="), option


# ---------------------------------------------------------------------------
# faults in values
# ---------------------------------------------------------------------------
def test_severity_typo(tmp_path):
    path = write(tmp_path, EXTENDS + '[rules]\n"W-EXEC-RATE" = "warn"\n')
    exc = refused(path, '[rules] "W-EXEC-RATE" = "warn"',
                  "级别只能是 error、warning、info 或 off（错误/警告/提示/关闭）")
    assert str(exc) == (f'评分方案 {path} 的 [rules] "W-EXEC-RATE" = "warn"：'
                        "级别只能是 error、warning、info 或 off（错误/警告/提示/关闭）")


@pytest.mark.parametrize("value", ['"Error"', '"错误"', '"warnings"', "1", "true", '""'])
def test_only_the_spellings_the_engine_understands(tmp_path, value):
    refused(write(tmp_path, EXTENDS + f'[rules]\n"X-UNIT-NAME" = {value}\n'), '[rules] "X-UNIT-NAME"', "级别只能是")


@pytest.mark.parametrize("value", ["error", "warning", "info", "off"])
def test_the_four_severities_load(tmp_path, value):
    p = load_profile(write(tmp_path, EXTENDS + f'[rules]\n"X-UNIT-NAME" = "{value}"\n'))
    assert p.data["rules"] == {"X-UNIT-NAME": value}


def test_unknown_rule_code(tmp_path):
    refused(write(tmp_path, EXTENDS + '[rules]\n"W-EXEC-RAET" = "off"\n'),
            '[rules] "W-EXEC-RAET"', "没有这条审核规则", "W-EXEC-RATE")


def test_unknown_key_and_section(tmp_path):
    exc = refused(write(tmp_path, EXTENDS + "[weights]\noutptu = 50\n"), "未知的键 [weights] outptu", "output")
    assert str(exc).startswith(f"评分方案 {tmp_path / 'my.toml'}：未知的键 [weights] outptu")
    refused(write(tmp_path, EXTENDS + "[weight]\noutput = 50\n", "s.toml"), "未知的节 [weight]", "weights")
    refused(write(tmp_path, 'name = "x"\n', "t.toml"), "未知的键 name", "[profile]")
    refused(write(tmp_path, EXTENDS + "weights = 5\n", "u.toml"), "[profile] weights")
    refused(write(tmp_path, 'weights = 5\n' + EXTENDS, "v.toml"), "[weights] 应为一节")


@pytest.mark.parametrize("section,key,value,expected", [
    ("tolerance", "amount", '"abc"', '[tolerance] amount 应为数字，实为 "abc"'),
    ("tolerance", "score", "[0.01]", "[tolerance] score 应为数字"),
    ("tolerance", "amount", "nan", "[tolerance] amount = nan：应为有限的数字"),
    ("indicators", "over_achievement_ratio", "inf", "[indicators] over_achievement_ratio = inf：应为有限的数字"),
    ("weights", "output", "-5", "[weights] output = -5：不能为负数"),
    ("weights", "total", "true", "[weights] total 应为数字，实为 true"),
    ("weights", "exec_rate", '"十"', '[weights] exec_rate 应为数字，实为 "十"'),
    ("exec_rate", "explain_below", '"Infinity"', '[exec_rate] explain_below = "Infinity"：应为有限的数字'),
    ("exec_rate", "mode", '"capped"', '[exec_rate] mode = "capped"：只能是 capped_linear、uncapped_linear 或 tiered'),
    ("exec_rate", "tiers", "[[90, 0.6], [100, 1.0]]", "[exec_rate] tiers = [[90, 0.6], [100, 1.0]]：各档应按执行率下限从高到低"),
    ("exec_rate", "tiers", "[[100, 1.5]]", "第 1 档的得分比例 1.5 不能超过 1"),
    ("exec_rate", "tiers", '[[100, "x"]]', '第 1 档的得分比例应为数字，实为 "x"'),
    ("exec_rate", "tiers", "[]", "[exec_rate] tiers 应为非空的分档列表"),
    ("indicators", "reverse", '"linear"', '[indicators] reverse = "linear"：只能是 linear_to_double 或 proportional'),
    ("exec_rate", "total_caps", "[[60, 79], [70, 89], [0, 59]]",
     "[exec_rate] total_caps = [[60, 79], [70, 89], [0, 59]]：各档应按执行率下限从高到低排列"),
    ("exec_rate", "total_caps", "[[80, 100], [70]]", "[exec_rate] total_caps 应为分档列表 [[执行率下限（%）, 总分上限], …]"),
    ("exec_rate", "total_caps", "[80, 100]", "[exec_rate] total_caps 应为分档列表"),
    ("exec_rate", "total_caps", "79", "[exec_rate] total_caps 应为分档列表"),
    ("exec_rate", "total_caps", "[[80, 100], [70, 89, 1], [0, 59]]", "[exec_rate] total_caps 应为分档列表"),
    ("exec_rate", "total_caps", "[[80, 79], [0, 89]]", "第 2 档的总分上限 89 高于上一档：执行率越低，上限不能越高"),
    ("exec_rate", "total_caps", "[[80, 100], [70, 89]]", "[exec_rate] total_caps = [[80, 100], [70, 89]]：最后一档的执行率下限应为 0"),
    ("exec_rate", "total_caps", '[[80, "百"], [0, 59]]', '第 1 档的总分上限应为数字，实为 "百"'),
    ("exec_rate", "total_caps", "[[80, 100], [-1, 59]]", "第 2 档的执行率下限 -1 不能为负数"),
    ("exec_rate", "ahead_of_spending", "5", "[exec_rate] ahead_of_spending = 5：应为 0 到 1 之间的比例（0.05 表示 5%）"),
    ("exec_rate", "ahead_of_spending", '"5%"', '[exec_rate] ahead_of_spending 应为数字，实为 "5%"'),
    ("indicators", "over_achievement_deduction", "-2", "[indicators] over_achievement_deduction = -2：不能为负数"),
    ("indicators", "over_achievement_deduction", '"两分"', '[indicators] over_achievement_deduction 应为数字，实为 "两分"'),
    ("indicators", "bare_target_cost", '"≤"', "[indicators] bare_target_cost"),
    ("qualitative", "partial", "[0.8, 0.6]", "[qualitative] partial = [0.8, 0.6]：下限不能大于上限"),
    ("qualitative", "achieved", "[0.8, 1.2]", "上限不能超过 1"),
    ("qualitative", "missed", "0.6", "[qualitative] missed 应为[下限, 上限]"),
    ("qualitative", "achieved_words", '"达成"', '[qualitative] achieved_words 应为文字列表'),
    ("qualitative", "missed_words", '["未达成", ""]', "列表中不能有空文字"),
    ("rounding", "places", "2.5", "[rounding] places 应为整数，实为 2.5"),
    ("rounding", "places", "-1", "保留位数应在 0 到 10 之间"),
    ("rounding", "mode", '"round_half_up"', "[rounding] mode"),
    ("grades", "bands", '[["良", 80], ["优", 90]]', '[grades] bands = [["良", 80], ["优", 90]]：各档应按下限从高到低排列'),
    ("grades", "bands", '[["优"], ["良", 80]]', "[grades] bands 应为非空的等级列表"),
    ("grades", "bands", '[[90, "优"]]', "第 1 档的等级应为文字，实为 90"),
    ("grades", "bands", '[["优", 90], ["优", 80]]', '等级 "优" 重复'),
    ("grades", "bands", '[["优", "九十"]]', '第 1 档（优）的下限应为数字，实为 "九十"'),
    ("grades", "bands", "[]", "[grades] bands 应为非空的等级列表"),
    ("profile", "title", "1", "[profile] title 应为文字"),
])
def test_bad_values(tmp_path, section, key, value, expected):
    body = f"{key} = {value}\n" if section == "profile" else f"[{section}]\n{key} = {value}\n"
    refused(write(tmp_path, EXTENDS + body), expected)


def test_families(tmp_path):
    refused(write(tmp_path, EXTENDS + 'families = "central-2020"\n'), "[profile] families 应为表式列表")
    refused(write(tmp_path, EXTENDS + 'families = ["centrl-2020"]\n', "b.toml"),
            '[profile] families = ["centrl-2020"]：没有表式 "centrl-2020"', "central-2020")
    p = load_profile(write(tmp_path, EXTENDS + 'families = ["grid-2021"]\n', "c.toml"))
    assert p.covers("grid-2021") and not p.covers("central-2020")


def test_rubric_items(tmp_path):
    exc = refused(write(tmp_path, EXTENDS + '[[rubric.items]]\ngroup = "a"\nmax = "x"\nauto = "nope"\nfoo = 1\n'),
                  "[[rubric.items]] 第 1 项 max 应为数字", '[[rubric.items]] 第 1 项 auto = "nope"',
                  "未知的键 [[rubric.items]] 第 1 项 foo", "缺少键 [[rubric.items]] 第 1 项 name")
    assert len(exc.faults) == 4 and str(exc) == "\n".join(exc.faults)
    refused(write(tmp_path, EXTENDS + "[rubric]\nitems = 3\n", "b.toml"), "[rubric] items 应为一组表")
    p = load_profile(write(tmp_path, EXTENDS + "[rubric]\nitems = []\n", "c.toml"))
    assert p.data["rubric"]["items"] == []


def test_every_fault_is_listed(tmp_path):
    exc = refused(write(tmp_path, EXTENDS + '[weights]\noutput = -1\noutptu = 1\n[rules]\n"X-UNIT-NAME" = "warn"\n'),
                  "[weights] output", "[weights] outptu", '"X-UNIT-NAME"')
    assert len(exc.faults) == 3


# ---------------------------------------------------------------------------
# files and extends
# ---------------------------------------------------------------------------
def test_empty_file(tmp_path):
    refused(write(tmp_path, ""), "是空文件", "extends")


def test_profile_that_extends_nothing_sets_every_weight(tmp_path):
    refused(write(tmp_path, '[profile]\nname = "s"\n[weights]\noutput = 50\n'),
            "缺少键 [weights] exec_rate、benefit、satisfaction、total", "缺少键 [qualitative] achieved")
    full = (ROOT / "gridbudget" / "score" / "profiles" / "national-2020.toml").read_text(encoding="utf-8")
    p = load_profile(write(tmp_path, full.replace('name = "national-2020"', 'name = "copy"'), "copy.toml"))
    assert p.name == "copy" and p.weight("output") == D(50)


def test_tiered_needs_tiers(tmp_path):
    base = write(tmp_path, (ROOT / "gridbudget" / "score" / "profiles" / "national-2020.toml").read_text(
        encoding="utf-8").replace("tiers = ", "# tiers = ").replace('name = "national-2020"', 'name = "b"'), "b.toml")
    assert load_profile(base).get("exec_rate", "tiers") is None
    refused(write(tmp_path, f'[profile]\nextends = "{base}"\n[exec_rate]\nmode = "tiered"\n'),
            "缺少键 [exec_rate] tiers")


def test_toml_syntax_error(tmp_path):
    refused(write(tmp_path, "[profile]\nname = \n"), "不是有效的 TOML", "第 2 行")


def test_not_utf8(tmp_path):
    refused(write(tmp_path, '[profile]\nname = "某市"\n'.encode("gbk")), "不是 UTF-8 编码")


def test_byte_order_mark_is_fine(tmp_path):
    p = load_profile(write(tmp_path, ("\ufeff" + EXTENDS + 'name = "某市"\n').encode("utf-8")))
    assert p.name == "某市"


def test_directory(tmp_path):
    d = tmp_path / "dir.toml"
    d.mkdir()
    refused(str(d), "是文件夹")
    refused(str(tmp_path), "是文件夹")


def test_unreadable(tmp_path, monkeypatch):
    path = write(tmp_path, EXTENDS)
    real = Path.read_bytes

    def deny(self):
        if str(self) == path:
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    refused(path, "无法读取", "没有读取权限")


def test_missing_file_and_name(tmp_path):
    refused(str(tmp_path / "nope.toml"), "找不到评分方案文件")
    with pytest.raises(ProfileError, match="没有名为“nope”的评分方案"):
        load_profile("nope")


def test_extends_unknown(tmp_path):
    refused(write(tmp_path, '[profile]\nextends = "nat-2020"\n'), '[profile] extends = "nat-2020"', "没有名为")
    refused(write(tmp_path, '[profile]\nextends = "missing.toml"\n', "b.toml"),
            '[profile] extends = "missing.toml"', "找不到评分方案文件")
    refused(write(tmp_path, "[profile]\nextends = 3\n", "c.toml"), "[profile] extends 应为文字")
    refused(write(tmp_path, 'extends = "national-2020"\n[profile]\nextends = "national-2020"\n', "d.toml"),
            "extends 写了两处")


def test_extends_loop(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(f'[profile]\nextends = "{b}"\n', encoding="utf-8")
    b.write_text(f'[profile]\nextends = "{a}"\n', encoding="utf-8")
    refused(str(a), "继承关系成环", "[profile] extends", "b.toml")
    refused(write(tmp_path, f'[profile]\nextends = "{tmp_path / "self.toml"}"\n', "self.toml"), "继承关系成环")


def test_extends_beside_the_file_and_faults_of_the_base(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    write(sub, EXTENDS + '[tolerance]\namount = "abc"\n', "base.toml")
    child = write(sub, '[profile]\nextends = "base.toml"\n', "child.toml")
    refused(child, "base.toml", '[tolerance] amount 应为数字，实为 "abc"')    # the base's own fault, named by it
    write(sub, EXTENDS + "[tolerance]\namount = 0.05\n", "base2.toml")
    p = load_profile(write(sub, '[profile]\nextends = "base2.toml"\n', "child2.toml"))
    assert p.amount_tolerance == D("0.05") and p.weight("output") == D(50)


def test_top_level_extends_still_accepted(tmp_path):
    p = load_profile(write(tmp_path, 'extends = "vendor-pmkpi"\n[tolerance]\nscore = 0.02\n'))
    assert p.get("exec_rate", "mode") == "uncapped_linear" and p.score_tolerance == D("0.02")


def test_name_and_title_are_not_inherited(tmp_path):
    p = load_profile(write(tmp_path, EXTENDS))
    assert p.name == "my" and p.title == "my"
    assert p.covers("central-2020") and not p.covers("sichuan-10-90")         # families are inherited
    p = load_profile(write(tmp_path, EXTENDS + 'name = "某市"\ntitle = "某市口径"\n', "b.toml"))
    assert (p.name, p.title) == ("某市", "某市口径")


def test_numbers_convert_as_before(tmp_path):
    p = load_profile(write(tmp_path, EXTENDS + '[tolerance]\namount = "0.05"\nscore = 1\n[weights]\noutput = 49.5\n'
                           '[rounding]\nplaces = "1"\n'))
    assert p.amount_tolerance == D("0.05") and p.score_tolerance == D(1) and p.weight("output") == D("49.5")
    assert p.round(D("1.25")) == D("1.3")


def test_loading_the_default_does_not_import_the_rules():
    code = ("import sys; from gridbudget.score.profile import load_profile; load_profile(); "
            "load_profile('vendor-pmkpi'); print('gridbudget.check.rules' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------
# the command line: exit code 3 and the message, never a traceback
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    (EXTENDS + '[rules]\n"W-EXEC-RATE" = "warn"\n', '[rules] "W-EXEC-RATE" = "warn"：级别只能是'),
    (EXTENDS + '[tolerance]\namount = "abc"\n', '[tolerance] amount 应为数字，实为 "abc"'),
    ("[profile\n", "不是有效的 TOML"),
])
def test_cli_validate_refuses_a_bad_profile(tmp_path, text, expected):
    bad = write(tmp_path, text, "bad.toml")
    out = subprocess.run([sys.executable, "-m", "gridbudget.cli", "validate", str(EXAMPLE_XLSX), "--profile", bad],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == EXIT_USAGE, out.stderr
    assert expected in out.stderr and "bad.toml" in out.stderr
    assert "Traceback" not in out.stderr


def test_total_caps_off_and_on(tmp_path):
    p = load_profile(write(tmp_path, EXTENDS + "[exec_rate]\ntotal_caps = []\n"))
    assert p.total_cap(D(10)) is None
    p = load_profile(write(tmp_path, EXTENDS + '[exec_rate]\ntotal_caps = [[90, "100"], [0, 80.5]]\n', "b.toml"))
    assert p.total_cap(D("89.995")) == (D(90), D(100)) and p.total_cap(D("89.99")) == (D(0), D("80.5"))
