"""``migrate plan`` / ``apply`` for real AWS refuse a private legacy.url: exit 2, the
field and the fix named, nothing read or changed; a local endpoint allows it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from migrate_cli.main import app
from tests.helpers.cli import Project


@pytest.mark.parametrize("command", [["plan"], ["apply", "--yes"]])
def test_private_legacy_url_is_refused_for_real_aws(
    project: Project, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # real AWS
    before = project.manifest.read_bytes()
    env = {"MIGRATE_MANIFEST": str(project.manifest), "MIGRATE_USER": "tester"}
    result = CliRunner().invoke(app, command, env=env)
    assert result.exit_code == 2, result.output
    assert "legacy.url 'http://127.0.0.1:5000'" in result.output
    assert "loopback" in result.output and "legacy.vpc_link" in result.output
    assert project.manifest.read_bytes() == before
    assert not (project.root / "migration.state.json").exists()
