"""What the manifest asks API Gateway and Lambda to be: documents, views, functions.

Pure apart from reading handler source files to package them. Must not call AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from router.arns import (
    function_arn,
    function_name,
    lambda_invocation_uri,
    lambda_role_name,
    partition_for,
)
from router.aws.lambda_ import FunctionSpec
from router.build.code import build_package
from router.deploy.view import ApiView, view_of_resources
from router.errors import InputError
from router.iam import access_of
from router.manifest.model import Manifest, Route
from router.render.openapi import openapi_document
from router.render.resources import api_resources

__all__ = ["Desired", "desired_state"]


@dataclass(frozen=True)
class Desired:
    stable_document: dict[str, Any]
    stable_view: ApiView
    canary_document: dict[str, Any] | None
    canary_view: ApiView | None
    canary_percent: float | None
    functions: tuple[tuple[FunctionSpec, Route], ...]


def desired_state(manifest: Manifest, account: str, root: Path) -> Desired:
    def uri(route: Route) -> str:
        return lambda_invocation_uri(manifest.api.region, function_arn(manifest, account, route))

    stable = api_resources(manifest, lambda_uri=uri, view="stable")
    percent = canary_percent(manifest)
    canary = api_resources(manifest, lambda_uri=uri, view="canary") if percent else None
    return Desired(
        stable_document=openapi_document(manifest, stable, "stable"),
        stable_view=view_of_resources(stable),
        canary_document=openapi_document(manifest, canary, "canary") if canary else None,
        canary_view=view_of_resources(canary) if canary else None,
        canary_percent=percent,
        functions=tuple((_spec(manifest, r, root, account), r) for r in _lambda_routes(manifest)),
    )


def canary_percent(manifest: Manifest) -> float | None:
    """The stage's canary share; API Gateway has one per stage, so weights must agree."""
    weights = {r.id: r.effective_weight for r in manifest.routes if 0 < r.effective_weight < 100}
    if len(set(weights.values())) > 1:
        listed = ", ".join(f"{k} {v}%" for k, v in sorted(weights.items()))
        raise InputError(
            f"canary weights differ ({listed}): an API Gateway stage has one canary percentage",
            hint="promote these routes with the same --weight, or one at a time",
        )
    return float(next(iter(weights.values()))) if weights else None


def _lambda_routes(manifest: Manifest) -> list[Route]:
    return [r for r in manifest.routes if r.status == "active" and r.effective_weight > 0]


def _spec(manifest: Manifest, route: Route, root: Path, account: str) -> FunctionSpec:
    assert route.function is not None  # the model guarantees it for lambda routes
    package = build_package(root, route.function)
    environment = manifest.environment_for(route)
    region = manifest.api.region
    access = access_of(
        manifest, route, partition=partition_for(region), region=region, account=account
    )
    vpc = manifest.vpc_for(route)
    return FunctionSpec(
        name=function_name(manifest, route),
        handler=route.function,
        runtime=manifest.defaults.runtime,
        memory=route.memory or manifest.defaults.memory,
        timeout=route.timeout or manifest.defaults.timeout,
        environment=tuple(sorted(environment.items())),
        zip_bytes=package.zip_bytes,
        vpc=vpc.key if vpc else None,
        role_name=lambda_role_name(manifest, access.digest),
        access=access,
    )
