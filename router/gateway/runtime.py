"""Assemble and run the local gateway: manifest -> snapshot -> core -> HTTP server.

``build_gateway`` wires the collaborators (upstream pool, handler registry + thread
pool, sink, RNG, hot reloader) around the manifest file; ``GatewayServer`` binds the
socket, runs the hot reloader (its helper process starts with the server) and the
client-deadline sweeper, and shuts down gracefully (stop accepting and reloading, stop
the reload helper, finish in-flight requests for up to ``grace`` seconds, close the
pool and the sink). ``run`` is the blocking entry point for ``migrate serve``: uvloop when
installed, SIGINT/SIGTERM stop it, and the process ends within the grace period even
when a handler thread hangs. The shadow tap writes its results beside the manifest
(``router.shadow.files``). This module must not parse command-line options or print.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import random
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from router.gateway.builder import SnapshotBuilder
from router.gateway.core import LocalGateway
from router.gateway.lambda_ import HandlerRegistry, Invoker, LambdaInvoker
from router.gateway.limits import DEFAULT_LIMITS, Limits, raise_fd_limit
from router.gateway.packed import PackedSnapshot
from router.gateway.proxy import LegacyProxy, UpstreamTransport
from router.gateway.records import NullSink, Sink
from router.gateway.reload import POLL_INTERVAL_S, ManifestWatcher
from router.gateway.reloader import SnapshotReloader
from router.gateway.server import HttpServerProtocol
from router.gateway.shadow import ShadowTap, max_rate_from_env
from router.gateway.snapshot import build_snapshot, invocable_key, invocable_manifest
from router.gateway.upstream import UpstreamPool
from router.lambda_runtime.artifacts import DEFAULT_PASS_ENV, pass_through
from router.manifest.model import Manifest
from router.shadow.files import shadow_root
from router.shadow.writer import ResultsWriter

__all__ = [
    "DEFAULT_THREADS",
    "FunctionPreparer",
    "GatewayServer",
    "ServeOptions",
    "build_gateway",
    "loop_factory",
    "run",
]

log = logging.getLogger(__name__)

SinkFactory = Callable[[Manifest], Sink]

# Handlers share one GIL: more threads only help handlers that wait (I/O, sleep). With 16,
# 16 busy connections to one SQLite-backed handler spent ~700 us of gateway CPU per
# request on GIL hand-offs (each SQLite step releases it) and reached 52-65% of the
# monolith's throughput; with 8, ~600 us and ~75%; with 4, ~450 us (bench_gateway.py).
DEFAULT_THREADS = 8


@dataclass(frozen=True, slots=True)
class ServeOptions:
    manifest: Path
    host: str = "127.0.0.1"
    port: int = 8080
    threads: int = DEFAULT_THREADS  # Lambda handlers running at once
    seed: int | None = None  # canary RNG seed (None: random)
    grace: float = 10.0  # seconds in-flight requests get on shutdown
    poll_interval: float = POLL_INTERVAL_S
    legacy_url: str | None = None  # overrides the manifest's legacy.url
    half_close: bool = True  # close mode for Connection: close monoliths (upstream doc)
    limits: Limits = DEFAULT_LIMITS  # client head sizes, timeouts, connections (limits doc)
    in_process: bool = False  # debug mode: handlers in this interpreter, NOT isolated
    layers: tuple[Path, ...] = ()  # extra layer directories of the isolated workers
    pass_env: tuple[str, ...] | None = None  # variables copied to workers (None: default)
    native_client: bool = False  # workers use awslambdaric's libcurl transport


def build_gateway(
    options: ServeOptions,
    *,
    sink_factory: SinkFactory | None = None,
    transport: UpstreamTransport | None = None,
) -> tuple[LocalGateway, SnapshotReloader, ThreadPoolExecutor]:
    """The core and its hot reloader; raises StranglerError on an invalid manifest.

    The reloader's helper process starts when the server does (``GatewayServer``).
    Isolated workers get each new manifest's function artifacts before it is served."""
    watcher = ManifestWatcher(options.manifest)
    manifest = watcher.load()
    executor = ThreadPoolExecutor(options.threads, thread_name_prefix="lambda")
    registry = HandlerRegistry(options.manifest.resolve().parent)
    invoker, prepare = _invoker(options, registry, executor)
    prepare(invocable_manifest(manifest))  # the artifacts first: a new route finds its spec
    upstream = transport or UpstreamPool(half_close=options.half_close)
    proxy = LegacyProxy(upstream)
    gateway = LocalGateway(
        build_snapshot(manifest, legacy_url=options.legacy_url),
        proxy=proxy,
        invoker=invoker,
        sink=sink_factory(manifest) if sink_factory else NullSink(),
        rng=random.Random(options.seed),
        shadow=_shadow_tap(options, proxy, invoker),
    )
    builder = SnapshotBuilder(legacy_url=options.legacy_url)
    before = None if options.in_process else FunctionPreparer(prepare, executor, manifest)
    reloader = SnapshotReloader(watcher, builder, gateway.swap, before_swap=before)
    return gateway, reloader, executor


class FunctionPreparer:
    """Before a new snapshot is served (``SnapshotReloader``'s ``before_swap``): the
    artifacts of its functions, built off the loop from the few routes the reload's build
    process sent (``PackedSnapshot.invocable``), never from the manifest parsed again; nothing
    to do when those routes are the ones last prepared (same ``invocable_key``)."""

    def __init__(
        self, prepare: Callable[[Manifest], None], executor: Executor, prepared: Manifest
    ) -> None:
        self._prepare, self._executor = prepare, executor
        self._key = invocable_key(invocable_manifest(prepared))

    async def __call__(self, packed: PackedSnapshot) -> None:
        if packed.invocable_key == self._key:
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._prepare_packed, packed)
        self._key = packed.invocable_key

    def _prepare_packed(self, packed: PackedSnapshot) -> None:
        self._prepare(packed.invocable_model())


def _invoker(
    options: ServeOptions, registry: HandlerRegistry, executor: Executor
) -> tuple[Invoker, Callable[[Manifest], None]]:
    """The Lambda invoker and what each new manifest is handed to before it is served."""
    if options.in_process:
        log.warning(
            "Lambda routes run IN-PROCESS (debug mode, NOT isolated): handlers share this "
            "interpreter, its packages and its GIL"
        )
        return LambdaInvoker(registry, executor), lambda _manifest: None
    from router.lambda_runtime.serve import isolated_invoker

    log.info("Lambda routes run isolated: one worker process per environment (AWS's runtime "
             "client), each with only its function's package and layer")  # fmt: skip
    env = pass_through(DEFAULT_PASS_ENV if options.pass_env is None else options.pass_env)
    invoker, specs = isolated_invoker(
        options.manifest, options.layers, env, native_client=options.native_client
    )
    return invoker, specs.prepare


def _shadow_tap(options: ServeOptions, proxy: LegacyProxy, invoker: Invoker) -> ShadowTap:
    root = shadow_root(options.manifest.resolve())
    return ShadowTap(proxy, invoker, ResultsWriter(), root, max_rate=max_rate_from_env())


class GatewayServer:
    """The listening socket, its connections, the deadline sweeper and the reload task."""

    def __init__(
        self,
        gateway: LocalGateway,
        reloader: SnapshotReloader | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.gateway = gateway
        self._reloader = reloader
        self._limits = limits
        self._connections: set[HttpServerProtocol] = set()
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, host: str, port: int, poll_interval: float = POLL_INTERVAL_S) -> int:
        """Listen on (host, port); the bound port (useful with port 0)."""
        loop = asyncio.get_running_loop()
        handler, limits = self.gateway.handle_request, self._limits
        most = limits.connections()
        self._server = await loop.create_server(
            lambda: HttpServerProtocol(handler, self._connections, limits, most),
            host, port, reuse_address=True, backlog=1024,
        )  # fmt: skip
        self._tasks.append(loop.create_task(self._sweep()))
        if self._reloader is not None:
            self._tasks.append(loop.create_task(self._reloader.run(poll_interval)))
        bound: int = self._server.sockets[0].getsockname()[1]
        return bound

    async def stop(self, grace: float = 10.0) -> None:
        """Stop accepting, let in-flight requests finish (up to ``grace`` s), close all."""
        if self._server is not None:
            self._server.close()
        for task in self._tasks:
            task.cancel()
        closing = asyncio.create_task(self._close_reloader())  # while requests finish
        await self._drain(grace)
        await closing
        for conn in list(self._connections):
            conn.close()
        await self.gateway.close()

    async def _close_reloader(self) -> None:
        if self._reloader is not None:
            await self._reloader.close()

    async def _sweep(self) -> None:
        """Time out slow and idle clients (``HttpServerProtocol.sweep``)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._limits.sweep_interval)
            now = loop.time()
            for conn in list(self._connections):
                conn.sweep(now)

    async def _drain(self, grace: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while loop.time() < deadline:
            for conn in [c for c in self._connections if not c.busy]:
                conn.close()
            if not self._connections:
                return
            await asyncio.sleep(0.05)


async def _serve(options: ServeOptions, sink_factory: SinkFactory | None) -> float:
    """Serve until SIGINT/SIGTERM; the ``time.monotonic()`` by which the process must end."""
    gateway, reloader, executor = build_gateway(options, sink_factory=sink_factory)
    close_logs = None if options.in_process else _lambda_logs(gateway.snapshot.api.region)
    gc.collect()  # start-up garbage: freed, not frozen
    gc.freeze()  # start-up objects (CLI, pydantic, YAML) never again scanned by the GC
    server = GatewayServer(gateway, reloader, options.limits)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        port = await server.start(options.host, options.port, options.poll_interval)
        log.info("gateway listening on http://%s:%d", options.host, port)
        await stop.wait()
        log.info("shutting down")
    finally:
        deadline = time.monotonic() + options.grace
        await server.stop(options.grace)
        gateway.sink.close()
        if close_logs is not None:
            close_logs()
        executor.shutdown(wait=False, cancel_futures=True)
    return deadline


def _lambda_logs(region: str) -> Callable[[], None] | None:
    """START/END/REPORT and the workers' output to CloudWatch Logs (with an endpoint)."""
    from router.lambda_runtime.cloudwatch import install_log_shipping

    return install_log_shipping(region)


def run(
    options: ServeOptions,
    *,
    sink_factory: SinkFactory | None = None,
    exit_now: Callable[[int], object] = os._exit,
) -> None:
    """Serve until SIGINT/SIGTERM (blocking); return within ``options.grace`` seconds of
    the signal. Handler threads still running then (a hung handler, or a thread a handler
    started) are abandoned through ``exit_now`` (``os._exit``): the interpreter would
    otherwise wait for them, until SIGKILL."""
    soft = raise_fd_limit()
    log.debug("file-descriptor limit %d: up to %d clients", soft, options.limits.connections())
    runner = asyncio.Runner(loop_factory=loop_factory())
    deadline = None
    with runner, contextlib.suppress(KeyboardInterrupt):
        deadline = runner.run(_serve(options, sink_factory))
    if deadline is not None and not _threads_done(deadline):
        logging.shutdown()  # flush the logs: os._exit skips it
        exit_now(0)


def _threads_done(deadline: float) -> bool:
    """Wait until ``deadline`` for non-daemon threads; whether all of them ended."""
    for thread in _others():
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [t.name for t in _others() if t.is_alive()]
    if stuck:
        log.warning("exiting with %d thread(s) still running: %s", len(stuck), ", ".join(stuck))
    return not stuck


def _others() -> list[threading.Thread]:
    main = threading.main_thread()
    return [t for t in threading.enumerate() if t is not main and not t.daemon]


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory when it is installed, else None (the asyncio loop)."""
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory
