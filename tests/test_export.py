"""Writers: JSON lines, flat CSV (formula-safe), rich table (markup-safe), count formatting."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from rich.console import Console

from eventcoder.errors import ConfigError
from eventcoder.export import FLAT_COLUMNS, format_count, render_table, write_csv, write_jsonl
from eventcoder.records import (
    Actor,
    Count,
    DatePrecision,
    DateValue,
    Incident,
    Location,
    Qualifier,
    Rejected,
    Stance,
)
from factories import make_incident, span


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


# --------------------------------------------------------------------------
# format_count


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (None, "?"),
        (Count(None, None, Qualifier.UNSPECIFIED), "?"),
        (Count(None, None), "?"),
        (Count(7, 7), "7"),
        (Count(7, None), "7"),
        (Count(0, 0), "0"),
        (Count(10, 15), "10-15"),
        (Count(14, None, Qualifier.MORE_THAN), ">14"),
        (Count(5, None, Qualifier.AT_LEAST), "≥5"),
        (Count(35, 35, Qualifier.APPROXIMATELY), "~35"),
        (Count(30, 40, Qualifier.APPROXIMATELY), "~30-40"),
        (Count(None, 10), "≤10"),
        (Count(24, 99, Qualifier.UNSPECIFIED), "24-99"),
    ],
)
def test_format_count(count, expected):
    assert format_count(count) == expected


# --------------------------------------------------------------------------
# JSON lines


def test_write_jsonl_round_trips():
    inc = make_incident()
    rej = Rejected("ingest", "E105", "bad line", origin="f.jsonl:2")
    out = io.StringIO()
    assert write_jsonl([inc, rej, {"note": "ünïcode"}], out) == 3
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert Incident.from_dict(json.loads(lines[0])) == inc
    assert Rejected.from_dict(json.loads(lines[1])) == rej
    assert "ünïcode" in lines[2]  # UTF-8, not \\u escapes
    assert write_jsonl([], io.StringIO()) == 0


def test_write_jsonl_one_line_per_record_even_with_newlines():
    out = io.StringIO()
    write_jsonl([make_incident(perpetrators=(Actor("multi\nline\u2028actor"),))], out)
    assert out.getvalue().count("\n") == 1


# --------------------------------------------------------------------------
# CSV


def test_csv_columns_and_values():
    out = io.StringIO(newline="")
    second_claim = Actor("IS", spans=(span("Islamic State"),))
    assert write_csv([make_incident(), make_incident(evidence=((50, 60),), fatalities=None, location=None, date=None,
                                                     claimed_by=second_claim, stance=Stance.CLAIMED)], out) == 2
    rows = read_csv(out.getvalue())
    assert tuple(rows[0]) == FLAT_COLUMNS
    for name in ("incident_id", "doc_id", "source", "source_kind", "stance", "claimed_by", "event_type",
                 "sub_event_type", "date_start", "date_end", "date_precision", "date_calendar", "location_text",
                 "location_name", "admin1", "country", "lat", "lon", "location_precision", "perpetrators",
                 "targets", "target_categories", "weapons", "weapon_categories", "suicide", "fatalities_low",
                 "fatalities_high", "fatalities_qualifier", "injuries_low", "injuries_high", "injuries_qualifier",
                 "killed_or_injured_low", "killed_or_injured_high", "killed_or_injured_qualifier", "materiel",
                 "confidence"):
        assert name in FLAT_COLUMNS
    first, second = rows
    assert (first["source"], first["source_kind"], first["stance"], first["claimed_by"]) == (
        "reuters", "news", "reported", "Islamic State")
    assert (first["event_type"], first["sub_event_type"]) == ("explosions_remote_violence", "suicide_bomb")
    assert first["perpetrators"] == "Islamic State; a local cell"
    assert first["targets"] == "soldiers; police checkpoint"
    assert first["target_categories"] == "military; police_security"
    assert first["weapons"] == "car bomb"
    assert first["weapon_categories"] == "explosives_vehicle"
    assert first["materiel"] == "5 bmp destroyed; 14 tank captured"
    assert (first["fatalities_low"], first["fatalities_high"], first["fatalities_qualifier"]) == ("7", "7", "exact")
    assert (first["injuries_low"], first["injuries_high"]) == ("10", "15")
    assert first["killed_or_injured_low"] == "" and first["killed_or_injured_qualifier"] == ""
    assert (first["date_start"], first["date_precision"], first["date_calendar"]) == ("2024-03-05", "day", "gregorian")
    assert first["date_year_inferred"] == "true"
    assert (first["location_text"], first["location_name"], first["admin1"], first["country"]) == (
        "near Baqubah", "Baqubah", "Diyala", "IQ")
    assert (first["lat"], first["lon"], first["location_precision"]) == ("33.75", "44.66", "near")
    assert first["suicide"] == "true" and first["confidence"] == "0.8"
    assert (first["codebook"], first["codebook_version"], first["extractor"]) == (
        "event_types@1.0.0;weapons@1.0.0", "1.0.0", "rules.v1")
    assert second["stance"] == "claimed" and second["claimed_by"] == "IS"
    assert second["date_start"] == second["location_name"] == second["fatalities_low"] == ""


def test_csv_header_only_when_empty():
    out = io.StringIO(newline="")
    assert write_csv([], out) == 0
    assert next(csv.reader(io.StringIO(out.getvalue()))) == list(FLAT_COLUMNS)


@pytest.mark.parametrize("payload", ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_defuses_formulas_in_text_cells(payload):
    out = io.StringIO(newline="")
    write_csv([make_incident(perpetrators=(Actor(payload),), source=payload, sub_event_type=payload)], out)
    (row,) = read_csv(out.getvalue())
    for name in ("perpetrators", "source", "sub_event_type"):
        assert row[name] == "'" + payload
    assert not row["incident_id"].startswith("'")


def test_csv_leaves_numbers_and_plain_text_alone():
    out = io.StringIO(newline="")
    inc = make_incident(location=Location("Cape Town", name="Cape Town", country="ZA", lat=-33.92, lon=18.42),
                        perpetrators=(Actor("Gunmen - unidentified"),))
    write_csv([inc], out)
    (row,) = read_csv(out.getvalue())
    assert row["lat"] == "-33.92"  # a number, not a formula
    assert row["perpetrators"] == "Gunmen - unidentified"


def test_csv_unknown_column_set():
    with pytest.raises(ConfigError, match="flat"):
        write_csv([], io.StringIO(), columns="wide")


# --------------------------------------------------------------------------
# rich table


def render(incidents, **kw) -> str:
    console = Console(file=io.StringIO(), width=200, color_system=None, force_terminal=False)
    render_table(incidents, console=console, **kw)
    return console.file.getvalue()


def test_table_columns_and_counts():
    text = render([make_incident(), make_incident(evidence=((9, 10),), fatalities=Count(14, None, Qualifier.MORE_THAN),
                                                 injuries=None, stance=Stance.CLAIMED,
                                                 claimed_by=Actor("IS", spans=(span("Islamic State"),)))])
    for header in ("date", "place", "type", "perpetrator", "killed", "injured", "stance"):
        assert header in text
    assert "2024-03-05*" in text and "Baqubah, Diyala, IQ" in text and "suicide_bomb" in text
    assert "10-15" in text and ">14" in text and "?" in text and "claimed by IS" in text
    assert "reported; claimed by Islamic State" in text
    assert "a local cell" not in text  # a generic description gives way to the named perpetrator
    assert "killed or injured" not in text


def test_table_combined_count_column():
    text = render([make_incident(fatalities=None, injuries=None,
                                 killed_or_injured=Count(80, 80, Qualifier.APPROXIMATELY))])
    assert "killed or injured" in text and "~80" in text


def test_table_escapes_markup_and_control_characters():
    inc = make_incident(
        perpetrators=(Actor("[bold]Brigade[/bold]"),),
        sub_event_type="[red]Attack",
        location=Location("[link=http://evil]x[/link]", name="[link=http://evil]x[/link]"),
        claimed_by=Actor("\x1b[31mred\x1b[0m"),
    )
    text = render([inc], title="[bold]Incidents")
    assert "[bold]Brigade[/bold]" in text
    assert "[red]Attack" in text
    assert "[link=http://evil]x[/link]" in text
    assert "[bold]Incidents" in text
    assert "\x1b" not in text and "\\x1b[31mred" in text


def test_table_dates_by_precision():
    month = DateValue(dt.date(2024, 3, 1), dt.date(2024, 3, 31), DatePrecision.MONTH)
    span = DateValue(dt.date(2024, 3, 1), dt.date(2024, 3, 3), DatePrecision.DAY, year_inferred=True)
    text = render([make_incident(date=month), make_incident(evidence=((1, 2),), date=span),
                   make_incident(evidence=((3, 4),), date=None)])
    assert "2024-03 " in text and "2024-03-01..2024-03-03*" in text
