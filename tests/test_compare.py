"""eventcoder.compare: claims next to independent reports, ratios, and safe writers."""

from __future__ import annotations

import csv
import io
import json

from rich.console import Console

from eventcoder.compare import (
    CSV_COLUMNS,
    ComparisonRow,
    compare_claims,
    render_comparison_table,
    write_comparison_csv,
    write_comparison_json,
)
from eventcoder.link import incident_from_compact, link_incidents
from eventcoder.records import Count, Estimate, Event, Qualifier, SourceKind, SourceView, Stance


def view(inc_id, source, stance=Stance.REPORTED, killed=None, injured=None, claimed_by=None):
    kind = SourceKind.CLAIM if stance is Stance.CLAIMED else SourceKind.NEWS
    return SourceView(inc_id, f"doc-{inc_id}", source, kind, stance, claimed_by, killed, injured)


def event(*views, place="Arish"):
    from eventcoder.records import Location

    ids = tuple(sorted(v.incident_id for v in views))
    views = tuple(sorted(views, key=lambda v: v.incident_id))
    return Event(ids, "explosions_remote_violence", "suicide_bomb", sources=views,
                 location=Location(place, name=place, admin1="North Sinai", country="EG"),
                 claimed=any(v.stance is Stance.CLAIMED for v in views),
                 reported=any(v.stance is Stance.REPORTED for v in views), linker="link.v1")


def test_ratio_on_a_hand_made_event():
    ev = event(
        view("inc-1", "ahram", killed=Count(8, 8), injured=Count(12, 12)),
        view("inc-2", "army", killed=Count(10, 10)),
        view("inc-3", "claim-channel", Stance.CLAIMED, killed=Count(40, 40), injured=Count(30, 50), claimed_by="Islamic State"),
    )
    (row,) = compare_claims([ev], {})
    assert row.claimant == "Islamic State" and row.claim_source == "claim-channel"
    assert row.independent_killed == Estimate(best=9, low=8, high=10)  # median of 8 and 10, not 18
    assert row.independent_sources == ("ahram", "army")
    assert row.claimed_killed_value == 40 and row.killed_ratio == round(40 / 9, 2)
    assert row.claimed_injured_value == 40  # midpoint of 30-50
    assert row.injured_ratio == round(40 / 12, 2)
    assert row.place == "Arish, North Sinai, EG"


def test_ratio_not_computable():
    ev = event(
        view("inc-1", "wire", injured=Count(3, 3)),
        view("inc-2", "claim", Stance.CLAIMED, killed=Count(15, 15)),
        view("inc-4", "claim2", Stance.CLAIMED, killed=Count(20, None, Qualifier.MORE_THAN)),
    )
    rows = compare_claims([ev])
    assert len(rows) == 2  # one row per claim
    assert all(r.killed_ratio is None and r.independent_killed is None for r in rows)
    assert rows[1].claimed_killed_value == 20
    zero = event(view("inc-1", "wire", killed=Count(0, 0)), view("inc-2", "claim", Stance.CLAIMED, killed=Count(12, 12)))
    assert compare_claims([zero])[0].killed_ratio is None


def test_only_events_with_a_claim_and_an_independent_report():
    only_reports = event(view("inc-1", "a", killed=Count(1, 1)), view("inc-2", "b", killed=Count(2, 2)))
    only_claim = event(view("inc-3", "c", Stance.CLAIMED, killed=Count(5, 5)))
    assert compare_claims([only_reports, only_claim]) == []


def test_from_linked_incidents():
    wire = incident_from_compact(dict(doc="wire", source="ahram", kind="news", type="remote_explosive", date="2017-01-09",
                                      place=["Arish", "North Sinai", "EG", 31.13, 33.80, "exact"],
                                      targets=["police_security"], killed=8), 0)
    claim = incident_from_compact(dict(doc="claim", source="claim-channel", kind="claim", stance="claimed",
                                       perp=["Islamic State"], type="suicide_bomb", date="2017-01-10", cal="hijri",
                                       place=["Arish", "North Sinai", "EG", 31.13, 33.80, "exact"],
                                       targets=["police_security"], killed=40), 0)
    events = link_incidents([wire, claim])
    (row,) = compare_claims(events, {i.incident_id: i for i in (wire, claim)})
    assert row.claimant == "Islamic State"  # from the claim's perpetrators: it has no claimed_by
    assert row.killed_ratio == 5.0 and row.date == "2017-01-09"


def _hostile_row():
    return ComparisonRow(
        event_id="evt-1", date="2017-01-09", place="[bold]Town[/bold] <script>alert(1)</script>",
        claimant="=HYPERLINK(\"http://x\")", claim_incident_id="inc-2", claim_source="@channel\x1b[31m",
        claimed_killed=Count(40, 40), claimed_injured=None, claimed_killed_value=40, claimed_injured_value=None,
        independent_killed=Estimate(9, 8, 10), independent_injured=None, independent_sources=("-wire", "ngo"),
        killed_ratio=4.44, injured_ratio=None,
    )


def test_csv_defuses_formulas():
    out = io.StringIO(newline="")
    assert write_comparison_csv([_hostile_row()], out) == 1
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == CSV_COLUMNS
    cells = dict(zip(rows[0], rows[1]))
    assert cells["claimant"].startswith("'=")
    assert cells["claim_source"].startswith("'@")
    assert cells["independent_sources"] == "'-wire; ngo"
    assert cells["killed_ratio"] == "4.44" and cells["independent_killed_best"] == "9"
    assert cells["claimed_killed"] == "40"


def test_table_escapes_document_text():
    console = Console(record=True, width=250, color_system=None)
    render_comparison_table([_hostile_row()], console=console, title="[red]claims")
    text = console.export_text()
    assert "[bold]Town[/bold] <script>alert(1)</script>" in text
    assert "[red]claims" in text
    assert "\x1b" not in text
    assert "4.44x" in text and "9 (8-10)" in text


def test_json_round_trip():
    out = io.StringIO()
    write_comparison_json([_hostile_row()], out)
    data = json.loads(out.getvalue())
    assert data[0]["claimed_killed"] == {"low": 40, "high": 40, "qualifier": "exact", "spans": []}
    assert data[0]["independent_killed"] == {"best": 9, "low": 8, "high": 10}
    assert data[0]["killed_ratio"] == 4.44
