"""Benchmark: promote and rollback latency on the S3 state backend vs local files.

Starts a serialized moto server (``start_moto(serial=True)``) on a free loopback port,
pushes a 20-route manifest to a versioned bucket, then alternates promote and rollback
of one route through ``RouteService`` (what ``migrate route promote`` / ``migrate
rollback`` call, without the interpreter start): ROUNDS of each on local files
(``ManifestStore``: file lock, fsync, rename) and on S3 (``BackendStore``: one
conditional ``PutObject`` of the head plus the history copy). Prints the medians
and the ratio S3 / local, measured in this one run.
Run: ``.venv/bin/python bench/bench_state.py``.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import boto3

from router.aws.session import AwsContext
from router.local.stack import start_moto
from router.manifest.store import ManifestStore
from router.routes import RouteService
from router.state import BackendStore, StateLocation, open_backend
from router.state.transfer import push

HANDLER = "migrated_functions.users.get_user"
ROUNDS = 40
BUCKET = "bench-state"


def manifest_text(routes: int) -> str:
    lines = ["version: 1", "legacy: {url: 'http://127.0.0.1:5000'}", "routes:"]
    lines += [
        f"  - {{id: r{i}, method: GET, path: '/api/r{i}', function: {HANDLER}}}"
        for i in range(routes)
    ]
    return "\n".join(lines) + "\n"


def timed(service: RouteService) -> tuple[list[float], list[float]]:
    promote: list[float] = []
    rollback: list[float] = []
    for _ in range(ROUNDS):
        promote.append(_ms(lambda: service.promote("r0", function=None, weight=None, reason="b")))
        rollback.append(_ms(lambda: service.rollback(["r0"], reason="b")))
    return promote, rollback


def _ms(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-state-"))
    moto = start_moto(0, serial=True)
    try:
        endpoint = moto.ready_url.removesuffix("/moto-api/")
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        manifest = root / "migration.yaml"
        manifest.write_text(manifest_text(20))
        backend = open_backend(
            StateLocation(BUCKET, "bench"), AwsContext.local(endpoint, "us-east-1")
        )
        push(manifest, backend)
        local_store = ManifestStore(manifest)
        remote_store = BackendStore(manifest, backend)
        local = timed(RouteService(local_store, local_store.history, code_root=root))
        remote = timed(RouteService(remote_store, remote_store.history, code_root=root))
        for name, at in (("promote", 0), ("rollback", 1)):
            lo, re = statistics.median(local[at]), statistics.median(remote[at])
            print(f"{name:8} local {lo:6.2f} ms  s3 {re:6.2f} ms  ratio s3/local {re / lo:5.1f}")
    finally:
        moto.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
