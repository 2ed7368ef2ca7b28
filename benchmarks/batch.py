"""`eventcoder batch` throughput: 1 and 2 local workers, a 2-worker Dask LocalCluster, and the
extractor's own single-process speed as the baseline, on one synthetic corpus.

The corpus (:mod:`corpus`: reports assembled from the bundled samples with varied places, groups,
dates and figures; seeded, so every run codes the same documents) is written as gzipped JSONL to
a temporary folder, outside the repository. Each variant runs the real command in a fresh
process, ``eventcoder batch CORPUS --engine E --workers N --db FRESH.db``, and is timed from
outside around the whole command (interpreter, pipeline construction in every worker, the Dask
cluster's start and stop: what a user waits for); the command's own docs/s (from its summary
line, counted from its first chunk) and the CPU seconds of the command and its workers (the
part of the cost that other load on the machine does not inflate) are shown beside it. Runs are interleaved (local 1, local 2,
dask 2, then again) and speeds are medians over --repeat runs. Peak resident memory is sampled
(psutil, every 0.2 s) for the coordinator (the command's process) and for each worker process
(its child processes). The baseline is ``Pipeline.process`` in a loop over the first
--baseline-docs documents in this process, start-up excluded.

    .venv/bin/python benchmarks/batch.py                       # 20,000 documents, the full pipeline
    .venv/bin/python benchmarks/batch.py --docs 400 --rules-only --chunk-size 20   # a quick check
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import write_corpus  # noqa: E402

# the `batch` command of the installed eventcoder (the CLI group's, or batch_cli's before it is registered)
CHILD = """import sys
from eventcoder import cli
command = cli.cli.commands.get("batch")
if command is None:
    from eventcoder.batch_cli import batch as command
command.main(sys.argv[1:], prog_name="eventcoder batch")
"""
TARGET_SCALING = 1.7  # 2 workers / 1 worker
TARGET_OVERHEAD = 0.15  # (dask - local) / local, same workers


class PeakMemory(threading.Thread):
    """Peak RSS of a process and, separately, of each of its descendants, sampled."""

    def __init__(self, pid: int, every: float = 0.2):
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.every = every
        self.peaks: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self._stop_flag = threading.Event()

    def run(self) -> None:
        while not self._stop_flag.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                return
            for p in procs:
                try:
                    rss = p.memory_info().rss
                    if p.pid not in self.names:
                        self.names[p.pid] = " ".join(p.cmdline()[1:4])
                except psutil.Error:
                    continue
                self.peaks[p.pid] = max(self.peaks.get(p.pid, 0), rss)
            self._stop_flag.wait(self.every)

    def stop(self) -> None:
        self._stop_flag.set()
        self.join()

    def coordinator_mb(self) -> float:
        return self.peaks.get(self.root.pid, 0) / 2**20

    def worker_mb(self) -> list[float]:
        """Peaks of the worker processes: children that are not multiprocessing's helpers."""
        helpers = ("resource_tracker", "semaphore_tracker", "forkserver")
        return sorted((rss / 2**20 for pid, rss in self.peaks.items()
                       if pid != self.root.pid and not any(h in self.names.get(pid, "") for h in helpers)),
                      reverse=True)


def store_digest(db: str) -> tuple[str, dict[str, int]]:
    """A hash of the store's records (incidents with every field, documents, rejected) and counts."""
    from eventcoder.store import Store

    h = hashlib.sha256()
    with Store(db) as store:
        incidents = sorted(json.dumps(i.to_dict(), sort_keys=True, default=str) for i in store.incidents())
        documents = sorted(d.doc_id for d in store.documents())
        rejected = sorted(json.dumps(r.to_dict(), sort_keys=True, default=str) for r in store.rejected())
    for line in (*incidents, "--", *documents, "--", *rejected):
        h.update(line.encode("utf-8") + b"\n")
    return h.hexdigest()[:16], {"incidents": len(incidents), "documents": len(documents), "rejected": len(rejected)}


def run_batch_command(corpus: Path, work: Path, engine: str, workers: int, args: argparse.Namespace,
                      n: int) -> dict[str, Any]:
    db = work / f"{engine}-{workers}-{n}.db"
    cmd = [sys.executable, "-c", CHILD, str(corpus), "--engine", engine, "--workers", str(workers),
           "--db", str(db), "--chunk-size", str(args.chunk_size)]
    if args.rules_only:
        cmd.append("--rules-only")
    if args.parquet:
        cmd += ["--out", str(work / f"{engine}-{workers}-{n}.parquet")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    memory = PeakMemory(proc.pid)
    memory.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    memory.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command and the workers it waited for
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if proc.returncode not in (0, 1):  # 1: some inputs were rejected (counted below)
        sys.exit(f"{engine} with {workers} workers failed (exit {proc.returncode}):\n{err[-3000:]}")
    summary = next((line for line in err.splitlines() if line.startswith("Coded ")), "")
    own_rate = None
    if "docs/s" in summary:
        own_rate = float(summary.split("(", 1)[1].split(" docs/s", 1)[0])
    digest, counts = store_digest(str(db))
    inputs = counts["documents"] + counts["rejected"]
    db.unlink(missing_ok=True)
    shutil.rmtree(work / f"{engine}-{workers}-{n}.parquet", ignore_errors=True)
    return {"wall_s": wall, "cpu_s": cpu, "docs_per_second": inputs / wall, "own_docs_per_second": own_rate, "digest": digest,
            "counts": counts, "coordinator_mb": memory.coordinator_mb(), "worker_mb": memory.worker_mb()[:workers]}


def baseline(corpus: Path, limit: int, rules_only: bool) -> dict[str, Any]:
    """The extractor alone: Pipeline.process in a loop in this process, start-up excluded."""
    from eventcoder.ingest import IngestOptions, read_paths
    from eventcoder.pipeline import Pipeline, PipelineConfig
    from eventcoder.records import Document

    docs = []
    for item in read_paths([str(corpus)], IngestOptions()):
        if isinstance(item, Document):
            docs.append(item)
            if len(docs) == limit:
                break
    started = time.perf_counter()
    pipeline = Pipeline(PipelineConfig(learned=not rules_only))
    pipeline.process(Document(text="Gunmen attacked a bus in Mosul on 3 May 2017."))  # loads everything lazy
    startup = time.perf_counter() - started
    t = time.perf_counter()
    for doc in docs:
        pipeline.process(doc)
    return {"docs": len(docs), "docs_per_second": len(docs) / (time.perf_counter() - t), "startup_s": startup,
            "extractor": pipeline.name}


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(runs, key=lambda r: r["docs_per_second"])
    mid = dict(ordered[len(ordered) // 2])
    mid["all"] = [round(r["docs_per_second"], 1) for r in runs]
    mid["wall_s"] = statistics.median(r["wall_s"] for r in runs)
    mid["cpu_s"] = statistics.median(r["cpu_s"] for r in runs)
    mid["coordinator_mb"] = max(r["coordinator_mb"] for r in runs)
    mid["worker_mb"] = max((r["worker_mb"] for r in runs), key=lambda w: max(w, default=0))
    return mid


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=20000, help="documents in the synthetic corpus (default 20000)")
    ap.add_argument("--repeat", type=int, default=1, help="interleaved runs of each variant; medians (default 1)")
    ap.add_argument("--chunk-size", type=int, default=100, help="eventcoder batch --chunk-size (default 100)")
    ap.add_argument("--workers", type=int, default=2, help="workers of the parallel variants (default 2)")
    ap.add_argument("--rules-only", action="store_true", help="the rules alone, without the learned stage")
    ap.add_argument("--parquet", action="store_true", help="also write Parquet parts (--out)")
    ap.add_argument("--baseline-docs", type=int, default=500, help="documents for the single-process baseline")
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--keep", metavar="DIR", help="write the corpus here and keep it (default: a temp folder)")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="eventcoder-batch-bench-"))
    corpus = Path(args.keep) if args.keep else work / "corpus"
    try:
        t = time.perf_counter()
        files = write_corpus(corpus, args.docs, args.seed)
        size = sum(f.stat().st_size for f in files) / 2**20
        print(f"corpus: {args.docs:,} documents, {len(files)} gzipped JSONL files ({size:.1f} MB) in {corpus} "
              f"(seed {args.seed}, {time.perf_counter() - t:.1f} s)")
        base = baseline(corpus, min(args.baseline_docs, args.docs), args.rules_only)
        cores = len(os.sched_getaffinity(0))
        print(f"cores available: {cores}, chunk size {args.chunk_size}, extractor {base['extractor']}, "
              f"repeat {args.repeat}")
        if cores < args.workers + 1:
            print(f"note: {args.workers} workers and the coordinator (reading, writing the store) share {cores} cores")
        variants = [("local", 1), ("local", args.workers), ("dask", args.workers)]
        runs: dict[tuple[str, int], list[dict[str, Any]]] = {v: [] for v in variants}
        for n in range(args.repeat):  # interleaved, so that a noisy neighbour hits every variant alike
            for engine, workers in variants:
                r = run_batch_command(corpus, work, engine, workers, args, n)
                runs[(engine, workers)].append(r)
                print(f"  run {n + 1}: {engine} x{workers}: {r['docs_per_second']:.1f} docs/s ({r['wall_s']:.1f} s)",
                      flush=True)
        result = {v: median_run(rs) for v, rs in runs.items()}
        print()
        print(f"{'':24} {'docs/s':>8} {'wall s':>8} {'CPU s':>7} {'own docs/s':>10} {'coord MB':>9} {'worker MB':>12}"
              "  runs (docs/s)")
        print(f"{'baseline (1 process)':24} {base['docs_per_second']:8.1f} {'':>8} {'':>7} {'':>10} {'':>9} {'':>12}  "
              f"Pipeline.process over {base['docs']} docs, start-up {base['startup_s']:.1f} s excluded")
        for (engine, workers), r in result.items():
            own = f"{r['own_docs_per_second']:.1f}" if r["own_docs_per_second"] is not None else "-"
            wmb = "/".join(f"{m:.0f}" for m in r["worker_mb"]) or "(in coord)"
            print(f"{f'batch {engine} x{workers}':24} {r['docs_per_second']:8.1f} {r['wall_s']:8.1f} {r['cpu_s']:7.1f} {own:>10} "
                  f"{r['coordinator_mb']:9.0f} {wmb:>12}  {r['all']}")
        one, many, dask = (result[v] for v in variants)
        scaling = many["docs_per_second"] / one["docs_per_second"]
        overhead = (dask["wall_s"] - many["wall_s"]) / many["wall_s"]
        digests = {r["digest"] for rs in runs.values() for r in rs}
        counts = one["counts"]
        print()
        print(f"records: {counts['documents']:,} documents, {counts['incidents']:,} incidents, "
              f"{counts['rejected']:,} rejected; the same in every store: {'yes' if len(digests) == 1 else 'NO'}")
        print(f"batch local x1 / baseline: {one['docs_per_second'] / base['docs_per_second']:.2f}")
        print(f"scaling local x{args.workers} / x1: {scaling:.2f}")
        print(f"Dask overhead (dask - local) / local, x{args.workers}: {overhead:+.1%} of wall time, "
              f"{(dask['cpu_s'] - many['cpu_s']) / many['cpu_s']:+.1%} of CPU time (less sensitive to a busy machine)")
        print()
        print("targets (issue 8):")
        for label, ok, value in ((f"{args.workers} workers >= {TARGET_SCALING}x one worker", scaling >= TARGET_SCALING,
                                  f"{scaling:.2f}x"),
                                 (f"Dask overhead < {TARGET_OVERHEAD:.0%}", overhead < TARGET_OVERHEAD, f"{overhead:+.1%}"),
                                 ("same records from every engine", len(digests) == 1, f"{len(digests)} digest(s)")):
            print(f"  {'PASS' if ok else 'FAIL'}  {label:34} {value}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
