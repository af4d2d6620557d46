"""``api_resources``: the one typed list the renderer, the deploy view and the gateway
snapshot consume; each agrees with the OpenAPI document it used to re-parse."""

from __future__ import annotations

import pytest

from router.deploy.view import view_of_document, view_of_resources
from router.gateway.snapshot import CATCH_ALL_ID, RouteTarget, build_snapshot
from router.manifest.model import Manifest, Route
from router.render.openapi import ANY_METHOD_KEY, render_openapi
from router.render.resources import api_resources
from tests.helpers.manifests import build_manifest, lambda_route, route

MANIFEST = build_manifest(
    [
        lambda_route("GET", "/api/users/{user_id}"),
        lambda_route("POST", "/api/orders", weight=30),
        route("GET", "/api/items", trailing_slash=True),
        route("ANY", "/files/{rest+}"),
        route("GET", "/old", status="vanished"),
    ]
)


def uri(r: Route) -> str:
    return f"uri:{r.id}"


def document_keys(manifest: Manifest) -> list[str]:
    paths = render_openapi(manifest, lambda_uri=uri, view="canary")["paths"]
    return [
        f"{'ANY' if k == ANY_METHOD_KEY else k.upper()} {path}"
        for path, operations in paths.items()
        for k in operations
    ]


@pytest.mark.parametrize("view", ["stable", "canary"])
def test_the_deploy_view_of_the_resources_is_the_view_of_their_document(view: str) -> None:
    resources = api_resources(MANIFEST, lambda_uri=uri, view=view)  # type: ignore[arg-type]
    document = render_openapi(MANIFEST, lambda_uri=uri, view=view)  # type: ignore[arg-type]
    assert view_of_resources(resources) == view_of_document(document)


def test_resources_come_in_document_order_with_the_catch_all_last_at_the_root() -> None:
    resources = api_resources(MANIFEST, lambda_uri=uri, view="canary")
    assert [r.key for r in resources] == document_keys(MANIFEST)
    catch_all = [r for r in resources if r.route is None]
    assert [r.key for r in catch_all] == ["ANY /", "ANY /{proxy+}"]
    assert all(r.integration.kind == "http_proxy" for r in catch_all)


def test_the_snapshot_routes_every_resource_with_its_route() -> None:
    snapshot = build_snapshot(MANIFEST)
    for resource in api_resources(MANIFEST, lambda_uri=uri, view="canary"):
        method = "GET" if resource.method == "ANY" else resource.method
        path = resource.path.replace("{", "x").replace("}", "")
        match = snapshot.table.match(method, path)
        assert match is not None and match.resource == resource.path, resource.key
        target: RouteTarget = match.value
        assert target.route_id == (resource.route.id if resource.route else CATCH_ALL_ID)


def test_route_targets_are_built_with_keywords() -> None:
    with pytest.raises(TypeError):
        RouteTarget(CATCH_ALL_ID, None, "/", 0, None, 1.0, 1.0, ())  # type: ignore[misc]
    target = RouteTarget.catch_all("/", 29.0)
    assert (target.route_id, target.manifest_id, target.weight) == (CATCH_ALL_ID, None, 0)
