"""Two `eventcoder extract` processes coding into one database at the same time lose nothing.

Runs on both backends (the ``store_url`` fixture): a SQLite file and a PostgreSQL schema.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from eventcoder.sample_reports import load_samples
from eventcoder.store import Store


def _write_reports(folder: Path, docs) -> None:
    folder.mkdir()
    for doc in docs:
        # a JSONL input keeps each report's source and publication date
        with open(folder / "reports.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"doc_id": doc.doc_id, "text": doc.text, "source": doc.source,
                                 "source_kind": doc.source_kind.value,
                                 "published": doc.published.isoformat() if doc.published else None}) + "\n")


def test_two_extract_processes_on_one_store_lose_nothing(store_url, tmp_path):
    docs = load_samples()
    halves = {"one": docs[0::2], "two": docs[1::2]}
    procs = {}
    for name, part in halves.items():
        _write_reports(tmp_path / name, part)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name in halves:
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", "eventcoder.cli", "extract", str(tmp_path / name / "reports.jsonl"),
             "--db", store_url, "--out", str(tmp_path / f"{name}.jsonl"), "--quiet", "--rules-only"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, f"writer {name} failed: {err[-2000:]}"

    written = [json.loads(line) for name in halves for line in (tmp_path / f"{name}.jsonl").read_text().splitlines()]
    assert written, "the writers coded no incidents"
    with Store(store_url) as store:
        assert store.counts()["documents"] == len(docs)
        stored = {inc.incident_id: inc.to_dict() for inc in store.incidents()}
    assert sorted(stored) == sorted(r["incident_id"] for r in written)
    for record in written:
        assert stored[record["incident_id"]] == record
