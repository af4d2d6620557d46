"""A state backend on the local stack's moto server (``migrate up --state``, the demo).

``seed_local_backend`` creates the bucket with versioning on and, when the backend
holds no manifest yet, pushes the project's (``transfer.push``: its history, deploy
state, baselines and shadow reports with it). This module must never create a bucket
on real AWS: it refuses any endpoint that is not loopback.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from router.aws.session import AwsContext
from router.aws.state_s3 import StateBucket
from router.errors import UsageError
from router.state.backend import S3Backend
from router.state.location import StateLocation
from router.state.setup import open_backend
from router.state.transfer import push

__all__ = ["LOOPBACK", "local_backend", "seed_local_backend"]

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def local_backend(location: StateLocation, endpoint: str, region: str) -> S3Backend:
    """The backend on the local endpoint, its bucket created with versioning on."""
    host = urlsplit(endpoint).hostname
    if host not in LOOPBACK:
        raise UsageError(
            f"{endpoint}: not a local AWS endpoint; a state bucket is created only on the "
            "local stack's moto server",
            hint="create a real bucket (with versioning on) yourself: `migrate state policy`",
        )
    ctx = AwsContext.local(endpoint, region)
    StateBucket(ctx, location.bucket).create_versioned(region)
    return open_backend(location, ctx)


def seed_local_backend(
    location: StateLocation, manifest: Path, endpoint: str, region: str
) -> S3Backend:
    """``local_backend``, with ``manifest`` pushed when the backend holds none."""
    backend = local_backend(location, endpoint, region)
    if backend.head() is None:
        push(manifest, backend)
    return backend
