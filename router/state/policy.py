"""The minimal IAM policy an operator needs on a state location, and a bucket policy.

``operator_policy`` allows only what ``router.state`` calls: ``s3:GetObject``,
``s3:PutObject`` (conditional writes need nothing more) and ``s3:GetObjectVersion``
under the prefix, ``s3:ListBucket`` and ``s3:ListBucketVersions`` limited to the
prefix, ``s3:GetBucketVersioning`` on the bucket, and with a KMS key
``kms:Encrypt``/``kms:Decrypt``/``kms:GenerateDataKey`` on it. No delete: the state is
append-only. ``bucket_policy`` denies every request not made over TLS. This module
must not call AWS.
"""

from __future__ import annotations

from typing import Any

from router.state.location import StateLocation

__all__ = ["bucket_policy", "operator_policy"]


def _objects(location: StateLocation) -> str:
    under = f"{location.prefix}/*" if location.prefix else "*"
    return f"arn:aws:s3:::{location.bucket}/{under}"


def operator_policy(location: StateLocation) -> dict[str, Any]:
    bucket = f"arn:aws:s3:::{location.bucket}"
    prefix = f"{location.prefix}/*" if location.prefix else "*"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "StateObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
            "Resource": _objects(location),
        },
        {
            "Sid": "StateListing",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:ListBucketVersions"],
            "Resource": bucket,
            "Condition": {"StringLike": {"s3:prefix": [prefix]}},
        },
        {
            "Sid": "StateVersioningCheck",
            "Effect": "Allow",
            "Action": ["s3:GetBucketVersioning"],
            "Resource": bucket,
        },
    ]
    if location.kms_key:
        statements.append(
            {
                "Sid": "StateEncryption",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": location.kms_key,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def bucket_policy(location: StateLocation) -> dict[str, Any]:
    bucket = f"arn:aws:s3:::{location.bucket}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket, f"{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
