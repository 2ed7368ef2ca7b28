import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from eventcoder.records import (
    Actor, ActorKind, Calendar, Coding, Count, DatePrecision, DateValue, Document, Incident, Location,
    LocationPrecision, Materiel, MaterielEffect, Qualifier, Rejected, SourceKind, Stance, Target, TargetKind, Weapon,
)
from eventcoder.validate import validation_errors


def make_incident(**over) -> Incident:
    base = dict(
        doc_id="doc-1",
        event_type="explosions_remote_violence",
        sub_event_type="suicide_bomb",
        evidence=((0, 40),),
        source="Test Wire",
        source_kind=SourceKind.CLAIM,
        stance=Stance.CLAIMED,
        claimed_by=Actor("Islamic State", ActorKind.ORGANIZATION, "rebel_group", ((0, 13),)),
        date=DateValue(dt.date(2016, 12, 6), dt.date(2016, 12, 8), DatePrecision.DAY, Calendar.HIJRI, False,
                       "7th of Rabi' al-Awwal 1438", ((14, 40),)),
        location=Location("al-Bab", "Al Bab", None, "SY", 36.37, 37.51, LocationPrecision.NEAR, ((41, 47),)),
        perpetrators=(Actor("Islamic State", ActorKind.ORGANIZATION, None, ((0, 13),)),),
        targets=(Target("Sahwat factions", TargetKind.HUMAN, "paramilitary_militia", ((50, 65),)),),
        weapons=(Weapon("explosive vehicle", "explosives_vehicle", ((66, 83),)),),
        suicide=True,
        suicide_spans=((84, 94),),
        fatalities=Count(30, None, Qualifier.MORE_THAN, ((95, 107),)),
        materiel=(Materiel("tank", Count(1, 1, Qualifier.EXACT, ((110, 116),)), MaterielEffect.DESTROYED, "a tank", ((110, 116),)),),
        coding=Coding("event_types@1.0.0", "1.0.0", "rules.v1"),
    )
    base.update(over)
    return Incident(**base)


def test_round_trip_and_schema():
    inc = make_incident()
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
