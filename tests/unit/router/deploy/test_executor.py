"""Executor against fake wrappers: which AWS calls each plan makes, in order, and the state.

The fakes record every call in one list (``Calls``) and answer as AWS would (ids
in sequence), so each case reads as plan -> calls -> state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from router.aws.apigateway import RestApiRef, StagePatch
from router.aws.artifacts import S3Location
from router.aws.lambda_ import FunctionInfo, FunctionSpec
from router.aws.layers import LayerContent, LayerVersionInfo
from router.deploy.artifacts import DesiredLayer
from router.deploy.desired import Desired
from router.deploy.executor import LOG_RETENTION_DAYS, ApplyResult, Artifacts, Executor
from router.deploy.model import (
    CreateApi,
    CreateArtifactBucket,
    Deploy,
    Plan,
    PointStage,
    PublishLayer,
    PutDefinition,
    RemoveCanary,
    Step,
    SyncFunction,
    UploadArtifact,
)
from router.deploy.state import DeployState
from router.errors import AWSError, UnsafePlan
from tests.helpers.deploy_builders import (
    ACCOUNT,
    API_ID,
    MANIFEST,
    SETTINGS,
    V1,
    V2,
    desired,
    info_of,
    plan,
    record,
    spec,
    state,
    users_route,
)

ROLE = "arn:aws:iam::123456789012:role/shop-lambda"
ROLE_LOGS = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-*"
SOURCE = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/*/GET/api/users/*"
ACCESS_LOGS = "/strangler/shop/prod/access"
LAYER_ARN = "arn:aws:lambda:us-east-1:123456789012:layer:shop-DepsLayer"
Calls = list[tuple[Any, ...]]


class FakeApiGateway:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls
        self.deployments = 0
        self.fail_deployment = False

    def create_rest_api(self, name: str, description: str) -> RestApiRef:
        self.calls.append(("create_rest_api", name))
        return RestApiRef(API_ID, name)

    def put_definition(self, api_id: str, document: dict[str, Any]) -> None:
        self.calls.append(("put_definition", api_id, document))

    def create_deployment(
        self, api_id: str, *, stage: str | None, description: str, canary_percent: float | None
    ) -> str:
        if self.fail_deployment:
            raise AWSError("AWS refused to create a deployment: TooManyRequestsException")
        self.deployments += 1
        self.calls.append(("create_deployment", api_id, stage, description, canary_percent))
        return f"D{self.deployments}"

    def update_stage(self, api_id: str, stage: str, operations: list[StagePatch]) -> None:
        self.calls.append(("update_stage", api_id, stage, [o.wire() for o in operations]))


class FakeFunctions:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def ensure_role(
        self, role_name: str, log_groups_arn: str, statements: Sequence[object] = ()
    ) -> str:
        self.calls.append(("ensure_role", role_name, log_groups_arn))
        return ROLE

    def create(self, function: FunctionSpec, role_arn: str) -> None:
        self.calls.append(("create_function", function.name, role_arn, function.layers))

    def update(self, function: FunctionSpec, current: FunctionInfo, role: str | None) -> list[str]:
        self.calls.append(("update_function", function.name, current.code_sha256))
        return ["update_function_code"]

    def allow_api_gateway(self, name: str, source_arn: str) -> None:
        self.calls.append(("allow_api_gateway", name, source_arn))


class FakeLayers:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def publish(self, content: LayerContent) -> LayerVersionInfo:
        self.calls.append(("publish_layer_version", content.name, content.description))
        return LayerVersionInfo(f"{LAYER_ARN}:7", 7, content.description)


class FakeBucket:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def create(self, bucket: str) -> None:
        self.calls.append(("create_bucket", bucket))

    def upload(
        self, location: S3Location, data: bytes | Path, sha256: str, seen: Callable[[int], None]
    ) -> None:
        self.calls.append(("upload", str(location), sha256))
        total = len(data) if isinstance(data, bytes) else data.stat().st_size
        for i in range(8):  # as s3transfer reports, chunk by chunk
            seen(total * (i + 1) // 8 - total * i // 8)


class FakeLogs:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def ensure_group(self, name: str, retention_days: int | None = None) -> bool:
        self.calls.append(("ensure_group", name, retention_days))
        return True


@dataclass
class Rig:
    calls: Calls = field(default_factory=list)
    saved: list[DeployState] = field(default_factory=list)
    progress: Callable[[str], None] = lambda _: None

    def __post_init__(self) -> None:
        self.apigw = FakeApiGateway(self.calls)
        self.executor = Executor(
            self.apigw,
            FakeFunctions(self.calls),
            FakeLogs(self.calls),
            lambda s: self.saved.append(s.model_copy(deep=True)),
            Artifacts(FakeLayers(self.calls), FakeBucket(self.calls), self.progress),  # type: ignore[arg-type]
        )

    def apply(self, p: Plan, given: DeployState, *, force: bool = False) -> ApplyResult:
        return self.executor.apply(p, MANIFEST, given, force=force)


FN = spec()
STABLE_DOC = desired(V2).stable_document
CANARY_DOC = desired(V1, V2).canary_document
DESCRIPTION = "strangler revision 3 ({})"
SETTINGS_WIRE = [
    {"op": op, "path": path, "value": value} for op, path, value in SETTINGS.operations
]


def point(deployment: str) -> dict[str, str]:
    return {"op": "replace", "path": "/deploymentId", "value": deployment}


DROP_CANARY = {"op": "remove", "path": "/canarySettings"}


def update_stage(*operations: dict[str, str]) -> tuple[Any, ...]:
    return ("update_stage", API_ID, "prod", list(operations))


@dataclass(frozen=True)
class Case:
    steps: tuple[Step, ...]
    state: DeployState
    calls: Calls
    result_calls: list[str]
    stable: str | None
    canary: str | None = None


CASES = {
    "a new API: create, function, import, deploy to a new stage, settings": Case(
        (
            CreateApi("shop", "routing"),
            SyncFunction(FN, users_route(), "create", None),
            PutDefinition("stable", STABLE_DOC, V2),
            Deploy("stable", None, stage_exists=False),
            SETTINGS,
        ),
        state(api_id=None),
        [
            ("create_rest_api", "shop"),
            ("ensure_role", "shop-lambda", ROLE_LOGS),
            ("create_function", FN.name, ROLE, ()),
            ("allow_api_gateway", FN.name, SOURCE),
            ("put_definition", API_ID, STABLE_DOC),
            ("create_deployment", API_ID, "prod", DESCRIPTION.format("stable"), None),
            ("ensure_group", ACCESS_LOGS, LOG_RETENTION_DAYS),
            update_stage(*SETTINGS_WIRE),
        ],
        ["create_rest_api", "put_rest_api", "create_deployment", "update_stage"],
        "D1",
    ),
    "a route change: the stage is pointed at the new deployment in one update": Case(
        (PutDefinition("stable", STABLE_DOC, V2), Deploy("stable", None, stage_exists=True)),
        state(record("S1", V1)),
        [
            ("put_definition", API_ID, STABLE_DOC),
            ("create_deployment", API_ID, None, DESCRIPTION.format("stable"), None),
            update_stage(point("D1")),
        ],
        ["put_rest_api", "create_deployment", "update_stage"],
        "D1",
    ),
    "a canary is deployed on the stage with its share, no stage update": Case(
        (PutDefinition("canary", CANARY_DOC, V2), Deploy("canary", 10.0, stage_exists=True)),
        state(record("S1", V1)),
        [
            ("put_definition", API_ID, CANARY_DOC),
            ("create_deployment", API_ID, "prod", DESCRIPTION.format("canary"), 10.0),
        ],
        ["put_rest_api", "create_deployment"],
        "S1",
        "D1",
    ),
    "rollback: one update_stage to a recorded deployment": Case(
        (PointStage("S0", "the deployment of revision 1"),),
        state(record("S1", V2), older=(record("S0", V1, revision=1),)),
        [update_stage(point("S0"))],
        ["update_stage"],
        "S0",
    ),
    "rollback while a canary runs: the canary goes too": Case(
        (PointStage("S0", "the deployment of revision 1"),),
        state(
            record("S1", V2),
            record("C1", V2, kind="canary", percent=10),
            older=(record("S0", V1, revision=1),),
        ),
        [update_stage(point("S0"), DROP_CANARY)],
        ["update_stage"],
        "S0",
    ),
    "canary to 100%: point at the canary deployment and drop the canary settings": Case(
        (PointStage("C1", "promote the canary to 100%"),),
        state(record("S1", V1), record("C1", V2, kind="canary", percent=10)),
        [update_stage(point("C1"), DROP_CANARY)],
        ["update_stage"],
        "C1",
    ),
    "remove the canary and point back at the stable deployment": Case(
        (RemoveCanary(None),),
        state(record("S1", V1), record("C1", V2, kind="canary", percent=10)),
        [update_stage(DROP_CANARY, point("S1"))],
        ["update_stage"],
        "S1",
    ),
    "a changed function is updated in place (no role needed)": Case(
        (SyncFunction(FN, users_route(), "update", info_of(FN, code_sha256="old")),),
        state(record("S1", V2)),
        [("update_function", FN.name, "old"), ("allow_api_gateway", FN.name, SOURCE)],
        [],
        "S1",
    ),
    "an empty plan makes no call": Case((), state(record("S1", V1)), [], [], "S1"),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_executor(case: Case) -> None:
    rig = Rig()
    given = case.state
    result = rig.apply(plan(*case.steps, want=desired(V2, V2 if case.canary else None)), given)
    assert rig.calls == case.calls
    assert result.calls == case.result_calls
    assert (given.stable.deployment_id if given.stable else None) == case.stable
    assert (given.canary.deployment_id if given.canary else None) == case.canary
    assert rig.saved[-1] == given  # the final state is saved
    assert (given.api_id, given.api_name, given.stage, given.account_id) == (
        API_ID,
        "shop",
        "prod",
        ACCOUNT,
    )


def test_a_new_deployment_is_recorded_with_its_view_and_routes() -> None:
    rig, given = Rig(), state(record("S1", V1))
    steps = (PutDefinition("stable", STABLE_DOC, V2), Deploy("stable", None, stage_exists=True))
    result = rig.apply(plan(*steps, want=desired(V2)), given)
    assert (result.deployment_id, result.previous_deployment_id) == ("D1", "S1")
    assert given.last_put == V2
    assert given.stable is not None and given.deployments[-1] == given.stable
    assert (given.stable.kind, given.stable.revision, given.stable.view) == ("stable", 3, V2)
    assert given.stable.routes == {
        "get-user": ("legacy", 0, None),
        "list-products": ("legacy", 0, None),
    }


def test_a_promoted_canary_is_remembered_as_stable() -> None:
    rig = Rig()
    given = state(record("S1", V1), record("C1", V2, kind="canary", percent=10))
    rig.apply(plan(PointStage("C1", "promote the canary to 100%")), given)
    assert given.stable is not None and given.canary is None
    assert (given.stable.kind, given.stable.canary_percent) == ("stable", None)
    assert [(r.deployment_id, r.kind) for r in given.deployments] == [
        ("S1", "stable"),
        ("C1", "canary"),
        ("C1", "stable"),
    ]


def test_a_failed_deployment_keeps_what_was_done_in_the_state() -> None:
    rig, given = Rig(), state(record("S1", V1))
    rig.apigw.fail_deployment = True
    steps = (PutDefinition("stable", STABLE_DOC, V2), Deploy("stable", None, stage_exists=True))
    with pytest.raises(AWSError, match="TooManyRequests"):
        rig.apply(plan(*steps), given)
    assert [c[0] for c in rig.calls] == ["put_definition"]  # no update_stage after the failure
    assert rig.saved and rig.saved[-1].last_put == V2  # the import is recorded: no false drift
    assert rig.saved[-1].stable is not None and rig.saved[-1].stable.deployment_id == "S1"


def test_a_new_api_id_is_saved_as_soon_as_it_exists() -> None:
    rig, given = Rig(), state(api_id=None)
    rig.apigw.fail_deployment = True
    steps = (CreateApi("shop", "routing"), PutDefinition("stable", STABLE_DOC, V2))
    steps += (Deploy("stable", None, stage_exists=False),)
    with pytest.raises(AWSError):
        rig.apply(plan(*steps, api_id=None), given)
    assert [s.api_id for s in rig.saved] == [API_ID, API_ID]


@pytest.mark.parametrize("force", [False, True])
def test_drift_is_refused_before_any_call_unless_forced(force: bool) -> None:
    rig, given = Rig(), state(record("S1", V1))
    drifted = plan(RemoveCanary(None), drift=("stage 'prod' serves deployment X9",))
    if force:
        rig.apply(drifted, given, force=True)
        assert [c[0] for c in rig.calls] == ["update_stage"]
        return
    with pytest.raises(UnsafePlan) as refused:
        rig.apply(drifted, given)
    assert rig.calls == [] and rig.saved == []
    assert refused.value.message == (
        "the deployed API differs from the last applied revision:\n"
        "  stage 'prod' serves deployment X9"
    )
    assert refused.value.hint == "inspect with `migrate plan`; re-run with --force to overwrite it"
    assert refused.value.exit_code == 1


def test_a_plan_without_drift_is_safe_even_unforced() -> None:
    plan(RemoveCanary(None)).raise_if_unsafe(False)  # no exception
    plan(RemoveCanary(None), drift=("x",)).raise_if_unsafe(True)


def _layer(tmp_path: Path, s3: S3Location | None = None) -> DesiredLayer:
    zipped = tmp_path / "layer.zip"
    zipped.write_bytes(b"layer zip")
    return DesiredLayer(
        "shop-DepsLayer", "fns/requirements.txt", "c2hhMjU2", 9, 90, zipped,
        "python3.12", "x86_64", s3,
    )  # fmt: skip


def _users_with(layer: DesiredLayer) -> Desired:
    """The users function on Lambda, using ``layer``."""
    functions = ((FN, users_route()),)
    return replace(
        desired(V2, functions=functions), layers=(layer,), layer_of={FN.name: layer.name}
    )


def test_a_published_layer_is_attached_to_the_functions_waiting_for_it(tmp_path: Path) -> None:
    rig, given = Rig(), state(record("S1", V2))
    layer = _layer(tmp_path)
    want = _users_with(layer)
    steps = (PublishLayer(layer), SyncFunction(FN, users_route(), "create", None, layer.name))
    result = rig.apply(plan(*steps, want=want), given)
    assert rig.calls[:3] == [
        ("publish_layer_version", layer.name, "strangler sha256:c2hhMjU2 fns/requirements.txt"),
        ("ensure_role", "shop-lambda", ROLE_LOGS),
        ("create_function", FN.name, ROLE, (f"{LAYER_ARN}:7",)),
    ]
    assert result.artifact_calls == ["publish_layer_version", "create_function"]
    assert given.layers == {layer.name: f"{LAYER_ARN}:7"}
    assert given.function_layers == {FN.name: [f"{LAYER_ARN}:7"]}
    assert rig.saved[0].layers == given.layers  # recorded as soon as it is published


def test_an_existing_layer_version_is_recorded_without_a_publish(tmp_path: Path) -> None:
    rig, given = Rig(), state(record("S1", V2))
    layer = _layer(tmp_path)
    want = _users_with(layer)
    result = rig.apply(
        replace(plan(want=want), layer_versions=((layer.name, f"{LAYER_ARN}:3"),)), given
    )
    assert rig.calls == []
    assert result.artifact_calls == []
    assert given.layers == {layer.name: f"{LAYER_ARN}:3"}
    assert given.function_layers == {FN.name: [f"{LAYER_ARN}:3"]}


def test_a_big_zip_goes_through_the_bucket_created_first(tmp_path: Path) -> None:
    lines: list[str] = []
    rig, given = Rig(progress=lines.append), state(record("S1", V2))
    where = S3Location("shop-artifacts-123456789012-us-east-1", "layers/shop-DepsLayer/ab.zip")
    layer = _layer(tmp_path, where)
    want = replace(desired(V2), layers=(layer,))
    steps = (
        CreateArtifactBucket(where.bucket),
        UploadArtifact(where, layer.sha256, layer.size, path=layer.zip_path),
        PublishLayer(layer),
    )
    result = rig.apply(plan(*steps, want=want), given)
    assert [c[0] for c in rig.calls] == ["create_bucket", "upload", "publish_layer_version"]
    assert rig.calls[1] == ("upload", str(where), layer.sha256)
    assert result.artifact_calls == ["create_bucket", "put_object", "publish_layer_version"]
    label = f"uploading 0.0 KB to {where}"
    assert lines == [label] + [f"{label}: {p}%" for p in (25, 50, 75, 100)] + [
        "publishing layer shop-DepsLayer (0.0 KB)"
    ]
