"""Score incident records against hand-coded expected records (our modern-report benchmark).

Expected records are YAML files, one per document (``tests/data/expected/<doc_id>.yaml``),
written by people under the coding policy in that folder's README. Predicted and expected
incidents are paired by the overlap of their evidence with a maximum-weight matching; then
each field is compared. Reported: incident-level precision/recall/F1 and per-field accuracy
over the paired incidents.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
from scipy.optimize import linear_sum_assignment

from .codebook import load_codebook
from .datafiles import safe_load
from .geocode import normalize_place
from .records import Count, Document, Incident


def load_expected(folder: Path) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for p in sorted(folder.glob("*.yaml")):
        data = safe_load(p.read_text(encoding="utf-8"))
        out[data["doc_id"]] = data.get("incidents") or []
    return out


def _evidence_span(text: str, evidence: str) -> tuple[int, int]:
    i = text.find(evidence)
    return (i, i + len(evidence)) if i >= 0 else (0, 0)


def _overlap(a: tuple[int, int], spans: Iterable[tuple[int, int]]) -> int:
    return sum(max(0, min(a[1], e) - max(a[0], s)) for s, e in spans)


def _count(c: Count | None) -> Any:
    if c is None:
        return None
    return (c.low, c.high if c.high != c.low else None, c.qualifier.value)


def _expected_count(c: Any) -> Any:
    if c is None:
        return None
    low, high = c.get("low"), c.get("high")
    return (low, high if high != low else None, c.get("qualifier", "exact"))


def _actor(phrase: str) -> str:
    """An actor as the actor codebook names it ("ISWAP" and "Islamic State West Africa Province"
    are one group), else its words in lower case."""
    entry = load_codebook("actors").named(phrase)
    return entry.label.lower() if entry is not None else " ".join(phrase.split()).lower()


def _date(v: Any) -> str | None:
    return v.isoformat() if isinstance(v, dt.date) else (str(v) if v else None)


# field name -> (value of a predicted Incident, value of an expected dict)
FIELDS = {
    "sub_event_type": (lambda i, t: i.sub_event_type, lambda e: e.get("sub_event_type")),
    "event_type": (lambda i, t: i.event_type, lambda e: e.get("event_type")),
    "stance": (lambda i, t: i.stance.value, lambda e: e.get("stance", "reported")),
    "date.start": (lambda i, t: _date(i.date.start) if i.date else None, lambda e: _date((e.get("date") or {}).get("start"))),
    "date.precision": (lambda i, t: i.date.precision.value if i.date else None, lambda e: (e.get("date") or {}).get("precision")),
    "location.text": (
        lambda i, t: normalize_place(i.location.text) if i.location else None,
        lambda e: normalize_place((e.get("location") or {}).get("text") or "") or None,
    ),
    "location.country": (lambda i, t: i.location.country if i.location else None, lambda e: (e.get("location") or {}).get("country")),
    "fatalities": (lambda i, t: _count(i.fatalities), lambda e: _expected_count(e.get("fatalities"))),
    "injuries": (lambda i, t: _count(i.injuries), lambda e: _expected_count(e.get("injuries"))),
    "killed_or_injured": (lambda i, t: _count(i.killed_or_injured), lambda e: _expected_count(e.get("killed_or_injured"))),
    "suicide": (lambda i, t: i.suicide, lambda e: bool(e.get("suicide", False))),
    "perpetrators": (
        lambda i, t: frozenset(_actor(p.text) for p in i.main_perpetrators),
        lambda e: frozenset(_actor(p) for p in e.get("perpetrators") or []),
    ),
    "weapon_categories": (
        lambda i, t: frozenset(w.category for w in i.weapons),
        lambda e: frozenset(w["category"] for w in e.get("weapons") or []),
    ),
    "target_categories": (
        lambda i, t: frozenset(x.category for x in i.targets),
        lambda e: frozenset(x["category"] for x in e.get("targets") or []),
    ),
    "materiel": (
        lambda i, t: frozenset((m.kind, m.count.low, m.effect.value) for m in i.materiel),
        lambda e: frozenset((m["kind"], m.get("count"), m["effect"]) for m in e.get("materiel") or []),
    ),
}


@dataclass
class SampleScore:
    predicted: int = 0
    expected: int = 0
    matched: int = 0
    correct: dict[str, int] = field(default_factory=lambda: {k: 0 for k in FIELDS})
    mismatches: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def accuracy(self, name: str) -> float:
        return self.correct[name] / self.matched if self.matched else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "incidents": {"predicted": self.predicted, "expected": self.expected, "matched": self.matched,
                          "p": round(100 * self.precision, 1), "r": round(100 * self.recall, 1), "f1": round(100 * self.f1, 1)},
            "field_accuracy": {k: round(100 * self.accuracy(k), 1) for k in FIELDS},
        }


def score_samples(results: Iterable[tuple[Document, list[Incident]]], expected: dict[str, list[dict[str, Any]]]) -> SampleScore:
    score = SampleScore()
    for doc, incidents in results:
        exp = expected.get(doc.doc_id)
        if exp is None:
            continue
        score.predicted += len(incidents)
        score.expected += len(exp)
        if not incidents or not exp:
            continue
        weights = np.zeros((len(exp), len(incidents)))
        for i, e in enumerate(exp):
            span = _evidence_span(doc.text, e.get("evidence", ""))
            for j, inc in enumerate(incidents):
                weights[i, j] = _overlap(span, inc.evidence)
        rows, cols = linear_sum_assignment(-weights)
        for i, j in zip(rows, cols):
            if weights[i, j] <= 0:
                continue
            score.matched += 1
            for name, (pred_of, exp_of) in FIELDS.items():
                got, want = pred_of(incidents[j], doc.text), exp_of(exp[i])
                if got == want:
                    score.correct[name] += 1
                else:
                    score.mismatches.append(f"{doc.doc_id}#{i} {name}: got {got!r}, expected {want!r}")
    return score


def evaluate_samples(expected_dir: Path, pipeline: Any = None) -> SampleScore:
    """Code the bundled sample reports and score them against ``expected_dir``."""
    from .pipeline import Pipeline
    from .sample_reports import load_samples

    if not expected_dir.is_dir():
        from .errors import DataNotFound

        raise DataNotFound(
            f"no expected records at {expected_dir}",
            fix="run from the repository root or pass --expected-dir tests/data/expected",
        )
    pipeline = pipeline or Pipeline()
    results = [(doc, list(pipeline.process(doc).incidents)) for doc in load_samples()]
    return score_samples(results, load_expected(expected_dir))
