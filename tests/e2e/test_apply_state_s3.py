"""``apply`` and ``rollback --to-revision`` shared through an S3 state backend: real
``migrate`` processes from two working copies (alice's and bob's) against a serial moto
server (``serial_moto``), whose API Gateway and Lambda are the deployed side.

* The deploy state is the backend's object: alice applies revisions, bob (who never
  applied from his copy, so has no ``migration.state.json``) rolls back to one of them.
* Two ``apply`` at once from the two copies, planned while the manifest then moves:
  one says so and applies its fresh plan; the other waits for the ``state`` lease,
  plans again, says which apply landed meanwhile, and changes nothing more; API
  Gateway holds one API and both copies' plans are in sync.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from router.aws.session import AwsContext
from router.local import child_env, local_aws_env
from router.state import S3Backend, StateLocation, open_backend
from router.state.lease import LeaseKeeper
from tests.helpers.e2e import REGION, moto_client, run_migrate, write_manifest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
BUCKET, PREFIX = "team-state", "shop"
ROUTE = {"id": "get-api-users-id", "method": "GET", "path": "/api/users/{id}"}
HANDLER = "migrated_functions.users.get_user"
OPERATORS = ("alice", "bob")


class Copy:
    """One operator's working copy: its directory and environment."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root, self.env = root, env

    def run(self, *args: str, timeout: float = 240) -> Any:
        return run_migrate(*args, cwd=self.root, env=self.env, timeout=timeout)

    def ok(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode == 0, done.stdout + done.stderr
        return str(done.stdout)


@pytest.fixture
def copies(serial_moto: str, tmp_path: Path) -> tuple[Copy, Copy, str]:
    """Alice's and bob's copies of one project on a fresh versioned bucket; the API name."""
    httpx.post(f"{serial_moto}/moto-api/reset", timeout=10).raise_for_status()
    s3 = moto_client(serial_moto, "s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    api = {"name": f"shared-{uuid.uuid4().hex[:8]}", "stage": "prod", "region": REGION}
    made = []
    for user in OPERATORS:
        root = tmp_path / user
        root.mkdir()
        write_manifest(root, "http://127.0.0.1:5000", [ROUTE], api=api)
        shutil.copytree(REPO / "migrated_functions", root / "migrated_functions")
        env = child_env(local_aws_env(serial_moto, REGION))
        env.update(MIGRATE_STATE=f"s3://{BUCKET}/{PREFIX}", MIGRATE_USER=user,
                   PYTHONPATH=str(root), MIGRATE_LEASE_TTL="20")  # fmt: skip
        made.append(Copy(root, env))
    made[0].ok("state", "push")
    return made[0], made[1], api["name"]


def _deployment(moto: str, api_name: str) -> str:
    apigw = moto_client(moto, "apigateway")
    [api] = [a for a in apigw.get_rest_apis()["items"] if a["name"] == api_name]
    return str(apigw.get_stage(restApiId=api["id"], stageName="prod")["deploymentId"])


def _revision(copy: Copy) -> int:
    return int(json.loads(copy.ok("routes", "--json"))["revision"])


def test_rollback_to_a_revision_another_operator_applied(
    copies: tuple[Copy, Copy, str], serial_moto: str
) -> None:
    alice, bob, api_name = copies
    alice.ok("apply", "--yes")
    first, revision = _deployment(serial_moto, api_name), _revision(alice)
    alice.ok("route", "promote", ROUTE["id"], "-f", HANDLER, "--apply", "--yes")
    assert _deployment(serial_moto, api_name) != first
    assert not (bob.root / "migration.state.json").exists()

    bob.ok("rollback", "--to-revision", str(revision), "--yes")
    assert _deployment(serial_moto, api_name) == first
    routes = json.loads(alice.ok("routes", "--json"))["routes"]
    assert [r["target"] for r in routes] == ["legacy"]
    assert alice.run("plan", "--detailed-exitcode").returncode == 0
    assert not (alice.root / "migration.state.json").exists()  # the backend's object
    history = json.loads(bob.ok("history", "--json"))
    assert [(e["user"], e["action"]) for e in history] == [
        ("alice", "apply"), ("alice", "promote"), ("alice", "apply"),
        ("bob", "rollback"), ("bob", "apply"),
    ]  # fmt: skip


def test_rollback_to_a_revision_never_applied_is_bad_input(copies: tuple[Copy, Copy, str]) -> None:
    alice, bob, _ = copies
    alice.ok("apply", "--yes")
    before = _revision(bob)
    refused = bob.run("rollback", "--to-revision", "999", "--yes")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "revision 999 has no applied deployment" in refused.stderr
    assert f"revisions with a stable deployment: {before}" in refused.stderr
    assert _revision(bob) == before


def _backend(moto: str) -> S3Backend:
    ctx = AwsContext(
        region=REGION, endpoint_url=moto, client_factory=lambda s: moto_client(moto, s)
    )
    return open_backend(StateLocation(BUCKET, PREFIX), ctx)


def _start_apply(copy: Copy) -> tuple[subprocess.Popen[str], Path]:
    log = copy.root / "apply.log"
    argv = [sys.executable, "-m", "migrate_cli", "apply", "--yes"]
    with log.open("w") as out:
        proc = subprocess.Popen(argv, cwd=copy.root, env=copy.env, stdout=out, stderr=out,
                                text=True)  # fmt: skip
    return proc, log


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_two_applies_at_once_one_lands_the_other_replans(
    copies: tuple[Copy, Copy, str], serial_moto: str
) -> None:
    """Both plan while a third holder has the ``state`` lease (so both surely overlap);
    meanwhile alice promotes the route (no lease needed). Once the lease is released,
    one apply says the manifest moved and applies its fresh plan; the other waits for
    it, plans again, says which apply landed, and applies nothing."""
    alice, bob, api_name = copies
    for copy in (alice, bob):
        copy.env["MIGRATE_LOCK_TIMEOUT"] = "240"
    backend = _backend(serial_moto)
    keeper = LeaseKeeper(backend.bucket, backend.location, ttl=20)
    started: list[tuple[subprocess.Popen[str], Path]] = []
    try:
        with keeper.hold("state", "a test holding the lease"):
            started = [_start_apply(alice), _start_apply(bob)]
            _wait_for(lambda: all("waiting (up to 240 s)" in log.read_text()
                                  for _, log in started), "both applies to wait")  # fmt: skip
            alice.ok("route", "promote", ROUTE["id"], "-f", HANDLER)  # revision 0 -> 1
        codes = [proc.wait(timeout=240) for proc, _ in started]
    finally:
        for proc, _ in started:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    logs = {user: " ".join(log.read_text().split()) for user, (_, log) in
            zip(OPERATORS, started, strict=True)}  # fmt: skip
    assert codes == [0, 0], logs
    [(first, text)] = [(u, t) for u, t in logs.items() if "applied: deployment" in t]
    assert re.search(r"the manifest moved from revision 0 to 1 meanwhile; plan now: \d+ "
                     r"step\(s\): ", text), text  # fmt: skip
    [text] = [t for u, t in logs.items() if u != first]
    assert re.search(rf"another apply by {first} on \S+ \(pid \d+\) at \S+ landed "
                     r"revision 1 meanwhile; plan now: nothing to change", text), text  # fmt: skip
    assert "applied: deployment" not in text
    apis = moto_client(serial_moto, "apigateway").get_rest_apis()["items"]
    assert [a["name"] for a in apis].count(api_name) == 1
    for copy in (alice, bob):
        assert copy.run("plan", "--detailed-exitcode").returncode == 0
    history = json.loads(bob.ok("history", "--json"))
    assert [(e["user"], e["action"]) for e in history] == [("alice", "promote"), (first, "apply")]
