"""`eventcoder link` and `eventcoder compare`, driven through click, asserted through the store API."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from eventcoder.link import load_pair_corpus
from eventcoder.link_cli import compare, link
from eventcoder.records import Document

CORPUS = Path(__file__).parent / "data" / "link_pairs.yaml"
PAIRS = ("d01", "d02", "d10", "d12", "d23")  # same: d01 d02 d10 d23 (three with a claim); d12 two events


def _fill(db: str) -> list:
    from eventcoder.store import Store

    incidents = {}
    for p in load_pair_corpus(CORPUS):
        if p.pair_id in PAIRS:
            incidents[p.a.incident_id] = p.a
            incidents[p.b.incident_id] = p.b
    store = Store(db)
    try:
        by_doc: dict[str, list] = {}
        for inc in incidents.values():
            by_doc.setdefault(inc.doc_id, []).append(inc)
        for doc_id, incs in sorted(by_doc.items()):
            store.put_document(Document(text=f"report {doc_id}", doc_id=doc_id, source=incs[0].source))
            store.put_incidents(doc_id, incs)
    finally:
        store.close()
    return list(incidents.values())


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "link.db")
    _fill(path)
    return path


def test_link_stores_events_and_prints_a_summary(db):
    from eventcoder.store import Store

    result = CliRunner().invoke(link, ["--db", db])
    assert result.exit_code == 0, result.output
    assert "Linked 10 incidents into 6 events" in result.output
    assert "4 reported by more than one record" in result.output
    assert "3 with a claim and an independent report" in result.output
    with Store(db) as store:
        events = list(store.events())
    assert len(events) == 6 and all(e.linker == "link.v1" for e in events)
    # a rerun replaces, it does not add
    assert CliRunner().invoke(link, ["--db", db, "--quiet"]).exit_code == 0
    with Store(db) as store:
        assert sorted(e.event_id for e in store.events()) == sorted(e.event_id for e in events)


def test_link_options(db, tmp_path):
    result = CliRunner().invoke(link, ["--db", db, "--radius-km", "0", "--days", "0"])
    assert result.exit_code == 0, result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: link\n")
    result = CliRunner().invoke(link, ["--db", db, "--config", str(bad)])
    assert result.exit_code == 2
    assert "Error: [E001]" in result.output and "Fix:" in result.output
    result = CliRunner().invoke(link, ["--db", db, "--days", "-3"])
    assert result.exit_code == 2 and "--days" in result.output


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_compare_formats(db, fmt, tmp_path):
    assert CliRunner().invoke(link, ["--db", db, "--quiet"]).exit_code == 0
    out = tmp_path / f"compare.{fmt}"
    result = CliRunner().invoke(compare, ["--db", db, "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    if fmt == "json":
        rows = json.loads(text)
        assert len(rows) == 3
        ratios = sorted(r["killed_ratio"] for r in rows)
        assert ratios == [round(118 / 44, 2), 5.0, 5.0]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert {r["claimant"] for r in rows} == {"Islamic State", "ISWAP"}
    else:
        assert "claims with independent reports" in text and "Karrada" in text


def test_compare_without_events_says_what_to_do(db):
    result = CliRunner().invoke(compare, ["--db", db])
    assert result.exit_code == 2
    assert "no events" in result.output and "eventcoder link" in result.output


def test_evaluate_links_scores_each_split_and_refuses_an_unknown_one():
    from eventcoder.cli import cli

    runner = CliRunner()
    res = runner.invoke(cli, ["evaluate", "links", "--pairs", str(CORPUS), "--format", "json"])
    assert res.exit_code == 0, res.output
    reports = {r["split"]: r for r in json.loads(res.output)}
    assert set(reports) == {p.split for p in load_pair_corpus(CORPUS)}
    for r in reports.values():
        assert r["tp"] + r["fp"] + r["fn"] + r["tn"] == r["pairs"]
    table = runner.invoke(cli, ["evaluate", "links", "--pairs", str(CORPUS), "--split", "test"])
    assert table.exit_code == 0 and table.output.startswith("test: ")
    bad = runner.invoke(cli, ["evaluate", "links", "--pairs", str(CORPUS), "--split", "nope"])
    assert bad.exit_code != 0 and "no pairs of split 'nope'" in bad.output
