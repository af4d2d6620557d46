"""The ``project`` fixture: one Lambda route whose requirements come from a local wheelhouse.

The builders are in ``tests.helpers.build``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.build import Project, make_project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path)
