"""Fixtures for the gateway unit tests: a thread pool and a ``rig`` builder.

The stub upstream, the recording sink and the other builders are in
``tests.helpers.gateway``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from router.gateway.core import LocalGateway
from router.gateway.lambda_ import HandlerRegistry, LambdaInvoker
from router.gateway.proxy import LegacyProxy
from router.gateway.snapshot import build_snapshot
from tests.helpers.gateway import ListSink, Rig, StubUpstream, manifest_of


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(4)
    yield pool
    pool.shutdown(wait=False, cancel_futures=True)


@pytest.fixture
def rig(executor: ThreadPoolExecutor) -> Callable[..., Rig]:
    def make(
        *routes: dict[str, Any], seed: int = 7, wall_ms: Callable[[], int] | None = None, **top: Any
    ) -> Rig:
        upstream, sink = StubUpstream(), ListSink()
        clocks = {} if wall_ms is None else {"wall_ms": wall_ms}
        gateway = LocalGateway(
            build_snapshot(manifest_of(*routes, **top)),
            proxy=LegacyProxy(upstream),
            invoker=LambdaInvoker(HandlerRegistry(), executor),
            sink=sink,
            rng=random.Random(seed),
            **clocks,
        )
        return Rig(gateway, upstream, sink)

    return make
