"""The ``project`` fixture of the shadow unit tests (builders: ``tests.helpers.shadow``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.shadow import Project, shadow_project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return shadow_project(tmp_path)
