"""Builders of ``Manifest`` objects and route dicts for the router and gateway tests.

This module must not touch files: it builds models in memory only.
"""

from __future__ import annotations

import re
from typing import Any

from router.manifest.model import Manifest

__all__ = ["LEGACY_URL", "build_manifest", "lambda_route", "route"]

LEGACY_URL = "http://legacy.example.com:8000"


def route(method: str, path: str, **fields: Any) -> dict[str, Any]:
    """A route dict with an id derived from method and path (``get-api-users-id``)."""
    words = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "root"
    return {"id": f"{method.lower()}-{words}", "method": method, "path": path, **fields}


def lambda_route(method: str, path: str, **fields: Any) -> dict[str, Any]:
    """A route on Lambda; ``weight`` in ``fields`` makes it a canary."""
    handler = f"migrated_functions.{route(method, path)['id'].replace('-', '_')}.handler"
    return route(method, path, target="lambda", function=handler, **fields)


def build_manifest(routes: list[dict[str, Any]] | None = None, **top: Any) -> Manifest:
    """A valid Manifest; ``top`` overrides top-level sections (api, legacy, defaults)."""
    data: dict[str, Any] = {"legacy": {"url": LEGACY_URL}, "routes": routes or []}
    data.update(top)
    return Manifest.model_validate(data)
