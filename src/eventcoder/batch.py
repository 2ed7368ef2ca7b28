"""Batch coding: large inputs, coded in parallel, resumable after a kill.

:func:`run_batch` (what ``eventcoder batch`` calls) streams :func:`~eventcoder.ingest.read_paths`
and cuts it into :class:`Chunk` s of ``chunk_size`` inputs, in input order, so the same inputs
always give the same chunks. An :class:`Engine` codes chunks (:func:`code_chunk`: the same
:meth:`~eventcoder.pipeline.Pipeline.pipe` that ``extract`` uses) in worker processes
(:class:`LocalEngine`) or on a Dask cluster (:class:`eventcoder.batch_dask.DaskEngine`), never
holding more than ``2 * workers`` chunks, so memory stays bounded whatever the input size.

The coordinator is the only writer. Each completed chunk is written:

- to the store in ONE transaction: its documents, their incidents (``extractor=`` the pipeline's
  name), its rejected records, and a journal row (table ``batch_chunks``) marking chunk ``index``
  of the run key done;
- and/or to ``out/`` as Parquet parts ``documents/``, ``rejected/`` and ``incidents/``
  ``part-{index:06d}.parquet``, each written to ``.tmp``, fsynced and renamed; the incidents part
  is renamed last and its existence is the chunk's journal entry.

A chunk is done when every output has it. A rerun with the same arguments (the same
:func:`run_key`) skips done chunks and codes the rest; since chunks are deterministic and writes
are idempotent (content-hash ids, upserts, whole-file renames), a run killed at any moment ends,
once rerun, with the same records as an uninterrupted run: none lost, none duplicated.

Rejected inputs (ingest) and documents a stage failed on (pipeline) are kept as
:class:`~eventcoder.records.Rejected` records in the store and in ``out/rejected/``, and counted.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import json
import multiprocessing
import multiprocessing.connection
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .errors import ConfigError
from .ingest import IngestOptions, read_paths
from .pipeline import Pipeline, PipelineConfig, Result, Summary
from .records import Document, Incident, Rejected, to_dict

ENGINES = ("local", "dask")
RUN_KEY_VERSION = "batch.v1"  # bump when the chunking or the outputs' layout changes
PARTS = ("documents", "rejected", "incidents")  # out/ subfolders, in the order they are renamed
MARKER = "incidents"  # the part whose existence journals a chunk in out/
RUN_FILE = "_run.json"  # out/: the run key whose parts the folder holds


# --------------------------------------------------------------------------
# Chunks and coding them


@dataclass(frozen=True)
class Chunk:
    """A deterministic slice of the input stream."""

    index: int  # 0, 1, 2 ... in input order
    items: tuple[Document | Rejected, ...]


@dataclass(frozen=True)
class ChunkResult:
    index: int
    results: tuple[Result, ...]  # in the chunk's order; a Rejected input becomes Result(None, rejected=...)
    seconds: float
    worker: str  # "pid:1234", or the Dask worker's address


# One pipeline per config per process: a worker builds it on its first chunk and keeps it for the
# process's lifetime (the cache's known lifetime). PipelineConfig is not hashable (not frozen), so
# the key is its repr, which lists every field.
_PIPELINES: dict[str, Pipeline] = {}


def pipeline_for(config: PipelineConfig) -> Pipeline:
    """The pipeline of ``config`` in this process, built on first use."""
    key = repr(config)
    pipeline = _PIPELINES.get(key)
    if pipeline is None:
        pipeline = _PIPELINES[key] = Pipeline(config)
    return pipeline


def code_chunk(config: PipelineConfig, chunk: Chunk) -> ChunkResult:
    """Code one chunk with the pipeline of ``config`` (built once per process). Pure: no store
    access; arguments and result pickle."""
    start = time.perf_counter()
    results = tuple(pipeline_for(config).pipe(chunk.items))
    return ChunkResult(chunk.index, results, time.perf_counter() - start, f"pid:{os.getpid()}")


# --------------------------------------------------------------------------
# Engines


@runtime_checkable
class Engine(Protocol):
    name: str
    workers: int

    def map(
        self,
        fn: Callable[[PipelineConfig, Chunk], ChunkResult],
        config: PipelineConfig,
        chunks: Iterable[Chunk],
        max_in_flight: int,
    ) -> Iterator[ChunkResult]:
        """Yield ``fn(config, chunk)`` for each chunk as they complete (any order), taking a chunk
        from ``chunks`` only while fewer than ``max_in_flight`` are submitted and not yet yielded."""
        ...

    def close(self) -> None: ...


def _check_workers(workers: Any) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers must be a whole number >= 1, not {workers!r}",
                          fix="pass --workers 1 or more (at most the machine's cores is a good start)")
    return workers


class LocalEngine:
    """Code chunks on this machine.

    ``workers == 1``: in this process, one chunk at a time, no pool. ``workers > 1``: a
    :class:`concurrent.futures.ProcessPoolExecutor` with the ``"spawn"`` start method. Spawn, not
    fork: workers start clean (no copied store connection, threads or locks of the coordinator)
    and behave the same on Linux, macOS and Windows; each builds its pipeline once
    (:func:`pipeline_for`). The executor, unlike ``multiprocessing.Pool``, raises
    ``BrokenProcessPool`` when a worker dies instead of waiting forever for its task.
    """

    name = "local"

    def __init__(self, workers: int = 1):
        self.workers = _check_workers(workers)
        self._pool: cf.ProcessPoolExecutor | None = None

    def map(
        self,
        fn: Callable[[PipelineConfig, Chunk], ChunkResult],
        config: PipelineConfig,
        chunks: Iterable[Chunk],
        max_in_flight: int,
    ) -> Iterator[ChunkResult]:
        if isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int) or max_in_flight < 1:
            raise ConfigError(f"max_in_flight must be >= 1, not {max_in_flight!r}", fix="pass 2 * workers")
        if self.workers == 1:
            for chunk in chunks:
                yield fn(config, chunk)
            return
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=_exit_with_parent)
        pending: set[cf.Future] = set()
        source = iter(chunks)
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) < max_in_flight:
                    chunk = next(source, None)
                    if chunk is None:
                        exhausted = True
                    else:
                        pending.add(self._pool.submit(fn, config, chunk))
                if not pending:
                    return
                finished, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    yield future.result()  # re-raises a worker's exception here
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _exit_with_parent() -> None:
    """In a pool worker: exit when the coordinator dies (a ``kill -9`` runs no clean-up, and an
    idle worker would otherwise wait for work forever)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="eventcoder-parent-watch", daemon=True).start()


def make_engine(config: "BatchConfig") -> Engine:
    """The engine ``config.engine`` names, with ``config.workers`` workers."""
    if config.engine == "local":
        return LocalEngine(config.workers)
    if config.engine == "dask":
        try:
            from .batch_dask import DaskEngine

            return DaskEngine(config.workers, config.scheduler)
        except ImportError as exc:
            if (exc.name or "").split(".")[0] not in ("dask", "distributed"):
                raise
            raise ConfigError("the dask engine needs dask[distributed], which is not installed",
                              fix="pip install 'eventcoder[dask]'") from None
    raise ConfigError(f"unknown engine {config.engine!r}", fix="use one of: " + ", ".join(ENGINES))


# --------------------------------------------------------------------------
# Configuration


@dataclass(frozen=True)
class BatchConfig:
    """What to code, how, and where to write it. Checked when made: bad options fail before any
    work starts."""

    inputs: tuple[str, ...]
    # PipelineConfig is mutable, so the default is a factory (a shared default instance is refused)
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    ingest: IngestOptions = IngestOptions()
    workers: int = 1
    engine: str = "local"  # "local" | "dask"
    scheduler: str | None = None  # dask: tcp://host:port of an existing cluster; None = a LocalCluster
    db: str | None = "eventcoder.db"  # the store, or None ('' too) for Parquet only
    out: str | None = None  # a folder of Parquet parts
    chunk_size: int = 100

    def __post_init__(self) -> None:
        inputs = (self.inputs,) if isinstance(self.inputs, (str, os.PathLike)) else tuple(self.inputs)
        object.__setattr__(self, "inputs", tuple(str(p) for p in inputs))
        if not self.inputs:
            raise ConfigError("no inputs to code", fix="pass one or more files or folders")
        if "-" in self.inputs:
            raise ConfigError("batch cannot read standard input: a rerun could not resume it",
                              fix="save the input to a file and pass its path (or use eventcoder extract -)")
        if not isinstance(self.pipeline, PipelineConfig):
            raise ConfigError(f"pipeline must be a PipelineConfig, not {type(self.pipeline).__name__}",
                              fix="pass PipelineConfig(...)")
        if not isinstance(self.ingest, IngestOptions):
            raise ConfigError(f"ingest must be IngestOptions, not {type(self.ingest).__name__}",
                              fix="pass IngestOptions(...)")
        _check_workers(self.workers)
        if isinstance(self.chunk_size, bool) or not isinstance(self.chunk_size, int) or self.chunk_size < 1:
            raise ConfigError(f"chunk size must be a whole number >= 1, not {self.chunk_size!r}",
                              fix="pass --chunk-size 100 (larger chunks: fewer commits, more to redo after a kill)")
        if self.engine not in ENGINES:
            raise ConfigError(f"unknown engine {self.engine!r}", fix="use one of: " + ", ".join(ENGINES))
        if self.scheduler is not None and self.engine != "dask":
            raise ConfigError("--scheduler names a Dask cluster, but the engine is local",
                              fix="add --engine dask, or drop --scheduler")
        if self.scheduler is not None and (not isinstance(self.scheduler, str) or "://" not in self.scheduler):
            raise ConfigError(f"bad scheduler address {self.scheduler!r}", fix="write it as tcp://HOST:PORT")
        if self.db == "":
            object.__setattr__(self, "db", None)
        if self.out == "":
            object.__setattr__(self, "out", None)
        if self.db is None and self.out is None:
            raise ConfigError("nowhere to write the records: no store and no --out folder",
                              fix="pass --db PATH (the default is eventcoder.db) and/or --out DIR")


# --------------------------------------------------------------------------
# The run key


def _stamp(path: Path) -> list[Any]:
    try:
        st = path.stat()
    except OSError:
        return [None, None]
    return [st.st_size, st.st_mtime_ns]


def _input_stamps(raw: str) -> list[Any]:
    """An input's absolute path with its size and mtime; a folder's files (as ingest reads them:
    recursive, sorted, hidden skipped) with theirs."""
    path = Path(raw).absolute()
    if not path.is_dir():
        return [str(path), *_stamp(path)]
    files = []
    try:
        children = sorted(path.rglob("*"))
    except OSError:
        children = []
    for child in children:
        rel = child.relative_to(path)
        if any(part.startswith(".") for part in rel.parts) or child.is_dir():
            continue
        files.append([str(rel), *_stamp(child)])
    return [str(path), files]


def _model_identity(pipeline: Pipeline) -> Any:
    learned = getattr(pipeline, "learned", None)
    if learned is None:
        return None
    folder = Path(learned.model_dir).absolute()
    manifest = folder / "manifest.json"
    digest = hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest.is_file() else None
    return [str(folder), digest, [[p.name, *_stamp(p)] for p in sorted(folder.iterdir()) if p.is_file()]]


def _db_identity(db: str | None) -> str | None:
    if db is None:
        return None
    from .store.base import scheme_of

    scheme = scheme_of(db)
    if scheme is None or scheme == "sqlite":
        from .store.sqlite import resolve_path

        path = resolve_path(db)
        return "sqlite:" + (path if path == ":memory:" else str(Path(path).absolute()))
    from .store.postgres import redact

    return redact(db)


def run_key(config: BatchConfig, pipeline: Pipeline | None = None) -> str:
    """The identity of a batch run: a rerun with the same key resumes it.

    SHA-256 (hex) of the JSON of: ``batch.v1``; every input's absolute path with its size and
    mtime (a folder: each file it holds, as ingest reads them); the pipeline's extractor name
    (``rules.v1``, ``muc4-crf.v1``) and model (folder, manifest hash, files' sizes and mtimes);
    the whole pipeline config and ingest options (they change the records), with the sizes and
    mtimes of user codebooks and overlays; the chunk size; and the output targets (the store's
    absolute path or redacted URL, the ``--out`` folder's absolute path). The number of workers
    and the engine are not in it: a run may resume with more workers or on a cluster.
    """
    pipeline = pipeline or pipeline_for(config.pipeline)
    pipe_cfg = dataclasses.asdict(config.pipeline)
    ingest = {f.name: getattr(config.ingest, f.name) for f in dataclasses.fields(config.ingest)}
    ingest["published"] = ingest["published"].isoformat() if ingest["published"] else None
    ingest["source_kind"] = config.ingest.source_kind.value
    data = {
        "version": RUN_KEY_VERSION,
        "inputs": [_input_stamps(p) for p in config.inputs],
        "extractor": pipeline.name,
        "model": _model_identity(pipeline),
        "pipeline": pipe_cfg,
        "files": [[str(Path(p).absolute()), *_stamp(Path(p))]
                  for p in (*config.pipeline.codebooks, *config.pipeline.overlays)],
        "ingest": ingest,
        "chunk_size": config.chunk_size,
        "db": _db_identity(config.db),
        "out": str(Path(config.out).absolute()) if config.out else None,
    }
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------
# Progress and summary


@dataclass(frozen=True)
class BatchProgress:
    """Where a run stands, after each chunk. Counts are of this invocation; ``inputs`` counts
    documents and rejected inputs. ``total_inputs`` is the number of inputs, counted by a
    background pass over the inputs (ingest alone, far faster than coding): None until that
    pass ends; so is ``eta_seconds``."""

    inputs: int
    documents: int
    incidents: int
    rejected: int
    chunks_done: int  # this run's and the skipped ones
    chunks_total: int | None
    skipped_chunks: int
    skipped_inputs: int  # inputs in the skipped chunks
    seconds: float
    docs_per_second: float  # inputs per second, this run
    total_inputs: int | None
    eta_seconds: float | None


@dataclass
class BatchSummary(Summary):
    """What one invocation of :func:`run_batch` coded: the counts of :class:`~eventcoder.pipeline.Summary`
    (coded documents, incidents, rejected inputs and documents, rejection codes), and chunks done
    before a resume are counted in ``skipped_chunks``, not in the other counts."""

    chunks: int = 0  # chunks coded by this invocation
    skipped_chunks: int = 0  # chunks done before a resume
    seconds: float = 0.0
    docs_per_second: float = 0.0  # (documents + rejected) per second
    per_worker: dict[str, int] = field(default_factory=dict)  # worker -> inputs coded
    run_key: str = ""
    engine: str = ""
    workers: int = 0

    def add_chunk(self, chunk: ChunkResult) -> None:
        self.chunks += 1
        self.per_worker[chunk.worker] = self.per_worker.get(chunk.worker, 0) + len(chunk.results)
        for result in chunk.results:
            self.add(result)


class _Cutter:
    """Cuts the input stream into chunks, skipping done ones; counts what it read."""

    def __init__(self, stream: Iterable[Document | Rejected], size: int, done: set[int]):
        self.stream, self.size, self.done = stream, size, done
        self.chunks_seen = 0
        self.skipped = 0
        self.skipped_items = 0
        self.finished = False

    def __iter__(self) -> Iterator[Chunk]:
        items: list[Document | Rejected] = []
        for item in self.stream:
            items.append(item)
            if len(items) == self.size:
                chunk = self._cut(items)
                items = []
                if chunk is not None:
                    yield chunk
        if items:
            chunk = self._cut(items)
            if chunk is not None:
                yield chunk
        self.finished = True

    def _cut(self, items: list[Document | Rejected]) -> Chunk | None:
        index = self.chunks_seen
        self.chunks_seen += 1
        if index in self.done:
            self.skipped += 1
            self.skipped_items += len(items)
            return None
        return Chunk(index, tuple(items))


class _InputCounter(threading.Thread):
    """Counts the inputs (a read_paths pass, no coding) for the ETA."""

    def __init__(self, inputs: tuple[str, ...], options: IngestOptions):
        super().__init__(name="eventcoder-batch-count", daemon=True)
        self.inputs, self.options = inputs, options
        self.total: int | None = None
        self._stop_flag = threading.Event()

    def run(self) -> None:
        n = 0
        try:
            for _ in read_paths(self.inputs, self.options):
                if self._stop_flag.is_set():
                    return
                n += 1
        except Exception:  # the ETA is a nicety; the run itself reports bad inputs
            return
        self.total = n

    def stop(self) -> None:
        self._stop_flag.set()


# --------------------------------------------------------------------------
# Parquet parts


def _document_schema(pa: Any) -> Any:
    return pa.schema(
        [pa.field("doc_id", pa.string(), nullable=False), pa.field("source", pa.string()),
         pa.field("source_kind", pa.string()), pa.field("published", pa.date32()), pa.field("title", pa.string()),
         pa.field("origin", pa.string()), pa.field("incidents", pa.int64()),
         pa.field("record", pa.string(), nullable=False)],
        metadata={"eventcoder.kind": "documents"},
    )


def _rejected_schema(pa: Any) -> Any:
    return pa.schema(
        [pa.field("origin", pa.string()), pa.field("code", pa.string(), nullable=False),
         pa.field("doc_id", pa.string()), pa.field("stage", pa.string()), pa.field("detail", pa.string()),
         pa.field("text_preview", pa.string()), pa.field("record", pa.string(), nullable=False)],
        metadata={"eventcoder.kind": "rejected"},
    )


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def part_name(index: int) -> str:
    return f"part-{index:06d}.parquet"


class _PartWriter:
    """Writes a chunk's Parquet parts atomically; the incidents part, renamed last, journals it."""

    def __init__(self, out: Path, key: str):
        from .export import _pyarrow

        self.pa = _pyarrow()  # fails before any work without pyarrow
        self.out = out
        run_file = out / RUN_FILE
        if run_file.is_file():
            try:
                stored = json.loads(run_file.read_text(encoding="utf-8")).get("run_key")
            except (OSError, ValueError, AttributeError):
                stored = None
            if stored != key and self.done():
                raise ConfigError(
                    f"{out} holds the parts of another batch run (other inputs, options or targets)",
                    fix="pass a new --out folder, or delete this one to start over")
        for part in PARTS:
            (out / part).mkdir(parents=True, exist_ok=True)
            for stale in (out / part).glob("part-*.parquet.tmp"):  # a killed run's half-written parts
                stale.unlink()
        self._atomic_text(run_file, _json({"run_key": key, "layout": RUN_KEY_VERSION}) + "\n")

    def done(self) -> set[int]:
        folder = self.out / MARKER
        if not folder.is_dir():
            return set()
        indexes = set()
        for path in folder.glob("part-*.parquet"):
            stem = path.name[len("part-"):-len(".parquet")]
            if stem.isdigit():
                indexes.add(int(stem))
        return indexes

    def write(self, chunk: ChunkResult) -> None:
        import pyarrow.parquet as pq

        from .export import write_parquet

        pa = self.pa
        docs = [r for r in chunk.results if r.rejected is None]
        rejected = [r.rejected for r in chunk.results if r.rejected is not None]
        doc_rows: dict[str, list[Any]] = {name: [] for name in _document_schema(pa).names}
        for r in docs:
            d = r.document
            for name, value in (("doc_id", d.doc_id), ("source", d.source), ("source_kind", d.source_kind.value),
                                ("published", d.published), ("title", d.title), ("origin", d.origin),
                                ("incidents", len(r.incidents)), ("record", _json(to_dict(d)))):
                doc_rows[name].append(value)
        rej_rows: dict[str, list[Any]] = {name: [] for name in _rejected_schema(pa).names}
        for rej in rejected:
            for name, value in (("origin", rej.origin), ("code", rej.code), ("doc_id", rej.doc_id),
                                ("stage", rej.stage), ("detail", rej.detail), ("text_preview", rej.text_preview),
                                ("record", _json(to_dict(rej)))):
                rej_rows[name].append(value)
        name = part_name(chunk.index)
        tmp = {part: self.out / part / (name + ".tmp") for part in PARTS}
        pq.write_table(pa.Table.from_pydict(doc_rows, schema=_document_schema(pa)), tmp["documents"])
        pq.write_table(pa.Table.from_pydict(rej_rows, schema=_rejected_schema(pa)), tmp["rejected"])
        incidents: list[Incident] = [inc for r in docs for inc in r.incidents]
        write_parquet(incidents, str(tmp["incidents"]), "incidents")
        for part in PARTS:
            _fsync(tmp[part])
        for part in PARTS:  # incidents last: its part's existence marks the chunk done
            os.replace(tmp[part], self.out / part / name)
            _fsync_dir(self.out / part)

    @staticmethod
    def _atomic_text(path: Path, text: str) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync_dir(path.parent)


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open a folder
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------
# The run


def _store_chunk(store: Any, key: str, extractor: str, chunk: ChunkResult) -> None:
    documents = incidents = rejected = 0
    with store.transaction():
        for result in chunk.results:
            if result.rejected is not None:
                store.put_rejected(result.rejected)
                rejected += 1
            else:
                store.put_document(result.document)
                store.put_incidents(result.document.doc_id, result.incidents, extractor=extractor)
                documents += 1
                incidents += len(result.incidents)
        store.mark_chunk_done(key, chunk.index, documents, incidents, rejected)


def run_batch(
    config: BatchConfig,
    progress: Callable[[BatchProgress], None] | None = None,
    *,
    engine: Engine | None = None,
) -> BatchSummary:
    """Code ``config.inputs`` in chunks on an engine, writing each chunk as it completes; resumes
    a run with the same :func:`run_key`. ``progress`` is called after each chunk. ``engine``:
    an engine of your own (default: :func:`make_engine`); it is closed at the end either way.
    """
    if not isinstance(config, BatchConfig):
        raise ConfigError(f"run_batch() needs a BatchConfig, not {type(config).__name__}", fix="pass BatchConfig(...)")
    pipeline = pipeline_for(config.pipeline)  # bad pipeline config (a missing model, overlay) fails now
    key = run_key(config, pipeline)
    store = counter = None
    try:
        if config.db is not None:
            from .store import Store

            store = Store(config.db)
        parts = _PartWriter(Path(config.out), key) if config.out else None
        done: set[int] | None = None
        if store is not None:
            done = store.done_chunks(key)
        if parts is not None:
            done = parts.done() if done is None else done & parts.done()  # done: in every output
        engine = engine or make_engine(config)
        summary = BatchSummary(run_key=key, engine=engine.name, workers=engine.workers)
        run_id = store.start_run(["eventcoder", "batch", *config.inputs]) if store is not None else None
        cutter = _Cutter(read_paths(config.inputs, config.ingest), config.chunk_size, done or set())
        if progress is not None:
            counter = _InputCounter(config.inputs, config.ingest)
            counter.start()
        start = time.perf_counter()
        for chunk in engine.map(code_chunk, config.pipeline, cutter, max_in_flight=2 * engine.workers):
            if parts is not None:  # parts first: a chunk is done once the store's journal has it too
                parts.write(chunk)
            if store is not None:
                _store_chunk(store, key, pipeline.name, chunk)
            summary.add_chunk(chunk)
            if progress is not None:
                progress(_progress(summary, cutter, counter, time.perf_counter() - start))
        summary.skipped_chunks = cutter.skipped
        summary.seconds = time.perf_counter() - start
        summary.docs_per_second = (summary.documents + summary.rejected) / summary.seconds if summary.seconds else 0.0
        if store is not None:
            store.finish_run(run_id, {"documents": summary.documents, "incidents": summary.incidents,
                                      "rejected": summary.rejected, "chunks": summary.chunks,
                                      "skipped_chunks": summary.skipped_chunks, "run_key": key})
        return summary
    finally:
        if counter is not None:
            counter.stop()
        if engine is not None:
            engine.close()
        if store is not None:
            store.close()


def _progress(summary: BatchSummary, cutter: _Cutter, counter: _InputCounter | None, seconds: float) -> BatchProgress:
    inputs = summary.documents + summary.rejected
    rate = inputs / seconds if seconds > 0 else 0.0
    total = counter.total if counter is not None else None
    chunks_total = cutter.chunks_seen if cutter.finished else None
    if chunks_total is None and total is not None:
        chunks_total = -(-total // cutter.size)
    eta = None
    if total is not None and rate > 0:
        eta = max(0, total - inputs - cutter.skipped_items) / rate
    return BatchProgress(
        inputs=inputs, documents=summary.documents, incidents=summary.incidents, rejected=summary.rejected,
        chunks_done=summary.chunks + cutter.skipped, chunks_total=chunks_total, skipped_chunks=cutter.skipped,
        skipped_inputs=cutter.skipped_items, seconds=seconds, docs_per_second=rate, total_inputs=total, eta_seconds=eta,
    )


__all__ = [
    "BatchConfig", "BatchProgress", "BatchSummary", "Chunk", "ChunkResult", "Engine", "LocalEngine",
    "code_chunk", "make_engine", "pipeline_for", "run_batch", "run_key",
]
