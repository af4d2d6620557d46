"""A DeployService wired to a botocore Stubber for API Gateway and moto for the rest.

``Wired`` holds the service, the stubber and the manifest store; the ``wired``
fixture (tests/unit/router/deploy/conftest.py) builds one inside ``mock_aws``.

moto ignores API Gateway canarySettings, so canary calls are checked against the
request shapes AWS documents (CreateDeployment ``canarySettings.percentTraffic``,
UpdateStage patch operations on ``/canarySettings`` and ``/deploymentId``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botocore.stub import Stubber

from router.accesslog import access_log_format
from router.arns import log_group_arn
from router.aws.session import AwsContext
from router.deploy.service import build_deploy_service
from router.deploy.state import DeployState, save_state, state_path_for
from router.history import HistoryLog, history_path_for
from router.manifest.store import ManifestStore
from router.routes import RouteService
from tests.helpers.deploy_builders import code_only

__all__ = ["ACCOUNT", "API_ID", "MANIFEST", "REPO", "Wired", "resources_for"]

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
API_ID = "a1b2c3d4e5"

MANIFEST = """\
version: 1
revision: 1
api: {name: shop, stage: prod, region: us-east-1}
legacy: {url: "http://legacy.example.com:5000"}
routes:
  - {id: get-api-users-user-id, method: GET, path: "/api/users/{user_id}"}
  - {id: get-api-products, method: GET, path: /api/products}
"""


def resources_for(view: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """GetResources ``items`` (embed=methods) serving ``view``, as AWS returns them."""
    by_path: dict[str, dict[str, Any]] = {}
    for key, (kind, uri) in view.items():
        method, path = key.split(" ", 1)
        item = by_path.setdefault(
            path, {"id": f"r{len(by_path)}", "path": path, "resourceMethods": {}}
        )
        integration = {"type": kind.upper(), "uri": uri}
        item["resourceMethods"][method] = {"httpMethod": method, "methodIntegration": integration}
    return list(by_path.values())


class Wired:
    def __init__(self, root: Path, stubbed: Any, ctx: AwsContext) -> None:
        self.root = root
        self.manifest = root / "migration.yaml"
        self.state_path = state_path_for(self.manifest)
        self.stub = Stubber(stubbed)
        store = ManifestStore(self.manifest)
        history = HistoryLog(history_path_for(self.manifest))
        self.service = build_deploy_service(
            RouteService(store, history, code_root=root), ctx, is_local=False, build=code_only(root)
        )
        self.store = store

    def stage(self, deployment: str, canary: tuple[str, float] | None = None) -> dict[str, Any]:
        manifest = self.store.read()
        data: dict[str, Any] = {
            "stageName": "prod",
            "deploymentId": deployment,
            "methodSettings": {"*/*": {"metricsEnabled": True}},
            "accessLogSettings": {
                "destinationArn": log_group_arn(manifest, ACCOUNT),
                "format": access_log_format(),
            },
        }
        if canary:
            data["canarySettings"] = {"deploymentId": canary[0], "percentTraffic": canary[1]}
        return data

    def expect_reads(self, stage: dict[str, Any], view: dict[str, tuple[str, str]]) -> None:
        self.stub.add_response("get_stage", stage, {"restApiId": API_ID, "stageName": "prod"})
        self.stub.add_response(
            "get_resources",
            {"items": resources_for(view)},
            {"restApiId": API_ID, "embed": ["methods"], "limit": 500},
        )

    def save(self, state: DeployState) -> None:
        save_state(self.state_path, state)
