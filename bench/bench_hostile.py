"""Hostile clients against ``migrate serve``: huge request lines, slow and idle crowds.

Run: ``python bench/bench_hostile.py [--source DIR] [--mib 64]``. Starts one gateway on
a free loopback port (its monolith address leads nowhere: nothing here needs one) and
sends, on four connections at once, ``GET /aaa...`` with a 64 MiB request line, in
1 MiB writes, then reads the answer. Meanwhile a probe client asks ``GET /`` every
20 ms. Prints the gateway's RSS before, at its peak (``VmHWM``) and after, how long the
four took, their statuses and the probe's worst latency. ``--source`` runs the gateway
from another checkout of this project (an older commit, for a before/after figure).

``--crowd``: instead, under a descriptor limit of ``--nofile`` (1,024), ``--slow`` (200)
clients send a request head at 1 byte/s and ``--idle`` (2,000) keep-alive clients send
one request and then nothing, for ``--wait`` seconds (``--serve-args`` passes shorter
timeouts); then counts the connections the gateway closed and asks once more as a new
client. Every process it started is stopped on exit.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import selectors
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
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
    parser.add_argument("--crowd", action="store_true")
    parser.add_argument("--slow", type=int, default=200)
    parser.add_argument("--idle", type=int, default=2000)
    parser.add_argument("--wait", type=float, default=10.0)
    parser.add_argument("--nofile", type=int, default=1024)
    parser.add_argument("--serve-args", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        manifest = Path(tmp) / "migration.yaml"
        dead = f"http://127.0.0.1:{free_port()}"
        model = Manifest.model_validate({"legacy": {"url": dead}, "routes": []})
        manifest.write_text(dump_manifest(model), encoding="utf-8")
        port = free_port()
        env = dict(os.environ, PYTHONPATH=str(args.source.resolve()), MIGRATE_TELEMETRY="off")
        argv = gateway_argv(args, manifest, port)
        url = f"http://127.0.0.1:{port}/"
        log = Path(tmp) / "gateway.log"
        with started(argv, env, log, url, cwd=args.source, any_status=True) as pid:
            if args.crowd:
                crowd(port, url, args.slow, args.idle, args.wait)
                refusals = log.read_text().count("answering 503")
                print(f"gateway log lines about refused connections: {refusals}")
            else:
                measure(pid, port, url, args.mib)  # its monolith is down: the probe gets 502s


def gateway_argv(args: argparse.Namespace, manifest: Path, port: int) -> list[str]:
    argv = [sys.executable, "-m", "migrate_cli", "serve", "--port", str(port),
            "--manifest", str(manifest), "--log-level", "WARNING"]  # fmt: skip
    argv.extend(args.serve_args.split())
    if args.crowd:  # the limit applies to the gateway only (sh's ulimit, then exec)
        argv = ["sh", "-c", f'ulimit -n {args.nofile} && exec "$@"', "sh", *argv]
    return argv


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


def crowd(port: int, url: str, slow: int, idle: int, wait: float) -> None:
    slow_socks = [_connect(port, b"GET / HTTP/1.1\r\nHost: bench\r\n") for _ in range(slow)]
    idle_socks = [_connect(port, b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n") for _ in range(idle)]
    answers = _statuses(idle_socks, within=5.0)
    end = time.monotonic() + wait
    while time.monotonic() < end:  # 1 byte a second on each slow connection
        for sock in slow_socks:
            with contextlib.suppress(OSError, AttributeError):
                sock.sendall(b"X")  # type: ignore[union-attr]
        time.sleep(1.0)
    try:  # while the crowd is still connected
        fresh = str(httpx.get(url, timeout=10).status_code)
    except httpx.HTTPError as exc:
        fresh = exc.__class__.__name__
    gone_slow, gone_idle = _closed(slow_socks), _closed(idle_socks)
    print(f"{idle} idle keep-alive clients' answers: {dict(answers)}")
    print(f"after {wait:g} s: {gone_slow} of {slow} slow and {gone_idle} of {idle} idle "
          f"connections closed by the gateway; a new client got {fresh}")  # fmt: skip


def _connect(port: int, data: bytes) -> socket.socket | None:
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(data)
    except OSError:
        return None
    return sock


def _statuses(socks: list[socket.socket | None], within: float) -> Counter[str]:
    """How each connection was answered within ``within`` seconds, all at once."""
    got: Counter[str] = Counter(connect_failed=sum(sock is None for sock in socks))
    waiting = {sock.fileno(): sock for sock in socks if sock is not None}
    end = time.monotonic() + within
    with selectors.DefaultSelector() as selector:
        for sock in waiting.values():
            selector.register(sock, selectors.EVENT_READ)
        while waiting and (left := end - time.monotonic()) > 0:
            for key, _ in selector.select(left):
                sock = waiting.pop(key.fd)
                selector.unregister(sock)
                try:
                    head = sock.recv(4096)
                except OSError as exc:
                    got[exc.__class__.__name__] += 1
                    continue
                got[head.split(b" ")[1].decode() if head else "closed"] += 1
    got[f"no answer in {within:g} s"] = len(waiting)
    return +got


def _closed(socks: list[socket.socket | None], within: float = 1.0) -> int:
    """How many the gateway closed (EOF, a reset, or a 408 answer), looking at all at once."""
    closed = sum(sock is None for sock in socks)
    live = [sock for sock in socks if sock is not None]
    with selectors.DefaultSelector() as selector:
        for sock in live:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
        for key, _ in selector.select(within):
            try:
                data = key.fileobj.recv(65536)  # type: ignore[union-attr]
            except OSError:
                data = b""
            closed += data == b"" or b" 408 " in data
    for sock in live:
        sock.close()
    return closed


if __name__ == "__main__":
    main()
