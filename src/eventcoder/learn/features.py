"""Token features for the CRF role tagger.

Features are lower-case by construction, so the tagger behaves the same on the all-caps or
lower-cased wire copy of MUC-4 and on mixed-case modern reports. Besides the words around a
token they carry what the codebooks know (a weapon, an armed group, a target term, an event
trigger), the word clusters of the training text, and where the sentence sits in the document.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping

from ..lexicon import Lexicon
from .tokens import Token

_DIGIT = re.compile(r"\d")


def _shape(w: str) -> str:
    if w.isdigit():
        return "num"
    if _DIGIT.search(w):
        return "alnum"
    if w.isalpha():
        return "alpha"
    if len(w) == 1:
        return "punct"
    return "mixed"


def _lexicon_tags(text: str, sent: list[Token], lexicon: Lexicon) -> list[list[str]]:
    """Per token, the codebook matches it lies in (``weapon``, ``org``, ``target``, ``trigger:x``)."""
    tags: list[list[str]] = [[] for _ in sent]
    if not sent:
        return tags
    a, b = sent[0].start, sent[-1].end
    starts = [t.start for t in sent]
    def mark(hits, name):
        for h in hits:
            i = bisect.bisect_left(starts, h.start)
            first = True
            while i < len(sent) and sent[i].start < h.end:
                tags[i].append(("B-" if first else "I-") + name)
                first = False
                i += 1

    mark(lexicon.weapon.find(text, a, b), "weapon")
    mark(lexicon.org.find(text, a, b), "org")
    mark(lexicon.individual.find(text, a, b), "indiv")
    for h in lexicon.target.find(text, a, b):
        mark([h], "target-" + h.extra)
    for h in lexicon.triggers.find(text, a, b):
        mark([h], "trig")
        mark([h], "trig-" + (lexicon.muc4.get(h.code) or "other"))
    return tags


def sentence_features(text: str, sent: list[Token], index: int, n_sentences: int, lexicon: Lexicon,
                      clusters: Mapping[str, str] | None = None) -> list[list[str]]:
    """Each token's features; ``clusters`` (word -> cluster, :mod:`eventcoder.learn.clusters`)
    adds the clusters of the token and of its neighbours."""
    words = [t.text for t in sent]
    cl = [clusters.get(w) for w in words] if clusters else []
    lex = _lexicon_tags(text, sent, lexicon)
    trig_positions = [i for i, tags in enumerate(lex) if "B-trig" in tags]
    sent_types = sorted({t[5:] for tags in lex for t in tags if t.startswith("B-trig-")})
    pos = "s0" if index == 0 else "s1" if index == 1 else "s2-4" if index < 5 else "s5+"
    sent_common = [f"spos={pos}"] + [f"stype={t}" for t in sent_types]
    if not trig_positions:
        sent_common.append("notrig")
    feats: list[list[str]] = []
    n = len(words)
    for i, w in enumerate(words):
        f = [
            "b",
            "w=" + w,
            "suf3=" + w[-3:],
            "pre3=" + w[:3],
            "shape=" + _shape(w),
        ]
        for off in (-3, -2, -1, 1, 2, 3):
            j = i + off
            f.append(f"w{off:+d}=" + (words[j] if 0 <= j < n else ("<s>" if j < 0 else "</s>")))
        f.append("w-1|w=" + (words[i - 1] if i else "<s>") + "|" + w)
        f.append("w|w+1=" + w + "|" + (words[i + 1] if i + 1 < n else "</s>"))
        f.append("w-2|w-1=" + (words[i - 2] if i > 1 else "<s>") + "|" + (words[i - 1] if i else "<s>"))
        f.extend("lex=" + t for t in lex[i])
        if clusters:
            for off in (-1, 0, 1):
                c = cl[i + off] if 0 <= i + off < n else None
                if c is not None:
                    f.append(f"c{off:+d}=" + c if off else "c=" + c)
        for off in (-1, 1):
            j = i + off
            if 0 <= j < n:
                f.extend(f"lex{off:+d}=" + t for t in lex[j])
        if trig_positions:
            p = min(trig_positions, key=lambda p: abs(p - i))
            d = p - i
            side = "here" if d == 0 else "after" if d > 0 else "before"
            f.append("trig=" + side)
            f.append("trigd=" + str(max(-4, min(4, d))))
            f.append("trigw=" + side + "|" + words[p])  # "killed" after a name: the victim
        f.extend(sent_common)
        feats.append(f)
    return feats
