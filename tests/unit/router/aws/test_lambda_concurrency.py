"""Reserved concurrency of the deployed functions (``router.aws.lambda_``) on moto:
PutFunctionConcurrency on create and when it changes, DeleteFunctionConcurrency when the
manifest drops it, and the value read back so a change made outside is planned away."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from moto import mock_aws

from router.aws.lambda_ import FunctionSpec, LambdaFunctions
from router.aws.session import AwsContext
from router.build import build_package
from router.deploy.artifact_steps import _differs
from tests.helpers.deploy_builders import REPO, USERS_HANDLER


@pytest.fixture
def functions(monkeypatch: pytest.MonkeyPatch) -> Iterator[LambdaFunctions]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        yield LambdaFunctions(AwsContext(region="us-east-1"))


def _spec(reserved: int | None) -> FunctionSpec:
    package = build_package(REPO, USERS_HANDLER)
    return FunctionSpec(
        name="shop-get-user", handler=USERS_HANDLER, runtime="python3.12", memory=256,
        timeout=10, environment=(), zip_bytes=package.zip_bytes, reserved_concurrency=reserved,
        role_name="shop-role",
    )  # fmt: skip


def test_reserved_concurrency_is_applied_and_read_back(functions: LambdaFunctions) -> None:
    role = functions.ensure_role("shop-role", "arn:aws:logs:us-east-1:123456789012:*")
    spec = _spec(5)
    assert functions.create(spec, role).reserved_concurrency == 5
    current = functions.get(spec.name)
    assert current is not None and current.reserved_concurrency == 5
    assert not _differs(spec, current)
    for wanted in (2, None):
        changed = dataclasses.replace(spec, reserved_concurrency=wanted)
        assert _differs(changed, current)
        functions.update(changed, current, None)
        current = functions.get(spec.name)
        assert current is not None and current.reserved_concurrency == wanted
