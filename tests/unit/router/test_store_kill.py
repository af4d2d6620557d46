"""Kill tests: SIGKILLs at random moments of promote/rollback lose no revision.

The big one forks children from this process (which has imported everything once)
that loop promote/rollback through the CLI's own wiring (``Factory.route_service``),
and kills each after a random delay; the small one kills real ``migrate`` processes.
Afterwards the manifest loads, the history is JSONL and lists every revision once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from migrate_cli.factory import Factory
from router.history import history_path_for
from router.manifest.store import ManifestStore, load_manifest
from router.routes import check_handler

ROUTES = 4
REPO = Path(__file__).resolve().parents[3]  # where ``python -m tests...`` finds the driver
MANIFEST = """\
version: 1
revision: 0
api: {name: shop, stage: prod, region: eu-west-1}
legacy: {url: "http://127.0.0.1:5000"}
routes:
"""


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "migration.yaml"
    routes = "".join(f"  - {{id: r{i}, method: GET, path: /r/{i}}}\n" for i in range(ROUTES))
    path.write_text(MANIFEST + routes)
    (tmp_path / "kill_handlers.py").write_text("def fn(event, context):\n    return {}\n")
    return path


def _churn(manifest: Path, seed: int) -> None:
    """Promote a random route to a random weight or roll it back, forever (until killed)."""
    rng = random.Random(seed)
    service = Factory(manifest).route_service()
    while True:
        route = f"r{rng.randrange(ROUTES)}"
        if rng.random() < 0.7:
            weight = rng.randint(1, 100)
            service.promote(route, function="kill_handlers.fn", weight=weight, reason=None)
        else:
            service.rollback([route], reason="kill test")


def _fork_and_kill(manifest: Path, seed: int, delay: float) -> int:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child, killed while it churns
        try:
            _churn(manifest, seed)
        finally:
            os._exit(1)
    time.sleep(delay)  # the random moment of the kill
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return os.WTERMSIG(status) if os.WIFSIGNALED(status) else -os.WEXITSTATUS(status)


def assert_every_revision_once(manifest: Path) -> int:
    """The reader lists revisions 1..current, each once; returns current."""
    revision = load_manifest(manifest).model.revision
    listed = [e.revision for e in ManifestStore(manifest).history.entries()]
    assert sorted(listed) == list(range(1, revision + 1))
    return revision


def assert_jsonl(manifest: Path) -> None:
    for line in history_path_for(manifest).read_text(encoding="utf-8").splitlines():
        assert isinstance(json.loads(line), dict), line


@pytest.mark.slow
def test_a_thousand_kills_during_promote_and_rollback_lose_no_revision(manifest: Path) -> None:
    """The kills run in a lean driver process (``main`` below): forking the test
    runner itself, grown by a whole suite, costs more than the edits being killed."""
    driver = subprocess.run(
        [sys.executable, "-m", __name__, str(manifest), "1000"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(manifest.parent)},
    )
    assert driver.returncode == 0, driver.stderr
    assert json.loads(driver.stdout) == {"kills": 1000, "killed_by_sigkill": 1000}
    revision = assert_every_revision_once(manifest)
    assert revision >= 50, "too few changes were committed to exercise the kills"
    ManifestStore(manifest).recover()  # what the next command does first
    assert_jsonl(manifest)
    assert assert_every_revision_once(manifest) == revision


def _one_change_takes(manifest: Path) -> float:
    """Seconds from fork to the end of one promote on this machine, as it is loaded now."""
    times = []
    for n in range(3):
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                service = Factory(manifest).route_service()
                service.promote("r0", function="kill_handlers.fn", weight=n + 1, reason=None)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        times.append(time.monotonic() - start)
    return sorted(times)[1]


def main(manifest: Path, kills: int) -> None:
    """Fork ``kills`` churning children, each SIGKILLed after a random delay.

    The delays span 1.2 times what one change takes here (timed first), so the kills
    land before, inside and after commits however loaded the machine is.
    """
    check_handler("kill_handlers.fn", search_path=manifest.parent)  # imported once, here
    rng = random.Random(1012)
    span = 1.2 * _one_change_takes(manifest)
    signals = []
    for n in range(kills):
        signals.append(_fork_and_kill(manifest, n, rng.uniform(0.0, span)))
        if n % 100 == 99:  # readers are right between crashes, before any recovery
            assert_every_revision_once(manifest)
    killed = signals.count(signal.SIGKILL)
    print(json.dumps({"kills": len(signals), "killed_by_sigkill": killed}))


@pytest.mark.slow
def test_killed_migrate_processes_lose_no_revision(manifest: Path) -> None:
    """20 real ``migrate`` processes, four at a time, 16 of them killed at random moments.

    A first batch of four runs to the end and times a command on this machine, so
    the kills land around the commit however loaded the machine is.
    """
    rng = random.Random(20)
    started = time.monotonic()
    assert [p.wait(timeout=120) for p in _migrate_batch(manifest, rng)] == [0] * 4
    took = time.monotonic() - started
    codes = []
    for _ in range(4):
        procs = _migrate_batch(manifest, rng)
        time.sleep(rng.uniform(0.3, 1.2) * took)  # the random moment of the kill
        for proc in procs:
            proc.kill()
            codes.append(proc.wait(timeout=30))
    assert -signal.SIGKILL in codes, "every command ended before its kill"
    assert_every_revision_once(manifest)
    ManifestStore(manifest).recover()
    assert_jsonl(manifest)
    assert_every_revision_once(manifest)


def _migrate_batch(manifest: Path, rng: random.Random) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "MIGRATE_MANIFEST": str(manifest), "PYTHONPATH": str(manifest.parent)}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "migrate_cli", *_command(rng)],
            env=env,
            cwd=manifest.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(4)
    ]


def _command(rng: random.Random) -> list[str]:
    """A promote to a random weight (a change unless the weight is the same) or a rollback."""
    route = f"r{rng.randrange(ROUTES)}"
    if rng.random() < 0.7:
        weight = str(rng.randint(1, 100))
        return ["route", "promote", route, "-f", "kill_handlers.fn", "-w", weight, "--force"]
    return ["rollback", route, "--reason", "kill test"]


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
