"""End-to-end: ``migrate shadow`` against a real monolith behind a real ``migrate serve``.

Starts the monolith (gunicorn, a temporary SQLite database) and ``migrate serve`` on
free loopback ports, then runs ``migrate shadow ... --duration 3s --json`` from
another process while a test thread sends ``GET /api/users/{id}`` traffic:

* a handler that changes ONE field (``email``) is caught, naming exactly that field
  (exit 1), and ``migrate route promote`` then refuses it unless ``--force``;
* the faithful handler ``migrated_functions.users.get_user`` is parity (exit 0).

Clients always get the monolith's bytes. Every process started is stopped. A route
move is seen by the gateway at its next manifest poll, after the CLI returned: each
run first waits until the gateway serves the route from the monolith again.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from router.demo.project import copy_functions
from router.local import child_env
from router.manifest.store import load_manifest
from tests.helpers.e2e import Served, served, wait_for_target

pytestmark = pytest.mark.e2e
ROUTE = "get-api-users-user-id"
FAITHFUL = "migrated_functions.users.get_user"
WRONG_EMAIL = "migrated_functions.shadow_e2e.wrong_email"
HANDLERS = """\
import json

from .users import get_user


def wrong_email(event, context):
    result = get_user(event, context)
    if result["statusCode"] == 200:
        body = json.loads(result["body"])
        body["email"] = "changed-" + body["email"]
        result["body"] = json.dumps(body, separators=(",", ":"))
    return result
"""


@dataclass
class Traffic:
    gateway: str
    legacy: str
    stop: threading.Event = field(default_factory=threading.Event)
    sent: int = 0
    failures: list[str] = field(default_factory=list)

    def run(self) -> None:
        with httpx.Client(timeout=10) as gw, httpx.Client(timeout=10) as direct:
            expected = {n: direct.get(f"{self.legacy}/api/users/{n}").content for n in range(1, 6)}
            while not self.stop.is_set():
                n = self.sent % 5 + 1
                resp = gw.get(f"{self.gateway}/api/users/{n}")
                self.sent += 1
                if resp.status_code != 200 or resp.content != expected[n]:
                    self.failures.append(f"{resp.status_code}: {resp.text[:200]}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("shadow_e2e")
    functions = copy_functions(tmp)  # the project's own package: what Lambda would run
    (functions / "shadow_e2e.py").write_text(HANDLERS, encoding="utf-8")
    database = f"sqlite:///{(tmp / 'db.sqlite').as_posix()}"
    env = child_env(DATABASE_URL=database, MIGRATE_TELEMETRY="off", MIGRATE_USER="e2e")
    with served(tmp, env, [{"id": ROUTE, "method": "GET", "path": "/api/users/{user_id}"}]) as s:
        yield s


def migrate(stack: Served, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "migrate_cli", *args, "--manifest", str(stack.manifest)]
    return subprocess.run(
        argv, env=stack.env, cwd=stack.manifest.parent, capture_output=True, text=True, timeout=60
    )


def shadow_under_traffic(stack: Served, function: str) -> tuple[int, dict[str, Any]]:
    wait_for_target(stack.gateway, "/api/users/1", "legacy")  # a previous rollback reloaded
    traffic = Traffic(stack.gateway, stack.legacy)
    worker = threading.Thread(target=traffic.run)
    worker.start()
    try:
        done = migrate(stack, "shadow", ROUTE, "--function", function, "--duration", "3s",
                       "--min-requests", "5", "--json")  # fmt: skip
    finally:
        traffic.stop.set()
        worker.join(timeout=30)
    assert traffic.failures == [] and traffic.sent > 20
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert load_manifest(stack.manifest).model.routes[0].shadow is None  # always cleared
    return done.returncode, json.loads(done.stdout)


def test_one_changed_field_is_caught_and_blocks_the_promotion(stack: Served) -> None:
    code, report = shadow_under_traffic(stack, WRONG_EMAIL)
    assert code == 1, report
    mismatches = report["mismatches"]
    assert [m["path"] for m in mismatches] == ["email"]  # exactly the changed field
    example = mismatches[0]["examples"][0]
    assert str(example["candidate"]).startswith("changed-")
    assert example["request"].startswith("GET /api/users/")
    assert report["requests"] >= 5 and report["dropped"] == 0
    refused = migrate(stack, "route", "promote", ROUTE, "--function", WRONG_EMAIL)
    assert refused.returncode == 1 and "email" in refused.stderr
    assert str(report["run_id"]) in refused.stderr.replace("\n", "")
    forced = migrate(stack, "route", "promote", ROUTE, "--function", WRONG_EMAIL, "--force")
    assert forced.returncode == 0, forced.stderr
    assert migrate(stack, "rollback", ROUTE).returncode == 0


def test_the_faithful_handler_is_parity(stack: Served) -> None:
    code, report = shadow_under_traffic(stack, FAITHFUL)
    assert code == 0, report
    assert report["outcome"] == "parity" and report["mismatches"] == []
    history = stack.manifest.with_name("migration.history.jsonl").read_text().splitlines()
    actions = [json.loads(line)["action"] for line in history]
    assert actions.count("shadow-start") == actions.count("shadow-stop") >= 1
