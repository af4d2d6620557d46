"""API Gateway resource-path syntax: parse, validate and convert.

A resource path is ``/`` or ``/seg/seg/...`` where each segment is a literal,
a ``{name}`` parameter, or (last segment only) a greedy ``{name+}``. This module
is pure: no I/O, no knowledge of the manifest or of HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

__all__ = [
    "PathSyntaxError",
    "Segment",
    "SegmentKind",
    "parse_path",
    "path_param_names",
    "variable_children",
]

_LITERAL = re.compile(r"^[A-Za-z0-9._~!$&'()*,;=:@%-]+$")
_PARAM = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_-]*)(\+?)\}$")


class PathSyntaxError(ValueError):
    """A resource path that API Gateway would not accept."""


class SegmentKind(Enum):
    LITERAL = "literal"
    PARAM = "param"
    GREEDY = "greedy"


@dataclass(frozen=True, slots=True)
class Segment:
    kind: SegmentKind
    value: str  # the literal text, or the parameter name

    def render(self) -> str:
        if self.kind is SegmentKind.LITERAL:
            return self.value
        return "{" + self.value + ("+" if self.kind is SegmentKind.GREEDY else "") + "}"


@lru_cache(maxsize=1 << 16)
def parse_path(path: str) -> tuple[Segment, ...]:
    """Split a resource path into segments, raising PathSyntaxError when invalid.

    Cached: a 5,000-route manifest parses every path in validation, uniqueness checks,
    rendering and the gateway's table; the segments are immutable."""
    if not path.startswith("/"):
        raise PathSyntaxError(f"path {path!r} must start with '/'")
    if path == "/":
        return ()
    if path.endswith("/"):
        raise PathSyntaxError(f"path {path!r} must not end with '/'")
    segments = tuple(_parse_segment(path, raw) for raw in path[1:].split("/"))
    _check_segments(path, segments)
    return segments


def path_param_names(path: str) -> list[str]:
    """The parameter names of a resource path, in order."""
    return [s.value for s in parse_path(path) if s.kind is not SegmentKind.LITERAL]


def _parse_segment(path: str, raw: str) -> Segment:
    if raw == "":
        raise PathSyntaxError(f"path {path!r} has an empty segment")
    match = _PARAM.fullmatch(raw)
    if match:
        kind = SegmentKind.GREEDY if match.group(2) else SegmentKind.PARAM
        return Segment(kind, match.group(1))
    if "{" in raw or "}" in raw or not _LITERAL.fullmatch(raw):
        raise PathSyntaxError(f"path {path!r} has an invalid segment {raw!r}")
    return Segment(SegmentKind.LITERAL, raw)


def _check_segments(path: str, segments: tuple[Segment, ...]) -> None:
    for seg in segments[:-1]:
        if seg.kind is SegmentKind.GREEDY:
            raise PathSyntaxError(f"path {path!r}: greedy {seg.render()} must be the last segment")
    names = [s.value for s in segments if s.kind is not SegmentKind.LITERAL]
    if len(names) != len(set(names)):
        raise PathSyntaxError(f"path {path!r} repeats a parameter name")


def variable_children(paths: Iterable[str]) -> dict[tuple[str, ...], Segment]:
    """Parent resource -> its one variable child.

    API Gateway allows a resource only one variable child (``{id}`` or ``{p+}``);
    PathSyntaxError names the conflicting path when two differ.
    """
    children: dict[tuple[str, ...], Segment] = {}
    for path in paths:
        segments = parse_path(path)
        for index, segment in enumerate(segments):
            if segment.kind is SegmentKind.LITERAL:
                continue
            parent = tuple(s.render() for s in segments[:index])
            known = children.setdefault(parent, segment)
            if known != segment:
                where = "/" + "/".join(parent)
                raise PathSyntaxError(
                    f"path {path!r}: resource {where} already has the variable child "
                    f"{known.render()}; API Gateway allows one per resource (use "
                    f"{known.render()} in every route under {where})"
                )
    return children
