"""The pipeline: ``ingest -> extract -> normalize -> geocode -> learned -> validate -> store``.

:func:`pipe` is the one entry point that the CLI, the evaluation and (later) the batch engine
share. It takes documents (or rejected inputs) and yields one :class:`Result` per document;
nothing is dropped: a document that fails a stage becomes a :class:`Rejected` record.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from .codebook import user_codebooks
from .extract import RuleExtractor
from .gazetteer import read_overlay
from .geocode import Geocoder
from .lexicon import Lexicon
from .nlp import EntityFinder
from .records import Document, Incident, Rejected
from .validate import validation_errors


@dataclass(frozen=True)
class Result:
    """What one input became: a document with its incidents, or a rejection."""

    document: Document | None
    incidents: tuple[Incident, ...] = ()
    rejected: Rejected | None = None

    @property
    def ok(self) -> bool:
        return self.rejected is None


@dataclass
class Summary:
    documents: int = 0
    incidents: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, result: Result) -> None:
        if result.rejected is not None:
            self.rejected += 1
            self.reasons[result.rejected.code] = self.reasons.get(result.rejected.code, 0) + 1
        else:
            self.documents += 1
            self.incidents += len(result.incidents)


@dataclass
class PipelineConfig:
    merge: str = "act"  # unit of analysis: "act" (default) or "acled"
    geocode: bool = True
    ner: bool = True  # spaCy named entities (people, places); off = lexicons only
    codebooks: tuple[str, ...] = ()  # paths of user codebooks that replace packaged ones of the same name
    overlays: tuple[str, ...] = ()  # user gazetteer overlay CSVs (places of your own, with sources)
    validate: bool = True
    learned: bool = True  # the trained role tagger and document classifiers (eventcoder.learn)
    model_dir: str | None = None  # a model trained with `eventcoder train muc4`; None = the shipped one
    # spaCy's cased NER on lower-cased text; None = only without the learned
    # stage, whose tagger is trained on caseless text and finds the names there
    caseless_ner: bool | None = None


class Pipeline:
    """Built once from its config; stages are objects with a known lifetime (no globals)."""

    def __init__(self, config: PipelineConfig | None = None):
        self.config = config or PipelineConfig()
        for path in self.config.overlays:  # bad config fails before any work starts
            read_overlay(path)
        self.geocoder = Geocoder(overlays=self.config.overlays) if self.config.geocode else None
        self.extractor = RuleExtractor(
            lexicon=Lexicon(**user_codebooks(self.config.codebooks)),
            merge=self.config.merge,
            geocoder=self.geocoder,
            entities=EntityFinder() if self.config.ner else None,
            caseless_ner=not self.config.learned if self.config.caseless_ner is None else self.config.caseless_ner,
        )
        self.learned = None
        if self.config.learned:
            from .learn.stage import LearnedStage

            self.learned = LearnedStage(self.extractor.lexicon, self.config.model_dir)

    @property
    def name(self) -> str:
        """The extractor's name as records carry it: the model's version when one is used."""
        return self.learned.name if self.learned is not None else self.extractor.name

    def process(self, doc: Document) -> Result:
        try:
            incidents = self.extractor.extract(doc)
        except Exception as exc:  # a bug on one document must not stop the run
            return Result(doc, rejected=_reject(doc, "extract", "E201", exc))
        if self.geocoder is not None:
            try:
                incidents = self.geocoder.geocode_all(incidents, doc.text)
            except Exception as exc:
                return Result(doc, rejected=_reject(doc, "geocode", "E201", exc))
        if self.learned is not None:
            try:
                incidents = self.learned.apply(doc, list(incidents))
            except Exception as exc:
                return Result(doc, rejected=_reject(doc, "learned", "E201", exc))
        if self.config.validate:
            codes = self.extractor.lexicon.closed_sets if self.config.codebooks else None
            for inc in incidents:
                errors = validation_errors(inc, codes)
                if errors:
                    detail = f"incident {inc.incident_id} fails the schema: {'; '.join(errors[:3])}"
                    return Result(doc, rejected=Rejected("validate", "E301", detail, doc.origin, doc.doc_id))
        return Result(doc, tuple(incidents))

    def pipe(self, items: Iterable[Document | Rejected]) -> Iterator[Result]:
        for item in items:
            if isinstance(item, Rejected):
                yield Result(None, rejected=item)
            else:
                yield self.process(item)


def _reject(doc: Document, stage: str, code: str, exc: Exception) -> Rejected:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    detail = (
        f"{type(exc).__name__}: {exc} (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}). "
        "This is a bug in eventcoder: please report it with the document."
    )
    return Rejected(stage, code, detail, doc.origin, doc.doc_id, doc.text[:80])


def pipe(items: Iterable[Document | Rejected], config: PipelineConfig | None = None) -> Iterator[Result]:
    """Code documents; yields one :class:`Result` per input item, in order."""
    return Pipeline(config).pipe(items)


def extract(text: str, **document_fields) -> list[Incident]:
    """Code one text: ``extract("...", published=date(2017, 1, 2), source_kind="claim")``."""
    doc = Document(text=text, **document_fields)
    result = Pipeline().process(doc)
    if result.rejected is not None:
        from .errors import ExtractionError

        raise ExtractionError(result.rejected.detail, code=result.rejected.code)
    return list(result.incidents)


__all__ = ["Pipeline", "PipelineConfig", "Result", "Summary", "pipe", "extract"]
