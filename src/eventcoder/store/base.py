"""What every store backend shares: the public methods, written once over a small SQL dialect.

A backend (:mod:`.sqlite`, :mod:`.postgres`) connects, migrates, runs a transaction and executes
SQL written here with ``?`` placeholders; the rows it reads are rebuilt from the JSON ``record``
column, so both backends hand back the same records.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, ClassVar

from ..errors import ConfigError, StoreError
from ..records import LINK_KINDS, Correction, Document, Event, Incident, LinkConstraint, Rejected, to_dict

DEFAULT_PATH = "eventcoder.db"

_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
POSTGRES_SCHEMES = ("postgresql", "postgres")

# the tables counts() reports; fixed names, never from input
COUNTED = ("documents", "incidents", "rejected", "runs", "events")

_UNSET: Any = object()

REVIEW_STATUSES = ("approved", "rejected", "unreviewed")
UNREVIEWED = "unreviewed"  # the audit trail's name for "no review" (NULL in the review column)
LINK_FIELD = "link:"  # audit rows of link decisions: field "link:<incident_b>" on incident_a


def _now() -> str:
    """UTC now, to the microsecond: codings of one document are ordered by it."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


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


def _utc(value: str | dt.datetime) -> dt.datetime:
    stamp = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return stamp.astimezone(dt.timezone.utc)


def scheme_of(target: str | Path) -> str | None:
    """The lower-cased URL scheme of ``target`` (``None`` for a plain path)."""
    match = _URL.match(str(target))
    return match.group(1).lower() if match else None


def backend_class(target: str | Path) -> type["Store"]:
    """The store class that opens ``target``: SQLite for paths and ``sqlite:///``, else PostgreSQL."""
    scheme = scheme_of(target)
    if scheme in POSTGRES_SCHEMES:
        from .postgres import PostgresStore

        return PostgresStore
    if scheme is None or scheme == "sqlite":
        from .sqlite import SQLiteStore

        return SQLiteStore
    raise ConfigError(
        f"database URL scheme {scheme!r} is not supported",
        fix="pass a SQLite file path (eventcoder.db, sqlite:///eventcoder.db) or a postgresql:// URL",
    )


def _extractor(inc: Incident) -> str:
    """The extractor column: ``''`` stands for an incident without coding (None)."""
    return inc.coding.extractor if inc.coding is not None and inc.coding.extractor else ""


class Store:
    """A store of documents, incidents, events, corrections, rejected records and runs.

    ``Store(target)`` opens the backend that ``target`` names: a SQLite file path (or
    ``sqlite:///path``) or a ``postgresql://`` URL. Use it as a context manager, or call
    :meth:`close`. Writes are one transaction per call; wrap several calls in
    :meth:`transaction` to make them one (e.g. a document and its incidents).
    """

    backend: ClassVar[str] = ""
    _ROWID: ClassVar[str] = "rowid"  # the column reads page by (fixed, never from input)
    _FOR_UPDATE: ClassVar[str] = ""  # row lock suffix for SELECTs inside a write
    _page_size = 500  # rows per read when iterating

    _target: str
    _depth: int = 0

    def __new__(cls, target: str | Path = DEFAULT_PATH) -> "Store":
        if cls is Store:
            cls = backend_class(target)
        return object.__new__(cls)

    # -- what a backend provides ------------------------------------------

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> Any:  # pragma: no cover - abstract
        """Run one statement (``?`` placeholders); returns a cursor with fetchone/fetchall/rowcount."""
        raise NotImplementedError

    def _execmany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _tx(self) -> AbstractContextManager[None]:  # pragma: no cover - abstract
        """Begin a write transaction; commit on exit, roll back on an exception."""
        raise NotImplementedError

    def _errors(self, what: str) -> AbstractContextManager[None]:  # pragma: no cover - abstract
        """Turn the driver's exceptions into :class:`StoreError` naming ``what``."""
        raise NotImplementedError

    def _lock_events(self) -> None:
        """Serialise link runs (a backend whose write transactions are exclusive needs nothing)."""

    def _close(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def schema_version(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- lifecycle -------------------------------------------------------

    def close(self) -> None:
        if getattr(self, "_conn", None) is not None:
            self._close()
            self._conn = None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __reduce__(self) -> tuple[Any, ...]:
        # pickles as its target (a new connection on unpickling), so batch workers can reopen it
        return (Store, (self._target,))

    def _check_open(self) -> None:
        if getattr(self, "_conn", None) is None:
            raise StoreError("the store is closed", fix="open a new Store(...)")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """All rows of one read (``?`` placeholders); for small results and tests."""
        self._check_open()
        return [tuple(row) for row in self._exec(sql, params).fetchall()]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction around several writes; nested uses join the outer one."""
        self._check_open()
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        with self._tx():
            self._depth = 1
            try:
                yield
            finally:
                self._depth = 0

    @contextmanager
    def _writing(self, what: str) -> Iterator[None]:
        with self._errors(what):
            with self.transaction():
                yield

    def _lock_document(self, doc_id: str) -> None:
        """Lock the document's row for this transaction; it must exist."""
        row = self._exec("SELECT 1 FROM documents WHERE doc_id = ?" + self._FOR_UPDATE, (doc_id,)).fetchone()
        if row is None:
            raise StoreError(
                f"document {doc_id!r} is not in the store",
                fix="store the document with put_document() before its incidents",
            )

    # -- documents, rejected records, runs ---------------------------------

    _keeps_nul: ClassVar[bool] = True  # False: text columns cannot hold NUL characters

    def put_document(self, doc: Document) -> None:
        """Insert or update a document by ``doc_id`` (its incidents are kept)."""
        record = to_dict(doc)
        if self._keeps_nul or "\x00" not in doc.text:
            del record["text"]  # the text lives in its column (else in the JSON, which escapes NUL)
        with self._writing(f"document {doc.doc_id!r}"):
            self._exec(
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

    def put_rejected(self, rej: Rejected) -> None:
        """Insert or update a rejected record by ``(origin, code, doc_id)``."""
        with self._writing(f"rejected record {rej.code} for {rej.origin!r}"):
            self._exec(
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
        with self._writing("run"):
            row = self._exec(
                "INSERT INTO runs (started, command) VALUES (?, ?) RETURNING id",
                (_now(), shlex.join(map(str, argv))),
            ).fetchone()
            return int(row[0])

    def finish_run(self, run_id: int, counts: dict) -> None:
        """Record the end of run ``run_id`` and what it counted."""
        with self._writing(f"run {run_id}"):
            cur = self._exec(
                "UPDATE runs SET finished = ?, counts = ? WHERE id = ?",
                (_now(), _dumps(dict(counts)), run_id),
            )
            if cur.rowcount == 0:
                raise StoreError(f"no run with id {run_id!r}", fix="pass the id returned by start_run()")

    # -- the batch journal -------------------------------------------------

    def mark_chunk_done(self, run_key: str, chunk: int, documents: int, incidents: int, rejected: int) -> None:
        """Journal chunk ``chunk`` of batch run ``run_key`` as stored, with what it held. Call it
        inside the :meth:`transaction` that stores the chunk's records, so both commit or neither."""
        if not isinstance(run_key, str) or not run_key:
            raise ConfigError("mark_chunk_done() needs the batch run key", fix="pass eventcoder.batch.run_key(config)")
        if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 0:
            raise ConfigError(f"bad chunk index {chunk!r}", fix="pass the chunk's index, an integer >= 0")
        with self._writing(f"batch chunk {chunk} of run {run_key[:12]}"):
            self._exec(
                """
                INSERT INTO batch_chunks (run_key, chunk, documents, incidents, rejected, done)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_key, chunk) DO UPDATE SET
                    documents = excluded.documents, incidents = excluded.incidents,
                    rejected = excluded.rejected, done = excluded.done
                """,
                (run_key, chunk, int(documents), int(incidents), int(rejected), _now()),
            )

    def done_chunks(self, run_key: str) -> set[int]:
        """The indexes of the chunks of batch run ``run_key`` that are stored."""
        self._check_open()
        rows = self._exec("SELECT chunk FROM batch_chunks WHERE run_key = ?", (run_key,)).fetchall()
        return {int(row[0]) for row in rows}

    # -- incidents ---------------------------------------------------------

    def put_incidents(self, doc_id: str, incidents: Sequence[Incident], *, extractor: str | None = _UNSET) -> None:
        """Store one coding run of document ``doc_id``: ``incidents`` replace that document's
        incidents from the same extractor(s); other extractors' incidents stay, and so does every
        incident a person touched, corrected or reviewed (it wins over a new one with the same id).

        The extractors are those the incidents name (``incident.coding.extractor``) and
        ``extractor`` when given, which says whose incidents an empty sequence clears; without it
        an empty sequence records a run by an unknown extractor (None) that found nothing. The
        run becomes the document's latest coding (what :meth:`incidents` returns by default).
        The document must be stored first.
        """
        seen: set[str] = set()
        extractors: set[str] = set()
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
            extractors.add(_extractor(inc))
            rows.append(_incident_row(inc, coded_at))
        if extractor is not _UNSET:
            extractors.add(extractor or "")
        elif not extractors:
            extractors.add("")
        with self._writing(f"incidents of document {doc_id!r}"):
            self._lock_document(doc_id)
            kept = {
                row[0]
                for row in self._exec(
                    f"SELECT incident_id FROM incidents WHERE doc_id = ? AND {_HUMAN}", (doc_id,)
                ).fetchall()
            }
            for name in sorted(extractors):
                self._exec(
                    f"DELETE FROM incidents WHERE doc_id = ? AND extractor = ? AND NOT {_HUMAN}", (doc_id, name)
                )
            new = [row for row in rows if row[0] not in kept]
            if new:
                self._execmany(
                    f"INSERT INTO incidents ({_INCIDENT_COLUMNS}) VALUES ({', '.join('?' * _N_INCIDENT_COLUMNS)})",
                    new,
                )
            (generation,) = self._exec(
                "SELECT coalesce(max(generation), 0) + 1 FROM codings WHERE doc_id = ?", (doc_id,)
            ).fetchone()
            self._execmany(
                """
                INSERT INTO codings (doc_id, extractor, coded_at, generation) VALUES (?, ?, ?, ?)
                ON CONFLICT (doc_id, extractor) DO UPDATE SET
                    coded_at = excluded.coded_at, generation = excluded.generation
                """,
                [(doc_id, name, coded_at, generation) for name in sorted(extractors)],
            )

    def incidents(
        self, doc_id: str | None = None, *, extractor: str | None = _UNSET, all_versions: bool = False
    ) -> Iterator[Incident]:
        """Stored incidents (of one document, or all), rebuilt from their JSON record.

        By default, per document, those of its latest coding run plus every corrected or reviewed
        incident (rejected ones too: filter with :meth:`reviews`);
        ``extractor="rules.v1"`` gives that extractor's (``extractor=None``: the uncoded ones);
        ``all_versions=True`` gives every stored incident.
        """
        if all_versions and extractor is not _UNSET:
            raise ConfigError("incidents(): pass extractor= or all_versions=True, not both",
                              fix="drop one of the two arguments")
        where, params = [], []
        if doc_id is not None:
            where.append("i.doc_id = ?")
            params.append(doc_id)
        if extractor is not _UNSET:
            where.append("i.extractor = ?")
            params.append(extractor or "")
        elif not all_versions:
            where.append(_CURRENT)
        where.append(f"i.{self._ROWID} > ?")
        rows = self._pages(f"SELECT i.{self._ROWID}, i.record FROM incidents i WHERE {' AND '.join(where)}",
                           tuple(params), order=f"i.{self._ROWID}")
        for _, record in rows:
            yield Incident.from_dict(json.loads(record))

    def incident(self, incident_id: str) -> Incident | None:
        """One stored incident by id, whichever extractor coded it."""
        row = self._exec("SELECT record FROM incidents WHERE incident_id = ?", (incident_id,)).fetchone()
        return Incident.from_dict(json.loads(row[0])) if row is not None else None

    def codings(self, doc_id: str) -> list[tuple[str | None, dt.datetime]]:
        """The extractors that coded ``doc_id`` and when each last did, latest first."""
        rows = self._exec(
            "SELECT extractor, coded_at FROM codings WHERE doc_id = ? ORDER BY generation DESC, extractor",
            (doc_id,),
        ).fetchall()
        return [(name or None, _utc(at)) for name, at in rows]

    # -- corrections -----------------------------------------------------

    def correct_incident(
        self, incident_id: str, changes: Mapping[str, Any], who: str, note: str | None = None
    ) -> Incident:
        """Apply a person's corrections to a stored incident and return the corrected incident.

        ``changes`` maps top-level :class:`Incident` fields to JSON-ready values (as ``to_dict``
        writes them), e.g. ``{"fatalities": {"low": 3, "high": 3, "qualifier": "exact",
        "spans": []}}``. Each changed field becomes one :class:`Correction`; the incident is
        marked corrected, so no rerun of an extractor overwrites or deletes it.
        """
        from .corrections import apply_changes

        _check_who(who, "a correction", note)
        with self._writing(f"correction of incident {incident_id!r}"):
            row = self._exec(
                "SELECT record FROM incidents WHERE incident_id = ?" + self._FOR_UPDATE, (incident_id,)
            ).fetchone()
            if row is None:
                raise StoreError(f"no incident with id {incident_id!r}",
                                 fix="pass the incident_id of a stored incident")
            new, diffs = apply_changes(json.loads(row[0]), changes, incident_id)
            if not diffs:
                return new
            at = _now()
            cells = _incident_row(new, at)
            assignments = ", ".join(f"{name} = ?" for name in _INCIDENT_UPDATABLE)
            self._exec(
                f"UPDATE incidents SET {assignments}, corrected = 1 WHERE incident_id = ?",
                (*cells[_N_FIXED:-1], incident_id),
            )
            self._execmany(
                "INSERT INTO corrections (incident_id, field, old, new, who, at, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(incident_id, field, _dumps(old), _dumps(value), who, at, note) for field, old, value in diffs],
            )
            return new

    def corrections(self, incident_id: str | None = None) -> Iterator[Correction]:
        """The audit trail (of one incident, or all), oldest first: one row per corrected field,
        per review (field ``"review"``, old and new status such as ``"unreviewed"`` and
        ``"approved"``) and per link decision (field ``"link:<incident_b>"`` on ``incident_a``,
        old and new kind ``"must"``/``"cannot"``, None for none). :meth:`audit` gives the same
        rows newest first, as plain dicts."""
        sql = "SELECT id, incident_id, field, old, new, who, at, note FROM corrections WHERE "
        if incident_id is None:
            rows = self._pages(sql + "id > ?", order="id")
        else:
            rows = self._pages(sql + "incident_id = ? AND id > ?", (incident_id,), order="id")
        for cid, inc_id, field, old, new, who, at, note in rows:
            yield Correction(int(cid), inc_id, field, json.loads(old), json.loads(new), who, _utc(at), note)

    # -- reviews ---------------------------------------------------------

    def review_incident(self, incident_id: str, status: str, who: str, note: str | None = None) -> None:
        """Approve or reject a stored incident; ``status="unreviewed"`` clears the review.

        The change is one row of the audit trail (field ``"review"``, the old and new status as
        strings, ``"unreviewed"`` for none). A reviewed (approved or rejected) incident counts as
        touched by a person: no rerun of an extractor deletes or overwrites it, as with a
        corrected one. :meth:`incidents` still returns rejected incidents; filter with
        :meth:`reviews`. Setting the status an incident already has stores nothing.
        """
        if not isinstance(status, str) or status not in REVIEW_STATUSES:
            raise StoreError(f"unknown review status {status!r} for incident {incident_id!r}",
                             fix="pass status='approved', 'rejected' or 'unreviewed' (clears the review)")
        _check_who(who, "a review", note)
        new = None if status == UNREVIEWED else status
        with self._writing(f"review of incident {incident_id!r}"):
            row = self._exec(
                "SELECT review FROM incidents WHERE incident_id = ?" + self._FOR_UPDATE, (incident_id,)
            ).fetchone()
            if row is None:
                raise StoreError(f"no incident with id {incident_id!r} to review",
                                 fix="pass the incident_id of a stored incident")
            old = row[0]
            if old == new:
                return
            self._exec("UPDATE incidents SET review = ? WHERE incident_id = ?", (new, incident_id))
            self._add_audit(incident_id, "review", old or UNREVIEWED, status, who, _now(), note)

    def review_status(self, incident_id: str) -> str | None:
        """``"approved"``, ``"rejected"`` or None (unreviewed) for a stored incident."""
        return self._incident_cell("review", incident_id)

    def reviews(self) -> dict[str, str]:
        """Every reviewed incident's status: ``{incident_id: "approved" | "rejected"}``."""
        self._check_open()
        rows = self._exec("SELECT incident_id, review FROM incidents WHERE review IS NOT NULL").fetchall()
        return {inc_id: review for inc_id, review in sorted(rows)}

    def is_corrected(self, incident_id: str) -> bool:
        """Whether a person corrected fields of a stored incident (see :meth:`correct_incident`)."""
        return bool(self._incident_cell("corrected", incident_id))

    def corrected_ids(self) -> set[str]:
        """The ids of every corrected incident."""
        self._check_open()
        return {row[0] for row in self._exec("SELECT incident_id FROM incidents WHERE corrected = 1").fetchall()}

    def _incident_cell(self, column: str, incident_id: str) -> Any:
        self._check_open()
        # column is one of our fixed names, never from input
        row = self._exec(f"SELECT {column} FROM incidents WHERE incident_id = ?", (incident_id,)).fetchone()
        if row is None:
            raise StoreError(f"no incident with id {incident_id!r}", fix="pass the incident_id of a stored incident")
        return row[0]

    # -- link decisions --------------------------------------------------

    def add_link_constraint(
        self, incident_a: str, incident_b: str, kind: str, who: str, note: str | None = None
    ) -> LinkConstraint:
        """Store a person's decision that two stored incidents report one event (``kind="must"``)
        or never do (``"cannot"``), and return it. The pair is normalised (smaller id first);
        a pair keeps one current decision, so a new one replaces the old (its id stays; its
        kind, who, at and note change) and the audit trail gets a row (field
        ``"link:<incident_b>"`` on ``incident_a``, old and new kind). Re-stating the same kind
        stores it again as the latest decision: the later decision wins a contradiction.
        The linker applies the decisions: :func:`eventcoder.link.relink`.
        """
        if not isinstance(kind, str) or kind not in LINK_KINDS:
            raise StoreError(f"unknown link decision {kind!r}",
                             fix="pass kind='must' (one event) or kind='cannot' (never one event)")
        _check_who(who, "a link decision", note)
        for inc_id in (incident_a, incident_b):
            if not isinstance(inc_id, str) or not inc_id:
                raise StoreError(f"bad incident id {inc_id!r} in a link decision", fix="pass two stored incident ids")
        if incident_a == incident_b:
            raise StoreError(f"a link decision needs two different incidents, got {incident_a!r} twice",
                             fix="pass the ids of two different incidents")
        a, b = sorted((incident_a, incident_b))
        with self._writing(f"link decision on {a!r} and {b!r}"):
            for inc_id in (a, b):  # lock both (in id order): decisions on one pair serialise
                row = self._exec(
                    "SELECT 1 FROM incidents WHERE incident_id = ?" + self._FOR_UPDATE, (inc_id,)
                ).fetchone()
                if row is None:
                    raise StoreError(f"no incident with id {inc_id!r} to link",
                                     fix="pass the incident_id of a stored incident")
            at = _now()
            row = self._exec(
                "SELECT id, kind FROM link_constraints WHERE incident_a = ? AND incident_b = ?", (a, b)
            ).fetchone()
            if row is None:
                old = None
                (cid,) = self._exec(
                    "INSERT INTO link_constraints (incident_a, incident_b, kind, who, at, note)"
                    " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    (a, b, kind, who, at, note),
                ).fetchone()
            else:
                cid, old = row
                self._exec("UPDATE link_constraints SET kind = ?, who = ?, at = ?, note = ? WHERE id = ?",
                           (kind, who, at, note, cid))
            self._add_audit(a, LINK_FIELD + b, old, kind, who, at, note)
            return LinkConstraint(int(cid), a, b, kind, who, _utc(at), note)

    def link_constraints(self) -> list[LinkConstraint]:
        """The current link decisions, oldest first (by ``at``, then ``id``: the order in which
        the linker lets a later decision win)."""
        self._check_open()
        rows = self._exec(
            "SELECT id, incident_a, incident_b, kind, who, at, note FROM link_constraints ORDER BY at, id"
        ).fetchall()
        return [LinkConstraint(int(cid), a, b, kind, who, _utc(at), note) for cid, a, b, kind, who, at, note in rows]

    def remove_link_constraint(self, id: int, who: str, note: str | None = None) -> LinkConstraint:  # noqa: A002
        """Withdraw link decision ``id`` (from :meth:`link_constraints`); the audit trail gets a
        row with the old kind and new None. Returns the decision that was removed."""
        _check_who(who, "removing a link decision", note)
        if isinstance(id, bool) or not isinstance(id, int):
            raise StoreError(f"bad link decision id {id!r}", fix="pass the integer id of one of link_constraints()")
        with self._writing(f"link decision {id!r}"):
            row = self._exec(
                "SELECT id, incident_a, incident_b, kind, who, at, note FROM link_constraints WHERE id = ?"
                + self._FOR_UPDATE, (id,),
            ).fetchone()
            if row is None:
                raise StoreError(f"no link decision with id {id!r}",
                                 fix="pass the id of one of link_constraints() (it may have been removed already)")
            cid, a, b, kind, old_who, old_at, old_note = row
            self._exec("DELETE FROM link_constraints WHERE id = ?", (cid,))
            self._add_audit(a, LINK_FIELD + b, kind, None, who, _now(), note)
            return LinkConstraint(int(cid), a, b, kind, old_who, _utc(old_at), old_note)

    # -- the audit trail -------------------------------------------------

    def _add_audit(self, incident_id: str, field: str, old: Any, new: Any, who: str, at: str, note: str | None) -> None:
        self._exec(
            "INSERT INTO corrections (incident_id, field, old, new, who, at, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (incident_id, field, _dumps(old), _dumps(new), who, at, note),
        )

    def audit(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Every change a person made, newest first (``limit``: the newest ``limit`` only).

        One dict per change: ``id``, ``at`` (UTC datetime), ``who``, ``kind`` (``"correction"``
        of a field, ``"review"`` or ``"link"``), ``target`` (the incident id; for a link
        decision the pair's smaller id), ``field`` (the incident field, ``"review"``, or
        ``"link:<incident_b>"``), ``old`` and ``new`` (JSON values: a field's values, a review
        status such as ``"unreviewed"``/``"approved"``, a link kind ``"must"``/``"cannot"`` or
        None where a decision was added or removed), ``note``, and ``other`` (a link decision's
        second incident, else None).
        """
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise ConfigError(f"audit limit {limit!r} is not a count", fix="pass limit=None (all) or an integer >= 0")
        self._check_open()
        sql = "SELECT id, incident_id, field, old, new, who, at, note FROM corrections ORDER BY at DESC, id DESC"
        rows = self._exec(sql + " LIMIT ?", (limit,)).fetchall() if limit is not None else self._exec(sql).fetchall()
        out = []
        for cid, inc_id, field, old, new, who, at, note in rows:
            if field == "review":
                kind, other = "review", None
            elif field.startswith(LINK_FIELD):
                kind, other = "link", field[len(LINK_FIELD):]
            else:
                kind, other = "correction", None
            out.append({"id": int(cid), "at": _utc(at), "who": who, "kind": kind, "target": inc_id, "field": field,
                        "old": json.loads(old), "new": json.loads(new), "note": note, "other": other})
        return out

    # -- events ----------------------------------------------------------

    def put_events(self, events: Sequence[Event], linker: str) -> None:
        """Replace all stored events with ``events``, made by ``linker`` (a link run is a full recompute)."""
        if not isinstance(linker, str) or not linker:
            raise ConfigError("put_events() needs the linker's name and version", fix="pass linker='link.v1'")
        rows, members = [], []
        seen: set[str] = set()
        owner: dict[str, str] = {}
        for ev in events:
            if ev.linker and ev.linker != linker:
                raise StoreError(f"event {ev.event_id!r} was made by {ev.linker!r}, not {linker!r}",
                                 fix="store each linker's events with its own name")
            if not ev.incident_ids:
                raise StoreError(f"event {ev.event_id!r} has no incidents", fix="drop empty events")
            if ev.event_id in seen:
                raise StoreError(f"two events share the id {ev.event_id!r}", fix="merge them before storing")
            seen.add(ev.event_id)
            for inc_id in ev.incident_ids:
                if inc_id in owner and owner[inc_id] != ev.event_id:
                    raise StoreError(
                        f"incident {inc_id!r} is in two events ({owner[inc_id]!r}, {ev.event_id!r})",
                        fix="an incident belongs to one event; merge the two",
                    )
                owner[inc_id] = ev.event_id
            ev = ev if ev.linker else dataclasses.replace(ev, linker=linker)
            rows.append(_event_row(ev))
            members.extend((ev.event_id, inc_id) for inc_id in sorted(set(ev.incident_ids)))
        with self._writing(f"events of {linker!r}"):
            self._lock_events()
            self._exec("DELETE FROM event_members")
            self._exec("DELETE FROM events")
            if rows:
                self._execmany(f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES ({', '.join('?' * _N_EVENT_COLUMNS)})",
                               rows)
                self._execmany("INSERT INTO event_members (event_id, incident_id) VALUES (?, ?)", members)

    def events(self) -> Iterator[Event]:
        """Stored events, rebuilt from their JSON record."""
        for _, record in self._pages(f"SELECT {self._ROWID}, record FROM events WHERE {self._ROWID} > ?"):
            yield Event.from_dict(json.loads(record))

    def event(self, event_id: str) -> Event | None:
        row = self._exec("SELECT record FROM events WHERE event_id = ?", (event_id,)).fetchone()
        return Event.from_dict(json.loads(row[0])) if row is not None else None

    def event_of(self, incident_id: str) -> Event | None:
        """The event an incident belongs to (None when it is in none)."""
        row = self._exec(
            "SELECT e.record FROM events e JOIN event_members m ON m.event_id = e.event_id WHERE m.incident_id = ?",
            (incident_id,),
        ).fetchone()
        return Event.from_dict(json.loads(row[0])) if row is not None else None

    # -- reads -----------------------------------------------------------

    def _pages(self, sql: str, params: tuple[Any, ...] = (), order: str | None = None) -> Iterator[tuple[Any, ...]]:
        """Rows of ``sql`` (which must select the paging key first and end with ``key > ?``),
        fetched a page at a time, so memory stays bounded, writes between reads are safe and no
        read stays open."""
        self._check_open()
        order = order or self._ROWID
        last = -1
        while True:
            rows = self._exec(f"{sql} ORDER BY {order} LIMIT ?", (*params, last, self._page_size)).fetchall()
            yield from rows
            if len(rows) < self._page_size:
                return
            last = rows[-1][0]

    def documents(self) -> Iterator[Document]:
        for _, text, record in self._pages(f"SELECT {self._ROWID}, text, record FROM documents WHERE {self._ROWID} > ?"):
            yield _document(text, record)

    def document(self, doc_id: str) -> Document | None:
        row = self._exec("SELECT text, record FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return _document(*row) if row is not None else None

    def rejected(self) -> Iterator[Rejected]:
        for _, record in self._pages(f"SELECT {self._ROWID}, record FROM rejected WHERE {self._ROWID} > ?"):
            yield Rejected.from_dict(json.loads(record))

    def counts(self) -> dict[str, int]:
        """Rows per table: documents, incidents (every version), rejected, runs, events."""
        self._check_open()
        return {
            table: int(self._exec(f"SELECT count(*) FROM {table}").fetchone()[0])  # fixed table names
            for table in COUNTED
        }

    def rejected_counts(self) -> dict[str, int]:
        """Rejected records per code, e.g. ``{"E101": 2, "E105": 1}``."""
        self._check_open()
        rows = self._exec("SELECT code, count(*) FROM rejected GROUP BY code ORDER BY code").fetchall()
        return {code: int(n) for code, n in rows}


# an incident a person touched (corrected or reviewed): no rerun deletes or overwrites it
_HUMAN = "(corrected = 1 OR review IS NOT NULL)"

# an incident of the document's latest coding run, or one a person touched
_CURRENT = """(i.corrected = 1 OR i.review IS NOT NULL OR i.extractor IN (
    SELECT c.extractor FROM codings c WHERE c.doc_id = i.doc_id AND c.generation = (
        SELECT max(c2.generation) FROM codings c2 WHERE c2.doc_id = i.doc_id)))"""

_INCIDENT_FIXED = ("incident_id", "doc_id")
_INCIDENT_UPDATABLE = (
    "event_type", "sub_event_type", "stance", "date_start", "date_end", "country", "admin1", "location_name",
    "lat", "lon", "fatalities_low", "fatalities_high", "injuries_low", "injuries_high", "extractor", "record",
)
_N_FIXED = len(_INCIDENT_FIXED)
_INCIDENT_COLUMNS = ", ".join((*_INCIDENT_FIXED, *_INCIDENT_UPDATABLE, "coded_at"))
_N_INCIDENT_COLUMNS = len(_INCIDENT_FIXED) + len(_INCIDENT_UPDATABLE) + 1


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
        _extractor(inc),
        _dumps(to_dict(inc)),
        coded_at,
    )


_EVENT_COLUMNS = (
    "event_id, linker, event_type, sub_event_type, date_start, date_end, country, admin1, "
    "fatalities_best, fatalities_low, fatalities_high, n_sources, claimed, reported, record"
)
_N_EVENT_COLUMNS = _EVENT_COLUMNS.count(",") + 1


def _event_row(ev: Event) -> tuple[Any, ...]:
    date, loc, fat = ev.date, ev.location, ev.fatalities
    return (
        ev.event_id,
        ev.linker,
        ev.event_type,
        ev.sub_event_type,
        _iso(date.start) if date else None,
        _iso(date.end) if date else None,
        loc.country if loc else None,
        loc.admin1 if loc else None,
        fat.best if fat else None,
        fat.low if fat else None,
        fat.high if fat else None,
        len(ev.sources) if ev.sources else len(ev.incident_ids),
        int(ev.claimed),
        int(ev.reported),
        _dumps(to_dict(ev)),
    )


def _check_who(who: Any, what: str, note: Any = None) -> None:
    """Every change a person makes names them; a note, when given, is text."""
    if not isinstance(who, str) or not who.strip():
        raise StoreError(f"{what} needs the name of who made it", fix="pass who='reviewer name'")
    if note is not None and not isinstance(note, str):
        raise StoreError(f"the note of {what} is {type(note).__name__}, not text", fix="pass note='...' or None")


def _document(text: str, record: str) -> Document:
    data = json.loads(record)
    data.setdefault("text", text)  # a text with NUL characters lives in the JSON on PostgreSQL
    return Document.from_dict(data)


def integrity_fix(kind: str | None) -> str:
    """How to fix a constraint violation: ``kind`` is "foreign_key", "unique" or None."""
    if kind == "foreign_key":
        return "store the document with put_document() before its incidents"
    if kind == "unique":
        return "an incident id is already stored for another document or extractor; check the incidents' doc_id"
    return "check the record's required fields"
