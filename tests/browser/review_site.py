"""A review site to drive: a store of the bundled samples (and a hostile report), and the app
served by uvicorn in a thread on loopback. Used by the browser tests' fixtures and by
``scripts/screenshots.py`` (which puts this folder on ``sys.path``), so both see the same site.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

REVIEWER = "browser-test"  # the name the server stores every change under

# A report that tries to run script through its text: a script tag, and an attribute injection
# that would run if the text were put into an attribute or into HTML unescaped. Its middle
# sentence is a real incident, so the pages show it with highlighted evidence like any other.
XSS_DOC_ID = "test-xss-injection"
XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_ATTRIBUTE = '"><img src=x onerror="window.__xss=2">'
XSS_TEXT = (
    f"Kirkuk, 4 May 2017. {XSS_SCRIPT} A roadside bomb killed 3 soldiers in Kirkuk on 3 May 2017. "
    f"{XSS_ATTRIBUTE} Police said it was the second attack on the road this week.\n"
)
XSS_TITLE = '<b>bold</b> "quoted" <script>window.__xss=3</script>'


def xss_document():
    from eventcoder.records import Document

    return Document(text=XSS_TEXT, doc_id=XSS_DOC_ID, published=dt.date(2017, 5, 4), source="xss-wire",
                    title=XSS_TITLE)


@dataclass
class SampleStore:
    """The store the server serves, and what was coded into it (before any test's change)."""

    path: str
    documents: dict[str, Any]  # doc_id -> Document
    incidents: dict[str, Any]  # incident_id -> Incident
    events: list[Any] = field(default_factory=list)

    def by_doc(self, doc_id: str) -> list[Any]:
        return [inc for inc in self.incidents.values() if inc.doc_id == doc_id]

    def by_country(self, country: str) -> list[Any]:
        return [inc for inc in self.incidents.values() if inc.location and inc.location.country == country]

    def open(self):
        from eventcoder.store import Store

        return Store(self.path)


def build_store(path: str, *, hostile: bool = True) -> SampleStore:
    """Code the bundled samples (and the hostile report) into a new SQLite store at ``path``, and
    link them (link.v1), as ``make run`` does."""
    from eventcoder.link import link_incidents
    from eventcoder.pipeline import Pipeline
    from eventcoder.sample_reports import load_samples
    from eventcoder.store import Store

    pipeline = Pipeline()
    documents: dict[str, Any] = {}
    incidents: dict[str, Any] = {}
    docs = load_samples() + ([xss_document()] if hostile else [])
    with Store(path) as store:
        for doc in docs:
            result = pipeline.process(doc)
            if result.rejected is not None:
                raise AssertionError(f"{doc.doc_id} was rejected: {result.rejected}")
            store.put_document(doc)
            store.put_incidents(doc.doc_id, result.incidents)
            documents[doc.doc_id] = doc
            incidents.update((inc.incident_id, inc) for inc in result.incidents)
        events = link_incidents(list(store.incidents()))
        store.put_events(events, "link.v1")
    if hostile and not any(inc.doc_id == XSS_DOC_ID for inc in incidents.values()):
        raise AssertionError("the hostile report must code an incident")
    return SampleStore(path, documents, incidents, events)


@contextmanager
def serve(db: str, token: str, reviewer: str, timeout: float = 30.0) -> Iterator[str]:
    """The app over ``db`` served by uvicorn in a daemon thread on a free 127.0.0.1 port; yields
    the base URL (``http://127.0.0.1:PORT``) once ``/healthz`` answers, and stops the server after."""
    import uvicorn

    from eventcoder.web.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # bound before the server starts: no race for the port
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(db, token, reviewer), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="eventcoder-serve", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, thread, timeout)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _wait_until_healthy(url: str, thread: threading.Thread, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError(f"the server thread died while starting (its traceback is above); last error: {last}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError as exc:
            last = exc
        time.sleep(0.05)
    raise RuntimeError(f"the server did not answer {url}/healthz within {timeout:.0f} s: {last}")


def launch_args() -> list[str]:
    """Chromium's flags: --no-sandbox (the tests run as root in CI), and every host name but
    loopback unresolvable, so a page that needs the network fails here, not in the field."""
    return ["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


def parse_spans(value: str | None) -> list[tuple[int, int]]:
    """Spans from a data-spans attribute: JSON ``[[start, end], ...]``, or any text of integer pairs."""
    if not value:
        return []
    try:
        return [(int(s), int(e)) for s, e in json.loads(value)]
    except (ValueError, TypeError):
        numbers = [int(n) for n in re.findall(r"\d+", value)]
        return list(zip(numbers[::2], numbers[1::2]))
