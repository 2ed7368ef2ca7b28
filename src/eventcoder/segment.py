"""Split a document into paragraphs, header lines and sentences, keeping character offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .records import Span

PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) then whitespace,
# unless the word before the stop is a known abbreviation or a single letter (u.s., j. smith).
_STOP = re.compile(r"[.!?][\"'”’)\]]*\s+")
ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "gen", "col", "lt", "sgt", "capt", "maj", "cpl", "pvt", "rev", "fr",
    "st", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "no", "vs", "approx", "gov", "sen", "rep", "pres", "prof", "inc", "co", "corp", "ltd", "jr", "sr",
    "mt", "ft", "km", "e.g", "i.e", "etc", "al",
}


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    paragraph: int
    is_header: bool = False

    @property
    def span(self) -> Span:
        return (self.start, self.end)


def _is_header(line: str) -> bool:
    s = line.strip()
    if not s or len(s) > 70 or s[-1] in ".!?:;,":
        return False
    words = s.split()
    if len(words) > 8:
        return False
    caps = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha())
    return caps >= max(1, len(words) - 1)


def _sentences(text: str, start: int, end: int, paragraph: int) -> list[Sentence]:
    out: list[Sentence] = []
    pos = start
    for m in _STOP.finditer(text, start, end):
        before = text[pos : m.start()].rsplit(None, 1)
        last = before[-1].lower().rstrip(".") if before else ""
        if last in ABBREVIATIONS or (len(last) == 1 and last.isalpha()) or re.fullmatch(r"(?:[a-z]\.)+[a-z]", last):
            continue
        if m.end() < end and text[m.end()].isdigit() and text[m.start()] == ".":
            continue
        out.append(Sentence(pos, m.start() + 1, paragraph))
        pos = m.end()
    if pos < end and text[pos:end].strip():
        stripped_end = end
        while stripped_end > pos and text[stripped_end - 1].isspace():
            stripped_end -= 1
        out.append(Sentence(pos, stripped_end, paragraph))
    return out


def is_caseless(text: str) -> bool:
    """True for lower-cased copy (the processed MUC-4 texts, some feeds): under 2% capitals
    among the first 5,000 letters. Case-dependent cues and the cased NER model see nothing there."""
    letters = [c for c in text[:5000] if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) < 0.02 * len(letters)


def segment(text: str) -> list[Sentence]:
    """Sentences in document order. Short title-like lines become header sentences."""
    out: list[Sentence] = []
    para_starts = [0] + [m.end() for m in PARAGRAPH_BREAK.finditer(text)]
    para_ends = [m.start() for m in PARAGRAPH_BREAK.finditer(text)] + [len(text)]
    for p, (ps, pe) in enumerate(zip(para_starts, para_ends)):
        pos = ps
        # leading header lines of a paragraph ("Wilayat al-Khayr\nOn the 7th of ...")
        while True:
            nl = text.find("\n", pos, pe)
            line_end = pe if nl == -1 else nl
            line = text[pos:line_end]
            if line.strip() and _is_header(line) and (nl != -1 or pos == ps):
                lead = len(line) - len(line.lstrip())
                out.append(Sentence(pos + lead, pos + len(line.rstrip()), p, is_header=True))
                if nl == -1:
                    pos = pe
                    break
                pos = nl + 1
                continue
            break
        if pos < pe:
            while pos < pe and text[pos].isspace():
                pos += 1
            out.extend(_sentences(text, pos, pe, p))
    return out


# "EL-ARISH, Egypt, 3 February 2017 (Nile Report) - " or "san salvador, 3 jan 90 -- "
_DATELINE = re.compile(
    r"^\s*((?:[A-Z][A-Za-z'’. -]*|[a-z][a-z'’. -]*?)(?:,\s*[A-Za-z][A-Za-z'’ .-]*?)?)"
    r",\s*[^\n]{0,60}?\d{1,4}[^\n]{0,40}?\s(?:-{1,2}|–|—)\s"
)


def dateline(text: str) -> tuple[Span, Span] | None:
    """The dateline at the start of a wire story: (span of the whole dateline, span of its place)."""
    m = _DATELINE.match(text[:160])
    if not m:
        return None
    return (m.start(1), m.end()), (m.start(1), m.end(1))
