"""Where a project's state lives: the local files (default) or an S3 location.

The setting is ``MIGRATE_STATE`` when set, else the manifest's ``state:`` field:
``local`` (the files beside the manifest) or ``s3://bucket/prefix``. A KMS key for
server-side encryption is named by ``MIGRATE_STATE_KMS_KEY`` (SSE-S3 without it).
This module must not read the manifest itself nor talk to AWS.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from router.errors import StateBackendError

__all__ = ["KMS_ENV", "STATE_ENV", "StateLocation", "parse_state_url", "state_setting"]

STATE_ENV = "MIGRATE_STATE"
KMS_ENV = "MIGRATE_STATE_KMS_KEY"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()/-]*$")


@dataclass(frozen=True)
class StateLocation:
    """An S3 location: ``key(name)`` is ``prefix/name``."""

    bucket: str
    prefix: str
    kms_key: str | None = None

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name


def parse_state_url(value: str, source: str, kms_key: str | None = None) -> StateLocation | None:
    """None for ``local``; a ``StateLocation`` for ``s3://bucket[/prefix]``; else exit 2."""
    if value.strip() in ("", "local"):
        return None
    scheme, _, rest = value.strip().partition("://")
    bucket, _, prefix = rest.partition("/")
    prefix = prefix.strip("/")
    if scheme != "s3" or not _BUCKET.match(bucket) or not _PREFIX.match(prefix):
        raise StateBackendError(
            f"{source}: {value!r} is not a state backend",
            hint="use `local` or `s3://BUCKET/PREFIX` (a bucket name: 3-63 of a-z 0-9 . -)",
        )
    return StateLocation(bucket, prefix, kms_key or None)


def state_setting(env: Mapping[str, str], manifest_state: str | None) -> StateLocation | None:
    """The backend from ``MIGRATE_STATE`` or the manifest's ``state:`` (None: local files)."""
    kms = env.get(KMS_ENV)
    if env.get(STATE_ENV):
        return parse_state_url(env[STATE_ENV], STATE_ENV, kms)
    if manifest_state:
        return parse_state_url(manifest_state, "manifest field `state`", kms)
    return None
