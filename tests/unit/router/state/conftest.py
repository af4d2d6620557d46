"""An S3 state backend in moto's in-process mock, and stores on it.

``backend`` is a versioned bucket ``team-state`` with the prefix ``proj``; ``stores(n)``
gives ``n`` operators (each its own ``BackendStore`` and ``RouteService`` on the same
backend, as on n machines) after the first pushed a manifest of ``ROUTES`` routes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from router.aws.session import AwsContext
from router.aws.state_s3 import StateBucket
from router.routes import RouteService
from router.state import BackendStore, S3Backend, StateLocation
from tests.helpers.state import BUCKET, PREFIX, Operator, initial_manifest, s3_client


@pytest.fixture
def ctx(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsContext]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = s3_client("s3")
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield AwsContext(region="us-east-1", client_factory=s3_client)  # type: ignore[arg-type]


@pytest.fixture
def backend(ctx: AwsContext) -> S3Backend:
    return S3Backend(StateBucket(ctx, BUCKET), StateLocation(BUCKET, PREFIX))


@pytest.fixture
def stores(ctx: AwsContext, tmp_path: Path) -> Callable[[int], list[Operator]]:
    def make(count: int) -> list[Operator]:
        made: list[Operator] = []
        for n in range(count):
            backend = S3Backend(StateBucket(ctx, BUCKET), StateLocation(BUCKET, PREFIX))
            path = tmp_path / f"op{n}" / "migration.yaml"
            store = BackendStore(path, backend, sleep=lambda s: None)
            made.append((store, RouteService(store, store.history, code_root=tmp_path)))
        made[0][0].create(initial_manifest())
        return made

    return make
