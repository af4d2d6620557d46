"""Small builders for the planner and executor tests: views, states, stages, plans.

Values, not mocks: each builder returns the real frozen dataclass or pydantic model
the deploy code takes, with names short enough for a table of cases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from router.accesslog import access_log_format
from router.arns import log_group_arn
from router.aws.apigateway import CanaryInfo, RestApiRef, StageInfo
from router.aws.lambda_ import FunctionInfo, FunctionSpec
from router.build import FunctionBuild, Reuse, build_package
from router.deploy.artifacts import Build
from router.deploy.desired import Desired
from router.deploy.model import Observed, Plan, StageSettings, Step
from router.deploy.state import DeploymentRecord, DeployState
from router.deploy.view import ApiView
from router.manifest.model import Manifest, Route

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
API_ID = "a1b2c3d4e5"
LEGACY = "http://legacy.internal:5000"
USERS_HANDLER = "migrated_functions.users.get_user"
PRODUCTS_HANDLER = "migrated_functions.products.list_products"


def manifest(*routes: dict[str, Any], revision: int = 3, **top: Any) -> Manifest:
    """``shop``/``prod`` in us-east-1 with ``routes`` (dicts as in migration.yaml)."""
    data: dict[str, Any] = {
        "revision": revision,
        "api": {"name": "shop", "stage": "prod", "region": "us-east-1"},
        "legacy": {"url": LEGACY},
        "routes": list(routes),
    }
    return Manifest.model_validate({**data, **top})


USERS = {"id": "get-user", "method": "GET", "path": "/api/users/{user_id}"}
PRODUCTS = {"id": "list-products", "method": "GET", "path": "/api/products"}
MANIFEST = manifest(USERS, PRODUCTS)
LOG_ARN = log_group_arn(MANIFEST, ACCOUNT)


def legacy(path: str) -> tuple[str, str]:
    return ("http_proxy", LEGACY + path)


def on_lambda(name: str) -> tuple[str, str]:
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"
    return ("aws_proxy", uri)


V1: ApiView = {"GET /api/users/{user_id}": legacy("/api/users/{user_id}")}
V2: ApiView = {"GET /api/users/{user_id}": on_lambda("shop-get-user")}


def record(
    deployment: str,
    view: ApiView,
    *,
    kind: str = "stable",
    revision: int = 2,
    percent: float | None = None,
) -> DeploymentRecord:
    return DeploymentRecord(
        deployment_id=deployment,
        revision=revision,
        time="2026-01-01T00:00:00Z",
        kind=kind,
        view=dict(view),
        canary_percent=percent,
    )


def state(
    stable: DeploymentRecord | None = None,
    canary: DeploymentRecord | None = None,
    *,
    older: tuple[DeploymentRecord, ...] = (),
    last_put: ApiView | None = None,
    api_id: str | None = API_ID,
) -> DeployState:
    """A state whose records are ``older`` + the current stable and canary ones."""
    records = [*older, *(r for r in (stable, canary) if r is not None)]
    return DeployState(
        api_id=api_id,
        api_name="shop" if api_id else None,
        stage="prod" if api_id else None,
        account_id=ACCOUNT if api_id else None,
        last_put=last_put,
        stable=stable,
        canary=canary,
        deployments=records,
    )


def stage(
    deployment: str | None = "S1",
    *,
    canary: str | None = None,
    metrics: bool = True,
    log_arn: str | None = LOG_ARN,
) -> StageInfo:
    return StageInfo(
        name="prod",
        deployment_id=deployment,
        canary=CanaryInfo(canary, 10.0) if canary else None,
        metrics_enabled=metrics,
        access_log_destination=log_arn,
        access_log_format=access_log_format(),
    )


def observed(
    stage_info: StageInfo | None = None,
    methods: ApiView | None = None,
    functions: dict[str, FunctionInfo | None] | None = None,
    *,
    api: bool = True,
) -> Observed:
    ref = RestApiRef(API_ID, "shop") if api else None
    return Observed(ref, stage_info, methods, functions or {})


def spec(name: str = "shop-get-user", *, memory: int = 256, code: bytes = b"zip") -> FunctionSpec:
    return FunctionSpec(name, USERS_HANDLER, "python3.12", memory, 10, (), code)


def info_of(function: FunctionSpec, **changes: Any) -> FunctionInfo:
    """What Lambda reports for ``function`` as deployed, with ``changes``."""
    fields: dict[str, Any] = {
        "name": function.name,
        "arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{function.name}",
        "code_sha256": function.code_sha256,
        "handler": function.handler,
        "runtime": function.runtime,
        "memory": function.memory,
        "timeout": function.timeout,
        "environment": function.environment,
    }
    return FunctionInfo(**{**fields, **changes})


def users_route() -> Route:
    return Route.model_validate({**USERS, "target": "lambda", "function": USERS_HANDLER})


def desired(
    stable: ApiView,
    canary: ApiView | None = None,
    percent: float | None = None,
    functions: tuple[tuple[FunctionSpec, Route], ...] = (),
) -> Desired:
    return Desired(
        stable_document={"paths": {"stable": {}}},
        stable_view=stable,
        canary_document={"paths": {"canary": {}}} if canary is not None else None,
        canary_view=canary,
        canary_percent=percent,
        functions=functions,
    )


SETTINGS = StageSettings(
    (
        ("replace", "/*/*/metrics/enabled", "true"),
        ("replace", "/accessLogSettings/destinationArn", LOG_ARN),
        ("replace", "/accessLogSettings/format", access_log_format()),
    )
)


def plan(
    *steps: Step,
    want: Desired | None = None,
    drift: tuple[str, ...] = (),
    api_id: str | None = API_ID,
) -> Plan:
    return Plan(
        api_name="shop",
        stage="prod",
        api_id=api_id,
        account_id=ACCOUNT,
        route_changes=(),
        canary_changes=(),
        canary_percent=(None, None),
        drift=drift,
        notes=(),
        steps=steps,
        desired=want or desired(V2),
    )


def code_only(root: Path) -> Build:
    """Each route's code zip and no layer: unit tests never run pip (layers have theirs)."""

    def build(_: Manifest, route: Route, _reuse: Reuse | None = None) -> FunctionBuild:
        assert route.function is not None
        package = build_package(root, route.function)
        path = root / "unused.zip"
        return FunctionBuild(route.id, route.function, package, path, False, None, package.size)

    return build
