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
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et", ".ods")
MAX_MEMBER_BYTES = 100 * 2**20


@dataclass(frozen=True)
class Input:
    """One submission: a file, or a member of a zip archive (read in place)."""

    name: str                    # as shown to users: path, or archive.zip!member.xlsx (always printable)
    path: str                    # the file on disk (the archive for a member)
    member: str | None = None    # the member's name as stored (display form in ``name``)
    index: int | None = None     # the member's position in the archive (names may repeat)
    problem: str | None = None   # why it is not read (a zip inside the zip …), Chinese

    def read(self) -> bytes:
        """The member's bytes (ReadError when they cannot be had); a plain file is read by the reader."""
        if self.member is None:
            from ..read.safety import _read_input

            return _read_input(self.path, self.name, MAX_MEMBER_BYTES)
        with _archive(self.path, self.name) as zf:
            return read_member(zf, self)


def display_path(path: str) -> str:
    """A path as users can read it: a name saved in GBK (Chinese Windows) on a UTF-8 system
    is decoded as GBK, anything else undecodable shown with U+FFFD, never a crash."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        raw = os.fsencode(path)
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            return raw.decode("utf-8", "replace")


def member_display(info: zipfile.ZipInfo) -> str:
    """A member's name as the archiver meant it: names without the UTF-8 flag are GBK when
    made on Chinese Windows (zipfile reads them as cp437 mojibake)."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            return name.encode("cp437").decode("gb18030")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return name
    return display_path(name)


class _archive:
    """An open archive as a context manager; ZipFile errors become ReadError."""

    def __init__(self, path: str, name: str):
        self.path, self.name = path, name

    def __enter__(self) -> zipfile.ZipFile:
        from ..read.safety import _err

        try:
            self.zf = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise _err("corrupt", self.path, display_path(Path(self.path).name), "（压缩包结构损坏）") from None
        return self.zf

    def __exit__(self, *exc) -> None:
        self.zf.close()


def read_member(zf: zipfile.ZipFile, inp: Input) -> bytes:
    """The bytes of one member, within the size limit; every failure is a ReadError."""
    from ..read.safety import _err

    if inp.problem:
        raise _err("unsupported", inp.name, inp.name, f"（{inp.problem}）")
    try:
        info = zf.infolist()[inp.index] if inp.index is not None else zf.getinfo(inp.member or "")
    except (IndexError, KeyError):
        raise _err("not_found", inp.name, inp.name, "（压缩包中没有这个文件）") from None
    if info.flag_bits & 1:
        raise _err("encrypted", inp.name, inp.name)
    if info.file_size > MAX_MEMBER_BYTES:
        raise _err("too_large", inp.name, inp.name, f"（解压后 {info.file_size // 2**20} MB）")
    try:
        with zf.open(info) as fh:
            data = fh.read(MAX_MEMBER_BYTES + 1)
    except RuntimeError:
        raise _err("encrypted", inp.name, inp.name) from None
    except NotImplementedError:
        raise _err("unsupported", inp.name, inp.name, "（压缩方式不受支持）") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError):
        raise _err("corrupt", inp.name, inp.name, "（压缩包中的这个文件已损坏）") from None
    if len(data) > MAX_MEMBER_BYTES:
        raise _err("too_large", inp.name, inp.name, f"（解压后超过 {MAX_MEMBER_BYTES // 2**20} MB）")
    return data


def payloads(inputs: Iterable[Input]) -> Iterator[tuple[Input, bytes | None, Exception | None]]:
    """Each input with its bytes (members of one archive read in one pass; a plain file is
    read later by the reader itself) or the ReadError that reading them gave."""
    from ..read.safety import ReadError

    zf = None
    zpath = None
    try:
        for inp in inputs:
            if inp.member is None and inp.problem is None:
                yield inp, None, None
                continue
            try:
                if inp.problem is None and zpath != inp.path:
                    if zf is not None:
                        zf.close()
                    zf, zpath = None, None
                    zf = _archive(inp.path, inp.name).__enter__()
                    zpath = inp.path
                yield inp, read_member(zf, inp), None     # type: ignore[arg-type]
            except ReadError as exc:
                yield inp, None, exc
    finally:
        if zf is not None:
            zf.close()


def _is_workbook_name(name: str) -> bool:
    base = os.path.basename(name.replace("\\", "/"))
    return base.lower().endswith(WORKBOOK_SUFFIXES) and not base.startswith(("~$", ".~"))


def _zip_members(path: Path) -> list[Input]:
    shown = display_path(str(path))
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return [Input(shown, str(path))]          # reported as unreadable by the reader
    out: list[Input] = []
    seen: dict[str, int] = {}
    for i, info in enumerate(infos):
        if info.is_dir():
            continue
        name = member_display(info)
        nested = name.lower().endswith(".zip")
        if not nested and not _is_workbook_name(name):
            continue
        seen[name] = seen.get(name, 0) + 1
        label = f"{shown}!{name}" + (f"（第 {seen[name]} 个同名文件）" if seen[name] > 1 else "")
        out.append(Input(label, str(path), info.filename, i,
                         "压缩包中又有压缩包，没有展开：请解压后把其中的工作簿直接放入压缩包或文件夹" if nested else None))
    return out


def why_missing(arg: str) -> str:
    """The Chinese reason an argument gave no input."""
    shown = display_path(arg)
    if os.path.isdir(arg):
        return (f"文件夹 {shown} 中没有工作簿（{'、'.join(WORKBOOK_SUFFIXES)} 或 .zip）："
                f"请检查是否选错了文件夹。")
    if any(ch in arg for ch in "*?["):
        return f"没有与 {shown} 匹配的文件：请检查通配符。"
    return f"找不到文件 {shown}：请检查路径是否正确。"


def collect_inputs(paths: Iterable[str | os.PathLike]) -> tuple[list[Input], list[str]]:
    """Expand files, folders (recursive), glob patterns and .zip archives.

    Returns the inputs (sorted, without duplicates) and the arguments that matched nothing
    (:func:`why_missing` says why). Unreadable names, symlink loops and folders that
    cannot be listed never stop the listing.
    """
    out: dict[str, Input] = {}
    missing: list[str] = []

    def add_file(p: Path) -> None:
        if p.suffix.lower() == ".zip":
            for inp in _zip_members(p):
                out.setdefault(inp.name, inp)
        else:
            shown = display_path(str(p))
            out.setdefault(shown, Input(shown, str(p)))

    def is_file(p: Path) -> bool:
        try:
            return p.is_file()
        except (OSError, RuntimeError, ValueError):
            return False

    def is_dir(p: Path) -> bool:
        try:
            return p.is_dir()
        except (OSError, RuntimeError, ValueError):
            return False

    for arg in paths:
        s = os.fspath(arg)
        if isinstance(s, bytes):
            s = os.fsdecode(s)
        p = Path(s)
        if is_dir(p):
            before = len(out)
            for root, dirs, files in os.walk(p, onerror=lambda _e: None):
                dirs.sort()
                for f in sorted(files):
                    if _is_workbook_name(f) or f.lower().endswith(".zip"):
                        fp = Path(root) / f
                        if fp.is_symlink() and not is_file(fp):
                            continue                # a dangling link or a link loop
                        add_file(fp)
            if len(out) == before:
                missing.append(s)           # a folder with no workbook in it
        elif is_file(p):
            add_file(p)
        elif any(ch in s for ch in "*?["):
            hits = sorted(glob.glob(s, recursive=True))
            files = [Path(h) for h in hits if is_file(Path(h))]
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
    weight_total: Decimal | None = None       # points the weights add up to (None: a weight is missing)
    weight_standard: Decimal | None = None    # the standard total of the table's family under the profile
    explained: int = 0                        # findings answered by an accepted 出错说明 (已说明)
    status: str = ""                          # 有错误 / 待说明 / 通过 (finding_status); 未能读取 / 未提交 in the summary

    @property
    def state(self) -> str:
        """The status as the summary shows it: 未能读取 for a file that could not be read."""
        if self.read_error:
            return "未能读取"
        return self.status or "通过"


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


def _q(x: Decimal | None) -> Decimal | None:
    return None if x is None else x.quantize(Decimal("0.01"))


def _weights(ts: Any, profile: Any) -> tuple[Decimal | None, Decimal]:
    """What a scored table's weights add up to (None when an indicator has no weight or a row
    could not be placed) and the standard total of its family under the profile."""
    standard = profile.standards(ts.table.fam).total
    if not ts.indicators or ts.table.unplaced or any(s.weight is None for s in ts.indicators):
        return None, standard
    funds = ts.exec_weight if ts.table.fam.funds_weight is not None and ts.exec_weight is not None else Decimal(0)
    return funds + sum((s.weight for s in ts.indicators), Decimal(0)), standard


def process_one(inp: Input, profile: Any = None, data: bytes | None = None,
                error: Exception | None = None) -> UnitResult:
    """Read, validate and score one submission (in a worker process: see :func:`run_batch`).

    ``data``: the bytes of an archive member, read by the parent; ``error``: the ReadError
    reading them gave. A file that cannot be read gives a result with ``read_error``.
    """
    from ..read.book import ReadError
    from ..score.profile import Profile, load_profile
    from ..read.explain import apply_explanations, read_submission
    from ..score.engine import score_submission
    from ..check.engine import run_rules
    from ..check.findings import finding_status

    t0 = time.perf_counter()
    res = UnitResult(inp.name)
    try:
        if error is not None:
            raise error
        if data is None and inp.member is not None:
            data = inp.read()
        if data is None:
            from ..read.safety import _read_input

            data = _read_input(inp.path, inp.name, MAX_MEMBER_BYTES)
        profile = profile if isinstance(profile, Profile) else load_profile(profile)
        sub, explanations = read_submission(inp.name, data=data)
        res.sha256 = sub.sha256          # of these bytes: the reader hashed them
        findings = run_rules(sub, profile, file=inp.name)
        apply_explanations(findings, explanations)
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
        res.explained = sum(1 for f in findings if f.explained)
        res.status = finding_status(findings)
        overall = next((t for t in score.tables if t.table.kind == "overall"), None)
        if overall is not None:
            res.budget, res.executed = _q(overall.budget), _q(overall.executed)
            res.rate = _q(overall.rate)
            res.total_self, res.total_recomputed = overall.total_self, overall.total_recomputed
            res.difference = overall.diff
            res.grade, res.grade_self = overall.grade_recomputed, overall.grade_self
            res.weight_total, res.weight_standard = _weights(overall, profile)
        for ts in score.tables:
            if ts.table.kind != "project":
                continue
            e, w = per_sheet.get(ts.table.sheet, [0, 0])
            wt, ws = _weights(ts, profile)
            res.projects.append({
                "name": ts.name, "sheet": ts.table.sheet, "family": ts.table.fam.name,
                "department": ts.table.get("department").text(),
                "budget": _q(ts.budget), "executed": _q(ts.executed), "rate": _q(ts.rate),
                "total_self": ts.total_self, "total_recomputed": ts.total_recomputed, "difference": ts.diff,
                "grade": ts.grade_recomputed, "grade_self": ts.grade_self, "errors": e, "warnings": w,
                "weight_total": wt, "weight_standard": ws,
            })
        if not res.department:
            res.department = next((p["department"] for p in res.projects if p["department"]), "")
    except ReadError as exc:
        res.read_error, res.read_error_code = exc.message, exc.code
        if data is not None:
            res.sha256 = hashlib.sha256(data).hexdigest()
    if res.read_error_code:
        res.advice = ADVICE.get(res.read_error_code, "")
    res.seconds = time.perf_counter() - t0
    return res


def failure(inp: Input, failed: Any, timeout: float | None) -> UnitResult:
    """The result of a file whose worker did not finish (see workers.Failed)."""
    from .workers import INTERNAL, MEMORY, TIMEOUT, USER, memory_limit_mb

    code = failed.code
    if code == USER and getattr(failed.error, "code", None):
        res = UnitResult(inp.name, read_error=failed.error.message, read_error_code=failed.error.code)
    elif code == TIMEOUT:
        res = UnitResult(inp.name, read_error=f"处理 {inp.name} 超过 {timeout:g} 秒，已停止（超时）：文件可能异常。",
                         read_error_code="timeout")
    elif code == MEMORY:
        res = UnitResult(inp.name, read_error=f"处理 {inp.name} 时内存超过上限（{memory_limit_mb()} MB），已停止：文件可能异常庞大。",
                         read_error_code="too_large")
    elif code == INTERNAL or code == USER:
        from ..errors import write_log

        log = write_log(failed.detail or str(failed.error), inp.name)
        res = UnitResult(inp.name, read_error=f"处理 {inp.name} 时程序内部出错，详细信息已写入 {log}。",
                         read_error_code="internal")
    else:
        res = UnitResult(inp.name, read_error=f"处理 {inp.name} 时读取程序异常终止：文件可能损坏或异常。",
                         read_error_code="corrupt")
    res.advice = ADVICE.get(res.read_error_code or "", "")
    return res


# ---------------------------------------------------------------------------
# the batch
# ---------------------------------------------------------------------------
_UNIT_FIELDS = ("name", "sha256", "unit", "department", "year", "budget", "executed", "rate", "total_self",
                "total_recomputed", "difference", "grade", "grade_self", "errors", "warnings", "infos", "read_error",
                "read_error_code", "advice", "seconds", "weight_total", "weight_standard", "explained", "status")
_DECIMAL_FIELDS = {"budget", "executed", "rate", "total_self", "total_recomputed", "difference", "weight_total",
                   "weight_standard"}


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
        for k in ("budget", "executed", "rate", "total_self", "total_recomputed", "difference", "weight_total",
                  "weight_standard"):
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
    grade_bands: list = field(default_factory=list)     # the profile's [[grade, lower bound], …], high to low
    expected: dict[str, str] = field(default_factory=dict)   # units listed (--units): normalised name -> 主管部门

    def not_submitted(self) -> list[tuple[str, str]]:
        """(unit, 主管部门) of every listed unit with no workbook read (未提交), by department and unit."""
        got = {k for (k,) in self.store.query(
            "SELECT DISTINCT unit_key FROM units WHERE read_error IS NULL AND unit_key IS NOT NULL")}
        return sorted(((u, d) for u, d in self.expected.items() if u not in got), key=lambda x: (x[1], x[0]))

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

    from .workers import Failed, Pool

    prof = load_profile(profile)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(inputs) or 1))
    started = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    t0 = time.perf_counter()
    store = ResultStore()
    try:
        with Pool(jobs) as pool:
            tasks = ((inp, profile, data, err) for inp, data, err in payloads(inputs))   # by name: loaded once per worker
            for i, res in pool.run(process_one, tasks, timeout):
                if isinstance(res, Failed):
                    res = failure(inputs[i], res, timeout)
                store.add(res, department_of)
                if progress is not None:
                    progress(store.count, len(inputs))
    except BaseException:
        store.close()
        raise
    store.db.commit()
    bands = [[str(g), Decimal(str(lo))] for g, lo in prof.get("grades", "bands", [["优", 90], ["良", 80], ["中", 60],
                                                                                ["差", 0]])]
    return BatchResult(store, prof.name, prof.title, started, time.perf_counter() - t0, jobs, grade_bands=bands)
