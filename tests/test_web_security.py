"""The review server's access rules and its handling of untrusted text: sign-in by token, session
cookie, CSRF, body size limit, security headers, escaping on every page and in the embedded JSON."""

from __future__ import annotations

import html
import json
import re

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")

from fastapi.testclient import TestClient  # noqa: E402

from eventcoder.store import Store  # noqa: E402
from eventcoder.web import create_app  # noqa: E402
from eventcoder.web.security import SECURITY_HEADERS, Sessions  # noqa: E402
import test_web  # noqa: E402
from test_web import ATTRIBUTE, HOSTILE, HOSTILE_DOC, REVIEWER, SCRIPT, TEMPLATE, TOKEN, Page, csrf_of, login  # noqa: E402

# test_web's fixtures, shared: the sample store is coded once per session
sample_db = test_web.sample_db
db = test_web.db
client = test_web.client


@pytest.fixture
def anonymous(db):
    with TestClient(create_app(db, token=TOKEN, reviewer=REVIEWER)) as c:
        yield c


def some_incident(db: str):
    with Store(db) as store:
        return next(iter(store.incidents()))


# --------------------------------------------------------------------------
# Sign-in


@pytest.mark.parametrize("path", ["/", "/?view=events", "/audit", "/documents/wire-baghdad-bombings",
                                  "/export?format=csv"])
def test_pages_need_the_session(anonymous, path):
    response = anonymous.get(path)
    assert response.status_code == 403
    assert "printed at start-up" in response.text and "?token=" in response.text


def test_open_paths_need_no_session(anonymous):
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/static/app.js").status_code == 200


def test_the_token_sets_a_strict_httponly_cookie_and_leaves_the_url(anonymous):
    response = anonymous.get(f"/?token={TOKEN}&country=IQ", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/?country=IQ"  # the token is gone, the filter stays
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("eventcoder_session=")
    assert "HttpOnly" in cookie and re.search(r"SameSite=strict", cookie, re.I) and "Path=/" in cookie
    assert TOKEN not in cookie
    assert anonymous.get("/").status_code == 200


def test_a_wrong_token_is_refused(anonymous):
    response = anonymous.get("/?token=wrong", follow_redirects=False)
    assert response.status_code == 403 and "set-cookie" not in response.headers
    assert "wrong" in Page(response.text).text("error")
    assert anonymous.get("/").status_code == 403


def test_a_forged_or_foreign_cookie_is_refused(anonymous, db):
    anonymous.cookies.set("eventcoder_session", "abc.def")
    assert anonymous.get("/").status_code == 403
    other = Sessions("another-server-token").new_cookie()
    anonymous.cookies.set("eventcoder_session", other)
    assert anonymous.get("/").status_code == 403
    # the same token signs the same sessions: a restart with --token keeps reviewers signed in
    anonymous.cookies.set("eventcoder_session", Sessions(TOKEN).new_cookie())
    assert anonymous.get("/").status_code == 200


# --------------------------------------------------------------------------
# Writes: session and CSRF


def test_a_post_without_the_session_is_refused(anonymous, db):
    inc = some_incident(db)
    response = anonymous.post(f"/incidents/{inc.incident_id}/review", data={"status": "approved", "csrf": "x"})
    assert response.status_code == 403 and "printed at start-up" in response.text
    with Store(db) as store:
        assert store.review_status(inc.incident_id) is None


def test_a_post_needs_the_csrf_token(client, db):
    inc = some_incident(db)
    path = f"/incidents/{inc.incident_id}/review"
    csrf = csrf_of(client.get("/").text)
    assert client.post(path, data={"status": "approved"}).status_code == 403
    response = client.post(path, data={"status": "approved", "csrf": csrf[:-1] + ("0" if csrf[-1] != "0" else "1")})
    assert response.status_code == 403 and "CSRF" in response.text
    # another session's token does not pass either
    foreign = Sessions(TOKEN).csrf_token("someone-else")
    assert client.post(path, data={"status": "approved", "csrf": foreign}).status_code == 403
    with Store(db) as store:
        assert store.review_status(inc.incident_id) is None
    # the form field, or the header for scripts
    assert client.post(path, data={"status": "approved", "csrf": csrf}, follow_redirects=False).status_code == 303
    response = client.post(path, data={"status": "rejected"}, headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    with Store(db) as store:
        assert store.review_status(inc.incident_id) == "rejected"
        assert {c.who for c in store.corrections(inc.incident_id)} == {REVIEWER}


def test_every_post_form_carries_the_csrf_token(client, db):
    inc = some_incident(db)
    with Store(db) as store:
        event = store.event_of(inc.incident_id)
    for path in (f"/incidents/{inc.incident_id}", f"/events/{event.event_id}"):
        text = client.get(path).text
        csrf = csrf_of(text)
        forms = re.findall(r"<form[^>]*method=\"post\".*?</form>", text, re.S)
        assert forms
        for form in forms:
            assert f'<input type="hidden" name="csrf" value="{csrf}">' in form
    # the filter form is a GET: no token in filter URLs
    assert 'name="csrf"' not in re.search(r'<form id="filters".*?</form>', client.get("/").text, re.S).group(0)


# --------------------------------------------------------------------------
# Body size


def test_a_large_body_is_refused_by_its_content_length(db):
    with TestClient(create_app(db, token=TOKEN, reviewer=REVIEWER, max_body=2000)) as c:
        login(c)
        inc = some_incident(db)
        csrf = csrf_of(c.get("/").text)
        response = c.post(f"/incidents/{inc.incident_id}/correct",
                          data={"csrf": csrf, "field": "source", "value": json.dumps("x" * 5000)})
        assert response.status_code == 413
        assert "over 2,000 bytes" in response.text
        small = c.post(f"/incidents/{inc.incident_id}/correct",
                       data={"csrf": csrf, "field": "source", "value": json.dumps("small wire")},
                       follow_redirects=False)
        assert small.status_code == 303
    with Store(db) as store:
        assert store.incident(inc.incident_id).source == "small wire"


def test_a_large_chunked_body_is_refused_while_it_arrives(db):
    with TestClient(create_app(db, token=TOKEN, reviewer=REVIEWER, max_body=2000)) as c:
        login(c)
        inc = some_incident(db)
        csrf = csrf_of(c.get("/").text)
        sent = []

        def body():
            yield f"csrf={csrf}&field=source&value=".encode()
            for _ in range(100):
                sent.append(1)
                yield b"x" * 500

        response = c.post(f"/incidents/{inc.incident_id}/correct", content=body(),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == 413
        assert "content-length" not in {k.lower() for k in response.request.headers}
    with Store(db) as store:
        assert list(store.corrections(inc.incident_id)) == []


# --------------------------------------------------------------------------
# Headers


@pytest.mark.parametrize("path", ["/", "/healthz", "/static/app.js", "/nowhere", "/audit"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    for name, value in SECURITY_HEADERS:
        assert response.headers[name.decode()] == value.decode()
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"].split("script-src")[1]


def test_pages_have_no_inline_scripts(client, db):
    inc = some_incident(db)
    for path in ("/", "/?view=events", f"/incidents/{inc.incident_id}", f"/documents/{inc.doc_id}", "/audit"):
        for script in Page(client.get(path).text).scripts:
            assert script.get("src", "").startswith("/static/") or script.get("type") == "application/json", (
                path, script)


def test_the_host_header_can_be_pinned(db):
    app = create_app(db, token=TOKEN, reviewer=REVIEWER, allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert c.get("/healthz").status_code == 200
        assert c.get("/healthz", headers={"Host": "evil.example"}).status_code == 400


# --------------------------------------------------------------------------
# Untrusted text


def assert_escaped(text: str, where: str) -> None:
    for raw in (SCRIPT, ATTRIBUTE, "<img src=x", "<script>alert"):
        assert raw not in text, f"{raw!r} unescaped on {where}"


def test_hostile_text_is_escaped_on_every_page(client, db):
    with Store(db) as store:
        [inc] = list(store.incidents(HOSTILE_DOC))
        event = store.event_of(inc.incident_id)
    csrf = csrf_of(client.get("/").text)
    # a note and a corrected value with the payloads, for the audit page
    response = client.post(f"/incidents/{inc.incident_id}/correct", follow_redirects=False,
                           data={"csrf": csrf, "field": "source", "value": json.dumps(" ".join(HOSTILE)),
                                 "note": " ".join(HOSTILE)})
    assert response.status_code == 303
    pages = {
        "table": "/", "filtered table": "/?country=IQ", "events": "/?view=events",
        "document": f"/documents/{HOSTILE_DOC}", "incident": f"/incidents/{inc.incident_id}",
        "event": f"/events/{event.event_id}", "audit": "/audit",
    }
    for name, path in pages.items():
        text = client.get(path).text
        assert_escaped(text, name)
        assert html.escape(SCRIPT) in text, name  # shown, as text
        assert TEMPLATE in text, name  # written as it was, not evaluated
        for script in Page(text).scripts:
            assert script.get("src", "").startswith("/static/") or script.get("type") == "application/json"
    document = Page(client.get(f"/documents/{HOSTILE_DOC}").text)
    assert all(p in "".join(document.pre_text) for p in HOSTILE)
    assert "&gt;&lt;img src=x onerror=alert(1)&gt;" in client.get(f"/documents/{HOSTILE_DOC}").text
    assert f"title {ATTRIBUTE} {TEMPLATE}" == document.text("doc-title")


def test_hostile_text_in_the_embedded_json_cannot_close_the_script(client):
    text = client.get("/").text
    block = re.search(r'<script type="application/json" id="records-data">(.*?)</script>', text, re.S).group(1)
    assert "<" not in block and ">" not in block and "&" not in block
    data = json.loads(block)
    labels = [d["label"] for d in data if SCRIPT in d["label"]]
    assert labels, "the hostile place should be in a label"
    assert Page(text).data() == data


def test_script_json_escapes_what_html_parsers_see():
    from eventcoder.web.views import script_json

    value = {"a": "</script><script>alert(1)</script>", "b": "<!-- & \u2028"}
    out = script_json(value)
    assert "<" not in out and ">" not in out and "&" not in out and "\u2028" not in out
    assert json.loads(out) == value
