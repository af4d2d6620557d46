"""Invocation: errors, malformed results, timeouts, payload limits, handler reload."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import sys
import types
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from router.gateway.events import LambdaContext
from router.gateway.lambda_ import HandlerRegistry, LambdaInvoker
from tests.helpers.gateway import H, Rig, header, lam
from tests.unit.router.gateway import handlers


def test_handler_exception_is_502_with_the_cause_logged(
    rig: Callable[..., Rig], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="router.gateway.lambda_"):
        resp = rig(lam("GET", "/a", "boom")).call("GET", "/a")
    assert resp.status == 502
    assert json.loads(resp.body) == {"message": "Internal server error"}
    assert header(resp, "X-Migrate-Target") == ["lambda"]
    failure = next(r for r in caplog.records if "function error" in r.getMessage())
    assert failure.exc_info is not None and "kaboom from the handler" in str(failure.exc_info[1])


def test_malformed_result_is_502_and_logged(
    rig: Callable[..., Rig], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="router.gateway.lambda_"):
        resp = rig(lam("GET", "/a", "malformed")).call("GET", "/a")
    assert resp.status == 502 and json.loads(resp.body) == {"message": "Internal server error"}
    assert "body must be a string" in caplog.text


def test_result_mapping_through_the_gateway(rig: Callable[..., Rig]) -> None:
    r = rig(lam("GET", "/img", "binary"), api={"binary_media_types": ["image/png"]})
    resp = r.call("GET", "/img", headers=[("Accept", "image/png, */*")])
    assert resp.status == 201 and resp.body == b"\x89PNG\x00\xff"
    assert header(resp, "X-Both") == ["m1", "m2"] and header(resp, "X-One") == ["single"]
    assert header(resp, "Set-Cookie") == ["a=1", "b=2"]


def test_lambda_answers_carry_the_gateways_own_date(rig: Callable[..., Rig]) -> None:
    resp = rig(lam("GET", "/a", "remapped"), wall_ms=lambda: 1_700_000_000_000).call("GET", "/a")
    assert header(resp, "Date") == ["Tue, 14 Nov 2023 22:13:20 GMT"]
    assert header(resp, "x-amzn-Remapped-Date") == ["Mon, 01 Jan 2001 00:00:00 GMT"]
    assert header(resp, "Content-Length") == [] and header(resp, "Transfer-Encoding") == []


def test_base64_result_stays_text_unless_the_client_accepts_binary(
    rig: Callable[..., Rig],
) -> None:
    r = rig(lam("GET", "/img", "binary"), api={"binary_media_types": ["image/png"]})
    for headers in ([], [("Accept", "*/*")], [("Accept", "text/html,image/png")]):
        resp = r.call("GET", "/img", headers=headers)
        assert base64.b64decode(resp.body) == b"\x89PNG\x00\xff", headers
    wildcard = rig(lam("GET", "/img", "binary"), api={"binary_media_types": ["*/*"]})
    assert wildcard.call("GET", "/img").body == b"\x89PNG\x00\xff"


def test_response_over_6_mb_is_502(rig: Callable[..., Rig]) -> None:
    resp = rig(lam("GET", "/a", "huge")).call("GET", "/a")
    assert resp.status == 502 and json.loads(resp.body) == {"message": "Internal server error"}


def test_unimportable_handler_is_502(rig: Callable[..., Rig]) -> None:
    resp = rig(lam("GET", "/a", "missing_handler")).call("GET", "/a")
    assert resp.status == 502


@pytest.fixture
def release() -> Iterator[None]:
    handlers.RELEASE.clear()
    yield
    handlers.RELEASE.set()


def _context() -> LambdaContext:
    return LambdaContext(
        request_id="r", function_name="f", function_arn="a", memory_mb=128, deadline=0.0
    )


def test_timeout_is_504(executor: ThreadPoolExecutor, release: None) -> None:
    invoker = LambdaInvoker(HandlerRegistry(), executor)
    resp, spent = asyncio.run(invoker.invoke(f"{H}.slow", {}, _context(), 0.05))
    assert resp.status == 504
    assert json.loads(resp.body) == {"message": "Endpoint request timed out"}
    assert spent >= 50


def test_registry_imports_once_and_reloads_invalidated_modules() -> None:
    imported: list[str] = []
    reloaded: list[str] = []
    module = types.ModuleType("fake_mod")
    module.handler = lambda event, context: {"statusCode": 200}  # type: ignore[attr-defined]

    def importer(name: str) -> types.ModuleType:
        imported.append(name)
        sys.modules[name] = module
        return module

    def reloader(mod: types.ModuleType) -> types.ModuleType:
        reloaded.append(mod.__name__)
        return mod

    registry = HandlerRegistry(importer=importer, reloader=reloader)
    try:
        first = registry.get("fake_mod.handler")
        assert registry.get("fake_mod.handler") is first and imported == ["fake_mod"]
        registry.invalidate(["fake_mod.handler"])
        registry.get("fake_mod.handler")
        assert reloaded == ["fake_mod"] and imported == ["fake_mod"]
    finally:
        sys.modules.pop("fake_mod", None)
