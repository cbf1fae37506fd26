"""Worker processes with a memory cap and a deadline, enforced from outside the work.

Every file a command reads is handled in a worker process (``fork``): the worker's
address space is capped with ``resource.setrlimit(RLIMIT_AS)``, its standard error goes
to /dev/null (a native library that runs out of memory prints English text and aborts),
and the parent kills it when the file's time is up. A file that runs out of time or
memory, or makes a native library abort, comes back as a :class:`Failed` result; the
worker is replaced and the batch goes on.

The cap is the worker's size at fork plus ``GRIDBUDGET_MEMORY_MB`` (default
:data:`MEMORY_MB`; 0 turns it off): a command's own process is small (about 50 MB
resident), so one file can never bring a command near 500 MB.
"""

from __future__ import annotations

import os
import signal
import time
import traceback
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

MEMORY_MB = 400
DEFAULT_TIMEOUT = 60.0

TIMEOUT, MEMORY, CRASHED, INTERNAL, USER = "timeout", "memory", "crashed", "internal", "user"


def memory_limit_mb() -> int:
    raw = os.environ.get("GRIDBUDGET_MEMORY_MB", "")
    try:
        return max(0, int(raw)) if raw.strip() else MEMORY_MB
    except ValueError:
        return MEMORY_MB


@dataclass
class Failed:
    """A task that did not finish: ``code`` is timeout / memory / crashed / internal / user;
    ``detail`` holds the traceback of an internal error (for the log file), ``error`` the
    :class:`~gridbudget.errors.UserError` a task raised (code "user")."""

    code: str
    detail: str = ""
    error: Exception | None = None


def _address_space() -> int:
    """The process's current virtual size in bytes (0 when unknown)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _cap_memory(mb: int) -> None:
    """Cap the worker's address space at what it has now (inherited from the parent at fork)
    plus ``mb``: the file's work may take ``mb`` more, whatever the parent had loaded."""
    if mb <= 0:
        return
    try:
        import resource

        limit = _address_space() + mb * 2**20
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # pragma: no cover - platforms without RLIMIT_AS
        pass


def tune_gc() -> None:
    """The cyclic garbage collector as a worker runs it: what was loaded before the first file is
    frozen out of its scans, and it runs after 10,000 new objects rather than 700 (reading a workbook
    makes tens of thousands, few of them in cycles). Memory stays flat over a batch."""
    import gc

    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def _serve(conn, memory_mb: int) -> None:
    """The worker loop: receive (task id, function, args), send (task id, status, payload)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)      # the parent handles Ctrl-C and kills us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:  # pragma: no cover
        pass
    _cap_memory(memory_mb)
    from ..errors import UserError

    tune_gc()

    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        tid, fn, args = msg
        try:
            out: tuple = (tid, "ok", fn(*args))
        except MemoryError:
            out = (tid, MEMORY, "")
        except UserError as exc:
            out = (tid, USER, exc)
        except BaseException:  # noqa: BLE001 - native panics derive from BaseException
            out = (tid, INTERNAL, traceback.format_exc())
        try:
            conn.send(out)
        except MemoryError:
            out = (tid, MEMORY, "")
            conn.send(out)
        except Exception:  # noqa: BLE001 - a result that cannot be pickled
            out = (tid, INTERNAL, traceback.format_exc())
            conn.send(out)
        if out[1] == MEMORY:
            return                                      # a fresh worker after memory ran out


class _Worker:
    __slots__ = ("conn", "proc", "task", "deadline")

    def __init__(self, ctx, memory_mb: int):
        parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, memory_mb), daemon=True)
        self.proc.start()
        child.close()
        self.conn = parent
        self.task: int | None = None
        self.deadline: float | None = None

    def kill(self) -> None:
        try:
            self.proc.kill()
        except (OSError, AttributeError):  # pragma: no cover
            pass
        self.proc.join(5)
        self.conn.close()


class Pool:
    """``jobs`` worker processes; :meth:`run` yields ``(index, result or Failed)`` in input order."""

    def __init__(self, jobs: int = 1, memory_mb: int | None = None):
        import multiprocessing as mp

        self.ctx = mp.get_context("fork")
        self.memory_mb = memory_limit_mb() if memory_mb is None else memory_mb
        self.jobs = max(1, jobs)
        self.workers = [_Worker(self.ctx, self.memory_mb) for _ in range(self.jobs)]

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for w in self.workers:
            if w.task is None:
                try:
                    w.conn.send(None)
                except (OSError, ValueError):
                    pass
        deadline = time.monotonic() + 2
        for w in self.workers:
            if w.task is None:
                w.proc.join(max(0.0, deadline - time.monotonic()))
            if w.proc.is_alive():
                w.kill()
            else:
                w.conn.close()
        self.workers = []

    def _replace(self, w: _Worker) -> None:
        w.kill()
        self.workers[self.workers.index(w)] = _Worker(self.ctx, self.memory_mb)

    def run(self, fn: Callable[..., Any], tasks: Iterable[tuple], timeout: float | None = None,
            ) -> Iterator[tuple[int, Any]]:
        """Run ``fn(*args)`` for every args tuple; a task over ``timeout`` seconds is killed."""
        from multiprocessing.connection import wait

        source = iter(enumerate(tasks))           # produced lazily: a task may carry a file's bytes
        retry: deque = deque()
        done: dict[int, Any] = {}
        next_out = 0
        produced = 0
        exhausted = False
        limit = timeout if timeout and timeout > 0 else None
        while True:
            for w in self.workers:
                if w.task is not None:
                    continue
                if retry:
                    tid, args = retry.popleft()
                elif not exhausted:
                    try:
                        tid, args = next(source)
                        produced += 1
                    except StopIteration:
                        exhausted = True
                        break
                else:
                    break
                try:
                    w.conn.send((tid, fn, args))
                except (OSError, ValueError):           # the worker is gone: a fresh one takes it
                    self._replace(w)
                    retry.append((tid, args))
                    continue
                w.task = tid
                w.deadline = None if limit is None else time.monotonic() + limit
            busy = [w for w in self.workers if w.task is not None]
            if not busy:
                if exhausted and not retry:
                    break
                continue
            deadlines = [w.deadline for w in busy if w.deadline is not None]
            wait_for = None if not deadlines else max(0.0, min(deadlines) - time.monotonic())
            ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], wait_for)
            now = time.monotonic()
            for w in list(busy):
                if w.conn in ready or w.proc.sentinel in ready:
                    result: Any
                    try:
                        if w.conn.poll():
                            tid, status, payload = w.conn.recv()
                            result = (payload if status == "ok" else
                                      Failed(status, error=payload) if status == USER else Failed(status, payload or ""))
                        else:
                            raise EOFError
                    except (EOFError, OSError):
                        tid = w.task
                        w.proc.join(5)
                        code = w.proc.exitcode
                        result = Failed(MEMORY if code in (-signal.SIGKILL, -signal.SIGABRT, -signal.SIGSEGV)
                                        else CRASHED, f"exit code {code}")
                    done[tid] = result
                    w.task = w.deadline = None
                    if not w.proc.is_alive() or isinstance(result, Failed) and result.code in (MEMORY, CRASHED):
                        self._replace(w)
                elif w.deadline is not None and now >= w.deadline:
                    done[w.task] = Failed(TIMEOUT)
                    w.task = w.deadline = None
                    self._replace(w)
            while next_out in done:
                yield next_out, done.pop(next_out)
                next_out += 1
        while next_out < produced:                      # pragma: no cover - every task is answered
            yield next_out, done.pop(next_out, Failed(CRASHED))
            next_out += 1


def run_one(fn: Callable[..., Any], args: tuple, timeout: float | None = None,
            memory_mb: int | None = None) -> Any:
    """``fn(*args)`` in one worker process: its result, or :class:`Failed`."""
    with Pool(1, memory_mb) as pool:
        for _i, result in pool.run(fn, [args], timeout):
            return result
    return Failed(CRASHED)  # pragma: no cover
