"""Fixtures for the ``migrate`` CLI tests: a scratch project (``tests.helpers.cli``) and an
S3 state backend in moto's in-process mock (``s3_env``: ``MIGRATE_STATE`` set, bucket made)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from typer.testing import Result

from router.state.setup import forget_clients
from tests.helpers.cli import MANIFEST, Project

STATE = "s3://team-state/shop"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    proj = Project(tmp_path)
    proj.manifest.write_text(MANIFEST)
    pkg = tmp_path / proj.package
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "users.py").write_text(
        textwrap.dedent(
            """
            def get_user(event, context):
                return {"statusCode": 200, "body": "{}"}

            NOT_CALLABLE = 3
            """
        )
    )
    return proj


@pytest.fixture
def run(project: Project) -> Callable[..., Result]:
    return project.run


def _s3() -> object:
    return boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="t"
    )


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("MIGRATE_STATE", STATE)
    forget_clients()
    with mock_aws():
        client = _s3()
        client.create_bucket(Bucket="team-state")  # type: ignore[attr-defined]
        client.put_bucket_versioning(  # type: ignore[attr-defined]
            Bucket="team-state", VersioningConfiguration={"Status": "Enabled"}
        )
        yield
    forget_clients()
