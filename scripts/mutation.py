#!/usr/bin/env python3
"""Mutation testing: small AST mutations of the checking code, each run against a fast test subset.

A mutant is the module with one small change a careless edit could make. A mutant the
tests fail on is *killed*; one they still pass is a *survivor*: a boundary no test pins down.
Mutations:

    compare     <  <->  <=,   >  <->  >=,   ==  <->  !=
    number      an int/float constant + 1 and - 1
    decimal     Decimal("0.01") (any non-zero Decimal text) -> Decimal("0"): a tolerance dropped
    tolerance   a tolerance read from the profile (a name or attribute with "tol" in it) -> 0
    boolop      and  <->  or
    drop        one string of a tuple or set of strings left out (a label, a prefix, a word)
    opstring    the operator strings "<=" <-> ">=", "<" <-> ">" swapped
    return      return x  ->  return None

The working tree is never modified: the repository (tracked and untracked files, or HEAD
with --head) is copied to a temporary directory and each mutant is written there, then
``python -m pytest -x`` runs the tests that exercise the module, with a per-mutant time
limit (a mutant that hangs counts as killed). One process, one mutant at a time.

    python3 scripts/mutation.py                        # every mutant of the default modules
    python3 scripts/mutation.py --sample --max 250     # a random sample of 250 (--seed N)
    python3 scripts/mutation.py --modules gridbudget/read/values.py --max 40
    python3 scripts/mutation.py --list                 # count and list the mutants, run nothing
    python3 scripts/mutation.py --json out.json        # also write every result as JSON

A line carrying ``# pragma: no mutate`` is left alone. Widths, fonts and page setup in the
summary writer (cosmetic numbers) are not mutated.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODULES = ("gridbudget/check/rules", "gridbudget/read/values.py", "gridbudget/write/summary.py")

# The tests that exercise each module, fastest and most targeted first (``-x`` stops at the first failure).
RULE_TESTS = ("tests/test_boundaries.py", "tests/test_validate.py", "tests/test_content_rules.py", "tests/test_scoring.py")
TESTS = {
    "gridbudget/check/rules/": RULE_TESTS,
    "gridbudget/read/values.py": ("tests/test_boundaries.py", "tests/test_values.py", "tests/test_reader.py"),
    "gridbudget/write/summary.py": ("tests/test_boundaries.py", "tests/test_summary_golden.py", "tests/test_summarize.py"),
}
PYTEST = ("-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not libreoffice", "--no-header")

_COMPARE_SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
_OP_STRINGS = {"<=": ">=", ">=": "<=", "<": ">", ">": "<"}
# Calls and keywords whose numbers only change how a sheet looks (column widths, fonts, page setup).
_COSMETIC_CALLS = {"set_column", "set_row", "set_size", "set_margins", "set_paper", "fit_to_pages", "add_format",
                   "insert_chart", "set_landscape"}
_COSMETIC_KEYS = {"font_size", "width", "height", "size", "border"}


@dataclass
class Mutant:
    file: str            # path relative to the repository
    line: int
    col: int             # 1-based character column
    kind: str
    before: str
    after: str
    start: int           # character offsets of the replaced text in the source
    end: int
    replacement: str
    status: str = ""     # killed | survived | timeout | error | invalid (does not compile: not counted)
    seconds: float = 0.0

    def describe(self) -> str:
        return f"{self.file}:{self.line}:{self.col}  {self.kind}: {self.before}  ->  {self.after}"


# ---------------------------------------------------------------------------
# generating mutants
# ---------------------------------------------------------------------------
class _Offsets:
    """(line, UTF-8 byte column) from the AST -> character offset in the source text."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines(keepends=True)
        self.starts = [0]
        for ln in self.lines:
            self.starts.append(self.starts[-1] + len(ln))

    def at(self, line: int, col: int) -> int:
        text = self.lines[line - 1].encode("utf-8")[:col].decode("utf-8")
        return self.starts[line - 1] + len(text)

    def span(self, node: ast.AST) -> tuple[int, int]:
        return self.at(node.lineno, node.col_offset), self.at(node.end_lineno, node.end_col_offset)


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    out = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            out[child] = node
    return out


def _skipped(node: ast.AST, parents: dict, lines: list[str]) -> bool:
    """Inside an f-string, a docstring, ``if __name__ == "__main__"`` or on a ``no mutate`` line."""
    if "pragma: no mutate" in lines[node.lineno - 1]:
        return True
    p = node
    while p in parents:
        p = parents[p]
        if isinstance(p, ast.JoinedStr):
            return True
        if isinstance(p, ast.If) and "__name__" in ast.unparse(p.test):
            return True
    return False


def _cosmetic_number(node: ast.AST, parents: dict) -> bool:
    p = parents.get(node)
    while isinstance(p, ast.UnaryOp):
        p = parents.get(p)
    if isinstance(p, ast.keyword) and p.arg in _COSMETIC_KEYS:
        return True
    if isinstance(p, ast.Dict):
        for k, v in zip(p.keys, p.values):
            if v is node and isinstance(k, ast.Constant) and k.value in _COSMETIC_KEYS:
                return True
    # a column spec: ("key", "label", width)
    if isinstance(p, ast.Tuple) and len(p.elts) == 3 and p.elts[2] is node and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in p.elts[:2]):
        return True
    while p is not None and not isinstance(p, ast.stmt):
        if isinstance(p, ast.Call):
            f = p.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name in _COSMETIC_CALLS:
                return True
        p = parents.get(p)
    return False


def _is_docstring(node: ast.AST, parents: dict) -> bool:
    p = parents.get(node)
    if not isinstance(p, ast.Expr):
        return False
    owner = parents.get(p)
    return isinstance(owner, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and owner.body[0] is p


def mutants_of(path: Path, rel: str) -> list[Mutant]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    parents = _parents(tree)
    off = _Offsets(source)
    lines = source.splitlines()
    out: list[Mutant] = []

    def add(node: ast.AST, kind: str, new_node_text: str, *, wrap: bool = True, span_node: ast.AST | None = None):
        target = span_node or node
        a, b = off.span(target)
        before = source[a:b]
        repl = f"({new_node_text})" if wrap else new_node_text
        col = a - off.starts[target.lineno - 1] + 1
        out.append(Mutant(rel, target.lineno, col, kind, " ".join(before.split()), " ".join(new_node_text.split()),
                          a, b, repl))

    for node in ast.walk(tree):
        if not hasattr(node, "lineno") or _skipped(node, parents, lines):
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                swap = _COMPARE_SWAP.get(type(op))
                if swap is not None:
                    m = copy.deepcopy(node)
                    m.ops[i] = swap()
                    add(node, "compare", ast.unparse(m))
        elif isinstance(node, ast.BoolOp):
            m = copy.deepcopy(node)
            m.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            add(node, "boolop", ast.unparse(m))
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            if _cosmetic_number(node, parents):
                continue
            for delta in (1, -1):
                v = node.value + delta
                add(node, "number", repr(v), wrap=v < 0)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            p = parents.get(node)
            if (isinstance(p, ast.Call) and getattr(p.func, "id", None) in ("Decimal", "D") and p.args == [node]
                    and node.value.strip() not in ("0", "0.0", "0.00")):
                add(node, "decimal", '"0"', wrap=False)
            elif node.value in _OP_STRINGS and not _is_docstring(node, parents):
                add(node, "opstring", repr(_OP_STRINGS[node.value]), wrap=False)
        elif isinstance(node, (ast.Tuple, ast.Set)) and len(node.elts) >= 2 and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            for i in range(len(node.elts)):
                m = copy.deepcopy(node)
                del m.elts[i]
                text = ast.unparse(m) if isinstance(node, ast.Tuple) or m.elts else "set()"
                if isinstance(node, ast.Tuple) and len(m.elts) == 1 and not text.startswith("("):
                    text = f"({text})"
                add(node, "drop", text)
        elif isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load) and "tol" in (
                node.id if isinstance(node, ast.Name) else node.attr) and not isinstance(parents.get(node), ast.Attribute):
            add(node, "tolerance", "0", wrap=False)
        elif isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            add(node, "return", "return None", wrap=False)

    out.sort(key=lambda m: (m.file, m.start, m.kind, m.after))
    return out


def module_files(specs: list[str], root: Path) -> list[str]:
    files: list[str] = []
    for s in specs:
        p = root / s
        if p.is_dir():
            files += [str(f.relative_to(root)) for f in sorted(p.glob("*.py")) if f.name != "__init__.py"]
        elif p.is_file():
            files.append(str(p.relative_to(root)))
        else:
            raise SystemExit(f"没有这个模块：{s}")
    return files


def tests_for(rel: str, root: Path = ROOT) -> tuple[str, ...]:
    """The module's test subset, and its own test file (tests/test_<name>.py) when there is one."""
    own = f"tests/test_{Path(rel).stem}.py"
    for prefix, tests in TESTS.items():
        if rel == prefix or rel.startswith(prefix):
            return tests + ((own,) if (root / own).exists() and own not in tests else ())
    raise SystemExit(f"{rel}: 没有为它指定测试（见 scripts/mutation.py 的 TESTS）")


# ---------------------------------------------------------------------------
# running them
# ---------------------------------------------------------------------------
def copy_repo(dest: Path, head: bool) -> None:
    """The repository's files (never .git or caches) in ``dest``."""
    if head:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        return
    names = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard", "-z"],
                           check=True, capture_output=True).stdout.decode("utf-8").split("\0")
    for n in names:
        src = ROOT / n
        if n and src.is_file():
            (dest / n).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / n)


def _deselected(node_ids: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(a for n in node_ids for a in ("--deselect", n))


def run_tests(work: Path, tests: tuple[str, ...], timeout: float, env: dict, *,
              stop: bool = True) -> tuple[str, float, str]:
    t0 = time.perf_counter()
    cmd = [sys.executable, *PYTEST, *tests]
    if not stop:
        cmd.remove("-x")
    try:
        r = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - t0, ""
    dt = time.perf_counter() - t0
    if r.returncode == 0:
        return "survived", dt, r.stdout
    if r.returncode in (1, 2):          # a test failed, or the mutant broke the import of a test module
        return "killed", dt, r.stdout
    return "error", dt, r.stdout + r.stderr


def _drop_pyc(path: Path) -> None:
    for pyc in (path.parent / "__pycache__").glob(path.stem + ".*.pyc"):
        pyc.unlink()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="对审核规则、取值解析和汇总输出做变异测试（不修改工作区文件）。")
    ap.add_argument("--modules", nargs="+", default=list(DEFAULT_MODULES),
                    help="要变异的模块或目录（默认：check/rules、read/values.py、write/summary.py）")
    ap.add_argument("--max", type=int, default=0, help="最多运行多少个变异体（0 = 全部）")
    ap.add_argument("--sample", action="store_true", help="随机抽取 --max 个变异体（否则按文件顺序取前 N 个）")
    ap.add_argument("--seed", type=int, default=1, help="随机抽样的种子")
    ap.add_argument("--timeout", type=float, default=0, help="每个变异体的时限（秒；默认为基线用时的 5 倍，至少 30 秒）")
    ap.add_argument("--head", action="store_true", help="复制 HEAD 提交而不是工作区（其他人正在修改工作区时）")
    ap.add_argument("--with", dest="overlay", nargs="+", default=[], metavar="PATH",
                    help="与 --head 一起用：这些文件取工作区的版本（如尚未提交的测试）")
    ap.add_argument("--match", action="append", default=[],
                    help="只取描述中含有此文字的变异体（可重复，如 --match within.py:263）")
    ap.add_argument("--survivors", metavar="JSON",
                    help="只重跑某次 --json 结果中存活的变异体（按文件、列、类型和改动匹配，行号可相差 40 行以内）")
    ap.add_argument("--list", action="store_true", help="只列出变异体，不运行")
    ap.add_argument("--json", help="把每个变异体的结果写成 JSON")
    args = ap.parse_args(argv)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gridbudget-mutation-") as tmp:
        work = Path(tmp)
        copy_repo(work, args.head)
        for rel in args.overlay:
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, work / rel)
        return run(args, work, started)


def run(args, work: Path, started: float) -> int:
    files = module_files(args.modules, work)
    all_mutants = [m for f in files for m in mutants_of(work / f, f)]
    chosen = [m for m in all_mutants if not args.match or any(t in m.describe() for t in args.match)]
    if args.survivors:
        old = [m for m in json.loads(Path(args.survivors).read_text(encoding="utf-8"))["mutants"]
               if m["status"] == "survived"]
        chosen = [m for m in chosen if any((o["file"], o["col"], o["kind"], o["before"], o["after"]) ==
                                           (m.file, m.col, m.kind, m.before, m.after) and abs(o["line"] - m.line) <= 40
                                           for o in old)]
    if args.max and args.max < len(chosen):
        chosen = random.Random(args.seed).sample(chosen, args.max) if args.sample else chosen[:args.max]
        chosen.sort(key=lambda m: (m.file, m.start, m.kind, m.after))
    print(f"变异体：共 {len(all_mutants)} 个，运行 {len(chosen)} 个（{', '.join(files)}）", flush=True)
    if args.list:
        for m in chosen:
            print(m.describe())
        return 0

    env = dict(os.environ, PYTHONPATH=str(work), PYTHONHASHSEED="0")
    env.pop("PYTEST_ADDOPTS", None)
    where = subprocess.run([sys.executable, "-c", "import gridbudget; print(gridbudget.__file__)"], cwd=work,
                           env=env, capture_output=True, text=True).stdout.strip()
    if not where.startswith(str(work)):
        print(f"临时副本中导入的 gridbudget 不是副本本身（{where}），停止。", file=sys.stderr)
        return 3
    # baselines: every test subset must pass on the unmutated copy; tests that already fail there
    # (someone else's work in progress) are deselected, with a note, so they cannot "kill" mutants
    baseline: dict[tuple[str, ...], float] = {}
    deselect: dict[tuple[str, ...], tuple[str, ...]] = {}
    for tests in dict.fromkeys(tests_for(m.file, work) for m in chosen):
        status, dt, out = run_tests(work, tests, 900, env, stop=False)
        failing = tuple(re.findall(r"^FAILED (\S+)", out, flags=re.M))
        if status != "survived" and failing:
            print(f"未变异的副本上已失败、不参与判断的测试：{', '.join(failing)}", flush=True)
            status, dt, out = run_tests(work, tests + _deselected(failing), 900, env, stop=False)
        if status != "survived":
            print(f"未变异的副本测试不通过（{' '.join(tests)}），停止：\n{out[-3000:]}", file=sys.stderr)
            return 3
        baseline[tests], deselect[tests] = dt, _deselected(failing)
        print(f"基线 {dt:.1f} 秒：{' '.join(tests)}", flush=True)
    env["PYTHONDONTWRITEBYTECODE"] = "1"       # a mutant's bytecode must never be cached
    originals: dict[str, str] = {}
    for n, m in enumerate(chosen, start=1):
        path = work / m.file
        src = originals.setdefault(m.file, path.read_text(encoding="utf-8"))
        mutated = src[:m.start] + m.replacement + src[m.end:]
        try:
            compile(mutated, m.file, "exec")
        except SyntaxError:
            m.status = "invalid"
            print(f"[{n}/{len(chosen)}] invalid  {m.describe()}", flush=True)
            continue
        _drop_pyc(path)
        path.write_text(mutated, encoding="utf-8")
        tests = tests_for(m.file, work)
        limit = args.timeout or max(30.0, 5 * baseline[tests])
        try:
            m.status, m.seconds, _out = run_tests(work, tests + deselect[tests], limit, env)
        finally:
            path.write_text(src, encoding="utf-8")
            _drop_pyc(path)
        print(f"[{n}/{len(chosen)}] {m.status:8} {m.seconds:5.1f}s  {m.describe()}", flush=True)

    elapsed = time.perf_counter() - started
    return report(chosen, len(all_mutants), elapsed, args)


def report(chosen: list[Mutant], total: int, elapsed: float, args) -> int:
    counted = [m for m in chosen if m.status in ("killed", "timeout", "survived")]
    killed = [m for m in counted if m.status != "survived"]
    survivors = [m for m in counted if m.status == "survived"]
    errors = [m for m in chosen if m.status == "error"]
    print("\n变异测试结果")
    by_file: dict[str, list[Mutant]] = {}
    for m in counted:
        by_file.setdefault(m.file, []).append(m)
    for f, ms in sorted(by_file.items()):
        k = sum(1 for m in ms if m.status != "survived")
        print(f"  {f}: {k}/{len(ms)} 被杀死")
    if survivors:
        print("\n存活的变异体：")
        for m in survivors:
            print("  " + m.describe())
    if errors:
        print(f"\n运行出错（不计入得分）：{len(errors)} 个")
        for m in errors:
            print("  " + m.describe())
    score = len(killed) / len(counted) if counted else 0.0
    timeouts = sum(1 for m in killed if m.status == "timeout")
    print(f"\n共 {total} 个变异体，运行 {len(counted)} 个：杀死 {len(killed)} 个（其中超时 {timeouts} 个），"
          f"存活 {len(survivors)} 个；得分 {score:.1%}；用时 {elapsed / 60:.1f} 分钟（{date.today().isoformat()}）。")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "date": date.today().isoformat(), "modules": args.modules, "total": total, "run": len(counted),
            "killed": len(killed), "survived": len(survivors), "score": round(score, 4), "seconds": round(elapsed, 1),
            "mutants": [{k: v for k, v in asdict(m).items() if k not in ("start", "end", "replacement")} for m in chosen],
        }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
