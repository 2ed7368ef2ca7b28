"""The CLI drives the pipeline; results are checked through the public API and the store."""

from __future__ import annotations

import json


import pytest
from click.testing import CliRunner

from eventcoder.cli import cli
from eventcoder.sample_reports import load_samples
from eventcoder.store import Store
from eventcoder.validate import validation_errors

REPORT = (
    "MOSUL, 4 May 2017 (Test Wire) - A car bomb exploded at a checkpoint in Mosul on Wednesday, "
    "killing 5 soldiers and wounding 9 others, police said.\n"
)


@pytest.fixture()
def run(tmp_path):
    def _run(*args, input=None):
        runner = CliRunner()
        return runner.invoke(cli, [*args, "--db", str(tmp_path / "t.db")] if args and args[0] == "extract" else list(args),
                             input=input, catch_exceptions=False)
    return _run


def test_extract_samples_stores_and_writes_valid_jsonl(run, tmp_path):
    out = tmp_path / "out" / "s.jsonl"
    res = run("extract", "--samples", "--out", str(out))
    assert res.exit_code == 0, res.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) >= 30
    assert all(validation_errors(r) == [] for r in records)
    assert f"JSONL: {out}" in res.output
    with Store(tmp_path / "t.db") as store:
        assert store.counts()["incidents"] == len(records)
        assert store.counts()["documents"] == len(list(load_samples()))
    # a rerun upserts: same ids, no duplicates
    run("extract", "--samples", "--out", str(out))
    with Store(tmp_path / "t.db") as store:
        assert store.counts()["incidents"] == len(records)


def test_bad_inputs_are_rejected_stored_and_counted(run, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(REPORT)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "blob.txt"
    binary.write_bytes(bytes(range(256)) * 10)
    jsonl = tmp_path / "docs.jsonl"
    jsonl.write_text(json.dumps({"text": REPORT, "published": "2017-05-04"}) + "\n{not json\n")
    csv_file = tmp_path / "no_text.csv"
    csv_file.write_text("body,date\nhello,2017-01-01\n")
    res = run("extract", str(good), str(empty), str(binary), str(jsonl), str(csv_file), "--published", "2017-05-04",
              "--out", str(tmp_path / "o.jsonl"))
    assert res.exit_code == 1
    assert "4 rejected" in res.output
    for code in ("E101", "E102", "E105", "E106"):
        assert code in res.output
    with Store(tmp_path / "t.db") as store:
        assert {r.code for r in store.rejected()} == {"E101", "E102", "E105", "E106"}
        incidents = list(store.incidents())
    assert incidents and all(i.fatalities is None or i.fatalities.low == 5 for i in incidents)


def test_option_errors_say_what_to_fix(run, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(REPORT)
    res = run("extract", str(good), "--source-kind", "blog")
    assert res.exit_code == 2 and "blog" in res.output and "news" in res.output
    res = run("extract", str(good), "--published", "4 May 2017")
    assert res.exit_code == 2 and "YYYY-MM-DD" in res.output


def test_stdin_and_csv_output(run):
    res = run("extract", "-", "--published", "2017-05-04", "--format", "csv", "--quiet", input=REPORT)
    assert res.exit_code == 0, res.output
    header, *rows = res.output.strip().splitlines()
    assert header.startswith("incident_id,")
    assert rows and "remote_explosive" in rows[0]


def test_codebook_commands(run):
    res = run("codebook", "explain", "VBIED")
    assert res.exit_code == 0 and "explosives_vehicle" in res.output and "weapons@" in res.output
    res = run("codebook", "list")
    assert "event_types" in res.output and "suicide_bomb" in res.output
    assert run("codebook", "explain", "nonsense-term").exit_code == 1


def test_evaluate_muc4_json(run, muc4_dir, tmp_path):
    preds = tmp_path / "p.jsonl"
    res = run("evaluate", "muc4", "--split", "dev", "--data-dir", str(muc4_dir), "--limit", "15",
              "--format", "json", "--predictions-out", str(preds))
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["documents"] == 15
    assert set(report["gtt"]) >= {"micro", "incident_type", "PerpInd", "PerpOrg", "Target", "Victim", "Weapon"}
    lines = [json.loads(line) for line in preds.read_text().splitlines()]
    assert len(lines) == 15
    from eventcoder.muc4.data import load_split

    texts = {d.docid: d.text for d in load_split("dev", muc4_dir)}
    for line in lines:
        for t in line["templates"]:
            for role in ("PerpInd", "PerpOrg", "Target", "Victim", "Weapon"):
                for entity in t[role]:
                    assert all(m in texts[line["docid"]] for m in entity)  # copied from the document


def test_evaluate_muc4_missing_data_is_a_clear_error(run, tmp_path):
    res = run("evaluate", "muc4", "--data-dir", str(tmp_path / "nowhere"))
    assert res.exit_code == 2
    assert "--data-dir" in res.output or "EVENTCODER_MUC4_DIR" in res.output


def test_places_of_your_own(run, tmp_path, monkeypatch):
    """A user overlay adds a place the gazetteer lacks; its record resolves near its reference place."""
    monkeypatch.setenv("EVENTCODER_CACHE_DIR", str(tmp_path / "cache"))
    places = tmp_path / "places.csv"
    places.write_text("name,aliases,admin1,country,lat,lon,population,feature,parent,source\n"
                      "Camp Zulu,Zulu Camp,,IQ,,,,camp,Mosul,test: a made-up camp near Mosul\n", encoding="utf-8")
    report = tmp_path / "r.txt"
    report.write_text("MOSUL, 4 May 2017 (Test Wire) - A car bomb exploded at Camp Zulu on Wednesday, killing 5 soldiers.\n")
    out = tmp_path / "o.jsonl"
    res = run("extract", str(report), "--places", str(places), "--out", str(out), "--quiet")
    assert res.exit_code == 0, res.output
    loc = json.loads(out.read_text().splitlines()[0])["location"]
    assert (loc["text"], loc["country"], loc["precision"]) == ("Camp Zulu", "IQ", "near")
    assert abs(loc["lat"] - 36.3) < 0.2  # Mosul's point: the camp's reference place
    bad = tmp_path / "bad.csv"
    bad.write_text("name,country\nNowhere,IQ\n", encoding="utf-8")
    res = run("extract", str(report), "--places", str(bad), "--quiet")
    assert res.exit_code == 2 and "source" in res.output
