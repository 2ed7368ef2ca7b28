"""Find date expressions in report text and normalise them to :class:`~eventcoder.records.DateValue`.

:func:`find_dates` scans a whole document and returns every date expression it knows, in text
order, as a :class:`DateMention` whose ``value.spans`` are ``(start, end)`` offsets into the text.
:func:`parse_date` is the convenience form for one expression.

What is recognised (the words live in ``data/calendars/gregorian.yaml`` and
``data/calendars/hijri_months.yaml``, both versioned):

* absolute Gregorian dates: ``7 February``, ``February 7``, ``Feb. 7, 1989``, ``7 Feb 89``,
  ``07/02/89``, ``2017-01-01``, ``January 1990``, ``in January``, ``in 1989``, ``1989 CE``, ranges
  (``between 9 and 11 December``, ``9-11 December 2016``, ``from 3 to 5 March``,
  ``30 November to 2 December``, ``December 9-11``, ``between 1989 and 1991``);
* Hijri dates in English transliteration (``the 7th of Rabi' al-Awwal 1438``, ``Ramadan 1437``,
  ``1438 AH``) and numerically (``07/03/1438``: a four-digit year 1301-1599 is always Hijri);
* weekdays (``Tuesday``, ``last Tuesday``), vague parts (``early January``, ``mid-2016``,
  ``earlier this month``) and relative expressions (``yesterday``, ``two days ago``,
  ``the following day``, ``last week``, ``sometime later``).

Resolution rules (none of them reads the machine clock):

* A date written without a year takes the most recent year in which it is not after the
  publication date ("within a year"; for a Gregorian date the day after it counts too, for the
  time zones of datelines and GMT times), and gets ``year_inferred=True``. Without a publication
  date, the last absolute date earlier in the same paragraph is used instead; without either,
  the mention is kept with ``start=end=None`` and precision ``unknown``. In a clause about the
  future (a marker of ``future_markers`` in the Gregorian table before the date, "who will take
  office on 1 June", "the elections scheduled for 11 March", with no word of ``future_ends``, a
  past tense or a relative pronoun, between them, and no "of" right before the date) the year
  is the next in which the date is not before the publication date.
* Relative, weekday and "earlier this ..." expressions resolve against the last *absolute* date
  earlier in the same paragraph that names a day not after the publication date
  (``DateMention.anchor`` is its span), else the publication date (``anchor=None``). A month or
  a year named in passing ("whose director was killed in December 1986", "the April 1990
  elections") is background and anchors nothing: "20 days ago" after it counts from the
  publication date. Paragraphs are separated by a blank line; a heading line (a short first line
  of a block with no final punctuation, or a line starting with ``#``) is a paragraph of its own.
  A phrase that refers back to a day told before it ("On the same day", "the following day",
  "two days later": ``carry_over`` and ``carry_over_directions`` in the Gregorian table) and has
  no anchor in its own paragraph takes the last anchor of an earlier paragraph of its section,
  unless a one-line heading paragraph ("Wilayat al-Khayr") stands between; "yesterday" and
  "ago" count from the time of writing there.
* Relatives count from the anchor's reference day: the day itself, the last day of a range of
  days, the first day of a month or year; a Hijri anchor's one-day doubt carries over ("two days
  after 19 Rabi' al-Awwal 1438" = 2016-12-20 .. 2016-12-22). Counting days from a month or a year
  gives precision ``unknown`` and the shifted window. Weeks run Monday to Sunday.
* ``last night`` is the anchor day minus one; any day-precision expression naming a night
  ("last night", "Friday night", "the same night") ends one day later, since a night runs past
  midnight (reports and answer keys date night attacks either side of it). ``sometime later`` / ``later`` is the window
  anchor .. anchor + 30 days, precision ``unknown``; other open-ended phrases are in the YAML.
* A local time followed by the same moment in GMT, as the wire services write it, dates the act
  by the local day: a date in the GMT half is dropped when the local time has its own ("at 2100
  on 15 January (0100 GMT on 16 Jan)" is 15 January) and otherwise moved by the difference of
  the two times, the zone taken between -12 and +14 hours ("at 2230 (0230 GMT on 12 January)"
  is 11 January, its span the whole pair).
* Two-digit years: the century that puts the year at most one year after the publication year;
  without a publication date 00-49 are 20xx and 50-99 are 19xx.
* ``07/02/89`` is read day first when ``day_first`` (else month first); when only the other
  order gives a valid date, that order is used. Numeric Hijri dates are always day first.
* Hijri dates convert with the tabular (arithmetic) calendar by default, or Umm al-Qura with
  ``hijri_calendar="umm_al_qura"`` (tabular outside the Umm al-Qura table, 1343-1500 AH). Every
  Hijri window is widened by one day on each side (``start`` = converted first day - 1,
  ``end`` = converted last day + 1) because the two calendars and local sightings disagree by a
  day; the precision is unchanged and ``value.text`` keeps the Hijri expression. A weekday
  written before the day settles the doubt: "Monday, 21 Sha'ban 1444" is the one day of the
  three that is a Monday (a weekday none or two of them have leaves the window).
* Ranges of days have precision ``day`` with ``start < end``; vague parts of a month ("early
  January" = 1-10, "mid" = 11-20, "late" = 21-end) have precision ``month``, of a year
  ("late 2016" = September-December) precision ``year``.

Spans cover the expression itself: a preposition before it ("on Tuesday", "in 1989", "since
2014") is left out; "the" ("the 7th of ..."), a range's "between"/"from" and "last" are kept.
Not dates: bare numbers ("killing 7", "a crowd of 2000", "AK-47", "1,200", "10:30"), a bare year
without "in"/"since"/"during"/"until"/"throughout" before it or an era mark after it, lower-case
"may"/"march" in a text that has capital letters, "the day before the vote" (only a clause-final
"the day before"/"two days after" is relative to the anchor). After "in"/"since"/"of"/... a month
followed by a day number is a day ("since February 7, officials said", "the morning of March 3 a
bomb ..."), unless a noun follows the number ("in January 12 attacks were recorded": the month).

Known limits: "9 and 11 December" yields only "11 December"; "in 2000 cases" is read as a year;
bare "later" is an open-ended relative; transliterations with diacritics ("Ramaḍān") and Arabic
script are not recognised; week/month/year arithmetic is Gregorian even from a Hijri anchor.

The tables are read and the regular expression compiled on first use and cached for the life of
the process by :func:`load_tables` (``load_tables.cache_clear()`` drops them); importing this
module does no work.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

import jsonschema
import yaml
from convertdate import islamic
from hijridate import Gregorian as _UQGregorian
from hijridate import Hijri as _UQHijri

from eventcoder.datafiles import safe_load
from eventcoder.errors import CodebookError, ConfigError, EventcoderError
from eventcoder.patterns import trie
from eventcoder.records import Calendar, DatePrecision, DateValue, Span

__all__ = [
    "EXTRACTOR",
    "HIJRI_CALENDARS",
    "KINDS",
    "DateMention",
    "Tables",
    "find_dates",
    "load_tables",
    "paragraph_starts",
    "parse_date",
    "table_versions",
]

EXTRACTOR = "dates.rules.v1"
HIJRI_CALENDARS = ("tabular", "umm_al_qura")
KINDS = ("absolute", "relative", "weekday", "vague")

_ONE = dt.timedelta(days=1)
_RANK = {
    DatePrecision.DAY: 0,
    DatePrecision.WEEK: 1,
    DatePrecision.MONTH: 2,
    DatePrecision.YEAR: 3,
    DatePrecision.UNKNOWN: 4,
}
_UNIT_PRECISION = {"week": DatePrecision.WEEK, "weekend": DatePrecision.DAY, "month": DatePrecision.MONTH,
                   "year": DatePrecision.YEAR}


@dataclass(frozen=True)
class DateMention:
    """One date expression found in a text.

    ``value.spans`` holds the one ``(start, end)`` span of the expression in the full text;
    ``kind`` is ``absolute``, ``relative``, ``weekday`` or ``vague``; ``anchor`` is the span of
    the date mention the expression was resolved against (``None``: the publication date, or
    nothing because it could not be resolved).
    """

    value: DateValue
    kind: str
    anchor: Span | None = None

    @property
    def span(self) -> Span:
        return self.value.spans[0]


# --------------------------------------------------------------------------
# Tables: versioned YAML, validated, turned into one compiled regular expression


_WORDS = {"type": "array", "items": {"type": "string", "minLength": 1}}
_VERSIONED = {
    "name": {"type": "string"},
    "version": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
    "description": {"type": "string"},
}
GREGORIAN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "version", "months", "weekdays", "ordinals", "two_digit_years", "year_triggers",
                 "month_triggers", "range_openers", "range_connectors", "vague", "relative"],
    "properties": {
        **_VERSIONED,
        "months": {
            "type": "object",
            "propertyNames": {"pattern": "^([1-9]|1[0-2])$"},
            "minProperties": 12,
            "additionalProperties": {
                "type": "object",
                "required": ["name", "abbreviations"],
                "properties": {"name": {"type": "string"}, "abbreviations": _WORDS},
            },
        },
        "weekdays": {
            "type": "object",
            "propertyNames": {"pattern": "^[0-6]$"},
            "minProperties": 7,
            "additionalProperties": _WORDS,
        },
        "ordinals": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 31}},
        "future_markers": _WORDS,
        "future_ends": _WORDS,
        "verbs_after_ambiguous": {"type": "object", "additionalProperties": _WORDS},
        "two_digit_years": {
            "type": "object",
            "required": ["pivot_without_publication", "followers"],
            "properties": {"pivot_without_publication": {"type": "integer"}, "followers": _WORDS},
        },
        "vague": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["words", "days", "months"],
                "properties": {
                    "words": _WORDS,
                    "days": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
                    "months": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
                },
            },
        },
        "relative": {
            "type": "object",
            "required": ["numbers", "approximate_numbers", "units", "backward", "forward", "clause_final_only",
                         "fixed", "open_ended", "periods", "earlier_in_period", "weekday_last", "month_last",
                         "month_this"],
            "properties": {
                "numbers": {"type": "object", "additionalProperties": {"type": "integer"}},
                "fixed": {"type": "object", "additionalProperties": {"type": "integer"}},
                "carry_over": _WORDS,
                "carry_over_directions": _WORDS,
                "periods": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "prefixItems": [
                        {"enum": ["week", "weekend", "month", "year"]}, {"type": "integer"}], "minItems": 2, "maxItems": 2},
                },
                "earlier_in_period": {"type": "object", "additionalProperties": {"enum": ["week", "month", "year"]}},
                "weekday_weeks": {"type": "object", "additionalProperties": {"type": "integer"}},
            },
        },
    },
}
HIJRI_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "version", "apostrophes", "months"],
    "properties": {
        **_VERSIONED,
        "apostrophes": {"type": "string", "minLength": 1},
        "months": {
            "type": "object",
            "propertyNames": {"pattern": "^([1-9]|1[0-2])$"},
            "minProperties": 12,
            "additionalProperties": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "names": _WORDS, "stems": _WORDS, "suffixes": _WORDS},
                "anyOf": [{"required": ["names"]}, {"required": ["stems", "suffixes"]}],
            },
        },
    },
}


def _stringify_keys(data: Any) -> Any:
    if isinstance(data, dict):
        return {str(k): _stringify_keys(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_stringify_keys(v) for v in data]
    return data


def _read_table(filename: str, schema: dict[str, Any]) -> dict[str, Any]:
    ref = resources.files("eventcoder").joinpath("data", "calendars", filename)
    where = f"data/calendars/{filename}"
    try:
        data = safe_load(ref.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CodebookError(f"cannot read the calendar table {where}: {exc}",
                            fix="restore the file from the eventcoder package") from None
    try:
        jsonschema.validate(_stringify_keys(data), schema)
    except jsonschema.ValidationError as exc:
        path = "/".join(str(p) for p in exc.absolute_path) or "(top)"
        raise CodebookError(f"calendar table {where} is invalid at {path}: {exc.message}",
                            fix=f"correct {where} so that it matches the shape described at its top") from None
    return data


# Pieces of pattern shared by the tables.
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014"
_DASH = f"[{_DASHES}]"
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?!\d)"
_ORDSUF = r"(?:st|nd|rd|th)?"
_NB = r"(?<![\w.,/:$£€#%+\-\u2013])"  # a number starts here: not inside 1,200 / 10:30 / AK-47
_YG4 = r"(?:1[89]|2[01])\d\d(?!\w)"
_ERAS = r"(?-i:AH|A\.H\.|H|CE|C\.E\.|AD|A\.D\.)"  # era marks are case-sensitive: "ad" is a word
_ERA_G = r"(?:\s*(?-i:CE|AD|C\.E\.|A\.D\.)(?!\w))?"
_ERA_H = r"(?:\s*(?-i:AH|A\.H\.|H)(?!\w))?"
_YH = r"1[3-5]\d\d(?!\w)" + _ERA_H
_APOS_YEAR = r"['’‘]\d\d(?!\w)"
_DIGIT, _HIJRI = "<digit>", "<hijri>"  # first-token classes besides words
_CLAUSE_END = r"(?=[^\S\n]*(?:[,.;:!?)\]\"”]|\n|\Z))"


_SPACE, _HYPHEN = f"(?:\\s*{_DASH}\\s*|\\s+)", f"(?:{_DASH}|\\s)?"


def _atoms(phrase: str) -> list[str]:
    """A phrase as regex atoms: a space matches white space or a dash ("twenty first" = "twenty-first"),
    a hyphen matches a dash, a space or nothing ("mid-" = "mid")."""
    out: list[str] = []
    for i, word in enumerate(phrase.split()):
        if i:
            out.append(_SPACE)
        for j, part in enumerate(word.split("-")):
            if j:
                out.append(_HYPHEN)
            out.extend(re.escape(c) for c in part)
    return out


def _alt(phrases: Iterable[str]) -> str:
    """Any of ``phrases`` (case is left to the IGNORECASE flag)."""
    return trie(_atoms(p.lower()) for p in {p.strip() for p in phrases} if p)


def _translit(variant: str, apostrophes: str) -> str:
    """A Hijri spelling as a pattern (see the rules at the top of hijri_months.yaml)."""
    apos = "[" + re.escape(apostrophes) + "]?"
    sep = f"(?:\\s*{_DASH}\\s*|\\s+)?"
    out: list[str] = []
    i, n = 0, len(variant)
    while i < n:
        c = variant[i]
        if c in apostrophes:
            out.append(apos)
            i += 1
        elif c in " -":
            while i < n and variant[i] in " -":
                i += 1
            out.append(sep)
        elif variant[i:].lower() == "ah" and i > 0:
            out.append("ah?")
            i = n
        elif c.isalpha() and i + 1 < n and variant[i + 1].lower() == c.lower():
            out.append(re.escape(c) + "{1,2}")
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def _hijri_month_pattern(entry: dict[str, Any], apostrophes: str) -> str:
    parts = [_translit(v, apostrophes) for v in sorted(entry.get("names", []), key=len, reverse=True)]
    if entry.get("stems"):
        stems = "|".join(_translit(v, apostrophes) for v in sorted(entry["stems"], key=len, reverse=True))
        sufs = "|".join(_translit(v, apostrophes) for v in sorted(entry["suffixes"], key=len, reverse=True))
        apos = "[" + re.escape(apostrophes) + "]?"
        parts.append(f"(?:{stems})(?:\\s*{_DASH}\\s*|\\s+)?{apos}(?:{sufs})")
    return "(?:" + "|".join(parts) + ")"


class _LazyPatterns(dict):
    """word -> compiled pattern, built on first lookup."""

    def __init__(self, build: Callable[[str], re.Pattern[str]]):
        super().__init__()
        self._build = build

    def __missing__(self, word: str) -> re.Pattern[str]:
        pattern = self[word] = self._build(word)
        return pattern


class Tables:
    """The calendar tables and the compiled pattern built from them. Build with :func:`load_tables`."""

    def __init__(self, gregorian: dict[str, Any], hijri: dict[str, Any]):
        g, r = gregorian, gregorian["relative"]
        self.versions = {"gregorian": str(g["version"]), "hijri_months": str(hijri["version"])}
        self.g_months: dict[str, int] = {}
        full, abbr = [], []
        for num, entry in g["months"].items():
            self.g_months[entry["name"].lower()] = int(num)
            full.append(entry["name"])
            for a in entry["abbreviations"]:
                self.g_months[a.lower()] = int(num)
                abbr.append(a)
        self.ambiguous = {w.lower() for w in g.get("ambiguous_lowercase", [])}
        # "this may have been an attack": the word is the verb, not the month
        self.verb_after = {w.lower(): re.compile(r"[^\S\n]+" + _alt(after) + r"(?![\w'’-])", re.I)
                           for w, after in (g.get("verbs_after_ambiguous") or {}).items() if after}
        names = g.get("name_nouns", [])
        # "the 19 April Movement", "15 September Street": a date that begins a name
        self.name_after = re.compile(r"[^\S\n]+" + _alt(names) + r"(?!\w)", re.I) if names else None
        # "who will take office on 1 June": a date without a year in a clause about the future
        markers = g.get("future_markers", [])
        self.future = re.compile(r"(?<![\w'’])" + _alt(markers) + r"(?!\w)", re.I) if markers else None
        ends = g.get("future_ends", [])
        self.future_ends = re.compile(r"(?<![\w'’])" + _alt(ends) + r"(?!\w)", re.I) if ends else None
        self.weekdays = {w.lower(): int(num) for num, words in g["weekdays"].items() for w in words}
        self.ordinals = {_norm(k): int(v) for k, v in g["ordinals"].items()}
        self.pivot = int(g["two_digit_years"]["pivot_without_publication"])
        self.numbers = {_norm(k): int(v) for k, v in r["numbers"].items()}
        self.approx = {_norm(k): (int(v[0]), int(v[1])) for k, v in r["approximate_numbers"].items()}
        self.units = {_norm(k): v for k, v in r["units"].items()}
        self.fixed = {_norm(k): int(v) for k, v in r["fixed"].items()}
        self.carry_over = frozenset(_norm(k) for k in r.get("carry_over") or [])
        self.carry_over_directions = frozenset(_norm(k) for k in r.get("carry_over_directions") or [])
        self.open = {_norm(k): (int(v[0]), int(v[1])) for k, v in r["open_ended"].items()}
        self.periods = {_norm(k): (v[0], int(v[1])) for k, v in r["periods"].items()}
        self.earlier = {_norm(k): v for k, v in r["earlier_in_period"].items()}
        self.weekday_weeks = {_norm(k): int(v) for k, v in (r.get("weekday_weeks") or {}).items()}
        self.month_last = {_norm(w) for w in r["month_last"]}
        self.vague_words: dict[str, str] = {}
        self.vague: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {}
        for part, spec in g["vague"].items():
            self.vague[part] = (tuple(spec["days"]), tuple(spec["months"]))  # type: ignore[assignment]
            for w in spec["words"]:
                self.vague_words[_norm(w)] = part

        apostrophes = hijri["apostrophes"]
        self.h_patterns = {int(num): _hijri_month_pattern(e, apostrophes) for num, e in hijri["months"].items()}
        self.h_months = [(num, re.compile(p, re.IGNORECASE)) for num, p in sorted(self.h_patterns.items())]
        hijri_starts = {_hijri_start(v, apostrophes) for e in hijri["months"].values()
                        for v in (*e.get("names", []), *e.get("stems", []))}

        gm = f"(?:{_alt(full)}|{_alt(abbr)}\\.?+)(?!\\w)"  # "Sept." keeps its dot: no backtracking to "Sept"
        self.alternatives = self._alternatives(g, gm)
        self._build_dispatch(g, gm, hijri_starts)

    def _alternatives(self, g: dict[str, Any], gm: str) -> dict[str, str]:
        """The alternatives, in priority order: where two match at the same place, the first wins."""
        r = g["relative"]
        hm = "(?:" + "|".join(self.h_patterns[k] for k in sorted(self.h_patterns)) + ")(?!\\w)"
        wd = _alt(self.weekdays) + r"(?!\w)"
        ordw = _alt(self.ordinals) + r"(?!\w)"
        parts = _alt(g["parts_of_day"])
        papers = "|".join(re.escape(w) for w in g["weekday_not_before"])
        follow = (r"(?=[^\S\n]*(?:\Z|\n|[\-\u2013\u2014,.;:()\[\]\"'’/])|\s+"
                  + _alt(g["two_digit_years"]["followers"]) + r"(?!\w))")
        yg = f"(?:{_YG4}{_ERA_G}|{_APOS_YEAR}|\\d\\d(?!\\w){follow})"
        openers = _alt(g["range_openers"])
        conn_words = _alt(g["range_connectors"])

        def wdpre(p: str) -> str:  # a weekday before the date: "Monday, 21 Sha'ban"
            return f"(?:(?P<{p}_wd>{wd}),?\\s+)?"

        def conn(p: str) -> str:
            return f"(?:\\s*(?P<{p}_c>{_DASH})\\s*|\\s+(?P<{p}_w>{conn_words})\\s+)"

        def my(p: str) -> str:  # a month with an optional year of its calendar
            return (f"(?:(?P<{p}_gm>{gm})(?:(?:,?\\s+|-)(?P<{p}_gy>{yg}))?"
                    f"|(?P<{p}_hm>{hm})(?:,?\\s+(?P<{p}_hy>{_YH}))?)")

        fixed_free = [k for k in r["fixed"] if k.split()[-1] not in r["clause_final_only"]]
        fixed_final = [k for k in r["fixed"] if k.split()[-1] in r["clause_final_only"]]
        back_free = [w for w in r["backward"] if w not in r["clause_final_only"]]
        back_final = [w for w in r["backward"] if w in r["clause_final_only"]]
        fwd_free = [w for w in r["forward"] if w not in r["clause_final_only"]]
        fwd_final = [w for w in r["forward"] if w in r["clause_final_only"]]
        number = f"(?:{_alt(list(r['approximate_numbers']) + list(r['numbers']))}|{_NB}\\d{{1,3}}(?!\\d))"

        return {
            "yr": f"(?P<yr_o>{openers})\\s+(?P<yr_a>{_YG4}){conn('yr')}(?P<yr_b>{_YG4})",
            "r2": (f"(?:(?P<r2_o>{openers})\\s+)?(?:the\\s+)?{_NB}(?P<r2_a>{_DAY}){_ORDSUF}(?:\\s+of)?\\s+"
                   f"(?:(?P<r2_gm1>{gm})|(?P<r2_hm1>{hm}))(?:,?\\s+(?P<r2_y1>\\d{{4}})(?!\\w)(?:{_ERA_G}|{_ERA_H}))?"
                   f"{conn('r2')}(?:the\\s+)?(?P<r2_b>{_DAY}){_ORDSUF}(?:\\s+of)?\\s+{my('r2')}"),
            "r1": (f"(?:(?P<r1_o>{openers})\\s+)?(?:the\\s+)?{_NB}(?P<r1_a>{_DAY}){_ORDSUF}"
                   f"(?P<r1_l>(?:\\s*,\\s*{_DAY}{_ORDSUF})*,?){conn('r1')}"
                   f"(?:the\\s+)?(?P<r1_b>{_DAY}){_ORDSUF}(?:\\s+of)?\\s+{my('r1')}"),
            "r3": (f"(?:(?P<r3_o>{openers})\\s+)?(?P<r3_gm>{gm})\\s+(?P<r3_a>{_DAY}){_ORDSUF}"
                   f"(?P<r3_l>(?:\\s*,\\s*{_DAY}{_ORDSUF})*,?){conn('r3')}"
                   f"(?P<r3_b>{_DAY}){_ORDSUF}(?!\\w|[.,:]\\d)(?:,?\\s+(?P<r3_gy>{_YG4}))?"),
            "num": (f"{wdpre('num')}{_NB}(?:(?P<num_a>\\d{{1,2}})(?P<num_s>[/.\\-])(?P<num_b>\\d{{1,2}})(?P=num_s)"
                    f"(?P<num_c>\\d{{4}}|\\d{{2}})|(?P<num_y>\\d{{4}})(?P<num_t>[/.\\-])(?P<num_m>\\d{{1,2}})"
                    f"(?P=num_t)(?P<num_d>\\d{{1,2}}))(?![\\w/]|[.:,\\-]\\d)(?P<num_e>{_ERA_H})"),
            "dm": (f"{wdpre('dm')}(?:the\\s+)?(?:{_NB}(?P<dm_d>{_DAY}){_ORDSUF}(?:\\s+(?:day\\s+)?of)?(?:\\s+|-)"
                   f"|(?P<dm_w>{ordw})\\s+(?:day\\s+)?of\\s+){my('dm')}"),
            "md": (f"{wdpre('md')}(?:(?P<md_gm>{gm})\\s+(?:the\\s+)?(?P<md_gd>{_DAY}){_ORDSUF}(?!\\w|[.,:]\\d)"
                   f"(?:,?\\s+(?P<md_gy>{yg}))?"
                   f"|(?P<md_hm>{hm})\\s+(?:the\\s+)?(?P<md_hd>{_DAY}){_ORDSUF}(?!\\w|[.,:]\\d)"
                   f"(?:,?\\s+(?P<md_hy>{_YH}))?)"),
            "my": (f"(?P<my_gm>{gm})(?:,?\\s+|-)(?:of\\s+)?(?P<my_gy>{_YG4}{_ERA_G}|{_APOS_YEAR})"
                   f"|(?P<my_hm>{hm}),?\\s+(?P<my_hy>{_YH})"),
            "vg": (f"(?P<vg_p>{_alt(self.vague_words)})(?:\\s*{_DASH}\\s*|\\s+)"
                   f"(?:{my('vg')}|(?P<vg_y>{_YG4}))"),
            "mr": (f"(?P<mr_r>{_alt(list(r['month_last']) + list(r['month_this']))})\\s+"
                   f"(?:(?P<mr_gm>{gm})|(?P<mr_hm>{hm}))(?![\\s,]+(?:of\\s+)?\\d)"),
            # "since February 7, officials said" / "of March 3 a bomb ...": a day follows, so this
            # is not a bare month; "in January 2 people were killed" stays a month (the number
            # is followed by a noun, not by punctuation or one of the two-digit-year followers).
            "mo": (f"{_alt(g['month_triggers'])}\\s+(?:(?P<mo_gm>{gm})|(?P<mo_hm>{hm}))"
                   f"(?!,?\\s+(?:of\\s+)?\\d{{4}}(?!\\d))(?!\\s+(?:the\\s+)?\\d{{1,2}}{_ORDSUF},?\\s+\\d{{4}}(?!\\d))"
                   f"(?!\\s+(?:the\\s+)?{_NB}{_DAY}(?:(?:st|nd|rd|th)(?!\\w)|{follow}))"),
            "ye": f"{_NB}(?P<ye_y>\\d{{3,4}})\\s*(?P<ye_e>{_ERAS})(?!\\w)",
            "ya": (f"{_alt(g['year_triggers'])}\\s+(?P<ya_y>{_YG4})(?!\\s*{_ERAS}(?!\\w))"
                   f"(?!\\s*{_DASH}\\s*\\d)(?![.,:/]\\d)(?!['’]s)"),
            "rp": (f"(?:(?P<rp_v>{_alt(self.vague_words)})(?:\\s*{_DASH}\\s*|\\s+))?"
                   f"(?P<rp_p>{_alt(r['periods'])})(?!\\w)"),
            "rt": f"{_alt(r['earlier_in_period'])}(?!\\w)",
            "rc": (f"(?P<rc_n>{number})\\s+(?P<rc_u>{_alt(r['units'])})\\s+"
                   f"(?:(?P<rc_b>{_alt(back_free)}|{_alt(back_final)}{_CLAUSE_END})"
                   f"|(?P<rc_f>{_alt(fwd_free)}|{_alt(fwd_final)}{_CLAUSE_END}))(?!\\w)"),
            "rf": (f"(?P<rf_p>{_alt(fixed_free)}(?!\\w)|{_alt(fixed_final)}{_CLAUSE_END})"
                   f"(?:\\s+{parts}(?!\\w))?"),
            "ro": (f"(?P<ro_p>{_alt(r['open_ended'])})(?!\\w)"
                   f"(?!\\s+(?:than|date|stage|time|this|next|in\\s+the|that)\\b)"),
            "wk": (f"(?:(?P<wk_r>{_alt(r['weekday_last'])})\\s+)?(?P<wk_d>{wd})"
                   f"(?!\\s+(?-i:{papers})(?!\\w))(?:\\s+{parts}(?!\\w))?"
                   + (f"(?:\\s+(?P<wk_w>{_alt(r['weekday_weeks'])})(?![\\w'’]))?" if r.get("weekday_weeks") else "(?P<wk_w>(?!))?")),
        }

    def _build_dispatch(self, g: dict[str, Any], gm: str, hijri_starts: set[str]) -> None:
        # Dispatch on the first token: a digit, one of the first words of an alternative, or the
        # first letters of a Hijri month name. Only the alternatives that can start with that token
        # are tried there, in the order above (the first that matches wins). A common first word
        # ("the", "in", "a") is a trigger only when a word that can follow it does ("the" + "next").
        r, alts = g["relative"], self.alternatives
        wd = _alt(self.weekdays) + r"(?!\w)"
        digit, month = r"\d", f"{gm}|{_alt(hijri_starts)}"
        unit = _alt(r["units"]) + r"(?!\w)"
        ordinal_starts = _alt(_first_words(self.ordinals)) + r"(?!\w)"
        months, weekdays = list(self.g_months), list(self.weekdays)
        openers_then = [digit, r"the\s"]
        begins: dict[str, list[Any]] = {  # alternative -> [(first phrases, what may follow a one-word phrase)]
            "yr": [(g["range_openers"], [digit])],
            "r2": [(g["range_openers"], openers_then), (["the"], [digit]), _DIGIT],
            "r1": [(g["range_openers"], openers_then), (["the"], [digit]), _DIGIT],
            "r3": [(g["range_openers"], [gm]), (months, None)],
            "num": [(weekdays, None), _DIGIT],
            "dm": [(weekdays, None), (["the"], [digit, ordinal_starts]), (self.ordinals, None), _DIGIT],
            "md": [(weekdays, None), (months, None), _HIJRI],
            "my": [(months, None), _HIJRI],
            "vg": [(self.vague_words, [month, digit])],
            "mr": [(list(r["month_last"]) + list(r["month_this"]), [month])],
            "mo": [(g["month_triggers"], [month])],
            "ye": [_DIGIT],
            "ya": [(g["year_triggers"], [digit])],
            "rp": [(r["periods"], None), (self.vague_words, [_alt(r["periods"])])],
            "rt": [(r["earlier_in_period"], None)],
            "rc": [(list(r["numbers"]) + list(r["approximate_numbers"]), [unit]), _DIGIT],
            "rf": [(r["fixed"], None)],
            "ro": [(r["open_ended"], None)],
            "wk": [(r["weekday_last"], [wd]), (weekdays, None)],
        }
        assert begins.keys() == alts.keys(), "every alternative needs its first tokens"
        keys: dict[str, set[str]] = {name: set() for name in alts}  # alternative -> first tokens
        follow: dict[str, tuple[set[str], set[str]] | None] = {}  # first word -> (next words, next patterns)
        for name, entries in begins.items():
            for entry in entries:
                if isinstance(entry, str):
                    keys[name].add(entry)
                    continue
                phrases, then = entry
                for phrase in phrases:
                    ws = _norm(phrase).split()
                    keys[name].add(ws[0])
                    if ws[0] in follow and follow[ws[0]] is None:
                        continue
                    if len(ws) == 1 and then is None:
                        follow[ws[0]] = None
                        continue
                    nxt_words, nxt_patterns = follow.setdefault(ws[0], (set(), set()))  # type: ignore[misc]
                    if len(ws) > 1:
                        nxt_words.add(ws[1])
                    else:
                        nxt_patterns.update(then)
        sep = f"(?:\\s+|\\s*{_DASH}\\s*)"

        def trigger_atoms(word: str) -> list[str]:
            nxt = follow[word]
            if nxt is None:
                return [*_atoms(word), r"(?!\w)"]
            options = [f"{_alt(nxt[0])}(?!\\w)"] if nxt[0] else []
            return [*_atoms(word), f"(?={sep}(?:{'|'.join(options + sorted(nxt[1]))}))"]

        self.trigger = re.compile(
            f"(?<!\\w)(?:{_NB}(?P<d>\\d)|(?P<w>{trie(trigger_atoms(w) for w in follow)})|(?P<h>{_alt(hijri_starts)}))",
            re.IGNORECASE)
        compiled: dict[tuple[str, ...], re.Pattern[str]] = {}

        def pattern_for(key: str, also_hijri: bool = False) -> re.Pattern[str]:
            names = tuple(n for n, ks in keys.items() if key in ks or (also_hijri and _HIJRI in ks))
            if names not in compiled:
                body = "|".join(f"(?P<{n}>{alts[n]})" for n in names)
                compiled[names] = re.compile(f"(?<!\\w)(?:{body})", re.IGNORECASE)
            return compiled[names]

        # one pattern per trigger word, compiled when the word is first met (start-up stays short)
        hijri_prefixes = tuple(hijri_starts)
        self.by_word = _LazyPatterns(lambda w: pattern_for(w, w.startswith(hijri_prefixes)))
        self.by_class = {"d": pattern_for(_DIGIT), "h": pattern_for(_HIJRI)}

    def patterns_at(self, text: str) -> Iterator[tuple[int, re.Pattern[str]]]:
        """(offset, pattern to try there) for every place in ``text`` where a date may start."""
        by_word, by_class = self.by_word, self.by_class
        for t in self.trigger.finditer(text):
            kind = t.lastgroup
            yield t.start(), by_word[t.group().lower()] if kind == "w" else by_class[kind]  # type: ignore[index]

    def gregorian_month(self, token: str) -> int | None:
        return self.g_months.get(token.lower().rstrip("."))

    def hijri_month(self, token: str) -> int | None:
        for num, rx in self.h_months:
            if rx.fullmatch(token):
                return num
        return None


def _first_words(phrases: Iterable[str]) -> set[str]:
    return {_norm(p).split()[0] for p in phrases if _norm(p)}


def _hijri_start(variant: str, apostrophes: str) -> str:
    """The first letters every spelling of ``variant`` starts with (doubled letters may be single)."""
    letters = ""
    for c in variant.lower():
        if not c.isalpha() or c in apostrophes or len(letters) == 3:
            break
        if not letters.endswith(c):
            letters += c
    return letters


def _norm(phrase: str) -> str:
    """The lookup key of a phrase: lower case, hyphens and runs of white space as one space."""
    return " ".join(re.sub(f"{_DASH}", " ", phrase.lower()).split())


@functools.lru_cache(maxsize=1)
def load_tables() -> Tables:
    """The packaged calendar tables, validated and compiled once per process (``cache_clear()`` reloads)."""
    return Tables(_read_table("gregorian.yaml", GREGORIAN_SCHEMA), _read_table("hijri_months.yaml", HIJRI_SCHEMA))


# --------------------------------------------------------------------------
# Calendars


class _HijriCalendar:
    """Tabular (convertdate) or Umm al-Qura (hijridate, tabular outside its table) conversions."""

    def __init__(self, name: str):
        self.uq = name == "umm_al_qura"

    def month_length(self, y: int, m: int) -> int:
        if self.uq:
            try:
                return _UQHijri(y, m, 1).month_length()
            except (OverflowError, ValueError):
                pass
        return islamic.month_length(y, m)

    def to_gregorian(self, y: int, m: int, d: int) -> dt.date | None:
        if not (1 <= m <= 12 and 1 <= y <= 9000) or not 1 <= d <= self.month_length(y, m):
            return None
        if self.uq:
            try:
                g = _UQHijri(y, m, d).to_gregorian()
                return dt.date(g.year, g.month, g.day)
            except (OverflowError, ValueError):
                pass
        try:
            return dt.date(*islamic.to_gregorian(y, m, d))
        except (OverflowError, ValueError):
            return None

    def from_gregorian(self, day: dt.date) -> tuple[int, int, int]:
        if self.uq:
            try:
                h = _UQGregorian(day.year, day.month, day.day).to_hijri()
                return h.year, h.month, h.day
            except (OverflowError, ValueError):
                pass
        y, m, d = islamic.from_gregorian(day.year, day.month, day.day)
        return int(y), int(m), int(d)


@dataclass(frozen=True)
class _Res:
    """A resolved window. ``ref`` is the day relatives count from; ``margin`` the ±days of calendar doubt."""

    start: dt.date
    end: dt.date
    precision: DatePrecision
    ref: dt.date
    margin: int = 0
    year_inferred: bool = False

    @property
    def first(self) -> dt.date:  # the first day before widening by the margin
        return self.start + dt.timedelta(days=self.margin)


@dataclass(frozen=True)
class _Ref:
    """What a relative expression is resolved against. ``span`` is None for the publication date."""

    day: dt.date
    start: dt.date
    end: dt.date
    precision: DatePrecision
    margin: int
    span: Span | None


def _month_end(y: int, m: int) -> dt.date:
    return (dt.date(y + m // 12, m % 12 + 1, 1)) - _ONE


def _safe(fn: Callable[..., _Res | None]) -> Callable[..., _Res | None]:
    """Dates outside datetime's range (year 1..9999) resolve to nothing instead of raising."""

    @functools.wraps(fn)
    def wrapper(*args: Any) -> _Res | None:
        try:
            return fn(*args)
        except (OverflowError, ValueError):
            return None

    return wrapper


@_safe
def _greg_days(y1: int, m1: int, d1: int, y2: int, m2: int, d2: int) -> _Res | None:
    start, end = dt.date(y1, m1, d1), dt.date(y2, m2, d2)
    return _Res(start, end, DatePrecision.DAY, end) if start <= end else None


@_safe
def _greg_month(y: int, m: int, lo: int = 1, hi: int = 31) -> _Res | None:
    last = _month_end(y, m)
    start, end = dt.date(y, m, lo), min(last, dt.date(y, m, min(hi, last.day)))
    precision = DatePrecision.MONTH
    return _Res(start, end, precision, start)


@_safe
def _greg_year(y: int, lo: int = 1, hi: int = 12) -> _Res | None:
    start = dt.date(y, lo, 1)
    return _Res(start, _month_end(y, hi), DatePrecision.YEAR, start)


@_safe
def _hijri_days(cal: _HijriCalendar, y1: int, m1: int, d1: int, y2: int, m2: int, d2: int) -> _Res | None:
    a, b = cal.to_gregorian(y1, m1, d1), cal.to_gregorian(y2, m2, d2)
    if a is None or b is None or b < a:
        return None
    return _Res(a - _ONE, b + _ONE, DatePrecision.DAY, b, margin=1)


@_safe
def _hijri_month(cal: _HijriCalendar, y: int, m: int, lo: int = 1, hi: int = 30) -> _Res | None:
    last = cal.month_length(y, m)
    a, b = cal.to_gregorian(y, m, lo), cal.to_gregorian(y, m, min(hi, last))
    if a is None or b is None:
        return None
    return _Res(a - _ONE, b + _ONE, DatePrecision.MONTH, a, margin=1)


@_safe
def _hijri_year(cal: _HijriCalendar, y: int) -> _Res | None:
    a, b = cal.to_gregorian(y, 1, 1), cal.to_gregorian(y, 12, cal.month_length(y, 12))
    if a is None or b is None:
        return None
    return _Res(a - _ONE, b + _ONE, DatePrecision.YEAR, a, margin=1)


def _infer(build: Callable[[int], _Res | None], year: int, limit: dt.date, ahead: bool = False) -> _Res | None:
    """The most recent of ``year`` and ``year - 1`` whose window starts on or before ``limit``;
    a Gregorian day may be one day after it (a wire's dateline is local time, the act may be
    dated in GMT: "0130 GMT on 7 September" in a report filed on 6 September is not a year old;
    a Hijri window already carries its one-day doubt). ``ahead`` (a clause about the future):
    the first of ``year`` and ``year + 1`` whose window ends on or after ``limit``."""
    if ahead:
        for y in (year, year + 1):
            res = build(y)
            if res is not None and res.end is not None and res.end >= limit:
                return replace(res, year_inferred=True)
        return None
    for y in (year, year - 1):
        res = build(y)
        if res is not None and res.first <= (limit + _ONE if res.margin == 0 else limit):
            return replace(res, year_inferred=True)
    return None


@_safe
def _period(unit: str, day: dt.date, n: int) -> tuple[dt.date, dt.date]:
    if unit == "weekend":
        # 0: the last Saturday and Sunday not after ``day`` ("over the weekend"); -1: the one
        # before ``day``'s own weekend, which on a weekday is that same last one ("last weekend"
        # on a Sunday is eight days back, on a Wednesday four)
        saturday = day - dt.timedelta(days=(day.weekday() - 5) % 7)
        if n < 0 and day.weekday() < 5:
            n += 1
        saturday += dt.timedelta(weeks=n)
        return saturday, saturday + dt.timedelta(days=1)
    if unit == "week":
        start = day - dt.timedelta(days=day.weekday()) + dt.timedelta(weeks=n)
        return start, start + dt.timedelta(days=6)
    if unit == "month":
        y, m = divmod(day.year * 12 + day.month - 1 + n, 12)
        return dt.date(y, m + 1, 1), _month_end(y, m + 1)
    return dt.date(day.year + n, 1, 1), dt.date(day.year + n, 12, 31)


# --------------------------------------------------------------------------
# Relative resolution: each builder takes the anchor (_Ref) and returns a window


def _shift_days(lo: int, hi: int) -> Callable[[_Ref], _Res | None]:
    def build(ref: _Ref) -> _Res | None:
        if ref.precision is DatePrecision.DAY:
            start = ref.day + dt.timedelta(days=lo - ref.margin)
            end = ref.day + dt.timedelta(days=hi + ref.margin)
            precision = DatePrecision.DAY if lo == hi else DatePrecision.UNKNOWN
            return _Res(start, end, precision, ref.day + dt.timedelta(days=lo), margin=ref.margin if lo == hi else 0)
        start, end = ref.start + dt.timedelta(days=lo), ref.end + dt.timedelta(days=hi)
        return _Res(start, end, DatePrecision.UNKNOWN, start)

    return build


def _shift_period(unit: str, lo: int, hi: int) -> Callable[[_Ref], _Res | None]:
    unit_precision = _UNIT_PRECISION[unit]

    def build(ref: _Ref) -> _Res | None:
        exact = lo == hi
        if _RANK[ref.precision] <= _RANK[unit_precision]:
            a, b = _period(unit, ref.day, lo), _period(unit, ref.day, hi)
            precision = unit_precision if exact else DatePrecision.UNKNOWN
        else:
            a, b = _period(unit, ref.start, lo), _period(unit, ref.end, hi)
            precision = DatePrecision.UNKNOWN
        if a is None or b is None:
            return None
        return _Res(a[0], b[1], precision, a[0])

    return build


def _earlier_in(unit: str) -> Callable[[_Ref], _Res | None]:
    def build(ref: _Ref) -> _Res | None:
        if ref.precision is DatePrecision.DAY:
            window = _period(unit, ref.day, 0)
            return None if window is None else _Res(window[0], ref.day, _UNIT_PRECISION[unit], window[0])
        window = _period(unit, ref.start, 0)
        return None if window is None else _Res(window[0], ref.end, DatePrecision.UNKNOWN, window[0])

    return build


def _weekday(wd: int, strict: bool) -> Callable[[_Ref], _Res | None]:
    def build(ref: _Ref) -> _Res | None:
        if ref.precision is not DatePrecision.DAY:
            return _Res(ref.start, ref.end, DatePrecision.UNKNOWN, ref.start)
        delta = (ref.day.weekday() - wd) % 7 or (7 if strict else 0)
        day = ref.day - dt.timedelta(days=delta)
        return _Res(day, day, DatePrecision.DAY, day)

    return build


def _weekday_of_week(wd: int, weeks: int) -> Callable[[_Ref], _Res | None]:
    """The weekday ``wd`` of the week ``weeks`` from the anchor's: "Monday last week" (-1)."""
    def build(ref: _Ref) -> _Res | None:
        if ref.precision is not DatePrecision.DAY:
            return _Res(ref.start, ref.end, DatePrecision.UNKNOWN, ref.start)
        monday, _ = _period("week", ref.day, weeks)
        day = monday + dt.timedelta(days=wd)
        return _Res(day, day, DatePrecision.DAY, day)

    return build


# --------------------------------------------------------------------------
# Matching: one handler per alternative of the pattern turns a match into a candidate


@dataclass(frozen=True)
class _Cand:
    kind: str
    span: Span
    calendar: Calendar
    needs: str  # "none": build() | "year": build(limit_day, ahead) | "anchor": build(_Ref)
    build: Callable[..., _Res | None]
    carries: bool = False  # refers back past a paragraph break ("On the same day, ...")


@dataclass(frozen=True)
class _Ctx:
    tables: Tables
    cal: _HijriCalendar
    published: dt.date | None
    day_first: bool
    has_upper: bool


def _year(token: str, ctx: _Ctx) -> int:
    digits = re.search(r"\d+", token).group()  # type: ignore[union-attr]
    y = int(digits)
    if len(digits) == 2:
        if ctx.published is not None:
            y += ctx.published.year // 100 * 100
            if y > ctx.published.year + 1:
                y -= 100
        else:
            y += 2000 if y < ctx.tables.pivot else 1900
    return y


def _g_month(token: str, ctx: _Ctx) -> int | None:
    """Month number of a Gregorian token; None for "may"/"march" in lower case in a cased text."""
    if ctx.has_upper and token.islower() and token.rstrip(".") in ctx.tables.ambiguous:
        return None
    return ctx.tables.gregorian_month(token)


def _month_of(m: re.Match[str], p: str, ctx: _Ctx) -> tuple[Calendar, int] | None:
    if m.group(f"{p}_gm"):
        num = _g_month(m.group(f"{p}_gm"), ctx)
        return None if num is None else (Calendar.GREGORIAN, num)
    num = ctx.tables.hijri_month(m.group(f"{p}_hm"))
    return None if num is None else (Calendar.HIJRI, num)


def _max_day(cal: Calendar, month: int) -> int:
    return 30 if cal is Calendar.HIJRI else (29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)


def _day_builder(cal: Calendar, ctx: _Ctx, m1: int, d1: int, m2: int, d2: int, y: int | None,
                 y1: int | None = None) -> tuple[str, Callable[..., _Res | None]]:
    """(needs, build) for a day or a range of days d1 m1 [y1] .. d2 m2 [y] of either calendar."""
    wraps = (m2, d2) < (m1, d1)  # 28 December to 2 January: the start is in the previous year

    def window(y_end: int, y_start: int | None = None) -> _Res | None:
        ys = y_start if y_start is not None else (y_end - 1 if wraps else y_end)
        if cal is Calendar.HIJRI:
            return _hijri_days(ctx.cal, ys, m1, d1, y_end, m2, d2)
        return _greg_days(ys, m1, d1, y_end, m2, d2)

    if y is not None:
        return "none", lambda: window(y, y1)

    def infer(limit: dt.date, ahead: bool = False) -> _Res | None:
        # Years are counted in the calendar of the expression; the year tried is the start's.
        year = ctx.cal.from_gregorian(limit)[0] if cal is Calendar.HIJRI else limit.year
        return _infer(lambda ys: window(ys + 1 if wraps else ys, ys), year, limit, ahead)

    return "year", infer


def _month_builder(cal: Calendar, ctx: _Ctx, month: int, y: int | None, lo: int = 1,
                   hi: int = 31) -> tuple[str, Callable[..., _Res | None]]:
    def window(year: int) -> _Res | None:
        if cal is Calendar.HIJRI:
            return _hijri_month(ctx.cal, year, month, lo, hi)
        return _greg_month(year, month, lo, hi)

    if y is not None:
        return "none", lambda: window(y)

    def infer(limit: dt.date, ahead: bool = False) -> _Res | None:
        year = ctx.cal.from_gregorian(limit)[0] if cal is Calendar.HIJRI else limit.year
        return _infer(window, year, limit, ahead)

    return "year", infer


def _listed(m: re.Match[str], p: str) -> bool | None:
    """Whether a range's days are a list ("on 16 and 17 October", "13, 14, and 15 September":
    the window from the first to the last, which holds every day listed); None when they are
    neither a list nor a range ("from 3, 4 to 9")."""
    word, opener = (m.group(f"{p}_w") or "").lower(), (m.group(f"{p}_o") or "").lower()
    if not m.groupdict().get(f"{p}_l"):  # two days: "16 and 17 October", "between 9 and 11 December"
        return word == "and" and opener != "between"
    return True if word == "and" and not opener else None  # three or more, and no opener


def _h_range(m: re.Match[str], p: str, ctx: _Ctx) -> _Cand | None:
    listed = _listed(m, p)
    if listed is None or (listed and p == "r2"):
        return None  # "on 11 March and 27 May" is two days months apart, not a window
    mon = _month_of(m, p, ctx)
    if mon is None:
        return None
    cal, m2 = mon
    d1, d2 = int(m.group(f"{p}_a")), int(m.group(f"{p}_b"))
    m1 = m2
    y1 = None
    if p == "r2":
        if m.group("r2_gm1"):
            if cal is not Calendar.GREGORIAN:
                return None
            m1 = _g_month(m.group("r2_gm1"), ctx)  # type: ignore[assignment]
        else:
            if cal is not Calendar.HIJRI:
                return None
            m1 = ctx.tables.hijri_month(m.group("r2_hm1"))  # type: ignore[assignment]
        if m1 is None:
            return None
        y1 = int(m.group("r2_y1")) if m.group("r2_y1") else None
    elif d2 <= d1:
        return None
    if d1 > _max_day(cal, m1) or d2 > _max_day(cal, m2):
        return None
    ytok = m.group(f"{p}_gy") if cal is Calendar.GREGORIAN else m.group(f"{p}_hy")
    y = _year(ytok, ctx) if ytok else None
    if y1 is not None and y is None:
        return None
    needs, build = _day_builder(cal, ctx, m1, d1, m2, d2, y, y1)
    return _Cand("absolute", m.span(p), cal, needs, build)


def _h_r3(m: re.Match[str], ctx: _Ctx) -> _Cand | None:
    if _listed(m, "r3") is None:
        return None
    month = _g_month(m.group("r3_gm"), ctx)
    d1, d2 = int(m.group("r3_a")), int(m.group("r3_b"))
    if month is None or d2 <= d1 or d2 > _max_day(Calendar.GREGORIAN, month):
        return None
    y = _year(m.group("r3_gy"), ctx) if m.group("r3_gy") else None
    needs, build = _day_builder(Calendar.GREGORIAN, ctx, month, d1, month, d2, y)
    return _Cand("absolute", m.span("r3"), Calendar.GREGORIAN, needs, build)


def _h_yr(m: re.Match[str], ctx: _Ctx) -> _Cand | None:
    if (m.group("yr_w") or "").lower() == "and" and m.group("yr_o").lower() != "between":
        return None
    a, b = int(m.group("yr_a")), int(m.group("yr_b"))
    if b <= a:
        return None

    def build() -> _Res | None:
        start = dt.date(a, 1, 1)
        return _Res(start, dt.date(b, 12, 31), DatePrecision.YEAR, start)

    return _Cand("absolute", m.span("yr"), Calendar.GREGORIAN, "none", build)


def _h_num(m: re.Match[str], ctx: _Ctx) -> _Cand | None:
    if m.group("num_y"):
        y, mo, d = int(m.group("num_y")), int(m.group("num_m")), int(m.group("num_d"))
        orders = [(mo, d)]
        ylen = 4
    else:
        a, b, c = int(m.group("num_a")), int(m.group("num_b")), m.group("num_c")
        ylen = len(c)
        if m.group("num_s") == "-" and ylen == 2:
            return None  # 12-05-16 is too easily something else
        if m.group("num_s") == "." and ylen == 2 and (len(m.group("num_a")) < 2 or len(m.group("num_b")) < 2):
            return None  # 2.1.16 is a version number; 02.01.16 is a date
        y = _year(c, ctx)
        orders = [(b, a), (a, b)] if ctx.day_first else [(a, b), (b, a)]
    hijri = ylen == 4 and 1300 < y < 1600
    if hijri and not m.group("num_y"):
        orders = [(b, a), (a, b)]  # Hijri numeric dates are written day first
    if not hijri and not 1800 <= y <= 2199:
        return None
    if not hijri and m.group("num_e"):
        return None  # a Gregorian-looking year marked AH
    cal = Calendar.HIJRI if hijri else Calendar.GREGORIAN
    for mo, d in orders:
        if 1 <= mo <= 12 and 1 <= d <= _max_day(cal, mo):
            res = _day_builder(cal, ctx, mo, d, mo, d, y)[1]()
            if res is not None:  # the first order that is a real date
                return _Cand("absolute", m.span("num"), cal, "none", _on_weekday(lambda: res, m, "num", ctx))
    return None


def _h_dm(m: re.Match[str], ctx: _Ctx) -> _Cand | None:
    mon = _month_of(m, "dm", ctx)
    if mon is None:
        return None
    cal, month = mon
    d = int(m.group("dm_d")) if m.group("dm_d") else ctx.tables.ordinals.get(_norm(m.group("dm_w")), 0)
    if not 1 <= d <= _max_day(cal, month):
        return None
    ytok = m.group("dm_gy") if cal is Calendar.GREGORIAN else m.group("dm_hy")
    y = _year(ytok, ctx) if ytok else None
    needs, build = _day_builder(cal, ctx, month, d, month, d, y)
    return _Cand("absolute", m.span("dm"), cal, needs, _on_weekday(build, m, "dm", ctx))


def _h_md(m: re.Match[str], ctx: _Ctx) -> _Cand | None:
    if m.group("md_gm"):
        cal, month, d = Calendar.GREGORIAN, _g_month(m.group("md_gm"), ctx), int(m.group("md_gd"))
        ytok = m.group("md_gy")
    else:
        cal, month, d = Calendar.HIJRI, ctx.tables.hijri_month(m.group("md_hm")), int(m.group("md_hd"))
        ytok = m.group("md_hy")
    if month is None or d > _max_day(cal, month):
        return None
    y = _year(ytok, ctx) if ytok else None
    needs, build = _day_builder(cal, ctx, month, d, month, d, y)
    return _Cand("absolute", m.span("md"), cal, needs, _on_weekday(build, m, "md", ctx))


def _on_weekday(build: Callable[..., _Res | None], m: re.Match[str], p: str, ctx: _Ctx) -> Callable[..., _Res | None]:
    """``build``, with a Hijri day's one-day doubt settled by the weekday written before it:
    "Monday, 21 Sha'ban 1444" is the one day of the three-day window that is a Monday. A weekday
    that no day of the window has, or that two have, leaves the window as it is."""
    wd = m.group(f"{p}_wd")
    if not wd:
        return build
    weekday = ctx.tables.weekdays[wd.lower()]

    def narrowed(*args: Any) -> _Res | None:
        res = build(*args)
        if res is None or not res.margin or res.precision is not DatePrecision.DAY:
            return res
        days = [res.start + dt.timedelta(days=i) for i in range((res.end - res.start).days + 1)]
        hits = [day for day in days if day.weekday() == weekday]
        if len(hits) != 1:
            return res
        return replace(res, start=hits[0], end=hits[0], ref=hits[0], margin=0)

    return narrowed


def _h_my(m: re.Match[str], ctx: _Ctx) -> _Cand | None:
    mon = _month_of(m, "my", ctx)
    if mon is None:
        return None
    cal, month = mon
    y = _year(m.group("my_gy") or m.group("my_hy"), ctx)
    needs, build = _month_builder(cal, ctx, month, y)
    return _Cand("absolute", m.span("my"), cal, needs, build)


def _h_vg(m: re.Match[str], ctx: _Ctx) -> _Cand | None:
    days, months = ctx.tables.vague[ctx.tables.vague_words[_norm(m.group("vg_p"))]]
    if m.group("vg_y"):
        y = int(m.group("vg_y"))
        return _Cand("vague", m.span("vg"), Calendar.GREGORIAN, "none", lambda: _greg_year(y, *months))
    mon = _month_of(m, "vg", ctx)
    if mon is None:
        return None
    cal, month = mon
    ytok = m.group("vg_gy") if cal is Calendar.GREGORIAN else m.group("vg_hy")
    y = _year(ytok, ctx) if ytok else None
    needs, build = _month_builder(cal, ctx, month, y, *days)
    return _Cand("vague", m.span("vg"), cal, needs, build)


def _h_mr(m: re.Match[str], ctx: _Ctx) -> _Cand | None:
    mon = _month_of(m, "mr", ctx)
    if mon is None:
        return None
    cal, month = mon
    last = _norm(m.group("mr_r")) in ctx.tables.month_last

    def build(ref: _Ref) -> _Res | None:
        if cal is Calendar.HIJRI:
            year, ref_month, _ = ctx.cal.from_gregorian(ref.day)
        else:
            year, ref_month = ref.day.year, ref.day.month
        if last and month >= ref_month:
            year -= 1
        res = _hijri_month(ctx.cal, year, month) if cal is Calendar.HIJRI else _greg_month(year, month)
        return None if res is None else replace(res, year_inferred=True)

    return _Cand("relative", m.span("mr"), cal, "anchor", build)


def _h_mo(m: re.Match[str], ctx: _Ctx) -> _Cand | None:
    p = "mo_gm" if m.group("mo_gm") else "mo_hm"
    mon = _month_of(m, "mo", ctx)
    if mon is None:
        return None
    cal, month = mon
    needs, build = _month_builder(cal, ctx, month, None)
    return _Cand("absolute", m.span(p), cal, needs, build)


def _h_ye(m: re.Match[str], ctx: _Ctx) -> _Cand | None:
    y, era = int(m.group("ye_y")), m.group("ye_e")
    if era.startswith(("A.H", "AH", "H")):
        if era == "H" and not 1300 < y < 1600:
            return None
        return _Cand("absolute", m.span("ye"), Calendar.HIJRI, "none", lambda: _hijri_year(ctx.cal, y))
    return _Cand("absolute", m.span("ye"), Calendar.GREGORIAN, "none", lambda: _greg_year(y))


def _h_ya(m: re.Match[str], ctx: _Ctx) -> _Cand | None:
    y = int(m.group("ya_y"))
    return _Cand("absolute", m.span("ya_y"), Calendar.GREGORIAN, "none", lambda: _greg_year(y))


def _h_rp(m: re.Match[str], ctx: _Ctx) -> _Cand | None:
    unit, n = ctx.tables.periods[_norm(m.group("rp_p"))]
    build = _shift_period(unit, n, n)
    if m.group("rp_v") and unit in ("month", "year"):
        # "early this month", "late last year": the part of the period the vague word names
        days, months = ctx.tables.vague[ctx.tables.vague_words[_norm(m.group("rp_v"))]]
        build = _part_of(build, unit, days if unit == "month" else months)
    elif m.group("rp_v"):
        return None  # "early last week": left to the period alone
    return _Cand("relative", m.span("rp"), Calendar.GREGORIAN, "anchor", build)


def _part_of(build: Callable[[_Ref], _Res | None], unit: str, part: tuple[int, int]) -> Callable[[_Ref], _Res | None]:
    """``build``'s month (or year) narrowed to the days (or months) ``part``; a window that is
    no single period is kept whole."""
    def narrowed(ref: _Ref) -> _Res | None:
        res = build(ref)
        if res is None or res.precision is DatePrecision.UNKNOWN:
            return res
        y = res.start.year
        whole = _greg_month(y, res.start.month, *part) if unit == "month" else _greg_year(y, *part)
        return None if whole is None else replace(res, start=whole.start, end=whole.end, ref=whole.start)

    return narrowed


def _h_rt(m: re.Match[str], ctx: _Ctx) -> _Cand | None:
    unit = ctx.tables.earlier[_norm(m.group("rt"))]
    return _Cand("vague", m.span("rt"), Calendar.GREGORIAN, "anchor", _earlier_in(unit))


def _h_rc(m: re.Match[str], ctx: _Ctx) -> _Cand | None:
    t = ctx.tables
    word = _norm(m.group("rc_n"))
    if word.isdigit():
        lo = hi = int(word)
    elif word in t.approx:
        lo, hi = t.approx[word]
    else:
        lo = hi = t.numbers[word]
    unit = t.units[_norm(m.group("rc_u"))]
    sign = -1 if m.group("rc_b") else 1
    if "days" in unit:
        a, b = sorted((sign * lo * unit["days"], sign * hi * unit["days"]))
        build = _shift_days(a, b)
    else:
        name, size = ("month", unit["months"]) if "months" in unit else ("year", unit["years"])
        a, b = sorted((sign * lo * size, sign * hi * size))
        build = _shift_period(name, a, b)
    direction = _norm(m.group("rc_b") or m.group("rc_f") or "")
    return _Cand("relative", m.span("rc"), Calendar.GREGORIAN, "anchor", build,
                 carries=direction in t.carry_over_directions)


def _h_rf(m: re.Match[str], ctx: _Ctx) -> _Cand | None:
    phrase = _norm(m.group("rf_p"))
    n = ctx.tables.fixed[phrase]
    return _Cand("relative", m.span("rf"), Calendar.GREGORIAN, "anchor", _shift_days(n, n),
                 carries=phrase in ctx.tables.carry_over)


_NIGHT = re.compile(r"\b(?:night|tonight)\b", re.IGNORECASE)
_ARTICLE_BEFORE = r"(?<!\w)(?:a|an|the)\s+\Z"


def _h_ro(m: re.Match[str], ctx: _Ctx) -> _Cand | None:
    phrase = _norm(m.group("ro_p"))
    if " " not in phrase and re.search(_ARTICLE_BEFORE, m.string[max(0, m.start() - 8):m.start()], re.IGNORECASE):
        return None  # "a later date", "the later attack": an adjective
    lo, hi = ctx.tables.open[phrase]
    return _Cand("relative", m.span("ro"), Calendar.GREGORIAN, "anchor", _shift_days(lo, hi))


def _h_wk(m: re.Match[str], ctx: _Ctx) -> _Cand | None:
    wd = ctx.tables.weekdays[m.group("wk_d").lower()]
    if m.group("wk_w"):
        if m.group("wk_r"):
            return None  # "last Monday last week"
        weeks = ctx.tables.weekday_weeks[_norm(m.group("wk_w"))]
        return _Cand("weekday", m.span("wk"), Calendar.GREGORIAN, "anchor", _weekday_of_week(wd, weeks))
    strict = bool(m.group("wk_r"))
    return _Cand("weekday", m.span("wk"), Calendar.GREGORIAN, "anchor", _weekday(wd, strict))


_HANDLERS: dict[str, Callable[[re.Match[str], _Ctx], _Cand | None]] = {
    "yr": _h_yr,
    "r2": lambda m, c: _h_range(m, "r2", c),
    "r1": lambda m, c: _h_range(m, "r1", c),
    "r3": _h_r3,
    "num": _h_num,
    "dm": _h_dm,
    "md": _h_md,
    "my": _h_my,
    "vg": _h_vg,
    "mr": _h_mr,
    "mo": _h_mo,
    "ye": _h_ye,
    "ya": _h_ya,
    "rp": _h_rp,
    "rt": _h_rt,
    "rc": _h_rc,
    "rf": _h_rf,
    "ro": _h_ro,
    "wk": _h_wk,
}


# --------------------------------------------------------------------------
# Paragraphs


_BLANK = r"\n(?:[^\S\n]*\n)+"  # a blank line (compiled and cached by the re module on first use)
_HEADING_END = tuple(".,;:!?([/" + _DASHES.replace("\\", ""))


def _is_heading(first: str, rest: list[str]) -> bool:
    """A short first line with no closing punctuation, shorter than the lines it heads."""
    head = first.strip()
    if not head:
        return False
    if head.startswith("#"):
        return True
    nxt = next((line.strip() for line in rest if line.strip()), "")
    if not nxt or len(head) > 80 or head.endswith(_HEADING_END):
        return False
    if not (nxt[0].isupper() or nxt[0].isdigit() or nxt[0] in "\"'“‘(["):
        return False
    return len(first.rstrip()) < 0.75 * max(len(line.rstrip()) for line in rest)


def _heading_paragraph(block: str) -> bool:
    """A paragraph that is one short line with no closing punctuation: a section's heading
    ("Wilayat al-Khayr", "Northern Aleppo")."""
    line = block.strip()
    return bool(line) and "\n" not in line and len(line) <= 80 and not line.endswith(_HEADING_END)


def paragraph_starts(text: str) -> list[int]:
    """Offsets where paragraphs start: after blank lines, and after a heading line."""
    starts = [0]
    blanks = list(re.finditer(_BLANK, text))
    block_starts = [0] + [m.end() for m in blanks]
    block_ends = [m.start() for m in blanks] + [len(text)]
    for bs, be in zip(block_starts, block_ends):
        if bs:
            starts.append(bs)
        block = text[bs:be]
        if "\n" not in block:
            continue
        lines = block.split("\n")
        offset = bs
        for i, line in enumerate(lines):
            following = lines[i + 1:]
            if line.lstrip().startswith("#") or (i == 0 and following and _is_heading(line, following)):
                if i:
                    starts.append(offset)
                if following:
                    starts.append(offset + len(line) + 1)
            offset += len(line) + 1
    return sorted(set(starts))


_QUOTES = {'"': '"', "“": "”", "'": "'", "‘": "’"}


def _quoted(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` stands alone in quotation marks: the "9 May" of the "9 May"
    People's Liberation Forces names a group; a report does not quote a date it gives."""
    return start > 0 and end < len(text) and _QUOTES.get(text[start - 1]) == text[end]


# A local time followed by the same moment in GMT, as the wire services write it: "at 2230 (0230
# GMT on 12 January)", "at 2100 on 15 January (0100 GMT on 16 Jan)", "at 1950 local time (0050 GMT
# 18 October)". Group ``on``: a date given with the local time.
_GMT_PAREN = re.compile(
    r"(?<![\w:])(?P<lh>[01]?\d|2[0-3]):?(?P<lm>[0-5]\d)(?:\s*(?:hours|hrs|h))?(?:\s*(?:local(?:\s+time)?|\(local(?:\s+time)?\)))?"
    r"(?P<on>\s+on\s+[^()\n.;]{1,30}?)?\s*"
    r"\((?P<gh>[01]?\d|2[0-3]):?(?P<gm>[0-5]\d)\s*(?:gmt|utc)\b(?P<rest>[^()\n]*)\)", re.IGNORECASE)


_GMT_WORD = re.compile(r"gmt|utc", re.IGNORECASE)  # a cheap test before the pair pattern runs


def _gmt_days(m: re.Match[str]) -> int:
    """How many days the local date of a "<local time> (<time> GMT ...)" pair is after the GMT
    date: the zone's offset is the difference of the two times, taken between -12 and +14 hours."""
    local = int(m.group("lh")) * 60 + int(m.group("lm"))
    gmt = int(m.group("gh")) * 60 + int(m.group("gm"))
    offset = (local - gmt) % 1440
    if offset >= 14 * 60:
        offset -= 1440
    return (gmt + offset) // 1440


def _shifted(build: Callable[..., _Res | None], days: int) -> Callable[..., _Res | None]:
    def run(*args: Any) -> _Res | None:
        res = build(*args)
        if res is None or not days:
            return res
        d = dt.timedelta(days=days)
        return replace(res, start=res.start + d, end=res.end + d, ref=res.ref + d)
    return run


def _last_word(phrase: str) -> str:
    """The last word of ``phrase``, lower case, without a full stop ("this May" -> "may")."""
    return phrase.rsplit(None, 1)[-1].rstrip(".").lower() if phrase.strip() else ""


def _in_gmt(cand: _Cand, pairs: list[re.Match[str]]) -> _Cand | None:
    """A date inside the GMT half of a local/GMT pair gives the GMT day, not the report's: it
    is dropped when the local time has its own date ("at 2100 on 15 January (0100 GMT on 16
    Jan)"), else moved to the local day ("at 2230 (0230 GMT on 12 January)" is 11 January) and
    its evidence widened to the whole pair. Other candidates come back unchanged."""
    for m in pairs:
        if m.start("rest") <= cand.span[0] and cand.span[1] <= m.end("rest"):
            if m.group("on"):
                return None
            return replace(cand, span=(m.start(), m.end()), build=_shifted(cand.build, _gmt_days(m)))
    return cand


# --------------------------------------------------------------------------
# Public API


def find_dates(text: str, *, published: dt.date | None, hijri_calendar: str = "tabular",
               day_first: bool = True) -> list[DateMention]:
    """Every date expression in ``text``, in text order, resolved as described in the module docstring.

    Raises :class:`~eventcoder.errors.ConfigError` for an unknown ``hijri_calendar``.
    """
    if hijri_calendar not in HIJRI_CALENDARS:
        raise ConfigError(f"unknown Hijri calendar {hijri_calendar!r}",
                          fix=f"use one of {', '.join(HIJRI_CALENDARS)}")
    if isinstance(published, dt.datetime):
        published = published.date()
    tables = load_tables()
    ctx = _Ctx(tables, _HijriCalendar(hijri_calendar), published, day_first, text.lower() != text)

    cands: list[_Cand] = []
    pos = 0
    pairs = list(_GMT_PAREN.finditer(text)) if _GMT_WORD.search(text) else []
    for at, pattern in tables.patterns_at(text):
        if at < pos or (m := pattern.match(text, at)) is None:
            continue
        cand = _HANDLERS[m.lastgroup](m, ctx)  # type: ignore[index]
        if cand is not None and cand.kind == "absolute" and (
                (tables.name_after is not None and tables.name_after.match(text, m.end())) or _quoted(text, m.start(), m.end())):
            pos = m.end()  # part of a name, not a date
            continue
        if (cand is not None and (verb := tables.verb_after.get(_last_word(m.group(0)))) and verb.match(text, m.end())
                and not any(ch.isdigit() for ch in m.group(0))):
            pos = m.end()  # "this may have been": a verb, not a month ("on 3 May have been" is a date)
            continue
        if cand is not None and pairs:
            cand = _in_gmt(cand, pairs)
            if cand is None:
                pos = m.end()  # the GMT day of a local time that has its own date
                continue
        if cand is not None:  # else: try again at the next possible start inside the match
            cands.append(cand)
            pos = m.end()
    if not cands:
        return []

    starts = paragraph_starts(text)
    headings = [_heading_paragraph(text[a:b]) for a, b in zip(starts, [*starts[1:], len(text)])]
    pub = None if published is None else _Ref(published, published, published, DatePrecision.DAY, 0, None)
    out: list[DateMention] = []
    last: _Ref | None = None  # the anchor for relatives (see _can_anchor)
    last_any: _Ref | None = None  # the last absolute date, for a year left out without a publication date
    carried: _Ref | None = None  # the anchor of an earlier paragraph of the section, for "On the same day"
    para = -1
    for c in cands:
        here = bisect.bisect_right(starts, c.span[0]) - 1
        if here != para:
            carried = None if any(headings[para + 1 : here + 1]) else (last or carried)
            para, last, last_any = here, None, None
        res: _Res | None = None
        anchor: Span | None = None
        try:
            if c.needs == "none":
                res = c.build()
            elif c.needs == "year":
                ref = pub or last_any
                if ref is not None:
                    res, anchor = c.build(ref.day, _future(text, c.span[0], tables)), ref.span
            else:
                ref = last or (carried if c.carries else None) or pub
                if ref is not None:
                    res, anchor = c.build(ref), ref.span
        except (OverflowError, ValueError):  # a window outside datetime's years 1..9999
            res = None
        s, e = c.span
        if res is None:
            value = DateValue(None, None, DatePrecision.UNKNOWN, c.calendar, False, text[s:e], (c.span,))
            anchor = None
        else:
            end = res.end
            if _NIGHT.search(text, s, e) and res.precision == DatePrecision.DAY and end is not None and res.start == end:
                end = end + dt.timedelta(days=1)  # a night runs past midnight: "Friday night" = Friday..Saturday
            value = DateValue(res.start, end, res.precision, c.calendar, res.year_inferred, text[s:e], (c.span,))
            if c.kind == "absolute":
                last_any = _Ref(res.ref, res.start, res.end, res.precision, res.margin, c.span)
                if _can_anchor(res, published):
                    last = last_any
        out.append(DateMention(value, c.kind, anchor))
    return out


# what ends the clause a date is read in, looking back from it
_CLAUSE_END = re.compile(r"[.;:!?,\"“”()\[\]\n]")
_FUTURE_REACH = 100  # characters looked back for a future marker


def _future(text: str, at: int, tables: Tables) -> bool:
    """Whether the clause before offset ``at`` speaks of the future ("who will take office on 1
    June", "elections scheduled for 11 March"): its year is then the next, not the last. A past
    tense or a relative clause after the future marker ("will be in charge because he was
    injured on 23 January", "will investigate the attack that killed 10 on 31 October") or "of"
    right before the date ("punishment for the massacre of 16 November", but "as of 1 June")
    leaves the date in the past."""
    if tables.future is None:
        return False
    lo = max(0, at - _FUTURE_REACH)
    ends = [m.end() for m in _CLAUSE_END.finditer(text, lo, at)]
    futures = list(tables.future.finditer(text, ends[-1] if ends else lo, at))
    if not futures:
        return False
    if tables.future_ends is not None and tables.future_ends.search(text, futures[-1].end(), at):
        return False
    return _OF_BEFORE.search(text, futures[-1].end(), at) is None


_OF_BEFORE = re.compile(r"(?<!\bas)\s+of\s+(?:the\s+)?$", re.I)


def _can_anchor(res: _Res, published: dt.date | None) -> bool:
    """Whether a date can anchor the relative expressions after it: it names a day (or a few),
    not after the publication date. A month or a year named in passing ("whose director was
    killed in December 1986", "the April 1990 elections") is background: "20 days ago" and "last
    night" after it still count from the publication date."""
    if res.precision != DatePrecision.DAY or res.start is None:
        return False
    return published is None or res.start <= published


def parse_date(expression: str, *, published: dt.date | None, hijri_calendar: str = "tabular",
               day_first: bool = True) -> DateValue | None:
    """The first date in ``expression`` (a bare year or month name counts), or None.

    Never raises: bad input or options give None. Spans are offsets into ``expression``.
    """
    if not isinstance(expression, str) or not expression.strip():
        return None
    if published is not None and not isinstance(published, dt.date):
        return None
    try:
        found = find_dates(expression, published=published, hijri_calendar=hijri_calendar, day_first=day_first)
        if found:
            return found[0].value
        shifted = find_dates("in " + expression, published=published, hijri_calendar=hijri_calendar,
                             day_first=day_first)
    except EventcoderError:
        return None
    for mention in shifted:
        s, e = mention.span
        if s >= 3:
            return replace(mention.value, spans=((s - 3, e - 3),))
    return None


def table_versions() -> dict[str, str]:
    """The versions of the calendar tables in use (record them next to extracted dates)."""
    return dict(load_tables().versions)
