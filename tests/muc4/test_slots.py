"""Slot scoring (date, location, effects) on hand-built incidents and raw templates, and one
end-to-end run through ``evaluate_muc4``."""

from __future__ import annotations

import datetime as dt

import pytest

from eventcoder.errors import ConfigError
from eventcoder.muc4.evaluate import _slots_table, evaluate_muc4
from eventcoder.muc4.raw_keys import (
    RawTemplate,
    parse_date,
    parse_effect_fills,
    parse_location,
    parse_number_fill,
)
from eventcoder.muc4.slots import country_iso2, exact_figure, fold, score_slots
from eventcoder.records import (
    Calendar,
    Count,
    DatePrecision,
    DateValue,
    Incident,
    Location,
    LocationPrecision,
    Qualifier,
)

D = dt.date
MUC4 = {"bombing_sub": "bombing", "attack_sub": "attack", "clash": None}


def gold(type_="bombing", date="12 JAN 90", location="EL SALVADOR: SAN SALVADOR (CITY)",
         effects=(), docid="TST1-MUC3-0001", numbers=(), effect_lines=()) -> RawTemplate:
    """``numbers`` and ``effect_lines``: raw slot 21 and slot 23 lines (``2: "PEASANTS"``)."""
    fills = parse_effect_fills(list(effect_lines))
    return RawTemplate(
        docid=docid, message_id=docid, number=1, optional=False, incident_type=type_,
        date=parse_date(date) if date else None,
        location=parse_location(location) if location else None,
        effects=frozenset(effects) | {label for f in fills for label in f.labels},
        hum_tgt=tuple(parse_number_fill(n) for n in numbers),
        hum_effects=fills,
    )


def incident(sub="bombing_sub", start=None, end=None, calendar=Calendar.GREGORIAN, loc=None,
             country=None, precision=LocationPrecision.EXACT, fatalities=None, injuries=None,
             either=None, docid="TST1-MUC3-0001") -> Incident:
    date = None
    if start is not None:
        date = DateValue(start, end or start, DatePrecision.DAY, calendar=calendar)
    location = None
    if loc is not None or country is not None:
        location = Location(text=loc or "", name=loc, country=country, precision=precision)
    count = lambda n: n if n is None or isinstance(n, Count) else Count(n, n)  # noqa: E731
    return Incident(
        doc_id=docid, event_type="x", sub_event_type=sub, evidence=((0, 1),),
        date=date, location=location, fatalities=count(fatalities), injuries=count(injuries),
        killed_or_injured=count(either),
    )


def score(golds, preds, published=None, slots=("date", "location", "effects")):
    return score_slots({"TST1-MUC3-0001": golds}, {"TST1-MUC3-0001": preds},
                       {"TST1-MUC3-0001": published}, slots, muc4_types=MUC4)


def test_exact_day_needs_the_day_inside_a_window_of_at_most_three_days():
    golds = [gold(date="12 JAN 90")]
    assert score(golds, [incident(start=D(1990, 1, 12))])["date"]["exact_day_accuracy"] == 100.0
    assert score(golds, [incident(start=D(1990, 1, 11), end=D(1990, 1, 13))])["date"]["exact_day_correct"] == 1
    assert score(golds, [incident(start=D(1990, 1, 10), end=D(1990, 1, 13))])["date"]["exact_day_correct"] == 0
    assert score(golds, [incident(start=D(1990, 1, 11))])["date"]["exact_day_accuracy"] == 0.0
    undated = score(golds, [incident()])["date"]
    assert undated["predicted_incidents_without_date"] == 1
    assert undated["matched_gold_with_day_undated_prediction"] == 1


def test_hijri_dates_get_one_day_either_side():
    golds = [gold(date="12 JAN 90")]
    hijri = incident(start=D(1990, 1, 13), calendar=Calendar.HIJRI)
    assert score(golds, [hijri])["date"]["exact_day_correct"] == 1
    greg = incident(start=D(1990, 1, 13))
    assert score(golds, [greg])["date"]["exact_day_correct"] == 0
    two_days = incident(start=D(1990, 1, 13), end=D(1990, 1, 14), calendar=Calendar.HIJRI)
    assert score(golds, [two_days])["date"]["exact_day_correct"] == 0  # 4 days once widened


def test_ranges_and_open_dates():
    d = score([gold(date="08 JAN 90 - 09 JAN 90")], [incident(start=D(1990, 1, 8), end=D(1990, 1, 9))])["date"]
    assert d["matched_gold_with_day"] == 0 and d["exact_day_accuracy"] is None
    assert d["window_contains_gold"] == {"accuracy": 100.0, "correct": 1, "n": 1}
    d = score([gold(date="- 15 JAN 90")], [incident(start=D(1990, 1, 14))])["date"]
    assert d["window_contains_gold"]["n"] == 0
    assert d["window_overlaps_gold"]["correct"] == 1
    d = score([gold(date="- 15 JAN 90")], [incident(start=D(1990, 1, 16))])["date"]
    assert d["window_overlaps_gold"]["correct"] == 0
    # alternatives: either single day will do
    d = score([gold(date="(08 MAR 90) / (07 MAR 90 - 08 MAR 90)")], [incident(start=D(1990, 3, 8))])["date"]
    assert d["exact_day_correct"] == 1 and d["window_contains_gold"]["correct"] == 1


def test_keys_that_fix_no_day_are_left_out_and_counted():
    # "on 28 Nov or before": the annotators read the report as fixing no day
    d = score([gold(date="(28 NOV 89) / (- 28 NOV 89)")], [incident(start=D(1989, 11, 28))])["date"]
    assert d["matched_gold_with_day"] == 0 and d["gold_templates_with_day"] == 0
    assert d["gold_day_left_out"] == {"open_alternative": 1, "year_unknown": 0, "after_publication": 0}
    assert d["window_overlaps_gold"]["correct"] == 1
    # year 00 in a message without a dateline: no year to resolve
    d = score([gold(date="16 NOV 00")], [incident(start=D(1900, 11, 16))], published=None)["date"]
    assert d["matched_gold_with_day"] == 0 and d["gold_day_left_out"] == {"open_alternative": 0, "year_unknown": 1,
                                                                          "after_publication": 0}
    # a key's day more than a day after the report's date: a typo in the key's year
    d = score([gold(date="16 NOV 90")], [incident(start=D(1989, 11, 16))], published=D(1990, 1, 19))["date"]
    assert d["matched_gold_with_day"] == 0 and d["gold_templates_with_day"] == 0
    assert d["gold_day_left_out"] == {"open_alternative": 0, "year_unknown": 0, "after_publication": 1}
    # ...but one day after it is a day (a dateline in local time, the act dated in GMT)
    d = score([gold(date="20 JAN 90")], [incident(start=D(1990, 1, 20))], published=D(1990, 1, 19))["date"]
    assert d["exact_day_correct"] == 1 and d["gold_day_left_out"]["after_publication"] == 0


def test_publication_date_resolves_a_gold_date_without_year_and_gives_a_baseline():
    d = score([gold(date="11 NOV")], [incident(start=D(1989, 11, 11))], published=D(1989, 11, 12))["date"]
    assert d["exact_day_correct"] == 1
    assert d["publication_date_baseline"] == {"n": 1, "same_day": 0.0, "same_or_previous_day": 100.0}


def test_country_mapping_and_place_folding():
    assert country_iso2("EL SALVADOR") == "SV" and country_iso2("GUATAMALA") == "GT"
    assert country_iso2("BOLIVIA") == "BO" and country_iso2("NOWHERE") is None
    assert fold("Medellín ") == "medellin"
    golds = [gold(location="COLOMBIA: ANTIOQUIA (DEPARTMENT): MEDELLIN (CITY)")]
    loc = score(golds, [incident(loc="Medellín", country="CO")], slots=("location",))["location"]
    assert loc["country"]["accuracy"] == 100.0 and loc["place"]["accuracy"] == 100.0
    loc = score(golds, [incident(loc="Bogotá", country="CO")], slots=("location",))["location"]
    assert loc["country"]["correct"] == 1 and loc["place"]["correct"] == 0
    loc = score([gold(location="COLOMBIA / VENEZUELA")], [incident(loc="Venezuela", country="VE",
                precision=LocationPrecision.COUNTRY)], slots=("location",))["location"]
    assert loc["country"]["correct"] == 1
    assert loc["place"]["n"] == 0 and loc["place"]["p_den"] == 0  # no gold place, no place claim


def test_effects_booleans():
    golds = [gold(effects={"DEATH", "NO INJURY"})]
    e = score(golds, [incident(fatalities=2)], slots=("effects",))["effects"]
    assert e["death"]["accuracy"] == 100.0 and e["injury"]["accuracy"] == 100.0
    e = score(golds, [incident(either=5)], slots=("effects",))["effects"]
    assert e["death"]["correct"] == 1 and e["injury"]["correct"] == 0
    e = score([gold(effects={"NO INJURY OR DEATH", "NO DEATH"})], [incident(fatalities=0)], slots=("effects",))["effects"]
    assert e["death"]["correct"] == 1 and e["death"]["r_den"] == 0 and e["death"]["p_den"] == 0


def test_exact_counts_over_pairs_whose_key_gives_one():
    def counts(golds, preds):
        return score(golds, preds, slots=("effects",))["effects"]["counts"]

    three = gold(numbers=['2: "PEASANTS"', '1: "MAYOR"'], effect_lines=['DEATH: "PEASANTS"', 'DEATH: "MAYOR"'])
    c = counts([three], [incident(fatalities=3)])
    assert c["killed"] == {"accuracy": 100.0, "correct": 1, "n": 1, "no_count": 0, "inexact": 0,
                           "gold_zero": 0, "gold_templates": 1}
    assert c["injured"]["n"] == 0 and c["injured"]["accuracy"] is None  # the key gives no injured count
    assert counts([three], [incident(fatalities=2)])["killed"]["correct"] == 0
    approx = counts([three], [incident(fatalities=Count(3, 3, Qualifier.APPROXIMATELY))])["killed"]
    assert approx["correct"] == 0 and approx["inexact"] == 1 and approx["no_count"] == 0
    ranged = counts([three], [incident(fatalities=Count(3, 5))])["killed"]
    assert ranged["correct"] == 0 and ranged["inexact"] == 1
    missing = counts([three], [incident(start=D(1990, 1, 12), either=3)])["killed"]
    assert missing == {**missing, "correct": 0, "n": 1, "no_count": 1, "inexact": 0}  # combined count
    # the key accepts either reading
    alternatives = gold(numbers=['6 / 4: "PRIESTS"'], effect_lines=['DEATH: "PRIESTS"'])
    assert counts([alternatives], [incident(fatalities=4)])["killed"]["correct"] == 1


def test_exact_counts_of_nobody_and_unmatched_gold():
    nobody = gold(effect_lines=['NO INJURY OR DEATH: "-"'])
    c = counts_of([nobody], [incident(fatalities=0, injuries=0)])
    assert c["killed"]["correct"] == c["injured"]["correct"] == 1 and c["killed"]["gold_zero"] == 1
    c = counts_of([nobody], [incident()])
    assert c["killed"]["correct"] == 0 and c["killed"]["no_count"] == 1 and c["killed"]["n"] == 1
    # a definite gold count left unmatched counts in gold_templates only
    kidnap = gold(type_="kidnapping", location="PERU", date=None, numbers=['1: "X"'], effect_lines=['DEATH: "X"'])
    c = counts_of([nobody, kidnap], [incident(fatalities=0)])
    assert c["killed"]["gold_templates"] == 2 and c["killed"]["n"] == 1
    plural = gold(numbers=['PLURAL: "PEASANTS"'], effect_lines=['DEATH: "PEASANTS"'])
    c = counts_of([plural], [incident(fatalities=5)])
    assert c["killed"]["n"] == 0 and c["killed"]["gold_templates"] == 0


def counts_of(golds, preds):
    return score(golds, preds, slots=("effects",))["effects"]["counts"]


def test_exact_figure():
    assert exact_figure(Count(7, 7)) == 7 and exact_figure(Count(0, 0)) == 0
    assert exact_figure(None) is None and exact_figure(Count(None, None, Qualifier.UNSPECIFIED)) is None
    assert exact_figure(Count(14, None, Qualifier.MORE_THAN)) is None
    assert exact_figure(Count(5, 5, Qualifier.AT_LEAST)) is None


def test_slots_table_shows_the_count_rows():
    from rich.console import Console

    three = gold(numbers=['3: "PEASANTS"'], effect_lines=['DEATH: "PEASANTS"'])
    console = Console(record=True, width=120)
    console.print(_slots_table(score([three], [incident(fatalities=3)])))
    text = console.export_text()
    assert "killed: exact count" in text and "injured: exact count" in text
    rows = {cells[2]: cells[3:5] for line in text.splitlines()
            if len(cells := [c.strip() for c in line.split("│")]) > 5}
    assert rows["killed: exact count"] == ["100.00", "1"]
    assert rows["injured: exact count"] == ["-", "0"]


def test_matching_prefers_type_then_date_and_place():
    golds = [
        gold(type_="attack", date="10 JAN 90", location="EL SALVADOR: SAN MIGUEL (CITY)"),
        gold(type_="bombing / attack", date="12 JAN 90", location="EL SALVADOR: SAN SALVADOR (CITY)"),
    ]
    preds = [
        incident(sub="bombing_sub", start=D(1990, 1, 12), loc="San Salvador", country="SV"),
        incident(sub="attack_sub", start=D(1990, 1, 10), loc="San Miguel", country="SV"),
        incident(sub="clash", start=D(1990, 1, 10)),  # no MUC-4 type: ignored
    ]
    r = score(golds, preds)
    assert r["matching"]["predicted_incidents"] == 2 and r["matching"]["matched_pairs"] == 2
    assert r["matching"]["type_agreement"] == 100.0
    assert r["date"]["exact_day_accuracy"] == 100.0
    assert r["location"]["place"]["accuracy"] == 100.0


def test_nothing_agrees_nothing_matched_and_unknown_slot():
    r = score([gold(type_="kidnapping", location="PERU")], [incident(start=D(1991, 1, 1), country="SV")])
    assert r["matching"]["matched_pairs"] == 0
    assert r["date"]["exact_day"]["r_den"] == 1 and r["date"]["exact_day"]["p_den"] == 1
    with pytest.raises(ConfigError):
        score([], [], slots=("weapon",))


def test_evaluate_muc4_reports_slots(muc4_dir, pipeline):
    report = evaluate_muc4("dev", muc4_dir, limit=30, pipeline=pipeline,
                           slots=("date", "location", "effects"))
    slots = report["slots"]
    assert set(slots) == {"matching", "date", "location", "effects"}
    assert slots["matching"]["gold_templates"] == report["templates_gold"]
    assert slots["matching"]["predicted_incidents"] == report["templates_predicted"]
    assert 0 < slots["matching"]["matched_pairs"] <= slots["matching"]["gold_templates"]
    assert slots["date"]["gold_templates_with_day"] > 0
    assert "exact_day_accuracy" in slots["date"] and "predicted_incidents_without_date" in slots["date"]
    assert set(slots["location"]) == {"country", "place"}
    assert set(slots["effects"]) == {"death", "injury", "counts"}
    killed = slots["effects"]["counts"]["killed"]
    assert set(killed) == {"accuracy", "correct", "n", "no_count", "inexact", "gold_zero", "gold_templates"}
    assert 0 < killed["n"] <= killed["gold_templates"]
    assert "slots" not in evaluate_muc4("dev", muc4_dir, limit=2, pipeline=pipeline)
