"""`migrate demo`: the README's first command, end to end on real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from router.build import CACHE_ENV

pytestmark = [pytest.mark.e2e, pytest.mark.exclusive]


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline:
            found.append(int(entry.name))
    return found


def test_demo_runs_the_whole_workflow_and_leaves_nothing_behind(tmp_path: Path) -> None:
    """As on a new machine: nothing cached, so the demo installs the handlers' layer
    first (a stage of its own) and no later stage waits for it."""
    workdir = tmp_path / "demo"
    cold = {**os.environ, CACHE_ENV: str(tmp_path / "empty-cache")}
    result = subprocess.run(
        [sys.executable, "-m", "migrate_cli", "demo", "--workdir", str(workdir), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env=cold,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads(result.stdout)  # the narration goes to stderr with --json
    assert "first run on this machine: installing" in result.stderr
    assert "rolled-back" in result.stderr
    assert summary["ok"] is True and summary["failed_requests"] == 0
    assert summary["outcomes"] == {
        "users-shadow": "parity",
        "users": "completed",
        "users-compare": "pass",
        "products": "rolled-back",
    }
    for report in summary["reports"]:
        assert "<html" in Path(report).read_text().lower()
    assert _processes_mentioning(str(workdir)) == []


@pytest.mark.slow
def test_demo_on_an_s3_state_backend_names_it_and_runs_every_stage_on_it(tmp_path: Path) -> None:
    """`--state`: the same outcomes with the state on moto's S3 (the layer is cached by
    the session, so no install): the gateway followed each revision the stages made,
    and the summary names the backend with the revisions and history it holds."""
    workdir = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MIGRATE_STATE"))}
    argv = [sys.executable, "-m", "migrate_cli", "demo", "--workdir", str(workdir), "--json"]
    result = subprocess.run(
        [*argv, "--state", "s3://demo-state/shop"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["ok"] is True and summary["failed_requests"] == 0
    assert set(summary["outcomes"].values()) == {"parity", "completed", "pass", "rolled-back"}
    # init 1; shadow on, off 2-3; users 50%, 100% 4-5; products 50% 6, rolled back 7
    state = summary["state"]
    assert (state["backend"], state["revision"]) == ("s3://demo-state/shop", 7)
    assert state["history_entries"] > 7  # the revisions' entries and the runs' journals
    followed = (workdir / "gateway.log").read_text()
    for revision in range(2, 8):
        assert f"s3://demo-state/shop: revision {revision} written to" in followed
    assert "revision: 7" in (workdir / "migration.yaml").read_text()
    assert "state on S3: s3://demo-state/shop" in result.stderr
    assert _processes_mentioning(str(workdir)) == []
