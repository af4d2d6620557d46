"""A progressive run whose lease is lost (broken, taken over, lapsed) stops at its next
step: ``LeaseLost`` out of the runner, no further move, check or journal entry (the
run belongs to whoever holds the lease now)."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.errors import LeaseLost
from router.history import HistoryLog
from tests.unit.router.test_progressive import FakeChecker, FakeClock, FakeMover, P, Rig, plan


class LostAfter:
    """A guard whose lease is lost once the clock slept ``seconds``."""

    def __init__(self, clock: FakeClock, seconds: float) -> None:
        self.clock, self.seconds, self.checks = clock, seconds, 0

    def check(self) -> None:
        self.checks += 1
        if self.clock.slept >= self.seconds:
            raise LeaseLost("lease 'progressive-get-api-users-id' was taken over by bob")


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    log = HistoryLog(tmp_path / "migration.history.jsonl")
    return Rig(FakeClock(), FakeMover(), FakeChecker([P, P, P, P]), log, [])


def test_a_run_whose_lease_is_lost_mid_wait_stops_there(rig: Rig) -> None:
    runner = rig.runner(LostAfter(rig.clock, 130))  # during the second step's interval
    with pytest.raises(LeaseLost, match="taken over by bob"):
        runner.start(plan())
    assert rig.mover.moves == [5, 25] and len(rig.checker.requests) == 1
    assert rig.events() == ["start", "check", "step"]  # no end: the run is not ours
    assert rig.clock.slept == pytest.approx(130)  # stopped at the first tick after


def test_a_run_whose_lease_is_lost_before_a_check_does_not_check(rig: Rig) -> None:
    runner = rig.runner(LostAfter(rig.clock, 120))  # lost as the first interval ends
    with pytest.raises(LeaseLost):
        runner.start(plan())
    assert rig.mover.moves == [5] and rig.checker.requests == []
    assert rig.events() == ["start"]


def test_a_run_checks_its_lease_before_its_first_move(rig: Rig) -> None:
    with pytest.raises(LeaseLost):
        rig.runner(LostAfter(rig.clock, 0)).start(plan())
    assert rig.mover.moves == [] and rig.events() == []
