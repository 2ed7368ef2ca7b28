"""Test data builders shared by the test modules: one schema-valid incident, one document.

``make_incident()`` returns a fully populated :class:`Incident` whose every value uses the
codes of ``schema/incident.v1.json`` and carries spans that point into :data:`TEXT`, the text
of ``make_document()``. Tests vary it with keyword overrides; ``test_records`` checks that the
default stays valid under the schema.

Import with ``from factories import make_incident``: ``tests/`` is not a package, so pytest
puts it on ``sys.path`` when it collects the modules here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from eventcoder.records import (
    Actor,
    ActorKind,
    Calendar,
    Coding,
    Count,
    DatePrecision,
    DateValue,
    Document,
    Incident,
    Location,
    LocationPrecision,
    Materiel,
    MaterielEffect,
    Qualifier,
    SourceKind,
    Span,
    Stance,
    Target,
    TargetKind,
    Weapon,
)

TEXT = (
    "BAQUBAH, Iraq, March 5 (Reuters) - A suicide bomber drove a car bomb into a police checkpoint "
    "near Baqubah on Tuesday, killing 7 soldiers and wounding 10 to 15 people. Islamic State claimed "
    "the attack, saying a local cell also destroyed 5 BMPs and captured 14 tanks."
)

PUBLISHED = dt.date(2024, 3, 5)

# the two sentences the incident is coded from: the report and the claim
REPORT: Span = (TEXT.index("A suicide bomber"), TEXT.index(" Islamic State claimed"))
CLAIM: Span = (TEXT.index("Islamic State claimed"), len(TEXT))

CODING = Coding("event_types@1.0.0;weapons@1.0.0", "1.0.0", "rules.v1")


def span(phrase: str, part: str | None = None) -> Span:
    """The span of ``part`` (default: all) of the first ``phrase`` in :data:`TEXT`."""
    start = TEXT.index(phrase)
    if part is not None:
        start += phrase.index(part)
        phrase = part
    return (start, start + len(phrase))


def make_document(text: str = TEXT, **kw: Any) -> Document:
    """A news report (Reuters, 2024-03-05); by default its text is :data:`TEXT`."""
    kw.setdefault("source", "reuters")
    kw.setdefault("published", PUBLISHED)
    kw.setdefault("source_kind", SourceKind.NEWS)
    kw.setdefault("origin", "feed.jsonl:3")
    return Document(text=text, **kw)


def make_incident(doc_id: str = "doc-1", **overrides: Any) -> Incident:
    """A schema-valid incident with every field set, coded from :data:`TEXT`; ``overrides`` replace fields."""
    islamic_state = Actor("Islamic State", ActorKind.ORGANIZATION, "rebel_group", (span("Islamic State"),))
    fields: dict[str, Any] = dict(
        doc_id=doc_id,
        event_type="explosions_remote_violence",
        sub_event_type="suicide_bomb",
        evidence=(REPORT, CLAIM),
        source="reuters",
        source_kind=SourceKind.NEWS,
        stance=Stance.REPORTED,
        claimed_by=islamic_state,
        date=DateValue(
            PUBLISHED, PUBLISHED, DatePrecision.DAY, Calendar.GREGORIAN,
            year_inferred=True, text="March 5", spans=(span("March 5"), span("Tuesday")),
        ),
        location=Location(
            "near Baqubah", name="Baqubah", admin1="Diyala", country="IQ", lat=33.75, lon=44.66,
            precision=LocationPrecision.NEAR, spans=(span("near Baqubah"),),
        ),
        perpetrators=(
            islamic_state,
            Actor("a local cell", ActorKind.ORGANIZATION, None, (span("a local cell"),), generic=True),
        ),
        targets=(
            Target("soldiers", TargetKind.HUMAN, "military", (span("soldiers"),)),
            Target("police checkpoint", TargetKind.PHYSICAL, "police_security", (span("police checkpoint"),)),
        ),
        weapons=(Weapon("car bomb", "explosives_vehicle", (span("car bomb"),)),),
        suicide=True,
        suicide_spans=(span("suicide bomber"),),
        fatalities=Count(7, 7, Qualifier.EXACT, (span("killing 7", "7"),)),
        injuries=Count(10, 15, Qualifier.EXACT, (span("10 to 15"),)),
        killed_or_injured=None,  # set only when a report gives one combined count
        materiel=(
            Materiel("bmp", Count(5, 5, Qualifier.EXACT, (span("destroyed 5", "5"),)), MaterielEffect.DESTROYED,
                     "destroyed 5 BMPs", (span("destroyed 5 BMPs"),)),
            Materiel("tank", Count(14, 14, Qualifier.EXACT, (span("captured 14", "14"),)), MaterielEffect.CAPTURED,
                     "captured 14 tanks", (span("captured 14 tanks"),)),
        ),
        confidence=0.8,
        coding=CODING,
    )
    unknown = set(overrides) - {f.name for f in dataclasses.fields(Incident)}
    if unknown:
        raise TypeError(f"make_incident() got unknown fields: {sorted(unknown)}")
    fields.update(overrides)
    return Incident(**fields)


def compact_incident(**kw):
    """An incident from the pair corpus's compact form (eventcoder.link.incident_from_compact), with
    defaults: a wire report of a Kirkuk IED on 2017-03-14 that killed 5 police; ``slot`` picks the
    evidence span (two records of one document need different slots)."""
    from eventcoder.link import incident_from_compact

    side = dict(doc="doc-a", source="wire", kind="news", stance="reported", type="remote_explosive",
                date="2017-03-14", place=["Kirkuk", "Kirkuk", "IQ", 35.468, 44.392, "exact"],
                targets=["police_security"], killed=5)
    side.update(kw)
    slot = side.pop("slot", 0)
    return incident_from_compact(side, slot)
