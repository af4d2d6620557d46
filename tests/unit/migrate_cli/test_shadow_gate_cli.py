"""``migrate route promote`` after a shadow run with real mismatches: refused, then --force.

The gate itself: tests/unit/router/shadow/test_gate.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.shadow import Project, cli, shadow_project, store_run

ROUTE = "get-api-users-id"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """The shadow tests' project (handlers package, manifest), not the CLI tests' one."""
    return shadow_project(tmp_path)


def test_cli_promote_refuses_then_force_passes(project: Project) -> None:
    store_run(project, project.handler, "mismatch", "email")
    refused = cli(project, "route", "promote", ROUTE, "--function", project.handler)
    assert refused.exit_code == 1
    assert "email" in refused.output and "run-mismatch" in refused.output
    forced = cli(project, "route", "promote", ROUTE, "--function", project.handler, "--force")
    assert forced.exit_code == 0, forced.output
    assert project.store().read().routes[0].target == "lambda"
