"""The guardrail: for real AWS, a private legacy.url without a VPC link is refused
(UnreachableLegacy, exit 2) before any AWS call; a local endpoint allows it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from router.aws.apigateway import ApiGateway
from router.aws.artifacts import ArtifactBucket
from router.aws.lambda_ import LambdaFunctions
from router.aws.layers import LambdaLayers
from router.aws.session import AwsContext
from router.deploy.guardrail import legacy_url_refusals, private_host_reason
from router.deploy.plan import Planner
from router.deploy.state import DeployState
from router.errors import UnreachableLegacy, UnsafePlan
from tests.helpers.deploy_builders import code_only
from tests.helpers.manifests import build_manifest

LINK = {"id": "abc123", "url": "http://shop-nlb.elb.us-east-1.amazonaws.com"}


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("10.0.1.5", "private"),
        ("172.16.3.4", "private"),
        ("192.168.1.1", "private"),
        ("[fd00::1]", "private"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "non-global"),
        ("localhost", ".localhost"),
        ("app.localhost", ".localhost"),
        ("legacy.internal", ".internal"),
        ("printer.local", ".local"),
        ("legacy", "single-label"),
    ],
)
def test_private_hosts_are_named_with_their_kind(host: str, kind: str) -> None:
    reason = private_host_reason(host)
    assert reason is not None and kind in reason


@pytest.mark.parametrize("host", ["8.8.8.8", "2606:4700::1111", "legacy.example.com"])
def test_public_hosts_pass(host: str) -> None:
    assert private_host_reason(host) is None


def test_refused_for_real_aws_only_and_not_with_a_vpc_link() -> None:
    private = build_manifest(legacy={"url": "http://127.0.0.1:5000"})
    [line] = legacy_url_refusals(private, is_local=False)
    assert "legacy.url 'http://127.0.0.1:5000'" in line and "VPC link" in line
    assert legacy_url_refusals(private, is_local=True) == []
    linked = build_manifest(legacy={"url": "http://127.0.0.1:5000", "vpc_link": LINK})
    assert legacy_url_refusals(linked, is_local=False) == []


def _no_calls(service: str) -> Any:
    raise AssertionError(f"the guardrail must refuse before any AWS call ({service})")


def test_planner_refuses_before_any_aws_call(tmp_path: Path) -> None:
    ctx = AwsContext(region="us-east-1", client_factory=_no_calls)
    planner = Planner(
        ApiGateway(ctx), LambdaFunctions(ctx), is_local=False, layers=LambdaLayers(ctx),
        bucket=ArtifactBucket(ctx), build=code_only(tmp_path),
    )  # fmt: skip
    manifest = build_manifest(legacy={"url": "http://10.0.1.5:5000"})
    with pytest.raises(UnreachableLegacy) as caught:
        planner.plan(manifest, DeployState())
    assert isinstance(caught.value, UnsafePlan)  # octodns-style: a safety check's exception
    assert caught.value.exit_code == 2
    assert caught.value.hint is not None and "legacy.vpc_link" in caught.value.hint
