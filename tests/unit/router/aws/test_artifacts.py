"""The artifact bucket wrapper: moto for the calls it implements, Stubber for a refusal.

A bucket name owned by another account answers ``HeadBucket`` with HTTP 403 (AWS's
documented behaviour; moto has a single owner), checked with a botocore ``Stubber``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from router.aws.artifacts import ArtifactBucket, S3Location
from router.aws.session import AwsContext
from router.errors import AWSError


@pytest.fixture
def eu() -> Iterator[AwsContext]:
    with mock_aws():
        yield AwsContext(
            region="eu-west-1", client_factory=lambda s: boto3.client(s, region_name="eu-west-1")
        )


def test_create_outside_us_east_1_then_upload_once(eu: AwsContext, tmp_path: Path) -> None:
    bucket = ArtifactBucket(eu)
    assert not bucket.exists("shop-artifacts")
    bucket.create("shop-artifacts")
    bucket.create("shop-artifacts")  # idempotent for its owner
    s3 = eu.client("s3")
    assert s3.get_bucket_location(Bucket="shop-artifacts")["LocationConstraint"] == "eu-west-1"
    block = s3.get_public_access_block(Bucket="shop-artifacts")["PublicAccessBlockConfiguration"]
    assert all(block.values())
    where = S3Location("shop-artifacts", "layers/x/ab.zip")
    assert not bucket.holds(where, "c2hh")
    seen: list[int] = []
    zipped = tmp_path / "layer.zip"
    zipped.write_bytes(b"z" * 1000)
    bucket.upload(where, zipped, "c2hh", seen.append)
    assert sum(seen) == 1000
    assert bucket.holds(where, "c2hh") and not bucket.holds(where, "other")
    assert s3.head_object(Bucket="shop-artifacts", Key=where.key)["ServerSideEncryption"] == (
        "AES256"
    )


def test_a_bucket_name_owned_elsewhere_is_an_error() -> None:
    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    ctx = AwsContext(region="us-east-1", client_factory=lambda _: client)
    with Stubber(client) as stub:
        stub.add_client_error("head_bucket", "403", "Forbidden", 403, {}, {"Bucket": "taken"})
        with pytest.raises(AWSError, match="another account may own the name"):
            ArtifactBucket(ctx).exists("taken")
