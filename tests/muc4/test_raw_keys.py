"""The raw MUC-4 answer-key parser: hand-written key snippets and the real dev keys."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from eventcoder.errors import ConfigError, DataNotFound
from eventcoder.muc4.data import load_split
from eventcoder.muc4.raw_keys import (
    load_raw_keys,
    parse_date,
    parse_effects,
    parse_keys,
    parse_location,
)

D = dt.date

KEY = """\
;;; gk deleted murder 2 (redundant with 1)
0.  MESSAGE: ID                     TST1-MUC3-0001
1.  MESSAGE: TEMPLATE               1
2.  INCIDENT: DATE                  02 FEB 90
3.  INCIDENT: LOCATION              EL SALVADOR: SAN MIGUEL (DEPARTMENT): SAN LUIS DE LA REINA (TOWN)
4.  INCIDENT: TYPE                  ATTACK
5.  INCIDENT: STAGE OF EXECUTION    ACCOMPLISHED
6.  INCIDENT: INSTRUMENT ID         -
7.  INCIDENT: INSTRUMENT TYPE       -
8.  PERP: INCIDENT CATEGORY         TERRORIST ACT
9.  PERP: INDIVIDUAL ID             "GUERRILLAS"
10. PERP: ORGANIZATION ID           -
11. PERP: ORGANIZATION CONFIDENCE   -
12. PHYS TGT: ID                    -
13. PHYS TGT: TYPE                  -
14. PHYS TGT: NUMBER                -
15. PHYS TGT: FOREIGN NATION        -
16. PHYS TGT: EFFECT OF INCIDENT    -
17. PHYS TGT: TOTAL NUMBER          -
18. HUM TGT: NAME                   "CEREZO"
19. HUM TGT: DESCRIPTION            "PRESIDENT": "CEREZO"
                                    "CIVILIAN"
20. HUM TGT: TYPE                   GOVERNMENT OFFICIAL: "CEREZO"
                                    CIVILIAN: "CIVILIAN"
21. HUM TGT: NUMBER                 1: "CEREZO"
                                    1: "CIVILIAN"
22. HUM TGT: FOREIGN NATION         -
23. HUM TGT: EFFECT OF INCIDENT     NO INJURY: "CEREZO"
                                    DEATH: "CIVILIAN"
24. HUM TGT: TOTAL NUMBER           -

0.  MESSAGE: ID                     DEV-MUC3-1150 (UNISYS / PARAMAX)
1.  MESSAGE: TEMPLATE               2 (OPTIONAL)
2.  INCIDENT: DATE                  - 15 JAN 90
3.  INCIDENT: LOCATION              (COLOMBIA: BOGOTA (CITY)) / (COLOMBIA)
4.  INCIDENT: TYPE                  BOMBING / ATTACK
23. HUM TGT: EFFECT OF INCIDENT     ? INJURY / DEATH: "PEASANTS"
                                    NO INJURY OR DEATH: "SOLDIERS"

0.  MESSAGE: ID                     TST2-MUC4-0007
1.  MESSAGE: TEMPLATE               *
2.  INCIDENT: DATE                  *
3.  INCIDENT: LOCATION              *
4.  INCIDENT: TYPE                  *
23. HUM TGT: EFFECT OF INCIDENT     *
"""


def test_parse_keys_blocks_and_fields():
    blocks = parse_keys(KEY)
    assert [docid for docid, _ in blocks] == ["TST1-MUC3-0001", "DEV-MUC3-1150", "TST2-MUC4-0007"]
    first, second, irrelevant = (t for _, t in blocks)
    assert irrelevant is None

    assert first.number == 1 and not first.optional and first.incident_type == "attack"
    assert (first.date.start, first.date.end) == (D(1990, 2, 2), D(1990, 2, 2))
    assert first.location.country == "EL SALVADOR"
    assert first.location.places == (("SAN MIGUEL", "DEPARTMENT"), ("SAN LUIS DE LA REINA", "TOWN"))
    assert first.effects == {"NO INJURY", "DEATH"}
    assert first.effect_fills == (("NO INJURY", '"CEREZO"'), ("DEATH", '"CIVILIAN"'))
    assert first.hum_tgt_numbers == ('1: "CEREZO"', '1: "CIVILIAN"')  # continuation line kept
    assert first.death and not first.injury

    assert second.docid == "DEV-MUC3-1150" and second.message_id.endswith("(UNISYS / PARAMAX)")
    assert second.number == 2 and second.optional
    assert second.incident_type == "bombing / attack"
    assert (second.date.start, second.date.end) == (None, D(1990, 1, 15))
    assert second.location.countries == ("COLOMBIA",)
    assert second.location.place_names == ("BOGOTA",)
    assert second.effects == {"INJURY", "DEATH", "NO INJURY OR DEATH"}
    assert second.death and second.injury


@pytest.mark.parametrize(
    "text, alternatives, days",
    [
        ("12 JAN 90", [(D(1990, 1, 12), D(1990, 1, 12))], [D(1990, 1, 12)]),
        ("- 15 JAN 90", [(None, D(1990, 1, 15))], []),
        ("-29 NOV 89", [(None, D(1989, 11, 29))], []),
        ("08 JAN 90 - 09 JAN 90", [(D(1990, 1, 8), D(1990, 1, 9))], []),
        (
            "(08 MAR 90) / (07 MAR 90 - 08 MAR 90)",
            [(D(1990, 3, 8), D(1990, 3, 8)), (D(1990, 3, 7), D(1990, 3, 8))],
            [D(1990, 3, 8)],
        ),
        ("19 MAR 89 / 18 MAR 89", [(D(1989, 3, 19),) * 2, (D(1989, 3, 18),) * 2],
         [D(1989, 3, 19), D(1989, 3, 18)]),
        ("? 9 APR 90", [(D(1990, 4, 9), D(1990, 4, 9))], [D(1990, 4, 9)]),
        ("03 MARCH 90", [(D(1990, 3, 3), D(1990, 3, 3))], [D(1990, 3, 3)]),
        ("11 Feb 90", [(D(1990, 2, 11), D(1990, 2, 11))], [D(1990, 2, 11)]),
        ("31 NOV 89", [], []),  # impossible day: dropped, text kept
        ("?", [], []),
    ],
)
def test_parse_date_forms(text, alternatives, days):
    date = parse_date(text)
    assert list(date.alternatives) == alternatives
    assert list(date.days) == days
    assert date.text == text
    assert date.optional == text.startswith("?")


def test_parse_date_without_year_resolves_against_the_report_date():
    date = parse_date("11 NOV")
    assert date.year_missing and date.alternatives == ()
    assert date.resolve(D(1989, 11, 13)).days == (D(1989, 11, 11),)
    assert date.resolve(D(1990, 1, 5)).days == (D(1989, 11, 11),)  # not after the report
    assert parse_date("12 JAN 90").resolve(D(1995, 1, 1)).days == (D(1990, 1, 12),)


def test_parse_location_forms():
    loc = parse_location("COLOMBIA / VENEZUELA")
    assert loc.countries == ("COLOMBIA", "VENEZUELA") and loc.places == ()

    loc = parse_location("EL SALVADOR: USULUTAN (CITY / COUNTY / DEPARTMENT)")
    assert len(loc.alternatives) == 1  # the slash is inside the kind
    assert loc.places == (("USULUTAN", "CITY / COUNTY / DEPARTMENT"),)

    loc = parse_location("(COLOMBIA: PEREIRA (CITY) - BELEN DE UMBRIA (TOWN)) / (COLOMBIA: BOGOTA (CITY))")
    assert loc.alternatives[0].places == (("PEREIRA", "CITY"), ("BELEN DE UMBRIA", "TOWN"))
    assert loc.place_names == ("PEREIRA", "BELEN DE UMBRIA", "BOGOTA")

    loc = parse_location("? HONDURAS")
    assert loc.optional and loc.country == "HONDURAS"

    loc = parse_location("PERU: AYACUCHO (DEPARTMENT): AYACUCHO (CITY) / PERU: JULCAMARCA (PROVINCE)")
    assert loc.place_names == ("AYACUCHO", "JULCAMARCA") and loc.countries == ("PERU",)


def test_parse_effects_forms():
    assert parse_effects(["-"]) == ()
    assert parse_effects(["NO DEATH"]) == (("NO DEATH", None),)
    assert parse_effects(["SOME INJURY"]) == (("SOME INJURY", None),)
    assert parse_effects(['(INJURY / DEATH): "X"']) == (("INJURY", '"X"'), ("DEATH", '"X"'))
    assert parse_effects(['NO INJURY / NO INJURY OR DEATH: "A" / "B"']) == (
        ("NO INJURY", '"A" / "B"'),
        ("NO INJURY OR DEATH", '"A" / "B"'),
    )


def test_unknown_split_and_missing_folder(tmp_path: Path):
    with pytest.raises(ConfigError):
        load_raw_keys("validation", tmp_path)
    with pytest.raises(DataNotFound):
        load_raw_keys("dev", tmp_path)
    (tmp_path / "raw_keys").mkdir()
    with pytest.raises(DataNotFound):
        load_raw_keys("dev", tmp_path)


def test_small_folder(tmp_path: Path):
    (tmp_path / "raw_keys").mkdir()
    (tmp_path / "raw_keys" / "key-tst1.v7").write_text(KEY)
    keys = load_raw_keys("dev", tmp_path)
    assert {k: len(v) for k, v in keys.items()} == {
        "TST1-MUC3-0001": 1,
        "DEV-MUC3-1150": 1,
        "TST2-MUC4-0007": 0,
    }


# --- the real dev keys ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_keys(muc4_dir: Path):
    return load_raw_keys("dev", muc4_dir)


def test_dev_keys_map_to_the_gtt_documents(dev_keys, muc4_dir):
    docs = load_split("dev", muc4_dir)
    assert len(dev_keys) == 200
    assert set(dev_keys) == {d.docid for d in docs}
    for d in docs:
        raw = dev_keys[d.docid]
        assert len(raw) == len(d.templates), d.docid
        assert [t.incident_type for t in raw] == [t.incident_type for t in d.templates], d.docid
    assert sum(len(v) for v in dev_keys.values()) == 191
    assert sum(1 for v in dev_keys.values() if not v) == 84
    assert sum(t.optional for v in dev_keys.values() for t in v) == 31  # README quirk 7


def test_dev_keys_slots_are_parsed(dev_keys):
    templates = [t for v in dev_keys.values() for t in v]
    assert all(t.location is not None and t.location.countries for t in templates)
    dated = [t for t in templates if t.date is not None]
    assert len(dated) >= 180 and all(t.date.alternatives for t in dated)
    assert sum(1 for t in templates if t.date and t.date.days) == 100
    assert sum(t.death for t in templates) == 82
    first = dev_keys["TST1-MUC3-0001"][0]
    assert first.date.days == (D(1990, 2, 2),)
    assert first.location.places == (("SANTO TOMAS", "FARM"),)
