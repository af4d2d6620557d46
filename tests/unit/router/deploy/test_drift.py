"""compute_drift: what changed outside strangler since the last apply, case by case."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from router.deploy.drift import compute_drift
from router.deploy.model import Observed
from router.deploy.state import DeployState
from tests.helpers.deploy_builders import API_ID, V1, V2, observed, record, stage, state


@dataclass(frozen=True)
class Case:
    state: DeployState
    observed: Observed
    drift: list[str]
    is_local: bool = False


CANARY = record("C1", V2, kind="canary", percent=10)
CASES = {
    "never applied, nothing there": Case(state(api_id=None), observed(api=False), []),
    "the applied API was deleted": Case(
        state(record("S1", V1)),
        observed(api=False),
        ["the REST API recorded as applied no longer exists"],
    ),
    "an API of that name exists but was never applied": Case(
        state(api_id=None),
        observed(stage("S1"), methods=V1),
        [
            f"REST API 'shop' ({API_ID}) exists but was never applied from this manifest; "
            "--force adopts it"
        ],
    ),
    "in sync": Case(state(record("S1", V1), last_put=V1), observed(stage("S1"), methods=V1), []),
    "a method changed by hand": Case(
        state(record("S1", V1), last_put=V1),
        observed(stage("S1"), methods=V2),
        [
            "resources changed outside strangler: GET /api/users/{user_id}: "
            "http_proxy http://legacy.internal:5000/api/users/{user_id} -> lambda shop-get-user"
        ],
    ),
    "no import recorded yet: resources are not compared": Case(
        state(record("S1", V1)), observed(stage("S1"), methods=V2), []
    ),
    "nothing deployed yet: the stage is not compared": Case(
        state(last_put=V1), observed(None, methods=V1), []
    ),
    "the stage was deleted": Case(
        state(record("S1", V1)), observed(None, methods=V1), ["stage 'prod' was deleted"]
    ),
    "the stage serves another deployment": Case(
        state(record("S1", V1)),
        observed(stage("X9"), methods=V1),
        ["stage 'prod' serves deployment X9, not the applied S1"],
    ),
    "the stage lost its canary": Case(
        state(record("S1", V1), CANARY),
        observed(stage("S1"), methods=V1),
        ["stage canary serves nothing, not the applied C1"],
    ),
    "the stage got a canary by hand": Case(
        state(record("S1", V1)),
        observed(stage("S1", canary="C7"), methods=V1),
        ["stage canary serves C7, not the applied nothing"],
    ),
    "locally the stage may serve the canary deployment (moto)": Case(
        state(record("S1", V1), CANARY), observed(stage("C1"), methods=V1), [], is_local=True
    ),
    "locally canary settings are not compared (moto drops them)": Case(
        state(record("S1", V1), CANARY), observed(stage("S1"), methods=V1), [], is_local=True
    ),
    "locally another deployment is still drift": Case(
        state(record("S1", V1), CANARY),
        observed(stage("X9"), methods=V1),
        ["stage 'prod' serves deployment X9, not the applied S1"],
        is_local=True,
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_compute_drift(case: Case) -> None:
    assert compute_drift(case.state, case.observed, is_local=case.is_local) == case.drift
