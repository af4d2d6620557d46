"""Fixtures for the ``migrate`` CLI tests: a scratch project (``tests.helpers.cli``)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from tests.helpers.cli import MANIFEST, Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    proj = Project(tmp_path)
    proj.manifest.write_text(MANIFEST)
    pkg = tmp_path / proj.package
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "users.py").write_text(
        textwrap.dedent(
            """
            def get_user(event, context):
                return {"statusCode": 200, "body": "{}"}

            NOT_CALLABLE = 3
            """
        )
    )
    return proj


@pytest.fixture
def run(project: Project) -> Callable[..., Result]:
    return project.run
