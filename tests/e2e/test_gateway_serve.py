"""End-to-end: ``migrate serve`` in front of the real monolith, with hot route moves.

Starts ``python -m legacy_app`` and ``migrate serve`` as subprocesses on free loopback
ports (a temporary SQLite database and manifest), then promotes and rolls back
``GET /api/users/{user_id}`` with the ``migrate`` CLI from another process while
requests flow. The gateway sees a move at its next manifest poll, after the CLI
returned: tests wait for it by polling with a deadline, never by sleeping a guess.
Every process is stopped by the fixture that started it.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest

from router.local import child_env
from router.manifest.store import atomic_write
from tests.helpers.e2e import Served, served, wait_for_target
from tests.helpers.polling import wait_until

pytestmark = pytest.mark.e2e
ROUTE = "GET /api/users/{id}"
HANDLER = "migrated_functions.users.get_user"
USER_URL = "/api/users/5"
REFUSED = "manifest reload failed; still serving the last good one"
ROUTES = [
    {"id": "get-api-users-user-id", "method": "GET", "path": "/api/users/{user_id}"},
    {"id": "get-api-products", "method": "GET", "path": "/api/products"},
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The monolith and the gateway, shared by this module's tests (each leaves the
    route on legacy); both must exit cleanly."""
    tmp = tmp_path_factory.mktemp("gateway_e2e")
    env = {k: v for k, v in child_env().items() if not k.startswith(("AWS_", "MIGRATE_"))}
    env.update(DATABASE_URL=f"sqlite:///{(tmp / 'db.sqlite').as_posix()}", MIGRATE_TELEMETRY="off")
    with served(tmp, env, ROUTES) as stack:  # the migrated handler reads that database
        yield stack


def migrate(stack: Served, *args: str) -> None:
    argv = [sys.executable, "-m", "migrate_cli", *args, "--manifest", str(stack.manifest)]
    done = subprocess.run(argv, env=stack.env, cwd=stack.manifest.parent, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


def test_legacy_route_answers_like_the_monolith(stack: Served) -> None:
    direct = httpx.get(stack.legacy + USER_URL)
    resp = httpx.get(stack.gateway + USER_URL)
    assert resp.status_code == 200 and resp.json() == direct.json()
    assert resp.headers["x-migrate-target"] == "legacy"
    assert resp.headers["x-migrate-route"] == "get-api-users-user-id"
    assert httpx.delete(stack.gateway + USER_URL).headers["x-migrate-route"] == "legacy-catch-all"


def test_promote_then_rollback_apply_without_a_restart(stack: Served) -> None:
    direct = httpx.get(stack.legacy + USER_URL)
    migrate(stack, "route", "promote", ROUTE, "--function", HANDLER)
    resp = wait_for_target(stack.gateway, USER_URL, "lambda")
    assert resp.status_code == 200 and resp.content == direct.content
    migrate(stack, "rollback", ROUTE)
    assert wait_for_target(stack.gateway, USER_URL, "legacy").json() == direct.json()


def test_a_bad_manifest_keeps_the_last_good_routes(stack: Served) -> None:
    """The reload helper refuses a broken file: the gateway logs it and keeps serving."""
    log = stack.manifest.parent / "gateway.log"
    refused = log.read_text().count(REFUSED)
    migrate(stack, "route", "promote", ROUTE, "--function", HANDLER)
    wait_for_target(stack.gateway, USER_URL, "lambda")
    promoted = stack.manifest.read_text()
    atomic_write(stack.manifest, promoted.replace("routes:", "routes: [oops", 1))
    wait_until(lambda: log.read_text().count(REFUSED) > refused, "the reload refused")
    assert httpx.get(stack.gateway + USER_URL).headers["x-migrate-target"] == "lambda"
    atomic_write(stack.manifest, promoted)  # as the CLI wrote it: the history agrees
    migrate(stack, "rollback", ROUTE)
    wait_for_target(stack.gateway, USER_URL, "legacy")


class Traffic(threading.Thread):
    """GET ``USER_URL`` in a loop; records each answer's target and every failure."""

    def __init__(self, gateway: str) -> None:
        super().__init__()
        self.gateway, self.stop = gateway, threading.Event()
        self.seen: list[str] = []
        self.failures: list[str] = []

    def run(self) -> None:
        with httpx.Client(base_url=self.gateway, timeout=10) as client:
            while not self.stop.is_set():
                try:
                    resp = client.get(USER_URL)
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                    continue
                self.seen.append(resp.headers.get("x-migrate-target", "?"))
                if resp.status_code != 200:
                    self.failures.append(f"{resp.status_code}: {resp.text[:200]}")

    def answers_from(self, target: str, more: int = 20) -> None:
        """Wait until ``more`` answers in a row (from now on) came from ``target``."""
        start = len(self.seen)
        wait_until(
            lambda: self.seen[-more:] == [target] * more and len(self.seen) >= start + more,
            f"{more} answers in a row from {target}",
        )


def test_route_moves_under_steady_traffic_fail_no_request(stack: Served) -> None:
    traffic = Traffic(stack.gateway)
    traffic.start()
    try:
        traffic.answers_from("legacy")
        migrate(stack, "route", "promote", ROUTE, "--function", HANDLER)
        traffic.answers_from("lambda")
        migrate(stack, "rollback", ROUTE)
        traffic.answers_from("legacy")
    finally:
        traffic.stop.set()
        traffic.join(timeout=30)
    assert traffic.failures == []
    assert "lambda" in traffic.seen and traffic.seen[-1] == "legacy" and len(traffic.seen) > 50
