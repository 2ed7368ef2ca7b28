"""The raw MUC-4 answer-key parser: hand-written key snippets and the real dev keys."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from eventcoder.errors import ConfigError, DataNotFound
from eventcoder.muc4.data import load_split
from eventcoder.muc4.raw_keys import (
    CountBasis,
    KeyNumber,
    key_count,
    load_raw_keys,
    parse_date,
    parse_effect_fills,
    parse_effects,
    parse_keys,
    parse_location,
    parse_number,
    parse_number_fill,
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
        # an open alternative: the report fixes no day, only one the act was on or before
        ("(28 NOV 89) / (- 28 NOV 89)", [(D(1989, 11, 28),) * 2, (None, D(1989, 11, 28))], []),
        ("16 NOV 00", [], []),  # the keys' year for a message without a dateline: no year
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
    no_year = parse_date("16 NOV 00")
    assert no_year.year_missing and no_year.resolve(D(1989, 11, 20)).days == (D(1989, 11, 16),)


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


@pytest.mark.parametrize(
    "text, readings",
    [
        ("7", [(7, 7, False)]),
        ("1,000", [(1000, 1000, False)]),
        ("PLURAL", [(2, None, False)]),
        ("~100", [(100, 100, True)]),
        ("6-8", [(6, 8, False)]),
        ("6-", [(6, None, False)]),
        ("23 -", [(23, None, False)]),
        ("-15", [(None, 15, False)]),
        ("6 / 4", [(6, 6, False), (4, 4, False)]),
        ("5/6", [(5, 5, False), (6, 6, False)]),
        ("PLURAL / - 15", [(2, None, False), (None, 15, False)]),
        ("? 15", [(15, 15, False)]),
        ("-", []),
        ("SEVERAL", []),
    ],
)
def test_parse_number_forms(text, readings):
    assert parse_number(text) == tuple(KeyNumber(*r) for r in readings)
    assert [r.exact for r in parse_number(text)] == [lo if lo == hi and not ap else None for lo, hi, ap in readings]


def test_parse_number_and_effect_fills_keep_targets_and_optional_marks():
    fill = parse_number_fill('1 / PLURAL: "BODYGUARD" / "BODYGUARDS"')
    assert fill.targets == ("BODYGUARD", "BODYGUARDS") and not fill.optional
    assert [r.exact for r in fill.readings] == [1, None]
    fill = parse_number_fill('? 1: "\\"SANTO TOMAS\\" FARM"')
    assert fill.optional and fill.targets == ('"SANTO TOMAS" FARM',)
    assert parse_number_fill("? 6").targets == () and parse_number_fill("? 6").optional
    fills = parse_effect_fills(['? INJURY / DEATH: "PEASANTS" / "PEASANT"', 'NO INJURY OR DEATH: "-"', "-"])
    assert [(f.labels, f.targets, f.optional) for f in fills] == [
        (("INJURY", "DEATH"), ("PEASANTS", "PEASANT"), True),
        (("NO INJURY OR DEATH",), (), False),
    ]


def hum_block(numbers=(), effects=(), total="-") -> str:
    """A key block whose human-target slots 21, 23 and 24 hold these lines."""
    def slot(n, label, lines):
        lines = list(lines) or ["-"]
        pad = " " * 36
        head = f"{n}. {label}".ljust(36)
        return "\n".join([head + lines[0], *(pad + line for line in lines[1:])])

    return "\n".join([
        "0.  MESSAGE: ID                     TST1-MUC3-0099",
        "1.  MESSAGE: TEMPLATE               1",
        "4.  INCIDENT: TYPE                  ATTACK",
        slot(21, "HUM TGT: NUMBER", numbers),
        slot(23, "HUM TGT: EFFECT OF INCIDENT", effects),
        slot(24, "HUM TGT: TOTAL NUMBER", [total]),
    ]) + "\n"


def counts(numbers=(), effects=(), total="-"):
    [(_, template)] = parse_keys(hum_block(numbers, effects, total))
    return template.killed, template.injured


def test_counts_sum_the_targets_with_the_effect():
    killed, injured = counts(
        ['1: "CEREZO"', '1: "CIVILIAN"', '3: "PEASANTS" / "FARMERS"'],
        ['NO INJURY: "CEREZO"', 'DEATH: "CIVILIAN"', 'DEATH: "FARMERS"'],
    )
    assert (killed.values, killed.basis) == ((4,), CountBasis.TARGETS) and killed.definite
    assert (injured.values, injured.basis) == ((0,), CountBasis.NONE_REPORTED)  # only NO INJURY said


def test_counts_pair_several_numbers_of_one_target_in_key_order():
    killed, injured = counts(['20: "PERSONS"', '~100: "PERSONS"'], ['DEATH: "PERSONS"', 'INJURY: "PERSONS"'])
    assert killed.values == (20,)
    assert (injured.values, injured.basis) == ((), CountBasis.INEXACT)
    killed, _ = counts(['24: "GUARDS"', '7 -: "GUARDS"'], ['DEATH: "GUARDS"'])
    assert (killed.values, killed.basis) == ((), CountBasis.UNPAIRED)
    killed, injured = counts(['20: "PERSONS"'], ['DEATH: "PERSONS"', 'INJURY: "PERSONS"'])
    assert killed.basis == injured.basis == CountBasis.UNPAIRED  # 20 killed, or injured?
    killed, _ = counts(['12: "STUDENTS"'], ['DEATH: "STUDENTS"', 'DEATH: "STUDENTS"'])
    assert killed.values == (12,)  # one number line is counted once


def test_counts_use_the_total_when_every_target_has_the_effect():
    numbers = ['6: "JESUITS"', '1: "IGNACIO ELLACURIA"', '2: "WOMEN"']
    effects = ['DEATH: "JESUITS"', 'DEATH: "IGNACIO ELLACURIA"', 'DEATH: "WOMEN"']
    assert counts(numbers, effects, "8")[0].values == (8,)
    assert counts(numbers, effects, "8")[0].basis == CountBasis.TOTAL
    assert counts(numbers, effects)[0].values == (9,)  # the named Jesuit counted twice
    assert counts(numbers, effects, "? 8")[0].values == (9,)  # an optional total is not used
    assert counts(numbers, effects, "~8")[0].values == (9,)
    assert counts(['PLURAL: "PASSENGERS"', 'PLURAL: "CREW"'], ['DEATH: "CREW"', 'DEATH: "PASSENGERS"'], "107")[0].values == (107,)
    # a total of all targets is not the number injured when some were not hurt
    killed, injured = counts(['7: "CHILDREN"', '1: "NIECE"'], ['INJURY: "NIECE"'], "7")
    assert injured.values == (1,) and killed.basis == CountBasis.NOT_GIVEN


def test_counts_keep_every_total_the_key_accepts():
    killed, _ = counts(['6 / 4: "PRIESTS"', '? 1: "COOK"'], ['DEATH: "PRIESTS"', 'DEATH: "COOK"'])
    assert killed.values == (4, 5, 6, 7)
    killed, injured = counts(['2: "GUARDS"'], ['INJURY / DEATH: "GUARDS"'])
    assert killed.values == injured.values == (0, 2)
    # an optional filler on a PLURAL target may be left out; a required one may not
    killed, _ = counts(['20: "PERSONS"', 'PLURAL: "POLICEMEN"'], ['DEATH: "PERSONS"', '? DEATH: "POLICEMEN"'])
    assert killed.values == (20,)
    killed, _ = counts(['20: "PERSONS"', 'PLURAL: "POLICEMEN"'], ['DEATH: "PERSONS"', 'DEATH: "POLICEMEN"'])
    assert (killed.values, killed.basis) == ((), CountBasis.INEXACT)
    assert counts(['1 / PLURAL: "BODYGUARD" / "BODYGUARDS"'], ['DEATH: "BODYGUARDS"'])[0].values == (1,)
    assert counts(['~70: "PEASANTS"'], ['DEATH: "PEASANTS"'])[0].basis == CountBasis.INEXACT


def test_counts_from_dummy_targets_and_bare_labels():
    killed, injured = counts([], ['NO INJURY OR DEATH: "-"'])
    assert killed.values == injured.values == (0,)
    killed, injured = counts([], ['NO DEATH: "-"'])
    assert killed.values == (0,) and injured.basis == CountBasis.NOT_GIVEN
    killed, injured = counts([], ['? NO INJURY OR DEATH: "-"'])
    assert killed.basis == injured.basis == CountBasis.NOT_GIVEN  # optional: may be left out
    killed, injured = counts(['1: "HOSTAGE"'], ['REGAINED FREEDOM: "HOSTAGE"'])
    assert killed.basis == injured.basis == CountBasis.NOT_GIVEN
    assert counts(['2: "-"'], ['DEATH: "-"'])[0].values == (2,)
    assert counts([], ["INJURY"])[1].basis == CountBasis.NO_NUMBER
    assert counts(['1: "MAYOR"'], ['DEATH: "DRIVER"'])[0].basis == CountBasis.NO_NUMBER
    with pytest.raises(ConfigError):
        key_count("missing", (), ())


def test_a_total_of_several_lines_is_not_a_total():
    [(_, template)] = parse_keys(hum_block(['2: "MEN"'], ['DEATH: "MEN"'], total='305: "DEAD"\n' + " " * 36 + '373: "WOUNDED"'))
    assert template.hum_total is None and template.killed.values == (2,)


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
    assert len(dated) >= 180
    # every date parses, except the two "16 NOV 00" of a message without a dateline (no year)
    assert [t.date.text for t in dated if not t.date.alternatives] == ["16 NOV 00"] * 2
    # 100 keys name a single day; 10 of them also allow "on or before" and fix none
    assert sum(1 for t in templates if t.date and t.date.days) == 88
    assert sum(t.death for t in templates) == 82
    first = dev_keys["TST1-MUC3-0001"][0]
    assert first.date.days == (D(1990, 2, 2),)
    assert first.location.places == (("SANTO TOMAS", "FARM"),)
    assert first.killed.values == (1,) and first.phys_tgt[0].readings[0].exact == 1


def test_dev_keys_counts(dev_keys):
    templates = [t for v in dev_keys.values() for t in v]
    assert sum(t.killed.definite for t in templates) == 79
    assert sum(t.injured.definite for t in templates) == 30
    assert all(t.death for t in templates if t.killed.definite and max(t.killed.values) > 0)
    bombing = dev_keys["TST2-MUC4-0007"][0]  # "20 persons were killed and approximately 100 injured"
    assert bombing.killed.values == (20,) and not bombing.injured.definite
    jesuits = dev_keys["TST1-MUC3-0050"][0]  # 6 Jesuits, one of them named, and 2 women; total 8
    assert (jesuits.killed.values, jesuits.killed.basis) == ((8,), CountBasis.TOTAL)
