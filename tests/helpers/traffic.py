"""Access-log traffic for progressive runs against a moto server: a thread that writes
access-log lines for both targets of ``ROUTE`` at the weight the route holds at that
moment (the local manifest's, or ``weight()``'s: a state backend's).

The traffic is a rate (requests per second of the clock), not a count per tick of
the thread: on a loaded machine the thread ticks less often, and a fixed count per
tick then fell under ``min_samples`` in a check window (a hold instead of a verdict).
The caller starts the thread and stops it (``stop.set()``, ``join``).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

from router.aws.logs import CloudWatchLogs
from router.aws.session import AwsContext
from router.gateway.emitted import access_log_line
from router.gateway.records import RequestRecord
from router.manifest.store import load_manifest
from router.render.sam import access_log_group_name
from tests.helpers.e2e import REGION

__all__ = ["RATE_PER_S", "ROUTE", "TICK_S", "Traffic"]

ROUTE = {"id": "get-api-users-id", "method": "GET", "path": "/api/users/{id}"}
TICK_S, RATE_PER_S = 0.2, 200  # 300 of each target per 3 s window at 50%


class Traffic(threading.Thread):
    """Every tick, RATE_PER_S requests a second since the last tick, split by the
    manifest's current weight."""

    def __init__(
        self,
        manifest: Path,
        moto_url: str,
        lambda_scale: float,
        weight: Callable[[], int] | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.manifest, self.scale = manifest, lambda_scale
        self.weight = weight or (lambda: load_manifest(manifest).model.routes[0].effective_weight)
        self.logs = CloudWatchLogs(AwsContext(region=REGION, endpoint_url=moto_url))
        self.group = access_log_group_name(load_manifest(manifest).model)
        self.logs.ensure_group(self.group)
        self.logs.ensure_stream(self.group, "s")
        self.rng = np.random.default_rng(11)
        self.stop = threading.Event()

    def run(self) -> None:
        last_ms = int(time.time() * 1000)
        while not self.stop.wait(TICK_S):
            now_ms = int(time.time() * 1000)
            weight = self.weight()
            self.logs.put_events(self.group, "s", self._events(weight, last_ms, now_ms))
            last_ms = now_ms

    def _events(self, weight: int, start_ms: int, end_ms: int) -> list[tuple[int, str]]:
        count = max(1, round(RATE_PER_S * (end_ms - start_ms) / 1000))
        n_lambda = round(count * weight / 100)
        times = np.sort(self.rng.integers(start_ms + 1, end_ms + 1, count))
        latencies = self.rng.lognormal(np.log(8.0), 0.35, count)
        events = []
        for i, (at, latency) in enumerate(zip(times, latencies, strict=True)):
            target = "lambda" if i < n_lambda else "legacy"
            scaled = latency * (self.scale if target == "lambda" else 1.0)
            events.append((int(at), access_log_line(_record(int(at), target, scaled), "prod")))
        return sorted(events)


def _record(at_ms: int, target: str, latency: float) -> RequestRecord:
    return RequestRecord(
        request_id=uuid.uuid4().hex,
        request_time_epoch_ms=at_ms,
        http_method="GET",
        path="/api/users/1",
        resource_path=ROUTE["path"],
        route_id=ROUTE["id"],
        target=target,
        status=200,
        response_latency_ms=float(latency),
        integration_latency_ms=float(latency) * 0.9,
        source_ip="127.0.0.1",
        protocol="HTTP/1.1",
        response_length=120,
    )
