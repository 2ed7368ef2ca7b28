"""Which date the rules extractor gives an act when a report names several (extract.RuleExtractor)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from eventcoder.extract import RuleExtractor
from eventcoder.records import Document

PUBLISHED = dt.date(2021, 3, 10)  # a Wednesday


@pytest.fixture(scope="module")
def extractor():
    return RuleExtractor()


def act_dates(extractor, text: str) -> list[tuple[dt.date | None, str | None]]:
    doc = Document(text=text, doc_id="t", published=PUBLISHED)
    out = []
    for inc in extractor.extract(doc):
        span = inc.date.spans[0] if inc.date is not None and inc.date.spans else None
        out.append((inc.date.start if inc.date else None, text[span[0] : span[1]] if span else None))
    return out


@pytest.mark.parametrize(
    "text, day, words",
    [
        # the verb of saying comes first
        ("Police said today that gunmen shot dead a farmer on 6 March.", dt.date(2021, 3, 6), "6 March"),
        # the date sits before the verb of saying it belongs to
        ("Teachers today began a strike to protest the assassination of a colleague the evening of 7 March.",
         dt.date(2021, 3, 7), "7 March"),
        # a fronted date whose sentence goes on with a reporting subject
        ("In the capital today, local sources reported that a trader was kidnapped on 8 March.",
         dt.date(2021, 3, 8), "8 March"),
    ],
)
def test_a_date_attached_to_a_verb_of_saying_is_not_the_act_date(extractor, text, day, words):
    assert act_dates(extractor, text)[0] == (day, words)


def test_a_date_after_the_act_stays_with_the_act_even_before_a_reporting_clause(extractor):
    text = "Gunmen shot dead a farmer yesterday, police said."
    assert act_dates(extractor, text) == [(dt.date(2021, 3, 9), "yesterday")]


def test_the_date_nearest_a_trigger_of_the_sentence_type_wins(extractor):
    text = "The protests today follow riots in which rebels burned ten buses on 6 March."
    dates = act_dates(extractor, text)
    assert (dt.date(2021, 3, 6), "6 March") in dates
    assert len(dates) == 1


def test_a_report_date_gives_way_to_the_acts_own_date_in_a_later_sentence(extractor):
    text = (
        "The mayor insisted today on talks with the gunmen. "
        "He spoke after the attack in which four people were killed, which rebels carried out yesterday."
    )
    assert act_dates(extractor, text) == [(dt.date(2021, 3, 9), "yesterday")]


def test_a_report_date_is_kept_when_no_other_date_is_given(extractor):
    text = "Police said today that gunmen shot dead a farmer."
    assert act_dates(extractor, text) == [(PUBLISHED, "today")]


def test_the_verbs_of_saying_come_from_the_codebook():
    from eventcoder.lexicon import Lexicon

    lexicon = Lexicon()
    assert "announced" in lexicon.event_types.raw["reporting_verbs"]
    raw = {k: v for k, v in lexicon.event_types.raw.items() if k != "reporting_verbs"}
    lexicon.event_types = dataclasses.replace(lexicon.event_types, raw=raw)
    text = "Police announced today that gunmen shot dead a farmer at dawn on 6 March."
    assert act_dates(RuleExtractor(lexicon), text) == [(PUBLISHED, "today")]  # without the list: nearest the trigger


def test_an_undated_lead_takes_the_date_of_a_later_definite_mention(extractor):
    text = ("Rebels have carried out attacks in the south of the province.\n\n"
            "Traffic on the highway was suspended because of the attacks, which began at dawn yesterday.")
    assert act_dates(extractor, text)[0] == (dt.date(2021, 3, 9), "yesterday")


def test_an_undated_act_stays_undated_without_a_definite_mention(extractor):
    # "an attack" is a new act, not a reference back to the first one
    text = ("Rebels have carried out attacks in the south of the province.\n\n"
            "Separately, an attack on a bank in the capital was reported on 2 March.")
    dates = act_dates(extractor, text)
    assert dates[0] == (None, None)


@pytest.mark.parametrize(
    "text, sub_event_type",
    [
        # an attack on armed forces is a battle (ACLED) ...
        ("Rebels attacked an army headquarters in the town on 2 March, killing 4 soldiers.", "armed_clash"),
        # ... a union's offices are not armed forces (targets codebook 1.1.0)
        ("Ten union leaders were killed on 2 March during an attack on a union headquarters.", "attack"),
    ],
)
def test_who_was_attacked_decides_between_attack_and_armed_clash(extractor, text, sub_event_type):
    doc = Document(text=text, doc_id="t", published=PUBLISHED)
    assert [inc.sub_event_type for inc in extractor.extract(doc)] == [sub_event_type]


def test_an_act_dated_from_another_act_is_an_act_of_its_own(extractor):
    # "a week later" counts from 1 March: the bus bomb is another act, with its own figures
    text = ("A car bomb exploded outside the court on 1 March, killing two guards. "
            "A week later, a bus bomb exploded in the same street, killing five passengers.")
    doc = Document(text=text, doc_id="t", published=PUBLISHED)
    incidents = extractor.extract(doc)
    assert [(i.date.start, i.fatalities.low) for i in incidents] == [
        (dt.date(2021, 3, 1), 2), (dt.date(2021, 3, 8), 5)]


def test_a_date_counted_from_the_time_of_writing_does_not_split_an_act(extractor):
    # "two days ago" counts from the report, not from the date told before it
    text = ("The president has stayed at the farm since 2 March. "
            "Rebels attacked the farm two days ago, killing a guard.")
    assert len(extractor.extract(Document(text=text, doc_id="t", published=PUBLISHED))) == 1


def test_a_date_in_a_clause_about_the_future_does_not_date_the_act(extractor):
    # "28 March" is the next one (gregorian table 1.3.0, future_markers), after the report: the
    # bombing is left undated rather than dated a year before its report; the day told for the
    # act itself still dates it
    undated = "Rebels bombed a polling station ahead of the elections that will be held on 28 March."
    assert act_dates(extractor, undated) == [(None, None)]
    dated = "Rebels bombed a polling station on 9 March, ahead of the elections scheduled for 28 March."
    assert act_dates(extractor, dated) == [(dt.date(2021, 3, 9), "9 March")]


# the day's news, told without a date, then a sentence dated days before the report
UNDATED_NEWS = ("The president condemned the killing of the attorney general. "
                "The attorney general was killed when a bomb placed on his car exploded. ")
DAYS_OLD = pytest.mark.parametrize("when", ["5 days ago", "on 5 March"])


@DAYS_OLD
def test_an_act_days_old_after_an_undated_act_is_an_act_of_its_own(extractor, when):
    # "5 days ago" or "on 5 March" dates another act (extract.EARLIER_ACT_DAYS)
    text = UNDATED_NEWS + f"Guerrillas attacked the vice president's home {when} with explosives, wounding his niece."
    incidents = extractor.extract(Document(text=text, doc_id="t", published=PUBLISHED))
    assert [(i.date and i.date.start, i.fatalities and i.fatalities.low, i.injuries and i.injuries.low)
            for i in incidents] == [(None, 1, None), (dt.date(2021, 3, 5), None, 1)]


@DAYS_OLD
def test_an_act_days_old_told_as_the_act_does_not_split_it(extractor, when):
    # "the attack" refers back to the act told before: one act, dated by it
    text = UNDATED_NEWS + f"The attack took place {when} in the capital."
    incidents = extractor.extract(Document(text=text, doc_id="t", published=PUBLISHED))
    assert [i.date and i.date.start for i in incidents] == [dt.date(2021, 3, 5)]
