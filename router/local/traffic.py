"""Steady synthetic traffic against the local gateway (for ``migrate demo`` and tests).

A few threads, each with its own pooled ``httpx.Client``, send a weighted mix of
requests at a bounded rate until stopped, counting statuses and transport errors.
Only loopback URLs are accepted. Must not know about routes or the manifest.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

__all__ = ["RequestSpec", "Traffic", "TrafficStats"]

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class RequestSpec:
    """One kind of request; ``path`` may be a callable of the RNG (e.g. a random id)."""

    method: str
    path: str | Callable[[random.Random], str]
    weight: float = 1.0
    json_body: Callable[[random.Random], object] | None = None

    def build(self, rng: random.Random) -> tuple[str, str, object | None]:
        path = self.path(rng) if callable(self.path) else self.path
        body = self.json_body(rng) if self.json_body else None
        return self.method, path, body


@dataclass
class TrafficStats:
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int | None, error: str | None) -> None:
        with self.lock:
            if status is not None:
                self.statuses[status] += 1
            if error is not None:
                self.errors[error] += 1

    @property
    def sent(self) -> int:
        return sum(self.statuses.values()) + sum(self.errors.values())

    @property
    def failed(self) -> int:
        """Transport errors and 5XX answers."""
        return sum(self.errors.values()) + sum(n for s, n in self.statuses.items() if s >= 500)


class Traffic:
    """``with Traffic(url, specs, rate=50):`` sends requests until the block ends."""

    def __init__(
        self,
        base_url: str,
        specs: Sequence[RequestSpec],
        *,
        rate_per_s: float = 50.0,
        threads: int = 4,
        seed: int = 0,
    ) -> None:
        if urlsplit(base_url).hostname not in _LOOPBACK:
            raise ValueError(f"traffic only goes to loopback addresses, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.specs = list(specs)
        self.interval = threads / rate_per_s
        self.threads = threads
        self.seed = seed
        self.stats = TrafficStats()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []

    def start(self) -> Traffic:
        for index in range(self.threads):
            worker = threading.Thread(target=self._run, args=(index,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def stop(self) -> TrafficStats:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=10)
        self._workers.clear()
        return self.stats

    def __enter__(self) -> Traffic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, index: int) -> None:
        rng = random.Random(self.seed * 1000 + index)
        weights = [s.weight for s in self.specs]
        with httpx.Client(base_url=self.base_url, timeout=10.0) as client:
            next_at = time.monotonic()
            while not self._stop.is_set():
                self._send(client, rng.choices(self.specs, weights)[0], rng)
                next_at += self.interval
                self._stop.wait(max(0.0, next_at - time.monotonic()))

    def _send(self, client: httpx.Client, spec: RequestSpec, rng: random.Random) -> None:
        method, path, body = spec.build(rng)
        try:
            response = client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            self.stats.add(None, type(exc).__name__)
            return
        self.stats.add(response.status_code, None)
