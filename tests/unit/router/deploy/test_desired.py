"""desired_state and the ARNs it builds: what the manifest asks AWS to be, case by case."""

from __future__ import annotations

from typing import Any

import pytest

from router.arns import execute_api_source_arn, function_arn
from router.deploy.desired import canary_percent, desired_state
from router.errors import InputError
from router.manifest.model import Manifest, Route
from tests.helpers.deploy_builders import (
    ACCOUNT,
    PRODUCTS,
    PRODUCTS_HANDLER,
    REPO,
    USERS,
    USERS_HANDLER,
    code_only,
    legacy,
    manifest,
    on_lambda,
)

USERS_KEY, PRODUCTS_KEY = "GET /api/users/{user_id}", "GET /api/products"
CATCH_ALL = {"ANY /": legacy("/"), "ANY /{proxy+}": legacy("/{proxy}")}


def users(**fields: Any) -> dict[str, Any]:
    return {**USERS, "target": "lambda", "function": USERS_HANDLER, **fields}


def products(**fields: Any) -> dict[str, Any]:
    return {**PRODUCTS, "target": "lambda", "function": PRODUCTS_HANDLER, **fields}


ALL_LEGACY = {
    **CATCH_ALL,
    USERS_KEY: legacy("/api/users/{user_id}"),
    PRODUCTS_KEY: legacy("/api/products"),
}
USERS_ON_LAMBDA = {**ALL_LEGACY, USERS_KEY: on_lambda("shop-get-user")}

CASES = {
    "all on the monolith": (manifest(USERS, PRODUCTS), ALL_LEGACY, None, None, []),
    "a route on Lambda": (
        manifest(users(), PRODUCTS),
        USERS_ON_LAMBDA,
        None,
        None,
        [("shop-get-user", USERS_HANDLER)],
    ),
    "a canary: the stable view keeps the monolith, the canary view has Lambda": (
        manifest(users(weight=10), PRODUCTS),
        ALL_LEGACY,
        USERS_ON_LAMBDA,
        10.0,
        [("shop-get-user", USERS_HANDLER)],
    ),
    "two canaries at one share": (
        manifest(users(weight=30), products(weight=30)),
        ALL_LEGACY,
        {
            **USERS_ON_LAMBDA,
            PRODUCTS_KEY: on_lambda("shop-list-products"),
        },
        30.0,
        [("shop-get-user", USERS_HANDLER), ("shop-list-products", PRODUCTS_HANDLER)],
    ),
    "a vanished route gets no function": (
        manifest(users(status="vanished"), PRODUCTS),
        {**CATCH_ALL, PRODUCTS_KEY: legacy("/api/products")},
        None,
        None,
        [],
    ),
}


@pytest.mark.parametrize(
    ("given", "stable", "canary", "percent", "functions"), CASES.values(), ids=CASES.keys()
)
def test_desired_state(
    given: Manifest,
    stable: dict[str, tuple[str, str]],
    canary: dict[str, tuple[str, str]] | None,
    percent: float | None,
    functions: list[tuple[str, str]],
) -> None:
    want = desired_state(given, ACCOUNT, code_only(REPO))
    assert want.stable_view == stable
    assert want.canary_view == canary
    assert (want.canary_document is None) == (canary is None)
    assert want.canary_percent == percent
    assert [(spec.name, route.function) for spec, route in want.functions] == functions
    assert all(spec.handler == route.function for spec, route in want.functions)


def test_canary_weights_must_agree() -> None:
    with pytest.raises(
        InputError, match=r"canary weights differ \(get-user 10%, list-products 20%\)"
    ):
        canary_percent(manifest(users(weight=10), products(weight=20)))


def test_a_full_route_is_not_a_canary() -> None:
    assert canary_percent(manifest(users(weight=100), products(weight=20))) == 20.0


def test_function_spec_takes_defaults_and_route_settings() -> None:
    given = manifest(
        users(memory=512, environment={"B": "route", "C": "3"}),
        products(),
        defaults={"runtime": "python3.11", "timeout": 7, "environment": {"A": "1", "B": "d"}},
    )
    specs = {
        spec.name: spec for spec, _ in desired_state(given, ACCOUNT, code_only(REPO)).functions
    }
    user, product = specs["shop-get-user"], specs["shop-list-products"]
    assert (user.handler, user.runtime, user.memory, user.timeout) == (
        USERS_HANDLER,
        "python3.11",
        512,
        7,
    )
    assert user.environment == (("A", "1"), ("B", "route"), ("C", "3"))
    assert (product.memory, product.environment) == (256, (("A", "1"), ("B", "d")))
    assert user.zip_bytes and user.code_sha256 != product.code_sha256


def test_packages_are_deterministic() -> None:
    given = manifest(users())
    first = desired_state(given, ACCOUNT, code_only(REPO)).functions[0][0]
    assert (
        desired_state(given, ACCOUNT, code_only(REPO)).functions[0][0].code_sha256
        == first.code_sha256
    )


@pytest.mark.parametrize(
    ("region", "route", "function", "source"),
    [
        (
            "us-east-1",
            USERS,
            "arn:aws:lambda:us-east-1:123456789012:function:shop-get-user",
            "arn:aws:execute-api:us-east-1:123456789012:api1/*/GET/api/users/*",
        ),
        (
            "cn-north-1",
            {"id": "any-files", "method": "ANY", "path": "/files/{p+}"},
            "arn:aws-cn:lambda:cn-north-1:123456789012:function:shop-any-files",
            "arn:aws-cn:execute-api:cn-north-1:123456789012:api1/*/*/files/*",
        ),
        (
            "us-gov-west-1",
            PRODUCTS,
            "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:shop-list-products",
            "arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:api1/*/GET/api/products",
        ),
    ],
)
def test_arns(region: str, route: dict[str, Any], function: str, source: str) -> None:
    given = manifest(route, api={"name": "shop", "stage": "prod", "region": region})
    built = Route.model_validate(route)
    assert function_arn(given, ACCOUNT, built) == function
    assert execute_api_source_arn(given, ACCOUNT, "api1", built) == source
