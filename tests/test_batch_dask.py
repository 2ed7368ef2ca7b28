"""The Dask engine: the same records as the in-process path, bounded in flight, errors that name
their chunk, an external cluster left running. One small LocalCluster (2 worker processes, 1
thread each, loopback) serves the module; its workers build their pipeline once and keep it."""

from __future__ import annotations

import json
import pickle
import sys
import time

import pytest

distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")

from eventcoder.batch import BatchConfig, Chunk, ChunkResult, Engine, code_chunk, run_batch  # noqa: E402
from eventcoder.batch_dask import DaskEngine, WorkerError  # noqa: E402
from eventcoder.errors import ConfigError  # noqa: E402
from eventcoder.pipeline import PipelineConfig, Result  # noqa: E402
from eventcoder.records import Document, Rejected  # noqa: E402
from eventcoder.sample_reports import load_samples  # noqa: E402

# the helpers below run on the workers, which cannot import this test module: ship them by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])

CONFIG = PipelineConfig(learned=False)  # the rules (with spaCy NER): builds in seconds
CHUNK_SIZE = 5


def _items() -> list[Document | Rejected]:
    """The 18 sample reports and a rejected input: 19 items, 4 chunks."""
    docs: list[Document | Rejected] = list(load_samples())
    docs.insert(7, Rejected("ingest", "E101", "empty document (no text after decoding)", "empty.txt:3"))
    return docs


def _chunks(items: list) -> list[Chunk]:
    return [Chunk(n, tuple(items[i:i + CHUNK_SIZE])) for n, i in enumerate(range(0, len(items), CHUNK_SIZE))]


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as c:
        yield c


@pytest.fixture
def engine(cluster):
    e = DaskEngine(scheduler=cluster.scheduler_address)
    yield e
    e.close()


def _quick(config: PipelineConfig, chunk: Chunk) -> ChunkResult:
    """Codes nothing: each document becomes a Result without incidents (no pipeline to build)."""
    return ChunkResult(chunk.index, tuple(Result(d) for d in chunk.items), 0.0, "quick")


def _fail_on_chunk_2(config: PipelineConfig, chunk: Chunk) -> ChunkResult:
    if chunk.index == 2:
        raise RuntimeError("a bug in a stage")
    return _quick(config, chunk)


def test_records_match_in_process(engine):
    chunks = _chunks(_items())
    got = {r.index: r for r in engine.map(code_chunk, CONFIG, chunks, max_in_flight=4)}
    assert sorted(got) == [0, 1, 2, 3]
    expected = {c.index: code_chunk(CONFIG, c) for c in chunks}
    for index, result in expected.items():
        assert len(got[index].results) == len(result.results)
        for mine, theirs in zip(got[index].results, result.results):
            assert mine.document == theirs.document
            assert mine.incidents == theirs.incidents  # same incidents, ids, spans, fields
            assert mine.rejected == theirs.rejected
        assert got[index].worker.startswith("tcp://127.0.0.1:")  # the Dask worker's address
    assert sum(len(r.incidents) for c in got.values() for r in c.results) > 20
    assert [r.rejected.code for c in got.values() for r in c.results if r.rejected] == ["E101"]


def test_records_pickle():
    """What travels to and from workers round-trips through pickle and cloudpickle."""
    chunk = _chunks(_items())[1]
    result = code_chunk(CONFIG, chunk)
    incidents = [i for r in result.results for i in r.incidents]
    assert incidents
    for value in (CONFIG, chunk, result, incidents, chunk.items[2], Result(None, rejected=chunk.items[2])):
        for dumps in (pickle.dumps, cloudpickle.dumps):
            assert pickle.loads(dumps(value)) == value


def test_in_flight_is_bounded(engine):
    pulled = yielded = ahead = 0

    def chunks():
        nonlocal pulled, ahead
        for chunk in _chunks([Document(text=f"report {n}", doc_id=f"d{n}") for n in range(40)]):
            pulled += 1
            ahead = max(ahead, pulled - yielded)
            yield chunk

    indexes = []
    for result in engine.map(_quick, CONFIG, chunks(), max_in_flight=3):
        yielded += 1
        indexes.append(result.index)
    assert sorted(indexes) == list(range(8))
    assert ahead == 3  # never more than max_in_flight pulled and not yet handed back


def test_worker_error_names_the_chunk(engine, cluster):
    with pytest.raises(WorkerError, match=r"chunk 2 failed on a Dask worker: RuntimeError: a bug in a stage"):
        list(engine.map(_fail_on_chunk_2, CONFIG, _chunks([Document(text=f"r{n}") for n in range(30)]), 2))
    deadline = time.monotonic() + 10  # futures are released on the client's event loop, soon after
    while engine.client.futures and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not engine.client.futures  # what was in flight is cancelled and released
    # and the engine is still usable
    assert [r.index for r in engine.map(_quick, CONFIG, _chunks([Document(text="x")]), 2)] == [0]


def test_external_cluster_is_left_running(cluster):
    engine = DaskEngine(workers=5, scheduler=cluster.scheduler_address)
    assert isinstance(engine, Engine)
    assert engine.workers == 2  # the cluster's worker threads, whatever was asked
    engine.close()
    engine.close()  # idempotent
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        assert client.submit(sum, [1, 2], pure=False).result() == 3
        assert len(client.scheduler_info()["workers"]) == 2


def test_own_local_cluster_is_closed():
    engine = DaskEngine(workers=1)
    cluster = engine._cluster
    assert engine.workers == 1
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    assert [r.index for r in engine.map(_quick, CONFIG, _chunks([Document(text="x")] * 6), 2)] == [0, 1]
    engine.close()
    assert cluster.status.name == "closed"


def test_missing_files_on_workers_fail_before_work(engine, tmp_path):
    missing = str(tmp_path / "no-such-model")
    with pytest.raises(ConfigError, match="lacks .*no-such-model"):
        next(engine.map(_quick, PipelineConfig(learned=True, model_dir=missing), _chunks([Document(text="x")]), 2))


def test_unreachable_scheduler_is_a_config_error(monkeypatch):
    monkeypatch.setattr("eventcoder.batch_dask.CONNECT_TIMEOUT_S", 1)
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler"):
        DaskEngine(scheduler="tcp://127.0.0.1:9")


def test_missing_dask_is_a_config_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(ConfigError) as info:
        DaskEngine()
    assert info.value.fix == "pip install 'eventcoder[dask]'"


def test_run_batch_dask_matches_local(cluster, tmp_path):
    """The store after `eventcoder batch --engine dask` holds what `--engine local` stores."""
    from eventcoder.store import Store

    inputs = tmp_path / "in"
    inputs.mkdir()
    lines = [json.dumps({"doc_id": d.doc_id, "text": d.text, "source": d.source,
                         "source_kind": d.source_kind.value, "published": d.published.isoformat()})
             for d in load_samples()]
    lines.insert(4, "{not json")  # a rejected input
    (inputs / "reports.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def content(db: str) -> tuple:
        with Store(db) as store:
            return (sorted((i.incident_id, json.dumps(i.to_dict(), sort_keys=True, default=str))
                           for i in store.incidents()),
                    sorted(d.doc_id for d in store.documents()),
                    sorted((r.origin, r.code) for r in store.rejected()))

    stores = {}
    for engine, workers, scheduler in (("local", 1, None), ("dask", 2, cluster.scheduler_address)):
        db = str(tmp_path / f"{engine}.db")
        summary = run_batch(BatchConfig(inputs=(str(inputs),), pipeline=CONFIG, workers=workers, engine=engine,
                                        scheduler=scheduler, db=db, chunk_size=CHUNK_SIZE))
        assert (summary.engine, summary.documents, summary.rejected, summary.chunks) == (engine, 18, 1, 4)
        stores[engine] = content(db)
    assert stores["dask"] == stores["local"]
    assert len(stores["local"][0]) > 20


def test_stopping_early_cancels_what_is_in_flight(engine):
    results = engine.map(_quick, CONFIG, _chunks([Document(text=f"r{n}") for n in range(50)]), 4)
    assert next(results).index in range(4)
    results.close()  # the caller stops (an error while storing, Ctrl-C)
    deadline = time.monotonic() + 10
    while engine.client.futures and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not engine.client.futures


def test_unpickled_geocoder_geocodes_alike():
    from eventcoder.batch import pipeline_for

    pipeline = pipeline_for(CONFIG)
    doc = load_samples()[0]
    incidents = list(pipeline.extractor.extract(doc))
    copy = pickle.loads(pickle.dumps(pipeline.geocoder))
    assert copy.geocode_all(incidents, doc.text) == pipeline.geocoder.geocode_all(incidents, doc.text)
