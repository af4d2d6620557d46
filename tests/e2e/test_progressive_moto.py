"""``migrate route promote --steps`` through the real path: a ``migrate`` process moves
the manifest and reads access logs from a moto server, while a thread of the test
plays the traffic, writing access-log lines for both targets at the weight the
manifest holds at that moment.

The traffic is a rate (requests per second of the clock), not a count per tick of
the thread: on a loaded machine the thread ticks less often, and a fixed count per
tick then fell under ``min_samples`` in a check window (a hold instead of a verdict).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from router.aws.logs import CloudWatchLogs
from router.aws.session import AwsContext
from router.gateway.emitted import access_log_line
from router.gateway.records import RequestRecord
from router.local.stack import local_aws_env
from router.manifest.store import load_manifest
from router.render.sam import access_log_group_name
from tests.helpers.e2e import REGION, write_manifest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
ROUTE = {"id": "get-api-users-id", "method": "GET", "path": "/api/users/{id}"}
HANDLER = "migrated_functions.users.get_user"
TICK_S, RATE_PER_S = 0.2, 200  # 300 of each target per 3 s window at 50%


class Traffic(threading.Thread):
    """Every tick, RATE_PER_S requests a second since the last tick, split by the
    manifest's current weight."""

    def __init__(self, manifest: Path, moto_url: str, lambda_scale: float) -> None:
        super().__init__(daemon=True)
        self.manifest, self.scale = manifest, lambda_scale
        self.logs = CloudWatchLogs(AwsContext(region=REGION, endpoint_url=moto_url))
        self.group = access_log_group_name(load_manifest(manifest).model)
        self.logs.ensure_group(self.group)
        self.logs.ensure_stream(self.group, "s")
        self.rng = np.random.default_rng(11)
        self.stop = threading.Event()

    def run(self) -> None:
        last_ms = int(time.time() * 1000)
        while not self.stop.wait(TICK_S):
            now_ms = int(time.time() * 1000)
            weight = load_manifest(self.manifest).model.routes[0].effective_weight
            self.logs.put_events(self.group, "s", self._events(weight, last_ms, now_ms))
            last_ms = now_ms

    def _events(self, weight: int, start_ms: int, end_ms: int) -> list[tuple[int, str]]:
        count = max(1, round(RATE_PER_S * (end_ms - start_ms) / 1000))
        n_lambda = round(count * weight / 100)
        times = np.sort(self.rng.integers(start_ms + 1, end_ms + 1, count))
        latencies = self.rng.lognormal(np.log(8.0), 0.35, count)
        events = []
        for i, (at, latency) in enumerate(zip(times, latencies, strict=True)):
            target = "lambda" if i < n_lambda else "legacy"
            scaled = latency * (self.scale if target == "lambda" else 1.0)
            events.append((int(at), access_log_line(_record(int(at), target, scaled), "prod")))
        return sorted(events)


def _record(at_ms: int, target: str, latency: float) -> RequestRecord:
    return RequestRecord(
        request_id=uuid.uuid4().hex,
        request_time_epoch_ms=at_ms,
        http_method="GET",
        path="/api/users/1",
        resource_path=ROUTE["path"],
        route_id=ROUTE["id"],
        target=target,
        status=200,
        response_latency_ms=float(latency),
        integration_latency_ms=float(latency) * 0.9,
        source_ip="127.0.0.1",
        protocol="HTTP/1.1",
        response_length=120,
    )


def _promote(root: Path, moto_url: str, lambda_scale: float) -> subprocess.CompletedProcess[str]:
    api = {"name": f"prog-{uuid.uuid4().hex[:8]}", "stage": "prod", "region": REGION}
    manifest = write_manifest(root, "http://127.0.0.1:5000", [ROUTE], api=api)
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    env = {**local_aws_env(moto_url, REGION), "MIGRATE_MANIFEST": str(manifest)}
    env["PYTHONPATH"] = path
    args = ["route", "promote", ROUTE["id"], "-f", HANDLER, "--steps", "50,100"]
    traffic = Traffic(manifest, moto_url, lambda_scale)
    traffic.start()
    try:
        return subprocess.run(
            [sys.executable, "-m", "migrate_cli", *args, "--interval", "3s", "--json"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        traffic.stop.set()
        traffic.join(timeout=5)


def _route(root: Path) -> tuple[str, int]:
    route = load_manifest(root / "migration.yaml").model.routes[0]
    return route.target, route.effective_weight


def test_same_latency_on_both_targets_reaches_100(tmp_path: Path, moto_server: str) -> None:
    result = _promote(tmp_path, moto_server, lambda_scale=1.0)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert (summary["outcome"], summary["weight"]) == ("completed", 100)
    passes = [(c["weight"], c["mode"]) for c in summary["checks"] if c["verdict"] == "pass"]
    assert passes == [(50, "concurrent"), (100, "previous-step")]
    assert all(c["lambda_requests"] >= 50 for c in summary["checks"])
    assert _route(tmp_path) == ("lambda", 100)


def test_slower_lambda_is_rolled_back(tmp_path: Path, moto_server: str) -> None:
    result = _promote(tmp_path, moto_server, lambda_scale=1.5)
    assert result.returncode == 1, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["outcome"] == "rolled-back"
    assert [c["decision"] for c in summary["checks"]] == ["recheck", "rollback"]
    assert {c["weight"] for c in summary["checks"]} == {50}
    assert _route(tmp_path) == ("legacy", 0)
