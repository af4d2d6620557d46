"""``ProcessInvoker``: the gateway's Lambda invoker, running each function in worker processes.

Same interface as ``router.gateway.lambda_.LambdaInvoker.invoke`` (``(response,
integration_ms)``), answering as API Gateway's Lambda proxy integration does: a result ->
``map_result``; a function error, an init error (``Runtime.ImportModuleError``...), a
process exit (``Runtime.ExitError``), memory over the limit (``Runtime.OutOfMemory``) or
a result over 6 MB -> 502 ``Internal server error``; the route's timeout -> 504
``Endpoint request timed out`` (the environment is killed; a fresh one replaces it on
demand); a throttled function (every allowed environment busy) -> 500 ``Internal server
error``, which is what API Gateway REST answers when Lambda throttles (AWS knowledge
center, "troubleshoot the internal server error with status code 500 for API Gateway
endpoints that integrate with Lambda": throttling issues). Each invocation is logged as
START/END/REPORT (``reports``), with the lines the function printed between START and
END (its output pipe is drained then and every ``output.DRAIN_S``). At its first
invocation it removes, in a thread, the temp directories of environments whose gateway
was killed (``leftovers``). This module must not build events.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from router.gateway.events import LambdaContext
from router.gateway.lambda_ import MAX_LAMBDA_RESPONSE_BYTES
from router.gateway.messages import ENDPOINT_TIMED_OUT, INTERNAL_ERROR, GatewayResponse, json_error
from router.gateway.results import MalformedResult, map_result
from router.lambda_runtime.environment import INIT_TIMEOUT_S, Environment, InitFailed, Outcome
from router.lambda_runtime.leftovers import reclaim_leftovers
from router.lambda_runtime.output import DRAIN_S
from router.lambda_runtime.pool import FunctionPool, Throttled
from router.lambda_runtime.reports import InvocationRecord, StartLine, log_invocation
from router.lambda_runtime.sandbox import FunctionSpec, worker_command

__all__ = ["ProcessInvoker"]

log = logging.getLogger(__name__)
_STATUS = {"timeout": 504, "throttled": 500}


class ProcessInvoker:
    """Dotted handler -> its function's pool of worker processes."""

    def __init__(
        self,
        specs: Callable[[str, LambdaContext], FunctionSpec],
        runtime: Path,
        *,
        max_idle_s: float = 600.0,
        init_timeout_s: float = INIT_TIMEOUT_S,
        clock: Callable[[], float] = time.perf_counter,
        on_record: Callable[[InvocationRecord], None] | None = None,
        refresh: Callable[[], None] | None = None,
        refresh_s: float = 2.0,
        tmp_root: Path | None = None,
        command: Callable[[FunctionSpec, Path], list[str]] = worker_command,
    ) -> None:
        self._specs, self._runtime, self._clock = specs, runtime, clock
        self._tmp_root = tmp_root  # where environments' temp directories go (None: $TMPDIR)
        self._command = command  # a worker's argv (a bench swaps the runtime client)
        self._max_idle_s, self._on_record = max_idle_s, on_record
        self._init_timeout_s = init_timeout_s
        self._refresh, self._refresh_s = refresh, refresh_s
        self.pools: dict[tuple[str, str], FunctionPool] = {}
        self._retired: list[FunctionPool] = []
        self._reaper: asyncio.Task[None] | None = None
        self._drainer: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.last: InvocationRecord | None = None

    @property
    def registry(self) -> ProcessInvoker:
        """What the gateway core invalidates on a manifest change (this invoker)."""
        return self

    async def invoke(
        self,
        dotted: str,
        event: dict[str, Any],
        context: LambdaContext,
        timeout: float,
        *,
        binary_response: bool = False,
    ) -> tuple[GatewayResponse, float]:
        """The mapped response and the integration latency in ms."""
        start = self._clock()
        record, outcome = await self.run(dotted, json.dumps(event).encode(), context, timeout)
        response = _response(dotted, record, outcome, binary_response)
        return response, (self._clock() - start) * 1000

    async def run(
        self, dotted: str, event: bytes, context: LambdaContext, timeout: float
    ) -> tuple[InvocationRecord, Outcome]:
        """One invocation on a warm or new environment, recorded and logged."""
        if self._reaper is None:
            self._start_background()
        rid = context.aws_request_id
        try:
            spec = self._specs(dotted, context)
        except LookupError as exc:  # artifacts.ArtifactUnavailable: no code or layer
            log.error("%s: %s", context.function_name, exc)
            spec = FunctionSpec(context.function_name, dotted, Path())
            return self._record(spec, rid, Outcome("init", error_type="Runtime.Artifact"), None)
        pool = self._pool(dotted, spec)
        try:
            env, cold = await pool.acquire()
        except Throttled:
            return self._record(spec, rid, Outcome("throttled", error_type="Throttled"), None)
        except InitFailed as exc:
            log.error("%s: %s", spec.name, exc)
            return self._record(spec, rid, Outcome("init", error_type=exc.error_type), None)
        start = env.before_output = StartLine(spec.name, rid, env.log_stream)
        try:
            outcome = await env.invoke(rid, event, timeout, _trace_id(rid))
            env.flush_output()  # the lines it printed go between START and END
        finally:
            env.before_output = None
            await pool.release(env)
        init_ms = env.init_ms if cold else None
        return self._record(spec, rid, outcome, init_ms, env.log_stream, start)

    def _record(
        self,
        spec: FunctionSpec,
        rid: str,
        outcome: Outcome,
        init_ms: float | None,
        log_stream: str = "",
        start: StartLine | None = None,
    ) -> tuple[InvocationRecord, Outcome]:
        record = InvocationRecord(
            spec.name, rid, outcome.kind, outcome.duration_ms, spec.memory_mb,
            outcome.max_memory_mb, init_ms is not None, init_ms, outcome.error_type,
            log_stream,
        )  # fmt: skip
        if outcome.kind != "throttled":
            log_invocation(record, start)
        if self._on_record is not None:
            self._on_record(record)
        self.last = record
        return record, outcome

    def _start_background(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._reaper = self._loop.create_task(self._reap_forever())
        self._drainer = self._loop.create_task(self._drain_forever())
        reclaiming = self._loop.create_task(self._reclaim())  # a killed gateway's leftovers
        self._tasks.add(reclaiming)
        reclaiming.add_done_callback(self._tasks.discard)
        if self._refresh is not None:
            self._watcher = self._loop.create_task(self._refresh_forever(self._refresh))

    def _pool(self, dotted: str, spec: FunctionSpec) -> FunctionPool:
        """The pool of ``spec``: a changed spec (code, layer, settings) gets a new one."""
        key = (dotted, spec.name)
        pool = self.pools.get(key)
        if pool is None or pool.spec != spec:
            if pool is not None:
                self._retire(pool)
            pool = self.pools[key] = FunctionPool(spec, self._environment)
        return pool

    def _environment(self, spec: FunctionSpec) -> Environment:
        return Environment(
            spec, self._runtime, init_timeout_s=self._init_timeout_s, clock=self._clock,
            tmp_parent=self._tmp_root, command=self._command,
        )  # fmt: skip

    async def _reclaim(self) -> None:
        await asyncio.to_thread(reclaim_leftovers, self._tmp_root)

    def invalidate(self, names: Iterable[str]) -> None:
        """A code change: these handlers get fresh environments; in-flight ones finish.

        Thread-safe (the gateway swaps manifests from its reload thread): the pools are
        retired on the event loop.
        """
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._invalidate_now, list(names))

    def _invalidate_now(self, names: list[str]) -> None:
        for key in [key for key in self.pools if key[0] in names]:
            self._retire(self.pools.pop(key))

    def _retire(self, pool: FunctionPool) -> None:
        self._retired.append(pool)
        task = asyncio.get_running_loop().create_task(pool.retire())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def reap(self) -> int:
        """Stop environments idle longer than ``max_idle_s``; how many were stopped."""
        now = self._clock()
        return sum([await pool.reap(now, self._max_idle_s) for pool in self.pools.values()])

    async def _reap_forever(self) -> None:
        while True:
            await asyncio.sleep(max(1.0, self._max_idle_s / 4))
            await self.reap()

    async def _drain_forever(self) -> None:
        """Every ``DRAIN_S``: what workers printed between invocations or during a long
        one (``output``: their pipes wake nobody). Retired pools are dropped once empty."""
        while True:
            await asyncio.sleep(DRAIN_S)
            self._retired = [pool for pool in self._retired if pool.live]
            for pool in [*self.pools.values(), *self._retired]:
                for env in list(pool.live):
                    env.flush_output()

    async def _refresh_forever(self, refresh: Callable[[], None]) -> None:
        """Pack the functions again every ``refresh_s`` (in a thread): code changes."""
        while True:
            await asyncio.sleep(self._refresh_s)
            try:
                await asyncio.to_thread(refresh)
            except Exception:
                log.exception("re-packing the functions failed; retrying")

    async def aclose(self, grace_s: float = 5.0) -> None:
        """Let in-flight invocations finish until ``grace_s``, then kill every worker."""
        for task in (self._reaper, self._drainer, self._watcher):
            if task is not None:
                task.cancel()
        pools = [*self.pools.values(), *self._retired]
        self.pools, self._retired = {}, []
        await asyncio.gather(*(pool.close(grace_s) for pool in pools))


def _trace_id(request_id: str) -> str:
    hexed = request_id.replace("-", "")
    return f"Root=1-{int(time.time()):08x}-{hexed[:24]:0>24};Parent={hexed[-16:]:0>16};Sampled=0"


def _response(
    dotted: str, record: InvocationRecord, outcome: Outcome, binary: bool
) -> GatewayResponse:
    if outcome.kind == "ok":
        return _mapped(dotted, outcome.payload, binary)
    if outcome.kind == "timeout":
        log.error("%s: Task timed out after %.2f seconds", dotted, record.duration_ms / 1000)
        return json_error(504, ENDPOINT_TIMED_OUT)
    if outcome.kind == "throttled":
        log.error("%s: throttled (Rate Exceeded: TooManyRequestsException)", dotted)
    else:
        log.error(
            "%s: %s %s",
            dotted,
            outcome.error_type,
            outcome.payload[:2000].decode("utf-8", "replace"),
        )
    return json_error(_STATUS.get(outcome.kind, 502), INTERNAL_ERROR)


def _mapped(dotted: str, payload: bytes, binary: bool) -> GatewayResponse:
    if len(payload) > MAX_LAMBDA_RESPONSE_BYTES:
        log.error(
            "%s: response is %d bytes (limit %d)", dotted, len(payload), MAX_LAMBDA_RESPONSE_BYTES
        )
        return json_error(502, INTERNAL_ERROR)
    try:
        return map_result(json.loads(payload), binary_response=binary)
    except (MalformedResult, ValueError) as exc:
        log.error("%s: malformed Lambda proxy response: %s", dotted, exc)
        return json_error(502, INTERNAL_ERROR)
