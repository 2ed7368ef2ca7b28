"""``eventcoder train muc4``: train the role tagger and the document classifiers on MUC-4.

Deterministic: CRFsuite's L-BFGS and liblinear are deterministic given the same data, and
the order of training documents is fixed (sorted by id, then shuffled with ``seed``).

The document classifiers also read what the role tagger finds in a document
(:func:`~eventcoder.learn.docfeatures.tagger_features`). A tagger finds more, and surer, in the
documents it was trained on, so those features are cross-fitted: the training documents are
dealt into ``FOLDS`` folds and each fold's features come from a tagger trained on the other
folds; the shipped tagger is then trained on all of them.
The output folder holds ``roles.crfsuite``, ``clusters.tsv`` (the word clusters of the training
text, :mod:`eventcoder.learn.clusters`), ``document.json`` and ``manifest.json``
(provenance: data files and their SHA-256, parameters, library versions).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..lexicon import Lexicon
from ..muc4.data import ROLES
from ..records import Incident
from .assemble import TYPES, Entity, entities
from .clusters import CLUSTER_PARAMS, learn_clusters, write_clusters
from .clusters import FILE as CLUSTERS_FILE
from .docfeatures import document_features, tagger_features
from .features import sentence_features
from .linear import fit
from .stage import DEFAULT_MODEL
from .tagger import RoleTagger
from .tokens import Token, sentences, tokenize

if TYPE_CHECKING:
    from ..pipeline import Pipeline

MODEL_VERSION = DEFAULT_MODEL  # the name a full training gives its model
CRF_PARAMS = {"c1": 0.05, "c2": 0.05, "max_iterations": 150, "feature.possible_transitions": True}
DOC_C = 0.5
FOLDS = 5  # cross-fitting of the tagger features the document classifiers learn from


def bio_labels(sents: list[list[Token]], fillers: dict[str, list[list[str]]]) -> list[list[str]]:
    """BIO labels from gold filler strings: every occurrence of a filler's tokens is labelled
    (MUC-4 offsets are only first occurrences, so they say nothing about where a filler is);
    longer fillers win over shorter ones they overlap, and the first role listed wins ties."""
    flat = [(si, ti, t.text) for si, s in enumerate(sents) for ti, t in enumerate(s)]
    words = [w for _, _, w in flat]
    index: dict[str, list[int]] = {}
    for k, w in enumerate(words):
        index.setdefault(w, []).append(k)
    found = []
    for r, role in enumerate(ROLES):
        for entity in fillers.get(role, ()):
            for mention in entity:
                mt = [t.text for t in tokenize(mention)]
                if not mt:
                    continue
                for k in index.get(mt[0], ()):
                    if words[k:k + len(mt)] == mt:
                        found.append((-len(mt), r, k, role))
    labels = [["O"] * len(s) for s in sents]
    taken: set[int] = set()
    for neg_len, _, k, role in sorted(found):
        span = range(k, k - neg_len)
        if any(j in taken for j in span):
            continue
        for j in span:
            taken.add(j)
            si, ti, _ = flat[j]
            labels[si][ti] = ("B-" if j == k else "I-") + role
    return labels


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return ""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def train_tagger(parsed: list[tuple[Any, list[list[Token]]]], keep: Callable[[int], bool], path: Path,
                 lexicon: Lexicon, params: dict[str, Any], clusters: Mapping[str, str] | None = None) -> bool:
    """Train a CRF role tagger on the relevant documents of ``parsed`` (document, sentences)
    whose index ``keep`` accepts, with the word ``clusters``, into ``path``; False when there
    are none."""
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    n = 0
    for i, (d, sents) in enumerate(parsed):
        if not (d.templates and keep(i)):  # the tagger learns from relevant documents only
            continue
        fillers = {r: [list(e) for e in (d.extracts or {}).get(r, ())] for r in ROLES}
        for si, (s, labels) in enumerate(zip(sents, bio_labels(sents, fillers))):
            trainer.append(sentence_features(d.text, s, si, len(sents), lexicon, clusters), labels)
        n += 1
    if not n:
        return False
    trainer.set_params(params)
    trainer.train(str(path))
    return True


def crossfit_entities(parsed: list[tuple[Any, list[list[Token]]]], lexicon: Lexicon, params: dict[str, Any],
                      workdir: Path, progress: Callable[[str], None] = lambda msg: None,
                      folds: int = FOLDS, clusters: Mapping[str, str] | None = None) -> list[list[Entity] | None]:
    """The tagger's entities for each document from a tagger that did not see it: document
    ``i`` is in fold ``i % folds``, tagged by a tagger trained on the other folds (in
    ``workdir``, deleted after use). The documents of a fold whose training part has no relevant
    document get None: no tagger read them."""
    found: list[list[Entity] | None] = [None for _ in parsed]
    for k in range(folds):
        path = workdir / f".fold{k}.crfsuite"
        if train_tagger(parsed, lambda i: i % folds != k, path, lexicon, params, clusters):
            tagger = RoleTagger(path, lexicon, clusters=clusters)
            for i, (d, sents) in enumerate(parsed):
                if i % folds == k:
                    found[i] = entities(d.text, tagger.tag(d.text, sents))
            del tagger
            path.unlink()
        progress(f"cross-fitted tagger {k + 1}/{folds}")
    return found


def crossfit_tagger_features(parsed: list[tuple[Any, list[list[Token]]]], lexicon: Lexicon, params: dict[str, Any],
                             workdir: Path, progress: Callable[[str], None] = lambda msg: None,
                             folds: int = FOLDS, clusters: Mapping[str, str] | None = None) -> list[list[str]]:
    """:func:`tagger_features` of :func:`crossfit_entities` (none for a document no tagger read)."""
    found = crossfit_entities(parsed, lexicon, params, workdir, progress, folds, clusters)
    return [tagger_features(ents) if ents is not None else [] for ents in found]


def document_rows(parsed: list[tuple[Any, list[list[Token]]]], rules: Pipeline,
                  progress: Callable[[str], None] = lambda msg: None) -> list[list[str]]:
    """:func:`document_features` of each parsed MUC-4 document, over the incidents that
    ``rules`` (a rules-only :class:`~eventcoder.pipeline.Pipeline`) codes in it."""
    from ..muc4.evaluate import dateline_date, muc4_document

    rows = []
    for i, (d, sents) in enumerate(parsed):
        incidents: list[Incident] = list(rules.process(muc4_document(d)).incidents)
        rows.append(document_features(d.text, sents, dateline_date(d.dateline), incidents, rules.extractor.lexicon))
        if (i + 1) % 200 == 0:
            progress(f"features: {i + 1}/{len(parsed)} documents")
    return rows


def document_targets(docs: list[Any]) -> dict[str, list[int]]:
    """The document classifiers' labels: whether each document has a template at all, and one
    of each type (``attack / bombing`` counts for both)."""
    out = {"relevant": [int(bool(d.templates)) for d in docs]}
    for t in TYPES:
        out[t] = [int(any(t in x.incident_type for x in d.templates)) for d in docs]
    return out


def train_muc4(
    data_dir: Path | None = None,
    out_dir: Path = Path("model"),
    seed: int = 0,
    limit: int | None = None,
    crf_iterations: int | None = None,
    progress: Callable[[str], None] = lambda msg: None,
) -> dict[str, Any]:
    """Train on the MUC-4 train split; returns the manifest written beside the model files."""
    from ..muc4.data import default_data_dir, load_split
    from ..pipeline import Pipeline, PipelineConfig

    data_dir = Path(data_dir) if data_dir else default_data_dir()
    docs = sorted(load_split("train", data_dir), key=lambda d: d.docid)
    random.Random(seed).shuffle(docs)
    if limit:
        docs = docs[:limit]
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rules = Pipeline(PipelineConfig(learned=False, caseless_ner=False))  # the rule stage as the learned pipeline runs it
    lexicon: Lexicon = rules.extractor.lexicon

    params = dict(CRF_PARAMS)
    if crf_iterations:
        params["max_iterations"] = crf_iterations
    parsed = [(d, sentences(d.text)) for d in docs]
    # word clusters from all the training text (no labels), shared by every tagger trained here
    clusters = learn_clusters([[t.text for s in sents for t in s] for _, sents in parsed], seed=seed)
    write_clusters(clusters, out_dir / CLUSTERS_FILE)
    progress(f"word clusters: {len(clusters)} words")
    tagged = crossfit_tagger_features(parsed, lexicon, params, out_dir, progress, clusters=clusters)

    rows = [b + t for b, t in zip(document_rows(parsed, rules, progress), tagged)]
    progress("training the document classifiers")
    doc_model = fit(rows, document_targets(docs), c=DOC_C, seed=seed)
    (out_dir / "document.json").write_text(json.dumps(doc_model.to_dict(), sort_keys=True, separators=(",", ":")),
                                          encoding="utf-8")
    progress("training the role tagger (CRF)")
    if not train_tagger(parsed, lambda i: True, out_dir / "roles.crfsuite", lexicon, params, clusters):
        from ..errors import ConfigError

        raise ConfigError("no training document reports an incident, so there is nothing to train the tagger on",
                         fix="train on more documents (a larger --limit, or none)")
    files = {
        name: {"sha256": _sha256(data_dir / name), "bytes": (data_dir / name).stat().st_size}
        for name in ("grit_train.json", "gtt_train.json", "docmeta_train.jsonl")
        if (data_dir / name).exists()
    }
    manifest = {
        "model": MODEL_VERSION if not limit and not crf_iterations else f"{MODEL_VERSION}+trial",
        "trained": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d"),
        "seed": seed,
        "documents": len(docs),
        "data": files,
        "crf": params,
        "clusters": {**CLUSTER_PARAMS, "words": len(clusters), "seed": seed,
                     "sha256": _sha256(out_dir / CLUSTERS_FILE)},
        "document_classifier": {"c": DOC_C, "features": len(doc_model.weights), "labels": list(doc_model.labels),
                                "tagger_features_folds": FOLDS},
        "codebooks": lexicon.versions,
        "seconds": round(time.perf_counter() - started, 1),
        "versions": {name: _version(name) for name in ("python-crfsuite", "scikit-learn", "numpy", "scipy")},
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest
