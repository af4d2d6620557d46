"""Typed wrapper over AWS Lambda (and the IAM role and account id it needs).

Creates or updates the functions of routes on Lambda and lets API Gateway invoke
them. botocore errors become ``AWSError`` here. This module must not decide which
functions should exist (see ``router.deploy``).

IAM is eventually consistent: Lambda may refuse a role created (or a policy written)
seconds before (``InvalidParameterValueException``: "cannot be assumed by Lambda", or
"does not have permissions to call CreateNetworkInterface" for a VPC function), so
those two refusals are retried after ``ROLE_RETRY_DELAYS_S`` (the sleep is injected).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import botocore.exceptions

from router.aws.artifacts import S3Location
from router.aws.session import AwsContext, aws_errors, error_code
from router.iam import Access, Statement

if TYPE_CHECKING:
    from mypy_boto3_lambda.type_defs import FunctionConfigurationResponseTypeDef

Architecture = Literal["x86_64", "arm64"]  # Lambda's instruction set architectures

__all__ = [
    "ROLE_RETRY_DELAYS_S",
    "Architecture",
    "FunctionInfo",
    "FunctionSpec",
    "LambdaFunctions",
    "VpcKey",
    "code_sha256",
    "config_differences",
]

VpcKey = tuple[tuple[str, ...], tuple[str, ...]]  # (sorted subnet ids, sorted group ids)

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
    vpc: VpcKey | None = None
    role_name: str = ""  # the execution role (router.arns.lambda_role_name)
    access: Access = field(default_factory=Access)  # what that role may do besides logging

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
    vpc: VpcKey | None = None
    role: str = ""  # the role's ARN

    @property
    def role_name(self) -> str:
        return self.role.rsplit("/", 1)[-1]


def code_sha256(data: bytes) -> str:
    """The base64 SHA-256 Lambda reports as ``CodeSha256``."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


ROLE_RETRY_DELAYS_S = (2.0, 4.0, 8.0, 10.0, 10.0, 10.0)  # about 45 s in all
_ROLE_NOT_READY = ("cannot be assumed by Lambda", "does not have permissions to call")
T = TypeVar("T")


def _role_not_ready(exc: botocore.exceptions.ClientError) -> bool:
    message = str(exc.response.get("Error", {}).get("Message", ""))
    code = error_code(exc)
    return code == "InvalidParameterValueException" and any(m in message for m in _ROLE_NOT_READY)


class LambdaFunctions:
    def __init__(
        self,
        ctx: AwsContext,
        *,
        sleep: Callable[[float], None] = time.sleep,
        role_delays: Sequence[float] = ROLE_RETRY_DELAYS_S,
    ) -> None:
        self._ctx = ctx
        self._sleep = sleep
        self._role_delays = tuple(role_delays)

    def _while_role_settles(self, call: Callable[[], T]) -> T:
        """``call()``, again after each delay while Lambda does not see the role yet."""
        for delay in self._role_delays:
            try:
                return call()
            except botocore.exceptions.ClientError as exc:
                if not _role_not_ready(exc):
                    raise
            self._sleep(delay)
        return call()

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
        client = self._ctx.client("lambda")
        with aws_errors(f"create Lambda function {spec.name!r}"):
            data = self._while_role_settles(
                lambda: client.create_function(
                    FunctionName=spec.name,
                    Role=role_arn,
                    Code=spec.code(),  # type: ignore[arg-type]
                    Publish=False,
                    Architectures=[spec.architecture],
                    **_configuration(spec),
                )
            )
        if spec.reserved_concurrency is not None:
            self._set_reserved(spec.name, spec.reserved_concurrency)
        return dataclasses.replace(_info(data), reserved_concurrency=spec.reserved_concurrency)

    def update(self, spec: FunctionSpec, current: FunctionInfo, role_arn: str | None) -> list[str]:
        """Upload the code only when its hash differs; the configuration (with ``role_arn``)
        when it does; the calls made, by name."""
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
        if config_differences(spec, current):
            with aws_errors(f"update the configuration of Lambda function {spec.name!r}"):
                config = _update_configuration(spec)
                if role_arn:
                    config["Role"] = role_arn
                self._while_role_settles(
                    lambda: client.update_function_configuration(FunctionName=spec.name, **config)
                )
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

    def ensure_role(
        self, role_name: str, log_groups_arn: str, statements: Sequence[Statement] = ()
    ) -> str:
        """A role the functions run as, allowed to write their own logs and, with
        ``statements`` (``router.iam.Access``), to read their database credentials or
        manage their VPC network interfaces: policy ``function-access``.

        Created when missing; its inline policies are (re)written every time, so a
        half-created role converges.
        """
        arn = self._role_arn(role_name) or self._create_role(role_name)
        logs = {"Effect": "Allow", "Action": _LOG_ACTIONS, "Resource": log_groups_arn}
        self._put_policy(role_name, "write-own-logs", [logs])
        if statements:
            self._put_policy(role_name, "function-access", list(statements))
        return arn

    def _put_policy(self, role_name: str, name: str, statements: list[Statement]) -> None:
        policy = {"Version": "2012-10-17", "Statement": statements}
        with aws_errors(f"set the policy {name!r} of IAM role {role_name!r}"):
            self._ctx.client("iam").put_role_policy(
                RoleName=role_name, PolicyName=name, PolicyDocument=json.dumps(policy)
            )

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
    config: dict[str, Any] = {
        "Handler": spec.handler,
        "Runtime": spec.runtime,
        "MemorySize": spec.memory,
        "Timeout": spec.timeout,
        "Environment": {"Variables": dict(spec.environment)},
        "Layers": list(spec.layers),
    }
    if spec.vpc is not None:
        config["VpcConfig"] = {
            "SubnetIds": list(spec.vpc[0]),
            "SecurityGroupIds": list(spec.vpc[1]),
        }
    return config


def _update_configuration(spec: FunctionSpec) -> dict[str, Any]:
    """Lambda detaches a function from its VPC when given empty lists."""
    return {"VpcConfig": {"SubnetIds": [], "SecurityGroupIds": []}, **_configuration(spec)}


def config_differences(spec: FunctionSpec, current: FunctionInfo) -> list[str]:
    """The configuration fields that differ, as ``field: now -> wanted`` (not the code)."""
    pairs = {
        "handler": (current.handler, spec.handler),
        "runtime": (current.runtime, spec.runtime),
        "memory": (current.memory, spec.memory),
        "timeout": (current.timeout, spec.timeout),
        "environment": (_env_text(current.environment), _env_text(spec.environment)),
        "vpc": (_vpc_text(current.vpc), _vpc_text(spec.vpc)),
        "role": (current.role_name, spec.role_name),
        "layers": (", ".join(current.layers) or "none", ", ".join(spec.layers) or "none"),
    }
    return [f"{k}: {now} -> {wanted}" for k, (now, wanted) in pairs.items() if now != wanted]


def _env_text(environment: tuple[tuple[str, str], ...]) -> str:
    """Names and a hash of the values: a value is never printed (it may be sensitive)."""
    if not environment:
        return "(none)"
    digest = hashlib.sha256(json.dumps(environment).encode()).hexdigest()[:8]
    return ",".join(name for name, _ in environment) + f" #{digest}"


def _vpc_text(vpc: VpcKey | None) -> str:
    return "none" if vpc is None else f"{','.join(vpc[0])} / {','.join(vpc[1])}"


def _vpc_of(data: FunctionConfigurationResponseTypeDef) -> VpcKey | None:
    config = data.get("VpcConfig") or {}
    subnets = tuple(sorted(config.get("SubnetIds") or []))
    groups = tuple(sorted(config.get("SecurityGroupIds") or []))
    return (subnets, groups) if subnets or groups else None


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
        vpc=_vpc_of(data),
        role=data.get("Role", ""),
    )
