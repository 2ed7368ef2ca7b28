"""The extractor on the whole MUC-4 dev split: real scores, with floors a little under the
figures in the README, so that a regression fails here."""

from __future__ import annotations

import json

import pytest

from eventcoder.muc4.evaluate import dateline_date, evaluate_muc4

MUC_TYPES = {"attack", "bombing", "kidnapping", "arson", "robbery", "forced work stoppage"}


@pytest.fixture(scope="module")
def report(muc4_dir, tmp_path_factory, pipeline):
    out = tmp_path_factory.mktemp("muc4") / "pred.jsonl"
    rep = evaluate_muc4("dev", muc4_dir, predictions_out=out, pipeline=pipeline)
    rep["_predictions"] = [json.loads(line) for line in out.read_text().splitlines()]
    return rep


def test_dev_scores_are_real_and_above_the_floor(report):
    assert report["documents"] == 200 and report["rejected"] == 0
    assert report["gtt"]["micro"]["f1"] >= 32.0
    assert report["ceaf_ree"]["micro"]["f1"] >= 27.0
    assert report["ceaf_rme_phi_subset"]["micro"]["f1"] >= 22.0
    for role in ("PerpInd", "PerpOrg", "Target", "Victim", "Weapon"):
        assert report["ceaf_ree"][role]["p_den"] > 0, role  # every role is predicted
    assert report["docs_per_second"] > 0


def test_predictions_file_has_one_line_per_document_in_the_gtt_format(report):
    preds = report["_predictions"]
    assert len(preds) == 200
    for line in preds:
        for t in line["templates"]:
            assert t["incident_type"] in MUC_TYPES
            assert set(t) == {"incident_type", "PerpInd", "PerpOrg", "Target", "Victim", "Weapon"}


def test_dateline_dates():
    assert str(dateline_date("SAN SALVADOR, 3 JAN 90 (ACAN-EFE)")) == "1990-01-03"
    assert dateline_date("CLANDESTINE, NO DATE") is None
    assert dateline_date(None) is None
