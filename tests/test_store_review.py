"""Human review in the store, on both backends: approving and rejecting incidents, link decisions,
the audit trail, and the upgrade of a version-2 store."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from eventcoder.errors import ConfigError, StoreError
from eventcoder.records import Coding, Correction, LinkConstraint
from eventcoder.store import SCHEMA_VERSION, Store
from eventcoder.store import postgres as pg
from eventcoder.store import sqlite as lite
from factories import CODING, make_document, make_incident

LATER = ((60, 100),)
V2 = Coding(CODING.codebook, CODING.codebook_version, "rules.v2")
FIXED_FATALITIES = {"low": 3, "high": 3, "qualifier": "exact", "spans": []}


@pytest.fixture
def store(store_url):
    with Store(store_url) as s:
        yield s


@pytest.fixture
def coded(store):
    """A stored document with two incidents of rules.v1."""
    doc = make_document()
    store.put_document(doc)
    incs = [make_incident(doc.doc_id), make_incident(doc.doc_id, evidence=LATER)]
    store.put_incidents(doc.doc_id, incs)
    return doc, incs


def ids(incidents):
    return sorted(i.incident_id for i in incidents)


def now():
    return dt.datetime.now(dt.timezone.utc)


# -- reviews -------------------------------------------------------------------------------------


def test_review_round_trip_and_audit_rows(store, coded):
    _, (inc, other) = coded
    assert store.review_status(inc.incident_id) is None and store.reviews() == {}
    before = now()
    store.review_incident(inc.incident_id, "approved", who="ana", note="checked the wire")
    assert store.review_status(inc.incident_id) == "approved"
    assert store.review_status(other.incident_id) is None
    assert store.reviews() == {inc.incident_id: "approved"}
    store.review_incident(other.incident_id, "rejected", who="ben")
    assert store.reviews() == {inc.incident_id: "approved", other.incident_id: "rejected"}
    assert store._query("SELECT review FROM incidents WHERE incident_id = ?", (other.incident_id,)) == [("rejected",)]
    # the same status again stores nothing; unreviewed clears
    store.review_incident(inc.incident_id, "approved", who="ana")
    store.review_incident(inc.incident_id, "unreviewed", who="cy", note="second look")
    assert store.review_status(inc.incident_id) is None
    assert store.reviews() == {other.incident_id: "rejected"}
    # every review is a row of the audit trail, with who, when, the old and the new status
    rows = [(c.incident_id, c.field, c.old, c.new, c.who, c.note) for c in store.corrections()]
    assert rows == [
        (inc.incident_id, "review", "unreviewed", "approved", "ana", "checked the wire"),
        (other.incident_id, "review", "unreviewed", "rejected", "ben", None),
        (inc.incident_id, "review", "approved", "unreviewed", "cy", "second look"),
    ]
    assert all(isinstance(c, Correction) and c.at >= before.replace(microsecond=0) for c in store.corrections())
    assert [c.new for c in store.corrections(inc.incident_id)] == ["approved", "unreviewed"]
    # old and new are stored as JSON strings
    assert store._query("SELECT old, new FROM corrections ORDER BY id")[0] == ('"unreviewed"', '"approved"')
    # a review is not a correction of fields
    assert not store.is_corrected(inc.incident_id) and store.corrected_ids() == set()
    assert store.incident(inc.incident_id) == inc
    # rejected incidents are still returned by incidents(): consumers filter with reviews()
    assert ids(store.incidents()) == ids(coded[1])


def test_a_rerun_keeps_reviewed_incidents(store, coded):
    doc, (inc, other) = coded
    store.review_incident(inc.incident_id, "approved", who="ana")
    # the same extractor again, with new values: the reviewed incident is neither overwritten nor deleted
    rerun = [make_incident(doc.doc_id, confidence=0.11), make_incident(doc.doc_id, evidence=LATER, confidence=0.12)]
    assert ids(rerun) == ids([inc, other])
    store.put_incidents(doc.doc_id, rerun)
    assert store.incident(inc.incident_id) == inc
    assert store.incident(other.incident_id) == rerun[1]  # an unreviewed one is replaced
    assert store.review_status(inc.incident_id) == "approved"
    # a rerun that finds nothing keeps it; a rejected incident is kept too (so its rejection sticks)
    store.review_incident(other.incident_id, "rejected", who="ana")
    store.put_incidents(doc.doc_id, [], extractor="rules.v1")
    assert ids(store.incidents()) == ids([inc, other])
    assert store.incident(other.incident_id) == rerun[1]
    # a new extractor version: the reviewed incidents stay in the default view
    v2 = [make_incident(doc.doc_id, coding=V2)]
    store.put_incidents(doc.doc_id, v2)
    assert ids(store.incidents()) == ids([inc, other] + v2)
    # clearing the review lifts the protection: the next rerun replaces it again
    store.review_incident(inc.incident_id, "unreviewed", who="ana")
    newer = [make_incident(doc.doc_id, confidence=0.5)]
    store.put_incidents(doc.doc_id, newer)
    assert store.incident(inc.incident_id) == newer[0]


def test_corrected_and_reviewed(store, coded):
    _, (inc, other) = coded
    assert store.corrected_ids() == set() and store.is_corrected(inc.incident_id) is False
    store.correct_incident(inc.incident_id, {"fatalities": FIXED_FATALITIES}, who="ana")
    assert store.is_corrected(inc.incident_id) is True and store.is_corrected(other.incident_id) is False
    assert store.corrected_ids() == {inc.incident_id}
    store.review_incident(inc.incident_id, "approved", who="ana")
    assert store.review_status(inc.incident_id) == "approved" and store.is_corrected(inc.incident_id)


@pytest.mark.parametrize("status", ["approve", "APPROVED", "", None, "deleted"])
def test_bad_review_status_is_refused(store, coded, status):
    _, (inc, _) = coded
    with pytest.raises(StoreError, match=f"review status {status!r}") as info:
        store.review_incident(inc.incident_id, status, who="ana")
    assert "approved" in info.value.fix and "unreviewed" in info.value.fix
    assert store.reviews() == {} and list(store.corrections()) == []


def test_review_errors_name_the_incident(store, coded):
    _, (inc, _) = coded
    with pytest.raises(StoreError, match="no incident with id 'inc-nope'") as info:
        store.review_incident("inc-nope", "approved", who="ana")
    assert info.value.fix
    with pytest.raises(StoreError, match="who"):
        store.review_incident(inc.incident_id, "approved", who=" ")
    with pytest.raises(StoreError, match="note"):
        store.review_incident(inc.incident_id, "approved", who="ana", note=3)
    for read in (store.review_status, store.is_corrected):
        with pytest.raises(StoreError, match="no incident with id 'inc-nope'"):
            read("inc-nope")
    assert store.reviews() == {} and list(store.corrections()) == []


# -- link decisions ------------------------------------------------------------------------------


@pytest.fixture
def three(store):
    """Three stored incidents of three documents, sorted by id."""
    incs = []
    for n in range(3):
        doc = make_document(f"Report {n}.", source=f"src{n}")
        store.put_document(doc)
        inc = make_incident(doc.doc_id, source=doc.source)
        store.put_incidents(doc.doc_id, [inc])
        incs.append(inc)
    return sorted(incs, key=lambda i: i.incident_id)


def test_link_constraints_round_trip_replace_and_remove(store, three):
    a, b, c = (i.incident_id for i in three)
    before = now()
    first = store.add_link_constraint(b, a, "must", who="ana", note="same attack")  # the pair is normalised
    assert isinstance(first, LinkConstraint)
    assert (first.incident_a, first.incident_b, first.kind, first.who, first.note) == (a, b, "must", "ana", "same attack")
    assert first.at >= before.replace(microsecond=0) and first.at.utcoffset() == dt.timedelta(0)
    assert store.link_constraints() == [first]
    second = store.add_link_constraint(a, c, "cannot", who="ben")
    assert store.link_constraints() == [first, second]
    # a new decision on the same pair replaces the old one's kind (the id stays) and is now the latest
    replaced = store.add_link_constraint(a, b, "cannot", who="cy", note="different day")
    assert replaced.id == first.id and replaced.kind == "cannot" and replaced.at >= second.at
    assert store.link_constraints() == [second, replaced]
    assert LinkConstraint.from_dict(json.loads(json.dumps(replaced.to_dict()))) == replaced
    # withdrawing a decision
    removed = store.remove_link_constraint(second.id, who="dee", note="not sure")
    assert removed == second
    assert store.link_constraints() == [replaced]
    with pytest.raises(StoreError, match=f"no link decision with id {second.id}"):
        store.remove_link_constraint(second.id, who="dee")
    # the audit trail: who, when, old and new of each decision, on the pair's smaller id
    rows = [(c.incident_id, c.field, c.old, c.new, c.who, c.note) for c in store.corrections()]
    assert rows == [
        (a, f"link:{b}", None, "must", "ana", "same attack"),
        (a, f"link:{c}", None, "cannot", "ben", None),
        (a, f"link:{b}", "must", "cannot", "cy", "different day"),
        (a, f"link:{c}", "cannot", None, "dee", "not sure"),
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (("A", "B", "maybe"), "unknown link decision 'maybe'"),
        (("A", "A", "must"), "two different incidents"),
        (("A", "inc-nope", "must"), "no incident with id 'inc-nope'"),
        (("inc-nope", "B", "cannot"), "no incident with id 'inc-nope'"),
        (("A", "", "cannot"), "bad incident id ''"),
    ],
)
def test_bad_link_decisions_are_refused(store, three, args, message):
    names = {"A": three[0].incident_id, "B": three[1].incident_id}
    a, b, kind = (names.get(x, x) for x in args)
    with pytest.raises(StoreError, match=message) as info:
        store.add_link_constraint(a, b, kind, who="ana")
    assert info.value.fix
    with pytest.raises(StoreError, match="who"):
        store.add_link_constraint(names["A"], names["B"], "must", who="")
    assert store.link_constraints() == [] and list(store.corrections()) == []


def test_audit_is_one_time_ordered_list(store, three):
    a, b, c = (i.incident_id for i in three)
    assert store.audit() == []
    store.correct_incident(a, {"fatalities": FIXED_FATALITIES}, who="ana", note="ministry")
    store.review_incident(b, "rejected", who="ben")
    decision = store.add_link_constraint(c, a, "must", who="cy")
    store.remove_link_constraint(decision.id, who="cy")
    rows = store.audit()
    assert [(r["kind"], r["target"], r["field"], r["old"], r["new"], r["who"], r["other"]) for r in rows] == [
        ("link", a, f"link:{c}", "must", None, "cy", c),
        ("link", a, f"link:{c}", None, "must", "cy", c),
        ("review", b, "review", "unreviewed", "rejected", "ben", None),
        ("correction", a, "fatalities", rows[-1]["old"], FIXED_FATALITIES, "ana", None),
    ]
    assert rows[-1]["note"] == "ministry" and rows[-1]["old"]["low"] == 7
    assert set(rows[0]) == {"id", "at", "who", "kind", "target", "field", "old", "new", "note", "other"}
    ats = [r["at"] for r in rows]
    assert ats == sorted(ats, reverse=True) and all(t.utcoffset() == dt.timedelta(0) for t in ats)
    assert store.audit(limit=2) == rows[:2]
    assert store.audit(limit=0) == []
    for bad in (-1, "3", True):
        with pytest.raises(ConfigError, match="limit"):
            store.audit(limit=bad)
    # corrections() has the same rows, oldest first
    assert [c.id for c in store.corrections()] == [r["id"] for r in reversed(rows)]


# -- upgrading a version-2 store -----------------------------------------------------------------


@pytest.fixture
def v2_store(store_url):
    """A store at schema version 2 (before reviews and link decisions), built through the
    version-2 migrations, with one corrected incident and one plain one."""
    doc = make_document()
    inc, other = make_incident(doc.doc_id), make_incident(doc.doc_id, evidence=LATER)
    if store_url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(store_url, autocommit=True) as conn:
            conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied TIMESTAMPTZ NOT NULL)")
            for number in (0, 1):
                conn.execute(pg.MIGRATIONS[number])
                conn.execute("INSERT INTO schema_migrations VALUES (%s, now())", (number + 1,))
    else:
        conn = sqlite3.connect(store_url, isolation_level=None)
        for number in (0, 1):
            for statement in lite._statements(lite.MIGRATIONS[number]):
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 2")
        conn.close()
    # fill it through the store's own code, with the migrations cut to version 2
    mp = pytest.MonkeyPatch()
    try:
        module = pg if store_url.startswith("postgresql://") else lite
        mp.setattr(module, "SCHEMA_VERSION", 2)
        with Store(store_url) as old:
            assert old.schema_version == 2
            old.put_document(doc)
            with old.transaction():
                old._exec(
                    "INSERT INTO incidents (incident_id, doc_id, event_type, sub_event_type, stance, record, coded_at,"
                    " extractor, corrected) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (inc.incident_id, doc.doc_id, inc.event_type, inc.sub_event_type, inc.stance.value,
                     json.dumps(inc.to_dict()), "2025-01-01T00:00:00+00:00", "rules.v1", 1),
                )
                old._exec(
                    "INSERT INTO incidents (incident_id, doc_id, event_type, sub_event_type, stance, record, coded_at,"
                    " extractor, corrected) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (other.incident_id, doc.doc_id, other.event_type, other.sub_event_type, other.stance.value,
                     json.dumps(other.to_dict()), "2025-01-01T00:00:00+00:00", "rules.v1", 0),
                )
                old._exec("INSERT INTO codings (doc_id, extractor, coded_at, generation) VALUES (?, ?, ?, ?)",
                          (doc.doc_id, "rules.v1", "2025-01-01T00:00:00+00:00", 1))
    finally:
        mp.undo()
    return store_url, doc, inc, other


def test_a_version_2_store_is_upgraded(v2_store):
    url, doc, inc, other = v2_store
    with Store(url) as store:
        assert store.schema_version == SCHEMA_VERSION == 4
        assert store._query("SELECT value FROM meta WHERE key = 'schema_version'") == [("4",)]
        assert store.reviews() == {} and store.link_constraints() == [] and store.audit() == []
        assert store.corrected_ids() == {inc.incident_id}
        # works as a version-3 store: reviews and decisions, and the corrected incident stays protected
        store.review_incident(other.incident_id, "approved", who="ana")
        store.put_incidents(doc.doc_id, [], extractor="rules.v1")
        assert ids(store.incidents()) == ids([inc, other])
        store.add_link_constraint(inc.incident_id, other.incident_id, "must", who="ana")
        assert [r["kind"] for r in store.audit()] == ["link", "review"]
