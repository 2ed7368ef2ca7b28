"""The sample reports bundled with the package (``eventcoder/samples/``), as documents."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any

from .datafiles import safe_load
from .records import Document, SourceKind


def manifest() -> list[dict[str, Any]]:
    ref = resources.files("eventcoder").joinpath("samples", "manifest.yaml")
    data = safe_load(ref.read_text(encoding="utf-8"))
    return data["documents"] if isinstance(data, dict) else data


def load_samples() -> list[Document]:
    """Every bundled sample report with its source, kind and publication date."""
    folder = resources.files("eventcoder").joinpath("samples")
    docs = []
    for entry in manifest():
        text = folder.joinpath(entry["file"]).read_text(encoding="utf-8").replace("\r\n", "\n")
        published = entry.get("published")
        if isinstance(published, str):
            published = dt.date.fromisoformat(published)
        docs.append(
            Document(
                text=text,
                doc_id=entry["doc_id"],
                published=published,
                source=entry.get("source", "sample"),
                source_kind=SourceKind(entry.get("source_kind", "unknown")),
                title=entry.get("title"),
                origin=f"samples/{entry['file']}",
                hijri_calendar=entry.get("hijri_calendar", "tabular"),
            )
        )
    return docs
