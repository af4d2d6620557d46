"""The ``wired`` fixture: a DeployService on a botocore Stubber (API Gateway) and moto.

moto ignores API Gateway canarySettings, so canary calls are checked against the
request shapes AWS documents (see ``tests.helpers.deploy``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from router.aws.session import AwsContext
from tests.helpers.deploy import MANIFEST, REPO, Wired


@pytest.fixture
def wired(tmp_path: Path) -> Iterator[Wired]:
    (tmp_path / "migration.yaml").write_text(MANIFEST)
    shutil.copytree(REPO / "migrated_functions", tmp_path / "migrated_functions")
    with mock_aws():
        stubbed = boto3.client("apigateway", region_name="us-east-1")
        moto_clients: dict[str, Any] = {}

        def factory(service: str) -> Any:
            if service == "apigateway":
                return stubbed
            return moto_clients.setdefault(service, boto3.client(service, region_name="us-east-1"))

        ctx = AwsContext(region="us-east-1", client_factory=factory)
        w = Wired(tmp_path, stubbed, ctx)
        with w.stub:
            yield w
