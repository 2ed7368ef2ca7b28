"""Link incident records that report the same event, across documents and sources.

Pipeline stage ``link``: incident records in, :class:`~eventcoder.records.Event` records out.

1. **Candidates.** Two records are a candidate pair when their date windows overlap (each record's
   start..end widened by its uncertainty: week/month precision, ``hijri_days`` for a date converted
   from the Hijri calendar, and ``slack_days`` for everyone) and their places are compatible (same
   admin1, or within ``radius_km`` by great-circle distance; a record known only to its country
   pairs with any record of that country, but pays a penalty). Records are bucketed by country and
   swept in date order, so the work grows with the number of records in a window, not with n².
2. **Score.** A candidate pair's score is the sum of weights (``data/link.yaml``) for what the two
   share or contradict: date, distance, type, perpetrator, target categories and, weakly, figures
   (only between independent reports: claims inflate). Each weight that applies leaves a short
   human reason in :attr:`Link.reasons`.
3. **Group.** Links at or above ``threshold`` are taken best first (ties by incident ids); two
   groups merge only when every pair across them is a candidate scoring at least ``merge_min``
   and no two members come from one document (complete linkage: no chaining A-B-C when A and C
   are different incidents). Everything is sorted, so the events and their ids do not depend on
   the input order.
4. **Events.** Every source's figures are kept side by side (:class:`SourceView`); the event's
   fatalities and injuries are UCDP-style estimates (see :func:`estimate`), never a sum.

**A person's decisions win over scores.** ``constraints`` (:class:`LinkConstraint`, stored with
``Store.add_link_constraint``) say that two records are one event (``must``) or never are
(``cannot``). Musts are applied first, whatever the scores, each leaving the reason "merged by
<who>"; a must may join two records of one document, since a person said so. No merge then
brings a cannot pair into one group. Decisions that contradict each other (A must B, B must C,
A cannot C) are resolved latest first (by ``at``, then ``id``): a decision holds unless it
contradicts the later decisions that hold, so here A cannot C holds, B must C holds and A must B
is set aside. Decisions on records that are not in the input are ignored. :func:`merge_events`,
:func:`split_event` and :func:`relink` do this on a store, for the review UI and ``eventcoder link``.

``score_pairs`` scores the same/not-same decision on a labelled pair corpus
(``tests/data/link_pairs.yaml``).
"""

from __future__ import annotations

import bisect
import calendar as _calendar
import dataclasses
import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .datafiles import check_schema, read_yaml, safe_load
from .errors import ConfigError, StoreError
from .records import (
    LINK_KINDS,
    Actor,
    Calendar,
    Count,
    DatePrecision,
    DateValue,
    Estimate,
    Event,
    Incident,
    Link,
    LinkConstraint,
    Location,
    LocationPrecision,
    Qualifier,
    SourceKind,
    SourceView,
    Stance,
    Target,
    TargetKind,
)

if TYPE_CHECKING:
    from .store import Store

__all__ = [
    "LinkConfig", "Linker", "LabeledPair", "estimate", "link_incidents", "load_link_config",
    "load_pair_corpus", "merge_events", "relink", "relink_if_linked", "resolve_constraints", "score_pairs", "split_event", "point_value",
]

WEIGHT_NAMES = (
    "date_same_day", "date_overlap", "date_hijri_gap", "date_gap",
    "place_near", "place_between", "place_far", "place_admin1", "place_country",
    "type_same", "type_family", "type_same_group", "type_other",
    "perp_same", "perp_differ", "target_overlap", "target_disjoint",
    "figures_similar", "figures_differ",
)

_NUMBER = {"type": "number"}
_NONNEG = {"type": "number", "minimum": 0}
CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "version", "linker", "window", "place", "threshold", "merge_min", "weights", "figures", "families"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "version": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
        "linker": {"type": "string", "pattern": r"^[a-z0-9_.-]+\.v\d+$"},
        "window": {
            "type": "object", "additionalProperties": False, "required": ["slack_days", "hijri_days"],
            "properties": {"slack_days": {"type": "integer", "minimum": 0, "maximum": 31},
                           "hijri_days": {"type": "integer", "minimum": 0, "maximum": 5}},
        },
        "place": {
            "type": "object", "additionalProperties": False, "required": ["radius_km", "near_km"],
            "properties": {"radius_km": _NONNEG, "near_km": _NONNEG},
        },
        "threshold": _NUMBER,
        "merge_min": _NUMBER,
        "weights": {
            "type": "object", "additionalProperties": False, "required": list(WEIGHT_NAMES),
            "properties": {name: _NUMBER for name in WEIGHT_NAMES},
        },
        "figures": {
            "type": "object", "additionalProperties": False,
            "required": ["similar_ratio", "differ_ratio", "differ_gap", "approximately"],
            "properties": {"similar_ratio": {"type": "number", "minimum": 1}, "differ_ratio": {"type": "number", "minimum": 1},
                           "differ_gap": _NONNEG, "approximately": {"type": "number", "minimum": 0, "maximum": 1}},
        },
        "families": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string", "pattern": "^[a-z0-9_]+$"}},
        },
    },
}


# --------------------------------------------------------------------------
# Configuration


@dataclass(frozen=True)
class LinkConfig:
    """The linker's weights and thresholds (``data/link.yaml``), validated. Use
    :func:`load_link_config` to read one; ``dataclasses.replace`` to override a field."""

    version: str
    linker: str
    slack_days: int
    hijri_days: int
    radius_km: float
    near_km: float
    threshold: float
    merge_min: float
    weights: dict[str, float]
    similar_ratio: float
    differ_ratio: float
    differ_gap: float
    approximately: float
    families: dict[str, tuple[str, ...]]
    path: str = "<memory>"

    def __post_init__(self) -> None:
        if self.radius_km < self.near_km:
            raise ConfigError(
                f"link config {self.path}: radius_km ({self.radius_km}) is smaller than near_km ({self.near_km})",
                fix="make place.radius_km at least place.near_km",
            )
        if self.merge_min > self.threshold:
            raise ConfigError(
                f"link config {self.path}: merge_min ({self.merge_min}) is above threshold ({self.threshold})",
                fix="set merge_min at or below threshold (it is the bar for the pairs a link brings together)",
            )
        if self.slack_days < 0 or self.radius_km < 0:
            raise ConfigError(f"link config {self.path}: negative window or radius", fix="use values >= 0")

    @classmethod
    def from_data(cls, data: Any, path: str = "<memory>") -> "LinkConfig":
        check_schema(data, CONFIG_SCHEMA, kind="link config", where=path,
                     fix="compare it with the packaged file (eventcoder/data/link.yaml) and correct that field")
        seen: dict[str, str] = {}
        for family, codes in data["families"].items():
            for code in codes:
                if code in seen:
                    raise ConfigError(
                        f"link config {path}: {code!r} is in two families ({seen[code]}, {family})",
                        fix="put each sub_event_type in at most one family",
                    )
                seen[code] = family
        return cls(
            version=data["version"],
            linker=data["linker"],
            slack_days=data["window"]["slack_days"],
            hijri_days=data["window"]["hijri_days"],
            radius_km=float(data["place"]["radius_km"]),
            near_km=float(data["place"]["near_km"]),
            threshold=float(data["threshold"]),
            merge_min=float(data["merge_min"]),
            weights={k: float(v) for k, v in data["weights"].items()},
            similar_ratio=float(data["figures"]["similar_ratio"]),
            differ_ratio=float(data["figures"]["differ_ratio"]),
            differ_gap=float(data["figures"]["differ_gap"]),
            approximately=float(data["figures"]["approximately"]),
            families={k: tuple(v) for k, v in data["families"].items()},
            path=path,
        )


def load_link_config(path: str | Path | None = None, *, radius_km: float | None = None,
                     days: int | None = None) -> LinkConfig:
    """Read and validate a link config: the packaged ``data/link.yaml`` or a user's file of the
    same shape. ``radius_km`` and ``days`` (the slack of the date window) override the file."""
    data, where = read_yaml("link" if path is None else path, kind="link config", folder=("data",),
                            packaged=("link",) if path is None else (),
                            missing_fix="give the path of a YAML file shaped like eventcoder/data/link.yaml")
    config = LinkConfig.from_data(data, where)
    if radius_km is not None:
        if radius_km < 0:
            raise ConfigError(f"radius {radius_km} km is negative", fix="give --radius-km 0 or more")
        config = dataclasses.replace(config, radius_km=float(radius_km), near_km=min(config.near_km, float(radius_km)))
    if days is not None:
        if not 0 <= days <= 31:
            raise ConfigError(f"date slack of {days} days is out of range", fix="give --days between 0 and 31")
        config = dataclasses.replace(config, slack_days=int(days))
    return config


# --------------------------------------------------------------------------
# Features of one record, computed once


_PRECISE = (LocationPrecision.EXACT, LocationPrecision.NEAR)
_PLACE_RANK = {LocationPrecision.EXACT: 0, LocationPrecision.NEAR: 1, LocationPrecision.ADMIN1: 2,
               LocationPrecision.UNKNOWN: 3, LocationPrecision.COUNTRY: 4}
_DATE_RANK = {DatePrecision.DAY: 0, DatePrecision.WEEK: 1, DatePrecision.MONTH: 2, DatePrecision.YEAR: 3,
              DatePrecision.UNKNOWN: 4}


@dataclass
class _Rec:
    inc: Incident
    start: dt.date | None  # the record's own dates (after precision is applied)
    end: dt.date | None
    lo: int  # the widened window, as ordinal days
    hi: int
    single_day: bool
    hijri: bool
    country: str
    admin1: str | None
    point: tuple[float, float] | None  # (lat, lon) when located to a place
    country_only: bool
    perps: frozenset[str]
    perp_labels: dict[str, str]
    targets: frozenset[str]


def _date_range(d: DateValue | None) -> tuple[dt.date | None, dt.date | None]:
    if d is None or d.start is None:
        return None, None
    start, end = d.start, d.end or d.start
    if end < start:
        start, end = end, start
    if end == start:
        if d.precision is DatePrecision.WEEK:
            end = start + dt.timedelta(days=6)
        elif d.precision is DatePrecision.MONTH:
            start = start.replace(day=1)
            end = start.replace(day=_calendar.monthrange(start.year, start.month)[1])
        elif d.precision is DatePrecision.YEAR:
            start, end = dt.date(start.year, 1, 1), dt.date(start.year, 12, 31)
    return start, end


def _norm(text: str) -> str:
    text = re.sub(r"[^\w\s'-]", " ", text.lower())
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"^the ", "", text)


class _ActorNames:
    """Perpetrator names to actor codes through the actors codebook (longest alias wins)."""

    def __init__(self) -> None:
        from .codebook import load_codebook

        book = load_codebook("actors")
        self.alias: dict[str, tuple[str, str]] = {}
        for entry in book.entries:
            for alias in (*entry.aliases, entry.label, entry.code.replace("_", " ")):
                self.alias.setdefault(_norm(alias), (entry.code, entry.label))
        aliases = sorted(self.alias, key=lambda a: (-len(a), a))
        self.pattern = re.compile(r"\b(" + "|".join(re.escape(a) for a in aliases) + r")\b") if aliases else None
        self.generic = {_norm(a) for a in book.raw.get("individuals", {}).get("aliases", [])}
        self._cache: dict[str, tuple[str, str] | None] = {}

    def code(self, actor: Actor) -> tuple[str, str] | None:
        """(code, label) of a named actor; None for a generic description."""
        if actor.generic:
            return None
        key = _norm(actor.text)
        if key in self._cache:
            return self._cache[key]
        found: tuple[str, str] | None
        if not key or key in self.generic:
            found = None
        elif key in self.alias:
            found = self.alias[key]
        else:
            m = self.pattern.search(key) if self.pattern else None
            found = self.alias[m.group(1)] if m else ("name:" + key, actor.text)
        self._cache[key] = found
        return found


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


# --------------------------------------------------------------------------
# Figures


def _interval(c: Count | None, approx: float) -> tuple[float, float] | None:
    """What a count allows: ``7`` -> 7..7, ``10-15`` -> 10..15, ``>14`` -> 15..inf, ``~40`` -> 30..50."""
    if c is None or (c.low is None and c.high is None):
        return None
    low = c.low if c.low is not None else 0
    high: float = c.high if c.high is not None else low
    if c.qualifier is Qualifier.MORE_THAN:
        return (low + 1, math.inf)
    if c.qualifier in (Qualifier.AT_LEAST, Qualifier.UNSPECIFIED) and c.high is None:
        return (low, math.inf) if c.qualifier is Qualifier.AT_LEAST else (low, high)
    if c.qualifier is Qualifier.APPROXIMATELY:
        return (low * (1 - approx), high * (1 + approx))
    return (low, high)


def point_value(c: Count | None) -> int | None:
    """One number for a count: the figure itself, the midpoint (rounded down) of a range, the
    stated bound of ``>14`` / ``at least 5`` / ``about 40``, the bound of ``up to 10``."""
    if c is None or (c.low is None and c.high is None):
        return None
    if c.low is None:
        return c.high
    if c.high is None or c.high == c.low:
        return c.low
    return (c.low + c.high) // 2


def estimate(counts: Sequence[Count | None]) -> Estimate | None:
    """A UCDP-style estimate from several sources' counts of ONE event, never their sum.

    ``low`` is the smallest figure any source gives (a range's low end), ``high`` the largest (a
    range's high end; the stated bound of an open ``more than N``), ``best`` the median of the
    sources' point figures (:func:`point_value`), rounded down, kept within low..high.
    None when no source gives a figure.
    """
    given = [c for c in counts if c is not None and (c.low is not None or c.high is not None)]
    if not given:
        return None
    lows = [c.low if c.low is not None else c.high for c in given]
    highs = [c.high if c.high is not None else c.low for c in given]
    points = sorted(p for p in (point_value(c) for c in given) if p is not None)
    mid = len(points) // 2
    best = points[mid] if len(points) % 2 else (points[mid - 1] + points[mid]) // 2
    low, high = min(lows), max(highs)
    return Estimate(best=max(low, min(high, best)), low=low, high=high)


# --------------------------------------------------------------------------
# The linker


@dataclass
class _Pair:
    score: float
    reasons: tuple[str, ...]


class Linker:
    """Holds a config and the actor name table; :meth:`link` does the work. Reuse one for many runs."""

    def __init__(self, config: LinkConfig | None = None):
        self.config = config or load_link_config()
        self.names = _ActorNames()
        self.family = {code: fam for fam, codes in self.config.families.items() for code in codes}
        from .codebook import load_codebook

        self.group = {e.code: e.extra.get("group") for e in load_codebook("event_types").entries}

    # -- features
    def _rec(self, inc: Incident) -> _Rec:
        cfg = self.config
        start, end = _date_range(inc.date)
        hijri = inc.date is not None and inc.date.calendar is Calendar.HIJRI
        widen = cfg.slack_days + (cfg.hijri_days if hijri else 0)
        if start is None:
            lo, hi = -(10**9), 10**9  # undated: a candidate for anything in its place; rare
        else:
            lo, hi = start.toordinal() - widen, end.toordinal() + widen  # type: ignore[union-attr]
        loc = inc.location
        country = (loc.country or "").upper() if loc else ""
        admin1 = (loc.admin1 or None) if loc else None
        point = None
        if loc is not None and loc.precision in _PRECISE and loc.lat is not None and loc.lon is not None:
            point = (float(loc.lat), float(loc.lon))
        country_only = loc is None or (point is None and not admin1)
        perps: dict[str, str] = {}
        for actor in (*inc.perpetrators, *((inc.claimed_by,) if inc.claimed_by else ())):
            named = self.names.code(actor)
            if named:
                perps.setdefault(named[0], named[1])
        targets = frozenset(t.category for t in inc.targets if t.category and t.category not in ("unknown", "mixed"))
        return _Rec(inc, start, end, lo, hi, start is not None and start == end, hijri, country, admin1, point,
                    country_only, frozenset(perps), perps, targets)

    # -- candidates
    def _candidates(self, recs: Sequence[_Rec]) -> list[tuple[int, int]]:
        """Index pairs (i < j) whose windows overlap and whose places are compatible."""
        by_country: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(recs):
            by_country[r.country].append(i)
        pairs: list[tuple[int, int]] = []
        for idxs in by_country.values():
            idxs.sort(key=lambda i: (recs[i].lo, recs[i].inc.incident_id))
            active: list[tuple[int, int]] = []  # (hi, index), sorted by hi
            for i in idxs:
                r = recs[i]
                cut = bisect.bisect_left(active, (r.lo, -1))
                if cut:
                    del active[:cut]  # windows that end before this one starts
                for _, j in active:
                    if self.compatible(r, recs[j]):
                        pairs.append((min(i, j), max(i, j)))
                bisect.insort(active, (r.hi, i))
        return pairs

    def compatible(self, r: _Rec, o: _Rec) -> bool:
        """The candidate test for one pair: other documents, same country, overlapping date
        windows, and same admin1 or within radius_km (a country-only record passes the place test)."""
        if r.inc.doc_id == o.inc.doc_id or r.country != o.country or r.lo > o.hi or o.lo > r.hi:
            return False
        if r.country_only or o.country_only:
            return True
        if r.admin1 and o.admin1 and r.admin1 == o.admin1:
            return True
        if r.point and o.point:
            return haversine_km(r.point, o.point) <= self.config.radius_km
        return False

    # -- similarity
    def score(self, a: _Rec, b: _Rec) -> _Pair:
        cfg, w = self.config, self.config.weights
        s = 0.0
        why: list[str] = []

        def add(name: str, reason: str) -> None:
            nonlocal s
            s += w[name]
            why.append(reason)

        # date
        if a.start is not None and b.start is not None:
            gap = max(a.start.toordinal() - b.end.toordinal(), b.start.toordinal() - a.end.toordinal(), 0)  # type: ignore[union-attr]
            if gap == 0:
                lo, hi = max(a.start, b.start), min(a.end, b.end)  # type: ignore[type-var]
                if a.single_day and b.single_day:
                    add("date_same_day", f"same day ({lo.isoformat()})")
                else:
                    add("date_overlap", f"dates overlap ({lo.isoformat()}" + (f"..{hi.isoformat()})" if hi != lo else ")"))
            elif (a.hijri or b.hijri) and gap <= cfg.hijri_days:
                add("date_hijri_gap", f"dates {gap} day{'s' if gap > 1 else ''} apart (Hijri date)")
            else:
                add("date_gap", f"dates {gap} day{'s' if gap > 1 else ''} apart")
        # place
        if a.country_only or b.country_only:
            add("place_country", "place known only to the country")
        elif a.point and b.point:
            km = haversine_km(a.point, b.point)
            if km <= cfg.near_km:
                add("place_near", f"{km:.1f} km apart")
            elif km <= cfg.radius_km:
                add("place_between", f"{km:.0f} km apart")
            else:
                add("place_far", f"{km:.0f} km apart")
        elif a.admin1 and a.admin1 == b.admin1:
            add("place_admin1", f"same admin1: {a.admin1}")
        elif a.admin1 and b.admin1:
            add("place_far", f"different admin1: {a.admin1} / {b.admin1}")
        # type
        ta, tb = a.inc.sub_event_type, b.inc.sub_event_type
        if ta and ta == tb:
            add("type_same", f"same type: {ta}")
        elif ta in self.family and self.family.get(ta) == self.family.get(tb):
            add("type_family", f"related types: {ta} / {tb}")
        elif (a.inc.event_type or self.group.get(ta)) == (b.inc.event_type or self.group.get(tb)):
            add("type_same_group", f"different types: {ta} / {tb}")
        else:
            add("type_other", f"different types: {ta} / {tb}")
        # perpetrator
        if a.perps and b.perps:
            common = sorted(a.perps & b.perps)
            if common:
                add("perp_same", "perpetrator: " + ", ".join(a.perp_labels[c] for c in common))
            else:
                add("perp_differ", "perpetrators differ: " + ", ".join(sorted(a.perp_labels.values()))
                    + " / " + ", ".join(sorted(b.perp_labels.values())))
        # targets
        if a.targets and b.targets:
            common_t = sorted(a.targets & b.targets)
            if common_t:
                add("target_overlap", "targets: " + ", ".join(common_t))
            else:
                add("target_disjoint", "targets differ: " + ", ".join(sorted(a.targets)) + " / " + ", ".join(sorted(b.targets)))
        # figures: independent reports only (claims inflate by design)
        if a.inc.stance is Stance.REPORTED and b.inc.stance is Stance.REPORTED:
            verdict = None
            for kind in ("fatalities", "injuries"):
                va = _interval(getattr(a.inc, kind), cfg.approximately)
                vb = _interval(getattr(b.inc, kind), cfg.approximately)
                if va is None or vb is None:
                    continue
                label = "killed" if kind == "fatalities" else "injured"
                fa, fb = point_value(getattr(a.inc, kind)), point_value(getattr(b.inc, kind))
                if va[0] <= vb[1] and vb[0] <= va[1]:
                    verdict = ("figures_similar", f"{label}: {fa} / {fb}")
                else:
                    near_lo, near_hi = min(va[1], vb[1]), max(va[0], vb[0])  # the facing ends of two disjoint ranges
                    ratio = (near_hi + 1) / (near_lo + 1)
                    if ratio <= cfg.similar_ratio:
                        verdict = ("figures_similar", f"{label}: {fa} / {fb}")
                    elif ratio > cfg.differ_ratio and near_hi - near_lo > cfg.differ_gap:
                        verdict = ("figures_differ", f"{label} differ: {fa} / {fb}")
                break  # killed decides when both give it; else injured
            if verdict:
                add(*verdict)
        return _Pair(round(s, 6), tuple(why))

    def explain(self, a: Incident, b: Incident) -> Link:
        """The score and reasons of one pair, whether or not it is a candidate (``-inf`` and
        "same document" for two records of one document, which are never linked)."""
        x, y = sorted((a, b), key=lambda i: i.incident_id)
        if a.doc_id == b.doc_id:
            return Link(x.incident_id, y.incident_id, float("-inf"), ("same document",))
        rx, ry = self._rec(x), self._rec(y)
        pair = self.score(rx, ry)
        reasons = pair.reasons if self.compatible(rx, ry) else (*pair.reasons, "not a candidate (date window or place)")
        return Link(x.incident_id, y.incident_id, pair.score, reasons)

    # -- grouping
    def link(self, incidents: Iterable[Incident], constraints: Iterable[LinkConstraint] = ()) -> list[Event]:
        """Group ``incidents`` into events, applying a person's ``constraints`` (see the module
        docstring); the result does not depend on the order of either input."""
        cfg = self.config
        unique: dict[str, Incident] = {}
        for inc in incidents:
            seen = unique.get(inc.incident_id)
            if seen is None or (seen != inc and _record_key(inc) < _record_key(seen)):
                unique[inc.incident_id] = inc  # one record per id; which one does not depend on the order
        ordered = [unique[k] for k in sorted(unique)]
        recs = [self._rec(inc) for inc in ordered]
        scored: dict[tuple[int, int], _Pair] = {}
        for i, j in self._candidates(recs):
            scored[(i, j)] = self.score(recs[i], recs[j])

        musts, cannot = resolve_constraints(constraints, {inc.incident_id: k for k, inc in enumerate(ordered)})

        group_of = list(range(len(recs)))
        members: dict[int, list[int]] = {i: [i] for i in range(len(recs))}

        def merge(gi: int, gj: int) -> None:
            keep, gone = min(gi, gj), max(gi, gj)
            for x in members[gone]:
                group_of[x] = keep
            members[keep].extend(members.pop(gone))

        for (i, j) in sorted(musts):  # a person's merges first, whatever the scores
            if group_of[i] != group_of[j]:
                merge(group_of[i], group_of[j])
        links = sorted(((p.score, i, j) for (i, j), p in scored.items() if p.score >= cfg.threshold),
                       key=lambda t: (-t[0], t[1], t[2]))
        for _, i, j in links:
            gi, gj = group_of[i], group_of[j]
            if gi == gj:
                continue
            ok = True
            for x in members[gi]:
                for y in members[gj]:
                    key = (min(x, y), max(x, y))
                    p = scored.get(key)
                    if (p is None or p.score < cfg.merge_min or recs[x].inc.doc_id == recs[y].inc.doc_id
                            or key in cannot):
                        ok = False
                        break
                if not ok:
                    break
            if ok:
                merge(gi, gj)

        events = []
        for idxs in members.values():
            idxs.sort()
            pair_links = []
            for k, x in enumerate(idxs):
                for y in idxs[k + 1:]:
                    pair = scored.get((x, y))
                    decision = musts.get((x, y))
                    if decision is not None:
                        pair = pair or self.score(recs[x], recs[y])
                        why = (f"merged by {decision.who}", *((f"note: {decision.note}",) if decision.note else ()))
                        pair_links.append(Link(recs[x].inc.incident_id, recs[y].inc.incident_id, pair.score,
                                               (*why, *pair.reasons)))
                    elif pair is not None:
                        pair_links.append(Link(recs[x].inc.incident_id, recs[y].inc.incident_id, pair.score,
                                               pair.reasons))
            events.append(self._event([recs[i] for i in idxs], tuple(pair_links)))
        events.sort(key=lambda e: e.incident_ids[0])
        return events

    # -- events
    def _event(self, recs: list[_Rec], links: tuple[Link, ...]) -> Event:
        incs = [r.inc for r in recs]  # sorted by incident_id
        reported = [i for i in incs if i.stance is Stance.REPORTED]
        basis = reported or incs
        votes: dict[tuple[str, str], int] = defaultdict(int)
        for inc in basis:
            votes[(inc.event_type, inc.sub_event_type)] += 1
        top = max(votes.values())
        event_type, sub_event_type = next((i.event_type, i.sub_event_type) for i in basis
                                          if votes[(i.event_type, i.sub_event_type)] == top)

        def pick(counts_of: str) -> Estimate | None:
            own = [getattr(i, counts_of) for i in reported if getattr(i, counts_of) is not None]
            if not own:  # the claim's figures only when no independent source gives one
                own = [getattr(i, counts_of) for i in incs if getattr(i, counts_of) is not None]
            return estimate(own)

        sources = tuple(
            SourceView(
                incident_id=i.incident_id, doc_id=i.doc_id, source=i.source, source_kind=i.source_kind, stance=i.stance,
                claimed_by=i.claimed_by.text if i.claimed_by else None,
                fatalities=i.fatalities, injuries=i.injuries, killed_or_injured=i.killed_or_injured,
            )
            for i in incs
        )
        return Event(
            incident_ids=tuple(i.incident_id for i in incs),
            event_type=event_type,
            sub_event_type=sub_event_type,
            date=_event_date(recs),
            location=_event_location(incs),
            fatalities=pick("fatalities"),
            injuries=pick("injuries"),
            sources=sources,
            links=links,
            claimed=any(i.stance is Stance.CLAIMED for i in incs),
            reported=bool(reported),
            linker=self.config.linker,
        )


def _record_key(inc: Incident) -> str:
    import json

    return json.dumps(inc.to_dict(), sort_keys=True, ensure_ascii=False)


def _event_date(recs: list[_Rec]) -> DateValue | None:
    """The intersection of the members' dates when they share a day; otherwise the most precise
    member's (independent reports before claims, then the smallest incident id)."""
    dated = [r for r in recs if r.start is not None]
    if not dated:
        return None
    if len(dated) > 1:
        lo, hi = max(r.start for r in dated), min(r.end for r in dated)  # type: ignore[type-var]
        if lo <= hi:
            best = min(dated, key=lambda r: _DATE_RANK[r.inc.date.precision])  # type: ignore[union-attr]
            precision = DatePrecision.DAY if lo == hi else best.inc.date.precision  # type: ignore[union-attr]
            return DateValue(lo, hi, precision, Calendar.GREGORIAN,
                             year_inferred=all(r.inc.date.year_inferred for r in dated))  # type: ignore[union-attr]
    best = min(dated, key=lambda r: (_DATE_RANK[r.inc.date.precision], r.inc.stance is not Stance.REPORTED,  # type: ignore[union-attr]
                                     r.hijri, r.end - r.start, r.inc.incident_id))  # type: ignore[operator]
    return best.inc.date


def _event_location(incs: list[Incident]) -> Location | None:
    located = [i for i in incs if i.location is not None]
    if not located:
        return None
    best = min(located, key=lambda i: (_PLACE_RANK[i.location.precision], i.stance is not Stance.REPORTED,  # type: ignore[union-attr]
                                       i.incident_id))
    return best.location


def resolve_constraints(
    constraints: Iterable[LinkConstraint], index: Mapping[str, int]
) -> tuple[dict[tuple[int, int], LinkConstraint], set[tuple[int, int]]]:
    """The decisions that hold among the records of ``index`` (incident id -> position):
    ``(musts, cannots)``, keyed by position pairs ``(i, j)`` with ``i < j``.

    Decisions are taken latest first (by ``at``, then ``id``; then pair, kind, who and note, so
    the outcome never depends on the input order). A must holds unless a cannot that holds
    already separates the two groups it would join; a cannot holds unless musts that hold
    already join its two records. So the later decision wins a contradiction, and the decisions
    that hold never contradict each other. Decisions on records not in ``index`` are ignored.
    """
    usable = []
    for c in constraints:
        if not isinstance(c, LinkConstraint):
            raise ConfigError(f"link constraints must be LinkConstraint records, got {type(c).__name__}",
                              fix="pass store.link_constraints() or LinkConstraint(...) records")
        if c.kind not in LINK_KINDS:
            raise ConfigError(f"link constraint {c.id} has the unknown kind {c.kind!r}",
                              fix="use kind='must' or kind='cannot'")
        if c.incident_a == c.incident_b:
            raise ConfigError(f"link constraint {c.id} pairs {c.incident_a!r} with itself",
                              fix="a link decision names two different incidents")
        if c.incident_a in index and c.incident_b in index:
            usable.append(c)
    usable.sort(key=lambda c: (c.at, c.id, c.incident_a, c.incident_b, c.kind, c.who, c.note or ""), reverse=True)

    root: dict[int, int] = {}
    group: dict[int, set[int]] = {}

    def find(x: int) -> int:
        while root.get(x, x) != x:
            x = root[x]
        return x

    apart: dict[int, set[int]] = defaultdict(set)  # record -> records it holds a cannot with
    musts: dict[tuple[int, int], LinkConstraint] = {}
    cannots: set[tuple[int, int]] = set()
    for c in usable:
        x, y = sorted((index[c.incident_a], index[c.incident_b]))
        if (x, y) in musts or (x, y) in cannots:
            continue  # a later decision on the same pair holds
        rx, ry = find(x), find(y)
        if c.kind == "must":
            if rx != ry:
                gx, gy = group.get(rx, {rx}), group.get(ry, {ry})
                if any(find(z) == ry for m in gx for z in apart[m]):
                    continue  # a later cannot keeps the two groups apart
                keep, gone = min(rx, ry), max(rx, ry)
                root[gone] = keep
                group[keep] = gx | gy
                group.pop(gone, None)
            musts[(x, y)] = c
        else:
            if rx == ry:
                continue  # later musts joined the two
            cannots.add((x, y))
            apart[x].add(y)
            apart[y].add(x)
    return musts, cannots


def link_incidents(incidents: Iterable[Incident], config: LinkConfig | None = None,
                   constraints: Sequence[LinkConstraint] = ()) -> list[Event]:
    """Group incident records that report the same event into :class:`Event` records.

    Every incident ends in exactly one event (most in an event of their own). The result is
    sorted by each event's smallest incident id and does not depend on the input order.
    ``constraints`` are a person's decisions (``must``: one event, ``cannot``: never one
    event); they win over scores, and of two that contradict each other the later wins (see
    :func:`resolve_constraints`).
    """
    return Linker(config).link(incidents, constraints)


# --------------------------------------------------------------------------
# A person's merges and splits on a store (the review UI, `eventcoder link`)


def relink(store: "Store", config: LinkConfig | None = None) -> list[Event]:
    """Link the store's incidents with its link decisions and store the events (replacing all);
    returns them. Incidents a reviewer rejected are left out of every event."""
    linker = Linker(config)
    rejected = {inc_id for inc_id, status in store.reviews().items() if status == "rejected"}
    incidents = [inc for inc in store.incidents() if inc.incident_id not in rejected]
    events = linker.link(incidents, store.link_constraints())
    store.put_events(events, linker.config.linker)
    return events


def relink_if_linked(store: "Store", config: LinkConfig | None = None) -> list[Event] | None:
    """After a person changed an incident (a correction of its date or place, a rejection):
    re-link and store the events when the store has been linked before, so that the events
    follow the change; None (and nothing done) when it holds no events."""
    if not store.counts().get("events"):
        return None
    return relink(store, config)


def _stored_event(store: "Store", event_id: str) -> Event:
    event = store.event(event_id) if isinstance(event_id, str) else None
    if event is None:
        raise StoreError(f"no event with id {event_id!r}",
                         fix="pass an event_id of store.events(); ids change when a re-link regroups, so reload them")
    return event


def merge_events(store: "Store", event_a: str, event_b: str, who: str, note: str | None = None, *,
                 config: LinkConfig | None = None) -> list[Event]:
    """A person's decision that two stored events are one: stores ``must`` decisions from the
    merged event's smallest incident id to each other member (so every member stays in it on
    re-linking, not only the two smallest), withdraws any ``cannot`` decision between its
    members, re-links every stored incident with every decision and stores the events. Returns
    all the events of the re-link. One transaction: on an error nothing is stored."""
    first, second = _stored_event(store, event_a), _stored_event(store, event_b)
    if first.event_id == second.event_id:
        raise ConfigError(f"cannot merge event {event_a!r} with itself", fix="pass two different event ids")
    members = sorted(set(first.incident_ids) | set(second.incident_ids))
    head, rest = members[0], members[1:]
    star = {(head, other) for other in rest}
    inside = set(members)
    with store.transaction():
        for other in rest:
            store.add_link_constraint(head, other, "must", who, note)
        for c in store.link_constraints():
            if (c.kind == "cannot" and c.incident_a in inside and c.incident_b in inside
                    and (c.incident_a, c.incident_b) not in star):
                store.remove_link_constraint(c.id, who, note)
        return relink(store, config)


def split_event(store: "Store", event_id: str, move: Sequence[str], who: str, note: str | None = None, *,
                config: LinkConfig | None = None) -> list[Event]:
    """A person's decision that the incidents ``move`` are not the rest of stored event
    ``event_id``: stores a ``cannot`` decision between every moved and every remaining member
    (replacing any ``must`` between them), re-links every stored incident with every decision
    and stores the events. The moved incidents end up together only where the linker (or an
    earlier merge) puts them together. Returns all the events of the re-link. One transaction."""
    event = _stored_event(store, event_id)
    members = set(event.incident_ids)
    shown = ", ".join(sorted(members)[:10]) + (" ..." if len(members) > 10 else "")
    if isinstance(move, str):
        move = [move]
    moved = sorted(set(move))
    if not moved:
        raise ConfigError(f"no incidents to move out of event {event_id!r}",
                          fix=f"pass move=[incident ids], some of the event's members: {shown}")
    strangers = [inc_id for inc_id in moved if inc_id not in members]
    if strangers:
        raise ConfigError(f"{', '.join(map(repr, strangers))} not in event {event_id!r}",
                          fix=f"move some of the event's members: {shown}")
    remaining = sorted(members - set(moved))
    if not remaining:
        raise ConfigError(f"moving every member of event {event_id!r} splits nothing",
                          fix="leave at least one member in the event")
    with store.transaction():
        for inc_id in moved:
            for other in remaining:
                store.add_link_constraint(inc_id, other, "cannot", who, note)
        return relink(store, config)


# --------------------------------------------------------------------------
# The labelled pair corpus and its score


@dataclass(frozen=True)
class LabeledPair:
    pair_id: str
    split: str
    same: bool
    why: str
    a: Incident
    b: Incident


_COUNT = re.compile(r"^\s*(~|>=|>|<=)?\s*(\d+)(?:\s*-\s*(\d+))?\s*$")


def _count(value: Any) -> Count | None:
    if value is None:
        return None
    m = _COUNT.match(str(value))
    if not m:
        raise ConfigError(f"bad count {value!r} in the pair corpus", fix="write 12, \"10-15\", \"~35\", \">14\", \">=5\" or null")
    sign, low, high = m.group(1), int(m.group(2)), m.group(3)
    if sign == "<=":
        return Count(None, low, Qualifier.EXACT)
    q = {"~": Qualifier.APPROXIMATELY, ">": Qualifier.MORE_THAN, ">=": Qualifier.AT_LEAST}.get(sign or "", Qualifier.EXACT)
    return Count(low, int(high) if high else (None if sign in (">", ">=") else low), q)


def incident_from_compact(side: dict[str, Any], slot: int = 0) -> Incident:
    """An :class:`Incident` from the compact form of ``link_pairs.yaml`` (see the file's header).
    ``slot`` gives the evidence span, so two records of one document get different ids."""
    from .codebook import load_codebook

    groups = {e.code: e.extra.get("group") for e in load_codebook("event_types").entries}
    sub = side["type"]
    if sub not in groups:
        raise ConfigError(f"unknown sub_event_type {sub!r} in the pair corpus", fix="use a code of codebooks/event_types.yaml")
    dates = str(side["date"]).split("..")
    start = dt.date.fromisoformat(dates[0])
    end = dt.date.fromisoformat(dates[1]) if len(dates) > 1 else start
    precision = DatePrecision(side.get("prec", "day"))
    place = side.get("place")
    location = None
    if place:
        name, admin1, country, lat, lon, precision_l = place
        location = Location(text=name or admin1 or country or "", name=name, admin1=admin1, country=country, lat=lat,
                            lon=lon, precision=LocationPrecision(precision_l))
    claimed_by = Actor(side["claimed_by"]) if side.get("claimed_by") else None
    perps = tuple(Actor(p) for p in side.get("perp", ())) + tuple(Actor(g, generic=True) for g in side.get("generic", ()))
    return Incident(
        doc_id=side["doc"],
        event_type=side.get("event_type") or groups[sub],
        sub_event_type=sub,
        evidence=((slot * 100, slot * 100 + 50),),
        source=side.get("source", "unknown"),
        source_kind=SourceKind(side.get("kind", "unknown")),
        stance=Stance(side.get("stance", "reported")),
        claimed_by=claimed_by,
        date=DateValue(start, end, precision, Calendar(side.get("cal", "gregorian"))),
        location=location,
        perpetrators=perps,
        targets=tuple(Target(c, TargetKind.HUMAN, c) for c in side.get("targets", ())),
        fatalities=_count(side.get("killed")),
        injuries=_count(side.get("injured")),
    )


def load_pair_corpus(path: str | Path) -> list[LabeledPair]:
    """Read a labelled pair corpus (``tests/data/link_pairs.yaml``)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"no pair corpus at {p}", fix="give the path of a file shaped like tests/data/link_pairs.yaml")
    data = safe_load(p.read_text(encoding="utf-8"))
    pairs = []
    for item in data["pairs"]:
        pairs.append(LabeledPair(item["id"], item["split"], bool(item["same"]), item.get("why", ""),
                                 incident_from_compact(item["a"], item["a"].get("slot", 0)),
                                 incident_from_compact(item["b"], item["b"].get("slot", 1))))
    ids = [p.pair_id for p in pairs]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"pair corpus {p} repeats pair ids", fix="give every pair a unique id")
    return pairs


def score_pairs(corpus: str | Path | Sequence[LabeledPair], config: LinkConfig | None = None,
                split: str | None = None) -> dict[str, Any]:
    """Score the linker's same/not-same decision on labelled pairs (optionally one ``split``):
    precision, recall and F1 of "same", the counts, and every miss with the pair's score and reasons."""
    pairs = load_pair_corpus(corpus) if isinstance(corpus, (str, Path)) else list(corpus)
    if split is not None:
        pairs = [p for p in pairs if p.split == split]
    linker = Linker(config)
    tp = fp = fn = tn = 0
    misses = []
    for pair in pairs:
        events = linker.link([pair.a, pair.b])
        predicted = len(events) == 1
        scored = linker.explain(pair.a, pair.b)
        if predicted and pair.same:
            tp += 1
        elif predicted:
            fp += 1
        elif pair.same:
            fn += 1
        else:
            tn += 1
        if predicted != pair.same:
            misses.append({"id": pair.pair_id, "same": pair.same, "predicted": predicted,
                           "score": scored.score if math.isfinite(scored.score) else None,
                           "reasons": list(scored.reasons), "why": pair.why})
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"split": split or "all", "pairs": len(pairs), "positive": tp + fn, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "misses": misses,
            "linker": linker.config.linker, "config_version": linker.config.version}
