"""Tokens with character offsets, grouped in sentences, for the learned tagger.

Tokenisation is a regular expression, not spaCy: the tagger must be fast on one core and
must see the same tokens at training and at run time. Words keep inner hyphens, apostrophes
and dots (``u.s.``, ``a-37``, ``army's``); every other non-space character is its own token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..segment import ABBREVIATIONS, segment

_TOKEN = re.compile(r"\w+(?:[-'’.]\w+)*\.?|[^\w\s]", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    text: str  # lower-cased

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    out = []
    for m in _TOKEN.finditer(text, start, len(text) if end is None else end):
        a, b = m.span()
        word = m.group()
        # a trailing dot belongs to the word only for abbreviations (u.s., gen.)
        if len(word) > 1 and word.endswith(".") and "." not in word[:-1] and word[:-1].lower() not in ABBREVIATIONS:
            out.append(Token(a, b - 1, word[:-1].lower()))
            out.append(Token(b - 1, b, "."))
            continue
        out.append(Token(a, b, word.lower()))
    return out


def sentences(text: str) -> list[list[Token]]:
    """The document's sentences as token lists (empty sentences dropped)."""
    out = []
    for s in segment(text):
        toks = tokenize(text, s.start, s.end)
        if toks:
            out.append(toks)
    return out
