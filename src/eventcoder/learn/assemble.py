"""Templates from the tagger's role spans and the document classifiers' decisions.

How a document's incidents are split is worth many points on MUC-4 and is modelled here:

1. A document judged not to report a relevant incident yields nothing.
2. One template per incident type the type classifiers accept (the most probable type when
   none passes its threshold).
3. With several types, each target, victim and weapon goes to the type whose trigger words
   (codebook aliases, via their MUC-4 crosswalk) stand nearest to it, in sentences; explosive
   weapons lean to bombing. Perpetrators are shared by all the document's templates.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from ..lexicon import Lexicon
from .tagger import RoleSpan
from .tokens import Token

TYPES = ("attack", "bombing", "kidnapping", "arson", "robbery", "forced work stoppage")
PERPETRATOR_ROLES = ("PerpInd", "PerpOrg")
_ARTICLES = re.compile(r"^(?:the|a|an)(?:\s+|$)")
_PUNCT = re.compile(r"[^\w\s]")
# words at the edge of a tagged span that are not part of the filler: a vague quantity, a
# pointer, a hedge or an intensifier before it ("several armed individuals", "these bombs",
# "alleged kidnappers", "a powerful bomb": MUC-4 keys give "bomb", and on held-out train leaving
# "powerful" out is up, README), a dangling word after it ("electricity poles with")
_LEADING = re.compile(r"(?:several|some|many|various|numerous|other|these|those|this|that|alleged|suspected|presumed"
                      r"|so-called|powerful)\s+", re.IGNORECASE)
_TRAILING = re.compile(r"\s+(?:with|and|to|of|in|at|on|by|for|from|who|which|that)$", re.IGNORECASE)


def fold(s: str) -> str:
    """The key two mentions of one entity share: lower case, no punctuation, no article (a
    lone article folds to nothing: it names no entity)."""
    return _ARTICLES.sub("", " ".join(_PUNCT.sub("", s.lower()).split()))


@dataclass
class Entity:
    role: str
    key: str
    spans: list[RoleSpan]

    @property
    def probability(self) -> float:
        return max(s.probability for s in self.spans)

    @property
    def first(self) -> RoleSpan:
        return self.spans[0]


@dataclass
class Template:
    incident_type: str
    probability: float
    entities: list[Entity] = field(default_factory=list)

    def role(self, role: str) -> list[Entity]:
        return [e for e in self.entities if e.role == role]


def entities(text: str, spans: list[RoleSpan]) -> list[Entity]:
    """Role spans grouped by folded text; a string tagged with two roles keeps the likelier."""
    by_key: dict[str, dict[str, Entity]] = {}
    for s in spans:
        key = fold(text[s.start:s.end])
        if not key:
            continue
        roles = by_key.setdefault(key, {})
        ent = roles.setdefault(s.role, Entity(s.role, key, []))
        ent.spans.append(s)
    out = []
    for roles in by_key.values():
        best = max(roles.values(), key=lambda e: (sum(x.probability for x in e.spans), e.probability))
        out.append(best)
    out.sort(key=lambda e: (e.first.start, e.role))
    return out


def _respan(text: str, ents: list[Entity], cut: Callable[[str, int, int], tuple[int, int]]) -> list[Entity]:
    """The entities with each span's bounds replaced by ``cut(role, start, end)``, grouped again
    when any changed (otherwise the grouping stands)."""
    spans, changed = [], False
    for e in ents:
        for s in e.spans:
            bounds = cut(e.role, s.start, s.end)
            if bounds != (s.start, s.end):
                s, changed = dataclasses.replace(s, start=bounds[0], end=bounds[1]), True
            spans.append(s)
    return entities(text, spans) if changed else ents


def trimmed(text: str, ents: list[Entity]) -> list[Entity]:
    """The entities with the edge words of their spans trimmed (:data:`_LEADING`,
    :data:`_TRAILING`; a span that would be left empty stays as it is), grouped again, so that
    "several armed individuals" and "armed individuals" are one entity."""

    def cut(role: str, start: int, end: int) -> tuple[int, int]:
        if m := _LEADING.match(text, start, end):
            start = m.end() if m.end() < end else start
        if m := _TRAILING.search(text, start, end):
            end = m.start() if m.start() > start else end
        return start, end

    return _respan(text, ents, cut)


_WORDS = re.compile(r"\S+")
_NOT_IN_NAME = frozenset({"of", "and", "or", "in", "at", "for", "from", "to", "with", "who", "by", "on"})


def untitled(text: str, ents: list[Entity], roles: Collection[str], titles: Collection[str]) -> list[Entity]:
    """The entities of ``roles`` with a title before a name left out of their spans ("governor
    antonio roldan betancur" is the filler "antonio roldan betancur": a MUC-4 key names a victim
    without the title), grouped again. A title is one of ``titles`` (lower case) followed by two
    words at least, none of them a title or a word such as "of" ("mayor of achi" stays)."""

    def cut(role: str, start: int, end: int) -> tuple[int, int]:
        if role in roles:
            words = list(_WORDS.finditer(text, start, end))
            low = [fold(w.group()) for w in words]
            if len(words) >= 3 and low[0] in titles and not any(w in _NOT_IN_NAME or w in titles for w in low[1:]):
                return words[1].start(), end
        return start, end

    return _respan(text, ents, cut)


_COORDINATION = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+", re.IGNORECASE)
_PART_PREPOSITION = re.compile(r"(?:to|of|in|at|on|against|from)\s+", re.IGNORECASE)


def split_coordinated(text: str, ents: list[Entity], roles: Collection[str]) -> list[Entity]:
    """The entities with each span of ``roles`` that joins several fillers split at its commas
    and "and"s ("the embassy building and nearby structures", "the mayor's house, the police
    station and a bank": a MUC-4 key lists each as its own filler), a preposition that opens a
    part left out ("... building and to nearby structures"), grouped again. Each part keeps the
    span's probability."""
    spans, changed = [], False
    for e in ents:
        for s in e.spans:
            parts, start = [], s.start
            if e.role in roles:
                for m in _COORDINATION.finditer(text, s.start, s.end):
                    if m.start() > start:
                        parts.append((start, m.start()))
                    start = m.end()
            if not parts or start >= s.end:
                spans.append(s)
                continue
            parts.append((start, s.end))
            for a, b in parts:
                if (m := _PART_PREPOSITION.match(text, a, b)) and m.end() < b:
                    a = m.end()
                spans.append(dataclasses.replace(s, start=a, end=b))
            changed = True
    return entities(text, spans) if changed else ents


_PLACE = r"\s+(?:in|at|on)\s+\w"
# what follows a filler to place or describe it, by role: a place phrase, for a target a
# participle ("the car parked nearby", "a gas station owned by ...", "a car filled with
# tourists"); a relative clause stays ("the building that houses the security department" is
# how a MUC-4 key names it)
_AFTER = {
    "Target": re.compile(_PLACE + r"|\s+(?:parked|standing|loaded|filled|carrying|located|owned|belonging)\b",
                         re.IGNORECASE),
    # an organisation's members named after it: "eln guerrillas", "the fmln criminals", "the eln
    # guerrilla movement", "an eln cell" are the organisation "eln"
    "PerpOrg": re.compile(_PLACE + r"|\s+(?:guerrillas?|guerrilla movement|guerrilla group|criminals|commandos?|rebels"
                          r"|terrorists|members|militants|fighters|units?|cells?|column)$", re.IGNORECASE),
}
_PLACE_AFTER = re.compile(_PLACE, re.IGNORECASE)


def placeless(text: str, ents: list[Entity], roles: Collection[str]) -> list[Entity]:
    """The entities of ``roles`` with the phrase that places them left out of their spans
    ("the restaurant in medellin", "drug traffickers in an exclusive sector", "the mormon church
    at pedro de valdivia" are the fillers "restaurant", "drug traffickers", "mormon church": a
    MUC-4 key gives the place in a slot of its own), a target's describing participle too ("the
    car parked nearby" is "car") and the members named after an organisation ("eln guerrillas"
    is "eln"), grouped again. The span ends before the first "in", "at" or "on" (or participle)
    after its first word."""

    def cut(role: str, start: int, end: int) -> tuple[int, int]:
        if role in roles and (m := _AFTER.get(role, _PLACE_AFTER).search(text, start, end)) and m.start() > start:
            return start, m.start()
        return start, end

    return _respan(text, ents, cut)


# what a span names a part or an amount of, by role: the part of a building or a structure a
# report says was hit ("the front doors of", "the 6th floor of", "a stretch of"), the amount of
# an explosive ("10 kg of", "250 sticks of", "a charge of")
_PART_OF = {
    "Target": re.compile(r"(?:[\w'-]+\s+)*?(?:floors?|doors?|front|facades?|facing|walls?|entrances?|parts?|side"
                         r"|roof|windows?|stretch|section|base|gates?)\s+of\s+(?=\w)", re.IGNORECASE),
    "Weapon": re.compile(r"(?:[\w'-]+\s+)*?(?:kg|kgs|kilos?|kilograms?|pounds?|lbs|sticks|charges?|cartridges?|loads?"
                         r"|quantity|amount)\s+of\s+(?=\w)", re.IGNORECASE),
}


def wholes(text: str, ents: list[Entity], roles: Collection[str]) -> list[Entity]:
    """The entities of ``roles`` whose span names a part of a thing or an amount of a substance
    cut to the thing or the substance, grouped again: "the front doors of the party
    headquarters", "the 6th floor of the hilton hotel", "a stretch of the cano limon oil
    pipeline" are the targets "party headquarters", "hilton hotel", "cano limon oil pipeline";
    "10 kg of dynamite" and "a truck bomb carrying almost 200 kg of dynamite" the weapon
    "dynamite". A MUC-4 key names the building, the pipeline or the explosive. Roles other
    than targets and weapons have no such pattern."""

    def cut(role: str, start: int, end: int) -> tuple[int, int]:
        part = _PART_OF.get(role) if role in roles else None
        if part is not None and (m := part.match(text, start, end)) and m.end() < end:
            return m.end(), end
        return start, end

    return _respan(text, ents, cut)


def fold_bracketed(text: str, ents: list[Entity]) -> list[Entity]:
    """One entity for a name and the other form the report gives beside it in brackets, of the
    same role ("farabundo marti national liberation front (fmln)", "the eln (army of national
    liberation)"): the shorter form leads (reports repeat it, and MUC-4 keys name groups by it),
    the longer one's mentions follow it as evidence."""
    into: dict[int, Entity] = {}  # id of an entity folded away -> the one it folds into
    paired: set[int] = set()  # an entity pairs once ("the army (fmln)" after "... front (fmln)")
    for a in ents:
        for b in ents:
            if a is b or a.role != b.role or id(a) in paired or id(b) in paired:
                continue
            if any(0 <= y.start - x.end <= 3 and text[x.end:y.start].strip() == "(" for x in a.spans for y in b.spans):
                short, long = sorted((a, b), key=lambda e: (len(e.key), e.key))
                into[id(long)] = short
                paired |= {id(a), id(b)}
    if not into:
        return ents
    extra: dict[int, list[RoleSpan]] = {}
    for e in ents:
        if id(e) in into:
            extra.setdefault(id(into[id(e)]), []).extend(e.spans)
    return [Entity(e.role, e.key, e.spans + extra[id(e)]) if id(e) in extra else e for e in ents if id(e) not in into]


_QUANTITY = re.compile(r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|some"
                       r"|many|dozens|hundreds|few)$")


def fold_heads(ents: list[Entity], roles: Collection[str]) -> list[Entity]:
    """One entity for a phrase of one of ``roles`` and the fuller phrase of its role that ends
    with it: the surname and the full name ("pizarro", "carlos pizarro"), the head and the
    described thing ("farm", "la eminencia farm"; "bomb", "medium-sized bomb"). A MUC-4 key
    lists such mentions as one filler's alternatives, and a second filler costs precision. The
    fuller phrase leads, unless what it adds is only a quantity ("11 bombs" is the filler
    "bombs"). A phrase that ends several fuller ones folds into the likeliest."""
    into: dict[int, Entity] = {}
    for a in ents:
        if a.role not in roles:
            continue
        longer = [b for b in ents if b is not a and b.role == a.role and b.key.endswith(" " + a.key)]
        if longer:
            into[id(a)] = max(longer, key=lambda b: (b.probability, -b.first.start))
    if not into:
        return ents

    def root(e: Entity) -> Entity:
        while id(e) in into:
            e = into[id(e)]
        return e

    groups: dict[int, list[Entity]] = {}
    for e in ents:
        groups.setdefault(id(root(e)), []).append(e)
    out = []
    for e in ents:
        if id(e) in into:
            continue
        members = groups[id(e)]
        if len(members) == 1:
            out.append(e)
            continue
        lead = e
        shortest = min(members, key=lambda m: len(m.key))
        if _QUANTITY.fullmatch(e.key[: -len(shortest.key)].strip()):
            lead = shortest
        spans = lead.spans + [s for m in members if m is not lead for s in m.spans]
        out.append(Entity(lead.role, lead.key, spans))
    return out


def sentence_types(text: str, sentences: list[list[Token]], lexicon: Lexicon) -> list[set[str]]:
    out = []
    for s in sentences:
        hits = lexicon.triggers.find(text, s[0].start, s[-1].end)
        out.append({lexicon.muc4[h.code] for h in hits if lexicon.muc4.get(h.code)})
    return out


def likeliest_type(probabilities: dict[str, float]) -> str:
    """The MUC-4 type with the highest probability (the first in :data:`TYPES` on a tie)."""
    return max(TYPES, key=lambda t: probabilities.get(t, 0.0))


def accepted_types(probabilities: dict[str, float], threshold: float = 0.5) -> list[str]:
    """The types whose probability passes ``threshold`` (the likeliest type when none does),
    likeliest first."""
    type_p = {t: probabilities.get(t, 0.0) for t in TYPES}
    chosen = [t for t in TYPES if type_p[t] >= threshold] or [likeliest_type(probabilities)]
    return sorted(chosen, key=lambda t: -type_p[t])


def assemble(
    text: str,
    sentences: list[list[Token]],
    spans: list[RoleSpan],
    probabilities: dict[str, float],
    lexicon: Lexicon,
    relevance: float = 0.5,
    type_threshold: float = 0.5,
) -> list[Template]:
    if probabilities.get("relevant", 0.0) < relevance:
        return []
    type_p = {t: probabilities.get(t, 0.0) for t in TYPES}
    chosen = accepted_types(probabilities, type_threshold)
    ents = entities(text, spans)
    templates = [Template(t, probabilities["relevant"] * type_p[t]) for t in chosen]
    if len(templates) == 1:
        templates[0].entities = ents
        return templates
    by_type = {t.incident_type: t for t in templates}
    where = sentence_types(text, sentences, lexicon)
    for e in ents:
        if e.role in PERPETRATOR_ROLES:
            for t in templates:
                t.entities.append(e)
            continue
        if e.role == "Weapon" and "bombing" in by_type and _implies(text, e, lexicon) == "bombing":
            by_type["bombing"].entities.append(e)
            continue
        si = e.first.sentence

        def distance(t: Template) -> tuple[int, float]:
            ds = [abs(si - j) for j, types in enumerate(where) if t.incident_type in types]
            return (min(ds) if ds else 10_000, -t.probability)

        min(templates, key=distance).entities.append(e)
    return templates


def _implies(text: str, e: Entity, lexicon: Lexicon) -> str | None:
    """The MUC-4 type a weapon's codebook entry implies (a car bomb implies a bombing)."""
    hits = lexicon.weapon.find(text, e.first.start, e.first.end)
    implied = lexicon.weapon_implies.get(hits[0].code) if hits else None
    return lexicon.muc4.get(implied) if implied else None
