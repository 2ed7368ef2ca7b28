"""The JSON logistic model: hand-computed probabilities, a lossless round trip, a deterministic fit."""

from __future__ import annotations

import json
import math

import pytest

from eventcoder.learn.linear import LinearModel, fit

MODEL = LinearModel(
    labels=("relevant", "attack"),
    intercepts={"relevant": -1.0, "attack": 0.5},
    weights={"w=bomb": {"relevant": 2.0}, "w=army": {"relevant": 0.5, "attack": -1.5}},
)


def logistic(s: float) -> float:
    return 1.0 / (1.0 + math.exp(-s))


def test_probabilities_sum_the_weights_of_the_features_present_once():
    p = MODEL.probabilities(["w=bomb", "w=army", "w=bomb", "w=unknown"])  # a repeat counts once
    assert set(p) == {"relevant", "attack"}
    assert p["relevant"] == pytest.approx(logistic(-1.0 + 2.0 + 0.5))  # 0.8176
    assert p["attack"] == pytest.approx(logistic(0.5 - 1.5))  # 0.2689
    assert MODEL.probabilities(set()) == pytest.approx({"relevant": logistic(-1.0), "attack": logistic(0.5)})


def test_extreme_scores_saturate_without_overflow():
    m = LinearModel(("a", "b"), {"a": 1e6, "b": -1e6}, {})
    p = m.probabilities([])
    assert p["a"] == pytest.approx(1.0) and 0.0 < p["b"] < 1e-12


def test_round_trip_through_json_is_lossless():
    again = LinearModel.from_dict(json.loads(json.dumps(MODEL.to_dict())))
    assert again == MODEL
    assert again.to_dict() == MODEL.to_dict()
    assert again.probabilities(["w=army"]) == MODEL.probabilities(["w=army"])


ROWS = [["w=bomb", "w=night"], ["w=bomb", "w=day"], ["w=talks", "w=night"], ["w=talks", "w=day"],
        ["w=bomb", "w=once"], ["w=talks", "w=night"]]
TARGETS = {"relevant": [1, 1, 0, 0, 1, 0], "attack": [0, 0, 1, 1, 0, 1]}


def test_fit_separates_a_separable_set_for_every_label():
    model = fit(ROWS, TARGETS)
    assert model.labels == ("relevant", "attack")  # the order of the targets
    for row, rel, att in zip(ROWS, TARGETS["relevant"], TARGETS["attack"]):
        p = model.probabilities(row)
        assert (p["relevant"] > 0.5) == bool(rel), row
        assert (p["attack"] > 0.5) == bool(att), row
    assert model.weights["w=bomb"]["relevant"] > 0 > model.weights["w=talks"]["relevant"]


def test_fit_drops_rare_and_tiny_weights_and_rounds_the_rest():
    model = fit(ROWS, TARGETS, prune=0.3)
    assert "w=once" not in model.weights  # seen in one row only
    assert set(model.weights) == {"w=bomb", "w=talks"}  # night/day say little: pruned
    for by_label in model.weights.values():
        assert all(abs(w) >= 0.3 and w == round(w, 4) for w in by_label.values())


def test_two_fits_are_identical():
    assert fit(ROWS, TARGETS, seed=3).to_dict() == fit(ROWS, TARGETS, seed=3).to_dict()
    assert json.dumps(fit(ROWS, TARGETS).to_dict(), sort_keys=True) == json.dumps(fit(ROWS, TARGETS).to_dict(), sort_keys=True)
