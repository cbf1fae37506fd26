"""Test helpers: does every sheet of a workbook read on screen and print on A4?

``fit_problems(path)`` reads a written workbook with openpyxl and reports, per sheet:
- a wrapped text cell whose text needs more lines (CJK characters two columns wide, at the
  width of the cell or of its merged range) than its row height (or merged rows) shows;
- a cell that is not wrapped whose text is wider than its column(s) while the next cell
  of the row holds something (the text would be cut on screen and on paper);
- a sheet set to fit one page wide whose columns shrink it below ``style.MIN_PRINT_SCALE``,
  or a sheet that is not set up for A4.
``render_pages(path, outdir)`` renders a workbook to PDF and PNG pages through LibreOffice
(for looking at, and for page counts).
"""

from __future__ import annotations

from pathlib import Path

from gridbudget.write import style

DEFAULT_WIDTH = 8.43
DEFAULT_HEIGHT = 15.0


def _widths(ws) -> dict[int, float]:
    from openpyxl.utils import column_index_from_string

    out: dict[int, float] = {}
    for key, dim in ws.column_dimensions.items():
        if dim.width:
            lo = column_index_from_string(key) if dim.min is None else dim.min
            hi = lo if dim.max is None else dim.max
            for c in range(lo, min(hi, lo + 200) + 1):
                out[c] = dim.width
    return out


def fit_problems(path: str | Path, sheets: list[str] | None = None) -> list[str]:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    problems: list[str] = []
    for ws in wb.worksheets:
        if sheets is not None and ws.title not in sheets:
            continue
        widths = _widths(ws)
        default_h = ws.sheet_format.defaultRowHeight or DEFAULT_HEIGHT
        merged = {}
        for rng in ws.merged_cells.ranges:
            merged[(rng.min_row, rng.min_col)] = (rng.max_row, rng.max_col)
        covered = {(r, c) for rng in ws.merged_cells.ranges
                   for r in range(rng.min_row, rng.max_row + 1) for c in range(rng.min_col, rng.max_col + 1)
                   if (r, c) != (rng.min_row, rng.min_col)}
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if not isinstance(v, str) or not v.strip() or v.startswith("=") or (cell.row, cell.column) in covered:
                    continue
                r2, c2 = merged.get((cell.row, cell.column), (cell.row, cell.column))
                width = sum(widths.get(c, DEFAULT_WIDTH) for c in range(cell.column, c2 + 1))
                height = sum((ws.row_dimensions[r].height or default_h) for r in range(cell.row, r2 + 1))
                where = f"{ws.title}!{cell.coordinate}"
                if cell.alignment is not None and cell.alignment.wrap_text:
                    need = style.lines_needed(v, width) * style.LINE_HEIGHT * ((cell.font.sz or 10) / 10)
                    if need > height + 1:
                        problems.append(f"{where}: 换行文字需要 {need:.0f} 磅，行高只有 {height:.0f} 磅：{v[:30]}")
                else:
                    units = style.text_units(v) * ((cell.font.sz or 10) / 10)
                    nxt = ws.cell(cell.row, c2 + 1).value
                    if units > width + 0.5 and nxt not in (None, ""):
                        problems.append(f"{where}: 文字宽 {units:.0f}，列宽只有 {width:.0f}，右边单元格有内容，会被截断：{v[:30]}")
        ps = ws.page_setup
        if ws.max_row > 1 and ps.paperSize not in (None, 9, "9"):
            problems.append(f"{ws.title}: 纸张不是 A4")
        if ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage \
                and ps.fitToWidth in (1, "1", None):          # xlsxwriter leaves out the default 1
            used = [widths.get(c, DEFAULT_WIDTH) for c in range(1, ws.max_column + 1)]
            scale = style.print_scale(used, landscape=ps.orientation == "landscape")
            if scale < style.MIN_PRINT_SCALE:
                problems.append(f"{ws.title}: 按一页宽打印要缩到 {scale}%，低于 {style.MIN_PRINT_SCALE}%")
    return problems


def render_pages(path: str | Path, outdir: str | Path, *, dpi: int = 80) -> list[Path]:
    """PDF (through LibreOffice) and one PNG per page; returns the PNGs."""
    from gridbudget.write import libreoffice as lo

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    pdf = lo.to_pdf(path, outdir / (Path(path).stem + ".pdf"), recalc=False)
    return lo.pdf_to_png(pdf, outdir / Path(path).stem, dpi=dpi)
