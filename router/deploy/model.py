"""The data of a plan: observed state and the steps that change it (frozen dataclasses).

Pure data; computing (``plan``, ``steps``, ``drift``) and executing (``executor``)
live elsewhere. Must not call AWS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from router.aws.apigateway import PatchOp, RestApiRef, StageInfo
from router.aws.artifacts import S3Location
from router.aws.lambda_ import FunctionInfo, FunctionSpec, config_differences
from router.aws.layers import LayerVersionInfo
from router.deploy.artifacts import DesiredLayer
from router.deploy.desired import Desired
from router.deploy.view import ApiView, ViewChange
from router.errors import UnsafePlan
from router.manifest.model import Route

__all__ = [
    "ArtifactChange",
    "CreateApi",
    "CreateArtifactBucket",
    "Deploy",
    "Observed",
    "Plan",
    "PointStage",
    "PublishLayer",
    "PutDefinition",
    "RemoveCanary",
    "StageSettings",
    "Step",
    "SyncFunction",
    "UploadArtifact",
    "human_size",
    "layer_label",
]


@dataclass(frozen=True)
class CreateApi:
    name: str
    description: str

    def describe(self) -> str:
        return f"create REST API {self.name!r}"


@dataclass(frozen=True)
class CreateArtifactBucket:
    bucket: str

    def describe(self) -> str:
        return f"create S3 bucket {self.bucket} (private, versioned, SSE-S3) for zips over 50 MB"


@dataclass(frozen=True)
class UploadArtifact:
    location: S3Location
    sha256: str
    size: int
    zip_bytes: bytes | None = field(default=None, repr=False)  # else read from ``path``
    path: Path | None = None

    def describe(self) -> str:
        return f"upload {human_size(self.size)} (sha256 {self.sha256[:12]}) to {self.location}"


@dataclass(frozen=True)
class PublishLayer:
    layer: DesiredLayer

    def describe(self) -> str:
        layer = self.layer
        via = f" from {layer.s3}" if layer.s3 else ""
        return (
            f"publish a version of layer {layer.name} ({human_size(layer.size)} zipped, "
            f"{human_size(layer.unzipped)} unzipped, sha256 {layer.sha256[:12]}){via}"
        )


@dataclass(frozen=True)
class SyncFunction:
    spec: FunctionSpec
    route: Route
    action: str  # "create" | "update"
    current: FunctionInfo | None
    pending_layer: str | None = None  # a layer published by this apply: its ARN comes then

    def describe(self) -> str:
        spec, current = self.spec, self.current
        pending = f"{self.pending_layer}:<the version published above>"
        attached = ", ".join(map(layer_label, spec.layers)) or "no layer"
        layers = pending if self.pending_layer else attached
        parts = [spec.handler, self._code(), layers, *_wiring(spec)]
        if current is not None:  # layers are shown above, by version
            parts += [d for d in config_differences(spec, current) if not d.startswith("layers:")]
        return f"{self.action} Lambda function {spec.name} ({'; '.join(parts)})"

    def _code(self) -> str:
        spec, current = self.spec, self.current
        if current is not None and current.code_sha256 == spec.code_sha256:
            return "code unchanged"
        code = f"code {human_size(len(spec.zip_bytes))}, sha256 {spec.code_sha256[:12]}"
        return code + (f" via {spec.s3}" if spec.s3 else "")


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
class ArtifactChange:
    """One artifact in the plan: a function's code or a layer, before and after, by hash."""

    kind: str  # "code" | "layer"
    name: str  # the function or the layer
    before: str | None  # deployed SHA-256 (base64, as Lambda reports it), None if none
    after: str
    size: int  # zipped bytes
    unzipped: int
    action: str  # "unchanged" | "upload" | "publish" | "reuse version N"
    via: str  # "direct" | "s3://bucket/key"

    def describe(self) -> str:
        before = (self.before or "-")[:12]
        sizes = f"{human_size(self.size)} zipped, {human_size(self.unzipped)} unzipped"
        return (
            f"{self.kind} {self.name}: {before} -> {self.after[:12]} ({sizes}): "
            f"{self.action} ({self.via})"
        )


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


Step = (
    CreateApi
    | CreateArtifactBucket
    | UploadArtifact
    | PublishLayer
    | SyncFunction
    | PutDefinition
    | Deploy
    | PointStage
    | RemoveCanary
    | StageSettings
)


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
    artifacts: tuple[ArtifactChange, ...] = ()
    layer_versions: tuple[tuple[str, str], ...] = ()  # layer name -> existing version ARN

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
    layer_versions: dict[str, tuple[LayerVersionInfo, ...]] = field(default_factory=dict)
    bucket_exists: bool = False
    uploaded: frozenset[str] = frozenset()  # S3 keys holding the desired content


def layer_label(arn: str) -> str:
    """``name:version`` of a layer version ARN."""
    return ":".join(arn.rsplit(":", 2)[-2:])


def human_size(size: int) -> str:
    if size >= 1048576:
        return f"{size / 1048576:.1f} MB"
    return f"{size / 1024:.1f} KB"


def _short(value: str) -> str:
    return value if len(value) <= 80 else f"{value[:40]}...({len(value)} chars)"
