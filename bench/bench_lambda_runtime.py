"""Benchmark the local Lambda runtime (``router.lambda_runtime``): warm hop and cold starts.

Run: ``python bench/bench_lambda_runtime.py [--calls 3000] [--rounds 3]``. On uvloop
(the gateway's loop) it measures, in one run:

* the warm hop: ``ProcessInvoker.invoke`` of a trivial handler (event JSON-encoded, the
  Runtime API's ``next`` answer, AWS's runtime client in the worker, its response post,
  result mapping), p50/p99 over ``--calls`` sequential calls per round, median of rounds;
  against the in-process ``LambdaInvoker`` (today's default: a thread-pool hop) and a
  bare call of the handler;
* the same hop with awslambdaric's native libcurl transport instead of its Python one
  (``_runtime_client``, the default; ``migrate serve --runtime-client native``), and
  with a 20-line Python runtime client instead of ``awslambdaric`` (one socket,
  ``sendall``): what the Runtime API, the invoker and the processes cost alone;
* for all three, where the time goes, per invoke, from the kernel's scheduler counters
  (``/proc/PID/schedstat``, Linux): CPU time and run-queue wait (runnable, no core
  free) of the gateway (this process) and of the worker, and how many times each was
  scheduled in (each a wake-up);
* the cold start (``Init Duration``: spawn to the runtime's first ``next``, the handler's
  module imported) and the first invoke of each project function, each in a fresh
  environment built as ``migrate serve`` builds it: the function's package as packed,
  its layer from ``migrated_functions/requirements.lock`` installed for this
  interpreter (cached under ``STRANGLER_LOCAL_CACHE`` when set); the database is a
  fresh seeded SQLite file.
* the machine's load average before and after (the figures move with it).

Every worker it started is stopped before it exits.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from router.arns import function_name  # noqa: E402
from router.gateway.events import LambdaContext  # noqa: E402
from router.gateway.lambda_ import HandlerRegistry, LambdaInvoker  # noqa: E402
from router.lambda_runtime import FunctionSpec, ProcessInvoker, runtime_dir  # noqa: E402
from router.lambda_runtime.artifacts import ManifestSpecs  # noqa: E402
from router.lambda_runtime.sandbox import worker_command  # noqa: E402
from router.manifest.model import Manifest  # noqa: E402
from router.manifest.store import dump_manifest  # noqa: E402

MINIMAL_CLIENT = """
import json, os, socket
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
s = socket.create_connection((host, int(port)))
f = s.makefile("rb")
def head():
    f.readline()
    fields = {}
    while (line := f.readline()) != b"\\r\\n":
        k, v = line.split(b":", 1)
        fields[k.lower()] = v.strip()
    return fields, f.read(int(fields[b"content-length"]))
while True:
    s.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
    fields, body = head()
    rid = fields[b"lambda-runtime-aws-request-id"].decode()
    json.loads(body)
    out = json.dumps({"statusCode": 200, "body": "ok"}).encode()
    s.sendall(f"POST /2018-06-01/runtime/invocation/{rid}/response HTTP/1.1\\r\\n"
              f"Host: x\\r\\nContent-Length: {len(out)}\\r\\n\\r\\n".encode() + out)
    head()
"""

HANDLERS = ROOT / "tests" / "e2e" / "lambda_handlers" / "basic"
PROJECT = {
    "migrated_functions.users.get_user": ("GET", "/api/users/5", {"user_id": "5"}, None),
    "migrated_functions.products.list_products": ("GET", "/api/products", None, None),
    "migrated_functions.orders.get_order": ("GET", "/api/orders/1", {"order_id": "1"}, None),
    "migrated_functions.orders.create_order": (
        "POST",
        "/api/orders",
        None,
        '{"user_id": 1, "items": [{"product_id": 1, "quantity": 1}]}',
    ),
}
EVENT: dict[str, Any] = {"httpMethod": "GET", "path": "/bench", "body": None}


def _context(n: int, function: str = "bench") -> LambdaContext:
    return LambdaContext(
        request_id=f"00000000-0000-4000-8000-{n:012d}",
        function_name=function,
        function_arn="arn",
        memory_mb=128,
        deadline=time.monotonic() + 30,
    )


Sched = tuple[float, ...]  # per invoke: gateway cpu, wait (us), slices; worker the same


def _schedstat(pid: int) -> tuple[int, int, int]:
    """(ns on a CPU, ns runnable on a run queue, times scheduled in) of ``pid``."""
    on_cpu, waiting, slices = Path(f"/proc/{pid}/schedstat").read_text().split()
    return int(on_cpu), int(waiting), int(slices)


async def _counted(
    hop: Awaitable[tuple[float, float]], worker: int | None, calls: int, into: list[Sched]
) -> tuple[float, float]:
    """``hop``'s result; appends the scheduler counters per invoke of this process (the
    gateway) and of ``worker`` to ``into``."""
    assert worker is not None
    before = [_schedstat(pid) for pid in (os.getpid(), worker)]
    result = await hop
    after = [_schedstat(pid) for pid in (os.getpid(), worker)]
    pairs = zip(before, after, strict=True)
    deltas = [a - b for was, now in pairs for b, a in zip(was, now, strict=True)]
    into.append(tuple(d / (1.0 if i % 3 == 2 else 1e3) / calls for i, d in enumerate(deltas)))
    return result


def _pcts(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99)]


async def _hop(invoke: Any, calls: int) -> tuple[float, float]:
    times = []
    for n in range(calls):
        start = time.perf_counter()
        response, _ = await invoke("fn.trivial", EVENT, _context(n), 10.0)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status == 200, response.body
    return _pcts(times[calls // 10 :])


def _bare(calls: int) -> tuple[float, float]:
    sys.path.insert(0, str(HANDLERS))
    import fn  # type: ignore[import-not-found]

    times = []
    for n in range(calls):
        start = time.perf_counter()
        fn.trivial(EVENT, _context(n))
        times.append((time.perf_counter() - start) * 1000)
    return _pcts(times)


async def warm(
    runtime: Path, calls: int, rounds: int, sched: dict[str, list[Sched]]
) -> dict[str, list[tuple[float, float]]]:
    spec = FunctionSpec(name="bench", handler="fn.trivial", code_dir=HANDLERS)
    client = runtime / ".." / "minimal_client.py"
    client.write_text(MINIMAL_CLIENT)
    commands = {  # the same gateway path, three runtime clients in the worker
        "worker": worker_command,
        "native": partial(worker_command, native=True),
        "minimal": lambda s, r: [sys.executable, "-I", "-S", str(client)],
    }
    invokers = {
        name: ProcessInvoker(lambda dotted, ctx: spec, runtime, command=command)
        for name, command in commands.items()
    }
    in_process = LambdaInvoker(HandlerRegistry(HANDLERS), ThreadPoolExecutor(8))
    out: dict[str, list[tuple[float, float]]] = {
        name: [] for name in (*invokers, "in-process", "bare")
    }
    try:
        for invoker in invokers.values():  # cold starts first
            await invoker.invoke("fn.trivial", EVENT, _context(0), 10.0)
        pids = {name: next(iter(i.pools.values())).idle[0].pid for name, i in invokers.items()}
        for _ in range(rounds):
            for name, invoker in invokers.items():
                hop = _hop(invoker.invoke, calls)
                out[name].append(await _counted(hop, pids[name], calls, sched[name]))
            out["in-process"].append(await _hop(in_process.invoke, calls))
            out["bare"].append(_bare(calls))
    finally:
        for invoker in invokers.values():
            await invoker.aclose()
    return out


def _event(
    method: str, path: str, params: dict[str, str] | None, body: str | None
) -> dict[str, Any]:
    return {
        "resource": path, "path": path, "httpMethod": method,
        "headers": {"Content-Type": "application/json", "Accept": "application/json"},
        "multiValueHeaders": {}, "queryStringParameters": None,
        "multiValueQueryStringParameters": None, "pathParameters": params,
        "stageVariables": None, "body": body, "isBase64Encoded": False,
        "requestContext": {"httpMethod": method, "path": path, "stage": "prod"},
    }  # fmt: skip


def _project(tmp: Path) -> tuple[Path, Manifest, str]:
    """A manifest with the project's four functions on Lambda, and a seeded database."""
    from sqlalchemy import create_engine

    from legacy_app.db import init_database

    url = f"sqlite:///{tmp / 'bench.db'}"
    init_database(create_engine(url))
    routes = [
        {"id": dotted.rsplit(".", 1)[1].replace("_", "-"), "method": method, "path": path,
         "target": "lambda", "function": dotted}
        for dotted, (method, path, _, _) in PROJECT.items()
    ]  # fmt: skip
    manifest = Manifest.model_validate({"legacy": {"url": "http://127.0.0.1:9"}, "routes": routes})
    (tmp / "migration.yaml").write_text(dump_manifest(manifest), encoding="utf-8")
    return tmp / "migration.yaml", manifest, url


async def cold(runtime: Path, tmp: Path) -> list[tuple[str, float, int]]:
    """Each function from its real artifact (``ManifestSpecs``: its package, its local
    layer from the lock), in a fresh environment."""
    path, manifest, url = _project(tmp)
    specs = ManifestSpecs(path, pass_env={"DATABASE_URL": url})
    specs.prepare(manifest)  # packs and extracts; installs the layer once (cached)
    rows = []
    for n, route in enumerate(manifest.routes):
        assert route.function is not None
        method, path_, params, body = PROJECT[route.function]
        invoker = ProcessInvoker(specs, runtime)
        try:
            response, _ = await invoker.invoke(
                route.function, _event(method, path_, params, body),
                _context(n, function_name(manifest, route)), 30,
            )  # fmt: skip
        finally:
            await invoker.aclose()
        assert invoker.last is not None
        rows.append((route.function, invoker.last.init_duration_ms or 0.0, response.status))
    return rows


def _load(values: tuple[float, float, float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import uvloop

    load_before = os.getloadavg()
    sched: dict[str, list[Sched]] = {"worker": [], "native": [], "minimal": []}
    with tempfile.TemporaryDirectory() as tmp:
        runtime = runtime_dir(Path(tmp) / "runtime")
        hops = uvloop.run(warm(runtime, args.calls, args.rounds, sched))
        starts = uvloop.run(cold(runtime, Path(tmp)))
    load_after = os.getloadavg()
    print(f"load average (1, 5, 15 min): before {_load(load_before)}, after {_load(load_after)}")
    print(
        f"warm hop, trivial handler, {args.calls} calls x {args.rounds} rounds (median of rounds)"
    )
    print(f"{'path':<34}{'p50 ms':>10}{'p99 ms':>10}")
    for name, label in (
        ("worker", "worker process (Runtime API)"),
        ("native", "same, awslambdaric's libcurl client"),
        ("minimal", "same, 20-line runtime client"),
        ("in-process", "in-process thread pool"),
        ("bare", "bare handler call"),
    ):
        p50 = statistics.median(p for p, _ in hops[name])
        p99 = statistics.median(p for _, p in hops[name])
        print(f"{label:<34}{p50:>10.3f}{p99:>10.3f}")
    ratio = statistics.median(p for p, _ in hops["worker"]) / statistics.median(
        p for p, _ in hops["in-process"]
    )
    print(f"worker / in-process p50: {ratio:.2f}x")
    _print_sched(sched)
    print(f"\n{'cold start (fresh environment)':<46}{'Init Duration ms':>18}{'first status':>14}")
    for dotted, init_ms, status in starts:
        print(f"{dotted:<46}{init_ms:>18.1f}{status:>14}")


def _print_sched(sched: dict[str, list[Sched]]) -> None:
    print("\nper invoke (/proc/PID/schedstat, mean over a round, median of rounds)")
    head = ("CPU us", "wait us", "slices")
    print(f"{'path':<34}" + "".join(f"{'gateway ' + h:>16}" for h in head)
          + "".join(f"{'worker ' + h:>16}" for h in head))  # fmt: skip
    for name, label in (
        ("worker", "awslambdaric, Python transport"),
        ("native", "awslambdaric, libcurl transport"),
        ("minimal", "20-line runtime client"),
    ):
        values = [statistics.median(row[i] for row in sched[name]) for i in range(6)]
        print(f"{label:<34}" + "".join(f"{v:>16.2f}" for v in values))


if __name__ == "__main__":
    main()
