"""The vocabulary of claims: neutral categories, claimed stance, user codebooks."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from click.testing import CliRunner

from eventcoder.cli import cli
from eventcoder.codebook import load_codebook
from eventcoder.records import Document, SourceKind, Stance

CLAIM = (
    "Wilayat al-Khayr\n\n"
    "On the 8th of Rabi' al-Awwal, the soldiers of the Caliphate attacked a checkpoint of the Nusayri army "
    "near Deir ez-Zor airport, killing 9 of them and injuring 17 others, and taking a BMP as ghanimah."
)


def test_enemy_labels_map_to_neutral_categories_and_stay_evidence(pipeline):
    doc = Document(CLAIM, published=dt.date(2016, 12, 20), source="channel", source_kind=SourceKind.CLAIM)
    (inc,) = pipeline.process(doc).incidents
    assert inc.stance == Stance.CLAIMED
    categories = {t.category for t in inc.targets}
    assert "military" in categories
    labels = {e.code for e in load_codebook("claims").sections["enemy_terms"]}
    words = {a for e in load_codebook("claims").sections["enemy_terms"] for a in e.aliases}
    assert not categories & (labels | words)  # a group's label is never a category
    nusayri = [t for t in inc.targets if "Nusayri" in t.text]
    assert nusayri and doc.text[slice(*nusayri[0].spans[0])] == nusayri[0].text  # kept as evidence text
    assert (inc.fatalities.low, inc.injuries.low) == (9, 17)
    assert [(m.kind, m.effect.value) for m in inc.materiel] == [("bmp", "captured")]


def test_text_that_reads_as_a_claim_is_claimed_without_a_source_kind(pipeline):
    doc = Document(CLAIM, published=dt.date(2016, 12, 20))  # source kind unknown
    assert all(i.stance == Stance.CLAIMED for i in pipeline.process(doc).incidents)
    news = Document("Gunmen attacked a checkpoint near Deir ez-Zor on 3 May 2017, killing 9 soldiers.",
                    published=dt.date(2017, 5, 4))
    assert all(i.stance == Stance.REPORTED for i in pipeline.process(news).incidents)


def test_every_enemy_label_has_a_definition():
    for e in load_codebook("claims").sections["enemy_terms"]:
        assert e.definition and e.aliases and e.get("category")


def test_a_users_codebook_replaces_the_packaged_one(tmp_path):
    book = yaml.safe_load(_packaged("weapons").read_text(encoding="utf-8"))
    book["version"] = "9.1.0"
    book["entries"].append({"code": "drone_munition", "label": "Drone-dropped munition",
                            "definition": "A grenade or bomb dropped from a small drone.",
                            "aliases": ["quadcopter", "drone-dropped grenade"], "implies": "air_drone_strike"})
    path = tmp_path / "weapons.yaml"
    path.write_text(yaml.safe_dump(book), encoding="utf-8")
    report = tmp_path / "r.txt"
    report.write_text("MOSUL, 4 May 2017 (Test Wire) - A quadcopter attacked a checkpoint in Mosul on Wednesday, "
                      "wounding 3 soldiers.\n")
    out = tmp_path / "o.jsonl"
    res = CliRunner().invoke(cli, ["extract", str(report), "--codebook", str(path), "--db", str(tmp_path / "d.db"),
                                   "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    record = yaml.safe_load(out.read_text())
    assert {w["category"] for w in record["weapons"]} == {"drone_munition"}
    assert "weapons@9.1.0" in record["coding"]["codebook"]
    bad = tmp_path / "other.yaml"
    bad.write_text(yaml.safe_dump({"name": "mine", "version": "1.0.0", "entries": []}))
    res = CliRunner().invoke(cli, ["extract", str(report), "--codebook", str(bad), "--db", str(tmp_path / "d.db")])
    assert res.exit_code == 2 and "replaces nothing" in res.output


def _packaged(name: str):
    from importlib import resources

    return resources.files("eventcoder").joinpath("data", "codebooks", f"{name}.yaml")


def test_a_groups_name_for_its_fighters_is_the_group(pipeline):
    """"the soldiers of the Caliphate" names Islamic State: the claim's perpetrator and claimant,
    and the group's label in the ACLED-like export; the raw words stay as evidence."""
    from eventcoder.export import acled_row

    doc = Document(CLAIM, published=dt.date(2016, 12, 20), source="channel", source_kind=SourceKind.CLAIM)
    (inc,) = pipeline.process(doc).incidents
    assert [p.text for p in inc.perpetrators] == ["soldiers of the Caliphate"]
    assert doc.text[slice(*inc.perpetrators[0].spans[0])] == "soldiers of the Caliphate"
    assert inc.perpetrators[0].category == "rebel_group" and not inc.perpetrators[0].generic
    assert acled_row(inc)["actor1"] == "Islamic State"


def test_a_place_the_act_was_near_is_no_target(pipeline):
    """"near the village of X" says where; "shelled the village" says what was hit."""
    near = Document("On 3 May 2017 fighters detonated a device on a vehicle of the PKK near the village of "
                    "Suwaydiyah, killing 3 of its members.", published=dt.date(2017, 5, 4))
    (inc,) = pipeline.extractor.extract(near)
    assert "village" not in [t.text for t in inc.targets]
    hit = Document("On 3 May 2017 the army shelled the village of Suwaydiyah, killing 3 residents.",
                   published=dt.date(2017, 5, 4))
    (inc,) = pipeline.extractor.extract(hit)
    assert "village" in [t.text for t in inc.targets]


def test_the_group_an_act_is_attributed_to_is_its_perpetrator_not_its_target(pipeline):
    doc = Document("On 5 May 2017, gunmen abducted 7 women outside Gwoza. Community leaders attributed "
                   "the abduction to Boko Haram fighters.", published=dt.date(2017, 5, 8))
    (inc,) = pipeline.extractor.extract(doc)
    assert "Boko Haram" in [p.text for p in inc.perpetrators]
    assert [t.text for t in inc.targets] == ["women"]


def test_a_clash_between_two_sides_names_the_first_as_perpetrator(pipeline):
    doc = Document("On 9 August 2019, armed clashes between Ansar Allah fighters and government-aligned forces "
                   "in Sirwah district, Marib governorate, left at least 14 fighters dead on both sides.",
                   published=dt.date(2019, 8, 12))
    (inc,) = pipeline.extractor.extract(doc)
    assert inc.event_type == "battles"
    assert [p.text for p in inc.perpetrators] == ["Ansar Allah"]
    assert "Ansar Allah" not in [t.text for t in inc.targets]
    assert ("government-aligned forces", "military") in [(t.text, t.category) for t in inc.targets]


def test_a_weeks_total_joins_no_act(pipeline):
    """A bulletin's total over a period names no act: it neither starts one nor joins the one
    before it (its "killed" made the clash above an attack on civilians)."""
    doc = Document("On 9 August 2019, armed clashes between Ansar Allah fighters and government-aligned forces "
                   "in Sirwah district left at least 14 fighters dead on both sides.\n\n"
                   "Week total recorded by the Monitor: 6 civilians killed and 5 injured in 3 incidents.",
                   published=dt.date(2019, 8, 12))
    (inc,) = pipeline.extractor.extract(doc)
    assert inc.sub_event_type == "armed_clash"
    assert all("Week total" not in doc.text[a:b] for a, b in inc.evidence)


@pytest.mark.parametrize("text, category", [
    ("On 3 May 2017 the brothers clashed with them with light and medium weapons near Tal Afar.", "firearms"),
])
def test_claims_and_bulletins_name_their_weapons(pipeline, text, category):
    (inc,) = pipeline.extractor.extract(Document(text, published=dt.date(2019, 5, 8)))
    assert category in {w.category for w in inc.weapons}
