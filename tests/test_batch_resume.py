"""Resuming: `eventcoder batch` killed with SIGKILL, or crashing between its writes, and rerun
with the same arguments ends with the records of an uninterrupted run: none lost, none twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import eventcoder.batch as batch_module
from eventcoder.batch import BatchConfig, run_batch
from test_batch import RULES, parquet_dump, store_dump, write_corpus

CLI = [sys.executable, "-c", "from eventcoder.batch_cli import batch; batch()"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("resume") / "in")


def batch_args(corpus: Path, db: Path, out: Path, *extra: str) -> list[str]:
    return [*CLI, str(corpus), "--db", str(db), "--out", str(out), "--chunk-size", "2", "--rules-only", *extra]


@pytest.fixture(scope="module")
def uninterrupted(corpus, tmp_path_factory):
    folder = tmp_path_factory.mktemp("whole")
    db, out = folder / "whole.db", folder / "parts"
    done = subprocess.run(batch_args(corpus, db, out), capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr  # the corpus has two bad inputs: exit 1, as extract
    assert "Coded 18 documents" in done.stderr and "2 rejected (E101 x1, E102 x1)" in done.stderr
    return {"store": store_dump(db), "parts": parquet_dump(out), "stderr": done.stderr}


def _journal(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM batch_chunks").fetchone()[0]
    except sqlite3.Error:  # not created yet, or being migrated
        return 0


def _children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("workers", [1, 2])
def test_killed_run_resumes_to_the_same_records(corpus, uninterrupted, tmp_path, workers):
    if workers > 1 and not Path("/proc/self/stat").exists():
        pytest.skip("finding the worker processes needs /proc")
    db, out = tmp_path / "killed.db", tmp_path / "parts"
    args = batch_args(corpus, db, out, "--workers", str(workers))
    with open(tmp_path / "killed.log", "w") as log:  # a file, not a pipe: a stray worker cannot hold it open
        proc = subprocess.Popen(args, stdout=log, stderr=log)
    deadline = time.monotonic() + 240
    while _journal(db) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    children = _children(proc.pid) if workers > 1 else set()
    os.kill(proc.pid, signal.SIGKILL)  # at whatever point it is: between two commits, mid-write
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    # the pool's workers see their coordinator die and exit (none is left coding, or waiting)
    assert len(children) >= workers or workers == 1
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in children if _alive(pid)]
    for pid in left:  # ours: do not leave them running when the check fails
        os.kill(pid, signal.SIGKILL)
    assert not left, "pool workers outlived their killed coordinator"
    committed = _journal(db)
    assert 2 <= committed < 11  # 20 inputs in chunks of 2: it stopped part way

    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    # parts are written before the store's commit: a chunk is done when both have it
    assert f"Resumed: {committed} chunks were already done." in done.stderr
    assert store_dump(db) == uninterrupted["store"]
    assert parquet_dump(out) == uninterrupted["parts"]

    again = subprocess.run(args, capture_output=True, text=True, timeout=300)  # nothing left to do
    assert again.returncode == 0, again.stderr
    assert "Coded 0 documents" in again.stderr and "Resumed: 10 chunks were already done." in again.stderr
    assert store_dump(db) == uninterrupted["store"]
    assert parquet_dump(out) == uninterrupted["parts"]


class Crash(BaseException):
    """Stands for a kill: nothing after it runs (no except clause catches it)."""


@pytest.mark.parametrize("where", ["after_parts", "in_store_transaction", "after_store_commit", "mid_parts",
                                   "mid_parts_no_store"])
def test_a_crash_between_any_two_writes_resumes_to_the_same_records(corpus, uninterrupted, tmp_path, monkeypatch,
                                                                    where):
    db, out = tmp_path / "crash.db", tmp_path / "parts"
    no_store = where == "mid_parts_no_store"  # the parts alone journal the chunks
    config = BatchConfig(inputs=(str(corpus),), pipeline=RULES, db=None if no_store else str(db), out=str(out),
                         chunk_size=2)
    # the uninterrupted run's key names other targets; its records are what count
    calls = {"n": 0}
    real_store, real_mark, real_replace = batch_module._store_chunk, None, os.replace

    def crash_on_third(fn, nth=3):
        def wrapped(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == nth:
                raise Crash(where)
            return fn(*args, **kwargs)
        return wrapped

    if where == "after_parts":  # parts of chunk 2 written, its store transaction never begun
        monkeypatch.setattr(batch_module, "_store_chunk", crash_on_third(real_store))
    elif where == "in_store_transaction":  # records written in the transaction, the journal row not
        from eventcoder.store.base import Store

        real_mark = Store.mark_chunk_done
        monkeypatch.setattr(Store, "mark_chunk_done", crash_on_third(real_mark))
    elif where == "after_store_commit":  # chunk 1 committed, then the next chunk's parts crash at once
        monkeypatch.setattr(batch_module._PartWriter, "write", crash_on_third(batch_module._PartWriter.write))
    else:  # chunk 1's documents part renamed, its rejected and incidents (the journal) parts not
        # renames: 1 out/_run.json; 2-4 chunk 0's parts; 5 chunk 1's documents; 6 its rejected
        monkeypatch.setattr(batch_module.os, "replace", crash_on_third(real_replace, nth=6))
    with pytest.raises(Crash):
        run_batch(config)
    monkeypatch.undo()
    # a half-written part left behind by a kill, too
    (out / "incidents" / "part-000009.parquet.tmp").write_bytes(b"PAR1 half")

    summary = run_batch(config)
    assert summary.skipped_chunks == (1 if where.startswith("mid_parts") else 2)  # chunks fully written before
    if no_store:
        assert not db.exists()
    else:
        assert store_dump(db) == uninterrupted["store"]
    assert parquet_dump(out) == uninterrupted["parts"]
