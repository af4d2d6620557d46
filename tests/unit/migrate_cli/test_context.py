"""``migrate_cli.context``: commands build their collaborators through the caller's factory."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from migrate_cli.context import Wiring
from migrate_cli.factory import Factory
from migrate_cli.main import app
from tests.helpers.cli import Project


def test_without_wiring_a_command_builds_a_plain_factory(project: Project) -> None:
    result = CliRunner().invoke(app, ["routes", "--json", "-m", str(project.manifest)])
    assert result.exit_code == 0, result.output
    assert '"get-api-users-id"' in result.stdout


def test_the_callers_wiring_builds_every_factory_of_the_command(project: Project) -> None:
    built: list[Path] = []

    def factory(path: Path) -> Factory:
        built.append(path)
        return Factory(path)

    args = ["routes", "--json", "-m", str(project.manifest)]
    result = CliRunner().invoke(app, args, obj=Wiring(factory))
    assert result.exit_code == 0, result.output
    assert built == [project.manifest]
