"""Property tests for router.table: the trie against a brute-force reference matcher."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote

from hypothesis import given, settings
from hypothesis import strategies as st

from router.paths import Segment, SegmentKind, parse_path
from router.table import METHODS, Match, RouteTable

FAST = settings(max_examples=200, deadline=None)

LITERALS = ["a", "b", "users", "v1", "x-y", "A"]
VERBS = sorted(METHODS - {"ANY"})
SAFE_PUNCT = "-._~!$&'()*+,;=:@"
RANK = {SegmentKind.LITERAL: 0, SegmentKind.PARAM: 1, SegmentKind.GREEDY: 2}

Route = tuple[str, str, int]  # (method, resource, value)


# --- reference matcher: slow, brute force, obviously correct ------------------------------


def _fit(template: tuple[Segment, ...], segs: list[str]) -> dict[str, str] | None:
    """Captures when ``template`` matches the decoded segments ``segs``, else None."""
    greedy = bool(template) and template[-1].kind is SegmentKind.GREEDY
    if len(segs) < len(template) or (not greedy and len(segs) != len(template)):
        return None
    params: dict[str, str] = {}
    for i, seg in enumerate(template):
        if seg.kind is SegmentKind.LITERAL and unquote(seg.value) != segs[i]:
            return None
        if seg.kind is SegmentKind.PARAM:
            params[seg.value] = segs[i]
        if seg.kind is SegmentKind.GREEDY:
            params[seg.value] = "/".join(segs[i:])
    return params


def _specificity(resource: str) -> tuple[int, ...]:
    """Segment-wise precedence key: lower is more specific (literal < param < greedy)."""
    return tuple(RANK[seg.kind] for seg in parse_path(resource))


def reference_match(routes: list[Route], method: str, path: str) -> Match[int] | None:
    if not path.startswith("/"):
        return None
    segs = [unquote(raw) for raw in path.split("/") if raw]
    verb = method.upper()
    candidates = []
    for registered, resource, value in routes:
        params = _fit(parse_path(resource), segs)
        if params is not None and registered in (verb, "ANY"):
            key = (_specificity(resource), registered == "ANY")
            candidates.append((key, Match(value, resource, registered, params)))
    if not candidates:
        return None
    return min(candidates, key=lambda candidate: candidate[0])[1]


# --- strategies ---------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    kind: SegmentKind
    text: str  # literal text or parameter name


@st.composite
def templates(draw: st.DrawFn) -> list[Spec]:
    depth = draw(st.integers(0, 4))
    specs = []
    for level in range(depth):
        kinds = [SegmentKind.LITERAL, SegmentKind.PARAM]
        kinds += [SegmentKind.GREEDY] if level == depth - 1 else []
        kind = draw(st.sampled_from(kinds))
        if kind is SegmentKind.LITERAL:
            specs.append(Spec(kind, draw(st.sampled_from(LITERALS))))
        else:  # mostly level-stable names, sometimes a clashing sibling name
            specs.append(Spec(kind, draw(st.sampled_from([f"p{level}", f"q{level}"]))))
    return specs


def render(specs: list[Spec]) -> str:
    parts = [Segment(spec.kind, spec.text).render() for spec in specs]
    return "/" + "/".join(parts)


@st.composite
def route_lists(draw: st.DrawFn) -> list[Route]:
    """Random (method, resource) pairs; some clash, so callers keep only accepted ones."""
    entries = draw(st.lists(st.tuples(st.sampled_from(sorted(METHODS)), templates()), max_size=12))
    return [(method, render(specs), index) for index, (method, specs) in enumerate(entries)]


def build(routes: list[Route]) -> tuple[RouteTable[int], list[Route]]:
    """A table of the routes the table accepts, plus that accepted list."""
    table: RouteTable[int] = RouteTable()
    accepted = []
    for method, resource, value in routes:
        try:
            table.add(method, resource, value)
        except ValueError as error:
            assert "only one is allowed" in str(error) or "duplicate" in str(error)
            continue
        accepted.append((method, resource, value))
    assert len(table) == len(accepted)
    return table, accepted


values = st.text(st.characters(codec="utf-8"), min_size=1, max_size=8)


@st.composite
def encoded(draw: st.DrawFn, value: str) -> str:
    """``value`` percent-encoded as a client might: '/' always escaped, others at will."""
    safe = draw(st.sets(st.sampled_from(SAFE_PUNCT))) if draw(st.booleans()) else set()
    return quote(value, safe="".join(sorted(safe)))


@st.composite
def slashes(draw: st.DrawFn, parts: list[str]) -> str:
    """Join path parts, sometimes with doubled slashes and a trailing slash."""
    sep = draw(st.sampled_from(["/", "/", "/", "//"]))
    tail = draw(st.sampled_from(["", "", "/"]))
    return sep + sep.join(parts) + (tail if parts else "")


@st.composite
def fill(draw: st.DrawFn, specs: list[Spec]) -> tuple[str, dict[str, str]]:
    """A concrete raw path for ``specs`` and the decoded values put into it."""
    parts: list[str] = []
    params: dict[str, str] = {}
    for spec in specs:
        if spec.kind is SegmentKind.LITERAL:
            parts.append(spec.text)
            continue
        count = draw(st.integers(1, 3)) if spec.kind is SegmentKind.GREEDY else 1
        chunk = draw(st.lists(values, min_size=count, max_size=count))
        parts.extend(draw(encoded(piece)) for piece in chunk)
        params[spec.text] = "/".join(chunk)
    return draw(slashes(parts)), params


@st.composite
def random_paths(draw: st.DrawFn) -> str:
    alphabet = [*LITERALS, "%61", "users%2Fv1", "b+c", "z", "%F0%9F%90%8D"]
    return draw(slashes(draw(st.lists(st.sampled_from(alphabet), max_size=5))))


def specs_of(resource: str) -> list[Spec]:
    return [Spec(seg.kind, seg.value) for seg in parse_path(resource)]


@st.composite
def request_paths(draw: st.DrawFn, accepted: list[Route]) -> str:
    """Either a path filled in from a registered resource, or a random one."""
    from_route = draw(st.booleans())
    if accepted and from_route:
        resource = draw(st.sampled_from(accepted))[1]
        return draw(fill(specs_of(resource)))[0]
    return draw(random_paths())


# --- properties ---------------------------------------------------------------------


@FAST
@given(route_lists(), st.data())
def test_generated_path_matches_its_template_or_a_more_specific_one(
    routes: list[Route], data: st.DataObject
) -> None:
    table, accepted = build(routes)
    if not accepted:
        return
    method, resource, _ = data.draw(st.sampled_from(accepted))
    path, params = data.draw(fill(specs_of(resource)))
    verb = data.draw(st.sampled_from(VERBS)) if method == "ANY" else method
    found = table.match(verb.lower(), path)
    assert found is not None
    assert _specificity(found.resource) <= _specificity(resource)
    if found.resource == resource:
        assert found.path_parameters == params


@FAST
@given(templates(), st.data())
def test_single_template_captures_decode_to_generated_values(
    specs: list[Spec], data: st.DataObject
) -> None:
    resource = render(specs)
    try:
        table = RouteTable([("ANY", resource, 1)])
    except ValueError:  # a parameter name repeated within the path
        return
    path, params = data.draw(fill(specs))
    found = table.match(data.draw(st.sampled_from(VERBS)), path)
    assert found == Match(1, resource, "ANY", params)


@FAST
@given(route_lists(), st.data())
def test_trie_agrees_with_reference_matcher(routes: list[Route], data: st.DataObject) -> None:
    table, accepted = build(routes)
    for path in data.draw(st.lists(request_paths(accepted), min_size=1, max_size=5)):
        method = data.draw(st.sampled_from(VERBS))
        assert table.match(method, path) == reference_match(accepted, method, path), path


@FAST
@given(route_lists(), st.data())
def test_insertion_order_never_changes_the_result(routes: list[Route], data: st.DataObject) -> None:
    table, accepted = build(routes)
    shuffled, again = build(data.draw(st.permutations(accepted)))
    assert sorted(again) == sorted(accepted)
    for path in data.draw(st.lists(request_paths(accepted), min_size=1, max_size=5)):
        for method in VERBS:
            assert table.match(method, path) == shuffled.match(method, path)
