"""``eventcoder gazetteer``: build the offline gazetteer and look places up in it.

Each command parses its options, calls the public function of the same name in
:mod:`eventcoder.gazetteer` and prints. Register with ``cli.add_command(gazetteer)``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import EventcoderError


def _fail(exc: EventcoderError) -> None:
    click.echo(f"Error: {exc}", err=True)
    sys.exit(2)


def _console():
    from rich.console import Console

    return Console(highlight=False)


@click.group()
def gazetteer() -> None:
    """Build the offline gazetteer (GeoNames cities500, admin1, countries, overlays) and query it."""


@gazetteer.command()
@click.option("--path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the SQLite file (default: $EVENTCODER_CACHE_DIR or ~/.cache/eventcoder).")
@click.option("--overlay", "overlays", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Your own overlay CSV (same columns as data/gazetteer/overlay.csv); repeatable.")
def build(path: Path | None, overlays: tuple[Path, ...]) -> None:
    """Build the gazetteer file from installed package data (no network)."""
    from rich.markup import escape

    from .gazetteer import build_gazetteer

    console = _console()
    try:
        with console.status("building the gazetteer (about half a minute)"):
            stats = build_gazetteer(path, overlays)
    except EventcoderError as exc:
        _fail(exc)
    console.print(f"built [bold]{escape(str(stats.path))}[/bold]")
    console.print(
        f"  countries {stats.countries:,}  admin1 {stats.admin1:,}  cities {stats.cities:,}  "
        f"overlay {stats.overlay:,}  equivalents {stats.equivalents:,}  alias keys {stats.aliases:,}"
    )
    console.print(f"  {stats.size_bytes / 1e6:.1f} MB in {stats.seconds:.1f} s")


@gazetteer.command()
@click.argument("name")
@click.option("--country", metavar="CC", help="ISO alpha-2 code of the country the text is about.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--path", type=click.Path(dir_okay=False, path_type=Path),
              help="Gazetteer file (default: the cached one; built first when missing).")
@click.option("--overlay", "overlays", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Your own overlay CSV; repeatable.")
def lookup(name: str, country: str | None, limit: int, path: Path | None, overlays: tuple[Path, ...]) -> None:
    """Candidates for NAME, best first, with scores (0.6 and up: exact name; below: spelling variant)."""
    from rich.markup import escape
    from rich.table import Table

    from .gazetteer import Gazetteer

    console = _console()
    try:
        with console.status("opening the gazetteer (a first use builds it: about half a minute)"):
            gz = Gazetteer.open(path, overlays)
        results = gz.lookup(name, country=country, limit=limit)
    except EventcoderError as exc:
        _fail(exc)
    if not results:
        console.print(f"no place called '{escape(name)}' in the gazetteer")
        sys.exit(1)
    table = Table(title=f"{escape(name)}" + (f" (country {escape(country.upper())})" if country else ""))
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("name")
    table.add_column("feature", no_wrap=True)
    table.add_column("admin1")
    table.add_column("country", no_wrap=True)
    table.add_column("lat, lon", no_wrap=True)
    table.add_column("source", overflow="fold")
    for place, score in results:
        where = ""
        if place.has_point:
            where = f"{place.lat:.4f}, {place.lon:.4f}"
        elif place.parent:
            parent = gz.parent_of(place)
            where = f"{'in' if parent and not parent.has_point else 'near'} {place.parent}"
        feature = place.feature + (f" ({place.subtype})" if place.subtype else "")
        table.add_row(
            f"{score:.3f}", escape(place.name), escape(feature), escape(place.admin1 or ""),
            escape(place.country or ""), escape(where), escape(place.source),
        )
    console.print(table)
