"""The ASGI app of ``gridbudget serve``: check a workbook in the browser.

Nothing from a request reaches the file system as a path: uploads are stored under their
SHA-256 with a whitelisted suffix, checks are folders named by a random token validated by
:data:`ID_RE`, outputs have fixed names. Every upload is read only in a worker process
(:func:`gridbudget.batch.workers.run_one`) with the CLI's time and memory limits.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from . import security

HERE = Path(__file__).resolve().parent
MAX_UPLOAD = 20 * 2**20                 # bytes of one workbook
MULTIPART_SLACK = 64 * 2**10            # form fields and part headers around the file
ID_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et", ".ods")
SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}
TABLE_TITLES = {"basic": "基础数据表", "overall": "部门整体支出绩效自评表", "project": "项目支出绩效自评表"}
OUTPUT_NAMES = {"annotated": "审核批注", "scored": "评分"}
LOGIN_FAILURES = 5                      # failed logins from one address before a pause
LOGIN_PAUSE = 60.0


class Refused(Exception):
    """A request refused with a Chinese message and an HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


@dataclass
class Config:
    data_dir: Path
    require_login: bool = False
    timeout: float = 60.0
    jobs: int = 2
    max_upload: int = MAX_UPLOAD
    allowed_hosts: tuple[str, ...] | None = None
    failures: dict = field(default_factory=dict)


def clean_text(text: str | None, limit: int = 100) -> str:
    """User-supplied text (a unit's name …) for storing and display: no control characters, at most ``limit``
    characters (it is escaped wherever it is shown)."""
    return "".join(ch for ch in (text or "") if unicodedata.category(ch)[0] != "C").strip()[:limit]


def clean_name(name: str | None, limit: int = 100) -> str:
    """An uploaded file's name for display: the last path part, no control characters, at most ``limit`` characters."""
    return clean_text((name or "").replace("\\", "/").rsplit("/", 1)[-1], limit)


async def workbook_upload(form, max_bytes: int, missing: str) -> tuple[str, str, bytes]:
    """The uploaded workbook of a form: (display name, suffix, bytes); Refused (Chinese) when
    there is none, the suffix is not a workbook's, it is over ``max_bytes`` or empty."""
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise Refused(missing)
    name = clean_name(upload.filename) or "工作簿.xlsx"
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise Refused(f"不支持的文件类型“{suffix or '无后缀'}”：只接受 Excel/WPS 工作簿"
                      f"（{'、'.join(SUFFIXES)}）。", 415)
    content = await upload.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise Refused(f"文件太大：上传的工作簿不能超过 {max_bytes // 2**20} MB。", 413)
    if not content:
        raise Refused("上传的文件是空的。")
    return name, suffix, content


def _fmt(v: Any) -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


def _attachment(name: str) -> str:
    ascii_name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in name) or "download.xlsx"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def create_app(data_dir: str | os.PathLike, *, require_login: bool = False, timeout: float = 60.0,
               jobs: int = 2, max_upload: int = MAX_UPLOAD, allowed_hosts: tuple[str, ...] | None = None):
    """The app over ``data_dir`` (made if missing). ``require_login``: every page but the unit links
    asks for the administrator password, which must already be set (ValueError otherwise)."""
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True, mode=0o700)
    for sub in ("uploads", "checks", "batches"):
        (data / sub).mkdir(exist_ok=True, mode=0o700)
    if require_login and security.load_admin(data) is None:
        raise ValueError("没有设置管理员密码：在本机以外的地址提供服务之前，先在终端中设置管理员密码。")
    cfg = Config(data, require_login, timeout, jobs, max_upload, allowed_hosts)
    sessions = security.Sessions(security.load_secret(data),
                                 epoch=lambda: (security.load_admin(data) or {}).get("hash", "")[:32])
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True)
    templates = Jinja2Templates(env=env)
    limiter: dict[str, asyncio.Semaphore] = {}

    def page(request: Request, name: str, status: int = 200, **ctx) -> Response:
        ctx.setdefault("error", None)
        ctx["csrf"] = sessions.csrf(request.state.sid)
        ctx["admin"] = request.state.admin
        ctx["require_login"] = cfg.require_login
        ctx["max_mb"] = cfg.max_upload // 2**20
        return templates.TemplateResponse(request, name, ctx, status_code=status)

    async def form_of(request: Request, with_file: bool = False, limit: int | None = None):
        """The posted form, its size checked while the body streams in; CSRF checked. ``limit``: the file's
        size limit when not :attr:`Config.max_upload`."""
        limit = cfg.max_upload if limit is None else limit
        cap = (limit if with_file else 0) + MULTIPART_SLACK
        length = request.headers.get("content-length")
        too_large = f"文件太大：上传的文件不能超过 {limit // 2**20} MB。"
        if length and length.isdigit() and int(length) > cap:
            raise Refused(too_large, 413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > cap:
                raise Refused(too_large, 413)
        done = False

        async def replay():
            nonlocal done
            if done:
                return {"type": "http.disconnect"}
            done = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        try:
            form = await Request(request.scope, replay).form(max_files=1 if with_file else 0, max_fields=20)
        except Exception:  # noqa: BLE001 - a malformed body is the client's fault
            raise Refused("提交的表单无法识别，请刷新页面后重试。") from None
        if not sessions.check_csrf(request.state.sid, form.get(security.CSRF_FIELD)):
            raise Refused("页面已过期或来源不明（缺少安全令牌），请刷新页面后重试。", 403)
        return form

    # -- pages --------------------------------------------------------------------------------
    async def index(request: Request) -> Response:
        return page(request, "index.html", year=time.localtime().tm_year - 1)

    async def template_download(request: Request) -> Response:
        from ..write.template import TemplateOptions, build_workbook

        form = await form_of(request)
        unit = clean_text(str(form.get("unit") or ""))
        try:
            year = int(str(form.get("year") or "").strip())
            projects = int(str(form.get("projects") or "1").strip())
        except ValueError:
            raise Refused("年度和项目数应为整数。") from None
        if not 1990 <= year <= 2100:
            raise Refused("年度应在 1990 到 2100 之间。")
        if not 1 <= projects <= 200:
            raise Refused("项目支出自评表张数应在 1 到 200 之间。")
        opts = TemplateOptions(unit=unit or None, year=year, projects=projects)
        content = await run_in_threadpool(build_workbook, opts)
        name = f"{unit or '自评附表'}-{year}-模板.xlsx"
        return Response(content, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"content-disposition": _attachment(name)})

    def store_upload(content: bytes, suffix: str) -> tuple[str, Path]:
        digest = hashlib.sha256(content).hexdigest()
        path = cfg.data_dir / "uploads" / f"{digest}{suffix}"
        if not path.exists():
            tmp = path.with_name(f".{digest}.{secrets.token_hex(4)}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, content)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        return digest, path

    async def run_check(stored: Path, name: str) -> tuple[str, dict]:
        """Check a stored upload in a worker: (check id, its record)."""
        from ..batch.workers import Failed, run_one
        from ..score.profile import load_profile
        from .jobs import check_job

        cid = secrets.token_urlsafe(18)
        out = cfg.data_dir / "checks" / cid
        out.mkdir(mode=0o700)
        sem = limiter.setdefault("checks", asyncio.Semaphore(cfg.jobs))
        async with sem:
            result = await run_in_threadpool(run_one, check_job, (str(stored), name, load_profile(None), str(out)),
                                             cfg.timeout)
        if isinstance(result, Failed):
            from ..batch import Input, failure

            f = failure(Input(name, str(stored)), result, cfg.timeout)
            result = {"report": {"file": name, "read_error": f.read_error or "无法读取。", "findings": []},
                      "score": None, "outputs": {}, "notes": []}
        return cid, result

    async def check_upload(request: Request) -> Response:
        try:
            form = await form_of(request, with_file=True)
            name, suffix, content = await workbook_upload(form, cfg.max_upload, "请选择要审核的工作簿文件。")
            digest, stored = store_upload(content, suffix)
            cid, result = await run_check(stored, name)
            rep = result["report"]
            record = {"id": cid, "owner": sessions.owner(request.state.sid), "name": name, "sha256": digest,
                      "created": time.strftime("%Y-%m-%d %H:%M:%S"), **result}
            (cfg.data_dir / "checks" / cid / "record.json").write_text(json.dumps(record, ensure_ascii=False),
                                                                       encoding="utf-8")
            if rep.get("read_error"):
                raise Refused(f"无法读取 {name}：{rep['read_error']}", 422)
        except Refused as exc:
            return page(request, "index.html", status=exc.status, error=exc.message,
                        year=time.localtime().tm_year - 1)
        return RedirectResponse(f"/check/{cid}", status_code=303)

    def load_record(request: Request) -> dict:
        cid = request.path_params["cid"]
        if not ID_RE.match(cid):
            raise Refused("没有这个审核结果。", 404)
        try:
            record = json.loads((cfg.data_dir / "checks" / cid / "record.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise Refused("没有这个审核结果。", 404) from None
        if not secrets.compare_digest(record.get("owner", ""), sessions.owner(request.state.sid)):
            raise Refused("没有这个审核结果（只有上传这个文件的浏览器可以查看）。", 404)
        return record

    async def check_page(request: Request) -> Response:
        record = load_record(request)
        return page(request, "result.html", **result_view(record))

    async def check_output(request: Request) -> Response:
        record = load_record(request)
        what = request.path_params["what"]
        stored = record.get("outputs", {}).get(what)
        if what not in OUTPUT_NAMES or stored not in ("annotated.xlsx", "annotated.xlsm", "scored.xlsx",
                                                       "scored.xlsm"):
            raise Refused("没有这个文件。", 404)
        path = cfg.data_dir / "checks" / record["id"] / stored
        stem = Path(record["name"]).stem
        return FileResponse(path, media_type="application/octet-stream",
                            headers={"content-disposition": _attachment(
                                f"{stem}-{OUTPUT_NAMES[what]}{Path(stored).suffix}")})

    # -- administrator login --------------------------------------------------------------------
    async def login_page(request: Request) -> Response:
        return page(request, "login.html", next="/")

    async def login(request: Request) -> Response:
        ip = request.client.host if request.client else "?"
        count, since = cfg.failures.get(ip, (0, 0.0))
        if count >= LOGIN_FAILURES and time.monotonic() - since < LOGIN_PAUSE:
            return page(request, "login.html", status=429, error="密码错误次数过多，请一分钟后再试。")
        try:
            form = await form_of(request)
        except Refused as exc:
            return page(request, "login.html", status=exc.status, error=exc.message)
        record = security.load_admin(cfg.data_dir)
        if record is None or not security.verify_password(str(form.get("password") or ""), record):
            cfg.failures[ip] = (count + 1, time.monotonic())
            return page(request, "login.html", status=403, error="密码不正确。")
        cfg.failures.pop(ip, None)
        sid, cookie = sessions.make(admin=True)
        request.state.new_cookie = cookie
        return RedirectResponse("/", status_code=303)

    async def logout(request: Request) -> Response:
        await form_of(request)
        _sid, cookie = sessions.make(admin=False)
        request.state.new_cookie = cookie
        return RedirectResponse("/", status_code=303)

    routes = [
        Route("/", index),
        Route("/template", template_download, methods=["POST"]),
        Route("/check", check_upload, methods=["POST"]),
        Route("/check/{cid}", check_page),
        Route("/check/{cid}/download/{what}", check_output),
        Route("/login", login_page),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    from .collect import collection_routes

    routes[-1:-1] = collection_routes(cfg, sessions, page, form_of, store_upload, run_check, Refused)

    async def refused(request: Request, exc: Refused) -> Response:
        return page(request, "error.html", status=exc.status, error=exc.message)

    async def not_found(request: Request, exc) -> Response:
        status = getattr(exc, "status_code", 404)
        msg = {404: "没有这个页面。", 405: "不支持这种请求方式。"}.get(status, "请求有误。")
        return page(request, "error.html", status=status, error=msg)

    app = Starlette(routes=routes, exception_handlers={Refused: refused, 404: not_found, 405: not_found})
    app.state.config = cfg
    return security.SecurityHeaders(SessionMiddleware(app, sessions, cfg))


def result_view(record: dict) -> dict:
    """What result.html shows: findings grouped by table like the terminal text, and the scores."""
    rep = record.get("report", {})
    groups: list[dict] = []
    for f in rep.get("findings", []):
        key = f"{f.get('table')}|{f.get('sheet')}" if f.get("table") else "workbook"
        if not groups or groups[-1]["key"] != key:
            title = TABLE_TITLES.get(f.get("table") or "", "工作簿")
            if f.get("table") == "project" and f.get("table_name"):
                title = f"{title}：{f['table_name']}"
            groups.append({"key": key, "id": f"g{len(groups)}", "title": title, "sheet": f.get("sheet") or "",
                           "findings": []})
        groups[-1]["findings"].append({
            "severity": f.get("severity"), "label": SEVERITY_LABELS.get(f.get("severity"), f.get("severity")),
            "code": f.get("code"), "rule": f.get("title") or "", "cell": f.get("cell") or "",
            "sheet": f.get("sheet") or "", "message": f.get("message") or "",
            "expected": _fmt(f.get("expected")), "found": _fmt(f.get("found")),
            "has_values": f.get("expected") is not None or f.get("found") is not None,
            "explanation": f.get("explanation") or "",
        })
    counts = {s: sum(1 for f in rep.get("findings", []) if f.get("severity") == s) for s in SEVERITY_LABELS}
    counts["explained"] = sum(1 for f in rep.get("findings", []) if f.get("explanation"))
    score = record.get("score") or {}
    tables = []
    for t in score.get("tables", []):
        tables.append({
            "name": t.get("name") or "", "rate": _fmt(t.get("rate")),
            "rows": [(label, _fmt(t.get(f"{k}_self")), _fmt(t.get(f"{k}_recomputed")))
                     for k, label in (("exec", "预算执行率"), ("output", "产出指标"), ("benefit", "效益指标"),
                                      ("satisfaction", "满意度指标"), ("total", "总分"))
                     if t.get(f"{k}_self") is not None or t.get(f"{k}_recomputed") is not None],
            "grade_self": t.get("grade_self") or "", "grade_recomputed": t.get("grade_recomputed") or "",
            "difference": _fmt(t.get("difference")),
            "indicators": [{"name": i.get("name") or "", "self": _fmt(i.get("self")),
                            "recomputed": _fmt(i.get("recomputed")), "basis": i.get("basis") or "",
                            "flag": i.get("flag") or ""}
                           for i in t.get("indicators", [])
                           if i.get("flag") or (i.get("difference") not in (None, 0))],
        })
    return {"record": record, "rep": rep, "groups": groups, "counts": counts, "tables": tables,
            "profile": score.get("profile_title") or "", "outputs": record.get("outputs", {}),
            "notes": (rep.get("notes") or []) + record.get("notes", []), "labels": SEVERITY_LABELS}


class SessionMiddleware:
    """Every request gets a session (``request.state.sid`` / ``.admin``), a new one set as a cookie;
    a login-only server sends anyone without the administrator session to the login page."""

    OPEN = ("/login", "/static/", "/u/")

    def __init__(self, app, sessions: security.Sessions, cfg: Config):
        self.app, self.sessions, self.cfg = app, sessions, cfg

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if self.cfg.allowed_hosts is not None:
            host = headers.get("host", "").rsplit(":", 1)[0] if not headers.get("host", "").startswith("[") \
                else headers.get("host", "").split("]")[0] + "]"
            if host not in self.cfg.allowed_hosts:
                return await HTMLResponse("主机名不对：请用启动时显示的地址打开。", status_code=400)(scope, receive, send)
        cookie = None
        for part in headers.get("cookie", "").split(";"):
            k, _, v = part.strip().partition("=")
            if k == security.SESSION_COOKIE:
                cookie = v
        state = scope.setdefault("state", {})
        found = self.sessions.read(cookie)
        new = None
        if found is None:
            sid, new = self.sessions.make()
            found = (sid, False)
        state["sid"], state["admin"] = found
        path = scope.get("path", "")
        if self.cfg.require_login and not state["admin"] and not path.startswith(self.OPEN):
            resp = RedirectResponse("/login", status_code=303)
            if new:
                resp.set_cookie(security.SESSION_COOKIE, new, httponly=True, samesite="strict", path="/")
            return await resp(scope, receive, send)

        async def send_cookie(message):
            if message["type"] == "http.response.start":
                value = state.get("new_cookie") or new
                if value:
                    cookie_header = (f"{security.SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/"
                                     .encode("latin-1"))
                    message = {**message, "headers": list(message.get("headers", [])) + [(b"set-cookie", cookie_header)]}
            await send(message)

        return await self.app(scope, receive, send_cookie)
