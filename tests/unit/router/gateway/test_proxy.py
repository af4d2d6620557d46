"""Legacy forwarding: the upstream URL can't leave the monolith; header rules; 502/504."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from router.gateway.messages import GatewayRequest
from router.gateway.proxy import UpstreamError, forward_headers, response_headers, split_target
from router.gateway.snapshot import LegacyBase, build_snapshot, legacy_base
from tests.helpers.gateway import Rig, header, manifest_of
from tests.helpers.manifests import route

BASE = LegacyBase("http", "legacy.internal", 5000, "")


@pytest.mark.parametrize(
    ("target", "upstream"),
    [
        ("//evil.example/x", "/evil.example/x"),
        ("/%2F%2Fevil.example", "/evil.example"),
        ("/%2F%2Fevil.example/a?b=1", "/evil.example/a?b=1"),
        ("/../../etc/passwd", "/etc/passwd"),
        ("/a/%2e%2e/%2E%2E/b", "/b"),
        ("http://evil.example/steal?q=1", "/steal?q=1"),
        ("https://evil.example", "/"),
        ("/a/./b//c/", "/a/b/c"),
        ("/api/users/..%2F..%2Fx", "/x"),  # %2F separates segments (normalise)
        ("/api/users/@evil.example", "/api/users/@evil.example"),
    ],
)
def test_request_paths_never_leave_the_monolith(
    rig: Callable[..., Rig], target: str, upstream: str
) -> None:
    r = rig(route("GET", "/api/users/{id}"))
    r.call("GET", target)
    base, sent, _ = r.upstream.sent[0]
    assert (base.host, base.port) == ("legacy.internal", 5000)
    assert sent.target == upstream
    assert ("Host", "legacy.internal:5000") in sent.headers


def test_an_encoded_slash_is_a_separator_as_the_monolith_sees_it(rig: Callable[..., Rig]) -> None:
    r = rig(route("GET", "/api/users/{id}"))
    resp = r.call("GET", "/api/users/a%2Fb")  # a WSGI server decodes it to /api/users/a/b
    assert header(resp, "X-Migrate-Route") == ["legacy-catch-all"]
    assert r.upstream.sent[0][1].target == "/api/users/a/b"


def test_legacy_base_path_is_kept(rig: Callable[..., Rig]) -> None:
    r = rig(route("GET", "/a"), legacy={"url": "http://legacy.internal:5000/app/"})
    r.call("GET", "/a?x=1&x=2")
    assert r.upstream.sent[0][1].target == "/app/a?x=1&x=2"


def test_legacy_base_parsing() -> None:
    assert legacy_base("https://h.example") == LegacyBase("https", "h.example", 443, "")
    assert legacy_base("http://h:81/p/") == LegacyBase("http", "h", 81, "/p")
    assert LegacyBase("http", "h", 80, "").host_header == "h"


def test_split_target() -> None:
    assert split_target("/a?b=1&b=2#frag") == ("/a", "b=1&b=2")
    assert split_target("*") is None
    assert split_target("javascript:alert(1)") is None


def test_hop_by_hop_headers_are_stripped_and_forwarded_headers_set() -> None:
    request = GatewayRequest(
        "POST",
        "/a",
        [
            ("Host", "gw.local:8080"),
            ("Connection", "keep-alive, X-Secret"),
            ("Keep-Alive", "timeout=5"),
            ("Proxy-Authorization", "Basic x"),
            ("TE", "trailers"),
            ("Trailer", "X"),
            ("Transfer-Encoding", "chunked"),
            ("Upgrade", "websocket"),
            ("X-Secret", "hop"),
            ("X-Forwarded-For", "1.1.1.1"),
            ("Accept", "application/json"),
            ("Content-Length", "999"),
        ],
        b"body",
        source_ip="10.0.0.7",
    )
    out = forward_headers(request, BASE)
    names = [n.lower() for n, _ in out]
    for gone in ("connection", "keep-alive", "proxy-authorization", "te", "trailer",
                 "transfer-encoding", "upgrade", "x-secret"):  # fmt: skip
        assert gone not in names
    assert ("Host", "legacy.internal:5000") in out and ("Accept", "application/json") in out
    assert ("X-Forwarded-For", "1.1.1.1, 10.0.0.7") in out
    assert ("X-Forwarded-Proto", "http") in out and ("X-Forwarded-Host", "gw.local:8080") in out
    assert ("Content-Length", "4") in out and names.count("content-length") == 1


def test_response_hop_by_hop_headers_are_stripped() -> None:
    got = response_headers(
        [("Connection", "close, X-Hop"), ("X-Hop", "1"), ("Content-Length", "3"),
         ("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain"), ("Set-Cookie", "a=1"),
         ("Set-Cookie", "b=2")]
    )  # fmt: skip
    assert got == [("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]


def test_upstream_down_is_502(rig: Callable[..., Rig]) -> None:
    r = rig(route("GET", "/a"))
    r.upstream.error = UpstreamError("connection refused")
    resp = r.call("GET", "/a")
    assert resp.status == 502 and "message" in json.loads(resp.body)
    assert header(resp, "X-Migrate-Target") == ["legacy"]


def test_upstream_timeout_is_504_with_the_route_timeout(rig: Callable[..., Rig]) -> None:
    r = rig(route("GET", "/a", timeout=3), route("GET", "/b"))
    r.upstream.error = TimeoutError()
    resp = r.call("GET", "/a")
    assert resp.status == 504
    assert json.loads(resp.body) == {"message": "Endpoint request timed out"}
    r.call("GET", "/b")
    assert [timeout for _, _, timeout in r.upstream.sent] == [3.0, 29.0]


def test_legacy_url_override_replaces_the_manifest_url() -> None:
    snapshot = build_snapshot(manifest_of(route("GET", "/a")), legacy_url="http://127.0.0.1:9")
    assert snapshot.legacy == LegacyBase("http", "127.0.0.1", 9, "")


@pytest.mark.parametrize(
    ("target", "upstream"),
    [
        ("/items", "/items/"),
        ("/items/", "/items/"),
        ("/items/5/parts?x=1", "/items/5/parts/?x=1"),
        ("/items/5/parts/", "/items/5/parts/"),
    ],
)
def test_the_apps_trailing_slash_is_kept_upstream(
    rig: Callable[..., Rig], target: str, upstream: str
) -> None:
    """A strict-slash rule is called as the app spells it (no 308 to the monolith itself)."""
    r = rig(
        route("GET", "/items", trailing_slash=True),
        route("GET", "/items/{id}/parts", trailing_slash=True),
    )
    r.call("GET", target)
    assert r.upstream.sent[0][1].target == upstream
