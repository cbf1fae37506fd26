"""The exit-code contract and the errors users see.

Every command ends with one of these codes (README, 退出码):

====  =========================================================================
0     fine (validate: no error; --strict: no warning either)
1     the check found errors (with --strict: or warnings)
2     some input could not be read (summarize: the summary is still written)
3     wrong usage or configuration: bad option, bad profile, bad output path
4     internal error: a short Chinese message and a log file with the details
====  =========================================================================

A :class:`UserError` carries a Chinese message naming the file (and the cell or key)
and the exit code it ends with; the CLI prints the message and exits with the code,
never a traceback. Library code raises the subclass that says whose fault it is.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNREADABLE = 2
EXIT_USAGE = 3
EXIT_INTERNAL = 4

EXIT_CODES = {
    EXIT_OK: "正常（审核没有发现错误）",
    EXIT_FINDINGS: "审核发现错误（--strict 时含警告）",
    EXIT_UNREADABLE: "有输入文件无法读取（summarize 仍写出汇总）",
    EXIT_USAGE: "用法或配置有误（参数、评分方案、输出路径）",
    EXIT_INTERNAL: "程序内部错误（详细信息写入日志文件）",
}


class UserError(Exception):
    """An error the user can act on: ``message`` is Chinese and names the file."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *args: object):
        super().__init__(message, *args)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(UserError):
    """An input file that cannot be read (exit code 2)."""

    exit_code = EXIT_UNREADABLE


class UsageError(UserError):
    """Wrong usage or configuration: options, profiles, output paths (exit code 3)."""

    exit_code = EXIT_USAGE


def log_dir() -> str:
    """Where internal-error logs go: ``GRIDBUDGET_LOG_DIR``, else ~/.cache/gridbudget/logs,
    else the temporary folder."""
    import os
    import tempfile

    env = os.environ.get("GRIDBUDGET_LOG_DIR")
    if env:
        return env
    home = os.path.expanduser("~")
    if home and home != "~" and os.access(home, os.W_OK):
        return os.path.join(home, ".cache", "gridbudget", "logs")
    return os.path.join(tempfile.gettempdir(), "gridbudget-logs")


def write_log(detail: str, context: str = "") -> str:
    """Write an internal error's details to a new log file; its path (for the message)."""
    import os
    import sys
    import time

    from . import __version__

    stamp = time.strftime("%Y%m%d-%H%M%S")
    text = (f"gridbudget {__version__}, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
            f"argv: {sys.argv!r}\n" + (f"file: {context}\n" if context else "") + "\n" + detail + "\n")
    for folder in (log_dir(), None):
        try:
            if folder is None:
                import tempfile

                folder = tempfile.gettempdir()
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, f"gridbudget-error-{stamp}-{os.getpid()}.log")
            with open(path, "w", encoding="utf-8", errors="replace") as fh:
                fh.write(text)
            return path
        except OSError:
            continue
    return "（日志无法写入）"
