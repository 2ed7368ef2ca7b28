"""Claims against independent reports: how far do a group's claims exceed what others report?

For every event (from :mod:`eventcoder.link`) with at least one claimed member (stance
``claimed``: the group's own statement) and at least one independent member (stance
``reported``), :func:`compare_claims` gives one :class:`ComparisonRow` per claim: the claim's
killed and injured figures next to the independent reports' estimate and the ratio between them.

How figures are read:

- A claim's figure is one number, :func:`eventcoder.link.point_value`: the figure itself, the
  midpoint (rounded down) of a range, the stated bound of "more than 14", "at least 5", "about
  40" or "up to 10". The count itself is kept in the row too, so the qualifier is never lost.
- The independent figure is :func:`eventcoder.link.estimate` over the independent members'
  counts only (never the claim's, never a sum): ``low``/``high`` are the extremes the sources
  give, ``best`` the median of their point figures, rounded down.
- ``ratio = claimed / independent best``, rounded to two decimals; ``None`` when either side
  gives no figure, or the independent best is 0 (a claim of 12 killed where reports say none
  died is not a ratio; the row still shows both figures).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from .records import Count, Estimate, Event, Incident, SourceView, Stance, to_dict
from .link import estimate, point_value

__all__ = ["ComparisonRow", "CSV_COLUMNS", "compare_claims", "write_comparison_csv", "write_comparison_json",
           "render_comparison_table"]


@dataclass(frozen=True)
class ComparisonRow:
    """One claim next to the independent reports of the same event."""

    event_id: str
    date: str  # ISO date or START..END; "" when undated
    place: str
    claimant: str
    claim_incident_id: str
    claim_source: str
    claimed_killed: Count | None
    claimed_injured: Count | None
    claimed_killed_value: int | None  # the claim's killed figure as one number (point_value)
    claimed_injured_value: int | None
    independent_killed: Estimate | None  # from the independent members only
    independent_injured: Estimate | None
    independent_sources: tuple[str, ...]  # source names of the independent members, sorted
    killed_ratio: float | None  # claimed / independent best; None when not computable
    injured_ratio: float | None

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)


def _ratio(claimed: int | None, independent: Estimate | None) -> float | None:
    if claimed is None or independent is None or not independent.best:
        return None
    return round(claimed / independent.best, 2)


def _date_text(event: Event) -> str:
    d = event.date
    if d is None or d.start is None:
        return ""
    if d.end is None or d.end == d.start:
        return d.start.isoformat()
    return f"{d.start.isoformat()}..{d.end.isoformat()}"


def _place_text(event: Event) -> str:
    loc = event.location
    if loc is None:
        return ""
    parts = [p for p in (loc.name or loc.text, loc.admin1, loc.country) if p]
    return ", ".join(p for i, p in enumerate(parts) if p not in parts[:i])


def _claimant(view: SourceView, incident: Incident | None) -> str:
    if view.claimed_by:
        return view.claimed_by
    if incident is not None:
        named = [a.text for a in incident.main_perpetrators if not a.generic]
        if named:
            return "; ".join(named)
    return view.source


def compare_claims(events: Iterable[Event], incidents_by_id: Mapping[str, Incident] | None = None) -> list[ComparisonRow]:
    """Rows for every claim of an event that independent reports also cover, sorted by date and
    event id. The figures come from each event's :class:`SourceView` records;
    ``incidents_by_id`` (optional) names the claimant when the claim's view does not."""
    incidents_by_id = incidents_by_id or {}
    rows = []
    for event in events:
        claims = [v for v in event.sources if v.stance is Stance.CLAIMED]
        independent = [v for v in event.sources if v.stance is Stance.REPORTED]
        if not claims or not independent:
            continue
        killed = estimate([v.fatalities for v in independent])
        injured = estimate([v.injuries for v in independent])
        sources = tuple(sorted({v.source for v in independent}))
        for view in claims:
            ck, ci = point_value(view.fatalities), point_value(view.injuries)
            rows.append(ComparisonRow(
                event_id=event.event_id,
                date=_date_text(event),
                place=_place_text(event),
                claimant=_claimant(view, incidents_by_id.get(view.incident_id)),
                claim_incident_id=view.incident_id,
                claim_source=view.source,
                claimed_killed=view.fatalities,
                claimed_injured=view.injuries,
                claimed_killed_value=ck,
                claimed_injured_value=ci,
                independent_killed=killed,
                independent_injured=injured,
                independent_sources=sources,
                killed_ratio=_ratio(ck, killed),
                injured_ratio=_ratio(ci, injured),
            ))
    rows.sort(key=lambda r: (r.date, r.event_id, r.claim_incident_id))
    return rows


# --------------------------------------------------------------------------
# Writers

CSV_COLUMNS: tuple[str, ...] = (
    "event_id", "date", "place", "claimant", "claim_source", "claim_incident_id",
    "claimed_killed", "claimed_killed_value", "independent_killed_best", "independent_killed_low",
    "independent_killed_high", "killed_ratio",
    "claimed_injured", "claimed_injured_value", "independent_injured_best", "independent_injured_low",
    "independent_injured_high", "injured_ratio", "independent_sources",
)
_TEXT_COLUMNS = frozenset({"event_id", "date", "place", "claimant", "claim_source", "claim_incident_id",
                           "claimed_killed", "claimed_injured", "independent_sources"})


def _fmt_count(c: Count | None) -> str:
    from .export import format_count

    return "" if c is None else format_count(c)


def _fmt_estimate(e: Estimate | None) -> str:
    if e is None or e.best is None:
        return "?"
    return str(e.best) if e.low == e.high else f"{e.best} ({e.low}-{e.high})"


def csv_row(row: ComparisonRow) -> dict[str, Any]:
    """The flat view of one row: column name -> value (None for missing)."""
    out: dict[str, Any] = {
        "event_id": row.event_id, "date": row.date, "place": row.place, "claimant": row.claimant,
        "claim_source": row.claim_source, "claim_incident_id": row.claim_incident_id,
        "claimed_killed": _fmt_count(row.claimed_killed), "claimed_killed_value": row.claimed_killed_value,
        "killed_ratio": row.killed_ratio,
        "claimed_injured": _fmt_count(row.claimed_injured), "claimed_injured_value": row.claimed_injured_value,
        "injured_ratio": row.injured_ratio, "independent_sources": "; ".join(row.independent_sources),
    }
    for kind, est in (("killed", row.independent_killed), ("injured", row.independent_injured)):
        for part in ("best", "low", "high"):
            out[f"independent_{kind}_{part}"] = getattr(est, part) if est else None
    return out


def write_comparison_csv(rows: Iterable[ComparisonRow], out: TextIO) -> int:
    """A header and one line per row; text cells defused against spreadsheet formulas
    (``export.defuse``). Open ``out`` with ``newline=""``. Returns the number of rows."""
    from .export import defuse

    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    n = 0
    for row in rows:
        flat = csv_row(row)
        writer.writerow([
            defuse(_cell(flat[c])) if c in _TEXT_COLUMNS else _cell(flat[c]) for c in CSV_COLUMNS
        ])
        n += 1
    return n


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def write_comparison_json(rows: Sequence[ComparisonRow], out: TextIO) -> int:
    """A JSON array of the rows (``to_dict``); returns the number written."""
    json.dump([r.to_dict() for r in rows], out, ensure_ascii=False, indent=1, allow_nan=False)
    out.write("\n")
    return len(rows)


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def render_comparison_table(rows: Sequence[ComparisonRow], console: Any | None = None, title: str | None = None) -> None:
    """Print the rows as a rich table; every cell is escaped (document text like ``[bold]`` prints as written)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console if console is not None else Console()

    def clean(text: str) -> str:
        return escape(_printable(text))

    table = Table(title=clean(title) if title else None)
    for name, kw in (("date", {"no_wrap": True}), ("place", {}), ("claimant", {}), ("claimed killed", {"justify": "right"}),
                     ("reported killed", {"justify": "right"}), ("ratio", {"justify": "right"}),
                     ("claimed injured", {"justify": "right"}), ("reported injured", {"justify": "right"}),
                     ("independent sources", {})):
        table.add_column(name, **kw)
    for r in rows:
        table.add_row(*(clean(x) for x in (
            r.date or "?", r.place or "?", r.claimant, _fmt_count(r.claimed_killed) or "?", _fmt_estimate(r.independent_killed),
            f"{r.killed_ratio:g}x" if r.killed_ratio is not None else "-", _fmt_count(r.claimed_injured) or "?",
            _fmt_estimate(r.independent_injured), ", ".join(r.independent_sources),
        )))
    console.print(table)
