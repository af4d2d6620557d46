"""Benchmark the local gateway (``migrate serve``) against calling the monolith directly.

Run: ``python bench/bench_gateway.py [--duration 4] [--rounds 5]``. Needs ``wrk`` on PATH
(``apt-get install -y wrk``). Starts, on free loopback ports: the monolith under gunicorn
(its default 2 sync workers, a fresh SQLite database), one gateway whose
``GET /api/users/{user_id}`` is a legacy route, one where it runs the migrated Lambda
handler in isolated worker processes (the default; ``reserved_concurrency: 16``), the
same with the function's per-request JSON log line on (``LOG_LEVEL=INFO``: the other
targets log nothing per request, monolith and gateway at warning, so the function gets
``LOG_LEVEL=WARNING`` elsewhere) and one where it runs ``--in-process``. Then rounds
alternating direct / gateway-legacy / gateway-lambda / lambda-info-log /
lambda-in-process on ``GET /api/users/5``, all latency rounds first, then all load
rounds:

* 1 connection: wrk's median latency (``--latency``) -> the gateway's added ms
  (target <= +1 ms; the isolated Lambda route at most +0.3 ms);
* 16 connections: requests/s -> the gateway's share of direct (target >= 60 %; the
  isolated Lambda route >= 80 %), with non-2xx responses and socket errors (must be 0).
* the load average before and after (the machine is shared: figures move with it).

Medians over rounds are printed as a table, with the gateway process's CPU time per
request (user + system, from /proc): a figure other load on the machine disturbs less.
Every process it started is stopped on exit, Ctrl-C or SIGTERM.

``MIGRATE_HALF_CLOSE=0`` measures the gateway without its close mode for
``Connection: close`` monoliths (``router/gateway/upstream.py``): on this 2-core machine
that mode is the difference between ~55-60% and ~70-80% of direct throughput.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from router.manifest.model import Manifest  # noqa: E402
from router.manifest.store import dump_manifest  # noqa: E402

PATH = "/api/users/5"
HANDLER = "migrated_functions.users.get_user"
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class Run:
    p50_ms: float = 0.0
    rps: float = 0.0
    errors: int = 0
    requests: int = 0
    cpu_us: float | None = None  # the gateway process's CPU time per request (16 conns)
    added_ms: float = 0.0  # vs direct, median of per-round differences
    share: float = 1.0  # rps / direct rps, median of per-round ratios


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def started(
    argv: list[str], env: dict[str, str], log: Path, ready: str, *, cwd: Path | None = None,
    any_status: bool = False,
) -> Iterator[int]:  # fmt: skip
    """A subprocess in its own process group (yields its pid); SIGTERM, then SIGKILL."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=out, stderr=out, start_new_session=True
        )
    try:
        wait_ready(ready, proc, log, any_status=any_status)
        yield proc.pid
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wait_ready(
    url: str, proc: subprocess.Popen[bytes], log: Path, *, any_status: bool = False
) -> None:
    """Until ``url`` answers 200 (any status with ``any_status``); exit if ``proc`` ends."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{proc.args!r} exited {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200 or any_status:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    sys.exit(f"{url} not ready after 30 s:\n{log.read_text()[-2000:]}")


def write_manifest(
    path: Path, legacy_url: str, *, on_lambda: bool, log_level: str = "WARNING"
) -> Path:
    """``log_level``: the function's ``LOG_LEVEL`` (WARNING, like the monolith and the
    gateway here: none of them logs a line per request; INFO: its JSON line per call)."""
    route: dict[str, object] = {
        "id": "get-api-users-user-id", "method": "GET", "path": "/api/users/{user_id}"
    }  # fmt: skip
    if on_lambda:  # 16 environments: 16 connections are never throttled
        route |= {"target": "lambda", "function": HANDLER, "reserved_concurrency": 16,
                  "environment": {"LOG_LEVEL": log_level}}  # fmt: skip
    model = Manifest.model_validate({"legacy": {"url": legacy_url}, "routes": [route]})
    path.write_text(dump_manifest(model), encoding="utf-8")
    return path


def wrk(url: str, connections: int, seconds: float) -> Run:
    threads = min(connections, 2)
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", url]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> Run:
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.MULTILINE)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if p50 is None or rps is None:
        raise RuntimeError(f"cannot parse wrk output:\n{out}")
    total = re.search(r"^\s+(\d+) requests in", out, re.MULTILINE)
    errors = int(non2xx.group(1)) if non2xx else 0
    errors += sum(int(n) for n in sockets.groups()) if sockets else 0
    requests = int(total.group(1)) if total else 0
    return Run(float(p50.group(1)) * _UNITS[p50.group(2)], float(rps.group(1)), errors, requests)


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of ``pid`` so far (0 without a pid)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    urls: dict[str, str], pids: dict[str, int | None], seconds: float, rounds: int
) -> dict[str, list[Run]]:
    """Latency rounds first, then load rounds, each alternating between the targets.

    A 16-connection run leaves tens of thousands of TIME_WAIT sockets and a busy
    monolith behind; a 1-connection run right after it charged whichever target came
    next, so the two kinds are not interleaved."""
    for url in urls.values():  # warm-up: imports, pools, page cache
        wrk(url, 16, 2)
    results: dict[str, list[Run]] = {name: [] for name in urls}
    for number in range(rounds):
        for name, url in urls.items():  # alternate so drift hits every target alike
            latency = wrk(url, 1, seconds)
            results[name].append(Run(latency.p50_ms, errors=latency.errors))
            print(f"round {number + 1} {name:15} p50 {latency.p50_ms:.3f} ms at 1 connection")
    for number in range(rounds):
        for name, url in urls.items():
            before = cpu_seconds(pids[name])
            load = wrk(url, 16, seconds)
            cpu = (cpu_seconds(pids[name]) - before) / max(load.requests, 1) * 1e6
            run = results[name][number]
            run.rps, run.errors, run.requests = load.rps, run.errors + load.errors, load.requests
            run.cpu_us = cpu if pids[name] else None
            print(f"round {number + 1} {name:15} {load.rps:,.0f} rps at 16 connections")
    return results


def summary(results: dict[str, list[Run]]) -> dict[str, Run]:
    """Medians over rounds; a gateway's added ms and share are medians of per-round pairs
    with the direct run of the same round (robust to drift from other load)."""
    direct = results["direct"]
    out = {}
    for name, runs in results.items():
        cpu = [r.cpu_us for r in runs if r.cpu_us is not None]
        out[name] = Run(
            statistics.median(r.p50_ms for r in runs),
            statistics.median(r.rps for r in runs),
            sum(r.errors for r in runs),
            sum(r.requests for r in runs),
            statistics.median(cpu) if cpu else None,
        )
        pairs = list(zip(runs, direct, strict=True))
        out[name].added_ms = statistics.median(r.p50_ms - d.p50_ms for r, d in pairs)
        out[name].share = statistics.median(r.rps / d.rps for r, d in pairs)
    return out


def report(runs: dict[str, Run]) -> None:
    print(f"\nGET {PATH}; medians over rounds (wrk on loopback, {os.cpu_count()} cores)\n")
    print("| path | p50 @ 1 conn | added | rps @ 16 conns | share of direct | errors | CPU/req |")
    print("|---|---|---|---|---|---|---|")
    for name, run in runs.items():
        print("| " + " | ".join(_cells(name, run)) + " |")
    legacy, lam = runs["gateway-legacy"], runs["gateway-lambda"]
    print("\nadded, share: medians of per-round pairs with the direct run of the same round")
    print("CPU/req: the gateway process's user + system CPU time per request at 16 conns")
    print("  (gateway-lambda: the gateway only; its worker processes are not counted)")
    print("targets:")
    print(f"  legacy added <= 1 ms: {legacy.added_ms <= 1.0}")
    print(f"  lambda (isolated) p50 <= direct p50 + 0.3 ms: {lam.added_ms <= 0.3}")
    print(f"  legacy throughput >= 60%: {legacy.share >= 0.60}")
    print(f"  lambda (isolated) throughput >= 80%: {lam.share >= 0.80}")
    print(f"  no errors: {all(r.errors == 0 for r in runs.values())}")


def _cells(name: str, run: Run) -> list[str]:
    gateway = name != "direct"
    return [
        name,
        f"{run.p50_ms:.3f} ms",
        f"{run.added_ms:+.3f} ms" if gateway else "-",
        f"{run.rps:,.0f}",
        f"{run.share:.0%}" if gateway else "-",
        str(run.errors),
        f"{run.cpu_us:.0f} us" if run.cpu_us is not None else "-",
    ]


def run_bench(seconds: float, rounds: int, legacy_threads: int = 1) -> None:
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        env = dict(os.environ, PYTHONPATH=str(ROOT), MIGRATE_TELEMETRY="off")
        env["DATABASE_URL"] = f"sqlite:///{(work / 'db.sqlite').as_posix()}"
        env.setdefault("STRANGLER_LOCAL_CACHE", str(ROOT / ".migrate" / "local-cache"))
        legacy_port, legacy_gw, lambda_gw = free_port(), free_port(), free_port()
        in_process_gw, info_gw = free_port(), free_port()
        legacy = f"http://127.0.0.1:{legacy_port}"
        pids: dict[str, int | None] = {"direct": None}
        stack.enter_context(started(
            [sys.executable, "-m", "legacy_app", "--port", str(legacy_port),
             "--threads", str(legacy_threads),
             "--database-url", env["DATABASE_URL"], "--log-level", "warning"],
            env, work / "legacy.log", f"{legacy}/health",
        ))  # fmt: skip
        gateways = (("gateway-legacy", legacy_gw, False), ("gateway-lambda", lambda_gw, False),
                    ("lambda-info-log", info_gw, False),
                    ("lambda-in-process", in_process_gw, True))  # fmt: skip
        for name, port, in_process in gateways:
            level = "INFO" if name == "lambda-info-log" else "WARNING"
            manifest = write_manifest(
                work / f"m{port}.yaml", legacy, on_lambda="lambda" in name, log_level=level
            )
            mode = ["--in-process"] if in_process else []
            pids[name] = stack.enter_context(started(
                [sys.executable, "-m", "migrate_cli", "serve", "--port", str(port),
                 "--manifest", str(manifest), "--log-level", "WARNING", *mode],
                env, work / f"gateway{port}.log", f"http://127.0.0.1:{port}/health",
            ))  # fmt: skip
        urls = {
            "direct": legacy + PATH,
            "gateway-legacy": f"http://127.0.0.1:{legacy_gw}{PATH}",
            "gateway-lambda": f"http://127.0.0.1:{lambda_gw}{PATH}",
            "lambda-info-log": f"http://127.0.0.1:{info_gw}{PATH}",
            "lambda-in-process": f"http://127.0.0.1:{in_process_gw}{PATH}",
        }
        load_before = os.getloadavg()
        results = measure(urls, pids, seconds, rounds)
        report(summary(results))
        loads = [" ".join(f"{v:.2f}" for v in avg) for avg in (load_before, os.getloadavg())]
        print(f"load average (1, 5, 15 min): before {loads[0]}, after {loads[1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    parser.add_argument(
        "--legacy-threads",
        type=int,
        default=1,
        help="monolith threads per worker: 1 = gunicorn sync workers (Connection: close), "
        ">1 = gthread workers (keep-alive, so the gateway reuses its upstream connections)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `apt-get install -y wrk` (it is the load generator)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: stop the servers
    try:
        run_bench(args.duration, args.rounds, args.legacy_threads)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
