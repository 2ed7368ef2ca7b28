"""The learned stage of the pipeline: it reads the rule stage's incidents and the document,
and returns the incidents with the learned model's decisions applied.

In a document the classifiers judge relevant (a specific act of political violence, as the
MUC-4 task defines it), every rule incident of a MUC-4 type becomes the model's: it takes the
tagger's perpetrators, targets, victims and weapons nearest to it, of those the stage is sure
enough of (``entity_threshold``; a name and the form bracketed beside it count as one, and
edge words such as "several" before a filler or a dangling "with" after it are trimmed, and a
target or individual perpetrator that joins several by "and" is one filler each), and on
cased text the rules' codebook-named fillers beside them (on lower-cased text, the tagger's own
ground, they cost precision); the model's confidence; and the model's version as its extractor.
An incident is added for a type the classifiers accept but the rules missed (on cased text, not
beside an act the rules coded as a clash or an arrest), dated and placed like the nearest rule
incident, with the figures of its own sentence that no other record holds, and those a rule
incident of another type holds by a sentence that names the added act's type and not its own
(``give_figures``); on lower-cased text a rule clash or arrest told in that sentence is recoded
instead (``recode_other``). A relevant report in which neither names an act gets one of its
likeliest type.
Incidents the model does not code keep the rules' coding (modern reports, event types MUC-4 does
not cover), with the model's probability for their type as confidence.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
from collections.abc import Mapping, Set
from functools import cached_property
from importlib import resources
from pathlib import Path

from ..lexicon import Lexicon
from ..normalize.counts import carry_zeros, find_counts, incident_figures, person_titles
from ..records import (CASUALTY_FIELDS, Actor, ActorKind, Coding, Count, Document, Incident, Target, TargetKind,
                       Weapon, span_gap, spans_overlap)
from ..segment import PARAGRAPH_BREAK, is_caseless, segment
from .assemble import (PERPETRATOR_ROLES, TYPES, Entity, entities, fold_bracketed, fold_heads, likeliest_type,
                       placeless, split_coordinated, trimmed, untitled, wholes)
from .clusters import FILE as CLUSTERS_FILE
from .clusters import read_clusters
from .docfeatures import document_features, tagger_features
from .linear import LinearModel
from .tagger import RoleTagger
from .tokens import sentences

DEFAULT_MODEL = "muc4-crf.v1"


def default_model_dir() -> Path:
    return Path(str(resources.files("eventcoder") / "data" / "models" / DEFAULT_MODEL))


class LearnedStage:
    relevance = 0.4  # P(the document reports a relevant incident) needed to code its incidents
    # P(an incident of this type) needed to add one the rules missed (benchmarks/entity_threshold.py:
    # 0.45 against 0.5 up on train and dev)
    type_threshold = 0.45
    # P(relevant) x P(entity) a tagged entity needs to be kept, per role: below it, it is more
    # likely a false filler than a missed one is worth (benchmarks/entity_threshold.py chose
    # these on MUC-4 train with held-out taggers and relevance; organisations need more, and
    # individual perpetrators a little more than targets, victims and weapons)
    entity_threshold = {"PerpInd": 0.35, "PerpOrg": 0.5, "Target": 0.3, "Victim": 0.3, "Weapon": 0.3}
    # an act no organisation is named for takes the one the report names most surely
    # (benchmarks/entity_threshold.py: up on train and dev)
    share_organisation = True
    # a name and the form in brackets beside it ("... liberation front (fmln)") are one filler
    fold_bracketed = True
    # a phrase and the fuller one of the same role that ends with it ("pizarro", "carlos
    # pizarro"; "farm", "la eminencia farm") are one filler, for these roles (assemble.fold_heads;
    # benchmarks/entity_threshold.py: up on train and dev; with individual perpetrators or
    # weapons too, down on train: "guerrillas" and "urban guerrillas", "bomb" and "car bomb"
    # are often two fillers)
    fold_roles: tuple[str, ...] = ("PerpOrg", "Target", "Victim")
    # "several armed individuals" is the filler "armed individuals" (assemble.trimmed)
    trim_spans = True
    # "governor antonio roldan betancur" is the victim "antonio roldan betancur" (assemble.untitled;
    # benchmarks/entity_threshold.py: up on train and dev)
    untitle_roles: tuple[str, ...] = ("Victim",)
    # a tagged target or individual perpetrator that joins several ("the embassy building and
    # nearby structures") is one filler each (assemble.split_coordinated; benchmarks/entity_threshold.py:
    # up on train and dev; victims, weapons and organisations: flat or down)
    split_roles: tuple[str, ...] = ("Target", "PerpInd")
    # "the restaurant in medellin" and "the car parked nearby" are the targets "restaurant" and
    # "car", "drug traffickers in an exclusive sector" the perpetrators "drug traffickers"
    # and "eln guerrillas" the organisation "eln" (assemble.placeless; benchmarks/entity_threshold.py:
    # up on train and dev; victims and weapons hardly have such spans; the targets' participles
    # and the organisations' members: up on train, flat on dev)
    placeless_roles: tuple[str, ...] = ("Target", "PerpInd", "PerpOrg")
    # "the front doors of the party headquarters" is the target "party headquarters", "10 kg of
    # dynamite" the weapon "dynamite" (assemble.wholes; benchmarks/entity_threshold.py: up on
    # train and dev)
    whole_roles: tuple[str, ...] = ("Target", "Weapon")
    # a report judged relevant reports at least one act: when neither the rules nor any type
    # classifier names one, it takes the likeliest type
    one_act_at_least = True
    # an act of an accepted type told in a sentence of a rule incident of a type MUC-4 leaves out
    # (a clash, an arrest: on lower-cased text) is that incident, recoded, not a second record
    # beside it; it keeps its figures, date and place (benchmarks/entity_threshold.py: templates
    # flat on train and dev, more exact counts)
    recode_other = True
    # a figure held by a rule incident of another MUC-4 type, told in a sentence that names an act
    # of the added act's type and none of the holder's, is the added act's: "four members of a
    # family were murdered" is the murder's, not the bombing's the rules joined it to, in the
    # added act's own sentence or in another (more exact counts on MUC-4 train and dev; the
    # templates do not change)
    give_figures = True

    @staticmethod
    def keep_rules(role: str, value) -> bool:
        """Which of the rules' fillers survive beside the tagger's: those a codebook names."""
        if role == "perpetrators":
            return value.category is not None or not value.generic
        if role == "weapons":
            return value.category != "other"
        return value.category != "unknown"

    def __init__(self, lexicon: Lexicon, model_dir: Path | None = None):
        self.model_dir = Path(model_dir) if model_dir else default_model_dir()
        missing = [n for n in ("manifest.json", "roles.crfsuite", "document.json") if not (self.model_dir / n).exists()]
        if missing:
            from ..errors import ConfigError

            raise ConfigError(
                f"no trained model in {self.model_dir} ({', '.join(missing)} missing)",
                fix="train one with `eventcoder train muc4 --out DIR` and pass --model DIR, or pass --rules-only",
            )
        manifest = self.model_dir / "manifest.json"
        self.manifest = json.loads(manifest.read_text(encoding="utf-8"))
        self.name = self.manifest["model"]
        self.lexicon = lexicon
        self.tagger = RoleTagger(self.model_dir / "roles.crfsuite", lexicon,
                                 clusters=read_clusters(self.model_dir / CLUSTERS_FILE))
        self.documents = LinearModel.from_dict(json.loads((self.model_dir / "document.json").read_text(encoding="utf-8")))

    @cached_property
    def default_codes(self) -> dict[str, str]:
        """MUC-4 type -> the event-type code a template of that type gets (codebook data)."""
        out = {}
        for e in self.lexicon.event_types.entries:
            if e.get("muc4_default") and e.get("muc4"):
                out[e.get("muc4")] = e.code
        return out

    def decide(self, doc: Document, incidents: list[Incident]) -> tuple[dict[str, float], list[Entity]]:
        """The document classifiers' probabilities and the tagger's entities."""
        sents = sentences(doc.text)
        ents = entities(doc.text, self.tagger.tag(doc.text, sents))
        features = document_features(doc.text, sents, doc.published, incidents, self.lexicon) + tagger_features(ents)
        return self.documents.probabilities(features), ents

    def apply(self, doc: Document, incidents: list[Incident]) -> list[Incident]:
        probs, ents = self.decide(doc, incidents)
        out = list(incidents)
        relevant = probs.get("relevant", 0.0)

        def p_type(inc: Incident) -> float:
            muc = self.lexicon.muc4.get(inc.sub_event_type)
            return relevant * probs.get(muc, 0.0) if muc else 0.0

        if relevant < self.relevance:  # not coded by the model; the confidence says why
            return [dataclasses.replace(inc, confidence=round(p_type(inc), 3)) if self.lexicon.muc4.get(inc.sub_event_type)
                    else inc for inc in out]
        if self.trim_spans:
            ents = trimmed(doc.text, ents)
        if self.untitle_roles:
            ents = untitled(doc.text, ents, self.untitle_roles, person_titles())
        if self.split_roles:
            ents = split_coordinated(doc.text, ents, self.split_roles)
        if self.whole_roles:
            ents = wholes(doc.text, ents, self.whole_roles)
        if self.placeless_roles:
            ents = placeless(doc.text, ents, self.placeless_roles)
        ents = [e for e in ents if relevant * e.probability >= self.entity_threshold.get(e.role, 0.0)]
        if self.fold_bracketed:
            ents = fold_bracketed(doc.text, ents)
        if self.fold_roles:
            ents = fold_heads(ents, self.fold_roles)
        caseless = is_caseless(doc.text)
        # the skeleton: every incident of a MUC-4 type, plus one per accepted type the rules missed
        skeleton = [i for i, inc in enumerate(out) if self.lexicon.muc4.get(inc.sub_event_type)]
        have = {self.lexicon.muc4[out[i].sub_event_type] for i in skeleton}
        # ...unless, on cased text, the rules coded the act as a type MUC-4 leaves out (a clash,
        # an arrest); on lower-cased text the classifiers read better than the rules' types
        # (measured with benchmarks/entity_threshold.py: up on train and dev; figures in the README)
        other = not caseless and any(not self.lexicon.muc4.get(inc.sub_event_type) for inc in out)
        recodable = ([i for i, inc in enumerate(out) if not self.lexicon.muc4.get(inc.sub_event_type)]
                     if self.recode_other else [])
        for t in TYPES if not other else ():
            code = self.default_codes.get(t)
            if t in have or code is None or probs.get(t, 0.0) < self.type_threshold:
                continue
            skeleton.append(self._add_act(doc, out, t, code, recodable))
        if not skeleton and self.one_act_at_least and not other:
            # (benchmarks/entity_threshold.py: up on train and dev)
            likeliest = likeliest_type(probs)
            if (code := self.default_codes.get(likeliest)) is not None:
                skeleton.append(self._add_act(doc, out, likeliest, code, recodable))
        if not skeleton:
            return out
        # on cased text the rules' codebook-named fillers stand beside the tagger's; on lower-cased
        # text (the tagger's own ground) they cost precision (measured in the cross-validation that
        # set up this stage, with an early model; not measured again since)
        keep = _never if caseless else self.keep_rules
        assigned: dict[int, list[Entity]] = {i: [] for i in skeleton}
        breaks = [m.start() for m in PARAGRAPH_BREAK.finditer(doc.text)]
        paragraphs = [{bisect.bisect(breaks, a) for a, _ in inc.evidence} for inc in out] if breaks else []
        for e in ents:
            # in a text with paragraphs, a filler belongs to an act told in its paragraph, even
            # one the model does not code (a clash, an arrest: the filler is then dropped);
            # otherwise to the nearest coded act
            here = bisect.bisect(breaks, e.first.start)
            same = [i for i, told in enumerate(paragraphs) if here in told]
            owner = _nearest(out, same or skeleton, [e])
            if owner in assigned:
                assigned[owner].append(e)
        surest_org = max((e for e in ents if e.role == "PerpOrg"), key=lambda e: e.probability,
                         default=None) if self.share_organisation else None
        for i in skeleton:
            mine = assigned[i]
            if not any(e.role in PERPETRATOR_ROLES for e in mine) and not out[i].perpetrators:
                # an act nobody is named for: the perpetrators named in its paragraph
                here = bisect.bisect(breaks, out[i].evidence[0][0])
                mine = mine + [e for e in ents if e.role in PERPETRATOR_ROLES and bisect.bisect(breaks, e.first.start) == here]
            if surest_org is not None and not any(e.role == "PerpOrg" for e in mine) and not any(
                    p.kind == ActorKind.ORGANIZATION and keep("perpetrators", p) for p in out[i].perpetrators):
                # an act no organisation is named for: the one the report names most surely (a
                # MUC-4 key gives each act of a report the organisation the report blames)
                mine = mine + [surest_org]
            roles = _union(self._roles(doc, mine), out[i], keep)
            if not caseless:
                roles = _tidy_cased(roles)
            evidence = tuple(sorted(set(out[i].evidence) | {e.spans[0].span for e in assigned[i]}))
            out[i] = dataclasses.replace(out[i], **roles, evidence=evidence, confidence=round(p_type(out[i]), 3),
                                         coding=self._coding(), incident_id="")
        return out

    def _add_act(self, doc: Document, out: list[Incident], muc_type: str, code: str, recodable: list[int]) -> int:
        """Add an act of ``muc_type`` the rules missed; returns its index in ``out``. When one of
        the ``recodable`` incidents (used up here) tells it in the sentence that names the act,
        that incident is recoded; otherwise a new one is dated and placed like the nearest rule
        incident."""
        told = self._told(doc.text)
        evidence = next((span for span, types in told if muc_type in types),
                        told[0][0] if told else (0, len(doc.text)))  # the first sentence that names it, or the lead
        for i in recodable:
            if any(spans_overlap(evidence, ev) for ev in out[i].evidence):
                recodable.remove(i)
                out[i] = dataclasses.replace(out[i], sub_event_type=code,
                                             event_type=self.lexicon.group.get(code) or out[i].event_type)
                return i
        near = _nearest(out, range(len(out)), [], evidence[0]) if out else None
        given = self._give_figures(out, told, muc_type, evidence) if self.give_figures else {}
        held = {sp for inc in out for c in (inc.fatalities, inc.injuries, inc.killed_or_injured) if c for sp in c.spans}
        out.append(self._new(doc, code, evidence, out[near] if near is not None else None, held, given))
        return len(out) - 1

    def _told(self, text: str) -> list[tuple[tuple[int, int], set[str | None]]]:
        """Each sentence's span and the MUC-4 types its trigger words name (None for a trigger
        of a type MUC-4 leaves out)."""
        return [(s.span, {self.lexicon.muc4.get(h.code) for h in self.lexicon.triggers.find(text, s.start, s.end)})
                for s in segment(text)]

    def _give_figures(self, out: list[Incident], told: list[tuple[tuple[int, int], set[str | None]]],
                      muc_type: str, evidence: tuple[int, int]) -> dict[str, Count]:
        """Take from an incident of another MUC-4 type the figures it holds only by a sentence
        that tells an act of ``muc_type`` (``told``: see :meth:`_told`) and none of its own, and
        return them by field; the added act of ``muc_type``, told first in ``evidence``, reads
        them. Of several such incidents only the one whose figures lie nearest the added act's
        sentence gives: figures of two incidents are figures of two acts."""
        starts = [span[0] for span, _ in told]

        def tells(span: tuple[int, int]) -> set[str | None] | None:
            """The MUC-4 types the sentence holding ``span`` tells, or None when it spans two."""
            k = bisect.bisect_right(starts, span[0]) - 1
            if k < 0 or span[1] > told[k][0][1]:
                return None
            return told[k][1]

        offers: list[tuple[int, int, dict[str, Count]]] = []  # (distance, incident, figures)
        for i, inc in enumerate(out):
            mine = self.lexicon.muc4.get(inc.sub_event_type)
            if mine is None or mine == muc_type:
                continue
            figures = {}
            for f in CASUALTY_FIELDS:
                c = getattr(inc, f)
                if c is None or not c.spans:
                    continue
                types = [tells(sp) for sp in c.spans]
                if all(t is not None and muc_type in t and mine not in t for t in types):
                    figures[f] = c
            if figures:
                far = min(span_gap(sp, evidence) for c in figures.values() for sp in c.spans)
                offers.append((far, i, figures))
        if not offers:
            return {}
        _, i, given = min(offers, key=lambda o: o[:2])
        # what the giver keeps may now say nobody died ("caused no casualties" once the
        # killing told beside it is another act's)
        left = {f: None if f in given else getattr(out[i], f) for f in CASUALTY_FIELDS}
        out[i] = dataclasses.replace(out[i], **dict(zip(CASUALTY_FIELDS, carry_zeros(*left.values()), strict=True)))
        return given

    def _coding(self) -> Coding:
        return Coding(self.lexicon.versions, self.lexicon.event_types.version, self.name)

    def _roles(self, doc: Document, ents: list[Entity]) -> dict:
        text = doc.text
        perps = [Actor(_text(text, e), ActorKind.ORGANIZATION if e.role == "PerpOrg" else ActorKind.INDIVIDUAL,
                       _category(text, e, self.lexicon), _spans(e), generic=e.role == "PerpInd")
                 for e in ents if e.role in PERPETRATOR_ROLES]
        targets = [Target(_text(text, e), TargetKind.PHYSICAL if e.role == "Target" else TargetKind.HUMAN,
                          _target_category(text, e, self.lexicon), _spans(e))
                   for e in ents if e.role in ("Target", "Victim")]
        weapons = [Weapon(_text(text, e), _weapon_category(text, e, self.lexicon), _spans(e))
                   for e in ents if e.role == "Weapon"]
        return {"perpetrators": tuple(perps), "targets": tuple(targets), "weapons": tuple(weapons)}

    def _new(self, doc: Document, code: str, evidence: tuple[int, int], ref: Incident | None,
             held: Set[tuple[int, int]] = frozenset(), given: Mapping[str, Count] | None = None) -> Incident:
        """An incident of a type the classifiers accept but the rules did not find, dated,
        placed and framed (stance, claimant) like the nearest incident the rules did find, with
        the figures of its own sentence, read as the rules read an act's ("well-known banker X
        was murdered today" is 1 killed; totals over a period are left out). A figure whose
        spans another record of the report already ``held`` stays with that record alone, so
        no death is counted twice."""
        a, b = evidence
        killed, injured, combined = incident_figures([c for c in find_counts(doc.text, a, b)
                                                      if not c.aggregate and not set(c.count.spans) & held])
        given = given or {}  # figures another record gave up to this act (``_give_figures``)
        killed, injured, combined = carry_zeros(killed or given.get("fatalities"), injured or given.get("injuries"),
                                                combined or given.get("killed_or_injured"))
        return Incident(
            doc_id=doc.doc_id, event_type=self.lexicon.group.get(code) or "violence_against_civilians",
            sub_event_type=code, evidence=(evidence,), source=doc.source, source_kind=doc.source_kind,
            **({"stance": ref.stance, "claimed_by": ref.claimed_by, "date": ref.date, "location": ref.location} if ref else {}),
            fatalities=killed, injuries=injured, killed_or_injured=combined,
            coding=self._coding(),
        )


def _nearest(incidents: list[Incident], candidates, ents: list[Entity], at: int | None = None) -> int | None:
    """The candidate incident whose evidence lies nearest (in characters) to the entities
    (or to the offset ``at``)."""
    candidates = list(candidates)
    if not candidates:
        return None
    where = [e.first.start for e in ents] or [at or 0]

    def distance(i: int) -> int:  # 0 inside a span of its evidence, else the gap to the nearest one
        ev = incidents[i].evidence
        return min(max(0, a - w, w - b) for a, b in ev for w in where) if ev else 10**9

    return min(candidates, key=distance)


def _named_if_any(values: tuple, unnamed: str) -> tuple:
    """The values the codebooks name a category for, when there is one; else all of them
    ("the base of each tower" beside "high-voltage power towers")."""
    named = tuple(v for v in values if v.category != unnamed)
    return named or values


def _tidy_cased(roles: dict) -> dict:
    """On modern (cased) copy, where the tagger trained on lower-cased 1980s wires reads less
    well than the codebooks: beside named weapons and targets, those the codebooks cannot name
    are dropped (a lone "suicide" beside "car bomb"), no target is part of a weapon (the "car"
    of "car bomb"), and the attackers keep one description, the first the report gives
    ("gunmen", not also "armed men": a MUC-4 key names one in 544 of the 587 train templates
    that name any)."""
    weapons = _named_if_any(roles["weapons"], "other")
    targets = tuple(t for t in _named_if_any(roles["targets"], "unknown") if not any(_overlap(t, w) for w in weapons))
    described = [p for p in roles["perpetrators"] if p.generic]
    first = min(described, key=lambda p: p.spans[0][0], default=None)
    perpetrators = tuple(p for p in roles["perpetrators"] if not p.generic or p is first)
    return {**roles, "weapons": weapons, "targets": targets, "perpetrators": perpetrators}


def _never(role: str, value) -> bool:
    return False


def _overlap(x, y) -> bool:
    return any(spans_overlap(a, b) for a in x.spans for b in y.spans)


def _within(x, y) -> bool:
    """Whether ``x``'s first span lies inside ``y``'s first span and is shorter."""
    (a, b), (c, d) = x.spans[0], y.spans[0]
    return c <= a and b <= d and (d - c) > (b - a)


def _uncategorised(role: str, value) -> bool:
    return (role == "weapons" and value.category == "other") or (role == "targets" and value.category == "unknown")


def _union(learned: dict, inc: Incident, keep) -> dict:
    """The tagger's fillers, plus the rules' fillers that ``keep`` accepts and that overlap none
    of them (the rules know modern groups, weapons and targets from the codebooks). A tagger's
    weapon or target that the codebooks cannot name gives way to a rule filler it overlaps that
    they do name (the tagger's "suicide car" of the rules' "suicide car bomber"), and any to a
    rule filler whose phrase holds it (the tagger's "bomb" of the rules' "car bomb"); a
    perpetrator the tagger only describes gives way to a named one holding it (its "soldiers"
    of the rules' "soldiers of the Caliphate")."""
    out = {}
    for role, values in learned.items():
        rules = [v for v in getattr(inc, role) if keep(role, v)]
        merged: list = []
        for v in values:
            if _uncategorised(role, v):
                v = next((r for r in rules if _overlap(r, v)), v)
            else:  # the rules' reading of a longer phrase holding the tagger's ("car bomb" for "bomb",
                # and a group's name for the tagger's description: "soldiers of the Caliphate" for "soldiers")
                v = next((r for r in rules if (role != "perpetrators" or (v.generic and not r.generic))
                          and _within(v, r)), v)
            if v not in merged:
                merged.append(v)
        extra = tuple(v for v in rules if v not in merged and not any(_overlap(v, m) for m in merged))
        out[role] = tuple(merged) + extra
    return out


def _spans(e: Entity) -> tuple[tuple[int, int], ...]:
    return tuple((s.start, s.end) for s in e.spans)


def _text(text: str, e: Entity) -> str:
    return text[e.first.start:e.first.end]


def _first_hit(text: str, e: Entity, matcher):
    """The codebook match in the first of the entity's mentions that has one (a bracketed short
    form the codebooks do not know is named by the long form beside it)."""
    for s in e.spans:
        hits = matcher.find(text, s.start, s.end)
        if hits:
            return hits[0]
    return None


def _category(text: str, e: Entity, lexicon: Lexicon) -> str | None:
    hit = _first_hit(text, e, lexicon.org)
    return lexicon.org_category.get(hit.code) if hit else None


def _target_category(text: str, e: Entity, lexicon: Lexicon) -> str:
    hit = _first_hit(text, e, lexicon.target)
    return hit.code if hit else "unknown"


def _weapon_category(text: str, e: Entity, lexicon: Lexicon) -> str:
    hit = _first_hit(text, e, lexicon.weapon)
    return hit.code if hit else "other"
