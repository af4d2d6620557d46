"""LocalGateway in-process: matching, canary split, headers, limits, telemetry."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from router.gateway.messages import GatewayRequest
from router.gateway.snapshot import CATCH_ALL_ID, build_snapshot
from tests.helpers.gateway import Rig, header, lam, manifest_of
from tests.helpers.manifests import route


def test_legacy_route_is_proxied_with_its_route_id(rig: Callable[..., Rig]) -> None:
    r = rig(route("GET", "/api/users/{id}"))
    resp = r.call("GET", "/api/users/5?x=1")
    assert resp.status == 200 and resp.body == b'{"from": "legacy"}'
    assert header(resp, "X-Migrate-Target") == ["legacy"]
    assert header(resp, "X-Migrate-Route") == ["get-api-users-id"]
    assert r.upstream.sent[0][1].target == "/api/users/5?x=1"


def test_lambda_route_invokes_the_handler(rig: Callable[..., Rig]) -> None:
    r = rig(lam("GET", "/api/users/{id}"))
    resp = r.call("GET", "/api/users/5", headers=[("Host", "localhost:8080")])
    assert resp.status == 200
    assert header(resp, "X-Migrate-Target") == ["lambda"]
    event = json.loads(resp.body)["event"]
    assert event["pathParameters"] == {"id": "5"}
    assert event["resource"] == "/api/users/{id}"
    assert r.upstream.sent == []


def test_other_methods_fall_through_to_the_catch_all(rig: Callable[..., Rig]) -> None:
    r = rig(lam("GET", "/api/users/{id}"))
    resp = r.call("DELETE", "/api/users/5")
    assert header(resp, "X-Migrate-Target") == ["legacy"]
    assert header(resp, "X-Migrate-Route") == [CATCH_ALL_ID]
    assert r.upstream.sent[0][1].target == "/api/users/5"
    assert r.sink.records[0].resource_path == "/{proxy+}"
    assert r.sink.records[0].route_id is None


def test_root_has_its_own_catch_all(rig: Callable[..., Rig]) -> None:
    r = rig(route("GET", "/api/users"))
    resp = r.call("POST", "/")
    assert header(resp, "X-Migrate-Route") == [CATCH_ALL_ID]
    assert r.sink.records[0].resource_path == "/"


def test_table_has_the_rendered_resources() -> None:
    snapshot = build_snapshot(manifest_of(route("GET", "/{page}"), route("GET", "/a")))
    found = snapshot.table.match("PUT", "/x/y/z")
    assert found is not None and found.resource == "/{page}/{proxy+}"  # follows the variable


def test_canary_weight_splits_with_a_seeded_rng(rig: Callable[..., Rig]) -> None:
    r = rig(lam("GET", "/api/users/{id}", weight=30), seed=1234)

    async def many() -> list[str]:
        out = []
        for _ in range(1000):
            resp = await r.gateway.handle_request(GatewayRequest("GET", "/api/users/1"))
            out.append(header(resp, "X-Migrate-Target")[0])
        return out

    targets = asyncio.run(many())
    assert 250 <= targets.count("lambda") <= 350
    canary = [rec.is_canary for rec in r.sink.records if rec.target == "lambda"]
    assert canary and all(canary)
    assert not any(rec.is_canary for rec in r.sink.records if rec.target == "legacy")


def test_full_cutover_is_not_a_canary(rig: Callable[..., Rig]) -> None:
    r = rig(lam("GET", "/a"))
    r.call("GET", "/a")
    assert r.sink.records[0].target == "lambda" and not r.sink.records[0].is_canary


def test_request_over_10_mb_is_413(rig: Callable[..., Rig]) -> None:
    r = rig(lam("POST", "/up"))
    resp = r.call("POST", "/up", too_large=True)
    assert resp.status == 413
    assert json.loads(resp.body) == {"message": "Request Too Long"}
    assert header(resp, "X-Migrate-Route") == ["post-up"]


def test_lambda_event_over_6_mb_is_rejected(rig: Callable[..., Rig]) -> None:
    r = rig(lam("POST", "/up"))
    resp = r.call("POST", "/up", body=b"a" * (6 * 1024 * 1024 + 1))
    assert resp.status == 413


def test_record_fields(rig: Callable[..., Rig]) -> None:
    r = rig(route("GET", "/a/{id}"))
    r.call("GET", "/a/1", source_ip="10.0.0.9")
    rec = r.sink.records[0]
    assert (rec.http_method, rec.path, rec.resource_path) == ("GET", "/a/1", "/a/{id}")
    assert (rec.route_id, rec.target, rec.status) == ("get-a-id", "legacy", 200)
    assert rec.source_ip == "10.0.0.9" and rec.protocol == "HTTP/1.1"
    assert rec.response_length == len(b'{"from": "legacy"}')
    assert rec.response_latency_ms >= 0 and rec.integration_latency_ms is not None
    assert rec.request_time_epoch_ms > 1_600_000_000_000


def test_a_raising_sink_never_fails_the_request(rig: Callable[..., Rig]) -> None:
    r = rig(route("GET", "/a"))

    class Broken:
        def record(self, rec: object) -> None:
            raise RuntimeError("sink down")

        def close(self) -> None:
            return None

    r.gateway.sink = Broken()
    assert r.call("GET", "/a").status == 200


def test_swap_serves_the_new_snapshot(rig: Callable[..., Rig]) -> None:
    r = rig(route("GET", "/a"))
    assert header(r.call("GET", "/a"), "X-Migrate-Target") == ["legacy"]
    r.gateway.swap(build_snapshot(manifest_of(lam("GET", "/a"))))
    assert header(r.call("GET", "/a"), "X-Migrate-Target") == ["lambda"]


def test_invalid_request_target_is_400(rig: Callable[..., Rig]) -> None:
    assert rig(route("GET", "/a")).call("OPTIONS", "*").status == 400


def test_dot_segments_are_resolved_before_matching(rig: Callable[..., Rig]) -> None:
    r = rig(lam("GET", "/api/users/{id}"), route("GET", "/api/users/{id}/orders"))
    for path in ["/api/users/1/x/..", "/api/users/1/x/%2e%2E/", "/api/users/7/../1/."]:
        resp = r.call("GET", path)
        assert header(resp, "X-Migrate-Route") == ["get-api-users-id"], path
        assert json.loads(resp.body)["event"]["pathParameters"] == {"id": "1"}
    assert r.upstream.sent == []  # the Lambda route's monolith endpoint was never called
    assert {rec.path for rec in r.sink.records} == {"/api/users/1"}


def test_an_encoded_slash_separates_segments_before_matching(rig: Callable[..., Rig]) -> None:
    r = rig(lam("GET", "/api/users/{id}"), route("GET", "/api/users/{id}/orders"))
    resp = r.call("GET", "/api/users/2/..%2f3")
    assert header(resp, "X-Migrate-Route") == ["get-api-users-id"]
    assert json.loads(resp.body)["event"]["pathParameters"] == {"id": "3"}
    resp = r.call("GET", "/api/users/4%2Forders")
    assert header(resp, "X-Migrate-Route") == ["get-api-users-id-orders"]
    assert r.upstream.sent[0][1].target == "/api/users/4/orders"


def test_path_bytes_reach_the_monolith_as_sent(rig: Callable[..., Rig]) -> None:
    r = rig(route("GET", "/api/users/{id}"))
    resp = r.call("GET", "/api/users/%ff%fe%20x?q=%ff")
    assert header(resp, "X-Migrate-Route") == ["get-api-users-id"]
    r.call("GET", "/files/%ff/a%2eb/%25")
    assert [sent.target for _, sent, _ in r.upstream.sent] == [
        "/api/users/%ff%fe%20x?q=%ff", "/files/%ff/a%2eb/%25"
    ]  # fmt: skip
