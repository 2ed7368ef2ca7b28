"""Read the original 24-slot MUC-4 answer keys (``raw_keys/`` next to the processed splits).

The processed GTT/GRIT files drop the incident date, the location and the effects on human
targets; the raw keys keep them. This module parses only what the slot scorer
(:mod:`eventcoder.muc4.slots`) needs: message id, template number and optional flag, incident
type, ``INCIDENT: DATE`` (slot 2), ``INCIDENT: LOCATION`` (slot 3), the number slots
(``PHYS TGT: NUMBER`` / ``TOTAL NUMBER``, slots 14 and 17; ``HUM TGT: NUMBER`` / ``TOTAL
NUMBER``, slots 21 and 24) and ``HUM TGT: EFFECT OF INCIDENT`` (slot 23).

Key file layout: one block per template, 25 numbered lines ``N.  LABEL   VALUE``; a value that
continues on the next line is written on an indented line; ``;`` starts a comment line; a
blank line ends a block. Conventions: ``-`` empty slot, ``*`` not applicable (an irrelevant
document has a single block with ``*`` as its template number), ``?`` optional filler,
``A / B`` alternatives.

**Numbers** (MUC-4 task documentation, section 7.22): ``7`` exact, ``PLURAL`` (more than one,
no figure), ``~100`` approximate, ``6-8`` a range, ``6-`` / ``23 -`` at least, ``-15`` /
``- 15`` at most; ``6 / 4`` and ``1 / PLURAL`` are alternatives, ``? 1`` optional. A line of
slot 14 or 21 points at its target with ``7: "PEASANTS"`` (the target's NAME, else its
DESCRIPTION, itself possibly ``"A" / "B"``); slots 17 and 24 hold one bare number.

**Killed and injured per template** (:attr:`RawTemplate.killed`, :attr:`RawTemplate.injured`).
The keys never state "N killed"; the count is derived from the targets whose effect is
``DEATH`` (resp. ``INJURY``) and those targets' ``HUM TGT: NUMBER``:

1. Each effect line is paired with the number lines that point at one of the same target
   strings (a dummy ``"-"`` target with ``"-"`` number lines). One number line serves every effect line of that target if those lines all carry
   the same labels; several number lines pair with the target's effect lines in key order
   (``20: "PERSONS"``, ``~100: "PERSONS"`` with ``DEATH: "PERSONS"``, ``INJURY: "PERSONS"``
   is 20 killed and about 100 injured); any other combination leaves the line *unpaired*.
2. If every numbered target has the effect (and only it, not optionally) and ``HUM TGT: TOTAL
   NUMBER`` is exact and not optional, the count is that total. The total resolves a
   named victim listed beside the group he belongs to (``6: "JESUITS"``, ``1: "IGNACIO
   ELLACURIA"``, total 8 with two women); without a total such overlaps are double counted.
3. Otherwise the count is the sum over the effect lines that carry the label, each number
   line counted once. A line that is optional (``? DEATH``), offers the label as one
   alternative (``INJURY / DEATH``) or points at an optional number (``? 1``) adds 0 as a
   reading; ``6 / 4`` adds both. :attr:`KeyCount.values` holds every total the key accepts.
4. Only exact readings count: ``PLURAL``, ``~N``, ranges and open bounds are dropped, so
   ``1 / PLURAL`` counts as 1 and an optional line on a ``PLURAL`` target as 0 (the key
   accepts leaving an optional filler out). The count is *definite* (values not empty) when
   every line carrying the label keeps a reading; a line left with none (``PLURAL``, ``~70``,
   ``23 -``), without a number or unpaired makes it not definite (``basis`` says why).
5. With no line carrying the label, the count is 0 when some non-optional effect line says
   only ``NO DEATH`` / ``NO INJURY OR DEATH`` / ``NO INJURY`` (for killed) or ``NO INJURY`` /
   ``NO INJURY OR DEATH`` (for injured), including the dummy ``NO INJURY OR DEATH: "-"``;
   else the key gives no count (``not_given``): it records harm, not its absence, by default.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from eventcoder.errors import ConfigError, DataNotFound, InputError
from eventcoder.muc4.data import SPLITS, default_data_dir

# Key files per split, as glob patterns in ``<data_dir>/raw_keys/``.
KEY_FILES: dict[str, tuple[str, ...]] = {
    "train": ("key-dev-*.muc4",),
    "dev": ("key-tst1.v7", "key-tst2.v4"),
    "test": ("key-tst3*", "key-tst4*"),
}

LABELS: dict[int, str] = {
    0: "MESSAGE: ID",
    1: "MESSAGE: TEMPLATE",
    2: "INCIDENT: DATE",
    3: "INCIDENT: LOCATION",
    4: "INCIDENT: TYPE",
    5: "INCIDENT: STAGE OF EXECUTION",
    6: "INCIDENT: INSTRUMENT ID",
    7: "INCIDENT: INSTRUMENT TYPE",
    8: "PERP: INCIDENT CATEGORY",
    9: "PERP: INDIVIDUAL ID",
    10: "PERP: ORGANIZATION ID",
    11: "PERP: ORGANIZATION CONFIDENCE",
    12: "PHYS TGT: ID",
    13: "PHYS TGT: TYPE",
    14: "PHYS TGT: NUMBER",
    15: "PHYS TGT: FOREIGN NATION",
    16: "PHYS TGT: EFFECT OF INCIDENT",
    17: "PHYS TGT: TOTAL NUMBER",
    18: "HUM TGT: NAME",
    19: "HUM TGT: DESCRIPTION",
    20: "HUM TGT: TYPE",
    21: "HUM TGT: NUMBER",
    22: "HUM TGT: FOREIGN NATION",
    23: "HUM TGT: EFFECT OF INCIDENT",
    24: "HUM TGT: TOTAL NUMBER",
}
_SLOT_LINE = re.compile(r"^\s*(\d{1,2})\.\s+([A-Z]+(?: [A-Z]+)?: [A-Z]+(?: [A-Z]+)*)(.*)$")
_EMPTY = {"-", "*", ""}
_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
_DAY_MONTH = r"(\d{1,2})\s+([A-Z]{3,9})\.?(?:\s+(\d{2}|\d{4}))?(?!\s*\d)"
_MONTH_DAY = r"([A-Z]{3,9})\.?\s+(\d{1,2})(?:,?\s+(\d{4}))?"


@dataclass(frozen=True)
class RawDate:
    """``INCIDENT: DATE``. Each alternative is a closed interval ``(start, end)``; a ``None``
    end is open (``- 15 JAN 90`` is "on or before 15 Jan": start None). ``start``/``end``
    are those of the first alternative. ``year_missing``: some part was written without a
    year (``11 NOV``) and was left unparsed; :meth:`resolve` fills it from a reference date.
    """

    text: str
    alternatives: tuple[tuple[dt.date | None, dt.date | None], ...]
    optional: bool = False
    year_missing: bool = False

    @property
    def start(self) -> dt.date | None:
        return self.alternatives[0][0] if self.alternatives else None

    @property
    def end(self) -> dt.date | None:
        return self.alternatives[0][1] if self.alternatives else None

    @property
    def days(self) -> tuple[dt.date, ...]:
        """The single days the key gives (alternatives with start == end), in key order; none
        when an alternative is open (``(28 NOV 89) / (- 28 NOV 89)``: the annotators read the
        report as not fixing the day, only a day it was on or before)."""
        if any(s is None or e is None for s, e in self.alternatives):
            return ()
        return tuple(s for s, e in self.alternatives if s is not None and s == e)

    def resolve(self, reference: dt.date | None) -> RawDate:
        """Re-read a date written without a year against ``reference`` (the report date): the
        latest such date not after it. Returns self when nothing is missing."""
        if not self.year_missing or reference is None:
            return self
        return parse_date(self.text, reference=reference)


@dataclass(frozen=True)
class LocationAlternative:
    """One reading of ``INCIDENT: LOCATION``: the country as written and the places below it,
    outermost first, each ``(NAME, KIND)`` with KIND None when the key gives none."""

    country: str | None
    places: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class RawLocation:
    """``INCIDENT: LOCATION``; ``A / B`` alternatives are kept in key order."""

    text: str
    alternatives: tuple[LocationAlternative, ...]
    optional: bool = False

    @property
    def country(self) -> str | None:
        return self.alternatives[0].country if self.alternatives else None

    @property
    def places(self) -> tuple[tuple[str, str | None], ...]:
        return self.alternatives[0].places if self.alternatives else ()

    @property
    def countries(self) -> tuple[str, ...]:
        """Every country any alternative names, de-duplicated, in key order."""
        return tuple(dict.fromkeys(a.country for a in self.alternatives if a.country))

    @property
    def place_names(self) -> tuple[str, ...]:
        """Every place name of every alternative, de-duplicated, in key order."""
        return tuple(dict.fromkeys(name for a in self.alternatives for name, _ in a.places))


@dataclass(frozen=True)
class KeyNumber:
    """One reading of a number fill: ``low``/``high`` bounds (None = open) and whether it is
    approximate. ``7`` -> (7, 7); ``PLURAL`` -> (2, None); ``6-`` -> (6, None); ``-15`` ->
    (None, 15); ``6-8`` -> (6, 8); ``~100`` -> (100, 100, approximate)."""

    low: int | None
    high: int | None
    approximate: bool = False

    @property
    def exact(self) -> int | None:
        """The number itself when the reading is one exact figure, else None."""
        if self.approximate or self.low is None or self.low != self.high:
            return None
        return self.low


@dataclass(frozen=True)
class NumberFill:
    """One line of a number slot: its readings (``A / B`` alternatives, unreadable ones
    dropped) and the target strings it cross-references (empty for a bare total)."""

    text: str
    readings: tuple[KeyNumber, ...]
    targets: tuple[str, ...] = ()
    optional: bool = False


@dataclass(frozen=True)
class EffectFill:
    """One line of ``HUM TGT: EFFECT OF INCIDENT``: its labels (``A / B`` alternatives) and the
    target strings it points at (empty for a bare label or the dummy ``"-"``)."""

    labels: tuple[str, ...]
    targets: tuple[str, ...] = ()
    optional: bool = False


class CountBasis(str, enum.Enum):
    """How a :class:`KeyCount` was derived, or why the key gives no definite count."""

    TARGETS = "targets"  # summed over the targets with the effect
    TOTAL = "total"  # HUM TGT: TOTAL NUMBER, every numbered target having the effect
    NONE_REPORTED = "none_reported"  # an explicit NO DEATH / NO INJURY ...: 0
    NOT_GIVEN = "not_given"  # no effect label of that kind at all
    INEXACT = "inexact"  # PLURAL, ~N, a range or an open bound
    NO_NUMBER = "no_number"  # an effect line whose target has no number
    UNPAIRED = "unpaired"  # a target's numbers and effect lines cannot be paired

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


@dataclass(frozen=True)
class KeyCount:
    """The number of people a template says were killed (or injured): every total the key
    accepts, ascending; empty when the key gives no definite number (see the module docstring)."""

    values: tuple[int, ...]
    basis: CountBasis

    @property
    def definite(self) -> bool:
        return bool(self.values)


@dataclass(frozen=True)
class RawTemplate:
    """One answer-key template, reduced to the slots the slot scorer reads.

    ``incident_type`` is lower-cased like the GTT files (``"attack / bombing"`` for a compound).
    ``effects`` is the set of ``HUM TGT: EFFECT OF INCIDENT`` labels (``DEATH``, ``INJURY``,
    ``NO INJURY OR DEATH``...; alternatives split, ``?`` dropped); ``effect_fills`` pairs each
    label with the target string it points to (None for a bare label). ``hum_tgt_numbers``
    holds the raw ``HUM TGT: NUMBER`` fills (``1: "CEREZO"``, ``PLURAL``...); ``hum_tgt``,
    ``hum_effects`` and ``hum_total`` are the same slots parsed, ``phys_tgt`` and
    ``phys_total`` slots 14 and 17. :attr:`killed` and :attr:`injured` derive the casualty
    counts from them.
    """

    docid: str
    message_id: str
    number: int | None
    optional: bool
    incident_type: str
    date: RawDate | None
    location: RawLocation | None
    effects: frozenset[str]
    effect_fills: tuple[tuple[str, str | None], ...] = ()
    hum_tgt_numbers: tuple[str, ...] = ()
    hum_tgt: tuple[NumberFill, ...] = ()
    hum_effects: tuple[EffectFill, ...] = ()
    hum_total: NumberFill | None = None
    phys_tgt: tuple[NumberFill, ...] = ()
    phys_total: NumberFill | None = None

    @property
    def death(self) -> bool:
        return "DEATH" in self.effects

    @property
    def injury(self) -> bool:
        return "INJURY" in self.effects

    @property
    def killed(self) -> KeyCount:
        return key_count("killed", self.hum_tgt, self.hum_effects, self.hum_total)

    @property
    def injured(self) -> KeyCount:
        return key_count("injured", self.hum_tgt, self.hum_effects, self.hum_total)


# --- loading ------------------------------------------------------------------------------


def key_files(split: str, data_dir: Path | None = None) -> list[Path]:
    """The raw key files of ``split`` in ``<data_dir>/raw_keys`` (sorted within each pattern)."""
    if split not in SPLITS:
        raise ConfigError(f"unknown MUC-4 split {split!r}", fix=f"use one of: {', '.join(SPLITS)}")
    folder = (Path(data_dir) if data_dir is not None else default_data_dir()) / "raw_keys"
    if not folder.is_dir():
        raise DataNotFound(
            f"MUC-4 raw key folder not found: {folder}",
            fix="pass --data-dir DIR pointing at the folder that holds raw_keys/",
        )
    files = [p for pattern in KEY_FILES[split] for p in sorted(folder.glob(pattern))]
    if not files:
        raise DataNotFound(
            f"no raw key files for split {split!r} in {folder} "
            f"(expected {', '.join(KEY_FILES[split])})",
            fix="copy the original MUC answer keys into raw_keys/",
        )
    return files


def load_raw_keys(split: str, data_dir: Path | None = None) -> dict[str, list[RawTemplate]]:
    """docid -> its templates, for every document the split's key files mention.

    An irrelevant document (template number ``*``) maps to an empty list. Docids are the first
    token of ``MESSAGE: ID`` (``DEV-MUC3-1150 (UNISYS / PARAMAX)`` -> ``DEV-MUC3-1150``), which
    is the GTT docid.
    """
    out: dict[str, list[RawTemplate]] = {}
    for path in key_files(split, data_dir):
        for docid, template in parse_keys(path.read_text(encoding="latin-1"), str(path)):
            templates = out.setdefault(docid, [])
            if template is not None:
                templates.append(template)
    return out


# --- parsing ------------------------------------------------------------------------------


def parse_keys(text: str, origin: str = "<keys>") -> list[tuple[str, RawTemplate | None]]:
    """Every block of a key file as ``(docid, template)``; template None for an irrelevant
    document. Raises InputError for a block without ``MESSAGE: ID``."""
    out = []
    for lineno, block in _blocks(text):
        if 0 not in block:
            raise InputError(
                f"{origin}:{lineno}: key block without a MESSAGE: ID line",
                fix="restore the key file from the source repository",
            )
        out.append(_template(block, origin, lineno))
    return out


def _blocks(text: str) -> list[tuple[int, dict[int, list[str]]]]:
    """Blocks of slot number -> value lines (continuations appended), with their first line."""
    blocks: list[tuple[int, dict[int, list[str]]]] = []
    current: dict[int, list[str]] | None = None
    slot: int | None = None
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            current, slot = None, None
            continue
        if line.lstrip().startswith(";"):
            continue
        m = _SLOT_LINE.match(line)
        if m and int(m.group(1)) in LABELS and m.group(2) == LABELS[int(m.group(1))]:
            slot = int(m.group(1))
            if current is None or slot == 0:
                current = {}
                blocks.append((lineno, current))
            current.setdefault(slot, []).append(m.group(3).strip())
        elif current is not None and slot is not None and line[:1].isspace():
            current[slot].append(line.strip())
        # anything else (a stray line outside a block) is ignored
    return blocks


def _first(block: dict[int, list[str]], slot: int) -> str:
    values = block.get(slot) or [""]
    return values[0]


def _joined(block: dict[int, list[str]], slot: int) -> str:
    return " ".join(v for v in block.get(slot, []) if v)


def _template(block: dict[int, list[str]], origin: str, lineno: int) -> tuple[str, RawTemplate | None]:
    message_id = _first(block, 0)
    if not message_id:
        raise InputError(f"{origin}:{lineno}: empty MESSAGE: ID", fix="restore the key file")
    docid = message_id.split()[0]
    number_text = _first(block, 1)
    if number_text.startswith("*"):
        return docid, None
    m = re.match(r"(\d+)", number_text)
    type_text = _joined(block, 4)
    fills = parse_effects(block.get(23, []))
    return docid, RawTemplate(
        docid=docid,
        message_id=message_id,
        number=int(m.group(1)) if m else None,
        optional="OPTIONAL" in number_text.upper(),
        incident_type=" ".join(type_text.lower().replace("?", " ").split()),
        date=_maybe(parse_date, _joined(block, 2)),
        location=_maybe(parse_location, _joined(block, 3)),
        effects=frozenset(label for label, _ in fills),
        effect_fills=fills,
        hum_tgt_numbers=tuple(v for v in block.get(21, []) if v not in _EMPTY),
        hum_tgt=_number_lines(block.get(21, [])),
        hum_effects=parse_effect_fills(block.get(23, [])),
        hum_total=_total(block.get(24, [])),
        phys_tgt=_number_lines(block.get(14, [])),
        phys_total=_total(block.get(17, [])),
    )


def _total(lines: list[str]) -> NumberFill | None:
    """A TOTAL NUMBER slot: one bare number. A slot of several lines (a few train keys put
    per-target figures there) is not a total and gives None."""
    lines = [v for v in lines if v.strip() not in _EMPTY]
    return parse_number_fill(lines[0]) if len(lines) == 1 else None


def _number_lines(lines: list[str]) -> tuple[NumberFill, ...]:
    return tuple(parse_number_fill(v) for v in lines if v.strip() not in _EMPTY)


def _maybe(parse, text: str):
    return None if text.strip() in _EMPTY else parse(text)


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses and double quotes."""
    parts, depth, quoted, buf, i = [], 0, False, [], 0
    while i < len(text):
        ch = text[i]
        if ch == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth = max(0, depth - 1)
        if not quoted and depth == 0 and text.startswith(sep, i):
            parts.append("".join(buf))
            buf = []
            i += len(sep)
            continue
        buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return [p.strip() for p in parts if p.strip()]


def _unwrap(text: str) -> str:
    """Drop parentheses around the whole string: ``(08 MAR 90)`` -> ``08 MAR 90``."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _closing(text) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def _closing(text: str) -> int:
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            return i
    return -1


def _strip_optional(text: str) -> tuple[str, bool]:
    text = text.strip()
    if text.startswith("?"):
        return text[1:].strip(), True
    return text, False


# --- INCIDENT: DATE -----------------------------------------------------------------------


def parse_date(text: str, reference: dt.date | None = None) -> RawDate:
    """Parse an ``INCIDENT: DATE`` fill: ``12 JAN 90``, ``- 15 JAN 90`` (open start),
    ``08 JAN 90 - 09 JAN 90``, ``(08 MAR 90) / (07 MAR 90 - 08 MAR 90)`` (alternatives), ``?``.

    A part written without a year takes it from ``reference`` (the latest such date not after
    it) or, without one, is left unparsed and flagged ``year_missing``. An unreadable
    alternative is dropped; the raw text is always kept.
    """
    body, optional = _strip_optional(text)
    alternatives = []
    year_missing = False
    for alt in _split_top(body, "/"):
        alt, _ = _strip_optional(_unwrap(alt))
        parsed, missing = _date_interval(alt.upper(), reference)
        year_missing |= missing
        if parsed is not None:
            alternatives.append(parsed)
    return RawDate(text.strip(), tuple(alternatives), optional, year_missing)


def _date_interval(
    alt: str, reference: dt.date | None
) -> tuple[tuple[dt.date | None, dt.date | None] | None, bool]:
    alt = alt.strip()
    open_start = alt.startswith("-")
    if open_start:
        alt = alt[1:].strip()
    parts = [p for p in re.split(r"\s+-\s*|\s*-\s+", alt) if p.strip()]
    if not parts or len(parts) > 2:
        return None, False
    dates, missing = [], False
    for part in parts:
        day, no_year = _one_date(part, reference)
        missing |= no_year
        dates.append(day)
    if open_start:
        return ((None, dates[0]) if dates[0] and len(dates) == 1 else None), missing
    if len(dates) == 1:
        return ((dates[0], dates[0]) if dates[0] else None), missing
    if dates[0] is None or dates[1] is None:
        return None, missing
    return (dates[0], dates[1]), missing


def _one_date(part: str, reference: dt.date | None) -> tuple[dt.date | None, bool]:
    part = part.strip()
    m = re.fullmatch(_DAY_MONTH, part)
    if m:
        day, month, year = m.group(1), m.group(2), m.group(3)
    else:
        m = re.fullmatch(_MONTH_DAY, part)
        if not m:
            return None, False
        month, day, year = m.group(1), m.group(2), m.group(3)
    month_no = _MONTHS.get(month[:3])
    if month_no is None:
        return None, False
    if year in ("00", "0000"):  # the keys' "16 NOV 00": a message without a dateline
        year = None
    if year is None:
        if reference is None:
            return None, True
        try:
            candidate = dt.date(reference.year, month_no, int(day))
            if candidate > reference:
                candidate = dt.date(reference.year - 1, month_no, int(day))
        except ValueError:
            return None, True
        return candidate, True
    full_year = int(year) if len(year) == 4 else 1900 + int(year)
    try:
        return dt.date(full_year, month_no, int(day)), False
    except ValueError:  # "31 NOV 89"
        return None, False


# --- INCIDENT: LOCATION -------------------------------------------------------------------


def parse_location(text: str) -> RawLocation:
    """Parse an ``INCIDENT: LOCATION`` fill:
    ``EL SALVADOR: SAN MIGUEL (DEPARTMENT): SAN LUIS DE LA REINA (TOWN)`` -> country
    ``EL SALVADOR``, places ``[("SAN MIGUEL", "DEPARTMENT"), ("SAN LUIS DE LA REINA", "TOWN")]``.
    ``A / B`` alternatives (also parenthesised) are kept; a slash inside a kind
    (``(CITY / DEPARTMENT)``) is not an alternative; ``A (CITY) - B (TOWN)`` gives two places.
    """
    body, optional = _strip_optional(text)
    alternatives = []
    for alt in _split_top(body, "/"):
        alt, _ = _strip_optional(_unwrap(alt))
        parts = _split_top(alt, ":")
        if not parts:
            continue
        country = _place(parts[0])[0] or None
        places = tuple(
            place
            for part in parts[1:]
            for piece in _split_top(part, " - ")
            if (place := _place(piece))[0]
        )
        alternatives.append(LocationAlternative(country, places))
    return RawLocation(text.strip(), tuple(alternatives), optional)


def _place(text: str) -> tuple[str, str | None]:
    m = re.fullmatch(r"(.*?)\s*\(([^()]*)\)\s*", text)
    if m:
        return " ".join(m.group(1).split()), " ".join(m.group(2).split()) or None
    return " ".join(text.split()), None


# --- HUM TGT: EFFECT OF INCIDENT ----------------------------------------------------------


def parse_effects(lines: list[str]) -> tuple[tuple[str, str | None], ...]:
    """``DEATH: "X"`` / ``NO INJURY`` / ``? INJURY / DEATH`` lines -> ``(label, target)`` pairs,
    one per label (alternatives split, ``?`` and parentheses dropped)."""
    out: list[tuple[str, str | None]] = []
    for line in lines:
        line = line.strip()
        if line in _EMPTY:
            continue
        labels_text, target = line, None
        m = re.match(r'^([^"]*?)\s*:\s*(".*)$', line)
        if m:
            labels_text, target = m.group(1), m.group(2).strip()
        for label in _split_top(_unwrap(labels_text.replace("?", " ")), "/"):
            label = " ".join(_unwrap(label).split()).upper()
            if label and label not in _EMPTY:
                out.append((label, target))
    return tuple(out)


def parse_effect_fills(lines: list[str]) -> tuple[EffectFill, ...]:
    """Slot 23 lines as :class:`EffectFill` s, keeping what :func:`parse_effects` drops: which
    line a label came from, whether it was optional and every target string it points at."""
    out = []
    for line in lines:
        line = line.strip()
        if line in _EMPTY:
            continue
        labels_text, targets_text = _split_xref(line)
        labels_text, optional = _strip_optional(labels_text)
        labels = tuple(
            dict.fromkeys(
                label
                for part in _split_top(_unwrap(labels_text), "/")
                if (label := " ".join(_unwrap(part.replace("?", " ")).split()).upper())
                and label not in _EMPTY
            )
        )
        if labels:
            out.append(EffectFill(labels, _target_strings(targets_text), optional))
    return tuple(out)


def _split_xref(line: str) -> tuple[str, str]:
    """``LABEL: "A" / "B"`` -> (``LABEL``, ``"A" / "B"``); a line without a quoted
    cross-reference -> (line, "")."""
    m = re.match(r'^([^"]*?)\s*:\s*(".*)$', line)
    return (m.group(1), m.group(2).strip()) if m else (line, "")


def _target_strings(text: str) -> tuple[str, ...]:
    """``"A" / "B \\"C\\""`` -> (``A``, ``B "C"``), upper-cased and space-normalised; the
    dummy ``"-"`` gives ()."""
    out = []
    for part in _split_top(text, "/"):
        part = part.strip()
        if len(part) >= 2 and part[0] == '"' and part[-1] == '"':
            part = part[1:-1]
        part = " ".join(part.replace('\\"', '"').split()).upper()
        if part and part not in _EMPTY:
            out.append(part)
    return tuple(dict.fromkeys(out))


# --- number slots (14, 17, 21, 24) --------------------------------------------------------

_NUMBER = re.compile(
    r"(?P<approx>~)?\s*(?P<low>\d+)?\s*(?P<dash>-)?\s*(?P<high>\d+)?"
)


def parse_number(text: str) -> tuple[KeyNumber, ...]:
    """The readings of a number fill without its cross-reference: ``7``, ``PLURAL``,
    ``~100``, ``6-8``, ``6-``, ``23 -``, ``-15``, ``6 / 4``, ``5/6``, ``1 / PLURAL``,
    ``1,000``. ``?`` marks are ignored here (see :func:`parse_number_fill`); an unreadable
    alternative is dropped."""
    out = []
    for alt in _split_top(text.replace("?", " "), "/"):
        alt = " ".join(_unwrap(alt).split()).upper().replace(",", "")
        if alt == "PLURAL":
            out.append(KeyNumber(2, None))
            continue
        m = _NUMBER.fullmatch(alt)
        if not m or not (m["low"] or m["high"]) or (m["approx"] and m["dash"]):
            continue
        if not m["dash"] and m["high"]:  # "7 8"
            continue
        low = int(m["low"]) if m["low"] else None
        high = int(m["high"]) if m["high"] else None
        if not m["dash"]:
            out.append(KeyNumber(low, low, approximate=bool(m["approx"])))
        elif low is not None and high is not None:
            out.append(KeyNumber(min(low, high), max(low, high)))
        else:  # "6-": at least 6; "-15": at most 15
            out.append(KeyNumber(low, high))
    return tuple(out)


def parse_number_fill(line: str) -> NumberFill:
    """One line of a number slot: ``7: "PEASANTS"``, ``? 1: "HIPOLITO HINCAPIE"``,
    ``1 / PLURAL: "BODYGUARD" / "BODYGUARDS"``, or a bare total such as ``? 6``."""
    line = line.strip()
    number_text, targets_text = _split_xref(line)
    number_text, optional = _strip_optional(number_text)
    return NumberFill(line, parse_number(number_text), _target_strings(targets_text), optional)


# --- killed and injured ------------------------------------------------------------------

_POSITIVE = {"killed": "DEATH", "injured": "INJURY"}
_NEGATIVE = {
    "killed": frozenset({"NO DEATH", "NO INJURY OR DEATH", "NO INJURY"}),
    "injured": frozenset({"NO INJURY", "NO INJURY OR DEATH"}),
}
MAX_COUNT_READINGS = 64  # combinations of alternative readings kept per template


def key_count(
    kind: str,
    numbers: tuple[NumberFill, ...],
    effects: tuple[EffectFill, ...],
    total: NumberFill | None = None,
) -> KeyCount:
    """People ``killed`` or ``injured`` according to one template's slots 21, 23 and 24 (the
    rule is in the module docstring)."""
    if kind not in _POSITIVE:
        raise ConfigError(f"unknown casualty kind {kind!r}", fix="use killed or injured")
    label = _POSITIVE[kind]
    if not any(label in e.labels for e in effects):
        if any(not e.optional and set(e.labels) <= _NEGATIVE[kind] for e in effects):
            return KeyCount((0,), CountBasis.NONE_REPORTED)
        return KeyCount((), CountBasis.NOT_GIVEN)

    pairs = _pair(numbers, effects)
    if total is not None and not total.optional:
        figures = sorted({r.exact for r in total.readings} - {None})
        sure = {id(n) for e, n, _ in pairs if n is not None and e.labels == (label,) and not e.optional}
        if figures and all(id(n) in sure and not n.optional for n in numbers):
            return KeyCount(tuple(figures), CountBasis.TOTAL)

    options: list[set[int]] = []
    counted: set[int] = set()
    for effect, number, status in pairs:
        if label not in effect.labels or (number is not None and id(number) in counted):
            continue
        figures = {r.exact for r in number.readings} - {None} if number is not None else set()
        if effect.optional or len(effect.labels) > 1 or (number is not None and number.optional):
            figures.add(0)
        if not figures:
            return KeyCount((), status if number is None else CountBasis.INEXACT)
        if number is not None:
            counted.add(id(number))
        options.append(figures)
    totals = {sum(combo) for combo in itertools.islice(itertools.product(*options), MAX_COUNT_READINGS)}
    return KeyCount(tuple(sorted(totals)), CountBasis.TARGETS)


def _pair(
    numbers: tuple[NumberFill, ...], effects: tuple[EffectFill, ...]
) -> list[tuple[EffectFill, NumberFill | None, CountBasis]]:
    """Each effect line with the number line of its target (None and the reason when there is
    none): rule 1 of the module docstring."""
    def same(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
        return bool(set(a) & set(b)) if a else not b  # the dummy "-" pairs with "-"

    out = []
    for effect in effects:
        mine = [n for n in numbers if same(effect.targets, n.targets)]
        siblings = [e for e in effects if same(effect.targets, e.targets)]
        if not mine:
            out.append((effect, None, CountBasis.NO_NUMBER))
        elif len(mine) == len(siblings):
            out.append((effect, mine[next(i for i, e in enumerate(siblings) if e is effect)], CountBasis.TARGETS))
        elif len(mine) == 1 and len({e.labels for e in siblings}) == 1:
            out.append((effect, mine[0], CountBasis.TARGETS))
        else:
            out.append((effect, None, CountBasis.UNPAIRED))
    return out
