"""The review web application: pages over the store, corrections, reviews, merges, splits, exports.

:func:`create_app` builds it; ``eventcoder serve`` runs it with uvicorn. Pages are rendered on the
server from Jinja2 templates with autoescaping on for every template; document text is never
marked safe (the highlighted text is built from plain segments, see :func:`.views.segments`). The
only markup built in Python is the JSON of ``<script type="application/json">`` blocks, with
``<``, ``>`` and ``&`` escaped (:func:`.views.script_json`). Access rules: :mod:`.security`.

The DOM contract (the browser tests and ``static/app.js`` rely on these ids and classes):

- ``/``: ``form#filters`` (inputs ``since until country admin1 type stance source min_confidence
  reviewed``, ``button#apply``), ``#error``, ``#counts`` (``span.count[data-count=total|claimed|
  reviewed|corrected][data-n]``), ``a.export[data-format]``, ``div#map``, ``#legend``,
  ``select#bin`` (day, week), ``div#timeline`` (``svg rect.bar``), ``table#records`` with
  ``th a.sort[data-key]`` and ``tr.record[data-id]`` (classes ``corrected``, ``approved``,
  ``rejected``; ``a.open``), ``script#records-data`` (JSON: id, url, type, event_type, date, lat,
  lon, precision, radius_m, fatalities, label).
- ``/documents/{id}``: ``#doc-title``, ``#doc-source``, ``#doc-published``, ``pre#text`` with
  ``mark.evidence[data-fields][data-start][data-end]`` (``data-fields``: space-separated
  ``inc-...:field`` keys), ``ul#fields li.field[data-field][data-key][data-incident][data-spans]``
  (``data-field`` the field, e.g. ``fatalities``, ``perpetrators.0``; ``data-spans`` ``start:end``
  pairs), ``ul#span-fields``.
- ``/incidents/{id}``: ``table#record tr[data-field]``, ``.badge.corrected``, ``#review-status
  [data-status]``, ``#event-link``, ``#doc-link``, ``form#correct`` (``select[name=field]``,
  ``textarea[name=value]``, ``input[name=note]``, ``button#save``), ``form#review-form`` with
  ``button#approve``, ``button#reject``, ``button#unreview``, ``ul#contexts li.context``.
- ``/events/{id}``: ``#members .member[data-id]``, ``ul#links li.link``, ``form#merge``
  (``input[name=other]``), ``form#split`` (``input[type=checkbox][name=move]`` per member when
  there are several).
- ``/audit``: ``table#audit tr.change[data-kind][data-target]``.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from ..errors import EventcoderError
from ..export import EVENT_FORMATS, EXPORT_FORMATS, ExportFilter, check_export, format_count
from ..link import relink_if_linked
from ..records import Event, Incident
from . import views
from .security import COOKIE, CSRF_FIELD, CSRF_HEADER, BodyLimit, SecurityHeaders, Sessions

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

FORMAT_MEDIA = {
    "jsonl": "application/x-ndjson; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "acled": "text/csv; charset=utf-8",
    "gtd": "text/csv; charset=utf-8",
    "geojson": "application/geo+json; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
}
FORMAT_SUFFIX = {"jsonl": ".jsonl", "csv": ".csv", "acled": "-acled.csv", "gtd": "-gtd.csv",
                 "geojson": ".geojson", "parquet": ".parquet"}
SIGN_IN = "Open the URL that `eventcoder serve` printed at start-up (http://127.0.0.1:PORT/?token=...) to sign in."


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["EXPORT_FORMATS"] = EXPORT_FORMATS
    env.globals["EVENT_FORMATS"] = EVENT_FORMATS
    env.filters["fmtcount"] = format_count
    return env


class _Denied(Exception):
    def __init__(self, status: int, message: str):
        self.status, self.message = status, message


class _Page(Exception):
    """Render an error page: unknown ids (404), bad input (400)."""

    def __init__(self, status: int, message: str, fix: str | None = None):
        self.status, self.message, self.fix = status, message, fix


def create_app(db: str, token: str, reviewer: str, max_body: int = 1_000_000,
               allowed_hosts: list[str] | None = None) -> FastAPI:
    """The review application over the store at ``db`` (a SQLite path or a ``postgresql://`` URL).

    ``token`` signs reviewers in (open ``/?token=TOKEN``); ``reviewer`` is the name every write is
    stored under; request bodies over ``max_body`` bytes are refused; ``allowed_hosts``, when given,
    limits the ``Host`` header (against DNS rebinding; ``eventcoder serve`` sets it).
    """
    from ..store import Store

    if not reviewer or not reviewer.strip():
        raise ValueError("create_app() needs the reviewer's name")
    sessions = Sessions(token)
    env = _environment()
    app = FastAPI(title="eventcoder review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.db, app.state.reviewer, app.state.sessions = db, reviewer, sessions

    @contextlib.contextmanager
    def store() -> Iterator[Any]:
        s = Store(db)
        try:
            yield s
        finally:
            s.close()

    # -- rendering ------------------------------------------------------

    def session_of(request: Request) -> str | None:
        return sessions.session_id(request.cookies.get(COOKIE))

    def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        sid = session_of(request)
        context.setdefault("error", None)
        html = env.get_template(name).render(
            csrf=sessions.csrf_token(sid) if sid else "", reviewer=reviewer, path=request.url.path, **context)
        return HTMLResponse(html, status_code=status)

    def error_page(request: Request, status: int, message: str, fix: str | None = None) -> HTMLResponse:
        titles = {400: "Bad request", 403: "Not allowed", 404: "Not found", 405: "Method not allowed",
                  413: "Request too large"}
        return render(request, "error.html", status, title=titles.get(status, "Error"), error=message, fix=fix)

    def require_session(request: Request) -> str:
        sid = session_of(request)
        if sid is None:
            raise _Denied(403, "You are not signed in. " + SIGN_IN)
        return sid

    async def form_of(request: Request) -> Any:
        """The POSTed form, after the session and CSRF checks (403 otherwise)."""
        sid = require_session(request)
        form = await request.form()
        given = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
        if not sessions.check_csrf(sid, given if isinstance(given, str) else None):
            raise _Denied(403, "The form's CSRF token is missing or wrong. Reload the page and try again; "
                               "if it persists, " + SIGN_IN[0].lower() + SIGN_IN[1:])
        return form

    @app.exception_handler(_Denied)
    async def denied(request: Request, exc: _Denied) -> HTMLResponse:
        return error_page(request, exc.status, exc.message)

    @app.exception_handler(_Page)
    async def page_error(request: Request, exc: _Page) -> HTMLResponse:
        return error_page(request, exc.status, exc.message, exc.fix)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return error_page(request, 404, "There is no page at this address.")
        return error_page(request, exc.status_code, str(exc.detail))

    # -- sign-in: ?token= sets the session cookie, then the token leaves the URL ----------

    class SignIn:
        """``?token=`` on a GET: check it, set the session cookie, redirect without the token.
        (Plain ASGI, not ``@app.middleware``: errors raised while a body is read pass through.)"""

        def __init__(self, inner: Any):
            self.inner = inner

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
                await self.inner(scope, receive, send)
                return
            request = Request(scope)
            given = request.query_params.get("token")
            if given is None:
                await self.inner(scope, receive, send)
                return
            if not sessions.check_token(given):
                response: Response = error_page(request, 403, "That token is wrong. " + SIGN_IN)
            else:
                rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                response = RedirectResponse(request.url.path + ("?" + urlencode(rest) if rest else ""),
                                            status_code=303)
                if sessions.session_id(request.cookies.get(COOKIE)) is None:
                    response.set_cookie(COOKIE, sessions.new_cookie(), httponly=True, samesite="strict", path="/")
            await response(scope, receive, send)

    # -- open routes ----------------------------------------------------

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    app.mount("/static", StaticFiles(directory=str(STATIC), follow_symlink=False), name="static")
    try:
        from . import tiles
    except ModuleNotFoundError as exc:  # the tile server ships separately; the map then has outlines only
        if exc.name != f"{__package__}.tiles":
            raise
    else:
        app.include_router(tiles.router)

    # -- the table ------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> HTMLResponse:
        require_session(request)
        params = dict(request.query_params)
        try:
            query = views.parse_query(params)
        except EventcoderError as exc:
            view = params.get("view") if params.get("view") in views.VIEWS else "incidents"
            query = views.Query(view=view, params={k: str(params.get(k) or "") for k in views.FILTER_NAMES})
            return render(request, "index.html", 400, query=query, rows=[], page=views.paginate([], 1)[1],
                          counts=views.counts([], view),
                          records_json=views.script_json([]), columns=views.COLUMNS,
                          error=exc.message, fix=exc.fix)
        with store() as s:
            state = views.ReviewState(s.reviews(), frozenset(s.corrected_ids()))
            if query.view == "events":
                incidents = {i.incident_id: i for i in s.incidents()}
                rows = [views.event_row(e, state, incidents) for e in s.events() if views.keep(query, state, e)]
            else:
                rows = [views.incident_row(i, state) for i in s.incidents() if views.keep(query, state, i)]
        rows = views.sort_rows(rows, query.sort, query.order)
        shown, page = views.paginate(rows, query.page, views.PAGE_SIZE)
        return render(request, "index.html", query=query, rows=shown, page=page, counts=views.counts(rows, query.view),
                      records_json=views.script_json([r.point for r in rows]), columns=views.COLUMNS, fix=None)

    # -- documents and incidents ------------------------------------------

    @app.get("/documents/{doc_id}", response_class=HTMLResponse)
    def document(request: Request, doc_id: str) -> HTMLResponse:
        require_session(request)
        with store() as s:
            doc = s.document(doc_id)
            if doc is None:
                raise _Page(404, f"No document with id {doc_id!r}.")
            incidents = sorted(s.incidents(doc_id), key=lambda i: (min(i.evidence) if i.evidence else (0, 0)))
        fields = [f for inc in incidents for f in views.incident_fields(inc)]
        return render(request, "document.html", doc=doc, incidents=incidents, fields=fields,
                      segments=views.segments(doc.text, fields))

    def incident_page(request: Request, incident_id: str, status: int = 200, error: str | None = None,
                      fix: str | None = None, field: str | None = None, value: str | None = None,
                      note: str | None = None) -> HTMLResponse:
        from ..store.corrections import CORRECTABLE

        with store() as s:
            inc = s.incident(incident_id)
            if inc is None:
                raise _Page(404, f"No incident with id {incident_id!r}.")
            doc = s.document(inc.doc_id)
            event = s.event_of(incident_id)
            review = s.review_status(incident_id) or "unreviewed"
            corrected = s.is_corrected(incident_id)
            history = list(s.corrections(incident_id))
        field = field if field in CORRECTABLE else request.query_params.get("field")
        field = field if field in CORRECTABLE else CORRECTABLE[0]
        values = views.field_json(inc)
        fields = views.incident_fields(inc)
        return render(
            request, "incident.html", status, inc=inc, doc=doc, event=event, review=review, corrected=corrected,
            history=history, rows=views.display(inc), correctable=CORRECTABLE, field=field,
            value=values[field] if value is None else value, note=note or "",
            values_json=views.script_json(values),
            contexts=views.contexts(doc.text, fields) if doc is not None else [], error=error, fix=fix)

    @app.get("/incidents/{incident_id}", response_class=HTMLResponse)
    def incident(request: Request, incident_id: str) -> HTMLResponse:
        require_session(request)
        return incident_page(request, incident_id)

    @app.post("/incidents/{incident_id}/correct")
    async def correct(request: Request, incident_id: str) -> Response:
        form = await form_of(request)
        field, text, note = (str(form.get(k) or "") for k in ("field", "value", "note"))

        def run() -> Response:
            try:
                value = json.loads(text)
            except ValueError as exc:
                return incident_page(request, incident_id, 400, f"The new value of {field!r} is not JSON ({exc}).",
                                     'write it as JSON, e.g. {"low": 3, "high": 3, "qualifier": "exact", '
                                     '"spans": []} or "text" in double quotes', field, text, note)
            with store() as s:
                if s.incident(incident_id) is None:
                    raise _Page(404, f"No incident with id {incident_id!r}.")
                try:
                    with s.transaction():  # the correction and the events that follow it, or neither
                        s.correct_incident(incident_id, {field: value}, who=reviewer, note=note.strip() or None)
                        relink_if_linked(s)
                except EventcoderError as exc:
                    return incident_page(request, incident_id, 400, exc.message, exc.fix, field, text, note)
            return RedirectResponse(f"/incidents/{incident_id}?" + urlencode({"field": field}), status_code=303)

        return await run_in_threadpool(run)

    @app.post("/incidents/{incident_id}/review")
    async def review(request: Request, incident_id: str) -> Response:
        form = await form_of(request)
        status, note = str(form.get("status") or ""), str(form.get("note") or "").strip()

        def run() -> Response:
            with store() as s:
                if s.incident(incident_id) is None:
                    raise _Page(404, f"No incident with id {incident_id!r}.")
                if status not in views.REVIEW_STATES:
                    return incident_page(request, incident_id, 400, f"{status!r} is not a review status.",
                                         "press Approve, Reject or Unreview")
                try:
                    with s.transaction():  # a rejected incident leaves its event; unrejected, it comes back
                        s.review_incident(incident_id, status, who=reviewer, note=note or None)
                        relink_if_linked(s)
                except EventcoderError as exc:
                    return incident_page(request, incident_id, 400, exc.message, exc.fix)
            return RedirectResponse(f"/incidents/{incident_id}", status_code=303)

        return await run_in_threadpool(run)

    # -- events ---------------------------------------------------------

    def event_page(request: Request, event_id: str, status: int = 200, error: str | None = None,
                   fix: str | None = None) -> HTMLResponse:
        with store() as s:
            ev = s.event(event_id)
            if ev is None:
                raise _Page(404, f"No event with id {event_id!r}.")
            members = {i: s.incident(i) for i in ev.incident_ids}
            state = views.ReviewState({i: s.review_status(i) or "unreviewed" for i in ev.incident_ids},
                                      frozenset(i for i in ev.incident_ids if s.is_corrected(i)))
        return render(request, "event.html", status, ev=ev, members=members, state=state,
                      date=views._event_date_text(ev), place=views._format_place(ev.location),
                      killed=views._estimate_text(ev.fatalities), injured=views._estimate_text(ev.injuries),
                      error=error, fix=fix)

    @app.get("/events/{event_id}", response_class=HTMLResponse)
    def event(request: Request, event_id: str) -> HTMLResponse:
        require_session(request)
        return event_page(request, event_id)

    def _result(events: list[Event], prefer: set[str]) -> str:
        for ev in events:
            if prefer & set(ev.incident_ids):
                return ev.event_id
        return events[0].event_id

    @app.post("/events/{event_id}/merge")
    async def merge(request: Request, event_id: str) -> Response:
        form = await form_of(request)
        other, note = str(form.get("other") or "").strip(), str(form.get("note") or "").strip()

        def run() -> Response:
            from ..link import merge_events

            with store() as s:
                ev = s.event(event_id)
                if ev is None:
                    raise _Page(404, f"No event with id {event_id!r}.")
                if not other:
                    return event_page(request, event_id, 400, "Give the id of the event to merge with.",
                                      "paste an event id (evt-...) from the events table")
                try:
                    events = merge_events(s, event_id, other, who=reviewer, note=note or None)
                except EventcoderError as exc:
                    return event_page(request, event_id, 400, exc.message, exc.fix)
            return RedirectResponse(f"/events/{_result(events, set(ev.incident_ids))}", status_code=303)

        return await run_in_threadpool(run)

    @app.post("/events/{event_id}/split")
    async def split(request: Request, event_id: str) -> Response:
        form = await form_of(request)
        move = [str(m) for m in form.getlist("move")]
        note = str(form.get("note") or "").strip()

        def run() -> Response:
            from ..link import split_event

            with store() as s:
                ev = s.event(event_id)
                if ev is None:
                    raise _Page(404, f"No event with id {event_id!r}.")
                if not move:
                    return event_page(request, event_id, 400, "Tick the reports to move into a new event.",
                                      "tick one or more members, not all of them")
                try:
                    events = split_event(s, event_id, move, who=reviewer, note=note or None)
                except EventcoderError as exc:
                    return event_page(request, event_id, 400, exc.message, exc.fix)
            stay = set(ev.incident_ids) - set(move)
            return RedirectResponse(f"/events/{_result(events, stay)}", status_code=303)

        return await run_in_threadpool(run)

    # -- audit ----------------------------------------------------------

    @app.get("/audit", response_class=HTMLResponse)
    def audit(request: Request) -> HTMLResponse:
        require_session(request)
        with store() as s:
            changes = s.audit()  # newest first
        rows = [{**c, "at": _when(c.get("at")), "old_text": _json_text(c.get("old")),
                 "new_text": _json_text(c.get("new")), "url": _target_url(str(c.get("target") or ""))}
                for c in changes]
        return render(request, "audit.html", changes=rows)

    # -- export ---------------------------------------------------------

    @app.get("/export")
    def export(request: Request) -> Response:
        require_session(request)
        from ..export import export as run_export

        params = dict(request.query_params)
        fmt = str(params.get("format") or "")
        try:
            query = views.parse_query(params)
            events = query.view == "events" and fmt in EVENT_FORMATS
            where = query.where
            check_export(fmt, events, where)
        except EventcoderError as exc:
            raise _Page(400, exc.message, exc.fix) from None
        kind = "events" if events else "incidents"
        folder = tempfile.mkdtemp(prefix="eventcoder-export-")
        path = Path(folder) / ("export" + FORMAT_SUFFIX[fmt])
        try:
            with store() as s:
                state = views.ReviewState(s.reviews(), frozenset(s.corrected_ids()))
                run_export(_Filtered(s, query, state), fmt, path, events=events, where=where)
        except EventcoderError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise _Page(400, exc.message, exc.fix) from None
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

        def chunks() -> Iterator[bytes]:
            try:
                with open(path, "rb") as fh:
                    while block := fh.read(64 * 1024):
                        yield block
            finally:
                shutil.rmtree(folder, ignore_errors=True)

        filename = f"eventcoder-{kind}{FORMAT_SUFFIX[fmt]}"  # fixed names, never from the request
        return StreamingResponse(chunks(), media_type=FORMAT_MEDIA[fmt],
                                 headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                          "Cache-Control": "no-store"})

    # outermost last: headers on every response, the body limit before anything reads a body
    app.add_middleware(SignIn)
    app.add_middleware(BodyLimit, max_body=max_body)
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.add_middleware(SecurityHeaders)
    return app


class _Filtered:
    """The store as :func:`eventcoder.export.export` sees it: records that pass the page's own
    filters (admin1, reviewed); the export applies the :class:`ExportFilter` itself."""

    def __init__(self, store: Any, query: views.Query, state: views.ReviewState):
        self.store, self.query, self.state = store, query, state

    def _extra(self, record: Incident | Event) -> bool:
        q = views.Query(where=ExportFilter(), admin1=self.query.admin1, reviewed=self.query.reviewed)
        return views.keep(q, self.state, record)

    def incidents(self) -> Iterator[Incident]:
        return (i for i in self.store.incidents() if self._extra(i))

    def events(self) -> Iterator[Event]:
        return (e for e in self.store.events() if self._extra(e))


def _when(at: Any) -> str:
    return at.isoformat(timespec="seconds") if hasattr(at, "isoformat") else str(at or "")


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _target_url(target: str) -> str | None:
    if target.startswith("inc-"):
        return f"/incidents/{target}"
    if target.startswith("evt-"):
        return f"/events/{target}"
    return None
