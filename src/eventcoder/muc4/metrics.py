"""The three MUC-4 scorers of ``METRICS.md``: GTT template F1, CEAF-REE and CEAF-RME.

Pure functions over :class:`~eventcoder.muc4.data.MucDocument` gold and plain prediction
dicts; no I/O. Section numbers below refer to ``../shared/data/muc4/METRICS.md``.

A predicted template is ``{"incident_type": str, "PerpInd": [[mention, ...], ...], ...}``;
missing roles are empty and any other key is an error. Predictions map ``docid`` to a list
of templates. Every gold document is scored (no prediction = predicted nothing); predicted
documents absent from the gold are ignored.

Deliberate departures from the reference scorers, all listed in METRICS.md 0.3:

* empty predicted entities and blank mention strings (``None`` or whitespace only) are
  dropped before scoring and counted in :class:`Cleanup`; the reference scorers count an
  empty entity as correct (GTT) or as a free precision loss (CEAF-RME);
* a non-string ``incident_type`` becomes ``"attack"`` (as the GTT scorer does) in both
  template metrics, and is counted;
* GTT alignment ties are decided on exact rational F1 (the reference compares floats).
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from eventcoder.errors import ConfigError, InputError
from eventcoder.muc4.data import ROLES, MucDocument, MucTemplate

BUCKETS: tuple[str, ...] = ("incident_type",) + ROLES
DEFAULT_INCIDENT_TYPE = "attack"
# Enumerate GTT alignments with no node budget while (n + 1) ** m stays below this.
EXACT_SEARCH_LIMIT = 2_000_000
# Above it, the (still exact) branch-and-bound search may visit this many nodes before the
# document falls back to a greedy alignment and is flagged approximate.
DEFAULT_MAX_SEARCH_NODES = 200_000  # about two seconds of search
_MAX_SEARCH_DEPTH = 256  # deeper searches would hit Python's recursion limit: greedy only

PredictedTemplate = Mapping[str, Any]
Predictions = Mapping[str, Sequence[PredictedTemplate]]
# CEAF-REE also takes a GRIT-style role -> entities map per document.
ReePredictions = Mapping[str, Sequence[PredictedTemplate] | Mapping[str, Sequence[Sequence[str]]]]

_Entity = tuple[str, ...]  # normalised mention strings
_Roles = dict[str, tuple[_Entity, ...]]

_PUNCTUATION = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")  # str patterns are Unicode-aware


def normalize_mention(s: str) -> str:
    """0.1: lower-case, delete ASCII punctuation, blank out ``a``/``an``/``the``, squeeze spaces."""
    s = s.lower().translate(_PUNCTUATION)
    s = _ARTICLES.sub(" ", s)
    return " ".join(s.split())


@dataclass(frozen=True)
class Prf:
    """Four counters (0.4); P, R and F1 are in 0..1 and 0 when undefined."""

    p_num: float = 0
    p_den: float = 0
    r_num: float = 0
    r_den: float = 0

    def __add__(self, other: Prf) -> Prf:
        return Prf(
            self.p_num + other.p_num,
            self.p_den + other.p_den,
            self.r_num + other.r_num,
            self.r_den + other.r_den,
        )

    @property
    def precision(self) -> float:
        return self.p_num / self.p_den if self.p_num and self.p_den else 0.0

    @property
    def recall(self) -> float:
        return self.r_num / self.r_den if self.r_num and self.r_den else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)

    def as_percent(self) -> tuple[float, float, float]:
        """(P, R, F1) in percent, rounded to two decimals as reports print them."""
        return (
            round(100 * self.precision, 2),
            round(100 * self.recall, 2),
            round(100 * self.f1, 2),
        )


@dataclass(frozen=True)
class Cleanup:
    """What was removed or rewritten in the predictions before scoring."""

    dropped_entities: int = 0  # entities with no mention left
    dropped_mentions: int = 0  # None or whitespace-only mention strings
    retyped: int = 0  # non-string incident types scored as "attack"

    def __add__(self, other: Cleanup) -> Cleanup:
        return Cleanup(
            self.dropped_entities + other.dropped_entities,
            self.dropped_mentions + other.dropped_mentions,
            self.retyped + other.retyped,
        )


@dataclass(frozen=True)
class GttResult:
    """GTT template F1: one Prf per bucket (incident_type + five roles) and their micro sum."""

    buckets: dict[str, Prf]
    micro: Prf
    approximate_docids: tuple[str, ...] = ()
    cleanup: Cleanup = field(default_factory=Cleanup)

    @property
    def n_approximate(self) -> int:
        return len(self.approximate_docids)


@dataclass(frozen=True)
class ReeResult:
    """CEAF-REE (phi_strict): one Prf per role and the micro sum of the five."""

    roles: dict[str, Prf]
    micro: Prf
    cleanup: Cleanup = field(default_factory=Cleanup)


@dataclass(frozen=True)
class RmeResult:
    """CEAF-RME phi-subset: micro Prf over all documents."""

    micro: Prf
    cleanup: Cleanup = field(default_factory=Cleanup)


# --- gold and prediction preparation (0.2, 0.3) --------------------------------------------


def unique_templates(templates: Iterable[MucTemplate]) -> tuple[MucTemplate, ...]:
    """0.2: drop a template identical (type and raw mention lists) to an earlier one."""
    seen = set()
    kept = []
    for template in templates:
        key = (
            template.incident_type,
            tuple(tuple(e for e in template.roles.get(r, ()) if e) for r in ROLES),
        )
        if key not in seen:
            seen.add(key)
            kept.append(template)
    return tuple(kept)


def template_to_prediction(template: MucTemplate) -> dict[str, Any]:
    """A gold template in prediction form (useful for oracle runs and tests)."""
    prediction: dict[str, Any] = {"incident_type": template.incident_type}
    for role in ROLES:
        prediction[role] = [list(entity) for entity in template.roles.get(role, ())]
    return prediction


@dataclass(frozen=True)
class _Template:
    incident_type: str
    roles: _Roles  # normalised, no empty entities


def _gold_entities(raw: Sequence[Sequence[str]]) -> tuple[_Entity, ...]:
    return tuple(tuple(normalize_mention(m) for m in e) for e in raw if e)


def _gold_templates(doc: MucDocument) -> list[_Template]:
    return [
        _Template(t.incident_type, {r: _gold_entities(t.roles.get(r, ())) for r in ROLES})
        for t in unique_templates(doc.templates)
    ]


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _clean_roles(
    raw: Mapping[str, Any], docid: str, extra: tuple[str, ...]
) -> tuple[_Roles, Cleanup]:
    unknown = sorted(set(raw) - set(ROLES) - set(extra))
    if unknown:
        raise InputError(
            f"prediction for {docid} has unknown keys {unknown}",
            fix=f"use only {', '.join(extra + ROLES)}",
        )
    roles: _Roles = {}
    dropped_entities = dropped_mentions = 0
    for role in ROLES:
        value = raw.get(role) or ()
        if not _is_sequence(value):
            raise InputError(
                f"prediction for {docid}: {role} must be a list of entities, got {value!r}",
                fix='write entities as lists of mention strings: [["fmln"]]',
            )
        entities = []
        for entity in value:
            if not _is_sequence(entity):
                raise InputError(
                    f"prediction for {docid}: entity {entity!r} in {role} is not a list",
                    fix='write each entity as a list of mention strings: ["fmln"]',
                )
            mentions = []
            for mention in entity:
                if mention is None or (isinstance(mention, str) and not mention.strip()):
                    dropped_mentions += 1
                elif isinstance(mention, str):
                    mentions.append(normalize_mention(mention))
                else:
                    raise InputError(
                        f"prediction for {docid}: mention {mention!r} in {role} is not a string",
                        fix="write mentions as strings",
                    )
            if mentions:
                entities.append(tuple(mentions))
            else:
                dropped_entities += 1
        roles[role] = tuple(entities)
    return roles, Cleanup(dropped_entities, dropped_mentions)


def _clean_template(raw: PredictedTemplate, docid: str) -> tuple[_Template, Cleanup]:
    if not isinstance(raw, Mapping):
        raise InputError(
            f"prediction for {docid}: template {raw!r} is not an object",
            fix='write templates as {"incident_type": ..., "PerpInd": [...], ...}',
        )
    roles, cleanup = _clean_roles(raw, docid, ("incident_type",))
    incident_type = raw.get("incident_type")
    if not isinstance(incident_type, str):
        incident_type = DEFAULT_INCIDENT_TYPE
        cleanup += Cleanup(retyped=1)
    return _Template(incident_type, roles), cleanup


def _predicted_templates(predictions: Predictions, docid: str) -> tuple[list[_Template], Cleanup]:
    raw = predictions.get(docid) or ()
    if not _is_sequence(raw):
        raise InputError(
            f"prediction for {docid} must be a list of templates",
            fix="map each docid to a list of template objects",
        )
    templates, cleanup = [], Cleanup()
    for template in raw:
        cleaned, counts = _clean_template(template, docid)
        templates.append(cleaned)
        cleanup += counts
    return templates, cleanup


# --- GTT template F1 (section 1) -----------------------------------------------------------


def score_gtt(
    gold_docs: Iterable[MucDocument],
    predictions: Predictions,
    *,
    max_search_nodes: int = DEFAULT_MAX_SEARCH_NODES,
) -> GttResult:
    """GTT template F1 (section 1) with the best template alignment per document (1.4)."""
    totals = {b: Prf() for b in BUCKETS}
    approximate = []
    cleanup = Cleanup()
    for doc in gold_docs:
        preds, counts = _predicted_templates(predictions, doc.docid)
        cleanup += counts
        doc_counts, exact = _gtt_document(_gold_templates(doc), preds, max_search_nodes)
        if not exact:
            approximate.append(doc.docid)
        for bucket in BUCKETS:
            totals[bucket] += doc_counts[bucket]
    micro = sum(totals.values(), Prf())
    return GttResult(totals, micro, tuple(approximate), cleanup)


def _entity_matches(pred: _Entity, gold: frozenset[str]) -> bool:
    # 1.2: every predicted mention is a listed alternative of the gold entity.
    return all(m in gold for m in pred)


def _pair_gains(pred: _Template, gold: _Template) -> list[tuple[int, int]] | None:
    """(p_num, r_num) per bucket when ``pred`` is aligned to ``gold``; None if the type fails."""
    if pred.incident_type not in gold.incident_type:
        return None
    gains = [(1, 1)]
    for role in ROLES:
        golds = [frozenset(e) for e in gold.roles[role]]
        preds = pred.roles[role]
        p_num = sum(1 for p in preds if any(_entity_matches(p, g) for g in golds))
        r_num = sum(1 for g in golds if any(_entity_matches(p, g) for p in preds))
        gains.append((p_num, r_num))
    return gains


def _gtt_document(
    gold: list[_Template], preds: list[_Template], max_nodes: int
) -> tuple[dict[str, Prf], bool]:
    p_den = [len(preds)] + [sum(len(t.roles[r]) for t in preds) for r in ROLES]
    r_den = [len(gold)] + [sum(len(t.roles[r]) for t in gold) for r in ROLES]
    gains = [[_pair_gains(p, g) for g in gold] for p in preds]
    gain_p = [[sum(x[0] for x in c) if c else 0 for c in row] for row in gains]
    gain_r = [[sum(x[1] for x in c) if c else 0 for c in row] for row in gains]
    choice, exact = _best_alignment(gain_p, gain_r, sum(p_den), sum(r_den), len(gold), max_nodes)
    p_num = [0] * len(BUCKETS)
    r_num = [0] * len(BUCKETS)
    for i, j in enumerate(choice):
        if j >= 0 and gains[i][j] is not None:
            for b, (pn, rn) in enumerate(gains[i][j]):
                p_num[b] += pn
                r_num[b] += rn
    counts = {
        bucket: Prf(p_num[b], p_den[b], r_num[b], r_den[b]) for b, bucket in enumerate(BUCKETS)
    }
    return counts, exact


def _f1_key(pn: int, rn: int, p_den: int, r_den: int) -> tuple[int, int]:
    """Document F1 as an exact fraction (num, den): 2PR/(P+R) = 2 pn rn / (pn r_den + rn p_den)."""
    if pn == 0 or rn == 0:
        return (0, 1)
    return (2 * pn * rn, pn * r_den + rn * p_den)


def _greater(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] * b[1] > b[0] * a[1]


class _BudgetExceeded(Exception):
    pass


def _best_alignment(
    gain_p: list[list[int]],
    gain_r: list[list[int]],
    p_den: int,
    r_den: int,
    n: int,
    max_nodes: int,
) -> tuple[list[int], bool]:
    """The alignment 1.4 picks: the first, in enumeration order, with the highest document F1.

    Enumeration order: predicted template 0 varies slowest; candidates gold 0..n-1, then
    unaligned (-1); a pair that fails the type test still occupies its gold template. The
    depth-first search visits alignments in that order and prunes a subtree only when no leaf
    in it can be the first best one: its F1 upper bound cannot beat the best alignment so far
    or is strictly below a greedy solution, or an earlier prefix with the same used gold
    templates scored at least as much. The result is therefore that of full enumeration.

    Returns (choice per predicted template, exact). exact is False only when a search past
    EXACT_SEARCH_LIMIT alignments runs out of ``max_nodes`` (or is deeper than
    _MAX_SEARCH_DEPTH) and the better of the best-so-far and a greedy alignment is returned.
    """
    m = len(gain_p)
    if m == 0:
        return [], True

    def key(pn: int, rn: int) -> tuple[int, int]:
        return _f1_key(pn, rn, p_den, r_den)

    greedy = _greedy_alignment(gain_p, gain_r, n)
    greedy_key = key(*_alignment_totals(greedy, gain_p, gain_r))
    if m > _MAX_SEARCH_DEPTH:
        return greedy, False
    small = m * math.log(n + 1) <= math.log(EXACT_SEARCH_LIMIT)
    budget = None if small else max_nodes

    # suffix_r[i][j]: the most recall gold j can still get from predicted templates i..m-1.
    suffix_r = [[0] * n for _ in range(m + 1)]
    for i in range(m - 1, -1, -1):
        suffix_r[i] = [max(gain_r[i][j], suffix_r[i + 1][j]) for j in range(n)]

    used = [False] * n
    mask = 0  # the same set as a bit mask, for the dominance table
    seen: dict[tuple[int, int], list[tuple[int, int]]] = {}
    choice = [-1] * m
    best: dict[str, Any] = {"key": None, "choice": None}
    nodes = 0

    def bounds(i: int) -> tuple[int, int]:
        """Most precision and recall numerator the predicted templates i.. can still add:
        each takes its best free gold, each free gold its best remaining predicted template,
        and at most min(free golds, remaining templates) pairs can form."""
        free = [j for j in range(n) if not used[j]]
        pairs = min(len(free), m - i)
        best_p = sorted((max((gain_p[k][j] for j in free), default=0) for k in range(i, m)))
        best_r = sorted(suffix_r[i][j] for j in free)
        return sum(best_p[len(best_p) - pairs :]), sum(best_r[len(best_r) - pairs :])

    def leaf(pn: int, rn: int) -> None:
        found = key(pn, rn)
        if best["key"] is None or _greater(found, best["key"]):
            best["key"], best["choice"] = found, list(choice)

    def search(i: int, pn: int, rn: int) -> None:
        nonlocal nodes, mask
        nodes += 1
        if budget is not None and nodes > budget:
            raise _BudgetExceeded
        if i == m:
            leaf(pn, rn)
            return
        # Dominance: an earlier prefix that used the same gold templates and scored at least
        # as much in both numerators has, with every suffix, a leaf at least as good as ours.
        state = seen.setdefault((i, mask), [])
        if any(a >= pn and b >= rn for a, b in state):
            return
        state.append((pn, rn))
        add_p, add_r = bounds(i)
        if add_p == 0 and add_r == 0:
            # Nothing below gains anything (only type failures or unaligned remain), so every
            # leaf below has these very counters: score the all-unaligned one.
            choice[i:] = [-1] * (m - i)
            leaf(pn, rn)
            return
        ub = key(pn + add_p, rn + add_r)
        if best["key"] is not None and not _greater(ub, best["key"]):
            return  # no leaf below can beat (or be the first of) the best alignment
        if _greater(greedy_key, ub):
            return  # every leaf below is worse than an alignment that exists
        for j in range(n):
            if not used[j]:
                used[j] = True
                mask |= 1 << j
                choice[i] = j
                search(i + 1, pn + gain_p[i][j], rn + gain_r[i][j])
                used[j] = False
                mask &= ~(1 << j)
        choice[i] = -1
        search(i + 1, pn, rn)

    try:
        search(0, 0, 0)
    except _BudgetExceeded:
        if best["key"] is None or _greater(greedy_key, best["key"]):
            return greedy, False
        return best["choice"], False
    return best["choice"], True


def _alignment_totals(
    choice: list[int], gain_p: list[list[int]], gain_r: list[list[int]]
) -> tuple[int, int]:
    pn = sum(gain_p[i][j] for i, j in enumerate(choice) if j >= 0)
    rn = sum(gain_r[i][j] for i, j in enumerate(choice) if j >= 0)
    return pn, rn


def _greedy_alignment(gain_p: list[list[int]], gain_r: list[list[int]], n: int) -> list[int]:
    """Pairs by decreasing combined gain (ties: lower predicted, then gold index)."""
    pairs = sorted(
        (-(gain_p[i][j] + gain_r[i][j]), i, j)
        for i in range(len(gain_p))
        for j in range(n)
        if gain_p[i][j] + gain_r[i][j] > 0
    )
    choice = [-1] * len(gain_p)
    taken = set()
    for _, i, j in pairs:
        if choice[i] < 0 and j not in taken:
            choice[i] = j
            taken.add(j)
    return choice


# --- CEAF-REE (section 2) ------------------------------------------------------------------


def score_ceaf_ree(gold_docs: Iterable[MucDocument], predictions: ReePredictions) -> ReeResult:
    """CEAF-REE with phi_strict against the GRIT ``extracts`` (section 2).

    A document's prediction is either a GRIT-style role -> entities map (scored as is,
    duplicates included) or a list of templates, which are merged per role with exact
    duplicate entities (same normalised mentions in the same order) removed.
    """
    docs = list(gold_docs)
    missing = [d.docid for d in docs if d.extracts is None]
    if missing:
        raise ConfigError(
            f"CEAF-REE needs GRIT extracts; {len(missing)} gold documents have none "
            f"(first: {missing[0]})",
            fix="load the split from a folder that has grit_<split>.json",
        )
    totals = {r: Prf() for r in ROLES}
    cleanup = Cleanup()
    for doc in docs:
        pred_roles, counts = _ree_prediction(predictions.get(doc.docid), doc.docid)
        cleanup += counts
        assert doc.extracts is not None
        for role in ROLES:
            gold = _gold_entities(doc.extracts.get(role, ()))
            pred = pred_roles[role]
            s = _strict_assignment(gold, pred)
            totals[role] += Prf(s, len(pred), s, len(gold))
    return ReeResult(totals, sum(totals.values(), Prf()), cleanup)


def _ree_prediction(raw: Any, docid: str) -> tuple[_Roles, Cleanup]:
    if isinstance(raw, Mapping):
        return _clean_roles(raw, docid, ())
    templates, cleanup = _predicted_templates({docid: raw or ()}, docid)
    merged: _Roles = {}
    for role in ROLES:
        seen: dict[_Entity, None] = {}
        for template in templates:
            for entity in template.roles[role]:
                seen.setdefault(entity, None)
        merged[role] = tuple(seen)
    return merged, Cleanup(cleanup.dropped_entities, cleanup.dropped_mentions)


def _strict_assignment(gold: Sequence[_Entity], pred: Sequence[_Entity]) -> float:
    if not gold or not pred:
        return 0.0
    gold_sets = [frozenset(g) for g in gold]
    scores = np.array(
        [[1.0 if _entity_matches(p, g) else 0.0 for p in pred] for g in gold_sets]
    )
    rows, cols = linear_sum_assignment(-scores)
    return float(scores[rows, cols].sum())


# --- CEAF-RME phi-subset (section 3) -------------------------------------------------------

# A template as a list of entities of (role, mention) pairs; its type is held alongside.
_RmeEntity = tuple[tuple[str, str], ...]


def score_ceaf_rme(gold_docs: Iterable[MucDocument], predictions: Predictions) -> RmeResult:
    """CEAF-RME with phi-subset (3.2), including the compound-type expansion of gold templates."""
    total = Prf()
    cleanup = Cleanup()
    for doc in gold_docs:
        preds, counts = _predicted_templates(predictions, doc.docid)
        cleanup += counts
        total += _rme_document(_gold_templates(doc), preds)
    return RmeResult(total, cleanup)


def _rme_entities(template: _Template) -> list[_RmeEntity]:
    return [
        tuple((role, m) for m in entity) for role in ROLES for entity in template.roles[role]
    ]


def _phi_subset(
    gold_type: str, gold: list[_RmeEntity], pred_type: str, pred: list[_RmeEntity]
) -> tuple[int, int]:
    """(pred-side, gold-side) scores of 3.2; typed mentions only match within one type."""
    if gold_type != pred_type:
        return 0, 0
    gold_sets = [frozenset(g) for g in gold]
    hits = 0
    hit_gold = set()
    for entity in pred:
        found = None
        for mention in entity:
            found = next((k for k, g in enumerate(gold_sets) if mention in g), None)
            if found is not None:
                break
        if found is not None:
            hits += 1
            hit_gold.add(found)
    return hits, len(hit_gold)


def _rme_document(gold: list[_Template], preds: list[_Template]) -> Prf:
    gold_rows = [(t.incident_type, _rme_entities(t)) for t in gold]
    pred_cols = [(t.incident_type, ents) for t in preds if (ents := _rme_entities(t))]
    p_den = sum(len(e) for _, e in pred_cols)
    r_den = sum(len(e) for _, e in gold_rows)
    if not pred_cols or not gold_rows:
        return Prf(0, p_den, 0, r_den)

    rows: list[tuple[str, list[_RmeEntity]]] = []
    groups: list[list[int]] = []  # row indices of the copies of one compound gold template
    for gold_type, entities in gold_rows:
        if "/" in gold_type and entities:
            labels = [label.strip() for label in gold_type.split("/")]
            groups.append(list(range(len(rows), len(rows) + len(labels))))
            rows.extend((label, entities) for label in labels)
        else:
            rows.append((gold_type, entities))

    p_scores = np.zeros((len(rows), len(pred_cols)))
    r_scores = np.zeros((len(rows), len(pred_cols)))
    for r, (gold_type, gold_entities) in enumerate(rows):
        for c, (pred_type, pred_entities) in enumerate(pred_cols):
            p_scores[r, c], r_scores[r, c] = _phi_subset(
                gold_type, gold_entities, pred_type, pred_entities
            )
    for group in groups:
        keep = group[int(p_scores[group].sum(axis=1).argmax())]  # first on ties
        for r in group:
            if r != keep:
                p_scores[r] = 0
                r_scores[r] = 0
    row_ind, col_ind = linear_sum_assignment(-p_scores)
    return Prf(
        float(p_scores[row_ind, col_ind].sum()),
        p_den,
        float(r_scores[row_ind, col_ind].sum()),
        r_den,
    )
