"""Templates from role spans built by hand: entity grouping, type choice, relevance, splitting."""

from __future__ import annotations

import pytest

from eventcoder.learn.assemble import (TYPES, accepted_types, assemble, entities, fold, fold_bracketed, fold_heads,
                                         placeless, trimmed, untitled, wholes)
from eventcoder.learn.tagger import RoleSpan
from eventcoder.learn.tokens import sentences
from eventcoder.lexicon import Lexicon

TEXT = (
    "a bomb exploded outside the u.s. embassy in lima. "
    "a watchman was wounded. "
    "in a separate incident gunmen kidnapped a businessman in callao. "
    "the police blamed the shining path."
)


ROLES = ("PerpInd", "PerpOrg", "Target", "Victim", "Weapon")


def role(name: str, phrase: str, p: float = 0.9, nth: int = 0, text: str = TEXT) -> RoleSpan:
    """A role span over the ``nth`` occurrence of ``phrase``, in the sentence that holds it."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(phrase, start + 1)
    sentence = next(i for i, s in enumerate(sentences(text)) if s[0].start <= start < s[-1].end)
    return RoleSpan(name, start, start + len(phrase), sentence, p)


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon()


def names(template) -> list[tuple[str, str]]:
    return [(e.role, e.key) for e in template.entities]


# --------------------------------------------------------------------------------- entities


def test_fold_drops_case_punctuation_and_a_leading_article():
    assert fold("The  F.M.L.N.") == "fmln"
    assert fold("an Army patrol") == "army patrol"
    assert fold("the") == "" and fold("An") == "" and fold("--") == ""
    assert fold("theater") == "theater" and fold("a-37") == "a37"


def test_mentions_with_the_same_folded_text_make_one_entity():
    text = "The F.M.L.N. attacked. Later the fmln withdrew; FMLN units fled."
    spans = [role("PerpOrg", "The F.M.L.N.", 0.5, text=text), role("PerpOrg", "the fmln", 0.8, text=text),
             role("PerpOrg", "FMLN", 0.6, text=text), role("PerpInd", ";", 0.9, text=text)]  # ";" folds to nothing
    (ent,) = entities(text, spans)
    assert (ent.role, ent.key) == ("PerpOrg", "fmln")
    assert [s.start for s in ent.spans] == [0, text.index("the fmln"), text.index("FMLN")]
    assert ent.first is spans[0] and ent.probability == 0.8


def test_a_string_tagged_with_two_roles_keeps_the_role_with_more_probability_in_all():
    text = "peasants fled. the peasants were shot. peasants returned."
    spans = [role("Victim", "peasants", 0.4, 0, text), role("PerpInd", "peasants", 0.7, 1, text),
             role("Victim", "peasants", 0.4, 2, text)]
    (ent,) = entities(text, spans)
    assert ent.role == "Victim"  # 0.4 + 0.4 beats 0.7: the sum counts, not the best mention
    assert len(ent.spans) == 2  # the losing role's mention is dropped
    spans[1] = role("PerpInd", "peasants", 0.8, 1, text)
    (ent,) = entities(text, spans)
    assert ent.role == "PerpInd"  # 0.8 == 0.4 + 0.4: a tie goes to the likeliest single mention
    assert [s.start for s in ent.spans] == [text.index("the peasants") + 4]


def test_entities_come_in_order_of_their_first_mention():
    spans = [role("PerpOrg", "shining path"), role("Victim", "businessman"), role("Weapon", "bomb")]
    assert [e.key for e in entities(TEXT, spans)] == ["bomb", "businessman", "shining path"]


def test_a_name_and_its_bracketed_form_become_one_entity_led_by_the_shorter():
    text = ("the farabundo marti national liberation front (fmln) attacked a post. "
            "later the fmln (farabundo marti national liberation front) withdrew. the army (fmln) said.")
    long, short = "farabundo marti national liberation front", "fmln"
    spans = [role("PerpOrg", long, text=text), role("PerpOrg", short, text=text),
             role("PerpOrg", short, nth=1, text=text), role("PerpOrg", long, nth=1, text=text),
             role("PerpOrg", "army", text=text), role("PerpOrg", short, nth=2, text=text),
             role("Target", "post", text=text)]
    ents = fold_bracketed(text, entities(text, spans))
    assert [(e.role, e.key) for e in ents] == [("PerpOrg", "fmln"), ("Target", "post"), ("PerpOrg", "army")]
    fmln = ents[0]
    # its own mentions first, then the long form's: the first still reads "fmln"
    assert [text[s.start:s.end] for s in fmln.spans] == [short, short, short, long, long]
    # "the army (fmln)": fmln is already paired, so the army stays apart (above); and a pair
    # must agree on its role
    other_role = [role("Victim", "army", text=text), role("PerpOrg", short, nth=2, text=text)]
    assert len(fold_bracketed(text, entities(text, other_role))) == 2
    same_role = [role("PerpOrg", "army", text=text), role("PerpOrg", short, nth=2, text=text)]
    assert len(fold_bracketed(text, entities(text, same_role))) == 1


def test_entities_without_brackets_between_them_are_left_as_they_are():
    text = "the fmln and the farabundo marti national liberation front (a guerrilla group) attacked."
    spans = [role("PerpOrg", "fmln", text=text), role("PerpOrg", "farabundo marti national liberation front", text=text)]
    ents = entities(text, spans)
    assert fold_bracketed(text, ents) == ents


def test_a_phrase_folds_into_the_fuller_phrase_of_its_role_that_ends_with_it():
    text = ("gunmen killed carlos pizarro on a plane. pizarro was a candidate. "
            "a medium-sized bomb then exploded at the la eminencia farm; the bomb damaged the farm. "
            "two bombs were found later; the bombs were defused. witnesses saw pizarro's guards; the guards fled.")
    spans = [role("Victim", "carlos pizarro", text=text), role("Victim", "pizarro", nth=1, text=text),
             role("Weapon", "medium-sized bomb", text=text), role("Target", "la eminencia farm", text=text),
             role("Weapon", "bomb", nth=1, text=text), role("Target", "farm", nth=1, text=text),
             role("Weapon", "two bombs", text=text), role("Weapon", "bombs", nth=1, text=text),
             role("PerpInd", "pizarro's guards", text=text), role("Victim", "guards", nth=1, text=text)]
    ents = fold_heads(entities(text, spans), ROLES)
    got = {(e.role, text[e.first.start:e.first.end]): sorted(text[s.start:s.end] for s in e.spans) for e in ents}
    assert got == {
        # the fuller phrase leads, and the short one's mentions follow it
        ("Victim", "carlos pizarro"): ["carlos pizarro", "pizarro"],
        ("Weapon", "medium-sized bomb"): ["bomb", "medium-sized bomb"],
        ("Target", "la eminencia farm"): ["farm", "la eminencia farm"],
        # a quantity is no part of the filler: the short phrase leads
        ("Weapon", "bombs"): ["bombs", "two bombs"],
        # another role stays apart
        ("PerpInd", "pizarro's guards"): ["pizarro's guards"],
        ("Victim", "guards"): ["guards"],
    }
    # only the roles asked for fold
    kept = fold_heads(entities(text, spans), ("Victim",))
    assert [text[e.first.start:e.first.end] for e in kept if e.role == "Weapon"] == [
        "medium-sized bomb", "bomb", "two bombs", "bombs"]


def test_a_phrase_that_ends_no_other_of_its_role_stays_as_it_is():
    text = "the bombers hit a bus and a minibus near the farmhouse."
    spans = [role("Target", "bus", text=text), role("Target", "minibus", text=text),
             role("Target", "farmhouse", text=text), role("PerpInd", "bombers", text=text)]
    ents = entities(text, spans)
    assert fold_heads(ents, ROLES) == ents


def test_a_victims_title_before_a_name_is_left_out():
    text = ("gunmen killed governor antonio roldan betancur and dr. ana maria lopez; the mayor of achi, "
            "father ignacio ellacuria and colonel jose ponce were named. the mayor garcia escaped.")
    titles = {"governor", "mayor", "father", "colonel", "dr"}
    spans = [role("Victim", "governor antonio roldan betancur", text=text), role("Victim", "dr. ana maria lopez", text=text),
             role("Victim", "the mayor of achi", text=text), role("Victim", "father ignacio ellacuria", text=text),
             role("PerpInd", "colonel jose ponce", text=text), role("Victim", "mayor garcia", text=text)]
    got = [text[e.first.start:e.first.end] for e in untitled(text, entities(text, spans), ("Victim",), titles)]
    assert got == ["antonio roldan betancur", "ana maria lopez",
                   # "of" is no part of a name; a perpetrator keeps the title (not asked for); a
                   # title and one word may be a title and a surname or a description: kept
                   "the mayor of achi", "ignacio ellacuria", "colonel jose ponce", "mayor garcia"]


def test_the_phrase_that_places_a_target_is_left_out():
    text = ("a bomb hit the restaurant in medellin and the mormon church at pedro de valdivia; "
            "drug traffickers in an exclusive sector fired on a bus. in lima a man in a car was hurt. "
            "the car parked nearby, the building that houses the court and gunmen standing nearby.")
    spans = [role("Target", "restaurant in medellin", text=text), role("Target", "mormon church at pedro de valdivia", text=text),
             role("PerpInd", "drug traffickers in an exclusive sector", text=text), role("Target", "bus", text=text),
             role("Weapon", "bomb", text=text), role("Victim", "man in a car", text=text),
             role("Target", "car parked nearby", text=text), role("Target", "building that houses the court", text=text),
             role("PerpInd", "gunmen standing nearby", text=text)]
    got = [text[e.first.start:e.first.end] for e in placeless(text, entities(text, spans), ("Target", "PerpInd",
                                                                                            "PerpOrg"))]
    # a target's participle goes too, a relative clause stays (it names the target); a
    # perpetrator loses only a place phrase; a victim is not asked for
    assert got == ["bomb", "restaurant", "mormon church", "drug traffickers", "bus", "man in a car", "car",
                   "building that houses the court", "gunmen standing nearby"]
    # a span that opens with the place phrase keeps it: nothing would be left
    only = [role("Target", "in lima", text=text)]
    assert placeless(text, entities(text, only), ("Target",))[0].key == "in lima"


def test_the_members_named_after_an_organisation_are_the_organisation():
    text = "eln guerrillas and the fmln criminals attacked; the eln guerrilla movement said the guerrillas left."
    spans = [role("PerpOrg", "eln guerrillas", text=text), role("PerpOrg", "fmln criminals", text=text),
             role("PerpOrg", "eln guerrilla movement", text=text), role("PerpInd", "guerrillas", nth=1, text=text)]
    got = [text[e.first.start:e.first.end] for e in placeless(text, entities(text, spans), ("PerpOrg", "PerpInd"))]
    # the two "eln" spans are one entity now; a lone member noun names no organisation to keep
    assert got == ["eln", "fmln", "guerrillas"]
    assert len(placeless(text, entities(text, spans), ("PerpOrg",))[0].spans) == 2


def test_a_part_of_a_thing_is_the_thing_and_an_amount_of_an_explosive_the_explosive():
    text = ("bombs damaged the front doors of the party headquarters, the 6th floor of the hilton hotel "
            "and a stretch of the oil pipeline; the front of the bus and the head of security were hit. "
            "the truck carried 10 kg of dynamite and 250 sticks of tnt; the floor of the house burned.")
    spans = [role("Target", "front doors of the party headquarters", text=text),
             role("Target", "6th floor of the hilton hotel", text=text),
             role("Target", "stretch of the oil pipeline", text=text),
             role("Target", "head of security", text=text), role("PerpInd", "front of the bus", text=text),
             role("Weapon", "10 kg of dynamite", text=text), role("Weapon", "250 sticks of tnt", text=text),
             role("Weapon", "floor of the house", text=text)]
    got = [text[e.first.start:e.first.end] for e in wholes(text, entities(text, spans), ("Target", "Weapon"))]
    # "head" names no part of a thing; a perpetrator keeps its span; a weapon's pattern is of
    # amounts, not parts
    assert got == ["the party headquarters", "the hilton hotel", "the oil pipeline", "front of the bus",
                   "head of security", "dynamite", "tnt", "floor of the house"]
    # only the roles asked for
    kept = wholes(text, entities(text, spans), ("Weapon",))
    assert [e.key for e in kept if e.role == "Target"][0] == "front doors of the party headquarters"


# ---------------------------------------------------------------------------- accepted_types


def test_types_passing_the_threshold_likeliest_first():
    probs = {"relevant": 0.99, "attack": 0.6, "bombing": 0.9, "kidnapping": 0.2}
    assert accepted_types(probs) == ["bombing", "attack"]
    assert accepted_types(probs, threshold=0.7) == ["bombing"]
    assert accepted_types({"arson": 0.5}) == ["arson"]  # the threshold itself passes


def test_the_likeliest_type_when_none_passes():
    assert accepted_types({"robbery": 0.3, "attack": 0.2}) == ["robbery"]
    assert accepted_types({}) == [TYPES[0]]  # all equal: the first type


# ---------------------------------------------------------------------------------- assemble

SPANS = [role("Weapon", "bomb"), role("Target", "u.s. embassy"), role("Victim", "watchman"),
         role("PerpInd", "gunmen"), role("Victim", "businessman"), role("PerpOrg", "shining path")]


def test_an_irrelevant_document_gives_no_template(lexicon):
    sents = sentences(TEXT)
    assert assemble(TEXT, sents, SPANS, {"relevant": 0.49, "bombing": 0.99}, lexicon) == []
    assert assemble(TEXT, sents, SPANS, {"bombing": 0.99}, lexicon) == []
    assert assemble(TEXT, sents, SPANS, {"relevant": 0.5, "bombing": 0.99}, lexicon) != []
    assert assemble(TEXT, sents, SPANS, {"relevant": 0.7, "bombing": 0.99}, lexicon, relevance=0.8) == []


def test_one_accepted_type_takes_every_entity(lexicon):
    (t,) = assemble(TEXT, sentences(TEXT), SPANS, {"relevant": 0.8, "bombing": 0.9, "kidnapping": 0.3}, lexicon)
    assert t.incident_type == "bombing"
    assert t.probability == pytest.approx(0.8 * 0.9)
    assert names(t) == [("Weapon", "bomb"), ("Target", "us embassy"), ("Victim", "watchman"),
                        ("PerpInd", "gunmen"), ("Victim", "businessman"), ("PerpOrg", "shining path")]


def test_two_types_split_fillers_by_their_nearest_trigger_and_share_perpetrators(lexicon):
    probs = {"relevant": 0.9, "bombing": 0.8, "kidnapping": 0.7}
    bombing, kidnapping = assemble(TEXT, sentences(TEXT), SPANS, probs, lexicon)
    assert (bombing.incident_type, kidnapping.incident_type) == ("bombing", "kidnapping")
    assert kidnapping.probability == pytest.approx(0.9 * 0.7)
    # the watchman's sentence is as far from both triggers: the likelier type takes it
    assert names(bombing) == [("Weapon", "bomb"), ("Target", "us embassy"), ("Victim", "watchman"),
                              ("PerpInd", "gunmen"), ("PerpOrg", "shining path")]
    assert names(kidnapping) == [("PerpInd", "gunmen"), ("Victim", "businessman"), ("PerpOrg", "shining path")]
    probs = {"relevant": 0.9, "bombing": 0.7, "kidnapping": 0.8}
    kidnapping, bombing = assemble(TEXT, sentences(TEXT), SPANS, probs, lexicon)
    assert ("Victim", "watchman") in names(kidnapping) and ("Victim", "watchman") not in names(bombing)


def test_an_explosive_weapon_goes_to_the_bombing_wherever_it_stands(lexicon):
    text = "gunmen kidnapped a businessman in callao and left a bomb. a bomb exploded at a bank in lima."
    spans = [role("Weapon", "bomb", text=text), role("Victim", "businessman", text=text)]
    types = {t.incident_type: names(t) for t in
             assemble(text, sentences(text), spans, {"relevant": 0.9, "bombing": 0.6, "kidnapping": 0.9}, lexicon)}
    assert types == {"kidnapping": [("Victim", "businessman")], "bombing": [("Weapon", "bomb")]}


def test_edge_words_are_trimmed_and_the_entities_they_split_merge():
    text = ("several armed individuals fired at electricity poles with rifles. "
            "the armed individuals fled. these bombs and other bombs exploded. the alleged kidnappers fled. "
            "a powerful bomb went off.")
    spans = [role("PerpInd", "several armed individuals", 0.8, text=text),
             role("Target", "electricity poles with", text=text),
             role("PerpInd", "armed individuals", 0.6, nth=1, text=text),
             role("Weapon", "these bombs", text=text), role("Weapon", "other bombs", text=text),
             role("PerpInd", "alleged kidnappers", text=text), role("Weapon", "powerful bomb", text=text)]
    ents = trimmed(text, entities(text, spans))
    assert [(e.role, e.key) for e in ents] == [("PerpInd", "armed individuals"), ("Target", "electricity poles"),
                                               ("Weapon", "bombs"), ("PerpInd", "kidnappers"), ("Weapon", "bomb")]
    # the merged entity keeps both mentions, and the surer one's probability
    assert [text[s.start:s.end] for s in ents[0].spans] == ["armed individuals", "armed individuals"]
    assert ents[0].probability == 0.8
    assert [text[s.start:s.end] for s in ents[2].spans] == ["bombs", "bombs"]


@pytest.mark.parametrize("phrase", ["several", "with", "other bombs", "bombs"])
def test_a_span_trimming_would_empty_or_that_has_no_edge_word_keeps_its_bounds(phrase):
    text = f"they saw {phrase}. then they left."
    span = role("Target", phrase, text=text)
    (ent,) = trimmed(text, entities(text, [span]))
    kept = "bombs" if phrase == "other bombs" else phrase
    assert text[ent.first.start:ent.first.end] == kept


def test_a_span_that_joins_several_fillers_is_split_into_one_per_filler():
    from eventcoder.learn.assemble import split_coordinated

    text = ("a bomb damaged the embassy building and to nearby structures. gunmen attacked the mayor's "
            "house, the police station and a bank. the embassy building was closed.")
    spans = [role("Target", "the embassy building and to nearby structures", 0.7, text=text),
             role("Target", "the mayor's house, the police station and a bank", text=text),
             role("Target", "the embassy building", 0.6, nth=1, text=text),
             role("PerpInd", "gunmen", text=text)]
    ents = split_coordinated(text, entities(text, spans), ("Target",))
    assert [(e.role, e.key) for e in ents] == [
        ("Target", "embassy building"), ("Target", "nearby structures"), ("PerpInd", "gunmen"),
        ("Target", "mayors house"), ("Target", "police station"), ("Target", "bank")]
    # the part keeps its span's probability, and the later mention of the same filler joins it
    assert [text[s.start:s.end] for s in ents[0].spans] == ["the embassy building", "the embassy building"]
    assert ents[0].probability == 0.7 and ents[1].probability == 0.7
    # a role not asked for, or a span with nothing joined, stays as it is
    assert split_coordinated(text, entities(text, spans), ("Victim",)) == entities(text, spans)
