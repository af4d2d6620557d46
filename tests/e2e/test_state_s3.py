"""Team state on S3 with real processes against a moto server (``router.state``).

The moto server serves one request at a time (``start_moto(serial=True)``): moto's
threaded server checks a conditional write's ETag and then writes in two steps, where
S3 does both atomically (``serial_moto`` in conftest.py).

* 20 operator processes, each walking its own route through 10 promotes and
  rollbacks: the revision moves by exactly 200, the history holds 200 entries, one
  per revision, in a consistent chain per route, and every route ends where its
  last operation left it.
* 20 processes racing on one route: each lands (exit 0) or is refused (exit 1 with
  a message naming the other change); the history holds exactly the landed ones.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from router.local import child_env, local_aws_env
from tests.helpers.e2e import REGION, moto_client, run_migrate, write_manifest

pytestmark = pytest.mark.e2e

BUCKET = "team-state"
STATE = f"s3://{BUCKET}/shop"
HANDLER = "migrated_functions.users.get_user"
OPERATORS = 20
WALKS = ("p10,p20,r,p30,r,p50,p60,r,p70,p80", "p10,r,p20,p30,r,p40,r,p50,p60,r")


@pytest.fixture
def project(serial_moto: str, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A manifest of 20 routes pushed to a fresh versioned bucket; the operators' env."""
    httpx.post(f"{serial_moto}/moto-api/reset", timeout=10).raise_for_status()
    s3 = moto_client(serial_moto, "s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    routes = [
        {"id": f"get-api-r{i}", "method": "GET", "path": f"/api/r{i}", "function": HANDLER}
        for i in range(OPERATORS)
    ]
    write_manifest(tmp_path, "http://127.0.0.1:9", routes)
    env = child_env(local_aws_env(serial_moto, REGION))
    env["MIGRATE_STATE"] = STATE
    pushed = run_migrate("state", "push", "--json", cwd=tmp_path, env=env)
    assert pushed.returncode == 0, pushed.stderr
    return tmp_path, env


def _drive(cwd: Path, env: dict[str, str], jobs: list[tuple[str, str]]) -> list[list[Any]]:
    """One operator process per (route, ops), all at once; each one's JSON lines."""
    out = cwd / "operators"
    out.mkdir(exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.state_driver", str(out), json.dumps(jobs)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    files = [out / f"{n}.jsonl" for n in range(len(jobs))]
    return [[json.loads(line) for line in f.read_text().splitlines()] for f in files]


def _read(cwd: Path, env: dict[str, str], *args: str) -> Any:
    done = run_migrate(*args, "--json", cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _expected(ops: str) -> tuple[str, int]:
    last = ops.split(",")[-1]
    return ("legacy", 0) if last == "r" else ("lambda", int(last[1:]))


@pytest.mark.slow  # 58 s at load average 6, up to 215 s at 20 (900-1,700 conditional writes)
def test_twenty_operators_on_twenty_routes_lose_no_update(
    project: tuple[Path, dict[str, str]],
) -> None:
    cwd, env = project
    start = _read(cwd, env, "routes")["revision"]
    jobs = [(f"get-api-r{i}", WALKS[i % 2]) for i in range(OPERATORS)]
    results = _drive(cwd, env, jobs)
    for lines in results:
        assert [line["exit"] for line in lines] == [0] * 10, lines
    routes = _read(cwd, env, "routes")
    assert routes["revision"] == start + OPERATORS * 10
    for (route, ops), row in zip(jobs, routes["routes"], strict=True):
        assert row["id"] == route
        assert (row["target"], row["weight"]) == _expected(ops)
    history = [e for e in _read(cwd, env, "history") if e["action"] in ("promote", "rollback")]
    assert [e["revision"] for e in history] == list(range(start + 1, start + 201))
    for route, ops in jobs:
        chain = [e for e in history if e["route"] == route]
        assert len(chain) == 10
        assert all(a["after"] == b["before"] for a, b in itertools.pairwise(chain))
        assert (chain[-1]["after"]["target"], chain[-1]["after"]["weight"]) == _expected(ops)


def test_twenty_processes_racing_on_one_route_land_or_are_refused(
    project: tuple[Path, dict[str, str]],
) -> None:
    cwd, env = project
    start = _read(cwd, env, "routes")["revision"]
    route = "get-api-r0"
    results = _drive(cwd, env, [(route, f"p{n + 1}") for n in range(OPERATORS)])
    landed, refused = [], []
    for [line] in results:
        if line["exit"] == 0:
            landed.append(int(line["op"][1:]))
        else:
            assert line["exit"] == 1, line
            assert "refused, nothing was changed" in line["output"], line
            assert f"promote {route}" in line["output"], line
            refused.append(line)
    assert landed and len(landed) + len(refused) == OPERATORS
    history = [e for e in _read(cwd, env, "history") if e["action"] == "promote"]
    assert sorted(e["after"]["weight"] for e in history) == sorted(landed)
    assert [e["revision"] for e in history] == list(range(start + 1, start + 1 + len(landed)))
    final = _read(cwd, env, "routes")
    assert final["revision"] == start + len(landed)
    assert final["routes"][0]["weight"] == history[-1]["after"]["weight"]
