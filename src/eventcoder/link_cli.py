"""``eventcoder link`` and ``eventcoder compare``: thin commands over :func:`eventcoder.link.relink`
and :func:`eventcoder.compare.compare_claims` (registered on the main group in ``cli.py``)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from .errors import DataNotFound, EventcoderError
from .records import Event


def _fail(exc: EventcoderError) -> None:
    click.echo(f"Error: {exc}", err=True)
    sys.exit(2)


def _open(db: str) -> Any:
    from .store import Store

    return Store(db)


def link_summary(n_incidents: int, events: Sequence[Event]) -> dict[str, int]:
    """The counts `eventcoder link` prints."""
    return {
        "incidents": n_incidents,
        "events": len(events),
        "multi_source_events": sum(1 for e in events if len(e.incident_ids) > 1),
        "claimed_and_reported_events": sum(1 for e in events if e.claimed and e.reported),
    }


def render_events_table(events: Sequence[Event], console: Any | None = None, title: str | None = None,
                        limit: int = 20) -> None:
    """Multi-source events as a rich table (every cell escaped)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from .compare import _date_text, _fmt_estimate, _place_text, _printable

    console = console if console is not None else Console()
    table = Table(title=escape(_printable(title)) if title else None)
    for name, kw in (("event", {"no_wrap": True}), ("date", {"no_wrap": True}), ("place", {}), ("type", {}),
                     ("sources", {}), ("killed", {"justify": "right"}), ("injured", {"justify": "right"})):
        table.add_column(name, **kw)
    for e in list(events)[:limit]:
        sources = ", ".join(f"{s.source}{' (claim)' if s.stance.value == 'claimed' else ''}" for s in e.sources)
        table.add_row(*(escape(_printable(x)) for x in (
            e.event_id, _date_text(e) or "?", _place_text(e) or "?", e.sub_event_type or e.event_type or "?",
            sources, _fmt_estimate(e.fatalities), _fmt_estimate(e.injuries),
        )))
    console.print(table)
    if len(events) > limit:
        console.print(f"... and {len(events) - limit} more")


@click.command("link")
@click.option("--db", default="eventcoder.db", show_default=True, help="Database: a SQLite path or a postgresql:// URL.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Link weights and thresholds (default: the packaged data/link.yaml).")
@click.option("--radius-km", type=float, help="Records of different admin1 farther apart than this are never linked.")
@click.option("--days", type=int, help="Slack of the date window in days (added to each record's uncertainty).")
@click.option("--quiet", is_flag=True, help="No summary or table.")
def link(db: str, config_path: str | None, radius_km: float | None, days: int | None, quiet: bool) -> None:
    """Group incident records of different documents that report the same event.

    Reviewers' decisions are kept: their merges and splits (link decisions) are applied, and
    incidents they rejected are left out."""
    from .link import load_link_config, relink

    try:
        config = load_link_config(config_path, radius_km=radius_km, days=days)
        store = _open(db)
        try:
            events = relink(store, config)
            n_decisions = len(store.link_constraints())
        finally:
            store.close()
    except EventcoderError as exc:
        _fail(exc)
        return
    if quiet:
        return
    s = link_summary(sum(len(e.incident_ids) for e in events), events)
    decisions = f" Applied {n_decisions} reviewer link decision{'s' if n_decisions != 1 else ''}." if n_decisions else ""
    click.echo(
        f"Linked {s['incidents']} incidents into {s['events']} events ({config.linker}, config {config.version}): "
        f"{s['multi_source_events']} reported by more than one record, "
        f"{s['claimed_and_reported_events']} with a claim and an independent report.{decisions} Database: {db}."
    )
    multi = sorted((e for e in events if len(e.incident_ids) > 1),
                   key=lambda e: (e.date.start.isoformat() if e.date and e.date.start else "", e.event_id))
    if multi:
        render_events_table(multi, title=f"{len(multi)} multi-source events")


@click.command("compare")
@click.option("--db", default="eventcoder.db", show_default=True, help="Database: a SQLite path or a postgresql:// URL.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write here (default: standard output).")
def compare(db: str, fmt: str, out: str | None) -> None:
    """Claims next to independent reports of the same event, with the ratio of their figures."""
    from .compare import compare_claims, render_comparison_table, write_comparison_csv, write_comparison_json

    try:
        store = _open(db)
        try:
            events = list(store.events())
            if not events:
                raise DataNotFound(f"no events in {db}", fix=f"run `eventcoder link --db {db}` first")
            wanted = {v.incident_id for e in events if e.claimed and e.reported for v in e.sources}
            incidents = {i.incident_id: i for i in store.incidents() if i.incident_id in wanted}
        finally:
            store.close()
        rows = compare_claims(events, incidents)
    except EventcoderError as exc:
        _fail(exc)
        return
    fh = open(out, "w", encoding="utf-8", newline="") if out else sys.stdout
    try:
        if fmt == "csv":
            write_comparison_csv(rows, fh)
        elif fmt == "json":
            write_comparison_json(rows, fh)
        else:
            from rich.console import Console

            console = None if fh is sys.stdout else Console(file=fh, width=160)
            render_comparison_table(rows, console=console, title=f"{len(rows)} claims with independent reports")
    finally:
        if out:
            fh.close()
