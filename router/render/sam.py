"""Render the manifest as the AWS SAM template (``template.yaml``) as a dict.

The template holds one ``AWS::Serverless::Api`` whose ``DefinitionBody`` is the
*stable* OpenAPI view (see ``router.render.openapi``), with detailed CloudWatch
metrics and JSON access logs (``router.accesslog``) to a log group with retention; one
``AWS::Serverless::Function`` per active route with target lambda and a weight above 0
(canary functions exist before they take stable traffic), each with SAM's basic
execution role and one ``AWS::Lambda::Permission`` scoped to its method and path. A
route's ``database`` adds an inline statement reading that one secret or parameter
(and decrypting with its key, ``router.iam``) and the environment variable naming it;
its ``vpc`` becomes ``VpcConfig``, for which SAM attaches AWS's managed policy
AWSLambdaVPCAccessExecutionRole (``migrate apply`` writes narrower roles itself).
The canary itself is not in the template: ``migrate apply`` deploys the canary view.

Deploying needs API Gateway's account-level CloudWatch Logs role (set once per account
and region) for access logging; this template does not manage that account setting.

This module is pure: it returns a dict and must not serialize, do I/O or call AWS.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from router.accesslog import access_log_format
from router.arns import access_log_group_name, execute_api_resource, function_name, layer_name
from router.iam import access_of
from router.manifest.model import Manifest, Route, reserved_concurrency
from router.render.openapi import logical_id, render_openapi, sam_lambda_uri

__all__ = [
    "API_LOGICAL_ID",
    "LOG_GROUP_LOGICAL_ID",
    "SAM_BUILD_DIR",
    "RequirementsOf",
    "access_log_group_name",  # re-exported from router.arns for existing callers
    "lambda_routes",
    "layer_logical_id",
    "permission_logical_id",
    "render_sam",
    "source_arn",
]

API_LOGICAL_ID = "StranglerApi"
LOG_GROUP_LOGICAL_ID = "StranglerAccessLogGroup"
_LOG_RETENTION_DAYS = 30
SAM_BUILD_DIR = ".migrate/build/sam"  # `migrate build` fills one directory per logical id
# The requirements file (relative to the project) of a route, or None: no layer.
RequirementsOf = Callable[[Route], str | None]
_METRICS = [{"ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": True}]


def render_sam(manifest: Manifest, requirements: RequirementsOf | None = None) -> dict[str, Any]:
    """The SAM template for ``manifest``; the same manifest gives an equal dict.

    ``requirements`` names each route's requirements file (``router.build`` decides,
    reading the project): each distinct one becomes an ``AWS::Serverless::LayerVersion``
    that ``sam build`` builds (``Metadata: BuildMethod``) and its functions attach.
    """
    resources: dict[str, Any] = {
        API_LOGICAL_ID: _api(manifest),
        LOG_GROUP_LOGICAL_ID: _log_group(manifest),
    }
    for route in lambda_routes(manifest):
        declared = requirements(route) if requirements else None
        layer = layer_logical_id(declared) if declared else None
        resources[logical_id(route)] = _function(manifest, route, layer)
        resources[permission_logical_id(route)] = _permission(route)
        if declared and layer:
            resources[layer] = _layer(manifest, declared)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": f"{manifest.api.name}: strangler-fig migration of {manifest.legacy.url}",
        "Resources": resources,
        "Outputs": _outputs(manifest),
    }


def lambda_routes(manifest: Manifest) -> list[Route]:
    """Active routes that need a function (stable or canary), by logical id."""
    routes = [r for r in manifest.routes if r.status == "active" and r.effective_weight > 0]
    return sorted(routes, key=logical_id)


def _api(manifest: Manifest) -> dict[str, Any]:
    properties = {
        "Name": manifest.api.name,
        "StageName": manifest.api.stage,
        "OpenApiVersion": "3.0.1",
        "DefinitionBody": render_openapi(manifest, lambda_uri=sam_lambda_uri, view="stable"),
        "MethodSettings": [dict(setting) for setting in _METRICS],
        "AccessLogSetting": {
            "DestinationArn": {"Fn::GetAtt": [LOG_GROUP_LOGICAL_ID, "Arn"]},
            "Format": access_log_format(),
        },
    }
    return {"Type": "AWS::Serverless::Api", "Properties": properties}


def _log_group(manifest: Manifest) -> dict[str, Any]:
    properties = {
        "LogGroupName": access_log_group_name(manifest),
        "RetentionInDays": _LOG_RETENTION_DAYS,
    }
    return {"Type": "AWS::Logs::LogGroup", "Properties": properties}


def layer_logical_id(requirements: str) -> str:
    """``migrated_functions/requirements.txt`` -> ``MigratedFunctionsRequirementsLayer``."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", requirements.removesuffix(".txt")) if w]
    camel = "".join(w[:1].upper() + w[1:] for w in words)
    if not camel[:1].isalpha():
        camel = "L" + camel + hashlib.sha256(requirements.encode()).hexdigest()[:8]
    return f"{camel}Layer"


def _layer(manifest: Manifest, requirements: str) -> dict[str, Any]:
    runtime, arch = manifest.defaults.runtime, manifest.defaults.architecture
    properties = {
        "LayerName": layer_name(manifest, layer_logical_id(requirements)),
        "Description": f"third-party requirements of {requirements} (its lock)",
        "ContentUri": f"{SAM_BUILD_DIR}/{layer_logical_id(requirements)}",
        "CompatibleRuntimes": [runtime],
        "CompatibleArchitectures": [arch],
    }
    metadata = {"BuildMethod": runtime, "BuildArchitecture": arch}
    return {"Type": "AWS::Serverless::LayerVersion", "Properties": properties, "Metadata": metadata}


def _function(manifest: Manifest, route: Route, layer: str | None) -> dict[str, Any]:
    defaults = manifest.defaults
    properties: dict[str, Any] = {
        "FunctionName": function_name(manifest, route),
        "Handler": route.function,
        "CodeUri": f"{SAM_BUILD_DIR}/{logical_id(route)}",
        "Runtime": defaults.runtime,
        "Architectures": [defaults.architecture],
        "MemorySize": route.memory or defaults.memory,
        "Timeout": route.timeout or defaults.timeout,
        "Policies": _policies(manifest, route),
    }
    if layer:
        properties["Layers"] = [{"Ref": layer}]
    reserved = reserved_concurrency(defaults, route)
    if reserved is not None:
        properties["ReservedConcurrentExecutions"] = reserved
    variables = manifest.environment_for(route)
    if variables:
        properties["Environment"] = {"Variables": variables}
    vpc = manifest.vpc_for(route)
    if vpc is not None:  # SAM adds AWSLambdaVPCAccessExecutionRole to the function's role
        properties["VpcConfig"] = {
            "SubnetIds": list(vpc.subnet_ids),
            "SecurityGroupIds": list(vpc.security_group_ids),
        }
    return {"Type": "AWS::Serverless::Function", "Properties": properties}


def _policies(manifest: Manifest, route: Route) -> list[dict[str, Any]]:
    """The role's inline statements for the route's database (SSM ARNs by ``Fn::Sub``)."""
    access = access_of(
        manifest,
        route,
        partition="${AWS::Partition}",
        region="${AWS::Region}",
        account="${AWS::AccountId}",
    )
    statements = [s for s in access.statements() if s["Resource"] != "*"]  # ENIs: SAM's
    for statement in statements:
        if "${" in statement["Resource"]:
            statement["Resource"] = {"Fn::Sub": statement["Resource"]}
    return [{"Statement": statements}] if statements else []


def permission_logical_id(route: Route) -> str:
    return logical_id(route).removesuffix("Function") + "InvokePermission"


def _permission(route: Route) -> dict[str, Any]:
    properties = {
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Ref": logical_id(route)},
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": source_arn(route),
    }
    return {"Type": "AWS::Lambda::Permission", "Properties": properties}


def source_arn(route: Route) -> dict[str, str]:
    """``execute-api`` ARN of any stage of the API, this method, this path (vars as ``*``)."""
    resource = f"${{{API_LOGICAL_ID}}}/*/{execute_api_resource(route)}"
    prefix = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}"
    return {"Fn::Sub": f"{prefix}:{resource}"}


def _outputs(manifest: Manifest) -> dict[str, Any]:
    url = (
        f"https://${{{API_LOGICAL_ID}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}"
        f"/{manifest.api.stage}/"
    )
    return {
        "ApiUrl": {"Description": "Invoke URL of the stage", "Value": {"Fn::Sub": url}},
        "ApiId": {"Description": "REST API id", "Value": {"Ref": API_LOGICAL_ID}},
        "AccessLogGroupName": {
            "Description": "CloudWatch Logs group of the JSON access logs",
            "Value": {"Ref": LOG_GROUP_LOGICAL_ID},
        },
    }
