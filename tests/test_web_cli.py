"""``eventcoder serve``: the uvicorn config it builds (loopback by default, a warning otherwise),
the sign-in URL it prints, and its errors; nothing is served."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from eventcoder.errors import ConfigError
from eventcoder.store import Store
from eventcoder.web_cli import is_loopback, serve, server_config


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "store.db")
    Store(path).close()
    return path


@pytest.fixture
def ran(monkeypatch):
    """Capture the config serve would run instead of serving."""
    pytest.importorskip("uvicorn")
    configs = []
    monkeypatch.setattr("eventcoder.web_cli._run", configs.append)
    return configs


def test_the_default_binds_loopback_only(db):
    pytest.importorskip("fastapi")
    server = server_config(db)
    assert (server.config.host, server.config.port) == ("127.0.0.1", 8765)
    assert server.warnings == ()
    assert server.url.startswith("http://127.0.0.1:8765/?token=")
    token = server.url.split("token=", 1)[1]
    assert len(token) >= 24
    assert server_config(db).url != server.url  # a new random token each start


def test_serve_prints_the_sign_in_url_and_runs(db, ran, monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "analyst-7")
    result = CliRunner().invoke(serve, ["--db", db, "--token", "fixed-token-123"])
    assert result.exit_code == 0, result.output
    assert "Review at http://127.0.0.1:8765/?token=fixed-token-123" in result.stdout
    assert "Warning" not in result.stderr
    [config] = ran
    assert config.host == "127.0.0.1"
    assert config.app.state.reviewer == "analyst-7"  # the user name by default
    # the printed token signs in to the app that would be served
    from fastapi.testclient import TestClient

    with TestClient(config.app, base_url="http://127.0.0.1:8765") as client:
        assert client.get("/").status_code == 403
        assert client.get("/?token=fixed-token-123", follow_redirects=False).status_code == 303
        assert client.get("/").status_code == 200


def test_a_non_loopback_host_warns(db, ran):
    result = CliRunner().invoke(serve, ["--db", db, "--host", "0.0.0.0", "--port", "9000", "--reviewer", "ann"])
    assert result.exit_code == 0, result.output
    assert "Warning: binding to 0.0.0.0, which is not a loopback address" in result.stderr
    [config] = ran
    assert (config.host, config.port) == ("0.0.0.0", 9000)
    assert config.app.state.reviewer == "ann"
    assert "Review at http://127.0.0.1:9000/?token=" in result.stdout


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.1.2.3", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.10", False), ("example.org", False),
])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_serve_refuses_a_missing_database_and_bad_options(tmp_path, ran):
    result = CliRunner().invoke(serve, ["--db", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "no database" in result.stderr
    assert not (tmp_path / "none.db").exists()
    db = str(tmp_path / "s.db")
    Store(db).close()
    result = CliRunner().invoke(serve, ["--db", db, "--token", "short"])
    assert result.exit_code == 2 and "--token" in result.stderr
    result = CliRunner().invoke(serve, ["--db", db, "--port", "70000"])
    assert result.exit_code == 2 and "--port" in result.stderr
    assert ran == []


def test_without_the_web_extra_the_error_says_what_to_install(db, monkeypatch):
    monkeypatch.setitem(sys.modules, "fastapi", None)  # import fastapi raises ImportError
    with pytest.raises(ConfigError) as err:
        server_config(db)
    assert err.value.fix == "pip install 'eventcoder[web]'"
    result = CliRunner().invoke(serve, ["--db", db])
    assert result.exit_code == 2 and "pip install 'eventcoder[web]'" in result.stderr


def test_importing_the_command_loads_no_web_framework():
    code = ("import sys, eventcoder.web_cli, eventcoder.web; "
            "print(sorted(m for m in ('fastapi', 'starlette', 'uvicorn', 'jinja2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
