"""StateBucket: conditional writes, SSE arguments, and AWS's errors mapped (Stubber)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from router.aws.session import AwsContext
from router.aws.state_s3 import Encryption, StateBucket, Unchanged
from router.errors import StateBackendError, StateConflict

BUCKET = "team-state"


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="t"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _bucket(client: Any, encryption: Encryption | None = None) -> StateBucket:
    ctx = AwsContext(region="us-east-1", client_factory=lambda service: client)
    return StateBucket(ctx, BUCKET, encryption=encryption)


def test_new_objects_are_created_only_if_absent_with_sse_s3(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    expected = {
        "Bucket": BUCKET, "Key": "p/k", "Body": b"{}", "ContentType": "application/json",
        "IfNoneMatch": "*", "ServerSideEncryption": "AES256",
    }  # fmt: skip
    stubber.add_response("put_object", {"ETag": '"e1"'}, expected)
    assert _bucket(client).put("p/k", b"{}") == '"e1"'


def test_replacements_name_the_etag_read_and_the_kms_key(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    expected = {
        "Bucket": BUCKET, "Key": "p/k", "Body": ANY, "ContentType": "application/json",
        "IfMatch": '"e1"', "ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/state",
    }  # fmt: skip
    stubber.add_response("put_object", {"ETag": '"e2"'}, expected)
    assert _bucket(client, Encryption("alias/state")).put("p/k", b"x", if_match='"e1"') == '"e2"'


@pytest.mark.parametrize(
    ("code", "status"), [("PreconditionFailed", 412), ("ConditionalRequestConflict", 409)]
)
def test_a_failed_condition_is_a_conflict(
    stubbed: tuple[Any, Stubber], code: str, status: int
) -> None:
    client, stubber = stubbed
    stubber.add_client_error(
        "put_object", service_error_code=code, http_status_code=status,
        service_message="At least one of the pre-conditions you specified did not hold",
    )  # fmt: skip
    with pytest.raises(StateConflict, match="changed since it was read"):
        _bucket(client).put("p/k", b"x", if_match='"old"')


def test_access_denied_is_bad_input_pointing_at_the_policy(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    # AWS's error shape for a GetObject the identity may not call
    stubber.add_client_error(
        "get_object", service_error_code="AccessDenied", http_status_code=403,
        service_message="User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "
        "s3:GetObject on resource: \"arn:aws:s3:::team-state/p/manifest.json\"",
    )  # fmt: skip
    with pytest.raises(StateBackendError) as caught:
        _bucket(client).get("p/manifest.json")
    assert caught.value.exit_code == 2
    assert "AccessDenied" in caught.value.message
    assert "migrate state policy" in (caught.value.hint or "")


def test_a_missing_object_reads_as_none(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
    assert _bucket(client).get("p/none") is None


def test_a_missing_bucket_says_create_it(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error(
        "get_bucket_versioning", service_error_code="NoSuchBucket", http_status_code=404
    )
    with pytest.raises(StateBackendError) as caught:
        _bucket(client).check_versioning()
    assert "create the bucket team-state" in (caught.value.hint or "")


def test_an_unreachable_endpoint_is_bad_input() -> None:
    ctx = AwsContext.local("http://127.0.0.1:9", "us-east-1")
    with pytest.raises(StateBackendError, match="cannot read the versioning") as caught:
        StateBucket(ctx, BUCKET).check_versioning()
    assert caught.value.exit_code == 2


def test_an_unchanged_object_is_one_conditional_get_answered_304(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    expected = {"Bucket": BUCKET, "Key": "p/manifest.json", "IfNoneMatch": '"e1"'}
    stubber.add_client_error(
        "get_object", "304", "Not Modified", http_status_code=304, expected_params=expected
    )
    assert _bucket(client).get_changed("p/manifest.json", '"e1"') is Unchanged.UNCHANGED


def test_a_first_poll_is_unconditional_and_a_missing_head_is_none(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    expected = {"Bucket": BUCKET, "Key": "p/manifest.json"}
    stubber.add_client_error(
        "get_object", "NoSuchKey", http_status_code=404, expected_params=expected
    )
    assert _bucket(client).get_changed("p/manifest.json", None) is None


def test_a_local_bucket_is_created_in_its_region_with_versioning_on(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    where = {"LocationConstraint": "eu-west-1"}
    stubber.add_client_error(
        "create_bucket", "BucketAlreadyOwnedByYou", http_status_code=409,
        expected_params={"Bucket": BUCKET, "CreateBucketConfiguration": where},
    )  # fmt: skip
    versioning = {"Bucket": BUCKET, "VersioningConfiguration": {"Status": "Enabled"}}
    stubber.add_response("put_bucket_versioning", {}, versioning)
    _bucket(client).create_versioned("eu-west-1")
