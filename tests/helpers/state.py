"""An S3 state backend in tests: its bucket and prefix, a moto client, a first manifest.

The fixtures (tests/unit/router/state/conftest.py) create the versioned bucket in
moto's in-process mock and the operators' stores on it. This module must not call
AWS at import time nor start a mock itself.
"""

from __future__ import annotations

from typing import Any

import boto3

from router.manifest.model import Manifest
from router.routes import RouteService
from router.state import BackendStore

__all__ = ["BUCKET", "HANDLER", "PREFIX", "ROUTES", "Operator", "initial_manifest", "s3_client"]

BUCKET, PREFIX = "team-state", "proj"
HANDLER = "migrated_functions.users.get_user"
ROUTES = [f"get-api-r{i}" for i in range(4)]

Operator = tuple[BackendStore, RouteService]


def s3_client(service: str) -> Any:
    return boto3.client(
        service, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="t"
    )


def initial_manifest() -> Manifest:
    routes = [
        {"id": rid, "method": "GET", "path": f"/api/r{i}", "function": HANDLER}
        for i, rid in enumerate(ROUTES)
    ]
    return Manifest.model_validate(
        {"legacy": {"url": "http://127.0.0.1:5000"}, "routes": routes, "revision": 3}
    )
