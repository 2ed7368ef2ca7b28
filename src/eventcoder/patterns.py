"""Regular expressions built from word lists."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def trie(sequences: Iterable[Iterable[str]]) -> str:
    """An alternation of atom sequences factored by common prefixes: much faster to fail than a
    flat one. Where one entry is a prefix of another, the longer one is tried first, as in a
    longest-first alternation."""
    root: dict[str, Any] = {}
    for seq in sequences:
        node = root
        for atom in seq:
            node = node.setdefault(atom, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [atom + emit(child) for atom, child in node.items() if atom]
        if "" in node and branches:
            branches.append("")
        if len(branches) <= 1:
            return branches[0] if branches else ""
        return "(?:" + "|".join(branches) + ")"

    return emit(root) if root else "(?!x)x"
