"""Acceptance: through ``migrate serve`` (isolated workers) with ``AWS_ENDPOINT_URL`` on
a moto server, a function finds its database in a Secrets Manager secret.

The route's manifest names its database by ``database.secret_arn`` (the function's
environment gets only ``DB_SECRET_ARN``); the secret (RDS format) holds the local
PostgreSQL credentials. The local server trusts every login, so a changed password
proves nothing: the rotation here is a new role in the secret while the old role loses
its login (``NOLOGIN``, its sessions ended), which the server does enforce. A route
whose secret names a role that cannot log in answers 502 with exactly one log line, and
the gateway keeps serving the other routes.
"""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import URL

import migrated_functions
from router.local import free_port, local_aws_env
from router.local.process import ManagedProcess
from tests.helpers.e2e import REGION, moto_client, write_manifest
from tests.helpers.pg import admin, render, revoke_login, scratch_role, seeded_schema

pytestmark = pytest.mark.e2e

PASSWORD = "pw-" + uuid.uuid4().hex  # must appear in no log
LAYER = ("sqlalchemy", "pydantic", "psycopg", "psycopg-binary", "aws-lambda-powertools")


def route(rid: str, path: str, function: str, **extra: Any) -> dict[str, Any]:
    return {"id": rid, "method": "GET", "path": path, "target": "lambda",
            "function": f"migrated_functions.{function}", **extra}  # fmt: skip


def rds_secret(url: URL, username: str) -> str:
    value = {"engine": "postgres", "host": url.host, "port": url.port or 5432}
    return json.dumps({**value, "username": username, "password": PASSWORD, "dbname": url.database})


@pytest.fixture
def seeded() -> Iterator[URL]:
    with seeded_schema("secret") as url:
        yield url


def serve(manifest: Path, moto: str) -> ManagedProcess:
    port = free_port()
    argv = [sys.executable, "-m", "migrate_cli", "serve", "--port", str(port),
            "--manifest", str(manifest), "--grace", "2"]  # fmt: skip
    env = {**local_aws_env(moto, REGION), "MIGRATE_TELEMETRY": "off"}
    env.pop("DATABASE_URL", None)
    proc = ManagedProcess("gateway", argv, f"http://127.0.0.1:{port}/health", env=env,
                          cwd=manifest.parent, ready=lambda status: True,
                          log_path=manifest.parent / "gateway.log")  # fmt: skip
    return proc.launch(60)


def sessions_of(url: URL, role: str) -> int:
    with admin(url) as conn:
        row = conn.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE usename = %s", (role,))
        return int(row.fetchone()[0])  # type: ignore[index]


def test_secret_rotation_and_refusal_through_serve(
    tmp_path: Path, moto_server: str, seeded: URL
) -> None:
    shutil.copytree(Path(migrated_functions.__file__).parent, tmp_path / "migrated_functions")
    secrets = moto_client(moto_server, "secretsmanager")
    with scratch_role(seeded, "old") as old, scratch_role(seeded, "new") as new:
        arn = secrets.create_secret(Name=f"app-{old}", SecretString=rds_secret(seeded, old))["ARN"]
        ghost = rds_secret(seeded, "ghost_" + uuid.uuid4().hex[:6])
        bad = secrets.create_secret(Name=f"bad-{old}", SecretString=ghost)["ARN"]
        manifest = write_manifest(tmp_path, f"http://127.0.0.1:{free_port()}", [
            route("users", "/api/users/{user_id}", "users.get_user",
                  database={"secret_arn": arn}),
            route("orders", "/api/orders/{order_id}", "orders.get_order",
                  database={"secret_arn": bad}),
            route("products", "/api/products", "products.list_products",
                  environment={"DATABASE_URL": render(seeded)}),
        ])  # fmt: skip
        gateway = serve(manifest, moto_server)
        try:
            with httpx.Client(base_url=gateway.ready_url.removesuffix("/health"), timeout=60) as c:
                first = c.get("/api/users/7")
                assert first.status_code == 200 and first.json()["id"] == 7, first.text
                assert sessions_of(seeded, old) >= 1  # answered from PostgreSQL, as the secret says
                secrets.put_secret_value(SecretId=arn, SecretString=rds_secret(seeded, new))
                assert c.get("/api/users/8").json()["id"] == 8  # cached: no read per request
                with admin(seeded) as conn:
                    revoke_login(conn, old)  # the rotation: the old login stops working
                rotated = c.get("/api/users/9")
                assert rotated.status_code == 200 and rotated.json()["id"] == 9, rotated.text
                assert sessions_of(seeded, new) >= 1 and sessions_of(seeded, old) == 0
                refused = c.get("/api/orders/5")
                assert refused.status_code == 502, refused.text
                assert c.get("/api/products").status_code == 200  # the gateway keeps serving
                assert c.get("/api/users/10").json()["id"] == 10
        finally:
            gateway.stop()
    log = gateway.log_path.read_text()
    refusals = [line for line in log.splitlines() if "refused the credentials" in line]
    assert len(refusals) == 1 and f"DB_SECRET_ARN={bad}" in refusals[0], log[-3000:]
    assert PASSWORD not in log
