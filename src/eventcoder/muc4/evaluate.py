"""``eventcoder evaluate muc4``: run the pipeline on a MUC-4 split and score it.

Each document's text goes through the same :class:`~eventcoder.pipeline.Pipeline` as any
report (publication date from the dateline); incidents become GTT templates through the
codebook crosswalk (:mod:`eventcoder.muc4.adapter`) and are scored with all three metrics.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any

from ..pipeline import Pipeline, PipelineConfig
from ..records import Document, SourceKind
from .adapter import muc4_incidents, to_templates
from .data import ROLES, load_split
from .metrics import Prf, score_ceaf_ree, score_ceaf_rme, score_gtt
from .raw_keys import load_raw_keys
from .slots import score_slots

_DATELINE = re.compile(r"\b(\d{1,2})\s+([A-Z]{3})\s+(\d{2})\b", re.IGNORECASE)
_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}


def dateline_date(dateline: str | None) -> dt.date | None:
    """The report date of a MUC dateline (``SAN SALVADOR, 3 JAN 90 (ACAN-EFE)``)."""
    if not dateline:
        return None
    m = _DATELINE.search(dateline)
    if not m or m.group(2).upper() not in _MONTHS:
        return None
    try:
        return dt.date(1900 + int(m.group(3)), _MONTHS[m.group(2).upper()], int(m.group(1)))
    except ValueError:
        return None


def muc4_document(d) -> Document:
    """A MUC-4 message as a :class:`Document`: publication date from its dateline. The text is
    kept flat as the processed splits give it (paragraph breaks are four spaces): restoring the
    breaks as blank lines was tried and split one incident into several records (234 templates
    on dev instead of 176) and parted figures from their acts (exact killed counts 59% -> 51%)."""
    return Document(text=d.text, doc_id=d.docid, published=dateline_date(d.dateline),
                    source="muc4", source_kind=SourceKind.NEWS)


def _prf(p: Prf) -> dict[str, float]:
    pr, rc, f1 = p.as_percent()
    return {"p": pr, "r": rc, "f1": f1, "p_num": p.p_num, "p_den": p.p_den, "r_num": p.r_num, "r_den": p.r_den}


def evaluate_muc4(
    split: str = "dev",
    data_dir: Path | None = None,
    predictions_out: Path | None = None,
    limit: int | None = None,
    pipeline: Pipeline | None = None,
    slots: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Score the extractor on ``split``; returns a JSON-ready report.

    ``slots`` (a subset of ``date``, ``location``, ``effects``) also scores those slots against
    the raw answer keys (:func:`eventcoder.muc4.slots.score_slots`) under ``report["slots"]``.
    """
    docs = load_split(split, data_dir)
    if limit:
        docs = docs[:limit]
    started = time.perf_counter()
    pipeline = pipeline or Pipeline(PipelineConfig())
    lexicon = pipeline.extractor.lexicon
    model = pipeline.learned.name if pipeline.learned is not None else None
    predictions: dict[str, list[dict[str, Any]]] = {}
    incidents: dict[str, list[Any]] = {}
    published: dict[str, dt.date | None] = {}
    rejected = 0
    for d in docs:
        doc = muc4_document(d)
        published[d.docid] = doc.published
        result = pipeline.process(doc)
        if result.rejected is not None:
            rejected += 1
        predictions[d.docid] = to_templates(result.incidents, d.text, lexicon, model)
        incidents[d.docid] = muc4_incidents(result.incidents, model)
    elapsed = time.perf_counter() - started
    if predictions_out:
        predictions_out.parent.mkdir(parents=True, exist_ok=True)
        with open(predictions_out, "w", encoding="utf-8") as fh:
            for d in docs:
                fh.write(json.dumps({"docid": d.docid, "templates": predictions[d.docid]}) + "\n")
    gtt = score_gtt(docs, predictions)
    ree = score_ceaf_ree(docs, predictions)
    rme = score_ceaf_rme(docs, predictions)
    report: dict[str, Any] = {
        "split": split,
        "documents": len(docs),
        "rejected": rejected,
        "extractor": pipeline.name,
        "codebooks": lexicon.versions,
        "seconds": round(elapsed, 2),
        "docs_per_second": round(len(docs) / elapsed, 1) if elapsed else None,
        "gtt": {"micro": _prf(gtt.micro), **{b: _prf(p) for b, p in gtt.buckets.items()},
                "approximate_docs": gtt.n_approximate},
        "ceaf_ree": {"micro": _prf(ree.micro), **{r: _prf(ree.roles[r]) for r in ROLES}},
        "ceaf_rme_phi_subset": {"micro": _prf(rme.micro)},
        "templates_predicted": sum(len(t) for t in predictions.values()),
        "templates_gold": sum(len(d.templates) for d in docs),
    }
    if slots:
        raw = load_raw_keys(split, data_dir)
        gold = {d.docid: raw.get(d.docid, []) for d in docs}
        report["slots"] = score_slots(gold, incidents, published, slots, muc4_types=lexicon.muc4)
    return report


def render_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(title=f"MUC-4 {report['split']} ({report['documents']} documents, extractor {report['extractor']})")
    t.add_column("metric")
    t.add_column("bucket")
    for col in ("P", "R", "F1"):
        t.add_column(col, justify="right")
    for metric, key in (("GTT template F1", "gtt"), ("CEAF-REE", "ceaf_ree"), ("CEAF-RME phi-subset", "ceaf_rme_phi_subset")):
        for bucket, v in report[key].items():
            if not isinstance(v, dict):
                continue
            t.add_row(metric if bucket == "micro" else "", bucket, f"{v['p']:.2f}", f"{v['r']:.2f}", f"{v['f1']:.2f}")
    console.print(t)
    if report["rejected"]:
        console.print(f"[bold red]{report['rejected']} documents were rejected[/bold red] (scored as predicting "
                      "nothing): the extractor failed on them; rerun with --format json for the count, "
                      "and code them with `eventcoder extract` to see why.")
    console.print(
        f"{report['templates_predicted']} templates predicted, {report['templates_gold']} in the gold; "
        f"{report['docs_per_second']} documents/s ({report['seconds']} s, start-up included)."
    )
    if "slots" in report:
        console.print(_slots_table(report["slots"]))
        d = report["slots"].get("date")
        if d:
            base = d["publication_date_baseline"]
            console.print(
                f"{d['gold_templates_with_day']} gold templates give a day "
                f"(left out: {d['gold_day_left_out']['open_alternative']} whose key also allows "
                f"'on or before', {d['gold_day_left_out']['year_unknown']} with no year, "
                f"{d['gold_day_left_out']['after_publication']} after the report's date); "
                f"{d['predicted_incidents_without_date']} predicted incidents have no date; "
                f"the dateline day itself is the gold day for {base['same_day']}% of {base['n']}."
            )
        counts = report["slots"].get("effects", {}).get("counts")
        if counts:
            console.print("Exact counts: " + "; ".join(
                f"{kind} {v['correct']}/{v['n']} (gold 0 in {v['gold_zero']}; "
                f"{v['no_count']} without a count, {v['inexact']} not exact; "
                f"{v['gold_templates']} gold templates give one)"
                for kind, v in counts.items()
            ) + ".")


def _slots_table(slots: dict[str, Any]):
    from rich.table import Table

    m = slots["matching"]
    t = Table(title=f"Slots vs raw keys ({m['matched_pairs']} matched pairs, "
                    f"{m['predicted_incidents']} predicted incidents, {m['gold_templates']} gold templates)")
    t.add_column("slot")
    t.add_column("measure")
    for col in ("accuracy", "n", "P", "R", "F1"):
        t.add_column(col, justify="right")

    def num(v: Any) -> str:
        return "-" if v is None else f"{v:.2f}"

    rows = []
    if "date" in slots:
        d = slots["date"]
        rows.append(("date", "exact day", d["exact_day_accuracy"], d["matched_gold_with_day"], d["exact_day"]))
        rows.append(("", "window contains gold", d["window_contains_gold"]["accuracy"], d["window_contains_gold"]["n"], None))
        rows.append(("", "window overlaps gold", d["window_overlaps_gold"]["accuracy"], d["window_overlaps_gold"]["n"], None))
    if "location" in slots:
        for i, part in enumerate(("country", "place")):
            v = slots["location"][part]
            rows.append(("location" if i == 0 else "", part, v["accuracy"], v["n"], v))
    if "effects" in slots:
        for i, part in enumerate(("death", "injury")):
            v = slots["effects"][part]
            rows.append(("effects" if i == 0 else "", part, v["accuracy"], v["n"], v))
        for kind, v in slots["effects"].get("counts", {}).items():
            rows.append(("", f"{kind}: exact count", v["accuracy"], v["n"], None))
    for slot, measure, acc, n, prf in rows:
        p, r, f1 = (prf["p"], prf["r"], prf["f1"]) if prf else (None, None, None)
        t.add_row(slot, measure, num(acc), str(n), num(p), num(r), num(f1))
    return t
