"""MUC-4 dev: the learned extractor against the previous one (the rules alone), with speed and memory.

Each extractor runs in a fresh Python process that imports eventcoder, builds its Pipeline and
scores MUC-4 dev with ``evaluate_muc4``, so docs/s includes the real start-up (spaCy, the
lexicons, the model), timed from the parent around the whole process. Prints GTT, CEAF-REE and CEAF-RME micro P/R/F1, per-role F1, docs/s,
peak resident memory of each process, the ratios learned/baseline, and the targets of the
learned stage with pass/fail marks; then, scores only, the same model with templates assembled
the other way (one per predicted type) and told each document's true relevance (a diagnostic of
what the relevance classifier costs). The docs/s target is for one core, so pin it:

    taskset -c 0 .venv/bin/python benchmarks/muc4.py
    taskset -c 0 .venv/bin/python benchmarks/muc4.py --limit 50 --data-dir ../shared/data/muc4
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

from eventcoder.muc4.data import ROLES

METRICS = (("GTT", "gtt"), ("CEAF-REE", "ceaf_ree"), ("CEAF-RME", "ceaf_rme_phi_subset"))
EXTRACTORS = ("rules", "learned")  # baseline first
APPROACHES = ("typesplit", "oracle")  # the same model assembled the other way; given the true relevance (scores only)


def typesplit_report(data_dir: str | None, limit: int | None) -> dict[str, Any]:
    """The other way to assemble templates from the same model (:func:`eventcoder.learn.assemble.assemble`):
    one template per accepted incident type, fillers split by the nearest trigger of each type,
    perpetrators shared, instead of the rules' incidents as the skeleton."""
    from pathlib import Path

    from eventcoder.learn.assemble import assemble, entities
    from eventcoder.learn.docfeatures import document_features, tagger_features
    from eventcoder.learn.tokens import sentences
    from eventcoder.muc4.data import load_split
    from eventcoder.muc4.evaluate import muc4_document
    from eventcoder.muc4.metrics import score_ceaf_ree, score_ceaf_rme, score_gtt
    from eventcoder.pipeline import Pipeline, PipelineConfig

    learned = Pipeline(PipelineConfig(learned=True))
    rules = Pipeline(PipelineConfig(learned=False, caseless_ner=False))  # as the learned pipeline runs them
    stage, lexicon = learned.learned, learned.extractor.lexicon
    docs = load_split("dev", Path(data_dir) if data_dir else None)[:limit]
    predictions = {}
    for d in docs:
        doc = muc4_document(d)
        sents = sentences(doc.text)
        spans = stage.tagger.tag(doc.text, sents)
        probs = stage.documents.probabilities(
            document_features(doc.text, sents, doc.published, rules.process(doc).incidents, lexicon)
            + tagger_features(entities(doc.text, spans)))
        templates = assemble(doc.text, sents, spans, probs, lexicon, relevance=stage.relevance)
        predictions[d.docid] = [{"incident_type": t.incident_type,
                                 **{r: [[doc.text[e.first.start:e.first.end]] for e in t.role(r)] for r in ROLES}}
                                for t in templates]
    gtt, ree, rme = score_gtt(docs, predictions), score_ceaf_ree(docs, predictions), score_ceaf_rme(docs, predictions)

    def prf(p) -> dict[str, float]:
        pr, rc, f1 = p.as_percent()
        return {"p": pr, "r": rc, "f1": f1}

    return {
        "extractor": f"{stage.name} (type split)", "documents": len(docs), "rejected": 0,
        "gtt": {"micro": prf(gtt.micro), **{b: prf(v) for b, v in gtt.buckets.items()}},
        "ceaf_ree": {"micro": prf(ree.micro), **{r: prf(ree.roles[r]) for r in ROLES}},
        "ceaf_rme_phi_subset": {"micro": prf(rme.micro)},
    }


def oracle_pipeline(data_dir: str | None):
    """The shipped learned pipeline, told whether each MUC-4 document is relevant (its key has
    templates) instead of asking its relevance classifier: what that one decision costs. A
    diagnostic, not an extractor."""
    from pathlib import Path

    from eventcoder.muc4.data import load_split
    from eventcoder.pipeline import Pipeline, PipelineConfig

    relevant = {d.docid: bool(d.templates) for d in load_split("dev", Path(data_dir) if data_dir else None)}
    pipeline = Pipeline(PipelineConfig(learned=True))
    decide = pipeline.learned.decide

    def with_true_relevance(doc, incidents):
        probs, ents = decide(doc, incidents)
        return {**probs, "relevant": 1.0 if relevant[doc.doc_id] else 0.0}, ents

    pipeline.learned.decide = with_true_relevance
    return pipeline


def one(extractor: str, data_dir: str | None, limit: int | None) -> dict[str, Any]:
    """Build the pipeline and score dev in this process (the child's side)."""
    started = time.perf_counter()
    from pathlib import Path

    from eventcoder.muc4.evaluate import evaluate_muc4
    from eventcoder.pipeline import Pipeline, PipelineConfig

    if extractor == "typesplit":
        report = typesplit_report(data_dir, limit)
        total = time.perf_counter() - started
        return {"extractor": report["extractor"], "documents": report["documents"], "rejected": 0,
                "startup_s": 0.0, "total_s": round(total, 2), "docs_per_second": report["documents"] / total,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "scores": {key: report[key] for _, key in METRICS},
                "gtt_roles": {r: report["gtt"][r]["f1"] for r in ("incident_type", *ROLES)}}
    pipeline = oracle_pipeline(data_dir) if extractor == "oracle" else Pipeline(PipelineConfig(learned=extractor == "learned"))
    startup = time.perf_counter() - started
    report = evaluate_muc4("dev", Path(data_dir) if data_dir else None, limit=limit, pipeline=pipeline)
    total = time.perf_counter() - started
    return {
        "extractor": report["extractor"],
        "documents": report["documents"],
        "rejected": report["rejected"],
        "startup_s": round(startup, 2),
        "total_s": round(total, 2),
        "docs_per_second": report["documents"] / total,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
        "scores": {key: report[key] for _, key in METRICS},
        "gtt_roles": {r: report["gtt"][r]["f1"] for r in ("incident_type", *ROLES)},
    }


def measure(extractor: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--one", extractor]
    if args.data_dir:
        cmd += ["--data-dir", args.data_dir]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"the {extractor} run failed (exit {proc.returncode}); its error is above")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall  # the whole process: interpreter, imports, model loading, scoring
    result["docs_per_second"] = result["documents"] / wall
    return result


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median docs/s (scores are the same in every run), with all speeds."""
    ordered = sorted(runs, key=lambda r: r["docs_per_second"])
    mid = dict(ordered[len(ordered) // 2])
    mid["all_docs_per_second"] = [round(r["docs_per_second"], 1) for r in runs]
    return mid


def report(base: dict[str, Any], learned: dict[str, Any]) -> None:
    runs = {"baseline": base, "learned": learned}
    print(f"MUC-4 dev, {learned['documents']} documents; baseline {base['extractor']}, learned {learned['extractor']}")
    cores = len(os.sched_getaffinity(0))
    if cores != 1:
        print(f"warning: {cores} cores available; the docs/s target is for one (taskset -c 0)")
    print()
    print(f"{'micro':10} {'':9} {'P':>6} {'R':>6} {'F1':>6}")
    for label, key in METRICS:
        for name, run in runs.items():
            m = run["scores"][key]["micro"]
            print(f"{label:10} {name:9} {m['p']:6.2f} {m['r']:6.2f} {m['f1']:6.2f}")
    print()
    print(f"{'F1 by role':14} {'GTT base':>9} {'learned':>8} {'REE base':>9} {'learned':>8}")
    for role in ("incident_type", *ROLES):
        ree = [run["scores"]["ceaf_ree"].get(role, {}).get("f1") for run in runs.values()]
        ree_cells = " ".join(f"{v:8.2f}" if v is not None else f"{'-':>8}" for v in ree)
        print(f"{role:14} {base['gtt_roles'][role]:9.2f} {learned['gtt_roles'][role]:8.2f} {ree_cells:>18}")
    print()
    for name, run in runs.items():
        print(f"{name:9} {run['docs_per_second']:6.1f} docs/s, median of {run['all_docs_per_second']} "
              f"(whole process: {run['wall_s']:.1f} s, of which pipeline construction {run['startup_s']:.1f} s), "
              f"peak memory {run['peak_mb']:.0f} MB, {run['rejected']} rejected")
    print()

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}" if b else "n/a"

    f1 = {label: [run["scores"][key]["micro"]["f1"] for run in (learned, base)] for label, key in METRICS}
    print("learned/baseline: " + ", ".join(f"{label} F1 {ratio(*v)}" for label, v in f1.items())
          + f", docs/s {ratio(learned['docs_per_second'], base['docs_per_second'])}"
          + f", memory {ratio(learned['peak_mb'], base['peak_mb'])}")
    print()
    targets = [
        ("GTT F1", f1["GTT"][0], ">=", 45.0),
        ("CEAF-REE F1", f1["CEAF-REE"][0], ">=", 50.0),
        ("CEAF-RME F1", f1["CEAF-RME"][0], ">=", 38.0),
        ("docs/s (one core)", learned["docs_per_second"], ">=", 20.0),
        ("peak memory MB", learned["peak_mb"], "<", 1.5 * 1024),
    ]
    print("targets (learned extractor):")
    for label, value, op, goal in targets:
        ok = value >= goal if op == ">=" else value < goal
        print(f"  {'PASS' if ok else 'FAIL'}  {label:18} {value:8.2f} {op} {goal:g}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", help="folder with gtt_dev.json (default ../shared/data/muc4)")
    ap.add_argument("--limit", type=int, help="first N dev documents only")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each extractor; speeds are medians (default 3)")
    ap.add_argument("--one", choices=EXTRACTORS + APPROACHES, help=argparse.SUPPRESS)  # the child's side
    args = ap.parse_args()
    if args.one:
        from eventcoder.errors import EventcoderError

        stdout, sys.stdout = sys.stdout, sys.stderr  # only the JSON line goes to stdout
        try:
            result = one(args.one, args.data_dir, args.limit)
        except EventcoderError as exc:
            sys.exit(f"Error: {exc}")
        print(json.dumps(result), file=stdout)
        return
    runs: dict[str, list[dict[str, Any]]] = {e: [] for e in EXTRACTORS}
    for _ in range(args.repeat):  # interleaved, so that a noisy neighbour hits both alike
        for e in EXTRACTORS:
            runs[e].append(measure(e, args))
    base, learned = (median_run(runs[e]) for e in EXTRACTORS)
    report(base, learned)
    other, oracle = measure("typesplit", args), measure("oracle", args)
    print()
    print("approaches compared (same model, dev F1): templates from the rules' incidents (shipped) "
          "vs one template per predicted type; and the shipped assembly told each document's true "
          "relevance (a diagnostic: what the relevance classifier costs)")
    print(f"{'':34} {'GTT':>6} {'REE':>6} {'RME':>6}")
    for name, run in (("rules' incidents (shipped)", learned), ("one per predicted type", other),
                      ("shipped, true relevance (oracle)", oracle)):
        cells = " ".join(f"{run['scores'][key]['micro']['f1']:6.2f}" for _, key in METRICS)
        print(f"{name:34} {cells}")


if __name__ == "__main__":
    main()
