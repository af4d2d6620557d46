"""Which steps turn the observed API into the desired one, fewest calls first.

A stable view that a recorded deployment already serves is reached by pointing
the stage at it (one ``update_stage``: the rollback path); promoting a canary to
100% points the stage at the canary deployment. Otherwise the definition is
imported and deployed. Pure: no AWS calls.
"""

from __future__ import annotations

from router.accesslog import access_log_format
from router.aws.lambda_ import FunctionInfo, FunctionSpec, config_differences
from router.deploy.desired import Desired
from router.deploy.model import (
    CreateApi,
    Deploy,
    Observed,
    PointStage,
    PutDefinition,
    RemoveCanary,
    StageSettings,
    Step,
    SyncFunction,
)
from router.deploy.state import DeployState
from router.manifest.model import Manifest

__all__ = ["compute_steps", "served_views"]


def served_views(state: DeployState, observed: Observed) -> tuple[dict[str, tuple[str, str]], ...]:
    """(stable view, canary view) the stage serves now, by the records (else as read)."""
    stable = state.stable.view if state.stable else (observed.methods or {})
    canary = state.canary.view if state.canary else {}
    return stable, canary


def compute_steps(
    manifest: Manifest, state: DeployState, observed: Observed, desired: Desired, log_arn: str
) -> list[Step]:
    steps: list[Step] = []
    if observed.api is None:
        steps.append(CreateApi(manifest.api.name, _description(manifest)))
    steps += _function_steps(observed, desired)
    stable = _stable_steps(state, observed, desired)
    steps += stable
    if not any(isinstance(s, PointStage) for s in stable):  # pointing drops the canary
        steps += _canary_steps(state, desired)
    steps += _settings_steps(observed, log_arn, steps)
    return steps


def _description(manifest: Manifest) -> str:
    return f"Strangler-fig routing of {manifest.legacy.url} (managed by strangler)"


def _function_steps(observed: Observed, desired: Desired) -> list[Step]:
    steps: list[Step] = []
    for spec, route in desired.functions:
        current = observed.functions.get(spec.name)
        if current is None:
            steps.append(SyncFunction(spec, route, "create", None))
        elif _differs(spec, current):
            steps.append(SyncFunction(spec, route, "update", current))
    return steps


def _differs(spec: FunctionSpec, current: FunctionInfo) -> bool:
    return spec.code_sha256 != current.code_sha256 or bool(config_differences(spec, current))


def _stable_steps(state: DeployState, observed: Observed, desired: Desired) -> list[Step]:
    stable, canary = served_views(state, observed)
    if desired.stable_view == stable and observed.stage is not None:
        return []
    if state.canary is not None and desired.stable_view == canary:
        return [PointStage(state.canary.deployment_id, "promote the canary to 100%")]
    record = state.record_for_view(desired.stable_view)
    if record is not None and observed.stage is not None:
        return [PointStage(record.deployment_id, f"the deployment of revision {record.revision}")]
    put = PutDefinition("stable", desired.stable_document, desired.stable_view)
    return [put, Deploy("stable", None, stage_exists=observed.stage is not None)]


def _canary_steps(state: DeployState, desired: Desired) -> list[Step]:
    current = state.canary
    if desired.canary_view is None or desired.canary_document is None:
        return [RemoveCanary(None)] if current is not None else []
    same = current is not None and current.view == desired.canary_view
    if same and current is not None and current.canary_percent == desired.canary_percent:
        return []
    put = PutDefinition("canary", desired.canary_document, desired.canary_view)
    return [put, Deploy("canary", desired.canary_percent, stage_exists=True)]


def _settings_steps(observed: Observed, log_arn: str, steps: list[Step]) -> list[Step]:
    stage = observed.stage
    redeployed = any(
        isinstance(s, Deploy) and (s.kind == "canary" or not s.stage_exists) for s in steps
    )
    ok = stage is not None and stage.metrics_enabled and stage.access_log_destination == log_arn
    if (
        ok
        and stage is not None
        and stage.access_log_format == access_log_format()
        and not redeployed
    ):
        return []
    return [
        StageSettings(
            (
                ("replace", "/*/*/metrics/enabled", "true"),
                ("replace", "/accessLogSettings/destinationArn", log_arn),
                ("replace", "/accessLogSettings/format", access_log_format()),
            )
        )
    ]
