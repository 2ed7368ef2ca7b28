"""The store: documents, incidents, events, corrections, rejected records and runs.

``Store(target)`` opens an embedded SQLite file (the default, ``eventcoder.db``; also
``sqlite:///path``) or, for teams, a PostgreSQL database (``postgresql://user@host/db``; needs
``pip install 'eventcoder[postgres]'``). Both backends have the same methods and hand back the
same records. Each table keeps a narrow set of columns for querying (dates, places, counts) and
the full record as JSON in ``record``, which is authoritative: reading a record back goes through
``from_dict`` on that JSON. All SQL is parameterised; identifiers are never taken from input.

What a rerun does:

- Ingesting the same report again adds nothing: documents upsert by ``doc_id`` (a hash of source
  and text), rejected records by ``(origin, code, doc_id)``, and incident ids are hashes of the
  document, the evidence and the extractor.
- ``put_incidents(doc_id, incidents)`` stores one coding run of a document. It replaces that
  document's incidents from the same extractor (``incident.coding.extractor``, e.g. ``rules.v1``)
  and keeps those of other extractor versions, so two versions can be compared. The run becomes
  the document's latest coding (table ``codings``).
- ``incidents()`` returns, per document, the incidents of its latest coding run: what the
  extractor you ran last says. ``incidents(extractor="rules.v1")`` returns one version's and
  ``incidents(all_versions=True)`` every stored incident; ``counts()["incidents"]`` counts them all.
- Human corrections win: ``correct_incident()`` changes fields of a stored incident, records each
  change in ``corrections`` (who, when, old and new value, a note) and marks the incident
  corrected. A rerun never overwrites or deletes a corrected incident (a new incident with the
  same id is dropped in its favour), and ``incidents()`` always includes it, whichever extractor
  ran last.
- Reviews count as human too: ``review_incident(id, "approved" | "rejected" | "unreviewed", who)``
  marks an incident (``reviews()``, ``review_status()``), and a reviewed incident is kept by
  reruns like a corrected one. ``incidents()`` still returns rejected incidents.
- ``put_events(events, linker)`` replaces all events: a link run is a full recompute. A person's
  link decisions survive it: ``add_link_constraint(a, b, "must" | "cannot", who)`` stores one
  decision per pair (``link_constraints()``, ``remove_link_constraint()``), and
  :func:`eventcoder.link.relink` (what ``eventcoder link`` runs) applies them on every re-link.
- The audit trail (table ``corrections``) has a row for every corrected field, review and link
  decision, with who, when, the old and the new value and a note: ``corrections()`` oldest first
  as records, ``audit(limit)`` newest first as dicts.

Schema changes are migrations (``sqlite.MIGRATIONS``, ``postgres.MIGRATIONS``, step for step the
same), applied when a store is opened; add a step to the end of both, never edit one that shipped.
"""

from __future__ import annotations

from .base import DEFAULT_PATH, Store
from .sqlite import MIGRATIONS, SCHEMA_VERSION, SQLiteStore, resolve_path


def open_store(target: str = DEFAULT_PATH) -> Store:
    """The store at ``target`` (a SQLite path or URL, or a ``postgresql://`` URL): ``Store(target)``."""
    return Store(target)


def __getattr__(name: str):
    # PostgresStore lives in a module that imports nothing heavy, but keep it out of import time
    if name == "PostgresStore":
        from .postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_PATH",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "PostgresStore",
    "SQLiteStore",
    "Store",
    "open_store",
    "resolve_path",
]
