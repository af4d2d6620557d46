"""``migrate route promote --steps/--resume`` on an S3 backend (moto in-process): the run
holds the lease ``progressive-<route>`` for its whole duration, and another live run of
the route is refused naming the holder."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import Result

from migrate_cli.context import Wiring
from migrate_cli.factory import Factory
from router.analysis.model import Verdict
from router.aws.session import AwsContext
from router.progressive.model import CheckRequest, CheckResult
from router.state import StateLocation, open_backend
from router.state.lease import Lease, LeaseKeeper
from tests.helpers.cli import Project

ROUTE = "get-api-users-id"
LEASE = f"progressive-{ROUTE}"


def _keeper() -> LeaseKeeper:
    backend = open_backend(StateLocation("team-state", "shop"), AwsContext(region="us-east-1"))
    return LeaseKeeper(backend.bucket, backend.location)


class LeaseWatcher:
    """A checker that passes every step and notes the leases live at each check."""

    def __init__(self) -> None:
        self.seen: list[list[Lease]] = []

    def check(self, request: CheckRequest) -> CheckResult:
        now = datetime.now(UTC).timestamp()
        self.seen.append([lease for lease in _keeper().leases() if lease.alive(now)])
        start = int(request.since.timestamp() * 1000)
        return CheckResult(Verdict.PASS, request.mode, (start, start + 1000), 80, 80)


@pytest.fixture
def watcher(project: Project, s3_env: None) -> LeaseWatcher:
    assert project.run("state", "push").exit_code == 0
    checker, now = LeaseWatcher(), [datetime.now(UTC)]

    def sleep(seconds: float) -> None:
        now[0] += timedelta(seconds=seconds)

    project.wiring = Wiring(
        lambda path: Factory(path, clock=lambda: now[0], sleep=sleep, checker=checker)
    )
    return checker


def _promote(project: Project, *args: str) -> Result:
    return project.run("route", "promote", ROUTE, "-f", project.handler, *args)


def test_the_run_holds_its_lease_at_every_step_and_releases_it(
    project: Project, watcher: LeaseWatcher
) -> None:
    done = _promote(project, "--steps", "50,100", "--interval", "5s", "--json")
    assert done.exit_code == 0, done.output
    assert len(watcher.seen) == 2
    for live in watcher.seen:
        assert [(lease.name, lease.operation) for lease in live] == [
            (LEASE, f"progressive promotion of {ROUTE}")
        ]
    now = datetime.now(UTC).timestamp()
    assert not any(lease.alive(now) for lease in _keeper().leases())


def test_a_second_run_is_refused_naming_the_live_holder(
    project: Project, watcher: LeaseWatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIGRATE_USER", "alice")
    _keeper().acquire(LEASE, f"progressive promotion of {ROUTE}")
    for args in (("--steps", "50,100"), ("--resume",)):
        refused = _promote(project, *args)
        assert refused.exit_code == 1, refused.output
        assert f"lease '{LEASE}' held by alice" in refused.output
    assert watcher.seen == []
    routes = json.loads(project.run("routes", "--json").stdout)
    assert routes["routes"][0]["target"] == "legacy"


def test_a_bad_lease_ttl_is_exit_2(
    project: Project, s3_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MIGRATE_LEASE_TTL", "soon")
    result = project.run("lock", "status")
    assert result.exit_code == 2 and "MIGRATE_LEASE_TTL" in result.output
