"""Command line: a thin shell over the Python API. Heavy modules are imported inside commands.

Exit codes (one contract for every command, see :mod:`gridbudget.errors`): 0 fine, 1 the
check found errors, 2 some input could not be read, 3 wrong usage or configuration,
4 internal error (a short Chinese message and a log file). Every file a command reads is
handled in a worker process with a memory cap and a time limit
(:mod:`gridbudget.batch.workers`); no command ends in a traceback.
"""

from __future__ import annotations

import math
import os
import signal
import sys
from functools import partial
from pathlib import Path
from typing import List, Optional

import typer

from .errors import (EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, EXIT_UNREADABLE, EXIT_USAGE, InputError, UsageError,
                     UserError)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="gridbudget：预算绩效自评附表（基础数据表、整体支出自评表、项目支出自评表）的模板、读取、审核、评分与汇总工具。\n\n"
         "退出码：0 正常；1 审核发现错误（--strict 时含警告）；2 有输入文件无法读取；3 用法或配置有误；4 程序内部错误。",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)

DEFAULT_TIMEOUT = 60.0


def _internal(exc: BaseException) -> int:
    """Log an unexpected error, print the short Chinese message; exit code 4."""
    import traceback

    from .errors import write_log

    detail = getattr(exc, "detail", None) or "".join(traceback.format_exception(exc))
    log = write_log(detail, getattr(exc, "name", ""))
    typer.echo(f"错误：程序内部出错（{type(exc).__name__}），详细信息已写入 {log}。"
               "请把这个文件和出错的输入文件交给技术人员。", err=True)
    return EXIT_INTERNAL


def _command(name: str):
    """Register a command whose user errors end in their Chinese message and exit code, and
    whose unexpected errors end in a log file and exit code 4 (the contract holds for the
    Python API's ``app`` too, not only for :func:`main`)."""
    import functools

    register = app.command(name)

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            from typer import exceptions as tx

            try:
                return fn(*args, **kwargs)
            except UserError as exc:
                typer.echo(f"错误：{exc.message}", err=True)
                raise typer.Exit(exc.exit_code) from None
            except (tx.Exit, tx.Abort, KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:  # noqa: BLE001 - the contract: a message, a log, exit code 4
                raise typer.Exit(_internal(exc)) from None
        return register(wrapper)
    return deco
_TIMEOUT_HELP = "单个文件的处理时限（秒，默认 60）；超时的文件报告“超时”，其余照常处理"
_FORCE_HELP = "输出文件已存在且不是 gridbudget 生成的（如已填写的工作簿）时，仍然覆盖"


def _check_timeout(value: Optional[float]) -> Optional[float]:
    if value is not None and (not math.isfinite(value) or value <= 0):
        raise UsageError(f"--timeout 应为大于 0 的有限秒数，实为 {value}。")
    return value


def _check_format(fmt: str, allowed: tuple[str, ...]) -> None:
    if fmt not in allowed:
        raise UsageError(f"不支持的格式 {fmt}：可用 {'、'.join(allowed)}。")


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"gridbudget {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="显示版本号并退出"),
) -> None:
    """gridbudget：预算绩效自评附表工具。"""


def _profile(name: Optional[str]):
    from .score.profile import load_profile

    return load_profile(name)          # ProfileError is a UsageError: exit 3 with its message


def _run_one(fn, args: tuple, name: str, timeout: float):
    """One file's work in a worker process; failures become UserError / internal errors."""
    from .batch.jobs import result_or_raise
    from .batch.workers import run_one

    return result_or_raise(run_one(fn, args, timeout), name, timeout)


def _existing(path: Path, what: str = "文件") -> str:
    from .batch import display_path

    shown = display_path(str(path))
    if path.is_dir():
        raise InputError(f"{shown} 是一个文件夹，不是{what}：请给出一个{what}。")
    if not path.exists():
        raise InputError(f"找不到{what} {shown}：请检查路径是否正确。")
    return shown


@_command("template")
def template_cmd(
    output: Path = typer.Option(Path("自评附表模板.xlsx"), "-o", "--output", help="输出文件（.xlsx）"),
    unit: Optional[str] = typer.Option(None, "--unit", help="单位名称，写入各表表头"),
    year: Optional[int] = typer.Option(None, "--year", min=1990, max=2100, help="年度，如 2024（默认上一年度）"),
    projects: int = typer.Option(1, "--projects", min=1, max=200, help="项目支出自评表张数"),
    department: Optional[str] = typer.Option(None, "--department", help="主管部门，写入项目支出自评表"),
    family: Optional[str] = typer.Option(None, "--family", help="只写一种表式的空白表（见 docs/families.md），"
                                         "如 central-2020、central-2020-overall、basic"),
    force: bool = typer.Option(False, "--force", help=_FORCE_HELP),
) -> None:
    """生成空白标准模板：填表说明、基础数据表、整体支出自评表和 N 张项目支出自评表；--family 只写该表式。"""
    from .forms.families import FAMILY_BY_KEY, with_layout
    from .write.fsutil import prepare_output
    from .write.template import TemplateOptions, write_template

    prepare_output(output, "xlsx", force=force)
    tables = ("basic", "overall", "project")
    if family is not None:
        fam = FAMILY_BY_KEY.get(family)
        can = "、".join(f"{f.key}（{f.name}）" for f in with_layout())
        if fam is None:
            raise UsageError(f"没有表式“{family}”。有模板布局的表式：{can}；全部表式见 docs/families.md。")
        if fam.layout is None:
            raise UsageError(f"表式“{fam.name}”（{fam.key}）没有模板布局：这种表按其表头读取和审核，不生成模板。"
                             f"有模板布局的表式：{can}。")
        tables = (fam.layout,)
    write_template(output, TemplateOptions(unit=unit, year=year, projects=projects, department=department,
                                           tables=tables))
    typer.echo(f"已生成模板：{output}")


@_command("fill")
def fill_cmd(
    data: Path = typer.Argument(..., help="提交数据 JSON（见 gridbudget/schema/submission.schema.json）"),
    output: Path = typer.Option(..., "-o", "--output", help="输出的已填模板（.xlsx）"),
    force: bool = typer.Option(False, "--force", help=_FORCE_HELP),
    into: Optional[Path] = typer.Option(None, "--into", help="财政局下发的工作簿（gridbudget distribute）：填入其中，"
                                        "下发数、申报的目标和指标保持不变并仍锁定"),
) -> None:
    """用 JSON 数据填写标准模板（或财政局下发的工作簿），生成已填好的工作簿。"""
    from .submission import flatten, load_json
    from .write.fsutil import prepare_output
    from .write.template import TemplateOptions, write_template

    _existing(data)
    if into is not None:
        from .distribute import fill_into

        _existing(into, "下发的工作簿")
        for n in fill_into(data, into, output, force=force):
            typer.echo(f"提示：{n}", err=True)
        typer.echo(f"已生成：{output}")
        return
    prepare_output(output, "xlsx", [data], force=force)
    nested = load_json(data)               # InputError naming the file and the key
    notes: list[str] = []                  # where indicator groups of other level names went, or did not
    flat = flatten(nested, notes=notes)
    unit = (nested.get("basic") or {}).get("unit") or (nested.get("overall") or {}).get("unit")
    write_template(output, TemplateOptions(unit=unit, projects=max(1, len(flat["projects"]))), flat)
    typer.echo(f"已生成：{output}")
    for n in notes:
        typer.echo(f"提示：{n}", err=True)


@_command("export")
def export_cmd(
    workbook: Path = typer.Argument(..., help="已填写的自评附表工作簿（.xlsx/.xlsm/.xls/.et/.ods）"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="输出 JSON 文件（.json）；省略则打印到屏幕"),
    fmt: str = typer.Option("json", "--format", help="输出格式：json"),
    sources: bool = typer.Option(True, "--sources/--no-sources", help="是否附上每个值所在的单元格"),
    timeout: float = typer.Option(DEFAULT_TIMEOUT, "--timeout", callback=_check_timeout, help=_TIMEOUT_HELP),
    force: bool = typer.Option(False, "--force", help=_FORCE_HELP),
) -> None:
    """读取工作簿，按统一数据结构导出为 JSON（可再用 gridbudget fill 写回模板）。"""
    from .batch.jobs import export_job
    from .write.fsutil import atomic_write_bytes, prepare_output

    _check_format(fmt, ("json",))
    shown = _existing(workbook, "工作簿")
    if output is not None:
        prepare_output(output, "json", [workbook], force=force)
    text = _run_one(export_job, (str(workbook), sources), shown, timeout)
    if output is None:
        sys.stdout.write(text)
        return
    atomic_write_bytes(output, text.encode("utf-8"))
    typer.echo(f"已导出：{output}", err=True)


@_command("validate")
def validate_cmd(
    files: List[str] = typer.Argument(..., help="要审核的工作簿，可以多个；也可以是文件夹、通配符或 .zip 压缩包"),
    fmt: str = typer.Option("text", "--format", help="输出格式：text 或 json"),
    annotate: Optional[Path] = typer.Option(None, "--annotate", help="另存一份带批注和“审核结果”表的副本（.xlsx，只能审核一个文件时使用）"),
    profile: Optional[str] = typer.Option(None, "--profile", help="评分方案名称或 .toml 文件（默认 national-2020）"),
    strict: bool = typer.Option(False, "--strict", help="有警告也以退出码 1 结束"),
    previous: Optional[Path] = typer.Option(None, "--previous", help="上年度工作簿，用于跨年核对"),
    report: Optional[Path] = typer.Option(None, "--report", help="自评报告正文（.txt 或 .docx），核对正文数字与附表"),
    timeout: float = typer.Option(DEFAULT_TIMEOUT, "--timeout", callback=_check_timeout, help=_TIMEOUT_HELP),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, max=64, help="并行进程数（默认为 CPU 核数）"),
    force: bool = typer.Option(False, "--force", help=_FORCE_HELP),
) -> None:
    """审核工作簿：表内、表间、计分、完整性检查，每个问题指向具体单元格。

    退出码：0 没有错误；1 发现错误（--strict 时含警告）；2 有文件无法读取；3 用法或配置有误；4 程序内部错误。
    """
    from .batch import collect_inputs, failure, payloads, why_missing
    from .batch.jobs import validate_job
    from .batch.workers import Failed, Pool
    from .check.findings import Report
    from .submission import dumps
    from .write.text import render_json, render_text, use_color

    _check_format(fmt, ("text", "json"))
    prof = _profile(profile)
    inputs, missing = collect_inputs(files)
    if annotate is not None:
        if len(inputs) != 1 or inputs[0].member is not None or missing:
            raise UsageError("--annotate 只能用于一个工作簿文件（不能是文件夹、压缩包中的文件或多个文件）。")
        from .write.fsutil import prepare_output

        prepare_output(annotate, "copy", [inputs[0].path], force=force)
    text = None
    if report is not None:
        from .check.prose import read_report

        text = read_report(report)         # InputError naming the report
    prev = None
    if previous is not None:
        _existing(previous, "上年度工作簿")
        prev = str(previous)
    job = partial(validate_job, previous=prev, report=text, annotate=str(annotate) if annotate else None)
    reports: list = []
    if inputs:
        with Pool(min(jobs or os.cpu_count() or 1, len(inputs))) as pool:
            tasks = ((inp, data, err, prof) for inp, data, err in payloads(inputs))
            for i, res in pool.run(job, tasks, timeout):
                if isinstance(res, Failed):
                    if res.code == "user" and isinstance(res.error, UsageError):
                        raise res.error
                    f = failure(inputs[i], res, timeout)
                    res = Report(file=inputs[i].name, read_error=f.read_error, read_error_code=f.read_error_code)
                reports.append(res)
    reports += [Report(file=m, read_error=why_missing(m), read_error_code="not_found") for m in missing]
    if fmt == "json":
        sys.stdout.write(dumps(render_json(reports)) + "\n")
    else:
        sys.stdout.write(render_text(reports, color=use_color(sys.stdout)))
    for r in reports:
        for out in r.outputs:
            typer.echo(f"已生成带批注的副本：{out}", err=True)
    if any(r.read_error_code == "internal" for r in reports):
        raise typer.Exit(EXIT_INTERNAL)
    if any(r.read_error or r.previous_error for r in reports):
        raise typer.Exit(EXIT_UNREADABLE)
    if any(r.open_errors for r in reports) or (strict and any(r.open_warnings for r in reports)):   # 已说明 do not count
        raise typer.Exit(EXIT_FINDINGS)


@_command("score")
def score_cmd(
    workbook: Path = typer.Argument(..., help="要评分的工作簿"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="另存一份首页为“评分汇总”的副本（.xlsx）"),
    profile: Optional[str] = typer.Option(None, "--profile", help="评分方案名称或 .toml 文件（默认 national-2020）"),
    fmt: str = typer.Option("text", "--format", help="输出格式：text 或 json"),
    timeout: float = typer.Option(DEFAULT_TIMEOUT, "--timeout", callback=_check_timeout, help=_TIMEOUT_HELP),
    force: bool = typer.Option(False, "--force", help=_FORCE_HELP),
) -> None:
    """按评分方案重算得分，与单位自评得分并列；可写出带“评分汇总”首页的副本。"""
    from .batch.jobs import score_job
    from .write.fsutil import prepare_output

    _check_format(fmt, ("text", "json"))
    prof = _profile(profile)
    shown = _existing(workbook, "工作簿")
    if output is not None:
        prepare_output(output, "copy", [workbook], force=force)
    text, written = _run_one(score_job, (str(workbook), shown, prof, str(output) if output else None, fmt),
                             shown, timeout)
    sys.stdout.write(text)
    if written:
        typer.echo(f"已生成评分副本：{written}", err=True)


@_command("report")
def report_cmd(
    workbook: Path = typer.Argument(..., help="已填写的自评附表工作簿（.xlsx/.xlsm/.xls/.et/.ods）"),
    output: Path = typer.Option(..., "-o", "--output", help="输出的自评报告初稿（.docx）"),
    template: Optional[Path] = typer.Option(None, "--template", help="单位自己的 Word 文档（.docx）作模板：保留其样式、"
                                            "页眉页脚和红头，初稿放在写有 {{正文}} 的段落处（没有则替换其正文）"),
    profile: Optional[str] = typer.Option(None, "--profile", help="评分方案名称或 .toml 文件（默认 national-2020）"),
    timeout: float = typer.Option(DEFAULT_TIMEOUT, "--timeout", callback=_check_timeout, help=_TIMEOUT_HELP),
    force: bool = typer.Option(False, "--force", help=_FORCE_HELP),
) -> None:
    """根据附表起草部门整体支出绩效自评报告（Word）：数字全部取自附表，只有单位才能写的内容（职能、问题、措施）
    以黄色底纹的【请填写】标出；正文后附三张附表。"""
    from .batch.jobs import report_job
    from .write.fsutil import prepare_output

    prof = _profile(profile)
    shown = _existing(workbook, "工作簿")
    inputs = [workbook]
    if template is not None:
        _existing(template, "Word 模板")
        inputs.append(template)
    prepare_output(output, "docx", inputs, force=force)
    written = _run_one(report_job, (str(workbook), str(output), str(template) if template else None, prof),
                       shown, timeout)
    typer.echo(f"已生成自评报告初稿：{written}（黄色底纹的【】内容请填写或核对后删除）")


@_command("summarize")
def summarize_cmd(
    paths: List[str] = typer.Argument(..., help="工作簿、文件夹（含子文件夹）、通配符或 .zip 压缩包"),
    output: Path = typer.Option(..., "-o", "--output", help="汇总文件：.xlsx；--format csv 时 .csv（另写 -项目、-问题清单、-未能读取 三个 .csv），json 时 .json"),
    profile: Optional[str] = typer.Option(None, "--profile", help="评分方案名称或 .toml 文件"),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, max=64, help="并行进程数（默认为 CPU 核数）"),
    units: Optional[Path] = typer.Option(None, "--units", help="单位与主管部门对照表（.csv 或 .xlsx，列：单位,主管部门）"),
    fmt: str = typer.Option("xlsx", "--format", help="输出格式：xlsx、csv 或 json"),
    timeout: float = typer.Option(DEFAULT_TIMEOUT, "--timeout", callback=_check_timeout, help=_TIMEOUT_HELP),
    force: bool = typer.Option(False, "--force", help=_FORCE_HELP),
) -> None:
    """批量读取、审核、评分多个单位的工作簿，生成一份汇总（汇总、项目、问题清单、规则统计、单位×规则、未能读取、说明、图表）。

    有文件无法读取时仍写出汇总，退出码为 2。
    """
    from .batch import collect_inputs
    from .write.fsutil import prepare_output
    from .write.summary import csv_paths, summarize, write_csv, write_json, write_xlsx

    _check_format(fmt, ("xlsx", "csv", "json"))
    prof = _profile(profile)
    if units is not None:
        from .read.unitlist import load_units

        load_units(units)                   # a bad units list is a configuration fault: exit 3, before any work
    inputs, _missing = collect_inputs(paths)
    sources = [i.path for i in inputs]
    for out in (csv_paths(output) if fmt == "csv" else [output]):
        prepare_output(out, fmt, sources, force=force)
    progress = None
    bar = None
    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                       TimeRemainingColumn(), transient=True)
        task = bar.add_task("处理中", total=len(inputs))
        bar.start()
        progress = lambda done, total: bar.update(task, completed=done)  # noqa: E731
    try:
        batch = summarize(paths, profile=prof.path or prof.name, jobs=jobs, timeout=timeout,
                          units_csv=str(units) if units else None, progress=progress)
    finally:
        if bar is not None:
            bar.stop()
    with batch:
        if fmt == "xlsx":
            written = [write_xlsx(batch, output)]
        elif fmt == "csv":
            written = write_csv(batch, output)
        else:
            written = [write_json(batch, output)]
        failed = batch.failed + len(batch.missing)
        ok = batch.files - batch.failed
        internal = batch.store.scalar("SELECT COUNT(*) FROM units WHERE read_error_code = 'internal'")
        typer.echo(f"已汇总 {ok} 个文件，{failed} 个未能读取，用时 {batch.seconds:.1f} 秒：" +
                   "、".join(str(w) for w in written), err=True)
        from .write.summary import status_line

        states = status_line(batch)
        if states:
            typer.echo(f"单位状态：{states}。", err=True)
    if internal:
        typer.echo(f"注意：{internal} 个文件处理时程序内部出错，详细信息写入了汇总“未能读取”表中点名的日志文件，"
                   "请交给技术人员。", err=True)
        raise typer.Exit(EXIT_INTERNAL)
    if failed:
        raise typer.Exit(EXIT_UNREADABLE)


@_command("distribute")
def distribute_cmd(
    budget_list: Path = typer.Argument(..., help="预算清单（.xlsx 或 .csv；列：单位编码、单位名称、主管部门、项目名称、年初预算数、调整后预算数）"),
    output: Path = typer.Option(..., "-o", "--output", help="输出文件夹，每个单位一个工作簿（如 下发/）"),
    year: Optional[int] = typer.Option(None, "--year", min=1990, max=2100, help="年度（清单中没有“年度”列时使用，默认上一年度）"),
    deadline: Optional[str] = typer.Option(None, "--deadline", help="交回截止日期，写入填表说明，如 2025年3月31日"),
    force: bool = typer.Option(False, "--force", help=_FORCE_HELP),
    targets: Optional[List[Path]] = typer.Option(None, "--targets", help="绩效目标申报表（文件、文件夹或 .zip，可写多次）："
                                                 "各项目申报的年度目标和绩效指标预填并锁定"),
    timeout: float = typer.Option(DEFAULT_TIMEOUT, "--timeout", callback=_check_timeout, help=_TIMEOUT_HELP),
) -> None:
    """按预算清单为每个单位生成预填的工作簿：单位、年度、主管部门、项目名称和预算数已填好并锁定，隐藏的下发记录带指纹；
    给出 --targets 时，申报的年度目标、三级指标和指标值也预填并锁定。交回后 validate 报告被改动的下发数、
    被删除、增加或改名的指标和被调低的指标值（F- 规则）。

    退出码：0 正常；2 清单或申报表无法读取；3 用法有误（清单没有所需的列、输出位置不对）；4 程序内部错误。
    """
    from .distribute import distribute

    _existing(budget_list, "预算清单")
    notes: list[str] = []
    written = distribute(budget_list, output, year=year, deadline=deadline, force=force, targets=targets or (),
                         notes=notes, timeout=timeout)
    for p in written:
        typer.echo(f"已生成：{p}")
    for n in notes:
        typer.echo(f"提示：{n}", err=True)
    typer.echo(f"共为 {len(written)} 个单位生成下发工作簿：{output}", err=True)


@_command("rules")
def rules_cmd(
    fmt: str = typer.Option("text", "--format", help="输出格式：text、markdown 或 json"),
) -> None:
    """列出全部审核规则：代码、类别、默认级别、名称和说明。"""
    from .check.catalogue import render_catalogue

    _check_format(fmt, ("text", "markdown", "json"))
    sys.stdout.write(render_catalogue(fmt))


@_command("serve")
def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址（默认 127.0.0.1，只有本机可以打开；"
                             "其他地址需要在第一次启动时设置管理员密码）"),
    port: int = typer.Option(8000, "--port", help="端口（默认 8000）"),
    data: Optional[Path] = typer.Option(None, "--data", help="数据文件夹：上传的工作簿、审核结果、收集任务"
                                        "（默认 ~/.local/share/gridbudget/web）"),
    timeout: float = typer.Option(DEFAULT_TIMEOUT, "--timeout", callback=_check_timeout, help=_TIMEOUT_HELP),
) -> None:
    """网页版：在浏览器中下载模板、审核工作簿（带批注副本、评分副本），为各单位收集工作簿。

    打开 http://127.0.0.1:8000/ 即可使用。退出码：0 正常停止；3 选项有误（地址、端口、数据文件夹、管理员密码）。
    """
    from .web.server import prepare, run as run_server

    web_app, folder = prepare(host, port, data, timeout,
                              prompt=lambda text: typer.prompt(text, hide_input=True, confirmation_prompt=True))
    run_server(web_app, host, port, folder, typer.echo)


# ---------------------------------------------------------------------------
# main: the exit-code contract, Chinese usage errors, no traceback
# ---------------------------------------------------------------------------

def _usage_message(exc) -> str:
    """A Chinese message for a click/typer usage error (their own text is English)."""
    cls = type(exc).__name__
    param = getattr(exc, "param", None)
    hint = getattr(exc, "param_hint", None)
    if param is not None:
        opts = getattr(param, "opts", None) or []
        hint = " / ".join(opts) if opts and opts[0].startswith("-") else \
            (getattr(param, "human_readable_name", None) or (opts[0] if opts else "")).upper()
    if isinstance(hint, (list, tuple)):
        hint = " / ".join(hint)
    if cls == "NoSuchOption":
        name = getattr(exc, "option_name", "")
        poss = getattr(exc, "possibilities", None) or []
        return f"没有选项 {name}" + (f"，是不是要用 {'、'.join(sorted(poss))}？" if poss else "。")
    if cls == "MissingParameter":
        return f"缺少参数 {hint}。" if hint else "缺少参数。"
    if cls == "BadParameter":
        return f"参数 {hint} 的值无效（类型不对或超出允许范围）。" if hint else "参数的值无效。"
    if cls == "BadOptionUsage":
        return f"选项 {getattr(exc, 'option_name', '')} 用法有误（例如缺少它的值）。"
    if cls == "NoArgsIsHelpError":
        return ""
    text = str(getattr(exc, "message", "") or exc)
    if text.startswith("No such command"):
        name = text.split("'")[1] if "'" in text else text
        return f"没有命令 {name}：可用 template、fill、export、validate、score、report、summarize、rules。"
    if text.startswith(("Got unexpected extra argument", "Got unexpected extra arguments")):
        extra = text[text.find("(") + 1:text.rfind(")")] if "(" in text else ""
        return f"多余的参数：{extra}。" if extra else "多余的参数。"
    if text.startswith("Missing command"):
        return "缺少命令：可用 template、fill、export、validate、score、report、summarize、rules。"
    return "用法有误。"


def _localize_help() -> None:
    """Chinese titles in typer's help screens (best effort: these are typer internals)."""
    try:
        from typer import rich_utils as ru

        ru.ARGUMENTS_PANEL_TITLE, ru.OPTIONS_PANEL_TITLE, ru.COMMANDS_PANEL_TITLE = "参数", "选项", "命令"
        ru.ERRORS_PANEL_TITLE, ru.ABORTED_TEXT = "错误", "已中断。"
        ru.REQUIRED_LONG_STRING, ru.DEFAULT_STRING = "[必填]", "[默认：{}]"
        ru.RICH_HELP = "用 [blue]'{command_path} {help_option}'[/] 查看帮助。"
    except Exception:  # noqa: BLE001 - help in English is better than no help
        pass
    try:
        from typer._click import decorators as deco

        original = deco.help_option
        if getattr(original, "_gridbudget", False):
            return

        def help_option(decls):
            apply = original(decls)

            def wrapped(cmd):
                cmd = apply(cmd)
                cmd.params[-1].help = "显示本帮助并退出"
                return cmd
            return wrapped

        help_option._gridbudget = True           # type: ignore[attr-defined]
        deco.help_option = help_option
        from typer._click import formatting

        write_usage = formatting.HelpFormatter.write_usage
        if not getattr(write_usage, "_gridbudget", False):
            def zh_usage(self, prog, args="", prefix=None):
                return write_usage(self, prog, args, "用法：" if prefix is None else prefix)
            zh_usage._gridbudget = True             # type: ignore[attr-defined]
            formatting.HelpFormatter.write_usage = zh_usage
    except Exception:  # noqa: BLE001
        pass


def _on_sigterm(_sig, _frame):
    raise SystemExit(143)       # finally blocks run: temporary files and workers are removed


def run(argv: Optional[list[str]] = None) -> int:
    """Run the CLI and return its exit code (never raises, never prints a traceback)."""
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):      # not the main thread
        pass
    _localize_help()
    from typer import exceptions as tx
    from typer._click import exceptions as cx

    try:
        rv = app(args=argv, standalone_mode=False, prog_name="gridbudget")
        return rv if isinstance(rv, int) else EXIT_OK
    except tx.Exit as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except cx.NoArgsIsHelpError as exc:
        typer.echo(exc.ctx.get_help())
        return EXIT_OK if exc.ctx.parent is None else EXIT_USAGE
    except (cx.UsageError, cx.ClickException) as exc:
        ctx = getattr(exc, "ctx", None)
        path = ctx.command_path if ctx is not None else "gridbudget"
        typer.echo(f"错误：{_usage_message(exc)}", err=True)
        typer.echo(f"用 {path} --help 查看用法。", err=True)
        return EXIT_USAGE
    except UserError as exc:
        typer.echo(f"错误：{exc.message}", err=True)
        return exc.exit_code
    except (KeyboardInterrupt, tx.Abort):
        typer.echo("已中断。", err=True)
        return 130
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_INTERNAL
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")     # `gridbudget … | head`: stop quietly
        except OSError:
            pass
        return EXIT_OK
    except BaseException as exc:  # noqa: BLE001 - the contract: a message, a log, exit code 4
        return _internal(exc)


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
