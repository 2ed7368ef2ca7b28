"""The embedded SQLite backend (the default, ``eventcoder.db``).

The schema is versioned with ``PRAGMA user_version`` and :data:`MIGRATIONS`, applied in order
under ``BEGIN IMMEDIATE`` (so two processes opening a new file do not both migrate). Write
transactions are ``BEGIN IMMEDIATE`` too: one writer at a time, the others wait up to 30 s.
Reads page by ``rowid``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ConfigError, StoreError
from .base import DEFAULT_PATH, Store, integrity_fix, scheme_of

# Migrations: MIGRATIONS[i] takes the schema from version i to version i + 1.
# Never edit one that has shipped; add a script to the end (and the same step to
# postgres.MIGRATIONS).
MIGRATIONS: list[str] = [
    # 1: initial schema
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    INSERT INTO meta (key, value) VALUES ('schema_version', '1');

    CREATE TABLE documents (
        doc_id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        source_kind TEXT NOT NULL,
        published TEXT,                 -- ISO date or NULL
        title TEXT,
        origin TEXT,
        text TEXT NOT NULL,
        record TEXT NOT NULL,           -- to_dict() without "text" (text lives in its column)
        added TEXT NOT NULL             -- UTC timestamp of the first insert
    );

    CREATE TABLE incidents (
        incident_id TEXT PRIMARY KEY,
        doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
        event_type TEXT NOT NULL,
        sub_event_type TEXT NOT NULL,
        stance TEXT NOT NULL,
        date_start TEXT,
        date_end TEXT,
        country TEXT,
        admin1 TEXT,
        location_name TEXT,
        lat REAL,
        lon REAL,
        fatalities_low INTEGER,
        fatalities_high INTEGER,
        injuries_low INTEGER,
        injuries_high INTEGER,
        record TEXT NOT NULL,           -- the full to_dict(): authoritative
        coded_at TEXT NOT NULL
    );
    CREATE INDEX incidents_doc_id ON incidents (doc_id);
    CREATE INDEX incidents_date ON incidents (date_start);
    CREATE INDEX incidents_type ON incidents (event_type, sub_event_type);
    CREATE INDEX incidents_place ON incidents (country, admin1);

    CREATE TABLE rejected (
        origin TEXT NOT NULL DEFAULT '',   -- '' stands for None (NULLs would defeat the upsert key)
        code TEXT NOT NULL,
        doc_id TEXT NOT NULL DEFAULT '',   -- '' stands for None
        stage TEXT NOT NULL,
        detail TEXT NOT NULL,
        text_preview TEXT NOT NULL DEFAULT '',
        record TEXT NOT NULL,
        added TEXT NOT NULL,
        PRIMARY KEY (origin, code, doc_id)
    );
    CREATE INDEX rejected_code ON rejected (code);

    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started TEXT NOT NULL,
        finished TEXT,
        command TEXT NOT NULL,
        counts TEXT                      -- JSON object
    );
    """,
    # 2: extractor versions, codings, corrections, events
    """
    ALTER TABLE incidents ADD COLUMN extractor TEXT NOT NULL DEFAULT '';   -- '' stands for None
    ALTER TABLE incidents ADD COLUMN corrected INTEGER NOT NULL DEFAULT 0; -- 1: a person corrected it
    UPDATE incidents SET extractor = coalesce(json_extract(record, '$.coding.extractor'), '');
    CREATE INDEX incidents_doc_extractor ON incidents (doc_id, extractor);

    CREATE TABLE codings (                -- which extractor coded a document, and when it last did
        doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
        extractor TEXT NOT NULL,          -- '' stands for None
        coded_at TEXT NOT NULL,           -- UTC timestamp
        generation INTEGER NOT NULL,      -- per document: the run's number; the highest is the latest
        PRIMARY KEY (doc_id, extractor)
    );
    INSERT INTO codings (doc_id, extractor, coded_at, generation)
        SELECT doc_id, extractor, max(coded_at), 1 FROM incidents GROUP BY doc_id, extractor;

    CREATE TABLE corrections (            -- one row per corrected field: the audit trail
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id TEXT NOT NULL,
        field TEXT NOT NULL,
        old TEXT NOT NULL,                -- JSON
        new TEXT NOT NULL,                -- JSON
        who TEXT NOT NULL,
        at TEXT NOT NULL,                 -- UTC timestamp
        note TEXT
    );
    CREATE INDEX corrections_incident ON corrections (incident_id);

    CREATE TABLE events (
        event_id TEXT PRIMARY KEY,
        linker TEXT NOT NULL,
        event_type TEXT NOT NULL,
        sub_event_type TEXT NOT NULL,
        date_start TEXT,
        date_end TEXT,
        country TEXT,
        admin1 TEXT,
        fatalities_best INTEGER,
        fatalities_low INTEGER,
        fatalities_high INTEGER,
        n_sources INTEGER NOT NULL,
        claimed INTEGER NOT NULL,         -- 0 or 1
        reported INTEGER NOT NULL,        -- 0 or 1
        record TEXT NOT NULL              -- the full to_dict(): authoritative
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
    ALTER TABLE incidents ADD COLUMN review TEXT   -- NULL: unreviewed; a rerun keeps a reviewed incident
        CHECK (review IN ('approved', 'rejected'));
    CREATE INDEX incidents_review ON incidents (review);

    CREATE TABLE link_constraints (       -- the current decision per pair; its history is in corrections
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_a TEXT NOT NULL,         -- the smaller incident_id of the pair
        incident_b TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('must', 'cannot')),
        who TEXT NOT NULL,
        at TEXT NOT NULL,                 -- UTC timestamp of the latest decision on the pair
        note TEXT,
        UNIQUE (incident_a, incident_b),
        CHECK (incident_a < incident_b)
    );
    CREATE INDEX link_constraints_b ON link_constraints (incident_b);

    UPDATE meta SET value = '3' WHERE key = 'schema_version';
    """,
    # 4: the batch journal: which chunks of a batch run (by run key) are stored
    """
    CREATE TABLE batch_chunks (
        run_key TEXT NOT NULL,            -- eventcoder.batch.run_key(): inputs, pipeline, chunk size, outputs
        chunk INTEGER NOT NULL,           -- the chunk's index in the input stream
        documents INTEGER NOT NULL,
        incidents INTEGER NOT NULL,
        rejected INTEGER NOT NULL,
        done TEXT NOT NULL,               -- UTC timestamp of the commit
        PRIMARY KEY (run_key, chunk)
    );

    UPDATE meta SET value = '4' WHERE key = 'schema_version';
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)

_BUSY_TIMEOUT = 30.0  # seconds a writer waits for another one


def resolve_path(path: str | Path) -> str:
    """The SQLite file name for ``path``: a file path, ``:memory:`` or ``sqlite:///path``."""
    text = str(path)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") :]
        if not text:
            raise ConfigError("empty database path in 'sqlite:///'", fix="write e.g. sqlite:///eventcoder.db")
        return text
    scheme = scheme_of(text)
    if scheme is not None:
        raise ConfigError(
            f"{text.split('://', 1)[0]!r} URLs do not name a SQLite file",
            fix="pass a file path such as eventcoder.db (or sqlite:///eventcoder.db), or open it with Store(url)",
        )
    if not text:
        raise ConfigError("empty database path", fix="pass a file path such as eventcoder.db")
    return text


def _statements(script: str) -> Iterator[str]:
    """Split a migration script into complete statements (triggers included)."""
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                yield buf.strip()
            buf = ""
    if buf.strip() and not buf.strip().startswith("--"):
        raise StoreError(f"incomplete statement in migration: {buf.strip()[:60]!r}")


class SQLiteStore(Store):
    """The SQLite backend of :class:`Store` (``Store(path)`` returns one)."""

    backend = "sqlite"
    _ROWID = "rowid"

    def __init__(self, path: str | Path = DEFAULT_PATH):
        self.path = resolve_path(path)
        self._target = self.path
        self._depth = 0
        self._conn: sqlite3.Connection | None = None
        try:
            self._conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(
                f"cannot open the store {self.path!r}: {exc}",
                fix="check that the folder exists and is writable, or pass another path",
            ) from None
        try:
            self._setup()
        except sqlite3.Error as exc:
            self.close()
            raise StoreError(
                f"cannot use the store {self.path!r}: {exc}",
                fix="check that it is an eventcoder SQLite database and writable, or pass another path",
            ) from None
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"Store({self.path!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        if self.path == ":memory:":
            raise TypeError("an in-memory Store cannot be pickled; use a file path")
        return super().__reduce__()

    @property
    def _db(self) -> sqlite3.Connection:
        self._check_open()
        return self._conn

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def _close(self) -> None:
        self._conn.close()

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._db.execute(sql, tuple(params))

    def _execmany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._db.executemany(sql, rows)

    def _setup(self) -> None:
        """Pragmas and migrations. Switching a new file to WAL can fail at once with "database is
        locked" (no busy wait) while another process sets it up: retry for up to 30 s."""
        deadline = time.monotonic() + _BUSY_TIMEOUT
        while True:
            try:
                self._conn.execute("PRAGMA foreign_keys = ON")
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("PRAGMA synchronous = NORMAL")
                self._migrate()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _migrate(self) -> None:
        conn = self._conn
        if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")  # lock, then re-read: another process may have migrated
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the store {self.path!r} has schema version {version}, newer than this eventcoder "
                    f"({SCHEMA_VERSION})",
                    fix="upgrade eventcoder, or use another store path",
                )
            if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise StoreError(
                    f"{self.path!r} is a SQLite database but not an eventcoder store",
                    fix="pass a new or existing eventcoder store path",
                )
            for number in range(version, SCHEMA_VERSION):
                for statement in _statements(MIGRATIONS[number]):
                    conn.execute(statement)
                # PRAGMA takes no parameters; this is an int from our own migration list
                conn.execute(f"PRAGMA user_version = {int(number) + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _tx(self) -> Iterator[None]:
        conn = self._db
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.IntegrityError as exc:
            message = str(exc)
            kind = "foreign_key" if "FOREIGN KEY" in message else "unique" if "UNIQUE" in message else None
            raise StoreError(f"cannot store {what}: {exc}", fix=integrity_fix(kind)) from None
        except sqlite3.Error as exc:
            raise StoreError(f"cannot store {what}: {exc}", fix="check the disk and that the store is writable") from None
        except UnicodeEncodeError as exc:
            raise StoreError(
                f"cannot store {what}: text is not valid Unicode ({exc.reason})",
                fix="remove lone surrogate characters from the text",
            ) from None
