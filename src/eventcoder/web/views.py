"""What the review pages show, as plain data: filters, table rows, counts, map points and the
evidence segments of a document. No web framework here; :mod:`.app` renders these with
autoescaping templates, so every string below is text, never markup."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ..errors import ConfigError
from ..export import ExportFilter, _format_date, _format_place, _format_stance, format_count
from ..records import CASUALTY_FIELDS, Count, Estimate, Event, Incident, Span, Stance, to_dict

VIEWS = ("incidents", "events")
# the filter form's inputs, in order (GET parameters: a filter is a URL)
FILTER_NAMES = ("since", "until", "country", "admin1", "type", "stance", "source", "min_confidence", "reviewed")
SORT_KEYS = ("date", "place", "type", "perpetrator", "killed", "injured", "stance", "source", "confidence", "review")
COLUMNS = (
    ("date", "date"), ("place", "place"), ("type", "type"), ("perpetrator", "perpetrator"), ("killed", "killed"),
    ("injured", "injured"), ("stance", "stance"), ("source", "source"), ("confidence", "confidence"),
    ("review", "review"),
)
PAGE_SIZE = 200  # table rows per page; the counts, map and timeline cover every filtered record
REVIEW_STATES = ("approved", "rejected", "unreviewed")
REVIEWED = frozenset({"approved", "rejected"})
# radius in metres drawn for a place known only roughly (app.js draws a circle, not a pin)
PRECISION_RADIUS_M = {"near": 10_000, "admin1": 50_000}


# --------------------------------------------------------------------------
# Filters


@dataclass(frozen=True)
class Query:
    """One table request: which view, the filter, the sort, the page of the table. ``params`` are
    the non-empty filter values as given (to rebuild URLs: sort links, export links)."""

    view: str = "incidents"
    where: ExportFilter = ExportFilter()
    admin1: str | None = None
    reviewed: bool | None = None
    sort: str = "date"
    order: str = "asc"
    params: Mapping[str, str] = field(default_factory=dict)
    page: int = 1

    def url(self, path: str = "/", **changes: str) -> str:
        """``path`` with this query's view, filters and sort, with ``changes`` applied."""
        data: dict[str, str] = {}
        if self.view != "incidents":
            data["view"] = self.view
        data.update(self.params)
        if (self.sort, self.order) != ("date", "asc"):
            data.update(sort=self.sort, order=self.order)
        data.update(changes)
        data = {k: v for k, v in data.items() if v}
        return path + ("?" + urlencode(data) if data else "")

    def page_url(self, page: int) -> str:
        """This table at page ``page`` (a new filter or sort starts again at page 1)."""
        return self.url(page=str(page) if page > 1 else "")

    def sort_url(self, key: str) -> str:
        order = "desc" if key == self.sort and self.order == "asc" else "asc"
        return self.url(sort=key, order=order)

    def export_url(self, fmt: str) -> str:
        data = {"format": fmt}
        if self.view != "incidents":
            data["view"] = self.view
        data.update(self.params)
        return "/export?" + urlencode(data)


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\s]+", value) if part.strip()]


def _web_names(message: str) -> str:
    # ExportFilter names CLI options (--min-confidence); the page's inputs are min_confidence
    return re.sub(r"--([a-z][a-z-]*)", lambda m: m.group(1).replace("-", "_"), message)


def parse_query(params: Mapping[str, str]) -> Query:
    """A :class:`Query` from GET parameters. Bad values raise :class:`ConfigError` whose message
    names the input at fault."""
    given = {name: str(params.get(name) or "").strip() for name in FILTER_NAMES}
    given = {k: v for k, v in given.items() if v}
    view = str(params.get("view") or "incidents").strip()
    if view not in VIEWS:
        raise ConfigError(f"view {view!r} is not a view", fix="use view=incidents or view=events")
    sort = str(params.get("sort") or "date").strip()
    if sort not in SORT_KEYS:
        raise ConfigError(f"sort {sort!r} is not a column", fix="sort by one of " + ", ".join(SORT_KEYS))
    order = str(params.get("order") or "asc").strip()
    if order not in ("asc", "desc"):
        raise ConfigError(f"order {order!r} is not an order", fix="use order=asc or order=desc")
    page_text = str(params.get("page") or "1").strip()
    if not page_text.isdigit() or not 1 <= int(page_text) <= 10**9:
        raise ConfigError(f"page {page_text!r} is not a page number", fix="use page=1 or a higher whole number")
    reviewed = given.get("reviewed")
    if reviewed not in (None, "yes", "no"):
        raise ConfigError(f"reviewed {reviewed!r} is not yes or no", fix="choose reviewed yes, no, or leave it empty")
    try:
        where = ExportFilter.parse(
            since=given.get("since"), until=given.get("until"),
            countries=_split(given.get("country", "")), types=_split(given.get("type", "")),
            stance=given.get("stance"), source=given.get("source"), min_confidence=given.get("min_confidence"),
        )
    except ConfigError as exc:
        raise ConfigError(_web_names(exc.message), fix=_web_names(exc.fix or "")) from None
    if view == "events" and where.min_confidence is not None:
        raise ConfigError("min_confidence applies to incidents, not events",
                          fix="clear min_confidence or switch to the incidents view")
    return Query(view, where, given.get("admin1"), None if reviewed is None else reviewed == "yes", sort, order,
                 given, int(page_text))


# --------------------------------------------------------------------------
# Review state of incidents and events


@dataclass(frozen=True)
class ReviewState:
    """The store's review marks, read once per request."""

    reviews: Mapping[str, str]  # incident_id -> approved | rejected | unreviewed
    corrected: frozenset[str]

    def incident(self, incident_id: str) -> str:
        return self.reviews.get(incident_id) or "unreviewed"

    def event(self, event: Event) -> str:
        """approved/rejected when every member is; "partly reviewed" when some are; else unreviewed."""
        states = {self.incident(i) for i in event.incident_ids}
        if len(states) == 1:
            return states.pop()
        return "partly reviewed" if states & REVIEWED else "unreviewed"

    def reviewed(self, record: Incident | Event) -> bool:
        """An incident approved or rejected; an event with at least one such member."""
        ids = record.incident_ids if isinstance(record, Event) else (record.incident_id,)
        return any(self.incident(i) in REVIEWED for i in ids)

    def is_corrected(self, record: Incident | Event) -> bool:
        ids = record.incident_ids if isinstance(record, Event) else (record.incident_id,)
        return any(i in self.corrected for i in ids)


def keep(query: Query, state: ReviewState, record: Incident | Event) -> bool:
    """Whether ``record`` passes the whole filter (ExportFilter, admin1, reviewed)."""
    if not query.where.matches(record):
        return False
    if query.admin1:
        admin1 = record.location.admin1 if record.location else None
        if not admin1 or admin1.casefold() != query.admin1.casefold():
            return False
    if query.reviewed is not None and state.reviewed(record) != query.reviewed:
        return False
    return True


# --------------------------------------------------------------------------
# Table rows


def _num(c: Count | None) -> int | None:
    if c is None:
        return None
    return c.low if c.low is not None else c.high


def _estimate_text(e: Estimate | None) -> str:
    if e is None or e.best is None:
        return "?"
    return str(e.best) if e.low == e.high else f"{e.best} ({e.low}-{e.high})"


def _event_date_text(ev: Event) -> str:
    d = ev.date
    if d is None or d.start is None:
        return "?"
    return d.start.isoformat() if d.end in (None, d.start) else f"{d.start.isoformat()}..{d.end.isoformat()}"


@dataclass(frozen=True)
class Row:
    """One table row; ``sort`` holds comparable values per sort key (None sorts last)."""

    id: str
    url: str
    kind: str  # incident | event
    cells: Mapping[str, str]
    review: str
    corrected: bool
    claimed: bool
    sort: Mapping[str, Any]
    point: Mapping[str, Any]
    doc_url: str | None = None

    @property
    def classes(self) -> str:
        names = ["record"]
        if self.corrected:
            names.append("corrected")
        if self.review in REVIEWED:
            names.append(self.review)
        return " ".join(names)


def _label(date: str, kind: str, place: str) -> str:
    return " · ".join(x for x in (date, kind, place) if x and x != "?") or "?"


def _point(record_id: str, url: str, kind: str, event_type: str, date: Any, location: Any,
           fatalities: int | None, label: str) -> dict[str, Any]:
    loc = location
    return {
        "id": record_id, "url": url, "type": kind, "event_type": event_type,
        "date": date.start.isoformat() if date is not None and date.start is not None else None,
        "lat": loc.lat if loc is not None else None, "lon": loc.lon if loc is not None else None,
        "precision": loc.precision.value if loc is not None else None,
        "radius_m": PRECISION_RADIUS_M.get(loc.precision.value) if loc is not None else None,
        "fatalities": fatalities, "label": label,
    }


def incident_row(inc: Incident, state: ReviewState) -> Row:
    date, place = _format_date(inc.date), _format_place(inc.location)
    kind = inc.sub_event_type or inc.event_type or "?"
    perpetrator = "; ".join(a.text for a in inc.main_perpetrators) or "?"
    url = f"/incidents/{inc.incident_id}"
    review = state.incident(inc.incident_id)
    cells = {
        "date": date, "place": place, "type": kind, "perpetrator": perpetrator,
        "killed": format_count(inc.fatalities), "injured": format_count(inc.injuries),
        "stance": _format_stance(inc), "source": inc.source, "confidence": f"{inc.confidence:.2f}",
        "review": review,
    }
    d = inc.date
    sort = {
        "date": d.start.isoformat() if d and d.start else None, "place": place.casefold(), "type": kind,
        "perpetrator": perpetrator.casefold(), "killed": _num(inc.fatalities), "injured": _num(inc.injuries),
        "stance": inc.stance.value, "source": inc.source.casefold(), "confidence": inc.confidence, "review": review,
    }
    return Row(inc.incident_id, url, "incident", cells, review, inc.incident_id in state.corrected,
               inc.stance is Stance.CLAIMED, sort,
               _point(inc.incident_id, url, kind, inc.event_type, inc.date, inc.location, _num(inc.fatalities),
                      _label(date, kind, place)),
               f"/documents/{inc.doc_id}")


def event_row(ev: Event, state: ReviewState, incidents: Mapping[str, Incident]) -> Row:
    date, place = _event_date_text(ev), _format_place(ev.location)
    kind = ev.sub_event_type or ev.event_type or "?"
    members = [incidents[i] for i in ev.incident_ids if i in incidents]
    names: list[str] = []
    for inc in members:
        names.extend(a.text for a in inc.main_perpetrators if a.text not in names)
    perpetrator = "; ".join(names) or "?"
    stance = " + ".join(s for s, on in (("reported", ev.reported), ("claimed", ev.claimed)) if on) or "?"
    sources = "; ".join(dict.fromkeys(s.source for s in ev.sources)) or "?"
    confidences = [i.confidence for i in members]
    review = state.event(ev)
    url = f"/events/{ev.event_id}"
    cells = {
        "date": date, "place": place, "type": kind, "perpetrator": perpetrator,
        "killed": _estimate_text(ev.fatalities), "injured": _estimate_text(ev.injuries), "stance": stance,
        "source": sources, "confidence": f"{max(confidences):.2f}" if confidences else "?", "review": review,
    }
    best = ev.fatalities.best if ev.fatalities else None
    sort = {
        "date": ev.date.start.isoformat() if ev.date and ev.date.start else None, "place": place.casefold(),
        "type": kind, "perpetrator": perpetrator.casefold(), "killed": best,
        "injured": ev.injuries.best if ev.injuries else None, "stance": stance, "source": sources.casefold(),
        "confidence": max(confidences) if confidences else None, "review": review,
    }
    return Row(ev.event_id, url, "event", cells, review, state.is_corrected(ev), ev.claimed, sort,
               _point(ev.event_id, url, kind, ev.event_type, ev.date, ev.location, best, _label(date, kind, place)))


def sort_rows(rows: list[Row], key: str, order: str) -> list[Row]:
    """Rows sorted by ``key``; records without a value come last in either order."""
    present = [r for r in rows if r.sort.get(key) is not None]
    missing = [r for r in rows if r.sort.get(key) is None]
    present.sort(key=lambda r: (r.sort[key], r.id), reverse=order == "desc")
    missing.sort(key=lambda r: r.id)
    return present + missing


@dataclass(frozen=True)
class Page:
    """Which slice of the sorted rows the table shows: rows ``first``..``last`` (1-based) of
    ``total``, page ``number`` of ``pages``."""

    number: int
    pages: int
    first: int
    last: int
    total: int


def paginate(rows: Sequence[Row], page: int, size: int = PAGE_SIZE) -> tuple[Sequence[Row], Page]:
    """The rows of page ``page`` (a page past the end shows the last one) and where they sit."""
    pages = max(1, -(-len(rows) // size))
    number = min(page, pages)
    start = (number - 1) * size
    shown = rows[start:start + size]
    return shown, Page(number, pages, start + 1 if shown else 0, start + len(shown), len(rows))


def counts(rows: Sequence[Row], view: str) -> list[tuple[str, int, str]]:
    """``(key, number, words)`` for the counts line, e.g. ``("total", 39, "39 incidents")``."""
    n = len(rows)
    noun = view if n != 1 else view[:-1]
    claimed = sum(r.claimed for r in rows)
    reviewed = sum(r.review != "unreviewed" for r in rows)
    corrected = sum(r.corrected for r in rows)
    return [("total", n, f"{n} {noun}"), ("claimed", claimed, f"{claimed} claimed"),
            ("reviewed", reviewed, f"{reviewed} reviewed"), ("corrected", corrected, f"{corrected} corrected")]


def script_json(data: Any) -> str:
    """JSON for a ``<script type="application/json">`` block: ``<``, ``>``, ``&`` and the JS line
    separators escaped, so no document text can close the script element or start a comment."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


# --------------------------------------------------------------------------
# Evidence: the fields of a document's incidents and the spans that support them


@dataclass(frozen=True)
class FieldSpans:
    key: str  # "inc-xxx:fatalities", "inc-xxx:perpetrators.0"
    incident_id: str
    name: str  # "fatalities", "perpetrators.0"
    label: str  # "killed: ≥12"
    spans: tuple[Span, ...]

    @property
    def spans_attr(self) -> str:
        return " ".join(f"{s}:{e}" for s, e in self.spans)


def incident_fields(inc: Incident) -> list[FieldSpans]:
    """Every value of ``inc`` that has evidence spans, as :class:`FieldSpans`."""
    out: list[FieldSpans] = []

    def add(name: str, label: str, spans: Iterable[Span]) -> None:
        spans = tuple(tuple(s) for s in spans)  # type: ignore[misc]
        if spans:
            out.append(FieldSpans(f"{inc.incident_id}:{name}", inc.incident_id, name, label, spans))  # type: ignore[arg-type]

    add("event_type", f"type: {inc.sub_event_type or inc.event_type}", inc.evidence)
    if inc.date is not None:
        add("date", f"date: {_format_date(inc.date)}", inc.date.spans)
    if inc.location is not None:
        add("location", f"place: {_format_place(inc.location)}", inc.location.spans)
    for i, actor in enumerate(inc.perpetrators):
        add(f"perpetrators.{i}", f"perpetrator: {actor.text}", actor.spans)
    for i, target in enumerate(inc.targets):
        add(f"targets.{i}", f"target: {target.text} ({target.category})", target.spans)
    for i, weapon in enumerate(inc.weapons):
        add(f"weapons.{i}", f"weapon: {weapon.text} ({weapon.category})", weapon.spans)
    if inc.suicide:
        add("suicide", "suicide attack", inc.suicide_spans)
    for name, words, count in (("fatalities", "killed", inc.fatalities), ("injuries", "injured", inc.injuries),
                               ("killed_or_injured", "killed or injured", inc.killed_or_injured)):
        if count is not None:
            add(name, f"{words}: {format_count(count)}", count.spans)
    for i, m in enumerate(inc.materiel):
        add(f"materiel.{i}", f"materiel: {format_count(m.count)} {m.kind} {m.effect.value}",
            (*m.spans, *m.count.spans))
    if inc.claimed_by is not None:
        add("claimed_by", f"claimed by: {inc.claimed_by.text}", inc.claimed_by.spans)
    return out


@dataclass(frozen=True)
class Segment:
    start: int
    end: int
    text: str
    fields: tuple[str, ...] = ()  # keys of the fields this stretch of text supports

    @property
    def fields_attr(self) -> str:
        return " ".join(self.fields)

    @property
    def sentence_only(self) -> bool:
        """Only the event type's evidence (whole sentences) covers this piece: drawn lighter."""
        return all(key.endswith(":event_type") for key in self.fields)


def segments(text: str, fields: Sequence[FieldSpans]) -> list[Segment]:
    """``text`` cut at every span boundary: each piece lists the fields whose spans cover it, so
    overlapping spans become consecutive, never nested, marks. Spans outside the text are clipped."""
    n = len(text)
    bounds = {0, n}
    clipped: list[tuple[int, int, str]] = []
    for f in fields:
        for s, e in f.spans:
            s, e = max(0, min(int(s), n)), max(0, min(int(e), n))
            if s < e:
                clipped.append((s, e, f.key))
                bounds.update((s, e))
    cuts = sorted(bounds)
    out = []
    for a, b in zip(cuts, cuts[1:]):
        keys = tuple(dict.fromkeys(k for s, e, k in clipped if s <= a and b <= e))
        out.append(Segment(a, b, text[a:b], keys))
    return out


@dataclass(frozen=True)
class Context:
    field: FieldSpans
    start: int
    end: int
    before: str
    hit: str
    after: str


def contexts(text: str, fields: Sequence[FieldSpans], width: int = 80) -> list[Context]:
    """Each span of each field with ``width`` characters of text around it."""
    out = []
    n = len(text)
    for f in fields:
        for s, e in f.spans:
            s, e = max(0, min(s, n)), max(0, min(e, n))
            before = text[max(0, s - width):s]
            after = text[e:e + width]
            out.append(Context(f, s, e, ("…" if s > width else "") + before, text[s:e],
                               after + ("…" if e + width < n else "")))
    return out


# --------------------------------------------------------------------------
# The incident page


def field_json(inc: Incident) -> dict[str, str]:
    """Each correctable field's current value as pretty JSON (the correction form's text)."""
    from ..store.corrections import CORRECTABLE

    data = to_dict(inc)
    return {name: json.dumps(data.get(name), ensure_ascii=False, indent=2) for name in CORRECTABLE}


def display(inc: Incident) -> list[tuple[str, str]]:
    """``(field, text)`` for the record table: counts, dates and places as people read them,
    other values as compact JSON."""
    out = []
    for f in dataclasses.fields(Incident):
        value = getattr(inc, f.name)
        if f.name in CASUALTY_FIELDS:
            text = format_count(value) if value is not None else "?"
        elif f.name == "date":
            text = _format_date(value)
        elif f.name == "location":
            text = _format_place(value)
            if value is not None:
                text += f" ({value.precision.value}"
                text += f"; {value.lat}, {value.lon})" if value.lat is not None else ")"
        elif f.name in ("perpetrators", "targets", "weapons"):
            text = "; ".join(getattr(x, "text", "") for x in value) or "—"
        elif f.name == "claimed_by":
            text = value.text if value is not None else "—"
        elif f.name == "confidence":
            text = f"{value:.2f}"
        elif isinstance(value, str):
            text = value
        elif value is None:
            text = "—"
        else:
            plain = to_dict(value)
            text = plain if isinstance(plain, str) else json.dumps(plain, ensure_ascii=False)
        out.append((f.name, text))
    return out
