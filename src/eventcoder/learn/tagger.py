"""The CRF role tagger: BIO labels for the five MUC-4 roles over the tokens of each sentence.

Decoding is by marginals, not Viterbi: a token is part of a role filler when the tagger's
probability that it is outside every role drops below ``outside`` (0.7 by default). Viterbi
keeps only the single best path, which is too conservative when most tokens are "O".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..lexicon import Lexicon
from .features import sentence_features
from .tokens import Token



@dataclass(frozen=True, slots=True)
class RoleSpan:
    role: str
    start: int
    end: int
    sentence: int
    probability: float  # mean over the span's tokens of 1 - P(outside)

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)


def bio_spans(labels: list[str]) -> list[tuple[str, int, int]]:
    """(role, first token, last token + 1) of each run of B-/I- labels of one role."""
    out, i = [], 0
    while i < len(labels):
        if labels[i] == "O":
            i += 1
            continue
        role, j = labels[i][2:], i + 1
        while j < len(labels) and labels[j] == "I-" + role:
            j += 1
        out.append((role, i, j))
        i = j
    return out


class RoleTagger:
    """The CRF role tagger, with the word clusters it was trained with (none for a model trained
    without them). Pickles as its model path (the CRF is reopened on unpickling), so a pipeline
    can be sent to batch workers."""

    def __init__(self, model_path: Path, lexicon: Lexicon, outside: float = 0.7,
                 clusters: Mapping[str, str] | None = None):
        self.model_path = Path(model_path)
        self.lexicon = lexicon
        self.outside = outside
        self.clusters = dict(clusters or {})
        self._open()

    def _open(self) -> None:
        import pycrfsuite

        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(self.model_path))
        self._labels = [label for label in self._tagger.labels() if label != "O"]

    def __getstate__(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "lexicon": self.lexicon, "outside": self.outside,
                "clusters": self.clusters}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._open()

    def tag(self, text: str, sentences: list[list[Token]]) -> list[RoleSpan]:
        out: list[RoleSpan] = []
        tagger = self._tagger
        for si, sent in enumerate(sentences):
            tagger.set(sentence_features(text, sent, si, len(sentences), self.lexicon, self.clusters))
            labels, probs = [], []
            for j in range(len(sent)):
                p_out = tagger.marginal("O", j)
                if p_out >= self.outside:
                    labels.append("O")
                    probs.append(0.0)
                    continue
                best = max(self._labels, key=lambda lab: tagger.marginal(lab, j))
                if best.startswith("I-") and (not labels or labels[-1][2:] != best[2:]):
                    best = "B-" + best[2:]
                labels.append(best)
                probs.append(1.0 - p_out)
            for role, a, b in bio_spans(labels):
                out.append(RoleSpan(role, sent[a].start, sent[b - 1].end, si, sum(probs[a:b]) / (b - a)))
        return out
