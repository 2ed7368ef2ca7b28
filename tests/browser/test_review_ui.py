"""The review app in a real browser: table and filters, evidence, corrections, map, timeline, XSS.

Fixtures (conftest.py): a store of the bundled samples plus one hostile report, the app served by
uvicorn on loopback, the system's headless Chromium. Facts about the data come from the records
the fixture coded; what the app wrote is read back through the store's API.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urljoin, urlparse

from .review_site import REVIEWER, XSS_ATTRIBUTE, XSS_DOC_ID, XSS_SCRIPT, parse_spans

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests, or fails them on CI
    expect = None

# records each test works on, kept apart so that the tests do not depend on their order
EVIDENCE_DOC = "wire-arish-checkpoint"  # one incident, fatalities 5 with evidence
CORRECT_DOC = "wire-rotterdam-ramming"  # one incident, fatalities 3: corrected to 5
APPROVE_DOC = "wire-mosul-karama"  # one incident: approved
BAD_VALUE_DOC = "wire-mogadishu-checkpoint"  # one incident: a bad correction is refused


def only_incident(store, doc_id: str):
    found = store.by_doc(doc_id)
    assert len(found) == 1, f"{doc_id} should code exactly one incident, not {len(found)}"
    return found[0]


def merged(spans) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def names_field(token: str, field: str) -> bool:
    """A data-fields token names ``field``: "fatalities", or qualified ("inc-...:fatalities")."""
    return token == field or re.search(rf"[:./]{re.escape(field)}$", token) is not None


def marks_of(page) -> list[dict]:
    return page.eval_on_selector_all(
        "pre#text mark.evidence",
        """marks => marks.map(m => ({
            start: Number(m.dataset.start), end: Number(m.dataset.end),
            fields: (m.dataset.fields || '').split(/[\\s,]+/).filter(Boolean),
            text: m.textContent, active: m.classList.contains('active')}))""",
    )


def record_ids(page) -> list[str]:
    return page.eval_on_selector_all("table#records tr.record", "rows => rows.map(r => r.dataset.id)")


def same_origin(url: str, server) -> bool:
    return url.startswith(server.url + "/") or url == server.url or url.startswith(("data:", "blob:", "about:"))


def goto(page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.ok, f"{path} answered {response and response.status}"


# -- table, counts, filters --------------------------------------------------------------------


def test_table_lists_every_stored_incident(page, server):
    ids = set(server.store.incidents)
    expect(page.locator("table#records tr.record")).to_have_count(len(ids))
    assert set(record_ids(page)) == ids
    assert re.search(rf"\b{len(ids)}\b", page.inner_text("#counts")), page.inner_text("#counts")
    # every row opens its record
    assert page.locator("table#records tr.record a.open").count() >= len(ids)


def test_filter_by_country_narrows_the_table_counts_and_url(page, server):
    iraq = {inc.incident_id for inc in server.store.by_country("IQ")}
    assert 0 < len(iraq) < len(server.store.incidents)
    expect(page.locator("tr.record")).to_have_count(len(server.store.incidents))
    before = page.inner_text("#counts")

    page.fill("form#filters input[name=country]", "IQ")
    page.click("form#filters button#apply")
    expect(page.locator("tr.record")).to_have_count(len(iraq))
    assert set(record_ids(page)) == iraq
    after = page.inner_text("#counts")
    assert after != before, f"#counts did not change: {after!r}"
    assert re.search(rf"\b{len(iraq)}\b", after), f"#counts shows {after!r}, not {len(iraq)} records"
    assert parse_qs(urlparse(page.url).query).get("country") == ["IQ"], page.url

    page.reload()  # the URL holds the filter
    expect(page.locator("tr.record")).to_have_count(len(iraq))
    assert page.input_value("form#filters input[name=country]") == "IQ"


def test_sorting_reorders_and_keeps_the_filter(page, server):
    iraq = server.store.by_country("IQ")
    goto(page, "/?country=IQ")
    expect(page.locator("tr.record")).to_have_count(len(iraq))
    link = page.locator('table#records th a.sort[data-key="confidence"]')
    expect(link).to_have_count(1)
    link.click()
    expect(page.locator("tr.record")).to_have_count(len(iraq))
    query = parse_qs(urlparse(page.url).query)
    assert query.get("sort") == ["confidence"] and query.get("country") == ["IQ"], page.url
    shown = [server.store.incidents[i].confidence for i in record_ids(page)]
    assert shown in (sorted(shown), sorted(shown, reverse=True)), shown


def test_events_view_lists_every_event(page, server):
    goto(page, "/?view=events")
    events = {ev.event_id for ev in server.store.events}
    expect(page.locator("table#records tr.record")).to_have_count(len(events))
    assert set(record_ids(page)) == events


def test_export_links_carry_the_filter(page, server):
    iraq = server.store.by_country("IQ")
    goto(page, "/?country=IQ")
    expect(page.locator("tr.record")).to_have_count(len(iraq))
    links = page.locator("a.export[data-format]")
    assert links.count() >= 1, "no a.export[data-format] on /"
    formats = {links.nth(i).get_attribute("data-format"): links.nth(i).get_attribute("href") for i in range(links.count())}
    assert "jsonl" in formats, f"export formats offered: {sorted(formats)}"
    for fmt, href in formats.items():
        assert href and "country=IQ" in href, f"the {fmt} export link {href!r} does not carry the filter"
    response = page.request.get(urljoin(page.url, formats["jsonl"]))
    assert response.status == 200, f"jsonl export answered {response.status}: {response.text()[:300]}"
    lines = [json.loads(line) for line in response.text().splitlines() if line.strip()]
    assert len(lines) == len(iraq), f"jsonl export has {len(lines)} records for a filter of {len(iraq)}"


# -- document view: evidence -------------------------------------------------------------------


def test_document_highlights_each_fields_evidence(page, server):
    inc = only_incident(server.store, EVIDENCE_DOC)
    doc = server.store.documents[EVIDENCE_DOC]
    goto(page, f"/documents/{EVIDENCE_DOC}")

    marks = marks_of(page)
    assert marks, "no mark.evidence in pre#text"
    for m in marks:  # offsets are into the document's text, and the mark shows exactly that text
        assert m["text"] == doc.text[m["start"]:m["end"]], m
    # the whole text is shown, unaltered, around the marks
    assert page.eval_on_selector("pre#text", "e => e.textContent") == doc.text

    spans = [tuple(s) for s in inc.fatalities.spans]
    covered = [(m["start"], m["end"]) for m in marks if any(names_field(t, "fatalities") for t in m["fields"])]
    assert merged(covered) == merged(spans), (
        f"marks for fatalities cover {merged(covered)}, the incident's evidence is {merged(spans)} "
        f"({[doc.text[s:e] for s, e in spans]})")
    li = page.locator('ul#fields li.field[data-field="fatalities"]')
    expect(li).to_have_count(1)
    assert merged(parse_spans(li.get_attribute("data-spans"))) == merged(spans)


def test_clicking_a_field_marks_its_spans_and_a_span_shows_its_fields(page, server):
    inc = only_incident(server.store, EVIDENCE_DOC)
    goto(page, f"/documents/{EVIDENCE_DOC}")
    page.click('ul#fields li.field[data-field="fatalities"]')
    expect(page.locator("pre#text mark.evidence.active").first).to_be_visible()
    active = [(m["start"], m["end"]) for m in marks_of(page) if m["active"]]
    assert merged(active) == merged(tuple(s) for s in inc.fatalities.spans), active

    start, end = inc.fatalities.spans[0]
    mark = page.locator(f'pre#text mark.evidence[data-start="{start}"]').first
    mark.click()
    expect(page.locator("#span-fields")).to_contain_text("fatalities")


# -- corrections, review, audit ----------------------------------------------------------------


def test_a_correction_persists_is_marked_and_audited(page, server):
    inc = only_incident(server.store, CORRECT_DOC)
    assert inc.fatalities is not None and inc.fatalities.low != 5
    new = {"low": 5, "high": 5, "qualifier": "exact", "spans": []}
    goto(page, f"/incidents/{inc.incident_id}")
    expect(page.locator("table#record")).to_be_visible()

    page.select_option("form#correct select[name=field]", "fatalities")
    page.fill("form#correct textarea[name=value]", json.dumps(new))
    page.fill("form#correct input[name=note]", "five in the follow-up report")
    page.click("form#correct button#save")
    expect(page.locator(".badge.corrected")).to_be_visible()
    assert not page.locator("#error").is_visible(), page.inner_text("#error")

    page.reload()
    expect(page.locator(".badge.corrected")).to_be_visible()
    expect(page.locator("table#record")).to_contain_text("5")

    with server.store.open() as store:
        stored = store.incident(inc.incident_id)
        assert (stored.fatalities.low, stored.fatalities.high) == (5, 5)
        changes = [c for c in store.corrections(inc.incident_id) if c.field == "fatalities"]
        assert len(changes) == 1 and changes[0].who == REVIEWER and changes[0].new["low"] == 5

    goto(page, "/audit")
    rows = page.locator("table#audit tr.change", has_text=inc.incident_id)
    expect(rows.filter(has_text="fatalities")).to_have_count(1)
    expect(rows.filter(has_text="fatalities")).to_contain_text(REVIEWER)


def test_a_bad_value_is_refused_with_a_message(page, server):
    inc = only_incident(server.store, BAD_VALUE_DOC)
    goto(page, f"/incidents/{inc.incident_id}")
    page.select_option("form#correct select[name=field]", "fatalities")
    page.fill("form#correct textarea[name=value]", '{"low": "many"}')
    page.click("form#correct button#save")
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("fatalities")
    expect(page.locator(".badge.corrected")).to_have_count(0)
    with server.store.open() as store:
        assert list(store.corrections(inc.incident_id)) == []
        assert store.incident(inc.incident_id) == inc


def test_approve_is_kept_shown_filtered_and_audited(page, server):
    inc = only_incident(server.store, APPROVE_DOC)
    with server.store.open() as store:
        assert store.review_status(inc.incident_id) is None
    goto(page, f"/incidents/{inc.incident_id}")
    page.click("button#approve")
    page.wait_for_load_state("networkidle")
    with server.store.open() as store:
        assert store.review_status(inc.incident_id) == "approved"
    page.reload()
    expect(page.locator("main")).to_contain_text(re.compile(r"\bapproved\b", re.I))

    goto(page, "/")
    page.select_option("form#filters select[name=reviewed]", label="yes")
    page.click("form#filters button#apply")
    expect(page.locator(f'tr.record[data-id="{inc.incident_id}"]')).to_have_count(1)
    assert len(record_ids(page)) < len(server.store.incidents)

    goto(page, "/audit")
    expect(page.locator("table#audit tr.change", has_text=inc.incident_id)
           .filter(has_text=re.compile("approved", re.I))).to_have_count(1)


def test_event_page_offers_merge_and_split(page, server):
    event = max(server.store.events, key=lambda ev: len(ev.incident_ids))
    goto(page, f"/events/{event.event_id}")
    expect(page.locator("form#merge input[name=other]")).to_have_count(1)
    if len(event.incident_ids) > 1:
        expect(page.locator("form#split input[type=checkbox][name=move]")).to_have_count(len(event.incident_ids))


# -- map and timeline, offline -----------------------------------------------------------------


def test_map_draws_markers_from_local_tiles_only(page, server, recorder):
    markers = page.locator("#map path.marker, #map .leaflet-interactive.marker")
    expect(markers.first).to_be_attached()
    assert markers.count() > 0
    page.wait_for_load_state("networkidle")
    expect(page.locator("#map .leaflet-control-attribution")).to_contain_text("OpenStreetMap")

    outside = sorted({r.url for r in recorder.requests if not same_origin(r.url, server)})
    assert outside == [], f"requests left 127.0.0.1: {outside}"
    tiles = [r for r in recorder.responses if urlparse(r.url).path.startswith("/tiles/")]
    assert any(r.status == 200 and r.request.resource_type == "image" for r in tiles), (
        f"no /tiles/ image loaded; tile responses: {[(r.url, r.status) for r in tiles][:10]}")
    assert not [r.url for r in recorder.failed], f"failed requests: {[(r.url, r.failure) for r in recorder.failed]}"
    expect(page.locator("#legend")).not_to_be_empty()


def test_timeline_has_bars_per_bin(page):
    bars = page.locator("div#timeline svg rect.bar")
    expect(bars.first).to_be_attached()
    options = page.eval_on_selector_all("select#bin option", "os => os.map(o => o.value)")
    assert len(options) >= 2, f"select#bin offers {options}"
    for value in options:
        page.select_option("select#bin", value)
        expect(bars.first).to_be_attached()


# -- untrusted text ----------------------------------------------------------------------------


def test_hostile_report_is_shown_as_text(page, server, recorder):
    inc = only_incident(server.store, XSS_DOC_ID)
    for path in (f"/documents/{XSS_DOC_ID}", f"/incidents/{inc.incident_id}", "/", "/?country=IQ", "/audit"):
        goto(page, path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("typeof window.__xss") == "undefined", f"script from the report ran on {path}"
    goto(page, f"/documents/{XSS_DOC_ID}")
    text = page.inner_text("pre#text")
    assert XSS_SCRIPT in text and XSS_ATTRIBUTE in text, text
    assert page.locator("pre#text script, pre#text img").count() == 0
    assert page.locator("img[src=x], img[onerror]").count() == 0
    assert recorder.dialogs == []
    assert not [r.url for r in recorder.requests if urlparse(r.url).path.endswith("/x")], "the injected <img src=x> loaded"
    # its evidence is highlighted like any other report's
    assert any(names_field(t, "fatalities") for m in marks_of(page) for t in m["fields"])


def test_pages_run_without_script_errors(page, server, recorder):
    inc = only_incident(server.store, EVIDENCE_DOC)
    for path in ("/", f"/documents/{EVIDENCE_DOC}", f"/incidents/{inc.incident_id}", "/audit"):
        goto(page, path)
        page.wait_for_load_state("networkidle")
    assert recorder.errors == [], recorder.errors


# -- the whole review: from the coded samples to a corrected export ----------------------------

WORKFLOW_DOC = "wire-peru-power-towers"  # two incidents: the bombing's killed corrected, then exported


def test_from_table_to_a_corrected_export(page, server):
    import csv
    import io

    bombing = [i for i in server.store.by_doc(WORKFLOW_DOC) if i.sub_event_type == "remote_explosive"]
    assert len(bombing) == 1, f"{WORKFLOW_DOC} should code one remote_explosive incident"
    inc = bombing[0]
    goto(page, "/?country=PE")
    page.locator(f'tr.record[data-id="{inc.incident_id}"] a.open').click()
    expect(page.locator("form#correct")).to_be_visible()
    page.select_option("form#correct select[name=field]", "fatalities")
    page.fill("form#correct textarea[name=value]", json.dumps({"low": 2, "high": 2, "qualifier": "exact", "spans": []}))
    page.click("form#correct button#save")
    expect(page.locator(".badge.corrected")).to_be_visible()

    goto(page, "/?country=PE")
    expect(page.locator(f'tr.record[data-id="{inc.incident_id}"]')).to_have_class(re.compile(r"\bcorrected\b"))
    for fmt, column in (("csv", "fatalities_low"), ("acled", "fatalities")):
        href = page.locator(f'a.export[data-format="{fmt}"]').get_attribute("href")
        response = page.request.get(urljoin(page.url, href))
        assert response.status == 200, f"{fmt} export answered {response.status}"
        rows = list(csv.DictReader(io.StringIO(response.text())))
        key = "incident_id" if fmt == "csv" else "event_id_cnty"
        mine = [r for r in rows if r[key] == inc.incident_id]
        assert len(mine) == 1, f"the {fmt} export has no row for {inc.incident_id}"
        assert mine[0][column] == "2", f"the {fmt} export kept {mine[0][column]!r}, not the corrected 2"
        assert all(r[key] != "" for r in rows)
