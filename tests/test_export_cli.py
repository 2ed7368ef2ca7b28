"""`eventcoder export`: options in, a file or standard output out, one summary line on stderr;
and the whole pipeline's records through every format and back."""

from __future__ import annotations

import csv
import io
import json

import click
import pytest
from click.testing import CliRunner

from eventcoder.export import ACLED_COLUMNS, EVENT_COLUMNS, FLAT_COLUMNS, GTD_COLUMNS, acled_row, gtd_row
from eventcoder.export_cli import export
from eventcoder.records import Count, Event, Incident, Location, SourceKind, Stance
from eventcoder.store import Store
from factories import make_document, make_incident
from test_export_formats import as_cell, claim_incident, make_event

pq = pytest.importorskip("pyarrow.parquet")


@pytest.fixture
def db(tmp_path):
    """A SQLite store with a report (2 incidents, one not geocoded) and a claim (1 incident)."""
    path = tmp_path / "events.db"
    report, claim = make_document(), make_document(text="claim text", source="amaq", source_kind=SourceKind.CLAIM)
    with Store(path) as store:
        store.put_document(report)
        store.put_incidents(report.doc_id, [
            make_incident(report.doc_id),
            make_incident(report.doc_id, evidence=((1, 5),), location=Location("somewhere"),
                          fatalities=Count(2, 2)),
        ])
        store.put_document(claim)
        store.put_incidents(claim.doc_id, [claim_incident(doc_id=claim.doc_id)])
    return str(path)


def incidents_of(db):
    with Store(db) as store:
        return list(store.incidents())


def run(*args):
    result = CliRunner().invoke(export, list(args), catch_exceptions=False)
    return result


def test_is_a_click_command_named_export():
    assert isinstance(export, click.Command) and export.name == "export"


def test_acled_to_a_file(db, tmp_path):
    out = tmp_path / "acled.csv"
    result = run("--format", "acled", "--db", db, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == f"Exported 3 incidents (acled) to {out}."
    assert result.stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert tuple(rows[0]) == ACLED_COLUMNS
    by_id = {r["event_id_cnty"]: r for r in rows}
    for inc in incidents_of(db):
        assert by_id[inc.incident_id] == {k: as_cell(v) for k, v in acled_row(inc).items()}
    claimed = [r for r in rows if r["tags"].startswith("stance=claimed")]
    assert len(claimed) == 1 and claimed[0]["fatalities"] == "" and "figures as claimed" in claimed[0]["notes"]


def test_gtd_to_standard_output_with_filters(db):
    result = run("--format", "gtd", "--db", db, "--stance", "claimed", "--country", "IQ")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert tuple(rows[0]) == GTD_COLUMNS and len(rows) == 1
    (claim,) = [i for i in incidents_of(db) if i.stance is Stance.CLAIMED]
    assert rows[0] == {k: as_cell(v) for k, v in gtd_row(claim).items()}
    assert rows[0]["claimed"] == "1" and rows[0]["nkill"] == ""
    assert result.stderr.strip() == "Exported 1 incident (gtd) to standard output; 2 left out by the filters."


def test_geojson_reports_records_without_coordinates(db, tmp_path):
    out = tmp_path / "points.geojson"
    result = run("--format", "geojson", "--db", db, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == f"Exported 2 incidents (geojson) to {out}; 1 without coordinates skipped."
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert [f["geometry"]["coordinates"] for f in features] == [[44.66, 33.75], [44.66, 33.75]]


def test_jsonl_csv_and_parquet_round_trip(db, tmp_path):
    stored = {i.incident_id: i for i in incidents_of(db)}
    result = run("--format", "jsonl", "--db", db, "--since", "2024-03-01", "--until", "2024-03-31")
    assert result.exit_code == 0, result.output
    back = [Incident.from_dict(json.loads(line)) for line in result.stdout.splitlines()]
    assert {i.incident_id: i for i in back} == stored
    result = run("--format", "csv", "--db", db, "--type", "suicide_bomb")
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert tuple(rows[0]) == FLAT_COLUMNS and {r["incident_id"] for r in rows} == set(stored)
    out = tmp_path / "x.parquet"
    result = run("--format", "parquet", "--db", db, "--out", str(out), "--source", "AMAQ")
    assert result.exit_code == 0, result.output
    (row,) = pq.read_table(out).to_pylist()
    assert Incident.from_dict(json.loads(row["record"])) == stored[row["incident_id"]]
    assert row["stance"] == "claimed"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "parquet"], "parquet is a binary format and needs a file Fix: pass --out FILE.parquet"),
        (["--since", "yesterday"], "--since 'yesterday' is not a date Fix: write --since as YYYY-MM-DD"),
        (["--country", "Iraq"], "--country 'Iraq' is not an ISO 3166-1 alpha-2 code"),
        (["--format", "acled", "--events"], "the acled format writes incidents"),
        (["--type", "car_bomb"], "--type 'car_bomb' is not an event type"),
        (["--events", "--min-confidence", "0.5"], "--min-confidence applies to incidents"),
    ],
)
def test_bad_options_fail_with_a_fix(db, args, message):
    result = run("--db", db, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: [E001] ") and message in result.stderr
    assert result.stdout == ""


def test_missing_database_is_not_created(tmp_path):
    path = tmp_path / "nope.db"
    result = run("--db", str(path))
    assert result.exit_code == 2 and "no database at" in result.stderr and "Fix:" in result.stderr
    assert not path.exists()


def test_events_through_the_store(db, tmp_path):
    """--events reads Store.events(): events stored by a link run, exported as csv and parquet."""
    stored = incidents_of(db)
    placed = next(i for i in stored if i.stance is Stance.REPORTED and i.location.lat is not None)
    claim = next(i for i in stored if i.stance is Stance.CLAIMED)
    unplaced = next(i for i in stored if i.location.lat is None)
    evs = sorted([make_event(placed, claim), make_event(unplaced)], key=lambda e: e.event_id)
    with Store(db) as store:
        store.put_events(evs, "link.v1")
    result = run("--events", "--format", "csv", "--db", db, "--stance", "claimed")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    both = next(e for e in evs if len(e.incident_ids) == 2)
    assert tuple(rows[0]) == EVENT_COLUMNS and [r["event_id"] for r in rows] == [both.event_id]
    assert (rows[0]["n_sources"], rows[0]["claimed"], rows[0]["reported"]) == ("2", "true", "true")
    assert result.stderr.strip() == "Exported 1 event (csv) to standard output; 1 left out by the filters."
    out = tmp_path / "events.parquet"
    assert run("--events", "--format", "parquet", "--db", db, "--out", str(out)).exit_code == 0
    back = [Event.from_dict(json.loads(r)) for r in pq.read_table(out).column("record").to_pylist()]
    assert sorted(back, key=lambda e: e.event_id) == evs
    result = run("--events", "--format", "geojson", "--db", db)
    assert result.stderr.strip() == "Exported 1 event (geojson) to standard output; 1 without coordinates skipped."


# --------------------------------------------------------------------------
# End to end: the pipeline's own records through every format


@pytest.fixture(scope="module")
def coded(pipeline):
    from eventcoder.sample_reports import load_samples

    wanted = {"wire-baghdad-bombings", "claim-ninawa-svbied", "wire-lahj-kidnapping", "ngo-syria-weekly"}
    out = []
    for doc in load_samples():
        if doc.doc_id in wanted:
            result = pipeline.process(doc)
            assert result.rejected is None
            out.extend(result.incidents)
    assert any(i.stance is Stance.CLAIMED for i in out) and len(out) >= 4
    return out


def test_pipeline_records_round_trip_every_format(coded, tmp_path):
    from eventcoder.export import (
        flat_row,
        write_acled,
        write_csv,
        write_geojson,
        write_gtd,
        write_jsonl,
        write_parquet,
    )

    buf = io.StringIO()
    write_jsonl(coded, buf)
    assert [Incident.from_dict(json.loads(line)) for line in buf.getvalue().splitlines()] == coded

    for writer, row_of in ((write_acled, acled_row), (write_gtd, gtd_row), (write_csv, flat_row)):
        buf = io.StringIO(newline="")
        assert writer(coded, buf) == len(coded)
        rows = list(csv.DictReader(io.StringIO(buf.getvalue(), newline="")))
        for row, inc in zip(rows, coded, strict=True):
            expected = {k: as_cell(v) for k, v in row_of(inc).items()}
            if writer is write_csv:  # the flat CSV defuses by column; compare what it keeps
                expected = {k: expected[k] for k in row}
            assert {k: row[k].removeprefix("'") for k in row} == {k: v.removeprefix("'") for k, v in expected.items()}

    for inc, row in zip(coded, (acled_row(i) for i in coded)):
        if inc.stance is Stance.CLAIMED:
            assert row["fatalities"] is None and row["tags"].startswith("stance=claimed")
            assert gtd_row(inc)["claimed"] == 1 and gtd_row(inc)["nkill"] is None

    buf = io.StringIO()
    written, skipped = write_geojson(coded, buf)
    placed = [i for i in coded if i.location and i.location.lat is not None and i.location.lon is not None]
    assert (written, skipped) == (len(placed), len(coded) - len(placed))
    coords = [f["geometry"]["coordinates"] for f in json.loads(buf.getvalue())["features"]]
    assert coords == [[i.location.lon, i.location.lat] for i in placed]

    path = tmp_path / "coded.parquet"
    assert write_parquet(coded, path) == len(coded)
    table = pq.read_table(path)
    assert [Incident.from_dict(json.loads(r)) for r in table.column("record").to_pylist()] == coded
    assert table.column("incident_id").to_pylist() == [i.incident_id for i in coded]
