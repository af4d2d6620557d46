"""Request-path normalisation, done once before matching: the path routed is the path sent.

API Gateway routes the request path after decoding it: its REST notes say it decodes
URL-encoded request parameters before passing them to backend integrations
(docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-known-issues.html),
and users report that ``/items/a%2Fb`` does not reach ``/items/{itemId}`` (the ``%2F``
is split like ``/``; only a double-encoded ``%252F`` keeps the slash in a parameter).
Empty segments collapse (``//``, a trailing slash: see ``router.table``). AWS documents
nothing about dot segments; a monolith behind a WSGI server sees ``%2F`` as ``/``
(PEP 3333 ``PATH_INFO`` is decoded) and a client or proxy that resolves ``..`` serves the
resolved resource, so the only path on which the route and the monolith's endpoint
always agree is the resolved one. Hence, before matching:

* ``%2F`` (any case) separates segments, like ``/``;
* empty segments are dropped;
* ``.`` and ``..`` segments, also spelled ``%2E``/``%2e``, are resolved as RFC 3986
  5.2.4 does, never above ``/``.

Every other byte stays as the client sent it (``%ff%fe`` reaches the monolith as
``%ff%fe``), and the legacy target is rebuilt from these raw segments
(``legacy_path``), so the monolith is asked for exactly the path that was matched.
This module must not match routes, decode for display or do I/O.
"""

from __future__ import annotations

from router.gateway.snapshot import UpstreamPart
from router.paths import SegmentKind

__all__ = ["legacy_path", "normalise_path"]

_DOTS = frozenset({".", ".."})


def normalise_path(path: str) -> str:
    """The raw path with ``%2F`` split, empty and dot segments resolved (module doc)."""
    if "%" in path:
        path = path.replace("%2F", "/").replace("%2f", "/")
    raw = path.split("/")
    if not _needs_resolving(path, raw):
        return path if len(path) < 2 or path[-1] != "/" else path[:-1]  # the common case
    return "/" + "/".join(_resolved(raw))


def _needs_resolving(path: str, raw: list[str]) -> bool:
    """An inner empty segment, or a dot segment (``.`` or ``%2E`` spelled)."""
    dots = "." in path or "%2e" in path or "%2E" in path
    return "" in raw[1:-1] or (dots and _has_dots(raw))


def _resolved(raw: list[str]) -> list[str]:
    """The segments with empty ones dropped and dot segments applied (RFC 3986 5.2.4)."""
    out: list[str] = []
    for segment in raw:
        form = _dot_form(segment) if segment else "."
        if form == "..":
            if out:
                out.pop()
        elif form != ".":
            out.append(segment)
    return out


def _has_dots(raw: list[str]) -> bool:
    return any(_dot_form(segment) in _DOTS for segment in raw if len(segment) < 7)


def _dot_form(segment: str) -> str:
    """``segment`` with ``%2E`` read as ``.`` when it is a dot segment, else itself."""
    if len(segment) > 6 or segment.strip(".%2eE") != "":
        return segment
    return segment.replace("%2e", ".").replace("%2E", ".")


def legacy_path(template: tuple[UpstreamPart, ...], path: str) -> str:
    """The legacy integration path: ``template``'s literals, the raw segments of the
    normalised ``path`` for its variables (a greedy one takes the rest)."""
    segments = path.split("/")[1:] if path != "/" else []
    parts: list[str] = []
    for index, (kind, text) in enumerate(template):
        if kind is SegmentKind.LITERAL:
            parts.append(text)
        elif kind is SegmentKind.GREEDY:
            parts.extend(segments[index:])
        else:
            parts.append(segments[index])
    return "/" + "/".join(parts)
