"""The manifest's database, vpc and legacy.vpc_link settings, and the role access they give."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from router.arns import lambda_role_name
from router.iam import ENI_ACTIONS, Access, access_of
from tests.helpers.manifests import build_manifest, lambda_route

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-db-AbCdEf"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
VPC = {"subnet_ids": ["subnet-0123456789abcdef0"], "security_group_ids": ["sg-0123abcd"]}


@pytest.mark.parametrize(
    ("database", "problem"),
    [
        ({}, "exactly one"),
        ({"secret_arn": SECRET, "ssm_parameter": "/shop/db"}, "exactly one"),
        ({"secret_arn": "shop-db"}, "secret_arn"),
        ({"secret_arn": SECRET, "kms_key_arn": "arn:aws:kms:us-east-1:1:alias/db"}, "kms_key_arn"),
        ({"ssm_parameter": "/shop/../db!"}, "ssm_parameter"),
        ({"secret_arn": SECRET, "password": "hunter2"}, "password"),  # never in the manifest
    ],
)
def test_invalid_database_settings_are_refused(database: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        build_manifest(defaults={"database": database})


@pytest.mark.parametrize(
    "vpc",
    [
        {"subnet_ids": [], "security_group_ids": ["sg-0123abcd"]},
        {"subnet_ids": ["subnet-0123456789abcdef0"], "security_group_ids": []},
        {"subnet_ids": ["sub-1"], "security_group_ids": ["sg-0123abcd"]},
    ],
)
def test_invalid_vpc_settings_are_refused(vpc: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        build_manifest(defaults={"vpc": vpc})


def test_a_database_variable_cannot_be_set_by_hand() -> None:
    with pytest.raises(ValidationError, match="DB_SECRET_ARN is set from 'database'"):
        build_manifest([lambda_route("GET", "/a", environment={"DB_SECRET_ARN": SECRET})])


def test_environment_holds_the_reference_and_a_route_replaces_the_default() -> None:
    manifest = build_manifest(
        [
            lambda_route("GET", "/a", environment={"X": "1"}),
            lambda_route("GET", "/b", database={"ssm_parameter": "shop-db"}, vpc=VPC),
        ],
        defaults={"database": {"secret_arn": SECRET, "kms_key_arn": KEY}},
    )
    a, b = manifest.routes
    assert manifest.environment_for(a) == {"DB_SECRET_ARN": SECRET, "X": "1"}
    assert manifest.environment_for(b) == {"DB_SSM_PARAMETER": "shop-db"}
    assert manifest.vpc_for(a) is None
    vpc_b = manifest.vpc_for(b)
    assert vpc_b is not None and vpc_b.key == (("subnet-0123456789abcdef0",), ("sg-0123abcd",))


def test_access_gives_one_resource_each_and_star_only_for_network_interfaces() -> None:
    manifest = build_manifest(
        [lambda_route("GET", "/a"), lambda_route("GET", "/b", database={"ssm_parameter": "/p/db"})],
        defaults={"database": {"secret_arn": SECRET, "kms_key_arn": KEY}, "vpc": VPC},
    )
    a, b = (
        access_of(manifest, r, partition="aws", region="us-east-1", account="123456789012")
        for r in manifest.routes
    )
    assert [(s["Action"], s["Resource"]) for s in a.statements()] == [
        (["secretsmanager:GetSecretValue"], SECRET),
        (["kms:Decrypt"], KEY),
        (list(ENI_ACTIONS), "*"),
    ]
    assert b.statements()[0]["Resource"] == "arn:aws:ssm:us-east-1:123456789012:parameter/p/db"
    assert a.digest != b.digest and Access().digest == ""


def test_role_names_share_the_plain_role_and_fit_iam() -> None:
    manifest = build_manifest(api={"name": "x" * 64})
    assert lambda_role_name(build_manifest()) == "legacy-api-lambda"
    assert lambda_role_name(build_manifest(), "0123456789") == "legacy-api-lambda-0123456789"
    long_names = {lambda_role_name(manifest, d) for d in ("", "a" * 10, "b" * 10)}
    assert len(long_names) == 3 and all(len(n) <= 64 for n in long_names)


def test_vpc_link_needs_an_id_and_a_url() -> None:
    with pytest.raises(ValidationError, match="url"):
        build_manifest(legacy={"url": "http://10.0.0.1", "vpc_link": {"id": "abc123"}})
    manifest = build_manifest(
        legacy={"url": "http://10.0.0.1", "vpc_link": {"id": "abc123", "url": "http://n.elb/"}}
    )
    assert manifest.legacy.vpc_link is not None
    assert manifest.legacy.vpc_link.base_url == "http://n.elb"
