"""Concurrent writers lose nothing: two OS processes write into one store at the same time."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from eventcoder.store import Store
from factories import make_document, make_incident

TESTS = Path(__file__).parent
PER_WRITER = 40

# opens the store (a new one: both writers race to create its schema) once told to go, then
# writes its documents one transaction each, two incidents per document
WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[4])
    from eventcoder.store import Store
    from factories import make_document, make_incident

    url, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    go = Path(sys.argv[5])
    while not go.exists():
        time.sleep(0.005)
    with Store(url) as store:
        for i in range(count):
            doc = make_document(f"Report {name} {i}.")
            with store.transaction():
                store.put_document(doc)
                store.put_incidents(doc.doc_id, [make_incident(doc.doc_id),
                                                 make_incident(doc.doc_id, evidence=((60, 100),))])
    """
)


def docs_of(name):
    return [make_document(f"Report {name} {i}.") for i in range(PER_WRITER)]


def test_two_writers_lose_nothing(store_url, tmp_path):
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, store_url, name, str(PER_WRITER), str(TESTS), str(go)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for name in ("a", "b")
    ]
    time.sleep(0.5)  # both are up and waiting
    go.touch()
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    expected = docs_of("a") + docs_of("b")
    with Store(store_url) as store:
        assert store.counts()["documents"] == 2 * PER_WRITER
        assert store.counts()["incidents"] == 4 * PER_WRITER
        assert {d.doc_id: d for d in store.documents()} == {d.doc_id: d for d in expected}
        for doc in expected:
            assert sorted(i.incident_id for i in store.incidents(doc.doc_id)) == sorted(
                [make_incident(doc.doc_id).incident_id, make_incident(doc.doc_id, evidence=((60, 100),)).incident_id]
            )
