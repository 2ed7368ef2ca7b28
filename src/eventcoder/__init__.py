"""eventcoder: reports of political violence in, structured, geocoded, evidence-linked incidents out.

    >>> from eventcoder import extract
    >>> incidents = extract("A car bomb killed 5 soldiers in Mosul on 3 May 2017.")

The public API is what this module exports; the CLI is a thin layer over it.
"""

from .errors import ConfigError, EventcoderError, InputError
from .pipeline import Pipeline, PipelineConfig, Result, Summary, extract, pipe
from .records import (
    Actor,
    Count,
    DateValue,
    Document,
    Incident,
    Location,
    Materiel,
    Rejected,
    Target,
    Weapon,
    from_dict,
    to_dict,
)

__version__ = "0.1.0"

__all__ = [
    "Actor", "ConfigError", "Count", "DateValue", "Document", "EventcoderError", "Incident", "InputError",
    "Location", "Materiel", "Pipeline", "PipelineConfig", "Rejected", "Result", "Summary", "Target", "Weapon",
    "extract", "from_dict", "pipe", "to_dict",
]
