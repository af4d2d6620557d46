from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from openapi_spec_validator import validate
from pydantic import ValidationError

from router.arns import function_name, lambda_invocation_uri
from router.manifest.model import Manifest, Route
from router.render import render_openapi_json
from router.render.openapi import (
    ANY_METHOD_KEY,
    View,
    logical_id,
    render_openapi,
    sam_lambda_uri,
)
from tests.helpers.manifests import LEGACY_URL, build_manifest, lambda_route, route

INTEGRATION = "x-amazon-apigateway-integration"


def fake_uri(r: Route) -> str:
    return f"uri:{r.id}"


def render(manifest: Manifest, view: View = "stable") -> dict[str, Any]:
    document = render_openapi(manifest, lambda_uri=fake_uri, view=view)
    validate(for_validator(document))
    return document


def for_validator(document: dict[str, Any]) -> dict[str, Any]:
    """``/{p+}`` -> ``/{p}``: the validator reads ``p+`` as the parameter's name, API
    Gateway's greedy-path extension names it ``p`` (as its own exports do)."""
    copied = copy.deepcopy(document)
    copied["paths"] = {re.sub(r"\+}", "}", k): v for k, v in copied["paths"].items()}
    return copied


def integration(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    result: dict[str, Any] = document["paths"][path][method][INTEGRATION]
    return result


MIXED = [
    route("GET", "/api/users"),
    lambda_route("GET", "/api/users/{id}", timeout=5),
    lambda_route("POST", "/api/users", weight=30),
    route("DELETE", "/api/users/{id}"),
    route("GET", "/files/{rest+}"),
    lambda_route("ANY", "/api/orders/{order_id}/items/{item_id}"),
    route("GET", "/"),
    route("GET", "/old", status="vanished"),
    lambda_route("PUT", "/gone", status="vanished"),
]


def test_legacy_route_is_an_explicit_http_proxy_with_mapped_params() -> None:
    op = render(build_manifest(MIXED))["paths"]["/api/users/{id}"]["delete"]
    assert op["parameters"] == [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    assert op[INTEGRATION] == {
        "type": "http_proxy",
        "httpMethod": "DELETE",
        "uri": f"{LEGACY_URL}/api/users/{{id}}",
        "requestParameters": {"integration.request.path.id": "method.request.path.id"},
        "passthroughBehavior": "when_no_match",
        "timeoutInMillis": 29000,
    }


def test_lambda_route_is_aws_proxy_post_to_the_given_uri() -> None:
    document = render(build_manifest(MIXED))
    assert integration(document, "/api/users/{id}", "get") == {
        "type": "aws_proxy",
        "httpMethod": "POST",
        "uri": "uri:get-api-users-id",
        "passthroughBehavior": "when_no_match",
        "timeoutInMillis": 5000,
    }
    any_op = integration(document, "/api/orders/{order_id}/items/{item_id}", ANY_METHOD_KEY)
    assert (any_op["type"], any_op["timeoutInMillis"]) == ("aws_proxy", 10000)


def test_timeout_falls_back_to_defaults_and_caps_at_29_s() -> None:
    manifest = build_manifest(
        [lambda_route("GET", "/a"), lambda_route("GET", "/b", timeout=29)],
        defaults={"timeout": 20},
    )
    document = render(manifest)
    assert integration(document, "/a", "get")["timeoutInMillis"] == 20000
    assert integration(document, "/b", "get")["timeoutInMillis"] == 29000


def test_canary_route_is_legacy_in_stable_view_and_lambda_in_canary_view() -> None:
    manifest = build_manifest(MIXED)
    stable, canary = render(manifest, "stable"), render(manifest, "canary")
    assert integration(stable, "/api/users", "post")["type"] == "http_proxy"
    assert integration(canary, "/api/users", "post")["uri"] == "uri:post-api-users"
    assert integration(canary, "/api/users/{id}", "get")["type"] == "aws_proxy"
    assert integration(canary, "/api/users", "get")["type"] == "http_proxy"


def test_both_views_have_the_same_resources_and_methods() -> None:
    manifest = build_manifest(MIXED)
    stable, canary = render(manifest, "stable"), render(manifest, "canary")
    shape = {path: sorted(methods) for path, methods in stable["paths"].items()}
    assert shape == {path: sorted(methods) for path, methods in canary["paths"].items()}


@pytest.mark.parametrize("routes", [[], MIXED], ids=["empty", "mixed"])
def test_catch_all_proxy_and_root_always_go_to_the_monolith(routes: list[Any]) -> None:
    document = render(build_manifest(routes))
    proxy = integration(document, "/{proxy+}", ANY_METHOD_KEY)
    assert proxy["uri"] == f"{LEGACY_URL}/{{proxy}}"
    assert proxy["requestParameters"] == {
        "integration.request.path.proxy": "method.request.path.proxy"
    }
    assert document["paths"]["/{proxy+}"][ANY_METHOD_KEY]["parameters"][0]["name"] == "proxy"
    root = integration(document, "/", ANY_METHOD_KEY)
    assert (root["type"], root["httpMethod"], root["uri"]) == (
        "http_proxy",
        "ANY",
        f"{LEGACY_URL}/",
    )


def test_vanished_routes_are_not_rendered() -> None:
    paths = render(build_manifest(MIXED), "canary")["paths"]
    assert "/old" not in paths
    assert "/gone" not in paths


def test_greedy_parameter_is_mapped_by_name() -> None:
    op = render(build_manifest(MIXED))["paths"]["/files/{rest+}"]["get"]
    assert op["parameters"][0]["name"] == "rest"
    assert op[INTEGRATION]["uri"] == f"{LEGACY_URL}/files/{{rest}}"
    assert op[INTEGRATION]["requestParameters"] == {
        "integration.request.path.rest": "method.request.path.rest"
    }


def test_info_has_title_version_and_description() -> None:
    document = render(build_manifest(MIXED, api={"name": "shop"}))
    assert document["openapi"] == "3.0.1"
    assert document["info"]["title"] == "shop"
    assert document["info"]["version"] and document["info"]["description"]


def test_binary_media_types_become_the_api_extension() -> None:
    assert "x-amazon-apigateway-binary-media-types" not in render(build_manifest(MIXED))
    types = ["image/*", "application/octet-stream", "*/*"]
    document = render(build_manifest(MIXED, api={"binary_media_types": types}))
    assert document["x-amazon-apigateway-binary-media-types"] == types


@pytest.mark.parametrize("bad", ["image", "image/", "/png", "a b/c", "*/png", "image/png/x"])
def test_binary_media_types_are_validated(bad: str) -> None:
    with pytest.raises(ValidationError, match="binary_media_types"):
        build_manifest(MIXED, api={"binary_media_types": [bad]})


def test_legacy_url_base_path_is_kept() -> None:
    manifest = build_manifest([route("GET", "/a/{x}")], legacy={"url": "https://h.example/base/"})
    assert integration(render(manifest), "/a/{x}", "get")["uri"] == "https://h.example/base/a/{x}"


def test_output_is_sorted_and_independent_of_route_order() -> None:
    first = render_openapi_json(build_manifest(MIXED), lambda_uri=fake_uri)
    second = render_openapi_json(build_manifest(list(reversed(MIXED))), lambda_uri=fake_uri)
    assert first == second
    paths = json.loads(first)["paths"]
    assert list(paths) == sorted(paths)
    assert all(list(methods) == sorted(methods) for methods in paths.values())


def test_root_level_variable_becomes_the_catch_all_chain() -> None:
    # API Gateway allows one variable child per resource: {page} excludes {proxy+}.
    manifest = build_manifest([route("GET", "/{page}"), lambda_route("GET", "/{page}/edit")])
    paths = render(manifest)["paths"]
    assert "/{proxy+}" not in paths
    assert sorted(paths) == ["/", "/{page}", "/{page}/edit", "/{page}/{proxy+}"]
    assert ANY_METHOD_KEY in paths["/{page}"] and "get" in paths["/{page}"]
    assert paths["/{page}/{proxy+}"][ANY_METHOD_KEY][INTEGRATION]["uri"] == (
        f"{LEGACY_URL}/{{page}}/{{proxy}}"
    )


def test_root_level_greedy_route_takes_the_catch_all() -> None:
    paths = render(build_manifest([lambda_route("GET", "/{path+}")]))["paths"]
    assert sorted(paths) == ["/", "/{path+}"]
    assert paths["/{path+}"]["get"][INTEGRATION]["type"] == "aws_proxy"
    assert paths["/{path+}"][ANY_METHOD_KEY][INTEGRATION]["type"] == "http_proxy"


def test_conflicting_variable_siblings_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"/u already has the variable child \{id\}"):
        build_manifest([route("GET", "/u/{id}"), route("GET", "/u/{name}/posts")])


def test_function_name_is_api_name_and_route_id_within_64_chars() -> None:
    manifest = build_manifest(MIXED, api={"name": "shop"})
    assert function_name(manifest, manifest.routes[1]) == "shop-get-api-users-id"
    long_a = Route.model_validate({"id": "get-" + "a" * 100, "method": "GET", "path": "/a"})
    long_b = Route.model_validate({"id": "get-" + "a" * 99 + "b", "method": "GET", "path": "/b"})
    name_a, name_b = function_name(manifest, long_a), function_name(manifest, long_b)
    assert len(name_a) <= 64 and len(name_b) <= 64
    assert name_a != name_b
    assert name_a == function_name(manifest, long_a)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", name_a)


def test_logical_id_is_camel_case_alphanumeric_and_unique() -> None:
    manifest = build_manifest(MIXED)
    assert logical_id(manifest.routes[1]) == "GetApiUsersIdFunction"
    ids = ["get-users-2", "get-users2", "get-a--b", "get-a-b"]
    routes = [Route.model_validate({"id": i, "method": "GET", "path": f"/{i}"}) for i in ids]
    logical = [logical_id(r) for r in routes]
    assert len(set(logical)) == len(logical)
    assert all(re.fullmatch(r"[A-Za-z0-9]+", x) for x in logical)


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-east-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")],
)
def test_lambda_invocation_uri_is_partition_aware(region: str, partition: str) -> None:
    arn = f"arn:{partition}:lambda:{region}:123456789012:function:f"
    assert lambda_invocation_uri(region, arn) == (
        f"arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations"
    )


def test_sam_lambda_uri_substitutes_partition_region_and_function_arn() -> None:
    uri = sam_lambda_uri(build_manifest(MIXED).routes[1])
    assert uri == {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31"
        "/functions/${GetApiUsersIdFunction.Arn}/invocations"
    }


def test_trailing_slash_route_keeps_its_slash_in_the_integration_uri() -> None:
    """The resource is ``/items`` (no empty last part); the http_proxy URI ends with ``/``."""
    manifest = build_manifest(
        [
            route("GET", "/items", trailing_slash=True),
            route("GET", "/items/{id}", trailing_slash=True),
            route("POST", "/items"),
        ]
    )
    document = render(manifest)
    assert "/items/" not in document["paths"]
    assert integration(document, "/items", "get")["uri"] == f"{LEGACY_URL}/items/"
    assert integration(document, "/items/{id}", "get")["uri"] == f"{LEGACY_URL}/items/{{id}}/"
    assert integration(document, "/items", "post")["uri"] == f"{LEGACY_URL}/items"
    assert integration(document, "/{proxy+}", ANY_METHOD_KEY)["uri"] == f"{LEGACY_URL}/{{proxy}}"
