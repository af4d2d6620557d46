"""Typed wrapper over the S3 calls of the artifact bucket: zips too big to upload directly.

Lambda takes at most 50 MB zipped in a ``ZipFile`` (``CreateFunction``,
``UpdateFunctionCode``, ``PublishLayerVersion``); bigger packages are read from S3.
The bucket is created private (public access blocked), versioned and encrypted at
rest (SSE-S3); objects are content-addressed (their key carries their SHA-256, and
their ``sha256`` metadata holds it), so an object that is already there is never
uploaded again. botocore and boto3 errors become ``AWSError`` here. This module must
not decide which artifacts go to S3 (see ``router.deploy``), nor hold a state backend.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import botocore.exceptions

from router.aws.session import AwsContext, aws_errors, error_code
from router.errors import AWSError

__all__ = ["ArtifactBucket", "S3Location"]

_MISSING = {"404", "NoSuchBucket", "NoSuchKey", "NotFound"}
_ENCRYPTION = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
_PRIVATE = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class ArtifactBucket:
    """Read (``exists``, ``holds``) and write (``create``, ``upload``) the artifact bucket."""

    def __init__(self, ctx: AwsContext) -> None:
        self._ctx = ctx

    def exists(self, bucket: str) -> bool:
        try:
            self._ctx.client("s3").head_bucket(Bucket=bucket)
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) in _MISSING:
                return False
            with aws_errors(f"read S3 bucket {bucket!r} (another account may own the name)"):
                raise
        return True

    def holds(self, location: S3Location, sha256: str) -> bool:
        """Whether ``location`` holds an object uploaded with content hash ``sha256``."""
        try:
            head = self._ctx.client("s3").head_object(Bucket=location.bucket, Key=location.key)
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) in _MISSING:
                return False
            with aws_errors(f"read {location}"):
                raise
        return head.get("Metadata", {}).get("sha256") == sha256

    def create(self, bucket: str) -> None:
        """Create ``bucket`` private, versioned and encrypted (idempotent for its owner)."""
        s3 = self._ctx.client("s3")
        try:
            if self._ctx.region == "us-east-1":  # the one region without a constraint
                s3.create_bucket(Bucket=bucket)
            else:
                s3.create_bucket(
                    Bucket=bucket,
                    CreateBucketConfiguration={"LocationConstraint": self._ctx.region},  # type: ignore[typeddict-item]
                )
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) != "BucketAlreadyOwnedByYou":
                with aws_errors(f"create S3 bucket {bucket!r}"):
                    raise
        with aws_errors(f"configure S3 bucket {bucket!r}"):
            s3.put_public_access_block(
                Bucket=bucket,
                PublicAccessBlockConfiguration=_PRIVATE,  # type: ignore[arg-type]
            )
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
            s3.put_bucket_encryption(
                Bucket=bucket,
                ServerSideEncryptionConfiguration=_ENCRYPTION,  # type: ignore[arg-type]
            )

    def upload(
        self,
        location: S3Location,
        data: bytes | Path,
        sha256: str,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Upload ``data`` (multipart when large); ``progress`` gets each chunk's bytes."""
        import boto3.exceptions  # boto3 loads with the first client (``router.aws.session``)

        extra = {"Metadata": {"sha256": sha256}, "ServerSideEncryption": "AES256"}
        s3 = self._ctx.client("s3")
        try:
            with aws_errors(f"upload to {location}"), _opened(data) as stream:
                s3.upload_fileobj(
                    stream, location.bucket, location.key, ExtraArgs=extra, Callback=progress
                )
        except (boto3.exceptions.S3UploadFailedError, OSError) as exc:
            raise AWSError(f"cannot upload to {location}: {exc}") from exc


def _opened(data: bytes | Path) -> BinaryIO:
    return io.BytesIO(data) if isinstance(data, bytes) else data.open("rb")
