"""End-to-end: ``migrate serve --in-process`` ends within its grace period after SIGTERM,
whatever a Lambda handler does: hang in its thread, or start a non-daemon thread of its
own. (The isolated runtime's workers are processes, killed after the grace:
``tests/e2e/lambda_runtime``.)"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from router.local import ManagedProcess, child_env
from router.local.process import group_pids, pid_alive
from router.manifest.model import Manifest
from router.manifest.store import dump_manifest
from tests.helpers.polling import wait_until

pytestmark = pytest.mark.e2e
GRACE_S = 1.0
HANDLERS = """
import threading
from pathlib import Path


def ok(event, context):
    return {"statusCode": 200, "body": "ok"}


def hang(event, context):
    Path(__file__).with_name("hang.started").touch()
    threading.Event().wait()


def spawn(event, context):
    threading.Thread(target=threading.Event().wait, name="spawned-by-handler").start()
    return {"statusCode": 200, "body": "spawned"}
"""


ANNOUNCE = re.compile(r"gateway listening on http://127\.0\.0\.1:(\d+)")


@pytest.fixture
def started() -> Iterator[list[ManagedProcess]]:
    procs: list[ManagedProcess] = []
    yield procs
    for proc in procs:
        proc.stop()  # SIGTERM, then SIGKILL: never left running


def serve(tmp_path: Path, procs: list[ManagedProcess]) -> tuple[str, Path]:
    (tmp_path / "hangers.py").write_text(HANDLERS, encoding="utf-8")
    routes = [
        {"id": name, "method": "GET", "path": f"/{name}", "target": "lambda",
         "function": f"hangers.{name}"}
        for name in ("ok", "hang", "spawn")
    ]  # fmt: skip
    dead = "http://127.0.0.1:9"  # discard port: no legacy route is called
    manifest = Manifest.model_validate({"legacy": {"url": dead}, "routes": routes})
    path = tmp_path / "migration.yaml"
    path.write_text(dump_manifest(manifest), encoding="utf-8")
    argv = [sys.executable, "-m", "migrate_cli", "serve", "--port", "0",
            "--manifest", str(path), "--grace", str(GRACE_S), "--in-process"]  # fmt: skip
    log = tmp_path / "gateway.log"
    proc = ManagedProcess(
        "gateway", argv, "http://127.0.0.1:{port}/ok", announce=ANNOUNCE,
        env=child_env(DATABASE_URL="sqlite://"), cwd=tmp_path, log_path=log,
    )  # fmt: skip
    procs.append(proc)
    proc.launch(30.0)
    return f"http://127.0.0.1:{proc.port}", log


def wait_for(path: Path, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.02)


def reload_helper(pid: int) -> int:
    """The pid of the gateway's reload helper (started with the server, in its group)."""

    def helper() -> int | None:
        for member in group_pids(pid):
            with contextlib.suppress(OSError):
                if b"router.gateway._build_main" in Path(f"/proc/{member}/cmdline").read_bytes():
                    return member
        return None

    return wait_until(helper, "the reload helper")


def exits_within_grace(proc: ManagedProcess, log: Path) -> None:
    """SIGTERM: the gateway and its reload helper end within the grace period."""
    assert proc.pid is not None
    helper = reload_helper(proc.pid)
    sent = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    while proc.running and time.monotonic() - sent < GRACE_S + 5:
        time.sleep(0.02)
    if proc.running:
        pytest.fail(f"still running {GRACE_S + 5:g} s after SIGTERM:\n{log.read_text()}")
    code, took = proc.returncode, time.monotonic() - sent
    assert code == 0, log.read_text()
    assert not pid_alive(helper)
    assert took < GRACE_S + 2.0, f"took {took:.2f} s"


def test_sigterm_ends_the_gateway_with_a_hung_handler(
    tmp_path: Path, started: list[ManagedProcess]
) -> None:
    url, log = serve(tmp_path, started)

    def call() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the gateway goes away under it
            httpx.get(f"{url}/hang", timeout=GRACE_S + 5)

    client = threading.Thread(target=call, daemon=True)
    client.start()
    wait_for(tmp_path / "hang.started")
    exits_within_grace(started[0], log)
    assert "still running: lambda" in log.read_text()
    client.join(5)


def test_sigterm_ends_the_gateway_when_a_handler_left_a_thread(
    tmp_path: Path, started: list[ManagedProcess]
) -> None:
    url, log = serve(tmp_path, started)
    assert httpx.get(f"{url}/spawn", timeout=5).text == "spawned"
    exits_within_grace(started[0], log)
    assert "spawned-by-handler" in log.read_text()
