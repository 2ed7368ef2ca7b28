"""Read the processed MUC-4 splits (GTT templates, GRIT extracts, docmeta datelines).

The files live outside the repository (see ``../shared/data/muc4/README.md``); they are
read, never copied. Offsets are dropped on load: in these files every offset is just
``doctext.find(string)`` (README quirk 1), so they carry no span information.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventcoder.errors import ConfigError, DataNotFound, InputError

ROLES: tuple[str, ...] = ("PerpInd", "PerpOrg", "Target", "Victim", "Weapon")
SPLITS: tuple[str, ...] = ("train", "dev", "test")
ENV_VAR = "EVENTCODER_MUC4_DIR"
NO_DATE = "NO DATE"
_FIX = f"pass --data-dir DIR or set {ENV_VAR}"

# An entity is a tuple of alternative mention strings; a role holds a tuple of entities.
Entities = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class MucTemplate:
    """One gold incident: its (lower-cased) type string and the five role-filler lists."""

    incident_type: str
    roles: dict[str, Entities]


@dataclass(frozen=True)
class MucDocument:
    """One MUC-4 message with its gold templates.

    ``extracts`` is the GRIT role -> entities map (None when no GRIT file was read);
    ``dateline`` is None when the docmeta file is absent or the dateline says ``NO DATE``.
    """

    docid: str
    text: str
    dateline: str | None
    templates: tuple[MucTemplate, ...]
    extracts: dict[str, Entities] | None


def default_data_dir() -> Path:
    """Where the MUC-4 folder is: ``$EVENTCODER_MUC4_DIR``, else ``../shared/data/muc4``
    from the working directory if it exists, else ``../shared/data/muc4`` from the repo root."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    from_cwd = Path.cwd() / ".." / "shared" / "data" / "muc4"
    if from_cwd.is_dir():
        return from_cwd.resolve()
    repo_root = Path(__file__).resolve().parents[3]
    return (repo_root / ".." / "shared" / "data" / "muc4").resolve()


def load_split(split: str, data_dir: Path | None = None) -> list[MucDocument]:
    """Load one split (``train``, ``dev`` or ``test``) in file order.

    ``gtt_<split>.json`` is required; ``grit_<split>.json`` fills ``extracts`` and
    ``docmeta_<split>.jsonl`` fills ``dateline`` when present. Raises ConfigError for an
    unknown split, DataNotFound for a missing folder or GTT file, InputError for a malformed
    file or one whose documents do not line up with the GTT file.
    """
    if split not in SPLITS:
        raise ConfigError(
            f"unknown MUC-4 split {split!r}", fix=f"use one of: {', '.join(SPLITS)}"
        )
    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    if not folder.is_dir():
        raise DataNotFound(f"MUC-4 data folder not found: {folder}", fix=_FIX)
    gtt_path = folder / f"gtt_{split}.json"
    if not gtt_path.is_file():
        raise DataNotFound(f"MUC-4 GTT file not found: {gtt_path}", fix=_FIX)

    grit_path = folder / f"grit_{split}.json"
    meta_path = folder / f"docmeta_{split}.jsonl"
    extracts = (
        {r["docid"]: r["extracts"] for r in _read_jsonl(grit_path)}
        if grit_path.is_file()
        else None
    )
    datelines = (
        {r["docid"]: r.get("dateline") for r in _read_jsonl(meta_path)}
        if meta_path.is_file()
        else None
    )

    docs = []
    for record in _read_jsonl(gtt_path):
        docid = record["docid"]
        doc_extracts = None
        if extracts is not None:
            doc_extracts = _roles(_lookup(extracts, docid, grit_path), grit_path, docid)
        dateline = None
        if datelines is not None:
            dateline = _dateline(_lookup(datelines, docid, meta_path))
        templates = tuple(
            MucTemplate(
                incident_type=t["incident_type"],
                roles=_roles(t, gtt_path, docid),
            )
            for t in record["templates"]
        )
        docs.append(
            MucDocument(
                docid=docid,
                text=record["doctext"],
                dateline=dateline,
                templates=templates,
                extracts=doc_extracts,
            )
        )
    return docs


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{path}:{lineno}: malformed JSON line ({exc.msg})",
                    fix="restore the file from the source repository",
                ) from exc


def _lookup(table: dict[str, Any], docid: str, path: Path) -> Any:
    try:
        return table[docid]
    except KeyError:
        raise InputError(
            f"{path} has no record for document {docid}",
            fix="use GTT, GRIT and docmeta files of the same split",
        ) from None


def _roles(raw: dict[str, Any], path: Path, docid: str) -> dict[str, Entities]:
    """Role -> entities with offsets dropped (each mention is a ``[string, offset]`` pair)."""
    roles = {}
    for role in ROLES:
        if role not in raw:
            raise InputError(
                f"{path}: document {docid} lacks role {role}",
                fix="restore the file from the source repository",
            )
        roles[role] = tuple(tuple(mention[0] for mention in entity) for entity in raw[role])
    return roles


def _dateline(raw: str | None) -> str | None:
    # "CLANDESTINE, NO DATE (RADIO VENCEREMOS)" counts as no date (15 dev / 60 train).
    if raw is None or NO_DATE in raw:
        return None
    return raw
