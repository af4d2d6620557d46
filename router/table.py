"""A pure route table that resolves requests the way API Gateway REST APIs (v1) do.

``RouteTable`` maps ``(method, resource path)`` to a caller-chosen value and answers
"which registered route would API Gateway pick for this method and raw request path?".
It is the single source of truth for routing precedence in the local gateway.

What it must not do: no I/O, no HTTP, no logging, no knowledge of the manifest or of
Lambda. It takes strings in and hands values back; everything else lives elsewhere.

Matching rules (API Gateway REST semantics):

* Methods are GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS and ANY. Input methods are
  case-insensitive. An exact method on a resource beats ANY on the same resource.
* A resource wins only for a method it defines; for any other method the search falls
  through to a less specific resource (ultimately ``/{proxy+}``).
* Precedence, segment by segment: literal > ``{param}`` > ``{greedy+}``, backtracking
  when the more specific branch has no route for the rest of the path and the method.
* A greedy segment matches one or more remaining segments; ``/{proxy+}`` never matches
  ``/`` (the root needs its own resource). Paths are case-sensitive.
* API Gateway allows at most one variable child (``{x}`` or ``{x+}``) under a resource
  ("A sibling ({x}) of this resource already has a variable path part -- only one is
  allowed"); ``add`` rejects such siblings too, so the table never accepts a
  configuration that AWS would refuse to deploy.

Request-path normalisation (documented decisions, with evidence):

* The raw path is split on ``/`` *before* percent-decoding, so ``%2F`` decodes to ``/``
  inside a parameter value without creating a segment boundary. Each segment is decoded
  with ``urllib.parse.unquote`` (UTF-8; ``+`` stays ``+``; malformed escapes such as
  ``%zz`` are kept verbatim). Literal segments are compared in decoded form, so
  ``/us%65rs`` reaches ``/users``.
* Trailing slash: ``/a/b/`` routes like ``/a/b`` and captures exclude the slash.
  Evidence: aws-powertools/powertools-lambda-python#1552 (REST v1 routes ``/hello/`` to
  ``/hello``), aws/aws-sam-cli#1495 (SAM local changed to match AWS: ``/foo/`` answered
  by ``/foo``), localstack's REST router ("trailing slashes are ignored in APIGW") and
  floci-io/floci#1863 (path parameters exclude the trailing slash, as on AWS).
* Empty segments: runs of slashes collapse (``/a//b`` routes like ``/a/b``; a greedy
  capture is ``a/b``). Evidence: localstack/localstack#11253 (on AWS ``/prod//orders``
  reaches ``/orders``) and brefphp/symfony-bridge#53 (API Gateway turns ``//`` and
  ``////`` inside a proxy path into ``/``). Interior collapsing is confirmed for HTTP
  APIs and leading slashes for REST APIs; REST interior behaviour is inferred.
* A path that does not start with ``/`` matches nothing. Strip the query string first.

Implementation: a trie keyed by decoded literal segment (dict lookup per segment), one
optional variable child per node, so match time depends on path depth, not table size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import unquote

from router.paths import Segment, SegmentKind, parse_path

__all__ = ["ANY", "METHODS", "Match", "RouteTable"]

T = TypeVar("T")

ANY = "ANY"
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", ANY})


@dataclass(frozen=True, slots=True)
class Match(Generic[T]):
    """The route API Gateway would pick for a request."""

    value: T  # what was registered for (method, resource)
    resource: str  # the resource path that matched, e.g. "/api/users/{id}"
    method: str  # the method as registered ("GET" or "ANY")
    path_parameters: dict[str, str]  # captured, URL-decoded; greedy captures "a/b/c"


@dataclass(frozen=True, slots=True)
class _Route(Generic[T]):
    value: T
    method: str


class _Node(Generic[T]):
    """One resource in the trie; ``var`` is its single ``{x}`` or ``{x+}`` child."""

    __slots__ = ("captures", "greedy", "literals", "name", "resource", "routes", "var")

    def __init__(self, name: str = "", greedy: bool = False) -> None:
        self.name = name
        self.greedy = greedy
        self.literals: dict[str, _Node[T]] = {}
        self.var: _Node[T] | None = None
        self.routes: dict[str, _Route[T]] = {}
        self.resource = ""
        self.captures: tuple[tuple[int, str, bool], ...] = ()

    def route_for(self, method: str) -> _Route[T] | None:
        route = self.routes.get(method)
        return route if route is not None else self.routes.get(ANY)


class RouteTable(Generic[T]):
    """Routes keyed by (method, resource path), matched with API Gateway REST rules."""

    __slots__ = ("_count", "_root")

    def __init__(self, routes: Iterable[tuple[str, str, T]] = ()) -> None:
        self._root: _Node[T] = _Node()
        self._count = 0
        for method, resource, value in routes:
            self.add(method, resource, value)

    def __len__(self) -> int:
        return self._count

    def add(self, method: str, resource: str, value: T) -> None:
        """Register ``value`` for ``(method, resource)``; ValueError if invalid or taken."""
        verb = _normalise_method(method)
        segments = parse_path(resource)
        existing = _existing(self._root, segments, resource)  # validates; mutates nothing
        if existing is not None:
            _check_free(existing, verb, resource)
        node = self._root
        for segment in segments:
            node = _child(node, segment)
        node.resource = resource
        node.captures = _capture_slots(segments)
        node.routes[verb] = _Route(value, verb)
        self._count += 1

    def match(self, method: str, path: str) -> Match[T] | None:
        """The route for a raw (percent-encoded, query-less) request path, or None."""
        if not path.startswith("/"):
            return None
        segments = [unquote(raw) if "%" in raw else raw for raw in path.split("/") if raw]
        verb = method.upper()
        node = _find(self._root, segments, 0, verb)
        if node is None:
            return None
        route = node.route_for(verb)
        assert route is not None  # _find only returns nodes that accept the method
        return Match(route.value, node.resource, route.method, _capture(node, segments))

    def dismantle(self, batch: int = 30) -> Iterator[None]:
        """Empty the table ``batch`` resources at a time, yielding between batches.

        Freeing a 5,000-route table at once takes tens of milliseconds; a caller on an
        event loop frees a retired table a slice at a time instead. It matches nothing
        from the first step on.
        """
        stack, self._root, self._count = [self._root], _Node(), 0
        while stack:
            for _ in range(min(batch, len(stack))):
                node = stack.pop()
                stack.extend(node.literals.values())
                if node.var is not None:
                    stack.append(node.var)
                node.literals, node.var, node.routes = {}, None, {}
            yield


def _normalise_method(method: str) -> str:
    verb = method.upper()
    if verb not in METHODS:
        raise ValueError(f"unsupported method {method!r}; expected one of {sorted(METHODS)}")
    return verb


def _existing(root: _Node[T], segments: tuple[Segment, ...], resource: str) -> _Node[T] | None:
    """The node ``segments`` lead to, if present; rejects conflicting variable siblings."""
    node = root
    for segment in segments:
        if segment.kind is SegmentKind.LITERAL:
            step = node.literals.get(unquote(segment.value))
        else:
            _check_sibling(node, segment, resource)
            step = node.var
        if step is None:
            return None
        node = step
    return node


def _check_sibling(node: _Node[T], segment: Segment, resource: str) -> None:
    var = node.var
    if var is None or (var.name, var.greedy) == (segment.value, _is_greedy(segment)):
        return
    existing = "{" + var.name + ("+" if var.greedy else "") + "}"
    raise ValueError(
        f"{resource}: a sibling {existing} already has a variable path part "
        "-- only one is allowed (as in API Gateway)"
    )


def _check_free(node: _Node[T], verb: str, resource: str) -> None:
    if node.resource and node.resource != resource:
        raise ValueError(f"{resource} is equivalent to already registered {node.resource}")
    if verb in node.routes:
        raise ValueError(f"duplicate route: {verb} {resource}")


def _child(node: _Node[T], segment: Segment) -> _Node[T]:
    """The child for ``segment``, created when missing (conflicts already ruled out)."""
    if segment.kind is SegmentKind.LITERAL:
        key = unquote(segment.value)
        child = node.literals.get(key)
        if child is None:
            child = node.literals[key] = _Node()
        return child
    if node.var is None:
        node.var = _Node(segment.value, _is_greedy(segment))
    return node.var


def _is_greedy(segment: Segment) -> bool:
    return segment.kind is SegmentKind.GREEDY


def _capture_slots(segments: tuple[Segment, ...]) -> tuple[tuple[int, str, bool], ...]:
    """(index, name, greedy) for each variable segment of a resource path."""
    return tuple(
        (index, seg.value, _is_greedy(seg))
        for index, seg in enumerate(segments)
        if seg.kind is not SegmentKind.LITERAL
    )


def _find(node: _Node[T], segments: list[str], index: int, method: str) -> _Node[T] | None:
    """Depth-first search in precedence order (literal, then variable), backtracking."""
    if index == len(segments):
        return node if node.route_for(method) is not None else None
    child = node.literals.get(segments[index])
    if child is not None:
        found = _find(child, segments, index + 1, method)
        if found is not None:
            return found
    var = node.var
    if var is None:
        return None
    if var.greedy:
        return var if var.route_for(method) is not None else None
    return _find(var, segments, index + 1, method)


def _capture(node: _Node[T], segments: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for index, name, greedy in node.captures:
        params[name] = "/".join(segments[index:]) if greedy else segments[index]
    return params
