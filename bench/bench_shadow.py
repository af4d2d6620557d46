"""Benchmark what an active shadow run adds to the client's latency through the gateway.

Run: ``python bench/bench_shadow.py [--duration 4] [--rounds 3]``. Starts, on free
loopback ports, the monolith under gunicorn (2 sync workers, a fresh SQLite database)
and ``migrate serve`` with ``GET /api/users/{user_id}`` on the monolith. Each round
measures the median latency of ``GET /api/users/5`` at 1 connection without a shadow,
then with one (``route.shadow`` set in the manifest, candidate
``migrated_functions.users.get_user``; every request also sends a copy to the handler
and one to the monolith, off the request path). Uses ``wrk --latency`` when
``/usr/bin/wrk`` exists, else sequential httpx requests. Prints the added median
(target < 1 ms; median of per-round differences) and how many copies were written.
``--rate 0`` copies every request (the gateway's default is 50 a second per route).
Every process it started is stopped on exit.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from router.gateway.shadow import RATE_ENV  # noqa: E402
from router.local import child_env, free_port, start_gateway, start_legacy  # noqa: E402
from router.manifest.model import Manifest, Shadow  # noqa: E402
from router.manifest.store import ManifestStore, dump_manifest  # noqa: E402
from router.shadow.files import read_results, results_path, shadow_root  # noqa: E402

PATH = "/api/users/5"
ROUTE = "get-api-users-user-id"
HANDLER = "migrated_functions.users.get_user"
WRK = "/usr/bin/wrk"
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@contextmanager
def stack(tmp: Path, rate: str | None) -> Iterator[tuple[str, Path]]:
    """(gateway URL, manifest path) of a monolith + ``migrate serve``; both stopped after."""
    database = f"sqlite:///{(tmp / 'db.sqlite').as_posix()}"
    env = child_env(DATABASE_URL=database, MIGRATE_TELEMETRY="off")
    if rate is not None:
        env[RATE_ENV] = rate
    legacy = start_legacy(free_port(), database, cwd=tmp, env=env, log_path=tmp / "legacy.log")
    try:
        manifest = write_manifest(tmp / "migration.yaml", legacy.ready_url.removesuffix("/health"))
        gateway = start_gateway(free_port(), manifest, env, log_path=tmp / "gateway.log")
        try:
            yield gateway.ready_url.removesuffix("/health"), manifest
        finally:
            gateway.stop()
    finally:
        legacy.stop()


def write_manifest(path: Path, legacy_url: str) -> Path:
    route = {"id": ROUTE, "method": "GET", "path": "/api/users/{user_id}"}
    model = Manifest.model_validate({"legacy": {"url": legacy_url}, "routes": [route]})
    path.write_text(dump_manifest(model), encoding="utf-8")
    return path


def set_shadow(manifest: Path, run_id: str | None, function: str = HANDLER) -> None:
    """Start (``run_id``) or clear the route's shadow, then give the gateway time to reload."""
    until = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with ManifestStore(manifest).edit() as draft:
        route = draft.route(ROUTE)
        assert route is not None
        route.shadow = Shadow(run_id=run_id, function=function, until=until) if run_id else None
    time.sleep(1.0)  # the watcher polls every 0.25 s


def median_ms(url: str, seconds: float) -> float:
    if Path(WRK).exists():
        argv = [WRK, "-t1", "-c1", f"-d{seconds:g}s", "--latency", url]
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        found = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if found is None:
            raise RuntimeError(f"cannot parse wrk output:\n{out}")
        return float(found.group(1)) * _UNITS[found.group(2)]
    return httpx_median_ms(url, seconds)


def httpx_median_ms(url: str, seconds: float) -> float:
    samples: list[float] = []
    with httpx.Client() as client:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            start = time.perf_counter()
            client.get(url).raise_for_status()
            samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def measure(
    url: str, manifest: Path, function: str, seconds: float, rounds: int
) -> list[tuple[float, float]]:
    median_ms(url, 2)  # warm-up: imports, pools, page cache
    pairs = []
    for number in range(rounds):
        set_shadow(manifest, None)
        without = median_ms(url, seconds)
        set_shadow(manifest, f"bench-{number}", function)
        median_ms(url, 1)  # warm the candidate (first import after the reload)
        with_shadow = median_ms(url, seconds)
        pairs.append((without, with_shadow))
        print(f"round {number + 1}: p50 without {without:.3f} ms, with shadow {with_shadow:.3f} ms")
    set_shadow(manifest, None)
    return pairs


def report(pairs: list[tuple[float, float]], manifest: Path, rounds: int) -> None:
    added = statistics.median(w - wo for wo, w in pairs)
    root = shadow_root(manifest)
    runs = [read_results(results_path(root, ROUTE, f"bench-{n}")) for n in range(rounds)]
    copies, dropped = sum(len(r.samples) for r in runs), sum(r.dropped for r in runs)
    skipped = sum(r.skipped for r in runs)
    tool = "wrk" if Path(WRK).exists() else "httpx"
    print(f"\nGET {PATH} at 1 connection ({tool}), medians over {rounds} rounds:")
    print(f"  without shadow: {statistics.median(p[0] for p in pairs):.3f} ms")
    print(f"  with shadow:    {statistics.median(p[1] for p in pairs):.3f} ms")
    print(f"  added median:   {added:+.3f} ms (target < 1 ms): {added < 1.0}")
    print(f"  shadow copies written: {copies}, skipped (over the rate): {skipped}, "
          f"dropped: {dropped}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--function", default=HANDLER, help="candidate handler")
    parser.add_argument(
        "--rate", help=f"the gateway's {RATE_ENV} (copies/s per route; 0 = every request)"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-shadow-"))
    try:
        with stack(tmp, args.rate) as (gateway, manifest):
            pairs = measure(gateway + PATH, manifest, args.function, args.duration, args.rounds)
            report(pairs, manifest, args.rounds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
