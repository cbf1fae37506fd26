"""Small file-system helpers: outputs are written atomically and never over an input."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
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
    except OSError:
        return pa.resolve() == pb.resolve()


def refuse_overwrite(output: str | os.PathLike, inputs) -> None:
    """Raise ValueError (Chinese message) when ``output`` would replace one of ``inputs``."""
    for inp in inputs:
        if same_file(output, inp) or Path(output).resolve() == Path(inp).resolve():
            raise ValueError(f"输出文件 {output} 与输入文件相同：gridbudget 从不改写输入文件，请换一个输出文件名。")
