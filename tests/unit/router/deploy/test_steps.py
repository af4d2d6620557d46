"""compute_steps: which steps turn what is observed into what is desired, case by case."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from router.deploy.desired import Desired
from router.deploy.model import (
    CreateApi,
    Deploy,
    Observed,
    PointStage,
    PutDefinition,
    RemoveCanary,
    Step,
    SyncFunction,
)
from router.deploy.state import DeployState
from router.deploy.steps import compute_steps, served_views
from tests.helpers.deploy_builders import (
    LEGACY,
    LOG_ARN,
    MANIFEST,
    SETTINGS,
    V1,
    V2,
    desired,
    info_of,
    observed,
    record,
    spec,
    stage,
    state,
    users_route,
)

FN = spec()
FN_STEPS = ((FN, users_route()),)


def put(kind: str) -> PutDefinition:
    return PutDefinition(kind, {}, {})  # documents and views do not take part in ==


@dataclass(frozen=True)
class Case:
    state: DeployState
    observed: Observed
    desired: Desired
    steps: list[Step]


CASES = {
    "a new API is created, imported, deployed and configured": Case(
        state(api_id=None),
        observed(api=False),
        desired(V1),
        [
            CreateApi("shop", f"Strangler-fig routing of {LEGACY} (managed by strangler)"),
            put("stable"),
            Deploy("stable", None, stage_exists=False),
            SETTINGS,
        ],
    ),
    "in sync: nothing to do": Case(state(record("S1", V1)), observed(stage("S1")), desired(V1), []),
    "without records, the observed methods count as served": Case(
        state(), observed(stage("S1"), methods=V1), desired(V1), []
    ),
    "stage settings changed by hand are set again": Case(
        state(record("S1", V1)), observed(stage("S1", metrics=False)), desired(V1), [SETTINGS]
    ),
    "another log group is set again": Case(
        state(record("S1", V1)),
        observed(stage("S1", log_arn="arn:aws:logs:elsewhere")),
        desired(V1),
        [SETTINGS],
    ),
    "a route change is imported and deployed to the existing stage": Case(
        state(record("S1", V1)),
        observed(stage("S1")),
        desired(V2),
        [put("stable"), Deploy("stable", None, stage_exists=True)],
    ),
    "a view a recorded deployment serves: point the stage at it (rollback)": Case(
        state(record("S2", V2), older=(record("S1", V1, revision=1),)),
        observed(stage("S2")),
        desired(V1),
        [PointStage("S1", "the deployment of revision 1")],
    ),
    "a deleted stage is deployed again even when a record serves the view": Case(
        state(record("S1", V1)),
        observed(None),
        desired(V1),
        [put("stable"), Deploy("stable", None, stage_exists=False), SETTINGS],
    ),
    "canary at 100%: point the stage at the canary deployment, no canary steps": Case(
        state(record("S1", V1), record("C1", V2, kind="canary", percent=10)),
        observed(stage("S1", canary="C1")),
        desired(V2),
        [PointStage("C1", "promote the canary to 100%")],
    ),
    "a new canary is imported, deployed with its share, and the settings re-sent": Case(
        state(record("S1", V1)),
        observed(stage("S1")),
        desired(V1, V2, 10.0),
        [put("canary"), Deploy("canary", 10.0, stage_exists=True), SETTINGS],
    ),
    "the same canary at the same share: nothing to do": Case(
        state(record("S1", V1), record("C1", V2, kind="canary", percent=10)),
        observed(stage("S1", canary="C1")),
        desired(V1, V2, 10.0),
        [],
    ),
    "the same canary at another share is deployed again": Case(
        state(record("S1", V1), record("C1", V2, kind="canary", percent=10)),
        observed(stage("S1", canary="C1")),
        desired(V1, V2, 25.0),
        [put("canary"), Deploy("canary", 25.0, stage_exists=True), SETTINGS],
    ),
    "no canary wanted any more: remove it": Case(
        state(record("S1", V1), record("C1", V2, kind="canary", percent=10)),
        observed(stage("S1", canary="C1")),
        desired(V1),
        [RemoveCanary(None)],
    ),
    "a missing function is created before the import": Case(
        state(record("S1", V1)),
        observed(stage("S1"), functions={FN.name: None}),
        desired(V2, functions=FN_STEPS),
        [
            SyncFunction(FN, users_route(), "create", None),
            put("stable"),
            Deploy("stable", None, stage_exists=True),
        ],
    ),
    "a function with other code is updated": Case(
        state(record("S1", V2)),
        observed(stage("S1"), functions={FN.name: info_of(FN, code_sha256="old")}),
        desired(V2, functions=FN_STEPS),
        [SyncFunction(FN, users_route(), "update", info_of(FN, code_sha256="old"))],
    ),
    "a function with another configuration is updated": Case(
        state(record("S1", V2)),
        observed(stage("S1"), functions={FN.name: info_of(FN, memory=512)}),
        desired(V2, functions=FN_STEPS),
        [SyncFunction(FN, users_route(), "update", info_of(FN, memory=512))],
    ),
    "an unchanged function is left alone": Case(
        state(record("S1", V2)),
        observed(stage("S1"), functions={FN.name: info_of(FN)}),
        desired(V2, functions=FN_STEPS),
        [],
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_compute_steps(case: Case) -> None:
    steps = compute_steps(MANIFEST, case.state, case.observed, case.desired, LOG_ARN)
    assert steps == case.steps


def test_imports_carry_the_desired_documents_and_views() -> None:
    want = desired(V1, V2, 10.0)
    steps = compute_steps(MANIFEST, state(api_id=None), observed(api=False), want, LOG_ARN)
    puts = [s for s in steps if isinstance(s, PutDefinition)]
    assert [(p.kind, p.document, p.view) for p in puts] == [
        ("stable", want.stable_document, V1),
        ("canary", want.canary_document, V2),
    ]


@pytest.mark.parametrize(
    ("given", "seen", "served"),
    [
        (state(record("S1", V1)), observed(stage(), methods=V2), (V1, {})),
        (state(), observed(stage(), methods=V2), (V2, {})),
        (state(), observed(None, methods=None), ({}, {})),
        (
            state(record("S1", V1), record("C1", V2, kind="canary")),
            observed(stage()),
            (V1, V2),
        ),
    ],
    ids=["records win", "observed without records", "nothing at all", "stable and canary"],
)
def test_served_views(given: DeployState, seen: Observed, served: tuple[object, object]) -> None:
    assert served_views(given, seen) == served
