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
