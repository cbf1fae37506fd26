"""Figures stated in the self-evaluation report's text, compared with the tables (RULES V13).

The report prose restates the tables (整体支出, 基本支出, 项目支出, 公用经费, 三公经费 and
its items, 编制数/实有人数, the self-score). Each statement is found by its label followed
closely by a number and a unit; whether a 三公 figure is the budget or the outturn is
decided by its sentence (预算 … versus 实际完成/决算/支出 …).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterator

from ..model import Submission, Val
from ..read.values import normalize_text

_NUM = r"(\d+(?:\.\d+)?)"
_GAP = r"[^0-9。；;，,\n]{0,8}?"


@dataclass(frozen=True)
class Statement:
    label: str           # what the text says, e.g. 公务接待费
    value: Decimal
    unit: str            # 万元 | 人 | 分 | %
    line: int            # 1-based line of the report
    excerpt: str         # the words around it
    column: str          # "budget" | "final" (for 三公 items), "" otherwise
    target: str          # what it is compared with (see TARGETS)


# (target, label regex, unit); order matters: longer labels first
TARGETS: tuple[tuple[str, str, str], ...] = (
    ("car", r"公务用车购置(?:及|和)(?:运行|维护)(?:费|经费)?", "万元"),
    ("car_operation", r"公务用车运行(?:维护)?费", "万元"),
    ("reception", r"公务接待(?:费)?", "万元"),
    ("abroad", r"因公出国(?:（境）|\(境\))?(?:费|经费)?|出国经费", "万元"),
    ("sangong", r"[“\"]?三公[”\"]?经费", "万元"),
    ("public", r"公用(?:经费|支出)", "万元"),
    ("basic", r"基本支出", "万元"),
    ("project", r"项目支出(?:合计)?", "万元"),
    ("total", r"整体支出(?:合计)?|支出总额|总支出", "万元"),
    ("staff_authorized", r"(?:人员)?编制(?:数)?", "人"),
    ("staff_actual", r"实有人数|实际在职人数|在职人数", "人"),
    ("self_score", r"(?:打分|自评)?得出结果为|自评得分(?:为)?|自评总分(?:为)?", "分"),
)
_UNIT_RE = {"万元": r"\s*万元", "人": r"\s*人", "分": r"\s*分"}
_BUDGET_WORDS = ("预算",)
_FINAL_WORDS = ("实际", "完成", "决算", "支出")


def read_report(path: str | Path) -> str:
    """The text of a report: .txt (UTF-8 or GB18030) or .docx (paragraph text)."""
    p = Path(path)
    data = p.read_bytes()
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(p) as zf:
            xml = zf.read("word/document.xml").decode("utf-8", "replace")
        xml = re.sub(r"</w:p>", "\n", xml)
        return re.sub(r"<[^>]+>", "", xml)
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


def _column(sentence_before: str) -> str:
    """预算 or 决算 by the last such word before the figure in its sentence."""
    last_b = max((sentence_before.rfind(w) for w in _BUDGET_WORDS), default=-1)
    last_f = max((sentence_before.rfind(w) for w in _FINAL_WORDS), default=-1)
    return "budget" if last_b > last_f else "final"


def statements(text: str) -> Iterator[Statement]:
    lines = text.splitlines()
    for ln, raw in enumerate(lines, start=1):
        line = normalize_text(raw)
        taken: list[tuple[int, int]] = []
        for target, label, unit in TARGETS:
            for m in re.finditer(f"(?:{label}){_GAP}{_NUM}{_UNIT_RE[unit]}", line):
                if any(a <= m.start() < b for a, b in taken):
                    continue
                taken.append((m.start(), m.end()))
                start = max(line.rfind(p, 0, m.start()) for p in ("。", "；", ";")) + 1
                yield Statement(m.group(0), Decimal(m.group(1)), unit, ln, line[max(0, m.start() - 12):m.end()],
                                _column(line[start:m.start(1)]), target)


def _basic(sub: Submission, key: str) -> Val | None:
    return sub.basic.fields.get(key) if sub.basic is not None else None


def _overall(sub: Submission, key: str) -> Val | None:
    return sub.overall.fields.get(key) if sub.overall is not None else None


def table_value(sub: Submission, st: Statement, self_total: Decimal | None) -> tuple[Decimal | None, Val | None]:
    """The tables' figure for a statement, and the cell to point at."""
    getters: dict[str, Callable[[], Val | None]] = {
        "total": lambda: _overall(sub, "funds.total.executed"),
        "basic": lambda: _overall(sub, "expense.basic"),
        "project": lambda: _overall(sub, "expense.project"),
        "public": lambda: _basic(sub, "public.final"),
        "staff_authorized": lambda: _basic(sub, "staff.authorized"),
        "staff_actual": lambda: _basic(sub, "staff.actual"),
    }
    if st.target == "self_score":
        v = _overall(sub, "total.score")
        return self_total, v
    if st.target in ("sangong", "car", "car_operation", "reception", "abroad"):
        v = _basic(sub, f"{st.target}.{st.column}")
        if st.target == "sangong" and (v is None or v.amount_value() is None):
            parts = [_basic(sub, f"{k}.{st.column}") for k in ("car", "abroad", "reception")]
            vals = [p.amount_value() for p in parts if p is not None and p.amount_value() is not None]
            return (sum(vals, Decimal(0)) if vals else None), v
        if v is None:
            return None, None
        return (v.amount_value() if v.amount_value() is not None else Decimal(0)), v
    v = getters[st.target]()
    if v is None:
        return None, None
    if st.unit == "人":
        return v.number_value(), v
    return v.amount_value(), v
