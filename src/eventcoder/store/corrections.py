"""Applying a person's corrections to an incident record: checked field by field."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Mapping
from typing import Any

from ..errors import StoreError
from ..records import Incident, to_dict

# fields that identify a record: a correction cannot change them
FIXED = ("incident_id", "doc_id", "schema_version")
# the schema asks extracted values for evidence; a corrected value may have none
_NO_SPANS = re.compile(r"/spans: \[\] should be non-empty$")
CORRECTABLE = tuple(f.name for f in dataclasses.fields(Incident) if f.name not in FIXED)


def apply_changes(
    record: dict[str, Any], changes: Mapping[str, Any], incident_id: str
) -> tuple[Incident, list[tuple[str, Any, Any]]]:
    """The incident ``record`` (its ``to_dict()``) with ``changes`` applied, and the fields that
    changed as ``(field, old, new)`` JSON values. A bad field or value raises :class:`StoreError`
    naming the field."""
    from ..validate import validation_errors

    if not isinstance(changes, Mapping) or not changes:
        raise StoreError(f"no changes given for incident {incident_id!r}",
                         fix='pass a mapping of fields to new values, e.g. {"sub_event_type": "grenade"}')
    data = dict(record)
    for field, value in changes.items():
        if field in FIXED:
            raise StoreError(f"the field {field!r} of incident {incident_id!r} cannot be corrected",
                             fix=f"correct one of: {', '.join(CORRECTABLE)}")
        if field not in CORRECTABLE:
            raise StoreError(f"incidents have no field {field!r}", fix=f"correct one of: {', '.join(CORRECTABLE)}")
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"the new value of {field!r} is not JSON-ready ({exc})",
                             fix="give values as to_dict() writes them: numbers, strings, lists, objects, null") from None
        data[field] = copy.deepcopy(value)
        try:  # this field on the old record: a failure names the field
            Incident.from_dict({**record, field: value})
        except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
            raise StoreError(f"bad value for the field {field!r} of incident {incident_id!r}: {exc}",
                             fix=_fix(field, record)) from None
    new = Incident.from_dict(data)
    for error in validation_errors(new):
        field = error.split("/", 1)[0].split(":", 1)[0]
        if _NO_SPANS.search(error):  # a person's value needs no evidence spans
            continue
        if field in changes:  # errors the record had before are not this correction's
            raise StoreError(f"bad value for the field {field!r} of incident {incident_id!r}: {error}",
                             fix=_fix(field, record))
    after = to_dict(new)
    diffs = [(field, record.get(field), after[field]) for field in changes if after[field] != record.get(field)]
    return new, diffs


def _fix(field: str, record: dict[str, Any]) -> str:
    example = record.get(field)
    shown = json.dumps(example, ensure_ascii=False) if example is not None else "null"
    if len(shown) > 120:
        shown = shown[:117] + "..."
    return f"give {field!r} in the shape of schema/incident.v1.json (the current value is {shown})"
