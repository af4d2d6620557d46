"""The data of a plan: observed state and the steps that change it (frozen dataclasses).

Pure data; computing (``plan``, ``steps``, ``drift``) and executing (``executor``)
live elsewhere. Must not call AWS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from router.aws.apigateway import PatchOp, RestApiRef, StageInfo
from router.aws.lambda_ import FunctionInfo, FunctionSpec, config_differences
from router.deploy.desired import Desired
from router.deploy.view import ApiView, ViewChange
from router.errors import UnsafePlan
from router.manifest.model import Route

__all__ = [
    "CreateApi",
    "Deploy",
    "Observed",
    "Plan",
    "PointStage",
    "PutDefinition",
    "RemoveCanary",
    "StageSettings",
    "Step",
    "SyncFunction",
]


@dataclass(frozen=True)
class CreateApi:
    name: str
    description: str

    def describe(self) -> str:
        return f"create REST API {self.name!r}"


@dataclass(frozen=True)
class SyncFunction:
    spec: FunctionSpec
    route: Route
    action: str  # "create" | "update"
    current: FunctionInfo | None

    def describe(self) -> str:
        spec = self.spec
        parts = [spec.handler, f"{len(spec.zip_bytes)} bytes", *_wiring(spec)]
        if self.current is not None:
            parts += config_differences(spec, self.current)
        return f"{self.action} Lambda function {spec.name} ({'; '.join(parts)})"


def _wiring(spec: FunctionSpec) -> list[str]:
    """The VPC and the role's database access, as the plan shows them."""
    out = []
    if spec.vpc is not None:
        out.append(f"VPC subnets {','.join(spec.vpc[0])} groups {','.join(spec.vpc[1])}")
    access = spec.access
    if access.secret_arn or access.parameter_arn:
        out.append(f"role {spec.role_name} reads {access.secret_arn or access.parameter_arn}")
    return out


@dataclass(frozen=True)
class PutDefinition:
    kind: str  # "stable" | "canary"
    document: dict[str, Any] = field(compare=False, hash=False)
    view: ApiView = field(compare=False, hash=False)

    def describe(self) -> str:
        return f"import the {self.kind} definition ({len(self.view)} methods, mode overwrite)"


@dataclass(frozen=True)
class Deploy:
    kind: str  # "stable" | "canary"
    canary_percent: float | None
    stage_exists: bool

    def describe(self) -> str:
        if self.kind == "canary":
            return f"create a canary deployment ({self.canary_percent:g}% of traffic)"
        return "create a deployment and point the stage at it"


@dataclass(frozen=True)
class PointStage:
    deployment_id: str
    reason: str

    def describe(self) -> str:
        return f"point the stage at deployment {self.deployment_id} ({self.reason})"


@dataclass(frozen=True)
class RemoveCanary:
    stable_deployment_id: str | None

    def describe(self) -> str:
        return "remove the stage's canary settings"


@dataclass(frozen=True)
class StageSettings:
    operations: tuple[tuple[PatchOp, str, str], ...]  # (op, path, value)

    def describe(self) -> str:
        return "stage settings: " + ", ".join(
            f"{path}={value}" for _, path, value in self.operations
        )


Step = CreateApi | SyncFunction | PutDefinition | Deploy | PointStage | RemoveCanary | StageSettings


@dataclass(frozen=True)
class Plan:
    api_name: str
    stage: str
    api_id: str | None
    account_id: str
    route_changes: tuple[ViewChange, ...]
    canary_changes: tuple[ViewChange, ...]
    canary_percent: tuple[float | None, float | None]
    drift: tuple[str, ...]
    notes: tuple[str, ...]
    steps: tuple[Step, ...]
    desired: Desired = field(compare=False, hash=False, repr=False)
    warnings: tuple[str, ...] = ()  # e.g. near API Gateway's resources-per-API quota

    @property
    def has_changes(self) -> bool:
        return bool(self.steps)

    def raise_if_unsafe(self, force: bool) -> None:
        """The one safety check on a computed plan: refuse a drifted API unless ``force``
        (``UnsafePlan``). ``router.deploy.guardrail`` refuses before planning."""
        if self.drift and not force:
            raise UnsafePlan(
                "the deployed API differs from the last applied revision:\n  "
                + "\n  ".join(self.drift),
                hint="inspect with `migrate plan`; re-run with --force to overwrite it",
            )


@dataclass(frozen=True)
class Observed:
    api: RestApiRef | None
    stage: StageInfo | None
    methods: ApiView | None
    functions: dict[str, FunctionInfo | None]


def _short(value: str) -> str:
    return value if len(value) <= 80 else f"{value[:40]}...({len(value)} chars)"
