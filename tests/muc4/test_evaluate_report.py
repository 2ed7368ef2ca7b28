"""The MUC-4 report on the terminal: scores, and a warning when documents were rejected."""

from __future__ import annotations

from eventcoder.muc4.evaluate import render_report


def _report(rejected: int) -> dict:
    prf = {"p": 50.0, "r": 25.0, "f1": 33.33}
    return {
        "split": "dev", "documents": 10, "rejected": rejected, "extractor": "x", "seconds": 1.0,
        "docs_per_second": 10.0, "templates_predicted": 3, "templates_gold": 4,
        "gtt": {"micro": prf, "incident_type": prf, "approximate_docs": 0},
        "ceaf_ree": {"micro": prf}, "ceaf_rme_phi_subset": {"micro": prf},
    }


def test_rejected_documents_are_reported(capsys):
    render_report(_report(rejected=2))
    out = " ".join(capsys.readouterr().out.split())
    assert "2 documents were rejected" in out
    assert "33.33" in out


def test_no_warning_when_nothing_was_rejected(capsys):
    render_report(_report(rejected=0))
    assert "rejected" not in capsys.readouterr().out
