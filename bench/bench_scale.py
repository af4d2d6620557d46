"""Benchmark: the control plane and the local gateway with a 5,000-route manifest.

Generates a manifest of ``--routes`` routes (four per resource group, two on Lambda
with an in-process handler) in a temporary directory and times, as whole processes:
``migrate routes``, ``migrate render``, ``migrate route promote``, ``migrate serve``
from start to its first answer, and hot reloads under load: one client sends requests
back to back to a Lambda route while the manifest is replaced with one that moves
another route to the monolith; a probe reports when a request sees the change. It
prints how long the change took to be visible and the client's p50/p99 in the second
before each write and between the write and the change (goal: visible < 1 s, p99 less
than 5 ms higher). Run with ``.venv/bin/python bench/bench_scale.py [--routes N]``.
"""

from __future__ import annotations

import argparse
import http.client
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
HANDLERS = "def ok(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"
STEADY_PATH, FLIP_PATH = "/api/g0", "/api/g0/7"  # routes r0 (steady) and r2 (flipped)


def manifest_text(count: int, *, revision: int, flipped: bool) -> str:
    """The manifest in ``migrate``'s own layout; ``flipped`` moves r2 to the monolith."""
    lines = [
        "# synthetic manifest for bench_scale.py",
        "version: 1",
        f"revision: {revision}",
        "api:",
        "  name: bench-api",
        "legacy:",
        "  url: http://127.0.0.1:9",
        "routes:",
    ]
    for i in range(count):
        lines.extend(_route_lines(i, flipped=flipped))
    return "\n".join(lines) + "\n"


def _route_lines(i: int, *, flipped: bool) -> list[str]:
    method = ("GET", "POST", "GET", "PUT")[i % 4]
    path = f"/api/g{i // 4}" + ("/{id}" if i % 4 >= 2 else "")
    lines = [f"  - id: r{i}", f"    method: {method}", f"    path: {path}"]
    if i == 0 or (i == 2 and not flipped):
        lines += ["    target: lambda", "    function: bench_handlers.ok"]
    return lines


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def timed(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of a ``migrate`` command as a whole process (it must exit 0)."""
    cpu0 = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "migrate"), *argv], cwd=cwd, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"migrate {' '.join(argv)} exited {done.returncode}: {done.stderr}")
    return elapsed, _children_cpu() - cpu0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, str]:
    conn.request("GET", path)
    resp = conn.getresponse()
    resp.read()
    return resp.status, resp.getheader("X-Migrate-Target", "")


@contextmanager
def gateway(workdir: Path) -> Iterator[tuple[int, tuple[float, float]]]:
    """A running ``migrate serve`` and the seconds from its start to its first answer."""
    port = free_port()
    argv = [str(BIN / "migrate"), "serve", "--port", str(port), "--log-level", "WARNING"]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=workdir, stderr=subprocess.DEVNULL)
    try:
        yield port, (_first_answer(port, proc, start), _process_cpu(proc.pid))
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _first_answer(port: int, proc: subprocess.Popen[bytes], start: float) -> float:
    deadline = start + 120
    while time.perf_counter() < deadline and proc.poll() is None:
        try:
            get(http.client.HTTPConnection("127.0.0.1", port, timeout=5), STEADY_PATH)
            return time.perf_counter() - start
        except OSError:
            time.sleep(0.01)
    raise SystemExit("the gateway did not answer")


@dataclass
class Load:
    """One connection sending requests back to back; (start time, latency) of each."""

    port: int
    samples: list[tuple[float, float]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self.stop.is_set():
            start = time.perf_counter()
            get(conn, STEADY_PATH)
            self.samples.append((start, time.perf_counter() - start))

    def between(self, t0: float, t1: float) -> list[float]:
        return [lat for start, lat in self.samples if t0 <= start <= t1]


def reloads(workdir: Path, port: int, count: int, flips: int) -> tuple[list[float], Load]:
    """Replace the manifest ``flips`` times under load; (visible-after seconds, load)."""
    load = Load(port)
    thread = threading.Thread(target=load.run, daemon=True)
    thread.start()
    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    visible, windows = [], []
    for n in range(1, flips + 1):
        flipped = n % 2 == 1
        text = manifest_text(count, revision=n, flipped=flipped)
        time.sleep(1.0)
        t0 = _replace(workdir / "migration.yaml", text)
        want = "legacy" if flipped else "lambda"
        while get(probe, FLIP_PATH)[1] != want:
            time.sleep(0.002)
        visible.append(time.perf_counter() - t0)
        windows.append((t0, time.perf_counter()))
    load.stop.set()
    thread.join()
    load.windows = windows  # type: ignore[attr-defined]
    return visible, load


def _replace(path: Path, text: str) -> float:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    os.replace(tmp, path)
    return start


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def run_bench(count: int, repeat: int, flips: int, *, cli: bool = True) -> None:
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        workdir = Path(tmp)
        (workdir / "bench_handlers.py").write_text(HANDLERS, encoding="utf-8")
        base = manifest_text(count, revision=0, flipped=False)
        if cli:
            rows.extend(_cli_rows(workdir, base, repeat))
        (workdir / "migration.yaml").write_text(base, encoding="utf-8")
        with gateway(workdir) as (port, started):
            rows.append(("migrate serve: start to first answer", _secs([started]), ""))
            visible, load = reloads(workdir, port, count, flips)
        rows.extend(_reload_rows(visible, load))
    print(
        f"bench_scale: {count} routes, median of {repeat} runs, {flips} reloads; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    width = max(len(r[0]) for r in rows)
    for name, value, goal in rows:
        print(f"  {name:<{width}}  {value:>24}  {goal}")


def _cli_rows(workdir: Path, base: str, repeat: int) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for name, argv, goal in (
        ("migrate routes", ["routes"], "< 2 s"),
        ("migrate render", ["render"], ""),
    ):
        (workdir / "migration.yaml").write_text(base, encoding="utf-8")
        rows.append((name, _secs([timed(argv, workdir) for _ in range(repeat)]), goal))
    promote = ["route", "promote", "r5", "--function", "bench_handlers.ok"]
    times = []
    for _ in range(repeat):
        (workdir / "migration.yaml").write_text(base, encoding="utf-8")
        (workdir / "migration.history.jsonl").unlink(missing_ok=True)
        times.append(timed(promote, workdir))
    rows.append(("migrate route promote", _secs(times), "< 2 s"))
    return rows


def _secs(values: list[tuple[float, float]]) -> str:
    wall, cpu = (statistics.median(v) for v in zip(*values, strict=True))
    return f"{wall:.2f} s (CPU {cpu:.2f} s)"


def _reload_rows(visible: list[float], load: Load) -> list[tuple[str, str, str]]:
    windows = load.windows  # type: ignore[attr-defined]
    before = [lat for t0, _ in windows for lat in load.between(t0 - 1.0, t0)]
    during = [lat for t0, t1 in windows for lat in load.between(t0, t1)]
    added = pct(during, 0.99) - pct(before, 0.99)
    return [
        ("reload: write to visible", f"median {statistics.median(visible):.2f} s, "
         f"max {max(visible):.2f} s", "< 1 s"),
        ("client p50 before / during", f"{pct(before, 0.5):.2f} / {pct(during, 0.5):.2f} ms", ""),
        ("client p99 before / during", f"{pct(before, 0.99):.2f} / {pct(during, 0.99):.2f} ms",
         f"added {added:+.2f} ms (goal < +5 ms)"),
        ("requests before / during", f"{len(before)} / {len(during)}", ""),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--routes", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each CLI command")
    parser.add_argument("--reloads", type=int, default=6, help="manifest replacements")
    parser.add_argument("--gateway-only", action="store_true", help="skip the CLI commands")
    args = parser.parse_args()
    run_bench(args.routes, args.repeat, args.reloads, cli=not args.gateway_only)


if __name__ == "__main__":
    main()
