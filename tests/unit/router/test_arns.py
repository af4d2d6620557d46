"""Names router.arns builds for the artifacts: layer names and the artifact bucket."""

from __future__ import annotations

import re

from router.arns import artifact_bucket_name, layer_name
from router.manifest.model import Manifest

ACCOUNT = "123456789012"


def manifest(name: str, region: str = "us-east-1") -> Manifest:
    return Manifest.model_validate(
        {"api": {"name": name, "region": region}, "legacy": {"url": "http://127.0.0.1:5000"}}
    )


def test_the_layer_is_named_as_in_the_template() -> None:
    layer = layer_name(manifest("shop"), "MigratedFunctionsRequirementsLayer")
    assert layer == "shop-MigratedFunctionsRequirementsLayer"
    assert len(layer_name(manifest("s" * 64), "X" * 90)) == 140  # Lambda's limit


def test_the_artifact_bucket_name_is_valid_for_s3() -> None:
    assert artifact_bucket_name(manifest("shop"), ACCOUNT) == (
        "shop-artifacts-123456789012-us-east-1"
    )
    odd = artifact_bucket_name(manifest("My_Shop__API", "eu-west-1"), ACCOUNT)
    assert odd == "my-shop-api-artifacts-123456789012-eu-west-1"
    long = artifact_bucket_name(manifest("a" * 64), ACCOUNT)
    assert len(long) == 63 and re.fullmatch(r"[a-z0-9][a-z0-9-]*[a-z0-9]", long)
    assert long != artifact_bucket_name(manifest("a" * 63 + "b"), ACCOUNT)
