"""Export formats: ACLED and GTD columns through the crosswalks, GeoJSON, Parquet, the flat
event view, filters and export(). Every format is written, read back and compared field by
field with the records."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import sys

import pytest
import yaml

from eventcoder.codebook import load_codebook
from eventcoder.errors import ConfigError
from eventcoder.export import (
    ACLED_COLUMNS,
    EVENT_COLUMNS,
    FLAT_COLUMNS,
    GTD_COLUMNS,
    ExportFilter,
    acled_row,
    crosswalk_domains,
    event_row,
    export,
    flat_row,
    gtd_row,
    load_crosswalk,
    parse_crosswalk,
    parquet_schema,
    write_acled,
    write_event_csv,
    write_geojson,
    write_gtd,
    write_jsonl,
    write_parquet,
)
from eventcoder.records import (
    Actor,
    ActorKind,
    Count,
    DatePrecision,
    DateValue,
    Estimate,
    Event,
    Incident,
    Link,
    Location,
    LocationPrecision,
    Qualifier,
    SourceKind,
    SourceView,
    Stance,
    Target,
    TargetKind,
    Weapon,
)
from factories import make_incident, span

IS = Actor("Islamic State", ActorKind.ORGANIZATION, "rebel_group", (span("Islamic State"),))


def claim_incident(**kw) -> Incident:
    """The claim's own record of the factory incident: stance claimed, source a claim channel."""
    fields = dict(doc_id="doc-claim", evidence=((50, 60),), source="amaq", source_kind=SourceKind.CLAIM,
                  stance=Stance.CLAIMED, claimed_by=IS, fatalities=Count(30, 30),
                  injuries=Count(50, None, Qualifier.MORE_THAN))
    return make_incident(**{**fields, **kw})


def make_event(*incidents: Incident, **kw) -> Event:
    incidents = incidents or (make_incident(), claim_incident())
    members = sorted(incidents, key=lambda i: i.incident_id)
    views = tuple(
        SourceView(i.incident_id, i.doc_id, i.source, i.source_kind, i.stance,
                   i.claimed_by.text if i.claimed_by else None, i.fatalities, i.injuries, i.killed_or_injured)
        for i in members
    )
    fields = dict(
        incident_ids=tuple(i.incident_id for i in members),
        event_type=members[0].event_type,
        sub_event_type=members[0].sub_event_type,
        date=members[0].date,
        location=members[0].location,
        fatalities=Estimate(7, 7, 30),
        injuries=Estimate(10, 10, 50),
        sources=views,
        links=(Link(members[0].incident_id, members[-1].incident_id, 0.91, ("same day", "same admin1")),)
        if len(members) > 1 else (),
        claimed=any(i.stance is Stance.CLAIMED for i in members),
        reported=any(i.stance is Stance.REPORTED for i in members),
        linker="link.v1",
    )
    fields.update(kw)
    return Event(**fields)


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def as_cell(value) -> str:
    """What a value reads back as from our CSV (numbers as written, None empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class FakeStore:
    def __init__(self, incidents=(), events=None):
        self._incidents, self._events = list(incidents), events

    def incidents(self):
        return iter(self._incidents)

    def __getattr__(self, name):
        if name == "events" and self._events is not None:
            return lambda: iter(self._events)
        raise AttributeError(name)


# --------------------------------------------------------------------------
# Crosswalks


def test_crosswalks_cover_every_code_of_our_codebooks():
    """Every code is mapped or listed as unmapped with a reason: adding a code to a codebook
    without deciding its ACLED/GTD mapping fails here."""
    domains = crosswalk_domains()
    expected_sections = {
        "acled": {"event_types", "sub_event_types", "actor_categories", "target_categories", "date_precision",
                  "location_precision"},
        "gtd": {"sub_event_types", "target_categories", "weapon_categories", "date_precision", "location_precision"},
    }
    for name, sections in expected_sections.items():
        cw = load_crosswalk(name)
        assert set(cw.sections) == sections
        assert cw.missing() == {}, f"{name} crosswalk lacks codes"
        for section in sections:
            listed = set(cw.sections[section])
            assert listed == set(domains[section])
            for code, mapping in cw.sections[section].items():
                assert (mapping is None) == (code in cw.unmapped[section])
                if mapping is None:
                    assert cw.unmapped[section][code].strip(), f"{name}.{section}.{code}: give the reason"
    # the domains are the real codebooks, not empty sets
    assert {"suicide_bomb", "robbery"} <= domains["sub_event_types"]
    assert {"rebel_group", "state_forces"} <= domains["actor_categories"]
    assert "civilians" in domains["target_categories"] and "firearms" in domains["weapon_categories"]


# ACLED's event types and their sub-event types (../shared/reference/FIELD_NOTES.md 1.1)
ACLED_TAXONOMY = {
    "Battles": {"Armed clash", "Government regains territory", "Non-state actor overtakes territory"},
    "Explosions/Remote violence": {"Chemical weapon", "Air/drone strike", "Suicide bomb",
                                   "Shelling/artillery/missile attack", "Remote explosive/landmine/IED", "Grenade"},
    "Violence against civilians": {"Sexual violence", "Attack", "Abduction/forced disappearance"},
    "Protests": {"Peaceful protest", "Protest with intervention", "Excessive force against protesters"},
    "Riots": {"Violent demonstration", "Mob violence"},
    "Strategic developments": {"Agreement", "Arrests", "Change to group/activity", "Disrupted weapons use",
                               "Headquarters or base established", "Looting/property destruction",
                               "Non-violent transfer of territory", "Other"},
}
ACLED_INTER = {1: "State forces", 2: "Rebel groups", 3: "Political militias", 4: "Identity militias", 5: "Rioters",
               6: "Protesters", 7: "Civilians", 8: "External/Other forces"}


def test_acled_crosswalk_uses_acled_categories():
    cw = load_crosswalk("acled")
    events = load_codebook("event_types")
    for entry in events.entries:
        sub = cw.get("sub_event_types", entry.code).get("sub_event_type")
        if sub is None:
            continue
        event_type = cw.get("event_types", entry.get("group"))["event_type"]
        assert sub in ACLED_TAXONOMY[event_type], f"{entry.code}: {sub!r} is not under {event_type!r}"
    for section in ("actor_categories", "target_categories"):
        for mapping in filter(None, cw.sections[section].values()):
            assert ACLED_INTER[mapping["inter"]] == mapping["label"]
    assert {m["time_precision"] for m in filter(None, cw.sections["date_precision"].values())} <= {1, 2, 3}
    assert {m["geo_precision"] for m in filter(None, cw.sections["location_precision"].values())} <= {1, 2, 3}


GTD_ATTACK = {1: "Assassination", 2: "Armed Assault", 3: "Bombing/Explosion", 4: "Hijacking",
              5: "Hostage Taking (Barricade Incident)", 6: "Hostage Taking (Kidnapping)",
              7: "Facility/Infrastructure Attack", 8: "Unarmed Assault", 9: "Unknown"}
GTD_WEAPON = {1: "Biological", 2: "Chemical", 3: "Radiological", 4: "Nuclear", 5: "Firearms", 6: "Explosives",
              7: "Fake Weapons", 8: "Incendiary", 9: "Melee",
              10: "Vehicle (not to include vehicle-borne explosives, i.e., car or truck bombs)",
              11: "Sabotage Equipment", 12: "Other", 13: "Unknown"}
GTD_TARGET = {1: "Business", 2: "Government (General)", 3: "Police", 4: "Military", 5: "Abortion Related",
              6: "Airports & Aircraft", 7: "Government (Diplomatic)", 8: "Educational Institution",
              9: "Food or Water Supply", 10: "Journalists & Media", 11: "Maritime", 12: "NGO", 13: "Other",
              14: "Private Citizens & Property", 15: "Religious Figures/Institutions", 16: "Telecommunication",
              17: "Terrorists/Non-State Militia", 18: "Tourists", 19: "Transportation", 20: "Unknown",
              21: "Utilities", 22: "Violent Political Party"}


def test_gtd_crosswalk_codes_match_gtd_labels_and_the_weapon_codebook():
    cw = load_crosswalk("gtd")
    for section, key, table in (("sub_event_types", "attacktype", GTD_ATTACK),
                                ("target_categories", "targtype", GTD_TARGET),
                                ("weapon_categories", "weaptype", GTD_WEAPON)):
        for code, mapping in cw.sections[section].items():
            if mapping is not None:
                assert table[mapping[key]] == mapping["label"], f"{section}.{code}"
    # weapons.yaml carries a `gtd` hint (type/subtype): the crosswalk must agree with it
    for entry in load_codebook("weapons").entries:
        kind, _, sub = entry.get("gtd").partition("/")
        mapping = cw.get("weapon_categories", entry.code)
        assert mapping["label"].startswith(kind), entry.code
        if sub:
            assert mapping["subtype"].startswith(sub), entry.code


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["sub_event_types"].update(suicide_bombing={"sub_event_type": "Suicide bomb"}), "suicide_bombing"),
        (lambda d: d["actor_categories"].update(warlords={"inter": 3, "label": "Political militias"}), "warlords"),
        (lambda d: d["date_precision"]["day"].update(time_precision="1"), "expected int"),
        (lambda d: d["sub_event_types"]["attack"].update(subevent="Attack"), "unknown field"),
        (lambda d: d["event_types"].update(battles={"disorder_type": "Political violence"}), "lacks event_type"),
        (lambda d: d["countries"].update(XQ={"country": "Nowhere"}), "XQ"),
        (lambda d: d.pop("location_precision"), "location_precision"),
        (lambda d: d.update(version="1.0"), "version"),
        (lambda d: d["sub_event_types"].update(other=None), "other"),
    ],
)
def test_crosswalk_validation_names_what_is_wrong(edit, message):
    from importlib import resources

    data = yaml.safe_load(resources.files("eventcoder").joinpath("data", "crosswalk", "acled.yaml").read_text())
    parse_crosswalk(copy.deepcopy(data))  # the packaged file is valid
    edit(data)
    with pytest.raises(ConfigError, match=message) as info:
        parse_crosswalk(data, "mine.yaml")
    assert "mine.yaml" in str(info.value) and info.value.fix


def test_crosswalk_for_the_wrong_dataset_is_refused():
    with pytest.raises(ConfigError, match="is for gtd"):
        acled_row(make_incident(), load_crosswalk("gtd"))
    with pytest.raises(ConfigError, match="no crosswalk"):
        load_crosswalk("ucdp")


# --------------------------------------------------------------------------
# ACLED

def test_acled_columns_are_acleds_in_order():
    assert ACLED_COLUMNS == (
        "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
        "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
        "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude",
        "longitude", "geo_precision", "source", "source_scale", "notes", "fatalities", "tags", "timestamp",
    )


def test_acled_round_trip_field_by_field():
    civilians = Target("shoppers", TargetKind.HUMAN, "civilians", ())
    reported = make_incident(targets=(civilians,) + make_incident().targets,
                             perpetrators=(IS, Actor("ISIS"), Actor("a local cell", generic=True)))
    claim = claim_incident()
    out = io.StringIO(newline="")
    assert write_acled([reported, claim], out) == 2
    rows = read_csv(out.getvalue())
    assert tuple(rows[0]) == ACLED_COLUMNS
    first, second = rows
    expected = {
        "event_id_cnty": reported.incident_id, "event_date": "2024-03-05", "year": "2024", "time_precision": "1",
        "disorder_type": "Political violence", "event_type": "Explosions/Remote violence",
        "sub_event_type": "Suicide bomb", "actor1": "Islamic State", "assoc_actor_1": "", "inter1": "2",
        "actor2": "Civilians (Iraq)", "assoc_actor_2": "", "inter2": "7", "interaction": "27",
        "civilian_targeting": "Civilian targeting", "iso": "368", "region": "Middle East", "country": "Iraq",
        "admin1": "Diyala", "admin2": "", "admin3": "", "location": "Baqubah", "latitude": "33.75",
        "longitude": "44.66", "geo_precision": "2", "source": "reuters", "source_scale": "", "fatalities": "7",
        "tags": "stance=reported; claimed by=Islamic State", "timestamp": "",
    }
    assert {k: first[k] for k in expected} == expected  # "ISIS" is the same actor: no assoc_actor_1
    assert first["notes"].startswith("stance: reported; Islamic State claimed responsibility.")
    assert "injuries 10-15" in first["notes"]  # ACLED has no injuries column: notes keep them
    # every column equals the mapped value
    for row, inc in ((first, reported), (second, claim)):
        assert row == {k: as_cell(v) for k, v in acled_row(inc).items()}


def test_acled_claim_is_marked_and_its_figures_never_look_verified():
    row = acled_row(claim_incident())
    assert row["fatalities"] is None  # the claim's 30 is not a reported fatality figure
    assert row["notes"].startswith("stance: claimed by Islamic State; figures as claimed, not independently reported.")
    assert "figures as claimed: fatalities 30, injuries >50" in row["notes"]
    assert row["tags"] == "stance=claimed; claimed by=Islamic State; figures=as claimed"
    assert row["source"] == "amaq"


def test_acled_leaves_unmapped_values_empty():
    inc = make_incident(
        event_type="strategic_developments", sub_event_type="robbery",
        date=DateValue(dt.date(2024, 1, 1), dt.date(2024, 12, 31), DatePrecision.YEAR),
        location=Location("Aleppo", name="Aleppo", country="SY", lat=36.2, lon=37.16,
                          precision=LocationPrecision.UNKNOWN),
        perpetrators=(Actor("gunmen", ActorKind.INDIVIDUAL, None, (), generic=True),),
        targets=(Target("soldiers", TargetKind.HUMAN, "military"),), claimed_by=None,
        fatalities=Count(None, 10), injuries=None,
    )
    row = acled_row(inc)
    assert (row["event_type"], row["sub_event_type"], row["disorder_type"]) == (
        "Strategic developments", None, "Strategic developments")
    assert (row["event_date"], row["year"], row["time_precision"]) == (None, 2024, None)
    assert row["actor1"] is None and row["inter1"] is None  # a description is no ACLED actor
    assert "perpetrator described as: gunmen" in row["notes"]
    assert row["actor2"] is None and row["inter2"] is None and row["interaction"] is None  # whose soldiers?
    assert row["civilian_targeting"] is None
    assert row["geo_precision"] is None and (row["latitude"], row["longitude"]) == (36.2, 37.16)
    assert (row["country"], row["iso"], row["region"]) == ("Syria", 760, "Middle East")
    assert row["fatalities"] is None  # "up to 10": no conservative figure
    assert row["tags"] == "stance=reported"


@pytest.mark.parametrize(
    ("start", "end", "precision", "time_precision", "event_date"),
    [
        (dt.date(2024, 3, 5), None, DatePrecision.DAY, 1, "2024-03-05"),
        (dt.date(2024, 3, 5), dt.date(2024, 3, 5), DatePrecision.DAY, 1, "2024-03-05"),
        # a range of days (e.g. a Hijri date's +-1 day) is a week at best, coded to its middle
        (dt.date(2024, 3, 5), dt.date(2024, 3, 7), DatePrecision.DAY, 2, "2024-03-06"),
        (dt.date(2024, 3, 4), dt.date(2024, 3, 10), DatePrecision.WEEK, 2, "2024-03-07"),
        (dt.date(2024, 3, 1), dt.date(2024, 3, 31), DatePrecision.MONTH, 3, "2024-03-16"),
        (dt.date(2024, 3, 1), dt.date(2024, 4, 30), DatePrecision.DAY, None, None),
        (dt.date(2024, 3, 1), None, DatePrecision.UNKNOWN, None, None),
    ],
)
def test_acled_time_precision(start, end, precision, time_precision, event_date):
    row = acled_row(make_incident(date=DateValue(start, end, precision)))
    assert (row["time_precision"], row["event_date"]) == (time_precision, event_date)


def test_acled_country_outside_the_table_gets_iso_and_name_but_no_region():
    row = acled_row(make_incident(location=Location("Paris", name="Paris", country="FR", lat=48.85, lon=2.35,
                                                    precision=LocationPrecision.EXACT)))
    assert (row["iso"], row["country"], row["region"], row["geo_precision"]) == (250, "France", None, 1)


# --------------------------------------------------------------------------
# GTD

# The GTD's columns in its order (GTD codebook); the export writes a subset in this order.
GTD_ALL = (
    "eventid iyear imonth iday approxdate extended resolution country country_txt region region_txt provstate city "
    "latitude longitude specificity vicinity location summary crit1 crit2 crit3 doubtterr alternative "
    "alternative_txt multiple success suicide attacktype1 attacktype1_txt attacktype2 attacktype2_txt attacktype3 "
    "attacktype3_txt targtype1 targtype1_txt targsubtype1 targsubtype1_txt corp1 target1 natlty1 natlty1_txt "
    "targtype2 targtype2_txt targsubtype2 targsubtype2_txt corp2 target2 natlty2 natlty2_txt targtype3 "
    "targtype3_txt targsubtype3 targsubtype3_txt corp3 target3 natlty3 natlty3_txt gname gsubname gname2 gsubname2 "
    "gname3 gsubname3 motive guncertain1 guncertain2 guncertain3 individual nperps nperpcap claimed claimmode "
    "claimmode_txt claim2 claimmode2 claimmode2_txt claim3 claimmode3 claimmode3_txt compclaim weaptype1 "
    "weaptype1_txt weapsubtype1 weapsubtype1_txt weaptype2 weaptype2_txt weapsubtype2 weapsubtype2_txt weaptype3 "
    "weaptype3_txt weapsubtype3 weapsubtype3_txt weaptype4 weaptype4_txt weapsubtype4 weapsubtype4_txt weapdetail "
    "nkill nkillus nkillter nwound nwoundus nwoundte property propextent propextent_txt propvalue propcomment "
    "ishostkid nhostkid nhostkidus nhours ndays divert kidhijcountry ransom ransomamt ransomamtus ransompaid "
    "ransompaidus ransomnote hostkidoutcome hostkidoutcome_txt nreleased addnotes scite1 scite2 scite3 dbsource "
    "INT_LOG INT_IDEO INT_MISC INT_ANY related"
).split()


def test_gtd_columns_are_a_subset_in_gtd_order():
    positions = [GTD_ALL.index(c) for c in GTD_COLUMNS]
    assert positions == sorted(positions) and len(set(GTD_COLUMNS)) == len(GTD_COLUMNS)
    for needed in ("eventid", "iyear", "country_txt", "summary", "attacktype1", "targtype1", "gname", "claimed",
                   "weaptype1", "nkill", "nwound", "property", "ishostkid"):
        assert needed in GTD_COLUMNS


def test_gtd_round_trip_field_by_field():
    reported = make_incident(claimed_by=None)
    claim = claim_incident()
    out = io.StringIO(newline="")
    assert write_gtd([reported, claim], out) == 2
    rows = read_csv(out.getvalue())
    assert tuple(rows[0]) == GTD_COLUMNS
    first, second = rows
    expected = {
        "eventid": reported.incident_id, "iyear": "2024", "imonth": "3", "iday": "5", "approxdate": "",
        "extended": "", "country": "", "country_txt": "Iraq", "region": "10",
        "region_txt": "Middle East & North Africa", "provstate": "Diyala", "city": "Baqubah", "latitude": "33.75",
        "longitude": "44.66", "specificity": "1", "vicinity": "1", "location": "near Baqubah", "crit1": "",
        "doubtterr": "", "success": "1", "suicide": "1", "attacktype1": "3", "attacktype1_txt": "Bombing/Explosion",
        "targtype1": "4", "targtype1_txt": "Military", "target1": "soldiers", "targtype2": "3",
        "targtype2_txt": "Police", "target2": "police checkpoint", "targtype3": "", "target3": "", "corp1": "",
        "natlty1": "", "gname": "Islamic State", "gname2": "", "guncertain1": "", "claimed": "",
        "weaptype1": "6", "weaptype1_txt": "Explosives", "weapsubtype1": "", "weapsubtype1_txt": "Vehicle",
        "weaptype2": "", "weapdetail": "car bomb", "nkill": "7", "nkillter": "", "nwound": "10", "nwoundte": "",
        "property": "1", "ishostkid": "", "scite1": "reuters", "dbsource": "eventcoder rules.v1", "related": "",
    }
    assert {k: first[k] for k in expected} == expected
    assert first["summary"].startswith("2024-03-05: Suicide bomb, near Baqubah (Baqubah, Diyala, IQ). stance: reported.")
    for row, inc in ((first, reported), (second, claim)):
        assert row == {k: as_cell(v) for k, v in gtd_row(inc).items()}


def test_gtd_claim_is_claimed_with_the_claim_in_the_summary():
    row = gtd_row(claim_incident())
    assert row["claimed"] == 1
    assert row["nkill"] is None and row["nwound"] is None  # the claim's figures are not GTD's confirmed counts
    assert row["success"] is None  # nor is a claimed toll evidence of success
    assert row["property"] is None  # materiel a claim says it destroyed is not reported damage
    assert "stance: claimed by Islamic State; figures as claimed, not independently reported" in row["summary"]
    assert "figures as claimed: fatalities 30, injuries >50" in row["summary"]
    assert row["addnotes"].startswith("stance: claimed by Islamic State")
    # a report that says a group claimed the act: claimed = 1, the report's figures stand
    reported = gtd_row(make_incident())
    assert (reported["claimed"], reported["nkill"]) == (1, 7)


def test_gtd_dates_locations_and_unknowns():
    month = gtd_row(make_incident(date=DateValue(dt.date(1989, 6, 1), dt.date(1989, 6, 30), DatePrecision.MONTH)))
    assert (month["iyear"], month["imonth"], month["iday"]) == (1989, 6, 0)
    assert month["approxdate"] == "1989-06-01..1989-06-30 (month known)"
    year = gtd_row(make_incident(date=DateValue(dt.date(1989, 1, 1), None, DatePrecision.YEAR)))
    assert (year["iyear"], year["imonth"], year["iday"]) == (1989, 0, 0)
    none = gtd_row(make_incident(date=None, location=None, perpetrators=(), claimed_by=None, targets=(), weapons=()))
    assert (none["iyear"], none["imonth"], none["iday"], none["approxdate"]) == (None, None, None, None)
    assert none["gname"] == "Unknown" and none["targtype1"] is None and none["weaptype1"] is None
    assert none["country"] is None and none["specificity"] is None and none["summary"].startswith(
        "date unknown: Suicide bomb, place unknown.")
    admin1 = gtd_row(make_incident(location=Location("Nineveh", admin1="Nineveh", country="SY", lat=36.3, lon=41.0,
                                                     precision=LocationPrecision.ADMIN1)))
    assert (admin1["specificity"], admin1["vicinity"], admin1["city"]) == (4, None, None)
    assert (admin1["country"], admin1["country_txt"], admin1["region"]) == (None, "Syria", 10)  # no country code: unchecked


def test_gtd_kidnapping_and_unmapped_types():
    kidnap = gtd_row(make_incident(event_type="violence_against_civilians", sub_event_type="abduction",
                                   weapons=(Weapon("rifles", "firearms"),), materiel=()))
    assert (kidnap["attacktype1"], kidnap["attacktype1_txt"], kidnap["ishostkid"]) == (
        6, "Hostage Taking (Kidnapping)", 1)
    assert kidnap["success"] is None and kidnap["property"] is None
    assert (kidnap["weaptype1"], kidnap["weaptype1_txt"], kidnap["weapsubtype1_txt"]) == (5, "Firearms", None)
    clash = gtd_row(make_incident(event_type="battles", sub_event_type="armed_clash",
                                  targets=(Target("militiamen", TargetKind.HUMAN, "paramilitary_militia"),)))
    assert clash["attacktype1"] is None and clash["attacktype1_txt"] is None and clash["success"] is None
    assert clash["targtype1"] is None and clash["target1"] == "militiamen"


# --------------------------------------------------------------------------
# Formula defusing in every CSV-like format


@pytest.mark.parametrize("payload", ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1"])
def test_acled_gtd_and_event_csv_defuse_formulas(payload):
    inc = make_incident(source=payload, perpetrators=(Actor(payload),),
                        location=Location(payload, name=payload, admin1=payload, country="ZA", lat=-33.92,
                                          lon=18.42, precision=LocationPrecision.EXACT))
    out = io.StringIO(newline="")
    write_acled([inc], out)
    (row,) = read_csv(out.getvalue())
    for name in ("source", "actor1", "location", "admin1"):
        assert row[name] == "'" + payload
    assert row["latitude"] == "-33.92"  # numbers stay numbers
    out = io.StringIO(newline="")
    write_gtd([inc], out)
    (row,) = read_csv(out.getvalue())
    for name in ("scite1", "gname", "city", "provstate", "location"):
        assert row[name] == "'" + payload
    assert row["latitude"] == "-33.92"
    out = io.StringIO(newline="")
    write_event_csv([make_event(inc)], out)
    (row,) = read_csv(out.getvalue())
    assert row["sources"] == row["place"] == "'" + payload and row["lat"] == "-33.92"


# --------------------------------------------------------------------------
# Events: jsonl and the flat CSV


def test_events_jsonl_round_trip():
    ev = make_event()
    out = io.StringIO()
    assert write_jsonl([ev], out) == 1
    assert Event.from_dict(json.loads(out.getvalue())) == ev


def test_event_csv_round_trip_field_by_field():
    ev, single = make_event(), make_event(make_incident(doc_id="doc-9"), fatalities=None, injuries=None,
                                          location=None, date=None)
    out = io.StringIO(newline="")
    assert write_event_csv([ev, single], out) == 2
    rows = read_csv(out.getvalue())
    assert tuple(rows[0]) == EVENT_COLUMNS
    first, second = rows
    assert first == {k: as_cell(v) for k, v in event_row(ev).items()}
    assert (first["event_id"], first["n_sources"], first["claimed"], first["reported"]) == (
        ev.event_id, "2", "true", "true")
    assert (first["fatalities_best"], first["fatalities_low"], first["fatalities_high"]) == ("7", "7", "30")
    assert (first["injuries_best"], first["injuries_low"], first["injuries_high"]) == ("10", "10", "50")
    assert first["incident_ids"] == "; ".join(ev.incident_ids)
    assert set(first["sources"].split("; ")) == {"reuters", "amaq"}
    assert first["claimed_by"] == "Islamic State"
    assert (first["place"], first["lat"], first["lon"], first["date_start"]) == ("Baqubah", "33.75", "44.66",
                                                                                 "2024-03-05")
    assert (second["n_sources"], second["claimed"], second["fatalities_best"], second["place"]) == (
        "1", "false", "", "")


# --------------------------------------------------------------------------
# GeoJSON


def test_geojson_points_for_geocoded_records_only():
    here = make_incident()
    nowhere = make_incident(evidence=((1, 2),), location=None)
    unplaced = make_incident(evidence=((3, 4),), location=Location("somewhere", precision=LocationPrecision.UNKNOWN))
    south = make_incident(evidence=((5, 6),), location=Location("Cape Town", name="Cape Town", country="ZA",
                                                                  lat=-33.92, lon=18.42,
                                                                  precision=LocationPrecision.EXACT))
    out = io.StringIO()
    assert write_geojson([here, nowhere, unplaced, south], out) == (2, 2)
    data = json.loads(out.getvalue())
    assert data["type"] == "FeatureCollection"
    features = data["features"]
    assert [f["id"] for f in features] == [here.incident_id, south.incident_id]
    for feature, inc in zip(features, (here, south)):
        assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
        assert feature["geometry"]["coordinates"] == [inc.location.lon, inc.location.lat]  # lon, lat
        assert feature["properties"] == json.loads(json.dumps(flat_row(inc)))
    assert features[0]["properties"]["location_precision"] == "near"
    empty = io.StringIO()
    assert write_geojson([], empty) == (0, 0)
    assert json.loads(empty.getvalue()) == {"type": "FeatureCollection", "features": []}


def test_geojson_events():
    ev = make_event()
    out = io.StringIO()
    assert write_geojson([ev, make_event(make_incident(doc_id="x"), location=None)], out) == (1, 1)
    (feature,) = json.loads(out.getvalue())["features"]
    assert feature["id"] == ev.event_id and feature["geometry"]["coordinates"] == [44.66, 33.75]
    assert feature["properties"]["n_sources"] == 2 and feature["properties"]["claimed"] is True


# --------------------------------------------------------------------------
# Parquet

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def test_parquet_incidents_round_trip(tmp_path):
    incs = [make_incident(), claim_incident(date=None, location=None),
            make_incident(evidence=((7, 8),), fatalities=Count(None, 10), suicide=False)]
    path = tmp_path / "incidents.parquet"
    assert write_parquet(incs, path) == 3
    table = pq.read_table(path)
    assert table.schema.equals(parquet_schema("incidents"), check_metadata=False)
    assert table.schema.metadata[b"eventcoder.kind"] == b"incidents"
    types = {f.name: f.type for f in table.schema}
    assert types["date_start"] == pa.date32() and types["fatalities_low"] == pa.int64()
    assert types["lat"] == pa.float64() and types["suicide"] == pa.bool_() and types["record"] == pa.string()
    assert table.column_names == [*FLAT_COLUMNS, "record"]
    rows = table.to_pylist()
    for row, inc in zip(rows, incs):
        assert Incident.from_dict(json.loads(row["record"])) == inc  # nothing is lost
        flat = flat_row(inc)
        for name in FLAT_COLUMNS:
            want = flat[name]
            if name in ("date_start", "date_end") and want is not None:
                want = dt.date.fromisoformat(want)
            assert row[name] == want, name
    assert rows[1]["date_start"] is None and rows[1]["lat"] is None
    assert rows[2]["fatalities_low"] is None and rows[2]["fatalities_high"] == 10 and rows[2]["suicide"] is False


def test_parquet_events_round_trip(tmp_path):
    evs = [make_event(), make_event(make_incident(doc_id="doc-7"), fatalities=None, date=None)]
    path = tmp_path / "events.parquet"
    assert write_parquet(evs, path, kind="events") == 2
    table = pq.read_table(path)
    assert table.column_names == [*EVENT_COLUMNS, "record"]
    assert table.schema.field("n_sources").type == pa.int32()
    assert table.schema.field("fatalities_best").type == pa.int64()
    rows = table.to_pylist()
    for row, ev in zip(rows, evs):
        assert Event.from_dict(json.loads(row["record"])) == ev
    assert (rows[0]["fatalities_best"], rows[0]["fatalities_high"], rows[0]["n_sources"]) == (7, 30, 2)
    assert rows[0]["date_start"] == dt.date(2024, 3, 5) and rows[0]["claimed"] is True
    assert rows[1]["fatalities_best"] is None and rows[1]["date_start"] is None


def test_parquet_empty_and_wrong_kind(tmp_path):
    assert write_parquet([], tmp_path / "empty.parquet") == 0
    assert pq.read_table(tmp_path / "empty.parquet").num_rows == 0
    with pytest.raises(TypeError, match="Incident"):
        write_parquet([make_incident()], tmp_path / "x.parquet", kind="events")


def test_parquet_without_pyarrow_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ConfigError) as info:
        write_parquet([make_incident()], tmp_path / "x.parquet")
    assert info.value.fix == "pip install 'eventcoder[parquet]'"


# --------------------------------------------------------------------------
# Filters


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"since": "05/03/2024"}, "--since '05/03/2024' is not a date"),
        ({"until": "2024-02-30"}, "--until"),
        ({"since": "2024-03-02", "until": "2024-03-01"}, "after --until"),
        ({"countries": ["Iraq"]}, "--country 'Iraq'"),
        ({"countries": ["XQ"]}, "--country 'XQ'"),
        ({"types": ["bombing"]}, "--type 'bombing'"),
        ({"stance": "rumoured"}, "--stance"),
        ({"min_confidence": 1.5}, "--min-confidence"),
        ({"min_confidence": "high"}, "--min-confidence"),
        ({"source": " "}, "--source"),
    ],
)
def test_filter_parse_errors_name_the_option(kwargs, message):
    with pytest.raises(ConfigError, match=message) as info:
        ExportFilter.parse(**kwargs)
    assert info.value.fix
    if "since" in kwargs and "until" not in kwargs:
        assert "YYYY-MM-DD" in info.value.fix


def test_filter_matches_incidents():
    march5 = make_incident()
    claim = claim_incident(date=DateValue(dt.date(2024, 2, 1), dt.date(2024, 2, 29), DatePrecision.MONTH))
    undated = make_incident(evidence=((1, 2),), date=None, confidence=0.3, source="AFP",
                            event_type="battles", sub_event_type="armed_clash",
                            location=Location("Aleppo", country="SY"))
    every = [march5, claim, undated]

    def pick(**kw):
        return [i for i in every if ExportFilter.parse(**kw).matches(i)]

    assert pick() == every and not ExportFilter.parse().active
    assert pick(since="2024-03-01") == [march5]
    assert pick(since="2024-02-29", until="2024-03-04") == [claim]  # a month overlapping the window
    assert pick(until="2024-03-05") == [march5, claim]
    assert pick(countries=["iq"]) == [march5, claim] and pick(countries=["SY", "FR"]) == [undated]
    assert pick(types=["battles"]) == [undated] and pick(types=["suicide_bomb"]) == [march5, claim]
    assert pick(stance="claimed") == [claim] and pick(stance="reported") == [march5, undated]
    assert pick(source="afp") == [undated]
    assert pick(min_confidence=0.5) == [march5, claim]
    assert pick(countries=["IQ"], stance="reported") == [march5]


def test_filter_matches_events():
    ev = make_event()
    reported_only = make_event(make_incident(doc_id="doc-5", source="afp"))
    f = ExportFilter.parse
    assert f(stance="claimed").matches(ev) and not f(stance="claimed").matches(reported_only)
    assert f(stance="reported").matches(ev) and f(stance="reported").matches(reported_only)
    assert f(source="AMAQ").matches(ev) and not f(source="amaq").matches(reported_only)
    assert f(countries=["IQ"], since="2024-03-05", types=["explosions_remote_violence"]).matches(ev)
    with pytest.raises(ConfigError, match="--min-confidence"):
        f(min_confidence=0.5).matches(ev)


# --------------------------------------------------------------------------
# export()


def test_export_filters_writes_and_counts(tmp_path):
    incs = [make_incident(), claim_incident(), make_incident(evidence=((1, 2),), location=None)]
    store = FakeStore(incs)
    out = io.StringIO()
    result = export(store, "geojson", out, where=ExportFilter.parse(stance="reported"))
    assert (result.kind, result.format, result.written, result.skipped, result.filtered_out) == (
        "incidents", "geojson", 1, 1, 1)
    assert len(json.loads(out.getvalue())["features"]) == 1
    path = tmp_path / "sub" / "acled.csv"
    assert export(store, "acled", path).written == 3
    assert [r["event_id_cnty"] for r in read_csv(path.read_text(encoding="utf-8"))] == [i.incident_id for i in incs]
    assert export(store, "parquet", tmp_path / "i.parquet").written == 3
    assert pq.read_table(tmp_path / "i.parquet").num_rows == 3


def test_export_events_through_a_store():
    evs = [make_event(), make_event(make_incident(doc_id="doc-5", source="afp"))]
    out = io.StringIO()
    result = export(FakeStore(events=evs), "jsonl", out, events=True, where=ExportFilter.parse(stance="claimed"))
    assert (result.kind, result.written, result.filtered_out) == ("events", 1, 1)
    assert Event.from_dict(json.loads(out.getvalue())) == evs[0]
    out = io.StringIO(newline="")
    assert export(FakeStore(events=evs), "csv", out, events=True).written == 2
    assert tuple(read_csv(out.getvalue())[0]) == EVENT_COLUMNS


@pytest.mark.parametrize(
    ("fmt", "kwargs", "message"),
    [
        ("acled", {"events": True}, "no event form"),
        ("gtd", {"events": True}, "no event form"),
        ("xlsx", {}, "unknown export format"),
        ("jsonl", {"events": True, "where": ExportFilter(min_confidence=0.5)}, "--min-confidence"),
        ("parquet", {}, "binary"),
        ("jsonl", {"events": True}, "cannot list events"),
    ],
)
def test_export_configuration_errors_before_any_work(fmt, kwargs, message):
    class Untouchable(FakeStore):
        def incidents(self):
            raise AssertionError("read the store before checking the configuration")

    with pytest.raises(ConfigError, match=message) as info:
        export(Untouchable(), fmt, io.StringIO(), **kwargs)
    assert info.value.fix


def test_export_checks_the_crosswalk_before_opening_the_file(tmp_path):
    path = tmp_path / "out.csv"
    with pytest.raises(ConfigError, match="is for gtd"):
        export(FakeStore([make_incident()]), "acled", path, crosswalk=load_crosswalk("gtd"))
    assert not path.exists()
