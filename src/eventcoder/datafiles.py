"""Reading the knowledge files: a YAML file shipped in the package, or a user's file of the same shape.

Codebooks, export crosswalks and the link config are all read the same way: by the name of a
packaged file (``eventcoder/data/<folder>/<name>.yaml``) or by the path of a user's file; parsed
with :func:`safe_load` (PyYAML's safe loader, its C version when libyaml is there: the
lexicons load several times faster, which is most of a process's start-up); checked against a
JSON Schema. Every failure becomes a
:class:`~eventcoder.errors.ConfigError` (or the subclass the caller names) that says which file,
which field and how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` with the C loader when PyYAML has it (same tags, same results)."""
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader


def read_yaml(
    name_or_path: str | Path,
    *,
    kind: str,
    folder: Sequence[str],
    packaged: Sequence[str],
    error: type[ConfigError] = ConfigError,
    missing_fix: str | None = None,
) -> tuple[Any, str]:
    """The parsed YAML of the packaged file ``name_or_path`` (one of ``packaged``, found in
    ``eventcoder/<folder...>/<name>.yaml``) or of the user's file at that path, and a label for
    messages (``"acled.yaml (packaged)"`` or the path). ``missing_fix`` replaces the advice given
    when there is no such file."""
    name = str(name_or_path)
    if name in packaged:
        ref = resources.files("eventcoder").joinpath(*folder, f"{name}.yaml")
        text, where = ref.read_text(encoding="utf-8"), f"{name}.yaml (packaged)"
    else:
        path = Path(name)
        if not path.is_file():
            fix = missing_fix or f"use one of {', '.join(packaged)} or the path of a YAML file"
            raise error(f"no {kind} named {name!r}", fix=fix)
        text, where = path.read_text(encoding="utf-8"), str(path)
    try:
        return safe_load(text), where
    except yaml.YAMLError as exc:
        raise error(f"{kind} {where} is not valid YAML: {exc}", fix="fix the YAML syntax") from None


def check_schema(
    data: Any,
    schema: dict[str, Any],
    *,
    kind: str,
    where: str,
    fix: str,
    error: type[ConfigError] = ConfigError,
) -> None:
    """Validate ``data`` against a JSON Schema; the first problem becomes ``error`` naming the field
    (``entries/3/code``) and ending with ``fix`` (how to find the right shape)."""
    import jsonschema

    try:
        jsonschema.validate(data, schema)
    except jsonschema.ValidationError as exc:
        field = "/".join(str(p) for p in exc.absolute_path) or "top level"
        raise error(f"{kind} {where} is invalid at {field}: {exc.message}", fix=fix) from None


__all__ = ["read_yaml", "check_schema"]
