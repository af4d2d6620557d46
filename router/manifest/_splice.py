"""Write an edit by re-writing only the routes it changed (and ``revision``).

ruamel.yaml keeps comments, but parsing and emitting a whole 5,000-route manifest took
over 10 s for a one-route promote. An edit that changes only existing routes (same
ids, same order) and the revision is spliced into the old text instead: each changed
route's block (from its ``- `` line to its last non-comment line) goes through
ruamel.yaml on its own, which keeps its comments and key order, and the ``revision:``
line is rewritten. Each replaced block is read with libyaml before and after: it must
be exactly the old route and then exactly the new one (and the one ``revision:``
line must hold the old revision). On any doubt (another layout, other keys changed,
many routes changed, a mismatch) ``splice_routes`` returns None and the caller
writes the whole document through ruamel.yaml as before. This module must not read
or write files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from router.manifest._fast import fast_data

__all__ = ["MAX_SPLICED_ROUTES", "route_blocks", "splice_routes"]

MAX_SPLICED_ROUTES = 50  # more changed routes: one whole-document write is as quick
_REVISION = re.compile(r"^(revision:[ \t]*)([0-9]+)(?=[ \t]|$)", re.MULTILINE)
_ROUTES = re.compile(r"^routes:[ \t]*(#.*)?$", re.MULTILINE)
_ITEM = "  - "

Redump = Callable[[str, dict[str, Any]], str]
"""(``routes:`` + one route's block, the route's new data) -> the same, re-emitted."""


def splice_routes(
    text: str, data: dict[str, Any], old: dict[str, Any], new: dict[str, Any], redump: Redump
) -> str | None:
    """``text`` changed from the document ``old`` to ``new``, or None.

    ``data`` is the file's data as read; ``old`` and ``new`` are the documents (what
    ``to_document`` gives) before and after the edit, ``new`` with its new revision.
    Routes the edit did not change keep their text, default fields left out included.
    """
    changed = _changed_routes(old, new)
    routes = data.get("routes")
    if changed is None or not isinstance(new.get("revision"), int):
        return None
    blocks = route_blocks(text)
    if blocks is None or not isinstance(routes, list) or len(blocks) != len(routes):
        return None
    lines = text.split("\n")
    for index in reversed(changed):
        start, end = blocks[index]
        block = _routes_text(lines[start:end])
        if fast_data(block) != {"routes": [routes[index]]}:
            return None  # the lines are not exactly that route
        redumped = redump(block, new["routes"][index])
        same_layout = redumped.startswith(block[: len("routes:\n") + len(_ITEM)])
        if not same_layout or fast_data(redumped) != {"routes": [new["routes"][index]]}:
            return None
        lines[start:end] = _strip_header(redumped)
    return _bump_revision("\n".join(lines), data.get("revision"), new["revision"])


def _routes_text(lines: list[str]) -> str:
    return "routes:\n" + "\n".join(lines) + "\n"


def _bump_revision(text: str, old: Any, new: int) -> str | None:
    """``text`` with its one top-level ``revision: old`` line saying ``new``."""
    found = list(_REVISION.finditer(text))
    if len(found) != 1 or found[0].group(2) != str(old):
        return None
    return text[: found[0].start(2)] + str(new) + text[found[0].end(2) :]


def _changed_routes(old: dict[str, Any], new: dict[str, Any]) -> list[int] | None:
    """Indexes of the routes that differ, or None when anything else does."""
    others = {k: v for k, v in new.items() if k not in ("routes", "revision")}
    if {k: v for k, v in old.items() if k not in ("routes", "revision")} != others:
        return None
    old_routes, new_routes = old.get("routes"), new.get("routes")
    if not isinstance(old_routes, list) or not isinstance(new_routes, list):
        return None
    if [_id(r) for r in old_routes] != [_id(r) for r in new_routes]:
        return None
    changed = [i for i, (a, b) in enumerate(zip(old_routes, new_routes, strict=True)) if a != b]
    return changed if len(changed) <= MAX_SPLICED_ROUTES else None


def _id(route: Any) -> Any:
    return route.get("id") if isinstance(route, dict) else None


def route_blocks(text: str) -> list[tuple[int, int]] | None:
    """(first line, end line) of each ``  - `` item under a top-level ``routes:``."""
    header = _ROUTES.search(text)
    if header is None:
        return None
    lines = text.split("\n")
    first = text.count("\n", 0, header.start()) + 1
    starts: list[int] = []
    end = len(lines)
    for number in range(first, len(lines)):
        line = lines[number]
        if line.startswith(_ITEM):
            starts.append(number)
        elif line and not line.startswith((" ", "#")):
            end = number  # the next top-level key
            break
    if not starts:
        return None
    bounds = [*starts[1:], end]
    return [(s, _last_content(lines, s, e)) for s, e in zip(starts, bounds, strict=True)]


def _last_content(lines: list[str], start: int, end: int) -> int:
    """End of the block: trailing blank and comment-only lines stay where they are."""
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip()[0] == "#"):
        end -= 1
    return end


def _strip_header(dumped: str) -> list[str]:
    body = dumped.removeprefix("routes:\n").removesuffix("\n")
    return body.split("\n")
