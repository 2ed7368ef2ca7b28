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

import csv
import dataclasses
import math
import re
from importlib import resources
from typing import Any, Iterable

from .gazetteer import ARTICLES, GAZETTEER_VERSION, Gazetteer, normalize_place
from .records import Incident, Location, LocationPrecision, PlaceCandidate
from .segment import dateline

_FOLDED = ARTICLES | {"the"}  # words a place key may drop at its start ("the Gambia", "al-Anbar")
_WORD = re.compile(r"[\w'’ʿʾ-]+")
_BORDER_BEFORE = re.compile(r"border (?:with|of)\s+(?:the\s+)?$", re.I)
# Names that are not where the act happened: origins ("peacekeepers from Chad", but not
# "10 km from Dori") and neighbours ("the Cameroon border"). Shared with the extractor.
ORIGIN_BEFORE = re.compile(r"(?<!km )(?<!kilometres )(?<!miles )\bfrom\s+(?:the\s+)?$", re.I)
BORDER_AFTER = re.compile(r"\s+(?:border|frontier)\b", re.I)
_PROVINCE = re.compile(
    r"\b([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?) (?:[Pp]rovince|[Gg]overnorate|[Dd]epartment|[Ss]tate|[Rr]egion)\b"
    r"|\b(?:[Ww]ilayat|[Ww]ilayah|[Pp]rovince of) (?:al-)?([A-Z][\w'’-]+)"
)


def _demonyms() -> list[dict[str, str]]:
    ref = resources.files("eventcoder").joinpath("data", "gazetteer", "demonyms.csv")
    with ref.open("r", encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


# A candidate outside every country the document is about must be at least this big to win.
_FOREIGN_MIN_POPULATION = 1_000_000


_NEAR_KM = 100  # how far a namesake may be from a place named beside it to be preferred


def _km(a: Any, b: Any) -> float:
    """Great-circle distance in kilometres between two places with points."""
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


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
        self._first_words: frozenset[str] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"_gazetteer": None, "path": self.path, "overlays": self.overlays, "_context_keys": None,
                "_first_words": None}

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
        """Names that tell which country a document is about -> ISO code: country names,
        adjectives of nationality (``data/gazetteer/demonyms.csv``), and cities of over 300,000
        people whose name no other country's city or province shares. Province names count
        only with a province word (:data:`_PROVINCE`), since many are common words elsewhere."""
        if self._context_keys is None:
            countries: dict[str, set[str]] = {}
            others: dict[str, set[str]] = {}
            big: dict[str, set[str]] = {}
            for key, country, feature, population in self.gazetteer.context_rows(300_000):
                if not country:
                    continue
                if feature == "country":
                    countries.setdefault(key, set()).add(country)
                else:
                    others.setdefault(key, set()).add(country)
                    if feature != "admin1":
                        big.setdefault(key, set()).add(country)
            keys = {k: next(iter(v)) for k, v in countries.items() if len(v) == 1 and len(k) >= 4}
            for key, ccs in big.items():
                if len(key) >= 5 and key not in keys and len(others[key]) == 1:
                    keys[key] = next(iter(ccs))
            for row in _demonyms():
                if row["country"]:
                    keys.setdefault(normalize_place(row["demonym"]), row["country"])
            self._context_keys = keys
        return self._context_keys

    @property
    def _context_first_words(self) -> frozenset[str]:
        if self._first_words is None:
            self._first_words = frozenset(k.split()[0] for k in self.context_keys if k)
        return self._first_words

    def context_countries(self, text: str, exclude: Iterable[tuple[int, int]] = ()) -> list[str]:
        """Countries a document is about: its dateline's, then those it names, in order.

        Names inside ``exclude`` spans do not count (a place is no evidence for itself), nor
        do neighbours ("the border with Niger", "the Cameroon border")."""
        return list(dict.fromkeys(cc for cc, span in self.context_mentions(text)
                                  if not any(a <= span[0] < b for a, b in exclude)))

    def context_mentions(self, text: str) -> list[tuple[str, tuple[int, int]]]:
        """(ISO code, span) of everything in ``text`` that names a country, in text order."""
        keys = self.context_keys
        out: list[tuple[str, tuple[int, int]]] = []
        dl = dateline(text)
        if dl is not None:
            (a, b) = dl[1]
            for part in reversed(text[a:b].split(",")):
                cands = self.gazetteer.candidates(part.strip())
                if cands and cands[0].country:
                    out.append((cands[0].country, (a, b)))
                    break
        for m in _PROVINCE.finditer(text):  # "Kandahar province", "Wilayat Ninawa"
            name = m.group(1) or m.group(2)
            for p in self.gazetteer.candidates(name, kind_hint="admin1")[:1]:
                if p.feature == "admin1" and p.country:
                    out.append((p.country, m.span()))
        words = list(_WORD.finditer(text))
        firsts = self._context_first_words
        i = 0
        while i < len(words):  # longest name first, three words at most
            head = normalize_place(words[i].group())
            if head and head.split()[0] not in firsts and words[i].group().lower() not in _FOLDED:
                i += 1  # no name starts with this word (a quick test before the n-grams)
                continue
            for n in (3, 2, 1):
                start, end = words[i].start(), words[min(i + n, len(words)) - 1].end()
                cc = keys.get(normalize_place(text[start:end])) if i + n <= len(words) else None
                if cc:
                    before = text[max(0, start - 16) : start]
                    if not (_BORDER_BEFORE.search(before) or BORDER_AFTER.match(text, end) or ORIGIN_BEFORE.search(before)):
                        out.append((cc, (start, end)))
                    i += n
                    break
            else:
                i += 1
        return sorted(out, key=lambda x: x[1][0] if x[1] != (dl[1] if dl else None) else -1)

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

    def resolve(self, loc: Location, countries: Iterable[str] = (), text: str | None = None) -> Location:
        """Resolve a location and its alternative mentions; keep the most specific place found.

        Tiers: a city or curated place (with a point, or a reference place) beats a province,
        which beats a country. When the act's own place is not in the gazetteer but another
        place in its sentences is a city, that city is returned as the reference place with
        precision ``near`` ("the al-Karama neighbourhood ... of Mosul")."""
        countries = list(countries)
        if text is not None and loc.spans:  # "san jose, costa rica": the country written after the place
            after = _WORD.findall(text[loc.spans[0][1] : loc.spans[0][1] + 40].split(".")[0])[:3]
            if text[loc.spans[0][1] : loc.spans[0][1] + 2].startswith(","):
                for n in (3, 2, 1):
                    cc = self.context_keys.get(normalize_place(" ".join(after[:n])))
                    if cc:
                        countries = [cc] + [c for c in countries if c != cc]
                        break
        mentions = [PlaceCandidate(loc.text, loc.spans, precision=loc.precision)]
        mentions += [a for a in loc.alternatives if a.name is None]
        resolved = [(m, *self._best(m.text, countries)) for m in mentions]
        # places named beside the act ("al-Mansoura, east of Tabqa") pull its namesakes toward them
        anchors = [b for _, b, _ in resolved[1:] if b is not None and b.lat is not None]
        if anchors and resolved[0][2]:
            near = [c for c in resolved[0][2] if c.lat is not None and min(_km(c, a) for a in anchors) <= _NEAR_KM]
            if near:
                best = min(near, key=lambda c: min(_km(c, a) for a in anchors))
                resolved[0] = (resolved[0][0], best, [best, *[c for c in resolved[0][2] if c is not best]])
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
        mentions = self.context_mentions(text)

        def countries(inc: Incident, first: list[str] = ()) -> list[str]:
            own = list(inc.location.spans)  # the place is no evidence for itself
            ctx = [cc for cc, (s, _) in mentions if not any(a <= s < b for a, b in own)]
            return list(dict.fromkeys([*first, *ctx]))

        done = [self.geocode(i, text, countries(i)) if i.location else self._country_only(i, text, mentions) for i in incidents]
        found = [i.location.country for i in done if i.location and i.location.lat is not None and i.location.country]
        if found:
            ranked = sorted(set(found), key=lambda c: (-found.count(c), found.index(c)))
            done = [self.geocode(i, text, countries(i, ranked)) if i.location and i.location.lat is None else i for i in done]
        return done

    def _country_only(self, incident: Incident, text: str, mentions: list[tuple[str, tuple[int, int]]]) -> Incident:
        """An act that names no place: the country the document is about, with precision
        ``country`` and the span of the words that say so (nothing when no country is named)."""
        if not mentions:
            return incident
        cc, (a, b) = mentions[0]
        counts = [m[0] for m in mentions]
        if counts.count(cc) * 2 < len(counts) and len(set(counts)) > 1:
            cc, (a, b) = max(mentions, key=lambda m: counts.count(m[0]))  # the country most named
        loc = Location(text=text[a:b], name=None, country=cc, precision=LocationPrecision.COUNTRY, spans=((a, b),))
        return dataclasses.replace(incident, location=loc)

    def geocode(self, incident: Incident, text: str, countries: Iterable[str] | None = None) -> Incident:
        if incident.location is None:
            return incident
        ctx = list(countries) if countries is not None else self.context_countries(text)
        return dataclasses.replace(incident, location=self.resolve(incident.location, ctx, text))
