"""Casualty figures and materiel losses read from report sentences (English, rules).

Public API::

    find_counts(text, start=0, end=None)   -> list[CountMention]
    find_materiel(text, start=0, end=None) -> list[Materiel]
    parse_quantity(phrase)                 -> (low, high, Qualifier) | None
    merge_counts(mentions, kind, side="targets") -> Count | None
    incident_figures(mentions)             -> (killed, injured, killed_or_injured)

Both finders read only ``text[start:end]`` (a sentence or a paragraph), but every span they
return is a half-open ``(start, end)`` offset pair into the FULL ``text``. A figure's
``Count.spans`` are ``(number phrase, trigger word)``, in that order.

Every word comes from two versioned data files, ``data/lexicons/counts.yaml`` and
``data/lexicons/materiel.yaml``. Their regexes are compiled on first use and cached
(:func:`functools.lru_cache`); importing this module does no work.

How figures are read
--------------------
* A number is only a casualty figure when a trigger applies to it: an active verb before it
  ("killing 7 soldiers"), a participle, adjective or noun after it ("7 soldiers were killed",
  "7 dead", "150 casualties"), a noun with "of" ("the deaths of 7 people") or a toll
  ("the death toll rose to 12", "the death toll from the attack on Tuesday has risen to 41").
  "One of the soldiers said ..." is no figure.
* Coordinated figures share their trigger: "killing 3 soldiers and 2 policemen",
  "7 soldiers and 3 civilians were killed". A figure followed by "of them" is a part of the one
  before it, never a further one ("eight people, six of them Jesuits" is 8), and a figure before
  an event noun is no head count ("53 clashes").
* An act only threatened or tried ("threatened to kill 10 judges") counts nobody.
* A killed word joined by and/or to an injured word is ONE killed_or_injured figure:
  "killing and injuring 150", "killed or wounded 80", "150 casualties". It is never split
  into killed.
* "a soldier was killed" is 1; "the driver was killed" is 1 only for a singular person noun.
* A subject word after a preposition is one person only with a singular person noun before the
  preposition: "the mayor of Achi was killed" is 1, "the passengers going to Cali died" none.
* People joined by "and" count one each ("Oqueli and Hilda Flores were killed" is 2, "Judge
  Rojas and two of her bodyguards" 3); an appositive between commas describes the name before
  it ("Ahmed Khalil, a local teacher, and his driver" is 2), as does a bare title with "of"
  ("Oqueli, leader of the MNR and Hilda Flores" is 2); a short bracketed form is read past.
  After an active verb a name joined to a definite person is two ("killed Otalora and the
  driver").
* Zero: "no one was killed", "there were no casualties", "not a single person was killed",
  "neither the driver nor the mayor was injured" -> (0, 0, exact), negated.
* Some, how many unknown: "killing 7 soldiers and wounding others", "killing those aboard",
  "casualties were confirmed among them" -> (None, None, unspecified).
* Wounds and burns count people only: "two civilians suffered gunshot wounds" is 2, "the
  mayor received three bullet wounds" is no figure. Ages are no figures ("two brothers aged 7
  and 9" is 2); "the attack claimed 14 lives" is 14 killed.
* Qualifiers (see counts.yaml): the written figure stays in ``low`` and the qualifier says how
  to read it: "more than 14" -> (14, None, more_than), "at least 5" -> (5, None, at_least),
  "about 35" -> (35, 35, approximately), "up to 20" -> (None, 20, approximately),
  "10 to 15" -> (10, 15, exact), "dozens" -> (24, 99, approximately), "many" ->
  (None, None, unspecified).
* Sides: "targets" by default; a subject naming the attacking side (attackers, militants,
  gunmen, the bomber, istishhadi, inghimasi, mujahidin ...) gives "attackers"; a claim's
  "brother(s)" with a martyrdom word ("achieved martyrdom") gives "attackers"; fighters,
  combatants or a figure said to cover both sides ("on both sides", "7 people, including 2
  attackers, were killed", "5 people, three of them attackers, ...") give "unknown".
* Materiel takes the same quantities, "of" included: "captured dozens of weapons" ->
  (24, 99, approximately). An effect word before "it" or "them" names the item the act was
  aimed at ("detonated a device on a bulldozer, destroying it"), and "destroying a tank and
  disabling another" is one more tank.
* The same figure written twice ("killed 12 people ... the 12 dead") gives two mentions.
  Figures are never summed here; :func:`merge_counts` combines the mentions of one kind for
  one incident by taking the best single figure (rule in its docstring), after adding up the
  parts of each coordinated figure ("killing 3 soldiers and 2 policemen" is 5 killed).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, Iterable

import yaml

from eventcoder.datafiles import safe_load
from eventcoder.errors import CodebookError
from eventcoder.records import Count, Materiel, MaterielEffect, Qualifier, Span, spans_overlap
from eventcoder.segment import is_caseless

__all__ = [
    "CountMention",
    "EXTRACTOR",
    "KINDS",
    "SIDES",
    "find_counts",
    "find_materiel",
    "incident_figures",
    "lexicon_versions",
    "merge_counts",
    "parse_quantity",
    "person_titles",
]

EXTRACTOR = "counts.rules.v1"
KINDS = ("killed", "injured", "killed_or_injured", "captured_people", "missing")
SIDES = ("targets", "attackers", "unknown")


@dataclass(frozen=True)
class CountMention:
    """One casualty figure in a text.

    ``count.spans`` is ``(number phrase, trigger)`` in the full text. ``toll`` is True for
    running tolls ("the death toll rose to 12"), which :func:`merge_counts` prefers.
    """

    kind: str  # "killed" | "injured" | "killed_or_injured" | "captured_people" | "missing"
    count: Count
    side: str  # "targets" | "attackers" | "unknown"
    subject: str  # the noun phrase counted, e.g. "soldiers" ("" if none)
    negated: bool  # "no one was killed" -> low = high = 0
    toll: bool = False
    aggregate: bool = False  # a total over a period ("in the last two weeks"), not one act's figure
    # people besides those the report counted before ("two of his bodyguards were also killed"):
    # merge_counts adds them to the figure it chooses
    besides: bool = False
    # all the report counts of its kind ("only 1 policeman was slightly injured")
    sole: bool = False
    # the figure of an act given as the motive of another ("attacked a checkpoint in retaliation
    # for the killing of five fighters"): the span from the motive's opener to the figure's end
    motive: Span | None = None


# ------------------------------------------------------------------------------------------
# Loading the lexicons


def _norm(s: str) -> str:
    return " ".join(s.lower().split())


def _read_yaml(name: str) -> dict[str, Any]:
    ref = resources.files("eventcoder").joinpath("data", "lexicons", f"{name}.yaml")
    where = f"lexicons/{name}.yaml"
    try:
        data = safe_load(ref.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CodebookError(f"cannot read {where}: {exc}", fix="reinstall eventcoder") from None
    except yaml.YAMLError as exc:
        raise CodebookError(f"{where} is not valid YAML: {exc}", fix="fix the YAML syntax") from None
    if not isinstance(data, dict) or not isinstance(data.get("version"), str):
        raise CodebookError(f"{where} has no version string", fix="add `version: 1.0.0` at the top level")
    return data


def _words(data: dict[str, Any], key: str, where: str) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CodebookError(f"{where}: `{key}` must be a list of non-empty strings", fix=f"correct `{key}`")
    return [str(v) for v in value]


def _section(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise CodebookError(f"{where}: `{key}` must be a mapping", fix=f"correct `{key}`")
    return value


def _compile(src: str) -> re.Pattern[str]:
    return re.compile(src, _FLAGS)


def _phrase_re(phrase: str) -> str:
    return r"\s+".join(re.escape(t) for t in phrase.split())


def _alt(phrases: Iterable[str]) -> str:
    """Alternation of phrases, longest first (no boundaries)."""
    uniq = sorted({_norm(p) for p in phrases if p.strip()}, key=lambda p: (-len(p), p))
    return "(?:" + "|".join(_phrase_re(p) for p in uniq) + ")" if uniq else r"(?!x)x"


def _bounded(phrases: Iterable[str]) -> str:
    return rf"(?<![\w-]){_alt(phrases)}(?![\w-])"


_FLAGS = re.IGNORECASE
# "the assassination in Tegucigalpa of ...", "the murder on 15 September of ...": a place, a day
# or both between a noun of the act and "of"
_IN_PLACE = (r"(?:\s+in\s+[^\W\d_][\w'’-]*)?"
             r"(?:\s+on\s+(?:\d{1,2}\s+[^\W\d_]+|[^\W\d_]+\.?\s+\d{1,2}(?!\d)|(?:mon|tues|wednes|thurs|fri|satur|sun)day))?")
_SEP = r"(?:\s*,\s*and|\s*,\s*as\s+well\s+as|\s*,|\s+and|\s+as\s+well\s+as)"
_PUNCT_OR_END = re.compile(r"\s*(?:[^\w\s]|$)")
_WORD = re.compile(r"[\w'’.-]+")


@dataclass(frozen=True)
class _CountLexicon:
    version: str
    qualifier_of: dict[str, str]  # phrase -> more_than | at_least | approximately | up_to | ...
    vague: dict[str, tuple[int | None, int | None, Qualifier]]
    negation: frozenset[str]
    dozen_word: str
    dozen_qualifier: Qualifier
    number_words: frozenset[str]
    trigger_kind: dict[str, str]  # normalized trigger phrase -> kind
    verb_triggers: frozenset[str]
    person_required: frozenset[str]
    toll_kind: dict[str, str]
    passive_markers: frozenset[str]
    stop_words: frozenset[str]
    object_words: frozenset[str]
    not_subjects: frozenset[str]
    collective: frozenset[str]
    months: frozenset[str]
    person_singular: frozenset[str]
    person_all: frozenset[str]
    honorifics: frozenset[str]
    attackers: frozenset[str]
    attackers_martyrdom: frozenset[str]
    martyrdom: frozenset[str]
    unknown_side: frozenset[str]
    both_sides: re.Pattern[str]
    combined: re.Pattern[str]
    qty_materiel: str  # regex source: numbers, vague quantities and articles
    qual_prefix: re.Pattern[str]
    patterns: tuple[tuple[str, int, re.Pattern[str]], ...]  # (name, priority, regex)
    cont: re.Pattern[str]
    back: re.Pattern[str]
    partitive: re.Pattern[str]  # "of them" after a figure: a part of the people just counted
    trigger_cue: re.Pattern[str] | None = None  # every pattern has a trigger: a cheap test first
    one_kind: dict[str, str] = dataclasses.field(default_factory=dict)  # one_person verb or noun -> kind
    one_not_subjects: frozenset[str] = frozenset()
    one_not_after: frozenset[str] = frozenset()
    one_prepositions: frozenset[str] = frozenset()  # a subject after one names no one by itself
    one_name_ends: frozenset[str] = frozenset()
    name_particles: frozenset[str] = frozenset()  # lower-case words inside a name ("de", "al")
    not_names: frozenset[str] = frozenset()  # no victim's name ("the murder of democracy")
    name_note: re.Pattern[str] | None = None  # "(name as received)" after a name
    aggregate: re.Pattern[str] | None = None  # a period phrase ("over the last two weeks")
    motive: re.Pattern[str] | None = None  # a motive's opener ending where the act's noun begins
    attacking_after: re.Pattern[str] | None = None  # "died while attacking ...": the attackers' dead
    speech_verbs: frozenset[str] = frozenset()
    coord_openers: frozenset[str] = frozenset()  # words a run of joined names may follow
    coord_max_words: int = 0  # words in one joined name; 0: no joined names
    coord_of_max_words: int = 0  # words in one joined name after "the murder of"
    obj_kind: dict[str, str] = dataclasses.field(default_factory=dict)  # active verb before a bare noun -> kind
    left_kind: dict[str, str] = dataclasses.field(default_factory=dict)  # "left him <state>" -> kind
    before_kind: dict[str, str] = dataclasses.field(default_factory=dict)  # "the murdered <person>" -> kind
    coord_of_kind: dict[str, str] = dataclasses.field(default_factory=dict)  # "murder" of "the murder of A and B" -> kind
    noun_of_before: re.Pattern[str] | None = None  # "the death of (the) " right before a figure
    unharmed_kind: dict[str, str] = dataclasses.field(default_factory=dict)  # "escaped injury" -> injured
    some_kind: dict[str, str] = dataclasses.field(default_factory=dict)  # "casualties were confirmed" -> killed_or_injured
    some_negators: frozenset[str] = frozenset()  # words before such a phrase that negate it
    sole: re.Pattern[str] | None = None  # "only " just before a figure
    bare_tolls: frozenset[str] = frozenset()  # tolls of no kind ("toll")
    people_only: frozenset[str] = frozenset()  # post triggers after a noun of people only ("wounds")
    bare_only: frozenset[str] = frozenset()  # post triggers right after the noun only ("death")
    not_after_bare: frozenset[str] = frozenset()  # words that make such a trigger a modifier ("squad")
    subject_verbs: frozenset[str] = frozenset()  # verbs of an injury noun that end the figure's noun
    age_before: re.Pattern[str] | None = None  # "aged 7 and " just before a number: an age
    referred: re.Pattern[str] | None = None  # "the Jesuit priests were murdered": a group of known size
    referred_general: frozenset[str] = frozenset()  # nouns too general to name one group ("people")
    referred_max_words: int = 0  # words before the group's noun ("jesuit" priests)


def _kind_of(section: dict[str, list[str]] | None, where: str) -> dict[str, str]:
    """Phrase -> kind, from a section that lists phrases under a kind (``killed: [murdered, ...]``)."""
    out: dict[str, str] = {}
    for kind, words in (section or {}).items():
        if kind not in KINDS:
            raise CodebookError(f"{where}: unknown kind {kind!r}", fix=f"use one of {', '.join(KINDS)}")
        for w in words:
            out[_norm(w)] = kind
    return out


@functools.lru_cache(maxsize=1)
def _count_lexicon() -> _CountLexicon:
    data = _read_yaml("counts")
    where = "lexicons/counts.yaml"

    number_words = _words(data, "number_words", where)
    scales = _words(data, "number_scales", where)

    quals = _section(data, "qualifiers", where)
    qualifier_of: dict[str, str] = {}
    for q in ("more_than", "at_least", "approximately", "up_to", "less_than", "exact"):
        for p in _words(quals, q, where):
            qualifier_of[_norm(p)] = q

    vague: dict[str, tuple[int | None, int | None, Qualifier]] = {}
    for item in data.get("vague") or []:
        try:
            key = _norm(item["phrase"])
            low, high, q = item.get("low"), item.get("high"), Qualifier(item["qualifier"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CodebookError(f"{where}: bad vague entry {item!r} ({exc})", fix="give phrase, low, high, qualifier") from None
        if key.endswith(" of"):
            key = key[:-3]
        vague[key] = (low, high, q)
    vague_phrases = [str(i["phrase"]) for i in data["vague"]]

    negation = _words(data, "negation", where)
    dozen = _section(data, "dozen", where)
    fillers = _words(data, "fillers", where)

    trig = _section(data, "triggers", where)
    trigger_kind: dict[str, str] = {}
    active: list[str] = []
    post: list[str] = []
    of_nouns: list[str] = []
    combine: dict[str, list[str]] = {}
    verbs: set[str] = set()
    for kind, entry in trig.items():
        if kind not in KINDS:
            raise CodebookError(f"{where}: unknown trigger kind {kind!r}", fix=f"use one of {', '.join(KINDS)}")
        for part in ("active", "post", "of_nouns", "combine", "verbs"):
            words = entry.get(part) or []
            if not isinstance(words, list):
                raise CodebookError(f"{where}: triggers.{kind}.{part} must be a list", fix="correct it")
            for w in words:
                key = _norm(w)
                if part in ("active", "post", "of_nouns"):
                    if trigger_kind.get(key, kind) != kind:
                        raise CodebookError(
                            f"{where}: trigger {w!r} is listed under {trigger_kind[key]} and {kind}",
                            fix="keep each trigger under one kind",
                        )
                    trigger_kind[key] = kind
                {"active": active, "post": post, "of_nouns": of_nouns}.get(part, []).append(key)
                if part == "combine":
                    combine.setdefault(kind, []).append(key)
                if part == "verbs":
                    verbs.add(key)
    kill_c, inj_c = combine.get("killed", []), combine.get("injured", [])
    combined_src = (
        rf"(?:{_alt(kill_c)}\s+(?:and/or|and|or)\s+{_alt(inj_c)}"
        rf"|{_alt(inj_c)}\s+(?:and/or|and|or)\s+{_alt(kill_c)})"
    )

    tolls = _section(data, "tolls", where)
    toll_kind = {_norm(p): k for k, ps in tolls.items() for p in ps}
    toll_fillers = _words(data, "toll_fillers", where)
    auxiliaries = _words(data, "auxiliaries", where)
    connectors = _words(data, "connectors", where)
    parentheticals = _words(data, "parentheticals", where)
    partitives = _alt(_words(data, "partitives", where))
    passive_markers = _words(data, "passive_markers", where)
    stop_words = {_norm(w) for w in _words(data, "subject_stop_words", where)}
    object_words = {_norm(w) for w in _words(data, "object_words", where)}
    persons = _section(data, "person_nouns", where)
    person_singular = {_norm(w) for w in _words(persons, "singular", where)}
    person_plural = {_norm(w) for w in _words(persons, "plural", where)}
    sides = _section(data, "sides", where)

    # words a subject may not contain: stop words, numbers, negation and trigger words
    # (other than person nouns such as "victims", which can be the subject of "were killed")
    trigger_tokens = {p.split()[0] for p in (*active, *post, *of_nouns)}
    subject_stops = (
        stop_words
        | {_norm(w) for w in number_words + scales}
        | {t for n in negation for t in _norm(n).split()}
        | (trigger_tokens - person_plural - person_singular)
    )
    stop_alt = _alt(subject_stops)
    sw = rf"(?!{stop_alt}(?![\w'’-]))(?:(?:[a-z]\.){{2,}}|(?:\d+-)?[^\W\d_][\w'’]*(?:-[\w'’]+)*)"
    # up to subject_max_words words, and an acronym in brackets: "two leaders of the patriotic
    # union (UP)"; a possessive only after "of" ("two members of his escort", "two of her bodyguards"),
    # and so a figure of one ("three members of one family")
    most = int(data.get("subject_max_words", 6))
    subj = rf"(?:\s+(?:of\s+(?:his|her|their|its|one|a|the\s+same)(?=\s)|{sw})){{0,{most}}}(?:\s+\([^\W_][\w.-]{{0,11}}\))?"

    # "more than 200 soldiers and guerrillas were killed": one figure for both plural nouns (a
    # noun with a figure of its own, "7 soldiers and 3 civilians", is read by ``back``)
    subj_and = rf"(?:\s+and\s+(?:{sw}\s+)?(?!others(?![\w'’-]))(?=[^\W\d_][\w'’-]*s(?![\w'’-])){sw})?"

    # ---- quantities
    w = rf"(?:{_alt(number_words + scales)})\b"
    scale_lb = "(?:" + "|".join(f"(?<={re.escape(s)})" for s in scales) + ")"
    wordnum = (
        rf"(?<![\w-])(?<!\bno\s)(?:an?\s+(?={_alt(scales)}\b))?{w}"
        rf"(?:(?:\s*-\s*|\s+){w}|{scale_lb}\s+and\s+{w})*(?![\w-])"
    )
    dig = r"(?:\d{1,3}(?:,\d{3})+|\d+)"
    nb = r"(?<![\w.,/:-])"
    dend = r"(?![\w%/-]|[.,:]\d|\s*(?:%|per\s?cent\b))"
    dig_scaled = rf"\d+(?:\.\d+)?\s+{_alt(scales)}\b"
    num = rf"(?:{nb}(?:{dig_scaled}|{dig}{dend})|{wordnum})"
    dozen_src = rf"(?<![\w-])(?:half\s+a|an?|{wordnum}|{dig})\s+{re.escape(dozen['word'])}(?![\w-])"
    rng = (
        rf"(?:(?<![\w-])(?:between|from)\s+{num}\s+(?:and|to)\s+{num}"
        rf"|{nb}{dig}\s*[-–—]\s*{dig}{dend}"
        rf"|{num}\s+(?:to|or)\s+{num})"
    )
    quant = rf"(?:(?<![\w-]){_alt(qualifier_of)}\s+)?(?:{rng}|{dozen_src}|{num})"
    vague_src = _bounded(vague_phrases)
    neg_words = [n for n in negation if _norm(n) != "no"]
    neg_src = rf"(?:{_bounded(neg_words)}|(?<![\w-])no(?=\s+[^\W\d_]))"
    # "the driver", "her daughter": one person, when a singular person noun follows (see _candidate)
    article = r"(?<![\w-])(?:(?:an?|another|the|his|her|their)(?=\s)|another(?=[.,;:!?]))"
    qty = rf"(?:{quant}|{vague_src}|{neg_src}|{article})"
    qty_numeric = rf"(?:{quant}|{vague_src})"
    qty_materiel = rf"(?:{quant}|{vague_src}|(?<![\w-])(?:an?|another|the)(?=\s))"

    fill = _bounded(fillers)
    aux = rf"(?:\s+{_bounded(auxiliaries + connectors)})*"
    # "7 people, including 3 children, were killed" / "7 people, two of them children, were killed"
    # ... or set off by dashes: "two missionaries -- aged 19 and 21 -- were shot to death"
    # ... or an appositive of words and no figure after a word: "two soldiers, members of the
    # fourth brigade, were killed", "one of his children, 23-year-old Ramiro, was wounded" (not
    # after a number: "Pelaez, 45, a former mayor, was murdered" is no 45)
    apword = rf"(?!{num})(?:[^\W\d_][\w'’-]*|\d+-[^\W\d_][\w-]*)"
    ages = _alt(_words(data, "age_markers", where)) if data.get("age_markers") else "(?!)"
    age_list = rf"(?<![\w-])(?:{ages})\s+(?:between\s+)?\d{{1,3}}(?:\s*(?:,|and|or|to|-)\s*\d{{1,3}})*"
    paren = (rf"(?:\s*,?\s+{age_list}(?:\s+years?(?:\s+old)?)?(?:\s*,)?"
             rf"|\s*,\s*(?:{_alt(parentheticals)}\b|{num}\s+(?:{partitives})\b)[^,.;:!?]{{0,60}},"
             rf"|(?<=[^\W\d_])\s*,\s*{apword}(?:\s+{apword}){{0,7}}\s*,"
             rf"|\s+(?:--|—|–)\s*(?:[^-—–.;:!?\n]|-(?!-)){{1,60}}?\s*(?:--|—|–))?")
    # "the death toll from the attack on Tuesday rose to 41": a phrase between the toll noun
    # and its verb
    toll_gap = (rf"(?:\s+{_bounded(_words(data, 'toll_gap_openers', where))}\s+[^.;:!?\n]{{1,60}}?"
                rf"(?=\s+{_bounded(_words(data, 'toll_verbs', where))}))?")
    # "murdered, at gunpoint, a soldier": a short phrase set off by commas after an active verb
    word = r"[^\W\d_][\w'’-]*"
    interjection = (rf"(?:\s*,\s*{_bounded(_words(data, 'interjection_openers', where))}(?:\s+(?!{num}){word}){{1,4}}\s*,)?"
                    if data.get("interjection_openers") else "")
    post_trig = rf"(?:{combined_src}|{_alt(post)})"
    active_trig = rf"(?:{combined_src}|{_alt(active)})"

    patterns = (
        # "five passengers travelling on the bus to Usulutan were injured": a participle's phrase
        # may stand between the subject and a passive, and so may a relative clause ("two guards
        # who were on duty were killed"; see _post_valid)
        ("post", 0, _compile(rf"(?P<qty>{qty})(?P<subj>{subj}{subj_and})(?P<paren>{paren})"
                             rf"(?P<ing>\s+[^\W\d_]{{2,}}ing\s[^.;:!?,()\n]{{1,60}}?)?"
                             rf"(?P<rel>\s+(?:who|that)(?:\s+(?!(?:and|or)(?![\w-]))[^\s.;:!?,()]+){{1,10}}?"
                             rf"(?=\s+(?:were|was|are|is|have|has|had)\s))?"
                             rf"(?P<aux>{aux})\s+(?P<trig>{post_trig})(?![\w-])")),
        ("toll", 0, _compile(rf"(?<![\w-])(?P<trig>{_alt(toll_kind)}){toll_gap}(?:\s+{_bounded(toll_fillers)})*\s+(?P<qty>{qty_numeric})(?P<subj>{subj})")),
        ("active", 1, _compile(rf"(?<![\w-])(?P<trig>{active_trig}){interjection}(?:\s+(?P<fill>{fill}))?\s+(?P<qty>{qty})(?P<subj>{subj})")),
        # "the killing by soldiers of six peasants": who did it may stand before "of"
        ("nominal", 1, _compile(rf"(?<![\w-])(?P<trig>{_alt(of_nouns)})(?:\s+by(?:\s+[^\W\d_][\w'’-]*){{1,3}}?)?\s+of"
                                rf"(?:\s+(?P<fill>{fill}))?\s+(?P<qty>{qty})(?P<subj>{subj})")),
        # "the six Jesuits' murder", "the two journalists' killings": a figure of people who own
        # the noun of the act (people only: see find_counts)
        ("possessor", 1, _compile(rf"(?P<qty>{qty_numeric})(?P<subj>{subj})(?<=['’])(?:s(?![\w-]))?"
                                  rf"\s+(?P<trig>{_alt(of_nouns)})(?![\w-])")),
        (
            "gap",
            5,
            _compile(
                rf"(?<![\w-])(?P<qty>the|an?)\s+(?P<subj>{_alt(sides['attackers'])}(?:\s+brothers?)?|brother)(?![\w-])"
                rf"[^.;!?]{{0,100}}?(?<![\w-])(?:(?:was|had\s+been|has\s+been)\s+)?"
                rf"(?P<trig>{_alt(list(sides['martyrdom_triggers']) + ['killed', 'died', 'killed himself'])})(?![\w-])"
            ),
        ),
    )
    gap_trig = _alt(list(sides["martyrdom_triggers"]) + ["killed", "died", "killed himself"])

    # one person without a number ("Vargas was murdered", "the murder of Judge Espinosa")
    one = _section(data, "one_person", where)
    one_kind: dict[str, str] = {}
    one_verbs: list[str] = []
    one_nouns: list[str] = []
    one_intransitive: list[str] = []
    one_possessed: list[str] = []
    for kind, entry in _section(one, "kinds", where).items():
        if kind not in KINDS:
            raise CodebookError(f"{where}: unknown one_person kind {kind!r}", fix=f"use one of {', '.join(KINDS)}")
        for part, bucket in (("verbs", one_verbs), ("nouns", one_nouns), ("intransitive", one_intransitive),
                             ("possessed", one_possessed)):
            for w in _words(entry, part, where) if entry.get(part) else []:
                one_kind[_norm(w)] = kind
                bucket.append(w)
    one_adverbs = _bounded(_words(one, "adverbs", where))
    patterns = (
        *patterns,
        ("one", 6, _compile(rf"(?<![\w-])(?P<aux>{_alt(_words(one, 'auxiliaries', where))})(?:\s+{one_adverbs})?"
                            rf"\s+(?P<trig>{_alt(one_verbs)})(?![\w-])")),
        ("one_of", 6, _compile(rf"(?<![\w-])(?P<trig>{_alt(one_nouns)}){_IN_PLACE}\s+of\s+(?:\d+-year-old\s+)?(?P<np>[^\W\d_][\w'’.-]*"
                               rf"(?:\s+[^\W\d_][\w'’.-]*){{0,4}})")),
    )
    if one_intransitive:  # "Inspector Flores died in the explosion", "he later died"
        patterns = (*patterns, ("one", 6, _compile(
            rf"(?<![\w-])(?:{one_adverbs}\s+)?(?P<trig>{_alt(one_intransitive)})(?![\w-])")))
    if one_possessed:  # "Romero's death", "his assassination"
        not_before = _alt(_words(one, "not_before_possessed", where)) if one.get("not_before_possessed") else "(?!)"
        patterns = (*patterns, ("one_pos", 6, _compile(
            rf"(?:(?<![\w'’-])(?P<np>[^\W\d_][\w.-]*)['’]s|(?<![\w-])(?P<pr>his|her))\s+(?:own\s+)?"
            rf"(?P<trig>{_alt(one_possessed)})(?![\w-])(?!\s+(?:{not_before})(?![\w-]))")))
    coord = one.get("coordinated") or {}
    coord_of_kind = _kind_of(coord.get("of_nouns"), f"{where}: one_person.coordinated.of_nouns")
    if coord_of_kind:  # "the assassination of Hector Oqueli and Gilda Flores" (see _people_of)
        patterns = (*patterns, ("run_of", 6, _compile(
            rf"(?<![\w-])(?P<trig>{_alt(coord_of_kind)}){_IN_PLACE}\s+of\s+(?=[^\W\d_])")))
    if coord:  # "Oqueli and Hilda Flores were abducted and killed" (intransitive: see _one_person)
        one_verbs_src = _alt(one_verbs)
        patterns = (*patterns, ("two", 6, _compile(
            rf"(?<![\w-])(?P<aux>{_alt(_words(coord, 'auxiliaries', where))})(?:\s+{one_adverbs})?"
            rf"(?:\s+{one_verbs_src}\s+and)?\s+(?P<trig>{one_verbs_src})(?![\w-])")))
    referred_src, ref = None, data.get("referred_groups") or {}
    if ref:  # "the Jesuit priests were murdered", "the murder of the Jesuits" (see _referred)
        mods = int(ref.get("max_words", 2))
        np = (rf"(?:[^\W\d_][\w'’-]*\s+){{0,{mods}}}?[^\W\d_][\w'’-]*s")
        det = rf"(?:{_alt(_words(ref, 'determiners', where))})"
        ends = _alt(_words(one, "name_ends", where))
        of_nouns = _alt([w for w, k in coord_of_kind.items() if k in ("killed", "injured")])
        referred_src = (
            rf"(?<![\w-]){det}\s+(?P<np>{np})(?:\s+[^\W\d_]{{2,}}ing\s[^.;:!?()\n]{{1,60}}?,?)?(?:\s+(?:who|that))?(?:\s+(?:were|have\s+been|had\s+been)"
            rf"(?:\s+{one_adverbs})?\s+(?P<trig>{_alt(one_verbs)})|(?:\s+{one_adverbs})?\s+(?P<itrig>{_alt(one_intransitive)}))(?![\w-])"
            rf"|(?<![\w-])(?P<ntrig>{of_nouns})\s+of\s+{det}\s+(?P<np2>{np})"
            rf"(?=\s*[,.;:!?)]|\s+(?:{ends})(?![\w-])|\s*\Z)")
    obj_kind = _kind_of(one.get("objects"), f"{where}: one_person.objects")
    if obj_kind:  # "murdered university student Mario Flores"
        patterns = (*patterns, ("obj", 6, _compile(
            rf"(?<![\w-])(?P<trig>{_alt(obj_kind)})\s+(?P<np>[^\W\d_][\w'’.-]*(?:\s+[^\W\d_][\w'’.-]*){{0,3}})")),
            # "seized the mayor and shot him dead", "they killed her": one person, a pronoun
            ("pronoun", 6, _compile(
                rf"(?<![\w-])(?P<trig>{_alt(obj_kind)})\s+(?P<qty>him|her)"
                rf"(?=\s*(?:[.,;:!?)]|$)|\s+(?:in|at|on|near|outside|inside|with|and|as|while|when|after|before|from|"
                rf"during|because|for|last|this|today|yesterday)(?![\w-]))")))
    left_kind = _kind_of((one.get("left_in_state") or {}).get("states"), f"{where}: one_person.left_in_state.states")
    if left_kind:  # "the men shot him and left him seriously wounded": one person
        left_verbs = _alt(_words(one["left_in_state"], "verbs", where))
        patterns = (*patterns, ("left", 6, _compile(
            rf"(?<![\w-])(?:{left_verbs})\s+(?P<qty>him|her)\s+(?P<trig>{_alt(left_kind)})(?![\w-])")))
    before_kind = _kind_of(one.get("before_person"), f"{where}: one_person.before_person")
    if before_kind:  # "the wife of the murdered magistrate", "the body of a man was found": one person
        singular = _alt(sorted(person_singular, key=len, reverse=True))
        patterns = (*patterns, ("before", 6, _compile(
            rf"(?<![\w-])(?P<qty>the|an?|his|her|their)\s+(?P<trig>{_alt(before_kind)})(?:(?<=of)\s+(?:the|an?|his|her|their))?"
            rf"(?:\s+[^\W\d_][\w'’-]*)?\s+(?P<np>{singular})(?:['’]s)?(?![\w'’-])")))
    lives_verbs = _words(data, "lives_verbs", where) if data.get("lives_verbs") else []
    if lives_verbs:  # "the attack claimed 14 lives"
        patterns = (*patterns, ("lives", 1, _compile(
            rf"(?<![\w-]){_alt(lives_verbs)}\s+(?P<qty>{qty_numeric})"
            rf"(?P<subj>(?:\s+(?:more|other|innocent|civilian|human))?)\s+(?P<trig>lives)(?![\w-])")))
    unharmed_kind = _kind_of(data.get("unharmed"), f"{where}: unharmed")
    if unharmed_kind:  # "the councilman escaped unharmed": nobody was hurt
        patterns = (*patterns, ("unharmed", 5, _compile(rf"(?<![\w-])(?P<trig>{_alt(unharmed_kind)})(?![\w-])")))
    some_kind = _kind_of(data.get("some_casualties"), f"{where}: some_casualties")
    if some_kind:  # "casualties were confirmed among them": some, how many unknown
        patterns = (*patterns, ("some", 7, _compile(
            rf"(?<![\w-])(?P<trig>{_alt(some_kind)})(?![\w-])")))  # never after a negation: find_counts
    periods = _section(data, "aggregate_periods", where)
    months_alt = _alt(_words(data, "months", where))
    units = _alt(_words(periods, "units", where))
    number = rf"(?:{num}|few|several|a\s+few|couple\s+of|a\s+couple\s+of)"
    aggregate = _compile(
        rf"(?<![\w-])(?:{_alt(_words(periods, 'with_number', where))})\s+{number}\s+{units}(?![\w-])"
        rf"|(?<![\w-])(?:{_alt(_words(periods, 'with_or_without_number', where))})(?:\s+{number})?\s+{units}(?![\w-])"
        rf"|(?<![\w-])since\s+(?:(?:early|late|mid)\s+)?(?:1[89]|20)\d\d(?![\w-])"
        + (rf"|(?<![\w-])since\s+(?:the\s+)?(?:[^\W\d_][\w'’-]*\s+){{1,4}}?(?:was\s+|were\s+)?"
           rf"(?:{_alt(_words(periods, 'since_events', where))})(?![\w-])" if periods.get("since_events") else "")
        + (rf"|(?<![\w-])(?:{_alt(_words(periods, 'before_alone', where))})\s+(?:the\s+(?:first|last|past)\s+)?"
           rf"(?:{_alt(_words(data, 'months', where))}|{units}|(?:1[89]|20)\d\d)\s+alone(?![\w-])"
           if periods.get("before_alone") else "")
        + (rf"|(?<![\w-])(?:{_alt(_words(periods, 'before_year', where))})\s+(?:1[89]|20)\d\d(?![\w-])"
           if periods.get("before_year") else "")
        + (rf"|(?<![\w-])since\s+(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{months_alt}|{months_alt}(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?)(?![\w-])(?!,?\s+when\b)"
           if periods.get("since_dates") else "")
        + (rf"|(?<![\w-])(?:{_alt(_words(periods, 'history_openers', where))})\s+(?:its|their|his|her|the)"
           rf"(?:\s+(?:\d+|[^\W\d_]+)[\s-]+(?:{units})(?:-old)?)?\s+(?:{_alt(_words(periods, 'history_nouns', where))})(?![\w-])"
           if periods.get("history_nouns") else "")
        + (rf"|(?<![\w-])(?:{_alt(_words(periods, 'period_openers', where))})\s+the(?:\s+[^\W\d_][\w'’-]*|\s+\d+-[\w-]+){{0,2}}?"
           rf"\s+(?:{_alt(_words(periods, 'period_nouns', where))})(?=\s*(?:[,.;:!?)]|$)|\s+(?:in|of|against|with|and|that|which|who|when|between)(?![\w-])|\s*\Z)"
           if periods.get("period_nouns") else "")
    )
    trigger_cue = _compile(rf"{post_trig}|{active_trig}|{_alt(toll_kind)}|{_alt(of_nouns)}|{gap_trig}"
                           rf"|{_alt(one_verbs + one_intransitive + one_possessed)}|{_alt(one_nouns)}"
                           + (rf"|{_alt(coord_of_kind)}" if coord_of_kind else "")
                           + (rf"|{_alt(unharmed_kind)}" if unharmed_kind else "")
                           + (rf"|{_alt(some_kind)}" if some_kind else "")
                           + (r"|(?<![\w-])lives(?![\w-])" if lives_verbs else ""))
    # "... and their two employees": a possessive may stand before the figure of a later part
    cont = _compile(rf"{_SEP}\s+(?:(?P<det>their|his|her|the)\s+)?(?P<qty>{qty})(?P<subj>{subj})")
    back = _compile(rf"(?P<qty>{qty})(?P<subj>{subj}){_SEP}\s+\Z")

    return _CountLexicon(
        version=str(data["version"]),
        qualifier_of=qualifier_of,
        vague=vague,
        negation=frozenset(_norm(n) for n in negation),
        dozen_word=_norm(dozen["word"]),
        dozen_qualifier=Qualifier(dozen.get("qualifier", "approximately")),
        number_words=frozenset(_norm(x) for x in number_words + scales),
        trigger_kind=trigger_kind,
        verb_triggers=frozenset(verbs),
        person_required=frozenset(_norm(x) for x in _words(data, "person_required", where)),
        toll_kind=toll_kind,
        passive_markers=frozenset(_norm(x) for x in passive_markers),
        stop_words=frozenset(stop_words),
        object_words=frozenset(object_words),
        not_subjects=frozenset(_norm(x) for x in _words(data, "not_subjects", where)),
        collective=frozenset(_norm(x) for x in _words(data, "collective_nouns", where)),
        months=frozenset(_norm(x) for x in _words(data, "months", where)),
        person_singular=frozenset(person_singular),
        person_all=frozenset(person_singular | person_plural),
        honorifics=frozenset(_norm(x) for x in _words(persons, "honorifics", where)),
        attackers=frozenset(_norm(x) for x in _words(sides, "attackers", where)),
        attackers_martyrdom=frozenset(_norm(x) for x in _words(sides, "attackers_with_martyrdom", where)),
        martyrdom=frozenset(_norm(x) for x in _words(sides, "martyrdom_triggers", where)),
        unknown_side=frozenset(_norm(x) for x in _words(sides, "unknown", where)),
        both_sides=_compile(_bounded(_words(sides, "both_sides_markers", where))),
        attacking_after=_compile(rf"[^.;:!?\n]{{0,60}}?(?<![\w-])(?:{_alt(_words(sides, 'attacking_after', where))})(?![\w-])")
        if sides.get("attacking_after") else None,
        combined=_compile(rf"{combined_src}\Z"),
        qty_materiel=qty_materiel,
        qual_prefix=_compile(rf"({_alt(qualifier_of)})\s+(.+)\Z"),
        patterns=patterns,
        trigger_cue=trigger_cue,
        cont=cont,
        back=back,
        partitive=_compile(rf"\s+(?:{partitives})(?![\w-])"),
        one_kind=one_kind,
        one_not_subjects=frozenset(_norm(x) for x in _words(one, "not_subjects", where)),
        one_not_after=frozenset(_norm(x) for x in _words(one, "not_after_noun_of", where)),
        one_prepositions=frozenset(_norm(x) for x in (one.get("subject_prepositions") or [])),
        one_name_ends=frozenset(_norm(x) for x in _words(one, "name_ends", where)),
        name_particles=frozenset(_norm(x) for x in (one.get("name_particles") or [])),
        not_names=frozenset(_norm(x) for x in (one.get("not_names") or [])),
        name_note=_compile(rf"\s*\(\s*(?:{_alt(_words(one, 'name_notes', where))})\s*\)") if one.get("name_notes") else None,
        coord_openers=frozenset(_norm(x) for x in (coord.get("clause_openers") or [])),
        coord_max_words=int(coord.get("max_words", 0)),
        coord_of_kind=coord_of_kind,
        noun_of_before=_compile(rf"(?<![\w-])(?:{_alt(list(coord_of_kind))})\s+of\s+(?:the\s+)?\Z") if coord_of_kind else None,
        coord_of_max_words=int(coord.get("max_words_after_of", 0)),
        obj_kind=obj_kind,
        left_kind=left_kind,
        before_kind=before_kind,
        aggregate=aggregate,
        motive=_compile(rf"(?<![\w-])(?:{_alt(_words(data, 'motive_openers', where))})(?P<gap>[^.;:!?,\n]{{0,90}})\Z")
        if data.get("motive_openers") else None,
        speech_verbs=frozenset(_norm(x) for x in _words(data, "speech_verbs", where)),
        unharmed_kind=unharmed_kind,
        some_kind=some_kind,
        some_negators=frozenset(_norm(x) for x in data.get("some_negators") or []),
        bare_tolls=frozenset(_norm(x) for x in data.get("bare_tolls") or []),
        sole=_compile(rf"(?<![\w-]){_alt(data['sole_markers'])}\s+\Z") if data.get("sole_markers") else None,
        people_only=frozenset(_norm(x) for x in data.get("people_only") or []),
        bare_only=frozenset(_norm(x) for x in data.get("bare_only") or []),
        not_after_bare=frozenset(_norm(x) for x in one.get("not_before_possessed") or []),
        subject_verbs=frozenset(_norm(x) for x in data.get("subject_verbs") or []),
        age_before=_compile(rf"(?<![\w-])(?:{ages})\s+(?:between\s+)?(?:\d{{1,3}}\s*(?:,|and|or|to|-)\s*)*\Z")
        if data.get("age_markers") else None,
        referred=_compile(referred_src) if referred_src else None,
        referred_general=frozenset(_norm(x) for x in ref.get("too_general") or []),
        referred_max_words=int(ref.get("max_words", 2)) if ref else 0,
    )


@functools.lru_cache(maxsize=1)
def person_titles() -> frozenset[str]:
    """The words that stand before a person's name as a title (lower case): the singular person
    nouns of the counts lexicon ("governor", "father") and its honorifics ("dr", "monsignor")."""
    lex = _count_lexicon()
    return lex.person_singular | lex.honorifics


def lexicon_versions() -> dict[str, str]:
    """The versions of the two lexicons in use, for a record's coding."""
    return {"counts": _count_lexicon().version, "materiel": _materiel_lexicon().version}


# ------------------------------------------------------------------------------------------
# Quantities

_DIGITS = re.compile(r"\d{1,3}(?:,\d{3})+|\d+")
_SCALED = re.compile(r"(\d+(?:\.\d+)?)\s+(hundred|thousand|million)")
_SCALE_VALUE = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_RANGE_WORDS = re.compile(r"(?:between|from)\s+(.+?)\s+(?:and|to)\s+(.+)")
_RANGE_DIGITS = re.compile(r"(\d[\d,]*)\s*[-–—]\s*(\d[\d,]*)")
_RANGE_TO = re.compile(r"(.+?)\s+(?:to|or)\s+(.+)")


def _number_value(s: str, lex: _CountLexicon) -> tuple[int, bool] | None:
    """(value, is_round) for one number phrase; ``is_round`` for dozens."""
    s = _norm(s)
    if _DIGITS.fullmatch(s):
        return int(s.replace(",", "")), False
    m = _SCALED.fullmatch(s)
    if m:
        return int(round(float(m.group(1)) * _SCALE_VALUE[m.group(2)])), False
    parts = s.rsplit(" ", 1)
    if len(parts) == 2 and parts[1] == lex.dozen_word:
        head = parts[0]
        if head == "half a":
            return 6, True
        if head in ("a", "an"):
            return 12, True
        inner = _number_value(head, lex)
        return (inner[0] * 12, True) if inner else None
    tokens = s.replace("-", " ").split()
    if not tokens:
        return None
    if tokens[0] in ("a", "an"):
        tokens[0] = "one"
    if not all(t in lex.number_words or t == "and" for t in tokens) or tokens[0] == "and":
        return None
    from number_parser import parse_number  # heavy import, done on first use

    value = parse_number(" ".join(tokens))
    return (int(value), False) if isinstance(value, int) else None


def _read_quantity(phrase: str, lex: _CountLexicon) -> tuple[int | None, int | None, Qualifier] | None:
    p = _norm(phrase)
    if not p:
        return None
    if p in lex.negation:
        return 0, 0, Qualifier.EXACT
    if p in ("a", "an", "another"):
        return 1, 1, Qualifier.EXACT
    key = p[:-3] if p.endswith(" of") else p
    if key in lex.vague:
        return lex.vague[key]
    qual = None
    m = lex.qual_prefix.match(p)
    if m and _norm(m.group(1)) in lex.qualifier_of:
        qual, p = lex.qualifier_of[_norm(m.group(1))], m.group(2)
    single = _number_value(p, lex)
    if single is not None:
        lo = hi = single[0]
        base = lex.dozen_qualifier if single[1] else Qualifier.EXACT
    else:
        m = _RANGE_WORDS.fullmatch(p) or _RANGE_DIGITS.fullmatch(p) or _RANGE_TO.fullmatch(p)
        if not m:
            return None
        a, b = _number_value(m.group(1), lex), _number_value(m.group(2), lex)
        if a is None or b is None:
            return None
        lo, hi = min(a[0], b[0]), max(a[0], b[0])
        base = Qualifier.EXACT
    if qual in (None, "exact"):
        return lo, hi, base if qual is None else Qualifier.EXACT
    if qual == "more_than":
        return lo, None, Qualifier.MORE_THAN
    if qual == "at_least":
        return lo, None, Qualifier.AT_LEAST
    if qual == "approximately":
        return lo, hi, Qualifier.APPROXIMATELY
    if qual == "up_to":
        return None, hi, Qualifier.APPROXIMATELY
    if qual == "less_than":
        return None, max(hi - 1, 0), Qualifier.APPROXIMATELY
    return None  # pragma: no cover - qualifier kinds are closed


def parse_quantity(phrase: str) -> tuple[int | None, int | None, Qualifier] | None:
    """Read a quantity phrase as ``(low, high, qualifier)``; None if it is not one.

    >>> parse_quantity("more than 14")   # the written figure stays in low
    (14, None, <Qualifier.MORE_THAN: 'more_than'>)
    >>> parse_quantity("10 to 15")
    (10, 15, <Qualifier.EXACT: 'exact'>)
    >>> parse_quantity("dozens")
    (24, 99, <Qualifier.APPROXIMATELY: 'approximately'>)

    Also "at least 5" -> (5, None, at_least); "about 35" -> (35, 35, approximately);
    "up to 20" -> (None, 20, approximately); "fewer than 10" -> (None, 9, approximately);
    "a dozen" -> (12, 12, approximately); "a hundred and twelve" -> (112, 112, exact);
    "no one" -> (0, 0, exact); "a"/"an" -> (1, 1, exact); "many" -> (None, None, unspecified).
    The tables are in counts.yaml.
    """
    return _read_quantity(phrase, _count_lexicon())


# ------------------------------------------------------------------------------------------
# Casualty figures


@dataclass
class _Cand:
    name: str
    priority: int
    qspan: Span
    tspan: Span
    kind: str
    low: int | None
    high: int | None
    qualifier: Qualifier
    subject: str
    side: str
    negated: bool
    toll: bool
    parent: int | None = None  # index of the candidate whose trigger this one borrows
    index: int = 0
    besides: bool = False  # "... were also killed" (CountMention.besides)
    extra: tuple[Span, ...] = ()  # where the figure was given, for a group named again (_referred)


def _clean_subject(raw: str, verbs: frozenset[str] = frozenset()) -> str:
    toks = raw.split()
    while toks and toks[0].lower() in ("of", "the", "those", "these", "whom"):
        toks = toks[1:]
    cut = next((i for i, t in enumerate(toks) if t.lower() in verbs), None)
    if cut:  # "two women received minor injuries" -> "women"
        toks = toks[:cut]
    for i, t in enumerate(toks[1:], 1):  # "a soldier guarding the gate" -> "soldier"
        if len(t) > 4 and t.lower().endswith("ing"):
            toks = toks[:i]
            break
    while toks and toks[-1].lower() in ("of", "the", "a", "an"):
        toks = toks[:-1]
    return " ".join(toks)


def _contains(tokens: list[str], vocab: frozenset[str]) -> bool:
    if any(t in vocab for t in tokens):
        return True
    return any(f"{a} {b}" in vocab for a, b in zip(tokens, tokens[1:]))


def _prev_word(text: str, i: int, lo: int) -> str:
    m = re.search(r"([\w.'’]+)\W*\Z", text[max(lo, i - 40) : i])
    return m.group(1) if m else ""


def _next_word(text: str, i: int, hi: int) -> str:
    m = re.match(r"\W*([\w.'’]+)", text[i : min(hi, i + 40)])
    return m.group(1) if m else ""


def _is_date_or_year(text: str, qspan: Span, lo: int, hi: int, lex: _CountLexicon) -> bool:
    q = text[qspan[0] : qspan[1]]
    if not _DIGITS.fullmatch(q):
        return False
    prev, nxt = _prev_word(text, qspan[0], lo), _next_word(text, qspan[1], hi)

    def month(w: str) -> bool:
        # "may" is a month only when capitalised as one ("7 May"), not "7 people may have"
        return w.lower().rstrip(".") in lex.months and (w.lower() != "may" or w == "May")

    n = int(q.replace(",", ""))
    year = len(q) == 4 and 1900 <= n <= 2099
    if month(nxt) and n <= 31:
        return True  # "7 May"
    if month(prev):
        # "May 7", "March 1990", "March, 1990"; never "since March, 40 people were killed"
        between = text[max(lo, qspan[0] - 3) : qspan[0]]
        return year or (n <= 31 and "," not in between)
    return year and prev.lower() in {"in", "since", "of", "year", "during", "until", "by", "from", "early", "late", "mid"}


def _side(lex: _CountLexicon, tokens: list[str], trig: str, window: str, paren: str = "") -> str:
    if lex.both_sides.search(window):
        return "unknown"
    # "7 people, including 2 attackers, were killed": the figure covers both sides
    if paren and _contains([t.lower() for t in _WORD.findall(paren)], lex.attackers):
        return "unknown"
    if _contains(tokens, lex.attackers):
        return "attackers"
    if trig in lex.martyrdom and _contains(tokens, lex.attackers_martyrdom):
        return "attackers"
    if _contains(tokens, lex.unknown_side):
        return "unknown"
    return "targets"


def _candidate(
    text: str,
    m: re.Match[str],
    name: str,
    priority: int,
    lex: _CountLexicon,
    lo: int,
    hi: int,
    tspan: Span,
    kind: str | None = None,
) -> _Cand | None:
    qspan = m.span("qty")
    qtext = _norm(m.group("qty"))
    trig = _norm(text[tspan[0] : tspan[1]])
    if kind is None:
        kind = lex.trigger_kind.get(trig) or ("killed_or_injured" if lex.combined.match(trig) else None)
        if kind is None:
            return None
    subject = _clean_subject(m.group("subj") or "", lex.subject_verbs)
    tokens = [t.lower() for t in subject.split()]
    if tokens and tokens[0] in lex.not_subjects:
        return None
    if _is_date_or_year(text, qspan, lo, hi, lex):
        return None
    if lex.age_before is not None and lex.age_before.search(text, max(lo, qspan[0] - 40), qspan[0]):
        return None  # "two brothers aged 7 and 9 were killed": 9 is an age
    negated = False
    if (qtext in _DETERMINERS and name == "post" and text[max(lo, qspan[0] - 3) : qspan[0]].rstrip().endswith(",")
            and _norm(m.groupdict().get("aux") or "") in ("were", "have been", "had been")
            and not _neither_nor_before(text, qspan[0], lo)):
        return None  # "Oqueli and Hilda Flores, a social democratic leader were abducted": not 1
    if qtext in ("the", "his", "her", "their"):
        # one person: a singular person noun, and the last person noun is not a plural one
        # ("the Jesuit priests" is no count; "the police officer" is one)
        people = [t for t in tokens if t in lex.person_all]
        if (not tokens or not _contains(tokens, lex.person_singular)
                or people and people[-1] not in lex.person_singular):
            return None
        value = (1, 1, Qualifier.EXACT)
    elif qtext == "another" and not tokens and name in ("active", "post"):
        # "killing one soldier and wounding another", "one was killed and another injured"
        value = (1, 1, Qualifier.EXACT)
    elif qtext in ("a", "an", "another"):
        if not _contains(tokens, lex.person_all) or tokens[0] in lex.collective:
            return None
        value = (1, 1, Qualifier.EXACT)
    else:
        value = None
    if value is not None and _neither_nor_before(text, qspan[0], lo):
        value, negated = (0, 0, Qualifier.EXACT), True  # "neither the driver nor the mayor was injured"
    elif value is None:
        read = _read_quantity(qtext, lex)
        if read is None:
            return None
        value = read
        negated = qtext in lex.negation
    if trig in lex.person_required and not _contains(tokens, lex.person_all):
        return None  # "captured 5 soldiers" counts people, "captured 14 tanks" does not
    if name == "gap":
        # "the bomber ... was killed" / "... achieved martyrdom"; never "the gunman killed his wife"
        if tokens and tokens[0] == "brother" and trig not in lex.martyrdom:
            return None
        if not _contains(tokens, lex.person_singular) or any(t not in lex.person_singular for t in tokens[-1:]):
            return None  # "the inghimasi brothers ... achieved martyrdom" has no number
        if trig == "killed" and _prev_word(text, tspan[0], lo).lower() not in ("was", "been"):
            return None
    window = text[min(qspan[0], tspan[0]) : min(hi, max(qspan[1], tspan[1]) + 40)]
    return _Cand(
        name=name,
        priority=priority,
        qspan=qspan,
        tspan=tspan,
        kind=kind,
        low=value[0],
        high=value[1],
        qualifier=value[2],
        subject=subject,
        side=_side(lex, tokens, trig, window, m.groupdict().get("paren") or ""),
        negated=negated,
        toll=name == "toll",
        # "two of his bodyguards were also killed", "which left 7 other people dead", "another
        # soldier died": people besides those counted before ("the other person killed" is one
        # of them; "killing two and injuring another" counts one besides the two killed, not
        # besides the wounded told before)
        besides=(name == "post" and _says_also(text, m)) or (qtext == "another" and bool(tokens))
        or (bool(tokens) and tokens[0] in ("other", "others") and qtext not in _DETERMINERS),
    )


def _says_also(text: str, m: re.Match[str]) -> bool:
    """Whether "also" stands between the auxiliary and the trigger of a passive ("were also
    killed"): the people counted are besides those counted before."""
    if m.groupdict().get("aux") is None or m.groupdict().get("trig") is None:
        return False
    return "also" in _norm(text[m.start("aux") : m.start("trig")]).split()


_CLAUSE_END = re.compile(r"[.;:!?\n]|,\s+(?:and|but|while|whereas)\b")


def _aggregate(text: str, c: _Cand, lex: _CountLexicon, lo: int, hi: int) -> bool:
    """Whether a period phrase shares the figure's clause: up to 80 characters after the figure
    (to the clause's end), or before it in the same sentence."""
    if lex.aggregate is None or c.toll:
        return False
    start, end = min(c.qspan[0], c.tspan[0]), max(c.qspan[1], c.tspan[1])
    after = text[end : min(hi, end + 80)]
    cut = _CLAUSE_END.search(after)
    if lex.aggregate.search(after[: cut.start()] if cut else after):
        return True
    before = text[max(lo, start - 80) : start]
    stops = list(re.finditer(r"[.;!?\n]", before))
    return bool(lex.aggregate.search(before[stops[-1].end():] if stops else before))


def _attacking(text: str, c: _Cand, lex: _CountLexicon, hi: int) -> bool:
    """Whether the people counted died or were hurt carrying out the act: "a guerrilla member
    died on Saturday while attacking the residence", "two rebels were killed when the bomb they
    were planting exploded" (the lexicon's ``sides.attacking_after``, in the clause after the
    trigger)."""
    if lex.attacking_after is None or c.kind not in ("killed", "injured", "killed_or_injured") or c.negated:
        return False
    return bool(lex.attacking_after.match(text, max(c.tspan[1], c.qspan[1]), hi))


# the patterns whose trigger is a noun of the act ("the killing of five fighters", "Jaramillo's
# murder"), which a motive's opener may govern
_NOMINAL = frozenset(("nominal", "possessor", "one_of", "one_pos", "run_of", "referred"))


def _motive(text: str, c: _Cand, lex: _CountLexicon, lo: int) -> Span | None:
    """The motive phrase when the figure names an act the sentence gives as the motive of
    another: a noun of the act governed by one of the lexicon's ``motive_openers``, with only its
    own words between ("in retaliation for the killing of five fighters", "to protest candidate
    Bernardo Jaramillo's murder"); None otherwise."""
    if lex.motive is None or c.name not in _NOMINAL:
        return None
    start, end = min(c.qspan[0], c.tspan[0]), max(c.qspan[1], c.tspan[1])
    m = lex.motive.search(text, max(lo, start - 120), start)
    if m is None or any(_norm(w) in lex.trigger_kind for w in _WORD.findall(m.group("gap"))):
        return None
    return (m.start(), end)


def _negated_before(text: str, i: int, lex: _CountLexicon, lo: int) -> bool:
    """Whether one of the three words before ``i`` negates what follows ("there were no
    casualties", "did not cause any casualties", "without causing casualties"): the lexicon's
    ``some_negators``."""
    before = [t.lower() for t in _WORD.findall(text[max(lo, i - 40) : i])][-3:]
    return any(t in lex.some_negators for t in before)


def _attempt_before(text: str, i: int, lex: _CountLexicon, lo: int) -> bool:
    """Whether one of the three words before ``i`` says the act was only attempted or planned
    ("the attempted murder of", "a plot for the assassination of")."""
    before = [t.lower() for t in _WORD.findall(text[max(lo, i - 50) : i])][-3:]
    return any(t in lex.one_not_after for t in before)


_SUBJECT_BEFORE = re.compile(r"([^\W\d_][\w'’.-]*)\s+\Z")
# "Castellar, mayor of Achi, who was kidnapped on 5 January, was found dead": the first word of the
# sentence's part that a comma follows, when the rest up to the verb is set off by commas
_SUBJECT_BEFORE_CLAUSE = re.compile(r"(?<![\w'’.-])([^\W\d_][\w'’-]*),\s+[^;.:!?\n]{1,180}?,\s+\Z", re.I)
# ... or before "who": "Luis Carlos Galan, who was killed"
_SUBJECT_BEFORE_WHO = re.compile(r"(?<![\w'’.-])([^\W\d_][\w'’-]*),\s+who\s+\Z", re.I)


_JOIN_TOKEN = re.compile(r"[^\W\d_][\w'’.-]*|\d[\d,]*\d|\d|,|\S")
_JOIN_BOUNDARY = re.compile(r"[.;:!?](?=\s)|[\n()\"“”]|--")
_DETERMINERS = frozenset(("the", "his", "her", "their", "a", "an"))
_SINGULAR = _DETERMINERS | {"one", "another"}  # a figure of one person
_BRACKETED = re.compile(r"\([^()\n]{1,60}\)")
_NEITHER_NOR = re.compile(r"\bneither\b[^.;:!?]*\bnor(?:\s+[^\W\d_][\w'’.-]*){0,2}\s+\Z", re.IGNORECASE)
_THE_BEFORE = re.compile(r"(?<![\w'’-])the\s+\Z", re.IGNORECASE)
_ITEM_DETERMINER = re.compile(r"(?<![\w'’-])(?:their|the|his|her|its)\s+\Z", re.IGNORECASE)
_NAME_THEN_AND = re.compile(r"(?:\s+[^\W\d_][\w'’.-]*){0,5}?\s*,?\s+and\s+([^\W\d_][\w'’.-]*)")


def _name_word(w: str, lex: _CountLexicon) -> bool:
    """Whether ``w`` (lowercase) may be part of a person's name or description in a run of
    joined names: no stop word, number, negation, plural person noun or trigger."""
    return not (w in lex.stop_words or w in lex.number_words or w in lex.negation or w in lex.one_not_subjects
                or w in lex.vague or w in lex.trigger_kind or w in lex.one_kind
                or (w in lex.person_all and w not in lex.person_singular))


_POSSESSIVES = frozenset(("his", "her", "their"))
# a bare singular noun after "and" that ends the phrase: "his wife and daughter"
_BARE_AND = re.compile(r"\s+and\s+(?P<noun>[^\W\d_][\w-]*)(?=\s*(?:[,.;:!?)]|\Z)|\s+(?:in|on|at|near|as|when|while|during|after|before|and|who|with|by|from|inside|outside)(?![\w-]))")


def _joined_part(part: list[str], lex: _CountLexicon, max_words: int) -> tuple[int, bool] | None:
    """(how many people, whether the part names one) for one part of a run of joined names
    of at most ``max_words`` words: a name ("Hilda Flores") or a definite singular ("the mayor",
    "his driver") is 1, one with a figure and a plural noun ("his two bodyguards", "15 others")
    its figure; None otherwise."""
    if not part or len(part) > max_words:
        return None
    nums = [i for i, w in enumerate(part) if _is_figure(w, lex)]
    if nums:
        first, last = nums[0], nums[-1]
        if part[:first] not in ([], [part[0]]) or (first and part[0] not in _POSSESSIVES):
            return None
        if nums != list(range(first, last + 1)) or part[-1] not in lex.person_all or part[-1] in lex.person_singular:
            return None
        value = _number_value(" ".join(part[first : last + 1]), lex)
        return (value[0], False) if value and not value[1] else None
    if any(w in lex.person_all and w not in lex.person_singular
           and not (k + 1 < len(part) and part[k + 1] in lex.person_singular) for k, w in enumerate(part)):
        return None  # a plural ("two soldiers and guards"), but "a police colonel" is one
    if part[0] in _DETERMINERS:  # "his driver", "the mayor"; "a bodyguard" names nobody
        if len(part) > 1 and _contains(part[1:], lex.person_singular):
            return 1, part[0] not in ("a", "an")
        return None
    return 1, True


def _bare_title_of(part: list[str], lex: _CountLexicon) -> bool:
    """Whether ``part`` is a title with "of" and no article before it ("mayor of Medellin")."""
    return ("of" in part and 0 < part.index("of") <= 3 and part[part.index("of") - 1] in lex.person_singular
            and part[0] not in _DETERMINERS)


def _is_figure(w: str, lex: _CountLexicon) -> bool:
    return w in lex.number_words or w[:1].isdigit()


def _neither_nor_before(text: str, i: int, lo: int) -> bool:
    """Whether the words before ``i`` are "neither X nor" (with up to two words after "nor"):
    the people named there were not hurt."""
    return _NEITHER_NOR.search(text, max(lo, i - 120), i) is not None


def _appositive(words: list[list[str]], seps: list[str], k: int, lex: _CountLexicon) -> bool:
    """Whether part ``k`` of a run of joined names, between commas, describes the name before
    it: "Ahmed Khalil, a teacher, and ...", "Ahmed Khalil, the mayor, and ..." (``seps[k]`` is
    the separator after part ``k``: "," or ",and"). "Diaz, a bodyguard and the driver" and
    "Rodriguez Gacha, his son, and 15 others" list three people."""
    part, before = words[k], words[k - 1]
    if before[0] in _DETERMINERS or any(_is_figure(w, lex) for w in before) or "of" in before:
        return False  # only a name takes an appositive
    if part[0] in ("a", "an", "the"):
        return _contains(part[1:], lex.person_singular) and k < len(seps) and seps[k] in (",", ",and")
    # a bare title with "of" is no one of a list, so "and" may close it too: "Oqueli, leader of
    # the MNR and Hilda Flores were ..."; "third judge of public order"
    return "of" in part and part[part.index("of") - 1] in lex.person_singular and k < len(seps)


def _joined_before(text: str, end: int, lo: int, lex: _CountLexicon,
                   max_words: int | None = None) -> tuple[int, Span, str] | None:
    """People joined by "and" just before ``end``: "Oqueli and Hilda Flores", "the mayor, his
    driver and a bodyguard" -> (how many, their span, their words); None unless the run starts
    a clause (or at ``lo``) and its last two parts are joined by "and". A part has at most
    ``max_words`` words (default: the lexicon's ``max_words``)."""
    max_words = max_words or lex.coord_max_words
    if not max_words:
        return None
    base = max(lo, end - 160)
    # a short bracketed form ("the National Revolutionary Movement (MNR)") is read as blank
    view = text
    if "(" in text[base:end]:
        view = text[:base] + _BRACKETED.sub(lambda b: " " * len(b.group(0)), text[base:end]) + text[end:]
    cuts = list(_JOIN_BOUNDARY.finditer(view, base, end))
    if cuts:
        base = cuts[-1].end()
    toks = list(_JOIN_TOKEN.finditer(view, base, end))
    parts: list[list[re.Match[str]]] = []
    seps: list[str] = []
    cur: list[re.Match[str]] = []
    closed = False  # the current part began with a determiner: nothing may come before it
    closes = False  # a comma ends the run
    phrase = False  # a phrase after the last name was read past
    i = len(toks) - 1
    while i >= 0:
        t = toks[i]
        w = t.group(0).lower().rstrip(".")
        if w in (",", "and"):
            if w == "," and not cur and not parts and not closes:
                closes = True  # "Sara Haddad, a nurse, were killed": the comma that closes an appositive
                i -= 1
                continue
            if w == "and" and i and toks[i - 1].group(0) == ",":
                i -= 1  # ", and"
                w = ",and"
            if not cur:
                return None
            parts.insert(0, cur)
            seps.insert(0, w)
            cur, closed = [], False
        elif (closed and w == "of" and i and cur[0].group(0).lower() in _DETERMINERS
              and _is_figure(toks[i - 1].group(0).lower(), lex)):
            cur[:0] = [toks[i - 1], t]  # "two of her bodyguards"
            i -= 1
        elif w == "of" and cur and i and toks[i - 1].group(0).lower() in lex.person_singular:
            cur.insert(0, t)  # "leader of the National Revolutionary Movement", "the mayor of Achi"
            closed = False
        elif not closed and (_name_word(w, lex) or (cur and _is_figure(w, lex))
                             or (not cur and (w in lex.person_all or w == "others"))
                             or (cur and w in lex.person_all
                                 and cur[0].group(0).lower().rstrip(".") in lex.person_singular)):
            # ... and a noun of people before a singular one: "a police colonel"
            cur.insert(0, t)  # a name, or "15 others", "his two bodyguards"
        elif not closed and w in _DETERMINERS and cur:
            cur.insert(0, t)
            closed = True
        elif (w in _TRAILING_PREPOSITIONS and not parts and not phrase and cur
              and len(cur) <= 4 and i and ((prev := toks[i - 1].group(0).lower().rstrip(".")) in lex.person_all
                                           or _name_word(prev, lex))):
            # "two of her bodyguards from the DAS (...), were": the phrase after the last name
            cur, closed, closes, phrase = [], False, False, True
        elif w in lex.coord_openers:
            break
        elif seps and seps[0] == "," and len(parts) >= 2:
            cur, seps = [], seps[1:]  # "in Medellin, Judge Diaz and her driver ...": drop the opening phrase
            break
        else:
            return None
        i -= 1
    if cur:
        parts.insert(0, cur)
    elif i < 0 and seps and len(seps) == len(parts):
        return None  # the run starts with "and" or a comma
    if len(seps) != len(parts) - 1:
        return None
    words = [[t.group(0).lower().rstrip(".") for t in p] for p in parts]
    if closes and not (len(parts) > 1 and seps[-1] == "," and _appositive(words, seps + [","], len(parts) - 1, lex)):
        return None  # a comma before the verb closes an appositive, or the run is no subject
    if not closes and len(parts) > 2 and seps[-1] == "," and any(sep in ("and", ",and") for sep in seps[:-1]):
        closes = True  # "Oqueli and Hilda Flores, a social democratic leader were ...": a list ends with "and"
    # an appositive describes the person named before it: "Ahmed Khalil, a teacher, and his
    # driver" is two people, not three
    k = 1
    while k < len(parts):
        if seps[k - 1] == "," and _appositive(words, seps + [","] * closes, k, lex):
            del parts[k], words[k], seps[k - 1]
        else:
            k += 1
    seps = ["and" if sep == ",and" else sep for sep in seps]
    # a bare title joined by "and" to the next part is that person's: "Senator and presidential
    # candidate Luis Carlos Galan" is one; a bare title with "of" names no one of a list either
    # ("Pablo Pelaez, president of Holasa and mayor of Medellin" is one)
    titles = [k for k in range(len(parts)) if (k < len(parts) - 1 and seps[k] == "and" and all(w in lex.person_singular for w in words[k]))
              or (k and _bare_title_of(words[k], lex))]
    if len(parts) - len(titles) < 2 or seps[-1] != "and":
        return None
    read = [(0, False) if k in titles else _joined_part(p, lex, max_words) for k, p in enumerate(words)]
    if any(r is None for r in read) or not any(r[1] for r in read if r):
        return None  # "two soldiers and a civilian" is read by the figure patterns
    span = (parts[0][0].start(), parts[-1][-1].end())
    return sum(r[0] for r in read if r), span, " ".join(" ".join(p) for p in words)


def _joined_after(text: str, start: int, hi: int, lex: _CountLexicon) -> tuple[int, int] | None:
    """Names joined by "and" from ``start`` ("Victor Vasquez and Rafael Romero") -> (how many,
    where they end); None unless at least two parts, the last two joined by "and", end at a
    stop word or punctuation."""
    stop = _JOIN_BOUNDARY.search(text, start, min(hi, start + 160))
    end = stop.start() if stop else min(hi, start + 160)
    parts, cur, seps, last_end = [], [], [], start
    for t in _JOIN_TOKEN.finditer(text, start, end):
        w = t.group(0).lower().rstrip(".")
        if w in (",", "and"):
            if w == "and" and seps and seps[-1] == "," and not cur:
                seps[-1] = "and"  # ", and"
                continue
            if not cur:
                return None
            parts.append(cur)
            seps.append(w)
            cur = []
        elif _name_word(w, lex):
            cur.append(w)
            last_end = t.end()
        else:
            break
    if cur:
        parts.append(cur)
    if len(parts) < 2 or len(seps) < len(parts) - 1 or seps[len(parts) - 2] != "and":
        return None
    if any(len(p) > lex.coord_max_words for p in parts):
        return None
    return len(parts), last_end


# after an active verb: a name, then "and" and a definite person ("killed Otalora and the driver")
_NAME_AND_PERSON = re.compile(
    r"(?P<name>[^\W\d_][\w'’.-]*(?:\s+[^\W\d_][\w'’.-]*){0,3}?)\s+and\s+(?:the|his|her|their)\s+"
    r"(?P<noun>[^\W\d_][\w'’-]*)(?=\s*[,.;:]|\s+(?:who|whose|as|in|on|at|when|while|after|near|outside)\b|\s*\Z)",
    re.IGNORECASE)


def _name_and_person(text: str, m: re.Match[str], priority: int, kind: str | None, lex: _CountLexicon,
                     hi: int) -> _Cand | None:
    """Two people after an active verb: a name joined by "and" to a definite singular person
    ("the assassins killed Otalora and the driver" -> 2); None for anything else."""
    j = _NAME_AND_PERSON.match(text, m.start("np"), hi)
    if not j or j.group("noun").lower() not in lex.person_singular:
        return None
    names = j.group("name").lower().split()
    if not all(_name_word(w.rstrip("."), lex) for w in names):
        return None
    qspan = (j.start("name"), j.end("noun"))
    subject = " ".join(names) + " " + j.group("noun").lower()
    trig = _norm(m.group("trig"))
    return _Cand(name="obj", priority=priority, qspan=qspan, tspan=m.span("trig"), kind=kind, low=2, high=2,
                 qualifier=Qualifier.EXACT, subject=subject,
                 side=_side(lex, subject.split(), trig, text[m.start("trig") : qspan[1] + 40]),
                 negated=False, toll=False)


# what may end a name after an active verb: punctuation, the end, or a word of one_name_ends
_NAME_STOP = re.compile(r"\s*(?:[,.;:!?)]|\Z)")
# "killed Angela de Guerrero, wife of Colonel ...", "killed Jose Perez, 45, a farmer": up to
# three words after the comma (an age stands alone between commas)
_APPOSITION = re.compile(r",\s+(?:(?P<age>\d{1,3})\s*,|(?P<words>[^\W\d_][\w'’.-]*(?:\s+[^\W\d_][\w'’.-]*){0,2}))")
# more people after the name: "killed Rodriguez Gacha, his son, and five others", "killed
# Oqueli and Flores"
_MORE_PEOPLE = re.compile(r"\s+and\s|\s*,[^.;:!?\n]{0,80}?(?<![\w-])and\s+(?:his|her|their|the|an?|another|one|two|three|four|"
                          r"five|six|seven|eight|nine|ten|\d)(?![\w-])", re.IGNORECASE)


def _capitalised(word: str, lex: _CountLexicon) -> bool:
    """A word of a name in a text written in both cases: "Guerrero", "de", "al-Baghdadi"."""
    head, _, tail = word.partition("-")
    return word[0].isupper() or word.lower() in lex.name_particles or (
        head.lower() in lex.name_particles and tail[:1].isupper())


def _name_object(text: str, m: re.Match[str], priority: int, kind: str | None, lex: _CountLexicon,
                 hi: int) -> _Cand | None:
    """One person named after an active verb with no person noun: "gunmen killed Angela de
    Guerrero" -> 1. In a text written in both cases every word of the name but its particles
    ("de", "al") is capitalised. In a lower-cased text (:func:`eventcoder.segment.is_caseless`)
    nothing tells a name from a noun phrase ("killed cattle and domestic animals"), so an
    honorific must lead it ("killed msgr oscar romero"), or "who" or an apposition saying who the
    person is must follow it ("killed angela de guerrero, wife of colonel ...", "..., 45, ...").
    A name of one word needs the honorific. None when more people follow ("killed Rodriguez
    Gacha, his son, and five others"), but not a verb of the act ("and wounded his son")."""
    if kind is None:
        return None
    kept: list[re.Match[str]] = []
    for w in re.finditer(r"[^\W\d_][\w'’.-]*", m.group("np")):
        if w.group(0).rstrip(".").lower() in lex.one_name_ends:
            break
        kept.append(w)
    low = [w.group(0).rstrip(".").lower() for w in kept]
    titled = bool(low) and low[0] in lex.honorifics
    name = low[1:] if titled else low

    def no_end(w: str) -> bool:  # a word no name begins or ends with
        return (w in lex.person_all or w in lex.one_not_subjects or w in lex.vague or w in lex.not_names
                or w in lex.qualifier_of or w in lex.name_particles or w.endswith(("'s", "’s", "'", "’")))

    if (len(name) < (1 if titled else 2) or no_end(name[0]) or no_end(name[-1])
            or any(not _name_word(w, lex) and w not in lex.name_particles for w in name)):
        return None
    base = m.start("np")
    last = kept[-1].group(0)
    start, end = base + kept[0].start(), base + kept[-1].start() + len(last.rstrip("."))  # "... Romero." ends it
    note = lex.name_note.match(text, end, hi) if lex.name_note is not None else None
    after = note.end() if note else end  # past "(name as received)"
    nxt = _next_word(text, after, hi).rstrip(".").lower()
    if not (_NAME_STOP.match(text, after, hi) or nxt in lex.one_name_ends):
        return None
    more = _MORE_PEOPLE.match(text, after, hi)
    if more and not (nxt == "and" and _next_word(text, more.end(), hi).lower() in lex.trigger_kind):
        return None  # more people follow, unless a verb of the act does ("killing X and wounding his son")
    if not is_caseless(text):
        raw = [w.group(0) for w in kept[1 if titled else 0:]]
        if not raw[0][0].isupper() or not all(_capitalised(w, lex) for w in raw):
            return None
    elif not titled and nxt != "who":  # "injuring sigifredo arevalo who was guarding the site"
        a = _APPOSITION.match(text, after, hi)
        said = a.group("words").lower().split() if a and a.group("words") else []
        if not (a and a.group("age")) and not any(w in lex.person_singular or w in lex.honorifics or w == "who"
                                                  for w in said):
            return None
    subject = " ".join(low)
    trig = _norm(m.group("trig"))
    return _Cand(name="obj", priority=priority, qspan=(start, end), tspan=m.span("trig"), kind=kind, low=1, high=1,
                 qualifier=Qualifier.EXACT, subject=subject,
                 side=_side(lex, low, trig, text[m.start("trig") : end + 40]), negated=False, toll=False)


def _object_people(text: str, m: re.Match[str], priority: int, lex: _CountLexicon, lo: int, hi: int) -> _Cand | None:
    """A bare person noun after an active verb: "murdered university student Mario Flores"
    -> 1, "murdered peasants Victor Vasquez and Rafael Romero" -> 2."""
    trig = _norm(m.group("trig"))
    kind = lex.obj_kind.get(trig)
    words = list(re.finditer(r"[^\W\d_][\w'’.-]*", m.group("np")))
    low = [w.group(0).rstrip(".").lower() for w in words]
    if not low or _attempt_before(text, m.start(), lex, lo):
        return None
    prev = _prev_word(text, m.start(), lo).lower()
    if prev in _DETERMINERS or prev in lex.passive_markers:  # "the wounded policeman", "were killed"
        return None
    at = next((i for i, w in enumerate(low[:3]) if w in lex.person_all), None)
    if at is None:
        return _name_and_person(text, m, priority, kind, lex, hi) or _name_object(text, m, priority, kind, lex, hi)
    if any(not _name_word(w, lex) and w not in lex.person_all for w in low[: at + 1]):
        return None
    if any(w in lex.person_all for w in low[:at]) and low[at] not in lex.person_singular:
        return None
    base = m.start("np")
    noun_end = base + words[at].end()
    if low[at] in lex.person_singular:
        # the name after the noun, then nothing joined to it ("... and a driver")
        j = _NAME_THEN_AND.match(text, noun_end, min(hi, noun_end + 80))
        nxt = j.group(1).lower() if j else ""
        if nxt and (_name_word(nxt, lex) or nxt in _DETERMINERS or nxt in lex.number_words):
            return None
        n, q_end = 1, noun_end
    else:
        joined = _joined_after(text, noun_end, hi, lex)
        if joined is None:
            return None
        n, q_end = joined
    qspan = (base + words[0].start(), q_end)
    subject = " ".join(low[: at + 1])
    window = text[m.start("trig") : q_end + 40]
    return _Cand(name="obj", priority=priority, qspan=qspan, tspan=m.span("trig"), kind=kind, low=n, high=n,
                 qualifier=Qualifier.EXACT, subject=subject, side=_side(lex, low[: at + 1], trig, window),
                 negated=False, toll=False)


def _one_named(text: str, m: re.Match[str], name: str, priority: int, kinds: dict[str, str], qspan: Span,
               subject: str, lex: _CountLexicon) -> _Cand:
    """One person of the kind ``kinds`` gives the match's trigger ("the murdered magistrate",
    "left him seriously wounded")."""
    trig = _norm(m.group("trig"))
    return _Cand(name=name, priority=priority, qspan=qspan, tspan=m.span("trig"), kind=kinds[trig], low=1, high=1,
                 qualifier=Qualifier.EXACT, subject=subject, side=_side(lex, [subject], trig, text[m.start() : m.end() + 40]),
                 negated=False, toll=False)


def _pronoun_object(text: str, m: re.Match[str], priority: int, lex: _CountLexicon, lo: int) -> _Cand | None:
    """One person as a pronoun after an active verb ("they killed her"); None when the act was
    only attempted or the verb is a passive's ("he was shot him" is no English)."""
    trig = _norm(m.group("trig"))
    kind = lex.obj_kind.get(trig)
    if kind is None or _attempt_before(text, m.start(), lex, lo):
        return None
    if _prev_word(text, m.start(), lo).lower() in lex.passive_markers:
        return None
    return _Cand(name="obj", priority=priority, qspan=m.span("qty"), tspan=m.span("trig"), kind=kind, low=1, high=1,
                 qualifier=Qualifier.EXACT, subject=m.group("qty").lower(),
                 side=_side(lex, [], trig, text[m.start("trig") : m.end("qty") + 40]), negated=False, toll=False)


def _one_person(text: str, m: re.Match[str], name: str, priority: int, lex: _CountLexicon, lo: int,
                hi: int) -> _Cand | None:
    """One person: "<name> was murdered" (the evidence is the word before the auxiliary, the
    trigger the verb) or "the murder of <name>" (the name's words, then the noun); None when the
    subject is not one person or the act did not happen ("the attempted murder of")."""
    trig = _norm(m.group("trig"))
    kind = lex.one_kind.get(trig)
    if kind is None:
        return None
    if name == "one_pos":
        which = "np" if m.group("np") else "pr"
        subject = m.group(which).rstrip(".").lower()
        qspan = m.span(which)
        if (subject in lex.one_not_subjects or subject in lex.number_words or subject in lex.negation
                or subject in lex.person_all and subject not in lex.person_singular):
            return None
    elif name == "two" or name == "one":
        if name == "two" or m.groupdict().get("aux") is None:
            # "Oqueli and Hilda Flores were abducted and killed", "the mayor and his driver died"
            joined = _joined_before(text, m.start("aux") if name == "two" else m.start(), lo, lex)
            if joined is not None:
                n, qspan, subject = joined
                # strict enough to win over the single person next to the verb ("... and her driver were")
                return _Cand(name="two", priority=0, qspan=qspan, tspan=m.span("trig"), kind=kind, low=n, high=n,
                             qualifier=Qualifier.EXACT, subject=subject,
                             side=_side(lex, subject.split(), trig, text[qspan[0] : m.end("trig") + 40]),
                             negated=False, toll=False)
            if name == "two":
                return None
        # the word before, or before a relative clause: "Oqueli, who was kidnapped, was found dead"
        base = max(lo, m.start() - 200)
        # ... or before "who" ("Luis Carlos Galan, who was killed last Friday"), unless it ends
        # a preposition's phrase ("Castellar, mayor of Achi, who was kidnapped": Achi is a town)
        w = _SUBJECT_BEFORE_WHO.search(text, base, m.start())
        if w and _prev_word(text, w.start(1), lo).lower() in lex.one_prepositions:
            return None
        w = w or _SUBJECT_BEFORE.search(text, base, m.start()) or _SUBJECT_BEFORE_CLAUSE.search(text, base, m.start())
        if not w:
            return None
        subject = w.group(1).rstrip(".").lower()
        qspan = (w.start(1), w.start(1) + len(w.group(1).rstrip(".")))
        if not _person_before_preposition(text, qspan[0], lex, lo):
            return None  # "the passengers going to Cali died"; "the mayor of Achi was killed" is one
        if (subject in lex.one_not_subjects or subject in lex.number_words or subject in lex.negation or (subject in lex.person_all and subject not in lex.person_singular)):
            return None
        if _neither_nor_before(text, qspan[0], lo):
            # "neither the driver nor the mayor was injured": nobody was
            return _Cand(name=name, priority=priority, qspan=qspan, tspan=m.span("trig"), kind=kind, low=0,
                         high=0, qualifier=Qualifier.EXACT, subject=subject,
                         side=_side(lex, [subject], trig, text[qspan[0] : m.end("trig") + 40]),
                         negated=True, toll=False)
    else:
        if _attempt_before(text, m.start(), lex, lo):
            return None
        words = list(re.finditer(r"[^\W\d_][\w'’.-]*", m.group("np")))
        kept: list[re.Match[str]] = []
        for i, t in enumerate(words):
            low = t.group(0).rstrip(".").lower()
            if low in lex.one_name_ends and not (i == 0 and low == "the"):
                break
            kept.append(t)
        tokens = [t.group(0).rstrip(".").lower() for t in kept]
        if tokens and tokens[0] == "the":  # "the murder of the rector": a person noun must say who
            if not _contains(tokens[1:], lex.person_singular):
                return None
        if (not tokens or tokens[-1] == "the" or tokens[0] in lex.number_words or tokens[0] in lex.negation
                or tokens[0] in lex.not_names or tokens[-1] in lex.not_names
                or any(t in lex.person_all and t not in lex.person_singular for t in tokens)
                or any(t in lex.vague or t in lex.qualifier_of or t in lex.stop_words for t in tokens[:1])):
            return None
        # the name is followed by "and": more than one victim (counted by _people_of when the
        # run says how many), unless a thing follows ("the murder of Letelier and the bombing of"),
        # a verb ("the murder of Edgar Chacon and has stressed") or a pronoun ("... and all those
        # involved")
        rest = m.group("np")[kept[-1].end():] + text[m.end() : m.end() + 40]
        base = m.start("np")
        qspan = (base + kept[0].start(), base + kept[-1].end())
        if re.match(r"\s*(?:,\s*)?and\b", rest):
            thing = re.match(r"\s*(?:,\s*)?and\s+(?:the|an?|its)\s+([^\W\d_][\w'’-]*)", rest)
            titled = _titled_after_and(text, qspan[1], lex, hi) if all(t in lex.person_singular for t in tokens) else None
            if titled is not None:  # "the assassination of senator and presidential candidate Luis Galan"
                qspan = (qspan[0], titled)
            elif not (thing and _norm(thing.group(1)) not in lex.person_all) and not _AND_NO_PERSON.match(rest):
                return None
        subject = " ".join(tokens)
    tokens = subject.split()
    window = text[min(qspan[0], m.start("trig")) : m.end("trig") + 40]
    return _Cand(name=name, priority=priority, qspan=qspan, tspan=m.span("trig"), kind=kind, low=1, high=1,
                 qualifier=Qualifier.EXACT, subject=subject, side=_side(lex, tokens, trig, window),
                 negated=False, toll=False)


_AND_WORDS = re.compile(r"\s+and((?:\s+[^\W\d_][\w'’.-]*){2,8})", re.IGNORECASE)


def _titled_after_and(text: str, at: int, lex: _CountLexicon, hi: int) -> int | None:
    """Where the name ends when a bare title is joined by "and" to another title and a name
    ("senator and liberal party presidential candidate Luis Galan": one person, whose name ends
    at the returned offset), else None."""
    j = _AND_WORDS.match(text, at, min(hi, at + 120))
    if not j:
        return None
    words = list(re.finditer(r"[^\W\d_][\w'’.-]*", j.group(1)))
    low = [w.group(0).rstrip(".").lower() for w in words]
    title = next((i for i, w in enumerate(low[:4]) if w in lex.person_all), None)
    if title is None or low[title] not in lex.person_singular or not all(_name_word(w, lex) for w in low[:title]):
        return None
    end = None
    for t, w in zip(words[title + 1 :], low[title + 1 :]):
        if w in lex.one_name_ends or w in lex.person_all or not _name_word(w, lex):
            break
        end = j.start(1) + t.start() + len(t.group(0).rstrip("."))
    return end


# "and" then a verb or a pronoun: the clause goes on without naming another person
_AND_NO_PERSON = re.compile(r"\s*(?:,\s*)?and\s+(?:(?:was|were|is|are|has|have|had|will|would|could|should|must|may)\s"
                            r"|(?:all\s+)?(?:those|these|it|that|this)\b(?!\s+(?:two|three|four|five|six|seven|eight|nine|ten|\d)))",
                            re.IGNORECASE)
_PARTITIVE_CLAUSE = re.compile(r"[^,.;:!?()\n]{1,60},")
_TRAILING_PREPOSITIONS = frozenset(("from", "in", "at"))
_FINITE = frozenset(("was", "were", "is", "are", "has", "have", "had"))
_AND_OF = re.compile(r"(?<=\band)(\s+of)(?=\s)", re.IGNORECASE)


def _people_of(text: str, m: re.Match[str], lex: _CountLexicon, lo: int, hi: int) -> _Cand | None:
    """People joined by "and" after a noun of the act and "of": "the assassination of MNR
    leader Hector Oqueli and of Gilda Flores" -> 2; None unless the run is two people or more
    and names one of them (see :func:`_joined_before`), or when the act did not happen ("the
    attempted murder of ...")."""
    kind = lex.coord_of_kind.get(_norm(m.group("trig")))
    if kind is None or _attempt_before(text, m.start(), lex, lo):
        return None
    start, limit = m.end(), min(hi, m.end() + 200)
    # a plural title before the names is theirs: "the murder of political leaders Hector Oqueli
    # and Gilda Flores"
    lead = list(itertools.islice(_JOIN_TOKEN.finditer(text, start, limit), 3))
    for j, t in enumerate(lead):
        w = t.group(0).lower()
        if w in lex.person_all and w not in lex.person_singular:
            if all(_name_word(x.group(0).lower(), lex) for x in lead[:j]):
                start = t.end()
            break
    # the run, read with a short bracketed form and the "of" of "and of" blanked
    window = _AND_OF.sub(lambda g: " " * len(g.group(0)), _BRACKETED.sub(lambda b: " " * len(b.group(0)), text[start:limit]))
    view = text[:start] + window + text[limit:]
    stop = _JOIN_BOUNDARY.search(view, start, limit)
    end, ends, after = (stop.start() if stop else limit), [start], ""
    prev = ","
    for t in _JOIN_TOKEN.finditer(view, start, end):
        w = t.group(0).lower().rstrip(".")
        if w in _DETERMINERS and prev not in (",", "and", "of"):
            ends.pop()  # "the assassination of a magistrate, and withdrew their ...": a verb, not a name
            break
        if w not in (",", "and") and ((w in lex.one_name_ends and w not in ("of", "the"))
                                      or w in lex.trigger_kind or w in lex.one_kind):
            after = w
            break
        if w not in (",", "and"):
            ends.append(t.start() + len(t.group(0).rstrip(".")))
        prev = w
    last = ends[-1] if ends else start
    if after in _FINITE and "," in view[start:last] and not _norm(m.group("trig")).endswith("s"):
        # "after the death of Rodriguez Gacha, Escobar and Ochoa were ...": a new subject (a
        # plural noun of the act has them all: "the murders of A, B, and C were condemned")
        return None
    joined = _joined_before(view, last, start, lex, lex.coord_of_max_words)
    if joined is None or joined[0] < 2:
        return None
    n, qspan, subject = joined
    trig = _norm(m.group("trig"))
    return _Cand(name="run_of", priority=0, qspan=qspan, tspan=m.span("trig"), kind=kind, low=n, high=n,
                 qualifier=Qualifier.EXACT, subject=subject,
                 side=_side(lex, subject.split(), trig, text[m.start("trig") : qspan[1] + 40]),
                 negated=False, toll=False)


def _person_before_preposition(text: str, i: int, lex: _CountLexicon, lo: int) -> bool:
    """Whether the word ending just before ``i`` may be the subject: True unless a preposition
    stands before it, and then only when a singular person noun stands before the preposition
    ("the mayor of Achi", "a vendor from Cali") or, for "of", before a chain of "of" phrases
    in the same clause ("the president of the supreme court of justice"), or "one" ("one of
    whom was wounded")."""
    clause = re.split(r"[.;:!?,()\n]", text[max(lo, i - 80) : i])[-1]
    words = [t.lower() for t in _WORD.findall(clause)]
    if not words or words[-1] not in lex.one_prepositions:
        return True
    if words[-1] != "of":
        return len(words) > 1 and words[-2] in lex.person_singular
    if len(words) > 1 and words[-2] == "one":
        return True  # "her children, one of whom was wounded"
    head = next((w for w in reversed(words[-7:-1]) if w in lex.person_all), None)
    return head is not None and head in lex.person_singular


def _post_valid(text: str, m: re.Match[str], lex: _CountLexicon, hi: int) -> tuple[bool, int]:
    """Whether a post-trigger match counts, and its priority (0 with an auxiliary, else 2)."""
    aux = {t.lower() for t in m.group("aux").split()}
    if (m.group("paren") or "").lstrip().startswith(",") and "were" in aux and _norm(m.group("qty")) in _SINGULAR:
        # "... and her daughter, Celina Ramos, were assassinated": one of several people joined
        # before her, not a figure of one
        return False, 0
    if m.group("rel"):  # only before a real passive; the clause may tell an act of its own, which
        # the main verb's figure is not ("four students who had been kidnapped were killed": 4 killed)
        return bool(aux & lex.passive_markers), 0
    if aux & {"who", "that"} and lex.noun_of_before is not None and lex.noun_of_before.search(
            text, max(0, m.start("qty") - 60), m.start("qty")):
        # "the death of four students who had been kidnapped": the relative clause says who they
        # were; the noun of the act before them counts them
        return False, 0
    if m.group("ing"):  # only before a real passive, and never a figure's own verb ("killing 3 ...")
        words = {t.lower() for t in _WORD.findall(m.group("ing"))}
        ok = bool(aux & lex.passive_markers) and words.isdisjoint(lex.trigger_kind) and words.isdisjoint(lex.passive_markers)
        return ok, 0
    trig = _norm(m.group("trig"))
    if trig in lex.bare_only and (aux or _next_word(text, m.end("trig"), hi).lower() in lex.not_after_bare):
        return False, 0  # "three rebels were sentenced to death", "two death threats"
    if aux & lex.passive_markers:
        return True, 0
    if trig in lex.verb_triggers:
        # "12 gunmen killed ..." is active unless nothing object-like follows the verb
        nxt_end = m.end("trig")
        if not _PUNCT_OR_END.match(text, nxt_end, hi):
            nxt = _next_word(text, nxt_end, hi).lower()
            if not m.group("subj").strip() and nxt.rstrip(".") in lex.person_all and nxt.rstrip(".") not in lex.person_singular:
                return True, 2  # "9 wounded soldiers": the participle before the people it counts
            if nxt not in lex.stop_words or nxt in lex.object_words:
                return False, 2
    return True, 2


def _search_all(pattern: re.Pattern[str], text: str, lo: int, hi: int) -> Iterable[re.Match[str]]:
    """Every leftmost match starting at each position (matches may overlap)."""
    pos = lo
    while pos <= hi:
        m = pattern.search(text, pos, hi)
        if not m:
            return
        yield m
        pos = m.start() + 1


def _referred(text: str, lo: int, hi: int, lex: _CountLexicon, accepted: list[_Cand]) -> list[_Cand]:
    """Groups named again with no figure, sized by the figure the text gives them elsewhere:
    "the Jesuit priests were murdered" and "the murder of the Jesuits" are 6 after (or before)
    "six Jesuit priests". Only when every figure the text gives that noun agrees, none of them
    counts people hurt in another way ("two soldiers were wounded" never sizes "the soldiers
    were killed"), and the noun names a group ("the people were killed" names none)."""
    out: list[_Cand] = []
    taken = [sp for c in accepted for sp in (c.qspan, c.tspan)]
    for m in _search_all(lex.referred, text, lo, hi):
        tg = next(g for g in ("trig", "itrig", "ntrig") if m.group(g))
        ng = "np" if m.group("np") else "np2"
        tspan, qspan = m.span(tg), m.span(ng)
        if any(spans_overlap(tspan, sp) or spans_overlap(qspan, sp) for sp in taken):
            continue
        words = [_norm(w) for w in m.group(ng).split()]
        if words[-1] in lex.referred_general or any(
                w in lex.stop_words or w in lex.number_words or w in lex.trigger_kind for w in words):
            continue
        kind = lex.one_kind.get(_norm(m.group(tg))) or lex.coord_of_kind.get(_norm(m.group(tg)))
        size = _group_size(text, words[-1], kind, lex)
        if size is None:
            # "all the passangers ... died" (so spelt) after "the 106 passengers aboard"
            sizes = {s for v in _misspelt(text, words[-1]) if (s := _group_size(text, v, kind, lex))}
            size = sizes.pop() if len(sizes) == 1 else None
        if size is None:
            continue
        n, where = size
        out.append(_Cand(name="referred", priority=9, qspan=qspan, tspan=tspan, kind=kind, low=n, high=n,
                         qualifier=Qualifier.EXACT, subject=" ".join(words),
                         side=_side(lex, words, _norm(m.group(tg)), text[max(lo, m.start() - 60) : min(hi, m.end() + 60)]),
                         negated=False, toll=False, extra=(where,)))
        taken += [qspan, tspan]
    return out


def _group_size(text: str, noun: str, kind: str | None, lex: _CountLexicon) -> tuple[int, Span] | None:
    """The one figure ``text`` gives the plural ``noun`` ("jesuits": "six Jesuit priests", "6
    Jesuits"), and where; None when it gives none or several."""
    mentions = None
    found: dict[int, Span] = {}
    for m in _group_pattern(noun).finditer(text):
        value = _number_value(m.group("num"), lex)
        mods = [_norm(w) for w in m.group("mods").split()]
        if value is None or not value[0] or value[1] or any(w in lex.stop_words or w in lex.number_words for w in mods):
            continue
        if _is_date_or_year(text, m.span("num"), 0, len(text), lex):
            continue
        if mentions is None:
            mentions = _document_counts(text)
        if any(c.kind != kind and spans_overlap(c.count.spans[0], m.span("num")) for c in mentions):
            return None  # "two soldiers were wounded": not those killed, nor surely the others
        found.setdefault(value[0], m.span("num"))
    return next(iter(found.items())) if len(found) == 1 else None


def _misspelt(text: str, noun: str) -> list[str]:
    """The words of ``text`` one letter away from ``noun`` (one added, dropped, changed or two
    swapped), for nouns of 8 letters or more: a noun misspelt once in a report
    ("passangers" and "passengers")."""
    if len(noun) < 8:
        return []
    return [w for w in _words_of(text) if w != noun and abs(len(w) - len(noun)) <= 1 and _one_edit(w, noun)]


@functools.lru_cache(maxsize=8)
def _words_of(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in re.findall(r"[^\W\d_]{7,}", text))


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` (distinct) differ by one letter added, dropped or changed, or by
    two neighbouring letters swapped."""
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), len(a))
    if len(a) < len(b):
        return a[i:] == b[i + 1:]
    return a[i + 1:] == b[i + 1:] or (a[i + 2:] == b[i + 2:] and a[i : i + 2] == b[i : i + 2][::-1])


@functools.lru_cache(maxsize=256)
def _group_pattern(noun: str) -> re.Pattern[str]:
    """A figure, up to ``referred_max_words`` words and the plural ``noun`` or its singular."""
    lex = _count_lexicon()
    stem = noun[:-1] if noun.endswith("s") else noun
    words = _alt(sorted(lex.number_words))
    return re.compile(rf"(?<![\w.,-])(?P<num>\d{{1,3}}(?:,\d{{3}})+|\d+|(?:{words})(?:-(?:{words}))?)(?![\w-])"
                      rf"(?P<mods>(?:\s+[^\W\d_][\w'’-]*){{0,{lex.referred_max_words}}}?)\s+"
                      rf"(?:{re.escape(noun)}|{re.escape(stem)})(?![\w'’-])", re.IGNORECASE)


@functools.lru_cache(maxsize=4)
def _document_counts(text: str) -> tuple[CountMention, ...]:
    return tuple(find_counts(text, referred=False))


def find_counts(text: str, start: int = 0, end: int | None = None, *, referred: bool = True) -> list[CountMention]:
    """Casualty figures in ``text[start:end]``, in text order; spans index the full ``text``.

    A group named again without its figure ("the Jesuit priests were murdered") takes the
    figure the text gives it elsewhere ("six Jesuit priests"), and its spans end with that
    figure's; ``referred=False`` leaves such groups out."""
    lex = _count_lexicon()
    hi = len(text) if end is None else max(start, min(end, len(text)))
    lo = max(0, min(start, hi))
    cands: list[_Cand] = []

    def add(c: _Cand | None) -> _Cand | None:
        if c is not None:
            c.index = len(cands)
            cands.append(c)
        return c

    if lex.trigger_cue is not None and not lex.trigger_cue.search(text, lo, hi):
        return []
    for name, priority, pattern in lex.patterns:
        for m in _search_all(pattern, text, lo, hi):
            if name in ("one", "one_of", "one_pos", "two"):
                c = add(_one_person(text, m, name, priority, lex, lo, hi))
                if c is not None and _says_also(text, m):
                    c.besides = True  # "his bodyguard and driver were also killed"
                continue
            if name == "obj":
                add(_object_people(text, m, priority, lex, lo, hi))
                continue
            if name == "pronoun":
                add(_pronoun_object(text, m, priority, lex, lo))
                continue
            if name == "before":  # "the murdered magistrate"
                add(_one_named(text, m, name, priority, lex.before_kind, (m.start("qty"), m.end("np")), _norm(m.group("np")), lex))
                continue
            if name == "left":  # "left him seriously wounded"
                add(_one_named(text, m, name, priority, lex.left_kind, m.span("qty"), m.group("qty").lower(), lex))
                continue
            if name == "run_of":
                add(_people_of(text, m, lex, lo, hi))
                continue
            if name == "some":
                if not _negated_before(text, m.start(), lex, lo):
                    add(_Cand(name=name, priority=priority, qspan=m.span("trig"), tspan=m.span("trig"),
                              kind=lex.some_kind[_norm(m.group("trig"))], low=None, high=None,
                              qualifier=Qualifier.UNSPECIFIED, subject="", negated=False, toll=False,
                              side="unknown" if lex.both_sides.search(text, m.start(), min(hi, m.end() + 30)) else "targets"))
                continue
            if name == "unharmed":
                add(_Cand(name=name, priority=priority, qspan=m.span("trig"), tspan=m.span("trig"),
                          kind=lex.unharmed_kind[_norm(m.group("trig"))], low=0, high=0, qualifier=Qualifier.EXACT,
                          subject="", side="targets", negated=True, toll=False))
                continue
            if name == "nominal" and _attempt_before(text, m.start(), lex, lo):
                continue  # "the attempted murder of 2 judges"
            if name == "possessor":
                c = _candidate(text, m, name, priority, lex, lo, hi, m.span("trig"))
                if c is not None and _contains([t.lower().rstrip("'’") for t in c.subject.split()], lex.person_all):
                    c.subject = c.subject.rstrip("'’")
                    add(c)  # "the two groups' killings" counts no one
                continue
            if name == "toll":
                kind = lex.toll_kind.get(_norm(m.group("trig")))
                if _norm(m.group("trig")) in lex.bare_tolls:  # "a toll of 1 person wounded"
                    kind = lex.trigger_kind.get(_next_word(text, m.end(), hi).lower().rstrip("."), kind)
                add(_candidate(text, m, name, priority, lex, lo, hi, m.span("trig"), kind))
                continue
            if name == "lives":
                add(_candidate(text, m, name, priority, lex, lo, hi, m.span("trig"), "killed"))
                continue
            if name == "post":
                ok, prio = _post_valid(text, m, lex, hi)
                if not ok:
                    continue
                parent = _candidate(text, m, name, prio, lex, lo, hi, m.span("trig"))
                if parent is not None and _norm(m.group("trig")) in lex.people_only and not (
                        _contains(parent.subject.lower().split(), lex.person_all)):
                    continue  # "the mayor received three bullet wounds": wounds, not people
                parent = add(parent)
                # "7 soldiers and 3 civilians were killed": earlier items share the trigger
                qstart = m.start("qty")
                # "six Jesuits and their two maids were murdered": the item's determiner
                det = _ITEM_DETERMINER.search(text, max(lo, qstart - 8), qstart)
                first = qstart = det.start() if det else qstart
                while parent is not None:
                    b = lex.back.search(text, max(lo, qstart - 160), qstart)
                    if not b:
                        break
                    # the item next to the figure must be joined by "and" ("4 soldiers and 3
                    # civilians were killed"); items further back may use commas
                    if qstart == first and not re.search(r"\band\s*\Z", b.group(0), re.IGNORECASE):
                        break
                    child = _candidate(text, b, "back", 3, lex, lo, hi, parent.tspan, parent.kind)
                    if child is None:
                        break
                    child.parent = parent.index
                    add(child)
                    qstart = b.start("qty")
                continue
            if name == "active":
                if _attempt_before(text, m.start("trig"), lex, lo):
                    continue  # "have threatened to kill 10 judges": nobody was killed
                trig = _norm(m.group("trig"))
                # "killed 7 injured 12": a bare figure followed straight by a post trigger is not
                # this verb's object
                if not m.group("subj") and trig in lex.trigger_kind:
                    nxt = _next_word(text, m.end("qty"), hi).lower()
                    if nxt in lex.trigger_kind and not _PUNCT_OR_END.match(text, m.end("qty"), hi):
                        continue
            parent = add(_candidate(text, m, name, priority, lex, lo, hi, m.span("trig")))
            if name in ("active", "nominal"):
                # "killing 3 soldiers, 2 policemen and a civilian"
                pos = m.end()
                while parent is not None:
                    cm = lex.cont.match(text, pos, hi)
                    if not cm or _next_word(text, cm.end(), hi).lower().rstrip(".") in lex.speech_verbs:
                        break  # "killing 4 officers, a police statement said": the source, not a part
                    if (cm.group("det") or "").lower() == "the" and not _THE_BEFORE.search(text, max(lo, parent.qspan[0] - 5), parent.qspan[0]):
                        break  # "the six jesuit priests and the two maids", not "killing 3 soldiers and the 2 attackers fled"
                    if lex.partitive.match(text, cm.end("qty"), hi):
                        # "the murder of eight people, six of them Jesuits": 8, not 14; a part
                        # may follow the partitive's clause ("six Jesuits, five of whom were
                        # Spaniards, and two women": 8)
                        close = _PARTITIVE_CLAUSE.match(text, cm.end("qty"), hi)
                        if close is None:
                            break
                        pos = close.end() - 1
                        continue
                    child = _candidate(text, cm, "cont", 4, lex, lo, hi, parent.tspan, parent.kind)
                    if child is None:
                        break
                    child.parent = parent.index
                    add(child)
                    pos = cm.end()
                last = cands[-1] if parent is not None else None
                bare = _BARE_AND.match(text, pos, hi) if last is not None and last.low == 1 else None
                if (bare and _norm(bare.group("noun")) in lex.person_singular
                        and _norm(text[slice(*last.qspan)]) in _DETERMINERS | _POSSESSIVES):
                    # "killed his wife and daughter": one more, the article's or possessive's
                    child = _Cand(name="cont", priority=4, qspan=bare.span("noun"), tspan=parent.tspan,
                                  kind=parent.kind, low=1, high=1, qualifier=Qualifier.EXACT,
                                  subject=_norm(bare.group("noun")), side=last.side, negated=False, toll=False)
                    child.parent = parent.index
                    add(child)

    accepted: list[_Cand] = []
    ok: set[int] = set()
    for c in sorted(cands, key=lambda c: (c.priority, c.qspan[0], -(c.tspan[1] - c.tspan[0]))):
        if c.parent is not None and c.parent not in ok:
            continue
        if any(spans_overlap(c.qspan, a.qspan) for a in accepted):
            continue
        if c.parent is None and any(spans_overlap(c.tspan, a.tspan) for a in accepted if a.parent is None):
            continue
        if any(spans_overlap(c.qspan, a.tspan) or spans_overlap(c.tspan, a.qspan) for a in accepted):
            continue
        accepted.append(c)
        ok.add(c.index)

    if referred and lex.referred is not None:
        accepted.extend(_referred(text, lo, hi, lex, accepted))
    out = []
    for c in sorted(accepted, key=lambda c: (c.qspan[0], c.tspan[0])):
        out.append(
            CountMention(
                kind=c.kind,
                count=Count(c.low, c.high, c.qualifier, (c.qspan, c.tspan, *c.extra)),
                side="attackers" if c.side == "targets" and _attacking(text, c, lex, hi) else c.side,
                subject=c.subject,
                negated=c.negated,
                toll=c.toll,
                aggregate=_aggregate(text, c, lex, lo, hi),
                motive=_motive(text, cands[c.parent] if c.parent is not None else c, lex, lo),
                besides=c.besides or (c.parent is not None and cands[c.parent].besides),
                sole=bool(lex.sole and not c.negated and lex.sole.search(text, max(lo, c.qspan[0] - 12), c.qspan[0])),
            )
        )
    return out


_QUAL_RANK = {
    Qualifier.MORE_THAN: 4,
    Qualifier.EXACT: 3,
    Qualifier.AT_LEAST: 2,
    Qualifier.APPROXIMATELY: 1,
    Qualifier.UNSPECIFIED: 0,
}


_SUM_QUALIFIER = {  # the qualifier of a sum, from the set of its parts' qualifiers (see _sum_parts)
    frozenset({Qualifier.EXACT}): Qualifier.EXACT,
    frozenset({Qualifier.MORE_THAN}): Qualifier.MORE_THAN,
    frozenset({Qualifier.MORE_THAN, Qualifier.EXACT}): Qualifier.MORE_THAN,
    frozenset({Qualifier.AT_LEAST}): Qualifier.AT_LEAST,
    frozenset({Qualifier.AT_LEAST, Qualifier.EXACT}): Qualifier.AT_LEAST,
    frozenset({Qualifier.AT_LEAST, Qualifier.MORE_THAN}): Qualifier.AT_LEAST,
    frozenset({Qualifier.AT_LEAST, Qualifier.MORE_THAN, Qualifier.EXACT}): Qualifier.AT_LEAST,
}


def _sum_parts(pool: list[CountMention]) -> list[CountMention]:
    """``pool`` with the parts of each coordinated figure (mentions of one kind and side that
    share a trigger span: ``find_counts`` gives a trigger to one figure only, and coordinated
    parts borrow it) replaced by one mention of their sum, at the first part's place.

    The sum of exact parts is exact; "more than" or "at least" parts make it "more than" (all
    bounds strict) or "at least" the sum of the lows, with no high. A part that is approximate,
    vague, negated or a toll keeps the parts apart (no sum is made)."""
    groups: dict[Span, list[CountMention]] = {}
    for m in pool:
        if len(m.count.spans) == 2:
            groups.setdefault(m.count.spans[1], []).append(m)
    out: list[CountMention] = []
    for m in pool:
        parts = groups.get(m.count.spans[1], [m]) if len(m.count.spans) == 2 else [m]
        if len(parts) < 2:
            out.append(m)
            continue
        if m is not parts[0]:
            continue
        qualifier = _SUM_QUALIFIER.get(frozenset(p.count.qualifier for p in parts))
        if qualifier is None or any(p.negated or p.toll or p.count.low is None for p in parts):
            out.extend(parts)
            continue
        low = sum(p.count.low or 0 for p in parts)
        high = low if qualifier == Qualifier.EXACT else None
        spans = tuple(sorted({s for p in parts for s in p.count.spans}))
        subject = ", ".join(p.subject for p in parts if p.subject)
        out.append(CountMention(m.kind, Count(low, high, qualifier, spans), m.side, subject, False, besides=m.besides))
    return out


def merge_counts(mentions: list[CountMention], kind: str, side: str | None = "targets") -> Count | None:
    """Combine the mentions of one ``kind`` (and ``side``; None = any side) for ONE incident.

    Figures are never added up across mentions: a report repeats its figures ("killed 12
    people ... the 12 dead"), and several reports of one incident repeat each other. Only the
    parts of ONE coordinated figure are added, since they count different people: "killing 3
    soldiers, 2 policemen and a civilian" and "4 soldiers and 3 civilians were killed" are
    one figure each (6 and 7), written in parts that share one trigger word (see
    :func:`_sum_parts` for the qualifier of a sum); and a figure the report says counts others
    besides ("two of his bodyguards were also killed": ``besides``) is added to the figure
    chosen from the rest, when it comes after that figure in the text. Then:

    1. If any mention is a running toll ("the death toll rose to 12"), the toll written last
       in the text wins.
    2. Otherwise the mention with the largest ``low`` wins (the maximum credible figure);
       on a tie, "more than n" beats n, which beats "at least n", then "about n", then vague;
       then the larger ``high``; then the earlier mention. Mentions without a low are used
       only when none has one.

    The result keeps the winner's low, high and qualifier, with the spans of every mention
    considered (sorted, without repeats) as its evidence. None when there is no mention.
    """
    pool = _sum_parts([m for m in mentions if m.kind == kind and (side is None or m.side == side)])
    if not pool:
        return None
    spans = tuple(sorted({s for m in pool for s in m.count.spans}))
    more = [m for m in pool if m.besides and not m.negated and not m.toll]
    rest = [m for m in pool if m not in more]
    if more and rest:
        # "the minister was killed ... two of his bodyguards were also killed": 1 + 2
        first, extra = _choose(rest), _choose(more)
        qualifier = _SUM_QUALIFIER.get(frozenset((first.qualifier, extra.qualifier)))
        if (qualifier is not None and first.low is not None and extra.low is not None
                and first.spans and extra.spans and first.spans[0] < extra.spans[0]):
            low = first.low + extra.low
            return Count(low, low if qualifier == Qualifier.EXACT else None, qualifier, spans)
    best = _choose(pool)
    return Count(best.low, best.high, best.qualifier, spans)


def _choose(pool: list[CountMention]) -> Count:
    """The figure :func:`merge_counts` keeps of ``pool`` (rules 1 and 2 there)."""
    tolls = [m for m in pool if m.toll]
    if tolls:
        return max(tolls, key=lambda m: min(m.count.spans, default=(-1, -1))).count

    def key(item: tuple[int, CountMention]) -> tuple[Any, ...]:
        i, m = item
        c = m.count
        return (
            c.low is not None,
            c.low if c.low is not None else -1,
            _QUAL_RANK.get(c.qualifier, 0),
            c.high is not None,
            c.high if c.high is not None else -1,
            -i,
        )

    return max(enumerate(pool), key=key)[1].count


def incident_figures(mentions: list[CountMention], all_sides: bool = False) -> tuple[Count | None, Count | None, Count | None]:
    """(killed, injured, killed_or_injured) of ONE incident from the mentions in its sentences,
    merged with :func:`merge_counts` (never summed, but for the parts of one figure and those
    "also" killed). The targets' figures count, and those said
    to cover both sides ("14 fighters dead on both sides"), never the attackers' own dead alone.
    Zeros carry over between kinds: "there were no casualties" says nobody was killed and
    nobody was injured, and "no one was hurt" with no death mentioned says nobody was killed
    either (a report names its dead before it says the rest were unhurt); "only 1 policeman
    was slightly injured", with no death named on any side, says nobody was killed. Totals over a period
    (``aggregate``) are the caller's to leave out. ``all_sides``: a battle's figures count every
    side, the attackers' dead too ("troops repelled the attack ... 11 insurgents were killed" is
    11), as ACLED counts a battle's fatalities."""
    pool = list(mentions) if all_sides else [c for c in mentions if c.side != "attackers"]
    killed = merge_counts(pool, "killed", side=None)
    injured = merge_counts(pool, "injured", side=None)
    combined = merge_counts(pool, "killed_or_injured", side=None)
    killed, injured, combined = carry_zeros(killed, injured, combined)
    if killed is None and combined is None and injured is not None and not any(c.kind == "killed" for c in mentions):
        # "only 1 policeman was slightly injured", and no death named on any side: nobody died
        sole = [c for c in pool if c.kind == "injured" and c.sole and c.count.low == injured.low
                and set(c.count.spans) <= set(injured.spans)]
        if sole and injured.qualifier == Qualifier.EXACT and injured.low:
            killed = Count(0, 0, Qualifier.EXACT, injured.spans)
    return killed, injured, combined


def carry_zeros(killed: Count | None, injured: Count | None,
                combined: Count | None) -> tuple[Count | None, Count | None, Count | None]:
    """(killed, injured, killed_or_injured) of one incident with its zeros carried over between
    kinds: "there were no casualties" says nobody was killed and nobody was injured, and "no
    one was hurt" with no death figure says nobody was killed either (a report names its dead
    before it says the rest were unhurt). A figure given stays as it is. Call it again when a
    record gives a figure up to another act: what is left may now say nobody died."""
    if _nobody(combined):
        killed = killed or combined
        injured = injured or combined
    if killed is None and _nobody(injured) and combined is None:
        killed = injured
    return killed, injured, combined


def _nobody(count: Count | None) -> bool:
    """A count that says exactly nobody ("no one was hurt", "there were no casualties")."""
    return count is not None and count.low == 0 and count.high == 0 and count.qualifier == Qualifier.EXACT


# ------------------------------------------------------------------------------------------
# Materiel


@dataclass(frozen=True)
class _MaterielLexicon:
    version: str
    kind_of: dict[str, str]  # normalized alias or plural -> code
    singular: frozenset[str]
    plural: frozenset[str]
    mass: frozenset[str]  # codes
    effect_of: dict[str, MaterielEffect]
    patterns: tuple[tuple[str, int, re.Pattern[str]], ...]
    item: re.Pattern[str]
    stop_words: frozenset[str]
    object_words: frozenset[str]
    # every pattern needs an item alias and an effect word (or take verb): a cheap test first
    item_cue: re.Pattern[str] | None = None
    effect_cue: re.Pattern[str] | None = None
    # "..., destroying it" / "destroying a tank and disabling another": an effect word before a
    # pronoun, and an item the act was aimed at ("on a vehicle of the PKK", "targeted a Humvee")
    back_ref: re.Pattern[str] | None = None
    aimed_item: re.Pattern[str] | None = None


def _plural(word: str) -> str:
    if re.search(r"(?:s|x|ch|sh)$", word, re.IGNORECASE):
        return word + "es"
    return word + "s"


@functools.lru_cache(maxsize=1)
def _materiel_lexicon() -> _MaterielLexicon:
    data = _read_yaml("materiel")
    where = "lexicons/materiel.yaml"
    clex = _count_lexicon()
    kinds = data.get("kinds")
    if not isinstance(kinds, list) or not kinds:
        raise CodebookError(f"{where}: `kinds` must be a non-empty list", fix="list the materiel kinds")
    kind_of: dict[str, str] = {}
    singular: set[str] = set()
    plural: set[str] = set()
    mass: set[str] = set()
    for k in kinds:
        code = k.get("code") if isinstance(k, dict) else None
        if not isinstance(code, str) or not re.fullmatch(r"[a-z0-9_]+", code):
            raise CodebookError(f"{where}: kind without a valid code: {k!r}", fix="give each kind a lowercase `code`")
        aliases = [_norm(a) for a in _words(k, "aliases", where)]
        plurals = [_norm(a) for a in k["plurals"]] if "plurals" in k else [_norm(_plural(a)) for a in aliases]
        if k.get("number") == "mass":
            mass.add(code)
        for a in aliases + plurals:
            if kind_of.get(a, code) != code:
                raise CodebookError(f"{where}: alias {a!r} belongs to {kind_of[a]} and {code}", fix="keep aliases unique")
            kind_of[a] = code
        singular.update(aliases)
        plural.update(plurals)

    effects = _section(data, "effects", where)
    effect_of: dict[str, MaterielEffect] = {}
    active: list[str] = []
    post: list[str] = []
    for eff, entry in effects.items():
        try:
            me = MaterielEffect(eff)
        except ValueError:
            raise CodebookError(f"{where}: unknown effect {eff!r}", fix="use destroyed, disabled or captured") from None
        for part, bucket in (("active", active), ("post", post)):
            for p in _words(entry, part, where):
                key = _norm(p)
                if effect_of.get(key, me) != me:
                    raise CodebookError(f"{where}: effect word {p!r} is listed twice", fix="keep it under one effect")
                effect_of[key] = me
                bucket.append(key)
    spoils = _section(data, "spoils", where)
    spoil_src = _bounded(_words(spoils, "phrases", where))
    take_src = _bounded(_words(spoils, "take_verbs", where))

    mstop = {_norm(x) for x in _words(data, "modifier_stop_words", where)} | set(clex.number_words)
    mstop |= set(effect_of) | {t for p in effect_of for t in p.split()}
    mod = rf"(?!{_alt(mstop)}(?![\w'’-]))[^\W\d_][\w'’]*(?:-[\w'’]+)*"
    alias = rf"(?<![\w-]){_alt(kind_of)}(?![\w/-])"
    qty = clex.qty_materiel

    def item(named: bool) -> str:
        # "a T-72 tank": the first alias names the kind, the last one says singular or plural
        q = rf"(?P<qty>{qty})" if named else qty
        a = rf"(?P<alias>{alias})" if named else alias
        a2 = rf"(?P<alias2>{alias})" if named else alias
        # "dozens of weapons", "hundreds of rifles": a vague quantity takes "of" before the items
        return (rf"(?<![\w'’-])(?:{q}\s+(?:of\s+(?=[^\W\d_]))?)?(?:of\s+(?:the|their|its|his|her)\s+)?"
                rf"(?:{mod}\s+){{0,2}}?{a}(?:\s+{a2})?")

    it = item(False)
    lst = rf"(?P<list>{it}(?:{_SEP}\s+{it})*)"
    maux = rf"(?:\s+{_bounded(_words(data, 'auxiliaries', where))})*"

    patterns = (
        ("spoils_after", 0, _compile(rf"(?P<eff>{take_src})\s+{lst}\s+(?P<spoils>{spoil_src})")),
        ("spoils_before", 0, _compile(rf"(?P<eff>{take_src})\s+(?P<spoils>{spoil_src})\s+{lst}")),
        ("spoils_post", 0, _compile(rf"{lst}{maux}\s+(?P<eff>{take_src})\s+(?P<spoils>{spoil_src})")),
        ("active", 1, _compile(rf"(?<![\w-])(?P<eff>{_alt(active)})\s+{lst}")),
        ("post", 1, _compile(rf"{lst}(?P<aux>{maux})\s+(?P<eff>{_alt(post)})(?![\w-])")),
    )
    return _MaterielLexicon(
        version=str(data["version"]),
        stop_words=frozenset(mstop),
        object_words=clex.object_words,
        kind_of=kind_of,
        singular=frozenset(singular),
        plural=frozenset(plural),
        mass=frozenset(mass),
        effect_of=effect_of,
        patterns=patterns,
        item=_compile(item(True)),
        item_cue=_compile(alias),
        effect_cue=_compile(rf"(?:{take_src})|(?<![\w-])(?:{_alt(active + post)})(?![\w-])"),
        back_ref=_compile(rf"(?<![\w-])(?P<eff>{_alt(active)})\s+(?P<pro>it|them|another)(?![\w-])(?!\s+{alias})")
        if data.get("aim_words") else None,
        aimed_item=_compile(rf"(?<![\w-])(?:{_alt(_words(data, 'aim_words', where))})\s+{item(True)}")
        if data.get("aim_words") else None,
    )


def find_materiel(text: str, start: int = 0, end: int | None = None) -> list[Materiel]:
    """Materiel destroyed, disabled or captured in ``text[start:end]``, in text order.

    Each item of a list is its own record: "destroying 5 BMPs, a bulldozer and a Humvee" gives
    bmp x5, bulldozer x1 and humvee x1, all destroyed. ``Materiel.text`` is the item phrase,
    ``Materiel.spans`` are (item, effect word[, spoils phrase]); ``count.spans`` are
    (number phrase or item noun, effect word). A bare plural ("seized weapons") or a mass
    noun ("ammunition") has Count(None, None, unspecified).
    """
    lex = _materiel_lexicon()
    clex = _count_lexicon()
    hi = len(text) if end is None else max(start, min(end, len(text)))
    lo = max(0, min(start, hi))
    found: list[tuple[int, int, Materiel]] = []  # (priority, order, record)
    active_effects: list[Span] = []
    if lex.item_cue is not None and lex.effect_cue is not None and not (
            lex.item_cue.search(text, lo, hi) and lex.effect_cue.search(text, lo, hi)):
        return []
    for name, priority, pattern in lex.patterns:
        for m in _search_all(pattern, text, lo, hi):
            eff_span = m.span("eff")
            prio = priority
            if name == "active":
                active_effects.append(eff_span)
            if name == "post" and not m.group("aux").strip():
                # "The drone hit an armoured vehicle": without an auxiliary the effect word is
                # a participle only if nothing object-like follows and no item list follows it
                if any(spans_overlap(eff_span, a) for a in active_effects):
                    continue
                if not _PUNCT_OR_END.match(text, eff_span[1], hi):
                    nxt = _next_word(text, eff_span[1], hi).lower()
                    if nxt not in lex.stop_words or nxt in lex.object_words:
                        continue
                prio = 2
            spoils_span = m.span("spoils") if "spoils" in pattern.groupindex else None
            if spoils_span is not None:
                effect = MaterielEffect.CAPTURED
            else:
                effect = lex.effect_of[_norm(m.group("eff"))]
            ls, le = m.span("list")
            for im in lex.item.finditer(text, ls, le):
                alias_text = _norm(im.group("alias"))
                code = lex.kind_of.get(alias_text)
                if code is None:  # pragma: no cover - the regex matches only known aliases
                    continue
                count = _materiel_count(text, im, alias_text, code, lex, clex, eff_span)
                if count is None:
                    continue
                spans: tuple[Span, ...] = (im.span(), eff_span) + ((spoils_span,) if spoils_span else ())
                rec = Materiel(kind=code, count=count, effect=effect, text=im.group(0), spans=spans)
                found.append((prio, im.start(), rec))
    found.extend((3, rec.spans[0][0], rec) for rec in _referred_materiel(text, lo, hi, lex, clex, found))
    accepted: list[Materiel] = []
    for _, _, rec in sorted(found, key=lambda x: (x[0], x[1])):
        if any(spans_overlap(rec.spans[0], a.spans[0]) for a in accepted):
            continue
        accepted.append(rec)
    return sorted(accepted, key=lambda r: r.spans[0])


def _referred_materiel(text: str, lo: int, hi: int, lex: _MaterielLexicon, clex: _CountLexicon,
                       found: list[tuple[int, int, Materiel]]) -> list[Materiel]:
    """Materiel an effect word names by a pronoun, in its sentence: "detonated a device on a
    vehicle of the PKK, destroying it" (the item the act was aimed at: after one of the
    lexicon's ``aim_words``), "targeted two Humvees, destroying them", and "destroying a tank
    and disabling another" (one more of the kind just named)."""
    if lex.back_ref is None or lex.aimed_item is None:
        return []
    out: list[Materiel] = []
    for m in lex.back_ref.finditer(text, lo, hi):
        eff_span, pro = m.span("eff"), m.group("pro").lower()
        start = max(lo, max((text.rfind(c, lo, m.start()) + 1 for c in ".;!?\n"), default=lo))
        effect = lex.effect_of[_norm(m.group("eff"))]
        if pro == "another":
            before = [rec for _, at, rec in found if start <= at < m.start()]
            if before:
                prev = max(before, key=lambda r: r.spans[0])
                out.append(Materiel(kind=prev.kind, count=Count(1, 1, Qualifier.EXACT, (m.span("pro"), eff_span)),
                                    effect=effect, text=m.group("pro"), spans=(m.span("pro"), eff_span)))
            continue
        aimed = list(lex.aimed_item.finditer(text, start, m.start()))
        if not aimed:
            continue
        im = aimed[-1]
        alias_text = _norm(im.group("alias"))
        code = lex.kind_of.get(alias_text)
        last = _norm(im.group("alias2")) if im.group("alias2") else alias_text
        plural = last in lex.plural and last not in lex.singular
        if code is None or (pro == "it") == plural:
            continue  # "it" for one item, "them" for several
        count = _materiel_count(text, im, alias_text, code, lex, clex, eff_span)
        if count is not None:
            a = im.start("qty") if im.group("qty") else im.start("alias")
            out.append(Materiel(kind=code, count=count, effect=effect, text=text[a:im.end()], spans=((a, im.end()), eff_span)))
    return out


def _materiel_count(
    text: str,
    im: re.Match[str],
    alias: str,
    code: str,
    lex: _MaterielLexicon,
    clex: _CountLexicon,
    eff_span: Span,
) -> Count | None:
    last = _norm(im.group("alias2")) if im.group("alias2") else alias
    is_sing = last in lex.singular and last not in lex.plural
    if im.group("qty"):
        q = _norm(im.group("qty"))
        qspan = im.span("qty")
        if q == "the":
            if is_sing and code not in lex.mass:
                return Count(1, 1, Qualifier.EXACT, (qspan, eff_span))
            return Count(None, None, Qualifier.UNSPECIFIED, (im.span("alias"), eff_span))
        read = _read_quantity(q, clex)
        if read is None:
            return None
        return Count(read[0], read[1], read[2], (qspan, eff_span))
    if is_sing and code not in lex.mass:
        return Count(1, 1, Qualifier.EXACT, (im.span("alias"), eff_span))
    return Count(None, None, Qualifier.UNSPECIFIED, (im.span("alias"), eff_span))
