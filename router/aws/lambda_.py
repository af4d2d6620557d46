"""Typed wrapper over AWS Lambda (and the IAM role and account id it needs).

Creates or updates the functions of routes on Lambda and lets API Gateway invoke
them. botocore errors become ``AWSError`` here. This module must not decide which
functions should exist (see ``router.deploy``).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import botocore.exceptions

from router.aws.artifacts import S3Location
from router.aws.session import AwsContext, aws_errors, error_code

if TYPE_CHECKING:
    from mypy_boto3_lambda.type_defs import FunctionConfigurationResponseTypeDef

Architecture = Literal["x86_64", "arm64"]  # Lambda's instruction set architectures

__all__ = ["Architecture", "FunctionInfo", "FunctionSpec", "LambdaFunctions", "code_sha256"]

_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
_LOG_ACTIONS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    handler: str
    runtime: str
    memory: int
    timeout: int
    environment: tuple[tuple[str, str], ...]
    zip_bytes: bytes
    architecture: Architecture = "x86_64"
    layers: tuple[str, ...] = ()  # layer version ARNs, in order
    s3: S3Location | None = None  # where the zip was uploaded, when over the direct limit
    reserved_concurrency: int | None = None  # None: unreserved (the account's pool)

    @property
    def code_sha256(self) -> str:
        return code_sha256(self.zip_bytes)

    def code(self) -> dict[str, Any]:
        """``Code`` / ``UpdateFunctionCode`` arguments: the zip itself, or its S3 object."""
        if self.s3 is not None:
            return {"S3Bucket": self.s3.bucket, "S3Key": self.s3.key}
        return {"ZipFile": self.zip_bytes}


@dataclass(frozen=True)
class FunctionInfo:
    name: str
    arn: str
    code_sha256: str
    handler: str
    runtime: str
    memory: int
    timeout: int
    environment: tuple[tuple[str, str], ...]
    layers: tuple[str, ...] = ()
    architecture: str = "x86_64"
    reserved_concurrency: int | None = None


def code_sha256(data: bytes) -> str:
    """The base64 SHA-256 Lambda reports as ``CodeSha256``."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


class LambdaFunctions:
    def __init__(self, ctx: AwsContext) -> None:
        self._ctx = ctx

    def account_id(self) -> str:
        with aws_errors("read the AWS account id"):
            return str(self._ctx.client("sts").get_caller_identity()["Account"])

    def get(self, name: str) -> FunctionInfo | None:
        try:
            data = self._ctx.client("lambda").get_function_configuration(FunctionName=name)
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None
            with aws_errors(f"read Lambda function {name!r}"):
                raise
        return dataclasses.replace(_info(data), reserved_concurrency=self._reserved(name))

    def _reserved(self, name: str) -> int | None:
        with aws_errors(f"read the reserved concurrency of Lambda function {name!r}"):
            found = self._ctx.client("lambda").get_function_concurrency(FunctionName=name)
        reserved = found.get("ReservedConcurrentExecutions")
        return None if reserved is None else int(reserved)

    def _set_reserved(self, name: str, reserved: int | None) -> None:
        """PutFunctionConcurrency, or DeleteFunctionConcurrency for ``None``."""
        client = self._ctx.client("lambda")
        with aws_errors(f"set the reserved concurrency of Lambda function {name!r}"):
            if reserved is None:
                client.delete_function_concurrency(FunctionName=name)
            else:
                client.put_function_concurrency(
                    FunctionName=name, ReservedConcurrentExecutions=reserved
                )

    def create(self, spec: FunctionSpec, role_arn: str) -> FunctionInfo:
        with aws_errors(f"create Lambda function {spec.name!r}"):
            data = self._ctx.client("lambda").create_function(
                FunctionName=spec.name,
                Role=role_arn,
                Code=spec.code(),  # type: ignore[arg-type]
                Publish=False,
                Architectures=[spec.architecture],
                **_configuration(spec),
            )
        if spec.reserved_concurrency is not None:
            self._set_reserved(spec.name, spec.reserved_concurrency)
        return dataclasses.replace(_info(data), reserved_concurrency=spec.reserved_concurrency)

    def update(self, spec: FunctionSpec, current: FunctionInfo) -> list[str]:
        """Upload the code only when its hash differs; the calls made, by name."""
        client = self._ctx.client("lambda")
        calls = []
        if (current.code_sha256, current.architecture) != (spec.code_sha256, spec.architecture):
            with aws_errors(f"update the code of Lambda function {spec.name!r}"):
                client.update_function_code(
                    FunctionName=spec.name,
                    Architectures=[spec.architecture],
                    **spec.code(),
                )
            calls.append("update_function_code")
        if _config_of(current) != _config_key(spec):
            with aws_errors(f"update the configuration of Lambda function {spec.name!r}"):
                client.update_function_configuration(FunctionName=spec.name, **_configuration(spec))
            calls.append("update_function_configuration")
        if current.reserved_concurrency != spec.reserved_concurrency:
            self._set_reserved(spec.name, spec.reserved_concurrency)
            reserved = spec.reserved_concurrency is not None
            calls.append("put_function_concurrency" if reserved else "delete_function_concurrency")
        return calls

    def allow_api_gateway(self, name: str, source_arn: str) -> None:
        """Let API Gateway invoke ``name`` from ``source_arn`` (idempotent)."""
        statement = "strangler-" + hashlib.sha256(source_arn.encode()).hexdigest()[:16]
        try:
            self._ctx.client("lambda").add_permission(
                FunctionName=name,
                StatementId=statement,
                Action="lambda:InvokeFunction",
                Principal="apigateway.amazonaws.com",
                SourceArn=source_arn,
            )
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) == "ResourceConflictException":
                return
            with aws_errors(f"allow API Gateway to invoke {name!r}"):
                raise

    def ensure_role(self, role_name: str, log_groups_arn: str) -> str:
        """A role the functions run as, allowed only to write their own logs.

        Created when missing; its inline policy is (re)written every time, so a
        half-created role converges.
        """
        iam = self._ctx.client("iam")
        arn = self._role_arn(role_name) or self._create_role(role_name)
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": _LOG_ACTIONS, "Resource": log_groups_arn}],
        }
        with aws_errors(f"set the policy of IAM role {role_name!r}"):
            iam.put_role_policy(
                RoleName=role_name, PolicyName="write-own-logs", PolicyDocument=json.dumps(policy)
            )
        return arn

    def _role_arn(self, role_name: str) -> str | None:
        try:
            return str(self._ctx.client("iam").get_role(RoleName=role_name)["Role"]["Arn"])
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) == "NoSuchEntity":
                return None
            with aws_errors(f"read IAM role {role_name!r}"):
                raise
        raise AssertionError("unreachable")

    def _create_role(self, role_name: str) -> str:
        with aws_errors(f"create IAM role {role_name!r}"):
            role = self._ctx.client("iam").create_role(
                RoleName=role_name, AssumeRolePolicyDocument=json.dumps(_TRUST)
            )
        return str(role["Role"]["Arn"])


def _configuration(spec: FunctionSpec) -> dict[str, Any]:
    return {
        "Handler": spec.handler,
        "Runtime": spec.runtime,
        "MemorySize": spec.memory,
        "Timeout": spec.timeout,
        "Environment": {"Variables": dict(spec.environment)},
        "Layers": list(spec.layers),
    }


def _config_key(spec: FunctionSpec) -> tuple[object, ...]:
    return (spec.handler, spec.runtime, spec.memory, spec.timeout, spec.environment, spec.layers)


def _config_of(info: FunctionInfo) -> tuple[object, ...]:
    return (info.handler, info.runtime, info.memory, info.timeout, info.environment, info.layers)


def _info(data: FunctionConfigurationResponseTypeDef) -> FunctionInfo:
    variables = (data.get("Environment") or {}).get("Variables") or {}
    return FunctionInfo(
        name=data["FunctionName"],
        arn=data["FunctionArn"],
        code_sha256=data.get("CodeSha256", ""),
        handler=data.get("Handler", ""),
        runtime=data.get("Runtime", ""),
        memory=int(data.get("MemorySize", 128)),
        timeout=int(data.get("Timeout", 3)),
        environment=tuple(sorted(variables.items())),
        layers=tuple(layer.get("Arn", "") for layer in data.get("Layers") or []),
        architecture=(data.get("Architectures") or ["x86_64"])[0],
    )
