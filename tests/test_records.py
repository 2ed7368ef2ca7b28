import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventcoder.records import (
    Calendar, Count, DatePrecision, DateValue, Document, Incident, Location, LocationPrecision, Materiel,
    MaterielEffect, Qualifier, Rejected, SourceKind, Stance, Target, TargetKind,
)
from eventcoder.validate import validation_errors
from factories import make_document, make_incident


# The variation the old local builder had: a group's own claim, dated in the Hijri calendar.
CLAIM_VARIANT = dict(
    source="Test Wire",
    source_kind=SourceKind.CLAIM,
    stance=Stance.CLAIMED,
    date=DateValue(dt.date(2016, 12, 6), dt.date(2016, 12, 8), DatePrecision.DAY, Calendar.HIJRI, False,
                   "7th of Rabi' al-Awwal 1438", ((14, 40),)),
    location=Location("al-Bab", "Al Bab", None, "SY", 36.37, 37.51, LocationPrecision.NEAR, ((41, 47),)),
    targets=(Target("Sahwat factions", TargetKind.HUMAN, "paramilitary_militia", ((50, 65),)),),
    fatalities=Count(30, None, Qualifier.MORE_THAN, ((95, 107),)),
    injuries=None,
    materiel=(Materiel("tank", Count(1, 1, Qualifier.EXACT, ((110, 116),)), MaterielEffect.DESTROYED, "a tank",
                       ((110, 116),)),),
)


def test_factory_incident_is_schema_valid():
    assert validation_errors(make_incident()) == []


def test_factory_incident_is_fully_populated_and_spans_point_into_its_document():
    inc = make_incident(make_document().doc_id)
    text = make_document().text
    for name in ("claimed_by", "date", "location", "fatalities", "injuries", "coding"):
        assert getattr(inc, name) is not None, name
    for name in ("perpetrators", "targets", "weapons", "suicide_spans", "materiel", "evidence"):
        assert getattr(inc, name), name
    assert inc.suicide is True
    spans = [*inc.evidence, *inc.suicide_spans, *inc.claimed_by.spans, *inc.date.spans, *inc.location.spans,
             *inc.fatalities.spans, *inc.injuries.spans]
    for group in (inc.perpetrators, inc.targets, inc.weapons, inc.materiel):
        spans += [sp for value in group for sp in value.spans]
    spans += [sp for m in inc.materiel for sp in m.count.spans]
    assert all(0 <= start < end <= len(text) for start, end in spans)
    assert [text[start:end] for start, end in inc.weapons[0].spans] == ["car bomb"]


@pytest.mark.parametrize("overrides", [{}, CLAIM_VARIANT], ids=["report", "claim"])
def test_round_trip_and_schema(overrides):
    inc = make_incident(**overrides)
    data = inc.to_dict()
    assert Incident.from_dict(data) == inc
    assert validation_errors(inc) == []


def test_schema_rejects_values_without_spans_and_bad_enums():
    bad = make_incident(fatalities=Count(3, 3, Qualifier.EXACT, ()))
    assert any("fatalities" in e for e in validation_errors(bad))
    data = make_incident().to_dict()
    data["sub_event_type"] = "vbied"
    assert any("sub_event_type" in e for e in validation_errors(data))
    data = make_incident().to_dict()
    data["suicide_spans"] = []
    assert validation_errors(data)  # suicide without evidence


def test_ids_are_content_hashes():
    a = Document("Gunmen attacked a bus.", source="A")
    assert a.doc_id == Document("Gunmen attacked a bus.", source="A").doc_id
    assert a.doc_id != Document("Gunmen attacked a bus.", source="B").doc_id
    assert make_incident().incident_id == make_incident().incident_id
    assert make_incident().incident_id != make_incident(evidence=((1, 40),)).incident_id


def test_rejected_round_trip():
    r = Rejected("ingest", "E101", "empty document", "a.txt")
    assert Rejected.from_dict(r.to_dict()) == r


@given(st.integers(0, 10_000), st.integers(0, 10_000), st.sampled_from(list(Qualifier)))
def test_count_round_trip(low, extra, q):
    c = Count(low, low + extra, q, ((low, low + 1),))
    inc = make_incident(injuries=c)
    assert Incident.from_dict(inc.to_dict()).injuries == c
