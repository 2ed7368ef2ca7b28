"""How much can dev's 200 documents say? Bootstrap intervals for the shipped model's dev scores.

All three MUC-4 metrics are micro sums of per-document counters (GTT aligns templates within a
document), so each document's counters are computed once and the 200 documents are resampled
with replacement. Prints, per metric, the F1 on dev, the 95% interval of the resampled F1 and
the share of resamples at or above the issue's target. A difference between two models smaller
than about half the interval's width is not something dev alone can show; decisions are taken on
held-out train (benchmarks/entity_threshold.py), six times dev's size. About 15 s:

    taskset -c 0 .venv/bin/python benchmarks/muc4_bootstrap.py
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

from eventcoder.muc4.data import load_split
from eventcoder.muc4.evaluate import evaluate_muc4
from eventcoder.muc4.metrics import Prf, score_ceaf_ree, score_ceaf_rme, score_gtt

METRICS = (("GTT", score_gtt, 45.0), ("CEAF-REE", score_ceaf_ree, 50.0), ("CEAF-RME", score_ceaf_rme, 38.0))


def f1(counters: list[Prf]) -> float:
    return 100 * sum(counters, Prf()).f1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    docs = load_split("dev")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "dev.jsonl"
        evaluate_muc4("dev", predictions_out=out)
        predictions = {}
        for line in out.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            predictions[row["docid"]] = row["templates"]
    rng = random.Random(args.seed)
    draws = [[rng.randrange(len(docs)) for _ in docs] for _ in range(args.resamples)]
    print(f"MUC-4 dev, {len(docs)} documents, {args.resamples} resamples (seed {args.seed}), shipped model\n")
    print(f"{'metric':<10}{'F1':>8}{'95% interval':>18}{'target':>8}{'resamples >= target':>22}")
    for name, score, target in METRICS:
        per_doc = [score([d], {d.docid: predictions.get(d.docid, [])}).micro for d in docs]
        values = sorted(f1([per_doc[i] for i in draw]) for draw in draws)
        low, high = values[int(0.025 * len(values))], values[int(0.975 * len(values)) - 1]
        share = sum(v >= target for v in values) / len(values)
        print(f"{name:<10}{f1(per_doc):>8.2f}{f'{low:.2f} - {high:.2f}':>18}{target:>8.0f}{share:>21.1%}")


if __name__ == "__main__":
    main()
