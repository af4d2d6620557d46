"""Read successive versions of one manifest, parsing only the route blocks that changed.

The gateway's reload helper reads the same manifest again after every edit, and an
edit (a promote, a rollback, a weight) changes one route block and the ``revision:``
line of a file of thousands. ``BlockReader.data`` splits the text into its route
blocks (each ``  - `` item under the top-level ``routes:``, as ``_splice`` finds them)
and the rest; the rest is parsed on every call (a few lines), each block only when
its text was not seen in the previous version, with ``fast_data`` either way. The data
is exactly what ``fast_data`` gives for the whole text; on any doubt (no blocks found,
text between ``routes:`` and the first block, a block that does not read as exactly
one route) the whole text is read by ``fast_data``, which gives up on
anything only ruamel.yaml reads the same way (aliases across blocks included: a block
with an alias to another block does not read alone).

This module must not validate the data, read files or keep more than the last version.
"""

from __future__ import annotations

from typing import Any

from router.manifest._fast import fast_data
from router.manifest._splice import route_blocks

__all__ = ["BlockReader"]


class BlockReader:
    """``data(text)`` as ``fast_data(text)``, re-parsing only the route blocks that changed."""

    def __init__(self) -> None:
        self._routes: dict[str, Any] = {}  # block text -> its route, from the last version
        self.parsed_blocks = 0  # blocks parsed by the last call (0 on a whole-text read)

    def data(self, text: str) -> dict[str, Any] | None:
        self.parsed_blocks = 0
        by_blocks = self._by_blocks(text)
        return by_blocks if by_blocks is not None else fast_data(text)

    def _by_blocks(self, text: str) -> dict[str, Any] | None:
        lines = text.split("\n")
        blocks = route_blocks(text)  # the lines between blocks are blank or comments
        if blocks is None:
            return None
        rest = fast_data("\n".join(lines[: blocks[0][0]] + lines[blocks[-1][1] :]))
        if rest is None or rest.get("routes", False) is not None:
            return None
        routes = self._routes_of(["\n".join(lines[s:e]) for s, e in blocks])
        if routes is None:
            return None
        rest["routes"] = routes
        return rest

    def _routes_of(self, texts: list[str]) -> list[Any] | None:
        known, fresh = self._routes, {}
        for block in texts:
            route = known[block] if block in known else self._parse(block)
            if route is None:
                return None
            fresh[block] = route
        self._routes = fresh
        return [fresh[block] for block in texts]

    def _parse(self, block: str) -> Any:
        self.parsed_blocks += 1
        data = fast_data("routes:\n" + block + "\n")
        if data is None or list(data) != ["routes"] or not isinstance(data["routes"], list):
            return None
        return data["routes"][0] if len(data["routes"]) == 1 else None
