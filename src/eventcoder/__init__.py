"""eventcoder: reports of political violence in, structured, geocoded, evidence-linked incidents out.

    >>> from eventcoder import extract
    >>> incidents = extract("A car bomb killed 5 soldiers in Mosul on 3 May 2017.")

The public API is what this module exports; the CLI is a thin layer over it.
"""

from .compare import ComparisonRow, compare_claims
from .errors import ConfigError, EventcoderError, InputError
from .export import ExportFilter, export
from .link import LinkConfig, link_incidents, load_link_config
from .pipeline import Pipeline, PipelineConfig, Result, Summary, extract, pipe
from .records import (
    Actor,
    Count,
    DateValue,
    Document,
    Estimate,
    Event,
    Incident,
    Location,
    Materiel,
    Rejected,
    SourceView,
    Target,
    Weapon,
    from_dict,
    to_dict,
)

__version__ = "0.1.0"

__all__ = [
    "Actor", "ComparisonRow", "ConfigError", "Count", "DateValue", "Document", "Estimate", "Event",
    "EventcoderError", "ExportFilter", "Incident", "InputError", "LinkConfig", "Location", "Materiel", "Pipeline",
    "PipelineConfig", "Rejected", "Result", "SourceView", "Summary", "Target", "Weapon", "compare_claims", "export",
    "extract", "from_dict", "link_incidents", "load_link_config", "pipe", "to_dict",
]
