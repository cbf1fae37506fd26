"""Security of the web app: the administrator password, sessions, CSRF tokens, headers.

- The administrator password is hashed with ``hashlib.scrypt`` and a random salt and kept
  in the data folder (``admin.json``, mode 0600); it is required whenever the server listens
  on anything other than the local machine.
- A session is a random id in an HttpOnly, SameSite=Strict cookie, signed with the server's
  secret (``secret.key`` in the data folder) together with its login flag; the CSRF token of
  a session is an HMAC of its id, so no state is kept in the server.
- Every response carries a Content-Security-Policy without inline script, nosniff,
  frame-ancestors 'none' and no referrer (unit links carry their token in the path).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import secrets
from pathlib import Path

SESSION_COOKIE = "gb_session"
CSRF_FIELD = "csrf"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
MIN_PASSWORD = 8

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def is_local_host(host: str) -> bool:
    """True for a loopback address or ``localhost``: the only hosts served without a password."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + f".{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def load_secret(data_dir: Path) -> bytes:
    """The server's signing secret, made at first start."""
    path = data_dir / "secret.key"
    try:
        raw = path.read_bytes()
        if len(raw) >= 32:
            return raw
    except FileNotFoundError:
        pass
    raw = secrets.token_bytes(32)
    _write_private(path, raw)
    return raw


def hash_password(password: str, salt: bytes | None = None) -> dict:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)
    return {"algorithm": "scrypt", **_SCRYPT, "salt": salt.hex(), "hash": digest.hex()}


def verify_password(password: str, record: dict) -> bool:
    try:
        salt = bytes.fromhex(record["salt"])
        params = {k: int(record[k]) for k in ("n", "r", "p", "dklen")}
        digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, maxmem=2**26, **params)
        return hmac.compare_digest(digest.hex(), record["hash"])
    except (KeyError, ValueError, TypeError):
        return False


def admin_file(data_dir: Path) -> Path:
    return data_dir / "admin.json"


def load_admin(data_dir: Path) -> dict | None:
    try:
        rec = json.loads(admin_file(data_dir).read_text(encoding="utf-8"))
        return rec if isinstance(rec, dict) and "hash" in rec else None
    except (OSError, ValueError):
        return None


def set_admin_password(data_dir: Path, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"管理员密码至少 {MIN_PASSWORD} 个字符。")
    _write_private(admin_file(data_dir), json.dumps(hash_password(password)).encode("utf-8"))


class Sessions:
    """Signed session cookies ``id.flag.signature`` and the CSRF token of each session.

    An administrator's cookie is signed together with the stored password hash (``epoch()``), so
    setting a new password ends every administrator session made before it."""

    def __init__(self, secret: bytes, epoch=None):
        self.secret = secret
        self.epoch = epoch or (lambda: "")

    def _sign(self, text: str) -> str:
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()[:32]

    def make(self, admin: bool = False) -> tuple[str, str]:
        """A fresh session: (id, cookie value)."""
        sid = secrets.token_urlsafe(18)
        body = f"{sid}.{'a' if admin else 'u'}"
        return sid, f"{body}.{self._sign(self._what(body, admin))}"

    def _what(self, body: str, admin: bool) -> str:
        return f"session:{body}" + (f":{self.epoch()}" if admin else "")

    def read(self, cookie: str | None) -> tuple[str, bool] | None:
        """(id, is administrator) of a valid cookie, else None."""
        if not cookie or cookie.count(".") != 2:
            return None
        sid, flag, sig = cookie.split(".")
        if flag not in ("a", "u") or not hmac.compare_digest(sig, self._sign(self._what(f"{sid}.{flag}", flag == "a"))):
            return None
        return sid, flag == "a"

    def csrf(self, sid: str) -> str:
        return self._sign("csrf:" + sid)

    def check_csrf(self, sid: str | None, token: str | None) -> bool:
        return bool(sid and token) and hmac.compare_digest(self.csrf(sid), str(token))

    def owner(self, sid: str) -> str:
        """What a check stores to know its session (the id itself never is)."""
        return self._sign("owner:" + sid)


class SecurityHeaders:
    """ASGI middleware: the security headers on every HTTP response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in dict(HEADERS)]
                headers += HEADERS
                if not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, send_with_headers)
