"""Benchmark: AWS calls per `migrate apply` vs route count, and one-call rollback time.

Starts a moto server on a free loopback port, applies manifests of 10 and 200 routes
(one of them on Lambda), counts the API Gateway calls of a steady-state apply (Lambda
calls aside), then times `rollback --apply` (a single `update_stage`) and a full
re-import apply for comparison. Run: ``.venv/bin/python bench/bench_apply.py``.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3

from router.aws.session import AwsContext
from router.deploy.service import build_deploy_service
from router.history import HistoryLog, history_path_for
from router.local.process import free_port
from router.local.stack import start_moto
from router.manifest.store import ManifestStore
from router.routes import RouteService

REPO = Path(__file__).resolve().parents[1]
HANDLER = "migrated_functions.users.get_user"
RUNS = 7


def manifest_text(name: str, routes: int) -> str:
    lines = [
        "version: 1",
        f"api: {{name: {name}, stage: prod, region: us-east-1}}",
        "legacy: {url: 'http://legacy.internal:5000'}",
        "routes:",
    ]
    lines += [f"  - {{id: r{i}, method: GET, path: '/api/r{i}/{{id}}'}}" for i in range(routes)]
    return "\n".join(lines) + "\n"


class Project:
    def __init__(self, root: Path, endpoint: str, routes: int) -> None:
        self.manifest = root / "migration.yaml"
        self.manifest.write_text(manifest_text(f"bench{routes}", routes))
        shutil.copytree(REPO / "migrated_functions", root / "migrated_functions")
        self.calls: list[str] = []
        ctx = AwsContext(region="us-east-1", endpoint_url=endpoint, client_factory=self._client)
        self.endpoint = endpoint
        store = ManifestStore(self.manifest)
        history = HistoryLog(history_path_for(self.manifest))
        self.service = build_deploy_service(RouteService(store, history, code_root=root), ctx)

    def _client(self, service: str) -> Any:
        client = boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        if service == "apigateway":
            client.meta.events.register("before-call.apigateway", self._count)
        return client

    def _count(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)


def _yes(_: object) -> bool:
    return True


def steady_apply_calls(project: Project) -> list[str]:
    project.service.apply(force=False, confirm=_yes)
    project.service.routes.promote("r1", function=HANDLER, weight=None, reason=None)
    project.calls.clear()
    project.service.apply(force=False, confirm=_yes)
    return list(project.calls)


def time_rollback(project: Project) -> tuple[float, list[str]]:
    """Median seconds of `rollback --apply` right after a promote (plan + one update_stage)."""
    timings: list[float] = []
    for _ in range(RUNS):
        project.service.promote(
            "r1", function=HANDLER, weight=None, reason=None, force=False, confirm=_yes
        )
        project.calls.clear()
        start = time.perf_counter()
        project.service.rollback(["r1"], reason=None, force=False, confirm=_yes)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), list(project.calls)


def time_update_stage(project: Project) -> float:
    """Median seconds of the single update_stage call alone."""
    client = project._client("apigateway")
    api = client.get_rest_apis()["items"]
    api_id = next(a["id"] for a in api if a["name"] == "bench200")
    stage = client.get_stage(restApiId=api_id, stageName="prod")["deploymentId"]
    op = [{"op": "replace", "path": "/deploymentId", "value": stage}]
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        client.update_stage(restApiId=api_id, stageName="prod", patchOperations=op)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    port = free_port()
    proc = start_moto(port)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as tmp:
            rows = []
            for routes in (10, 200):
                root = Path(tmp) / str(routes)
                root.mkdir()
                project = Project(root, endpoint, routes)
                calls = steady_apply_calls(project)
                rows.append((routes, len(calls), ", ".join(calls)))
            print("API Gateway calls per apply (one route moved; Lambda calls aside)")
            for routes, count, names in rows:
                print(f"  {routes:>4} routes: {count} calls ({names})")
            rollback, calls = time_rollback(project)
            print(f"rollback --apply, 200 routes, moto server: median {rollback * 1000:.0f} ms")
            print(f"  its API Gateway calls: {', '.join(calls)}")
            one = time_update_stage(project)
            print(f"  of which the one mutating call (update_stage): median {one * 1000:.1f} ms")
    finally:
        proc.stop()


if __name__ == "__main__":
    main()
