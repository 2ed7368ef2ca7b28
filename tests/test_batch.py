"""Batch coding with the local engine: the same records as sequential coding (1 and 2 workers,
store and Parquet), bounded memory, rejected inputs kept, bad options refused before any work."""

from __future__ import annotations

import gzip
import json
import sys
import threading
from collections import deque
from pathlib import Path

import pytest

from eventcoder.batch import (
    BatchConfig,
    Chunk,
    ChunkResult,
    LocalEngine,
    code_chunk,
    make_engine,
    run_batch,
    run_key,
)
from eventcoder.errors import ConfigError
from eventcoder.ingest import IngestOptions, read_paths
from eventcoder.pipeline import Pipeline, PipelineConfig, Result
from eventcoder.records import Document, Rejected, to_dict
from eventcoder.sample_reports import load_samples
from eventcoder.store import Store

RULES = PipelineConfig(learned=False)  # quicker to build and run than the learned stage


# -- a small corpus from the bundled samples, with bad inputs ------------------------------------


def write_corpus(folder: Path) -> Path:
    """The samples as .txt, .jsonl and .jsonl.gz files, plus an empty file and binary junk."""
    folder.mkdir(parents=True, exist_ok=True)
    samples = load_samples()
    for doc in samples[:5]:
        (folder / f"{doc.doc_id}.txt").write_text(doc.text, encoding="utf-8")
    with open(folder / "wire.jsonl", "w", encoding="utf-8") as fh:
        for doc in samples[5:11]:
            fh.write(json.dumps({"text": doc.text, "doc_id": doc.doc_id, "source": doc.source,
                                 "published": doc.published.isoformat() if doc.published else None}) + "\n")
    with gzip.open(folder / "archive.jsonl.gz", "wt", encoding="utf-8") as fh:
        for doc in samples[11:]:
            fh.write(json.dumps({"text": doc.text, "source": doc.source}) + "\n")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    (folder / "junk.txt").write_bytes(bytes(range(256)) * 8)
    return folder


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus") / "in")


# -- what a store and a Parquet folder hold -------------------------------------------------------


def store_dump(db: str | Path) -> dict:
    """Documents, incidents (every stored version) and rejected records, by id, as full records."""
    with Store(str(db)) as store:
        return {
            "documents": {d.doc_id: to_dict(d) for d in store.documents()},
            "incidents": {i.incident_id: to_dict(i) for i in store.incidents(all_versions=True)},
            "current": sorted(i.incident_id for i in store.incidents()),
            "rejected": sorted((json.dumps(to_dict(r), sort_keys=True) for r in store.rejected())),
        }


def parquet_dump(out: str | Path) -> dict:
    """Each part folder's records (the ``record`` column), parts in index order; and the files."""
    import pyarrow.parquet as pq

    out = Path(out)
    dump = {}
    for part in ("documents", "incidents", "rejected"):
        files = sorted((out / part).glob("part-*.parquet"))
        dump[part] = [json.loads(r) for f in files for r in pq.read_table(f).column("record").to_pylist()]
        dump[part + "_files"] = [f.name for f in files]
    dump["tmp"] = sorted(p.name for p in out.rglob("*.tmp"))
    return dump


def sequential(inputs, db: Path, config: PipelineConfig = RULES) -> dict:
    """What `extract` does, one document at a time: into a store, and the records in input order."""
    pipeline = Pipeline(config)
    docs, incidents, rejected = [], [], []
    with Store(str(db)) as store:
        for result in pipeline.pipe(read_paths(inputs, IngestOptions())):
            if result.rejected is not None:
                store.put_rejected(result.rejected)
                rejected.append(to_dict(result.rejected))
            else:
                with store.transaction():
                    store.put_document(result.document)
                    store.put_incidents(result.document.doc_id, result.incidents, extractor=pipeline.name)
                docs.append(to_dict(result.document))
                incidents.extend(to_dict(i) for i in result.incidents)
    return {"documents": docs, "incidents": incidents, "rejected": rejected}


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory):
    db = tmp_path_factory.mktemp("reference") / "seq.db"
    records = sequential([str(corpus)], db)
    return {"db": db, "records": records, "store": store_dump(db)}


# -- the same records as sequential coding --------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_local_engine_matches_sequential_coding(corpus, reference, tmp_path, workers):
    db, out = tmp_path / "batch.db", tmp_path / "parts"
    config = BatchConfig(inputs=(str(corpus),), pipeline=RULES, workers=workers, db=str(db), out=str(out),
                         chunk_size=3)
    seen = []
    summary = run_batch(config, progress=seen.append)

    expected = reference["records"]
    assert len(expected["rejected"]) == 2 and {r["code"] for r in expected["rejected"]} == {"E101", "E102"}
    assert len(expected["incidents"]) > 20
    # the store: record for record what sequential coding stored
    assert store_dump(db) == reference["store"]
    # the Parquet parts: the same records in input order, rejected inputs kept
    parts = parquet_dump(out)
    n_chunks = -(-(len(expected["documents"]) + len(expected["rejected"])) // 3)
    assert parts["incidents_files"] == [f"part-{i:06d}.parquet" for i in range(n_chunks)]
    assert parts["documents_files"] == parts["rejected_files"] == parts["incidents_files"]
    assert parts["documents"] == expected["documents"]
    assert parts["incidents"] == expected["incidents"]
    assert parts["rejected"] == expected["rejected"]
    assert parts["tmp"] == []
    # the summary and the progress reports
    assert (summary.documents, summary.incidents, summary.rejected) == (
        len(expected["documents"]), len(expected["incidents"]), 2)
    assert summary.reasons == {"E101": 1, "E102": 1}
    assert summary.chunks == n_chunks and summary.skipped_chunks == 0
    assert sum(summary.per_worker.values()) == len(expected["documents"]) + 2
    assert len(summary.per_worker) <= workers
    assert (summary.engine, summary.workers) == ("local", workers)
    assert len(seen) == n_chunks
    assert [p.chunks_done for p in seen] == list(range(1, n_chunks + 1))
    last = seen[-1]
    assert (last.inputs, last.documents, last.incidents, last.rejected) == (
        len(expected["documents"]) + 2, summary.documents, summary.incidents, 2)
    assert last.chunks_total == n_chunks
    with Store(str(db)) as store:
        assert store.done_chunks(summary.run_key) == set(range(n_chunks))


def test_parquet_only_and_store_only(corpus, reference, tmp_path):
    out = tmp_path / "only-parts"
    run_batch(BatchConfig(inputs=(str(corpus),), pipeline=RULES, db=None, out=str(out), chunk_size=7))
    parts = parquet_dump(out)
    assert parts["incidents"] == reference["records"]["incidents"]
    assert parts["rejected"] == reference["records"]["rejected"]
    assert not list(tmp_path.glob("*.db"))
    db = tmp_path / "only-store.db"
    run_batch(BatchConfig(inputs=(str(corpus),), pipeline=RULES, db=str(db), chunk_size=50))
    assert store_dump(db) == reference["store"]


def test_code_chunk_keeps_order_and_rejected_inputs():
    docs = load_samples()[:2]
    bad = Rejected("ingest", "E101", "empty document", "x.txt")
    result = code_chunk(RULES, Chunk(7, (docs[0], bad, docs[1])))
    assert result.index == 7 and result.worker.startswith("pid:") and result.seconds >= 0
    assert [r.document.doc_id if r.document else None for r in result.results] == [docs[0].doc_id, None, docs[1].doc_id]
    assert result.results[1].rejected == bad
    import pickle

    assert pickle.loads(pickle.dumps(result)) == result


# -- bounded memory ---------------------------------------------------------------------------


class RecordingEngine:
    """Takes chunks as the coordinator offers them, answers out of order (newest first), and
    records the most chunks it held and the most the coordinator had read ahead of its writes."""

    name = "recording"

    def __init__(self, workers: int):
        self.workers = workers
        self.peak = 0
        self.max_in_flight = None
        self.closed = False

    def map(self, fn, config, chunks, max_in_flight):
        self.max_in_flight = max_in_flight
        held: deque[Chunk] = deque()
        for chunk in chunks:
            held.append(chunk)
            self.peak = max(self.peak, len(held))
            if len(held) == max_in_flight:
                yield self._done(held.pop())
        while held:
            yield self._done(held.pop())

    @staticmethod
    def _done(chunk: Chunk) -> ChunkResult:
        results = tuple(Result(None, rejected=i) if isinstance(i, Rejected) else Result(i) for i in chunk.items)
        return ChunkResult(chunk.index, results, 0.0, "fake:1")

    def close(self):
        self.closed = True


def test_the_coordinator_holds_at_most_max_in_flight_chunks(tmp_path, monkeypatch):
    read = {"n": 0}

    def generated(paths, options, stdin=None):  # a long stream, made as it is read
        coding = threading.current_thread() is threading.main_thread()  # not the ETA's counting pass
        for i in range(3000):
            read["n"] += coding
            if i % 500 == 7:
                yield Rejected("ingest", "E101", "empty document", f"gen-{i}.txt")
            else:
                yield Document(text=f"Report number {i}.", source="gen", origin=f"gen-{i}.txt")

    monkeypatch.setattr("eventcoder.batch.read_paths", generated)
    engine = RecordingEngine(workers=3)
    seen = []
    ahead = []

    def progress(p):
        seen.append(p)
        ahead.append(read["n"] - (p.inputs + p.skipped_inputs))  # read but not yet written

    summary = run_batch(BatchConfig(inputs=("generated",), pipeline=RULES, workers=3, db=None,
                                    out=str(tmp_path / "parts"), chunk_size=10), progress, engine=engine)
    assert engine.max_in_flight == 6  # 2 * workers
    assert engine.peak == 6
    assert max(ahead) <= 6 * 10  # never more than max_in_flight chunks read ahead of the writes
    assert engine.closed
    assert seen[-1].total_inputs in (None, 3000)  # the counting pass ran beside the coding
    assert (summary.documents, summary.rejected, summary.chunks) == (2994, 6, 300)
    assert len(list((tmp_path / "parts" / "incidents").glob("part-*.parquet"))) == 300


def _tag(config, chunk):  # module level: spawned workers import it
    return ChunkResult(chunk.index, (), 0.0, "pid")


def test_local_pool_submits_at_most_max_in_flight():
    pulled = {"n": 0}

    def chunks():
        for i in range(12):
            pulled["n"] += 1
            yield Chunk(i, ())

    engine = LocalEngine(2)
    try:
        got = []
        for result in engine.map(_tag, RULES, chunks(), max_in_flight=3):
            assert pulled["n"] - len(got) <= 3
            got.append(result.index)
    finally:
        engine.close()
    assert sorted(got) == list(range(12))


# -- bad options --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, message",
    [
        ({"workers": 0}, "workers must be"),
        ({"workers": 1.5}, "workers must be"),
        ({"chunk_size": 0}, "chunk size must be"),
        ({"db": None, "out": None}, "nowhere to write"),
        ({"db": "", "out": ""}, "nowhere to write"),
        ({"engine": "spark"}, "unknown engine 'spark'"),
        ({"scheduler": "tcp://127.0.0.1:8786"}, "--scheduler names a Dask cluster"),
        ({"inputs": ()}, "no inputs"),
        ({"inputs": ("-",)}, "cannot read standard input"),
    ],
)
def test_bad_options_fail_before_any_work(options, message, tmp_path):
    fields = {"inputs": ("in",), "db": str(tmp_path / "x.db"), **options}
    with pytest.raises(ConfigError, match=message) as info:
        BatchConfig(**fields)
    assert info.value.fix
    assert not (tmp_path / "x.db").exists()


def test_missing_dask_says_how_to_install_it(monkeypatch):
    if not (Path(__file__).parents[1] / "src" / "eventcoder" / "batch_dask.py").exists():
        pytest.skip("eventcoder.batch_dask is not there yet")
    for name in ("dask", "distributed", "eventcoder.batch_dask"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ConfigError, match="needs dask") as info:
        engine = make_engine(BatchConfig(inputs=("in",), engine="dask"))
        engine.close()
    assert info.value.fix == "pip install 'eventcoder[dask]'"


def test_run_key_changes_with_what_changes_the_records(corpus, tmp_path):
    base = BatchConfig(inputs=(str(corpus),), pipeline=RULES, db=str(tmp_path / "k.db"))
    key = run_key(base)
    assert key == run_key(BatchConfig(inputs=(str(corpus),), pipeline=PipelineConfig(learned=False),
                                      db=str(tmp_path / "k.db"), workers=2))  # workers: not in the key
    assert key != run_key(BatchConfig(inputs=(str(corpus),), pipeline=RULES, db=str(tmp_path / "k.db"), chunk_size=7))
    assert key != run_key(BatchConfig(inputs=(str(corpus),), pipeline=RULES, db=str(tmp_path / "other.db")))
    assert key != run_key(BatchConfig(inputs=(str(corpus),), pipeline=PipelineConfig(), db=str(tmp_path / "k.db")))
    copy = write_corpus(tmp_path / "copy")
    assert key != run_key(BatchConfig(inputs=(str(copy),), pipeline=RULES, db=str(tmp_path / "k.db")))
    before = run_key(BatchConfig(inputs=(str(copy),), pipeline=RULES, db=str(tmp_path / "k.db")))
    (copy / "more.txt").write_text("A bomb exploded in Mosul.", encoding="utf-8")
    assert before != run_key(BatchConfig(inputs=(str(copy),), pipeline=RULES, db=str(tmp_path / "k.db")))


def test_an_out_folder_of_another_run_is_refused(corpus, tmp_path):
    out = tmp_path / "parts"
    run_batch(BatchConfig(inputs=(str(corpus / "wire.jsonl"),), pipeline=RULES, db=None, out=str(out)))
    with pytest.raises(ConfigError, match="holds the parts of another batch run"):
        run_batch(BatchConfig(inputs=(str(corpus / "archive.jsonl.gz"),), pipeline=RULES, db=None, out=str(out)))


def test_each_store_backend_gets_the_same_records_and_resumes(corpus, reference, store_url, monkeypatch):
    """SQLite and PostgreSQL: the journal commits with the chunk's records (a crash inside the
    transaction leaves neither), and a rerun completes the run."""
    from eventcoder.store.base import Store as BaseStore

    config = BatchConfig(inputs=(str(corpus),), pipeline=RULES, db=store_url, chunk_size=4)
    real, calls = BaseStore.mark_chunk_done, {"n": 0}

    def crash_on_third(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # stands for a kill inside the chunk's transaction
        return real(self, *args, **kwargs)

    monkeypatch.setattr(BaseStore, "mark_chunk_done", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        run_batch(config)
    monkeypatch.undo()
    with Store(store_url) as store:
        assert store.done_chunks(run_key(config)) == {0, 1}
        assert store.counts()["documents"] + store.counts()["rejected"] == 8  # chunk 2 rolled back
    summary = run_batch(config)
    assert summary.skipped_chunks == 2 and summary.chunks == 3
    assert store_dump(store_url) == reference["store"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--workers", "0"], "workers must be"),
        (["--chunk-size", "0"], "chunk size must be"),
        (["--no-db"], "nowhere to write"),
        (["--db", ""], "nowhere to write"),
        (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler names a Dask cluster"),
        (["--published", "2024-02-30"], "not a real date"),
    ],
)
def test_cli_bad_options_exit_2_with_the_fix(args, message, tmp_path):
    from click.testing import CliRunner

    from eventcoder.batch_cli import batch

    result = CliRunner().invoke(batch, ["in", "--rules-only", *args], catch_exceptions=False)
    assert result.exit_code == 2
    assert message in result.output and "Fix:" in result.output


def test_cli_parquet_only_summary(corpus, reference, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from eventcoder.batch_cli import batch

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "parts"
    result = CliRunner().invoke(batch, [str(corpus), "--no-db", "--out", str(out), "--rules-only", "--chunk-size", "5"],
                                catch_exceptions=False)
    assert result.exit_code == 1  # two inputs were rejected
    n = len(reference["records"]["documents"])
    assert f"Coded {n} documents in " in result.output
    assert f"1 worker, local): {len(reference['records']['incidents'])} incidents, 2 rejected (E101 x1, E102 x1)." \
        in result.output
    assert f"Parquet: {out}." in result.output and "Resumed" not in result.output
    assert not (tmp_path / "eventcoder.db").exists()
    assert parquet_dump(out)["rejected"] == reference["records"]["rejected"]
