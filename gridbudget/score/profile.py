"""Scoring profiles: data files (TOML) that say how points are recomputed and judged.

A profile is looked up by name among the packaged ones (``gridbudget/score/profiles/*.toml``)
or read from a path. See ``docs/profiles.md`` for every key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..forms.families import Family

PROFILE_DIR = Path(__file__).with_name("profiles")
DEFAULT_PROFILE = "national-2020"


@dataclass(frozen=True)
class Standards:
    """Standard points of one table: the execution rate (None: funds not scored), each 一级, the total."""

    exec_rate: Decimal | None
    levels: dict[str, Decimal]
    total: Decimal


class ProfileError(ValueError):
    """A profile that cannot be found or read (Chinese message)."""


def available_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return out


@dataclass
class Profile:
    name: str
    data: dict[str, Any]
    path: str = ""
    _words: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        q = self.data.get("qualitative", {})
        for band in ("missed", "partial", "achieved"):
            for w in q.get(f"{band}_words", []):
                self._words.setdefault(w, band)

    # -- values --------------------------------------------------------------
    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self.data.get(section, {}).get(key, default)

    @property
    def title(self) -> str:
        return self.get("profile", "title", self.name)

    def covers(self, family: str) -> bool:
        """The profile's weights apply to this table family (``[profile] families``; all when unset)."""
        listed = self.get("profile", "families")
        return listed is None or family in listed

    def standards(self, fam: Family) -> Standards:
        """The standard points of a table of family ``fam``: the profile's ``[weights]`` for the
        families it covers, the family's own points (forms/families.py) for any other."""
        own = not self.covers(fam.key)
        exec_rate = None if fam.funds_weight is None else (
            Decimal(fam.funds_weight) if own else self.weight("exec_rate"))
        levels = {k: Decimal(w) if own else self.weight(k) for k, w in fam.level_weights}
        return Standards(exec_rate, levels, Decimal(fam.total) if own else self.weight("total"))

    def weight(self, key: str) -> Decimal:
        return Decimal(str(self.get("weights", key, 0)))

    @property
    def amount_tolerance(self) -> Decimal:
        return Decimal(str(self.get("tolerance", "amount", "0.01")))

    @property
    def score_tolerance(self) -> Decimal:
        return Decimal(str(self.get("tolerance", "score", "0.01")))

    @property
    def over_ratio(self) -> Decimal:
        return Decimal(str(self.get("indicators", "over_achievement_ratio", "1.3")))

    @property
    def explain_below(self) -> Decimal:
        return Decimal(str(self.get("exec_rate", "explain_below", 90)))

    def band_of_word(self, text: str) -> str | None:
        """'achieved' | 'partial' | 'missed' for a qualitative result, None when unknown.

        The longest listed word contained in the text decides, so 部分达成 beats 达成
        and 未完成 beats 完成.
        """
        best, best_len = None, 0
        for w, band in self._words.items():
            if w in text and len(w) > best_len:
                best, best_len = band, len(w)
        return best

    def band_range(self, band: str) -> tuple[Decimal, Decimal]:
        lo, hi = self.get("qualitative", band, [0, 1])
        return Decimal(str(lo)), Decimal(str(hi))

    def round(self, x: Decimal) -> Decimal:
        places = int(self.get("rounding", "places", 2))
        mode = ROUND_DOWN if self.get("rounding", "mode", "half_up") == "truncate" else ROUND_HALF_UP
        return x.quantize(Decimal(1).scaleb(-places), rounding=mode)

    def grade(self, total: Decimal | None) -> str:
        if total is None:
            return ""
        for name, low in self.get("grades", "bands", [["优", 90], ["良", 80], ["中", 60], ["差", 0]]):
            if total >= Decimal(str(low)):
                return name
        return self.get("grades", "bands")[-1][0] if self.get("grades", "bands") else ""



@lru_cache(maxsize=32)
def _load_file(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ProfileError(f"找不到评分方案文件 {path}。") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"评分方案文件 {path} 格式有误：{exc}") from None


_LOADED: dict[str, Profile] = {}


def load_profile(name_or_path: str | None = None) -> Profile:
    """A packaged profile by name, or a TOML file; a file may say ``extends = "national-2020"``.

    Profiles are read once per process and shared (treat them as read-only).
    """
    key = name_or_path or DEFAULT_PROFILE
    hit = _LOADED.get(key)
    if hit is not None and (not hit.path or Path(hit.path).exists()):
        return hit
    prof = _load_profile(key)
    _LOADED[key] = prof
    return prof


def _load_profile(name_or_path: str) -> Profile:
    p = Path(name_or_path)
    if p.suffix.lower() == ".toml" or p.exists():
        data = _load_file(str(p))
        path = str(p)
    else:
        f = PROFILE_DIR / f"{name_or_path}.toml"
        if not f.exists():
            raise ProfileError(f"没有名为“{name_or_path}”的评分方案；可用：{'、'.join(available_profiles())}，"
                               "或给出 .toml 文件路径。")
        data = _load_file(str(f))
        path = str(f)
    base_name = data.get("profile", {}).get("extends") or data.get("extends")
    if base_name:
        base = load_profile(base_name)
        data = _merge(base.data, data)
    name = data.get("profile", {}).get("name") or p.stem
    return Profile(name, data, path)
