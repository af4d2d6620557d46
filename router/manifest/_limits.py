"""Limits on a manifest file before it is validated: its size and its YAML aliases.

A YAML alias is a reference, so parsing an alias bomb (billion laughs) is cheap,
but anything that walks the document as plain data (validation, the gateway's
reload) expands every alias: a 2.5 KB file becomes 10^9 nodes. Aliases stay
allowed (an ``&env`` of 20 variables shared by 5,000 routes is fine), but they may
add at most ``ALIAS_FACTOR`` times the nodes the file holds (and at least
``MIN_ALIAS_BUDGET``), so loading stays linear in the file size. This module must
not read files or validate fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from router.errors import ManifestError

__all__ = [
    "ALIAS_FACTOR",
    "MAX_MANIFEST_BYTES",
    "MIN_ALIAS_BUDGET",
    "check_aliases",
    "check_size",
]

MAX_MANIFEST_BYTES = 8 * 1024 * 1024  # a 5,000-route manifest is well under 1 MiB
ALIAS_FACTOR = 10  # aliases may add this many times the nodes written
MIN_ALIAS_BUDGET = 100_000  # nodes aliases may add to a small document (~0.3 s to load)


def check_size(path: Path, size: int) -> None:
    """ManifestError when a file of ``size`` bytes is over ``MAX_MANIFEST_BYTES``."""
    if size > MAX_MANIFEST_BYTES:
        raise ManifestError(
            str(path),
            [f"the file is {size:,} bytes; a manifest may be at most {MAX_MANIFEST_BYTES:,}"],
        )


def check_aliases(path: Path, document: Any) -> None:
    """ManifestError when aliases expand ``document`` beyond its budget (or into itself)."""
    written, expanded = _node_counts(path, document)
    budget = max(MIN_ALIAS_BUDGET, ALIAS_FACTOR * written)
    if expanded - written > budget:
        raise ManifestError(
            str(path),
            [
                f"YAML aliases expand {written:,} written nodes to {expanded:,}; aliases may "
                f"add at most {budget:,} (an alias bomb?): write the values out instead"
            ],
        )


def _node_counts(path: Path, root: Any) -> tuple[int, int]:
    """(nodes as written, each shared container once; nodes with every alias expanded)."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    written = 1  # the root, then one per edge
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes.get(id(child), 1) for child in _children(node))
        elif key not in sizes:
            if key in open_nodes:
                raise ManifestError(str(path), ["a YAML alias refers to a node that contains it"])
            open_nodes.add(key)
            children = _children(node)
            written += len(children)
            stack.append((node, True))
            stack.extend((c, False) for c in children if isinstance(c, dict | list))
    return written, sizes.get(id(root), 1)


def _children(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [part for item in node.items() for part in item]
    if isinstance(node, list):
        return list(node)
    return []
