"""Reruns, extractor versions, human corrections and events, on both store backends."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from eventcoder.errors import ConfigError, StoreError
from eventcoder.records import (
    Coding,
    Correction,
    Count,
    DatePrecision,
    DateValue,
    Estimate,
    Event,
    Link,
    Location,
    Qualifier,
    Rejected,
    SourceView,
    Stance,
    to_dict,
)
from eventcoder.store import Store
from factories import CODING, make_document, make_incident

LATER = ((60, 100),)
V2 = Coding(CODING.codebook, CODING.codebook_version, "rules.v2")


@pytest.fixture
def store(store_url):
    with Store(store_url) as s:
        yield s


def ids(incidents):
    return sorted(i.incident_id for i in incidents)


def stored_rows(store):
    """Every stored row's record, table by table: what a rerun must leave alone."""
    return {
        table: sorted(r[0] for r in store._query(f"SELECT record FROM {table}"))
        for table in ("documents", "incidents", "rejected", "events")
    }


def coded(doc, coding=CODING, **kw):
    return [make_incident(doc.doc_id, coding=coding, **kw), make_incident(doc.doc_id, coding=coding, evidence=LATER)]


# -- reruns --------------------------------------------------------------------------------------


def test_ingesting_the_same_report_twice_adds_nothing(store):
    doc = make_document()
    rej = Rejected("ingest", "E105", "bad line", origin="f.jsonl:2")

    def ingest():
        with store.transaction():
            store.put_document(make_document())  # a new, equal object each time
            store.put_incidents(doc.doc_id, coded(make_document()))
            store.put_rejected(rej)

    ingest()
    counts, rows = store.counts(), stored_rows(store)
    docs, incidents = list(store.documents()), list(store.incidents())
    assert counts["documents"] == 1 and counts["incidents"] == 2 and counts["rejected"] == 1
    ingest()
    assert store.counts() == counts
    assert stored_rows(store) == rows
    assert list(store.documents()) == docs
    assert list(store.incidents()) == incidents
    assert [(name, at.tzinfo is not None) for name, at in store.codings(doc.doc_id)] == [("rules.v1", True)]


def test_new_extractor_version_keeps_the_old_one(store):
    doc = make_document()
    store.put_document(doc)
    v1 = coded(doc)
    store.put_incidents(doc.doc_id, v1)
    v2 = [make_incident(doc.doc_id, coding=V2, confidence=0.9)]
    store.put_incidents(doc.doc_id, v2)
    assert v2[0].incident_id not in ids(v1)  # the extractor is part of the id
    # by default: what the latest run says
    assert list(store.incidents()) == v2
    assert list(store.incidents(doc.doc_id)) == v2
    assert ids(store.incidents(extractor="rules.v1")) == ids(v1)
    assert list(store.incidents(extractor="rules.v2")) == v2
    assert ids(store.incidents(all_versions=True)) == ids(v1 + v2)
    assert store.counts()["incidents"] == 3
    assert [name for name, _ in store.codings(doc.doc_id)] == ["rules.v2", "rules.v1"]
    # rerunning v1 replaces only v1's records, and v1 becomes the latest again
    v1_again = [make_incident(doc.doc_id, confidence=0.1)]
    store.put_incidents(doc.doc_id, v1_again)
    assert list(store.incidents()) == v1_again
    assert list(store.incidents(extractor="rules.v2")) == v2
    assert store.counts()["incidents"] == 2
    # a run that finds nothing: the document has no current incidents, the others stay
    store.put_incidents(doc.doc_id, [], extractor="rules.v2")
    assert list(store.incidents()) == []
    assert list(store.incidents(extractor="rules.v2")) == []
    assert list(store.incidents(extractor="rules.v1")) == v1_again
    with pytest.raises(ConfigError, match="not both"):
        list(store.incidents(extractor="rules.v1", all_versions=True))


def test_latest_coding_is_per_document(store):
    a, b = make_document("Report A."), make_document("Report B.")
    for d in (a, b):
        store.put_document(d)
    store.put_incidents(a.doc_id, [make_incident(a.doc_id)])
    store.put_incidents(b.doc_id, [make_incident(b.doc_id)])
    store.put_incidents(b.doc_id, [make_incident(b.doc_id, coding=V2)])
    assert [(i.doc_id, i.coding.extractor) for i in store.incidents()] == [
        (a.doc_id, "rules.v1"), (b.doc_id, "rules.v2")]


def test_uncoded_incidents_and_mixed_runs(store):
    doc = make_document()
    store.put_document(doc)
    bare = make_incident(doc.doc_id, coding=None)
    store.put_incidents(doc.doc_id, [bare])
    assert list(store.incidents(extractor=None)) == [bare]
    assert store.codings(doc.doc_id)[0][0] is None
    # one run whose incidents name two extractors (rules, then a model's re-coding) is one coding
    model = Coding(CODING.codebook, CODING.codebook_version, "model.v3")
    mixed = [make_incident(doc.doc_id), make_incident(doc.doc_id, evidence=LATER, coding=model)]
    store.put_incidents(doc.doc_id, mixed)
    assert ids(store.incidents()) == ids(mixed)
    assert ids(store.incidents(all_versions=True)) == ids(mixed + [bare])
    # an empty run without an extractor name records an unknown extractor that found nothing
    store.put_incidents(doc.doc_id, [])
    assert list(store.incidents()) == []
    assert ids(store.incidents(all_versions=True)) == ids(mixed)


# -- corrections ---------------------------------------------------------------------------------


FIXED_FATALITIES = {"low": 3, "high": 3, "qualifier": "exact", "spans": []}


def test_correct_incident(store):
    doc = make_document()
    store.put_document(doc)
    inc, other = coded(doc)
    store.put_incidents(doc.doc_id, [inc, other])
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    fixed = store.correct_incident(
        inc.incident_id,
        {"fatalities": FIXED_FATALITIES, "sub_event_type": "remote_explosive", "confidence": inc.confidence},
        who="ana",
        note="the ministry's figure",
    )
    assert fixed.fatalities == Count(3, 3, Qualifier.EXACT, ())
    assert fixed.sub_event_type == "remote_explosive"
    assert fixed.incident_id == inc.incident_id  # a correction keeps the record's identity
    assert fixed == dataclasses.replace(inc, fatalities=Count(3, 3), sub_event_type="remote_explosive")
    assert store.incident(inc.incident_id) == fixed
    assert store._query(
        "SELECT sub_event_type, fatalities_low, corrected FROM incidents WHERE incident_id = ?", (inc.incident_id,)
    ) == [("remote_explosive", 3, 1)]
    # one row per changed field (confidence did not change)
    got = list(store.corrections(inc.incident_id))
    assert [(c.field, c.old, c.new, c.who, c.note) for c in got] == [
        ("fatalities", to_dict(inc.fatalities), FIXED_FATALITIES, "ana", "the ministry's figure"),
        ("sub_event_type", "suicide_bomb", "remote_explosive", "ana", "the ministry's figure"),
    ]
    assert all(isinstance(c, Correction) and c.at >= before and c.at.utcoffset() == dt.timedelta(0) for c in got)
    assert got[0].id < got[1].id
    assert Correction.from_dict(got[0].to_dict()) == got[0]
    assert list(store.corrections()) == got
    assert list(store.corrections(other.incident_id)) == []
    # a second correction of the same field is a second row
    store.correct_incident(inc.incident_id, {"sub_event_type": "suicide_bomb"}, who="ben")
    assert [(c.field, c.old, c.new, c.who) for c in store.corrections(inc.incident_id)][-1] == (
        "sub_event_type", "remote_explosive", "suicide_bomb", "ben")
    # changing nothing stores nothing
    store.correct_incident(inc.incident_id, {"sub_event_type": "suicide_bomb"}, who="ben")
    assert len(list(store.corrections())) == 3


def test_a_rerun_never_overwrites_a_correction(store):
    doc = make_document()
    store.put_document(doc)
    inc, other = coded(doc)
    store.put_incidents(doc.doc_id, [inc, other])
    fixed = store.correct_incident(inc.incident_id, {"fatalities": FIXED_FATALITIES}, who="ana")
    # the same extractor again: same ids, so the corrected one wins; the other one is replaced
    rerun = [make_incident(doc.doc_id, confidence=0.99), make_incident(doc.doc_id, evidence=LATER, confidence=0.98)]
    assert rerun[0].incident_id == inc.incident_id
    store.put_incidents(doc.doc_id, rerun)
    assert store.incident(inc.incident_id) == fixed
    assert list(store.incidents()) == [fixed, rerun[1]]
    # a rerun that no longer finds it does not delete it
    store.put_incidents(doc.doc_id, [], extractor="rules.v1")
    assert list(store.incidents()) == [fixed]
    # nor does a new extractor version; the corrected incident stays in the default view
    v2 = [make_incident(doc.doc_id, coding=V2)]
    store.put_incidents(doc.doc_id, v2)
    assert ids(store.incidents()) == ids([fixed] + v2)
    assert list(store.incidents(extractor="rules.v2")) == v2
    assert store.incident(inc.incident_id) == fixed
    assert len(list(store.corrections(inc.incident_id))) == 1


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"fatalaties": 3}, "no field 'fatalaties'"),
        ({"incident_id": "inc-x"}, "'incident_id' .* cannot be corrected"),
        ({"doc_id": "doc-x"}, "'doc_id' .* cannot be corrected"),
        ({"fatalities": {"low": 3, "high": 3, "qualifier": "lots", "spans": []}}, "field 'fatalities'"),
        ({"fatalities": {"low": "three", "high": 3, "qualifier": "exact", "spans": []}}, "field 'fatalities'"),
        ({"fatalities": {"high": 3}}, "field 'fatalities'"),
        ({"stance": "rumoured"}, "field 'stance'"),
        ({"date": {"start": "2024-02-30", "end": None, "precision": "day"}}, "field 'date'"),
        ({"confidence": float("nan")}, "'confidence' is not JSON-ready"),
        ({}, "no changes"),
    ],
)
def test_bad_corrections_are_refused(store, changes, message):
    doc = make_document()
    store.put_document(doc)
    inc = make_incident(doc.doc_id)
    store.put_incidents(doc.doc_id, [inc])
    with pytest.raises(StoreError, match=message) as info:
        store.correct_incident(inc.incident_id, changes, who="ana")
    assert info.value.fix
    assert store.incident(inc.incident_id) == inc
    assert list(store.corrections()) == []


def test_correction_needs_a_stored_incident_and_a_name(store):
    doc = make_document()
    store.put_document(doc)
    inc = make_incident(doc.doc_id)
    store.put_incidents(doc.doc_id, [inc])
    with pytest.raises(StoreError, match="no incident"):
        store.correct_incident("inc-nope", {"sub_event_type": "grenade"}, who="ana")
    with pytest.raises(StoreError, match="who"):
        store.correct_incident(inc.incident_id, {"sub_event_type": "grenade"}, who=" ")


# -- events --------------------------------------------------------------------------------------


def make_event(*incidents, linker="link.v1", **kw):
    fields = dict(
        incident_ids=tuple(sorted(i.incident_id for i in incidents)),
        event_type=incidents[0].event_type,
        sub_event_type=incidents[0].sub_event_type,
        date=DateValue(dt.date(2024, 3, 5), dt.date(2024, 3, 5), DatePrecision.DAY),
        location=Location("Baqubah", name="Baqubah", admin1="Diyala", country="IQ", lat=33.75, lon=44.64),
        fatalities=Estimate(7, 5, 12),
        injuries=None,
        sources=tuple(
            SourceView(i.incident_id, i.doc_id, i.source, i.source_kind, i.stance, fatalities=i.fatalities)
            for i in sorted(incidents, key=lambda i: i.incident_id)
        ),
        links=(Link(*sorted(i.incident_id for i in incidents[:2]), 0.875, ("same day", "same admin1")),)
        if len(incidents) > 1 else (),
        claimed=any(i.stance is Stance.CLAIMED for i in incidents),
        reported=any(i.stance is Stance.REPORTED for i in incidents),
        linker=linker,
    )
    fields.update(kw)
    return Event(**fields)


def test_events_round_trip_and_replace(store):
    docs = [make_document(f"Report {n}.", source=f"src{n}") for n in range(4)]
    incs = [make_incident(d.doc_id, source=d.source) for d in docs]
    incs[1] = make_incident(docs[1].doc_id, stance=Stance.CLAIMED)
    first = [make_event(incs[0], incs[1]), make_event(incs[2], linker="")]
    store.put_events(first, "link.v1")
    assert store.counts()["events"] == 2
    back = list(store.events())
    assert back == [first[0], dataclasses.replace(first[1], linker="link.v1")]
    assert back[0].links[0].reasons == ("same day", "same admin1")
    assert store.event(first[0].event_id) == first[0]
    assert store.event("evt-nope") is None
    assert store.event_of(incs[1].incident_id) == first[0]
    assert store.event_of(incs[3].incident_id) is None
    assert store._query(
        "SELECT linker, CAST(date_start AS TEXT), admin1, fatalities_best, fatalities_low, fatalities_high, "
        "n_sources, claimed, reported FROM events WHERE event_id = ?", (first[0].event_id,)
    ) == [("link.v1", "2024-03-05", "Diyala", 7, 5, 12, 2, 1, 1)]
    # a new link run replaces everything: incident 2 joins incident 3
    second = [make_event(incs[0], incs[1], fatalities=Estimate(8, 5, 12)), make_event(incs[2], incs[3])]
    store.put_events(second, "link.v1")
    assert list(store.events()) == second
    assert store.event_of(incs[3].incident_id) == second[1]
    assert store.counts()["events"] == 2
    assert len(store._query("SELECT event_id, incident_id FROM event_members")) == 4
    store.put_events([], "link.v1")
    assert list(store.events()) == [] and store._query("SELECT * FROM event_members") == []


def test_bad_events_are_refused_and_change_nothing(store):
    a, b = make_incident("doc-a"), make_incident("doc-b")
    good = [make_event(a)]
    store.put_events(good, "link.v1")
    with pytest.raises(StoreError, match="made by 'link.v0'"):
        store.put_events([make_event(a, linker="link.v0")], "link.v1")
    with pytest.raises(StoreError, match="share the id"):
        store.put_events([make_event(a), make_event(a)], "link.v1")
    with pytest.raises(StoreError, match="in two events"):
        store.put_events([make_event(a, b), make_event(b, event_id="evt-other")], "link.v1")
    with pytest.raises(ConfigError, match="linker"):
        store.put_events(good, "")
    with pytest.raises(StoreError, match="JSON"):
        store.put_events([make_event(b), make_event(a, incident_ids=(a.incident_id, "inc-z"),
                                                    location=Location("x", lat=float("nan")))], "link.v1")
    assert list(store.events()) == good


def test_events_page(store, monkeypatch):
    monkeypatch.setattr(store, "_page_size", 2)
    events = [make_event(make_incident(f"doc-{n}")) for n in range(5)]
    store.put_events(events, "link.v1")
    assert list(store.events()) == events
