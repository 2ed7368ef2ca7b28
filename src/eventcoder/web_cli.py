"""``eventcoder serve``: the review web application on loopback (the lead registers the command
in ``cli.py``). :func:`server_config` builds what uvicorn runs, so it is tested without serving."""

from __future__ import annotations

import getpass
import ipaddress
import secrets
import sys
from dataclasses import dataclass
from typing import Any

import click

from .errors import ConfigError, EventcoderError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def _fail(exc: EventcoderError) -> None:
    click.echo(f"Error: {exc}", err=True)
    sys.exit(2)


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def default_reviewer() -> str:
    try:
        return getpass.getuser() or "reviewer"
    except Exception:  # no user name in the environment (some containers)
        return "reviewer"


def _require_web() -> None:
    try:
        import fastapi  # noqa: F401
        import jinja2  # noqa: F401
        import python_multipart  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise ConfigError(f"the review server needs the web extra ({exc.name} is not installed)",
                          fix="pip install 'eventcoder[web]'") from None


@dataclass(frozen=True)
class Server:
    """What ``eventcoder serve`` runs: the uvicorn config, the sign-in URL, warnings to print."""

    config: Any  # uvicorn.Config
    url: str
    warnings: tuple[str, ...] = ()


def server_config(db: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, token: str | None = None,
                  reviewer: str | None = None, max_body: int = 1_000_000) -> Server:
    """Build the application and its uvicorn config; nothing is bound or served yet."""
    _require_web()
    import uvicorn

    from .export_cli import _check_db
    from .web.app import create_app

    if not 0 < port < 65536:
        raise ConfigError(f"--port {port} is not a TCP port", fix="pass a port from 1 to 65535, e.g. 8765")
    if token is not None and len(token) < 8:
        raise ConfigError("--token is shorter than 8 characters", fix="pass a longer token, or none for a random one")
    _check_db(db)
    from .web.tiles import basemap_path

    basemap_path()  # the offline tiles: a missing web extra fails here, before serving
    token = token or secrets.token_urlsafe(24)
    reviewer = (reviewer or "").strip() or default_reviewer()
    warnings = []
    if is_loopback(host):
        allowed = sorted({"127.0.0.1", "localhost", "[::1]", "::1", host})
    else:
        allowed = ["*"]
        warnings.append(f"Warning: binding to {host}, which is not a loopback address: anyone who can reach this "
                        "machine can open the review server (writes still need the token). "
                        f"Use --host {DEFAULT_HOST} unless you mean it.")
    app = create_app(db, token=token, reviewer=reviewer, max_body=max_body, allowed_hosts=allowed)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", proxy_headers=False,
                            server_header=False, access_log=False)
    shown = host if is_loopback(host) or host not in ("0.0.0.0", "::") else DEFAULT_HOST
    shown = f"[{shown}]" if ":" in shown and not shown.startswith("[") else shown
    return Server(config, f"http://{shown}:{port}/?token={token}", tuple(warnings))


def _run(config: Any) -> None:  # pragma: no cover - serves until interrupted
    import uvicorn

    uvicorn.Server(config).run()


@click.command("serve")
@click.option("--db", default="eventcoder.db", show_default=True, help="Database: a SQLite path or a postgresql:// URL.")
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Address to bind; anything but loopback is reachable from other machines.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int)
@click.option("--token", help="Sign-in token (default: a random one, printed at start-up).")
@click.option("--reviewer", help="Name stored with every change (default: your user name).")
def serve(db: str, host: str, port: int, token: str | None, reviewer: str | None) -> None:
    """Review, correct and export records in the browser (needs the web extra)."""
    try:
        server = server_config(db, host, port, token, reviewer)
    except EventcoderError as exc:
        _fail(exc)
    for line in server.warnings:
        click.echo(line, err=True)
    click.echo(f"Review at {server.url}")
    click.echo(f"Reviewer: {server.config.app.state.reviewer}. Database: {db}. Ctrl-C stops the server.", err=True)
    _run(server.config)
