"""apply / promote --apply / rollback --apply / drift against a moto server process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from router.local.stack import local_aws_env
from tests.helpers.e2e import moto_client, run_migrate

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
USERS = "GET /api/users/{id}"
HANDLER = "migrated_functions.users.get_user"


@pytest.fixture
def moto_url(moto_server: str) -> str:
    """The session's moto server; each test uses its own REST API name."""
    return moto_server


class Project:
    def __init__(self, root: Path, moto_url: str) -> None:
        self.root = root
        self.manifest = root / "migration.yaml"
        self.api_name = f"shop-{uuid.uuid4().hex[:8]}"
        text = (
            (REPO / "migration.yaml")
            .read_text()
            .replace("name: legacy-api", f"name: {self.api_name}")
        )
        self.manifest.write_text(text)
        shutil.copytree(REPO / "migrated_functions", root / "migrated_functions")
        self.env = local_aws_env(moto_url, "us-east-1")
        self.env.update(
            MIGRATE_MANIFEST=str(self.manifest), PYTHONPATH=str(root), MIGRATE_USER="ops"
        )
        self.apigw = moto_client(moto_url, "apigateway")

    def migrate(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_migrate(*args, cwd=self.root, env=self.env)

    def ok(self, *args: str) -> str:
        result = self.migrate(*args)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def api_id(self) -> str:
        apis = self.apigw.get_rest_apis()["items"]
        return next(a["id"] for a in apis if a["name"] == self.api_name)

    def integration(self, path: str, method: str) -> dict[str, Any]:
        api = self.api_id()
        resources = self.apigw.get_resources(restApiId=api)["items"]
        resource = next(r for r in resources if r["path"] == path)
        return dict(
            self.apigw.get_integration(restApiId=api, resourceId=resource["id"], httpMethod=method)
        )

    def deployment(self) -> str:
        return str(self.apigw.get_stage(restApiId=self.api_id(), stageName="prod")["deploymentId"])

    def in_sync(self) -> bool:
        return self.migrate("plan", "--detailed-exitcode").returncode == 0


@pytest.fixture
def project(tmp_path: Path, moto_url: str) -> Project:
    return Project(tmp_path, moto_url)


def test_apply_promote_rollback(project: Project) -> None:
    project.ok("apply", "--yes")
    legacy = project.integration("/api/users/{user_id}", "GET")
    assert legacy["type"].lower() == "http_proxy"
    assert legacy["uri"] == "http://127.0.0.1:5000/api/users/{user_id}"
    first = project.deployment()
    assert project.in_sync()

    project.ok("route", "promote", USERS, "--function", HANDLER, "--apply", "--yes")
    lam = project.integration("/api/users/{user_id}", "GET")
    assert lam["type"].lower() == "aws_proxy"
    assert f":function:{project.api_name}-get-api-users-user-id/invocations" in lam["uri"]
    second = project.deployment()
    assert second != first
    assert project.in_sync()

    out = project.ok("rollback", USERS, "--apply", "--yes", "--json")
    assert json.loads(out)["result"]["calls"] == ["update_stage"]  # one call, no re-import
    assert project.deployment() == first
    assert project.in_sync()
    actions = [e["action"] for e in json.loads(project.ok("history", "--json"))]
    assert actions == ["apply", "promote", "apply", "rollback", "apply"]


def test_hand_change_is_drift_and_blocks_promote(project: Project) -> None:
    project.ok("apply", "--yes")
    api = project.api_id()
    resources = project.apigw.get_resources(restApiId=api)["items"]
    health = next(r for r in resources if r["path"] == "/health")
    project.apigw.put_integration(
        restApiId=api,
        resourceId=health["id"],
        httpMethod="GET",
        type="HTTP_PROXY",
        integrationHttpMethod="GET",
        uri="http://10.0.0.9/health",
    )
    plan = project.migrate("plan", "--detailed-exitcode", "--json")
    assert plan.returncode == 2
    assert any("GET /health" in line for line in json.loads(plan.stdout)["drift"])

    before, stage = project.manifest.read_bytes(), project.deployment()
    refused = project.migrate("route", "promote", USERS, "-f", HANDLER, "--apply", "--yes")
    assert refused.returncode == 1
    assert "GET /health" in refused.stderr and "--force" in refused.stderr
    assert project.manifest.read_bytes() == before
    assert project.deployment() == stage

    project.ok("route", "promote", USERS, "-f", HANDLER, "--apply", "--yes", "--force")
    assert project.integration("/health", "GET")["uri"] == "http://127.0.0.1:5000/health"
    assert project.in_sync()


def test_stage_moved_by_hand_is_drift(project: Project) -> None:
    project.ok("apply", "--yes")
    api = project.api_id()
    other = project.apigw.create_deployment(restApiId=api, description="by hand")["id"]
    project.apigw.update_stage(
        restApiId=api,
        stageName="prod",
        patchOperations=[{"op": "replace", "path": "/deploymentId", "value": other}],
    )
    plan = project.migrate("plan", "--json")
    assert any(other in line for line in json.loads(plan.stdout)["drift"])


def test_rollback_to_revision(project: Project) -> None:
    project.ok("apply", "--yes")
    first, revision = project.deployment(), _revision(project)
    project.ok("route", "promote", USERS, "-f", HANDLER, "--apply", "--yes")
    project.ok(
        "route",
        "promote",
        "GET /api/products",
        "-f",
        "migrated_functions.products.list_products",
        "--apply",
        "--yes",
    )
    project.ok("rollback", "--to-revision", str(revision), "--yes")
    assert project.deployment() == first
    routes = json.loads(project.ok("routes", "--json"))["routes"]
    assert {r["target"] for r in routes} == {"legacy"}
    assert project.in_sync()


def test_two_operators_at_once(project: Project) -> None:
    project.ok("apply", "--yes")
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "migrate_cli",
                "route",
                "promote",
                ref,
                "-f",
                fn,
                "--apply",
                "--yes",
            ],
            cwd=project.root,
            # the second waits for the whole apply of the first, slow on a loaded machine
            env={**project.env, "MIGRATE_LOCK_TIMEOUT": "240"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for ref, fn in [
            (USERS, HANDLER),
            ("GET /api/products", "migrated_functions.products.list_products"),
        ]
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    routes = {r["id"]: r for r in json.loads(project.ok("routes", "--json"))["routes"]}
    assert routes["get-api-users-user-id"]["target"] == "lambda"
    assert routes["get-api-products"]["target"] == "lambda"
    assert project.in_sync()


def _revision(project: Project) -> int:
    return int(json.loads(project.ok("routes", "--json"))["revision"])


@pytest.fixture(autouse=True)
def _no_stray_env() -> Iterator[None]:
    saved = os.environ.get("AWS_ENDPOINT_URL")
    yield
    assert os.environ.get("AWS_ENDPOINT_URL") == saved
