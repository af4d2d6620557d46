"""Run the local stack on this machine: moto (AWS), the monolith and the local gateway.

``process`` supervises one server process (own process group, HTTP readiness,
SIGTERM then SIGKILL); ``stack`` knows the three servers and starts them in order.
Used by ``migrate up``, the e2e tests and the benchmarks. Nothing here talks to AWS
or reads the manifest.
"""

from __future__ import annotations

from router.local.process import (
    LOCALHOST,
    ManagedProcess,
    ProcessError,
    free_port,
    group_pids,
    http_status,
    pid_alive,
    port_in_use,
)
from router.local.stack import (
    LEGACY_URL_ENV,
    LocalStack,
    StackConfig,
    StackUrls,
    child_env,
    local_aws_env,
    start_gateway,
    start_legacy,
    start_moto,
)

__all__ = [
    "LEGACY_URL_ENV",
    "LOCALHOST",
    "LocalStack",
    "ManagedProcess",
    "ProcessError",
    "StackConfig",
    "StackUrls",
    "child_env",
    "free_port",
    "group_pids",
    "http_status",
    "local_aws_env",
    "pid_alive",
    "port_in_use",
    "start_gateway",
    "start_legacy",
    "start_moto",
]
