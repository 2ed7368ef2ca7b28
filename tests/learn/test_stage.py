"""The learned stage over the rules' incidents: with the shipped model on a MUC-style report,
and with document classifiers written by hand, so that each decision is known in advance."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import shutil

import pytest

from eventcoder.errors import ConfigError
from eventcoder.learn.assemble import TYPES
from eventcoder.learn.linear import LinearModel
from eventcoder.learn.stage import LearnedStage, default_model_dir
from eventcoder.pipeline import Pipeline, PipelineConfig
from eventcoder.records import ActorKind, Document, SourceKind

REPORT = (
    "san miguel, 14 mar 89 (acan-efe) -- [text] urban guerrillas today set off a dynamite charge at the "
    "offices of the state telecommunications company antel in san miguel, police sources reported.\n\n"
    "the sources said the explosion destroyed the facade of the building and injured a watchman. "
    "the police blamed the farabundo marti national liberation front (fmln) for the attack."
)
DOC = Document(text=REPORT, doc_id="muc-style-1", published=dt.date(1989, 3, 14), source="muc4",
               source_kind=SourceKind.NEWS)


def fillers(inc):
    return (*inc.perpetrators, *inc.targets, *inc.weapons)


def assert_spans_sound(inc, text: str) -> None:
    assert inc.evidence and list(inc.evidence) == sorted(inc.evidence)
    for a, b in inc.evidence:
        assert 0 <= a < b <= len(text)
    for f in fillers(inc):
        assert f.spans and all(0 <= a < b <= len(text) for a, b in f.spans)
        assert text[f.spans[0][0]:f.spans[0][1]] == f.text, f


# --------------------------------------------------------------------------- the shipped model


@pytest.fixture(scope="module")
def coded(pipeline):
    result = pipeline.process(DOC)
    assert result.ok, result.rejected
    return result.incidents


def test_the_shipped_model_codes_a_muc_style_report(pipeline, coded):
    assert pipeline.name == json.loads((default_model_dir() / "manifest.json").read_text())["model"]
    lexicon = pipeline.extractor.lexicon
    assert coded
    for inc in coded:
        assert inc.coding.extractor == pipeline.name  # every incident is of a MUC-4 type here
        assert 0.0 <= inc.confidence <= 1.0
        assert_spans_sound(inc, REPORT)
    (bombing,) = [i for i in coded if lexicon.muc4.get(i.sub_event_type) == "bombing"]
    assert any("dynamite" in w.text for w in bombing.weapons)
    assert any("fmln" in p.text or "farabundo" in p.text for p in bombing.perpetrators)


@pytest.fixture(scope="module")
def rules():
    """The rule stage alone, built once for this module."""
    rules = Pipeline(PipelineConfig(learned=False))
    assert rules.learned is None and rules.name == "rules.v1"
    return rules


@pytest.fixture(scope="module")
def rule_incidents(rules):
    return list(rules.process(DOC).incidents)


def test_the_rules_alone_code_the_same_report_as_rules_v1(rule_incidents):
    assert rule_incidents and {i.coding.extractor for i in rule_incidents} == {"rules.v1"}


# --------------------------------------------------------------- classifiers written by hand


@pytest.fixture
def stage_with(pipeline, tmp_path):
    """A LearnedStage with the shipped tagger and document classifiers that give each label
    the probability asked for (an intercept, no weights)."""

    def make(**probabilities: float) -> LearnedStage:
        for name in ("roles.crfsuite", "clusters.tsv"):
            shutil.copy(default_model_dir() / name, tmp_path / name)
        (tmp_path / "manifest.json").write_text(json.dumps({"model": "test-crf.v0"}))
        labels = ("relevant", *TYPES)
        logit = {label: _logit(probabilities.get(label, False)) for label in labels}
        (tmp_path / "document.json").write_text(json.dumps(LinearModel(labels, logit, {}).to_dict()))
        return LearnedStage(pipeline.extractor.lexicon, tmp_path)

    return make


def _logit(p) -> float:
    """True and False are sure (+-10); a number between them is that probability."""
    if isinstance(p, bool):
        return 10.0 if p else -10.0
    return math.log(p / (1 - p))


def test_an_irrelevant_document_keeps_the_rules_coding(stage_with, rule_incidents):
    out = stage_with(bombing=True).apply(DOC, list(rule_incidents))
    assert len(out) == len(rule_incidents)
    for before, after in zip(rule_incidents, out):
        assert after.coding == before.coding and after.incident_id == before.incident_id
        assert fillers(after) == fillers(before)
        assert after.confidence == 0.0  # P(relevant) * P(bombing), both near zero


def test_a_relevant_document_gets_the_models_fillers_and_confidence(stage_with, rule_incidents):
    (before,) = rule_incidents
    (after,) = stage_with(relevant=True, bombing=True).apply(DOC, list(rule_incidents))
    assert after.sub_event_type == before.sub_event_type
    assert after.coding.extractor == "test-crf.v0"
    assert after.incident_id != before.incident_id  # the id names the extractor
    assert after.confidence == 1.0
    assert set(after.evidence) > set(before.evidence)  # plus the fillers' spans
    assert_spans_sound(after, REPORT)


def test_a_type_the_rules_missed_becomes_an_incident_placed_like_theirs(stage_with, rule_incidents):
    (before,) = rule_incidents
    out = stage_with(relevant=True, bombing=True, kidnapping=True).apply(DOC, list(rule_incidents))
    assert [i.sub_event_type for i in out] == [before.sub_event_type, "abduction"]
    new = out[1]
    assert new.coding.extractor == "test-crf.v0" and new.confidence == 1.0
    assert (new.date, new.location, new.stance, new.source) == (before.date, before.location, before.stance, "muc4")
    assert_spans_sound(new, REPORT)


def test_a_tagged_entity_stays_only_when_relevance_times_its_probability_passes_its_roles_threshold(
        stage_with, rule_incidents):
    stage = stage_with(relevant=True, bombing=True)
    probs, ents = stage.decide(DOC, list(rule_incidents))
    weapon = max((e for e in ents if e.role == "Weapon"), key=lambda e: e.probability)
    text = REPORT[weapon.first.start:weapon.first.end]
    just = probs["relevant"] * weapon.probability
    stage.entity_threshold = {**LearnedStage.entity_threshold, "Weapon": just}
    (kept,) = stage.apply(DOC, list(rule_incidents))
    stage.entity_threshold = {**LearnedStage.entity_threshold, "Weapon": just + 1e-6}
    (dropped,) = stage.apply(DOC, list(rule_incidents))
    assert text in [w.text for w in kept.weapons]
    assert text not in [w.text for w in dropped.weapons]  # lower-cased text: no rule filler stands in
    assert dropped.perpetrators == kept.perpetrators and dropped.targets == kept.targets


def test_an_act_no_organisation_is_named_for_takes_the_one_the_report_names_most_surely(stage_with, rule_incidents):
    stage = stage_with(relevant=True, bombing=True, kidnapping=True)
    _, ents = stage.decide(DOC, list(rule_incidents))
    surest = max((e for e in ents if e.role == "PerpOrg"), key=lambda e: e.probability)

    def organisations(share: bool) -> list[list[str]]:
        stage.share_organisation = share
        return [[p.text for p in inc.perpetrators if p.kind == ActorKind.ORGANIZATION]
                for inc in stage.apply(DOC, list(rule_incidents))]

    named = REPORT[surest.first.start:surest.first.end]
    bombing, added = organisations(False)
    assert bombing == [named] and added == []  # the FMLN is named beside the bombing only
    assert organisations(True) == [[named], [named]]


# ------------------------------------------------------------------------------ configuration


def test_a_missing_model_is_a_config_error_that_names_the_fix(tmp_path):
    with pytest.raises(ConfigError) as err:
        Pipeline(PipelineConfig(model_dir=str(tmp_path / "no-model")))
    message = str(err.value)
    assert "no-model" in message and "manifest.json" in message
    assert "eventcoder train muc4" in message and "--rules-only" in message


BULLETIN = (
    "On 3 May, fighters attacked a military base in Magumeri with gun trucks and rifles. Troops "
    "repelled the attack after two hours of fighting, and the army said 11 insurgents were killed.\n\n"
    "On 5 May, gunmen abducted 7 women who were collecting firewood outside Gwoza."
)


def test_a_filler_belongs_to_the_act_of_its_paragraph(stage_with, rules):
    # the clash is an act the model does not code: what the tagger finds in its paragraph is
    # dropped, not handed to the abduction in the next paragraph
    doc = Document(text=BULLETIN, doc_id="bulletin-1", published=dt.date(2019, 5, 7))
    stage = stage_with(relevant=True, kidnapping=True)
    incidents = list(rules.process(doc).incidents)
    assert [i.sub_event_type for i in incidents] == ["armed_clash", "abduction"]
    _, ents = stage.decide(doc, incidents)
    second = BULLETIN.index("On 5 May")
    assert any(e.first.start < second for e in ents)  # the tagger does find fillers in the first paragraph
    abduction = stage.apply(doc, incidents)[1]
    assert abduction.coding.extractor == "test-crf.v0"
    assert all(a >= second for f in fillers(abduction) for a, _ in f.spans)


def test_the_nearest_act_is_measured_to_its_evidence_not_to_where_it_starts():
    from eventcoder.learn.assemble import Entity
    from eventcoder.learn.stage import _nearest
    from eventcoder.learn.tagger import RoleSpan
    from eventcoder.records import Incident

    long_sentence = Incident(doc_id="d", event_type="x", sub_event_type="attack", evidence=((0, 300),))
    next_one = Incident(doc_id="d", event_type="x", sub_event_type="attack", evidence=((320, 400),))
    near_the_end = Entity("PerpOrg", "fmln", [RoleSpan("PerpOrg", 280, 284, 0, 0.9)])
    assert _nearest([long_sentence, next_one], [0, 1], [near_the_end]) == 0  # inside the first act's sentence
    after_both = Entity("PerpOrg", "fmln", [RoleSpan("PerpOrg", 410, 414, 1, 0.9)])
    assert _nearest([long_sentence, next_one], [0, 1], [after_both]) == 1


def test_a_tagged_filler_the_codebooks_cannot_name_gives_way_to_the_rules_named_one():
    from eventcoder.learn.stage import LearnedStage, _union
    from eventcoder.records import Incident, Target, TargetKind, Weapon

    rules = Incident(doc_id="d", event_type="x", sub_event_type="suicide_bomb", evidence=((0, 60),),
                     weapons=(Weapon("suicide car bomber", "explosives_vehicle", ((2, 20),)),),
                     targets=(Target("police checkpoint", TargetKind.PHYSICAL, "police_security", ((30, 47),)),))
    learned = {
        "weapons": (Weapon("suicide car", "other", ((2, 13),)),),  # overlaps the rules' weapon
        "targets": (Target("checkpoint", TargetKind.PHYSICAL, "unknown", ((37, 47),)),
                    Target("junction", TargetKind.PHYSICAL, "unknown", ((50, 58),))),  # overlaps nothing
        "perpetrators": (),
    }
    out = _union(learned, rules, LearnedStage.keep_rules)
    assert [(w.text, w.category) for w in out["weapons"]] == [("suicide car bomber", "explosives_vehicle")]
    assert [(t.text, t.category) for t in out["targets"]] == [("police checkpoint", "police_security"),
                                                             ("junction", "unknown")]
    # a filler the codebooks do name keeps the tagger's span, unless the rules' phrase holds it
    named = {"weapons": (Weapon("a suicide car", "explosives_vehicle", ((0, 13),)),), "targets": (), "perpetrators": ()}
    assert _union(named, rules, LearnedStage.keep_rules)["weapons"] == named["weapons"]
    inside = {"weapons": (Weapon("car bomb", "explosives_vehicle", ((6, 20),)),), "targets": (), "perpetrators": ()}
    assert _union(inside, rules, LearnedStage.keep_rules)["weapons"] == rules.weapons


def test_the_shipped_tagger_reads_the_clusters_it_was_trained_with(pipeline, rule_incidents, tmp_path):
    from eventcoder.learn.clusters import read_clusters

    shipped = LearnedStage(pipeline.extractor.lexicon)
    clusters = read_clusters(default_model_dir() / "clusters.tsv")
    assert shipped.tagger.clusters == clusters
    assert len(clusters) == shipped.manifest["clusters"]["words"]
    # a model trained before the clusters (no clusters.tsv) still loads, and tags without them
    for name in ("roles.crfsuite", "document.json", "manifest.json"):
        shutil.copy(default_model_dir() / name, tmp_path / name)
    older = LearnedStage(pipeline.extractor.lexicon, tmp_path)
    assert older.tagger.clusters == {}
    for inc in older.apply(DOC, list(rule_incidents)):
        assert_spans_sound(inc, REPORT)


def test_on_modern_copy_named_fillers_leave_no_room_for_unnamed_ones_and_one_description_is_kept():
    from eventcoder.learn.stage import _tidy_cased
    from eventcoder.records import Actor, ActorKind, Target, TargetKind, Weapon

    towers = Target("high-voltage power towers", TargetKind.PHYSICAL, "infrastructure", ((0, 25),))
    base = Target("the base of each tower", TargetKind.PHYSICAL, "unknown", ((40, 62),))
    suicide = Weapon("suicide", "other", ((70, 77),))
    car_bomb = Weapon("car bomb", "explosives_vehicle", ((78, 86),))
    car = Target("car", TargetKind.PHYSICAL, "civilians", ((78, 81),))
    roles = {"perpetrators": (), "targets": (towers, base, car), "weapons": (suicide, car_bomb)}
    assert _tidy_cased(roles) == {"perpetrators": (), "targets": (towers,), "weapons": (car_bomb,)}
    # an unnamed filler is still one when it is all there is
    alone = {"perpetrators": (), "targets": (base,), "weapons": (suicide,)}
    assert _tidy_cased(alone) == alone
    # the attackers keep the first description the report gives, and every name
    armed_men = Actor("armed men", ActorKind.INDIVIDUAL, None, ((120, 129),), generic=True)
    gunmen = Actor("Gunmen", ActorKind.INDIVIDUAL, None, ((90, 96),), generic=True)
    group = Actor("Ansar Allah", ActorKind.ORGANIZATION, None, ((140, 151),))
    perps = {"perpetrators": (armed_men, group, gunmen), "targets": (), "weapons": ()}
    assert _tidy_cased(perps)["perpetrators"] == (group, gunmen)


def test_a_rule_filler_whose_phrase_holds_the_tagged_one_replaces_it():
    from eventcoder.learn.stage import LearnedStage, _union
    from eventcoder.records import Incident, Weapon

    rules = Incident(doc_id="d", event_type="x", sub_event_type="suicide_bomb", evidence=((0, 90),),
                     weapons=(Weapon("car bomb", "explosives_vehicle", ((56, 64),)),))
    tagged = {"weapons": (Weapon("bomb", "explosive_device", ((60, 64),)),), "targets": (), "perpetrators": ()}
    assert _union(tagged, rules, LearnedStage.keep_rules)["weapons"] == rules.weapons
    # a tagged phrase longer than the rules' stays the tagger's
    longer = {"weapons": (Weapon("powerful car bomb", "explosives_vehicle", ((47, 64),)),), "targets": (),
              "perpetrators": ()}
    assert _union(longer, rules, LearnedStage.keep_rules)["weapons"] == longer["weapons"]


CLASH = ("On 3 May, fighters attacked a military base in Magumeri with gun trucks and rifles. Troops "
         "repelled the attack after two hours of fighting, and the army said 11 insurgents were killed.")


@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("recode", [True, False])
def test_a_type_the_rules_coded_as_a_clash_is_coded_only_on_lower_cased_text(stage_with, rules, lower, recode):
    # on cased copy the rules' clash stands; on lower-cased wire copy, where the classifiers read
    # better than the rules' types, the attack they accept is the clash recoded (one record, with
    # the clash's date, place and figures), or, without recoding, a second record beside it
    text = CLASH.lower() if lower else CLASH
    doc = Document(text=text, doc_id="clash-1", published=dt.date(2019, 5, 7))
    incidents = list(rules.process(doc).incidents)
    assert [i.sub_event_type for i in incidents] == ["armed_clash"]
    stage = stage_with(relevant=True, attack=True)
    stage.recode_other = recode
    out = stage.apply(doc, incidents)
    if not lower:
        assert [i.sub_event_type for i in out] == ["armed_clash"]
    elif recode:
        (attack,) = out
        assert attack.sub_event_type == "attack" and attack.coding.extractor == "test-crf.v0"
        clash = incidents[0]
        assert (attack.date, attack.location, attack.fatalities) == (clash.date, clash.location, clash.fatalities)
        assert set(attack.evidence) >= set(clash.evidence)
    else:
        assert [i.sub_event_type for i in out] == ["armed_clash", "attack"]


ADDED = ("bogota, 3 may 90 (efe) -- [text] the police reported today that a judge was arrested in "
         "medellin. well-known banker ramiro castillo was murdered today in cali by a group of "
         "unidentified persons who fired at him from a car.")


def test_an_added_act_takes_the_figures_of_its_sentence_that_no_other_record_holds(stage_with, rules):
    doc = Document(text=ADDED, doc_id="added-1", published=dt.date(1990, 5, 3), source="muc4")
    stage = stage_with(relevant=True, attack=True)
    stage.recode_other = False
    (added,) = stage.apply(doc, [])  # as if the rules had found no act
    assert added.sub_event_type == "attack"
    assert ADDED[added.evidence[0][0]:added.evidence[0][1]].startswith("well-known banker")
    assert (added.fatalities.low, added.fatalities.high, added.fatalities.qualifier.value) == (1, 1, "exact")
    sentence = ADDED.index("well-known"), ADDED.index(" car.") + 5
    assert all(sentence[0] <= a and b <= sentence[1] for a, b in added.fatalities.spans)
    # the same figure, held by another record of the report (here the rules' arrest), stays there alone
    (arrest,) = [i for i in rules.process(doc).incidents if i.sub_event_type == "arrests"]
    holder = dataclasses.replace(arrest, fatalities=added.fatalities)
    out = stage.apply(doc, [holder])
    assert [i.sub_event_type for i in out] == ["arrests", "attack"]
    assert out[0].fatalities == added.fatalities and out[1].fatalities is None


@pytest.mark.parametrize("one_act", [True, False])
def test_a_relevant_report_no_type_is_sure_of_gets_one_act_of_the_likeliest_type(stage_with, one_act):
    # the rules found no act and no type classifier reaches its threshold, yet the report is
    # judged relevant: it reports at least one act, of the likeliest type
    stage = stage_with(relevant=True, kidnapping=0.3, bombing=0.2, attack=0.1)
    stage.one_act_at_least = one_act
    assert max(stage.decide(DOC, [])[0].get(t) for t in TYPES) < stage.type_threshold
    out = stage.apply(DOC, [])
    assert [i.sub_event_type for i in out] == (["abduction"] if one_act else [])
    if one_act:
        assert out[0].coding.extractor == "test-crf.v0"
        assert_spans_sound(out[0], REPORT)


def test_an_irrelevant_report_or_one_the_rules_coded_as_a_clash_gets_no_act_of_the_likeliest_type(
        stage_with, rules):
    assert stage_with(relevant=0.2, attack=0.3).apply(DOC, []) == []
    doc = Document(text=CLASH, doc_id="clash-1", published=dt.date(2019, 5, 7))
    incidents = list(rules.process(doc).incidents)
    out = stage_with(relevant=True, attack=0.3).apply(doc, incidents)
    assert [i.sub_event_type for i in out] == ["armed_clash"]


MURDER = ("lima, 12 mar 90 (efe) -- [text] alleged shining path members murdered four members of a "
          "family in santa maria del valle today. after that, the terrorists used explosives against "
          "the town hall.")
BOMB = ("lima, 12 mar 90 (efe) -- [text] a car bomb killed four members of a family in santa maria "
        "del valle today, and the police blamed the shining path.")


@pytest.mark.parametrize("give", [True, False])
@pytest.mark.parametrize("text", [MURDER, BOMB], ids=["murder", "bomb"])
def test_a_figure_the_added_acts_sentence_tells_goes_to_it_unless_the_sentence_names_the_holders_act(
        stage_with, text, give):
    # the rules joined the murder to the bombing told after it, and the figure came with it: the
    # attack the classifiers add, whose sentence tells the murder and no bombing, takes it
    doc = Document(text=text, doc_id="fig-1", published=dt.date(1990, 3, 12), source="muc4")
    stage = stage_with(relevant=True, attack=True)
    stage.recode_other = False
    (alone,) = stage.apply(doc, [])  # the attack and its figure, had no record held the figure
    assert alone.sub_event_type == "attack" and alone.fatalities.low == 4
    from eventcoder.records import Incident

    holder = Incident(doc_id="fig-1", event_type="explosions_remote_violence", sub_event_type="remote_explosive",
                      evidence=alone.evidence, fatalities=alone.fatalities)
    stage.give_figures = give
    bombing, attack = stage.apply(doc, [holder])
    assert (bombing.sub_event_type, attack.sub_event_type) == ("remote_explosive", "attack")
    moved = give and text is MURDER
    assert bombing.fatalities == (None if moved else alone.fatalities)
    assert attack.fatalities == (alone.fatalities if moved else None)


LATER = ("lima, 12 mar 90 (efe) -- [text] alleged shining path members attacked a family in santa maria "
         "del valle today. four members of the family {how}. after that, the terrorists used explosives "
         "against the town hall.")


@pytest.mark.parametrize("give", [True, False])
@pytest.mark.parametrize("how", ["were murdered", "were killed by the bomb"], ids=["murder", "bomb"])
def test_a_figure_a_later_sentence_tells_of_the_added_acts_type_only_goes_to_it(stage_with, how, give):
    # the figure is not in the added attack's own sentence but in the next one, which tells a
    # murder and no bombing: the bombing the rules gave it to gives it up; a sentence that names
    # the bomb keeps it with the bombing
    from eventcoder.normalize.counts import find_counts, incident_figures
    from eventcoder.records import Incident

    text = LATER.format(how=how)
    doc = Document(text=text, doc_id="fig-2", published=dt.date(1990, 3, 12), source="muc4")
    killed = incident_figures(find_counts(text, 0, len(text)))[0]
    assert killed is not None and killed.low == 4
    start = text.index("after that")
    holder = Incident(doc_id="fig-2", event_type="explosions_remote_violence", sub_event_type="remote_explosive",
                      evidence=((start, len(text)),), fatalities=killed)
    stage = stage_with(relevant=True, attack=True)
    stage.recode_other = False
    stage.give_figures = give
    bombing, attack = stage.apply(doc, [holder])
    assert (bombing.sub_event_type, attack.sub_event_type) == ("remote_explosive", "attack")
    assert attack.evidence[0][1] <= text.index("four")  # the attack's own sentence is the first
    moved = give and how == "were murdered"
    assert bombing.fatalities == (None if moved else killed)
    assert attack.fatalities == (killed if moved else None)


NO_CASUALTIES = ("lima, 12 mar 90 (efe) -- [text] alleged shining path members murdered four members of a "
                 "family in santa maria del valle today. after that, the terrorists used explosives against "
                 "the town hall, but the blast caused no casualties.")


@pytest.mark.parametrize("give", [True, False])
def test_a_record_that_gives_up_its_dead_says_nobody_died_when_what_it_keeps_says_so(stage_with, give):
    # the bombing held the murder's four dead and its own "no casualties": once the murder's
    # figure goes to the added attack, the bombing's "no casualties" says nobody died in it
    from eventcoder.normalize.counts import find_counts, incident_figures
    from eventcoder.records import Incident

    text = NO_CASUALTIES
    doc = Document(text=text, doc_id="fig-4", published=dt.date(1990, 3, 12), source="muc4")
    start = text.index("after that")
    killed = incident_figures(find_counts(text, 0, start))[0]
    nobody = incident_figures(find_counts(text, start, len(text)))[2]
    assert killed.low == 4 and (nobody.low, nobody.high) == (0, 0)
    holder = Incident(doc_id="fig-4", event_type="explosions_remote_violence", sub_event_type="remote_explosive",
                      evidence=((0, len(text)),), fatalities=killed, killed_or_injured=nobody)
    stage = stage_with(relevant=True, attack=True)
    stage.recode_other = False
    stage.give_figures = give
    bombing, attack = stage.apply(doc, [holder])
    assert bombing.killed_or_injured == nobody
    assert bombing.fatalities == (nobody if give else killed)
    assert attack.fatalities == (killed if give else None)


TWO_HOLDERS = ("lima, 12 mar 90 (efe) -- [text] alleged shining path members murdered four members of a family "
               "in santa maria del valle today. after that, the terrorists used explosives against the town "
               "hall. in huanta, far from there, rebels murdered a farmer and wounded two of his sons.")


def test_an_added_act_takes_the_figures_of_one_act_only(stage_with):
    # two bombings the rules coded hold figures told only in sentences of murders: the attack the
    # classifiers add, told first in the first murder's sentence, takes that one's figure; the
    # figure of the other murder, a different act, stays where it was
    from eventcoder.normalize.counts import find_counts, incident_figures
    from eventcoder.records import Incident

    text = TWO_HOLDERS
    doc = Document(text=text, doc_id="fig-3", published=dt.date(1990, 3, 12), source="muc4")
    second = text.index("in huanta")
    killed = incident_figures(find_counts(text, 0, text.index("after that")))[0]
    injured = incident_figures(find_counts(text, second, len(text)))[1]
    assert killed.low == 4 and injured.low == 2
    first_bombing = Incident(doc_id="fig-3", event_type="explosions_remote_violence", sub_event_type="remote_explosive",
                             evidence=((0, second),), fatalities=killed)
    second_bombing = Incident(doc_id="fig-3", event_type="explosions_remote_violence",
                              sub_event_type="remote_explosive", evidence=((second, len(text)),), injuries=injured)
    stage = stage_with(relevant=True, attack=True)
    stage.recode_other = False
    one, two, attack = stage.apply(doc, [first_bombing, second_bombing])
    assert attack.sub_event_type == "attack" and attack.evidence[0][1] <= text.index("after that")
    assert (attack.fatalities, attack.injuries) == (killed, None)
    assert (one.fatalities, two.injuries) == (None, injured)


TIDY = ("a powerful bomb exploded today at the front doors of the liberal party headquarters in medellin, and "
        "terrorists set off 10 kg of dynamite near a car parked nearby. the eln guerrillas were blamed.")
UNTIDY = {"trim_spans": False, "untitle_roles": (), "split_roles": (), "whole_roles": (), "placeless_roles": (),
          "fold_roles": ()}


def test_the_stage_cuts_the_tagged_spans_to_the_fillers_a_key_would_name(stage_with, rules):
    doc = Document(text=TIDY, doc_id="tidy-1", published=dt.date(1989, 12, 3))
    stage = stage_with(relevant=True, bombing=True)
    incidents = list(rules.process(doc).incidents)

    def coded(**settings) -> set[str]:
        for name, value in settings.items():
            setattr(stage, name, value)
        (bombing,) = [i for i in stage.apply(doc, list(incidents)) if i.coding.extractor == "test-crf.v0"]
        assert_spans_sound(bombing, TIDY)
        return {f.text for f in fillers(bombing)}

    untidy = coded(**UNTIDY)
    # the tagger's own spans, as it reads this report
    assert {"powerful bomb", "10 kg of dynamite", "eln guerrillas"} <= untidy
    tidy = coded(**{name: getattr(LearnedStage, name) for name in UNTIDY})
    assert {"bomb", "dynamite", "eln"} <= tidy
    assert not tidy & {"powerful bomb", "10 kg of dynamite", "eln guerrillas"}
