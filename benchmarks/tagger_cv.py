"""The role tagger alone, by five-fold cross-validation on MUC-4 train: with and without word clusters.

The template scores mix the tagger with the document decisions; this measures the tagger on its
own. Each fold's tagger is trained on the relevant training documents of the other four folds
(with word clusters learned from those folds' text only, as ``eventcoder train muc4`` learns them
from the training text) and tags the relevant documents of its own fold; the entities it finds
(:func:`eventcoder.learn.assemble.entities`) are scored with CEAF-REE against the keys. Prints
micro P/R/F1 and per-role F1 for each variant; about four minutes a variant on one core:

    taskset -c 0 .venv/bin/python benchmarks/tagger_cv.py
    taskset -c 0 .venv/bin/python benchmarks/tagger_cv.py --variant clusters --c2 0.1
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from eventcoder.learn.assemble import entities
from eventcoder.learn.clusters import learn_clusters
from eventcoder.learn.tagger import RoleTagger
from eventcoder.learn.tokens import sentences
from eventcoder.learn.train import CRF_PARAMS, train_tagger
from eventcoder.lexicon import Lexicon
from eventcoder.muc4.data import ROLES, load_split
from eventcoder.muc4.metrics import score_ceaf_ree

VARIANTS = ("words", "clusters")  # the tagger before word clusters, and the shipped one


def run(variant: str, parsed, lexicon: Lexicon, params: dict, folds: int) -> dict:
    preds: dict[str, dict[str, list[list[str]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(folds):
            clusters = None
            if variant == "clusters":  # from the training folds' text only
                clusters = learn_clusters([[t.text for s in sents for t in s]
                                           for i, (_, sents) in enumerate(parsed) if i % folds != k])
            path = Path(tmp) / f"fold{k}.crfsuite"
            train_tagger(parsed, lambda i: i % folds != k, path, lexicon, params, clusters)
            tagger = RoleTagger(path, lexicon, clusters=clusters)
            for i, (d, sents) in enumerate(parsed):
                if i % folds == k:
                    ents = entities(d.text, tagger.tag(d.text, sents))
                    preds[d.docid] = {r: [[d.text[e.first.start:e.first.end]] for e in ents if e.role == r]
                                      for r in ROLES}
    return preds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variant", action="append", choices=VARIANTS, help="default: both")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--c1", type=float, default=CRF_PARAMS["c1"])
    ap.add_argument("--c2", type=float, default=CRF_PARAMS["c2"])
    ap.add_argument("--data-dir", type=Path, default=None)
    args = ap.parse_args()
    docs = sorted(load_split("train", args.data_dir), key=lambda d: d.docid)
    random.Random(0).shuffle(docs)  # the order `train muc4` uses with seed 0
    docs = [d for d in docs if d.templates]
    parsed = [(d, sentences(d.text)) for d in docs]
    lexicon = Lexicon()
    print(f"MUC-4 train, {len(docs)} relevant documents, {args.folds}-fold CV; CEAF-REE of the tagger's entities")
    print(f"{'variant':<10}{'c1':>6}{'c2':>6}{'P':>8}{'R':>8}{'F1':>8}  " + "  ".join(f"{r:>8}" for r in ROLES) + "  seconds")
    for variant in args.variant or VARIANTS:
        params = {**CRF_PARAMS, "c1": args.c1, "c2": args.c2}
        if variant == "words" and args.c2 == CRF_PARAMS["c2"] and not args.variant:
            params["c2"] = 0.01  # the tagger before clusters, as it was shipped
        started = time.perf_counter()
        res = score_ceaf_ree(docs, run(variant, parsed, lexicon, params, args.folds))
        p, r, f = res.micro.as_percent()
        roles = "  ".join(f"{res.roles[role].as_percent()[2]:>8.2f}" for role in ROLES)
        print(f"{variant:<10}{params['c1']:>6}{params['c2']:>6}{p:>8.2f}{r:>8.2f}{f:>8.2f}  {roles}  "
              f"{time.perf_counter() - started:.0f}", flush=True)


if __name__ == "__main__":
    main()
