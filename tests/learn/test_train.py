"""Training: gold BIO labels from filler strings, and a deterministic smoke training on MUC-4."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from eventcoder.learn.tokens import sentences
from eventcoder.learn.train import MODEL_VERSION, bio_labels
from eventcoder.pipeline import Pipeline, PipelineConfig
from eventcoder.records import Document, SourceKind

# ------------------------------------------------------------------------------ bio_labels

TEXT = (
    "urban guerrillas of the fmln attacked the national guard post in soyapango. "
    "the national guard said the fmln also burned a bus."
)


def labelled(text: str, fillers: dict[str, list[list[str]]]) -> list[tuple[str, str]]:
    """(token, label) for every token that is not "O", in text order."""
    sents = sentences(text)
    return [(t.text, lab) for s, labs in zip(sents, bio_labels(sents, fillers)) for t, lab in zip(s, labs) if lab != "O"]


def test_labels_have_one_row_per_token_and_are_outside_without_fillers():
    sents = sentences(TEXT)
    labels = bio_labels(sents, {})
    assert [len(x) for x in labels] == [len(s) for s in sents]
    assert {lab for x in labels for lab in x} == {"O"}


def test_every_occurrence_of_every_mention_is_labelled_in_any_case():
    got = labelled(TEXT, {"PerpOrg": [["FMLN"]], "Weapon": [["machine guns"]]})
    assert got == [("fmln", "B-PerpOrg"), ("fmln", "B-PerpOrg")]  # both sentences; absent mentions do nothing


def test_each_mention_of_an_entity_is_labelled():
    text = "the farabundo marti national liberation front (fmln) claimed the attack."
    got = labelled(text, {"PerpOrg": [["farabundo marti national liberation front", "fmln"]]})
    assert got == [("farabundo", "B-PerpOrg"), ("marti", "I-PerpOrg"), ("national", "I-PerpOrg"),
                   ("liberation", "I-PerpOrg"), ("front", "I-PerpOrg"), ("fmln", "B-PerpOrg")]


def test_a_longer_filler_wins_over_a_shorter_one_it_overlaps():
    got = labelled(TEXT, {"PerpOrg": [["national guard"]], "Target": [["national guard post"]]})
    # the post is a target; the shorter organisation still labels its other, free occurrence
    assert got == [("national", "B-Target"), ("guard", "I-Target"), ("post", "I-Target"),
                   ("national", "B-PerpOrg"), ("guard", "I-PerpOrg")]


def test_the_first_role_listed_wins_a_tie_whatever_the_order_given():
    fillers = {"Victim": [["urban guerrillas"]], "PerpInd": [["urban guerrillas"]]}
    assert labelled(TEXT, fillers) == [("urban", "B-PerpInd"), ("guerrillas", "I-PerpInd")]
    fillers = {"Weapon": [["bus"]], "Target": [["bus"]]}
    assert [lab for _, lab in labelled(TEXT.replace("a bus.", "a bus today."), fillers)] == ["B-Target"]


def test_same_length_fillers_that_overlap_do_not_share_tokens():
    got = labelled("the guard post burned.", {"Target": [["guard post"]], "Weapon": [["post burned"]]})
    assert got == [("guard", "B-Target"), ("post", "I-Target")]


def test_a_filler_ending_a_sentence_is_labelled():
    assert labelled(TEXT, {"Target": [["a bus"]]}) == [("a", "B-Target"), ("bus", "I-Target")]


# ------------------------------------------------------------------------- smoke training


@pytest.fixture(scope="module")
def smoke_model(muc4_dir, tmp_path_factory):
    from eventcoder.learn.train import train_muc4

    out = tmp_path_factory.mktemp("model-a")
    manifest = train_muc4(muc4_dir, out_dir=out, seed=0, limit=30, crf_iterations=5)
    return out, manifest


def test_smoke_training_writes_the_model_and_its_provenance(smoke_model):
    out, manifest = smoke_model
    assert {p.name for p in out.iterdir()} == {"roles.crfsuite", "clusters.tsv", "document.json", "manifest.json"}
    assert (out / "roles.crfsuite").stat().st_size > 0
    assert json.loads((out / "manifest.json").read_text()) == manifest
    # a trial run (--limit, --iterations) is named apart from the shipped model
    assert manifest["model"] == MODEL_VERSION + "+trial" and manifest["documents"] == 30 and manifest["seed"] == 0
    assert manifest["crf"]["max_iterations"] == 5
    # the word clusters of the training text, with how they were made
    lines = (out / "clusters.tsv").read_text().splitlines()
    assert len(lines) == manifest["clusters"]["words"] > manifest["clusters"]["clusters"]
    assert {int(line.split("\t")[1]) for line in lines} <= set(range(manifest["clusters"]["clusters"]))
    assert set(manifest["data"]) >= {"gtt_train.json", "grit_train.json"}
    assert all(len(f["sha256"]) == 64 for f in manifest["data"].values())
    doc_model = json.loads((out / "document.json").read_text())
    assert doc_model["labels"] == manifest["document_classifier"]["labels"]
    assert doc_model["labels"][0] == "relevant"
    # the classifiers learn from cross-fitted tagger features; the fold taggers are not kept
    assert manifest["document_classifier"]["tagger_features_folds"] == 5
    assert not list(out.glob(".fold*"))


def test_training_twice_with_the_same_seed_gives_identical_files(smoke_model, muc4_dir, tmp_path):
    from eventcoder.learn.train import train_muc4

    out, _ = smoke_model
    train_muc4(muc4_dir, out_dir=tmp_path, seed=0, limit=30, crf_iterations=5)
    for name in ("roles.crfsuite", "clusters.tsv", "document.json"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_a_trained_model_loads_in_the_pipeline_and_codes_a_report(smoke_model):
    out, manifest = smoke_model
    pipeline = Pipeline(PipelineConfig(model_dir=str(out)))
    assert pipeline.name == manifest["model"]
    text = "lima, 22 jun 88 (efe) -- [text] a bomb exploded today at a bank in the district of miraflores."
    result = pipeline.process(Document(text=text, doc_id="smoke-1", published=dt.date(1988, 6, 22),
                                       source="muc4", source_kind=SourceKind.NEWS))
    assert result.ok, result.rejected
    for inc in result.incidents:
        assert 0.0 <= inc.confidence <= 1.0
