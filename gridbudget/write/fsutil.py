"""Small file-system helpers: outputs are written atomically and never over an input.

One rule for every output path (:func:`prepare_output`): the file is written exactly where
``-o`` says; its suffix must be the format's (.xlsx — or .xlsm for the copy of a macro
workbook —, .json, .csv); an existing file is replaced only when gridbudget wrote it
(its own marker: ``cp:lastModifiedBy`` gridbudget in a workbook, ``"schema": "gridbudget.``
in JSON, gridbudget's header line in CSV), otherwise only with ``--force``; the folder
must exist or be creatable and writable. Every fault is a UsageError (exit code 3).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


OWN_MARKER = "gridbudget"
FORMAT_SUFFIXES = {"xlsx": (".xlsx",), "copy": (".xlsx", ".xlsm"), "json": (".json",), "csv": (".csv",),
                   "docx": (".docx",)}
_FORMAT_WORDS = {"xlsx": "Excel 工作簿", "copy": "Excel 工作簿", "json": "JSON", "csv": "CSV", "docx": "Word 文档"}


def _output_error(path: str | os.PathLike, why: str):
    from ..errors import UsageError

    return UsageError(f"无法写入输出文件 {path}：{why}")


def is_own_output(path: str | os.PathLike) -> bool:
    """True when the file at ``path`` was written by gridbudget and not changed by anyone since."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    if head[:4] == b"PK\x03\x04":
        import zipfile

        try:
            with zipfile.ZipFile(path) as zf:
                core = zf.read("docProps/core.xml")[:20000].decode("utf-8", "replace")
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError):
            return False
        return f"<cp:lastModifiedBy>{OWN_MARKER}</cp:lastModifiedBy>" in core
    text = head.decode("utf-8-sig", "replace")
    return f'"schema": "{OWN_MARKER}.' in text[:200] or text.startswith(f"{OWN_MARKER}:") or \
        any(text.startswith(h) for h in _CSV_HEADERS)


_CSV_HEADERS: list[str] = []       # the header lines gridbudget writes in CSV (registered by the writers)


def prepare_output(path: str | os.PathLike, fmt: str, inputs=(), *, force: bool = False) -> Path:
    """Check an output path under the one rule (module docstring); UsageError when it breaks it."""
    path = Path(path)
    allowed = FORMAT_SUFFIXES[fmt]
    if path.suffix.lower() not in allowed:
        right = path.with_suffix(allowed[0]).name if path.suffix else path.name + allowed[0]
        raise _output_error(path, f"{_FORMAT_WORDS[fmt]}文件应以 {' 或 '.join(allowed)} 结尾，例如 {right}。")
    try:
        refuse_overwrite(path, inputs)
    except ValueError as exc:
        from ..errors import UsageError

        raise UsageError(str(exc)) from None
    if path.is_dir():
        raise _output_error(path, "这是一个已有的文件夹，请给出文件名。")
    parent = path.parent
    probe = parent
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise _output_error(path, f"{probe} 是文件，不是文件夹。")
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise _output_error(path, f"没有写入文件夹 {probe} 的权限。")
    if path.exists() and not force and not is_own_output(path):
        raise _output_error(path, "文件已存在，且不是 gridbudget 生成的（可能是已填写的工作簿）："
                                  "换一个文件名，或加 --force 覆盖。")
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A folder that cannot be made or written gives a UsageError naming the path."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return _atomic_write(path, data)
    except OSError as exc:
        raise _output_error(path, _os_reason(exc)) from None


def _os_reason(exc: OSError) -> str:
    import errno

    return {errno.EACCES: "没有写入权限。", errno.EPERM: "没有写入权限。", errno.EROFS: "所在位置是只读的。",
            errno.ENOSPC: "磁盘空间不足。", errno.EISDIR: "这是一个已有的文件夹。",
            errno.ENOTDIR: "路径中有一部分是文件，不是文件夹。", errno.ENAMETOOLONG: "文件名太长。",
            errno.EDQUOT: "磁盘配额已满。"}.get(exc.errno or 0, f"系统错误 {exc.errno}。")


def _atomic_write(path: Path, data: bytes) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)      # mkstemp makes 0600; give the usual permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True when both paths name the same existing file (or the same path)."""
    pa, pb = Path(a), Path(b)
    try:
        return pa.exists() and pb.exists() and os.path.samefile(pa, pb)
    except (OSError, RuntimeError):
        try:
            return pa.resolve() == pb.resolve()
        except (OSError, RuntimeError):
            return False


def refuse_overwrite(output: str | os.PathLike, inputs) -> None:
    """Raise ValueError (Chinese message) when ``output`` would replace one of ``inputs``."""
    for inp in inputs:
        try:
            same = same_file(output, inp) or Path(output).resolve() == Path(inp).resolve()
        except (OSError, RuntimeError):       # a symlink loop: it cannot be the output
            same = False
        if same:
            raise ValueError(f"输出文件 {output} 与输入文件相同：gridbudget 从不改写输入文件，请换一个输出文件名。")
