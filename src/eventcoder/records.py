"""Typed records shared by every stage of the pipeline.

Records are frozen dataclasses. A span is a half-open ``(start, end)`` pair of
character offsets into the immutable text of the document the record came
from; ``text[start:end]`` is derived from it, never the other way round.

There is one serialization pair, :func:`to_dict` / :func:`from_dict` (and the
``to_dict()`` / ``from_dict()`` methods that call them), used by the store,
the exporters and the JSON Schema tests alike.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import types
import typing
from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = "1.0.0"

Span = tuple[int, int]


def spans_overlap(a: Span, b: Span) -> bool:
    """Whether two character spans share a character (touching is not overlapping)."""
    return a[0] < b[1] and b[0] < a[1]


def span_gap(a: Span, b: Span) -> int:
    """Characters between two spans (0 when they touch or overlap)."""
    return max(0, b[0] - a[1], a[0] - b[1])


class _StrEnum(str, enum.Enum):
    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


class Stance(_StrEnum):
    REPORTED = "reported"
    CLAIMED = "claimed"


class SourceKind(_StrEnum):
    NEWS = "news"
    NGO = "ngo"
    OFFICIAL = "official"
    CLAIM = "claim"
    UNKNOWN = "unknown"


class DatePrecision(_StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    UNKNOWN = "unknown"


class Calendar(_StrEnum):
    GREGORIAN = "gregorian"
    HIJRI = "hijri"


class Qualifier(_StrEnum):
    EXACT = "exact"
    APPROXIMATELY = "approximately"
    MORE_THAN = "more_than"
    AT_LEAST = "at_least"
    UNSPECIFIED = "unspecified"


class MaterielEffect(_StrEnum):
    DESTROYED = "destroyed"
    DISABLED = "disabled"
    CAPTURED = "captured"


class LocationPrecision(_StrEnum):
    EXACT = "exact"  # the named place itself
    NEAR = "near"  # near / in the area of a named place
    ADMIN1 = "admin1"  # only a governorate / province is known
    COUNTRY = "country"  # only the country is known
    UNKNOWN = "unknown"  # named but not found in the gazetteer


class ActorKind(_StrEnum):
    ORGANIZATION = "organization"
    INDIVIDUAL = "individual"


class TargetKind(_StrEnum):
    HUMAN = "human"
    PHYSICAL = "physical"


def content_hash(*parts: str, length: int = 16) -> str:
    """A short, stable SHA-256 hex digest of ``parts`` (joined with NUL)."""
    h = hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:length]


# --------------------------------------------------------------------------
# Documents


@dataclass(frozen=True)
class Document:
    """One report. ``text`` is immutable: every span in every record refers to it."""

    text: str
    doc_id: str = ""
    published: dt.date | None = None
    source: str = "unknown"
    source_kind: SourceKind = SourceKind.UNKNOWN
    title: str | None = None
    origin: str | None = None  # where it was read from: "path" or "path:line"
    hijri_calendar: str = "tabular"  # tabular (convertdate) | umm_al_qura (hijridate)
    day_first: bool = True  # how to read 07/02/89

    def __post_init__(self) -> None:
        if not self.doc_id:
            object.__setattr__(self, "doc_id", make_doc_id(self.source, self.text))
        if not isinstance(self.source_kind, SourceKind):
            object.__setattr__(self, "source_kind", SourceKind(self.source_kind))

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Document":
        return from_dict(cls, data)


def make_doc_id(source: str, text: str) -> str:
    return "doc-" + content_hash(source, text)


# --------------------------------------------------------------------------
# Field values. Every value carries the spans of the text that support it.


@dataclass(frozen=True)
class DateValue:
    start: dt.date | None
    end: dt.date | None
    precision: DatePrecision
    calendar: Calendar = Calendar.GREGORIAN
    year_inferred: bool = False
    text: str = ""
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class PlaceCandidate:
    """A place considered for a location: another mention in the act's sentences, or another
    gazetteer entry of the same name. Unresolved mentions have only text, spans and precision."""

    text: str
    spans: tuple[Span, ...] = ()
    name: str | None = None
    admin1: str | None = None
    country: str | None = None
    lat: float | None = None
    lon: float | None = None
    feature: str | None = None  # country | admin1 | city | overlay
    precision: LocationPrecision = LocationPrecision.UNKNOWN
    source: str | None = None


@dataclass(frozen=True)
class Location:
    text: str
    name: str | None = None
    admin1: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    lat: float | None = None
    lon: float | None = None
    precision: LocationPrecision = LocationPrecision.UNKNOWN
    spans: tuple[Span, ...] = ()
    alternatives: tuple[PlaceCandidate, ...] = ()  # what else was considered, best first


@dataclass(frozen=True)
class Actor:
    text: str
    kind: ActorKind = ActorKind.ORGANIZATION
    category: str | None = None  # neutral codebook category (actor codebook)
    spans: tuple[Span, ...] = ()
    generic: bool = False  # a description ("gunmen", "the attackers"), not a name


@dataclass(frozen=True)
class Target:
    text: str
    kind: TargetKind
    category: str = "unknown"
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Weapon:
    text: str
    category: str = "other"
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Count:
    low: int | None
    high: int | None
    qualifier: Qualifier = Qualifier.EXACT
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Materiel:
    kind: str
    count: Count
    effect: MaterielEffect
    text: str = ""
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Coding:
    """Which codebook (and version) and which extractor produced a record."""

    codebook: str
    codebook_version: str
    extractor: str


# --------------------------------------------------------------------------
# Output records

# an incident's casualty figures, each a Count or None
CASUALTY_FIELDS = ("fatalities", "injuries", "killed_or_injured")


@dataclass(frozen=True)
class Incident:
    doc_id: str
    event_type: str
    sub_event_type: str
    evidence: tuple[Span, ...]
    source: str = "unknown"
    source_kind: SourceKind = SourceKind.UNKNOWN
    stance: Stance = Stance.REPORTED
    claimed_by: Actor | None = None
    date: DateValue | None = None
    location: Location | None = None
    perpetrators: tuple[Actor, ...] = ()
    targets: tuple[Target, ...] = ()
    weapons: tuple[Weapon, ...] = ()
    suicide: bool = False
    suicide_spans: tuple[Span, ...] = ()
    fatalities: Count | None = None
    injuries: Count | None = None
    killed_or_injured: Count | None = None
    materiel: tuple[Materiel, ...] = ()
    confidence: float = 0.5
    coding: Coding | None = None
    incident_id: str = ""
    schema_version: str = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if not self.incident_id:
            first = min(self.evidence) if self.evidence else (0, 0)
            extractor = self.coding.extractor if self.coding else ""
            object.__setattr__(
                self,
                "incident_id",
                "inc-" + content_hash(self.doc_id, f"{first[0]}:{first[1]}", self.sub_event_type, extractor),
            )

    @property
    def main_perpetrators(self) -> tuple[Actor, ...]:
        """The most specific perpetrators: the named ones, or the descriptions when none is named."""
        named = tuple(p for p in self.perpetrators if not p.generic)
        return named or self.perpetrators

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Incident":
        return from_dict(cls, data)


@dataclass(frozen=True)
class Rejected:
    """A document that could not be processed. Stored and counted, never dropped."""

    stage: str  # ingest | extract | normalize | geocode | store
    code: str  # an error code from eventcoder.errors, e.g. "E101"
    detail: str
    origin: str | None = None
    doc_id: str | None = None
    text_preview: str = ""

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Rejected":
        return from_dict(cls, data)


# --------------------------------------------------------------------------
# Events: one incident as several sources report it (eventcoder.link)


@dataclass(frozen=True)
class Estimate:
    """A figure across sources, as UCDP gives it: a best estimate within a low-high range.

    Built from the sources' own counts, never by adding them up. None where no source gives one.
    """

    best: int | None
    low: int | None
    high: int | None


@dataclass(frozen=True)
class SourceView:
    """What one source's incident record says about an event, kept side by side with the others."""

    incident_id: str
    doc_id: str
    source: str
    source_kind: SourceKind
    stance: Stance
    claimed_by: str | None = None
    fatalities: Count | None = None
    injuries: Count | None = None
    killed_or_injured: Count | None = None


@dataclass(frozen=True)
class Link:
    """Why two incident records were judged to report the same event."""

    incident_a: str  # the smaller incident_id of the pair
    incident_b: str
    score: float
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Event:
    """One incident reported by one or more sources: a group of linked incident records.

    ``event_id`` is derived from the smallest member ``incident_id``, so it is stable across
    reruns and input orders while that member stays in the event.
    """

    incident_ids: tuple[str, ...]  # sorted
    event_type: str
    sub_event_type: str
    date: DateValue | None = None
    location: Location | None = None
    fatalities: Estimate | None = None
    injuries: Estimate | None = None
    sources: tuple[SourceView, ...] = ()  # one per member incident, in incident_ids order
    links: tuple[Link, ...] = ()
    claimed: bool = False  # at least one member is a claim (stance: claimed)
    reported: bool = False  # at least one member is an independent report (stance: reported)
    linker: str = ""  # name and version of the linker, e.g. "link.v1"
    event_id: str = ""

    def __post_init__(self) -> None:
        if not self.event_id and self.incident_ids:
            object.__setattr__(self, "event_id", "evt-" + content_hash(min(self.incident_ids)))

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Event":
        return from_dict(cls, data)


# --------------------------------------------------------------------------
# The serialization pair


def to_dict(obj: Any) -> Any:
    """Turn a record (or any value inside one) into JSON-compatible data."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, dt.date):
        return obj.isoformat()
    if isinstance(obj, (tuple, list)):
        return [to_dict(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj


# from_dict's converters, built once per type from the type hints (reading a store of 30,000
# incidents spends its time here: a converter per field, not typing's introspection per value)
_CONVERTERS: dict[Any, typing.Callable[[Any], Any]] = {}
_FIELDS: dict[type, tuple[tuple[str, typing.Callable[[Any], Any]], ...]] = {}


def _same(value: Any) -> Any:
    return value


def _converter(tp: Any) -> typing.Callable[[Any], Any]:
    """A function turning the JSON form of a value of type ``tp`` back into the value (None stays
    None); cached per type."""
    try:
        return _CONVERTERS[tp]
    except (KeyError, TypeError):  # TypeError: an unhashable hint, built each time
        pass
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    convert: typing.Callable[[Any], Any]
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        convert = _converter(non_none[0]) if len(non_none) == 1 else _same
    elif origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _converter(args[0])
        convert = (lambda v: tuple(v)) if item is _same else (lambda v: tuple(item(x) for x in v))
    elif origin is tuple:
        items = tuple(_converter(a) for a in args)
        convert = lambda v: tuple(c(x) for c, x in zip(items, v))  # noqa: E731
    elif tp is dt.datetime:
        convert = lambda v: v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(v)  # noqa: E731
    elif tp is dt.date:
        convert = lambda v: v if isinstance(v, dt.date) else dt.date.fromisoformat(v)  # noqa: E731
    elif isinstance(tp, type) and issubclass(tp, enum.Enum):
        convert = tp
    elif isinstance(tp, type) and dataclasses.is_dataclass(tp):
        convert = lambda v: from_dict(tp, v)  # noqa: E731  (fields resolved on first use: no recursion here)
    elif tp is float:
        convert = lambda v: float(v) if isinstance(v, int) else v  # noqa: E731
    else:
        convert = _same

    def none_or(value: Any) -> Any:
        return None if value is None else convert(value)

    result = _same if convert is _same else none_or
    try:
        _CONVERTERS[tp] = result
    except TypeError:
        pass
    return result


def _field_converters(cls: type) -> tuple[tuple[str, typing.Callable[[Any], Any]], ...]:
    plan = _FIELDS.get(cls)
    if plan is None:
        hints = typing.get_type_hints(cls)
        plan = tuple((f.name, _converter(hints[f.name])) for f in dataclasses.fields(cls))
        _FIELDS[cls] = plan
    return plan


def from_dict(cls: type, data: dict[str, Any]) -> Any:
    """Inverse of :func:`to_dict` for the record class ``cls``. Unknown keys are ignored."""
    return cls(**{name: convert(data[name]) for name, convert in _field_converters(cls) if name in data})



# --------------------------------------------------------------------------
# Corrections: what a person changed in a stored record (eventcoder.store)


@dataclass(frozen=True)
class Correction:
    """One field of one incident changed by a person: the audit trail of a review.

    ``old`` and ``new`` are the field's JSON-ready values (as :func:`to_dict` writes them);
    ``at`` is when the change was stored (UTC).
    """

    id: int
    incident_id: str
    field: str
    old: Any
    new: Any
    who: str
    at: dt.datetime
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Correction":
        return from_dict(cls, data)


# --------------------------------------------------------------------------
# Link decisions: what a person said about two incident records (eventcoder.store, eventcoder.link)

LINK_KINDS = ("must", "cannot")


@dataclass(frozen=True)
class LinkConstraint:
    """A person's decision that two incident records report one event (``kind="must"``) or
    never do (``kind="cannot"``). The linker applies it on every re-link (see
    :func:`eventcoder.link.link_incidents`); the store keeps one current decision per pair.

    ``incident_a`` is the smaller id of the pair (a pair given the other way round is
    swapped); ``at`` is when the decision was stored (UTC). Of two contradicting decisions the
    later one (by ``at``, then ``id``) wins.
    """

    id: int
    incident_a: str
    incident_b: str
    kind: str  # one of LINK_KINDS
    who: str
    at: dt.datetime
    note: str | None = None

    def __post_init__(self) -> None:
        if self.incident_b < self.incident_a:
            a, b = self.incident_b, self.incident_a
            object.__setattr__(self, "incident_a", a)
            object.__setattr__(self, "incident_b", b)

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LinkConstraint":
        return from_dict(cls, data)
