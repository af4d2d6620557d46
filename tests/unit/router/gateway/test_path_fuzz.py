"""Fuzz: 10,000 generated paths; the route the gateway reports is the monolith's endpoint.

The monolith is the real ``legacy_app`` URL map, asked the way a WSGI server asks it
(``PATH_INFO`` percent-decoded). A recording upstream resolves every target the gateway
sends it; a Lambda answer is checked against the normalised path it was invoked with.
Whenever that resolves to an endpoint, ``X-Migrate-Route`` must be the manifest route
of (method, endpoint rule), or ``legacy-catch-all`` when the manifest has none.
"""

from __future__ import annotations

import asyncio
import json
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter, RequestRedirect

from legacy_app import create_app
from router.gateway.core import ROUTE_HEADER, LocalGateway
from router.gateway.lambda_ import HandlerRegistry, LambdaInvoker
from router.gateway.messages import GatewayRequest, GatewayResponse
from router.gateway.proxy import LegacyProxy, UpstreamRequest, UpstreamResponse
from router.gateway.snapshot import CATCH_ALL_ID, LegacyBase, build_snapshot
from router.inventory import flask_rule_to_path, inventory_app
from tests.helpers.gateway import header, lam, manifest_of
from tests.helpers.manifests import route

PATHS = 10_000
SEED = 20_261_203
ON_LAMBDA = {
    ("GET", "/api/users/{user_id}"),
    ("POST", "/api/orders"),
    ("GET", "/api/products/by-category/{category+}"),
    ("GET", "/api/orders/{order_id}"),
}
LEFT_OUT = {("DELETE", "/api/users/{user_id}"), ("GET", "/health")}  # catch-all only
WORDS = ["api", "users", "orders", "products", "by-category", "categories", "cancel", "health"]
ODD = [
    ".", "..", "%2e", "%2E", ".%2e", "%2e%2E", "...", "%2e%2e%2e", "", "%2F", "%2f", "..%2f3",
    "a%2fb", "%75sers", "us%65rs", "%ff", "%fe", "%ff%fe", "%20", "%25", "%252F", "%2", "a.b",
    "x", "1", "42", "007", "-1", "%31", "a%2e", ";x", "users;v=1", "+", "~",
]  # fmt: skip
METHODS = ["GET", "GET", "GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"]


@dataclass
class RecordingUpstream:
    """Answers 200 and keeps every target the gateway sent."""

    targets: list[str] = field(default_factory=list)

    async def send(
        self, base: LegacyBase, request: UpstreamRequest, timeout: float
    ) -> UpstreamResponse:
        self.targets.append(request.target)
        return UpstreamResponse(200, [("Content-Type", "text/plain")], b"monolith")

    async def close(self) -> None:
        return None


def endpoint_route(
    adapter: MapAdapter, routes: dict[tuple[str, str], str], method: str, target: str
) -> str | None:
    """The route id of the monolith endpoint ``target`` reaches; None when none does."""
    path_info = unquote(target.partition("?")[0], errors="replace")  # as a WSGI server
    try:
        rule, _ = adapter.match(path_info, method, return_rule=True)
    except (HTTPException, RequestRedirect):
        return None  # 404, 405 or a redirect: no endpoint ran
    return routes.get((method, flask_rule_to_path(rule.rule)), CATCH_ALL_ID)


def generated_path(rng: random.Random, shapes: list[str]) -> str:
    """A route's path with variables filled, then mutated: dot, odd and encoded parts."""
    segments = [_filled(rng, s) for s in rng.choice(shapes).split("/")[1:] if s]
    for _ in range(rng.randint(0, 3)):
        spot = rng.randint(0, len(segments))
        kind = rng.random()
        if kind < 0.3:
            segments[spot:spot] = [rng.choice(WORDS + ODD), rng.choice(["..", "%2e%2e", ".%2E"])]
        elif kind < 0.6:
            segments.insert(spot, rng.choice(ODD))
        elif segments and kind < 0.8:
            segments[spot - 1] = _encoded(rng, segments[spot - 1])
        elif len(segments) > 1:
            segments[spot - 1 : spot + 1] = ["%2F".join(segments[spot - 1 : spot + 1])]
    path = "/" + "/".join(segments) + ("/" if rng.random() < 0.1 else "")
    return path + ("?q=%2e%2e/x" if rng.random() < 0.1 else "")


def _filled(rng: random.Random, segment: str) -> str:
    if not segment.startswith("{"):
        return segment
    return rng.choice(["1", "42", "007", "x", "a/b", "%ff"]) if rng.random() < 0.9 else "-1"


def _encoded(rng: random.Random, segment: str) -> str:
    if not segment:
        return segment
    at = rng.randrange(len(segment))
    return segment[:at] + f"%{ord(segment[at]):02X}" + segment[at + 1 :]


def manifest_routes() -> tuple[list[dict[str, Any]], dict[tuple[str, str], str]]:
    app = create_app({"DATABASE_URL": "sqlite://"})
    specs, ids = [], {}
    for found in inventory_app(app).routes:
        key = (found.method, found.path)
        if key in LEFT_OUT:
            continue
        spec = lam(*key) if key in ON_LAMBDA else route(*key)
        specs.append(spec)
        ids[key] = spec["id"]
    assert ids.keys() >= ON_LAMBDA
    return specs, ids


def test_the_reported_route_is_always_the_monolith_endpoint_reached() -> None:
    specs, ids = manifest_routes()
    adapter = create_app({"DATABASE_URL": "sqlite://"}).url_map.bind("gateway.test")
    upstream = RecordingUpstream()
    rng = random.Random(SEED)
    shapes = sorted({path for _, path in ids} | {"/", "/api/nothing/{x}"})
    checked = 0

    async def main(pool: ThreadPoolExecutor) -> None:
        nonlocal checked
        gateway = LocalGateway(
            build_snapshot(manifest_of(*specs)), proxy=LegacyProxy(upstream),
            invoker=LambdaInvoker(HandlerRegistry(), pool), rng=random.Random(1),
        )  # fmt: skip
        for _ in range(PATHS):
            method, path = rng.choice(METHODS), generated_path(rng, shapes)
            response = await gateway.handle_request(GatewayRequest(method, path))
            reached = reached_route(adapter, ids, method, response, upstream)
            if reached is not None:
                checked += 1
                assert header(response, ROUTE_HEADER) == [reached], (method, path)

    with ThreadPoolExecutor(2) as pool:
        asyncio.run(main(pool))
    assert checked > PATHS // 4  # most paths reach an endpoint: the check has teeth


def reached_route(
    adapter: MapAdapter,
    ids: dict[tuple[str, str], str],
    method: str,
    response: GatewayResponse,
    upstream: RecordingUpstream,
) -> str | None:
    if header(response, "X-Migrate-Target") == ["lambda"]:
        path = json.loads(response.body)["event"]["path"]
        return endpoint_route(adapter, ids, method, path)
    if response.body != b"monolith":
        return None  # answered by the gateway itself (403 on no match)
    return endpoint_route(adapter, ids, method, upstream.targets[-1])
