"""Tests for eventcoder.normalize.dates: YAML cases, Hijri checks, spans, anchoring, tables."""

from __future__ import annotations

import copy
import datetime as dt
import inspect
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from eventcoder.errors import ConfigError
from eventcoder.normalize import dates
from eventcoder.normalize.corpus import date_case_problems, evaluate_date_cases, load_date_cases, main
from eventcoder.normalize.dates import KINDS, find_dates, load_tables, paragraph_starts, parse_date
from eventcoder.records import Calendar, DatePrecision, DateValue

HERE = Path(__file__).parent
CASES = load_date_cases(HERE / "date_cases.yaml")


def _params(cases: list[dict]) -> list:
    """One pytest param per case; a case with ``xfail: reason`` must fail (strict)."""
    return [
        pytest.param(c, id=c["id"], marks=[pytest.mark.xfail(strict=True, reason=c["xfail"])] if c.get("xfail") else [])
        for c in cases
    ]


# --------------------------------------------------------------------------- YAML cases


def test_there_are_enough_cases_and_ids_are_unique():
    assert len(CASES) >= 60
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", _params(CASES))
def test_case(case):
    # Compares the matched texts in order, then for each date: value.text, start/end, precision,
    # calendar, year_inferred, kind and (when given) the anchor text.
    problems = date_case_problems(case)
    assert problems == [], "\n".join(problems)


def test_case_comparison_checks_every_field():
    case = next(c for c in CASES if c["id"] == "wire-following-day")
    assert date_case_problems(case) == []
    changes = {
        "start": dt.date(2016, 3, 5), "end": dt.date(2016, 3, 5), "precision": "month", "calendar": "hijri",
        "year_inferred": True, "kind": "absolute", "anchor": None,
    }
    for key, value in changes.items():
        wrong = copy.deepcopy(case)
        wrong["dates"][1][key] = value
        assert date_case_problems(wrong), key
    wrong = copy.deepcopy(case)
    wrong["dates"][1]["text"] = "the next day"
    assert date_case_problems(wrong)
    wrong = copy.deepcopy(case)
    wrong["dates"].pop()
    assert date_case_problems(wrong)


def test_corpus_figures_meet_the_targets():
    figures = evaluate_date_cases(HERE / "date_cases.yaml")
    assert figures["cases"] == len(CASES)
    known = sum(1 for c in CASES if c.get("xfail"))
    assert figures["correct"] == len(CASES) - known
    assert [f["id"] for f in figures["failures"]] == [c["id"] for c in CASES if c.get("xfail")]
    assert figures["exact_day_cases"] >= 40
    assert figures["exact_day_accuracy"] >= 0.95


def test_the_two_corpora_hold_at_least_200_cases():
    counts = yaml.safe_load((HERE / "count_cases.yaml").read_text(encoding="utf-8"))
    assert len(CASES) + len(counts["cases"]) + len(counts["materiel_cases"]) >= 200


def test_corpus_command_prints_the_figures(capsys):
    assert main(["--dates", str(HERE / "date_cases.yaml"), "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["dates"]["cases"] == len(CASES)
    assert main(["--dates", str(HERE / "date_cases.yaml")]) == 0
    assert "exact day" in capsys.readouterr().out
    assert main(["--dates", str(HERE / "no_such_file.yaml")]) == 2
    assert "E400" in capsys.readouterr().err


# --------------------------------------------------------------------------- Hijri


@pytest.mark.parametrize(
    ("expression", "calendar", "converted"),
    [
        ("19 Rabi' al-Awwal 1438", "tabular", dt.date(2016, 12, 19)),
        ("2 Rabi' al-Akhir 1438", "tabular", dt.date(2017, 1, 1)),
        ("7 Rabi' al-Awwal 1438", "umm_al_qura", dt.date(2016, 12, 6)),
    ],
)
def test_known_hijri_conversions(expression, calendar, converted):
    value = parse_date(expression, published=None, hijri_calendar=calendar)
    assert value is not None
    assert value.calendar is Calendar.HIJRI
    assert value.precision is DatePrecision.DAY
    assert value.text == expression
    assert value.start == converted - dt.timedelta(days=1)
    assert value.end == converted + dt.timedelta(days=1)


MONTH_SPELLINGS = {
    1: ["Muharram", "Muharam"],
    2: ["Safar"],
    3: ["Rabi' al-Awwal", "Rabi al-Awal", "Rabi-ul-Awwal", "Rabi I", "Rabi ul Awal", "Rabiul Awwal", "Rabee al-Awwal"],
    4: ["Rabi' al-Akhir", "Rabi' ath-Thani", "Rabi al-Thani", "Rabi II", "Rabi us-Sani", "Rabi-ul-Akhir"],
    5: ["Jumada al-Ula", "Jumada al-Awwal", "Jumada I", "Jamadi ul-Awwal"],
    6: ["Jumada al-Akhirah", "Jumada ath-Thaniyah", "Jumada al-Thani", "Jumada II", "Jumada al-Akhira"],
    7: ["Rajab"],
    8: ["Sha'ban", "Shaban", "Shaaban"],
    9: ["Ramadan", "Ramadhan", "Ramazan"],
    10: ["Shawwal", "Shawal"],
    11: ["Dhu al-Qa'dah", "Dhul-Qadah", "Dhu'l-Qa'da", "Dhu al-Qi'dah"],
    12: ["Dhu al-Hijjah", "Dhul-Hijja", "Dhul Hijjah", "Dhu'l-Hijja"],
}
SPELLINGS = [(num, s) for num, names in MONTH_SPELLINGS.items() for s in names]


@pytest.mark.parametrize(("month", "spelling"), SPELLINGS, ids=[s for _, s in SPELLINGS])
def test_hijri_month_spellings(month, spelling):
    from convertdate import islamic

    expected = dt.date(*islamic.to_gregorian(1437, month, 5))
    for variant in (spelling, spelling.lower(), spelling.upper()):
        value = parse_date(f"5 {variant} 1437", published=None)
        assert value is not None, variant
        assert value.start == expected - dt.timedelta(days=1), variant


@pytest.mark.parametrize("apostrophe", ["'", "’", "‘", "ʿ", "ʾ", "`", ""])
def test_any_apostrophe_or_none(apostrophe):
    text = f"On the 19th of Rabi{apostrophe} al-Awwal 1438 an operation was reported."
    (mention,) = find_dates(text, published=None)
    assert mention.value.start == dt.date(2016, 12, 18)
    assert text[slice(*mention.span)] == f"the 19th of Rabi{apostrophe} al-Awwal 1438"


def test_numeric_hijri_year_is_never_gregorian():
    for text in ("07/03/1438", "1438/03/07", "7.3.1438"):
        value = parse_date(text, published=None)
        assert value is not None and value.calendar is Calendar.HIJRI, text
        assert value.start == dt.date(2016, 12, 6), text


def test_hijri_year_inferred_from_publication_within_a_year():
    # 20 Rabi' al-Awwal 1438 is 2016-12-20 (tabular): the 19th is the day before ...
    (before,) = find_dates("on the 19th of Rabi' al-Awwal", published=dt.date(2016, 12, 20))
    assert before.value.start == dt.date(2016, 12, 18) and before.value.year_inferred
    # ... and published on the 18th, the most recent 19 Rabi' al-Awwal is one Hijri year earlier (1437).
    (earlier,) = find_dates("on the 19th of Rabi' al-Awwal", published=dt.date(2016, 12, 18))
    assert earlier.value.start == dt.date(2015, 12, 30)


WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
HIJRI_NAMES = ["Muharram", "Safar", "Rabi' al-Awwal", "Rabi' al-Akhir", "Jumada al-Ula", "Jumada al-Akhirah",
               "Rajab", "Sha'ban", "Ramadan", "Shawwal", "Dhu al-Qa'dah", "Dhu al-Hijjah"]


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)),
       calendar=st.sampled_from(["tabular", "umm_al_qura"]), comma=st.booleans())
def test_a_weekday_before_a_hijri_day_settles_its_doubt(day, calendar, comma):
    """"Monday, 21 Sha'ban 1444": of the three days the conversion allows, the one that is a
    Monday. Written with the true weekday, any Hijri day resolves to the day it converts to."""
    from convertdate import islamic
    from hijridate import Gregorian

    if calendar == "tabular":
        y, m, d = islamic.from_gregorian(day.year, day.month, day.day)
    else:
        h = Gregorian(day.year, day.month, day.day).to_hijri()
        y, m, d = h.year, h.month, h.day
    text = f"{WEEKDAY_NAMES[day.weekday()]}{',' if comma else ''} {d} {HIJRI_NAMES[m - 1]} {y}"
    value = parse_date(text, published=None, hijri_calendar=calendar)
    assert value is not None and value.calendar is Calendar.HIJRI
    assert (value.start, value.end, value.precision) == (day, day, DatePrecision.DAY)
    assert value.text == text


def test_a_weekday_no_day_of_the_window_has_leaves_the_doubt():
    # 12 Rajab 1444 is 2023-02-03 (tabular), a Friday: a Wednesday is two days off the window
    value = parse_date("Wednesday, 12 Rajab 1444", published=None)
    assert (value.start, value.end) == (dt.date(2023, 2, 2), dt.date(2023, 2, 4))


# --------------------------------------------------------------------------- spans (property tests)

PHRASES = [
    "7 February", "February 7", "Feb. 7, 1989", "7 Feb 89", "3 JAN 90", "07/02/89", "2017-01-01",
    "Tuesday", "last week", "January 1990", "between 9 and 11 December", "9-11 December 2016",
    "from 3 to 5 March", "early January", "mid-January", "late January", "earlier this month",
    "the 7th of Rabi' al-Awwal 1438", "7 Rabi al-Awwal 1438 AH", "the 19th of Rabi’ al-Awwal", "Ramadan 1437",
    "07/03/1438", "yesterday", "the day before yesterday", "two days ago", "3 days earlier", "last night",
    "the same day", "the following day", "a week later", "sometime later", "meanwhile", "Dhul-Hijja 1437",
]
NEUTRAL = ["officials", "reported", "clashes", "near", "road", "village", "convoy", "statement", "said",
           "were", "and", "a", "police", "residents", "(Reuters)", "--"]
BEFORE = [" ", ", ", "\n", " ("]
AFTER = [", ", ". ", "; ", " -- ", "\n", ") "]


@settings(max_examples=300, deadline=None)
@example(phrase="sometime later", prefix=["a"], suffix=[], before=" ", after=", ", published=None)
@given(
    phrase=st.sampled_from(PHRASES),
    prefix=st.lists(st.sampled_from(NEUTRAL), max_size=6),
    suffix=st.lists(st.sampled_from(NEUTRAL), max_size=6),
    before=st.sampled_from(BEFORE),
    after=st.sampled_from(AFTER),
    published=st.sampled_from([None, dt.date(1990, 1, 3), dt.date(2016, 12, 21)]),
)
def test_found_span_is_the_phrase(phrase, prefix, suffix, before, after, published):
    head = " ".join(prefix) + before if prefix else ""
    text = head + phrase + after + " ".join(suffix)
    found = find_dates(text, published=published)
    assert [(m.span, text[m.span[0]:m.span[1]]) for m in found] == [((len(head), len(head) + len(phrase)), phrase)]
    assert found[0].value.text == phrase


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300), published=st.one_of(st.none(), st.dates()))
def test_never_raises_and_spans_are_sound(text, published):
    found = find_dates(text, published=published)
    ends = 0
    for m in found:
        s, e = m.span
        assert ends <= s < e <= len(text)
        assert m.value.text == text[s:e]
        assert m.kind in KINDS
        assert (m.value.start is None) == (m.value.end is None)
        if m.value.start is not None:
            assert m.value.start <= m.value.end
        ends = e
    parse_date(text, published=published)


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet="0123456789 /.-:,JanFebMyRbilAwTudsyhgHrc'", max_size=60),
    published=st.one_of(st.none(), st.dates(min_value=dt.date(2, 1, 1))),
)
def test_never_raises_on_date_like_noise(text, published):
    for cal in ("tabular", "umm_al_qura"):
        for mention in find_dates(text, published=published, hijri_calendar=cal):
            assert mention.value.text == text[slice(*mention.span)]


# --------------------------------------------------------------------------- anchoring


def test_relative_dates_chain_within_a_paragraph_and_refer_back_within_a_section():
    text = (
        "On 3 March 2016 a clinic was shelled. Two days later a school was hit. "
        "The following day the road was closed.\n"
        "\n"
        "Two days later the road reopened. Yesterday, officials visited.\n"
        " \n"
        "On 1 March 2016 a bridge was damaged.\n\nThe next day repairs began.\n\n"
        "Northern district\n\nThe next day a market was hit. Three days ago a road was mined."
    )
    published = dt.date(2016, 3, 10)
    got = {(text[slice(*m.span)], m.span[0]): m for m in find_dates(text, published=published)}
    by_text = [(k[0], m.value.start, None if m.anchor is None else text[slice(*m.anchor)]) for k, m in got.items()]
    assert by_text == [
        ("3 March 2016", dt.date(2016, 3, 3), None),
        ("Two days later", dt.date(2016, 3, 5), "3 March 2016"),
        ("The following day", dt.date(2016, 3, 4), "3 March 2016"),  # resolves against the absolute date
        # a new paragraph of the section: a phrase that refers back takes the last day told before ...
        ("Two days later", dt.date(2016, 3, 5), "3 March 2016"),
        ("Yesterday", dt.date(2016, 3, 9), None),  # ... one that counts from the time of writing does not
        ("1 March 2016", dt.date(2016, 3, 1), None),
        ("The next day", dt.date(2016, 3, 2), "1 March 2016"),
        # after a heading: the publication date
        ("The next day", dt.date(2016, 3, 11), None),
        ("Three days ago", dt.date(2016, 3, 7), None),
    ]


def test_latest_absolute_date_is_the_anchor():
    text = "On 3 March 2016 a clinic was shelled. On 7 March 2016 a market was hit. A day earlier a road was mined."
    *_, rel = find_dates(text, published=dt.date(2016, 3, 10))
    assert rel.value.start == dt.date(2016, 3, 6)
    assert text[slice(*rel.anchor)] == "7 March 2016"


def test_unresolved_relative_without_anchor_or_publication():
    (m,) = find_dates("Two days ago a bus was attacked.", published=None)
    assert (m.value.start, m.value.end, m.value.precision, m.anchor) == (None, None, DatePrecision.UNKNOWN, None)


def test_paragraph_starts():
    text = "Heading of the report\nFirst paragraph line that is longer than the heading.\n\nSecond.\n \nThird."
    assert paragraph_starts(text) == [0, text.index("First"), text.index("Second"), text.index("Third")]
    # Wrapped lines of similar length are one paragraph (MUC-4 style).
    wrapped = "SAN SALVADOR, 3 JAN 90 -- [TEXT] THE ARMY SAID THAT A PATROL\nWAS AMBUSHED YESTERDAY NEAR THE RIVER."
    assert paragraph_starts(wrapped) == [0]
    assert paragraph_starts("# Title\nBody.\n# Other\nMore.") == [0, 8, 14, 22]
    assert paragraph_starts("Body text.\n# Closing heading") == [0, 11]


# --------------------------------------------------------------------------- no clock


def test_results_depend_on_the_publication_date_only():
    text = "Yesterday gunmen attacked a checkpoint. Attacks fell last week. On 28 December a bridge was damaged."
    for published, expected in [
        (dt.date(1990, 1, 3), [dt.date(1990, 1, 2), dt.date(1989, 12, 25), dt.date(1989, 12, 28)]),
        (dt.date(2016, 12, 30), [dt.date(2016, 12, 29), dt.date(2016, 12, 19), dt.date(2016, 12, 28)]),
    ]:
        found = find_dates(text, published=published)
        assert [m.value.start for m in found] == expected


def test_the_module_never_reads_the_clock():
    source = inspect.getsource(dates)
    for call in ("date.today(", "datetime.now(", "datetime.today(", "time.time(", "utcnow("):
        assert call not in source


# --------------------------------------------------------------------------- API and tables


def test_parse_date_convenience():
    value = parse_date("in 1989", published=None)
    assert value == DateValue(dt.date(1989, 1, 1), dt.date(1989, 12, 31), DatePrecision.YEAR,
                              Calendar.GREGORIAN, False, "1989", ((3, 7),))
    assert parse_date("1989", published=None).spans == ((0, 4),)  # a bare year is a date here
    assert parse_date("January", published=dt.date(1990, 3, 1)).start == dt.date(1990, 1, 1)
    assert parse_date("no date here", published=None) is None
    assert parse_date("", published=None) is None
    assert parse_date(None, published=None) is None  # type: ignore[arg-type]
    assert parse_date("7 February", published=None, hijri_calendar="lunar") is None
    assert parse_date("7 February", published="2016-12-21") is None  # type: ignore[arg-type]


def test_datetime_publication_is_accepted():
    (m,) = find_dates("yesterday", published=dt.datetime(2016, 12, 21, 23, 59))
    assert m.value.start == dt.date(2016, 12, 20)


def test_unknown_hijri_calendar_fails_before_work():
    with pytest.raises(ConfigError):
        find_dates("", published=None, hijri_calendar="lunar")


def test_two_digit_year_rule():
    assert parse_date("07/02/49", published=None).start == dt.date(2049, 2, 7)
    assert parse_date("07/02/50", published=None).start == dt.date(1950, 2, 7)
    assert parse_date("07/02/49", published=dt.date(1990, 1, 1)).start == dt.date(1949, 2, 7)
    assert parse_date("7 Feb 17", published=dt.date(2016, 12, 1)).start == dt.date(2017, 2, 7)


def test_tables_are_versioned_and_cached():
    tables = load_tables()
    assert tables is load_tables()
    assert set(tables.versions) == {"gregorian", "hijri_months"}
    assert all(v.count(".") == 2 for v in tables.versions.values())
    assert dates.table_versions() == tables.versions


def test_importing_does_no_work():
    code = "import eventcoder.normalize.dates as d; assert d.load_tables.cache_info().currsize == 0"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_table_schema_rejects_a_broken_table():
    data = yaml.safe_load(Path(dates.__file__).parent.parent.joinpath("data", "calendars", "gregorian.yaml")
                          .read_text(encoding="utf-8"))
    data["relative"]["fixed"]["yesterday"] = "minus one"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(dates._stringify_keys(data), dates.GREGORIAN_SCHEMA)


def test_speed_on_a_5000_character_text():
    para = ("Armed men attacked a checkpoint near the town on Tuesday, killing 7 soldiers and wounding 14 others, "
            "officials said. The attack came two days after clashes in the district on 3 March 2016 left 1,200 "
            "families displaced. A spokesperson said at 10:30 that an AK-47 and 14 tanks were seized.\n\n")
    text = (para * 20)[:5000]
    published = dt.date(2016, 3, 10)
    find_dates(text, published=published)
    times = []
    for _ in range(15):
        t = time.perf_counter()
        find_dates(text, published=published)
        times.append(time.perf_counter() - t)
    # The target is about 2 ms on a developer machine; the bound leaves room for slow CI.
    assert statistics.median(times) < 0.02
