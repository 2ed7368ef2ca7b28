"""`eventcoder train muc4`, `evaluate muc4 --rules-only` and `--model` through click's runner."""

from __future__ import annotations

import json

from click.testing import CliRunner

from eventcoder.cli import cli


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_train_muc4_smoke(muc4_dir, tmp_path):
    out = tmp_path / "model"
    res = run("train", "muc4", "--data-dir", str(muc4_dir), "--limit", "20", "--iterations", "3", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "on 20 documents" in res.output and str(out) in res.output
    assert {p.name for p in out.iterdir()} == {"roles.crfsuite", "clusters.tsv", "document.json", "manifest.json"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["documents"] == 20 and manifest["crf"]["max_iterations"] == 3
    res = run("evaluate", "muc4", "--data-dir", str(muc4_dir), "--limit", "3", "--format", "json", "--model", str(out))
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["extractor"] == manifest["model"]


def test_evaluate_muc4_rules_only_reports_the_previous_extractor(muc4_dir):
    res = run("evaluate", "muc4", "--data-dir", str(muc4_dir), "--rules-only", "--limit", "5", "--format", "json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["extractor"] == "rules.v1"
    assert report["documents"] == 5 and report["rejected"] == 0


def test_a_missing_model_fails_before_any_work_and_says_how_to_fix_it(tmp_path):
    res = run("extract", "-", "--model", str(tmp_path / "none"), "--db", str(tmp_path / "t.db"), input="x")
    assert res.exit_code == 2
    assert "train muc4" in res.output and "--rules-only" in res.output
    assert not (tmp_path / "t.db").exists()
