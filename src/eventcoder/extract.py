"""The rules extractor (``rules.v1``): documents in, incident records out.

How it works, stage by stage:

1. :func:`eventcoder.segment.segment` splits the text into paragraphs, header lines and
   sentences (offsets kept).
2. Each sentence is analysed with the codebook lexicons: event triggers, weapons, targets,
   perpetrators, places, dates (``normalize.dates``), figures and materiel
   (``normalize.counts``).
3. Sentences with a trigger open or extend an *act*. A new act starts when the type is
   incompatible, or when the sentence names a different place or date from the current act
   (a bulletin's dated paragraphs, a round-up's headers). Sentences without a trigger but
   with figures or materiel attach to the act of their paragraph.
4. Each act becomes one :class:`Incident`; its figures come only from its own sentences and
   are merged without summing separate figures (``incident_figures``; the parts of one
   coordinated figure are added). Totals over a period ("in the last two weeks") are left out.

Unit of analysis (the documented policy): one record per distinct act, i.e. a distinct
(type, place, date). With ``merge="acled"`` same-day, same-place acts of the same ACLED
event type are merged into one record, as ACLED does.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .gazetteer import normalize_place
from .geocode import BORDER_AFTER, ORIGIN_BEFORE
from .lexicon import Hit, Lexicon
from .normalize.counts import CountMention, find_counts, find_materiel, incident_figures
from .normalize.dates import DateMention, find_dates
from .records import (
    Actor,
    ActorKind,
    Coding,
    DateValue,
    Document,
    Incident,
    Location,
    LocationPrecision,
    Materiel,
    PlaceCandidate,
    SourceKind,
    Span,
    Stance,
    Target,
    TargetKind,
    Weapon,
    span_gap,
    spans_overlap,
)
from .segment import Sentence, dateline, is_caseless, segment

EXTRACTOR = "rules.v1"

# Place phrases. Cased text: capitalised words after a cue; lower-case text (MUC-4 style):
# one to three words after a cue, accepted only when the gazetteer knows them.
_CUE = (
    r"(?:in|near|at|outside|around|into|inside|towards|toward|on the (?:outskirts|edge|edges) of|"
    r"in the (?:centre|center|heart) of|"
    r"(?:north|south|east|west|northeast|northwest|southeast|southwest)(?:ern)? of|"
    r"the (?:[a-z]+ ){0,2}(?:village|town|city|district|province|governorate|region|area|neighbou?rhood|suburb|department|municipality|camp|port town|port city|port) of|"
    r"in the area of|(?:kilometres|kilometers|km|miles) (?:away )?from)"
)
_NAME = r"(?:(?:al|el|ad|ash|as|at|az|ar|an|ez|es|ed|de|del|la|las|los|san|santa|bin|abu|umm|tell?|deir|dayr|jisr)[-\s])?[A-Z][\w'’ʿ]*(?:[-\s](?:(?:al|el|ad|ash|as|at|az|ar|an|ez|es|ed|de|del|la|las|los|i|e|du|sur|en)[-\s])?[A-Z][\w'’ʿ]*){0,3}"
_PLACE_CASED = re.compile(rf"\b{_CUE}\s+(?:the\s+)?({_NAME})")
# "the main market of Kafr Nabl", "the centre of Tal Afar": a weak cue, kept only for known places
_PLACE_OF = re.compile(rf"\b(?:of|edge of|part of)\s+(?:the\s+)?({_NAME})")
_PLACE_SUFFIX = re.compile(rf"\b({_NAME})\s+(?:province|governorate|district|region|wilayah|department|neighbou?rhood|area|quarter|camp|airport|airbase)\b")
_SPECIFIC = re.compile(r"\b(?:village|town|neighbou?rhood|district|quarter|area|suburb|camp|airport|airbase)\b", re.I)
_WILAYAH = re.compile(r"^(?:wilayat|wilayah|wilaya|province of)\s+(.+)$|^(.+?)\s+(?:wilayah|wilayat|province)$", re.I)
_LOWERCASE_MIN_POPULATION = 10_000
# "the u.s. embassy", "colombian army": a place name used as a modifier is not where the act was
_MODIFIER = re.compile(
    r"['’]?s?\s+(?:embassy|embassies|consulate|government|army|armed forces|forces|troops|officials?|citizens?|"
    r"nationals?|authorities|president|ambassador|diplomats?|businessmen|company|companies|military|air force|"
    r"navy|police|congress|press|people|guerrillas?|rebels?)\b",
    re.I,
)
_LOWER_WORD = r"(?!(?:in|at|near|from|on|of|and|or|by|with|to|for|the|a|an|last|this|today|yesterday)\b)[a-z][\w'’-]*"
_PLACE_LOWER = re.compile(rf"\b{_CUE}\s+(?:the\s+)?({_LOWER_WORD}(?:\s+{_LOWER_WORD}){{0,3}})")
_NEAR = re.compile(r"\b(?:near|outside|around|on the outskirts of|(?:north|south|east|west)\w* of|in the area of|(?:kilometres|kilometers|km|miles) (?:away )?from)\s+(?:the\s+)?(?:\w+\s+of\s+)?$", re.I)
_HEADED_FOR = re.compile(r"\b(?:towards?|into|against|targeting)\s+(?:[\w'’-]+\s+){0,3}$", re.IGNORECASE)
_SPEAKER_AFTER = re.compile(
    r"\s+(?:and\s+(?:[\w-]+\s+){0,2}(?:sources?|officials?)|(?:at|of|from)\s+[^,.;:()]{0,35}?)"
    r"\s+(?:said|says|told|reported|announced|added)\b", re.IGNORECASE)
# a source named before it: "it was reported today by the national police", "according to the army"
_REPORTED_BY = re.compile(
    r"\b(?:according\s+to|(?:reported|announced|confirmed|stated|said|disclosed|denied|released|issued)"
    r"(?:\s+[\w'’-]+){0,2}?\s+by)\s+(?:the\s+)?\Z", re.IGNORECASE)
_OWNED_BY = re.compile(r"\s+(?:of|held by|belonging to)\s+(?:the\s+)?", re.IGNORECASE)
_SPEAKER = re.compile(r"^[\w'’-]*\s*(?:spokes(?:man|woman|person)|sources?|officials?|statement|said|says|told|added|reported|announced|according)\b", re.I)
_STOPWORDS = {"the", "a", "an", "this", "that", "which", "order", "addition", "response", "front", "favor", "spite", "charge"}
_ARMED = {"military", "police_security", "paramilitary_militia"}
_BY = re.compile(r"\b(?:by|claimed by|blamed on|attributed to)\s+(?:the\s+)?$", re.I)
# "clashes between Ansar Allah fighters and government forces": the first side named is the
# perpetrator, as ACLED and our coding policy take it for a mutual clash
_BETWEEN = re.compile(r"\b(?:clash(?:es|ed)?|fighting|battles?|confrontations?|skirmish(?:es)?)\s+between\s+(?:the\s+)?$", re.I)
# "attributed the abduction to Boko Haram fighters", "blamed the attack on the FMLN": who did it
_BLAMED = re.compile(r"\b(?:attributed\s+(?:[\w'’-]+\s+){0,3}?to|blamed\s+(?:[\w'’-]+\s+){0,3}?on)"
                     r"\s+(?:the\s+)?(?:[\w'’-]+\s+){0,3}?$", re.I)
_AGAINST = re.compile(r"\b(?:against|on|at|targeting|targeted|killing|killed|wounding|injuring|hit|of)\s+(?:the\s+|an?\s+|two\s+|three\s+|\d+\s+)?$", re.I)


@dataclass
class _Analysis:
    sentence: Sentence
    triggers: list[Hit]
    weapons: list[Hit]
    targets: list[Hit]
    orgs: list[Hit]
    individuals: list[Hit]
    places: list[tuple[Span, bool]]  # (span, near)
    persons: list[Span]
    dates: list[DateMention]
    counts: list[CountMention]
    materiel: list[Materiel]
    suicide: list[Hit]
    claims: list[Hit]
    totals: int = 0  # figures left out of ``counts`` as totals over a period

    @property
    def strong(self) -> list[Hit]:
        return [t for t in self.triggers if t.extra != "weak"]


@dataclass
class _Act:
    sub_event_type: str
    analyses: list[_Analysis] = field(default_factory=list)
    date: DateMention | None = None
    place: tuple[Span, bool] | None = None
    place_from_context: bool = False
    date_reported: bool = False  # the date is only the report's ("police said today"): a later act date replaces it

    @property
    def paragraph(self) -> int:
        return self.analyses[-1].sentence.paragraph


class RuleExtractor:
    """Codes incidents with lexicons and rules. Thread-safe after construction; pickles."""

    name = EXTRACTOR

    def __init__(self, lexicon: Lexicon | None = None, merge: str = "act", geocoder: Any = None, entities: Any = None,
                 caseless_ner: bool = True):
        if merge not in ("act", "acled"):
            from .errors import ConfigError

            raise ConfigError(f"unknown merge policy {merge!r}", fix="use 'act' (default) or 'acled'")
        self.lexicon = lexicon or Lexicon()
        self.merge = merge
        self.geocoder = geocoder  # used only to check that a phrase is a known place
        self.entities = entities  # an nlp.EntityFinder, or None to run on lexicons alone
        self.caseless_ner = caseless_ner  # run the (cased) model on lower-cased text too
        self._reporting = _reporting_patterns(tuple(self.lexicon.event_types.raw.get("reporting_verbs") or ()))

    # ------------------------------------------------------------------ analysis

    def _places(self, text: str, s: Sentence, lowercase: bool) -> list[tuple[Span, bool]]:
        found: list[tuple[Span, bool]] = []
        if s.is_header:
            line = text[s.start : s.end].strip()
            m = _WILAYAH.match(line)
            if m:
                g = 1 if m.group(1) else 2
                return [((s.start + m.start(g), s.start + m.end(g)), False)]
        pattern = _PLACE_LOWER if lowercase else _PLACE_CASED
        for m in _matches(pattern, text, s.start, s.end, overlapping=lowercase):
            start, end = m.start(1), m.end(1)
            phrase = text[start:end]
            if lowercase:
                span = self._known_prefix(text, start, end)
                if span is None or any(f[0] == span for f in found):
                    continue
                start, end = span
            elif phrase.split()[0].lower() in _STOPWORDS:
                continue
            near = bool(_NEAR.search(text[max(s.start, start - 40) : start]))
            found.append(((start, end), near))
        if not lowercase and self.geocoder is not None:
            for m in _PLACE_OF.finditer(text, s.start, s.end):
                span = (m.start(1), m.end(1))
                if any(a <= span[0] < b for (a, b), _ in found) or _fold(text[slice(*span)]) in _not_places():
                    continue
                if self.geocoder.gazetteer.candidates(text[slice(*span)]):
                    found.append((span, False))
        if not lowercase:
            for m in _PLACE_SUFFIX.finditer(text, s.start, s.end):
                span = (m.start(1), m.end(1))
                # "Baghdad's al-Shaab district": the district, not the city
                poss = re.match(r"[A-Z][\w-]*['’]s\s+", text[span[0] : span[1]])
                if poss:
                    span = (span[0] + poss.end(), span[1])
                found = [f for f in found if not (f[0][0] <= span[0] < f[0][1] or span[0] <= f[0][0] < span[1])]
                found.append((span, False))
        # the most specific place first (a village or district named with its kind), then text order
        found.sort(key=lambda f: (not _SPECIFIC.search(text[f[0][1] : f[0][1] + 16] + " " + text[max(0, f[0][0] - 20) : f[0][0]]), f[0]))
        return found

    def _gazetteer_places(self, text: str, s: Sentence, ents: list) -> list[tuple[Span, bool]]:
        """Places the cues missed, found by matching every gazetteer name in the sentence
        (Aho-Corasick) and kept only where the NER model saw some name, whatever label it gave
        (it tags al-Bab as an organisation and Khawr Maksar as a person)."""
        named = [(e.start, e.end) for e in ents if e.label in ("GPE", "LOC", "FAC", "ORG", "PERSON")]
        if not named:
            return []
        low = text[s.start : s.end].lower()
        if len(low) != s.end - s.start:
            return []  # case folding changed the length: offsets would not line up
        hits: list[Span] = []
        for last, key in self.geocoder.gazetteer.automaton().iter(low):
            a, b = s.start + last - len(key) + 1, s.start + last + 1
            if len(key) < 4 or not text[a].isupper() or (a > 0 and text[a - 1].isalnum()) or (b < len(text) and text[b].isalnum()):
                continue
            if any(x <= a and b <= y for x, y in named) and _fold(text[a:b]) not in _not_places():
                hits.append((a, b))
        kept: list[Span] = []
        for a, b in sorted(hits, key=lambda h: (-(h[1] - h[0]), h[0])):  # longest first, no overlaps
            if not any(a < y and x < b for x, y in kept):
                kept.append((a, b))
        return [(span, bool(_NEAR.search(text[max(s.start, span[0] - 40) : span[0]]))) for span in sorted(kept)]

    def _known_prefix(self, text: str, start: int, end: int) -> Span | None:
        """The longest word prefix of text[start:end] that the gazetteer knows."""
        if self.geocoder is None:
            return None
        words = list(re.finditer(r"\S+", text[start:end]))
        while words and _fold(words[0].group(0)) in _not_place_prefixes():  # "downtown lima"
            start += words[1].start() if len(words) > 1 else len(text[start:end])
            words = list(re.finditer(r"\S+", text[start:end]))
        for n in range(len(words), 0, -1):
            e = start + words[n - 1].end()
            phrase = text[start:e].rstrip(",.;:-–— ")
            if phrase in _STOPWORDS or phrase in _english_stop_words() or len(phrase) < 3:
                continue
            # without capitals to go by, only places that are countries, provinces or towns of
            # some size count ("their" is a hamlet in the United States), and only by an exact
            # name: a skeleton match is too loose without capitals ("case" is not Socorro)
            if any(p.feature in ("country", "admin1", "overlay") or p.population >= _LOWERCASE_MIN_POPULATION
                   for p in self.geocoder.gazetteer.candidates(phrase, exact=True)[:3]):
                return (start, start + len(phrase))
        return None

    def _analyse(self, text: str, s: Sentence, dates: list[DateMention], lowercase: bool, ents: list, skip: Span | None) -> _Analysis:
        lx = self.lexicon
        a, b = s.start, s.end
        inside = [e for e in ents if a <= e.start and e.end <= b]
        places = self._places(text, s, lowercase)
        if not places and not lowercase and self.geocoder is not None:
            places = self._gazetteer_places(text, s, inside)
        for e in inside:
            if e.label in ("GPE", "LOC", "FAC") and not any(ps <= e.start < pe or e.start <= ps < e.end for (ps, pe), _ in places):
                phrase = text[e.start : e.end]
                if self.geocoder is not None and self.geocoder.gazetteer.candidates(re.sub(r"^the\s+", "", phrase, flags=re.I)):
                    places.append(((e.start, e.end), False))  # after the cue-based places: weaker evidence
        if skip is not None:  # the dateline names where the report was filed
            places = [p for p in places if not skip[0] <= p[0][0] < skip[1]]
        norp = [(e.start, e.end) for e in inside if e.label == "NORP"]
        groups = [h.span for h in lx.org.find(text, a, b)]  # "the Taliban" is not a place
        places = [
            p for p in places
            if _fold(text[slice(*p[0])]) not in _not_places()
            and not any(x <= p[0][0] < y for x, y in norp + groups)
            and not BORDER_AFTER.match(text, p[0][1])  # "near the Cameroon border": a neighbour, not the place
            and not ORIGIN_BEFORE.search(text, max(0, p[0][0] - 12), p[0][0])  # "peacekeepers from Chad"
            and not _MODIFIER.match(text, p[0][1])
        ]
        here = [d for d in dates if d.value.spans and a <= d.value.spans[0][0] < b]
        date_spans = [sp for d in here for sp in d.value.spans]
        counts = [] if s.is_header else find_counts(text, a, b)
        triggers = [] if s.is_header else lx.triggers.find(text, a, b)
        motives = [c.motive for c in counts if c.motive is not None]
        if motives and any(t.extra != "weak" and not any(x <= t.start and t.end <= y for x, y in motives) for t in triggers):
            # "rebels bombed a pylon to protest Jaramillo's murder": the murder's dead are not the
            # bombing's (a sentence that tells only the murder keeps them)
            counts = [c for c in counts if c.motive is None]
        return _Analysis(
            # a name read as a place is no person ("in central Rotterdam"), nor is the dateline's,
            # nor a word of a date ("Rabi" of "the 19th of Rabi' al-Awwal 1438")
            persons=[(e.start, e.end) for e in inside if e.label == "PERSON"
                     and not (skip and skip[0] <= e.start < skip[1])
                     and not any(pa < e.end and e.start < pb for (pa, pb), _ in places)
                     and not any(da < e.end and e.start < db for da, db in date_spans)],
            sentence=s,
            triggers=triggers,
            weapons=lx.weapon.find(text, a, b),
            targets=lx.target.find(text, a, b),
            orgs=lx.org.find(text, a, b),
            individuals=lx.individual.find(text, a, b),
            places=places,
            dates=here,
            # a total over a period ("28 killed in the city over the last two weeks") is no act's figure
            counts=[c for c in counts if not c.aggregate],
            totals=sum(c.aggregate for c in counts),
            materiel=[] if s.is_header else find_materiel(text, a, b),
            suicide=lx.suicide.find(text, a, b),
            claims=lx.claim.find(text, a, b),
        )

    def _reporting_date(self, text: str, an: _Analysis, d: DateMention) -> bool:
        """Whether ``d`` dates a statement rather than an act: it follows a verb of saying ("police
        said today", "reported on Monday"), is the subject-side adverb of one ("judges today began
        a strike"), or opens a sentence whose subject then reports ("In Lima today, sources
        reported that ..."). The verbs are data (``reporting_verbs`` in the event_types codebook)."""
        if self._reporting is None:
            return False
        before, direct, fronted = self._reporting
        a, b = d.value.spans[0]
        s = an.sentence
        if before.search(text, max(s.start, a - 30), a) or direct.match(text, b, s.end):
            return True
        # "In Lima today, sources reported": only where no act was named before the date
        # ("rebels killed two on Monday, police said" dates the killing)
        return bool(fronted.match(text, b, s.end)) and not any(t.start < a for t in an.triggers)

    def _sentence_type(self, an: _Analysis, text: str) -> str | None:
        lx = self.lexicon
        if not an.triggers:
            return None
        specific_date = any(d.value.precision.value == "day" for d in an.dates)
        if not specific_date and lx.background.search(text, an.sentence.start, an.sentence.end):
            return None  # a conflict's toll or a group's habits, not an act
        codes = {t.code for t in an.strong}
        codes |= {lx.weapon_implies[w.code] for w in an.weapons if lx.weapon_implies.get(w.code)}
        explosive = {"remote_explosive", "suicide_bomb"} & codes or any(w.code.startswith("explosives") for w in an.weapons)
        if an.suicide and explosive:
            codes.add("suicide_bomb")
        else:
            codes.discard("suicide_bomb")
        if not codes:
            if an.totals and not an.counts and not an.weapons:
                return None  # "Week total: 6 civilians killed and 5 injured in 3 incidents": a total
            return "attack" if (an.counts or an.weapons or an.targets) else None
        return max(codes, key=lambda c: (lx.priority.get(c, 0), c))

    # ------------------------------------------------------------------ grouping

    def _compatible(self, act: _Act, sub: str) -> bool:
        lx = self.lexicon
        if sub == act.sub_event_type:
            return True
        weak = {"attack"}
        if sub in weak or act.sub_event_type in weak:
            return True
        return lx.group.get(sub) == lx.group.get(act.sub_event_type) and "abduction" not in (sub, act.sub_event_type)

    def _new_context(self, act: _Act, an: _Analysis, text: str) -> bool:
        """True when the sentence names a different place or date than the act. A date counted
        from another date of the report ("a week later, a bus bomb exploded", "two days earlier")
        is a date of its own when the sentence names an act; one counted from the time of
        writing ("2 days ago") is not, as the report may count it from a date told before."""
        absolute = [d for d in an.dates if d.value.start is not None and (
            d.kind != "relative"
            or (d.anchor is not None and an.strong and self.lexicon.counted_from_date.search(text, *d.span)))]
        if act.date is not None and absolute and not act.date_reported:
            if absolute[0].value.start != act.date.value.start:
                return True
        if act.place is not None and an.places and not act.place_from_context:
            mine = _fold(text[slice(*act.place[0])])
            if all(_fold(text[slice(*p)]) != mine for p, _ in an.places):
                return True
        return False

    def _earlier_act(self, text: str, act: _Act, an: _Analysis, acts_dates: list[DateMention],
                     published: datetime.date | None) -> bool:
        """Whether a sentence tells an act of its own, days before the report, after an act told
        in two sentences or more without a date: "guerrillas attacked Merino's home 5 days ago"
        after "... condemned the killing of the attorney general ... Garcia Alvarado was killed
        when a bomb ..." (a report leaves the date of the day's news unsaid, never that of an act
        days old), and so "on 31 january, troops murdered peasants A and B" after "the national
        guard murdered student C ...". Not when the sentence refers back to an act ("the attack
        took place 5 days ago"), nor for a date counted from another date of the report."""
        if act.date is not None or len(act.analyses) < 2 or not an.strong or not acts_dates or published is None:
            return False
        d = acts_dates[0]
        if (d.kind == "relative" and d.anchor is not None) or d.value.start is None:
            return False
        if any(_refers_back(text, an.sentence, t) for t in an.strong):
            return False
        return (published - d.value.start).days >= EARLIER_ACT_DAYS

    def _group(self, text: str, analyses: list[_Analysis], published: datetime.date | None = None) -> list[_Act]:
        acts: list[_Act] = []
        current: _Act | None = None
        last_date: DateMention | None = None
        last_place: tuple[Span, bool] | None = None
        header_place: tuple[Span, bool] | None = None
        para_date: dict[int, DateMention] = {}
        reported_dates: set[int] = set()  # ids of the report dates among last_date / para_date
        backrefs: list[tuple[int, set[str], DateMention]] = []  # dated definite mentions of an act
        for an in analyses:
            s = an.sentence
            if s.is_header:
                if an.places:
                    header_place = an.places[0]
                    current = None
                continue
            usable = [d for d in an.dates if d.value.start is not None]
            sub = self._sentence_type(an, text)
            # "police reported today that ... on Monday, 4 August": the date of the report is not the
            # date of the act; prefer any other date the sentence gives
            acts_dates = [d for d in usable if not self._reporting_date(text, an, d)]
            # "the strikes today follow attacks in which buses were burned on 24 October": of the
            # act's dates, the one nearest a trigger of the sentence's type (any trigger if none has it)
            near = [t for t in an.strong if t.code == sub] or an.strong
            if near:
                acts_dates.sort(key=lambda d: min(span_gap(d.value.spans[0], t.span) for t in near))
            usable = acts_dates + [d for d in usable if d not in acts_dates]
            reported = {id(d) for d in usable if d not in acts_dates}
            if sub is None:
                if current is not None and current.paragraph == s.paragraph and (an.counts or an.materiel):
                    current.analyses.append(an)
                if usable:
                    last_date = usable[0]
                    para_date.setdefault(s.paragraph, usable[0])
                    if id(usable[0]) in reported:
                        reported_dates.add(id(usable[0]))
                if an.places:
                    last_place = an.places[0]
                continue
            if (
                current is not None
                and self._compatible(current, sub)
                and not self._new_context(current, an, text)
                and not self._earlier_act(text, current, an, acts_dates, published)
                and s.paragraph - current.paragraph <= 1
                and not (s.paragraph != current.paragraph and para_date.get(s.paragraph) is not None)
                and not (s.paragraph != current.paragraph and usable and usable[0].kind != "relative")
            ):
                current.analyses.append(an)
                if self.lexicon.priority.get(sub, 0) > self.lexicon.priority.get(current.sub_event_type, 0):
                    current.sub_event_type = sub
                if (current.date is None or current.date_reported) and acts_dates:
                    current.date, current.date_reported = acts_dates[0], False  # the act's own date
                elif current.date is None and usable:
                    current.date, current.date_reported = usable[0], True
                if (current.place is None or current.place_from_context) and an.places:
                    current.place, current.place_from_context = an.places[0], False
            else:
                date = usable[0] if usable else (para_date.get(s.paragraph) or last_date)
                place, from_ctx = (an.places[0], False) if an.places else (
                    (last_place, True) if last_place and current is not None and current.paragraph == s.paragraph
                    else (header_place, True) if header_place else (None, False)
                )
                current = _Act(sub, [an], date, place, from_ctx)
                current.date_reported = date is not None and (id(date) in reported or id(date) in reported_dates)
                acts.append(current)
            if usable:
                last_date = usable[0]
                para_date.setdefault(s.paragraph, usable[0])
                if id(usable[0]) in reported:
                    reported_dates.add(id(usable[0]))
            if an.places:
                last_place = an.places[0]
            if acts_dates:
                back = {t.code for t in an.strong if _refers_back(text, s, t)}
                if back:
                    backrefs.append((s.start, back, acts_dates[0]))
        self._date_from_backreference(acts, backrefs)
        return acts

    def _date_from_backreference(self, acts: list[_Act], backrefs: list[tuple[int, set[str], DateMention]]) -> None:
        """An act told without a date takes the date of a later sentence that refers back to it:
        "FARC rebels have carried out attacks in Cauca ... the attacks, which began at 0300
        today" (a lead often leaves the date to a later paragraph). Only a definite mention of a
        compatible type counts, the first after the act, and only for acts with no date at all."""
        for act in acts:
            if act.date is not None:
                continue
            first = act.analyses[0].sentence
            for start, codes, date in backrefs:
                if start > first.start and any(self._compatible(act, c) for c in codes):
                    act.date, act.date_reported = date, False
                    break

    # ------------------------------------------------------------------ records

    def _perpetrators(self, text: str, act: _Act) -> list[Actor]:
        out: dict[str, Actor] = {}
        lx = self.lexicon
        for an in act.analyses:
            first_trigger = min((t.start for t in an.triggers), default=an.sentence.end)
            target_spans = [h.span for h in an.targets]
            for hit in [*an.orgs, *an.individuals]:
                if _speaks(text, hit.end):
                    continue
                before = text[max(an.sentence.start, hit.start - 30) : hit.start]
                agent = bool(_BY.search(before) or _BETWEEN.search(before)
                             or _BLAMED.search(text, max(an.sentence.start, hit.start - 70), hit.start)) or (
                    hit.start < first_trigger and not _AGAINST.search(before)
                )
                claim_subject = any(c.code == "claimed_responsibility" and c.start >= hit.end and c.start - hit.end < 40 for c in an.claims)
                if not (agent or claim_subject):
                    continue
                if any(ts[0] <= hit.start < ts[1] for ts in target_spans) and not (agent and hit.start < first_trigger):
                    continue
                phrase = text[hit.start : hit.end]
                kind = ActorKind.ORGANIZATION if hit.extra == "organization" else ActorKind.INDIVIDUAL
                category = lx.org_category.get(hit.code) if kind == ActorKind.ORGANIZATION else None
                key = phrase.lower()
                if key in out:
                    prev = out[key]
                    out[key] = dataclasses.replace(prev, spans=prev.spans + (hit.span,))
                else:
                    out[key] = Actor(text=phrase, kind=kind, category=category, spans=(hit.span,),
                                     generic=kind == ActorKind.INDIVIDUAL)
            # "the istishhadi brother Abu Hafs al-Shami": the name after a perpetrator word
            for a, b in an.persons:
                if any(0 <= a - h.end <= 12 and re.fullmatch(r"\s*(?:brother|fighter|member|named|called|,)?\s*", text[h.end : a])
                       for h in an.individuals):
                    out.setdefault(text[a:b].lower(), Actor(text=text[a:b], kind=ActorKind.INDIVIDUAL, spans=((a, b),)))
        # a phrase inside a longer one (guerrillas / urban guerrillas) is the same actor
        actors = list(out.values())
        actors = [a for a in actors if not any(a is not b and a.text.lower() in b.text.lower() and a.spans[0][0] >= b.spans[0][0] and a.spans[0][1] <= b.spans[0][1] for b in actors)]
        return actors

    def _targets(self, text: str, act: _Act, perps: list[Actor]) -> list[Target]:
        lx = self.lexicon
        perp_spans = {sp for p in perps for sp in p.spans}
        out: dict[str, Target] = {}
        for an in act.analyses:
            first_trigger = min((t.start for t in an.strong), default=an.sentence.start)
            for hit in an.targets:
                if any(ps[0] <= hit.start < ps[1] for ps in perp_spans):
                    continue
                if any(spans_overlap(hit.span, w.span) for w in an.weapons):
                    continue  # the "vehicle" of "an explosive vehicle" is the weapon, not a target
                if any(_OWNED_BY.fullmatch(text, hit.end, h.start) for h in an.targets if h.start > hit.end):
                    continue  # "positions of the Nusayri army": the owner names the target
                if hit.code == "military" and any(spans_overlap(hit.span, sp) for m in an.materiel for sp in m.spans):
                    continue  # "destroying a tank": an armed force's equipment is materiel, not a target
                if _speaks(text, hit.end) or _SPEAKER_AFTER.match(text, hit.end):
                    continue  # "police said", "police and medical sources said", "officials of the company said"
                if _BLAMED.search(text, max(an.sentence.start, hit.start - 70), hit.start):
                    continue  # "attributed the abduction to Boko Haram fighters": who did it, not whom
                if _BETWEEN.search(text, max(an.sentence.start, hit.start - 40), hit.start):
                    continue  # "clashes between Ansar Allah fighters and ...": the first side did it
                if (lx.locative_before is not None and text[hit.start : hit.end].lower() in lx.locative_places
                        and lx.locative_before.search(text, max(an.sentence.start, hit.start - 60), hit.start)):
                    continue  # "near the village of Suwaydiyah": where the act happened, not what it hit
                if _REPORTED_BY.search(text, max(an.sentence.start, hit.start - 60), hit.start):
                    continue  # "it was reported today by the national police", "according to the army"
                after = text[hit.end : hit.end + 20]
                if (hit.end <= first_trigger and not re.match(r"\s+(?:were|was|had been|have been)\b", after)
                        and not _HEADED_FOR.search(text[max(an.sentence.start, hit.start - 40):hit.start])):
                    continue  # the subject of an active verb is not its target ("drove towards X" makes X one)
                phrase = text[hit.start : hit.end]
                key = phrase.lower()
                kind = TargetKind.HUMAN if hit.extra == "human" else TargetKind.PHYSICAL
                if key in out:
                    prev = out[key]
                    out[key] = dataclasses.replace(prev, spans=prev.spans + (hit.span,))
                else:
                    out[key] = Target(text=phrase, kind=kind, category=hit.code, spans=(hit.span,))
            # named people near the act are human targets; a title just before a name gives the category
            for a, b in an.persons:
                if any(ps[0] <= a < ps[1] or a <= ps[0] < b for ps in perp_spans):
                    continue
                if any(h.start <= a and b <= h.end for h in an.targets):
                    continue  # a name inside a target the codebooks read ("Sahwat" of "the Sahwat factions")
                if _speaks(text, b) or re.search(r"according to\s*$", text[max(0, a - 15) : a]):
                    continue
                title = [h for h in an.targets if h.extra == "human" and 0 <= a - h.end <= 3]
                phrase = text[a:b]
                out.setdefault(phrase.lower(), Target(text=phrase, kind=TargetKind.HUMAN,
                                                      category=title[-1].code if title else "unknown", spans=((a, b),)))
        # a target named again by its last words ("the checkpoint" after "a police checkpoint") is the same one
        return [t for key, t in out.items() if not any(other.endswith(" " + key) for other in out)]

    def _weapons(self, text: str, act: _Act) -> list[Weapon]:
        out: dict[str, Weapon] = {}
        if act.sub_event_type == "air_drone_strike" and not any(h.code == "aircraft" for an in act.analyses for h in an.weapons):
            for an in act.analyses:  # "an air strike": the trigger itself names the weapon
                for t in an.strong:
                    if t.code == "air_drone_strike":
                        out.setdefault(text[t.start : t.end].lower(), Weapon(text=text[t.start : t.end], category="aircraft", spans=(t.span,)))
                        break
        for an in act.analyses:
            for hit in an.weapons:
                phrase = text[hit.start : hit.end]
                key = phrase.lower()
                if key in out:
                    prev = out[key]
                    out[key] = dataclasses.replace(prev, spans=prev.spans + (hit.span,))
                else:
                    out[key] = Weapon(text=phrase, category=hit.code, spans=(hit.span,))
        return list(out.values())

    def _date(self, act: _Act) -> DateValue | None:
        return act.date.value if act.date is not None else None

    def _location(self, text: str, act: _Act, fallback: Span | None) -> Location | None:
        """The act's place mention, with the other mentions of its sentences (and the dateline
        city) as alternatives: the geocode stage picks the most specific one it can resolve."""
        mentions: list[tuple[Span, bool]] = []
        if act.place is not None:
            mentions.append(act.place)
        for an in act.analyses:
            mentions.extend(p for p in an.places if p[0] not in [m[0] for m in mentions])
        if fallback is not None and fallback not in [m[0] for m in mentions]:
            mentions.append((fallback, False))
        if not mentions:
            return None

        def precision(near: bool) -> LocationPrecision:
            return LocationPrecision.NEAR if near else LocationPrecision.UNKNOWN

        ((a, b), near), rest = mentions[0], mentions[1:]
        return Location(
            text=text[a:b],
            precision=precision(near),
            spans=((a, b),),
            alternatives=tuple(PlaceCandidate(text[x:y], ((x, y),), precision=precision(n)) for (x, y), n in rest[:6]),
        )

    def is_claim(self, doc: Document, dates: list[DateMention]) -> bool:
        """A claim of responsibility: its source kind says so, or (kind not given) it reads as one:
        two of the claim markers, or one with a Hijri date."""
        if doc.source_kind != SourceKind.UNKNOWN:
            return doc.source_kind == SourceKind.CLAIM
        markers = {m.group(0).lower() for m in self.lexicon.claim_markers.finditer(doc.text)}
        hijri = any(d.value.calendar.value == "hijri" for d in dates)
        return len(markers) >= 2 or (len(markers) == 1 and hijri)

    def _claimed_by(self, text: str, claim: bool, analyses: list[_Analysis]) -> tuple[Actor | None, Actor | None]:
        """(who claims the acts, the group a claim document speaks for)."""
        def actor(h: Hit) -> Actor:
            return Actor(text=text[h.start : h.end], kind=ActorKind.ORGANIZATION,
                         category=self.lexicon.org_category.get(h.code), spans=(h.span,))

        non_state = [h for an in analyses for h in an.orgs if self.lexicon.org_category.get(h.code) != "state_forces"]
        if claim:
            group = actor(non_state[0]) if non_state else None
            return group, group
        for an in analyses:
            for c in an.claims:
                if c.code != "claimed_responsibility":
                    continue
                orgs = [h for h in an.orgs if h.end <= c.start and self.lexicon.org_category.get(h.code) != "state_forces"]
                if orgs:
                    return actor(orgs[-1]), None
        return None, None

    def _incident(self, doc: Document, act: _Act, claimed_by: Actor | None, group: Actor | None, claim: bool) -> Incident:
        text = doc.text
        lx = self.lexicon
        perps = self._perpetrators(text, act)
        # the group that claims the acts is their perpetrator, as GTD codes it (with the claim kept)
        claimer = group or claimed_by
        if claimer is not None and not any(p.kind == ActorKind.ORGANIZATION and p.category != "state_forces" for p in perps):
            perps = [claimer, *perps]
        targets = self._targets(text, act, perps)
        sub_event_type = act.sub_event_type
        categories = {t.category for t in targets if t.category != "unknown"}
        if sub_event_type == "attack" and categories and categories <= _ARMED:
            sub_event_type = "armed_clash"  # ACLED: an attack on armed forces is a battle
        weapons = self._weapons(text, act)
        # a battle's dead are every side's (ACLED); an attack's are its targets'
        killed, injured, combined = incident_figures([c for an in act.analyses for c in an.counts],
                                                     all_sides=lx.group[sub_event_type] == "battles")
        materiel = tuple(m for an in act.analyses for m in an.materiel)
        suicide_spans = tuple(h.span for an in act.analyses for h in an.suicide)
        evidence = tuple(an.sentence.span for an in act.analyses)
        stance = Stance.CLAIMED if claim else Stance.REPORTED
        date = self._date(act)
        dl = dateline(text)
        location = self._location(text, act, _dateline_place(text, dl[1]) if dl else None)
        filled = sum(x is not None and x != [] for x in (date, location, perps or None, targets or None, weapons or None, killed or injured or combined))
        return Incident(
            doc_id=doc.doc_id,
            source=doc.source,
            source_kind=doc.source_kind,
            stance=stance,
            claimed_by=claimed_by,
            event_type=lx.group[sub_event_type],
            sub_event_type=sub_event_type,
            date=date,
            location=location,
            perpetrators=tuple(perps),
            targets=tuple(targets),
            weapons=tuple(weapons),
            suicide=bool(suicide_spans),
            suicide_spans=suicide_spans,
            fatalities=killed,
            injuries=injured,
            killed_or_injured=combined,
            materiel=materiel,
            evidence=evidence,
            confidence=round(0.3 + 0.1 * filled, 2),
            coding=Coding(codebook=lx.versions, codebook_version=lx.event_types.version, extractor=self.name),
        )

    def _merge_same(self, text: str, acts: list[_Act]) -> list[_Act]:
        """Apply the unit-of-analysis policy: one act per (type, place, date)."""
        out: list[_Act] = []
        for act in acts:
            key = self._key(text, act)
            twin = next((o for o in out if key is not None and self._key(text, o) == key), None)
            if twin is None:
                out.append(act)
            else:
                twin.analyses.extend(act.analyses)
                if self.lexicon.priority.get(act.sub_event_type, 0) > self.lexicon.priority.get(twin.sub_event_type, 0):
                    twin.sub_event_type = act.sub_event_type
        return out

    def _key(self, text: str, act: _Act) -> tuple | None:
        if act.date is None or act.place is None or act.date.value.start is None:
            return None
        kind = self.lexicon.group[act.sub_event_type] if self.merge == "acled" else act.sub_event_type
        return (kind, _fold(text[slice(*act.place[0])]), act.date.value.start)

    # ------------------------------------------------------------------ public

    def extract(self, doc: Document) -> list[Incident]:
        text = doc.text
        lowercase = is_caseless(text)
        dates = find_dates(text, published=doc.published, hijri_calendar=doc.hijri_calendar, day_first=doc.day_first)
        if doc.published is not None:  # "who will take office on 1 June": no act is dated after its report
            dates = [d for d in dates if d.value.start is None or d.value.start <= doc.published + _DAY]
        dl = dateline(text)
        if dl is not None:  # the dateline's date is when the report was filed, not when the act happened
            dates = [d for d in dates if not (d.value.spans and dl[0][0] <= d.value.spans[0][0] < dl[0][1])]
        sentences = segment(text)
        ents: list = []
        if self.entities is not None and (self.caseless_ner or not lowercase):
            # the model runs only where it can matter: sentences with an event trigger, and headers
            wanted = [s.span for s in sentences if s.is_header or self.lexicon.triggers.pattern.search(text, s.start, s.end)]
            ents = self.entities.entities(text, _merge_adjacent(wanted)) if wanted else []
        analyses = [self._analyse(text, s, dates, lowercase, ents, dl[0] if dl else None) for s in sentences]
        acts = self._group(text, analyses, doc.published)
        if dl is not None:  # a wire story's acts that name no place happened at its dateline city
            for act in acts:
                if act.place is None:
                    act.place, act.place_from_context = (_dateline_place(text, dl[1]), False), True
        acts = self._merge_same(text, acts)
        claim = self.is_claim(doc, dates)
        claimed_by, group = self._claimed_by(text, claim, analyses)
        return [self._incident(doc, act, claimed_by, group, claim) for act in acts]


EARLIER_ACT_DAYS = 2  # an act this many days before its report or more is not the day's news (_earlier_act)
_DAY = datetime.timedelta(days=1)  # a report's dateline is local time: an act may be dated a day later in GMT
_fold = normalize_place  # place names are compared as the gazetteer keys them


# "the attacks", "these terrorist attacks", "this murder": a trigger that refers back to an act
_DEFINITE = re.compile(r"\b(?:the|these|this|those|that)\s+(?:[\w-]+\s+){0,2}$", re.I)


def _refers_back(text: str, s: Sentence, t: Hit) -> bool:
    """Whether the trigger ``t`` of sentence ``s`` is a definite mention of an act told before
    ("the attack", "these terrorist attacks")."""
    return bool(_DEFINITE.search(text, max(s.start, t.start - 40), t.start))


def _matches(pattern: re.Pattern[str], text: str, start: int, end: int, overlapping: bool = False) -> Iterator[re.Match[str]]:
    """The pattern's matches in text[start:end]; ``overlapping``: a match may also begin inside
    the one before ("in the lima residential district of san isidro" is "lima" after "in" and
    "san isidro" after "the ... district of")."""
    if not overlapping:
        yield from pattern.finditer(text, start, end)
        return
    m = pattern.search(text, start, end)
    while m is not None:
        yield m
        m = pattern.search(text, m.start() + 1, end)


def _speaks(text: str, end: int) -> bool:
    """Whether the words right after ``end`` make the phrase before it a source, not an actor or
    a target ("police said", "army spokesman", "officials announced")."""
    return bool(_SPEAKER.match(text[end : end + 25].lstrip()))


@functools.lru_cache(maxsize=8)
def _reporting_patterns(verbs: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]] | None:
    """(verb just before a date, verb just after it, ", subject verb" after a fronted date)."""
    if not verbs:
        return None
    alt = "|".join(re.escape(v) for v in sorted(verbs, key=len, reverse=True))
    return (
        re.compile(rf"\b(?:{alt})\s+(?:on\s+)?$", re.I),
        re.compile(rf"\s+(?:{alt})\b", re.I),
        re.compile(rf"\s*,\s*(?:[\w'’.-]+\s+){{0,3}}?(?:{alt})\b", re.I),
    )


def _dateline_place(text: str, span: Span) -> Span:
    """"EL-ARISH, Egypt" -> the span of "EL-ARISH"."""
    a, b = span
    comma = text.find(",", a, b)
    return (a, comma if comma != -1 else b)


def _merge_adjacent(spans: list[Span], gap: int = 3) -> list[Span]:
    """Join spans separated by at most ``gap`` characters, so the model sees whole passages."""
    out: list[Span] = []
    for a, b in spans:
        if out and a - out[-1][1] <= gap:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _gazetteer_words(*files: tuple[str, str]) -> frozenset[str]:
    import csv
    from importlib import resources

    folder = resources.files("eventcoder").joinpath("data", "gazetteer")
    words = set()
    for name, column in files:
        with folder.joinpath(name).open("r", encoding="utf-8") as fh:
            words |= {_fold(r[column]) for r in csv.DictReader(line for line in fh if not line.startswith("#"))}
    return frozenset(words)


@functools.lru_cache(maxsize=1)
def _not_place_prefixes() -> frozenset[str]:
    """Words that look like places to the cues but are not, and are dropped from the front of
    a place phrase ("downtown lima"): data/gazetteer/not_places.csv, plus the adjectives of
    nationality in demonyms.csv."""
    return _gazetteer_words(("not_places.csv", "word"), ("demonyms.csv", "demonym"))


@functools.lru_cache(maxsize=1)
def _not_places() -> frozenset[str]:
    """Phrases that are never a place on their own: the words of :func:`_not_place_prefixes`
    and those that only begin place names ("san", "long": data/gazetteer/not_places_alone.csv)."""
    return _not_place_prefixes() | _gazetteer_words(("not_places_alone.csv", "word"))


@functools.lru_cache(maxsize=1)
def _english_stop_words() -> frozenset[str]:
    """spaCy's English stop words, kept as data (data/lexicons/english_stop_words.txt)."""
    from importlib import resources

    path = resources.files("eventcoder").joinpath("data", "lexicons", "english_stop_words.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))
