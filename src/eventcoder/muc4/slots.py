"""Score the slots the processed MUC-4 files lack: incident date, location and human effects.

Gold comes from the original answer keys (:mod:`eventcoder.muc4.raw_keys`); predictions are
the pipeline's :class:`~eventcoder.records.Incident` records. Pure functions, no I/O.

**Which predictions count.** Only incidents with a MUC-4 type (``muc4_types[sub_event_type]``
truthy, the ones :func:`eventcoder.muc4.adapter.to_template` turns into templates).

**Matching.** Per document, predicted incidents and gold templates are paired by a
maximum-weight assignment (``scipy.optimize.linear_sum_assignment``) over

    weight = 4 * type            (the predicted MUC type is a substring of the gold type,
                                  so ``attack`` matches ``attack / bombing``)
           + 2 * exact day       (see below) or 1 * date windows overlap
           + 1 * country correct + 2 * place correct

and a pair with weight 0 is left unmatched. Because date and location agreement help decide
the pairs, the per-slot accuracies over matched pairs are optimistic when a document has
several incidents of the same type; the P/R/F1 figures, whose denominators do not depend on
the matching, are not.

**date.** A predicted window is ``[start, end]`` of ``incident.date``, widened by one day on
each side when the date was written in the Hijri calendar (conversion tables disagree by a
day). It *claims a day* when it is closed and spans at most 3 days. A gold template *gives a
day* when one of its alternatives is a single day (``12 JAN 90``) and none is open: a key
such as ``(28 NOV 89) / (- 28 NOV 89)`` says the report fixes no day, only one the act was on
or before, ``16 NOV 00`` (the keys' year for a message without a dateline) has no year to
resolve, and a key whose every day falls more than one day after the publication date names a
day no report can give (a typo in the key's year: ``16 NOV 90`` in a January 1990 report on
the murders of 16 November 1989; 6 of train's 567 keys with a day, none of dev's); all three
are counted in ``gold_day_left_out``. The pair is *exact-day
correct* when a claimed window contains one of those days. ``exact_day_accuracy`` = correct /
matched gold templates that give a day. ``window_contains_gold``: over matched gold templates
with a closed interval, the predicted window contains one; ``window_overlaps_gold``: over
matched gold templates with any date, the windows intersect (open ends unbounded). Gold dates
written without a year are resolved against the publication date.

**location.** Country: the incident's ISO 3166 alpha-2 code equals the code of a country any
gold alternative names (pycountry, plus typo overrides). Place: the incident's location text
or name equals, case-insensitively and accent-folded, a place name of a gold alternative.
A prediction claims a place when its location is not country-level.

**effects.** Gold death/injury: a ``DEATH`` / ``INJURY`` label in ``HUM TGT: EFFECT OF
INCIDENT`` (``NO DEATH`` and ``NO INJURY OR DEATH`` are not). Predicted death: a fatality
count that is not explicitly zero, or a combined killed-or-injured count; injury likewise.
Accuracy of each boolean over matched pairs; P/R/F1 on the positive class.

**effects, exact counts** (``effects["counts"]["killed" | "injured"]``). Gold:
:attr:`RawTemplate.killed <eventcoder.muc4.raw_keys.RawTemplate.killed>` / ``injured``, the
numbers the key accepts, derived from ``HUM TGT: NUMBER`` of the targets whose effect is
``DEATH`` / ``INJURY`` or from the total, 0 where the key says ``NO DEATH`` and the like (the
rule is in :mod:`eventcoder.muc4.raw_keys`). Over matched pairs whose gold gives a definite
count (``n``), a pair is correct when the incident's ``fatalities`` (resp. ``injuries``)
states one exact figure (``low == high``, qualifier ``exact``) that the key accepts.
``no_count``: pairs whose incident has no such count at all (a combined killed-or-injured
count does not stand in); ``inexact``: it has one, but as a range, a bound, an approximation
or without a figure; ``gold_zero``: pairs whose key says nobody; ``gold_templates``: gold
templates, matched or not, with a definite count.

P/R/F1 per slot: numerator = correct matched pairs; precision denominator = predicted
incidents that claim a value (a day, a country, a place, death, injury); recall denominator =
gold templates that give one. Percentages are rounded to two decimals.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from eventcoder.errors import ConfigError
from eventcoder.muc4.metrics import Prf
from eventcoder.muc4.raw_keys import RawDate, RawTemplate
from eventcoder.records import Calendar, Count, Incident, LocationPrecision, Qualifier

SLOTS: tuple[str, ...] = ("date", "location", "effects")
MAX_DAY_SPAN = 3  # days a predicted window may span and still claim a day
HIJRI_SLACK = dt.timedelta(days=1)
# A key's day may be one day after the dateline (local time against GMT), never more.
AFTER_PUBLICATION = dt.timedelta(days=1)
# Key spellings pycountry cannot look up.
COUNTRY_OVERRIDES: dict[str, str] = {"GUATAMALA": "GT"}
WEIGHTS = {"type": 4, "exact_day": 2, "date_overlap": 1, "country": 1, "place": 2}

MATCHING_RULE = (
    "per document, maximum-weight assignment of MUC-typed predicted incidents to gold "
    "templates; weight = 4*type match (predicted type substring of gold type) + 2*exact day "
    "(else 1*date windows overlap) + 1*country + 2*place; weight-0 pairs stay unmatched"
)

_Window = tuple[dt.date | None, dt.date | None]


def score_slots(
    gold: Mapping[str, Sequence[RawTemplate]],
    predicted: Mapping[str, Sequence[Incident]],
    published: Mapping[str, dt.date | None],
    slots: Sequence[str] = SLOTS,
    *,
    muc4_types: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """Per-slot scores for the documents in ``gold`` (see the module docstring for the rules).

    ``muc4_types`` maps an incident's ``sub_event_type`` to its MUC-4 type (the codebook
    crosswalk, ``Lexicon.muc4``); None means the sub-event types already are MUC-4 types.
    Predicted documents absent from ``gold`` are ignored. Returns a JSON-ready dict with a
    ``matching`` section and one section per requested slot.
    """
    unknown = [s for s in slots if s not in SLOTS]
    if unknown:
        raise ConfigError(f"unknown MUC-4 slots {unknown}", fix=f"use a subset of: {', '.join(SLOTS)}")

    tally = _Tally()
    countries: dict[str, str | None] = {}  # MUC country name -> ISO2, for this call
    for docid, templates in gold.items():
        pub = published.get(docid)
        golds = [_Gold.of(t, pub, countries) for t in templates]
        preds = [
            _Pred.of(inc, typ)
            for inc in predicted.get(docid, ())
            if (typ := _muc_type(inc, muc4_types))
        ]
        tally.add_unpaired(golds, preds, pub)
        for p, g in _match(preds, golds):
            tally.add_pair(p, g)

    report: dict[str, Any] = {
        "matching": {
            "rule": MATCHING_RULE,
            "documents": len(gold),
            "gold_templates": tally.n_gold,
            "predicted_incidents": tally.n_pred,
            "matched_pairs": tally.n_pairs,
            "type_agreement": _pct(tally.type_ok, tally.n_pairs),
        }
    }
    for slot in slots:
        report[slot] = getattr(tally, f"{slot}_report")()
    return report


# --- prepared gold and predictions ---------------------------------------------------------


@dataclass(frozen=True)
class _Gold:
    incident_type: str
    intervals: tuple[_Window, ...]
    days: tuple[dt.date, ...]
    countries: frozenset[str]
    places: frozenset[str]
    death: bool
    injury: bool
    killed: tuple[int, ...] = ()  # the counts the key accepts; () when it gives none
    injured: tuple[int, ...] = ()
    day_left_out: str | None = None  # why a key that names a day does not give one

    @classmethod
    def of(cls, t: RawTemplate, published: dt.date | None, cache: dict[str, str | None]) -> _Gold:
        date = t.date.resolve(published) if t.date is not None else None
        intervals = date.alternatives if date is not None else ()
        days = date.days if date is not None else ()
        late = bool(days and published is not None and all(d > published + AFTER_PUBLICATION for d in days))
        codes = set()
        places: set[str] = set()
        if t.location is not None:
            for name in t.location.countries:
                if name not in cache:
                    cache[name] = country_iso2(name)
                if cache[name]:
                    codes.add(cache[name])
            places = {fold(p) for p in t.location.place_names}
        return cls(
            incident_type=t.incident_type,
            intervals=intervals,
            days=() if late else days,
            countries=frozenset(codes),
            places=frozenset(places),
            death=t.death,
            injury=t.injury,
            killed=t.killed.values,
            injured=t.injured.values,
            day_left_out="after_publication" if late else _day_left_out(date),
        )


def _day_left_out(date: RawDate | None) -> str | None:
    """Why a key that names a day does not give one: ``open_alternative`` (it also allows "on
    or before"), ``year_unknown`` (no year to resolve, ``16 NOV 00``); None otherwise."""
    if date is None:
        return None
    if date.alternatives and not date.days and any(s is not None and s == e for s, e in date.alternatives):
        return "open_alternative"
    if date.year_missing and not date.alternatives:
        return "year_unknown"
    return None


@dataclass(frozen=True)
class _Pred:
    incident_type: str
    window: _Window | None  # None: no date
    claims_day: bool
    country: str | None
    names: frozenset[str]  # folded location text and name
    claims_place: bool
    death: bool
    injury: bool
    killed: int | None = None  # exact figures (see exact_figure)
    injured: int | None = None
    has_killed: bool = False  # a fatalities / injuries count at all
    has_injured: bool = False

    @classmethod
    def of(cls, inc: Incident, muc_type: str) -> _Pred:
        window, claims_day = None, False
        if inc.date is not None and (inc.date.start is not None or inc.date.end is not None):
            start, end = inc.date.start, inc.date.end
            if inc.date.calendar == Calendar.HIJRI:
                start = start - HIJRI_SLACK if start else None
                end = end + HIJRI_SLACK if end else None
            window = (start, end)
            claims_day = bool(start and end and 0 <= (end - start).days < MAX_DAY_SPAN)
        loc = inc.location
        names = frozenset(fold(x) for x in ((loc.text, loc.name) if loc else ()) if x)
        either = _positive(inc.killed_or_injured)
        return cls(
            incident_type=muc_type,
            window=window,
            claims_day=claims_day,
            country=(loc.country.upper() if loc and loc.country else None),
            names=names,
            claims_place=bool(loc and names and loc.precision != LocationPrecision.COUNTRY),
            death=_positive(inc.fatalities) or either,
            injury=_positive(inc.injuries) or either,
            killed=exact_figure(inc.fatalities),
            injured=exact_figure(inc.injuries),
            has_killed=inc.fatalities is not None,
            has_injured=inc.injuries is not None,
        )


def _muc_type(inc: Incident, muc4_types: Mapping[str, str | None] | None) -> str | None:
    if muc4_types is None:
        return inc.sub_event_type or None
    return muc4_types.get(inc.sub_event_type) or None


def _positive(count: Count | None) -> bool:
    """A count that is present and not explicitly zero."""
    if count is None:
        return False
    if count.low is not None:
        return count.low > 0
    return count.high is None or count.high > 0


def exact_figure(count: Count | None) -> int | None:
    """The one figure a count states exactly (``low == high``, qualifier ``exact``), else None:
    "7 killed" -> 7, "about 35" / "10 to 15" / "more than 14" / "dozens" -> None."""
    if count is None or count.qualifier != Qualifier.EXACT or count.low is None:
        return None
    return count.low if count.low == count.high else None


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a place name: ``Medellín`` -> ``medellin``."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def country_iso2(name: str) -> str | None:
    """ISO 3166-1 alpha-2 code of a MUC key country name (``EL SALVADOR`` -> ``SV``)."""
    import pycountry

    key = " ".join(name.upper().split())
    if key in COUNTRY_OVERRIDES:
        return COUNTRY_OVERRIDES[key]
    try:
        return pycountry.countries.lookup(key).alpha_2
    except LookupError:
        return None


# --- per-pair judgements -------------------------------------------------------------------


def _type_ok(p: _Pred, g: _Gold) -> bool:
    return bool(p.incident_type) and p.incident_type in g.incident_type


def _exact_day(p: _Pred, g: _Gold) -> bool:
    if not p.claims_day or p.window is None:
        return False
    start, end = p.window
    return any(start <= day <= end for day in g.days)  # type: ignore[operator]


def _contains(p: _Pred, g: _Gold) -> bool:
    if p.window is None or p.window[0] is None or p.window[1] is None:
        return False
    start, end = p.window
    return any(s is not None and e is not None and start <= s and e <= end for s, e in g.intervals)


def _overlaps(p: _Pred, g: _Gold) -> bool:
    if p.window is None:
        return False
    ps, pe = p.window
    return any(
        (ps is None or e is None or ps <= e) and (s is None or pe is None or s <= pe)
        for s, e in g.intervals
    )


def _country_ok(p: _Pred, g: _Gold) -> bool:
    return p.country is not None and p.country in g.countries


def _place_ok(p: _Pred, g: _Gold) -> bool:
    return bool(p.names & g.places)


def _weight(p: _Pred, g: _Gold) -> int:
    w = WEIGHTS["type"] * _type_ok(p, g)
    if _exact_day(p, g):
        w += WEIGHTS["exact_day"]
    elif _overlaps(p, g):
        w += WEIGHTS["date_overlap"]
    w += WEIGHTS["country"] * _country_ok(p, g) + WEIGHTS["place"] * _place_ok(p, g)
    return w


def _match(preds: list[_Pred], golds: list[_Gold]) -> list[tuple[_Pred, _Gold]]:
    if not preds or not golds:
        return []
    weights = np.array([[_weight(p, g) for g in golds] for p in preds], dtype=float)
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return [(preds[i], golds[j]) for i, j in zip(rows, cols) if weights[i, j] > 0]


# --- tallies -------------------------------------------------------------------------------


def _pct(num: int, den: int) -> float | None:
    return round(100 * num / den, 2) if den else None


def _prf(num: int, p_den: int, r_den: int) -> dict[str, Any]:
    p, r, f1 = Prf(num, p_den, num, r_den).as_percent()
    return {"p": p, "r": r, "f1": f1, "num": num, "p_den": p_den, "r_den": r_den}


def _acc(correct: int, n: int) -> dict[str, Any]:
    return {"accuracy": _pct(correct, n), "correct": correct, "n": n}


class _Tally:
    """Counters for one scoring call."""

    def __init__(self) -> None:
        self.n_gold = self.n_pred = self.n_pairs = self.type_ok = 0
        self.c: dict[str, int] = {}

    def _inc(self, key: str, by: int | bool = 1) -> None:
        self.c[key] = self.c.get(key, 0) + int(by)

    def add_unpaired(self, golds: list[_Gold], preds: list[_Pred], published: dt.date | None) -> None:
        """Denominators that do not depend on the matching."""
        self.n_gold += len(golds)
        self.n_pred += len(preds)
        for g in golds:
            self._inc("gold_day", bool(g.days))
            if g.day_left_out:
                self._inc(f"gold_day_{g.day_left_out}")
            self._inc("gold_dated", bool(g.intervals))
            self._inc("gold_country", bool(g.countries))
            self._inc("gold_place", bool(g.places))
            self._inc("gold_death", g.death)
            self._inc("gold_injury", g.injury)
            self._inc("gold_killed", bool(g.killed))
            self._inc("gold_injured", bool(g.injured))
            if g.days and published is not None:
                self._inc("baseline_n")
                self._inc("baseline_same_day", published in g.days)
                self._inc("baseline_day_or_before", any(0 <= (published - d).days <= 1 for d in g.days))
        for p in preds:
            self._inc("pred_undated", p.window is None)
            self._inc("pred_day", p.claims_day)
            self._inc("pred_country", p.country is not None)
            self._inc("pred_place", p.claims_place)
            self._inc("pred_death", p.death)
            self._inc("pred_injury", p.injury)

    def add_pair(self, p: _Pred, g: _Gold) -> None:
        self.n_pairs += 1
        self.type_ok += _type_ok(p, g)
        if g.days:
            self._inc("m_day")
            self._inc("m_day_ok", _exact_day(p, g))
            self._inc("m_day_undated", p.window is None)
        if any(s is not None and e is not None for s, e in g.intervals):
            self._inc("m_closed")
            self._inc("m_closed_ok", _contains(p, g))
        if g.intervals:
            self._inc("m_dated")
            self._inc("m_dated_ok", _overlaps(p, g))
        if g.countries:
            self._inc("m_country")
            self._inc("m_country_ok", _country_ok(p, g))
        if g.places:
            self._inc("m_place")
            self._inc("m_place_ok", _place_ok(p, g))
        self._inc("m_death_ok", p.death == g.death)
        self._inc("m_death_tp", p.death and g.death)
        self._inc("m_injury_ok", p.injury == g.injury)
        self._inc("m_injury_tp", p.injury and g.injury)
        for kind, gold, figure, has in (
            ("killed", g.killed, p.killed, p.has_killed),
            ("injured", g.injured, p.injured, p.has_injured),
        ):
            if gold:
                self._inc(f"m_{kind}")
                self._inc(f"m_{kind}_ok", figure is not None and figure in gold)
                self._inc(f"m_{kind}_none", not has)
                self._inc(f"m_{kind}_inexact", has and figure is None)
                self._inc(f"m_{kind}_zero", max(gold) == 0)

    def date_report(self) -> dict[str, Any]:
        c = self.c.get
        return {
            "exact_day_accuracy": _pct(c("m_day_ok", 0), c("m_day", 0)),
            "exact_day_correct": c("m_day_ok", 0),
            "matched_gold_with_day": c("m_day", 0),
            "matched_gold_with_day_undated_prediction": c("m_day_undated", 0),
            "gold_templates_with_day": c("gold_day", 0),
            "gold_day_left_out": {
                "open_alternative": c("gold_day_open_alternative", 0),
                "year_unknown": c("gold_day_year_unknown", 0),
                "after_publication": c("gold_day_after_publication", 0),
            },
            "gold_templates_with_date": c("gold_dated", 0),
            "predicted_incidents_without_date": c("pred_undated", 0),
            "predicted_incidents_claiming_day": c("pred_day", 0),
            "exact_day": _prf(c("m_day_ok", 0), c("pred_day", 0), c("gold_day", 0)),
            "window_contains_gold": _acc(c("m_closed_ok", 0), c("m_closed", 0)),
            "window_overlaps_gold": _acc(c("m_dated_ok", 0), c("m_dated", 0)),
            "publication_date_baseline": {
                "n": c("baseline_n", 0),
                "same_day": _pct(c("baseline_same_day", 0), c("baseline_n", 0)),
                "same_or_previous_day": _pct(c("baseline_day_or_before", 0), c("baseline_n", 0)),
            },
        }

    def location_report(self) -> dict[str, Any]:
        c = self.c.get
        return {
            "country": {
                **_acc(c("m_country_ok", 0), c("m_country", 0)),
                **_prf(c("m_country_ok", 0), c("pred_country", 0), c("gold_country", 0)),
            },
            "place": {
                **_acc(c("m_place_ok", 0), c("m_place", 0)),
                **_prf(c("m_place_ok", 0), c("pred_place", 0), c("gold_place", 0)),
            },
        }

    def effects_report(self) -> dict[str, Any]:
        c = self.c.get
        report: dict[str, Any] = {
            effect: {
                **_acc(c(f"m_{effect}_ok", 0), self.n_pairs),
                **_prf(c(f"m_{effect}_tp", 0), c(f"pred_{effect}", 0), c(f"gold_{effect}", 0)),
            }
            for effect in ("death", "injury")
        }
        report["counts"] = {
            kind: {
                **_acc(c(f"m_{kind}_ok", 0), c(f"m_{kind}", 0)),
                "no_count": c(f"m_{kind}_none", 0),
                "inexact": c(f"m_{kind}_inexact", 0),
                "gold_zero": c(f"m_{kind}_zero", 0),
                "gold_templates": c(f"gold_{kind}", 0),
            }
            for kind in ("killed", "injured")
        }
        return report
