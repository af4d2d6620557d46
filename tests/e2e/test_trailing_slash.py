"""End-to-end: a strict-slash Flask rule through ``migrate init`` and ``migrate serve``.

``GET /api/products/<int:product_id>/stock/`` of the monolith (gunicorn) is
inventoried by ``migrate init`` as the resource ``/api/products/{product_id}/stock``
with ``trailing_slash: true``; the gateway then calls the monolith at ``.../stock/``
whichever spelling the client used, so the client never gets the monolith's 308 to
its own address. The manifest first holds the route as older versions wrote it
(without the flag): re-running ``init`` records the slash and keeps the route.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from router.local import child_env
from router.manifest.store import load_manifest
from tests.helpers.e2e import GatewayFactory, run_migrate, write_manifest

pytestmark = pytest.mark.e2e
STOCK_ID = "get-api-products-product-id-stock"
OLD_ROUTE = {"id": STOCK_ID, "method": "GET", "path": "/api/products/{product_id}/stock"}


def test_strict_slash_rule_answers_through_the_gateway(
    tmp_path: Path, legacy_server: str, moto_server: str, gateway_factory: GatewayFactory
) -> None:
    manifest = write_manifest(tmp_path, legacy_server, [OLD_ROUTE])
    env = child_env(DATABASE_URL=f"sqlite:///{(tmp_path / 'inventory.db').as_posix()}")
    args = ["init", "--app", "legacy_app:create_app", "--legacy-url", legacy_server]
    done = run_migrate(*args, "--manifest", str(manifest), cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    route = load_manifest(manifest).model.route(STOCK_ID)
    assert route is not None and route.trailing_slash and route.status == "active"

    gateway = gateway_factory(manifest, moto_server, legacy_server)
    direct = httpx.get(f"{legacy_server}/api/products/2/stock/", timeout=10)
    assert direct.status_code == 200
    for spelling in ("/api/products/2/stock", "/api/products/2/stock/"):
        got = httpx.get(gateway + spelling, timeout=10, follow_redirects=False)
        assert got.status_code == 200, (spelling, got.status_code, got.headers)
        assert got.content == direct.content
        assert got.headers["X-Migrate-Route"] == STOCK_ID
        assert "location" not in got.headers
