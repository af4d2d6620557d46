"""A gateway killed with SIGKILL leaves its environments' temp directories (and its builds'
scratch directories) behind; the next ``migrate serve`` removes them, and only them: a
live gateway's stay. Real gateway processes, real workers, loopback HTTP."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import httpx
import pytest

from router.local import free_port
from router.local.process import ManagedProcess
from router.owners import process_tag
from tests.e2e.lambda_runtime.test_serve_isolated import _children
from tests.helpers.e2e import write_manifest

pytestmark = pytest.mark.e2e

HANDLER = """\
import json, os, tempfile


def handler(event, context):
    with open(os.path.join(tempfile.gettempdir(), "written.txt"), "w") as file:
        file.write("x")
    return {"statusCode": 200, "body": json.dumps({"tmp": tempfile.gettempdir()})}
"""
ROUTES = [{"id": "tmp", "method": "GET", "path": "/tmp", "target": "lambda",
           "function": "leftover.fn.handler"}]  # fmt: skip


def _project(root: Path) -> Path:
    (root / "leftover").mkdir()
    (root / "leftover" / "__init__.py").write_text("")
    (root / "leftover" / "fn.py").write_text(HANDLER)
    return write_manifest(root, f"http://127.0.0.1:{free_port()}", ROUTES)


def _serve(manifest: Path, env: dict[str, str], started: list[ManagedProcess]) -> ManagedProcess:
    port = free_port()
    argv = [sys.executable, "-m", "migrate_cli", "serve", "--port", str(port),
            "--manifest", str(manifest), "--grace", "2"]  # fmt: skip
    proc = ManagedProcess("gateway", argv, f"http://127.0.0.1:{port}/health", env=env,
                          cwd=manifest.parent, ready=lambda status: True,
                          log_path=manifest.parent / f"gateway-{port}.log")  # fmt: skip
    started.append(proc)
    return proc.launch(60)


def _environment_tmp(gateway: ManagedProcess) -> Path:
    """The temp directory of the environment that answered (the handler wrote into it)."""
    answer = httpx.get(gateway.ready_url.replace("/health", "/tmp"), timeout=30)
    assert answer.status_code == 200, answer.text
    tmp = Path(json.loads(answer.text)["tmp"])
    assert (tmp / "written.txt").is_file()
    return tmp


def _kill(tags: dict[int, str | None]) -> None:
    """SIGKILL each process still running as recorded (pid and start time), wait for it."""
    for pid, tag in tags.items():
        if tag is not None and process_tag(pid) == tag:
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(tag is not None and process_tag(pid) == tag for pid, tag in tags.items()):
        assert time.monotonic() < deadline, "a killed gateway's worker did not end"
        time.sleep(0.05)


def _scratch(cache: Path, gateway: ManagedProcess) -> Path:
    """A scratch directory as a build of ``gateway`` leaves it when killed mid-way."""
    assert gateway.pid is not None
    path = cache / "code" / f".extract-{process_tag(gateway.pid)}-a1b2c3"
    (path / "pkg").mkdir(parents=True)
    return path


def test_the_next_serve_removes_a_killed_gateways_directories_only(tmp_path: Path) -> None:
    manifest, tmps, cache = _project(tmp_path), tmp_path / "tmp", tmp_path / "cache"
    tmps.mkdir()
    env = {**os.environ, "TMPDIR": str(tmps), "STRANGLER_LOCAL_CACHE": str(cache)}
    started: list[ManagedProcess] = []
    orphans: dict[int, str | None] = {}
    try:
        killed, live = _serve(manifest, env, started), _serve(manifest, env, started)
        killed_tmp, live_tmp = _environment_tmp(killed), _environment_tmp(live)
        killed_scratch, live_scratch = _scratch(cache, killed), _scratch(cache, live)
        assert killed.pid is not None
        orphans = {pid: process_tag(pid) for pid in _children(killed.pid)}
        assert orphans  # its worker, in a session of its own: not in the gateway's group
        os.kill(killed.pid, signal.SIGKILL)
        killed.stop()  # reaps it and stops what is left of its process group
        _kill(orphans)
        assert killed_tmp.is_dir() and killed_scratch.is_dir()  # nobody removed them
        again = _serve(manifest, env, started)
        assert not killed_tmp.exists() and not killed_scratch.exists()
        assert live_tmp.is_dir() and live_scratch.is_dir()
        assert _environment_tmp(live) == live_tmp  # still its warm environment's
        assert (
            "removed 1 Lambda environment temp directory and 1 build scratch directory"
            in again.log_path.read_text()
        )
    finally:
        for proc in started:
            proc.stop()
        _kill(orphans)
    assert not list(tmps.iterdir())  # the live gateways removed theirs when stopped
