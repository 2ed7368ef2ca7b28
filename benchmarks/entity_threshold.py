"""How sure the learned stage must be of an entity to keep it: the threshold on P(relevant) x P(entity).

An entity the tagger finds in a document is a filler only if the document reports a relevant
incident and the tagger read it right, so the stage keeps it when the product of the two
probabilities passes a per-role threshold (``LearnedStage.entity_threshold``). This script
chooses the thresholds, whether an act no organisation is named for takes the one the
report names most surely (``LearnedStage.share_organisation``), whether a relevant report
no type is sure of gets an act of the likeliest type (``LearnedStage.one_act_at_least``), and
whether an added act told in a sentence of a rule incident of a type MUC-4 leaves out recodes
that incident (``LearnedStage.recode_other``), and which roles' spans that join several fillers
by "and" are split (``LearnedStage.split_roles``), whether a victim's title, a target's place
phrase, the part of a thing a target names and a phrase that ends a fuller one of its role are
left out (``LearnedStage.untitle_roles``, ``placeless_roles``, ``whole_roles``, ``fold_roles``),
and how sure the classifiers must be of a type to add an act of it the rules missed
(``LearnedStage.type_threshold``), on MUC-4 train, where nothing is scored by a model that saw
it:

* the entities come from taggers trained on the other four folds
  (:func:`eventcoder.learn.train.crossfit_entities`, with the shipped word clusters);
* the document classifiers' probabilities (relevance and types) come from five-fold
  cross-validation over the features ``eventcoder train muc4`` builds, with those cross-fitted
  entities' tagger features;
* everything else is the shipped pipeline, scored with the MUC-4 metrics on the 1,300 documents.

Each setting is then scored on dev with the shipped model, for comparison only. Prints GTT,
CEAF-REE and CEAF-RME F1 per setting and split; about fifteen minutes on one core:

    taskset -c 0 .venv/bin/python benchmarks/entity_threshold.py
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from eventcoder.learn.assemble import Entity
from eventcoder.learn.docfeatures import tagger_features
from eventcoder.learn.linear import fit
from eventcoder.learn.stage import LearnedStage
from eventcoder.learn.tokens import sentences
from eventcoder.learn.train import CRF_PARAMS, DOC_C, crossfit_entities, document_rows, document_targets
from eventcoder.muc4.data import ROLES, load_split
from eventcoder.muc4.evaluate import evaluate_muc4
from eventcoder.pipeline import Pipeline, PipelineConfig

METRICS = (("GTT", "gtt"), ("CEAF-REE", "ceaf_ree"), ("CEAF-RME", "ceaf_rme_phi_subset"))


def settings() -> list[tuple[str, dict[str, float], dict[str, object]]]:
    """(name, thresholds, other stage settings): no threshold, one for every role, and the shipped
    ones with one role's varied, all without the shared organisation, the act of the likeliest
    type, the recoding, the split spans and the filler tidying (titles, place phrases, parts of
    things, folded phrases); then the shipped thresholds with each of those added in turn (the last row is the
    shipped stage), the split spans and folded phrases of other roles, and the threshold for
    adding an act of a type the rules missed (``LearnedStage.type_threshold``)."""
    shipped = dict(LearnedStage.entity_threshold)
    out = [("none", dict.fromkeys(ROLES, 0.0))]
    out += [(f"all {t}", dict.fromkeys(ROLES, t)) for t in (0.2, 0.3, 0.4)]
    out += [(f"thresholds, PerpOrg {t}", {**shipped, "PerpOrg": t}) for t in (0.4, 0.5, 0.6)]
    out += [(f"thresholds, PerpInd {t}", {**shipped, "PerpInd": t}) for t in (0.3, 0.4, 0.5)]
    out += [(f"thresholds, Target {t}", {**shipped, "Target": t}) for t in (0.4, 0.5)]
    typed = {"type_threshold": LearnedStage.type_threshold}
    # the filler tidying added after the recoding, off until its rows below
    untidy = {"untitle_roles": (), "placeless_roles": (), "whole_roles": (), "fold_roles": ()}
    bare = {**typed, **untidy, "share_organisation": False, "one_act_at_least": False, "recode_other": False,
            "split_roles": ()}
    recoding = {**typed, **untidy, "share_organisation": True, "one_act_at_least": True, "recode_other": True,
                "split_roles": ()}
    split = {**recoding, "split_roles": LearnedStage.split_roles}
    untitled = {**split, "untitle_roles": LearnedStage.untitle_roles}
    placeless = {**untitled, "placeless_roles": LearnedStage.placeless_roles}
    whole = {**placeless, "whole_roles": LearnedStage.whole_roles}
    full = {**whole, "fold_roles": LearnedStage.fold_roles}
    return ([(name, threshold, bare) for name, threshold in out]
            + [("+ shared org", shipped, {**bare, "share_organisation": True}),
               ("+ one act", shipped, {**bare, "share_organisation": True, "one_act_at_least": True}),
               ("+ recoding", shipped, recoding)]
            + [(f"+ split {' '.join(roles)}", shipped, {**recoding, "split_roles": roles})
               for roles in (("Target",), ("Target", "Victim"), ("Target", "PerpOrg"), ("Target", "Weapon"))]
            + [(f"+ split {' '.join(LearnedStage.split_roles)}", shipped, split),
               (f"+ untitled {' '.join(LearnedStage.untitle_roles)}", shipped, untitled),
               (f"+ placeless {' '.join(LearnedStage.placeless_roles)}", shipped, placeless),
               (f"+ wholes {' '.join(LearnedStage.whole_roles)}", shipped, whole)]
            + [(f"shipped, fold {' '.join(roles)}", shipped, {**full, "fold_roles": roles})
               for roles in (("Target",), ("PerpOrg", "Target", "Victim", "Weapon"),
                             ("PerpInd", "PerpOrg", "Target", "Victim", "Weapon"))]
            + [(f"shipped, types at {t}", shipped, {**full, "type_threshold": t}) for t in (0.4, 0.5)]
            + [(f"shipped (+ fold {' '.join(LearnedStage.fold_roles)})", shipped, full)])


class HeldOut(LearnedStage):
    """The shipped stage, but its decisions for each training document are the held-out ones."""

    def __init__(self, lexicon, decisions: dict[str, tuple[dict[str, float], list[Entity]]]):
        super().__init__(lexicon)
        self.decisions = decisions

    def decide(self, doc, incidents):
        probs, ents = self.decisions[doc.doc_id]
        return dict(probs), ents


def held_out_decisions(train, rules, folds: int) -> dict[str, tuple[dict[str, float], list[Entity]]]:
    lexicon = rules.extractor.lexicon
    parsed = [(d, sentences(d.text)) for d in train]
    rows = document_rows(parsed, rules)
    clusters = LearnedStage(lexicon).tagger.clusters
    with tempfile.TemporaryDirectory() as tmp:
        found = crossfit_entities(parsed, lexicon, dict(CRF_PARAMS), Path(tmp),
                                  progress=lambda m: print(m, flush=True), clusters=clusters)
    found = [ents or [] for ents in found]
    rows = [r + tagger_features(ents) for r, ents in zip(rows, found)]
    targets = document_targets(train)
    order = list(range(len(train)))
    random.Random(1).shuffle(order)  # folds independent of the cross-fitting's (i % 5)
    probs: list[dict[str, float]] = [{} for _ in train]
    for k in range(folds):
        test = set(order[k::folds])
        tr = [i for i in range(len(train)) if i not in test]
        model = fit([rows[i] for i in tr], {key: [v[i] for i in tr] for key, v in targets.items()}, c=DOC_C, seed=0)
        for i in test:
            probs[i] = model.probabilities(rows[i])
    return {d.docid: (p, ents) for d, p, ents in zip(train, probs, found)}


def scores(split: str, pipeline: Pipeline) -> list[float]:
    report = evaluate_muc4(split, pipeline=pipeline)
    return [report[key]["micro"]["f1"] for _, key in METRICS]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    started = time.perf_counter()
    rules = Pipeline(PipelineConfig(learned=False, caseless_ner=False))  # the rule stage as the learned pipeline runs it
    train = sorted(load_split("train"), key=lambda d: d.docid)
    random.Random(0).shuffle(train)  # the order `train muc4` uses with seed 0
    held_out = Pipeline(PipelineConfig())
    held_out.learned = HeldOut(held_out.extractor.lexicon, held_out_decisions(train, rules, args.folds))
    shipped = Pipeline(PipelineConfig())
    rows = settings()
    width = max(len(name) for name, _, _ in rows) + 2
    print(f"\n{'setting':<{width}}" + "".join(f"{'train ' + m:>15}" for m, _ in METRICS)
          + "".join(f"{'dev ' + m:>13}" for m, _ in METRICS))
    for name, threshold, other in rows:
        for stage in (held_out.learned, shipped.learned):
            stage.entity_threshold = threshold
            for attribute, value in other.items():
                setattr(stage, attribute, value)
        print(f"{name:<{width}}" + "".join(f"{f:>15.2f}" for f in scores("train", held_out))
              + "".join(f"{f:>13.2f}" for f in scores("dev", shipped)), flush=True)
    print(f"\nshipped: {LearnedStage.entity_threshold}, share_organisation={LearnedStage.share_organisation}, "
          f"one_act_at_least={LearnedStage.one_act_at_least}, recode_other={LearnedStage.recode_other}, "
          f"split_roles={LearnedStage.split_roles}, untitle_roles={LearnedStage.untitle_roles}, "
          f"placeless_roles={LearnedStage.placeless_roles}, whole_roles={LearnedStage.whole_roles}, "
          f"fold_roles={LearnedStage.fold_roles}, "
          f"type_threshold={LearnedStage.type_threshold}; "
          f"train with held-out entities and document "
          f"probabilities ({args.folds} folds), dev with the shipped model; {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
