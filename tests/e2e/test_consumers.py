"""End-to-end: real Lambda libraries behind ``migrate serve``, against the same apps direct.

Real processes and sockets: a Flask echo app under gunicorn, a Starlette app under
uvicorn and the monolith under gunicorn are served directly; one ``migrate serve``
routes to Lambda handlers wrapping the very same apps (apig-wsgi, mangum) and to
handlers written with AWS Powertools (its strict event model and its REST resolver).
Every answer is read by a strict client (h11, plus a count of framing header lines):
same status, same body bytes, the same end-to-end headers apart from those API Gateway
adds or remaps, and exactly one framing header. The request mix covers repeated query
keys and headers, mixed case, cookies, JSON, form, binary, empty and 1 MB bodies, HEAD,
OPTIONS, encoded path parameters and a greedy parameter.

The gateway runs these handlers ``--in-process``: what is checked here is API
Gateway's event and result mapping, and the handlers are test modules (one wraps the
monolith itself) with no function package of their own; the isolated runtime has its
own end-to-end tests (``tests/e2e/lambda_runtime``).
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from router.local import ManagedProcess, start_gateway, start_legacy
from router.local.stack import SOURCE_ROOT, url
from router.manifest.model import Manifest
from router.manifest.store import dump_manifest
from tests.e2e.strict_http import Answer, strict_request

pytestmark = pytest.mark.e2e

C = "tests.e2e.consumers"
BINARY_TYPES = ["image/png", "application/octet-stream"]
# What API Gateway (or any server) adds, remaps or frames: not the app's own headers.
NOT_END_TO_END = {"date", "server", "connection", "keep-alive", "content-length",
                  "transfer-encoding"}  # fmt: skip
RNG = random.Random(11)
BLOB = RNG.randbytes(4096)
MEGA_TEXT = b"x" * (1024 * 1024)
MEGA_BLOB = RNG.randbytes(1024 * 1024)


def lam(method: str, path: str, function: str) -> dict[str, Any]:
    words = "".join(c if c.isalnum() else "-" for c in path.lower()).strip("-")
    rid = f"{method.lower()}-{'-'.join(filter(None, words.split('-')))}"
    return {"id": rid, "method": method, "path": path, "target": "lambda", "function": function}


# method, resource, handler (under tests.e2e.consumers)
ROUTE_TABLE = """
    ANY /echo/{item} flask_echo.handler
    ANY /files/{rest+} flask_echo.handler
    GET /png flask_echo.handler
    GET /empty flask_echo.handler
    ANY /asgi/{item} asgi_app.handler
    GET /asgi-png asgi_app.handler
    ANY /parsed/{item} powertools_app.parsed
    GET /pt/items/{item_id} powertools_app.resolver
    POST /pt/items powertools_app.resolver
    GET /api/users/{user_id} monolith_wsgi.handler
    POST /api/users monolith_wsgi.handler
    GET /api/products monolith_wsgi.handler
    GET /api/products/by-category/{category+} monolith_wsgi.handler
"""
ROUTES = [lam(m, p, f"{C}.{f}") for m, p, f in map(str.split, ROUTE_TABLE.strip().splitlines())]


@dataclass(frozen=True)
class Stack:
    gateway: str
    echo: str  # the Flask echo app under gunicorn
    asgi: str  # the Starlette app under uvicorn
    monolith: str


GUNICORN_ANNOUNCE = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
UVICORN_ANNOUNCE = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


def _serve(
    name: str, argv: list[str], ready: str, announce: re.Pattern[str], log_dir: Path
) -> ManagedProcess:
    """A server bound to port 0, ready at ``ready`` (a URL holding ``{port}``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MIGRATE_"))}
    env["PYTHONPATH"] = str(SOURCE_ROOT)
    proc = ManagedProcess(name, argv, ready, announce=announce, env=env, cwd=SOURCE_ROOT,
                          log_path=log_dir / f"{name}.log")  # fmt: skip
    return proc.launch(30)


def _base(proc: ManagedProcess) -> str:
    return url(proc.port or 0)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("consumers")
    database_url = f"sqlite:///{(tmp / 'legacy.db').as_posix()}"
    started: list[ManagedProcess] = []
    try:
        legacy = start_legacy(0, database_url, cwd=tmp, log_path=tmp / "m.log")
        started.append(legacy)
        gunicorn = [sys.executable, "-m", "gunicorn", "-b", "127.0.0.1:0", "-w", "1",
                    f"{C}.flask_echo:app"]  # fmt: skip
        ready = "http://127.0.0.1:{port}"
        echo = _serve("echo", gunicorn, ready + "/empty", GUNICORN_ANNOUNCE, tmp)
        started.append(echo)
        uvicorn = [sys.executable, "-m", "uvicorn", f"{C}.asgi_app:app", "--host", "127.0.0.1",
                   "--port", "0", "--no-access-log"]  # fmt: skip
        asgi = _serve("asgi", uvicorn, ready + "/asgi-png", UVICORN_ANNOUNCE, tmp)
        started.append(asgi)
        data = {"api": {"name": "consumers", "binary_media_types": BINARY_TYPES},
                "legacy": {"url": _base(legacy)}, "routes": ROUTES}  # fmt: skip
        manifest = tmp / "migration.yaml"
        manifest.write_text(dump_manifest(Manifest.model_validate(data)), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MIGRATE_"))}
        env.update(DATABASE_URL=database_url, MIGRATE_TELEMETRY="off")
        gateway = start_gateway(
            0, manifest, env, log_path=tmp / "gateway.log", args=["--in-process"]
        )
        started.append(gateway)
        yield Stack(_base(gateway), _base(echo), _base(asgi), _base(legacy))
    finally:
        for proc in reversed(started):
            proc.stop()


Req = tuple[str, str, list[tuple[str, str]], bytes]

TAGS = [("X-Tag", "a"), ("X-Tag", "b"), ("x-MiXeD-case", "Val"), ("Cookie", "a=1; b=2")]
JSON = [("Content-Type", "application/json")]
FORM = "application/x-www-form-urlencoded"
FLASK_MIX: list[Req] = [
    ("GET", "/echo/plain?x=1&x=2&sort=-+createdAt&e=%C3%A9&flag", TAGS, b""),
    ("POST", "/echo/json", JSON, json.dumps({"a": [1, "é"], "b": None}).encode()),
    ("POST", "/echo/form", [("Content-Type", FORM)], b"a=1&a=2&b=x+y&c=%26"),
    ("POST", "/echo/bin", [("Content-Type", "application/octet-stream")], BLOB),
    ("POST", "/echo/empty", [], b""),
    ("PUT", "/echo/big", [("Content-Type", "text/plain")], MEGA_TEXT),
    ("PATCH", "/echo/bigbin", [("Content-Type", "application/octet-stream")], MEGA_BLOB),
    ("DELETE", "/echo/gone?x=1", TAGS, b""),
    ("HEAD", "/echo/head?x=1", TAGS, b""),
    ("OPTIONS", "/echo/opt", [], b""),
    ("GET", "/echo/a%20b%C3%A9", [], b""),
    ("GET", "/files/a/b%20c/d.txt?x=%2B", [], b""),
    ("GET", "/png", [("Accept", "image/png")], b""),
    ("GET", "/empty", [], b""),
]
MONOLITH_MIX: list[Req] = [
    ("GET", "/api/users/5", [], b""),
    ("GET", "/api/users/999999", [], b""),
    ("GET", "/api/products?sort=-price&per_page=3&page=1", TAGS, b""),
    ("GET", "/api/products?q=a+b", [], b""),
    ("GET", "/api/products/by-category/home%20garden/kitchen", [], b""),
    ("POST", "/api/users", JSON, b'{"name": ""}'),
    ("POST", "/api/users", JSON, b"{not json"),
]
ASGI_MIX: list[Req] = [
    ("GET", "/asgi/plain?x=1&x=2&sort=-+createdAt", TAGS, b""),
    ("POST", "/asgi/json", JSON, b'{"a": 1}'),
    ("POST", "/asgi/bin", [("Content-Type", "application/octet-stream")], BLOB),
    ("PUT", "/asgi/big", [("Content-Type", "text/plain")], MEGA_TEXT),
    ("POST", "/asgi/empty", [], b""),
    ("HEAD", "/asgi/head", [], b""),
    ("GET", "/asgi/a%20b", [], b""),
    ("GET", "/asgi-png", [("Accept", "image/png")], b""),
]


def end_to_end(answer: Answer) -> list[tuple[str, str]]:
    kept = [
        (k, v) for k, v in answer.headers
        if k not in NOT_END_TO_END and not k.startswith(("x-migrate-", "x-amzn-"))
    ]  # fmt: skip
    # Flask lists Allow from a set: its order differs between two processes.
    return sorted((k, ", ".join(sorted(v.split(", "))) if k == "allow" else v) for k, v in kept)


def assert_same(stack: Stack, direct: str, req: Req) -> Answer:
    method, target, headers, body = req
    want = strict_request(direct, method, target, headers, body)
    got = strict_request(stack.gateway, method, target, headers, body)
    label = f"{method} {target}"
    assert got.values("x-migrate-target") == ["lambda"], label
    assert (got.status, got.body) == (want.status, want.body), label
    assert end_to_end(got) == end_to_end(want), label
    assert got.framing_lines == 1 and len(got.values("content-length")) == 1, label
    if method != "HEAD":
        assert got.values("content-length") == [str(len(want.body))], label
    return got


@pytest.mark.parametrize("req", FLASK_MIX, ids=lambda r: f"{r[0]} {r[1][:40]}")
def test_flask_app_through_apig_wsgi_answers_like_direct(stack: Stack, req: Req) -> None:
    got = assert_same(stack, stack.echo, req)
    if req[1].startswith("/echo/"):
        # Flask's own Content-Length comes back remapped, as from API Gateway. For HEAD
        # the adapter returns no body, so API Gateway's Content-Length is 0 while the
        # app's (the GET's) length is in the remapped header.
        want = strict_request(stack.echo, *req)
        assert got.values("x-amzn-remapped-content-length") == want.values("content-length")


@pytest.mark.parametrize("req", MONOLITH_MIX, ids=lambda r: f"{r[0]} {r[1][:40]}")
def test_monolith_through_apig_wsgi_answers_like_direct(stack: Stack, req: Req) -> None:
    assert_same(stack, stack.monolith, req)


@pytest.mark.parametrize("req", ASGI_MIX, ids=lambda r: f"{r[0]} {r[1][:40]}")
def test_asgi_app_through_mangum_answers_like_direct(stack: Stack, req: Req) -> None:
    assert_same(stack, stack.asgi, req)


def test_binary_response_is_base64_text_for_a_client_not_accepting_it(stack: Stack) -> None:
    direct = strict_request(stack.echo, "GET", "/png")
    got = strict_request(stack.gateway, "GET", "/png", [("Accept", "*/*")])
    assert got.status == 200 and got.body == base64.b64encode(direct.body)


PARSED_MIX = [(m, t.replace("/echo/", "/parsed/", 1), h, b) for m, t, h, b in FLASK_MIX
              if t.startswith("/echo/")]  # fmt: skip


@pytest.mark.parametrize("req", PARSED_MIX, ids=lambda r: f"{r[0]} {r[1][:40]}")
def test_powertools_event_model_accepts_every_event(stack: Stack, req: Req) -> None:
    method, target, headers, body = req
    got = strict_request(stack.gateway, method, target, headers, body)
    assert got.status == 200 and got.framing_lines == 1, got.body
    if method != "HEAD":
        seen = json.loads(got.body)
        assert (seen["method"], seen["proto"]) == (method, "http")
        assert seen["source_ip"] in ("127.0.0.1", "127.0.0.1/32")  # an IPvAnyNetwork
        assert seen["base64"] is (req[2] != [] and "octet-stream" in req[2][0][1])


def test_powertools_accepts_an_http_1_0_request_without_header_lines(stack: Stack) -> None:
    got = strict_request(stack.gateway, "GET", "/parsed/old", http_version="1.0")
    assert got.status == 200 and json.loads(got.body)["method"] == "GET"


def test_powertools_rest_resolver(stack: Stack) -> None:
    got = strict_request(stack.gateway, "GET", "/pt/items/42?tag=a&tag=b+c")
    assert got.status == 200 and json.loads(got.body) == {"id": "42", "tags": ["a", "b c"]}
    assert got.values("content-type") == ["application/json"] and got.framing_lines == 1
    body = json.dumps({"name": "x"}).encode()
    got = strict_request(stack.gateway, "POST", "/pt/items", JSON, body)
    assert got.status == 201 and json.loads(got.body) == {"created": {"name": "x"}}
