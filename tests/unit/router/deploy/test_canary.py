"""Canary on the real stage, checked against AWS's documented request shapes (Stubber)."""

from __future__ import annotations

import pytest
from botocore.stub import ANY

from router.deploy.desired import desired_state
from router.deploy.state import DeploymentRecord, DeployState, load_state
from router.errors import UsageError
from router.history import HistoryLog
from tests.helpers.deploy import ACCOUNT, API_ID, Wired
from tests.helpers.deploy_builders import code_only

USERS = "GET /api/users/{id}"
HANDLER = "migrated_functions.users.get_user"


def yes(_: object) -> bool:
    return True


def _applied_legacy(w: Wired) -> DeployState:
    """State as after a first `migrate apply`: deployment D1 serves the all-legacy view."""
    view = desired_state(w.store.read(), ACCOUNT, code_only(w.root)).stable_view
    record = DeploymentRecord(deployment_id="D1", revision=1, time="t", kind="stable", view=view)
    state = DeployState(
        api_id=API_ID,
        api_name="shop",
        stage="prod",
        account_id=ACCOUNT,
        last_put=view,
        stable=record,
        deployments=[record],
    )
    w.save(state)
    return state


def test_promote_with_weight_creates_a_canary_deployment(wired: Wired) -> None:
    state = _applied_legacy(wired)
    wired.expect_reads(wired.stage("D1"), state.last_put or {})
    wired.stub.add_response(
        "put_rest_api",
        {},
        {"restApiId": API_ID, "mode": "overwrite", "failOnWarnings": False, "body": ANY},
    )
    wired.stub.add_response(
        "create_deployment",
        {"id": "C1"},
        {
            "restApiId": API_ID,
            "stageName": "prod",
            "description": ANY,
            "canarySettings": {"percentTraffic": 25.0},
        },
    )
    wired.stub.add_response(
        "update_stage", {}, {"restApiId": API_ID, "stageName": "prod", "patchOperations": ANY}
    )
    applied = wired.service.promote(
        USERS, function=HANDLER, weight=25, reason=None, force=False, confirm=yes
    )
    wired.stub.assert_no_pending_responses()
    assert applied.result is not None and applied.result.canary_deployment_id == "C1"
    after = load_state(wired.state_path)
    assert after.stable is not None and after.stable.deployment_id == "D1"
    assert after.canary is not None and after.canary.canary_percent == 25.0
    canary_key = "GET /api/users/{user_id}"
    assert after.canary.view[canary_key][0] == "aws_proxy"
    assert after.stable.view[canary_key][0] == "http_proxy"


def _with_canary(w: Wired) -> DeployState:
    state = _applied_legacy(w)
    w.service.routes.promote(USERS, function=HANDLER, weight=25, reason=None)
    desired = desired_state(w.store.read(), ACCOUNT, code_only(w.root))
    assert desired.canary_view is not None
    canary = DeploymentRecord(
        deployment_id="C1",
        revision=2,
        time="t",
        kind="canary",
        view=desired.canary_view,
        canary_percent=25.0,
    )
    state.canary, state.last_put = canary, desired.canary_view
    state.remember(canary)
    w.save(state)
    _create_function(w)
    return state


def _create_function(w: Wired) -> None:
    """The function as the canary apply left it (moto holds Lambda and IAM)."""
    from router.aws.lambda_ import LambdaFunctions

    desired = desired_state(w.store.read(), ACCOUNT, code_only(w.root))
    functions: LambdaFunctions = w.service.planner.functions
    spec, _ = desired.functions[0]
    functions.create(spec, functions.ensure_role("shop-lambda", "arn:aws:logs:*:*:*"))


def test_promote_to_100_copies_the_canary_onto_the_stage(wired: Wired) -> None:
    state = _with_canary(wired)
    wired.expect_reads(wired.stage("D1", ("C1", 25.0)), state.last_put or {})
    wired.stub.add_response(
        "update_stage",
        {},
        {
            "restApiId": API_ID,
            "stageName": "prod",
            "patchOperations": [
                {"op": "replace", "path": "/deploymentId", "value": "C1"},
                {"op": "remove", "path": "/canarySettings"},
            ],
        },
    )
    applied = wired.service.promote(
        USERS, function=HANDLER, weight=None, reason=None, force=False, confirm=yes
    )
    wired.stub.assert_no_pending_responses()
    assert applied.result is not None and applied.result.calls == ["update_stage"]
    after = load_state(wired.state_path)
    assert after.canary is None and after.stable is not None
    assert after.stable.deployment_id == "C1"


def test_rollback_removes_the_canary(wired: Wired) -> None:
    state = _with_canary(wired)
    wired.expect_reads(wired.stage("D1", ("C1", 25.0)), state.last_put or {})
    wired.stub.add_response(
        "update_stage",
        {},
        {
            "restApiId": API_ID,
            "stageName": "prod",
            "patchOperations": [
                {"op": "remove", "path": "/canarySettings"},
                {"op": "replace", "path": "/deploymentId", "value": "D1"},
            ],
        },
    )
    applied = wired.service.rollback([USERS], reason="p90 up", force=False, confirm=yes)
    wired.stub.assert_no_pending_responses()
    assert applied.result is not None and applied.result.calls == ["update_stage"]
    assert load_state(wired.state_path).canary is None
    route = wired.store.read().route(USERS)
    assert route is not None and route.target == "legacy"


def test_canary_changed_by_hand_is_drift(wired: Wired) -> None:
    state = _with_canary(wired)
    wired.expect_reads(wired.stage("D1", ("C9", 50.0)), state.last_put or {})
    plan = wired.service.plan()
    assert any("canary serves C9" in line for line in plan.drift)


def test_history_records_the_canary(wired: Wired) -> None:
    test_promote_with_weight_creates_a_canary_deployment(wired)
    apply_entry = HistoryLog(wired.root / "migration.history.jsonl").entries()[-1]
    assert apply_entry.action == "apply"
    assert apply_entry.details["canary_deployment_id"] == "C1"
    assert apply_entry.details["canary_percent"] == 25.0


def test_to_revision_of_a_canary_says_so_and_lists_restorable_revisions(wired: Wired) -> None:
    """The hint listed canary revisions as targets that the command then refused."""
    state = _applied_legacy(wired)
    canary = DeploymentRecord(
        deployment_id="D2", revision=2, time="t", kind="canary", view=state.last_put or {}
    )
    state.remember(canary)
    wired.save(state)
    with pytest.raises(UsageError) as refused:
        wired.service.rollback_to_revision(2, reason=None, force=False, confirm=yes)
    assert "revision 2 was applied only as a canary" in refused.value.message
    assert refused.value.hint == "revisions with a stable deployment: 1"
