"""Document-level features for the relevance and incident-type classifiers.

MUC-4 relevance follows the task's rules (a specific act, in the covered countries, recent
relative to the dateline, not a military clash), which bag-of-words models miss. So besides
the words, the features describe what the rule stage already found: each incident's codebook
type, how old its date is relative to the publication date, which country it was geocoded to,
its stance, and the years the text mentions relative to the publication year; and what the role
tagger found (:func:`tagger_features`): a report of an act names its perpetrators, victims and
weapons, and says so early.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from ..lexicon import Lexicon
from ..muc4.data import ROLES
from ..records import Incident
from .assemble import Entity
from .tokens import Token

_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_STOP = frozenset(
    "the a an of to in and on for that with was were is are by at as from it its has have had be "
    "this which said he they their his been but not or will who also".split()
)


def _age(days: int | None) -> str:
    if days is None:
        return "none"
    if days < -1:
        return "future"
    if days <= 1:
        return "d1"
    if days <= 7:
        return "d7"
    if days <= 31:
        return "d31"
    if days <= 365:
        return "d365"
    return "old"


def document_features(
    text: str,
    sentences: list[list[Token]],
    published: dt.date | None,
    incidents: Iterable[Incident],
    lexicon: Lexicon,
) -> list[str]:
    f: list[str] = ["pub=" + ("yes" if published else "no")]
    words = [t.text for s in sentences for t in s if t.text[0].isalnum()]
    seen = set()
    for i, w in enumerate(words):
        if w not in _STOP:
            seen.add("u=" + w)
        if i and not (w in _STOP and words[i - 1] in _STOP):
            seen.add("bg=" + words[i - 1] + "_" + w)
    for s in sentences[:2]:  # the lead carries the story
        for t in s:
            if t.text[0].isalpha() and t.text not in _STOP:
                seen.add("lead=" + t.text)
    f.extend(sorted(seen))
    if published:
        for m in _YEAR.finditer(text):
            f.append("year=" + _age((published.year - int(m.group(1))) * 365))
    incidents = list(incidents)
    f.append("incidents=%d" % min(len(incidents), 4))
    for inc in incidents:
        muc = lexicon.muc4.get(inc.sub_event_type) or "none"
        days = None
        if published and inc.date and inc.date.start:
            days = (published - inc.date.start).days
        age = _age(days)
        country = inc.location.country if inc.location and inc.location.country else "none"
        f += [
            "type=" + inc.sub_event_type,
            "muc=" + muc,
            "age=" + age,
            "muc|age=" + muc + "|" + age,
            "country=" + country,
            "muc|country=" + muc + "|" + country,
            "stance=" + str(inc.stance),
            "perps=%d" % min(len(inc.perpetrators), 2),
            "targets=%d" % min(len(inc.targets), 2),
        ]
        if inc.fatalities:
            f.append("fatalities")
    return f


def tagger_features(ents: Iterable[Entity]) -> list[str]:
    """What the role tagger found in a document, per role: how many entities (capped at 3), how
    sure the surest one is (thresholds 0.5 / 0.7 / 0.9), and whether one is in the first two
    sentences. For training documents these come from a tagger that did not see them
    (cross-fitting in :func:`eventcoder.learn.train.train_muc4`)."""
    ents = list(ents)
    f: list[str] = []
    for role in ROLES:
        mine = [e for e in ents if e.role == role]
        f.append(f"tag_n_{role}={min(len(mine), 3)}")
        best = max((e.probability for e in mine), default=0.0)
        f.extend(f"tag_p_{role}>={t}" for t in (0.5, 0.7, 0.9) if best >= t)
        if any(e.first.sentence < 2 for e in mine):
            f.append(f"tag_lead_{role}")
    return f
