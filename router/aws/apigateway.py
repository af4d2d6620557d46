"""Typed wrapper over the API Gateway (REST, v1) control plane.

Every call strangler makes to API Gateway goes through ``ApiGateway``; botocore
errors become ``AWSError`` here. Read calls return frozen dataclasses. This
module must not decide what to change (see ``router.deploy``).

moto (the local endpoint) ignores ``canarySettings`` and replaces the stage on
``create_deployment(stageName=...)``; ``StageInfo.canary`` is then always None. On an
OpenAPI import moto keeps an integration's ``connectionType`` but drops its
``connectionId`` (moto 5.x), so ``DeployedMethod.connection_id`` is None there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import botocore.exceptions

from router.aws.session import AwsContext, aws_errors, error_code

if TYPE_CHECKING:
    from mypy_boto3_apigateway import APIGatewayClient
    from mypy_boto3_apigateway.type_defs import (
        PatchOperationTypeDef,
        ResourceTypeDef,
        StageResponseTypeDef,
    )

__all__ = [
    "ApiGateway",
    "CanaryInfo",
    "DeployedMethod",
    "PatchOp",
    "RestApiRef",
    "StageInfo",
    "StagePatch",
]

_ANY_KEYS = {"ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD"}


@dataclass(frozen=True)
class RestApiRef:
    id: str
    name: str


@dataclass(frozen=True, order=True)
class DeployedMethod:
    """One method of the API's current (working) resources and its integration."""

    path: str
    method: str  # upper case; ANY for the any-method
    integration_type: str | None  # lower case: aws_proxy, http_proxy, ...
    uri: str | None
    connection_type: str | None = None  # INTERNET or VPC_LINK
    connection_id: str | None = None  # the VPC link's id


@dataclass(frozen=True)
class CanaryInfo:
    deployment_id: str | None
    percent_traffic: float


PatchOp = Literal["replace", "remove"]


@dataclass(frozen=True)
class StagePatch:
    """One ``update_stage`` patch operation; a ``remove`` sends no value."""

    op: PatchOp
    path: str
    value: str = ""

    def wire(self) -> PatchOperationTypeDef:
        if self.op == "remove":
            return {"op": "remove", "path": self.path}
        return {"op": self.op, "path": self.path, "value": self.value}


@dataclass(frozen=True)
class StageInfo:
    name: str
    deployment_id: str | None
    canary: CanaryInfo | None
    metrics_enabled: bool
    access_log_destination: str | None
    access_log_format: str | None


class ApiGateway:
    def __init__(self, ctx: AwsContext) -> None:
        self._ctx = ctx

    @property
    def _client(self) -> APIGatewayClient:
        return self._ctx.client("apigateway")

    def find_rest_api(self, name: str) -> RestApiRef | None:
        with aws_errors("list REST APIs"):
            pages = self._client.get_paginator("get_rest_apis").paginate()
            items = [i for page in pages for i in page.get("items", [])]
        found = [RestApiRef(i["id"], i["name"]) for i in items if i.get("name") == name]
        return found[0] if found else None

    def create_rest_api(self, name: str, description: str) -> RestApiRef:
        with aws_errors(f"create REST API {name!r}"):
            api = self._client.create_rest_api(
                name=name, description=description, endpointConfiguration={"types": ["REGIONAL"]}
            )
        return RestApiRef(api["id"], api["name"])

    def put_definition(self, api_id: str, document: dict[str, Any]) -> None:
        """Replace the API's resources with ``document`` (OpenAPI, mode overwrite)."""
        with aws_errors(f"import the definition into REST API {api_id}"):
            self._client.put_rest_api(
                restApiId=api_id, mode="overwrite", failOnWarnings=False, body=json.dumps(document)
            )

    def methods(self, api_id: str) -> list[DeployedMethod]:
        """Every method of the working resources, with integrations (paginated)."""
        with aws_errors(f"read the resources of REST API {api_id}"):
            pages = self._client.get_paginator("get_resources").paginate(
                restApiId=api_id, embed=["methods"], PaginationConfig={"PageSize": 500}
            )
            resources = [r for page in pages for r in page.get("items", [])]
        return sorted(m for r in resources for m in _methods_of(r))

    def create_deployment(
        self, api_id: str, *, stage: str | None, description: str, canary_percent: float | None
    ) -> str:
        kwargs: dict[str, Any] = {"restApiId": api_id, "description": description}
        if stage is not None:
            kwargs["stageName"] = stage
        if canary_percent is not None:
            kwargs["canarySettings"] = {"percentTraffic": canary_percent}
        with aws_errors(f"create a deployment of REST API {api_id}"):
            return str(self._client.create_deployment(**kwargs)["id"])

    def get_stage(self, api_id: str, stage: str) -> StageInfo | None:
        try:
            data = self._client.get_stage(restApiId=api_id, stageName=stage)
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) == "NotFoundException":
                return None
            with aws_errors(f"read stage {stage!r} of REST API {api_id}"):
                raise
        return _stage_info(data)

    def update_stage(self, api_id: str, stage: str, operations: Sequence[StagePatch]) -> None:
        patches = [o.wire() for o in operations]
        with aws_errors(f"update stage {stage!r} of REST API {api_id}"):
            self._client.update_stage(restApiId=api_id, stageName=stage, patchOperations=patches)

    def deployment_ids(self, api_id: str) -> set[str]:
        with aws_errors(f"list the deployments of REST API {api_id}"):
            pages = self._client.get_paginator("get_deployments").paginate(restApiId=api_id)
            return {d["id"] for page in pages for d in page.get("items", [])}


def _methods_of(resource: ResourceTypeDef) -> list[DeployedMethod]:
    path = resource.get("path", "/")
    out = []
    for key, method in (resource.get("resourceMethods") or {}).items():
        integration = (method or {}).get("methodIntegration") or {}
        name = "ANY" if key.upper() in _ANY_KEYS else key.upper()
        kind = integration.get("type")
        out.append(
            DeployedMethod(
                path,
                name,
                kind.lower() if kind else None,
                integration.get("uri"),
                integration.get("connectionType"),
                integration.get("connectionId"),
            )
        )
    return out


def _stage_info(data: StageResponseTypeDef) -> StageInfo:
    canary = data.get("canarySettings")
    settings = data.get("methodSettings") or {}
    logs = data.get("accessLogSettings") or {}
    return StageInfo(
        name=data.get("stageName", ""),
        deployment_id=data.get("deploymentId"),
        canary=CanaryInfo(canary.get("deploymentId"), float(canary.get("percentTraffic", 0)))
        if canary
        else None,
        metrics_enabled=bool((settings.get("*/*") or {}).get("metricsEnabled")),
        access_log_destination=logs.get("destinationArn"),
        access_log_format=logs.get("format"),
    )
