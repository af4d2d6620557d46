"""What the manifest asks API Gateway and Lambda to be: documents, views, functions, layers.

Pure apart from building (or taking from the cache) each route's code zip and layer
through the injected ``Build``, which may ``reuse`` a published layer instead. Must
not call AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from router.arns import artifact_bucket_name, function_arn, lambda_invocation_uri
from router.aws.lambda_ import FunctionSpec
from router.build import Reuse
from router.deploy.artifacts import Build, DesiredLayer, Where, function_spec, layer_of_build
from router.deploy.view import ApiView, view_of_resources
from router.errors import InputError
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
    layers: tuple[DesiredLayer, ...] = ()  # one per distinct requirements file
    layer_of: Mapping[str, str] = field(default_factory=dict)  # function name -> layer name
    bucket: str = ""  # the artifact bucket, used by zips over the direct upload limit
    unzipped: Mapping[str, int] = field(default_factory=dict)  # function -> code bytes

    def layer(self, name: str) -> DesiredLayer:
        return next(layer for layer in self.layers if layer.name == name)


def desired_state(
    manifest: Manifest, account: str, build: Build, reuse: Reuse | None = None
) -> Desired:
    def uri(route: Route) -> str:
        return lambda_invocation_uri(manifest.api.region, function_arn(manifest, account, route))

    stable = api_resources(manifest, lambda_uri=uri, view="stable")
    percent = canary_percent(manifest)
    canary = api_resources(manifest, lambda_uri=uri, view="canary") if percent else None
    bucket = artifact_bucket_name(manifest, account)
    functions, layers, layer_of, unzipped = _artifacts(manifest, build, bucket, account, reuse)
    return Desired(
        stable_document=openapi_document(manifest, stable, "stable"),
        stable_view=view_of_resources(stable),
        canary_document=openapi_document(manifest, canary, "canary") if canary else None,
        canary_view=view_of_resources(canary) if canary else None,
        canary_percent=percent,
        functions=functions,
        layers=layers,
        layer_of=layer_of,
        bucket=bucket,
        unzipped=unzipped,
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


def _artifacts(
    manifest: Manifest, build: Build, bucket: str, account: str, reuse: Reuse | None
) -> tuple[
    tuple[tuple[FunctionSpec, Route], ...], tuple[DesiredLayer, ...], dict[str, str], dict[str, int]
]:
    functions: list[tuple[FunctionSpec, Route]] = []
    layers: dict[str, DesiredLayer] = {}
    layer_of: dict[str, str] = {}
    unzipped: dict[str, int] = {}
    for route in _lambda_routes(manifest):
        built = build(manifest, route, reuse)
        spec = function_spec(manifest, route, built, Where(bucket, account))
        functions.append((spec, route))
        unzipped[spec.name] = built.code.unzipped_size
        layer = layer_of_build(manifest, built, bucket)
        if layer is not None:
            layers.setdefault(layer.name, layer)
            layer_of[spec.name] = layer.name
    return tuple(functions), tuple(layers.values()), layer_of, unzipped
