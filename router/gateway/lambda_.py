"""Invoke migrated handlers in-process, as Lambda would, off the event loop.

``HandlerRegistry`` imports ``package.module.handler`` once and caches it; names
invalidated by a manifest change are re-imported (module reloaded) on next use.
``LambdaInvoker`` runs the handler in a thread pool with the route's timeout, checks
Lambda's 6 MB response limit (JSON-serialising the result as the runtime does) and maps
the result (``results``): function error or malformed result -> 502 ``Internal server
error`` with the cause logged; timeout -> 504 ``Endpoint request timed out`` (the
thread cannot be killed: it finishes in the background, its result dropped).
This module must not build events or do network I/O.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from router.errors import HandlerError
from router.gateway.events import LambdaContext
from router.gateway.messages import ENDPOINT_TIMED_OUT, INTERNAL_ERROR, GatewayResponse, json_error
from router.gateway.results import MalformedResult, map_result

__all__ = [
    "MAX_LAMBDA_REQUEST_BYTES",
    "MAX_LAMBDA_RESPONSE_BYTES",
    "Handler",
    "HandlerRegistry",
    "Invoker",
    "LambdaInvoker",
    "PayloadTooLarge",
]

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], LambdaContext], object]
MAX_LAMBDA_REQUEST_BYTES = 6 * 1024 * 1024  # Invoke: "Request must be smaller than 6291456"
MAX_LAMBDA_RESPONSE_BYTES = (
    6 * 1024 * 1024 + 100
)  # "Exceeded maximum allowed payload size (6291556)"


class Invalidates(Protocol):
    def invalidate(self, names: Iterable[str]) -> None: ...


class Invoker(Protocol):
    """What the gateway core needs of a Lambda invoker: this in-process one, or the
    isolated worker processes of ``router.lambda_runtime.ProcessInvoker``."""

    @property
    def registry(self) -> Invalidates: ...

    async def invoke(
        self,
        dotted: str,
        event: dict[str, Any],
        context: LambdaContext,
        timeout: float,
        *,
        binary_response: bool = False,
    ) -> tuple[GatewayResponse, float]: ...

    async def aclose(self, grace_s: float = 0.0) -> None: ...


class PayloadTooLarge(Exception):
    """The handler's serialised result exceeds Lambda's synchronous response limit."""


class HandlerRegistry:
    """Dotted handler path -> callable, imported once; thread-safe."""

    def __init__(
        self,
        search_path: Path | None = None,
        *,
        importer: Callable[[str], ModuleType] = importlib.import_module,
        reloader: Callable[[ModuleType], ModuleType] = importlib.reload,
    ) -> None:
        self._search_path = search_path
        self._import = importer
        self._reload = reloader
        self._handlers: dict[str, Handler] = {}
        self._stale: set[str] = set()
        self._lock = threading.Lock()

    def get(self, dotted: str) -> Handler:
        handler = self._handlers.get(dotted)
        if handler is not None:
            return handler
        with self._lock:
            handler = self._handlers.get(dotted) or self._load(dotted)
            self._handlers[dotted] = handler
            return handler

    def invalidate(self, names: Iterable[str]) -> None:
        """Forget ``names``; their modules are reloaded when next used."""
        with self._lock:
            for dotted in names:
                self._handlers.pop(dotted, None)
                self._stale.add(dotted.rpartition(".")[0])

    def _load(self, dotted: str) -> Handler:
        module_name, _, attr = dotted.rpartition(".")
        self._ensure_path()
        try:
            module = self._module(module_name)
        except Exception as exc:
            raise HandlerError(f"cannot import {module_name!r}: {exc}") from exc
        handler = getattr(module, attr, None)
        if not callable(handler):
            raise HandlerError(f"{module_name} has no callable {attr!r}")
        return handler  # type: ignore[no-any-return]

    def _module(self, name: str) -> ModuleType:
        module = sys.modules.get(name)
        if module is not None and name in self._stale:
            self._stale.discard(name)
            return self._reload(module)
        self._stale.discard(name)
        return self._import(name)

    def _ensure_path(self) -> None:
        if self._search_path is not None and str(self._search_path) not in sys.path:
            sys.path.insert(0, str(self._search_path))


def _run(registry: HandlerRegistry, dotted: str, event: Any, context: LambdaContext) -> object:
    """In a worker thread: call the handler and enforce the response size limit."""
    result = registry.get(dotted)(event, context)
    size = len(json.dumps(result).encode("utf-8"))  # TypeError: not JSON, as on Lambda
    if size > MAX_LAMBDA_RESPONSE_BYTES:
        raise PayloadTooLarge(f"response is {size} bytes (limit {MAX_LAMBDA_RESPONSE_BYTES})")
    return result


class LambdaInvoker:
    """Runs handlers in ``executor``; answers like API Gateway's aws_proxy integration."""

    def __init__(
        self,
        registry: HandlerRegistry,
        executor: Executor,
        *,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._registry = registry
        self._executor = executor
        self._clock = clock

    @property
    def registry(self) -> HandlerRegistry:
        return self._registry

    async def aclose(self, grace_s: float = 0.0) -> None:
        """Nothing to stop: handler threads belong to the executor its owner shuts down."""

    async def invoke(
        self,
        dotted: str,
        event: dict[str, Any],
        context: LambdaContext,
        timeout: float,
        *,
        binary_response: bool = False,
    ) -> tuple[GatewayResponse, float]:
        """The mapped response and the integration latency in ms.

        ``binary_response``: the client accepts binary (a base64 result is decoded).
        """
        loop = asyncio.get_running_loop()
        start = self._clock()
        future = loop.run_in_executor(self._executor, _run, self._registry, dotted, event, context)
        try:
            result = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            log.error("%s: timed out after %.1f s", dotted, timeout)
            return json_error(504, ENDPOINT_TIMED_OUT), (self._clock() - start) * 1000
        except Exception:
            log.exception("%s: function error", dotted)
            return json_error(502, INTERNAL_ERROR), (self._clock() - start) * 1000
        return _mapped(dotted, result, binary_response), (self._clock() - start) * 1000


def _mapped(dotted: str, result: object, binary_response: bool) -> GatewayResponse:
    try:
        return map_result(result, binary_response=binary_response)
    except MalformedResult as exc:
        log.error("%s: malformed Lambda proxy response: %s", dotted, exc)
        return json_error(502, INTERNAL_ERROR)
