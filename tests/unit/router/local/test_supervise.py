"""``migrate up``'s checks before starting, its settings and its watch over the servers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from router.errors import UsageError
from router.local.process import ProcessError
from router.local.stack import StackConfig
from router.local.supervise import check_ports, prepared, watch


def config(**ports: Any) -> StackConfig:
    base = {"gateway_port": 8080, "legacy_port": 5000, "moto_port": 5001}
    return StackConfig(manifest=Path("migration.yaml"), **{**base, **ports})


def test_clashing_ports_are_refused_by_option_name() -> None:
    with pytest.raises(UsageError, match="--legacy-port 5001 is also --moto-port"):
        check_ports(config(legacy_port=5001), in_use=lambda _: False)


def test_a_busy_port_is_refused_with_a_hint() -> None:
    with pytest.raises(UsageError, match="--port 8080: port already in use") as refused:
        check_ports(config(), in_use=lambda port: port == 8080)
    assert refused.value.hint == "stop what listens there, or pass another --port"


def test_without_the_gateway_its_port_is_not_checked() -> None:
    checked: list[int] = []

    def in_use(port: int) -> bool:
        checked.append(port)
        return False

    check_ports(config(gateway_port=5000, with_gateway=False), in_use=in_use)
    assert checked == [5001, 5000]


def test_prepared_takes_the_region_and_a_log_dir(tmp_path: Path) -> None:
    fresh = prepared(config(), region="eu-west-1")
    assert fresh.region == "eu-west-1" and fresh.log_dir is not None and fresh.log_dir.is_dir()
    fresh.log_dir.rmdir()
    assert prepared(config(log_dir=tmp_path), region="us-east-1").log_dir == tmp_path


class Dead:
    name, returncode = "monolith", 3

    def tail(self) -> str:
        return "Traceback: boom"


class Stack:
    def __init__(self, alive_polls: int) -> None:
        self.alive_polls = alive_polls

    def exited(self) -> Dead | None:
        self.alive_polls -= 1
        return Dead() if self.alive_polls < 0 else None


def test_watch_polls_until_a_server_dies_and_shows_its_output() -> None:
    slept: list[float] = []
    with pytest.raises(ProcessError, match="monolith exited with code 3") as died:
        watch(Stack(alive_polls=2), poll_s=0.5, sleep=slept.append)  # type: ignore[arg-type]
    assert "Traceback: boom" in str(died.value) and slept == [0.5, 0.5]
