"""``migrate serve`` under an S3 state backend follows the backend's current revision.

The gateway of one working copy serves while another copy (bob's: its own checkout of
the manifest) promotes and rolls back a route on the backend: without any `state
pull`, the gateway answers from the new target within a few seconds, and its manifest
file holds the backend's revision. Every process is stopped by the fixture that
started it (``served``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from router.local import child_env, local_aws_env
from tests.helpers.e2e import REGION, Served, moto_client, run_migrate, served, wait_for_target
from tests.helpers.e2e import write_manifest as checkout

pytestmark = pytest.mark.e2e

BUCKET = "serve-state"
STATE = f"s3://{BUCKET}/shop"
ROUTE = "GET /api/users/{user_id}"
HANDLER = "migrated_functions.users.get_user"
USER_URL = "/api/users/5"
ROUTES = [
    {"id": "get-api-users-user-id", "method": "GET", "path": "/api/users/{user_id}"},
    {"id": "get-api-products", "method": "GET", "path": "/api/products"},
]


@pytest.fixture
def stack(serial_moto: str, tmp_path: Path) -> Iterator[Served]:
    """A versioned bucket on the serial moto server, the monolith and a gateway whose
    working copy pushed its manifest to the backend."""
    httpx.post(f"{serial_moto}/moto-api/reset", timeout=10).raise_for_status()
    s3 = moto_client(serial_moto, "s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    env = child_env(local_aws_env(serial_moto, REGION))
    env.update(
        MIGRATE_STATE=STATE,
        MIGRATE_TELEMETRY="off",
        DATABASE_URL=f"sqlite:///{(tmp_path / 'db.sqlite').as_posix()}",
    )
    gateway_copy = tmp_path / "gateway"
    gateway_copy.mkdir()
    with served(gateway_copy, env, ROUTES) as stack:
        pushed = run_migrate("state", "push", cwd=gateway_copy, env=env)
        assert pushed.returncode == 0, pushed.stderr
        yield stack


def _bob(stack: Served, tmp_path: Path, *args: str) -> None:
    """``migrate ARGS`` from bob's working copy (a checkout at revision 0)."""
    bob = tmp_path / "bob"
    if not bob.exists():
        bob.mkdir()
        checkout(bob, stack.legacy, ROUTES)
    done = run_migrate(*args, cwd=bob, env=stack.env)
    assert done.returncode == 0, done.stderr


def test_a_promote_from_another_copy_reaches_the_gateway(stack: Served, tmp_path: Path) -> None:
    direct = httpx.get(stack.legacy + USER_URL)
    assert httpx.get(stack.gateway + USER_URL).headers["x-migrate-target"] == "legacy"
    _bob(stack, tmp_path, "route", "promote", ROUTE, "--function", HANDLER)
    started = time.monotonic()
    resp = wait_for_target(stack.gateway, USER_URL, "lambda")
    assert time.monotonic() - started < 5
    assert resp.status_code == 200 and resp.content == direct.content
    assert "revision: 1" in stack.manifest.read_text()
    _bob(stack, tmp_path, "rollback", ROUTE)
    started = time.monotonic()
    wait_for_target(stack.gateway, USER_URL, "legacy")
    assert time.monotonic() - started < 5
    assert "revision: 2" in stack.manifest.read_text()
    log = (stack.manifest.parent / "gateway.log").read_text()
    assert f"{STATE}: revision 2 written to" in log


def test_a_copy_newer_than_the_backend_is_not_served(stack: Served, tmp_path: Path) -> None:
    """Serving would replace bob's unpushed manifest with the backend's: exit 2, the
    file untouched."""
    bob = tmp_path / "bob"
    bob.mkdir()
    manifest = checkout(bob, stack.legacy, ROUTES)
    ahead = manifest.read_text().replace("revision: 0", "revision: 3", 1)
    manifest.write_text(ahead)
    done = run_migrate("serve", "--port", "0", cwd=bob, env=stack.env, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "not served: the local manifest (revision 3) is newer than" in done.stderr
    assert "`migrate state push` uploads it" in done.stderr
    assert manifest.read_text() == ahead
