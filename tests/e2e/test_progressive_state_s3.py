"""A progressive run on the S3 state backend whose holder is killed, then resumed by
another operator from another working copy: real ``migrate`` processes against a
serial moto server (``serial_moto``), with access-log traffic played by a thread at
the weight the backend's manifest holds (``tests.helpers.traffic``).

Alice's run (``--steps 50,100``) is SIGKILLed while it waits at 50%. Its lease
``progressive-<route>`` outlives it until it expires (``MIGRATE_LEASE_TTL``): ``migrate
lock status`` names her process, and Bob's ``--resume`` is refused naming her. Once it
expired, Bob's ``--resume`` takes the run over and completes it; the history holds the
run's entries by both. A live run whose lease Bob breaks stops at its next tick.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import PIPE
from typing import Any

import httpx
import pytest

from router.aws.session import AwsContext
from router.local import child_env, local_aws_env
from router.manifest.store import parse_manifest
from router.state import S3Backend, StateLocation, open_backend
from router.state.lease import LeaseKeeper
from tests.helpers.e2e import REGION, moto_client, run_migrate, write_manifest
from tests.helpers.traffic import ROUTE, Traffic

pytestmark = pytest.mark.e2e

BUCKET, PREFIX = "team-state", "shop"
HANDLER = "migrated_functions.users.get_user"
LEASE = f"progressive-{ROUTE['id']}"
# renewed every 20/3 s: at least 13 s left after the kill for two commands (10 s at load 5)
TTL_S = 20


def _backend(moto: str) -> S3Backend:
    ctx = AwsContext(
        region=REGION, endpoint_url=moto, client_factory=lambda s: moto_client(moto, s)
    )
    return open_backend(StateLocation(BUCKET, PREFIX), ctx)


@pytest.fixture
def copies(serial_moto: str, tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """Two working copies of one project whose state is on a fresh versioned bucket."""
    httpx.post(f"{serial_moto}/moto-api/reset", timeout=10).raise_for_status()
    s3 = moto_client(serial_moto, "s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    api = {"name": f"prog-{uuid.uuid4().hex[:8]}", "stage": "prod", "region": REGION}
    for name in ("alice", "bob"):
        (tmp_path / name).mkdir()
        write_manifest(tmp_path / name, "http://127.0.0.1:5000", [ROUTE], api=api)
    env = child_env(local_aws_env(serial_moto, REGION))
    env.update(MIGRATE_STATE=f"s3://{BUCKET}/{PREFIX}", MIGRATE_LEASE_TTL=str(TTL_S))
    pushed = run_migrate("state", "push", cwd=tmp_path / "alice", env=_as("alice", env))
    assert pushed.returncode == 0, pushed.stderr
    return tmp_path / "alice", tmp_path / "bob", env


@pytest.fixture
def traffic(copies: tuple[Path, Path, dict[str, str]], serial_moto: str) -> Iterator[None]:
    backend = _backend(serial_moto)

    def weight() -> int:
        head = backend.require_head()
        return parse_manifest(Path("state"), head.text).model.routes[0].effective_weight

    thread = Traffic(copies[0] / "migration.yaml", serial_moto, 1.0, weight=weight)
    thread.start()
    yield
    thread.stop.set()
    thread.join(timeout=5)


def _as(user: str, env: dict[str, str]) -> dict[str, str]:
    return {**env, "MIGRATE_USER": user}


def _migrate(*args: str) -> list[str]:
    return [sys.executable, "-m", "migrate_cli", *args]


def _promote(*args: str) -> list[str]:
    return _migrate("route", "promote", ROUTE["id"], *args, "--json")


def _wait(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _waiting_at_50(backend: S3Backend) -> bool:
    """The run started (its first step recorded) and holds no ``state`` lease."""
    started = any(e.action == "progressive" for e in backend.entries())
    now = time.time()
    keeper = LeaseKeeper(backend.bucket, backend.location)
    return started and not any(x.name == "state" and x.alive(now) for x in keeper.leases())


def _json(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def _start_and_kill(alice: Path, env: dict[str, str], backend: S3Backend) -> int:
    """Alice's run, SIGKILLed while it waits at 50%; its pid."""
    args = _promote("-f", HANDLER, "--steps", "50,100", "--interval", "3s")
    with (alice / "run.log").open("w") as log:
        proc = subprocess.Popen(args, cwd=alice, env=_as("alice", env), stdout=log, stderr=log)
    try:
        _wait(lambda: proc.poll() is None and _waiting_at_50(backend), "the run at 50%")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    return proc.pid


@pytest.mark.usefixtures("traffic")
def test_a_killed_run_is_resumed_by_another_operator_once_its_lease_expired(
    copies: tuple[Path, Path, dict[str, str]], serial_moto: str
) -> None:
    alice, bob, env = copies
    backend = _backend(serial_moto)
    pid = _start_and_kill(alice, env, backend)
    status, refused = _together(bob, _as("bob", env), ["lock", "status"], _promote("--resume"))
    lease = _lease(status)
    assert (lease["name"], lease["holder"], lease["pid"], lease["alive"]) == (
        LEASE, "alice", pid, True,
    )  # fmt: skip
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert f"lease '{LEASE}' held by alice" in refused.stderr
    [run] = [x for x in LeaseKeeper(backend.bucket, backend.location).leases() if x.name == LEASE]
    time.sleep(max(0.0, run.expiry - time.time()))
    resumed = subprocess.run(_promote("--resume"), cwd=bob, env=_as("bob", env),
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    summary = _json(resumed)
    assert (summary["outcome"], summary["weight"]) == ("completed", 100)
    history, status = _together(alice, _as("alice", env), ["history"], ["lock", "status"])
    _assert_history(_json(history))
    assert (_lease(status)["holder"], _lease(status)["alive"]) == ("bob", False)


def _together(
    cwd: Path, env: dict[str, str], *commands: list[str]
) -> list[subprocess.CompletedProcess[str]]:
    """``migrate`` commands run at once (``--json``; a full argv runs as given)."""
    argvs = [c if c[0] == sys.executable else _migrate(*c, "--json") for c in commands]
    procs = [
        subprocess.Popen(a, cwd=cwd, env=env, stdout=PIPE, stderr=PIPE, text=True) for a in argvs
    ]
    done = []
    for argv, proc in zip(argvs, procs, strict=True):
        out, err = proc.communicate(timeout=60)
        done.append(subprocess.CompletedProcess(argv, proc.returncode, out, err))
    return done


def _lease(status: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    [lease] = [x for x in _json(status) if x["name"] == LEASE]
    return dict(lease)


def _assert_history(history: list[dict[str, Any]]) -> None:
    run = [e for e in history if e["action"] == "progressive"]
    assert len({e["details"]["run_id"] for e in run}) == 1
    events = [(e["user"], e["details"]["event"]) for e in run]
    assert events[0] == ("alice", "start")
    assert ("bob", "step") in events and events[-1] == ("bob", "end")
    assert run[-1]["details"]["outcome"] == "completed"
    moves = [(e["user"], e["after"]["weight"]) for e in history if e["action"] == "promote"]
    assert moves == [("alice", 50), ("bob", 100)]  # 50% again changed nothing


@pytest.mark.usefixtures("traffic")
def test_a_run_whose_lease_is_broken_stops_at_its_next_step(
    copies: tuple[Path, Path, dict[str, str]], serial_moto: str
) -> None:
    """Bob breaks the lease of alice's live run while it waits at 50%: her renewal
    finds it broken, and the run stops at its next tick (exit 1, saying so), journals
    nothing more and leaves the route at 50%."""
    alice, bob, env = copies
    backend = _backend(serial_moto)
    args = _promote("-f", HANDLER, "--steps", "50,100", "--interval", "60s")
    proc = subprocess.Popen(args, cwd=alice, env=_as("alice", env), stdout=PIPE, stderr=PIPE,
                            text=True)  # fmt: skip
    try:
        _wait(lambda: proc.poll() is None and _waiting_at_50(backend), "the run at 50%")
        broken = run_migrate("lock", "break", LEASE, "--reason", "stuck?", cwd=bob,
                             env=_as("bob", env))  # fmt: skip
        assert broken.returncode == 0, broken.stderr
        _, err = proc.communicate(timeout=TTL_S)  # renewal every TTL_S / 3
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 1, err
    said = " ".join(err.split())
    assert f"lease '{LEASE}' was broken (`migrate lock break`)" in said, err
    assert f"this progressive promotion of {ROUTE['id']} stops here" in said, err
    history = _json(run_migrate("history", "--json", cwd=bob, env=_as("bob", env)))
    run = [e["details"]["event"] for e in history if e["action"] == "progressive"]
    assert run and "end" not in run  # nothing journaled after the loss: resumable
    assert [e["user"] for e in history if e["action"] == "lock-break"] == ["bob"]
    moves = [e["after"]["weight"] for e in history if e["action"] == "promote"]
    assert moves == [50]
