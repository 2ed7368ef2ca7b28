"""Writers: JSON lines, a flat CSV, and a rich table for the terminal.

JSON lines carry the full records (``to_dict``); the CSV is a flat, lossy view
for spreadsheets (lists joined with ``"; "``, text cells defused against
formula injection); the table is for people and escapes all document text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TextIO

from .errors import ConfigError
from .records import Count, DatePrecision, DateValue, Incident, Location, Qualifier, Rejected, Stance, to_dict

# Cells starting with one of these are read as formulas by spreadsheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

FLAT_COLUMNS: tuple[str, ...] = (
    "incident_id", "doc_id", "source", "source_kind", "stance", "claimed_by", "event_type",
    "sub_event_type", "date_start", "date_end", "date_precision", "date_calendar", "location_text",
    "location_name", "admin1", "country", "lat", "lon", "location_precision", "perpetrators", "targets",
    "target_categories", "weapons", "weapon_categories", "suicide", "fatalities_low", "fatalities_high",
    "fatalities_qualifier", "injuries_low", "injuries_high", "injuries_qualifier", "killed_or_injured_low",
    "killed_or_injured_high", "killed_or_injured_qualifier", "materiel", "confidence",
    # provenance, kept with the data
    "date_year_inferred", "codebook", "codebook_version", "extractor",
)
COLUMN_SETS = {"flat": FLAT_COLUMNS}
# Columns whose values are numbers or booleans we produce: never defused (a -33.9 latitude stays a number).
_NUMERIC_COLUMNS = frozenset(
    {
        "lat", "lon", "suicide", "confidence", "date_year_inferred",
        *(f"{kind}_{end}" for kind in ("fatalities", "injuries", "killed_or_injured") for end in ("low", "high")),
    }
)


def write_jsonl(records: Iterable[Incident | Rejected | dict], out: TextIO) -> int:
    """Write one JSON object per line (records via ``to_dict``); returns the number written."""
    n = 0
    for record in records:
        data = record if isinstance(record, dict) else to_dict(record)
        out.write(json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n")
        n += 1
    return n


def write_csv(incidents: Iterable[Incident], out: TextIO, columns: str = "flat") -> int:
    """Write a header and one row per incident; returns the number of rows (header excluded).

    Open ``out`` with ``newline=""``. Text cells starting with ``= + - @`` (or tab/CR)
    get a leading apostrophe so spreadsheets do not run them as formulas.
    """
    if columns not in COLUMN_SETS:
        raise ConfigError(f"unknown CSV column set {columns!r}", fix="use one of: " + ", ".join(COLUMN_SETS))
    names = COLUMN_SETS[columns]
    writer = csv.writer(out)
    writer.writerow(names)
    n = 0
    for inc in incidents:
        row = flat_row(inc)
        writer.writerow(
            [_cell(row[name]) if name in _NUMERIC_COLUMNS else defuse(_cell(row[name])) for name in names]
        )
        n += 1
    return n


def defuse(text: str) -> str:
    """Prefix an apostrophe to a text cell a spreadsheet would read as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _join(values: Iterable[str | None]) -> str:
    return "; ".join(v for v in values if v)


def flat_row(inc: Incident) -> dict[str, Any]:
    """The flat view of one incident: column name -> value (None for missing)."""
    d, loc, coding = inc.date, inc.location, inc.coding
    row: dict[str, Any] = {
        "incident_id": inc.incident_id,
        "doc_id": inc.doc_id,
        "source": inc.source,
        "source_kind": inc.source_kind.value,
        "stance": inc.stance.value,
        "claimed_by": inc.claimed_by.text if inc.claimed_by else None,
        "event_type": inc.event_type,
        "sub_event_type": inc.sub_event_type,
        "date_start": d.start.isoformat() if d and d.start else None,
        "date_end": d.end.isoformat() if d and d.end else None,
        "date_precision": d.precision.value if d else None,
        "date_calendar": d.calendar.value if d else None,
        "date_year_inferred": d.year_inferred if d else None,
        "location_text": loc.text if loc else None,
        "location_name": loc.name if loc else None,
        "admin1": loc.admin1 if loc else None,
        "country": loc.country if loc else None,
        "lat": loc.lat if loc else None,
        "lon": loc.lon if loc else None,
        "location_precision": loc.precision.value if loc else None,
        "perpetrators": _join(a.text for a in inc.perpetrators),
        "targets": _join(t.text for t in inc.targets),
        "target_categories": _join(t.category for t in inc.targets),
        "weapons": _join(w.text for w in inc.weapons),
        "weapon_categories": _join(w.category for w in inc.weapons),
        "suicide": inc.suicide,
        "materiel": _join(f"{format_count(m.count)} {m.kind} {m.effect.value}" for m in inc.materiel),
        "confidence": inc.confidence,
        "codebook": coding.codebook if coding else None,
        "codebook_version": coding.codebook_version if coding else None,
        "extractor": coding.extractor if coding else None,
    }
    for kind, count in (
        ("fatalities", inc.fatalities),
        ("injuries", inc.injuries),
        ("killed_or_injured", inc.killed_or_injured),
    ):
        row[f"{kind}_low"] = count.low if count else None
        row[f"{kind}_high"] = count.high if count else None
        row[f"{kind}_qualifier"] = count.qualifier.value if count else None
    return row


# --------------------------------------------------------------------------
# The terminal table


def format_count(c: Count | None) -> str:
    """A count for people: ``7``, ``10-15``, ``>14``, ``≥5``, ``~35``, ``≤10``; ``?`` when unknown."""
    if c is None or (c.low is None and c.high is None):
        return "?"
    low, high, q = c.low, c.high, c.qualifier
    if q is Qualifier.MORE_THAN:
        return f">{low if low is not None else high}"
    if q is Qualifier.AT_LEAST:
        return f"≥{low if low is not None else high}"
    if low is None:
        core = f"≤{high}"
    elif high is None or high == low:
        core = str(low)
    else:
        core = f"{low}-{high}"
    return "~" + core if q is Qualifier.APPROXIMATELY else core


def _format_date(d: DateValue | None) -> str:
    if d is None or d.start is None:
        return "?"
    start, end = d.start, d.end
    if d.precision is DatePrecision.YEAR:
        text = f"{start.year:04d}"
    elif d.precision is DatePrecision.MONTH:
        text = f"{start.year:04d}-{start.month:02d}"
    elif end is not None and end != start:
        text = f"{start.isoformat()}..{end.isoformat()}"
    else:
        text = start.isoformat()
    return text + "*" if d.year_inferred else text


def _format_place(loc: Location | None) -> str:
    if loc is None:
        return "?"
    parts = [p for p in (loc.name or loc.text, loc.admin1, loc.country) if p]
    # drop repeats ("Baghdad, Baghdad, IQ" -> "Baghdad, IQ")
    parts = [p for i, p in enumerate(parts) if p not in parts[:i]]
    return ", ".join(parts) if parts else (loc.text or "?")


def _printable(text: str) -> str:
    """Escape control characters (ANSI escapes in document text must not reach the terminal)."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def render_table(
    incidents: Sequence[Incident],
    console: Any | None = None,
    title: str | None = None,
) -> None:
    """Print incidents as a rich table. Every cell is markup-escaped, so document text such
    as ``[bold]`` prints as written. A "killed or injured" column appears when any incident
    has a combined count."""
    from rich.console import Console  # imported on first use
    from rich.markup import escape
    from rich.table import Table

    console = console if console is not None else Console()

    def clean(text: str) -> str:
        return escape(_printable(text))

    columns: list[tuple[str, Callable[[Incident], str], dict[str, Any]]] = [
        ("date", lambda i: _format_date(i.date), {"no_wrap": True}),
        ("place", lambda i: _format_place(i.location), {}),
        ("type", lambda i: i.sub_event_type or i.event_type or "?", {}),
        ("perpetrator", lambda i: _join(a.text for a in i.main_perpetrators) or "?", {}),
        ("killed", lambda i: format_count(i.fatalities), {"justify": "right"}),
        ("injured", lambda i: format_count(i.injuries), {"justify": "right"}),
    ]
    if any(i.killed_or_injured is not None for i in incidents):
        columns.append(("killed or injured", lambda i: format_count(i.killed_or_injured), {"justify": "right"}))
    columns.append(("stance", _format_stance, {}))

    table = Table(title=clean(title) if title else None)
    for name, _, kwargs in columns:
        table.add_column(name, **kwargs)
    for inc in incidents:
        table.add_row(*(clean(get(inc)) for _, get, _ in columns))
    console.print(table)


def _format_stance(inc: Incident) -> str:
    """``claimed by X`` for a claim's own records; ``reported; claimed by X`` when a report
    says that a group claimed the act."""
    if inc.claimed_by is None:
        return inc.stance.value
    if inc.stance is Stance.CLAIMED:
        return f"claimed by {inc.claimed_by.text}"
    return f"{inc.stance.value}; claimed by {inc.claimed_by.text}"
