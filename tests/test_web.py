"""The review web application (``eventcoder serve``) through FastAPI's TestClient: the table and
its filters, sorting, the document's evidence, corrections, reviews, merges and splits, exports,
404s. Access rules and escaping: test_web_security.py; the command: test_web_cli.py.

The store is the bundled samples, coded and linked once per session, plus one hostile report;
each test gets its own copy of the SQLite file."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")
pytest.importorskip("httpx", reason="httpx (FastAPI's TestClient) is not installed")

from fastapi.testclient import TestClient  # noqa: E402

from eventcoder.link import link_incidents  # noqa: E402
from eventcoder.records import Actor, Document, Location, LocationPrecision, SourceKind, to_dict  # noqa: E402
from eventcoder.sample_reports import load_samples  # noqa: E402
from eventcoder.store import Store  # noqa: E402
from eventcoder.web import create_app  # noqa: E402
from factories import TEXT, make_incident  # noqa: E402

TOKEN = "test-token-0123456789"
REVIEWER = "web-tester"

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{7*7}}"
HOSTILE = (SCRIPT, ATTRIBUTE, TEMPLATE)
HOSTILE_TEXT = TEXT + f"\n\nAppended by the wire: {SCRIPT} {ATTRIBUTE} {TEMPLATE}.\n"
HOSTILE_DOC = "doc-hostile"


def hostile_records():
    """A document and an incident whose text, title, source, location and perpetrator carry HTML
    and template injections (the incident's spans point into factories.TEXT, kept as the prefix)."""
    doc = Document(text=HOSTILE_TEXT, doc_id=HOSTILE_DOC, source=f"wire {SCRIPT}", source_kind=SourceKind.NEWS,
                   title=f"title {ATTRIBUTE} {TEMPLATE}")
    base = make_incident(HOSTILE_DOC)
    inc = make_incident(
        HOSTILE_DOC, source=f"wire {SCRIPT}",
        location=Location(f"near {ATTRIBUTE}", name=f"{SCRIPT} town", admin1=TEMPLATE, country="IQ",
                          lat=33.75, lon=44.66, precision=LocationPrecision.NEAR, spans=base.location.spans),
        perpetrators=(Actor(f"{ATTRIBUTE} {TEMPLATE}", spans=base.perpetrators[0].spans),),
    )
    return doc, inc


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory, pipeline) -> Path:
    """A SQLite store of the bundled samples and the hostile report, coded and linked (read-only:
    tests copy it)."""
    path = tmp_path_factory.mktemp("web") / "samples.db"
    with Store(str(path)) as store:
        for result in pipeline.pipe(load_samples()):
            assert result.rejected is None, result.rejected
            with store.transaction():
                store.put_document(result.document)
                store.put_incidents(result.document.doc_id, result.incidents, extractor=pipeline.name)
        doc, inc = hostile_records()
        store.put_document(doc)
        store.put_incidents(doc.doc_id, [inc])
        store.put_events(link_incidents(list(store.incidents())), "link.v1")
    return path


@pytest.fixture
def db(sample_db, tmp_path) -> str:
    path = tmp_path / "store.db"
    shutil.copyfile(sample_db, path)
    return str(path)


def login(client: TestClient) -> TestClient:
    response = client.get(f"/?token={TOKEN}", follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def client(db) -> TestClient:
    """A signed-in client (session cookie set by /?token=)."""
    with TestClient(create_app(db, token=TOKEN, reviewer=REVIEWER)) as c:
        yield login(c)


def csrf_of(page: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert match, "no csrf-token meta"
    return match.group(1)


class Page(HTMLParser):
    """The parts of a page the tests read: elements by id, rows, marks, the JSON block."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.rows: list[dict] = []
        self.marks: list[dict] = []
        self.fields: list[dict] = []
        self.ids: dict[str, dict] = {}
        self.scripts: list[dict] = []
        self.links: list[dict] = []
        self.pre_text: list[str] = []
        self._stack: list[tuple[str, dict]] = []
        self._mark: dict | None = None
        self._in_pre = False
        self._script: dict | None = None
        self._texts: dict[str, list[str]] = {}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "tr" and "record" in classes:
            self.rows.append({"id": a.get("data-id"), "classes": classes})
        if tag == "pre" and a.get("id") == "text":
            self._in_pre = True
        if tag == "mark" and self._in_pre:
            self._mark = {"start": int(a["data-start"]), "end": int(a["data-end"]),
                          "fields": a["data-fields"].split(), "text": "", "classes": classes}
            self.marks.append(self._mark)
        if tag == "li" and "field" in classes:
            self.fields.append(a)
        if tag == "a":
            self.links.append(a)
        if tag == "script":
            self._script = {**a, "text": ""}
            self.scripts.append(self._script)
        if a.get("id"):
            self.ids[a["id"]] = {"tag": tag, **a}
            self._texts[a["id"]] = []
        if tag not in ("meta", "link", "input", "br", "img"):
            self._stack.append((tag, a))

    def handle_endtag(self, tag):
        if tag == "mark":
            self._mark = None
        if tag == "pre":
            self._in_pre = False
        if tag == "script":
            self._script = None
        while self._stack:
            t, _ = self._stack.pop()
            if t == tag:
                break

    def handle_data(self, data):
        if self._in_pre:
            self.pre_text.append(data)
        if self._mark is not None:
            self._mark["text"] += data
        if self._script is not None:
            self._script["text"] += data
        for _, a in self._stack:
            if a.get("id") in self._texts:
                self._texts[a["id"]].append(data)

    def text(self, element_id: str) -> str:
        return " ".join("".join(self._texts.get(element_id, [])).split())

    def data(self, element_id: str = "records-data"):
        found = [s for s in self.scripts if s.get("id") == element_id]
        assert found and found[0].get("type") == "application/json"
        return json.loads(found[0]["text"])


def incidents_of(db: str):
    with Store(db) as store:
        return list(store.incidents())


# --------------------------------------------------------------------------
# The table


def test_table_lists_every_incident_with_counts(client, db):
    incidents = incidents_of(db)
    page = Page(client.get("/").text)
    assert sorted(r["id"] for r in page.rows) == sorted(i.incident_id for i in incidents)
    claimed = sum(i.stance.value == "claimed" for i in incidents)
    assert page.text("counts") == f"{len(incidents)} incidents · {claimed} claimed · 0 reviewed · 0 corrected"
    assert {"map", "timeline", "legend", "filters", "apply", "records", "bin"} <= set(page.ids)
    # the map data has one entry per row, in the row order
    data = page.data()
    assert [d["id"] for d in data] == [r["id"] for r in page.rows]
    by_id = {i.incident_id: i for i in incidents}
    for d in data:
        inc = by_id[d["id"]]
        assert d["type"] == inc.sub_event_type
        assert d["lat"] == (inc.location.lat if inc.location else None)
        assert d["url"] == f"/incidents/{inc.incident_id}"
    near = [d for d in data if d["precision"] == "near"]
    assert near and all(d["radius_m"] == 10_000 for d in near)
    # each row links to its page
    opens = [a["href"] for a in page.links if a.get("class") == "open"]
    assert opens == [f"/incidents/{r['id']}" for r in page.rows]


def test_filters_narrow_the_table_and_the_counts(client, db):
    incidents = incidents_of(db)
    iraq = {i.incident_id for i in incidents if i.location and i.location.country == "IQ"}
    assert 0 < len(iraq) < len(incidents)
    page = Page(client.get("/?country=iq").text)
    assert {r["id"] for r in page.rows} == iraq
    assert page.text("counts").startswith(f"{len(iraq)} incidents ·")

    claimed = {i.incident_id for i in incidents if i.stance.value == "claimed"}
    assert {r["id"] for r in Page(client.get("/?stance=claimed").text).rows} == claimed

    sub = {i.incident_id for i in incidents if i.sub_event_type == "suicide_bomb"}
    assert {r["id"] for r in Page(client.get("/?type=suicide_bomb").text).rows} == sub

    dated = {i.incident_id for i in incidents
             if i.date and i.date.start and i.date.start <= dt.date(2016, 12, 31)
             and (i.date.end or i.date.start) >= dt.date(2016, 12, 1)}
    assert {r["id"] for r in Page(client.get("/?since=2016-12-01&until=2016-12-31").text).rows} == dated

    admin1 = next(i.location.admin1 for i in incidents if i.location and i.location.admin1)
    want = {i.incident_id for i in incidents if i.location and i.location.admin1 == admin1}
    assert {r["id"] for r in Page(client.get("/", params={"admin1": admin1.upper()}).text).rows} == want

    source = incidents[0].source
    want = {i.incident_id for i in incidents if i.source == source}
    assert {r["id"] for r in Page(client.get("/", params={"source": source}).text).rows} == want

    sure = {i.incident_id for i in incidents if i.confidence >= 0.5}
    assert {r["id"] for r in Page(client.get("/?min_confidence=0.5").text).rows} == sure

    # the filter stays in the form and in the export links
    page = Page(client.get("/?country=IQ&stance=reported").text)
    assert page.text("error") == ""
    exports = {a["data-format"]: a["href"] for a in page.links if a.get("class") == "export"}
    assert set(exports) == {"jsonl", "csv", "acled", "gtd", "geojson", "parquet"}
    assert all("country=IQ" in href and "stance=reported" in href for href in exports.values())


@pytest.mark.parametrize(("query", "words"), [
    ("since=2020-13-01", "since '2020-13-01' is not a date"),
    ("until=yesterday", "until 'yesterday' is not a date"),
    ("since=2020-02-01&until=2020-01-01", "after"),
    ("country=Iraq", "country 'Iraq' is not an ISO 3166-1 alpha-2 code"),
    ("type=bombing", "type 'bombing' is not an event type"),
    ("stance=rumoured", "stance 'rumoured' is not a stance"),
    ("min_confidence=high", "min_confidence 'high' is not a number"),
    ("min_confidence=2", "outside 0..1"),
    ("reviewed=maybe", "reviewed 'maybe' is not yes or no"),
    ("sort=colour", "sort 'colour' is not a column"),
    ("view=events&min_confidence=0.5", "min_confidence applies to incidents, not events"),
])
def test_a_bad_filter_shows_a_message_not_a_500(client, query, words):
    response = client.get("/?" + query)
    assert response.status_code == 400
    page = Page(response.text)
    assert words in page.text("error")
    assert "Fix:" in page.text("error")
    assert page.rows == []
    assert "filters" in page.ids  # the form is still there to fix the value


def test_sorting_by_a_column_both_ways(client, db):
    incidents = {i.incident_id: i for i in incidents_of(db)}

    def killed(inc_id):
        c = incidents[inc_id].fatalities
        return None if c is None else (c.low if c.low is not None else c.high)

    rows = [r["id"] for r in Page(client.get("/?sort=killed&order=desc").text).rows]
    values = [killed(i) for i in rows]
    known = [v for v in values if v is not None]
    assert known == sorted(known, reverse=True) and known
    assert values[:len(known)] == known  # records without a figure come last
    rows = [r["id"] for r in Page(client.get("/?sort=killed&order=asc").text).rows]
    known = [killed(i) for i in rows if killed(i) is not None]
    assert known == sorted(known)

    rows = [r["id"] for r in Page(client.get("/").text).rows]
    dates = [incidents[i].date.start for i in rows if incidents[i].date and incidents[i].date.start]
    assert dates == sorted(dates)

    page = client.get("/?sort=date&order=asc").text
    link = re.search(r'<a class="sort asc" data-key="date" href="([^"]+)"', page)
    assert link and "order=desc" in html.unescape(link.group(1))
    for key in ("date", "place", "type", "perpetrator", "killed", "injured", "stance", "source", "confidence",
                "review"):
        assert f'data-key="{key}"' in page
        assert client.get(f"/?sort={key}&order=desc").status_code == 200


def test_the_table_is_paged_and_the_counts_and_map_cover_every_record(client, db, monkeypatch):
    from eventcoder.web import views

    everything = [r["id"] for r in Page(client.get("/?sort=killed&order=desc").text).rows]
    total = len(everything)
    monkeypatch.setattr(views, "PAGE_SIZE", 10)
    pages = -(-total // 10)
    assert pages >= 3

    first = Page(client.get("/?sort=killed&order=desc").text)
    assert [r["id"] for r in first.rows] == everything[:10]
    assert first.text("counts").startswith(f"{total} incidents ·")  # counts: the whole filter
    assert len(first.data()) == total  # the map and timeline too
    assert first.text("pager-top") == first.text("pager-bottom")
    assert first.text("pager-top").startswith(f"rows 1–10 of {total}")
    assert f"page 1 of {pages}" in first.text("pager-top")
    assert not [a for a in first.links if a.get("class") in ("previous", "first")]

    # following "next" walks every record once, in the sort order, keeping the sort
    seen, page, numbers = [], first, []
    while True:
        seen += [r["id"] for r in page.rows]
        numbers.append(int(page.ids["pager-top"]["data-page"]))
        following = [a["href"] for a in page.links if a.get("class") == "next"]
        if not following:
            break
        assert "sort=killed" in following[0] and "order=desc" in following[0]
        page = Page(client.get(following[0]).text)
    assert seen == everything
    assert numbers == list(range(1, pages + 1))
    assert page.text("pager-top").startswith(f"rows {(pages - 1) * 10 + 1}–{total} of {total}")
    assert {a["href"] for a in page.links if a.get("class") == "first"} == {"/?sort=killed&order=desc"}

    # past the end: the last page; a new sort or filter starts again at page 1
    late = Page(client.get("/?page=999").text)
    assert late.ids["pager-top"]["data-page"] == str(pages)
    middle = client.get("/?page=2").text
    assert all("page=" not in a["href"] for a in Page(middle).links if a.get("class", "").startswith("sort"))
    assert 'name="page"' not in middle

    # with one page, no pager
    monkeypatch.setattr(views, "PAGE_SIZE", total)
    assert "pager-top" not in Page(client.get("/").text).ids


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "10000000000"])
def test_a_bad_page_number_is_a_message(client, value):
    response = client.get("/", params={"page": value})
    assert response.status_code == 400
    assert f"page {value!r} is not a page number" in Page(response.text).text("error")


def test_events_view_lists_events(client, db):
    with Store(db) as store:
        events = list(store.events())
    page = Page(client.get("/?view=events").text)
    assert sorted(r["id"] for r in page.rows) == sorted(e.event_id for e in events)
    assert page.text("counts").startswith(f"{len(events)} events ·")
    multi = [e for e in events if len(e.incident_ids) > 1]
    assert multi
    page = Page(client.get("/?view=events&stance=claimed").text)
    assert {r["id"] for r in page.rows} == {e.event_id for e in events if e.claimed}
    assert [a["href"] for a in page.links if a.get("class") == "open"][0].startswith("/events/evt-")


# --------------------------------------------------------------------------
# Documents: evidence marks


def test_document_marks_are_exactly_the_incidents_spans(client, db):
    with Store(db) as store:
        doc = store.document("wire-baghdad-bombings")
        incidents = list(store.incidents("wire-baghdad-bombings"))
    assert doc and incidents
    page = Page(client.get(f"/documents/{doc.doc_id}").text)
    assert "".join(page.pre_text) == doc.text  # the whole text, unaltered
    assert page.marks
    for m in page.marks:
        assert m["text"] == doc.text[m["start"]:m["end"]]
    # marks do not overlap (no wrong nesting): consecutive pieces
    ends = [(m["start"], m["end"]) for m in page.marks]
    assert all(a[1] <= b[0] for a, b in zip(ends, ends[1:]))
    # every field's spans are covered by the marks naming it, and nothing else is
    fields = {f["data-key"]: f for f in page.fields}
    for inc in incidents:
        spans = {"fatalities": inc.fatalities.spans if inc.fatalities else (),
                 "date": inc.date.spans if inc.date else (), "event_type": inc.evidence,
                 "location": inc.location.spans if inc.location else ()}
        for i, p in enumerate(inc.perpetrators):
            spans[f"perpetrators.{i}"] = p.spans
        for name, want in spans.items():
            if not want:
                continue
            key = f"{inc.incident_id}:{name}"
            covered = sorted((m["start"], m["end"]) for m in page.marks if key in m["fields"])
            assert _merged(covered) == _merged(want), key
            assert fields[key]["data-field"] == name
            pairs = [tuple(map(int, p.split(":"))) for p in fields[key]["data-spans"].split()]
            assert _merged(pairs) == _merged(want)


def _merged(spans):
    out: list[list[int]] = []
    for s, e in sorted(tuple(x) for x in spans):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [tuple(x) for x in out]


def test_overlapping_spans_are_cut_into_flat_segments():
    from eventcoder.web.views import FieldSpans, segments

    text = "abcdefghij"
    fields = [FieldSpans("a:x", "a", "x", "x", ((1, 6),)), FieldSpans("a:y", "a", "y", "y", ((3, 9), (20, 30)))]
    got = [(s.start, s.end, s.text, s.fields) for s in segments(text, fields)]
    assert got == [(0, 1, "a", ()), (1, 3, "bc", ("a:x",)), (3, 6, "def", ("a:x", "a:y")),
                   (6, 9, "ghi", ("a:y",)), (9, 10, "j", ())]


# --------------------------------------------------------------------------
# Corrections and reviews


def post(client: TestClient, path: str, data: dict, page_path: str | None = None):
    page = client.get(page_path or path.rsplit("/", 1)[0])
    return client.post(path, data={**data, "csrf": csrf_of(page.text)}, follow_redirects=False)


def test_a_correction_persists_is_audited_and_survives_a_rerun(client, db):
    with Store(db) as store:
        inc = next(iter(store.incidents("wire-rotterdam-ramming")))
    path = f"/incidents/{inc.incident_id}"
    page = Page(client.get(path).text)
    assert {"record", "correct", "save", "approve", "reject", "unreview"} <= set(page.ids)
    assert 'class="badge corrected"' not in client.get(path).text
    new = {"low": 5, "high": 5, "qualifier": "exact", "spans": []}
    response = post(client, f"{path}/correct", {"field": "fatalities", "value": json.dumps(new), "note": "five"},
                    path)
    assert response.status_code == 303
    assert response.headers["location"].startswith(path)
    text = client.get(response.headers["location"]).text
    assert 'class="badge corrected"' in text
    assert re.search(r'<tr data-field="fatalities"><th>fatalities</th><td class="value">5</td>', text)
    with Store(db) as store:
        stored = store.incident(inc.incident_id)
        assert (stored.fatalities.low, stored.fatalities.high) == (5, 5)
        [change] = [c for c in store.corrections(inc.incident_id) if c.field == "fatalities"]
        assert change.who == REVIEWER and change.note == "five" and change.new["low"] == 5
        # a rerun of the extractor does not undo it
        store.put_incidents(inc.doc_id, [inc])
        assert store.incident(inc.incident_id).fatalities.low == 5
    audit = client.get("/audit").text
    rows = re.findall(r'<tr class="change".*?</tr>', audit, re.S)
    assert len(rows) == 1 and inc.incident_id in rows[0] and "fatalities" in rows[0] and REVIEWER in rows[0]
    # the table marks the row and counts it
    table = Page(client.get("/").text)
    assert "corrected" in next(r for r in table.rows if r["id"] == inc.incident_id)["classes"]
    assert "1 corrected" in table.text("counts")


@pytest.mark.parametrize(("value", "words"), [
    ('{"low": "many"}', "fatalities"),
    ("{not json", "not JSON"),
])
def test_a_bad_correction_is_refused_and_nothing_is_stored(client, db, value, words):
    inc = next(i for i in incidents_of(db) if i.doc_id == "wire-mogadishu-checkpoint")
    path = f"/incidents/{inc.incident_id}"
    response = post(client, f"{path}/correct", {"field": "fatalities", "value": value}, path)
    assert response.status_code == 400
    page = Page(response.text)
    assert words in page.text("error")
    assert value in html.unescape(response.text)  # the reviewer's text is kept to fix it
    with Store(db) as store:
        assert list(store.corrections(inc.incident_id)) == []
        assert store.incident(inc.incident_id) == inc
        assert not store.is_corrected(inc.incident_id)


def test_a_correction_of_an_unknown_field_is_refused(client, db):
    inc = incidents_of(db)[0]
    path = f"/incidents/{inc.incident_id}"
    response = post(client, f"{path}/correct", {"field": "incident_id", "value": '"inc-x"'}, path)
    assert response.status_code == 400
    assert "cannot be corrected" in Page(response.text).text("error")


def test_approve_reject_and_unreview(client, db):
    inc = incidents_of(db)[0]
    path = f"/incidents/{inc.incident_id}"
    for status in ("approved", "rejected"):
        response = post(client, f"{path}/review", {"status": status, "note": "checked"}, path)
        assert response.status_code == 303 and response.headers["location"] == path
        with Store(db) as store:
            assert store.review_status(inc.incident_id) == status
        assert f'data-status="{status}"' in client.get(path).text
        row = next(r for r in Page(client.get("/").text).rows if r["id"] == inc.incident_id)
        assert status in row["classes"]
    assert "1 reviewed" in Page(client.get("/").text).text("counts")
    assert [r["id"] for r in Page(client.get("/?reviewed=yes").text).rows] == [inc.incident_id]
    assert inc.incident_id not in [r["id"] for r in Page(client.get("/?reviewed=no").text).rows]
    response = post(client, f"{path}/review", {"status": "unreviewed"}, path)
    assert response.status_code == 303
    with Store(db) as store:
        assert store.review_status(inc.incident_id) is None
    audit = re.findall(r'<tr class="change".*?</tr>', client.get("/audit").text, re.S)
    assert len(audit) == 3 and all(inc.incident_id in row and REVIEWER in row for row in audit)
    assert "unreviewed" in audit[0] and "approved" in audit[2]  # newest first
    response = post(client, f"{path}/review", {"status": "maybe"}, path)
    assert response.status_code == 400


def test_events_follow_a_correction_and_a_rejection(client, db):
    with Store(db) as store:
        event = max(store.events(), key=lambda e: len(e.incident_ids))
        member, *others = sorted(event.incident_ids)
        before = store.incident(member)
    assert others and before.date is not None
    path = f"/incidents/{member}"
    # a correction that moves the report ten years away takes it out of the event
    moved = {**to_dict(before.date), "start": "2030-01-01", "end": "2030-01-01", "spans": []}
    response = post(client, f"{path}/correct", {"field": "date", "value": json.dumps(moved)}, path)
    assert response.status_code == 303, response.text
    with Store(db) as store:
        assert store.event_of(member).incident_ids == (member,)
        assert member not in store.event_of(others[0]).incident_ids
        assert sorted(store.event_of(others[0]).incident_ids) == sorted(others)
    # put back, it is linked again; rejected, it is in no event; unrejected, it is back
    back = {**to_dict(before.date), "spans": []}
    post(client, f"{path}/correct", {"field": "date", "value": json.dumps(back)}, path)
    with Store(db) as store:
        assert sorted(store.event_of(member).incident_ids) == sorted(event.incident_ids)
    post(client, f"{path}/review", {"status": "rejected"}, path)
    with Store(db) as store:
        assert store.event_of(member) is None
        assert sorted(store.event_of(others[0]).incident_ids) == sorted(others)
    post(client, f"{path}/review", {"status": "unreviewed"}, path)
    with Store(db) as store:
        assert sorted(store.event_of(member).incident_ids) == sorted(event.incident_ids)


def test_a_correction_in_a_store_never_linked_makes_no_events(client, db):
    with Store(db) as store:
        store.put_events([], "link.v1")
        inc = next(iter(store.incidents()))
    path = f"/incidents/{inc.incident_id}"
    new = {"low": 2, "high": 2, "qualifier": "exact", "spans": []}
    assert post(client, f"{path}/correct", {"field": "fatalities", "value": json.dumps(new)}, path).status_code == 303
    with Store(db) as store:
        assert store.counts()["events"] == 0 and store.incident(inc.incident_id).fatalities.low == 2


# --------------------------------------------------------------------------
# Events: merge and split


def test_event_page_shows_members_links_and_forms(client, db):
    with Store(db) as store:
        event = max(store.events(), key=lambda e: len(e.incident_ids))
    assert len(event.incident_ids) > 1
    text = client.get(f"/events/{event.event_id}").text
    page = Page(text)
    assert {"merge", "split", "members", "links"} <= set(page.ids)
    for inc_id in event.incident_ids:
        assert f'name="move" value="{inc_id}"' in text
        assert f'href="/incidents/{inc_id}"' in text
    for link in event.links:
        assert html.escape(link.reasons[0], quote=False) in text


def test_merge_and_split_events(client, db):
    with Store(db) as store:
        events = sorted(store.events(), key=lambda e: e.incident_ids)
    a, b = events[0], events[1]
    response = post(client, f"/events/{a.event_id}/merge", {"other": b.event_id, "note": "same blast"},
                    f"/events/{a.event_id}")
    assert response.status_code == 303
    merged_id = response.headers["location"].rsplit("/", 1)[1]
    with Store(db) as store:
        merged = store.event(merged_id)
        assert set(merged.incident_ids) == set(a.incident_ids) | set(b.incident_ids)
    assert client.get(f"/events/{merged_id}").status_code == 200
    kinds = re.findall(r'<tr class="change" data-kind="([^"]+)"', client.get("/audit").text)
    assert kinds and set(kinds) == {"link"}

    move = [b.incident_ids[0]]
    response = post(client, f"/events/{merged_id}/split", {"move": move}, f"/events/{merged_id}")
    assert response.status_code == 303
    with Store(db) as store:
        left = store.event(response.headers["location"].rsplit("/", 1)[1])
        assert move[0] not in left.incident_ids
        assert store.event_of(move[0]).event_id != left.event_id

    # errors are shown on the page, nothing changes
    response = post(client, f"/events/{left.event_id}/merge", {"other": "evt-nope"}, f"/events/{left.event_id}")
    assert response.status_code == 400 and "evt-nope" in Page(response.text).text("error")
    response = post(client, f"/events/{left.event_id}/split", {}, f"/events/{left.event_id}")
    assert response.status_code == 400


# --------------------------------------------------------------------------
# Export


def _rows_of(fmt: str, body: bytes):
    if fmt == "jsonl":
        return [json.loads(line) for line in body.decode().splitlines()]
    if fmt in ("csv", "acled", "gtd"):
        return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))
    if fmt == "geojson":
        return json.loads(body)["features"]
    import pyarrow.parquet as pq

    return pq.read_table(io.BytesIO(body)).to_pylist()


@pytest.mark.parametrize(("fmt", "media", "name"), [
    ("jsonl", "application/x-ndjson", "eventcoder-incidents.jsonl"),
    ("csv", "text/csv", "eventcoder-incidents.csv"),
    ("acled", "text/csv", "eventcoder-incidents-acled.csv"),
    ("gtd", "text/csv", "eventcoder-incidents-gtd.csv"),
    ("geojson", "application/geo+json", "eventcoder-incidents.geojson"),
    ("parquet", "application/vnd.apache.parquet", "eventcoder-incidents.parquet"),
])
def test_export_of_the_current_filter(client, db, fmt, media, name):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    incidents = incidents_of(db)
    iraq = [i for i in incidents if i.location and i.location.country == "IQ"]
    response = client.get(f"/export?format={fmt}&country=IQ")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    rows = _rows_of(fmt, response.content)
    located = [i for i in iraq if i.location.lat is not None] if fmt == "geojson" else iraq
    assert len(rows) == len(located) > 0
    if fmt == "jsonl":
        assert {r["incident_id"] for r in rows} == {i.incident_id for i in iraq}


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "geojson", "parquet"])
def test_export_from_the_events_view_writes_events(client, db, fmt):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    with Store(db) as store:
        events = list(store.events())
    response = client.get(f"/export?format={fmt}&view=events")
    assert response.status_code == 200
    assert "eventcoder-events" in response.headers["content-disposition"]
    rows = _rows_of(fmt, response.content)
    if fmt == "geojson":
        assert 0 < len(rows) <= len(events)
    else:
        assert len(rows) == len(events)


def test_export_honours_the_page_only_filters(client, db):
    inc = incidents_of(db)[0]
    path = f"/incidents/{inc.incident_id}"
    assert post(client, f"{path}/review", {"status": "approved"}, path).status_code == 303
    rows = _rows_of("jsonl", client.get("/export?format=jsonl&reviewed=yes").content)
    assert [r["incident_id"] for r in rows] == [inc.incident_id]
    # acled from the events view exports incidents (acled has no event form)
    response = client.get("/export?format=acled&view=events")
    assert response.status_code == 200 and "eventcoder-incidents-acled" in response.headers["content-disposition"]


def test_export_refuses_a_bad_format_or_filter(client):
    assert client.get("/export?format=xlsx").status_code == 400
    assert client.get("/export?format=csv&since=soon").status_code == 400
    response = client.get("/export?format=../../etc/passwd")
    assert response.status_code == 400 and "passwd" not in response.headers.get("content-disposition", "")


# --------------------------------------------------------------------------
# Unknown ids and other pages


@pytest.mark.parametrize("path", ["/documents/doc-nope", "/incidents/inc-nope", "/events/evt-nope", "/nowhere",
                                  "/documents/..%2F..%2Fetc%2Fpasswd", "/static/../app.py",
                                  "/static/%2e%2e/app.py", "/static/..%2Fapp.py"])
def test_unknown_pages_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "from __future__" not in response.text


def test_posts_to_unknown_ids_are_404(client):
    csrf = csrf_of(client.get("/").text)
    for path in ("/incidents/inc-nope/correct", "/incidents/inc-nope/review", "/events/evt-nope/merge",
                 "/events/evt-nope/split"):
        response = client.post(path, data={"csrf": csrf, "field": "fatalities", "value": "null",
                                           "status": "approved", "other": "evt-x", "move": "inc-x"})
        assert response.status_code == 404, path


def test_healthz_and_static_assets(client):
    assert client.get("/healthz").text == "ok"
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "L.map('map'" in js.text and "className: 'marker'" in js.text
    assert client.get("/static/app.css").status_code == 200


def test_incident_and_audit_pages_render(client, db):
    inc = incidents_of(db)[0]
    page = Page(client.get(f"/incidents/{inc.incident_id}").text)
    values = page.data("field-values")
    assert json.loads(values["sub_event_type"]) == inc.sub_event_type
    assert page.ids["event-link"]["href"].startswith("/events/evt-")
    audit = Page(client.get("/audit").text)
    assert "audit" in audit.ids
