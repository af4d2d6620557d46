"""Benchmark: how much a 5,000-route hot reload delays the gateway's event loop.

One process, one run, the gateway's own loop (uvloop): a ticker task asks to wake every
millisecond and records how late it wakes, which is what a request arriving then would
wait. The manifest is replaced ``--reloads`` times in each of these ways:

* ``thread``: the former reload (parse and build in a worker thread, GIL switch interval
  0.25 ms, collector off, then ``gc.freeze`` without a collection);
* ``helper``: ``SnapshotReloader`` with the helper process and the current collector
  policy (a collection of the unfrozen objects, collector off while installing, freeze);
* ``helper, no freeze``: the same without any collector handling (automatic passes
  then scan the new snapshot on the loop);
* ``helper, freeze only``: freeze after the install, no collection first (the leak).

For each: write-to-swap seconds, the ticker's lateness p50/p99/max while reloading and
while idle, and how much ``gc.get_freeze_count()`` grew over the reloads when 1,000
cyclic garbage objects are alive at each (the leak). The machine's load average is
printed too: on a shared machine, lateness includes time the process was not running.
Run with ``.venv/bin/python bench/bench_reload_loop.py [--routes N] [--reloads N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench_scale import manifest_text

from router.gateway.builder import SnapshotBuilder
from router.gateway.reload import ManifestWatcher
from router.gateway.reloader import SnapshotReloader, collector_held
from router.gateway.runtime import loop_factory
from router.gateway.snapshot import Snapshot, build_snapshot
from router.manifest.store import load_manifest

TICK_S = 0.001
Collector = Callable[[], AbstractAsyncContextManager[None]]


@dataclass
class Holder:
    """Stands for the gateway: ``swap`` as ``LocalGateway.swap`` does."""

    snapshot: Snapshot

    def swap(self, snapshot: Snapshot) -> Snapshot:
        old, self.snapshot = self.snapshot, snapshot
        return old


@dataclass
class Ticker:
    """Wakes every TICK_S; (time, lateness) of each wake-up."""

    samples: list[tuple[float, float]] = field(default_factory=list)

    async def run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(TICK_S)
            now = time.perf_counter()
            self.samples.append((now, now - start - TICK_S))

    def between(self, windows: list[tuple[float, float]]) -> list[float]:
        return [late for t, late in self.samples if any(a <= t <= b for a, b in windows)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


@asynccontextmanager
async def no_collector_handling() -> AsyncIterator[None]:
    yield


@asynccontextmanager
async def freeze_only() -> AsyncIterator[None]:
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def thread_reload(path: Path, holder: Holder) -> Callable[[], Awaitable[object]]:
    def work() -> None:
        interval = sys.getswitchinterval()
        sys.setswitchinterval(0.00025)
        gc.disable()
        try:
            holder.swap(build_snapshot(load_manifest(path).model))
        finally:
            gc.freeze()
            gc.enable()
            sys.setswitchinterval(interval)

    return lambda: asyncio.to_thread(work)


async def measure(
    name: str, path: Path, count: int, reloads: int, reload: Callable[[], Awaitable[object]]
) -> tuple[str, ...]:
    ticker = Ticker()
    task = asyncio.create_task(ticker.run())
    busy, idle, took = [], [], []
    frozen = gc.get_freeze_count()
    for n in range(1, reloads + 1):
        await asyncio.sleep(0.5)
        idle.append((time.perf_counter() - 0.4, time.perf_counter()))
        _cycles(1_000)
        path.write_text(manifest_text(count, revision=n, flipped=n % 2 == 1), encoding="utf-8")
        start = time.perf_counter()
        await reload()
        busy.append((start, time.perf_counter()))
        took.append(busy[-1][1] - start)
    task.cancel()
    grown = gc.get_freeze_count() - frozen
    during, before = ticker.between(busy), ticker.between(idle)
    return (
        name, f"{sorted(took)[len(took) // 2]:.2f} s",
        f"{pct(before, 0.5):.2f} / {pct(during, 0.5):.2f}",
        f"{pct(before, 0.99):.2f} / {pct(during, 0.99):.2f}",
        f"{max(before, default=0) * 1000:.1f} / {max(during, default=0) * 1000:.1f}",
        f"{grown:+d}",
    )  # fmt: skip


def _cycles(count: int) -> None:
    for _ in range(count):
        cycle: list[object] = []
        cycle.append(cycle)


async def run_bench(count: int, reloads: int) -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-reload-") as tmp:
        path = Path(tmp) / "migration.yaml"
        path.write_text(manifest_text(count, revision=0, flipped=False), encoding="utf-8")
        holder = Holder(build_snapshot(load_manifest(path).model))
        gc.collect()
        gc.freeze()  # as the gateway does at start-up
        rows.append(await measure("thread", path, count, reloads, thread_reload(path, holder)))
        ways: list[tuple[str, Collector]] = [
            ("helper", collector_held),
            ("helper, no freeze", no_collector_handling),
            ("helper, freeze only", freeze_only),
        ]
        for name, collector in ways:
            builder = SnapshotBuilder()
            reloader = SnapshotReloader(
                ManifestWatcher(path), builder, holder.swap, collector=collector
            )
            await builder.start()
            try:
                rows.append(await measure(name, path, count, reloads, reloader.reload))
            finally:
                await builder.close()
    _print(count, reloads, rows)


def _print(count: int, reloads: int, rows: list[tuple[str, ...]]) -> None:
    print(
        f"bench_reload_loop: {count} routes, {reloads} reloads a way; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    head = ("way", "write to swap", "late p50 idle/reload ms", "late p99 idle/reload ms",
            "late max idle/reload ms", "frozen objects")  # fmt: skip
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for row in [head, *rows]:
        print("  " + "  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--routes", type=int, default=5_000)
    parser.add_argument("--reloads", type=int, default=6)
    args = parser.parse_args()
    factory = loop_factory()
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(run_bench(args.routes, args.reloads))


if __name__ == "__main__":
    main()
