"""S3 as the team state store: conditional object writes, reads, listings, bucket checks.

Every write is a compare-and-swap: ``PutObject`` with ``IfMatch`` (the ETag read) to
replace an object, ``IfNoneMatch: *`` to create one. S3 answers 412
``PreconditionFailed`` (or 409 ``ConditionalRequestConflict`` while another
conditional write to the key is in flight) when the object changed: both become
``StateConflict``, which callers re-read after. Objects are written with server-side
encryption (SSE-S3, or SSE-KMS with the key named). Access denied, a missing bucket
and an unreachable endpoint become ``StateBackendError`` (bad configuration, exit 2).

This module knows the S3 API only: it must not know what the objects hold (see
``router.state``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from router.aws.session import AwsContext, aws_errors, error_code
from router.errors import AWSError, StateBackendError, StateConflict

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["Encryption", "StateBucket", "StoredObject", "Unchanged"]

_CONFLICTS = {"PreconditionFailed", "ConditionalRequestConflict"}
_MISSING = {"NoSuchKey", "404", "NotFound"}
_NOT_MODIFIED = {"304", "NotModified"}
_OWNED = {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}
_DENIED = {"AccessDenied", "AllAccessDisabled", "403", "InvalidAccessKeyId"}
_ENABLE_VERSIONING = (
    "aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled"
)


@dataclass(frozen=True)
class StoredObject:
    """An object's bytes and the ETag to pass back as ``IfMatch``."""

    body: bytes
    etag: str


class Unchanged(Enum):
    """``get_changed``'s answer when the object still has the ETag given."""

    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Encryption:
    """SSE-S3 (``kms_key`` None) or SSE-KMS with that key id, alias or ARN."""

    kms_key: str | None = None

    def put_args(self) -> dict[str, str]:
        if self.kms_key is None:
            return {"ServerSideEncryption": "AES256"}
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key}


class StateBucket:
    """One bucket's objects, typed; ``ClientError`` mapped to project errors."""

    def __init__(
        self, ctx: AwsContext, bucket: str, *, encryption: Encryption | None = None
    ) -> None:
        self._ctx = ctx
        self.bucket = bucket
        self._encryption = encryption or Encryption()

    @property
    def _client(self) -> S3Client:
        return self._ctx.client("s3")

    def get(self, key: str, version_id: str | None = None) -> StoredObject | None:
        """The object at ``key`` (that version of it), or None when there is none."""
        version: dict[str, Any] = {"VersionId": version_id} if version_id else {}
        with self._errors(f"read s3://{self.bucket}/{key}"):
            try:
                answer = self._client.get_object(Bucket=self.bucket, Key=key, **version)
            except botocore.exceptions.ClientError as exc:
                if error_code(exc) in _MISSING:
                    return None
                raise
            return StoredObject(answer["Body"].read(), answer["ETag"])

    def get_changed(self, key: str, etag: str | None) -> StoredObject | Unchanged | None:
        """The object at ``key`` unless it still has ``etag`` (a conditional ``GetObject``,
        ``IfNoneMatch``: S3 answers 304 and no body), or None when there is none."""
        condition: dict[str, Any] = {"IfNoneMatch": etag} if etag else {}
        with self._errors(f"read s3://{self.bucket}/{key}"):
            try:
                answer = self._client.get_object(Bucket=self.bucket, Key=key, **condition)
            except botocore.exceptions.ClientError as exc:
                if error_code(exc) in _NOT_MODIFIED:
                    return Unchanged.UNCHANGED
                if error_code(exc) in _MISSING:
                    return None
                raise
            return StoredObject(answer["Body"].read(), answer["ETag"])

    def put(self, key: str, body: bytes, *, if_match: str | None = None) -> str:
        """Write ``key`` only if it is still ``if_match`` (None: only if it is absent).

        Returns the new ETag; ``StateConflict`` when the condition does not hold.
        """
        condition = {"IfMatch": if_match} if if_match is not None else {"IfNoneMatch": "*"}
        args: dict[str, Any] = {**condition, **self._encryption.put_args()}
        with self._errors(f"write s3://{self.bucket}/{key}"):
            try:
                answer = self._client.put_object(
                    Bucket=self.bucket, Key=key, Body=body, ContentType="application/json", **args
                )
            except botocore.exceptions.ClientError as exc:
                # a replaced object deleted meanwhile: S3 answers NoSuchKey to IfMatch
                gone = if_match is not None and error_code(exc) in _MISSING
                if gone or error_code(exc) in _CONFLICTS:
                    raise StateConflict(
                        f"s3://{self.bucket}/{key} changed since it was read"
                    ) from exc
                raise
            return answer["ETag"]

    def keys(self, prefix: str) -> list[str]:
        """Every key under ``prefix``, in S3's (lexicographic) order."""
        found: list[str] = []
        with self._errors(f"list s3://{self.bucket}/{prefix}"):
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                found.extend(item["Key"] for item in page.get("Contents", []))
        return found

    def versions(self, key: str) -> list[str]:
        """The version ids of ``key``, newest first (versioning keeps every write)."""
        found: list[str] = []
        with self._errors(f"list the versions of s3://{self.bucket}/{key}"):
            pages = self._client.get_paginator("list_object_versions").paginate(
                Bucket=self.bucket, Prefix=key
            )
            for page in pages:
                found.extend(
                    v["VersionId"] for v in page.get("Versions", []) if v.get("Key") == key
                )
        return found

    def check_versioning(self) -> None:
        """``StateBackendError`` (with the command that fixes it) unless versioning is on."""
        with self._errors(f"read the versioning of bucket {self.bucket}"):
            status = self._client.get_bucket_versioning(Bucket=self.bucket).get("Status")
        if status != "Enabled":
            raise StateBackendError(
                f"s3://{self.bucket}: bucket versioning is {status or 'off'}; the state "
                "backend needs it on (every revision of the state stays recoverable)",
                hint="enable it: " + _ENABLE_VERSIONING.format(bucket=self.bucket),
            )

    def create_versioned(self, region: str) -> None:
        """Create the bucket (if this identity has none of the name) with versioning on.

        For a local endpoint (``migrate up --state``): an operator creates a real bucket
        with their own policies."""
        where: dict[str, Any] = {}
        if region != "us-east-1":  # S3 refuses us-east-1 as a location constraint
            where = {"CreateBucketConfiguration": {"LocationConstraint": region}}
        with self._errors(f"create bucket {self.bucket}"):
            try:
                self._client.create_bucket(Bucket=self.bucket, **where)
            except botocore.exceptions.ClientError as exc:
                if error_code(exc) not in _OWNED:
                    raise
            self._client.put_bucket_versioning(
                Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"}
            )

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """AWS failures as ``StateBackendError``: the backend is unusable as configured."""
        try:
            with aws_errors(doing):
                yield
        except AWSError as exc:
            raise _backend_error(exc, self.bucket) from exc.__cause__


def _backend_error(exc: AWSError, bucket: str) -> StateBackendError:
    cause = exc.__cause__
    code = error_code(cause) if isinstance(cause, botocore.exceptions.ClientError) else ""
    if code in _DENIED:
        hint = (
            f"this identity lacks a permission on s3://{bucket}: "
            "`migrate state policy` prints the IAM policy an operator needs"
        )
    elif code == "NoSuchBucket":
        hint = f"create the bucket {bucket} (with versioning on) first"
    else:
        hint = exc.hint or "check MIGRATE_STATE / the manifest's `state:` and the endpoint"
    return StateBackendError(exc.message, hint=hint)
