"""Compiled matchers built from the codebooks: what the rules extractor looks for.

Nothing here is knowledge: every word comes from a versioned YAML file under ``data/``.
A :class:`Lexicon` is built once per extractor and holds its compiled patterns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .codebook import Codebook, alias_pattern, load_codebook
from .records import Span


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    code: str  # codebook code (sub_event_type, weapon or target category, actor code)
    extra: str = ""  # e.g. target kind (human|physical), actor kind

    @property
    def span(self) -> Span:
        return (self.start, self.end)


class _Matcher:
    """One alternation regex over many aliases, mapping each matched alias back to its code."""

    def __init__(self, table: dict[str, tuple[str, str]]):
        self.table = {k.lower(): v for k, v in table.items()}
        self.pattern = alias_pattern(self.table)

    def find(self, text: str, start: int = 0, end: int | None = None) -> list[Hit]:
        end = len(text) if end is None else end
        out = []
        for m in self.pattern.finditer(text, start, end):
            key = re.sub(r"[\s-]+", " ", m.group(0).lower())
            code, extra = self.table.get(key) or self._fuzzy(key)
            out.append(Hit(m.start(), m.end(), code, extra))
        return out

    def _fuzzy(self, key: str) -> tuple[str, str]:
        for k, v in self.table.items():
            if re.sub(r"[\s-]+", " ", k) == key:
                return v
        raise KeyError(key)  # pragma: no cover - the pattern only matches table keys


class Lexicon:
    def __init__(
        self,
        event_types: Codebook | None = None,
        weapons: Codebook | None = None,
        targets: Codebook | None = None,
        actors: Codebook | None = None,
        claims: Codebook | None = None,
    ):
        self.event_types = event_types or load_codebook("event_types")
        self.weapons = weapons or load_codebook("weapons")
        self.targets = targets or load_codebook("targets")
        self.actors = actors or load_codebook("actors")
        self.claims = claims or load_codebook("claims")

        strong: dict[str, tuple[str, str]] = {}
        weak: dict[str, tuple[str, str]] = {}
        for e in self.event_types.entries:
            for a in e.aliases:
                strong.setdefault(a, (e.code, ""))
            for a in e.get("weak_aliases", []) or []:
                weak.setdefault(a, (e.code, "weak"))
        self.triggers = _Matcher({**weak, **strong})
        self.priority = {e.code: int(e.get("priority", 0)) for e in self.event_types.entries}
        self.group = {e.code: e.get("group") for e in self.event_types.entries}
        self.muc4 = {e.code: e.get("muc4") for e in self.event_types.entries}

        self.background = alias_pattern(self.event_types.raw.get("background_cues", []))
        self.counted_from_date = alias_pattern(self.event_types.raw.get("counted_from_another_date", []))
        self.weapon = _Matcher({a: (e.code, "") for e in self.weapons.entries for a in e.aliases})
        self.weapon_implies = {e.code: e.get("implies") for e in self.weapons.entries}

        tgt: dict[str, tuple[str, str]] = {}
        for e in self.targets.entries:
            raw = e.get("aliases") or {}
            for kind in ("physical", "human"):
                for a in raw.get(kind, []) if isinstance(raw, dict) else []:
                    tgt.setdefault(a, (e.code, kind))
        for term in self.claims.raw.get("enemy_terms", []):
            for a in term["aliases"]:  # a group's label -> the neutral category it stands for
                tgt[a] = (term["category"], "human")
        self.claim_markers = alias_pattern(self.claims.raw.get("claim_markers", []))
        self.target = _Matcher(tgt)
        # "near the village of Suwaydiyah", "in the vicinity of Deir ez-Zor airport": where, not what
        self.locative_places = frozenset(a.lower() for a in self.targets.raw.get("locative_places", []))
        words = sorted(self.targets.raw.get("locative_words", []), key=len, reverse=True)
        locative = "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)
        self.locative_before = re.compile(
            rf"(?<![\w-])(?:{locative})(?:\s+[\w'’-]+){{0,3}}?\s+\Z", re.IGNORECASE) if words else None

        orgs = {a: (e.code, "organization") for e in self.actors.entries for a in e.aliases}
        self.org = _Matcher(orgs)
        self.org_category = {e.code: e.get("category") for e in self.actors.entries}
        self.org_label = {e.code: e.label for e in self.actors.entries}
        people = self.actors.raw.get("individuals", {}).get("aliases", [])
        self.individual = _Matcher({a: ("individual", "individual") for a in people})

        self.claim_terms = {e.code: e for e in self.claims.entries}
        self.claim = _Matcher({a: (e.code, "") for e in self.claims.entries for a in e.aliases})
        suicide_cues = [a for a in self.event_types["suicide_bomb"].aliases]
        suicide_cues += list(self.claims["istishhadi"].aliases)
        suicide_cues += [a for a in self.weapons["explosives_vest"].aliases]
        self.suicide = _Matcher({a: ("suicide", "") for a in suicide_cues})

    @property
    def closed_sets(self) -> dict[str, tuple[str, ...]]:
        """The codes records may carry, for schema validation (see ``validate.schema_for``)."""
        return {
            "sub_event_type": self.event_types.codes,
            "event_type": tuple(g["code"] for g in self.event_types.raw.get("groups", [])),
            "weapon": self.weapons.codes,
            "target": self.targets.codes,
        }

    @property
    def versions(self) -> str:
        books = (self.event_types, self.weapons, self.targets, self.actors, self.claims)
        return ";".join(b.ref for b in books)
