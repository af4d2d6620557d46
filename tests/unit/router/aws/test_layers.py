"""Layer versions: paging as AWS documents it (Stubber; moto returns every version at
once), a missing layer, and publishing from S3 (moto)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from router.aws.artifacts import ArtifactBucket, S3Location
from router.aws.layers import LambdaLayers, LayerContent
from router.aws.session import AwsContext
from router.errors import AWSError

ARN = "arn:aws:lambda:us-east-1:123456789012:layer:shop-DepsLayer"


def _item(version: int, description: str = "") -> dict[str, Any]:
    return {
        "LayerVersionArn": f"{ARN}:{version}",
        "Version": version,
        "Description": description,
        "CreatedDate": "2024-01-01T00:00:00.000+0000",
    }


def test_versions_follow_next_marker_and_a_missing_layer_has_none() -> None:
    client = boto3.client(
        "lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    layers = LambdaLayers(AwsContext(region="us-east-1", client_factory=lambda _: client))
    with Stubber(client) as stub:
        first = {"LayerVersions": [_item(3, "strangler sha256:b"), _item(2)], "NextMarker": "m"}
        stub.add_response("list_layer_versions", first, {"LayerName": "shop-DepsLayer"})
        rest = {"LayerVersions": [_item(1, "strangler sha256:a")]}
        stub.add_response(
            "list_layer_versions", rest, {"LayerName": "shop-DepsLayer", "Marker": "m"}
        )
        stub.add_client_error(
            "list_layer_versions", "ResourceNotFoundException", "no such layer", 404
        )
        found = layers.versions("shop-DepsLayer")
        assert [(v.version, v.description) for v in found] == [
            (1, "strangler sha256:a"),
            (2, ""),
            (3, "strangler sha256:b"),
        ]
        assert layers.versions("gone") == ()


def test_publish_from_the_artifact_bucket() -> None:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("python/dep.py", "X = 1\n")
    with mock_aws():
        ctx = AwsContext(
            region="us-east-1", client_factory=lambda s: boto3.client(s, region_name="us-east-1")
        )
        where = S3Location("art", "layers/shop-DepsLayer/ab.zip")
        ArtifactBucket(ctx).create("art")
        ArtifactBucket(ctx).upload(where, data.getvalue(), "c2hh")
        content = LayerContent(
            "shop-DepsLayer", "strangler sha256:c2hh x", "python3.12", "arm64", None, where
        )
        published = LambdaLayers(ctx).publish(content)
        assert published.version == 1 and published.arn.endswith(":layer:shop-DepsLayer:1")
        got = ctx.client("lambda").get_layer_version(LayerName="shop-DepsLayer", VersionNumber=1)
        assert got["Content"]["CodeSize"] == len(data.getvalue())
        assert got["CompatibleArchitectures"] == ["arm64"]
        (listed,) = LambdaLayers(ctx).versions("shop-DepsLayer")
        assert listed.description == "strangler sha256:c2hh x"


def test_get_reads_a_version_and_none_once_it_is_deleted() -> None:
    with mock_aws():
        ctx = AwsContext(
            region="us-east-1", client_factory=lambda s: boto3.client(s, region_name="us-east-1")
        )
        layers = LambdaLayers(ctx)
        content = LayerContent(
            "deps", "strangler sha256:x", "python3.12", "x86_64", b"PK\5\6" + bytes(18)
        )
        published = layers.publish(content)
        found = layers.get("deps", published.version)
        assert found is not None and (found.arn, found.description) == (
            published.arn,
            "strangler sha256:x",
        )
        assert found.size == 22 and found.sha256
        ctx.client("lambda").delete_layer_version(LayerName="deps", VersionNumber=published.version)
        assert layers.get("deps", published.version) is None
        assert layers.get("never", 1) is None


def test_get_maps_a_refusal_to_an_aws_error() -> None:
    """Stubber: moto does not refuse ``GetLayerVersion`` (no IAM checks by default)."""
    client = boto3.client(
        "lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    layers = LambdaLayers(AwsContext(region="us-east-1", client_factory=lambda _: client))
    with Stubber(client) as stub:
        stub.add_client_error("get_layer_version", "AccessDeniedException", "not allowed", 403)
        with pytest.raises(AWSError, match=r"read version 3 of Lambda layer 'deps'.*AccessDenied"):
            layers.get("deps", 3)
