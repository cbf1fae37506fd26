"""Command line: a thin shell over the Python API. Heavy modules are imported inside commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="gridbudget：预算绩效自评附表（基础数据表、整体支出自评表、项目支出自评表）的模板、读取、审核、评分与汇总工具。",
    context_settings={"help_option_names": ["-h", "--help"]},
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
) -> None:
    """生成空白标准模板：填表说明、基础数据表、整体支出自评表和 N 张项目支出自评表。"""
    from .template import TemplateOptions, write_template

    if output.suffix.lower() != ".xlsx":
        _fail(f"输出文件 {output} 应以 .xlsx 结尾。")
    write_template(output, TemplateOptions(unit=unit, year=year, projects=projects, department=department))
    typer.echo(f"已生成模板：{output}")


@app.command("fill")
def fill_cmd(
    data: Path = typer.Argument(..., help="提交数据 JSON（见 gridbudget/schema/submission.schema.json）"),
    output: Path = typer.Option(..., "-o", "--output", help="输出的已填模板（.xlsx）"),
) -> None:
    """用 JSON 数据填写标准模板，生成已填好的工作簿。"""
    from .fsutil import refuse_overwrite
    from .submission import flatten, load_json
    from .template import TemplateOptions, write_template

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
    from .book import ReadError
    from .reader import read_submission

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
    from .export import export_submission
    from .fsutil import atomic_write_bytes, refuse_overwrite
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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
