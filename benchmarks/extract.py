"""Throughput and memory of the extraction pipeline on one CPU process.

Prints documents per second (median of --repeat runs, start-up excluded and reported
separately), peak resident memory, and the ratio against a baseline measured in the same
run: the same pipeline without spaCy NER.

    .venv/bin/python benchmarks/extract.py                 # MUC-4 dev texts from ../shared
    .venv/bin/python benchmarks/extract.py --samples       # the bundled sample reports
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

from eventcoder.pipeline import Pipeline, PipelineConfig
from eventcoder.records import Document


def load_docs(samples: bool, limit: int | None) -> list[Document]:
    if samples:
        from eventcoder.sample_reports import load_samples

        docs = load_samples()
    else:
        from eventcoder.muc4.data import load_split
        from eventcoder.muc4.evaluate import dateline_date

        docs = [Document(text=d.text, doc_id=d.docid, published=dateline_date(d.dateline)) for d in load_split("dev")]
    return docs[:limit] if limit else docs


def measure(config: PipelineConfig, docs: list[Document], repeat: int) -> tuple[float, float, str]:
    started = time.perf_counter()
    pipeline = Pipeline(config)
    pipeline.process(Document(text="Gunmen attacked a bus in Mosul on 3 May 2017."))  # loads everything lazy
    startup = time.perf_counter() - started
    rates = []
    for _ in range(repeat):
        t = time.perf_counter()
        for doc in docs:
            pipeline.process(doc)
        rates.append(len(docs) / (time.perf_counter() - t))
    return startup, statistics.median(rates), pipeline.name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", action="store_true", help="use the bundled sample reports")
    ap.add_argument("--limit", type=int, help="first N documents only")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    docs = load_docs(args.samples, args.limit)
    words = sum(len(d.text.split()) for d in docs)
    base_start, base_rate, _ = measure(PipelineConfig(ner=False), docs, args.repeat)
    full_start, full_rate, name = measure(PipelineConfig(), docs, args.repeat)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"documents: {len(docs)} ({words / len(docs):.0f} words each on average)")
    for label, rate, start in (("baseline (no NER):", base_rate, base_start),
                               (f"full pipeline ({name}):", full_rate, full_start)):
        print(f"{label:28} {rate:7.1f} docs/s  start-up {start:.1f} s")
    print(f"ratio full/baseline: {full_rate / base_rate:.2f}")
    print(f"peak memory (RSS): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
