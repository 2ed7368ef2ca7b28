"""The embedded SQLite store (default ``eventcoder.db``).

Each table keeps a narrow set of columns for querying (dates, places, counts)
and the full record as JSON in ``record``, which is authoritative: reading a
record back goes through :func:`eventcoder.records.from_dict` on that JSON.

Re-running the pipeline upserts: documents by ``doc_id``, a document's
incidents are replaced as a whole, rejected records by ``(origin, code,
doc_id)``. The schema is versioned with ``PRAGMA user_version`` and a list of
migrations applied in order (:data:`MIGRATIONS`); add a script to the end of
the list to change it, never edit one that has shipped.

All SQL is parameterised; values are never formatted into SQL text.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import ConfigError, StoreError
from .records import Document, Incident, Rejected, to_dict

DEFAULT_PATH = "eventcoder.db"

# Migrations: MIGRATIONS[i] takes the schema from version i to version i + 1.
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
]
SCHEMA_VERSION = len(MIGRATIONS)

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_PAGE = 500  # rows per read when iterating


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _dumps(data: Any) -> str:
    try:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:  # NaN or infinity in a float field
        raise StoreError(
            f"record cannot be stored as JSON ({exc})",
            fix="replace NaN/infinite numbers (confidence, lat, lon) with real values or None",
        ) from None


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def resolve_path(path: str | Path) -> str:
    """The SQLite file name for ``path``: a file path, ``:memory:`` or ``sqlite:///path``."""
    text = str(path)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") :]
        if not text:
            raise ConfigError("empty database path in 'sqlite:///'", fix="write e.g. sqlite:///eventcoder.db")
        return text
    if _URL.match(text):
        scheme = text.split("://", 1)[0]
        raise ConfigError(
            f"database URL scheme {scheme!r} is not supported yet; use a SQLite path",
            fix="pass a file path such as eventcoder.db (or sqlite:///eventcoder.db)",
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


class Store:
    """An embedded SQLite store of documents, incidents, rejected records and runs.

    Use as a context manager, or call :meth:`close`. Writes are one transaction
    per call; wrap several calls in :meth:`transaction` to make them one
    (e.g. a document and its incidents).
    """

    def __init__(self, path: str | Path = DEFAULT_PATH):
        self.path = resolve_path(path)
        self._depth = 0
        try:
            self._conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(
                f"cannot open the store {self.path!r}: {exc}",
                fix="check that the folder exists and is writable, or pass another path",
            ) from None
        try:
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.Error as exc:
            self._conn.close()
            raise StoreError(
                f"cannot use the store {self.path!r}: {exc}",
                fix="check that it is an eventcoder SQLite database and writable, or pass another path",
            ) from None
        except BaseException:
            self._conn.close()
            raise

    # -- lifecycle -------------------------------------------------------

    def close(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            conn.close()
            self._conn = None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.path!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # pickles as its path (a new connection on unpickling), so batch workers can reopen it
        if self.path == ":memory:":
            raise TypeError("an in-memory Store cannot be pickled; use a file path")
        return (Store, (self.path,))

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError("the store is closed", fix="open a new Store(...)")
        return self._conn

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
    def transaction(self) -> Iterator[None]:
        """One transaction around several writes; nested uses join the outer one."""
        conn = self._db
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            conn.execute("ROLLBACK")
            raise
        self._depth = 0
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _writing(self, what: str) -> Iterator[sqlite3.Connection]:
        try:
            with self.transaction():
                yield self._db
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"cannot store {what}: {exc}", fix=_integrity_fix(str(exc))) from None
        except sqlite3.Error as exc:
            raise StoreError(f"cannot store {what}: {exc}", fix="check the disk and that the store is writable") from None
        except UnicodeEncodeError as exc:
            raise StoreError(
                f"cannot store {what}: text is not valid Unicode ({exc.reason})",
                fix="remove lone surrogate characters from the text",
            ) from None

    # -- writes ----------------------------------------------------------

    def put_document(self, doc: Document) -> None:
        """Insert or update a document by ``doc_id`` (its incidents are kept)."""
        record = to_dict(doc)
        del record["text"]
        with self._writing(f"document {doc.doc_id!r}") as db:
            db.execute(
                """
                INSERT INTO documents (doc_id, source, source_kind, published, title, origin, text, record, added)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (doc_id) DO UPDATE SET
                    source = excluded.source, source_kind = excluded.source_kind,
                    published = excluded.published, title = excluded.title, origin = excluded.origin,
                    text = excluded.text, record = excluded.record
                """,
                (
                    doc.doc_id,
                    doc.source,
                    doc.source_kind.value,
                    _iso(doc.published),
                    doc.title,
                    doc.origin,
                    doc.text,
                    _dumps(record),
                    _now(),
                ),
            )

    def put_incidents(self, doc_id: str, incidents: Sequence[Incident]) -> None:
        """Replace all incidents of ``doc_id`` with ``incidents`` (a rerun upserts, never duplicates).

        The document must be stored first. An empty sequence clears the document's incidents.
        """
        seen: set[str] = set()
        rows = []
        coded_at = _now()
        for inc in incidents:
            if inc.doc_id != doc_id:
                raise StoreError(
                    f"incident {inc.incident_id!r} belongs to document {inc.doc_id!r}, not {doc_id!r}",
                    fix="pass each document's own incidents",
                )
            if inc.incident_id in seen:
                raise StoreError(
                    f"two incidents in document {doc_id!r} share the id {inc.incident_id!r}",
                    fix="the extractor produced duplicates; merge them or give them distinct evidence spans",
                )
            seen.add(inc.incident_id)
            rows.append(_incident_row(inc, coded_at))
        with self._writing(f"incidents of document {doc_id!r}") as db:
            db.execute("DELETE FROM incidents WHERE doc_id = ?", (doc_id,))
            db.executemany(
                """
                INSERT INTO incidents (incident_id, doc_id, event_type, sub_event_type, stance, date_start,
                    date_end, country, admin1, location_name, lat, lon, fatalities_low, fatalities_high,
                    injuries_low, injuries_high, record, coded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                rows,
            )

    def put_rejected(self, rej: Rejected) -> None:
        """Insert or update a rejected record by ``(origin, code, doc_id)``."""
        with self._writing(f"rejected record {rej.code} for {rej.origin!r}") as db:
            db.execute(
                """
                INSERT INTO rejected (origin, code, doc_id, stage, detail, text_preview, record, added)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (origin, code, doc_id) DO UPDATE SET
                    stage = excluded.stage, detail = excluded.detail,
                    text_preview = excluded.text_preview, record = excluded.record
                """,
                (
                    rej.origin or "",
                    rej.code,
                    rej.doc_id or "",
                    rej.stage,
                    rej.detail,
                    rej.text_preview,
                    _dumps(to_dict(rej)),
                    _now(),
                ),
            )

    def start_run(self, argv: list[str]) -> int:
        """Record the start of a run (``argv`` is the command line); returns the run id."""
        with self._writing("run") as db:
            cur = db.execute(
                "INSERT INTO runs (started, command) VALUES (?, ?)", (_now(), shlex.join(map(str, argv)))
            )
            return int(cur.lastrowid)

    def finish_run(self, run_id: int, counts: dict) -> None:
        """Record the end of run ``run_id`` and what it counted."""
        with self._writing(f"run {run_id}") as db:
            cur = db.execute(
                "UPDATE runs SET finished = ?, counts = ? WHERE id = ?",
                (_now(), _dumps(dict(counts)), run_id),
            )
            if cur.rowcount == 0:
                raise StoreError(f"no run with id {run_id!r}", fix="pass the id returned by start_run()")

    # -- reads -----------------------------------------------------------

    def _pages(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        """Rows of ``sql`` (which must select rowid first and take a trailing ``rowid > ?``),
        fetched a page at a time, so writes between reads are safe and no read stays open."""
        last = -1
        while True:
            rows = self._db.execute(sql + " ORDER BY rowid LIMIT ?", (*params, last, _PAGE)).fetchall()
            yield from rows
            if len(rows) < _PAGE:
                return
            last = rows[-1][0]

    def incidents(self, doc_id: str | None = None) -> Iterator[Incident]:
        """Stored incidents (of one document, or all), rebuilt from their JSON record."""
        if doc_id is None:
            rows = self._pages("SELECT rowid, record FROM incidents WHERE rowid > ?")
        else:
            rows = self._pages("SELECT rowid, record FROM incidents WHERE doc_id = ? AND rowid > ?", (doc_id,))
        for _, record in rows:
            yield Incident.from_dict(json.loads(record))

    def documents(self) -> Iterator[Document]:
        for _, text, record in self._pages("SELECT rowid, text, record FROM documents WHERE rowid > ?"):
            data = json.loads(record)
            data["text"] = text
            yield Document.from_dict(data)

    def document(self, doc_id: str) -> Document | None:
        row = self._db.execute("SELECT text, record FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            return None
        data = json.loads(row[1])
        data["text"] = row[0]
        return Document.from_dict(data)

    def rejected(self) -> Iterator[Rejected]:
        for _, record in self._pages("SELECT rowid, record FROM rejected WHERE rowid > ?"):
            yield Rejected.from_dict(json.loads(record))

    def counts(self) -> dict[str, int]:
        """Rows per table: documents, incidents, rejected, runs."""
        db = self._db
        return {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # fixed table names, no values
            for table in ("documents", "incidents", "rejected", "runs")
        }

    def rejected_counts(self) -> dict[str, int]:
        """Rejected records per code, e.g. ``{"E101": 2, "E105": 1}``."""
        rows = self._db.execute("SELECT code, count(*) FROM rejected GROUP BY code ORDER BY code")
        return {code: n for code, n in rows}


def _incident_row(inc: Incident, coded_at: str) -> tuple[Any, ...]:
    date, loc = inc.date, inc.location
    fat, inj = inc.fatalities, inc.injuries
    return (
        inc.incident_id,
        inc.doc_id,
        inc.event_type,
        inc.sub_event_type,
        inc.stance.value,
        _iso(date.start) if date else None,
        _iso(date.end) if date else None,
        loc.country if loc else None,
        loc.admin1 if loc else None,
        loc.name if loc else None,
        loc.lat if loc else None,
        loc.lon if loc else None,
        fat.low if fat else None,
        fat.high if fat else None,
        inj.low if inj else None,
        inj.high if inj else None,
        _dumps(to_dict(inc)),
        coded_at,
    )


def _integrity_fix(message: str) -> str:
    if "FOREIGN KEY" in message:
        return "store the document with put_document() before its incidents"
    if "UNIQUE" in message:
        return "an incident id is already used by another document; check the incidents' doc_id"
    return "check the record's required fields"
