"""The MUC-4 loader against the real dev split (counts from the README) and small folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eventcoder.errors import ConfigError, DataNotFound
from eventcoder.muc4 import (
    ROLES,
    MucDocument,
    default_data_dir,
    load_split,
    score_ceaf_ree,
    score_ceaf_rme,
    score_gtt,
    template_to_prediction,
    unique_templates,
)


@pytest.fixture(scope="module")
def dev(muc4_dir: Path) -> list[MucDocument]:
    return load_split("dev", muc4_dir)


def test_dev_documents_and_ids(dev):
    assert len(dev) == 200
    expected = [f"TST1-MUC3-{i:04d}" for i in range(1, 101)] + [
        f"TST2-MUC4-{i:04d}" for i in range(1, 101)
    ]
    assert [d.docid for d in dev] == expected
    assert all(d.text and d.text == d.text.lower() for d in dev)


def test_dev_template_counts_match_readme(dev):
    assert sum(1 for d in dev if not d.templates) == 84
    assert sum(1 for d in dev if len(d.templates) == 1) == 75
    assert sum(len(d.templates) for d in dev) == 191
    assert max(len(d.templates) for d in dev) == 9
    unique = [t for d in dev for t in unique_templates(d.templates)]
    assert len(unique) == 181
    # README "type-only templates" counts templates as stored (10); 8 survive de-duplication.
    stored = [t for d in dev for t in d.templates]
    assert sum(1 for t in stored if not any(t.roles[r] for r in ROLES)) == 10
    assert sum(1 for t in unique if not any(t.roles[r] for r in ROLES)) == 8


def test_dev_entity_counts_match_readme(dev):
    # README table "Entities / mentions per role", GTT dev and GRIT dev columns.
    gtt = {"PerpInd": (182, 296), "PerpOrg": (122, 201), "Target": (114, 195),
           "Victim": (90, 90), "Weapon": (61, 108)}
    grit = {"PerpInd": (148, 248), "PerpOrg": (82, 138), "Target": (109, 188),
            "Victim": (85, 85), "Weapon": (51, 91)}
    for role in ROLES:
        entities = [e for d in dev for t in d.templates for e in t.roles[role]]
        assert (len(entities), sum(map(len, entities))) == gtt[role]
        extracted = [e for d in dev for e in d.extracts[role]]
        assert (len(extracted), sum(map(len, extracted))) == grit[role]


def test_dev_datelines_and_extracts(dev):
    assert sum(1 for d in dev if d.dateline is not None) == 185
    assert all("NO DATE" not in d.dateline for d in dev if d.dateline)
    assert dev[0].dateline is not None and "90" in dev[0].dateline
    assert all(d.extracts is not None and set(d.extracts) == set(ROLES) for d in dev)
    first = dev[0].templates[0]
    assert first.incident_type == "attack"
    assert first.roles["PerpInd"][0] == ("guerrillas", "guerrilla column")


def _oracle(docs: list[MucDocument]) -> dict[str, list[dict]]:
    """Gold as predictions: unique templates, a compound type predicted as its first option."""
    out = {}
    for doc in docs:
        templates = []
        for template in unique_templates(doc.templates):
            prediction = template_to_prediction(template)
            prediction["incident_type"] = prediction["incident_type"].split("/")[0].strip()
            templates.append(prediction)
        out[doc.docid] = templates
    return out


def test_gold_against_itself_scores_100(dev):
    oracle = _oracle(dev)
    gtt = score_gtt(dev, oracle)
    assert gtt.micro.as_percent() == (100.0, 100.0, 100.0)
    assert gtt.micro.r_den == 181 + sum(
        len(e) for d in dev for t in unique_templates(d.templates) for e in t.roles.values()
    )
    assert all(b.f1 == 1.0 for b in gtt.buckets.values())
    assert gtt.n_approximate == 0

    extracts = {d.docid: {r: [list(e) for e in d.extracts[r]] for r in ROLES} for d in dev}
    ree = score_ceaf_ree(dev, extracts)
    assert ree.micro.as_percent() == (100.0, 100.0, 100.0)
    assert ree.micro.r_den == 148 + 82 + 109 + 85 + 51

    rme = score_ceaf_rme(dev, oracle)
    assert rme.micro.precision == 1.0
    # Faithful phi-subset loses one recall point on gold itself: in TST1-MUC3-0004 the two
    # Weapon entities share the mention "dynamite and grenade rocket launchers", and the
    # gold side records only the first gold entity containing a predicted mention (3.2).
    assert (rme.micro.r_num, rme.micro.r_den) == (549, 550)
    only_0004 = [d for d in dev if d.docid == "TST1-MUC3-0004"]
    assert score_ceaf_rme(only_0004, oracle).micro.r_num == 5
    others = [d for d in dev if d.docid != "TST1-MUC3-0004"]
    assert score_ceaf_rme(others, oracle).micro.as_percent() == (100.0, 100.0, 100.0)


def test_templates_merged_for_ree_differ_from_grit_gold(dev):
    # README quirk 11: the GRIT lists are not always the union of the GTT template entities.
    merged = score_ceaf_ree(dev, _oracle(dev))
    assert merged.micro.recall == 1.0
    assert merged.micro.precision < 1.0


# --- small folders, no real data ------------------------------------------------------------


def _write(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def _gtt_record(docid: str) -> dict:
    template = {"incident_type": "bombing", "PerpInd": [], "PerpOrg": [[["fmln", 0]]],
                "Target": [], "Victim": [], "Weapon": [[["dynamite", 10], ["tnt", 20]]]}
    return {"docid": docid, "doctext": "fmln used dynamite", "templates": [template]}


def test_optional_files_absent(tmp_path):
    _write(tmp_path / "gtt_train.json", [_gtt_record("DEV-MUC3-0001")])
    (doc,) = load_split("train", tmp_path)
    assert doc.extracts is None and doc.dateline is None
    assert doc.templates[0].roles["Weapon"] == (("dynamite", "tnt"),)
    assert doc.templates[0].roles["Victim"] == ()


def test_no_date_dateline_becomes_none(tmp_path):
    _write(tmp_path / "gtt_dev.json", [_gtt_record("A"), _gtt_record("B")])
    _write(tmp_path / "docmeta_dev.jsonl", [
        {"docid": "A", "dateline": "CLANDESTINE, NO DATE (RADIO VENCEREMOS)"},
        {"docid": "B", "dateline": "LIMA, 3 JAN 90"},
    ])
    a, b = load_split("dev", tmp_path)
    assert a.dateline is None
    assert b.dateline == "LIMA, 3 JAN 90"


def test_missing_folder_and_file_raise_data_not_found(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DataNotFound) as err:
        load_split("dev", missing)
    assert str(missing) in err.value.message
    assert "EVENTCODER_MUC4_DIR" in err.value.fix and "--data-dir" in err.value.fix
    with pytest.raises(DataNotFound) as err:
        load_split("dev", tmp_path)
    assert "gtt_dev.json" in err.value.message


def test_unknown_split_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError):
        load_split("validation", tmp_path)


def test_default_data_dir_order(tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTCODER_MUC4_DIR", str(tmp_path / "env"))
    assert default_data_dir() == tmp_path / "env"

    monkeypatch.delenv("EVENTCODER_MUC4_DIR")
    (tmp_path / "shared" / "data" / "muc4").mkdir(parents=True)
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    assert default_data_dir() == (tmp_path / "shared" / "data" / "muc4").resolve()

    monkeypatch.chdir(tmp_path)  # no ../shared here: fall back to the repository root
    repo_root = Path(__file__).resolve().parents[2]
    assert default_data_dir() == (repo_root.parent / "shared" / "data" / "muc4").resolve()


def test_missing_data_skips_locally_and_fails_on_ci(require_muc4, tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTCODER_MUC4_DIR", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="set EVENTCODER_MUC4_DIR"):
        require_muc4()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=str(tmp_path)):
        require_muc4()
