"""`eventcoder export`: parse the options, call :func:`eventcoder.export.export`, print a summary.

The lead registers the command in ``cli.py`` (``cli.add_command(export)``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from .errors import ConfigError, EventcoderError

FORMATS = ["jsonl", "csv", "acled", "gtd", "geojson", "parquet"]


def _fail(exc: EventcoderError) -> None:
    # as cli._fail: the message and its fix on stderr, exit status 2
    click.echo(f"Error: {exc}", err=True)
    sys.exit(2)


def _check_db(db: str) -> None:
    """A SQLite path must exist: exporting must not create an empty database by mistake."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", db) and not db.startswith("sqlite:///"):
        return  # a server URL: the store checks it
    path = db[len("sqlite:///"):] if db.startswith("sqlite:///") else db
    if path != ":memory:" and not Path(path).is_file():
        raise ConfigError(f"no database at {path!r}",
                          fix="code some reports first (eventcoder extract ... --db PATH) or pass --db")


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl", show_default=True,
              help="jsonl/csv: our records; acled/gtd: those datasets' columns; geojson: geocoded points; "
                   "parquet: typed columns plus the full record (needs --out).")
@click.option("--events/--incidents", default=False,
              help="Export linked events (eventcoder link) instead of incident records (the default).")
@click.option("--db", default="eventcoder.db", show_default=True, help="Database path or URL.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write here (default: standard output; parquet needs a file).")
@click.option("--since", metavar="YYYY-MM-DD", help="Only records dated on or after this day.")
@click.option("--until", metavar="YYYY-MM-DD", help="Only records dated on or before this day.")
@click.option("--country", "countries", multiple=True, metavar="XX", help="ISO country code (repeatable).")
@click.option("--type", "types", multiple=True, metavar="CODE", help="Event type or sub-event type (repeatable).")
@click.option("--stance", type=click.Choice(["reported", "claimed"]), help="Only reports, or only claims.")
@click.option("--source", metavar="NAME", help="Only records from this source.")
@click.option("--min-confidence", type=float, metavar="0..1", help="Only incidents with at least this confidence.")
def export(fmt, events, db, out, since, until, countries, types, stance, source, min_confidence):
    """Export incidents or events as jsonl, csv, acled, gtd, geojson or parquet."""
    from .export import ExportFilter, check_export
    from .export import export as run_export

    try:
        where = ExportFilter.parse(since=since, until=until, countries=countries, types=types, stance=stance,
                                   source=source, min_confidence=min_confidence)
        check_export(fmt, events, where)
        if fmt == "parquet" and not out:
            raise ConfigError("parquet is a binary format and needs a file", fix="pass --out FILE.parquet")
        _check_db(db)
        from .store import Store

        store = Store(db)
        try:
            result = run_export(store, fmt, out or sys.stdout, events=events, where=where)
        finally:
            store.close()
    except EventcoderError as exc:
        _fail(exc)
    kind = result.kind if result.written != 1 else result.kind[:-1]
    line = f"Exported {result.written} {kind} ({fmt}) to {out or 'standard output'}"
    if result.skipped:
        line += f"; {result.skipped} without coordinates skipped"
    if result.filtered_out:
        line += f"; {result.filtered_out} left out by the filters"
    click.echo(line + ".", err=True)
