"""``migrate route promote --steps`` through the real path: a ``migrate`` process moves
the manifest and reads access logs from a moto server, while a thread of the test
plays the traffic, writing access-log lines for both targets at the weight the
manifest holds at that moment.

The traffic thread is ``tests.helpers.traffic.Traffic``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from router.local.stack import local_aws_env
from router.manifest.store import load_manifest
from tests.helpers.e2e import REGION, write_manifest
from tests.helpers.traffic import ROUTE, Traffic

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
HANDLER = "migrated_functions.users.get_user"


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
