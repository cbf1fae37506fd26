#!/usr/bin/env python3
"""Benchmark: gridbudget against opening the same files with openpyxl or python-calamine.

    python scripts/bench.py                 # N = 1000 (generated once into bench-data/)
    python scripts/bench.py --n 200         # quicker
    python scripts/bench.py --flat 10000    # also: summarize --jobs 1 peak memory at 10,000 files

Generates N synthetic submissions (scripts/synth.py: varied units, 1-5 projects, 8-20
indicators per table, one in five with an injected mistake, one in seven without
defined names so it is read by labels like a hand-made workbook, one in two hundred
broken) and measures, on the same files in one run:

* gridbudget's per-workbook read + validate + score time (median, p90), in process;
* ``gridbudget summarize`` wall time and peak memory (whole process tree) with
  ``--jobs 1`` and ``--jobs 2``;
* baselines: ``openpyxl.load_workbook`` of each file one by one in one process (taking turns with
  gridbudget 20 files at a time, so both medians see the same machine state), and
  reading every sheet's values with python-calamine;
* ``gridbudget --help`` start-up time;
* with ``--instructions``: CPU instructions per workbook counted by valgrind, which do not vary
  with the load of a shared machine (the wall-clock figures do, by up to 2x here); for the same
  reason the median is also given at the speed of the run the target was set on, scaled by
  openpyxl's median of the same run.

Prints a Markdown table (the one in the README) and the ratios the targets are stated in.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def generate(folder: Path, n: int) -> list[Path]:
    import synth

    marker = folder / ".generated"
    if marker.exists() and marker.read_text() == str(n):
        return sorted(p for p in folder.glob("*.xlsx"))
    folder.mkdir(parents=True, exist_ok=True)
    for p in folder.glob("*.xlsx"):
        p.unlink()
    t = time.perf_counter()
    synth.write_files(folder, n)
    marker.write_text(str(n))
    print(f"generated {n} files in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return sorted(folder.glob("*.xlsx"))


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc)."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(x) for x in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def run_measured(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak MB of the process tree)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def poll():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            time.sleep(0.02)

    th = threading.Thread(target=poll, daemon=True)
    th.start()
    _out, err = proc.communicate()
    done.set()
    th.join()
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 2):       # 2: some (deliberately broken) files could not be read
        raise SystemExit(f"{' '.join(cmd)} failed: {err.decode('utf-8', 'replace')[-2000:]}")
    return wall, peak / 1024


def paired_times(files: list[Path], block: int = 20) -> tuple[list[float], list[float], list[float]]:
    """(read + validate + score, read alone, openpyxl's load_workbook) seconds per workbook. Each runs in a
    loop of its own over ``block`` files at a time, the loops taking turns: both medians then see the same
    state of a shared machine (its speed drifts within minutes), each with its own code warm in the CPU's
    caches, as on the reference run. gridbudget runs as a summarize worker does (:func:`tune_gc`);
    openpyxl with the interpreter's default collection thresholds, as on the reference run."""
    import gc
    import warnings

    import openpyxl

    from gridbudget.batch import Input, process_one
    from gridbudget.batch.workers import tune_gc
    from gridbudget.read.book import ReadError
    from gridbudget.read.tables import read_submission

    def load(f: Path) -> float:
        t = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                openpyxl.load_workbook(f)
        except Exception:  # noqa: BLE001 - broken files fail fast; count their time too
            pass
        return time.perf_counter() - t

    for f in files[:20]:
        process_one(Input(str(f), str(f)), None)          # warm caches and imports
        load(f)
    tune_gc()                                             # as a summarize worker runs
    worker = gc.get_threshold()
    full, read, opx = [], [], []
    for i in range(0, len(files), block):
        part = files[i : i + block]
        for f in part:
            t = time.perf_counter()
            r = process_one(Input(str(f), str(f)), None)
            if not r.read_error:
                full.append(time.perf_counter() - t)
                t = time.perf_counter()
                try:
                    read_submission(f)
                    read.append(time.perf_counter() - t)
                except ReadError:
                    pass
        gc.set_threshold(700, 10, 10)
        opx += [load(f) for f in part]
        gc.set_threshold(*worker)
    return full, read, opx


def calamine_times(files: list[Path]) -> list[float]:
    from python_calamine import CalamineWorkbook

    out = []
    for f in files:
        t = time.perf_counter()
        try:
            wb = CalamineWorkbook.from_path(str(f))
            for name in wb.sheet_names:
                wb.get_sheet_by_name(name).to_python()
        except Exception:  # noqa: BLE001
            pass
        out.append(time.perf_counter() - t)
    return out


def help_time() -> float:
    exe = [sys.executable, "-m", "gridbudget", "--help"]
    times = []
    for _ in range(7):
        t = time.perf_counter()
        subprocess.run(exe, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


_ICOUNT = """
import sys
from gridbudget.batch import Input, process_one
from gridbudget.batch.workers import tune_gc
files = sys.argv[2:2 + int(sys.argv[1])]
process_one(Input(files[0], files[0]), None)
tune_gc()                          # as a summarize worker runs
for f in files[1:]:
    process_one(Input(f, f), None)
"""


def instructions(files: list[Path], k: int = 40) -> float | None:
    """Millions of CPU instructions per workbook for read + validate + score, counted by valgrind
    (callgrind): (start-up + k files) - (start-up + 1 file), over k - 1. Deterministic, unlike the
    wall-clock figures of a shared virtual machine; None when valgrind is not installed."""
    import shutil

    vg = shutil.which("valgrind")
    if vg is None or len(files) < 2:
        return None
    k = min(k, len(files))
    names = [str(f) for f in files[:k]]

    def count(n: int) -> int:
        proc = subprocess.run([vg, "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", _ICOUNT,
                               str(n), *names], capture_output=True, text=True, cwd=ROOT,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
        got = [line for line in proc.stderr.splitlines() if "Collected" in line]
        if not got:
            raise SystemExit(f"valgrind failed: {proc.stderr[-2000:]}")
        return int(got[-1].split()[-1])

    return (count(k) - count(1)) / (k - 1) / 1e6


TARGET_MS = 10.0                 # per-workbook median target (read + validate + score)
# The run the target was set on (README table, code 582048e): openpyxl's and calamine's medians on the
# same files, gridbudget's median and its instructions per workbook. This shared virtual machine's speed
# varies up to 2x from day to day, so a median is judged at that run's speed: scaled by openpyxl's
# median of the same run (Python and lxml, slowed as gridbudget is), or by instructions (deterministic).
REFERENCE_OPENPYXL_MS = 113.1
REFERENCE_CALAMINE_MS = 0.98
REFERENCE_MS, REFERENCE_MINSTR = 8.0, 115.0


def summarize_cmd(folder: Path, out: Path, jobs: int) -> list[str]:
    return [sys.executable, "-m", "gridbudget", "summarize", str(folder), "-o", str(out), "--jobs", str(jobs)]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--data", type=Path, default=ROOT / "bench-data")
    ap.add_argument("--flat", type=int, default=0, help="also measure summarize --jobs 1 memory at this N")
    ap.add_argument("--json", type=Path, help="write the figures as JSON too")
    ap.add_argument("--instructions", action="store_true",
                    help="also count CPU instructions per workbook with valgrind (about 2 minutes)")
    args = ap.parse_args(argv)

    files = generate(args.data / f"n{args.n}", args.n)
    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    per, read, opx = paired_times(files)
    cal = calamine_times(files)
    with tempfile.TemporaryDirectory() as tmp:
        j1 = run_measured(summarize_cmd(args.data / f"n{args.n}", Path(tmp) / "s1.xlsx", 1))
        j2 = run_measured(summarize_cmd(args.data / f"n{args.n}", Path(tmp) / "s2.xlsx", 2))
        flat = None
        if args.flat:
            big = generate(args.data / f"n{args.flat}", args.flat)
            flat = run_measured(summarize_cmd(args.data / f"n{args.flat}", Path(tmp) / "s3.xlsx", 1))
            del big
    hlp = help_time()
    fig = {
        "n": len(files), "read_median_ms": ms(read), "per_workbook_median_ms": ms(per), "per_workbook_p90_ms": sorted(per)[int(len(per) * .9)] * 1000,
        "openpyxl_total_s": sum(opx), "openpyxl_median_ms": ms(opx), "calamine_total_s": sum(cal),
        "calamine_median_ms": ms(cal), "summarize_jobs1_s": j1[0], "summarize_jobs1_peak_mb": j1[1],
        "summarize_jobs2_s": j2[0], "summarize_jobs2_peak_mb": j2[1], "help_s": hlp,
    }
    fig["ratio_jobs1_to_openpyxl"] = fig["summarize_jobs1_s"] / fig["openpyxl_total_s"]
    fig["per_workbook_at_reference_ms"] = fig["per_workbook_median_ms"] * REFERENCE_OPENPYXL_MS / fig["openpyxl_median_ms"]
    fig["per_workbook_in_calamine_medians"] = fig["per_workbook_median_ms"] / fig["calamine_median_ms"]
    if args.instructions:
        fig["instructions_m_per_workbook"] = instructions(files)
    fig["speedup_jobs2"] = fig["summarize_jobs1_s"] / fig["summarize_jobs2_s"]
    if flat:
        fig.update({"flat_n": args.flat, "flat_jobs1_s": flat[0], "flat_jobs1_peak_mb": flat[1]})

    rows = [
        ("gridbudget read alone, per workbook (median)", f"{fig['read_median_ms']:.1f} ms", ""),
        ("gridbudget read + validate + score, per workbook (median / p90)",
         f"{fig['per_workbook_median_ms']:.1f} ms / {fig['per_workbook_p90_ms']:.1f} ms", "median ≤ 10 ms"),
        (f"`summarize --jobs 1`, {fig['n']} files (wall, peak memory)",
         f"{fig['summarize_jobs1_s']:.1f} s, {fig['summarize_jobs1_peak_mb']:.0f} MB", ""),
        (f"`summarize --jobs 2`, {fig['n']} files (wall, peak memory)",
         f"{fig['summarize_jobs2_s']:.1f} s, {fig['summarize_jobs2_peak_mb']:.0f} MB", ""),
        (f"openpyxl `load_workbook` one by one, {fig['n']} files (total / median)",
         f"{fig['openpyxl_total_s']:.1f} s / {fig['openpyxl_median_ms']:.1f} ms", "baseline"),
        (f"python-calamine, all sheets' values, {fig['n']} files (total / median)",
         f"{fig['calamine_total_s']:.1f} s / {fig['calamine_median_ms']:.2f} ms", "baseline"),
        (f"the same median at the reference run's speed (× {REFERENCE_OPENPYXL_MS} ms ÷ openpyxl's median of this run)",
         f"{fig['per_workbook_at_reference_ms']:.1f} ms", f"≤ {TARGET_MS:.0f} ms"),
        ("the same median ÷ calamine's median (information: native code, slowed less than Python here)",
         f"{fig['per_workbook_in_calamine_medians']:.1f}", f"{TARGET_MS / REFERENCE_CALAMINE_MS:.1f} at the reference run"),
        ("`summarize --jobs 1` ÷ openpyxl opening alone", f"{fig['ratio_jobs1_to_openpyxl']:.2f}", "≤ 0.30"),
        ("`--jobs 2` speed-up over `--jobs 1`", f"{fig['speedup_jobs2']:.2f}×", "≥ 1.7×"),
        ("`gridbudget --help`", f"{fig['help_s'] * 1000:.0f} ms", "< 300 ms"),
    ]
    if fig.get("instructions_m_per_workbook") is not None:
        mi = fig["instructions_m_per_workbook"]
        rows.append(("CPU instructions per workbook, read + validate + score (valgrind, first 40 files; "
                     f"{REFERENCE_MINSTR:.0f} M at the reference run's {REFERENCE_MS} ms)",
                     f"{mi:.0f} M ≈ {mi * REFERENCE_MS / REFERENCE_MINSTR:.1f} ms", f"≤ {TARGET_MS:.0f} ms"))
    if flat:
        rows.append((f"`summarize --jobs 1`, {args.flat} files (wall, peak memory)",
                     f"{flat[0]:.1f} s, {flat[1]:.0f} MB", f"flat vs {fig['n']} files"))
    print("| measure | result | target |\n|---|---|---|")
    for a, b, c in rows:
        print(f"| {a} | {b} | {c} |")
    if args.json:
        args.json.write_text(json.dumps(fig, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
