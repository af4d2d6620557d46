"""Turn pydantic validation errors into lines that name the route, field and line.

Pure: takes the error and the parsed YAML document, returns text. Must not read files.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

__all__ = ["describe_errors"]


def describe_errors(exc: ValidationError, raw: CommentedMap | None) -> list[str]:
    return [_describe(err, raw) for err in exc.errors()]


def _describe(err: Any, raw: CommentedMap | None) -> str:
    loc = tuple(err["loc"])
    where = _where(loc, raw)
    line = _line_of(loc, raw)
    at = f" (line {line})" if line is not None else ""
    got = _got(err)
    return f"{where}{at}: {_message(err)}{got}"


def _message(err: Any) -> str:
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


def _got(err: Any) -> str:
    if err["type"] in ("missing", "value_error") or "input" not in err:
        return ""
    value = err["input"]
    if isinstance(value, dict | list):
        return ""
    return f" (got {value!r})"


def _where(loc: tuple[Any, ...], raw: CommentedMap | None) -> str:
    if len(loc) >= 2 and loc[0] == "routes" and isinstance(loc[1], int):
        field = ".".join(str(p) for p in loc[2:]) or "(route)"
        return f"route {_route_name(loc[1], raw)} field '{field}'"
    return "field '" + ".".join(str(p) for p in loc) + "'" if loc else "manifest"


def _route_name(index: int, raw: CommentedMap | None) -> str:
    routes = raw.get("routes") if raw is not None else None
    if isinstance(routes, list) and index < len(routes) and isinstance(routes[index], dict):
        route_id = routes[index].get("id")
        if route_id is not None:
            return f"{route_id!r} (routes[{index}])"
    return f"routes[{index}]"


def _line_of(loc: tuple[Any, ...], raw: CommentedMap | None) -> int | None:
    node: Any = raw
    line: int | None = None
    for part in loc:
        found = _child_line(node, part)
        if found is None:
            break
        line, node = found
    return line


def _child_line(node: Any, part: Any) -> tuple[int, Any] | None:
    if isinstance(node, CommentedMap) and part in node:
        return node.lc.key(part)[0] + 1, node[part]
    if isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
        return node.lc.item(part)[0] + 1, node[part]
    return None
