"""Collection for a bureau: yearly tasks, each unit its own upload link, every unit's status.

Kept in SQLite (``collect.db`` in the data folder, stdlib :mod:`sqlite3`) with a versioned
schema: the ``schema_version`` table holds the version, :data:`MIGRATIONS` bring an older
database up to date at start, a newer one is refused. A unit's link carries a
``secrets.token_urlsafe`` token (revocable, renewable); through it the unit sees only its
own submissions. Each submission keeps its time, the file's SHA-256, its findings and status.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sqlite3
import tempfile
import time
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

MIGRATIONS = [
    # version 1
    """
    CREATE TABLE tasks (id INTEGER PRIMARY KEY, year INTEGER NOT NULL, title TEXT NOT NULL, created TEXT NOT NULL);
    CREATE TABLE units (id INTEGER PRIMARY KEY, task_id INTEGER NOT NULL REFERENCES tasks(id), name TEXT NOT NULL,
                        department TEXT NOT NULL DEFAULT '', token TEXT NOT NULL UNIQUE,
                        revoked INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL, UNIQUE (task_id, name));
    CREATE TABLE submissions (id INTEGER PRIMARY KEY, unit_id INTEGER NOT NULL REFERENCES units(id),
                        created TEXT NOT NULL, file_name TEXT NOT NULL, sha256 TEXT NOT NULL,
                        stored TEXT NOT NULL, check_id TEXT NOT NULL, status TEXT NOT NULL,
                        errors INTEGER NOT NULL, warnings INTEGER NOT NULL, infos INTEGER NOT NULL,
                        read_error TEXT, findings TEXT NOT NULL);
    CREATE INDEX submissions_unit ON submissions (unit_id, id);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)
MAX_UNIT_LIST = 2 * 2**20
UNIT_LIST_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls")
MAX_ZIP = 100 * 2**20                   # a reviewer's zip of many workbooks
NOT_SUBMITTED = "未提交"
MAX_UNITS = 2000
STORED_RE = re.compile(r"^[0-9a-f]{64}\.(xlsx|xlsm|xls|et|ods)$")


class SchemaError(Exception):
    pass


def connect(path: Path) -> sqlite3.Connection:
    """Open the database and bring its schema to :data:`SCHEMA_VERSION` (SchemaError when newer)."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = db.execute("SELECT version FROM schema_version").fetchone()
    version = row[0] if row else 0
    if version > SCHEMA_VERSION:
        raise SchemaError(f"数据库 {path} 的结构版本为 {version}，比本程序支持的 {SCHEMA_VERSION} 新："
                          "请升级 gridbudget。")
    for v in range(version, SCHEMA_VERSION):
        db.execute("BEGIN")
        try:
            for stmt in filter(str.strip, MIGRATIONS[v].split(";")):
                db.execute(stmt)
            db.execute("DELETE FROM schema_version")
            db.execute("INSERT INTO schema_version (version) VALUES (?)", (v + 1,))
            db.execute("COMMIT")
        except Exception:
            db.execute("ROLLBACK")
            raise
    return db


def _counts(rows: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


def status_of(findings: list[dict], read_error: str | None) -> str:
    try:
        from ..check.findings import finding_status

        return finding_status(findings, unreadable=bool(read_error))
    except ImportError:  # pragma: no cover - an older findings module
        if read_error:
            return "未能读取"
        sevs = {f.get("severity") for f in findings}
        return "有错误" if "error" in sevs else "待说明" if "warning" in sevs else "通过"


def parse_units(text: str) -> list[tuple[str, str]]:
    """Unit lines as typed or pasted: ``单位`` or ``单位,主管部门`` (comma, tab or full-width comma)."""
    from .app import clean_text

    out: list[tuple[str, str]] = []
    seen = set()
    for line in text.splitlines():
        parts = [clean_text(p) for p in re.split(r"[,，\t]", line, maxsplit=1)]
        name = parts[0] if parts else ""
        if not name or name in ("单位", "单位名称") or name in seen:
            continue
        seen.add(name)
        out.append((name, parts[1] if len(parts) > 1 else ""))
    return out


def collection_routes(cfg, sessions, page, form_of, store_upload, run_check, Refused) -> list:
    from .app import ID_RE, OUTPUT_NAMES, _attachment, clean_name, clean_text, result_view, workbook_upload

    db = connect(cfg.data_dir / "collect.db")

    def now() -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S")

    def task_of(request: Request) -> sqlite3.Row:
        raw = request.path_params["tid"]
        row = db.execute("SELECT * FROM tasks WHERE id = ?", (raw,)).fetchone()
        if row is None:
            raise Refused("没有这个收集任务。", 404)
        return row

    def unit_of(request: Request) -> sqlite3.Row:
        token = request.path_params["token"]
        row = db.execute("SELECT units.*, tasks.year, tasks.title FROM units JOIN tasks ON tasks.id = units.task_id "
                         "WHERE token = ?", (token,)).fetchone() if ID_RE.match(token) else None
        if row is None or row["revoked"]:
            raise Refused("上传链接无效或已作废：请向财政局（主管部门）索取新的链接。", 403)
        return row

    def units_with_status(tid: int) -> list[dict]:
        rows = []
        for u in db.execute("SELECT * FROM units WHERE task_id = ? ORDER BY department, name", (tid,)):
            last = db.execute("SELECT * FROM submissions WHERE unit_id = ? ORDER BY id DESC LIMIT 1",
                              (u["id"],)).fetchone()
            count = db.execute("SELECT COUNT(*) FROM submissions WHERE unit_id = ?", (u["id"],)).fetchone()[0]
            rows.append({"unit": u, "last": last, "count": count,
                         "status": last["status"] if last else NOT_SUBMITTED})
        return rows

    def add_units(tid: int, text: str) -> int:
        units = parse_units(text)
        have = db.execute("SELECT COUNT(*) FROM units WHERE task_id = ?", (tid,)).fetchone()[0]
        if have + len(units) > MAX_UNITS:
            raise Refused(f"一个收集任务最多 {MAX_UNITS} 个单位。")
        added = 0
        for name, dept in units:
            try:
                db.execute("INSERT INTO units (task_id, name, department, token, created) VALUES (?, ?, ?, ?, ?)",
                           (tid, name, dept, secrets.token_urlsafe(24), now()))
                added += 1
            except sqlite3.IntegrityError:
                pass                                  # the unit is already in the task
        return added

    async def units_text(form) -> str:
        """The typed unit list, plus the rows of an uploaded list file (read in a worker)."""
        from ..batch.workers import Failed, run_one
        from .jobs import units_job

        text = str(form.get("units") or "")
        upload = form.get("units_file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return text
        name = clean_name(upload.filename)
        suffix = Path(name).suffix.lower()
        if suffix not in UNIT_LIST_SUFFIXES:
            raise Refused(f"单位名单应为 {'、'.join(UNIT_LIST_SUFFIXES)} 文件，实为“{suffix or '无后缀'}”。", 415)
        content = await upload.read(MAX_UNIT_LIST + 1)
        if len(content) > MAX_UNIT_LIST:
            raise Refused(f"单位名单文件不能超过 {MAX_UNIT_LIST // 2**20} MB。", 413)
        _digest, stored = store_upload(content, suffix)
        rows = await run_in_threadpool(run_one, units_job, (str(stored),), cfg.timeout)
        if isinstance(rows, Failed):
            message = getattr(rows.error, "message", None) or "无法读取。"
            message = message.replace(str(stored), name)
            raise Refused(message if name in message else f"单位名单 {name} 无法使用：{message}", 422)
        return text + "\n" + "\n".join(f"{u}\t{d}" for u, d in rows)

    # -- the bureau --------------------------------------------------------------------------------
    async def tasks_page(request: Request) -> Response:
        tasks = db.execute("SELECT tasks.*, (SELECT COUNT(*) FROM units WHERE task_id = tasks.id) AS n "
                           "FROM tasks ORDER BY year DESC, id DESC").fetchall()
        return page(request, "tasks.html", tasks=tasks, year=time.localtime().tm_year - 1)

    async def task_create(request: Request) -> Response:
        form = await form_of(request, with_file=True, limit=MAX_UNIT_LIST)
        units = await units_text(form)
        try:
            year = int(str(form.get("year") or "").strip())
        except ValueError:
            raise Refused("年度应为整数。") from None
        if not 1990 <= year <= 2100:
            raise Refused("年度应在 1990 到 2100 之间。")
        title = clean_text(str(form.get("title") or "")) or f"{year} 年度部门整体支出绩效自评"
        cur = db.execute("INSERT INTO tasks (year, title, created) VALUES (?, ?, ?)", (year, title, now()))
        add_units(cur.lastrowid, units)
        return RedirectResponse(f"/tasks/{cur.lastrowid}", status_code=303)

    async def task_page(request: Request) -> Response:
        task = task_of(request)
        base = str(request.base_url).rstrip("/")
        rows = units_with_status(task["id"])
        return page(request, "task.html", task=task, rows=rows, base=base, counts=_counts(rows))

    async def task_units(request: Request) -> Response:
        task = task_of(request)
        form = await form_of(request, with_file=True, limit=MAX_UNIT_LIST)
        add_units(task["id"], await units_text(form))
        return RedirectResponse(f"/tasks/{task['id']}", status_code=303)

    async def unit_token(request: Request) -> Response:
        task = task_of(request)
        form = await form_of(request)
        action = request.path_params["action"]
        uid = request.path_params["uid"]
        if action == "revoke":
            db.execute("UPDATE units SET revoked = 1 WHERE id = ? AND task_id = ?", (uid, task["id"]))
        elif action == "renew":
            db.execute("UPDATE units SET token = ?, revoked = 0 WHERE id = ? AND task_id = ?",
                       (secrets.token_urlsafe(24), uid, task["id"]))
        else:
            raise Refused("不支持的操作。", 404)
        del form
        return RedirectResponse(f"/tasks/{task['id']}", status_code=303)

    def submission(sub_id: str, unit_ids: tuple) -> sqlite3.Row:
        row = db.execute("SELECT * FROM submissions WHERE id = ?", (sub_id,)).fetchone()
        if row is None or row["unit_id"] not in unit_ids:
            raise Refused("没有这份提交。", 404)
        return row

    def record_of(sub: sqlite3.Row) -> dict:
        try:
            return json.loads((cfg.data_dir / "checks" / sub["check_id"] / "record.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise Refused("这份提交的审核结果已不存在。", 404) from None

    def output_response(record: dict, what: str) -> Response:
        stored = record.get("outputs", {}).get(what)
        if what not in OUTPUT_NAMES or stored not in ("annotated.xlsx", "annotated.xlsm", "scored.xlsx", "scored.xlsm"):
            raise Refused("没有这个文件。", 404)
        stem = Path(record["name"]).stem
        return FileResponse(cfg.data_dir / "checks" / record["id"] / stored, media_type="application/octet-stream",
                            headers={"content-disposition": _attachment(f"{stem}-{OUTPUT_NAMES[what]}"
                                                                        f"{Path(stored).suffix}")})

    def unit_ids_of_task(tid: int) -> tuple:
        return tuple(r[0] for r in db.execute("SELECT id FROM units WHERE task_id = ?", (tid,)))

    async def task_unit_history(request: Request) -> Response:
        task = task_of(request)
        unit = db.execute("SELECT * FROM units WHERE id = ? AND task_id = ?",
                          (request.path_params["uid"], task["id"])).fetchone()
        if unit is None:
            raise Refused("这个任务中没有这个单位。", 404)
        subs = db.execute("SELECT * FROM submissions WHERE unit_id = ? ORDER BY id DESC", (unit["id"],)).fetchall()
        return page(request, "history.html", task=task, unit=unit, subs=subs)

    async def task_submission(request: Request) -> Response:
        task = task_of(request)
        sub = submission(request.path_params["sid"], unit_ids_of_task(task["id"]))
        return page(request, "result.html", base=f"/tasks/{task['id']}/s/{sub['id']}", **result_view(record_of(sub)))

    async def task_submission_output(request: Request) -> Response:
        task = task_of(request)
        sub = submission(request.path_params["sid"], unit_ids_of_task(task["id"]))
        return output_response(record_of(sub), request.path_params["what"])

    async def task_summary(request: Request) -> Response:
        task = task_of(request)
        rows = units_with_status(task["id"])
        return await run_in_threadpool(summary_workbook, task, rows)

    def summary_workbook(task, rows) -> Response:
        from ..write.summary import summarize, write_xlsx

        with tempfile.TemporaryDirectory(prefix="gridbudget-web-") as tmp:
            folder = Path(tmp) / f"{task['year']}"
            folder.mkdir()
            paths = []
            for i, r in enumerate(rows, 1):
                last = r["last"]
                if last is None or not STORED_RE.match(last["stored"]):
                    continue
                safe = "".join(ch if ch.isalnum() or ch in "-_（）()" else "_" for ch in r["unit"]["name"])[:60]
                link = folder / f"{i:04d}-{safe}{Path(last['stored']).suffix}"
                os.link(cfg.data_dir / "uploads" / last["stored"], link)
                paths.append(str(link))
            out = Path(tmp) / "汇总.xlsx"
            # the workbooks as the summary names them: 0001-单位名称.xlsx (the link's unit, not a path from a
            # request: only letters, digits and -_() survive); the web page's status is the unit's by link
            with summarize(paths or [str(folder)], jobs=cfg.jobs, timeout=cfg.timeout) as batch:
                write_xlsx(batch, out)
            content = out.read_bytes()
        return Response(content, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"content-disposition": _attachment(f"{task['year']}-汇总.xlsx")})

    async def task_zip(request: Request) -> Response:
        """A reviewer's zip of many workbooks: laid out in a worker, summarized, the summary offered for download."""
        from ..batch.workers import Failed, run_one
        from .jobs import unzip_job

        task = task_of(request)
        rows = units_with_status(task["id"])
        base = str(request.base_url).rstrip("/")

        def again(message: str, status: int) -> Response:
            return page(request, "task.html", status=status, error=message, task=task, rows=rows, base=base,
                        counts=_counts(rows))

        try:
            form = await form_of(request, with_file=True, limit=MAX_ZIP)
            upload = form.get("file")
            if upload is None or isinstance(upload, str) or not upload.filename:
                raise Refused("请选择要汇总的 .zip 压缩包。")
            name = clean_name(upload.filename)
            if Path(name).suffix.lower() != ".zip":
                raise Refused(f"不支持的文件类型“{Path(name).suffix.lower() or '无后缀'}”：这里只接受 .zip 压缩包；"
                              "单个工作簿请用各单位的上传链接或首页的审核。", 415)
            content = await upload.read(MAX_ZIP + 1)
            if len(content) > MAX_ZIP:
                raise Refused(f"文件太大：压缩包不能超过 {MAX_ZIP // 2**20} MB。", 413)
        except Refused as exc:
            return again(exc.message, exc.status)
        _digest, stored = store_upload(content, ".zip")
        token = secrets.token_urlsafe(18)
        folder = cfg.data_dir / "batches" / token
        (folder / "files").mkdir(parents=True, mode=0o700)
        laid = await run_in_threadpool(run_one, unzip_job, (str(stored), str(folder / "files")), cfg.timeout * 5)
        if isinstance(laid, Failed):
            return again(f"压缩包 {name} 无法展开（{ {'timeout': '超时', 'memory': '内存超过上限'}.get(laid.code, '出错') }）。",
                         422)
        if not laid["files"]:
            reasons = "；".join(f"{m}：{r}" for m, r in laid["problems"][:5])
            return again(f"压缩包 {name} 中没有可以汇总的工作簿" + (f"（{reasons}）" if reasons else "") + "。", 422)
        await run_in_threadpool(_summarize_files, laid["files"], folder / "summary.xlsx")
        for f in laid["files"]:
            Path(f).unlink(missing_ok=True)
        (folder / "record.json").write_text(json.dumps({"owner": sessions.owner(request.state.sid), "task": task["id"],
                                                        "name": name, "created": now(), "files": len(laid["files"]),
                                                        "problems": laid["problems"]}, ensure_ascii=False),
                                            encoding="utf-8")
        return page(request, "task.html", task=task, rows=rows, base=base, counts=_counts(rows),
                    batch={"token": token, "name": name, "files": len(laid["files"]), "problems": laid["problems"]})

    def _summarize_files(files: list[str], out: Path) -> None:
        from ..write.summary import summarize, write_xlsx

        with summarize(files, jobs=cfg.jobs, timeout=cfg.timeout) as batch:
            write_xlsx(batch, out)

    async def task_zip_summary(request: Request) -> Response:
        task = task_of(request)
        token = request.path_params["token"]
        folder = cfg.data_dir / "batches" / token
        try:
            if not ID_RE.match(token):
                raise ValueError
            record = json.loads((folder / "record.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise Refused("没有这份汇总。", 404) from None
        if record.get("task") != task["id"] or not secrets.compare_digest(record.get("owner", ""),
                                                                         sessions.owner(request.state.sid)):
            raise Refused("没有这份汇总。", 404)
        return FileResponse(folder / "summary.xlsx", media_type="application/octet-stream",
                            headers={"content-disposition": _attachment(f"{Path(record['name']).stem}-汇总.xlsx")})

    # -- a unit, through its own link ------------------------------------------------------------------
    async def unit_page(request: Request) -> Response:
        unit = unit_of(request)
        subs = db.execute("SELECT * FROM submissions WHERE unit_id = ? ORDER BY id DESC", (unit["id"],)).fetchall()
        return page(request, "unit.html", hide_nav=True, unit=unit, subs=subs)

    async def unit_upload(request: Request) -> Response:
        unit = unit_of(request)
        try:
            form = await form_of(request, with_file=True)
            name, suffix, content = await workbook_upload(form, cfg.max_upload, "请选择要提交的工作簿文件。")
        except Refused as exc:
            subs = db.execute("SELECT * FROM submissions WHERE unit_id = ? ORDER BY id DESC", (unit["id"],)).fetchall()
            return page(request, "unit.html", hide_nav=True, status=exc.status, error=exc.message, unit=unit, subs=subs)
        digest, stored = store_upload(content, suffix)
        cid, result = await run_check(stored, name)
        rep = result["report"]
        record = {"id": cid, "owner": sessions.owner(request.state.sid), "name": name, "sha256": digest,
                  "created": now(), "unit": unit["name"], **result}
        (cfg.data_dir / "checks" / cid / "record.json").write_text(json.dumps(record, ensure_ascii=False),
                                                                   encoding="utf-8")
        findings = rep.get("findings", [])
        sevs = [f.get("severity") for f in findings]
        cur = db.execute(
            "INSERT INTO submissions (unit_id, created, file_name, sha256, stored, check_id, status, errors, warnings,"
            " infos, read_error, findings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (unit["id"], record["created"], name, digest, stored.name, cid, status_of(findings, rep.get("read_error")),
             sevs.count("error"), sevs.count("warning"), sevs.count("info"), rep.get("read_error"),
             json.dumps(findings, ensure_ascii=False)))
        return RedirectResponse(f"/u/{unit['token']}/s/{cur.lastrowid}", status_code=303)

    async def unit_submission(request: Request) -> Response:
        unit = unit_of(request)
        sub = submission(request.path_params["sid"], (unit["id"],))
        record = record_of(sub)
        if sub["read_error"]:
            subs = db.execute("SELECT * FROM submissions WHERE unit_id = ? ORDER BY id DESC", (unit["id"],)).fetchall()
            return page(request, "unit.html", hide_nav=True, status=422, unit=unit, subs=subs,
                        error=f"无法读取 {sub['file_name']}：{sub['read_error']}")
        return page(request, "result.html", hide_nav=True, base=f"/u/{unit['token']}/s/{sub['id']}", back=f"/u/{unit['token']}",
                    **result_view(record))

    async def unit_submission_output(request: Request) -> Response:
        unit = unit_of(request)
        sub = submission(request.path_params["sid"], (unit["id"],))
        return output_response(record_of(sub), request.path_params["what"])

    num = "{tid:int}"
    return [
        Route("/tasks", tasks_page),
        Route("/tasks", task_create, methods=["POST"]),
        Route(f"/tasks/{num}", task_page),
        Route(f"/tasks/{num}/units", task_units, methods=["POST"]),
        Route(f"/tasks/{num}/units/{{uid:int}}/{{action}}", unit_token, methods=["POST"]),
        Route(f"/tasks/{num}/units/{{uid:int}}", task_unit_history),
        Route(f"/tasks/{num}/s/{{sid:int}}", task_submission),
        Route(f"/tasks/{num}/s/{{sid:int}}/download/{{what}}", task_submission_output),
        Route(f"/tasks/{num}/summary", task_summary),
        Route(f"/tasks/{num}/zip", task_zip, methods=["POST"]),
        Route(f"/tasks/{num}/zip/{{token}}", task_zip_summary),
        Route("/u/{token}", unit_page),
        Route("/u/{token}", unit_upload, methods=["POST"]),
        Route("/u/{token}/s/{sid:int}", unit_submission),
        Route("/u/{token}/s/{sid:int}/download/{what}", unit_submission_output),
    ]
