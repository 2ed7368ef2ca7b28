"""The PostgreSQL backend, for teams: ``Store("postgresql://user@host/db")``.

Needs psycopg 3 (``pip install 'eventcoder[postgres]'``), imported only when a PostgreSQL store
is opened. The tables live in the connection's current schema (set ``options=-csearch_path=...``
in the URL to pick another). The schema version is the highest row of ``schema_migrations``;
:data:`MIGRATIONS` (the same steps as SQLite's) are applied in one transaction that holds
``pg_advisory_xact_lock``, so processes starting together do not both migrate.

Writes are one transaction each, at READ COMMITTED; a write to a document's incidents locks the
document's row, and a link run takes an advisory lock, so concurrent writers serialise where
they touch the same rows and lose nothing. Reads page by a ``seq`` identity column. PostgreSQL
text cannot hold NUL characters: a document text with NUL is kept (escaped) in the JSON record,
and the query-only columns get U+FFFD instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from ..errors import StoreError
from .base import Store, integrity_fix

# Migrations: MIGRATIONS[i] takes the schema from version i to version i + 1, step for step
# the same as sqlite.MIGRATIONS. Never edit one that has shipped.
MIGRATIONS: list[str] = [
    # 1: initial schema
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    INSERT INTO meta (key, value) VALUES ('schema_version', '1');

    CREATE TABLE documents (
        seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,   -- reads page by it
        doc_id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        source_kind TEXT NOT NULL,
        published DATE,
        title TEXT,
        origin TEXT,
        text TEXT NOT NULL,
        record TEXT NOT NULL,
        added TIMESTAMPTZ NOT NULL
    );

    CREATE TABLE incidents (
        seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
        incident_id TEXT PRIMARY KEY,
        doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
        event_type TEXT NOT NULL,
        sub_event_type TEXT NOT NULL,
        stance TEXT NOT NULL,
        date_start DATE,
        date_end DATE,
        country TEXT,
        admin1 TEXT,
        location_name TEXT,
        lat DOUBLE PRECISION,
        lon DOUBLE PRECISION,
        fatalities_low BIGINT,
        fatalities_high BIGINT,
        injuries_low BIGINT,
        injuries_high BIGINT,
        record TEXT NOT NULL,
        coded_at TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX incidents_doc_id ON incidents (doc_id);
    CREATE INDEX incidents_date ON incidents (date_start);
    CREATE INDEX incidents_type ON incidents (event_type, sub_event_type);
    CREATE INDEX incidents_place ON incidents (country, admin1);

    CREATE TABLE rejected (
        seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
        origin TEXT NOT NULL DEFAULT '',
        code TEXT NOT NULL,
        doc_id TEXT NOT NULL DEFAULT '',
        stage TEXT NOT NULL,
        detail TEXT NOT NULL,
        text_preview TEXT NOT NULL DEFAULT '',
        record TEXT NOT NULL,
        added TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (origin, code, doc_id)
    );
    CREATE INDEX rejected_code ON rejected (code);

    CREATE TABLE runs (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        started TIMESTAMPTZ NOT NULL,
        finished TIMESTAMPTZ,
        command TEXT NOT NULL,
        counts TEXT
    );
    """,
    # 2: extractor versions, codings, corrections, events
    """
    ALTER TABLE incidents ADD COLUMN extractor TEXT NOT NULL DEFAULT '';
    ALTER TABLE incidents ADD COLUMN corrected INTEGER NOT NULL DEFAULT 0;
    UPDATE incidents SET extractor = coalesce(record::json #>> '{coding,extractor}', '');
    CREATE INDEX incidents_doc_extractor ON incidents (doc_id, extractor);

    CREATE TABLE codings (
        doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
        extractor TEXT NOT NULL,
        coded_at TIMESTAMPTZ NOT NULL,
        generation INTEGER NOT NULL,
        PRIMARY KEY (doc_id, extractor)
    );
    INSERT INTO codings (doc_id, extractor, coded_at, generation)
        SELECT doc_id, extractor, max(coded_at), 1 FROM incidents GROUP BY doc_id, extractor;

    CREATE TABLE corrections (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        incident_id TEXT NOT NULL,
        field TEXT NOT NULL,
        old TEXT NOT NULL,
        new TEXT NOT NULL,
        who TEXT NOT NULL,
        at TIMESTAMPTZ NOT NULL,
        note TEXT
    );
    CREATE INDEX corrections_incident ON corrections (incident_id);

    CREATE TABLE events (
        seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
        event_id TEXT PRIMARY KEY,
        linker TEXT NOT NULL,
        event_type TEXT NOT NULL,
        sub_event_type TEXT NOT NULL,
        date_start DATE,
        date_end DATE,
        country TEXT,
        admin1 TEXT,
        fatalities_best BIGINT,
        fatalities_low BIGINT,
        fatalities_high BIGINT,
        n_sources INTEGER NOT NULL,
        claimed INTEGER NOT NULL,
        reported INTEGER NOT NULL,
        record TEXT NOT NULL
    );
    CREATE INDEX events_date ON events (date_start);
    CREATE INDEX events_place ON events (country, admin1);

    CREATE TABLE event_members (
        event_id TEXT NOT NULL REFERENCES events(event_id) ON DELETE CASCADE,
        incident_id TEXT NOT NULL,
        PRIMARY KEY (event_id, incident_id)
    );
    CREATE INDEX event_members_incident ON event_members (incident_id);

    UPDATE meta SET value = '2' WHERE key = 'schema_version';
    """,
    # 3: human review: approved/rejected incidents, link decisions that survive re-linking
    """
    ALTER TABLE incidents ADD COLUMN review TEXT
        CHECK (review IN ('approved', 'rejected'));
    CREATE INDEX incidents_review ON incidents (review);

    CREATE TABLE link_constraints (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        incident_a TEXT NOT NULL,
        incident_b TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('must', 'cannot')),
        who TEXT NOT NULL,
        at TIMESTAMPTZ NOT NULL,
        note TEXT,
        UNIQUE (incident_a, incident_b),
        CHECK (incident_a < incident_b COLLATE "C")   -- code point order, as Python compares
    );
    CREATE INDEX link_constraints_b ON link_constraints (incident_b);

    UPDATE meta SET value = '3' WHERE key = 'schema_version';
    """,
    # 4: the batch journal: which chunks of a batch run (by run key) are stored
    """
    CREATE TABLE batch_chunks (
        run_key TEXT NOT NULL,
        chunk INTEGER NOT NULL,
        documents INTEGER NOT NULL,
        incidents INTEGER NOT NULL,
        rejected INTEGER NOT NULL,
        done TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (run_key, chunk)
    );

    UPDATE meta SET value = '4' WHERE key = 'schema_version';
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)

# advisory lock keys (64-bit): "eventcod" + 0 (migrations), + 1 (link runs)
_MIGRATION_LOCK = 0x6576656E74636F00
_EVENTS_LOCK = _MIGRATION_LOCK + 1

_PASSWORD_PARAM = re.compile(r"(?i)((?:^|[?&])password=)[^&]*")


def redact(url: str) -> str:
    """``url`` without its password (in the user info or a ``password=`` parameter)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, tail = rest.partition("/")
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
    return f"{scheme}://{netloc}{slash}{_PASSWORD_PARAM.sub(lambda m: m.group(1) + '***', tail)}"


@lru_cache(maxsize=256)
def _sql(sql: str) -> str:
    """Our SQL with ``?`` placeholders, in psycopg's ``%s`` style (our SQL has no other ? or %)."""
    return sql.replace("?", "%s")


def _clean(params: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(p.replace("\x00", "\ufffd") if isinstance(p, str) else p for p in params)


class PostgresStore(Store):
    """The PostgreSQL backend of :class:`Store` (``Store("postgresql://...")`` returns one)."""

    backend = "postgresql"
    _ROWID = "seq"
    _FOR_UPDATE = " FOR UPDATE"
    _keeps_nul = False

    def __init__(self, url: str):
        self._target = str(url)
        self.url = redact(self._target)
        self._depth = 0
        self._conn = None
        try:
            import psycopg
        except ImportError:
            raise StoreError(
                f"cannot open {self.url!r}: PostgreSQL support is not installed (psycopg)",
                fix="pip install 'eventcoder[postgres]'",
            ) from None
        self._psycopg = psycopg
        try:
            self._conn = psycopg.connect(self._target, autocommit=True, application_name="eventcoder")
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot connect to the store {self.url!r}: {str(exc).strip()}",
                fix="check that the server is running and the URL's host, port, database, user and password",
            ) from None
        try:
            self._migrate()
        except psycopg.Error as exc:
            self.close()
            raise StoreError(
                f"cannot use the store {self.url!r}: {str(exc).strip()}",
                fix="check that the user may create tables in the database's current schema",
            ) from None
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    @property
    def schema_version(self) -> int:
        self._check_open()
        return self._version()

    def _close(self) -> None:
        self._conn.close()

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self._check_open()
        return self._conn.execute(_sql(sql), _clean(params))

    def _execmany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._check_open()
        with self._conn.cursor() as cur:
            cur.executemany(_sql(sql), [_clean(row) for row in rows])

    def _version(self) -> int:
        conn = self._conn
        # a catalog query, not to_regclass(): it reads with this statement's snapshot, so it sees
        # a table another process created while this one waited for the migration lock
        (exists,) = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables"
            " WHERE schemaname = current_schema() AND tablename = 'schema_migrations')"
        ).fetchone()
        if not exists:
            return 0
        return int(conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0])

    def _migrate(self) -> None:
        conn = self._conn
        if self._version() == SCHEMA_VERSION:
            return
        with conn.transaction():
            # lock, then re-read: another process may have migrated meanwhile
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            version = self._version()
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the store {self.url!r} has schema version {version}, newer than this eventcoder "
                    f"({SCHEMA_VERSION})",
                    fix="upgrade eventcoder, or use another database or schema",
                )
            if version == 0:
                (tables,) = conn.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
                ).fetchone()
                if tables:
                    raise StoreError(
                        f"the current schema of {self.url!r} has tables but is not an eventcoder store",
                        fix="use an empty database, or another schema (options=-csearch_path=NAME in the URL)",
                    )
                conn.execute(
                    "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied TIMESTAMPTZ NOT NULL)"
                )
            for number in range(version, SCHEMA_VERSION):
                conn.execute(MIGRATIONS[number])
                conn.execute(
                    "INSERT INTO schema_migrations (version, applied) VALUES (%s, now())", (number + 1,)
                )

    @contextmanager
    def _tx(self) -> Iterator[None]:
        self._check_open()
        with self._conn.transaction():
            yield

    def _lock_events(self) -> None:
        self._exec("SELECT pg_advisory_xact_lock(?)", (_EVENTS_LOCK,))

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        errors = self._psycopg.errors
        try:
            yield
        except errors.IntegrityError as exc:
            kind = {"23503": "foreign_key", "23505": "unique"}.get(exc.sqlstate or "")
            raise StoreError(f"cannot store {what}: {str(exc).strip()}", fix=integrity_fix(kind)) from None
        except self._psycopg.Error as exc:
            raise StoreError(
                f"cannot store {what}: {str(exc).strip()}",
                fix="check that the server is up and the user may write to the store",
            ) from None
        except UnicodeEncodeError as exc:
            raise StoreError(
                f"cannot store {what}: text is not valid Unicode ({exc.reason})",
                fix="remove lone surrogate characters from the text",
            ) from None
