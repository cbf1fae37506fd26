"""The work of one web check, run in a worker process (never in the server process).

:func:`check_job` reads, validates and scores one stored upload with the CLI's own job
functions (:func:`gridbudget.batch.jobs.validate_job` and :func:`~gridbudget.batch.jobs.score_job`)
and writes the annotated and the scored copy into the check's folder. It returns plain
JSON-able data (the findings and the scores), never the workbook's objects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def check_job(stored: str, name: str, profile, out_dir: str) -> dict[str, Any]:
    """Check one upload: {"report": report_dict, "score": score_dict or None, "outputs": {...}, "notes": [...]}."""
    from ..batch import Input
    from ..batch.jobs import score_job, validate_job
    from ..errors import UserError
    from ..read.book import ReadError
    from ..submission import dumps
    from ..write.text import report_dict

    out = Path(out_dir)
    suffix = Path(stored).suffix.lower()
    copy_suffix = ".xlsm" if suffix == ".xlsm" else ".xlsx"
    notes: list[str] = []
    outputs: dict[str, str] = {}
    rep = validate_job(Input(name, stored), None, None, profile)
    result: dict[str, Any] = {"report": json.loads(dumps(report_dict(rep))), "score": None,
                              "outputs": outputs, "notes": notes}
    if rep.read_error:
        return result
    try:
        annotated = validate_job(Input(name, stored), None, None, profile,
                                 annotate=str(out / f"annotated{copy_suffix}"))
        if annotated.outputs:
            outputs["annotated"] = Path(annotated.outputs[0]).name
    except UserError as exc:
        notes.append(f"未能生成带批注的副本：{exc.message}")
    try:
        text, written = score_job(stored, name, profile, str(out / f"scored{copy_suffix}"), "json")
        result["score"] = json.loads(text)
        if written:
            outputs["scored"] = Path(written).name
    except (UserError, ReadError) as exc:
        notes.append(f"未能评分：{getattr(exc, 'message', str(exc))}")
    return result


MAX_ZIP_FILES = 1000
MAX_ZIP_TOTAL = 500 * 2**20


def unzip_job(archive: str, out_dir: str, max_files: int = MAX_ZIP_FILES,
              max_total: int = MAX_ZIP_TOTAL) -> dict[str, Any]:
    """Lay out a reviewer's zip of workbooks as plain files in ``out_dir`` (run in a worker: the archive
    is read only here, member by member within the batch reader's limits).

    Files are named ``0001-成员名.xlsx`` (only letters, digits and -_() of the member's name kept, the
    suffix one of the workbook suffixes); members that cannot be had are listed with the reason.
    """
    from ..batch import collect_inputs, payloads

    out = Path(out_dir)
    inputs, _missing = collect_inputs([archive])
    files: list[str] = []
    problems: list[list[str]] = []
    if len(inputs) == 1 and inputs[0].member is None:
        return {"files": [], "problems": [["压缩包", "不是有效的 .zip 压缩包，或压缩包已损坏。"]]}
    total = 0
    for i, (inp, data, err) in enumerate(payloads(inputs), 1):
        member = inp.name.split("!", 1)[-1]
        if err is not None or data is None:
            problems.append([member, getattr(err, "message", None) or inp.problem or "无法读取。"])
            continue
        total += len(data)
        if len(files) >= max_files or total > max_total:
            problems.append([member, f"压缩包中的工作簿超过上限（{max_files} 个、合计 {max_total // 2**20} MB），未汇总。"])
            continue
        name = Path(member.replace("\\", "/").rsplit("/", 1)[-1])
        stem = "".join(ch if ch.isalnum() or ch in "-_（）()" else "_" for ch in name.stem)[:60]
        path = out / f"{i:04d}-{stem}{name.suffix.lower()}"
        path.write_bytes(data)
        files.append(str(path))
    return {"files": files, "problems": problems}


def units_job(path: str) -> list[tuple[str, str]]:
    """A units list file read in a worker: [(unit, department)]. Either the budget list ``gridbudget
    distribute`` hands workbooks out from (单位名称, 主管部门, 年初预算数 …; names as written) or the
    ``summarize --units`` list (单位, 主管部门); the latter's message when neither fits."""
    from ..errors import UsageError
    from ..read.unitlist import load_units

    try:
        from ..distribute import read_budget_list

        units = read_budget_list(path)
        return [(u.unit, u.department) for u in units if u.unit]
    except (ImportError, UsageError):
        pass
    return sorted(load_units(path).mapping.items())
