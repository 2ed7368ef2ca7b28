"""Writers: JSON lines, flat CSV, ACLED and GTD columns, GeoJSON, Parquet, and a rich table.

JSON lines carry the full records (``to_dict``); the CSV is a flat, lossy view
for spreadsheets (lists joined with ``"; "``, text cells defused against
formula injection); the table is for people and escapes all document text.

``acled`` and ``gtd`` write those datasets' columns, in their order, for incidents. Names and
codes come from a versioned crosswalk file per dataset (``data/crosswalk/acled.yaml``,
``gtd.yaml``), validated against our codebooks when loaded. What a crosswalk does not map stays
empty: nothing is guessed. A claim's own figures never fill a figure column (ACLED
``fatalities``, GTD ``nkill``/``nwound``): they go to the notes, marked as claimed.

``geojson`` writes a FeatureCollection of the geocoded records and counts the others;
``parquet`` (the ``parquet`` extra) writes typed columns plus the full record as JSON.
Events (``eventcoder.link``) export as jsonl, csv (a flat event view), geojson and parquet.

:func:`export` is what ``eventcoder export`` calls: filter (:class:`ExportFilter`), then write.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from .errors import ConfigError
from .records import (
    CASUALTY_FIELDS,
    SCHEMA_VERSION,
    Actor,
    Count,
    DatePrecision,
    DateValue,
    Event,
    Incident,
    Location,
    LocationPrecision,
    MaterielEffect,
    Qualifier,
    Rejected,
    Stance,
    to_dict,
)

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
        *(f"{kind}_{end}" for kind in CASUALTY_FIELDS for end in ("low", "high")),
    }
)


def write_jsonl(records: Iterable[Incident | Event | Rejected | dict], out: TextIO) -> int:
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


# --------------------------------------------------------------------------
# Shared helpers for the new writers


def _text_cell(value: Any) -> str:
    """A CSV cell: numbers and booleans as written, text defused against formulas."""
    return defuse(value) if isinstance(value, str) else _cell(value)


def _write_rows(rows: Iterable[dict[str, Any]], columns: Sequence[str], out: TextIO) -> int:
    writer = csv.writer(out)
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow([_text_cell(row.get(name)) for name in columns])
        n += 1
    return n


def _effective_precision(d: DateValue | None) -> DatePrecision | None:
    """The precision a date really has: a day-precision range of several days is a week
    (up to 7 days), a month (up to 31) or a year; None without a start date."""
    if d is None or d.start is None or d.precision is DatePrecision.UNKNOWN:
        return None
    if d.precision is DatePrecision.DAY and d.end is not None and d.end != d.start:
        days = (d.end - d.start).days + 1
        return DatePrecision.WEEK if days <= 7 else DatePrecision.MONTH if days <= 31 else DatePrecision.YEAR
    return d.precision


def _low(c: Count | None) -> int | None:
    """The conservative figure of a count: its low end (None when only an upper bound is known)."""
    return c.low if c is not None else None


# --------------------------------------------------------------------------
# Events: the flat view

EVENT_COLUMNS: tuple[str, ...] = (
    "event_id", "event_type", "sub_event_type", "date_start", "date_end", "date_precision", "place", "admin1",
    "country", "lat", "lon", "location_precision", "fatalities_best", "fatalities_low", "fatalities_high",
    "injuries_best", "injuries_low", "injuries_high", "n_sources", "sources", "claimed", "reported",
    "claimed_by", "incident_ids", "linker",
)


def event_row(ev: Event) -> dict[str, Any]:
    """The flat view of one event: column name -> value (None for missing). Figures are the
    event's estimates (best, low, high across sources, never a sum); ``sources`` lists each
    source once, ``claimed_by`` the groups whose claims are among the sources."""
    d, loc = ev.date, ev.location
    row: dict[str, Any] = {
        "event_id": ev.event_id,
        "event_type": ev.event_type,
        "sub_event_type": ev.sub_event_type,
        "date_start": d.start.isoformat() if d and d.start else None,
        "date_end": d.end.isoformat() if d and d.end else None,
        "date_precision": d.precision.value if d else None,
        "place": (loc.name or loc.text) if loc else None,
        "admin1": loc.admin1 if loc else None,
        "country": loc.country if loc else None,
        "lat": loc.lat if loc else None,
        "lon": loc.lon if loc else None,
        "location_precision": loc.precision.value if loc else None,
        "n_sources": len(ev.sources),
        "sources": _join(dict.fromkeys(s.source for s in ev.sources)),
        "claimed": ev.claimed,
        "reported": ev.reported,
        "claimed_by": _join(dict.fromkeys(s.claimed_by for s in ev.sources if s.claimed_by)),
        "incident_ids": _join(ev.incident_ids),
        "linker": ev.linker or None,
    }
    for kind, est in (("fatalities", ev.fatalities), ("injuries", ev.injuries)):
        for end in ("best", "low", "high"):
            row[f"{kind}_{end}"] = getattr(est, end) if est else None
    return row


def write_event_csv(events: Iterable[Event], out: TextIO) -> int:
    """Write the flat event view (:data:`EVENT_COLUMNS`); returns the number of rows.
    Open ``out`` with ``newline=""``; text cells are defused like :func:`write_csv`'s."""
    return _write_rows((event_row(ev) for ev in events), EVENT_COLUMNS, out)


# --------------------------------------------------------------------------
# Crosswalks: our codebooks -> ACLED / GTD

CROSSWALKS = ("acled", "gtd")

# What each section may hold, per dataset: field -> type. Every section maps our codes to either
# such a mapping or {"unmapped": reason}.
_FIELDS: dict[str, dict[str, dict[str, type | tuple[type, ...]]]] = {
    "acled": {
        "event_types": {"event_type": str, "disorder_type": str},
        "sub_event_types": {"sub_event_type": str},
        "actor_categories": {"inter": int, "label": str},
        "target_categories": {"inter": int, "label": str, "actor": str, "civilian_targeting": str},
        "date_precision": {"time_precision": int},
        "location_precision": {"geo_precision": int},
        "countries": {"country": str, "region": str},
    },
    "gtd": {
        "sub_event_types": {"attacktype": int, "label": str, "success_if_casualties": bool, "ishostkid": int,
                            "property": int},
        "target_categories": {"targtype": int, "label": str},
        "weapon_categories": {"weaptype": int, "label": str, "subtype": str},
        "date_precision": {"parts": list, "approxdate": bool},
        "location_precision": {"specificity": int, "vicinity": int, "city": bool},
        "countries": {"country": int, "country_txt": str, "region": int, "region_txt": str},
    },
}
_REQUIRED: dict[str, dict[str, tuple[str, ...]]] = {
    "acled": {"event_types": ("event_type",), "sub_event_types": ("sub_event_type",),
              "actor_categories": ("inter", "label"), "target_categories": ("inter", "label"),
              "date_precision": ("time_precision",), "location_precision": ("geo_precision",)},
    "gtd": {"sub_event_types": ("attacktype", "label"), "target_categories": ("targtype", "label"),
            "weapon_categories": ("weaptype", "label"), "date_precision": ("parts",),
            "location_precision": ("specificity",)},
}


def crosswalk_domains() -> dict[str, frozenset[str]]:
    """Every code a crosswalk section may name, from our codebooks and record enums:
    event type groups, sub-event types, actor categories, target and weapon categories,
    date and location precisions."""
    from .codebook import load_codebook

    events, actors = load_codebook("event_types"), load_codebook("actors")
    return {
        "event_types": frozenset(g["code"] for g in events.raw.get("groups", [])),
        "sub_event_types": frozenset(events.codes),
        "actor_categories": frozenset(e.get("category") for e in actors.entries if e.get("category")),
        "target_categories": frozenset(load_codebook("targets").codes),
        "weapon_categories": frozenset(load_codebook("weapons").codes),
        "date_precision": frozenset(p.value for p in DatePrecision),
        "location_precision": frozenset(p.value for p in LocationPrecision),
    }


@dataclass(frozen=True)
class Crosswalk:
    """A validated crosswalk: for each section, our code -> the dataset's fields, or None where
    the file lists the code as unmapped (``unmapped`` keeps the reasons)."""

    name: str
    version: str
    dataset: str
    sections: Mapping[str, Mapping[str, Mapping[str, Any] | None]]
    unmapped: Mapping[str, Mapping[str, str]]
    countries: Mapping[str, Mapping[str, Any]]
    path: str

    def get(self, section: str, code: str | None) -> Mapping[str, Any]:
        """The mapping of ``code`` in ``section``; empty when unmapped or not listed."""
        if code is None:
            return {}
        return self.sections.get(section, {}).get(code) or {}

    def missing(self) -> dict[str, set[str]]:
        """Codes of our codebooks that a section lists neither as mapped nor as unmapped."""
        domains = crosswalk_domains()
        return {s: set(domains[s]) - set(codes) for s, codes in self.sections.items() if set(domains[s]) - set(codes)}

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


def _crosswalk_error(where: str, message: str, fix: str) -> ConfigError:
    return ConfigError(f"crosswalk {where}: {message}", fix=fix)


def parse_crosswalk(data: Any, where: str = "<memory>") -> Crosswalk:
    """Validate crosswalk data (as read from YAML) against our codebooks; ConfigError if wrong."""
    if not isinstance(data, dict):
        raise _crosswalk_error(where, "is not a mapping", "start from a packaged crosswalk (data/crosswalk/)")
    name = data.get("name")
    if name not in _FIELDS:
        raise _crosswalk_error(where, f"name {name!r} is not one of {', '.join(_FIELDS)}",
                               fix="set name: acled or name: gtd")
    version = data.get("version")
    if not isinstance(version, str) or not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise _crosswalk_error(where, f"version {version!r} is not MAJOR.MINOR.PATCH", fix="write e.g. version: 1.0.0")
    fields = _FIELDS[name]
    domains = crosswalk_domains()
    sections: dict[str, dict[str, Mapping[str, Any] | None]] = {}
    unmapped: dict[str, dict[str, str]] = {}
    for section in fields:
        if section == "countries":
            continue
        body = data.get(section)
        if not isinstance(body, dict):
            raise _crosswalk_error(where, f"section {section!r} is missing or not a mapping",
                                   fix=f"add {section}: with one line per code of our codebooks")
        sections[section], unmapped[section] = {}, {}
        for code, value in body.items():
            if code not in domains[section]:
                raise _crosswalk_error(
                    where, f"{section} names {code!r}, which is not a code of our codebooks",
                    fix=f"use one of {', '.join(sorted(domains[section]))}, or remove the line")
            if isinstance(value, dict) and set(value) == {"unmapped"} and isinstance(value["unmapped"], str):
                sections[section][code] = None
                unmapped[section][code] = value["unmapped"]
                continue
            sections[section][code] = _checked_fields(where, name, section, code, value)
    countries: dict[str, Mapping[str, Any]] = {}
    for code, value in (data.get("countries") or {}).items():
        if not (isinstance(code, str) and _country(code) is not None):
            raise _crosswalk_error(where, f"countries names {code!r}, which is not an ISO 3166-1 alpha-2 code",
                                   fix="key countries by two-letter codes such as IQ")
        countries[code] = _checked_fields(where, name, "countries", code, value)
    extra = set(data) - set(fields) - {"name", "version", "dataset", "written_for", "description"}
    if extra:
        raise _crosswalk_error(where, f"unknown section(s) {', '.join(sorted(extra))}",
                               fix=f"use only {', '.join(fields)}")
    return Crosswalk(name, version, str(data.get("dataset", name)), sections, unmapped, countries, where)


def _checked_fields(where: str, name: str, section: str, code: str, value: Any) -> dict[str, Any]:
    allowed = _FIELDS[name][section]
    if not isinstance(value, dict) or not value:
        raise _crosswalk_error(where, f"{section}.{code} must be a mapping of {', '.join(allowed)} "
                               "or {unmapped: reason}", fix="map the code or mark it unmapped with a reason")
    for key, item in value.items():
        if key not in allowed:
            raise _crosswalk_error(where, f"{section}.{code} has unknown field {key!r}",
                                   fix=f"use only {', '.join(allowed)}")
        want = allowed[key]
        if not isinstance(item, want) or (want is int and isinstance(item, bool)):
            raise _crosswalk_error(where, f"{section}.{code}.{key} is {item!r}, expected {want.__name__}",
                                   fix="correct the value's type")
    missing = [k for k in _REQUIRED[name].get(section, ()) if k not in value]
    if missing:
        raise _crosswalk_error(where, f"{section}.{code} lacks {', '.join(missing)}",
                               fix="add the field or mark the code {unmapped: reason}")
    if section == "date_precision" and "parts" in value:
        parts = value["parts"]
        if parts not in (["year"], ["year", "month"], ["year", "month", "day"]):
            raise _crosswalk_error(where, f"date_precision.{code}.parts is {parts!r}",
                                   fix="use [year], [year, month] or [year, month, day]")
    return dict(value)


@functools.lru_cache(maxsize=8)
def load_crosswalk(name_or_path: str) -> Crosswalk:
    """Load the packaged crosswalk ``acled`` or ``gtd``, or a crosswalk file by path (cached)."""
    from .datafiles import read_yaml

    data, where = read_yaml(name_or_path, kind="crosswalk", folder=("data", "crosswalk"), packaged=CROSSWALKS)
    return parse_crosswalk(data, where)


def _resolve_crosswalk(crosswalk: Crosswalk | str | None, name: str) -> Crosswalk:
    cw = load_crosswalk(name) if crosswalk is None else (
        load_crosswalk(crosswalk) if isinstance(crosswalk, str) else crosswalk)
    if cw.name != name:
        raise ConfigError(f"crosswalk {cw.path} is for {cw.name}, not {name}", fix=f"pass a {name} crosswalk")
    return cw


def _country(code: str | None) -> Any:
    if not code:
        return None
    import pycountry

    return pycountry.countries.get(alpha_2=code.upper())


def _country_name(code: str | None) -> str | None:
    c = _country(code)
    return (getattr(c, "common_name", None) or c.name) if c else None


def _actor_label(actor: Actor) -> tuple[str, str | None]:
    """An actor's name (the codebook label when the text is one of its aliases) and category."""
    from .codebook import load_codebook

    entry = load_codebook("actors").named(actor.text)
    name = entry.label if entry is not None else actor.text
    return name, actor.category or (entry.get("category") if entry is not None else None)


def _named(inc: Incident) -> list[Actor]:
    return [p for p in inc.perpetrators if not p.generic]


def _figures(inc: Incident) -> list[str]:
    out = []
    for label, c in (("fatalities", inc.fatalities), ("injuries", inc.injuries),
                     ("killed or injured (one combined figure)", inc.killed_or_injured)):
        if c is not None:
            out.append(f"{label} {format_count(c)}")
    return out


def _stance_text(inc: Incident) -> str:
    """``stance: claimed by X; figures as claimed, not independently reported`` for a claim's own
    record; ``stance: reported; X claimed responsibility`` for a report that mentions a claim."""
    who = _actor_label(inc.claimed_by)[0] if inc.claimed_by else None
    if inc.stance is Stance.CLAIMED:
        return f"stance: claimed{' by ' + who if who else ''}; figures as claimed, not independently reported"
    return "stance: reported" + (f"; {who} claimed responsibility" if who else "")


def _claim_notes(inc: Incident) -> list[str]:
    """Sentences for ACLED notes / GTD addnotes: the stance first, then what has no column."""
    parts = [_stance_text(inc)]
    figures = _figures(inc)
    if figures:
        parts.append(("figures as claimed: " if inc.stance is Stance.CLAIMED else "figures: ") + ", ".join(figures))
    generic = [p.text for p in inc.perpetrators if p.generic]
    if generic and not _named(inc):
        parts.append("perpetrator described as: " + _join(generic))
    if inc.materiel:
        parts.append("materiel: " + _join(f"{format_count(m.count)} {m.kind} {m.effect.value}" for m in inc.materiel))
    if inc.date is not None and inc.date.year_inferred:
        parts.append("year inferred from the publication date")
    return parts


# --------------------------------------------------------------------------
# ACLED

ACLED_COLUMNS: tuple[str, ...] = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction", "civilian_targeting",
    "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude", "longitude", "geo_precision",
    "source", "source_scale", "notes", "fatalities", "tags", "timestamp",
)


def acled_row(inc: Incident, crosswalk: Crosswalk | str | None = None) -> dict[str, Any]:
    """One incident in ACLED's columns (None = left empty). See ``data/crosswalk/acled.yaml``.

    ``event_id_cnty`` holds our incident_id (ACLED's own IDs are theirs to give). A date known
    to a week, a month or a range of days is coded to its middle day, as ACLED does. A claim's
    record leaves ``fatalities`` empty: its figures go to ``notes`` as claimed, and ``tags``
    carries ``stance=claimed``.
    """
    cw = _resolve_crosswalk(crosswalk, "acled")
    d, loc = inc.date, inc.location
    precision = _effective_precision(d)
    time_precision = cw.get("date_precision", precision.value if precision else None).get("time_precision")
    group = cw.get("event_types", inc.event_type)
    actors = list(dict((_actor_label(a)) for a in _named(inc)).items())  # name -> category, repeats merged
    actor1 = actors[0] if actors else (None, None)
    inter1 = cw.get("actor_categories", actor1[1]).get("inter")
    country_code = loc.country if loc else None
    country_row = cw.countries.get(country_code.upper(), {}) if country_code else {}
    country_name = country_row.get("country") or _country_name(country_code)
    victims = [cw.get("target_categories", t.category) for t in inc.targets]
    victim = next((v for v in victims if v.get("actor")), {})
    actor2 = (f"{victim['actor']} ({country_name})" if country_name else victim["actor"]) if victim else None
    inter2 = victim.get("inter") if victim else None
    iso = _country(country_code)
    claimed = inc.stance is Stance.CLAIMED
    tags = [f"stance={inc.stance.value}"]
    if inc.claimed_by is not None:
        tags.append(f"claimed by={_actor_label(inc.claimed_by)[0]}")
    if claimed:
        tags.append("figures=as claimed")
    lat, lon = (loc.lat, loc.lon) if loc else (None, None)
    return {
        "event_id_cnty": inc.incident_id,
        "event_date": _acled_date(d, time_precision),
        "year": d.start.year if precision is not None else None,
        "time_precision": time_precision,
        "disorder_type": group.get("disorder_type"),
        "event_type": group.get("event_type"),
        "sub_event_type": cw.get("sub_event_types", inc.sub_event_type).get("sub_event_type"),
        "actor1": actor1[0],
        "assoc_actor_1": _join(name for name, _ in actors[1:]) or None,
        "inter1": inter1,
        "actor2": actor2,
        "assoc_actor_2": None,
        "inter2": inter2,
        "interaction": int(f"{min(inter1, inter2)}{max(inter1, inter2)}") if inter1 and inter2 else None,
        "civilian_targeting": next((v["civilian_targeting"] for v in victims if v.get("civilian_targeting")), None),
        "iso": int(iso.numeric) if iso is not None else None,
        "region": country_row.get("region"),
        "country": country_name,
        "admin1": loc.admin1 if loc else None,
        "admin2": None,
        "admin3": None,
        "location": loc.name if loc else None,
        "latitude": lat if lat is not None and lon is not None else None,
        "longitude": lon if lat is not None and lon is not None else None,
        "geo_precision": cw.get("location_precision", loc.precision.value if loc else None).get("geo_precision"),
        "source": inc.source,
        "source_scale": None,
        "notes": ". ".join(_claim_notes(inc)) + ".",
        "fatalities": None if claimed else _low(inc.fatalities),
        "tags": "; ".join(tags),
        "timestamp": None,
    }


def _acled_date(d: DateValue | None, time_precision: int | None) -> str | None:
    """The day ACLED would code: the day itself, or the middle of a week, month or range."""
    if d is None or d.start is None or time_precision is None:
        return None
    if time_precision == 1 or d.end is None or d.end <= d.start:
        return d.start.isoformat()
    return (d.start + (d.end - d.start) // 2).isoformat()


def write_acled(incidents: Iterable[Incident], out: TextIO, crosswalk: Crosswalk | str | None = None) -> int:
    """Write incidents in ACLED's columns (:data:`ACLED_COLUMNS`); returns the number of rows."""
    cw = _resolve_crosswalk(crosswalk, "acled")
    return _write_rows((acled_row(inc, cw) for inc in incidents), ACLED_COLUMNS, out)


# --------------------------------------------------------------------------
# GTD

_GTD_TARGETS = tuple(
    col for i in (1, 2, 3)
    for col in (f"targtype{i}", f"targtype{i}_txt", f"corp{i}", f"target{i}", f"natlty{i}", f"natlty{i}_txt")
)
_GTD_WEAPONS = tuple(
    col for i in (1, 2, 3, 4)
    for col in (f"weaptype{i}", f"weaptype{i}_txt", f"weapsubtype{i}", f"weapsubtype{i}_txt")
)
GTD_COLUMNS: tuple[str, ...] = (
    "eventid", "iyear", "imonth", "iday", "approxdate", "extended", "resolution", "country", "country_txt",
    "region", "region_txt", "provstate", "city", "latitude", "longitude", "specificity", "vicinity", "location",
    "summary", "crit1", "crit2", "crit3", "doubtterr", "multiple", "success", "suicide", "attacktype1",
    "attacktype1_txt",
    *_GTD_TARGETS,
    "gname", "gname2", "gname3", "guncertain1", "individual", "claimed",
    *_GTD_WEAPONS,
    "weapdetail", "nkill", "nkillter", "nwound", "nwoundte", "property", "ishostkid", "addnotes", "scite1",
    "dbsource", "related",
)


def _gtd_date(d: DateValue | None, cw: Crosswalk) -> dict[str, Any]:
    precision = _effective_precision(d)
    mapping = cw.get("date_precision", precision.value if precision else None)
    if not mapping:
        return {"iyear": None, "imonth": None, "iday": None, "approxdate": None}
    parts = mapping["parts"]
    approx = None
    if mapping.get("approxdate"):
        approx = d.start.isoformat() + (f"..{d.end.isoformat()}" if d.end and d.end != d.start else "")
        approx += f" ({precision.value} known)"
    return {
        "iyear": d.start.year,
        "imonth": d.start.month if "month" in parts else 0,  # GTD writes an unknown month or day as 0
        "iday": d.start.day if "day" in parts else 0,
        "approxdate": approx,
    }


def _gtd_summary(inc: Incident) -> str:
    """A short factual summary: date, type, place, stance (claims marked as such), figures."""
    d, loc = inc.date, inc.location
    when = _format_date(d).rstrip("*") if d and d.start else "date unknown"
    where = (f"{loc.text} ({_format_place(loc)})" if loc.text else _format_place(loc)) if loc else "place unknown"
    parts = [f"{when}: {_type_label(inc.sub_event_type or inc.event_type)}, {where}", *_claim_notes(inc)]
    return ". ".join(parts) + "."


def _type_label(code: str) -> str:
    from .codebook import load_codebook

    book = load_codebook("event_types")
    return book[code].label if code in book else code


def gtd_row(inc: Incident, crosswalk: Crosswalk | str | None = None) -> dict[str, Any]:
    """One incident in the GTD columns :data:`GTD_COLUMNS` (None = left empty); see
    ``data/crosswalk/gtd.yaml``.

    ``eventid`` holds our incident_id. ``claimed`` is 1 when the record is a claim or reports one,
    and empty otherwise (a claim our extractor missed would make 0 wrong). A claim's own record
    leaves ``nkill``/``nwound`` empty and puts its figures in ``summary`` and ``addnotes`` as
    claimed; ``success`` is 1 only where the attack type's success means "it took place" and a
    report (not a claim) gives deaths or injuries.
    """
    cw = _resolve_crosswalk(crosswalk, "gtd")
    loc = inc.location
    claimed = inc.stance is Stance.CLAIMED
    attack = cw.get("sub_event_types", inc.sub_event_type)
    country_code = loc.country.upper() if loc and loc.country else None
    country_row = cw.countries.get(country_code, {}) if country_code else {}
    place = cw.get("location_precision", loc.precision.value if loc else None)
    lat, lon = (loc.lat, loc.lon) if loc else (None, None)
    geocoded = lat is not None and lon is not None
    casualties = any((c is not None and c.low is not None and c.low > 0)
                     for c in (inc.fatalities, inc.injuries, inc.killed_or_injured))
    named = _named(inc)
    groups = [_actor_label(a)[0] for a in named]
    if not groups and inc.claimed_by is not None:
        groups = [_actor_label(inc.claimed_by)[0]]
    groups = list(dict.fromkeys(groups))
    # materiel a report (not a claim) says was destroyed or disabled is property damage
    property_damage = bool(attack.get("property")) or (not claimed and any(
        m.effect in (MaterielEffect.DESTROYED, MaterielEffect.DISABLED) for m in inc.materiel))
    row: dict[str, Any] = {
        "eventid": inc.incident_id,
        **_gtd_date(inc.date, cw),
        "extended": None,
        "resolution": None,
        "country": country_row.get("country"),
        "country_txt": country_row.get("country_txt") or _country_name(country_code),
        "region": country_row.get("region"),
        "region_txt": country_row.get("region_txt"),
        "provstate": loc.admin1 if loc else None,
        "city": loc.name if loc and place.get("city") else None,
        "latitude": lat if geocoded else None,
        "longitude": lon if geocoded else None,
        "specificity": place.get("specificity"),
        "vicinity": place.get("vicinity"),
        "location": loc.text if loc else None,
        "summary": _gtd_summary(inc),
        "crit1": None, "crit2": None, "crit3": None, "doubtterr": None, "multiple": None,
        "success": 1 if attack.get("success_if_casualties") and casualties and not claimed else None,
        "suicide": 1 if inc.suicide else 0,
        "attacktype1": attack.get("attacktype"),
        "attacktype1_txt": attack.get("label"),
        # GTD writes "Unknown" when no group is known
        "gname": groups[0] if groups else "Unknown",
        "gname2": groups[1] if len(groups) > 1 else None,
        "gname3": groups[2] if len(groups) > 2 else None,
        "guncertain1": None,
        "individual": None,
        "claimed": 1 if claimed or inc.claimed_by is not None else None,
        "weapdetail": _join(w.text for w in inc.weapons) or None,
        "nkill": None if claimed else _low(inc.fatalities),
        "nkillter": None,
        "nwound": None if claimed else _low(inc.injuries),
        "nwoundte": None,
        "property": 1 if property_damage else None,
        "ishostkid": attack.get("ishostkid"),
        "addnotes": ". ".join(_claim_notes(inc)) + ".",
        "scite1": inc.source,
        "dbsource": "eventcoder" + (f" {inc.coding.extractor}" if inc.coding else ""),
        "related": None,
    }
    for i in (1, 2, 3):
        t = inc.targets[i - 1] if len(inc.targets) >= i else None
        m = cw.get("target_categories", t.category) if t else {}
        row.update({f"targtype{i}": m.get("targtype"), f"targtype{i}_txt": m.get("label"), f"corp{i}": None,
                    f"target{i}": t.text if t else None, f"natlty{i}": None, f"natlty{i}_txt": None})
    for i in (1, 2, 3, 4):
        w = inc.weapons[i - 1] if len(inc.weapons) >= i else None
        m = cw.get("weapon_categories", w.category) if w else {}
        row.update({f"weaptype{i}": m.get("weaptype"), f"weaptype{i}_txt": m.get("label"),
                    f"weapsubtype{i}": None, f"weapsubtype{i}_txt": m.get("subtype")})
    return row


def write_gtd(incidents: Iterable[Incident], out: TextIO, crosswalk: Crosswalk | str | None = None) -> int:
    """Write incidents in the GTD columns (:data:`GTD_COLUMNS`); returns the number of rows."""
    cw = _resolve_crosswalk(crosswalk, "gtd")
    return _write_rows((gtd_row(inc, cw) for inc in incidents), GTD_COLUMNS, out)


# --------------------------------------------------------------------------
# GeoJSON


def _coordinates(record: Incident | Event) -> tuple[float, float] | None:
    loc = record.location
    if loc is None or loc.lat is None or loc.lon is None:
        return None
    lat, lon = float(loc.lat), float(loc.lon)
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _flat(record: Incident | Event) -> dict[str, Any]:
    if isinstance(record, Event):
        return event_row(record)
    if isinstance(record, Incident):
        return flat_row(record)
    raise TypeError(f"cannot export {type(record).__name__}; pass Incident or Event records")


def write_geojson(records: Iterable[Incident | Event], out: TextIO) -> tuple[int, int]:
    """Write a GeoJSON FeatureCollection of Point features, one per geocoded record
    (coordinates ``[lon, lat]``; properties: the flat view, precision included).
    Returns ``(written, skipped)``: records without usable coordinates are counted, not written."""
    out.write('{"type":"FeatureCollection","features":[')
    written = skipped = 0
    for record in records:
        props = _flat(record)
        point = _coordinates(record)
        if point is None:
            skipped += 1
            continue
        feature = {
            "type": "Feature",
            "id": props.get("incident_id") or props.get("event_id"),
            "geometry": {"type": "Point", "coordinates": [point[1], point[0]]},
            "properties": props,
        }
        out.write(("," if written else "") + "\n" + json.dumps(feature, ensure_ascii=False, allow_nan=False))
        written += 1
    out.write("\n]}\n")
    return written, skipped


# --------------------------------------------------------------------------
# Parquet


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise ConfigError("the parquet format needs pyarrow, which is not installed",
                          fix="pip install 'eventcoder[parquet]'") from None
    return pyarrow


_INCIDENT_TYPES: dict[str, str] = {
    **{name: "string" for name in FLAT_COLUMNS},
    "date_start": "date", "date_end": "date", "lat": "float", "lon": "float", "confidence": "float",
    "suicide": "bool", "date_year_inferred": "bool",
    **{f"{kind}_{end}": "int" for kind in CASUALTY_FIELDS for end in ("low", "high")},
}
_EVENT_TYPES: dict[str, str] = {
    **{name: "string" for name in EVENT_COLUMNS},
    "date_start": "date", "date_end": "date", "lat": "float", "lon": "float", "n_sources": "int32",
    "claimed": "bool", "reported": "bool",
    **{f"{kind}_{end}": "int" for kind in ("fatalities", "injuries") for end in ("best", "low", "high")},
}


def parquet_schema(kind: str = "incidents") -> Any:
    """The Arrow schema of a Parquet export: the flat view's columns typed (dates date32,
    counts int64, lat/lon float64, booleans), then ``record``: the full record as JSON."""
    pa = _pyarrow()
    types = {"string": pa.string(), "date": pa.date32(), "float": pa.float64(), "bool": pa.bool_(),
             "int": pa.int64(), "int32": pa.int32()}
    columns = {"incidents": (FLAT_COLUMNS, _INCIDENT_TYPES), "events": (EVENT_COLUMNS, _EVENT_TYPES)}
    if kind not in columns:
        raise ConfigError(f"unknown record kind {kind!r}", fix="use incidents or events")
    names, kinds = columns[kind]
    fields = [pa.field(name, types[kinds[name]]) for name in names]
    fields.append(pa.field("record", pa.string(), nullable=False))
    metadata = {"eventcoder.kind": kind, "eventcoder.schema_version": SCHEMA_VERSION}
    return pa.schema(fields, metadata=metadata)


def _parquet_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "string":
        return value if isinstance(value, str) else _cell(value)
    return value


def write_parquet(records: Iterable[Incident | Event], out: str | Path | BinaryIO, kind: str = "incidents",
                  batch_size: int = 10_000) -> int:
    """Write records (all incidents, or all events: ``kind``) to a Parquet file at ``out``
    (a path or a binary file); returns the number of rows. Needs ``pyarrow``."""
    pa = _pyarrow()
    import pyarrow.parquet as pq

    schema = parquet_schema(kind)
    want = Event if kind == "events" else Incident
    types = _EVENT_TYPES if kind == "events" else _INCIDENT_TYPES
    names = [f.name for f in schema if f.name != "record"]
    n = 0
    with pq.ParquetWriter(out, schema) as writer:
        batch: dict[str, list[Any]] = {f.name: [] for f in schema}

        def flush() -> None:
            if batch["record"]:
                writer.write_table(pa.Table.from_pydict(batch, schema=schema))
                for values in batch.values():
                    values.clear()

        for record in records:
            if not isinstance(record, want):
                raise TypeError(f"write_parquet(kind={kind!r}) got a {type(record).__name__}")
            row = _flat(record)
            for name in names:
                batch[name].append(_parquet_value(types[name], row[name]))
            batch["record"].append(json.dumps(to_dict(record), ensure_ascii=False, allow_nan=False,
                                              separators=(",", ":")))
            n += 1
            if len(batch["record"]) >= batch_size:
                flush()
        flush()
    return n


# --------------------------------------------------------------------------
# Filters

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_date(option: str, value: str | dt.date | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} {value!r} is not a date", fix=f"write {option} as YYYY-MM-DD, e.g. 2024-03-05") from None


@dataclass(frozen=True)
class ExportFilter:
    """Which records to export. Empty fields select everything.

    - ``since``/``until``: keep records whose date range overlaps ``[since, until]``; records
      without a date are left out when either is set.
    - ``countries``: ISO 3166-1 alpha-2 codes of the location's country.
    - ``types``: event type groups or sub-event types (``explosions_remote_violence``, ``suicide_bomb``).
    - ``stance``: incidents of that stance; events with at least one member of that stance.
    - ``source``: source name (case-insensitive); an event matches if any of its sources does.
    - ``min_confidence``: incidents only (events have no confidence).
    """

    since: dt.date | None = None
    until: dt.date | None = None
    countries: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    stance: Stance | None = None
    source: str | None = None
    min_confidence: float | None = None

    @classmethod
    def parse(
        cls,
        since: str | dt.date | None = None,
        until: str | dt.date | None = None,
        countries: Iterable[str] = (),
        types: Iterable[str] = (),
        stance: str | Stance | None = None,
        source: str | None = None,
        min_confidence: float | str | None = None,
    ) -> "ExportFilter":
        """Build a filter from option values, with errors that name the option at fault."""
        start, end = _parse_date("--since", since), _parse_date("--until", until)
        if start and end and start > end:
            raise ConfigError(f"--since {start} is after --until {end}", fix="swap the two dates")
        codes = set()
        for c in countries:
            code = str(c).strip().upper()
            if _country(code) is None or len(code) != 2:
                raise ConfigError(f"--country {c!r} is not an ISO 3166-1 alpha-2 code",
                                  fix="pass a two-letter country code such as IQ or SY")
            codes.add(code)
        known = crosswalk_domains()
        known_types = known["event_types"] | known["sub_event_types"]
        kinds = set()
        for t in types:
            code = str(t).strip().lower()
            if code not in known_types:
                raise ConfigError(f"--type {t!r} is not an event type or sub-event type",
                                  fix="use one of " + ", ".join(sorted(known_types)))
            kinds.add(code)
        if stance is not None and not isinstance(stance, Stance):
            try:
                stance = Stance(str(stance).strip().lower())
            except ValueError:
                raise ConfigError(f"--stance {stance!r} is not a stance",
                                  fix="use --stance reported or --stance claimed") from None
        if min_confidence is not None:
            try:
                min_confidence = float(min_confidence)
            except ValueError:
                raise ConfigError(f"--min-confidence {min_confidence!r} is not a number",
                                  fix="pass a number from 0 to 1, e.g. 0.5") from None
            if not 0.0 <= min_confidence <= 1.0:
                raise ConfigError(f"--min-confidence {min_confidence} is outside 0..1",
                                  fix="pass a number from 0 to 1, e.g. 0.5")
        if source is not None and not source.strip():
            raise ConfigError("--source is empty", fix="pass a source name, e.g. --source reuters")
        return cls(start, end, frozenset(codes), frozenset(kinds), stance,
                   source.strip() if source else None, min_confidence)

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) not in (None, frozenset()) for f in dataclasses.fields(self))

    def matches(self, record: Incident | Event) -> bool:
        d = record.date
        if self.since or self.until:
            if d is None or d.start is None:
                return False
            end = d.end or d.start
            if (self.since and end < self.since) or (self.until and d.start > self.until):
                return False
        if self.countries:
            country = record.location.country if record.location else None
            if not country or country.upper() not in self.countries:
                return False
        if self.types and record.event_type not in self.types and record.sub_event_type not in self.types:
            return False
        if isinstance(record, Event):
            if self.stance is Stance.CLAIMED and not record.claimed:
                return False
            if self.stance is Stance.REPORTED and not record.reported:
                return False
            if self.source and all(s.source.lower() != self.source.lower() for s in record.sources):
                return False
            if self.min_confidence is not None:
                raise ConfigError("--min-confidence applies to incidents, not events",
                                  fix="drop --min-confidence or export --incidents")
            return True
        if self.stance is not None and record.stance is not self.stance:
            return False
        if self.source and record.source.lower() != self.source.lower():
            return False
        if self.min_confidence is not None and record.confidence < self.min_confidence:
            return False
        return True


# --------------------------------------------------------------------------
# export(): what `eventcoder export` calls

EXPORT_FORMATS: tuple[str, ...] = ("jsonl", "csv", "acled", "gtd", "geojson", "parquet")
EVENT_FORMATS: tuple[str, ...] = ("jsonl", "csv", "geojson", "parquet")


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: ``written`` records; ``skipped`` records without coordinates
    (geojson only); ``filtered_out`` records the filter left out."""

    kind: str  # incidents | events
    format: str
    written: int
    skipped: int = 0
    filtered_out: int = 0


def check_export(fmt: str, events: bool = False, where: ExportFilter | None = None) -> None:
    """Fail before any work when the format, the record kind and the filter do not go together."""
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}", fix="use one of " + ", ".join(EXPORT_FORMATS))
    if events and fmt not in EVENT_FORMATS:
        raise ConfigError(
            f"the {fmt} format writes incidents, one source's record per row; it has no event form",
            fix=f"export --incidents --format {fmt}, or events as " + ", ".join(EVENT_FORMATS))
    if events and where is not None and where.min_confidence is not None:
        raise ConfigError("--min-confidence applies to incidents, not events",
                          fix="drop --min-confidence or export --incidents")


class _Counter:
    def __init__(self, records: Iterable[Any], where: ExportFilter):
        self.records, self.where, self.out = records, where, 0

    def __iter__(self) -> Iterator[Any]:
        for record in self.records:
            if self.where.matches(record):
                yield record
            else:
                self.out += 1


def export(
    store: Any,
    fmt: str,
    out: TextIO | BinaryIO | str | Path,
    *,
    events: bool = False,
    where: ExportFilter | None = None,
    crosswalk: Crosswalk | str | None = None,
) -> ExportResult:
    """Export the incidents (or, with ``events``, the events) of ``store`` as ``fmt``.

    ``store`` is a :class:`eventcoder.store.Store` or any object with ``incidents()`` and
    ``events()``. ``out`` is a path, or an open stream: text for every format but parquet,
    binary for parquet. Configuration is checked before anything is read or written.
    """
    where = where or ExportFilter()
    check_export(fmt, events, where)
    if events and not callable(getattr(store, "events", None)):
        raise ConfigError("this store cannot list events", fix="run `eventcoder link` with a current eventcoder first")
    if fmt == "parquet" and not isinstance(out, (str, Path)) and _is_text(out):
        raise ConfigError("parquet is binary and cannot go to a text stream", fix="pass --out FILE.parquet")
    # load and validate what the format needs before opening anything
    cw = _resolve_crosswalk(crosswalk, fmt) if fmt in CROSSWALKS else None
    if fmt == "parquet":
        _pyarrow()
    kind = "events" if events else "incidents"
    if isinstance(out, (str, Path)):
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            return _export(store, fmt, str(path), kind, where, cw)
        with open(path, "w", encoding="utf-8", newline="") as fh:
            return _export(store, fmt, fh, kind, where, cw)
    return _export(store, fmt, out, kind, where, cw)


def _is_text(stream: Any) -> bool:
    return isinstance(stream, io.TextIOBase) or hasattr(stream, "encoding")


def _export(store: Any, fmt: str, out: Any, kind: str, where: ExportFilter, cw: Crosswalk | None) -> ExportResult:
    source = store.events() if kind == "events" else store.incidents()
    records = _Counter(source, where)
    skipped = 0
    if fmt == "jsonl":
        n = write_jsonl(records, out)
    elif fmt == "csv":
        n = write_event_csv(records, out) if kind == "events" else write_csv(records, out)
    elif fmt == "acled":
        n = write_acled(records, out, cw)
    elif fmt == "gtd":
        n = write_gtd(records, out, cw)
    elif fmt == "geojson":
        n, skipped = write_geojson(records, out)
    else:
        n = write_parquet(records, out, kind)
    return ExportResult(kind, fmt, n, skipped, records.out)
