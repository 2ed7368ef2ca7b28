"""Turn incident records into MUC-4 templates (the GTT prediction format).

The crosswalk is data: each sub-event type's ``muc4`` field in ``event_types.yaml``. Incidents
whose type has no MUC-4 counterpart (clashes, arrests) produce no template, which is what the
MUC-4 task rules ask for. Mention strings are copied from the document text by span.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..lexicon import Lexicon
from ..records import ActorKind, Incident, TargetKind

from .data import ROLES


def _entity(text: str, spans) -> list[str]:
    a, b = spans[0]
    return [text[a:b]]


def _dedupe(entities: list[list[str]]) -> list[list[str]]:
    seen, out = set(), []
    for e in entities:
        key = tuple(m.lower() for m in e)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def to_template(incident: Incident, text: str, lexicon: Lexicon) -> dict[str, Any] | None:
    """One GTT-format template for ``incident``, or None when it has no MUC-4 type."""
    muc_type = lexicon.muc4.get(incident.sub_event_type)
    if not muc_type:
        return None
    t: dict[str, Any] = {"incident_type": muc_type, **{r: [] for r in ROLES}}
    for p in incident.perpetrators:
        role = "PerpOrg" if p.kind == ActorKind.ORGANIZATION else "PerpInd"
        t[role].append(_entity(text, p.spans))
    for tg in incident.targets:
        if tg.kind == TargetKind.PHYSICAL:
            t["Target"].append(_entity(text, tg.spans))
        elif not lexicon.target.pattern.fullmatch(tg.text):
            t["Victim"].append(_entity(text, tg.spans))  # a name, not a generic description
    for w in incident.weapons:
        t["Weapon"].append(_entity(text, w.spans))
    for r in ROLES:
        t[r] = _dedupe(t[r])
    return t


def muc4_incidents(incidents: Iterable[Incident], model: str | None = None) -> list[Incident]:
    """The incidents MUC-4 asks for. With ``model`` (the learned stage's version), only those
    the model coded: it has judged the document relevant under the MUC-4 task rules, and the
    incidents it did not code are not MUC-4 incidents."""
    if model is None:
        return list(incidents)
    return [inc for inc in incidents if inc.coding is not None and inc.coding.extractor == model]


def to_templates(incidents: Iterable[Incident], text: str, lexicon: Lexicon, model: str | None = None) -> list[dict[str, Any]]:
    """Templates for the incidents with a MUC-4 type (see :func:`muc4_incidents`)."""
    out = []
    for inc in muc4_incidents(incidents, model):
        t = to_template(inc, text, lexicon)
        if t is not None:
            out.append(t)
    return out
