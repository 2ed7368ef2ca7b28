"""What differs between the backends: opening by URL, schema migrations and upgrades, PostgreSQL's
version table and advisory lock, passwords kept out of sight, the skip-or-fail rule for the server."""

from __future__ import annotations

import json
import sqlite3
import sys

import pytest

from eventcoder.errors import StoreError
from eventcoder.records import to_dict
from eventcoder.store import SCHEMA_VERSION, Store
from eventcoder.store import postgres as pg
from eventcoder.store import sqlite as lite
from factories import make_document, make_incident


def test_both_backends_have_the_same_migration_steps():
    assert len(lite.MIGRATIONS) == len(pg.MIGRATIONS) == SCHEMA_VERSION == 4
    for one, other in zip(lite.MIGRATIONS, pg.MIGRATIONS):
        tables = [line.split()[2] for line in one.splitlines() if line.strip().startswith("CREATE TABLE")]
        assert tables == [line.split()[2] for line in other.splitlines() if line.strip().startswith("CREATE TABLE")]


def test_missing_server_skips_locally_and_fails_on_ci(require_postgres, monkeypatch):
    monkeypatch.delenv("EVENTCODER_TEST_POSTGRES_URL", raising=False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="set EVENTCODER_TEST_POSTGRES_URL .*.ci/run starts one"):
        require_postgres()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="set EVENTCODER_TEST_POSTGRES_URL"):
        require_postgres()
    monkeypatch.setenv("EVENTCODER_TEST_POSTGRES_URL", "postgresql://x@127.0.0.1/db")
    assert require_postgres() == "postgresql://x@127.0.0.1/db"


def test_missing_driver_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now raises ImportError
    with pytest.raises(StoreError, match="not installed") as info:
        Store("postgresql://ana@127.0.0.1:1/events")
    assert info.value.fix == "pip install 'eventcoder[postgres]'"


def test_passwords_stay_out_of_messages():
    assert pg.redact("postgresql://ana:s3cret@db.example:5432/events?sslmode=require") == (
        "postgresql://ana:***@db.example:5432/events?sslmode=require")
    assert pg.redact("postgres://db/events?user=ana&password=s3cret&x=1") == (
        "postgres://db/events?user=ana&password=***&x=1")
    assert pg.redact("postgresql://ana@db/events") == "postgresql://ana@db/events"
    with pytest.raises(StoreError, match="cannot connect") as info:
        Store("postgresql://ana:s3cret@127.0.0.1:1/events?connect_timeout=2")  # nothing listens on port 1
    assert "s3cret" not in str(info.value)
    assert "ana:***@127.0.0.1:1" in str(info.value)


# -- PostgreSQL only -------------------------------------------------------------------------------


def test_postgres_store_by_url(postgres_url):
    with Store(postgres_url) as store:
        assert isinstance(store, pg.PostgresStore) and store.backend == "postgresql"
        assert repr(store) == f"Store({pg.redact(postgres_url)!r})"
        assert store.schema_version == SCHEMA_VERSION
        (schema,) = store._query("SELECT current_schema()")[0]
        tables = {r[0] for r in store._query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", (schema,))}
        assert {"schema_migrations", "meta", "documents", "incidents", "rejected", "runs", "codings",
                "corrections", "events", "event_members", "link_constraints"} <= tables
        assert store._query("SELECT version FROM schema_migrations ORDER BY version") == [(1,), (2,), (3,), (4,)]
    postgres_scheme = "postgres://" + postgres_url.split("://", 1)[1]
    with Store(postgres_scheme) as again:  # reopening does not migrate again
        assert again._query("SELECT count(*) FROM schema_migrations") == [(4,)]


def test_postgres_refuses_foreign_and_newer_schemas(postgres_url):
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE someone_elses (x int)")
    with pytest.raises(StoreError, match="not an eventcoder store"):
        Store(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP TABLE someone_elses")
    Store(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_migrations (version, applied) VALUES (99, now())")
    with pytest.raises(StoreError, match="newer"):
        Store(postgres_url)


# -- upgrading a version-1 store -------------------------------------------------------------------


def _v1_rows(doc, inc):
    record = to_dict(doc)
    del record["text"]
    return [
        ("INSERT INTO documents (doc_id, source, source_kind, published, title, origin, text, record, added) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
         (doc.doc_id, doc.source, doc.source_kind.value, doc.published.isoformat(), doc.title, doc.origin,
          doc.text, json.dumps(record), "2025-01-01T00:00:00+00:00")),
        ("INSERT INTO incidents (incident_id, doc_id, event_type, sub_event_type, stance, record, coded_at) "
         "VALUES (?, ?, ?, ?, ?, ?, ?)",
         (inc.incident_id, doc.doc_id, inc.event_type, inc.sub_event_type, inc.stance.value,
          json.dumps(inc.to_dict()), "2025-01-01T00:00:00+00:00")),
    ]


@pytest.fixture
def v1_store(store_url):
    """A store at schema version 1 (before extractor versions and events) with one incident."""
    doc = make_document()
    inc = make_incident(doc.doc_id)
    if store_url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(store_url, autocommit=True) as conn:
            conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied TIMESTAMPTZ NOT NULL)")
            conn.execute(pg.MIGRATIONS[0])
            conn.execute("INSERT INTO schema_migrations VALUES (1, now())")
            for sql, params in _v1_rows(doc, inc):
                conn.execute(sql.replace("?", "%s"), params)
    else:
        conn = sqlite3.connect(store_url, isolation_level=None)
        for statement in lite._statements(lite.MIGRATIONS[0]):
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        for sql, params in _v1_rows(doc, inc):
            conn.execute(sql, params)
        conn.close()
    return store_url, doc, inc


def test_a_version_1_store_is_upgraded(v1_store):
    url, doc, inc = v1_store
    with Store(url) as store:
        assert store.schema_version == SCHEMA_VERSION == 4
        assert store._query("SELECT value FROM meta WHERE key = 'schema_version'") == [("4",)]
        assert list(store.incidents()) == [inc]
        assert list(store.incidents(extractor="rules.v1")) == [inc]
        assert [name for name, _ in store.codings(doc.doc_id)] == ["rules.v1"]
        assert store.document(doc.doc_id) == doc
        assert store.counts() == {"documents": 1, "incidents": 1, "rejected": 0, "runs": 0, "events": 0}
        # and works as a current store from then on
        newer = make_incident(doc.doc_id, confidence=0.2)
        store.put_incidents(doc.doc_id, [newer])
        assert list(store.incidents()) == [newer]
