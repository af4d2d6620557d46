"""Drift: how the deployed API differs from what was last applied from this manifest.

Compares the REST API's working resources with the view of the last
``put_rest_api``, the stage's deployment (and canary) with the recorded ones, and
the layers (``artifact_steps.layer_drift``). Pure: takes what the planner observed,
returns lines for the user.
"""

from __future__ import annotations

from router.aws.apigateway import StageInfo
from router.deploy.artifact_steps import layer_drift
from router.deploy.model import Observed
from router.deploy.state import DeployState
from router.deploy.view import diff_views, without_connection_ids

__all__ = ["compute_drift"]


def compute_drift(state: DeployState, observed: Observed, *, is_local: bool) -> list[str]:
    return _api_drift(state, observed, is_local=is_local) + layer_drift(state, observed)


def _api_drift(state: DeployState, observed: Observed, *, is_local: bool) -> list[str]:
    if observed.api is None:
        return ["the REST API recorded as applied no longer exists"] if state.api_id else []
    if state.api_id is None:
        return [
            f"REST API {observed.api.name!r} ({observed.api.id}) exists but was never applied "
            "from this manifest; --force adopts it"
        ]
    lines = _resource_drift(state, observed, is_local=is_local)
    return lines + _stage_drift(state, observed.stage, is_local=is_local)


def _resource_drift(state: DeployState, observed: Observed, *, is_local: bool) -> list[str]:
    if state.last_put is None or observed.methods is None:
        return []
    before, after = state.last_put, observed.methods
    if is_local:  # the local endpoint (moto) keeps connectionType, drops connectionId
        before, after = without_connection_ids(before), without_connection_ids(after)
    changes = diff_views(before, after)
    return [f"resources changed outside strangler: {c.describe()}" for c in changes]


def _stage_drift(state: DeployState, stage: StageInfo | None, *, is_local: bool) -> list[str]:
    if state.stable is None:
        return []
    if stage is None:
        return [f"stage {state.stage!r} was deleted"]
    expected = {state.stable.deployment_id}
    if is_local and state.canary is not None:
        expected.add(state.canary.deployment_id)  # moto ignores canarySettings
    lines = []
    if stage.deployment_id not in expected:
        lines.append(
            f"stage {stage.name!r} serves deployment {stage.deployment_id}, "
            f"not the applied {state.stable.deployment_id}"
        )
    return lines + _canary_drift(state, stage, is_local=is_local)


def _canary_drift(state: DeployState, stage: StageInfo, *, is_local: bool) -> list[str]:
    if is_local:
        return []  # the local endpoint (moto) does not keep canarySettings
    recorded = state.canary.deployment_id if state.canary else None
    actual = stage.canary.deployment_id if stage.canary else None
    if recorded == actual:
        return []
    return [f"stage canary serves {actual or 'nothing'}, not the applied {recorded or 'nothing'}"]
