"""Score the geocode stage on a corpus of short reports whose place a coder has fixed.

The corpus is YAML (``tests/data/geocode_cases.yaml``): a list of cases, each with ``id``,
``text``, ``published``, optional ``source_kind``, ``region`` and ``tags``, and ``expected``:

* ``{place, country, lat, lon}`` when the place itself is in GeoNames, or
* ``{place, country, reference, ref_lat, ref_lon}`` for places no offline gazetteer holds
  (villages, neighbourhoods, bases, camps, "40 km west of X"): the case is scored against the
  named reference place.

Each case goes through the whole :class:`~eventcoder.pipeline.Pipeline`; of the incidents it
yields, the one with the best location is scored (a point before none, then the most precise,
then the first). Two measures:

* **country**: the location's ISO code equals the expected country (a location without a point
  can still get this right);
* **within 25 km**: the great-circle distance from the predicted point to the expected point, or
  to the reference point, is at most 25 km. For a reference case, a prediction of the reference
  place itself with precision ``near`` counts as correct even when its gazetteer puts the place's
  point elsewhere. No point at all counts as wrong.

    from eventcoder import Pipeline
    from eventcoder.geocode_eval import load_cases, score_cases
    score = score_cases(load_cases("tests/data/geocode_cases.yaml"), Pipeline())
    score.country_accuracy, score.within_25km, score.regions["syria"], score.failures

The module reads the YAML and nothing else; :func:`main` prints.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import yaml

from .datafiles import safe_load
from .errors import ConfigError, DataNotFound, EventcoderError
from .records import Document, Incident, Location, LocationPrecision

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import Pipeline

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
WITHIN_KM = 25.0  # UCDP where_prec 2: "within about 25 km of a known point"

# region of a case whose ``region:`` field is missing, from its id prefix ("sy-004")
REGION_BY_PREFIX = {
    "sy": "syria", "iq": "iraq", "ye": "yemen", "ly": "libya", "af": "afghanistan",
    "ng": "nigeria", "sa": "sahel", "so": "somalia", "ph": "philippines", "eu": "europe",
    "la": "latin_america",
}

# failure kinds, in the order a case is checked
FAILURE_KINDS = ("rejected", "no_incident", "no_location", "unresolved", "wrong_country", "too_far")

_PRECISION_RANK = {
    LocationPrecision.EXACT: 0,
    LocationPrecision.NEAR: 1,
    LocationPrecision.ADMIN1: 2,
    LocationPrecision.COUNTRY: 3,
    LocationPrecision.UNKNOWN: 4,
}


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two (lat, lon) points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# --------------------------------------------------------------------------
# The corpus


def is_reference_case(expected: dict[str, Any]) -> bool:
    return "reference" in expected


def case_problems(case: Any) -> list[str]:
    """What is wrong with one case (empty when it is well formed)."""
    if not isinstance(case, dict):
        return ["a case must be a mapping"]
    out = []
    for key in ("id", "text", "published", "expected"):
        if not case.get(key):
            out.append(f"missing {key}")
    exp = case.get("expected")
    if not isinstance(exp, dict):
        return out + ([] if "missing expected" in out else ["expected must be a mapping"])
    for key in ("place", "country"):
        if not exp.get(key):
            out.append(f"expected.{key} is missing")
    country = exp.get("country")
    if country and not (isinstance(country, str) and len(country) == 2 and country.isupper()):
        out.append(f"expected.country {country!r} is not an ISO alpha-2 code")
    lat_key, lon_key = ("ref_lat", "ref_lon") if is_reference_case(exp) else ("lat", "lon")
    if is_reference_case(exp) and not exp.get("reference"):
        out.append("expected.reference is empty")
    lat, lon = exp.get(lat_key), exp.get(lon_key)
    if not isinstance(lat, (int, float)) or isinstance(lat, bool) or not -90 <= lat <= 90:
        out.append(f"expected.{lat_key} must be a number in [-90, 90]")
    if not isinstance(lon, (int, float)) or isinstance(lon, bool) or not -180 <= lon <= 180:
        out.append(f"expected.{lon_key} must be a number in [-180, 180]")
    published = case.get("published")
    if published and not isinstance(published, dt.date):
        try:
            dt.date.fromisoformat(str(published))
        except ValueError:
            out.append(f"published {published!r} is not YYYY-MM-DD")
    return out


def load_cases(path: str | Path) -> list[dict[str, Any]]:
    """Read and check a corpus; raises :class:`ConfigError` listing every malformed case."""
    path = Path(path)
    if not path.is_file():
        raise DataNotFound(f"no geocoding corpus at {path}", fix="give the path of a YAML list of cases")
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}", fix="fix the YAML syntax") from exc
    if not isinstance(data, list):
        raise ConfigError(f"{path} must hold a YAML list of cases", fix="start each case with '- id: ...'")
    problems = []
    seen: set[str] = set()
    for i, case in enumerate(data):
        name = case.get("id", f"#{i}") if isinstance(case, dict) else f"#{i}"
        problems += [f"{name}: {p}" for p in case_problems(case)]
        if name in seen:
            problems.append(f"{name}: duplicate id")
        seen.add(name)
    if problems:
        shown = "; ".join(problems[:10]) + (f" (and {len(problems) - 10} more)" if len(problems) > 10 else "")
        raise ConfigError(f"{path}: {len(problems)} malformed case(s): {shown}", fix="see the header of the corpus file")
    return data


def region_of(case: dict[str, Any]) -> str:
    if case.get("region"):
        return str(case["region"])
    prefix = str(case.get("id", "")).split("-", 1)[0].lower()
    return REGION_BY_PREFIX.get(prefix, prefix or "unknown")


# --------------------------------------------------------------------------
# Scores


@dataclass
class GroupScore:
    """Counts for a group of cases (the whole corpus, a region or a tag)."""

    cases: int = 0
    located: int = 0  # cases whose chosen location has a point
    country_correct: int = 0
    correct_within_25km: int = 0

    @property
    def country_accuracy(self) -> float:
        return self.country_correct / self.cases if self.cases else 0.0

    @property
    def within_25km(self) -> float:
        return self.correct_within_25km / self.cases if self.cases else 0.0

    def add(self, located: bool, country_ok: bool, near_ok: bool) -> None:
        self.cases += 1
        self.located += located
        self.country_correct += country_ok
        self.correct_within_25km += near_ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases, "located": self.located, "country_correct": self.country_correct,
            "correct_within_25km": self.correct_within_25km,
            "country_accuracy": round(self.country_accuracy, 4), "within_25km": round(self.within_25km, 4),
        }


@dataclass(frozen=True)
class Failure:
    """A case that missed the country, the 25 km radius, or both."""

    id: str
    region: str
    kind: str  # one of FAILURE_KINDS
    expected: dict[str, Any]
    got: dict[str, Any] | None  # the chosen location (None: no location at all)
    distance_km: float | None = None  # from the predicted point to the expected/reference point
    country_ok: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "region": self.region, "kind": self.kind, "expected": self.expected,
            "got": self.got, "distance_km": None if self.distance_km is None else round(self.distance_km, 1),
            "country_ok": self.country_ok,
        }


@dataclass
class GeoScore(GroupScore):
    """The corpus score: overall counts, per-region and per-tag breakdowns, and the failures."""

    regions: dict[str, GroupScore] = field(default_factory=dict)
    tags: dict[str, GroupScore] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)

    @property
    def failure_kinds(self) -> dict[str, int]:
        counts = Counter(f.kind for f in self.failures)
        return {k: counts[k] for k in FAILURE_KINDS if counts[k]}

    def to_dict(self, failures: bool = True) -> dict[str, Any]:
        out = super().to_dict()
        out["regions"] = {k: v.to_dict() for k, v in sorted(self.regions.items())}
        out["tags"] = {k: v.to_dict() for k, v in sorted(self.tags.items())}
        out["failure_kinds"] = self.failure_kinds
        if failures:
            out["failures"] = [f.to_dict() for f in self.failures]
        return out


# --------------------------------------------------------------------------
# Scoring


def best_location(incidents: Sequence[Incident]) -> Location | None:
    """The best location among a document's incidents: one with a point first, then the most
    precise, then the earliest incident."""
    ranked = [
        ((i.location.lat is None or i.location.lon is None), _PRECISION_RANK.get(i.location.precision, 9), n)
        for n, i in enumerate(incidents)
        if i.location is not None
    ]
    if not ranked:
        return None
    return incidents[min(ranked)[2]].location


def _fold(name: str | None) -> str:
    s = unicodedata.normalize("NFKD", name or "")
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    return "".join(c for c in s if c.isalnum())


def judge(expected: dict[str, Any], loc: Location | None) -> tuple[bool, bool, float | None]:
    """(country correct, within 25 km, distance in km) for one predicted location."""
    if loc is None:
        return (False, False, None)
    country_ok = loc.country is not None and loc.country == expected["country"]
    if loc.lat is None or loc.lon is None:
        return (country_ok, False, None)
    if is_reference_case(expected):
        target = (expected["ref_lat"], expected["ref_lon"])
    else:
        target = (expected["lat"], expected["lon"])
    distance = haversine_km(loc.lat, loc.lon, *target)
    near_ok = distance <= WITHIN_KM
    if (
        not near_ok
        and is_reference_case(expected)
        and loc.precision == LocationPrecision.NEAR
        and country_ok
        and _fold(loc.name) == _fold(expected["reference"])
    ):
        near_ok = True  # the reference place itself, placed by a gazetteer with another point
    return (country_ok, near_ok, distance)


def _failure_kind(result_rejected: bool, incidents: Sequence[Incident], loc: Location | None, country_ok: bool) -> str:
    if result_rejected:
        return "rejected"
    if not incidents:
        return "no_incident"
    if loc is None:
        return "no_location"
    if loc.lat is None or loc.lon is None:
        return "unresolved"
    return "too_far" if country_ok else "wrong_country"


def _published(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _got(loc: Location | None) -> dict[str, Any] | None:
    if loc is None:
        return None
    return {
        "text": loc.text, "name": loc.name, "country": loc.country, "lat": loc.lat, "lon": loc.lon,
        "precision": loc.precision.value if isinstance(loc.precision, LocationPrecision) else loc.precision,
    }


def score_cases(cases: Iterable[dict[str, Any]], pipeline: "Pipeline") -> GeoScore:
    """Run each case through ``pipeline`` and score the best location of its incidents."""
    score = GeoScore()
    for case in cases:
        expected = case["expected"]
        doc = Document(
            text=case["text"],
            published=_published(case.get("published")),
            source_kind=case.get("source_kind") or "unknown",
        )
        result = pipeline.process(doc)
        incidents = result.incidents if result.rejected is None else ()
        loc = best_location(incidents)
        country_ok, near_ok, distance = judge(expected, loc)
        located = loc is not None and loc.lat is not None and loc.lon is not None
        region = region_of(case)
        score.add(located, country_ok, near_ok)
        score.regions.setdefault(region, GroupScore()).add(located, country_ok, near_ok)
        for tag in case.get("tags") or ():
            score.tags.setdefault(str(tag), GroupScore()).add(located, country_ok, near_ok)
        if not (country_ok and near_ok):
            score.failures.append(Failure(
                id=str(case["id"]), region=region,
                kind=_failure_kind(result.rejected is not None, incidents, loc, country_ok),
                expected=dict(expected), got=_got(loc), distance_km=distance, country_ok=country_ok,
            ))
    return score


# --------------------------------------------------------------------------
# Command line


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def render_table(score: GeoScore, show_failures: bool = False) -> str:
    lines = [
        f"cases {score.cases}   located {score.located}   "
        f"country {_pct(score.country_accuracy)}   within {WITHIN_KM:g} km {_pct(score.within_25km)}",
        "",
        f"{'region':<16}{'cases':>6}{'country':>10}{'<=25km':>10}",
    ]
    for name, g in sorted(score.regions.items()):
        lines.append(f"{name:<16}{g.cases:>6}{_pct(g.country_accuracy):>10}{_pct(g.within_25km):>10}")
    if score.tags:
        lines += ["", f"{'tag':<20}{'cases':>6}{'country':>10}{'<=25km':>10}"]
        for name, g in sorted(score.tags.items()):
            lines.append(f"{name:<20}{g.cases:>6}{_pct(g.country_accuracy):>10}{_pct(g.within_25km):>10}")
    if score.failure_kinds:
        lines += ["", "failures: " + ", ".join(f"{k} {v}" for k, v in score.failure_kinds.items())]
    if show_failures:
        lines.append("")
        for f in score.failures:
            exp = f.expected
            want = f"{exp['place']} ({exp['country']})" + (f" ~ {exp['reference']}" if is_reference_case(exp) else "")
            if f.got is None:
                got = "-"
            else:
                got = f"{f.got['text']!r} -> {f.got['name'] or '?'} ({f.got['country'] or '?'}, {f.got['precision']})"
                if f.distance_km is not None:
                    got += f" {f.distance_km:.0f} km"
            lines.append(f"{f.id:<8} {f.kind:<14} want {want:<40} got {got}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eventcoder.geocode_eval",
        description="Score the geocoder on a YAML corpus of reports whose place is known.",
    )
    parser.add_argument("path", help="the corpus, e.g. tests/data/geocode_cases.yaml")
    parser.add_argument("--format", dest="fmt", choices=["json", "table"], default="table")
    parser.add_argument("--show-failures", action="store_true", help="list every case that missed")
    args = parser.parse_args(argv)
    from .pipeline import Pipeline

    try:
        cases = load_cases(args.path)
        score = score_cases(cases, Pipeline())
    except EventcoderError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    if args.fmt == "json":
        print(json.dumps(score.to_dict(failures=args.show_failures), indent=2, ensure_ascii=False))
    else:
        print(render_table(score, args.show_failures))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
