"""Headless LibreOffice (``soffice``) helpers: recalculation, format conversion, PDF/PNG.

LibreOffice 7.4 ignores ``fullCalcOnLoad`` and by default never recalculates OOXML
files on load, so a plain ``--convert-to xlsx`` keeps the cached values that
xlsxwriter writes (0 for every formula).  Every call here therefore runs soffice
with a fresh throwaway user profile whose ``registrymodifications.xcu`` sets
``/org.openoffice.Office.Calc/Formula/Load`` ``OOXMLRecalcMode`` and
``ODFRecalcMode`` to 0 ("always recalculate") -- or to 1 ("never") when
``recalc=False``, so both behaviours are deterministic and independent of any
user configuration.

Other rules this module follows:

* soffice exits 0 even when it produced nothing, so success is judged only by
  the presence of each expected output file.
* Outputs are first written to a private staging directory (never into
  ``out_dir`` directly), so a stale file left in ``out_dir`` by an earlier run
  can never be mistaken for a fresh output, and nothing is written next to or
  over an input.
* One profile per process: each :func:`convert` call gets its own profile
  directory, so calls from parallel threads or processes do not interfere.
* Start-up dominates the cost (~1 s), so all inputs of one :func:`convert` call
  are handled by one soffice process (in chunks of :data:`CHUNK_SIZE`).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence, Union

__all__ = [
    "LibreOfficeError",
    "find_soffice",
    "available",
    "convert",
    "recalculate",
    "to_pdf",
    "pdf_to_png",
    "pdf_page_count",
    "FILTERS",
    "CHUNK_SIZE",
]

PathLike = Union[str, "os.PathLike[str]"]

#: Environment variable that names the soffice executable explicitly.  When it is
#: set (non-empty) it wins; if it does not name an executable, LibreOffice is
#: treated as unavailable (no silent fall-back to another installation).
ENV_VAR = "GRIDBUDGET_SOFFICE"

#: ``--convert-to`` arguments for the short format names.  A ``fmt`` containing
#: ``:`` is passed to soffice verbatim (the extension is the part before ``:``).
FILTERS: dict[str, str] = {
    "xlsx": "xlsx:Calc MS Excel 2007 XML",
    "xls": "xls:MS Excel 97",
    "ods": "ods:calc8",
    "pdf": "pdf:calc_pdf_Export",
    # UTF-8 (76), comma separated (44), double-quoted text (34).
    "csv": "csv:Text - txt - csv (StarCalc):44,34,76,1",
    "html": "html:HTML (StarCalc)",
}

#: Maximum number of inputs handed to one soffice process.
CHUNK_SIZE = 200

_SOFFICE_FLAGS = ["--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck"]
_STDERR_TAIL = 2000

_XCU_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>{mode}</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>{mode}</value></prop></item>
</oor:items>
"""


class LibreOfficeError(RuntimeError):
    """A LibreOffice / poppler step failed.

    The message is in Chinese and ends with the tail of the command's stderr.
    Attributes: ``missing`` (inputs without output), ``produced`` (outputs that
    were produced and moved into place despite the failure), ``stderr``,
    ``command`` and ``returncode`` (any may be empty/None).
    """

    def __init__(
        self,
        message: str,
        *,
        stderr: str = "",
        command: Sequence[str] | None = None,
        returncode: int | None = None,
        missing: Sequence[Path] = (),
        produced: Sequence[Path] = (),
    ) -> None:
        self.stderr = stderr or ""
        self.command = list(command) if command else []
        self.returncode = returncode
        self.missing = list(missing)
        self.produced = list(produced)
        tail = _tail(self.stderr)
        if tail:
            message = f"{message}\n命令输出（stderr 末尾）：\n{tail}"
        super().__init__(message)


# --------------------------------------------------------------------------- discovery


def _executable(candidate: str | os.PathLike[str]) -> str | None:
    p = Path(candidate)
    if p.is_file() and os.access(p, os.X_OK):
        return str(p)
    return None


def find_soffice() -> str | None:
    """Return the soffice executable, or None.

    Order: ``$GRIDBUDGET_SOFFICE`` (a path or a command name on PATH), then
    ``soffice`` / ``libreoffice`` on PATH, ``/usr/bin/soffice``, and
    ``/opt/libreoffice*/program/soffice`` (newest-looking name first).
    """
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return _executable(os.path.expanduser(env)) or shutil.which(env)
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    found = _executable("/usr/bin/soffice")
    if found:
        return found
    for cand in sorted(Path("/opt").glob("libreoffice*/program/soffice"), reverse=True):
        found = _executable(cand)
        if found:
            return found
    return None


def available() -> bool:
    """True when a soffice executable was found (see :func:`find_soffice`)."""
    return find_soffice() is not None


# --------------------------------------------------------------------------- helpers


def _tail(text: str, limit: int = _STDERR_TAIL) -> str:
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    return "…" + text[-limit:]


def _decode(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", errors="replace")


def _split_fmt(fmt: str) -> tuple[str, str]:
    """Return (output extension, --convert-to argument)."""
    fmt = fmt.strip()
    if not fmt:
        raise ValueError("fmt must not be empty")
    if ":" in fmt:
        ext = fmt.split(":", 1)[0].strip().lower().lstrip(".")
        return ext, fmt
    ext = fmt.lower().lstrip(".")
    return ext, FILTERS.get(ext, ext)


def _write_profile(profile: Path, recalc: bool) -> None:
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(
        _XCU_TEMPLATE.format(mode=0 if recalc else 1), encoding="utf-8"
    )


def _child_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["HOME"] = str(home)
    if not any(env.get(k) for k in ("LC_ALL", "LC_CTYPE", "LANG")):
        env["LANG"] = "C.UTF-8"  # non-ASCII (Chinese) file names
    return env


def _run(cmd: list[str], *, env: dict[str, str] | None, timeout: float, what: str) -> tuple[int, str, str]:
    """Run cmd in its own process group; kill the whole group on timeout."""
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        raise LibreOfficeError(f"无法启动{what}：{cmd[0]}（{exc}）", command=cmd) from exc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            proc.kill()
        out, err = proc.communicate()
        raise LibreOfficeError(
            f"{what}超时（{timeout:g} 秒），已终止。",
            stderr=_decode(err),
            command=cmd,
            returncode=proc.returncode,
        ) from None
    return proc.returncode, _decode(out), _decode(err)


def _same_file(a: Path, b: Path) -> bool:
    try:
        if os.path.samefile(a, b):
            return True
    except OSError:
        pass
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def _place(src: Path, dst: Path) -> None:
    """Move src to dst atomically (copy to a temp file beside dst across filesystems)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dst)
        return
    except OSError:
        pass
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    src.unlink(missing_ok=True)


def _fmt_list(paths: Sequence[Path]) -> str:
    return "\n".join(f"  - {p}" for p in paths)


# --------------------------------------------------------------------------- convert


def convert(
    inputs: Sequence[PathLike],
    out_dir: PathLike,
    fmt: str,
    *,
    recalc: bool = True,
    timeout: float = 180,
) -> list[Path]:
    """Convert spreadsheets with one soffice process; return outputs in input order.

    ``fmt`` is a short name (``xlsx``, ``xls``, ``ods``, ``pdf``, ``csv``,
    ``html``, ``png``) or a full ``ext:Filter Name`` string.  With ``recalc``
    (default) every formula is recalculated on load; with ``recalc=False`` the
    cached values are kept.  ``png`` renders the first page of each workbook
    (via a PDF and pdftoppm, because LibreOffice 7.4's Calc PNG export fails
    headless).  ``timeout`` applies to each soffice process (one per
    :data:`CHUNK_SIZE` inputs).

    Outputs are named ``<input stem>.<ext>`` inside ``out_dir`` (created if
    needed; existing files of the same name are replaced).  Raises
    :class:`LibreOfficeError` when an input is missing, two inputs would produce
    the same output name, an output would overwrite its input, or soffice
    produced no output for some input (every such input is named; outputs
    that were produced are still moved into place and listed in ``produced``).
    """
    ext, convert_to = _split_fmt(fmt)
    via_pdf = ext == "png" and ":" not in fmt
    if via_pdf:
        convert_to = FILTERS["pdf"]
    srcs = [Path(p).expanduser().absolute() for p in inputs]
    out = Path(out_dir).expanduser().absolute()
    if not srcs:
        return []

    missing_inputs = [p for p in srcs if not p.is_file()]
    if missing_inputs:
        raise LibreOfficeError("以下输入文件不存在或不是文件：\n" + _fmt_list(missing_inputs), missing=missing_inputs)

    targets = [out / f"{p.stem}.{ext}" for p in srcs]
    seen: dict[str, Path] = {}
    dups: list[Path] = []
    for src, tgt in zip(srcs, targets):
        key = os.path.normcase(tgt.name)
        if key in seen:
            dups.extend([seen[key], src])
        seen[key] = src
    if dups:
        raise LibreOfficeError(
            "以下输入文件会生成同名的输出文件，请分批转换：\n" + _fmt_list(list(dict.fromkeys(dups)))
        )
    clobber = [s for s, t in zip(srcs, targets) if _same_file(s, t)]
    if clobber:
        raise LibreOfficeError(
            f"拒绝转换：输出目录 {out} 是输入文件所在目录，输出会覆盖以下输入文件：\n" + _fmt_list(clobber)
        )

    soffice = find_soffice()
    if soffice is None:
        raise LibreOfficeError(f"未找到 LibreOffice（soffice）。请安装 LibreOffice 或设置环境变量 {ENV_VAR}。")

    work = Path(tempfile.mkdtemp(prefix="gridbudget-lo-"))
    try:
        profile = work / "profile"
        stage = work / "out"
        stage.mkdir()
        _write_profile(profile, recalc)
        env = _child_env(work)
        stage_ext = "pdf" if via_pdf else ext
        stderr_parts: list[str] = []
        last_cmd: list[str] = []
        last_rc: int | None = None
        for start in range(0, len(srcs), CHUNK_SIZE):
            chunk = srcs[start : start + CHUNK_SIZE]
            cmd = [
                soffice,
                f"-env:UserInstallation={profile.as_uri()}",
                *_SOFFICE_FLAGS,
                "--convert-to",
                convert_to,
                "--outdir",
                str(stage),
                *[str(p) for p in chunk],
            ]
            last_cmd = cmd
            try:
                last_rc, _out, err = _run(cmd, env=env, timeout=timeout, what="LibreOffice 转换")
            except LibreOfficeError as exc:
                # A timeout (or a failed start) aborts the whole call.
                raise LibreOfficeError(
                    f"LibreOffice 转换超时或无法启动（{len(chunk)} 个文件，第一个：{chunk[0]}）。",
                    stderr="\n".join([*stderr_parts, exc.stderr]),
                    command=cmd,
                    returncode=exc.returncode,
                    missing=chunk,
                ) from exc
            if err.strip():
                stderr_parts.append(err)

        staged = [stage / f"{p.stem}.{stage_ext}" for p in srcs]
        if via_pdf:
            pngs: list[Path] = []
            for pdf in staged:
                png = pdf.with_suffix(".png")
                if pdf.is_file() and pdf.stat().st_size > 0:
                    try:
                        _pdf_first_page_png(pdf, png, timeout=timeout)
                    except LibreOfficeError as exc:
                        stderr_parts.append(exc.stderr or str(exc))
                pngs.append(png)
            staged = pngs

        produced: list[Path] = []
        missing: list[Path] = []
        for src, st, tgt in zip(srcs, staged, targets):
            if st.is_file() and st.stat().st_size > 0:
                _place(st, tgt)
                produced.append(tgt)
            else:
                missing.append(src)
        if missing:
            raise LibreOfficeError(
                f"LibreOffice 未能将以下 {len(missing)} 个文件转换为 {ext}"
                f"（文件损坏、格式不受支持或受密码保护？）：\n" + _fmt_list(missing),
                stderr="\n".join(stderr_parts),
                command=last_cmd,
                returncode=last_rc,
                missing=missing,
                produced=produced,
            )
        return produced
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _convert_one(src: PathLike, dst: PathLike, fmt: str, *, recalc: bool, timeout: float) -> Path:
    src_p = Path(src).expanduser().absolute()
    dst_p = Path(dst).expanduser().absolute()
    if _same_file(src_p, dst_p):
        raise LibreOfficeError(f"拒绝覆盖输入文件：{src_p}（输出路径与输入路径相同）。")
    with tempfile.TemporaryDirectory(prefix="gridbudget-lo-out-") as tmp:
        (result,) = convert([src_p], tmp, fmt, recalc=recalc, timeout=timeout)
        _place(result, dst_p)
    return dst_p


def recalculate(src: PathLike, dst: PathLike, *, timeout: float = 180) -> Path:
    """Open ``src``, recalculate every formula, save as xlsx to ``dst`` (atomically)."""
    return _convert_one(src, dst, "xlsx", recalc=True, timeout=timeout)


def to_pdf(src: PathLike, dst: PathLike, *, recalc: bool = True, timeout: float = 180) -> Path:
    """Export ``src`` to PDF at ``dst`` (recalculating first unless ``recalc=False``)."""
    return _convert_one(src, dst, "pdf", recalc=recalc, timeout=timeout)


# --------------------------------------------------------------------------- PDF helpers


def _pdftoppm() -> str:
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise LibreOfficeError("未找到 pdftoppm（poppler-utils），无法将 PDF 转为 PNG。")
    return exe


def _pdf_first_page_png(pdf: Path, png: Path, *, dpi: int = 110, timeout: float = 180) -> None:
    cmd = [_pdftoppm(), "-r", str(int(dpi)), "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(png.with_suffix(""))]
    rc, _out, err = _run(cmd, env=None, timeout=timeout, what="pdftoppm")
    if rc != 0 or not png.is_file():
        raise LibreOfficeError(f"pdftoppm 未能渲染 {pdf}。", stderr=err, command=cmd, returncode=rc)


def _page_number(path: Path) -> int:
    m = re.search(r"-(\d+)\.png$", path.name)
    return int(m.group(1)) if m else 0


def pdf_to_png(pdf: PathLike, out_prefix: PathLike, *, dpi: int = 110, timeout: float = 180) -> list[Path]:
    """Render every page with ``pdftoppm -r dpi -png``; return the page files in page order.

    Files are named like pdftoppm names them (``<prefix>-1.png`` or
    ``<prefix>-01.png`` ...).  Rendering happens in a temporary directory so
    stale pages from an earlier run with the same prefix are never returned
    (they are replaced when the names coincide).
    """
    pdf_p = Path(pdf).expanduser().absolute()
    prefix = Path(out_prefix).expanduser().absolute()
    if not pdf_p.is_file():
        raise LibreOfficeError(f"PDF 文件不存在：{pdf_p}", missing=[pdf_p])
    if dpi <= 0:
        raise ValueError("dpi must be positive")
    with tempfile.TemporaryDirectory(prefix="gridbudget-ppm-") as tmp:
        tmp_prefix = Path(tmp) / prefix.name
        cmd = [_pdftoppm(), "-r", str(int(dpi)), "-png", str(pdf_p), str(tmp_prefix)]
        rc, _out, err = _run(cmd, env=None, timeout=timeout, what="pdftoppm")
        pages = sorted(Path(tmp).glob("*.png"), key=_page_number)
        if rc != 0 or not pages:
            raise LibreOfficeError(f"pdftoppm 未能将 {pdf_p} 渲染为 PNG。", stderr=err, command=cmd, returncode=rc)
        result = []
        for page in pages:
            target = prefix.parent / page.name
            _place(page, target)
            result.append(target)
    return result


_PAGE_RE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def pdf_page_count(pdf: PathLike) -> int:
    """Number of pages: ``pdfinfo`` when installed, else count ``/Type /Page`` objects."""
    pdf_p = Path(pdf).expanduser()
    if not pdf_p.is_file():
        raise FileNotFoundError(str(pdf_p))
    exe = shutil.which("pdfinfo")
    if exe:
        try:
            proc = subprocess.run(
                [exe, str(pdf_p)], stdin=subprocess.DEVNULL, capture_output=True, timeout=60
            )
            m = re.search(rb"^Pages:\s+(\d+)", proc.stdout, re.MULTILINE)
            if proc.returncode == 0 and m:
                return int(m.group(1))
        except (OSError, subprocess.TimeoutExpired):
            pass
    return len(_PAGE_RE.findall(pdf_p.read_bytes()))
