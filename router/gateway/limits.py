"""What the local gateway accepts from a client, and for how long it waits on one.

Request-head sizes follow API Gateway's REST quotas ("Quotas for configuring and running
a REST API in API Gateway", docs.aws.amazon.com/apigateway/latest/developerguide/
api-gateway-execution-service-limits-table.html): the URL of a regional API is at most
10,240 characters, and header values total at most 10,240 bytes. Over the first the
gateway answers 414, over the second 431 (RFC 6585; names are counted too, so that
thousands of empty headers are refused as well). The header count is capped at 100
(gunicorn's ``limit_request_fields``). The count is kept as bytes arrive, and an
unfinished head is never buffered past ``head_cap``: a 64 MiB request line or header
costs one rejection, not 64 MiB of memory.

Timeouts follow nginx's defaults: ``client_header_timeout`` and ``client_body_timeout``
60 s (a whole head, and between two body reads: else 408), ``keepalive_timeout`` 75 s
(an idle keep-alive connection is closed), and a lingering close after an error answer
(``lingering_time`` 30 s, ``lingering_timeout`` 5 s: half-close, read and drop what the
client still sends, so that it reads the 413 instead of a reset).

Connections: a new client is answered 503 and closed when ``max_connections`` are open,
before the process runs out of file descriptors (each proxied client also holds an
upstream socket). This module must not do I/O beyond reading the descriptor limit.
"""

from __future__ import annotations

import logging
import resource
from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "Limits", "connection_budget", "raise_fd_limit"]

log = logging.getLogger(__name__)

_RESERVED_FDS = 64  # listening socket, log files, handler threads' files, the manifest


@dataclass(frozen=True, slots=True)
class Limits:
    max_url_bytes: int = 10_240
    max_header_bytes: int = 10_240  # names and values of all header fields together
    max_headers: int = 100
    header_timeout: float = 60.0
    body_timeout: float = 60.0
    keepalive_timeout: float = 75.0
    linger_time: float = 30.0
    linger_timeout: float = 5.0
    max_connections: int = 0  # 0: derived from the descriptor limit (connection_budget)

    @property
    def head_cap(self) -> int:
        """Bytes of an unfinished head buffered at most before it is refused."""
        return self.max_url_bytes + self.max_header_bytes + 8192

    @property
    def sweep_interval(self) -> float:
        """How often connections are checked against their deadlines."""
        shortest = min(self.header_timeout, self.body_timeout, self.keepalive_timeout)
        return max(0.02, min(1.0, shortest / 4, self.linger_timeout / 4))

    def connections(self) -> int:
        return self.max_connections or connection_budget()


DEFAULT_LIMITS = Limits()


def connection_budget() -> int:
    """Client connections that fit the descriptor limit: two descriptors each (the
    client's socket and, for a legacy route, the upstream one), minus a reserve."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 1 << 20
    return max(16, (soft - _RESERVED_FDS) // 2)


def raise_fd_limit(want: int = 65_536) -> int:
    """Raise the soft descriptor limit towards the hard one (as nginx's
    ``worker_rlimit_nofile``); the soft limit in force afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as exc:
            log.warning("cannot raise the file-descriptor limit to %d: %s", target, exc)
            return soft
        return target
    return soft
