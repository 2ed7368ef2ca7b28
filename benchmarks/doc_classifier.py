"""The document classifiers (relevance and incident types) with and without the tagger features.

The decisions per document (does it report a relevant incident; of which types) are the biggest
lever on the MUC-4 template scores. This script measures what the role tagger's findings add to
the classifiers' features (:func:`eventcoder.learn.docfeatures.tagger_features`), the way
``eventcoder train muc4`` builds them: for the training documents the tagger features are
cross-fitted (each from a tagger trained on the other folds), so they are as good as on unseen
documents and no better.

Prints, for the features without and with the tagger's: relevance accuracy and micro F1 of the
type decisions (a type counts when the document is found relevant and the type's probability is
at least 0.5) in five-fold cross-validation on MUC-4 train (folds other than the cross-fitting's),
and on dev with classifiers trained on all of train (dev's tagger features from the shipped
tagger, which is trained on all of train). About seven minutes on this machine:

    .venv/bin/python benchmarks/doc_classifier.py
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from eventcoder.learn.assemble import TYPES, entities
from eventcoder.learn.docfeatures import tagger_features
from eventcoder.learn.linear import fit
from eventcoder.learn.stage import LearnedStage
from eventcoder.learn.tokens import sentences
from eventcoder.learn.train import CRF_PARAMS, DOC_C, crossfit_tagger_features, document_rows, document_targets
from eventcoder.muc4.data import load_split
from eventcoder.pipeline import Pipeline, PipelineConfig

RELEVANCE = LearnedStage.relevance
TYPE_THRESHOLD = LearnedStage.type_threshold


def scores(train_rows, train_targets, test_rows, test_targets) -> tuple[float, float]:
    """(relevance accuracy, micro F1 of the type decisions) of classifiers fit on train."""
    model = fit(train_rows, train_targets, c=DOC_C, seed=0)
    right = tp = fp = fn = 0
    for i, row in enumerate(test_rows):
        p = model.probabilities(row)
        relevant = p["relevant"] >= RELEVANCE
        right += relevant == bool(test_targets["relevant"][i])
        for t in TYPES:
            said, gold = relevant and p[t] >= TYPE_THRESHOLD, bool(test_targets[t][i])
            tp, fp, fn = tp + (said and gold), fp + (said and not gold), fn + (gold and not said)
    return right / len(test_rows), 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    started = time.perf_counter()
    rules = Pipeline(PipelineConfig(learned=False, caseless_ner=False))
    lexicon = rules.extractor.lexicon
    train = sorted(load_split("train"), key=lambda d: d.docid)
    random.Random(0).shuffle(train)  # the order `train muc4` uses with seed 0
    dev = load_split("dev")

    def base_rows(docs):
        parsed = [(d, sentences(d.text)) for d in docs]
        return parsed, document_rows(parsed, rules)

    parsed_train, train_base = base_rows(train)
    tagger = LearnedStage(lexicon).tagger  # the shipped tagger, and the word clusters it was trained with
    with tempfile.TemporaryDirectory() as tmp:
        train_tags = crossfit_tagger_features(parsed_train, lexicon, dict(CRF_PARAMS), Path(tmp),
                                              progress=lambda m: print(m, flush=True), clusters=tagger.clusters)
    parsed_dev, dev_base = base_rows(dev)
    dev_tags = [tagger_features(entities(d.text, tagger.tag(d.text, s))) for d, s in parsed_dev]
    train_targets, dev_targets = document_targets(train), document_targets(dev)

    # cross-validation folds independent of the cross-fitting's (i % 5)
    order = list(range(len(train)))
    random.Random(1).shuffle(order)
    print(f"\n{'features':<22}{'CV relevance':>14}{'CV types F1':>13}{'dev relevance':>15}{'dev types F1':>14}")
    for name, with_tags in (("rules + words", False), ("+ tagger (shipped)", True)):
        rows = [b + (t if with_tags else []) for b, t in zip(train_base, train_tags)]
        accs, f1s = [], []
        for k in range(args.folds):
            test = set(order[k::args.folds])
            tr = [i for i in range(len(rows)) if i not in test]
            te = sorted(test)
            acc, f1 = scores([rows[i] for i in tr], {key: [v[i] for i in tr] for key, v in train_targets.items()},
                             [rows[i] for i in te], {key: [v[i] for i in te] for key, v in train_targets.items()})
            accs.append(acc)
            f1s.append(f1)
        dev_rows = [b + (t if with_tags else []) for b, t in zip(dev_base, dev_tags)]
        dacc, df1 = scores(rows, train_targets, dev_rows, dev_targets)
        print(f"{name:<22}{100 * statistics.mean(accs):>13.1f}%{100 * statistics.mean(f1s):>13.1f}"
              f"{100 * dacc:>14.1f}%{100 * df1:>14.1f}")
    print(f"\n{len(train)} train and {len(dev)} dev documents, {args.folds}-fold cross-validation; "
          f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
