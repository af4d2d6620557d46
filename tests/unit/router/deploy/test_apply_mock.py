"""apply against in-process moto: failure half-way, convergence, calls per apply."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from router.aws.apigateway import ApiGateway
from router.aws.session import AwsContext
from router.deploy.service import Declined, build_deploy_service
from router.deploy.state import load_state, state_path_for
from router.errors import AWSError
from router.history import HistoryLog, history_path_for
from router.manifest.store import ManifestStore
from router.routes import RouteService
from tests.helpers.deploy_builders import code_only

REPO = Path(__file__).resolve().parents[4]


class FlakyApiGateway(ApiGateway):
    fail_deployments = 0

    def create_deployment(self, api_id: str, **kwargs: Any) -> str:
        if self.fail_deployments:
            self.fail_deployments -= 1
            raise AWSError("AWS refused to create a deployment: TooManyRequestsException")
        return super().create_deployment(api_id, **kwargs)


def _manifest(routes: int) -> str:
    lines = [
        "version: 1",
        "api: {name: bench, stage: prod, region: us-east-1}",
        "legacy: {url: 'http://legacy.internal:5000'}",
        "routes:",
    ]
    lines += [f"  - {{id: r{i}, method: GET, path: '/api/r{i}/{{id}}'}}" for i in range(routes)]
    return "\n".join(lines) + "\n"


class Setup:
    def __init__(self, root: Path, routes: int) -> None:
        self.manifest = root / "migration.yaml"
        self.manifest.write_text(_manifest(routes))
        shutil.copytree(REPO / "migrated_functions", root / "migrated_functions")
        self.calls: list[str] = []
        self.ctx = AwsContext(region="us-east-1", client_factory=self._client)
        self.apigw = FlakyApiGateway(self.ctx)
        store = ManifestStore(self.manifest)
        history = HistoryLog(history_path_for(self.manifest))
        routes = RouteService(store, history, code_root=root)
        self.service = build_deploy_service(
            routes, self.ctx, apigw=self.apigw, is_local=True, build=code_only(root)
        )

    def _client(self, service: str) -> Any:
        client = boto3.client(service, region_name="us-east-1")
        if service == "apigateway":
            client.meta.events.register("before-call.apigateway", self._count)
        return client

    def _count(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    with mock_aws():
        yield Setup(tmp_path, routes=3)


def yes(_: object) -> bool:
    return True


def test_failed_deployment_leaves_manifest_and_converges(setup: Setup) -> None:
    setup.service.apply(force=False, confirm=yes)
    before = setup.manifest.read_bytes()
    setup.apigw.fail_deployments = 1
    with pytest.raises(AWSError, match="TooManyRequests"):
        setup.service.promote(
            "r1",
            function="migrated_functions.users.get_user",
            weight=None,
            reason=None,
            force=False,
            confirm=yes,
        )
    assert setup.manifest.read_bytes() == before  # the promotion did not happen
    assert setup.service.plan().drift == ()  # the import was recorded: no false drift
    setup.service.promote(
        "r1",
        function="migrated_functions.users.get_user",
        weight=None,
        reason=None,
        force=False,
        confirm=yes,
    )
    after = setup.service.plan()
    assert not after.has_changes and not after.drift


def test_declined_plan_changes_nothing(setup: Setup) -> None:
    with pytest.raises(Declined):
        setup.service.apply(force=False, confirm=lambda _: False)
    assert setup.calls.count("CreateRestApi") == 0
    assert load_state(state_path_for(setup.manifest)).api_id is None


def test_calls_per_apply_do_not_grow_with_routes(tmp_path: Path) -> None:
    counts = {}
    for routes in (10, 200):
        with mock_aws():
            root = tmp_path / str(routes)
            root.mkdir()
            s = Setup(root, routes)
            s.service.apply(force=False, confirm=yes)
            s.service.routes.promote(
                "r1", function="migrated_functions.users.get_user", weight=None, reason=None
            )
            s.calls.clear()
            s.service.apply(force=False, confirm=yes)
            counts[routes] = len(s.calls)
    assert counts[10] == counts[200] <= 5, counts


def test_plan_warns_near_the_resource_quota(tmp_path: Path) -> None:
    with mock_aws():
        near = Setup(tmp_path, routes=150)  # /api, /api/rN, /api/rN/{id}: 303 resources
        warnings = near.service.plan().warnings
    assert len(warnings) == 1 and "303 resources, over" in warnings[0]
    assert '"Resources per API"' in warnings[0]
