"""diff_views and the views it compares: table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from router.aws.apigateway import DeployedMethod
from router.deploy.view import (
    ApiView,
    ViewChange,
    describe_target,
    diff_views,
    view_of_document,
    view_of_methods,
)
from tests.helpers.deploy_builders import legacy, on_lambda

A = {"GET /a": legacy("/a")}
B = {"GET /b": legacy("/b")}


@pytest.mark.parametrize(
    ("before", "after", "changes"),
    [
        ({}, {}, []),
        (A, A, []),
        ({}, A, [ViewChange("GET /a", None, legacy("/a"))]),
        (A, {}, [ViewChange("GET /a", legacy("/a"), None)]),
        (
            A,
            {"GET /a": on_lambda("f")},
            [ViewChange("GET /a", legacy("/a"), on_lambda("f"))],
        ),
        (
            {**A, "POST /a": legacy("/a")},
            {"POST /a": on_lambda("g"), **B},
            [
                ViewChange("GET /a", legacy("/a"), None),
                ViewChange("POST /a", legacy("/a"), on_lambda("g")),
                ViewChange("GET /b", None, legacy("/b")),
            ],
        ),
    ],
    ids=["both empty", "equal", "added", "removed", "changed", "sorted by path, then method"],
)
def test_diff_views(before: ApiView, after: ApiView, changes: list[ViewChange]) -> None:
    assert diff_views(before, after) == changes


@pytest.mark.parametrize(
    ("change", "kind", "text"),
    [
        (ViewChange("GET /a", None, on_lambda("f")), "add", "GET /a: (none) -> lambda f"),
        (
            ViewChange("GET /a", legacy("/a"), None),
            "remove",
            "GET /a: http_proxy http://legacy.internal:5000/a -> (none)",
        ),
        (
            ViewChange("GET /a", on_lambda("f"), on_lambda("g")),
            "change",
            "GET /a: lambda f -> lambda g",
        ),
    ],
)
def test_view_change(change: ViewChange, kind: str, text: str) -> None:
    assert (change.kind, change.describe()) == (kind, text)


def test_describe_target_names_the_function_of_a_lambda_uri() -> None:
    assert describe_target(on_lambda("shop-get-user")) == "lambda shop-get-user"
    assert describe_target(("mock", "")) == "mock "
    assert describe_target(None) == "(none)"


def _integration(kind: str, uri: Any) -> dict[str, Any]:
    return {"x-amazon-apigateway-integration": {"type": kind, "uri": uri}}


@pytest.mark.parametrize(
    ("paths", "view"),
    [
        ({}, {}),
        ({"/a": {"get": _integration("HTTP_PROXY", "u")}}, {"GET /a": ("http_proxy", "u")}),
        (
            {"/{proxy+}": {"x-amazon-apigateway-any-method": _integration("http_proxy", "p")}},
            {"ANY /{proxy+}": ("http_proxy", "p")},
        ),
        ({"/a": {"parameters": [], "get": {}}}, {"GET /a": ("", "")}),
        (
            {"/a": {"post": _integration("AWS_PROXY", {"Fn::Sub": "x"})}},
            {"POST /a": ("aws_proxy", "{'Fn::Sub': 'x'}")},
        ),
    ],
    ids=["no paths", "a method", "the any-method", "non-methods skipped", "non-string uri"],
)
def test_view_of_document(paths: dict[str, Any], view: ApiView) -> None:
    assert view_of_document({"paths": paths}) == view


def test_view_of_methods_reads_what_api_gateway_returned() -> None:
    methods = [
        DeployedMethod("/a", "GET", "http_proxy", "u"),
        DeployedMethod("/", "ANY", None, None),
    ]
    assert view_of_methods(methods) == {"GET /a": ("http_proxy", "u"), "ANY /": ("", "")}
