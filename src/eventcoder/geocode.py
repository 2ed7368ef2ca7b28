"""The geocode stage: place mentions in, places on the map out, offline.

Resolves the place mentions the extractor found against the SQLite gazetteer of
:mod:`eventcoder.gazetteer` (GeoNames cities500, ISO countries and provinces, the curated
overlay), using the document as context: its dateline, the countries, provinces and large cities
it names, and the places already resolved in it. Candidates abroad must be large to win.

The stage works on records: :meth:`Geocoder.geocode` takes an :class:`Incident` whose
``location`` has only ``text`` and ``spans`` and returns it with name, country, point and
precision filled in. A place that is not found keeps its text with precision ``unknown``.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Iterable

from .gazetteer import GAZETTEER_VERSION, Gazetteer, normalize_place
from .records import Incident, Location, LocationPrecision, PlaceCandidate
from .segment import dateline

_WORD = re.compile(r"[\w'’ʿʾ-]+")


# A candidate outside every country the document is about must be at least this big to win.
_FOREIGN_MIN_POPULATION = 1_000_000


def _candidate(mention: PlaceCandidate, place: Any) -> PlaceCandidate:
    return PlaceCandidate(
        text=mention.text, spans=mention.spans, name=place.name, admin1=place.admin1, country=place.country,
        lat=place.lat, lon=place.lon, feature=place.feature, precision=mention.precision, source=place.source,
    )


class Geocoder:
    """The geocode stage: fills ``Incident.location`` from its text and the document context.

    The gazetteer (:mod:`eventcoder.gazetteer`, a SQLite file built from GeoNames on first use)
    is opened when first needed and kept for the object's lifetime; the object pickles."""

    def __init__(self, gazetteer: Gazetteer | None = None, path: str | None = None, overlays: tuple[str, ...] = ()):
        self._gazetteer = gazetteer
        self.path = path
        self.overlays = tuple(overlays)
        self._context_keys: dict[str, str] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"_gazetteer": None, "path": self.path, "overlays": self.overlays, "_context_keys": None}

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = Gazetteer.open(self.path, self.overlays)
        return self._gazetteer

    @property
    def version(self) -> str:
        return f"geonames-sqlite.v{GAZETTEER_VERSION}"

    @property
    def context_keys(self) -> dict[str, str]:
        """Names that tell which country a document is about -> ISO code: countries, provinces
        and cities of over 300,000 people, when the name is not shared with a place of another
        country of the same kind (a country's or a province's own name outranks cities that list
        it as an alternate)."""
        if self._context_keys is None:
            by_tier: dict[str, dict[int, set[str]]] = {}
            for key, country, feature, population in self.gazetteer.context_rows(300_000):
                if len(key) < 5 or not country:
                    continue
                tier = {"country": 0, "admin1": 1}.get(feature, 2)
                by_tier.setdefault(key, {}).setdefault(tier, set()).add(country)
            keys = {}
            for key, tiers in by_tier.items():
                top = tiers[min(tiers)]
                if len(top) == 1:
                    keys[key] = next(iter(top))
            self._context_keys = keys
        return self._context_keys

    def context_countries(self, text: str) -> list[str]:
        """Countries a document is about: its dateline's, then those it names, in order."""
        keys = self.context_keys
        seen: dict[str, None] = {}
        dl = dateline(text)
        if dl is not None:
            (a, b) = dl[1]
            for part in reversed(text[a:b].split(",")):
                cands = self.gazetteer.candidates(part.strip())
                if cands and cands[0].country:
                    seen.setdefault(cands[0].country, None)
                    break
        words = _WORD.findall(text)
        i = 0
        while i < len(words):  # longest name first, three words at most
            for n in (3, 2, 1):
                cc = keys.get(normalize_place(" ".join(words[i : i + n])))
                if cc:
                    seen.setdefault(cc, None)
                    i += n
                    break
            else:
                i += 1
        return list(seen)

    def _best(self, text: str, countries: list[str]) -> tuple[Any, list[Any]]:
        """The best gazetteer entry for a mention (None when there is none) and all candidates."""
        cands = self.gazetteer.candidates(text, countries)
        if not cands:
            return None, []
        best = cands[0]
        if countries and best.country not in countries and best.population < _FOREIGN_MIN_POPULATION:
            return None, cands  # a small namesake abroad (Calama, Chile, for a village in Nineveh)
        return best, cands

    def _point(self, place: Any, countries: list[str]) -> Any:
        """A place with coordinates: the place itself, or the reference place an overlay row names."""
        if place.lat is not None or not place.parent:
            return place
        parent = self.gazetteer.parent_of(place)
        return parent if parent is not None and parent.lat is not None else place

    def resolve(self, loc: Location, countries: Iterable[str] = ()) -> Location:
        """Resolve a location and its alternative mentions; keep the most specific place found.

        Tiers: a city or curated place (with a point, or a reference place) beats a province,
        which beats a country. When the act's own place is not in the gazetteer but another
        place in its sentences is a city, that city is returned as the reference place with
        precision ``near`` ("the al-Karama neighbourhood ... of Mosul")."""
        countries = list(countries)
        mentions = [PlaceCandidate(loc.text, loc.spans, precision=loc.precision)]
        mentions += [a for a in loc.alternatives if a.name is None]
        resolved = [(m, *self._best(m.text, countries)) for m in mentions]
        tier = {"city": 0, "overlay": 0, "admin1": 1, "country": 2}
        ranked = sorted(
            (i for i, (_, best, _) in enumerate(resolved) if best is not None),
            key=lambda i: (tier.get(resolved[i][1].feature, 3), i),
        )
        if not ranked:  # nothing in the gazetteer: keep the name, take the document's country
            return dataclasses.replace(loc, country=countries[0] if countries else None, alternatives=())
        i = ranked[0]
        mention, best, cands = resolved[i]
        point = self._point(best, countries)
        first = resolved[0][0]
        if i > 0 and resolved[0][1] is None and tier.get(best.feature, 3) == 0:
            # the act's own place is unknown: the named place nearby is its reference
            text, spans, precision = first.text, first.spans + mention.spans, LocationPrecision.NEAR
        else:
            text, spans = mention.text, mention.spans
            precision = {"country": LocationPrecision.COUNTRY, "admin1": LocationPrecision.ADMIN1}.get(
                best.feature,
                LocationPrecision.NEAR if mention.precision == LocationPrecision.NEAR or point is not best else LocationPrecision.EXACT,
            )
            if best.feature in ("city", "overlay") and point.lat is None:
                precision = LocationPrecision.NEAR
        alternatives = [_candidate(mention, c) for c in cands[1:4]]
        alternatives += [_candidate(m, b) for j, (m, b, _) in enumerate(resolved) if j != i and b is not None]
        alternatives += [m for m, b, _ in resolved[1:] if b is None and m is not mention]
        return dataclasses.replace(
            loc, text=text, spans=spans, name=best.name, admin1=best.admin1, country=best.country,
            lat=point.lat, lon=point.lon, precision=precision, alternatives=tuple(alternatives[:6]),
        )

    def geocode_all(self, incidents: list[Incident], text: str) -> list[Incident]:
        """Geocode a document's incidents; places found in the document become context for the rest."""
        countries = self.context_countries(text)
        done = [self.geocode(i, text, countries) for i in incidents]
        found = [i.location.country for i in done if i.location and i.location.lat is not None and i.location.country]
        if found:
            ranked = sorted(set(found), key=lambda c: (-found.count(c), found.index(c)))
            countries = ranked + [c for c in countries if c not in ranked]
            done = [self.geocode(i, text, countries) if i.location and i.location.lat is None else i for i in done]
        return done

    def geocode(self, incident: Incident, text: str, countries: Iterable[str] | None = None) -> Incident:
        if incident.location is None:
            return incident
        ctx = list(countries) if countries is not None else self.context_countries(text)
        return dataclasses.replace(incident, location=self.resolve(incident.location, ctx))
