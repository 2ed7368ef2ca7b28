"""Tests for eventcoder.normalize.counts: casualty figures, materiel, quantities, merging."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventcoder.normalize import counts
from eventcoder.normalize.corpus import (
    count_case_problems,
    evaluate_count_cases,
    load_count_cases,
    main,
    materiel_case_problems,
)
from eventcoder.normalize.counts import (
    CountMention,
    find_counts,
    find_materiel,
    lexicon_versions,
    person_titles,
    merge_counts,
    parse_quantity,
)
from eventcoder.records import Count, Qualifier

HERE = Path(__file__).parent
CASES, MATERIEL_CASES = load_count_cases(HERE / "count_cases.yaml")


def _params(cases: list[dict]) -> list:
    """One pytest param per case, id from its text; a case with ``xfail: reason`` must fail (strict)."""
    return [
        pytest.param(c, id=c["text"][:50], marks=[pytest.mark.xfail(strict=True, reason=c["xfail"])] if c.get("xfail") else [])
        for c in cases
    ]


# ------------------------------------------------------------------------------------------
# YAML cases


_IRREGULAR = {"man": "men", "woman": "women", "child": "children", "grandchild": "grandchildren", "person": "people", "wife": "wives",
              "passerby": "passersby", "passer-by": "passers-by", "mujahid": "mujahidin",
              "istishhadi": "istishhadiyin", "inghimasi": "inghimasiyin"}


def _plural(noun: str) -> str:
    *head, last = noun.split()
    if last in _IRREGULAR:
        last = _IRREGULAR[last]
    elif last.endswith("man"):
        last = last[:-3] + "men"
    elif last.endswith("y") and last[-2:-1] not in tuple("aeiou"):
        last = last[:-1] + "ies"
    else:
        last += "s"
    return " ".join([*head, last])


def test_every_singular_person_noun_has_its_plural() -> None:
    """"the X" counts one person only when X is singular, so a plural missing from the lexicon
    reads as one ("the murder of the Jesuit priests")."""
    nouns = counts._read_yaml("counts")["person_nouns"]
    missing = [w for w in nouns["singular"] if _plural(w) not in set(nouns["plural"])]
    assert not missing


def test_enough_cases() -> None:
    assert len(CASES) >= 50


@pytest.mark.parametrize("case", _params(CASES))
def test_count_case(case: dict) -> None:
    # Compares the number of figures, then for each: kind, low/high, qualifier, side (default
    # targets), negated and aggregate (default false), and when given the subject and the texts of the number
    # and trigger spans.
    problems = count_case_problems(case)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("case", _params(MATERIEL_CASES))
def test_materiel_case(case: dict) -> None:
    # Compares the number of items, then for each: kind, low/high, qualifier, effect, the text
    # when given, and that the first span covers the item text.
    problems = materiel_case_problems(case)
    assert problems == [], "\n".join(problems)


def test_case_comparison_checks_every_field() -> None:
    case = next(c for c in CASES if c["text"].startswith("Gunmen opened fire on a patrol"))
    assert count_case_problems(case) == []
    changes = {"kind": "injured", "low": 8, "high": None, "qualifier": "approximately", "side": "attackers",
               "negated": True, "aggregate": True, "subject": "people", "number": "7 soldiers", "trigger": "fire"}
    for key, value in changes.items():
        wrong = copy.deepcopy(case)
        wrong["expect"][0][key] = value
        assert count_case_problems(wrong), key
    wrong = copy.deepcopy(case)
    wrong["expect"].append(dict(case["expect"][0]))
    assert count_case_problems(wrong)

    case = MATERIEL_CASES[0]
    assert materiel_case_problems(case) == []
    for key, value in {"kind": "tank", "low": 4, "qualifier": "approximately", "effect": "captured", "text": "5"}.items():
        wrong = copy.deepcopy(case)
        wrong["expect"][0][key] = value
        assert materiel_case_problems(wrong), key


def test_corpus_figures_meet_the_targets() -> None:
    figures = evaluate_count_cases(HERE / "count_cases.yaml")
    everything = CASES + MATERIEL_CASES
    assert figures["cases"] == len(everything)
    assert figures["correct"] == len(everything) - sum(1 for c in everything if c.get("xfail"))
    assert [f["id"] for f in figures["failures"]] == [c["text"] for c in everything if c.get("xfail")]
    assert figures["exact_count_cases"] == len(CASES)
    assert figures["exact_count_accuracy"] >= 0.95
    assert figures["materiel_cases"] == len(MATERIEL_CASES)
    assert figures["materiel_accuracy"] >= 0.95


def test_corpus_command_prints_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--counts", str(HERE / "count_cases.yaml"), "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["counts"]["exact_count_cases"] == len(CASES)
    assert main(["--counts", str(HERE / "count_cases.yaml")]) == 0
    assert "exact count" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------
# Quantities


@pytest.mark.parametrize(
    "phrase, expected",
    [
        ("7", (7, 7, Qualifier.EXACT)),
        ("1,200", (1200, 1200, Qualifier.EXACT)),
        ("two", (2, 2, Qualifier.EXACT)),
        ("twenty-one", (21, 21, Qualifier.EXACT)),
        ("a hundred and twelve", (112, 112, Qualifier.EXACT)),
        ("1.5 thousand", (1500, 1500, Qualifier.EXACT)),
        ("a dozen", (12, 12, Qualifier.APPROXIMATELY)),
        ("two dozen", (24, 24, Qualifier.APPROXIMATELY)),
        ("half a dozen", (6, 6, Qualifier.APPROXIMATELY)),
        ("more than a dozen", (12, None, Qualifier.MORE_THAN)),
        ("more than 14", (14, None, Qualifier.MORE_THAN)),
        ("over 20", (20, None, Qualifier.MORE_THAN)),
        ("upwards of 60", (60, None, Qualifier.MORE_THAN)),
        ("at least 5", (5, None, Qualifier.AT_LEAST)),
        ("no fewer than 9", (9, None, Qualifier.AT_LEAST)),
        ("approximately 35", (35, 35, Qualifier.APPROXIMATELY)),
        ("about 35", (35, 35, Qualifier.APPROXIMATELY)),
        ("an estimated 200", (200, 200, Qualifier.APPROXIMATELY)),
        ("nearly fifty", (50, 50, Qualifier.APPROXIMATELY)),
        ("up to 20", (None, 20, Qualifier.APPROXIMATELY)),
        ("fewer than 10", (None, 9, Qualifier.APPROXIMATELY)),
        ("a total of 8", (8, 8, Qualifier.EXACT)),
        ("10 to 15", (10, 15, Qualifier.EXACT)),
        ("10-15", (10, 15, Qualifier.EXACT)),
        ("between 10 and 15", (10, 15, Qualifier.EXACT)),
        ("two or three", (2, 3, Qualifier.EXACT)),
        ("about 10 to 15", (10, 15, Qualifier.APPROXIMATELY)),
        ("dozens", (24, 99, Qualifier.APPROXIMATELY)),
        ("dozens of", (24, 99, Qualifier.APPROXIMATELY)),
        ("scores", (40, None, Qualifier.APPROXIMATELY)),
        ("several", (3, 9, Qualifier.APPROXIMATELY)),
        ("a number of", (2, None, Qualifier.UNSPECIFIED)),
        ("hundreds", (200, 999, Qualifier.APPROXIMATELY)),
        ("many", (None, None, Qualifier.UNSPECIFIED)),
        ("no one", (0, 0, Qualifier.EXACT)),
        ("a", (1, 1, Qualifier.EXACT)),
    ],
)
def test_parse_quantity(phrase: str, expected: tuple) -> None:
    assert parse_quantity(phrase) == expected


@pytest.mark.parametrize("phrase", ["", "soldiers", "one of", "the", "more than", "and"])
def test_parse_quantity_rejects(phrase: str) -> None:
    assert parse_quantity(phrase) is None


# ------------------------------------------------------------------------------------------
# Combined figures are never split into killed


@pytest.mark.parametrize(
    "text",
    [
        "The attack killed and injured 150 people.",
        "Gunmen killed or wounded 80 soldiers.",
        "The blast caused 150 casualties.",
        "The raid left 40 dead or wounded.",
        "Some 60 people were killed or injured.",
        "killing and wounding more than 30 guards",
        "wounding and killing dozens of people",
        "The clashes left 25 civilian casualties.",
    ],
)
def test_combined_figures_are_never_split(text: str) -> None:
    got = find_counts(text)
    combined = [m for m in got if m.kind == "killed_or_injured"]
    assert len(combined) == 1
    assert all(m.kind not in ("killed", "injured") for m in got), got
    assert merge_counts(got, "killed") is None
    assert merge_counts(got, "injured") is None


# ------------------------------------------------------------------------------------------
# merge_counts never sums separate figures; it adds up the parts of one coordinated figure


def test_repeated_figure_is_not_summed() -> None:
    text = "Gunmen killed 12 people in the market. The 12 dead were buried the next day."
    got = find_counts(text)
    assert [m.count.low for m in got if m.kind == "killed"] == [12, 12]
    merged = merge_counts(got, "killed")
    assert merged is not None
    assert (merged.low, merged.high, merged.qualifier) == (12, 12, Qualifier.EXACT)
    assert set(merged.spans) == {s for m in got for s in m.count.spans}


def test_latest_toll_wins() -> None:
    text = (
        "The bombing killed at least 30 people. Later the death toll rose to 41. "
        "By evening the death toll had climbed to 45. Officials said 50 may have died."
    )
    got = find_counts(text)
    merged = merge_counts(got, "killed")
    assert merged is not None and merged.low == 45


def test_largest_low_wins_without_toll() -> None:
    text = "The attack killed 5 people. Hospital staff said more than 5 had died, and at least 4 bodies were found."
    merged = merge_counts(find_counts(text), "killed")
    assert merged is not None
    assert (merged.low, merged.qualifier) == (5, Qualifier.MORE_THAN)


def test_merge_filters_kind_and_side() -> None:
    text = "Three of the attackers were killed. The blast killed 9 soldiers and wounded 4 others."
    got = find_counts(text)
    assert merge_counts(got, "killed").low == 9
    assert merge_counts(got, "killed", side="attackers").low == 3
    assert merge_counts(got, "injured").low == 4
    assert merge_counts(got, "missing") is None
    assert merge_counts([], "killed") is None


@pytest.mark.parametrize(("text", "low", "high", "qualifier"), [
    ("The ambush killed 3 soldiers, 2 policemen and a civilian.", 6, 6, Qualifier.EXACT),
    ("4 soldiers and 3 civilians were killed.", 7, 7, Qualifier.EXACT),
    ("Gunmen killed six priests, a cook and her daughter at the residence.", 8, 8, Qualifier.EXACT),
    ("The blast killed more than 20 soldiers and 3 civilians.", 23, None, Qualifier.MORE_THAN),
    ("The blast killed at least 5 soldiers and 2 civilians.", 7, None, Qualifier.AT_LEAST),
])
def test_the_parts_of_one_coordinated_figure_are_added(text: str, low: int, high: int | None,
                                                       qualifier: Qualifier) -> None:
    got = [m for m in find_counts(text) if m.kind == "killed"]
    assert len(got) >= 2 and len({m.count.spans[1] for m in got}) == 1  # parts sharing one trigger
    merged = merge_counts(got, "killed")
    assert merged is not None
    assert (merged.low, merged.high, merged.qualifier) == (low, high, qualifier)
    assert set(merged.spans) == {s for m in got for s in m.count.spans}


def test_parts_are_added_but_repeats_are_not() -> None:
    text = "The ambush killed 3 soldiers and 2 policemen. The 5 dead were buried on Sunday."
    merged = merge_counts(find_counts(text), "killed")
    assert merged is not None and (merged.low, merged.high) == (5, 5)


def test_an_approximate_part_keeps_the_parts_apart() -> None:
    text = "The blast killed about 30 soldiers and 4 civilians."
    got = [m for m in find_counts(text) if m.kind == "killed"]
    assert [m.count.low for m in got] == [30, 4]
    merged = merge_counts(got, "killed")
    assert merged is not None and (merged.low, merged.qualifier) == (30, Qualifier.APPROXIMATELY)


@pytest.mark.parametrize(("text", "low"), [
    ("The minister was assassinated in an attack in which two members of his escort were also killed.", 3),
    ("The judge was murdered in an attack in which his bodyguard and driver were also killed.", 3),
    ("Seven soldiers died in the ambush. Three civilians were also killed.", 10),
    ("The mayor was killed. His driver was also killed.", 2),
    ("The union leader died in hospital after the bomb, which left 7 other people dead.", 8),
    ("The mayor was killed on Monday. Another soldier died in hospital.", 2),
    # a figure said to be besides others adds to them only when it comes after them
    ("Three civilians were also killed. Seven soldiers died in the ambush.", 7),
])
def test_people_also_killed_are_added_to_those_counted_before(text: str, low: int) -> None:
    got = find_counts(text)
    assert any(m.besides for m in got)
    merged = merge_counts(got, "killed")
    assert merged is not None and (merged.low, merged.qualifier) == (low, Qualifier.EXACT)
    assert set(merged.spans) == {s for m in got for s in m.count.spans}


def test_the_other_one_of_those_counted_is_no_more() -> None:
    got = find_counts("Two people were killed in the blast. The other person killed was a driver.")
    assert not any(m.besides for m in got)
    merged = merge_counts(got, "killed")
    assert merged is not None and merged.low == 2


_qual = st.sampled_from(list(Qualifier))
_count = st.builds(
    lambda lo, width, q, s: Count(lo, None if lo is None or width is None else lo + width, q, ((s, s + 2), (s + 3, s + 9))),
    st.one_of(st.none(), st.integers(0, 500)),
    st.one_of(st.none(), st.integers(0, 50)),
    _qual,
    st.integers(0, 10_000),
)
_mention = st.builds(
    CountMention,
    kind=st.sampled_from(["killed", "injured"]),
    count=_count,
    side=st.sampled_from(["targets", "attackers"]),
    subject=st.just(""),
    negated=st.booleans(),
    toll=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_mention, max_size=8, unique_by=lambda m: m.count.spans[1]))  # separate figures: own triggers
def test_merge_counts_never_sums(mentions: list[CountMention]) -> None:
    merged = merge_counts(mentions, "killed")
    pool = [m for m in mentions if m.kind == "killed" and m.side == "targets"]
    if not pool:
        assert merged is None
        return
    assert merged is not None
    # the merged figure is one of the figures given, never a total
    assert (merged.low, merged.high, merged.qualifier) in {(m.count.low, m.count.high, m.count.qualifier) for m in pool}
    lows = [m.count.low for m in pool if m.count.low is not None]
    if lows and merged.low is not None:
        assert merged.low <= max(lows)
    if not any(m.toll for m in pool) and lows:
        assert merged.low == max(lows)
    assert set(merged.spans) == {s for m in pool for s in m.count.spans}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 500), min_size=2, max_size=5), st.lists(st.integers(0, 500), max_size=3))
def test_coordinated_exact_parts_sum_and_beat_smaller_figures(parts: list[int], others: list[int]) -> None:
    trigger = (1000, 1006)
    mentions = [CountMention("killed", Count(n, n, Qualifier.EXACT, ((i * 10, i * 10 + 2), trigger)), "targets", "", False)
                for i, n in enumerate(parts)]
    mentions += [CountMention("killed", Count(n, n, Qualifier.EXACT, ((2000 + i * 20, 2002 + i * 20), (2005 + i * 20, 2010 + i * 20))),
                              "targets", "", False) for i, n in enumerate(others)]
    merged = merge_counts(mentions, "killed")
    assert merged is not None
    assert merged.low == max([sum(parts), *others])
    assert merged.qualifier == Qualifier.EXACT


# ------------------------------------------------------------------------------------------
# Spans: offsets into the full text, for any prefix and window

TEMPLATES = [
    ("Gunmen killed {n} soldiers near the bridge.", ["7", "at least 12", "two", "dozens", "a hundred and twelve"]),
    ("{n} people were wounded in the blast.", ["9", "More than 40", "Several", "Between 3 and 5", "Twenty-one"]),
    ("The death toll rose to {n} on Sunday.", ["15", "about 30", "1,200"]),
    ("The attack killed and injured {n} guards.", ["150", "more than 30", "scores"]),
]
_template = st.sampled_from([(t, n) for t, ns in TEMPLATES for n in ns])
_prefix = st.text(alphabet="abcdefgh ijk,.;:0123456789\n", max_size=40).map(lambda s: s + ". ")
_suffix = st.text(alphabet="abcdefgh ijk,.;:0123456789\n", max_size=40).map(lambda s: " " + s)


@settings(max_examples=200, deadline=None)
@given(_template, _prefix, _suffix)
def test_spans_point_into_full_text(template: tuple[str, str], prefix: str, suffix: str) -> None:
    pattern, number = template
    sentence = pattern.format(n=number)
    text = prefix + sentence + suffix
    start, end = len(prefix), len(prefix) + len(sentence)
    got = find_counts(text, start, end)
    assert len(got) == 1
    (qs, qe), (ts, te) = got[0].count.spans
    assert text[qs:qe] == number
    assert qs == start + sentence.index(number)
    assert start <= ts < te <= end
    # the same figures as on the sentence alone, shifted by the prefix
    alone = find_counts(sentence)
    shifted = [tuple((a + start, b + start) for a, b in m.count.spans) for m in alone]
    assert [m.count.spans for m in got] == shifted


PIECES = ["killed ", "wounded ", "dozens ", "no one ", "were ", "the ", "and ", "12 ", "tanks ", "destroyed ", "a "]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(list("abc 7,.-") + PIECES), max_size=60).map("".join),
    st.integers(0, 250),
    st.integers(0, 250),
)
def test_spans_stay_inside_the_window(text: str, a: int, b: int) -> None:
    start, end = min(a, b), max(a, b)
    lo, hi = min(start, len(text)), min(end, len(text))
    for m in find_counts(text, start, end):
        for s, e in m.count.spans:
            assert lo <= s < e <= hi
    for r in find_materiel(text, start, end):
        for s, e in r.spans + r.count.spans:
            assert lo <= s < e <= hi


def test_window_limits_the_search() -> None:
    text = "Gunmen killed 7 soldiers. A bomb wounded 12 people."
    second = text.index("A bomb")
    got = find_counts(text, second)
    assert [(m.kind, m.count.low) for m in got] == [("injured", 12)]
    assert text[slice(*got[0].count.spans[0])] == "12"
    assert [(m.kind, m.count.low) for m in find_counts(text, 0, second)] == [("killed", 7)]


def test_materiel_spans() -> None:
    text = "Earlier reports were vague. The fighters destroyed 5 BMPs and a Humvee."
    got = find_materiel(text, text.index("The fighters"))
    assert [(m.kind, m.count.low) for m in got] == [("bmp", 5), ("humvee", 1)]
    for m in got:
        s, e = m.spans[0]
        assert text[s:e] == m.text
        assert text[slice(*m.spans[1])] == "destroyed"
        assert text[slice(*m.count.spans[1])] == "destroyed"
    assert text[slice(*got[0].count.spans[0])] == "5"


# ------------------------------------------------------------------------------------------
# Data files and import


def test_lexicons_are_versioned() -> None:
    versions = lexicon_versions()
    assert set(versions) == {"counts", "materiel"}
    assert all(v.count(".") == 2 for v in versions.values())


def test_titles_are_the_singular_person_nouns_and_the_honorifics() -> None:
    titles = person_titles()
    assert {"governor", "father", "colonel", "dr", "monsignor"} <= titles
    assert "soldiers" not in titles and "killed" not in titles


def test_import_does_no_work() -> None:
    code = (
        "import eventcoder.normalize.counts as c, sys;"
        "assert c._count_lexicon.cache_info().currsize == 0;"
        "assert c._materiel_lexicon.cache_info().currsize == 0;"
        "assert 'number_parser' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_bad_lexicon_fails_with_a_code() -> None:
    from eventcoder.errors import CodebookError

    with pytest.raises(CodebookError) as info:
        counts._words({"negation": ["no one", False]}, "negation", "test.yaml")
    assert info.value.code == "E010"


@pytest.mark.parametrize("text", [
    # the appositive ends a list of people joined before it: not a figure of one
    "Their cook, Elba Ramos, and her daughter, Celina Ramos, were assassinated.",
    # a figure in the appositive is a list, not a description: neither 2 nor 3 alone
    "Two soldiers, three policemen, were killed.",
])
def test_an_appositive_gives_no_figure_of_a_part(text: str) -> None:
    assert find_counts(text) == []


@pytest.mark.parametrize("text, wounds", [
    # a figure before "wounds" that names no people counts the wounds of one person
    ("The mayor received three bullet wounds and was taken to hospital.", 3),
    ("According to the coroner, the body had 18 bullet wounds.", 18),
])
def test_wounds_count_people_only(text: str, wounds: int) -> None:
    assert all(wounds not in (m.count.low, m.count.high) for m in find_counts(text))


def test_lives_are_counted_after_claimed_or_cost_only() -> None:
    assert [(m.kind, m.count.low) for m in find_counts("The attack claimed 14 lives.")] == [("killed", 14)]
    assert find_counts("Surgeons at the hospital saved 14 lives.") == []


def test_injury_verbs_end_the_figures_noun() -> None:
    [m] = find_counts("Two women received minor injuries in the blast.")
    assert (m.kind, m.count.low, m.subject) == ("injured", 2, "women")
