"""Typed wrapper over Lambda layer versions: list them, read one (read-only), publish one.

A layer version is immutable; strangler finds the version holding given content by
the hash it wrote into the version's description when publishing it
(``ListLayerVersions`` returns descriptions but not ``CodeSha256``); ``get`` reads one
version's ``CodeSha256`` and size (``GetLayerVersion``), or None once it was deleted.
botocore errors become ``AWSError`` here. This module must not decide when to publish (see
``router.deploy``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from router.aws.artifacts import S3Location
from router.aws.lambda_ import Architecture
from router.aws.session import AwsContext, aws_errors, error_code

if TYPE_CHECKING:
    from mypy_boto3_lambda.type_defs import LayerVersionsListItemTypeDef

__all__ = ["LambdaLayers", "LayerContent", "LayerVersionContent", "LayerVersionInfo"]


@dataclass(frozen=True)
class LayerVersionInfo:
    arn: str  # the layer version's ARN (ends with ``:<version>``)
    version: int
    description: str


@dataclass(frozen=True)
class LayerVersionContent:
    """One version as ``GetLayerVersion`` returns it."""

    arn: str
    description: str
    sha256: str  # ``Content.CodeSha256``: base64 SHA-256 of the zip
    size: int  # ``Content.CodeSize``: zipped bytes


@dataclass(frozen=True)
class LayerContent:
    """What to publish: the zip's bytes, or where it sits in S3 (over 50 MB)."""

    name: str
    description: str
    runtime: str
    architecture: Architecture
    zip_bytes: bytes | None = None
    s3: S3Location | None = None


class LambdaLayers:
    def __init__(self, ctx: AwsContext) -> None:
        self._ctx = ctx

    def versions(self, name: str) -> tuple[LayerVersionInfo, ...]:
        """Every live version of layer ``name`` (none when the layer does not exist)."""
        pages = self._ctx.client("lambda").get_paginator("list_layer_versions")
        found: list[LayerVersionInfo] = []
        try:
            for page in pages.paginate(LayerName=name):
                found.extend(_info(item) for item in page.get("LayerVersions", []))
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return ()
            with aws_errors(f"list the versions of Lambda layer {name!r}"):
                raise
        return tuple(sorted(found, key=lambda v: v.version))

    def get(self, name: str, version: int) -> LayerVersionContent | None:
        """Version ``version`` of layer ``name``; None when it (or the layer) is gone."""
        lam = self._ctx.client("lambda")
        with aws_errors(f"read version {version} of Lambda layer {name!r}"):
            try:
                data = lam.get_layer_version(LayerName=name, VersionNumber=version)
            except botocore.exceptions.ClientError as exc:
                if error_code(exc) == "ResourceNotFoundException":
                    return None
                raise
        content = data.get("Content", {})
        arn, description = data.get("LayerVersionArn", ""), data.get("Description", "")
        sha, size = content.get("CodeSha256", ""), int(content.get("CodeSize", 0))
        return LayerVersionContent(arn, description, sha, size)

    def publish(self, content: LayerContent) -> LayerVersionInfo:
        with aws_errors(f"publish a version of Lambda layer {content.name!r}"):
            data = self._ctx.client("lambda").publish_layer_version(
                LayerName=content.name,
                Description=content.description,
                Content=_content(content),  # type: ignore[arg-type]
                CompatibleRuntimes=[content.runtime],  # type: ignore[list-item]
                CompatibleArchitectures=[content.architecture],
            )
        return LayerVersionInfo(
            data["LayerVersionArn"], int(data["Version"]), data.get("Description", "")
        )


def _content(content: LayerContent) -> dict[str, Any]:
    if content.s3 is not None:
        return {"S3Bucket": content.s3.bucket, "S3Key": content.s3.key}
    assert content.zip_bytes is not None, "a layer is published from bytes or from S3"
    return {"ZipFile": content.zip_bytes}


def _info(item: LayerVersionsListItemTypeDef) -> LayerVersionInfo:
    return LayerVersionInfo(
        item.get("LayerVersionArn", ""), int(item.get("Version", 0)), item.get("Description", "")
    )
