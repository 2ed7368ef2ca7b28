"""Validate incident records against the JSON Schema shipped in the package."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import jsonschema

from .records import Incident

SCHEMA_FILE = "incident.v1.json"


@functools.lru_cache(maxsize=1)
def incident_schema() -> dict[str, Any]:
    return json.loads(resources.files("eventcoder").joinpath("schema", SCHEMA_FILE).read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = incident_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validation_errors(record: Incident | dict[str, Any]) -> list[str]:
    """Human-readable schema violations of one record ([] when it validates)."""
    data = record.to_dict() if isinstance(record, Incident) else record
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(record)'}: {e.message}"
        for e in _validator().iter_errors(data)
    ]

