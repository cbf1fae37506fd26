"""Command line: a thin shell over the Python API. Heavy modules are imported inside commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="gridbudget：预算绩效自评附表（基础数据表、整体支出自评表、项目支出自评表）的模板、读取、审核、评分与汇总工具。",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE, EXIT_USAGE = 0, 1, 2, 3


def _fail(message: str, code: int = EXIT_USAGE) -> None:
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(code)


@app.command("template")
def template_cmd(
    output: Path = typer.Option(Path("自评附表模板.xlsx"), "-o", "--output", help="输出文件（.xlsx）"),
    unit: Optional[str] = typer.Option(None, "--unit", help="单位名称，写入各表表头"),
    year: Optional[int] = typer.Option(None, "--year", help="年度，如 2024（默认上一年度）"),
    projects: int = typer.Option(1, "--projects", min=1, max=200, help="项目支出自评表张数"),
    department: Optional[str] = typer.Option(None, "--department", help="主管部门，写入项目支出自评表"),
    family: Optional[str] = typer.Option(None, "--family", help="只写一种表式的空白表（见 docs/families.md），"
                                         "如 central-2020、central-2020-overall、basic"),
) -> None:
    """生成空白标准模板：填表说明、基础数据表、整体支出自评表和 N 张项目支出自评表；--family 只写该表式。"""
    from .forms.families import FAMILY_BY_KEY, with_layout
    from .write.template import TemplateOptions, write_template

    if output.suffix.lower() != ".xlsx":
        _fail(f"输出文件 {output} 应以 .xlsx 结尾。")
    tables = ("basic", "overall", "project")
    if family is not None:
        fam = FAMILY_BY_KEY.get(family)
        can = "、".join(f"{f.key}（{f.name}）" for f in with_layout())
        if fam is None:
            _fail(f"没有表式“{family}”。有模板布局的表式：{can}；全部表式见 docs/families.md。")
        if fam.layout is None:
            _fail(f"表式“{fam.name}”（{fam.key}）没有模板布局：这种表按其表头读取和审核，不生成模板。"
                  f"有模板布局的表式：{can}。")
        tables = (fam.layout,)
    write_template(output, TemplateOptions(unit=unit, year=year, projects=projects, department=department,
                                           tables=tables))
    typer.echo(f"已生成模板：{output}")


@app.command("fill")
def fill_cmd(
    data: Path = typer.Argument(..., help="提交数据 JSON（见 gridbudget/schema/submission.schema.json）"),
    output: Path = typer.Option(..., "-o", "--output", help="输出的已填模板（.xlsx）"),
) -> None:
    """用 JSON 数据填写标准模板，生成已填好的工作簿。"""
    from .write.fsutil import refuse_overwrite
    from .submission import flatten, load_json
    from .write.template import TemplateOptions, write_template

    if not data.exists():
        _fail(f"找不到文件 {data}。", EXIT_UNREADABLE)
    try:
        refuse_overwrite(output, [data])
        nested = load_json(data)
    except ValueError as exc:
        _fail(str(exc), EXIT_UNREADABLE)
    flat = flatten(nested)
    unit = (nested.get("basic") or {}).get("unit") or (nested.get("overall") or {}).get("unit")
    write_template(output, TemplateOptions(unit=unit, projects=max(1, len(flat["projects"]))), flat)
    typer.echo(f"已生成：{output}")


def _read(path: Path):
    """Read a workbook; a file that cannot be read exits with code 2 and a Chinese message."""
    from .read.book import ReadError
    from .read.tables import read_submission

    try:
        return read_submission(path)
    except ReadError as exc:
        _fail(exc.message, EXIT_UNREADABLE)


@app.command("export")
def export_cmd(
    workbook: Path = typer.Argument(..., help="已填写的自评附表工作簿（.xlsx/.xlsm/.xls/.et/.ods）"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="输出 JSON 文件；省略则打印到屏幕"),
    fmt: str = typer.Option("json", "--format", help="输出格式：json"),
    sources: bool = typer.Option(True, "--sources/--no-sources", help="是否附上每个值所在的单元格"),
) -> None:
    """读取工作簿，按统一数据结构导出为 JSON（可再用 gridbudget fill 写回模板）。"""
    from .read.export import export_submission
    from .write.fsutil import atomic_write_bytes, refuse_overwrite
    from .submission import dumps

    if fmt != "json":
        _fail(f"不支持的格式 {fmt}：目前只支持 json。")
    sub = _read(workbook)
    text = dumps(export_submission(sub, with_sources=sources)) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    try:
        refuse_overwrite(output, [workbook])
    except ValueError as exc:
        _fail(str(exc))
    atomic_write_bytes(output, text.encode("utf-8"))
    typer.echo(f"已导出：{output}", err=True)


def zipfile_error():
    import zipfile

    return zipfile.BadZipFile


def _profile(name: Optional[str]):
    from .score.profile import ProfileError, load_profile

    try:
        return load_profile(name)
    except ProfileError as exc:
        _fail(str(exc))


@app.command("validate")
def validate_cmd(
    files: List[str] = typer.Argument(..., help="要审核的工作簿，可以多个；也可以是文件夹、通配符或 .zip 压缩包"),
    fmt: str = typer.Option("text", "--format", help="输出格式：text 或 json"),
    annotate: Optional[Path] = typer.Option(None, "--annotate", help="另存一份带批注和“审核结果”表的副本（只能审核一个文件时使用）"),
    profile: Optional[str] = typer.Option(None, "--profile", help="评分方案名称或 .toml 文件（默认 national-2020）"),
    strict: bool = typer.Option(False, "--strict", help="有警告也以退出码 1 结束"),
    previous: Optional[Path] = typer.Option(None, "--previous", help="上年度工作簿，用于跨年核对"),
    report: Optional[Path] = typer.Option(None, "--report", help="自评报告正文（.txt 或 .docx），核对正文数字与附表"),
) -> None:
    """审核工作簿：表内、表间、计分、完整性检查，每个问题指向具体单元格。

    退出码：0 没有错误；1 发现错误（--strict 时含警告）；2 有文件无法读取。
    """
    from .write.text import render_json, render_text, use_color
    from .submission import dumps
    from .check.engine import validate_file

    if fmt not in ("text", "json"):
        _fail(f"不支持的格式 {fmt}：可用 text 或 json。")
    from .batch import collect_inputs
    from .check.findings import Report

    prof = _profile(profile)
    inputs, missing = collect_inputs(files)
    if annotate is not None and (len(inputs) != 1 or inputs[0].member is not None):
        _fail("--annotate 只能用于一个工作簿文件。")
    text = None
    if report is not None:
        from .check.prose import read_report

        try:
            text = read_report(report)
        except (OSError, KeyError, zipfile_error()) as exc:
            _fail(f"无法读取报告正文 {report}：{exc}", EXIT_UNREADABLE)
    reports = [validate_file(i.name, prof, previous=previous, data=i.read() if i.member else None, report=text)
               for i in inputs]
    reports += [Report(file=m, read_error=f"找不到文件 {m}：请检查路径是否正确。", read_error_code="not_found")
                for m in missing]
    if fmt == "json":
        sys.stdout.write(dumps(render_json(reports)) + "\n")
    else:
        sys.stdout.write(render_text(reports, color=use_color(sys.stdout)))
    if annotate is not None and not reports[0].read_error:
        from .write.annotate import annotate as write_annotated
        from .write.fsutil import refuse_overwrite

        try:
            refuse_overwrite(annotate, [inputs[0].path])
            write_annotated(inputs[0].path, reports[0].findings, annotate, kind=reports[0].file_kind)
        except ValueError as exc:
            _fail(str(exc))
        typer.echo(f"已生成带批注的副本：{annotate}", err=True)
    if any(r.read_error for r in reports):
        raise typer.Exit(EXIT_UNREADABLE)
    if any(r.errors for r in reports) or (strict and any(r.warnings for r in reports)):
        raise typer.Exit(EXIT_FINDINGS)


@app.command("score")
def score_cmd(
    workbook: Path = typer.Argument(..., help="要评分的工作簿"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="另存一份首页为“评分汇总”的副本（.xlsx）"),
    profile: Optional[str] = typer.Option(None, "--profile", help="评分方案名称或 .toml 文件（默认 national-2020）"),
    fmt: str = typer.Option("text", "--format", help="输出格式：text 或 json"),
) -> None:
    """按评分方案重算得分，与单位自评得分并列；可写出带“评分汇总”首页的副本。"""
    from .write.scoresheet import render_score_text, score_dict, write_scored_copy
    from .score.engine import score_submission
    from .submission import dumps
    from .check.engine import validate_submission

    if fmt not in ("text", "json"):
        _fail(f"不支持的格式 {fmt}：可用 text 或 json。")
    prof = _profile(profile)
    sub = _read(workbook)
    report = validate_submission(sub, prof)
    score = score_submission(sub, prof)
    if fmt == "json":
        sys.stdout.write(dumps(score_dict(score, report, str(workbook))) + "\n")
    else:
        sys.stdout.write(render_score_text(score, report, str(workbook)))
    if output is not None:
        try:
            written = write_scored_copy(workbook, output, score, report, unit=sub.unit, year=sub.year,
                                        kind=sub.file_kind)
        except ValueError as exc:
            _fail(str(exc))
        typer.echo(f"已生成评分副本：{written}", err=True)


@app.command("summarize")
def summarize_cmd(
    paths: List[str] = typer.Argument(..., help="工作簿、文件夹（含子文件夹）、通配符或 .zip 压缩包"),
    output: Path = typer.Option(..., "-o", "--output", help="汇总文件（.xlsx，或配合 --format 的 .csv/.json）"),
    profile: Optional[str] = typer.Option(None, "--profile", help="评分方案名称或 .toml 文件"),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="并行进程数（默认为 CPU 核数）"),
    units: Optional[Path] = typer.Option(None, "--units", help="单位与主管部门对照表 units.csv（列：单位,主管部门）"),
    fmt: str = typer.Option("xlsx", "--format", help="输出格式：xlsx、csv 或 json"),
    timeout: float = typer.Option(60, "--timeout", help="单个文件的处理时限（秒）"),
) -> None:
    """批量读取、审核、评分多个单位的工作簿，生成一份汇总（汇总、项目、问题清单、规则统计、未能读取、说明、图表）。"""
    from .write.fsutil import refuse_overwrite
    from .write.summary import summarize, write_csv, write_json, write_xlsx

    if fmt not in ("xlsx", "csv", "json"):
        _fail(f"不支持的格式 {fmt}：可用 xlsx、csv 或 json。")
    if units is not None and not units.exists():
        _fail(f"找不到单位对照表 {units}。")
    prof = _profile(profile)
    from .batch import collect_inputs

    inputs, _missing = collect_inputs(paths)
    try:
        refuse_overwrite(output, [i.path for i in inputs])
    except ValueError as exc:
        _fail(str(exc))
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
        typer.echo(f"已汇总 {ok} 个文件，{failed} 个未能读取，用时 {batch.seconds:.1f} 秒：" +
                   "、".join(str(w) for w in written), err=True)


@app.command("rules")
def rules_cmd(
    fmt: str = typer.Option("text", "--format", help="输出格式：text、markdown 或 json"),
) -> None:
    """列出全部审核规则：代码、类别、默认级别、名称和说明。"""
    from .check.catalogue import render_catalogue

    if fmt not in ("text", "markdown", "json"):
        _fail(f"不支持的格式 {fmt}：可用 text、markdown 或 json。")
    sys.stdout.write(render_catalogue(fmt))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
