"""Invalid manifests: exit 2, a message naming the field, the file byte-for-byte unchanged."""

from __future__ import annotations

import pytest

from tests.helpers.cli import MANIFEST, Project

ROUTE = (
    "  - id: get-api-users-id\n    method: GET\n    path: /api/users/{id}\n"
    "    target: legacy  # not yet migrated\n"
)


assert ROUTE in MANIFEST


def _with_route(route_text: str) -> str:
    return MANIFEST.replace(ROUTE, route_text)


CASES = {
    "weight wrong type": (
        _with_route(
            ROUTE.replace("target: legacy", "target: lambda\n    function: a.b\n    weight: ten")
        ),
        "field 'weight'",
    ),
    "weight over 100": (
        _with_route(
            ROUTE.replace("target: legacy", "target: lambda\n    function: a.b\n    weight: 150")
        ),
        "less than or equal to 100",
    ),
    "unknown target": (
        _with_route(ROUTE.replace("target: legacy", "target: fargate")),
        "field 'target'",
    ),
    "duplicate route id": (
        MANIFEST + ROUTE.replace("path: /api/users/{id}", "path: /api/people/{id}"),
        "duplicate route id 'get-api-users-id'",
    ),
    "duplicate method and path": (
        MANIFEST + ROUTE.replace("id: get-api-users-id", "id: other"),
        "duplicate route 'GET /api/users/{id}'",
    ),
    "bad path syntax": (
        _with_route(ROUTE.replace("/api/users/{id}", "/api/users/{id")),
        "field 'path'",
    ),
    "greedy not last": (_with_route(ROUTE.replace("/api/users/{id}", "/api/{p+}/x")), "greedy"),
    "lambda without function": (
        _with_route(ROUTE.replace("target: legacy", "target: lambda")),
        "needs a 'function'",
    ),
    "unknown method": (
        _with_route(ROUTE.replace("method: GET", "method: FETCH")),
        "field 'method'",
    ),
    "unknown field": (_with_route(ROUTE + "    colour: blue\n"), "field 'colour'"),
    "memory wrong type": (_with_route(ROUTE + "    memory: lots\n"), "field 'memory'"),
    "legacy url not a url": (
        MANIFEST.replace("url: http://127.0.0.1:5000", "url: ftp:/nowhere"),
        "field 'legacy.url'",
    ),
    "bad handler path": (
        _with_route(
            ROUTE.replace("target: legacy", "target: lambda\n    function: 'not a handler'")
        ),
        "field 'function'",
    ),
    "yaml syntax": (MANIFEST.replace("stage: prod", "stage: [prod"), "YAML syntax"),
    "not a mapping": ("- just\n- a list\n", "top level must be a mapping"),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize(
    "command",
    [
        ("routes",),
        ("route", "promote", "post-api-orders", "--function", "x.y"),
        ("rollback", "--all"),
    ],
)
def test_invalid_manifest_is_refused_and_untouched(
    project: Project, name: str, command: tuple[str, ...]
) -> None:
    text, expected = CASES[name]
    project.manifest.write_text(text)
    before = project.manifest.read_bytes()
    result = project.run(*command)
    assert result.exit_code == 2, result.output
    assert str(project.manifest) in result.stderr
    assert expected in result.stderr
    assert project.manifest.read_bytes() == before


def test_message_names_route_and_line(project: Project) -> None:
    text, _ = CASES["weight over 100"]
    project.manifest.write_text(text)
    result = project.run("routes")
    assert "route 'get-api-users-id' (routes[0]) field 'weight' (line " in result.stderr
