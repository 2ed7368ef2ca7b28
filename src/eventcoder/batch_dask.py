"""The Dask engine of ``eventcoder batch``: the same chunks, coded on a Dask distributed cluster.

:class:`DaskEngine` implements the batch engine protocol (:class:`eventcoder.batch.Engine`):
``map(fn, config, chunks, max_in_flight)`` submits ``fn(config, chunk)`` for each chunk, keeps at
most ``max_in_flight`` chunks submitted and not yet handed back, and yields the
:class:`~eventcoder.batch.ChunkResult` of each as it completes. The pipeline is never shipped: each
worker process imports eventcoder once and :func:`eventcoder.batch.code_chunk` builds the
:class:`~eventcoder.pipeline.Pipeline` from its (small, picklable) config on first use and keeps it
for the worker's lifetime. Only the config, the chunks of documents and the result records travel.

On one machine (the default) the engine starts a ``LocalCluster`` of worker processes on loopback
(``127.0.0.1``, no dashboard) and stops it on :meth:`DaskEngine.close`. On several machines, start
the cluster yourself and pass the scheduler's address; the engine connects to it and leaves it
running when it closes::

    # on one machine (the scheduler; port 8786 must be reachable from the workers and from you)
    dask scheduler
    # on every worker machine: the same eventcoder version and the same model (--model path) as
    # the machine that runs `eventcoder batch`; --nthreads 1 since the pipeline holds the GIL
    pip install 'eventcoder[dask]'
    dask worker tcp://HOST:8786 --nworkers 4 --nthreads 1
    # (optional: less background work in each worker, as the local cluster has)
    #   DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL=1s DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False dask worker ...
    # anywhere that reaches the scheduler: inputs are read and results stored here, on the client
    eventcoder batch reports/ --engine dask --scheduler tcp://HOST:8786 --db eventcoder.db

A Dask scheduler runs whatever its clients send on every worker and asks no password: keep port
8786 on a private network (or set up Dask's TLS, ``--tls-ca-file``/``--tls-cert``/``--tls-key``).

Before any work starts the engine checks that every worker runs the same eventcoder version as the
client, and that the files the config names (model folder, codebooks, place overlays) exist on each
worker; otherwise it raises :class:`~eventcoder.errors.ConfigError` saying which worker lacks what.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, ExtractionError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .batch import Chunk, ChunkResult
    from .pipeline import PipelineConfig

INSTALL_FIX = "pip install 'eventcoder[dask]'"
CONNECT_TIMEOUT_S = 30  # to reach an external scheduler and to see its first worker
# Dask settings of the LocalCluster the engine starts. Its scheduler and nannies run in this
# process and every worker runs an event loop beside the thread that codes; on a machine with
# no core to spare these background wake-ups take CPU from the workers. None of them matters
# here: no dashboard to feed, uniform tasks that the scheduler queues (nothing to steal).
# Measured on 2 cores, 2 workers: the coordinator's CPU halves and Dask's overhead over the
# local engine drops from about 10% to about 5%. An external cluster keeps its own settings.
LOCAL_CLUSTER_CONFIG = {
    "distributed.admin.tick.interval": "1s",  # event-loop health check, 20 ms by default
    "distributed.worker.profile.enabled": False,  # a sampling profiler of the worker threads
    "distributed.admin.system-monitor.interval": "2s",  # CPU/memory figures for the dashboard
    "distributed.worker.memory.monitor-interval": "1s",  # the nanny's memory limit check
    "distributed.scheduler.work-stealing": False,
}


class WorkerError(ExtractionError):
    """A chunk failed on a Dask worker (not a bad document: those come back as Rejected records)."""


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise ConfigError(f"the Dask engine needs dask[distributed] ({exc})", fix=INSTALL_FIX) from None
    return distributed


def _worker_check(paths: tuple[str, ...]) -> dict[str, Any]:
    """Run on each worker: its eventcoder version and which of ``paths`` it lacks."""
    from importlib.metadata import version

    return {"version": version("eventcoder"), "missing": [p for p in paths if not os.path.exists(p)]}


def _on_worker(fn: Callable[[PipelineConfig, Chunk], ChunkResult], config: PipelineConfig, chunk: Chunk) -> ChunkResult:
    """``fn(config, chunk)``, its result labelled with the Dask worker's address."""
    import dataclasses

    from distributed import get_worker

    result = fn(config, chunk)
    try:
        return dataclasses.replace(result, worker=get_worker().address)
    except (ValueError, TypeError):  # not on a worker (a test calling it directly), or no worker field
        return result


def _config_paths(config: PipelineConfig) -> tuple[str, ...]:
    paths = (*config.codebooks, *config.overlays)
    return (*paths, config.model_dir) if config.model_dir else tuple(paths)


class DaskEngine:
    """Code chunks on a Dask cluster: a ``LocalCluster`` it starts (``scheduler=None``) or an existing
    one at ``scheduler`` (``tcp://HOST:8786``), which it connects to and never stops."""

    name = "dask"

    def __init__(self, workers: int = 2, scheduler: str | None = None, threads_per_worker: int = 1):
        distributed = _distributed()
        if scheduler is None and workers < 1:
            raise ConfigError(f"--workers must be at least 1, not {workers}", fix="pass --workers 1 or more")
        if threads_per_worker < 1:
            raise ConfigError(f"threads per worker must be at least 1, not {threads_per_worker}")
        self.scheduler = scheduler
        self._cluster = None
        if scheduler is None:
            import dask

            # processes: the pipeline is pure Python and holds the GIL, so one thread per process
            with dask.config.set(LOCAL_CLUSTER_CONFIG):  # the workers get the config they start with
                self._cluster = distributed.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=threads_per_worker,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    # no dashboard; the scheduler's small HTTP server (health, metrics) on a free
                    # loopback port rather than 8787, which another cluster may hold
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                )
            try:
                self._client = distributed.Client(self._cluster, set_as_default=False)
            except BaseException:
                self._cluster.close()
                raise
        else:
            try:
                self._client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise ConfigError(
                    f"cannot reach the Dask scheduler at {scheduler} ({type(exc).__name__}: {exc})",
                    fix="start one with `dask scheduler` and pass its address (tcp://HOST:8786), "
                    "or leave out --scheduler to use a local cluster",
                ) from None
            try:
                self._client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
            except TimeoutError:
                self._client.close()
                raise ConfigError(
                    f"the Dask scheduler at {scheduler} has no workers",
                    fix=f"start some with `dask worker {scheduler} --nthreads 1`",
                ) from None
        # the chunks that can run at once: the cluster's worker threads when the engine starts
        # (run_batch keeps 2 * workers in flight; workers that join later share the same queue)
        self.workers = sum(self._client.nthreads().values()) or workers

    @property
    def client(self) -> Any:
        return self._client

    def check_workers(self, config: PipelineConfig) -> None:
        """Every worker runs this eventcoder version and has the files the config names."""
        from importlib.metadata import version

        mine = version("eventcoder")
        try:
            answers = self._client.run(_worker_check, _config_paths(config))
        except Exception as exc:
            raise ConfigError(
                f"a Dask worker cannot run eventcoder ({type(exc).__name__}: {exc})",
                fix=f"install eventcoder {mine} on every worker ({INSTALL_FIX}) and restart the workers",
            ) from None
        for worker, answer in sorted(answers.items()):
            if answer["version"] != mine:
                raise ConfigError(
                    f"Dask worker {worker} runs eventcoder {answer['version']}, this machine {mine}",
                    fix=f"install eventcoder {mine} on every worker and restart the workers",
                )
            if answer["missing"]:
                raise ConfigError(
                    f"Dask worker {worker} lacks {', '.join(answer['missing'])}",
                    fix="copy the model, codebooks and place files to the same paths on every worker",
                )

    def map(
        self,
        fn: Callable[[PipelineConfig, Chunk], ChunkResult],
        config: PipelineConfig,
        chunks: Iterable[Chunk],
        max_in_flight: int,
    ) -> Iterator[ChunkResult]:
        """``fn(config, chunk)`` for each chunk on the cluster; results as they complete.

        At most ``max_in_flight`` chunks are pulled from ``chunks`` and not yet yielded, so memory
        stays bounded whatever the input size. A chunk that fails raises :class:`WorkerError` naming
        it; the chunks still in flight are cancelled (also when the caller stops iterating)."""
        distributed = _distributed()
        if max_in_flight < 1:
            raise ConfigError(f"max_in_flight must be at least 1, not {max_in_flight}")
        client = self._client
        self.check_workers(config)
        # The config travels with each chunk: it pickles to ~200 bytes beside the chunk's
        # documents, and unlike scattered data it cannot be lost when a worker leaves.
        pending = iter(chunks)
        in_flight: dict[Any, int] = {}  # future -> chunk index
        done = distributed.as_completed(loop=client.loop)

        def submit() -> bool:
            for chunk in pending:
                future = client.submit(_on_worker, fn, config, chunk, pure=False)
                in_flight[future] = chunk.index
                done.add(future)
                return True
            return False

        try:
            while len(in_flight) < max_in_flight and submit():
                pass
            for future in done:
                index = in_flight.pop(future)
                try:
                    result = future.result()
                except (Exception, asyncio.CancelledError) as exc:  # a lost worker, a cancelled future
                    raise WorkerError(
                        f"chunk {index} failed on a Dask worker: {type(exc).__name__}: {exc}",
                        fix="this is a bug in eventcoder (a document's own problems become Rejected "
                        "records): please report it with the chunk's documents",
                    ) from exc
                finally:
                    future.release()
                yield result
                submit()  # after the result is handed back: in flight + held <= max_in_flight
        finally:
            if in_flight:
                client.cancel(list(in_flight))
                for future in in_flight:
                    future.release()
                in_flight.clear()
            done.clear()

    def close(self) -> None:
        """Close the client, and the cluster if this engine started it (never an external one)."""
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def __enter__(self) -> DaskEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self.scheduler or "local cluster"
        return f"DaskEngine({where}, workers={self.workers})"


__all__ = ["DaskEngine", "WorkerError", "INSTALL_FIX"]
