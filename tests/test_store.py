"""The store on both backends (SQLite, PostgreSQL): upserts, round trips, verbatim text, rejected
records, runs. Tests that take ``store`` run once per backend (``store_url`` in conftest.py)."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventcoder.errors import ConfigError, StoreError
from eventcoder.records import (
    Calendar,
    Count,
    DatePrecision,
    DateValue,
    Incident,
    Qualifier,
    Rejected,
    Stance,
)
from eventcoder.store import MIGRATIONS, SCHEMA_VERSION, SQLiteStore, Store, open_store, resolve_path
from factories import make_document, make_incident, span

# evidence of a second incident in the same document (a different id)
LATER = ((60, 100),)


@pytest.fixture
def store(store_url):
    with Store(store_url) as s:
        yield s


EMPTY = {"documents": 0, "incidents": 0, "rejected": 0, "runs": 0, "events": 0}


def test_schema_and_pragmas(tmp_path):
    path = tmp_path / "s.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"documents", "incidents", "rejected", "runs", "meta"} <= tables
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS) == 4
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "4"
    assert {"codings", "corrections", "events", "event_members", "link_constraints", "batch_chunks"} <= tables
    conn.close()
    with Store(path) as again:  # reopening does not migrate twice
        assert again.schema_version == 4
        assert again._db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_urls(tmp_path):
    with Store(f"sqlite:///{tmp_path}/u.db") as s:
        s.put_document(make_document())
    assert (tmp_path / "u.db").exists()
    with pytest.raises(ConfigError, match="not supported"):
        Store("mysql://user@localhost/events")
    with pytest.raises(ConfigError, match="do not name a SQLite file"):
        resolve_path("postgresql://user@localhost/events")
    assert isinstance(Store(tmp_path / "plain.db"), SQLiteStore)


def test_not_a_store(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_text("hello, not a database" * 100)
    with pytest.raises(StoreError):
        Store(junk)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not an eventcoder store"):
        Store(other)
    with pytest.raises(StoreError):
        Store(tmp_path / "no" / "such" / "dir" / "x.db")


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Store(path)


def test_document_round_trip_and_upsert(store):
    doc = make_document(title="Blast", hijri_calendar="umm_al_qura", day_first=False)
    store.put_document(doc)
    store.put_document(doc)
    assert list(store.documents()) == [doc]
    assert store.document(doc.doc_id) == doc
    assert store.document("nope") is None
    assert store.counts()["documents"] == 1


def test_incident_round_trip(store):
    doc = make_document()
    inc = make_incident(doc.doc_id)
    bare = Incident(doc_id=doc.doc_id, event_type="battles", sub_event_type="armed_clash", evidence=((0, 7),))
    combined = make_incident(
        doc.doc_id, evidence=LATER, sub_event_type="remote_explosive", stance=Stance.CLAIMED,
        fatalities=None, injuries=None, killed_or_injured=Count(80, None, Qualifier.APPROXIMATELY, ((60, 62),)),
        date=DateValue(dt.date(2024, 3, 1), dt.date(2024, 3, 31), DatePrecision.MONTH, Calendar.HIJRI,
                       text="March", spans=(span("March"),)),
        location=None,
    )
    store.put_document(doc)
    store.put_incidents(doc.doc_id, [inc, bare, combined])
    back = list(store.incidents(doc.doc_id))
    assert back == [inc, bare, combined]
    assert back[0].fatalities.spans == inc.fatalities.spans
    (fatalities_span,) = back[0].fatalities.spans
    assert doc.text[slice(*fatalities_span)] == "7"  # spans still point into the stored text
    assert isinstance(back[0].location.lat, float)
    assert list(store.incidents()) == back
    query = (
        "SELECT CAST(date_start AS TEXT), country, lat, fatalities_low, injuries_high, stance, extractor, corrected"
        " FROM incidents WHERE incident_id = ?"
    )
    assert store._query(query, (inc.incident_id,)) == [("2024-03-05", "IQ", 33.75, 7, 15, "reported", "rules.v1", 0)]
    assert store._query(query, (combined.incident_id,)) == [
        ("2024-03-01", None, None, None, None, "claimed", "rules.v1", 0)]
    assert store._query(query, (bare.incident_id,))[0][6] == ""  # no coding: '' stands for None
    assert json.loads(
        store._query("SELECT record FROM incidents WHERE incident_id = ?", (inc.incident_id,))[0][0]
    ) == inc.to_dict()
    assert store.incident(inc.incident_id) == inc
    assert store.incident("inc-nope") is None


def test_rerun_upserts_without_duplicates(store):
    doc = make_document()
    first = [make_incident(doc.doc_id), make_incident(doc.doc_id, evidence=LATER)]
    for _ in range(3):
        store.put_document(doc)
        store.put_incidents(doc.doc_id, first)
    assert store.counts()["incidents"] == 2
    # a later run finds one incident only: the other one goes
    store.put_incidents(doc.doc_id, [make_incident(doc.doc_id, confidence=0.9)])
    (only,) = store.incidents()
    assert only.confidence == 0.9
    # re-putting the document keeps its incidents
    store.put_document(doc)
    assert store.counts()["incidents"] == 1
    # the same extractor finds nothing now: its incidents go
    store.put_incidents(doc.doc_id, [], extractor="rules.v1")
    assert store.counts()["incidents"] == 0


def test_incidents_are_per_document(store):
    a, b = make_document("Report A."), make_document("Report B.")
    for d in (a, b):
        store.put_document(d)
        store.put_incidents(d.doc_id, [make_incident(d.doc_id)])
    store.put_incidents(a.doc_id, [], extractor="rules.v1")
    assert [i.doc_id for i in store.incidents()] == [b.doc_id]
    assert list(store.incidents(a.doc_id)) == []


def test_incident_errors(store):
    doc = make_document()
    with pytest.raises(StoreError, match="put_document"):
        store.put_incidents(doc.doc_id, [make_incident(doc.doc_id)])  # document not stored yet
    store.put_document(doc)
    with pytest.raises(StoreError, match="belongs to document"):
        store.put_incidents("other", [make_incident(doc.doc_id)])
    with pytest.raises(StoreError, match="share the id"):
        store.put_incidents(doc.doc_id, [make_incident(doc.doc_id), make_incident(doc.doc_id)])
    assert store.counts()["incidents"] == 0


def test_failed_write_rolls_back(store):
    doc = make_document()
    store.put_document(doc)
    store.put_incidents(doc.doc_id, [make_incident(doc.doc_id)])
    with pytest.raises(StoreError):
        store.put_incidents(doc.doc_id, [make_incident(doc.doc_id, confidence=float("nan"))])
    assert store.counts()["incidents"] == 1  # the old incidents are still there


def test_transaction_groups_writes(store):
    doc = make_document()
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.put_document(doc)
            store.put_incidents(doc.doc_id, [make_incident(doc.doc_id)])
            raise RuntimeError("extractor crashed")
    assert store.counts() == EMPTY
    with store.transaction():
        store.put_document(doc)
        store.put_incidents(doc.doc_id, [make_incident(doc.doc_id)])
    assert store.counts()["incidents"] == 1


INJECTIONS = [
    "Robert'); DROP TABLE documents;--",
    "x' OR '1'='1",
    '"; DELETE FROM incidents; --',
    "\\'; ATTACH DATABASE '/tmp/pwn.db' AS pwn; --",
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_sql_injection_text_is_stored_verbatim(store, payload):
    doc = make_document(
        text=f"Statement: {payload}\nNUL \u0000, bidi \u202e, zero-width \u200b", source=payload, title=payload
    )
    safe_id = "id:'--;drop.table"  # allowed characters only, still SQL-looking
    doc2 = make_document(text=payload, doc_id=safe_id)
    store.put_document(doc)
    store.put_document(doc2)
    inc = make_incident(doc.doc_id, sub_event_type=payload, event_type=payload, source=payload)
    store.put_incidents(doc.doc_id, [inc])
    store.put_rejected(Rejected("ingest", "E105", payload, origin=payload, doc_id=payload, text_preview=payload))
    assert store.document(doc.doc_id) == doc
    assert store.document(safe_id).text == payload
    assert list(store.incidents(doc.doc_id)) == [inc]
    assert next(store.rejected()).detail == payload
    assert store.counts() == {**EMPTY, "documents": 2, "incidents": 1, "rejected": 1}


def test_rejected_upsert_and_counts(store):
    a = Rejected("ingest", "E105", "line 2 is not valid JSON", origin="f.jsonl:2")
    b = Rejected("ingest", "E101", "empty document", origin="empty.txt")
    c = Rejected("extract", "E201", "crash", origin="f.jsonl:3", doc_id="d1", text_preview="Some text")
    for _ in range(2):
        for r in (a, b, c):
            store.put_rejected(r)
    store.put_rejected(Rejected("ingest", "E105", "updated detail", origin="f.jsonl:2"))
    got = list(store.rejected())
    assert len(got) == 3
    assert got[0] == Rejected("ingest", "E105", "updated detail", origin="f.jsonl:2")  # None stays None
    assert got[2] == c
    assert store.counts()["rejected"] == 3
    assert store.rejected_counts() == {"E101": 1, "E105": 1, "E201": 1}


def test_runs(store):
    run = store.start_run(["eventcoder", "run", "my file.jsonl", "--db", "x.db"])
    store.finish_run(run, {"documents": 3, "rejected": 1})
    (row,) = store._query("SELECT started, finished, command, counts FROM runs WHERE id = ?", (run,))
    assert row[0] and row[1]
    assert row[2] == "eventcoder run 'my file.jsonl' --db x.db"
    assert json.loads(row[3]) == {"documents": 3, "rejected": 1}
    assert store.start_run(["again"]) == run + 1
    with pytest.raises(StoreError, match="no run"):
        store.finish_run(999, {})
    assert store.counts()["runs"] == 2


def test_iteration_pages_and_interleaved_writes(store, monkeypatch):
    monkeypatch.setattr(store, "_page_size", 3)
    reads = []
    real = store._exec
    monkeypatch.setattr(store, "_exec", lambda sql, params=(): reads.append(params) or real(sql, params))
    docs = [make_document(f"Report {i}.") for i in range(10)]
    for d in docs:
        store.put_document(d)
    seen = []
    for d in store.documents():
        seen.append(d)
        store.put_incidents(d.doc_id, [make_incident(d.doc_id)])  # writing while reading
    assert seen == docs
    assert [p[-1] for p in reads if p and p[-1] == 3]  # read in pages of 3 rows
    assert len(list(store.incidents())) == 10
    assert len(list(store.incidents(all_versions=True))) == 10


def test_closed_store_and_pickle(store_url):
    s = open_store(store_url)
    s.put_document(make_document())
    clone = pickle.loads(pickle.dumps(s))
    assert type(clone) is type(s) and clone is not s
    assert clone.counts()["documents"] == 1
    clone.close()
    s.close()
    s.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        s.counts()
    with pytest.raises(TypeError):
        pickle.dumps(Store(":memory:"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=200),
    title=st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)),
)
def test_any_text_round_trips(store, text, title):
    """Every character (NUL included, which PostgreSQL text columns cannot hold) comes back as it went in."""
    doc = make_document(text=text, title=title, source="src\x00" + text[:5])
    inc = make_incident(doc.doc_id, source=doc.source, event_type=text[:20] or "x")
    store.put_document(doc)
    store.put_incidents(doc.doc_id, [inc])
    store.put_rejected(Rejected("ingest", "E105", text, origin=text[:10], doc_id=doc.doc_id, text_preview=text))
    assert store.document(doc.doc_id) == doc
    assert list(store.incidents(doc.doc_id)) == [inc]
    assert Rejected("ingest", "E105", text, origin=text[:10], doc_id=doc.doc_id, text_preview=text) in list(
        store.rejected())
