"""Every AWS name and ARN the project builds from the manifest, in one place.

Function names, dependency layer names, the artifact bucket, the access log group,
the Lambda role, and the ARNs of functions,
log groups, ``execute-api`` sources and API Gateway's Lambda integrations, for the
renderer, the planner, the executor and the local gateway alike. Pure string
building: this module must not call AWS nor read files.
"""

from __future__ import annotations

import hashlib
import re

from router.manifest.model import Manifest, Route
from router.paths import SegmentKind, parse_path

__all__ = [
    "INVOKE_PATH",
    "access_log_group_name",
    "artifact_bucket_name",
    "execute_api_resource",
    "execute_api_source_arn",
    "function_arn",
    "function_name",
    "lambda_function_arn",
    "lambda_invocation_uri",
    "lambda_log_groups_arn",
    "lambda_role_name",
    "layer_name",
    "log_group_arn",
    "partition_for",
    "role_arn",
]

_FUNCTION_NAME_MAX = 64
_LAYER_NAME_MAX = 140
_BUCKET_NAME_MAX = 63
_ROLE_NAME_MAX = 64
INVOKE_PATH = "lambda:path/2015-03-31/functions/{arn}/invocations"


def partition_for(region: str) -> str:
    """The AWS partition of ``region``: ``aws``, ``aws-cn`` or ``aws-us-gov``."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _arn(service: str, region: str, account: str, resource: str) -> str:
    return f"arn:{partition_for(region)}:{service}:{region}:{account}:{resource}"


def function_name(manifest: Manifest, route: Route) -> str:
    """``{api.name}-{route.id}``; a stable hash suffix keeps it within 64 characters."""
    name = f"{manifest.api.name}-{route.id}"
    if len(name) <= _FUNCTION_NAME_MAX:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: _FUNCTION_NAME_MAX - 9].rstrip('-_')}-{digest}"


def layer_name(manifest: Manifest, logical_id: str) -> str:
    """The Lambda layer of one requirements file: ``{api.name}-{its template logical id}``.

    ``logical_id`` is the layer's ``AWS::Serverless::LayerVersion`` id in ``template.yaml``
    (``router.render.sam.layer_logical_id``), so ``sam deploy`` and ``migrate apply``
    publish versions of the same layer.
    """
    return f"{manifest.api.name}-{logical_id}"[:_LAYER_NAME_MAX]


def artifact_bucket_name(manifest: Manifest, account: str) -> str:
    """The S3 bucket of zips over Lambda's direct upload limit, one per API, account, region.

    ``{api.name}-artifacts-{account}-{region}``, lowercased to S3's alphabet; a stable
    hash suffix keeps it within 63 characters.
    """
    raw = f"{manifest.api.name}-artifacts-{account}-{manifest.api.region}".lower()
    name = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", raw)).strip("-")
    if len(name) <= _BUCKET_NAME_MAX:
        return name
    digest = hashlib.sha256(raw.encode()).hexdigest()[:8]
    return f"{name[: _BUCKET_NAME_MAX - 9].rstrip('-')}-{digest}"


def lambda_role_name(manifest: Manifest, access_digest: str = "") -> str:
    """The execution role of the API's functions that share one access (``router.iam``).

    Functions that only log share ``{api.name}-lambda``; a database or a VPC adds the
    access's digest, so each role holds exactly its functions' permissions. IAM allows
    64 characters: a longer name is cut and keeps a hash of the whole.
    """
    name = f"{manifest.api.name}-lambda" + (f"-{access_digest}" if access_digest else "")
    if len(name) <= _ROLE_NAME_MAX:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: _ROLE_NAME_MAX - 9].rstrip('-_')}-{digest}"


def role_arn(region: str, account: str, name: str) -> str:
    """An IAM role's ARN (IAM is global: no region in it; ``region`` picks the partition)."""
    return f"arn:{partition_for(region)}:iam::{account}:role/{name}"


def access_log_group_name(manifest: Manifest) -> str:
    return f"/strangler/{manifest.api.name}/{manifest.api.stage}/access"


def lambda_function_arn(region: str, account: str, name: str) -> str:
    """With ``name=""``: the prefix the local gateway's ``ApiInfo`` computes once."""
    return f"arn:{partition_for(region)}:lambda:{region}:{account}:function:{name}"


def function_arn(manifest: Manifest, account: str, route: Route) -> str:
    region = manifest.api.region
    return lambda_function_arn(region, account, function_name(manifest, route))


def log_group_arn(manifest: Manifest, account: str) -> str:
    """The access log group's ARN (the stage's access log destination)."""
    return _arn(
        "logs", manifest.api.region, account, f"log-group:{access_log_group_name(manifest)}"
    )


def lambda_log_groups_arn(manifest: Manifest, account: str) -> str:
    """The log groups of every function of the API (the role's logging permission)."""
    resource = f"log-group:/aws/lambda/{manifest.api.name}-*"
    return _arn("logs", manifest.api.region, account, resource)


def execute_api_resource(route: Route) -> str:
    """``{method}/{path}`` of an ``execute-api`` ARN: ``ANY`` and path variables as ``*``."""
    method = "*" if route.method == "ANY" else route.method
    parts = [s.value if s.kind is SegmentKind.LITERAL else "*" for s in parse_path(route.path)]
    return f"{method}/" + "/".join(parts)


def execute_api_source_arn(manifest: Manifest, account: str, api_id: str, route: Route) -> str:
    """Any stage of API ``api_id`` calling ``route``: the Lambda permission's source."""
    resource = f"{api_id}/*/{execute_api_resource(route)}"
    return _arn("execute-api", manifest.api.region, account, resource)


def lambda_invocation_uri(region: str, function_arn: str) -> str:
    """The API Gateway integration URI that invokes ``function_arn``."""
    path = INVOKE_PATH.format(arn=function_arn)
    return f"arn:{partition_for(region)}:apigateway:{region}:{path}"
