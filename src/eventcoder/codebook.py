"""Codebooks: versioned YAML files of codes, labels, definitions and aliases.

Every codebook is validated against a JSON Schema when it is loaded, so a broken file fails
before any document is read. ``load_codebook("weapons")`` reads the packaged file;
``load_codebook(path)`` reads a user's own file with the same shape.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from typing import Any


from .datafiles import check_schema, read_yaml
from .errors import CodebookError

PACKAGED = ("event_types", "weapons", "targets", "claims", "actors")

_ALIASES = {"type": "array", "items": {"type": "string", "minLength": 1}}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "version", "entries"],
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9_]+$"},
        "version": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
        "description": {"type": "string"},
        "groups": {"type": "array"},
        "entries": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "label"],
                "properties": {
                    "code": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                    "label": {"type": "string"},
                    "definition": {"type": "string"},
                    "aliases": {
                        "oneOf": [
                            _ALIASES,
                            {"type": "object", "additionalProperties": _ALIASES},
                        ]
                    },
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Entry:
    code: str
    label: str
    definition: str
    aliases: tuple[str, ...]
    extra: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.extra.get(key, default)


@dataclass(frozen=True)
class Codebook:
    name: str
    version: str
    description: str
    entries: tuple[Entry, ...]
    raw: dict[str, Any]
    path: str
    sections: dict[str, tuple[Entry, ...]] = dataclasses.field(default_factory=dict)  # other coded lists

    def all_entries(self) -> tuple[Entry, ...]:
        return self.entries + tuple(e for section in self.sections.values() for e in section)

    def __getitem__(self, code: str) -> Entry:
        for e in self.entries:
            if e.code == code:
                return e
        raise KeyError(code)

    def __contains__(self, code: str) -> bool:
        return any(e.code == code for e in self.entries)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(e.code for e in self.entries)

    @property
    def ref(self) -> str:
        """``name@version``, stored on every coded record."""
        return f"{self.name}@{self.version}"

    @functools.cached_property
    def _by_phrase(self) -> dict[str, Entry]:
        table: dict[str, Entry] = {}
        for e in self.entries:
            for key in (*e.aliases, e.label, e.code):
                table.setdefault(" ".join(key.split()).lower(), e)
        return table

    def named(self, phrase: str) -> Entry | None:
        """The entry ``phrase`` names: one of its aliases, its label or its code, in any case
        ("soldiers of the Caliphate" names Islamic State); None when it names none."""
        return self._by_phrase.get(" ".join(phrase.split()).lower())


def _flatten_aliases(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, dict):
        return tuple(a for v in value.values() for a in v)
    return tuple(value)


def parse_codebook(data: Any, path: str = "<memory>") -> Codebook:
    check_schema(data, SCHEMA, kind="codebook", where=path, error=CodebookError,
                 fix="compare the file with a packaged codebook (eventcoder codebook list) and correct that field")
    codes = [e["code"] for e in data["entries"]]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise CodebookError(f"codebook {path} repeats codes: {', '.join(dupes)}", fix="give every entry a unique code")
    def entry(e: dict[str, Any]) -> Entry:
        return Entry(
            code=e["code"],
            label=e["label"],
            definition=e.get("definition", ""),
            aliases=_flatten_aliases(e.get("aliases")),
            extra={k: v for k, v in e.items() if k not in {"code", "label", "definition"}},
        )

    # other top-level lists of coded terms (e.g. the claim lexicon's enemy labels)
    sections = {
        key: tuple(entry(e) for e in value)
        for key, value in data.items()
        if key not in ("entries", "groups") and isinstance(value, list) and value
        and all(isinstance(e, dict) and "code" in e and "label" in e for e in value)
    }
    return Codebook(
        name=data["name"],
        version=data["version"],
        description=data.get("description", ""),
        entries=tuple(entry(e) for e in data["entries"]),
        raw=data,
        path=path,
        sections=sections,
    )


@functools.lru_cache(maxsize=32)
def load_codebook(name_or_path: str) -> Codebook:
    """Load a packaged codebook by name, or a user codebook by path (cached per process)."""
    data, where = read_yaml(name_or_path, kind="codebook", folder=("data", "codebooks"), packaged=PACKAGED,
                            error=CodebookError)
    return parse_codebook(data, where)


def user_codebooks(paths: tuple[str, ...] | list[str]) -> dict[str, Codebook]:
    """Load user codebook files; each replaces the packaged codebook of the same ``name``."""
    books: dict[str, Codebook] = {}
    for path in paths:
        book = load_codebook(str(path))
        if book.name not in PACKAGED:
            raise CodebookError(
                f"codebook {path} is named {book.name!r}, which replaces nothing",
                fix=f"set its name to one of {', '.join(PACKAGED)}",
            )
        if book.name in books:
            raise CodebookError(f"two codebooks named {book.name!r} were given", fix="pass each codebook once")
        books[book.name] = book
    return books


def explain(code: str) -> list[tuple[Codebook, Entry]]:
    """Every packaged entry whose code (or an alias) equals ``code``."""
    key = code.strip().lower()
    hits = []
    for name in PACKAGED:
        book = load_codebook(name)
        for e in book.all_entries():
            if e.code == key or key in (a.lower() for a in e.aliases):
                hits.append((book, e))
    return hits


def alias_pattern(aliases: Any) -> re.Pattern[str]:
    """One case-insensitive regex matching any alias on word boundaries, longest first."""
    from .patterns import trie

    words = {a.lower() for a in aliases}
    # a space in an alias matches any white space or dashes; factored as a trie (fast to fail)
    body = trie([r"[\s-]+" if c == " " else re.escape(c) for c in w] for w in words)
    return re.compile(rf"(?<![\w'’-])(?:{body})(?![\w'’])", re.IGNORECASE)
