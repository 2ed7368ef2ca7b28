"""One exception tree for eventcoder. Every error has a code and says how to fix the problem.

Only the CLI (and later the web layer) turns these into prose for people; library code raises
them, and document-level problems become :class:`eventcoder.records.Rejected` records instead.
"""

from __future__ import annotations


class EventcoderError(Exception):
    """Base class. ``code`` is stable and documented; ``fix`` tells the user what to do."""

    code = "E000"

    def __init__(self, message: str, fix: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fix = fix
        if code:
            self.code = code

    def __str__(self) -> str:
        text = f"[{self.code}] {self.message}"
        return f"{text} Fix: {self.fix}" if self.fix else text


class ConfigError(EventcoderError):
    """Bad options or configuration: fails before any work starts."""

    code = "E001"


class CodebookError(ConfigError):
    """A codebook file is missing, malformed or fails its schema."""

    code = "E010"


class GazetteerError(ConfigError):
    """The gazetteer file, an overlay CSV or the equivalents table is missing, stale or malformed.

    Codes: E020 bad overlay/equivalents data, E021 bad cache folder, E022 missing or stale file.
    """

    code = "E020"


class InputError(EventcoderError):
    """A document or input file cannot be read. Becomes a Rejected record."""

    code = "E100"


class ExtractionError(EventcoderError):
    """The extractor failed on a document. Becomes a Rejected record."""

    code = "E200"


class StoreError(EventcoderError):
    """The store cannot be opened or written."""

    code = "E300"


class DataNotFound(EventcoderError):
    """Benchmark or reference data is not where it was expected."""

    code = "E400"


# Codes for rejected documents (stage, code): stable, listed in the README.
REJECT_CODES = {
    "E101": "empty document (no text after decoding)",
    "E102": "binary content (NUL bytes or mostly non-text)",
    "E103": "invalid UTF-8 that could not be decoded",
    "E104": "document larger than the size limit",
    "E105": "malformed JSON line",
    "E106": "no text column or field",
    "E107": "bad publication date",
    "E108": "unknown source kind",
    "E109": "unsupported input type",
    "E110": "input file cannot be read",
    "E111": "bad doc_id (must match [A-Za-z0-9._:-]{1,128})",
    "E112": "malformed CSV row",
    "E201": "extractor crashed on this document",
    "E301": "record failed schema validation",
}
