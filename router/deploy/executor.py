"""Carry out a plan: the only code in strangler that changes API Gateway, Lambda and S3.

Steps run in order (artifacts, functions, then the API); stage patches are gathered
into one ``update_stage`` at the end. A layer version published here gives its ARN
to the functions of the same plan that wait for it (``SyncFunction.pending_layer``).
Progress is written to the state as it happens (a finished import or a published
layer is recorded even when a later step fails), so re-running ``apply`` converges.
Each applied layer's build inputs are recorded with its version (``layer_builds``), so
a later plan can reuse the version without building (``router.deploy.reuse``).
Raises ``UnsafePlan`` (before any call) when the deployed API drifted and ``force``
is not given (``Plan.raise_if_unsafe``, the one safety check).
Steps are dispatched by ``match`` with ``assert_never``, so mypy flags a step type
the executor does not handle.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import assert_never

from router.arns import (
    access_log_group_name,
    execute_api_source_arn,
    lambda_log_groups_arn,
    lambda_role_name,
)
from router.aws.apigateway import ApiGateway, StagePatch
from router.aws.artifacts import ArtifactBucket
from router.aws.lambda_ import FunctionSpec, LambdaFunctions, config_differences
from router.aws.layers import LambdaLayers, LayerContent
from router.aws.logs import CloudWatchLogs
from router.deploy.artifacts import DesiredLayer
from router.deploy.model import (
    CreateApi,
    CreateArtifactBucket,
    Deploy,
    Plan,
    PointStage,
    PublishLayer,
    PutDefinition,
    RemoveCanary,
    StageSettings,
    Step,
    SyncFunction,
    UploadArtifact,
    human_size,
)
from router.deploy.reuse import layer_build
from router.deploy.state import DeploymentRecord, DeployState
from router.errors import BuildError, UnsafePlan
from router.history import now_iso
from router.manifest.model import Manifest

__all__ = ["ApplyResult", "Artifacts", "Executor", "UnsafePlan"]

LOG_RETENTION_DAYS = 30
Progress = Callable[[str], None]


@dataclass
class ApplyResult:
    calls: list[str] = field(default_factory=list)  # API Gateway calls
    artifact_calls: list[str] = field(default_factory=list)  # Lambda and S3 calls that write
    deployment_id: str | None = None
    canary_deployment_id: str | None = None
    previous_deployment_id: str | None = None


@dataclass
class _Run:
    plan: Plan
    manifest: Manifest
    state: DeployState
    result: ApplyResult
    stage_ops: list[StagePatch] = field(default_factory=list)
    role_arns: dict[str, str] = field(default_factory=dict)  # by role name
    layer_arns: dict[str, str] = field(default_factory=dict)  # layer name -> version ARN


@dataclass(frozen=True)
class Artifacts:
    """Where the executor puts artifacts: layer versions and the S3 artifact bucket."""

    layers: LambdaLayers
    bucket: ArtifactBucket
    progress: Progress = lambda _line: None


class Executor:
    def __init__(
        self,
        apigw: ApiGateway,
        functions: LambdaFunctions,
        logs: CloudWatchLogs,
        save_state: Callable[[DeployState], None],
        artifacts: Artifacts,
    ) -> None:
        self.apigw = apigw
        self.functions = functions
        self.logs = logs
        self.save_state = save_state
        self.artifacts = artifacts

    def apply(
        self, plan: Plan, manifest: Manifest, state: DeployState, *, force: bool
    ) -> ApplyResult:
        plan.raise_if_unsafe(force)
        run = _Run(plan, manifest, state, ApplyResult(), layer_arns=dict(plan.layer_versions))
        run.result.previous_deployment_id = state.stable.deployment_id if state.stable else None
        state.account_id, state.api_name, state.stage = plan.account_id, plan.api_name, plan.stage
        state.api_id = plan.api_id
        for step in plan.steps:
            self._step(run, step)
        self._flush_stage(run)
        _record_layers(run)
        self.save_state(state)
        return run.result

    def _step(self, run: _Run, step: Step) -> None:
        match step:
            case CreateArtifactBucket() | UploadArtifact() | PublishLayer():
                self._artifact(run, step)
            case CreateApi():
                self._create_api(run, step)
            case SyncFunction():
                self._sync_function(run, step)
            case PutDefinition():
                self._put(run, step)
            case Deploy():
                self._deploy(run, step)
            case PointStage():
                self._point(run, step)
            case RemoveCanary():
                self._remove_canary(run)
            case StageSettings():
                self._settings(run, step)
            case _:
                assert_never(step)

    def _api_id(self, run: _Run) -> str:
        assert run.state.api_id is not None, "CreateApi runs first"
        return run.state.api_id

    def _create_api(self, run: _Run, step: CreateApi) -> None:
        ref = self.apigw.create_rest_api(step.name, step.description)
        run.state.api_id = ref.id
        run.result.calls.append("create_rest_api")
        self.save_state(run.state)

    def _artifact(
        self, run: _Run, step: CreateArtifactBucket | UploadArtifact | PublishLayer
    ) -> None:
        match step:
            case CreateArtifactBucket():
                self.artifacts.bucket.create(step.bucket)
                run.result.artifact_calls.append("create_bucket")
            case UploadArtifact():
                self._upload(run, step)
            case PublishLayer():
                self._publish(run, step)
            case _:
                assert_never(step)

    def _upload(self, run: _Run, step: UploadArtifact) -> None:
        label = f"uploading {human_size(step.size)} to {step.location}"
        self.artifacts.progress(label)
        data = step.zip_bytes if step.zip_bytes is not None else step.path
        assert data is not None, "an upload names its bytes or its file"
        seen = _quarters(self.artifacts.progress, label, step.size)
        self.artifacts.bucket.upload(step.location, data, step.sha256, seen)
        run.result.artifact_calls.append("put_object")

    def _publish(self, run: _Run, step: PublishLayer) -> None:
        layer = step.layer
        self.artifacts.progress(f"publishing layer {layer.name} ({human_size(layer.size)})")
        data = None if layer.s3 else _zip_of(layer)
        content = LayerContent(
            layer.name, layer.description, layer.runtime, layer.architecture, data, layer.s3
        )
        run.layer_arns[layer.name] = self.artifacts.layers.publish(content).arn
        _record_layer(run, layer)
        run.result.artifact_calls.append("publish_layer_version")
        self.save_state(run.state)

    def _sync_function(self, run: _Run, step: SyncFunction) -> None:
        spec = step.spec
        if step.pending_layer is not None:
            spec = replace(spec, layers=(run.layer_arns[step.pending_layer],))
        if step.current is None:
            self.functions.create(spec, self._role(run, spec))
            run.result.artifact_calls.append("create_function")
        else:
            differs = config_differences(spec, step.current)
            role = self._role(run, spec) if differs else None  # code only: no IAM call
            run.result.artifact_calls.extend(self.functions.update(spec, step.current, role))
        run.state.function_layers[spec.name] = list(spec.layers)
        source = execute_api_source_arn(
            run.manifest, run.plan.account_id, self._api_id(run), step.route
        )
        self.functions.allow_api_gateway(spec.name, source)

    def _role(self, run: _Run, spec: FunctionSpec) -> str:
        """The spec's role, made (or its policies rewritten) once per apply."""
        name = spec.role_name or lambda_role_name(run.manifest)
        if name not in run.role_arns:
            logs = lambda_log_groups_arn(run.manifest, run.plan.account_id)
            statements = spec.access.statements()
            run.role_arns[name] = self.functions.ensure_role(name, logs, statements)
        return run.role_arns[name]

    def _put(self, run: _Run, step: PutDefinition) -> None:
        self.apigw.put_definition(self._api_id(run), step.document)
        run.result.calls.append("put_rest_api")
        run.state.last_put = dict(step.view)
        self.save_state(run.state)

    def _deploy(self, run: _Run, step: Deploy) -> None:
        names_stage = step.kind == "canary" or not step.stage_exists
        deployment = self.apigw.create_deployment(
            self._api_id(run),
            stage=run.plan.stage if names_stage else None,
            description=f"strangler revision {run.manifest.revision} ({step.kind})",
            canary_percent=step.canary_percent,
        )
        run.result.calls.append("create_deployment")
        self._record(run, step.kind, deployment, step.canary_percent)
        if step.kind == "stable" and step.stage_exists:
            run.stage_ops.append(StagePatch("replace", "/deploymentId", deployment))

    def _record(self, run: _Run, kind: str, deployment: str, percent: float | None) -> None:
        desired = run.plan.desired
        view = desired.canary_view if kind == "canary" else desired.stable_view
        record = DeploymentRecord(
            deployment_id=deployment,
            revision=run.manifest.revision,
            time=now_iso(),
            kind=kind,
            view=dict(view or {}),
            routes={r.id: (r.target, r.effective_weight, r.function) for r in run.manifest.routes},
            canary_percent=percent,
        )
        run.state.remember(record)
        if kind == "canary":
            run.state.canary, run.result.canary_deployment_id = record, deployment
        else:
            run.state.stable, run.result.deployment_id = record, deployment

    def _point(self, run: _Run, step: PointStage) -> None:
        record = next(
            r for r in reversed(run.state.deployments) if r.deployment_id == step.deployment_id
        )
        run.stage_ops.append(StagePatch("replace", "/deploymentId", step.deployment_id))
        if record.kind == "canary" or run.state.canary is not None:
            run.stage_ops.append(StagePatch("remove", "/canarySettings"))
            run.state.canary = None
        promoted = record.model_copy(
            update={"kind": "stable", "canary_percent": None, "time": now_iso()}
        )
        if record.kind == "canary":
            run.state.remember(promoted)
        run.state.stable = promoted
        run.result.deployment_id = step.deployment_id

    def _remove_canary(self, run: _Run) -> None:
        run.stage_ops.append(StagePatch("remove", "/canarySettings"))
        if run.state.stable is not None:  # moto serves the canary deployment: point back
            run.stage_ops.append(
                StagePatch("replace", "/deploymentId", run.state.stable.deployment_id)
            )
        run.state.canary = None

    def _settings(self, run: _Run, step: StageSettings) -> None:
        self.logs.ensure_group(access_log_group_name(run.manifest), LOG_RETENTION_DAYS)
        run.stage_ops.extend(StagePatch(op, path, value) for op, path, value in step.operations)

    def _flush_stage(self, run: _Run) -> None:
        if not run.stage_ops:
            return
        self.apigw.update_stage(self._api_id(run), run.plan.stage, run.stage_ops)
        run.result.calls.append("update_stage")


def _record_layers(run: _Run) -> None:
    """Every desired function and layer as it now stands: the base of layer drift."""
    desired = run.plan.desired
    for layer in desired.layers:
        _record_layer(run, layer)
    for spec, _ in desired.functions:
        layer_name = desired.layer_of.get(spec.name)
        arns = [run.layer_arns[layer_name]] if layer_name else []
        run.state.function_layers[spec.name] = arns


def _record_layer(run: _Run, layer: DesiredLayer) -> None:
    arn = run.layer_arns[layer.name]
    run.state.layers[layer.name] = arn
    build = layer_build(layer, arn)
    if build is not None:
        run.state.layer_builds[layer.name] = build


def _zip_of(layer: DesiredLayer) -> bytes:
    """The zip to publish; a reused layer has none (the plan never publishes it)."""
    if layer.zip_path is None:
        raise BuildError(f"layer {layer.name}: no zip was built to publish (a reused version)")
    return layer.zip_path.read_bytes()


def _quarters(progress: Progress, label: str, total: int) -> Callable[[int], None]:
    """A byte counter for an upload's callback (called from its threads): a line per 25%."""
    lock = threading.Lock()
    state = {"bytes": 0, "quarter": 0}

    def seen(chunk: int) -> None:
        with lock:
            state["bytes"] += chunk
            quarter = min(4, state["bytes"] * 4 // max(total, 1))
            if quarter > state["quarter"]:
                state["quarter"] = quarter
                progress(f"{label}: {quarter * 25}%")

    return seen
