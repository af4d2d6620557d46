"""Fixtures of Manifest objects for the router unit tests (builders: tests.helpers.manifests)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from router.manifest.model import Manifest
from tests.helpers.manifests import build_manifest


@pytest.fixture
def make_manifest() -> Callable[..., Manifest]:
    return build_manifest
