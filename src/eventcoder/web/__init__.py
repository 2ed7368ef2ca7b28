"""The review web application (``eventcoder serve``; the ``web`` extra).

``create_app(db, token, reviewer)`` builds the FastAPI application (:mod:`.app`). Importing this
package imports no web framework: ``create_app`` is loaded on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
