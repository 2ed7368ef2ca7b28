"""End-to-end fixtures: the review app on loopback over a store of the bundled samples, driven by
the system's headless Chromium through Playwright (no browser download: never `playwright install`).

One store, one server and one browser per session; each test gets a fresh browser context
(cookies, storage) that has opened ``/?token=...`` (the session cookie) and records every request,
response and dialog. The browser resolves no host but 127.0.0.1, so the pages must work offline.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass

import pytest

from .review_site import REVIEWER, SampleStore, build_store, launch_args, serve

CHROMIUM_ENV = "EVENTCODER_CHROMIUM"
VIEWPORT = {"width": 1400, "height": 1000}
TIMEOUT_MS = 10_000


def _skip_or_fail(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def require_chromium() -> str:
    """The system Chromium (EVENTCODER_CHROMIUM, else `chromium` on PATH); skip the test when there
    is none, or fail when CI == "true" (as tests/conftest.py does for MUC-4 and PostgreSQL)."""
    path = os.environ.get(CHROMIUM_ENV, "").strip() or shutil.which("chromium")
    if not path or not (os.path.isfile(path) and os.access(path, os.X_OK)):
        _skip_or_fail("Chromium not found: install the Debian packages chromium and chromium-driver (.ci/run does)"
                      + (f"; {CHROMIUM_ENV}={path!r} is not an executable" if path else ""))
    return path


def require_playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("Playwright is not installed: pip install -r requirements.lock")
    return sync_playwright


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory) -> SampleStore:
    """A SQLite store of the bundled samples and a hostile report: coded and linked."""
    return build_store(str(tmp_path_factory.mktemp("review") / "review.db"))


@dataclass
class Site:
    url: str  # http://127.0.0.1:PORT
    token: str
    reviewer: str
    store: SampleStore


@pytest.fixture(scope="session")
def browser():
    executable = require_chromium()
    sync_playwright = require_playwright()
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)  # assertions wait as long as actions (slow CI machines)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=launch_args())
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def server(browser, sample_store) -> Site:
    """The app over the sample store (after the browser: no server is started for skipped tests)."""
    token = secrets.token_urlsafe(16)
    with serve(sample_store.path, token, REVIEWER) as url:
        yield Site(url, token, REVIEWER, sample_store)


class Recorder:
    """Every request, response, failed request and dialog of a context; page errors of a page."""

    def __init__(self):
        self.requests = []
        self.responses = []
        self.failed = []
        self.dialogs = []
        self.errors = []

    def attach(self, context, page) -> None:
        # Playwright wraps handlers: they must be Python functions, not builtins like list.append
        context.on("request", lambda request: self.requests.append(request))
        context.on("response", lambda response: self.responses.append(response))
        context.on("requestfailed", lambda request: self.failed.append(request))

        def on_dialog(dialog):
            self.dialogs.append((dialog.type, dialog.message))
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def page(browser, server, recorder):
    """A page in a fresh context that has opened /?token=... (so the session cookie is set)."""
    context = browser.new_context(viewport=VIEWPORT, base_url=server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    recorder.attach(context, page)
    response = page.goto(f"/?token={server.token}")
    assert response is not None and response.ok, f"/?token=... answered {response and response.status}"
    try:
        yield page
    finally:
        context.close()
