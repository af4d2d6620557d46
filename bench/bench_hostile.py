"""Hostile clients against ``migrate serve``: four 64 MiB request lines at once.

Run: ``python bench/bench_hostile.py [--source DIR] [--mib 64]``. Starts one gateway on
a free loopback port (its monolith address leads nowhere: nothing here needs one) and
sends, on four connections at once, ``GET /aaa...`` with a 64 MiB request line, in
1 MiB writes, then reads the answer. Meanwhile a probe client asks ``GET /`` every
20 ms. Prints the gateway's RSS before, at its peak (``VmHWM``) and after, how long the
four took, their statuses and the probe's worst latency. ``--source`` runs the gateway
from another checkout of this project (an older commit, for a before/after figure).
Every process it started is stopped on exit.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_gateway import free_port, started  # noqa: E402

from router.manifest.model import Manifest  # noqa: E402
from router.manifest.store import dump_manifest  # noqa: E402

MIB = 1 << 20


def rss_mib(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields


def hostile(port: int, mib: int, statuses: list[str]) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        try:
            sock.sendall(b"GET /" + b"a" * (MIB - 5))
            for _ in range(mib - 1):
                sock.sendall(b"a" * MIB)
            sock.sendall(b" HTTP/1.1\r\nHost: bench\r\n\r\n")
        except OSError as exc:
            statuses.append(f"send: {exc.__class__.__name__}")
            return
        try:
            statuses.append(sock.recv(64).split(b"\r\n")[0].decode() or "closed")
        except OSError as exc:
            statuses.append(f"recv: {exc.__class__.__name__}")


def probe(url: str, stop: threading.Event, worst: list[float]) -> None:
    with httpx.Client(timeout=120) as client:
        while not stop.is_set():
            start = time.perf_counter()
            with contextlib.suppress(httpx.HTTPError):
                client.get(url)
            worst[0] = max(worst[0], time.perf_counter() - start)
            stop.wait(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=HERE.parent)
    parser.add_argument("--mib", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        manifest = Path(tmp) / "migration.yaml"
        dead = f"http://127.0.0.1:{free_port()}"
        model = Manifest.model_validate({"legacy": {"url": dead}, "routes": []})
        manifest.write_text(dump_manifest(model), encoding="utf-8")
        port = free_port()
        env = dict(os.environ, PYTHONPATH=str(args.source.resolve()), MIGRATE_TELEMETRY="off")
        argv = [sys.executable, "-m", "migrate_cli", "serve", "--port", str(port),
                "--manifest", str(manifest), "--log-level", "ERROR"]  # fmt: skip
        url = f"http://127.0.0.1:{port}/"
        log = Path(tmp) / "gateway.log"
        with started(argv, env, log, url, cwd=args.source, any_status=True) as pid:
            measure(pid, port, url, args.mib)  # its monolith is down: the probe gets 502s


def measure(pid: int, port: int, url: str, mib: int) -> None:
    before = rss_mib(pid)["VmRSS"]
    statuses: list[str] = []
    worst, stop = [0.0], threading.Event()
    prober = threading.Thread(target=probe, args=(url, stop, worst))
    prober.start()
    senders = [threading.Thread(target=hostile, args=(port, mib, statuses)) for _ in range(4)]
    start = time.perf_counter()
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join()
    took = time.perf_counter() - start
    time.sleep(1.0)  # let the probe see the gateway after the heads too
    stop.set()
    prober.join()
    after = rss_mib(pid)
    print(f"four {mib} MiB request lines: {took:.1f} s, answers {sorted(statuses)}")
    print(f"gateway RSS: {before:.0f} MiB before, {after['VmHWM']:.0f} peak, "
          f"{after['VmRSS']:.0f} after")  # fmt: skip
    print(f"probe GET / meanwhile: worst {worst[0] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
