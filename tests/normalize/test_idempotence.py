"""Property tests: normalizers are idempotent, parsed values survive a round trip, spans are sound."""

from __future__ import annotations

import datetime as dt

from convertdate import islamic
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from eventcoder.geocode import normalize_place
from eventcoder.muc4.metrics import normalize_mention
from eventcoder.normalize.counts import find_counts, find_materiel, parse_quantity
from eventcoder.normalize.dates import find_dates, parse_date
from eventcoder.records import Calendar, DatePrecision, Qualifier

# --------------------------------------------------------------------------- string normalizers


@settings(max_examples=500, deadline=None)
@example(s="Mosul / Nineveh")
@example(s=".al-Qaim")
@example(s="al al-Bab")
@given(s=st.text(max_size=60))
def test_normalize_place_is_idempotent(s: str) -> None:
    once = normalize_place(s)
    assert normalize_place(once) == once


@settings(max_examples=200, deadline=None)
@given(s=st.text(alphabet=st.characters(categories=("L", "N", "Zs")), max_size=60))
def test_normalize_place_is_idempotent_on_letters_digits_and_spaces(s: str) -> None:
    once = normalize_place(s)
    assert normalize_place(once) == once


@settings(max_examples=500, deadline=None)
@example(s="The Army, the  F.M.L.N. and a patrol")
@given(s=st.text(max_size=80))
def test_normalize_mention_is_idempotent(s: str) -> None:
    once = normalize_mention(s)
    assert normalize_mention(once) == once


# --------------------------------------------------------------------------- dates

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


GREGORIAN_FORMATS = {
    "d Month yyyy": lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    "Month d, yyyy": lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    "Mon. d, yyyy": lambda d: f"{ABBR[d.month - 1]}{'' if d.month == 5 else '.'} {d.day}, {d.year}",
    "d Mon yy": lambda d: f"{d.day} {ABBR[d.month - 1]} {d.year % 100:02d}",
    "dd/mm/yyyy": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    "mm/dd/yy": lambda d: f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}",
    "yyyy-mm-dd": lambda d: d.isoformat(),
    "the dth of Month yyyy": lambda d: f"the {_ordinal(d.day)} of {MONTHS[d.month - 1]} {d.year}",
    "Weekday, d Month yyyy": lambda d: f"{WEEKDAYS[d.weekday()]}, {d.day} {MONTHS[d.month - 1]} {d.year}",
    "d Month": lambda d: f"{d.day} {MONTHS[d.month - 1]}",
    "Month d": lambda d: f"{MONTHS[d.month - 1]} {d.day}",
}
MONTH_FIRST = {"mm/dd/yy"}
NO_YEAR = {"d Month", "Month d"}


@settings(max_examples=400, deadline=None)
@given(
    day=st.dates(min_value=dt.date(1980, 1, 1), max_value=dt.date(2030, 12, 31)),
    fmt=st.sampled_from(sorted(GREGORIAN_FORMATS)),
    lag=st.integers(0, 300),
    frame=st.sampled_from([("The attack took place on ", ", officials said."), ("", ": a patrol was ambushed."),
                           ("Police said that on ", " a bomb exploded.")]),
)
def test_gregorian_date_round_trip(day: dt.date, fmt: str, lag: int, frame: tuple[str, str]) -> None:
    published = day + dt.timedelta(days=lag)
    rendered = GREGORIAN_FORMATS[fmt](day)
    text = frame[0] + rendered + frame[1]
    day_first = fmt not in MONTH_FIRST
    (mention,) = find_dates(text, published=published, day_first=day_first)
    v = mention.value
    assert v.text == rendered == text[slice(*mention.span)]
    assert (v.start, v.end, v.precision, v.calendar) == (day, day, DatePrecision.DAY, Calendar.GREGORIAN)
    assert v.year_inferred is (fmt in NO_YEAR)
    again = parse_date(v.text, published=published, day_first=day_first)
    assert again is not None
    assert (again.start, again.end, again.precision, again.calendar) == (v.start, v.end, v.precision, v.calendar)
    assert again.spans == ((0, len(v.text)),)


@settings(max_examples=300, deadline=None)
@example(day=dt.date(2024, 2, 29), fmt="d Month", lead=300, frame=("The minister will visit the town on ", "."))
@given(
    day=st.dates(min_value=dt.date(1980, 1, 1), max_value=dt.date(2030, 12, 31)),
    fmt=st.sampled_from(sorted(NO_YEAR)),
    lead=st.integers(0, 360),
    frame=st.sampled_from([("The minister will visit the town on ", "."),
                           ("Talks scheduled for ", " were called off, the rebels said."),
                           ("The president-elect, who is to take office on ", ", condemned the attack.")]),
)
def test_a_day_without_a_year_in_a_clause_about_the_future_is_the_next_one(day, fmt, lead, frame) -> None:
    # any day from the publication date to 360 days after it, written without its year in a
    # clause about the future, resolves to itself (gregorian table 1.3.0, future_markers)
    published = day - dt.timedelta(days=lead)
    text = frame[0] + GREGORIAN_FORMATS[fmt](day) + frame[1]
    (mention,) = find_dates(text, published=published)
    v = mention.value
    assert (v.start, v.end, v.precision, v.year_inferred) == (day, day, DatePrecision.DAY, True)


@settings(max_examples=200, deadline=None)
@given(
    month=st.integers(1, 12),
    year=st.integers(1980, 2030),
    form=st.sampled_from(["{Month} {y}", "in {Month} {y}", "early {Month} {y}", "mid-{Month} {y}", "late {Month} {y}",
                          "in {y}", "late {y}"]),
)
def test_month_and_year_round_trip(month: int, year: int, form: str) -> None:
    published = dt.date(year, 12, 31) + dt.timedelta(days=1)
    rendered = form.format(Month=MONTHS[month - 1], y=year)
    text = f"Clashes were reported {rendered}, residents said."
    (mention,) = find_dates(text, published=published)
    v = mention.value
    again = parse_date(v.text, published=published)
    assert again is not None
    assert (again.start, again.end, again.precision, again.calendar) == (v.start, v.end, v.precision, v.calendar)
    assert v.start is not None and v.start.year == year


HIJRI_SPELLINGS = {
    1: ["Muharram", "Muharam"],
    2: ["Safar"],
    3: ["Rabi' al-Awwal", "Rabi al-Awal", "Rabi-ul-Awwal", "Rabi I", "Rabiul Awwal"],
    4: ["Rabi' al-Akhir", "Rabi' ath-Thani", "Rabi al-Thani", "Rabi II", "Rabi us-Sani", "Rabi-ul-Thani"],
    5: ["Jumada al-Ula", "Jumada al-Awwal", "Jumada I", "Jamadi ul-Awwal"],
    6: ["Jumada al-Akhirah", "Jumada ath-Thaniyah", "Jumada al-Thani", "Jumada II", "Jumada al-Akhira"],
    7: ["Rajab"],
    8: ["Sha'ban", "Shaaban"],
    9: ["Ramadan", "Ramadhan", "Ramazan"],
    10: ["Shawwal", "Shawal"],
    11: ["Dhu al-Qa'dah", "Dhul-Qa'dah", "Dhu'l-Qa'da", "Dhu al-Qi'dah", "Dhul Qadah"],
    12: ["Dhu al-Hijjah", "Dhul-Hijja", "Dhul Hijjah", "Dhu'l-Hijja", "Dhu l-Hijjah"],
}
APOSTROPHES = ["'", "’", "‘", "ʿ", "ʾ", "`", ""]
HIJRI_FORMATS = {
    "d Month yyyy": "{d} {m} {y}",
    "the dth of Month yyyy": "the {o} of {m} {y}",
    "Month d, yyyy": "{m} {d}, {y}",
    "d Month yyyy AH": "{d} {m} {y} AH",
    "the dth of Month": "the {o} of {m}",
}


@settings(max_examples=400, deadline=None)
@given(
    year=st.integers(1400, 1450),
    month=st.integers(1, 12),
    day=st.integers(1, 29),
    pick=st.data(),
    fmt=st.sampled_from(sorted(HIJRI_FORMATS)),
    lag=st.integers(0, 300),
    case=st.sampled_from([str, str.lower, str.upper]),
)
def test_hijri_date_round_trip(year: int, month: int, day: int, pick: st.DataObject, fmt: str, lag: int,
                               case) -> None:
    name = pick.draw(st.sampled_from(HIJRI_SPELLINGS[month]), label="spelling")
    name = name.replace("'", pick.draw(st.sampled_from(APOSTROPHES), label="apostrophe"))
    name = case(name)
    converted = dt.date(*islamic.to_gregorian(year, month, day))
    published = converted + dt.timedelta(days=lag)
    rendered = HIJRI_FORMATS[fmt].format(d=day, o=_ordinal(day), m=name, y=year)
    text = f"On {rendered} the brothers carried out an operation."
    (mention,) = find_dates(text, published=published)
    v = mention.value
    assert v.text == rendered
    assert (v.start, v.end) == (converted - dt.timedelta(days=1), converted + dt.timedelta(days=1))
    assert (v.precision, v.calendar, v.year_inferred) == (DatePrecision.DAY, Calendar.HIJRI, "yyyy" not in fmt)
    again = parse_date(v.text, published=published)
    assert again is not None
    assert (again.start, again.end, again.precision, again.calendar) == (v.start, v.end, v.precision, v.calendar)


RELATIVE = ["yesterday", "the day before yesterday", "two days ago", "3 days earlier", "last week", "Tuesday",
            "last Friday", "the following day", "meanwhile", "a week later", "sometime later", "earlier this month",
            "last month", "the same day", "last night"]


@settings(max_examples=200, deadline=None)
@given(phrase=st.sampled_from(RELATIVE), published=st.dates(min_value=dt.date(1980, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_relative_date_round_trip_against_the_publication_date(phrase: str, published: dt.date) -> None:
    text = f"Officials said a convoy was attacked {phrase}, and the road was closed."
    (mention,) = find_dates(text, published=published)
    assert mention.anchor is None
    v = mention.value
    again = parse_date(v.text, published=published)
    assert again is not None
    assert (again.start, again.end, again.precision, again.calendar) == (v.start, v.end, v.precision, v.calendar)


# --------------------------------------------------------------------------- counts


def render_quantity(low: int | None, high: int | None, qualifier: Qualifier) -> str | None:
    """A parsed quantity written back in digits with its qualifier word (None: no such phrase)."""
    if qualifier is Qualifier.EXACT and low is not None and high is not None:
        return f"{low}" if low == high else f"{low} to {high}"
    if qualifier is Qualifier.MORE_THAN and low is not None and high is None:
        return f"more than {low}"
    if qualifier is Qualifier.AT_LEAST and low is not None and high is None:
        return f"at least {low}"
    if qualifier is Qualifier.APPROXIMATELY:
        if low is None and high is not None:
            return f"up to {high}"
        if low is not None and high is not None:
            return f"about {low}" if low == high else f"about {low} to {high}"
    return None  # "scores" (40, None, approximately), "a number of" (2, None, unspecified), "many"


NUMBER_WORDS = ["one", "two", "seven", "twelve", "twenty-one", "forty", "a hundred and twelve", "three hundred",
                "a dozen", "two dozen", "half a dozen"]
VAGUE = ["dozens", "several dozen", "scores", "tens", "hundreds", "several hundred", "thousands", "several",
         "a few", "a handful of", "a couple of", "a number of", "many", "numerous", "no one"]
QUALIFIER_WORDS = ["", "more than", "over", "upwards of", "at least", "no fewer than", "approximately", "about",
                   "around", "some", "nearly", "an estimated", "up to", "as many as", "fewer than", "a total of"]


def _number(n: int, commas: bool) -> str:
    return f"{n:,}" if commas else str(n)


quantity_phrases = st.one_of(
    st.builds(lambda q, n, c: f"{q} {_number(n, c)}".strip(), st.sampled_from(QUALIFIER_WORDS),
              st.integers(0, 100_000), st.booleans()),
    st.builds(lambda q, a, w, c, sep: f"{q} {_number(a, c)}{sep}{_number(a + w, c)}".strip(),
              st.sampled_from(["", "about", "at least", "more than", "up to"]), st.integers(0, 5000),
              st.integers(1, 500), st.booleans(), st.sampled_from([" to ", "-", " or "])),
    st.builds(lambda a, w: f"between {a} and {a + w}", st.integers(0, 5000), st.integers(1, 500)),
    st.builds(lambda q, w: f"{q} {w}".strip(), st.sampled_from(QUALIFIER_WORDS), st.sampled_from(NUMBER_WORDS)),
    st.sampled_from(VAGUE),
)


@settings(max_examples=500, deadline=None)
@example(phrase="fewer than 10")
@example(phrase="dozens")
@given(phrase=quantity_phrases)
def test_quantity_round_trip(phrase: str) -> None:
    parsed = parse_quantity(phrase)
    assert parsed is not None, phrase
    written = render_quantity(*parsed)
    if written is None:
        assert parsed[1] is None or parsed[0] is None and parsed[2] is Qualifier.UNSPECIFIED, (phrase, parsed)
        return
    assert parse_quantity(written) == parsed, (phrase, written)
    assert render_quantity(*parse_quantity(written)) == written


TEMPLATES = [
    "Gunmen opened fire on a patrol, killing {q} soldiers.",
    "{Q} people were wounded in the blast.",
    "The attack killed and injured {q} guards.",
    "The raid left {q} dead and {q2} wounded.",
    "The death toll from the attack rose to {q}.",
    "{Q} of the attackers were killed, police said.",
    "The bombing killed {q} people and wounded {q2} others.",
    "The fighters destroyed {q} tanks and seized {q2} Humvees.",
    "{Q} civilians, including {q2} children, were killed.",
]


@settings(max_examples=300, deadline=None)
@given(
    template=st.sampled_from(TEMPLATES),
    q=quantity_phrases,
    q2=quantity_phrases,
    prefix=st.text(alphabet="abcdefgh ijk,.;:0123456789\n", max_size=30),
    suffix=st.text(alphabet="abcdefgh ijk,.;:0123456789\n", max_size=30),
)
# found by this test: a "." glued to the next word made an empty token in the joined-names reader
@example(template="{Q} people were wounded in the blast.", q="between 0 and 1", q2="dozens", prefix=".", suffix="")
def test_find_counts_is_deterministic_and_spans_are_inside(template: str, q: str, q2: str, prefix: str,
                                                           suffix: str) -> None:
    sentence = template.format(q=q, q2=q2, Q=q[:1].upper() + q[1:])
    text = prefix + sentence + suffix
    first, second = find_counts(text), find_counts(text)
    assert first == second
    for m in first:
        assert len(m.count.spans) == 2
        for s, e in m.count.spans:
            assert 0 <= s < e <= len(text)
        if m.count.low is not None and m.count.high is not None:
            assert m.count.low <= m.count.high
    items = find_materiel(text)
    assert items == find_materiel(text)
    for r in items:
        for s, e in r.spans + r.count.spans:
            assert 0 <= s < e <= len(text)
        assert text[slice(*r.spans[0])] == r.text


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_find_counts_on_any_text(text: str) -> None:
    first = find_counts(text)
    assert first == find_counts(text)
    for m in first:
        for s, e in m.count.spans:
            assert 0 <= s < e <= len(text)


@settings(max_examples=200, deadline=None)
@given(
    q=quantity_phrases,
    trigger=st.sampled_from(["were killed", "were wounded", "were killed or injured", "died", "were hurt"]),
)
def test_a_figure_reads_as_its_quantity(q: str, trigger: str) -> None:
    parsed = parse_quantity(q)
    assume(parsed is not None and q not in ("no one", "many", "numerous"))
    text = f"Officials said {q} people {trigger} in the attack."
    found = find_counts(text)
    assert len(found) == 1, (text, found)
    m = found[0]
    assert (m.count.low, m.count.high, m.count.qualifier) == parsed
    assert text[slice(*m.count.spans[0])] == q


ABSOLUTE = [
    "7 February", "February 7", "Feb. 7, 1989", "7 Feb 89", "3 JAN 90", "07/02/89", "2017-01-01", "January 1990",
    "between 9 and 11 December", "9-11 December 2016", "from 3 to 5 March", "early January", "mid-January",
    "late 2016", "the 7th of Rabi' al-Awwal 1438", "7 Rabi al-Awwal 1438 AH", "the 19th of Rabi’ al-Awwal",
    "Ramadan 1437", "07/03/1438", "Dhul-Hijja 1437", "1438 AH", "30 November to 2 December 2016",
    "Tuesday, 7 February 1989", "the 2nd of Rabi ath-Thani", "15 Dhu al-Qadah 1437", "Jumada II 1438",
]
FILLERS = [" officials said. On ", " and on ", "; a patrol was hit on ", ". In ", ", then ", ".\n\nOn "]


@settings(max_examples=300, deadline=None)
@given(
    phrases=st.lists(st.sampled_from(ABSOLUTE), min_size=1, max_size=4),
    fillers=st.lists(st.sampled_from(FILLERS), min_size=4, max_size=4),
    published=st.sampled_from([dt.date(1990, 1, 3), dt.date(2016, 12, 21), dt.date(2017, 4, 1), dt.date(1989, 2, 10)]),
    hijri_calendar=st.sampled_from(["tabular", "umm_al_qura"]),
)
def test_every_absolute_mention_parses_alone_to_the_same_value(phrases, fillers, published, hijri_calendar) -> None:
    text = "Reports came in." + "".join(f + p for f, p in zip(fillers, phrases)) + ", residents said."
    found = find_dates(text, published=published, hijri_calendar=hijri_calendar)
    assert find_dates(text, published=published, hijri_calendar=hijri_calendar) == found
    for mention in found:
        assert 0 <= mention.span[0] < mention.span[1] <= len(text)
        if mention.kind not in ("absolute", "vague"):
            continue
        v = mention.value
        again = parse_date(v.text, published=published, hijri_calendar=hijri_calendar)
        assert again is not None, v.text
        assert (again.start, again.end, again.precision, again.calendar, again.year_inferred) == (
            v.start, v.end, v.precision, v.calendar, v.year_inferred), v.text
