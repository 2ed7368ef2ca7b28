"""A linear classifier over sparse binary features, stored as JSON.

Training uses scikit-learn (the ``train`` extra); inference is a sum of weights and a
logistic function, so shipping a model needs no pickle and no scikit-learn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class LinearModel:
    """One binary logistic model per label over named binary features."""

    labels: tuple[str, ...]
    intercepts: dict[str, float]
    weights: dict[str, dict[str, float]]  # feature -> {label: weight}

    def probabilities(self, features: list[str] | set[str]) -> dict[str, float]:
        score = dict(self.intercepts)
        for f in set(features):
            w = self.weights.get(f)
            if w:
                for label, v in w.items():
                    score[label] += v
        return {label: 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, s)))) for label, s in score.items()}

    def to_dict(self) -> dict:
        return {"labels": list(self.labels), "intercepts": self.intercepts, "weights": self.weights}

    @classmethod
    def from_dict(cls, d: dict) -> "LinearModel":
        return cls(tuple(d["labels"]), dict(d["intercepts"]), {k: dict(v) for k, v in d["weights"].items()})


def fit(rows: list[list[str]], targets: dict[str, list[int]], c: float = 1.0, seed: int = 0, prune: float = 0.005) -> LinearModel:
    """Fit one L2-regularised logistic regression per label (scikit-learn, liblinear); weights
    smaller than ``prune`` are dropped and the rest rounded to 4 decimals (a smaller file, the
    same decisions)."""
    try:
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError as exc:  # the train extra is optional
        from ..errors import ConfigError

        raise ConfigError("training needs scikit-learn", fix="pip install 'eventcoder[train]'") from exc

    vec = CountVectorizer(analyzer=lambda r: r, binary=True, min_df=2)
    x = vec.fit_transform(rows)
    names = vec.get_feature_names_out()
    intercepts: dict[str, float] = {}
    weights: dict[str, dict[str, float]] = {}
    for label, y in targets.items():
        if len(set(y)) < 2:  # a label never (or always) seen: its base rate, nothing to weigh
            intercepts[label] = -30.0 if not any(y) else 30.0
            continue
        clf = LogisticRegression(C=c, solver="liblinear", random_state=seed, max_iter=2000)
        clf.fit(x, y)
        intercepts[label] = round(float(clf.intercept_[0]), 6)  # last bits vary with the BLAS threads
        for name, w in zip(names, clf.coef_[0]):
            if abs(w) >= prune:
                weights.setdefault(str(name), {})[label] = round(float(w), 4)
    return LinearModel(tuple(targets), intercepts, weights)
