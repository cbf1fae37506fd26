"""Batch work: find the submissions, read, validate and score each in isolation.

Each file is handled by :func:`process_one` (in a worker process when ``jobs > 1``),
under a time limit, and comes back as a small picklable :class:`UnitResult`; a file
that cannot be read becomes a result with ``read_error`` set, never a crash of the
batch. Results are stored in a temporary SQLite database as they arrive (and read
back sorted), so memory stays flat however many files there are.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import signal
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et", ".ods")
MAX_MEMBER_BYTES = 100 * 2**20


@dataclass(frozen=True)
class Input:
    """One submission: a file, or a member of a zip archive (read in place)."""

    name: str                    # as shown to users: path, or archive.zip!member.xlsx
    path: str                    # the file on disk (the archive for a member)
    member: str | None = None

    def read(self) -> bytes:
        if self.member is None:
            with open(self.path, "rb") as fh:
                return fh.read()
        with zipfile.ZipFile(self.path) as zf:
            info = zf.getinfo(self.member)
            if info.file_size > MAX_MEMBER_BYTES:
                raise ValueError(f"压缩包 {Path(self.path).name} 中的 {self.member} 过大（{info.file_size // 2**20} MB）。")
            with zf.open(info) as fh:
                return fh.read(MAX_MEMBER_BYTES + 1)


def _is_workbook_name(name: str) -> bool:
    base = os.path.basename(name)
    return base.lower().endswith(WORKBOOK_SUFFIXES) and not base.startswith(("~$", ".~"))


def _zip_members(path: Path) -> list[Input]:
    try:
        with zipfile.ZipFile(path) as zf:
            names = [i.filename for i in zf.infolist() if not i.is_dir() and _is_workbook_name(i.filename)]
    except (zipfile.BadZipFile, OSError):
        return [Input(str(path), str(path))]          # reported as unreadable by the reader
    return [Input(f"{path}!{m}", str(path), m) for m in sorted(names)]


def collect_inputs(paths: Iterable[str | os.PathLike]) -> tuple[list[Input], list[str]]:
    """Expand files, folders (recursive), glob patterns and .zip archives.

    Returns the inputs (sorted, without duplicates) and the arguments that matched nothing.
    """
    out: dict[str, Input] = {}
    missing: list[str] = []

    def add_file(p: Path) -> None:
        if p.suffix.lower() == ".zip":
            for inp in _zip_members(p):
                out.setdefault(inp.name, inp)
        else:
            out.setdefault(str(p), Input(str(p), str(p)))

    for arg in paths:
        s = str(arg)
        p = Path(s)
        if p.is_dir():
            before = len(out)
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for f in sorted(files):
                    if _is_workbook_name(f) or f.lower().endswith(".zip"):
                        add_file(Path(root) / f)
            if len(out) == before:
                missing.append(s)           # a folder with no workbook in it
        elif p.is_file():
            add_file(p)
        elif any(ch in s for ch in "*?["):
            hits = sorted(glob.glob(s, recursive=True))
            files = [Path(h) for h in hits if Path(h).is_file()]
            if not files:
                missing.append(s)
            for f in files:
                add_file(f)
        else:
            missing.append(s)
    return sorted(out.values(), key=lambda i: i.name), missing


# ---------------------------------------------------------------------------
# one file
# ---------------------------------------------------------------------------
@dataclass
class UnitResult:
    name: str
    sha256: str = ""
    unit: str = ""
    department: str = ""
    year: int | None = None
    tables_found: list[str] = field(default_factory=list)
    budget: Decimal | None = None
    executed: Decimal | None = None
    rate: Decimal | None = None               # percent, 2 decimals
    total_self: Decimal | None = None
    total_recomputed: Decimal | None = None
    difference: Decimal | None = None
    grade: str = ""
    grade_self: str = ""
    projects: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0
    infos: int = 0
    read_error: str | None = None
    read_error_code: str | None = None
    advice: str = ""
    seconds: float = 0.0


ADVICE = {
    "not_found": "检查文件是否存在、是否有读取权限。",
    "empty_file": "文件为空，请单位重新提交。",
    "not_workbook": "不是表格文件，请单位提交 Excel/WPS 工作簿（.xlsx）。",
    "corrupt": "文件损坏，请单位用 Excel 或 WPS 打开后另存为 .xlsx 重新提交。",
    "encrypted": "文件设有打开密码，请单位取消密码后重新提交。",
    "too_large": "文件异常过大，请单位检查后重新提交。",
    "unsupported": "格式不受支持，请单位用 Excel 或 WPS 另存为 .xlsx 重新提交。",
    "legacy_unreadable": "旧版 .xls 文件无法读取，请单位另存为 .xlsx 重新提交。",
    "no_tables": "没有找到三张附表，请确认提交的是绩效自评附表，或改用标准模板。",
    "timeout": "处理超时，请检查文件是否异常（如极多的行或公式）。",
    "internal": "程序处理该文件时出错，请将文件交给技术人员检查。",
}


class _Timeout(Exception):
    pass


def _alarm(_sig, _frame):
    raise _Timeout()


def _q(x: Decimal | None) -> Decimal | None:
    return None if x is None else x.quantize(Decimal("0.01"))


def process_one(inp: Input, profile_name: str | None, timeout: float) -> UnitResult:
    """Read, validate and score one submission; never raises."""
    from ..read.book import ReadError
    from ..score.profile import load_profile
    from ..read.tables import read_submission
    from ..score.engine import score_submission
    from ..check.engine import run_rules

    t0 = time.perf_counter()
    res = UnitResult(inp.name)
    use_alarm = timeout > 0 and hasattr(signal, "setitimer")
    old = None
    if use_alarm:
        old = signal.signal(signal.SIGALRM, _alarm)
    try:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, timeout)
        data = inp.read()
        res.sha256 = hashlib.sha256(data).hexdigest()
        profile = load_profile(profile_name)
        sub = read_submission(inp.name, data=data)
        findings = run_rules(sub, profile, file=inp.name)
        score = score_submission(sub, profile)
        res.unit, res.department, res.year, res.tables_found = sub.unit, sub.department, sub.year, sub.tables_found
        per_sheet: dict[str, list[int]] = {}
        for f in findings:
            c = per_sheet.setdefault(f.sheet or "", [0, 0])
            if f.severity == "error":
                c[0] += 1
            elif f.severity == "warning":
                c[1] += 1
        res.findings = [f.to_dict() for f in findings]
        res.errors = sum(1 for f in findings if f.severity == "error")
        res.warnings = sum(1 for f in findings if f.severity == "warning")
        res.infos = sum(1 for f in findings if f.severity == "info")
        overall = next((t for t in score.tables if t.table.kind == "overall"), None)
        if overall is not None:
            res.budget, res.executed = _q(overall.budget), _q(overall.executed)
            res.rate = _q(overall.rate)
            res.total_self, res.total_recomputed = overall.total_self, overall.total_recomputed
            res.difference = overall.diff
            res.grade, res.grade_self = overall.grade_recomputed, overall.grade_self
        for ts in score.tables:
            if ts.table.kind != "project":
                continue
            e, w = per_sheet.get(ts.table.sheet, [0, 0])
            res.projects.append({
                "name": ts.name, "sheet": ts.table.sheet, "family": ts.table.fam.name,
                "department": ts.table.get("department").text(),
                "budget": _q(ts.budget), "executed": _q(ts.executed), "rate": _q(ts.rate),
                "total_self": ts.total_self, "total_recomputed": ts.total_recomputed, "difference": ts.diff,
                "grade": ts.grade_recomputed, "grade_self": ts.grade_self, "errors": e, "warnings": w,
            })
        if not res.department:
            res.department = next((p["department"] for p in res.projects if p["department"]), "")
    except _Timeout:
        res.read_error, res.read_error_code = f"处理 {inp.name} 超过 {timeout:g} 秒，已跳过。", "timeout"
    except ReadError as exc:
        res.read_error, res.read_error_code = exc.message, exc.code
    except (OSError, ValueError) as exc:
        res.read_error, res.read_error_code = f"无法读取 {inp.name}：{exc}", "not_found"
    except Exception as exc:  # noqa: BLE001 - one bad file must never stop the batch
        res.read_error, res.read_error_code = f"处理 {inp.name} 时出错（{type(exc).__name__}：{exc}）。", "internal"
    finally:
        if use_alarm:
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
            except _Timeout:               # fired just as the work finished: the result stands
                signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
    if res.read_error_code:
        res.advice = ADVICE.get(res.read_error_code, "")
    res.seconds = time.perf_counter() - t0
    return res


def _worker(args: tuple[Input, str | None, float]) -> UnitResult:
    try:
        return process_one(*args)
    except _Timeout:                        # the alarm landed in an error handler: still a timeout
        signal.setitimer(signal.ITIMER_REAL, 0)
        inp, _profile, timeout = args
        return UnitResult(inp.name, read_error=f"处理 {inp.name} 超过 {timeout:g} 秒，已跳过。",
                          read_error_code="timeout", advice=ADVICE["timeout"])


# ---------------------------------------------------------------------------
# the batch
# ---------------------------------------------------------------------------
_UNIT_FIELDS = ("name", "sha256", "unit", "department", "year", "budget", "executed", "rate", "total_self",
                "total_recomputed", "difference", "grade", "grade_self", "errors", "warnings", "infos", "read_error",
                "read_error_code", "advice", "seconds")
_DECIMAL_FIELDS = {"budget", "executed", "rate", "total_self", "total_recomputed", "difference"}


def _enc(v: Any) -> Any:
    return format(v, "f") if isinstance(v, Decimal) else v


def _dec(v: Any) -> Decimal | None:
    return None if v is None else Decimal(v)


class ResultStore:
    """Every file's result in a temporary SQLite database, so memory stays flat with N.

    Units and projects are read back sorted by SQL; findings stream back in input order.
    """

    def __init__(self) -> None:
        import sqlite3

        fd, self.path = tempfile.mkstemp(prefix="gridbudget-batch-", suffix=".sqlite")
        os.close(fd)
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        cols = ", ".join(_UNIT_FIELDS)
        self.db.execute(f"CREATE TABLE units (idx INTEGER PRIMARY KEY, unit_key TEXT, {cols}, tables_found TEXT)")
        self.db.execute("CREATE TABLE projects (idx INTEGER, seq INTEGER, data TEXT, PRIMARY KEY (idx, seq))")
        self.db.execute("CREATE TABLE findings (idx INTEGER, seq INTEGER, code TEXT, severity TEXT, data TEXT, "
                        "PRIMARY KEY (idx, seq))")
        self.count = 0

    def add(self, res: UnitResult, department_of: Callable[[str], str] | None = None) -> None:
        from ..read.tables import norm

        if department_of is not None and res.unit and not res.department:
            res.department = department_of(res.unit) or ""
        idx = self.count
        self.count += 1
        values = [_enc(getattr(res, f)) for f in _UNIT_FIELDS]
        self.db.execute(f"INSERT INTO units VALUES (?, ?, {', '.join('?' * len(_UNIT_FIELDS))}, ?)",
                        [idx, norm(res.unit) if res.unit else None, *values, json.dumps(res.tables_found)])
        self.db.executemany("INSERT INTO projects VALUES (?, ?, ?)",
                            [(idx, i, json.dumps(p, ensure_ascii=False, default=_enc)) for i, p in enumerate(res.projects)])
        self.db.executemany("INSERT INTO findings VALUES (?, ?, ?, ?, ?)",
                            [(idx, i, f["code"], f["severity"],
                              json.dumps({"unit": res.unit, "department": res.department, **f}, ensure_ascii=False))
                             for i, f in enumerate(res.findings)])

    # -- reading back ---------------------------------------------------------
    def _unit(self, row) -> UnitResult:
        d = dict(zip(("idx", "unit_key", *_UNIT_FIELDS, "tables_found"), row))
        res = UnitResult(d["name"])
        for f in _UNIT_FIELDS:
            v = d[f]
            setattr(res, f, _dec(v) if f in _DECIMAL_FIELDS else v)
        res.tables_found = json.loads(d["tables_found"])
        res.projects = [self._project(p) for (p,) in self.db.execute(
            "SELECT data FROM projects WHERE idx = ? ORDER BY seq", (d["idx"],))]
        return res

    @staticmethod
    def _project(text: str) -> dict[str, Any]:
        p = json.loads(text)
        for k in ("budget", "executed", "rate", "total_self", "total_recomputed", "difference"):
            p[k] = _dec(p.get(k))
        return p

    def results(self, order: str = "idx") -> Iterator[UnitResult]:
        for row in self.db.execute(f"SELECT * FROM units ORDER BY {order}"):
            yield self._unit(row)

    def findings(self) -> Iterator[dict[str, Any]]:
        for (text,) in self.db.execute("SELECT data FROM findings ORDER BY idx, seq"):
            yield json.loads(text)

    def scalar(self, sql: str, args: tuple = ()) -> Any:
        return self.db.execute(sql, args).fetchone()[0]

    def query(self, sql: str, args: tuple = ()):
        return self.db.execute(sql, args)

    def close(self) -> None:
        try:
            self.db.close()
        finally:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass


@dataclass
class BatchResult:
    store: ResultStore
    profile: str
    profile_title: str
    started: str
    seconds: float
    jobs: int
    missing: list[str] = field(default_factory=list)

    @property
    def results(self) -> list[UnitResult]:
        """Every file's result in input order (findings are in :meth:`findings`)."""
        return list(self.store.results())

    def findings(self) -> Iterator[dict[str, Any]]:
        return self.store.findings()

    @property
    def files(self) -> int:
        return self.store.count

    @property
    def failed(self) -> int:
        return self.store.scalar("SELECT COUNT(*) FROM units WHERE read_error IS NOT NULL")

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "BatchResult":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run_batch(inputs: list[Input], *, profile: str | None = None, jobs: int | None = None, timeout: float = 60,
              department_of: Callable[[str], str] | None = None,
              progress: Callable[[int, int], None] | None = None) -> BatchResult:
    """Process every input; results come back in input order whatever ``jobs`` is."""
    from datetime import datetime

    from ..score.profile import load_profile

    prof = load_profile(profile)
    jobs = max(1, jobs or os.cpu_count() or 1)
    started = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    t0 = time.perf_counter()
    store = ResultStore()
    args = [(inp, profile, timeout) for inp in inputs]

    def take(res: UnitResult) -> None:
        store.add(res, department_of)
        if progress is not None:
            progress(store.count, len(inputs))

    try:
        if jobs == 1 or len(inputs) < 2:
            for a in args:
                take(_worker(a))
        else:
            import multiprocessing as mp

            ctx = mp.get_context("fork") if hasattr(os, "fork") else mp.get_context()
            chunk = max(1, min(16, len(inputs) // (jobs * 8) or 1))
            with ctx.Pool(jobs) as pool:
                for res in pool.imap(_worker, args, chunksize=chunk):
                    take(res)
    except BaseException:
        store.close()
        raise
    store.db.commit()
    return BatchResult(store, prof.name, prof.title, started, time.perf_counter() - t0, jobs)


def load_units_csv(path: str | os.PathLike) -> Callable[[str], str]:
    """units.csv (单位,主管部门) -> a function giving a unit's 主管部门 ('' when unknown)."""
    import csv

    from ..read.tables import norm

    mapping: dict[str, str] = {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None) or []
        h = [norm(x) for x in header]
        ui = next((i for i, x in enumerate(h) if x in ("单位", "单位名称", "预算单位", "unit")), 0)
        di = next((i for i, x in enumerate(h) if x in ("主管部门", "部门", "department")), 1)
        for row in reader:
            if len(row) > max(ui, di) and row[ui].strip():
                mapping[norm(row[ui])] = row[di].strip()
    return lambda unit: mapping.get(norm(unit), "")


