"""Which figures the rules extractor gives an act (extract.RuleExtractor._counts): zeros said
of one kind carry over to the others."""

from __future__ import annotations

import datetime as dt

import pytest

from eventcoder.extract import RuleExtractor
from eventcoder.records import Document

PUBLISHED = dt.date(2021, 3, 10)


@pytest.fixture(scope="module")
def extractor():
    return RuleExtractor()


def figures(extractor, text: str) -> tuple:
    (inc,) = extractor.extract(Document(text=text, doc_id="t", published=PUBLISHED))

    def pair(c):
        return None if c is None else (c.low, c.high)

    return pair(inc.fatalities), pair(inc.injuries), pair(inc.killed_or_injured)


def test_no_casualties_means_nobody_killed_and_nobody_injured(extractor):
    text = "A bomb exploded outside the town hall on Monday. There were no casualties."
    assert figures(extractor, text) == ((0, 0), (0, 0), (0, 0))


def test_a_figure_of_one_kind_wins_over_a_zero_of_the_combined_kind(extractor):
    text = "Rebels attacked the village on Monday, wounding three farmers. No other casualties were reported."
    assert figures(extractor, text)[:2] == ((0, 0), (3, 3))


def test_nobody_hurt_without_a_death_means_nobody_killed(extractor):
    text = "A bomb damaged the bank on Monday. No one was hurt."
    assert figures(extractor, text) == ((0, 0), (0, 0), None)


def test_nobody_hurt_does_not_undo_the_dead(extractor):
    text = "A bomb killed two guards outside the bank on Monday. No one else was hurt."
    assert figures(extractor, text)[:2] == ((2, 2), (0, 0))


@pytest.mark.parametrize(
    "text",
    [
        "A bomb damaged the bank on Monday. The guard escaped unharmed.",
        "A bomb exploded at the bank on Monday but did not cause any casualties.",
        "A bomb exploded at the bank on Monday, causing only material damage.",
    ],
)
def test_nobody_hurt_said_without_a_figure_means_nobody_killed_or_injured(extractor, text):
    assert figures(extractor, text)[:2] == ((0, 0), (0, 0))


def test_only_some_wounded_and_no_dead_named_means_nobody_killed(extractor):
    text = "A bomb exploded at the police station on Monday. Only one policeman was slightly injured."
    assert figures(extractor, text)[:2] == ((0, 0), (1, 1))


def test_only_some_wounded_says_nothing_of_the_dead_when_a_death_is_named(extractor):
    # the dead are the attackers', so the act has no figure of the dead; it is not a zero either
    text = "Rebels attacked the army post on Monday. Only one soldier was wounded, and two attackers died."
    assert figures(extractor, text)[1] == (1, 1)
    assert figures(extractor, text)[0] != (0, 0)


def test_another_wounded_after_the_dead_is_not_added_to_the_wounded_told_before(extractor):
    # "another" is one besides the two killed, not besides the three wounded of the lead
    text = ("Two bombs left two dead and three injured in the port on Monday. One bomb exploded at "
            "the hotel, killing two guests and injuring another.")
    assert figures(extractor, text)[:2] == ((2, 2), (3, 3))


def test_wounded_without_only_say_nothing_of_the_dead(extractor):
    text = "A bomb exploded at the police station on Monday. One policeman was slightly injured."
    assert figures(extractor, text)[:2] == (None, (1, 1))


@pytest.mark.parametrize(
    "text, killed",
    [
        ("Gunmen murdered two farmers near the market on Monday.", 2),
        ("Three teachers were shot to death in the square on Monday.", 3),
        ("The council condemned the assassination of four judges on Monday.", 4),
        ("The corpses of five herders were found on Monday after the raid.", 5),
        # "slaying" names the act and "the six priests'" owns it (event types 1.5.0, counts 1.18.0)
        ("The bishop named the officers involved in the six priests' slaying on Monday.", 6),
    ],
)
def test_murder_words_give_the_dead(extractor, text, killed):
    assert figures(extractor, text)[0] == (killed, killed)


def test_a_battles_dead_are_every_sides_an_attacks_only_its_targets(extractor):
    # a clash: the attackers' dead count (ACLED counts a battle's fatalities on every side)
    clash = ("On 3 May, insurgents attacked a military base in Magumeri. Troops repelled the attack "
             "after two hours of fighting, and the army said 11 insurgents were killed.")
    (inc,) = RuleExtractor().extract(Document(text=clash, doc_id="t", published=PUBLISHED))
    assert inc.event_type == "battles" and (inc.fatalities.low, inc.fatalities.high) == (11, 11)
    # an attack on civilians: the bomber's own death is no victim's
    bombing = "On 3 May a suicide bomber blew himself up in a market in Maiduguri, killing 4 shoppers."
    assert figures(extractor, bombing)[0] == (4, 4)


def test_a_group_named_again_takes_its_figure_and_points_at_it(extractor):
    # the act's own sentence names the group without a figure; the figure given elsewhere is
    # the act's, and the record's evidence points at the words that gave it
    text = ("Six Jesuit priests had received threats for months, their order said on Tuesday.\n\n"
            "On Monday the Jesuit priests were murdered at the university by men in uniform.")
    incidents = [i for i in extractor.extract(Document(text=text, doc_id="t", published=PUBLISHED))
                 if i.fatalities is not None]
    assert [(i.fatalities.low, i.fatalities.high) for i in incidents] == [(6, 6)]
    assert "Six" in [text[a:b] for a, b in incidents[0].fatalities.spans]


def test_a_group_given_two_figures_takes_neither(extractor):
    text = ("Two soldiers guarded the gate and five soldiers the road.\n\n"
            "On Monday the soldiers were killed when rebels attacked the post.")
    assert [i.fatalities for i in extractor.extract(Document(text=text, doc_id="t", published=PUBLISHED))] == [None]


def test_the_dead_of_an_act_given_as_the_motive_are_not_the_acts(extractor):
    # counts lexicon 1.21.0, motive_openers: the checkpoint attack killed two, not five
    text = ("Militants attacked a checkpoint on Monday in retaliation for the killing of five fighters, "
            "leaving two soldiers dead.")
    assert figures(extractor, text)[0] == (2, 2)
    text = "Rebels bombed a power pylon on Monday to protest the murder of candidate Bernardo Jaramillo."
    assert figures(extractor, text)[0] is None


def test_a_sentence_that_tells_only_the_motive_keeps_its_dead(extractor):
    # no other act in the sentence: the murder is the act told, and its victim is counted
    text = "Thousands marched in Bogota on Monday to protest the killing of three students by police."
    assert figures(extractor, text)[0] == (3, 3)
