"""What the local gateway reports about each request, and who receives it.

``RequestRecord`` carries the fields of the API Gateway access log (see
``router.accesslog``) plus the target that served the request. A ``Sink`` takes
records on the request path and must never block or raise there. This module
must not do I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["NullSink", "RequestRecord", "Sink"]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    request_id: str
    request_time_epoch_ms: int
    http_method: str
    path: str
    resource_path: str  # the matched resource, e.g. "/api/users/{id}" or "/{proxy+}"
    route_id: str | None  # manifest route id, None for the catch-all
    target: str  # "legacy" | "lambda"
    status: int
    response_latency_ms: float
    integration_latency_ms: float | None
    source_ip: str
    protocol: str
    response_length: int
    is_canary: bool = False  # served by Lambda because of a canary weight under 100


class Sink(Protocol):
    def record(self, rec: RequestRecord) -> None:
        """Accept one record; must return at once and never raise."""

    def close(self) -> None:
        """Flush what is buffered and stop."""


class NullSink:
    def record(self, rec: RequestRecord) -> None:
        return None

    def close(self) -> None:
        return None
