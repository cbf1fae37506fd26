"""Start the web app for ``gridbudget serve``: options checked, the administrator password set
at first start when the server listens beyond this machine, uvicorn run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import UsageError
from . import security


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "gridbudget" / "web"


def prepare(host: str, port: int, data: Path | None, timeout: float, *, prompt=None, interactive: bool | None = None):
    """Check the options and build the app; UsageError (exit 3) for anything wrong.

    ``prompt(text) -> str`` asks for the administrator password (hidden input) when the host is
    not local and none is set; without a terminal the server refuses to start.
    """
    try:
        from .app import create_app
    except ImportError as exc:
        raise UsageError(f"网页服务需要额外的依赖（{exc.name}）：请运行 python3 -m pip install 'gridbudget[web]'"
                         "（源码目录中：python3 -m pip install -e '.[web]'）。") from None
    if not host or any(ch.isspace() for ch in host):
        raise UsageError(f"--host 不是有效的地址：{host!r}。")
    if not 1 <= port <= 65535:
        raise UsageError(f"--port 应在 1 到 65535 之间，实为 {port}。")
    data = Path(data) if data is not None else default_data_dir()
    if data.exists() and not data.is_dir():
        raise UsageError(f"--data {data} 是文件，不是文件夹。")
    try:
        data.mkdir(parents=True, exist_ok=True, mode=0o700)
        probe = data / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"数据文件夹 {data} 无法写入（{exc.strerror or exc}）：请用 --data 指定一个可写的文件夹。") from None
    local = security.is_local_host(host)
    if not local and security.load_admin(data) is None:
        if interactive is None:
            interactive = sys.stdin.isatty()
        if not interactive or prompt is None:
            raise UsageError(f"在本机以外的地址（{host}）提供服务需要管理员密码，而数据文件夹 {data} 中还没有设置："
                             "请在终端中运行同一条命令，按提示设置管理员密码（至少 8 个字符）。")
        password = prompt("设置管理员密码（至少 8 个字符）")
        try:
            security.set_admin_password(data, password)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    allowed = ("127.0.0.1", "localhost", "[::1]") if local else None
    if local and host not in allowed:
        allowed = allowed + (host,)
    try:
        app = create_app(data, require_login=not local, timeout=timeout, allowed_hosts=allowed)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return app, data


def run(app, host: str, port: int, data: Path, echo) -> None:
    import socket

    import uvicorn

    try:                                  # a port in use is a usage error (exit 3), not uvicorn's exit 1
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise UsageError(f"无法在 {host}:{port} 上提供服务（{exc.strerror or exc}）：换一个 --port 或 --host 试试。") from None
    shown = f"[{host}]" if ":" in host else host
    echo(f"gridbudget 网页服务已启动：在浏览器中打开 http://{shown}:{port}/ （数据文件夹 {data}；按 Ctrl-C 停止）")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
    except OSError as exc:
        raise UsageError(f"无法在 {host}:{port} 上提供服务（{exc.strerror or exc}）：换一个 --port 试试。") from None
