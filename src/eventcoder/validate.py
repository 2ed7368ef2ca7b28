"""Validate incident records against the JSON Schema shipped in the package.

The schema's closed sets (event types, weapon and target categories) are those of the packaged
codebooks. A pipeline that runs with a user's own codebook validates against the same schema
with those sets replaced by the user codebook's codes (:func:`schema_for`).
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any

import jsonschema

from .records import Incident

SCHEMA_FILE = "incident.v1.json"

# Where the codebook-driven closed sets live in the schema.
_ENUM_PATHS = {
    "sub_event_type": ("properties", "sub_event_type"),
    "event_type": ("properties", "event_type"),
    "weapon": ("properties", "weapons", "items", "properties", "category"),
    "target": ("properties", "targets", "items", "properties", "category"),
}


@functools.lru_cache(maxsize=1)
def incident_schema() -> dict[str, Any]:
    return json.loads(resources.files("eventcoder").joinpath("schema", SCHEMA_FILE).read_text(encoding="utf-8"))


def schema_for(codes: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """The incident schema with the closed sets named in ``codes`` replaced."""
    schema = copy.deepcopy(incident_schema())
    for name, values in codes.items():
        node = schema
        for key in _ENUM_PATHS[name]:
            node = node[key]
        node["enum"] = list(values)
    return schema


@functools.lru_cache(maxsize=8)
def _validator(codes_key: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> jsonschema.protocols.Validator:
    schema = schema_for(dict(codes_key)) if codes_key else incident_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validation_errors(record: Incident | dict[str, Any], codes: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """Human-readable schema violations of one record ([] when it validates)."""
    data = record.to_dict() if isinstance(record, Incident) else record
    key = tuple(sorted((k, tuple(v)) for k, v in (codes or {}).items()))
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(record)'}: {e.message}"
        for e in _validator(key).iter_errors(data)
    ]
