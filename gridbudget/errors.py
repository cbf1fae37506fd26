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
