"""A function's execution environments: started on demand up to its concurrency, reused warm.

``acquire`` gives the most recently used idle environment (warm), or starts a new one
while fewer than ``reserved_concurrency`` exist (cold), or raises ``Throttled``.
``release`` puts a live environment back, or forgets a dead one (a fresh one replaces it
on demand). ``reap`` stops environments idle longer than ``max_idle_s``; ``retire``
(a code change) stops the idle ones now and each busy one when it is released; ``close``
lets in-flight invocations finish until the grace deadline, then kills every worker.
This module must not talk to the Runtime API or log reports.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from router.lambda_runtime.environment import Environment, InitFailed
from router.lambda_runtime.sandbox import FunctionSpec

__all__ = ["FunctionPool", "Throttled"]


class Throttled(Exception):
    """Every environment of the function is busy and it may not start another."""


class FunctionPool:
    """The environments of one function (code + configuration)."""

    def __init__(self, spec: FunctionSpec, factory: Callable[[FunctionSpec], Environment]) -> None:
        self.spec = spec
        self._factory = factory
        self.idle: list[Environment] = []
        self.live: set[Environment] = set()
        self.retired = False
        self._drained = asyncio.Event()

    async def acquire(self) -> tuple[Environment, bool]:
        """An environment to run one invocation on, and whether it was started for it."""
        if self.idle:
            return self.idle.pop(), False
        if len(self.live) >= self.spec.reserved_concurrency:
            raise Throttled(f"{self.spec.name}: all {len(self.live)} environments busy")
        env = self._factory(self.spec)
        self.live.add(env)
        self._drained.clear()
        try:
            await env.start()
        except (InitFailed, OSError):
            self._forget(env)
            raise
        return env, True

    async def release(self, env: Environment) -> None:
        if env.alive and not self.retired:
            self.idle.append(env)
            return
        if env.alive:
            await env.kill()
        self._forget(env)

    async def reap(self, now: float, max_idle_s: float) -> int:
        """Stop environments idle since before ``now - max_idle_s``; how many were stopped."""
        old = [env for env in self.idle if now - env.last_used > max_idle_s]
        for env in old:
            self.idle.remove(env)
            await env.kill()
            self._forget(env)
        return len(old)

    async def retire(self) -> None:
        """No more invocations here: stop idle environments now, busy ones on release."""
        self.retired = True
        await self.reap(float("inf"), -1.0)

    async def close(self, grace_s: float) -> None:
        """Retire, wait up to ``grace_s`` for in-flight invocations, then kill the rest."""
        await self.retire()
        if self.live:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), grace_s)
        for env in list(self.live):
            await env.kill()
            self._forget(env)

    def _forget(self, env: Environment) -> None:
        self.live.discard(env)
        if not self.live:
            self._drained.set()
