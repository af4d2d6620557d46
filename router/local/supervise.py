"""Bring the local stack up for ``migrate up`` and watch it.

``check_ports`` refuses clashing or busy ports before anything starts (UsageError,
exit 2); ``prepared`` fills in the settings ``migrate up`` leaves to defaults;
``watch`` returns only by raising: ``ProcessError`` with the output of a server that
died. This module must not read the manifest, print, or touch signal handlers.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from router.errors import UsageError
from router.local.process import ProcessError, port_in_use
from router.local.stack import LocalStack, StackConfig

__all__ = ["POLL_S", "check_ports", "prepared", "watch"]

POLL_S = 0.2


def check_ports(config: StackConfig, *, in_use: Callable[[int], bool] = port_in_use) -> None:
    """Each server's port distinct and free on 127.0.0.1, named by its option."""
    ports = [("--moto-port", config.moto_port), ("--legacy-port", config.legacy_port)]
    if config.with_gateway:
        ports.append(("--port", config.gateway_port))
    seen: dict[int, str] = {}
    for option, number in ports:
        if number == 0:  # the server binds a free port itself
            continue
        if number in seen:
            raise UsageError(f"{option} {number} is also {seen[number]}; give distinct ports")
        if in_use(number):
            raise UsageError(
                f"{option} {number}: port already in use on 127.0.0.1",
                hint=f"stop what listens there, or pass another {option}",
            )
        seen[number] = option


def prepared(config: StackConfig, *, region: str) -> StackConfig:
    """The manifest's region, and a fresh temporary log directory unless one is given."""
    log_dir = config.log_dir or Path(tempfile.mkdtemp(prefix="strangler-up-"))
    return replace(config, region=region, log_dir=log_dir)


def watch(
    stack: LocalStack, *, poll_s: float = POLL_S, sleep: Callable[[float], None] = time.sleep
) -> NoReturn:
    """Wait until interrupted; a server that dies ends the wait with its last output."""
    while True:
        dead = stack.exited()
        if dead is not None:
            raise ProcessError(
                f"{dead.name} exited with code {dead.returncode}; its last output:\n{dead.tail()}"
            )
        sleep(poll_s)
