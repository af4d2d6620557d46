"""The progressive runner with fakes: fake clock and sleep, scripted verdicts, a fake mover.

History goes to a real ``HistoryLog`` in a temp directory, so resuming reads what
the interrupted run wrote.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from router.analysis.model import SampleSet, Verdict
from router.errors import AWSError, StranglerError, UsageError
from router.guard import UNGUARDED, Guard
from router.history import HistoryLog
from router.progressive.journal import Journal, resume_point
from router.progressive.model import (
    CheckRequest,
    CheckResult,
    Decision,
    Outcome,
    RunReport,
    Status,
    decide,
)
from router.progressive.plan import (
    OptionMix,
    ProgressivePlan,
    check_option_mix,
    parse_steps,
    plan_from_options,
    with_control_share,
)
from router.progressive.runner import ProgressiveRunner

ROUTE = "get-api-users-id"
P, F, N = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class FakeClock:
    """``now`` moves only when ``sleep`` is called; ``interrupt_at`` raises Ctrl-C there."""

    def __init__(self) -> None:
        self.now = T0
        self.slept = 0.0
        self.interrupt_at: float | None = None

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        if self.interrupt_at is not None and self.slept >= self.interrupt_at:
            self.interrupt_at = None
            raise KeyboardInterrupt
        self.slept += seconds
        self.now += timedelta(seconds=seconds)


@dataclass
class FakeMover:
    current: int = 0
    moves: list[int] = field(default_factory=list)
    rollbacks: int = 0
    fail_move_to: dict[int, BaseException] = field(default_factory=dict)
    fail_rollback: BaseException | None = None

    def move(self, weight: int, *, reason: str) -> None:
        error = self.fail_move_to.pop(weight, None)
        if error is not None:
            raise error
        self.moves.append(weight)
        self.current = weight

    def rollback(self, *, reason: str) -> None:
        if self.fail_rollback is not None:
            error, self.fail_rollback = self.fail_rollback, None
            raise error
        self.rollbacks += 1
        self.current = 0

    def weight(self) -> int:
        return self.current


@dataclass
class FakeChecker:
    verdicts: list[Verdict]
    requests: list[CheckRequest] = field(default_factory=list)

    def check(self, request: CheckRequest) -> CheckResult:
        self.requests.append(request)
        verdict = self.verdicts.pop(0)
        start = int(request.since.timestamp() * 1000)
        control = SampleSet(f"legacy@{request.weight}", (8.0,), (200,), "access-log")
        concurrent = request.mode == "concurrent"
        return CheckResult(
            verdict=verdict,
            mode=request.mode,
            window=(start, start + 60_000),
            lambda_count=100,
            legacy_count=100,
            reasons=(f"{verdict}",),
            control=control if concurrent else None,
        )


@dataclass
class Rig:
    clock: FakeClock
    mover: FakeMover
    checker: FakeChecker
    history: HistoryLog
    statuses: list[Status]

    @property
    def journal(self) -> Journal:
        return Journal(self.history, revision=lambda: 7, locked=nullcontext)

    def runner(self, guard: Guard = UNGUARDED) -> ProgressiveRunner:
        return ProgressiveRunner(
            self.mover,
            self.checker,
            self.journal,
            clock=self.clock,
            sleep=self.clock.sleep,
            observer=self,
            tick_s=1.0,
            new_run_id=lambda: "run1",
            guard=guard,
        )

    def update(self, status: Status) -> None:
        self.statuses.append(status)

    def events(self) -> list[str]:
        return [e.details["event"] for e in self.history.entries()]

    def resume(self) -> RunReport:
        point = resume_point(ROUTE, self.journal.last_run(ROUTE))
        return self.runner().resume(point)


def plan(steps: tuple[int, ...] = (5, 25, 50, 100), **kw: int) -> ProgressivePlan:
    return ProgressivePlan(ROUTE, steps, timedelta(seconds=120), **kw)


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    log = HistoryLog(tmp_path / "migration.history.jsonl")
    return Rig(FakeClock(), FakeMover(), FakeChecker([]), log, [])


def script(rig: Rig, *verdicts: Verdict) -> None:
    rig.checker.verdicts = list(verdicts)


def test_good_sequence_reaches_100(rig: Rig) -> None:
    script(rig, P, P, P, P)
    report = rig.runner().start(plan())
    assert (report.outcome, report.exit_code, report.weight) == (Outcome.COMPLETED, 0, 100)
    assert rig.mover.moves == [5, 25, 50, 100] and rig.mover.rollbacks == 0
    assert [c.decision for c in report.checks] == [Decision.ADVANCE] * 3 + [Decision.COMPLETE]
    assert rig.clock.slept == pytest.approx(4 * 120)
    modes = [r.mode for r in rig.checker.requests]
    assert modes == ["concurrent", "concurrent", "concurrent", "previous-step"]
    final = rig.checker.requests[-1]
    assert final.control is not None and final.control.label == "legacy@50"
    assert report.control_at_100 == "previous-step"


def test_each_check_judges_the_window_since_its_weight_was_set(rig: Rig) -> None:
    script(rig, P, P)
    rig.runner().start(plan((50, 100)))
    first, second = rig.checker.requests
    assert first.since == T0 and second.since == T0 + timedelta(seconds=120)


def test_fail_twice_at_step_two_rolls_back_once(rig: Rig) -> None:
    script(rig, P, F, F)
    report = rig.runner().start(plan())
    assert (report.outcome, report.exit_code, report.weight) == (Outcome.ROLLED_BACK, 1, 0)
    assert rig.mover.rollbacks == 1 and rig.mover.moves == [5, 25]
    assert [c.decision for c in report.checks] == [
        Decision.ADVANCE,
        Decision.RECHECK,
        Decision.ROLLBACK,
    ]
    first_fail, recheck = rig.checker.requests[1:]
    assert recheck.since == first_fail.since + timedelta(seconds=120)  # a fresh window


def test_failed_checks_count_across_steps(rig: Rig) -> None:
    script(rig, F, P, F)
    report = rig.runner().start(plan())
    assert report.outcome == Outcome.ROLLED_BACK and rig.mover.moves == [5, 25]


def test_max_failed_checks_one_rolls_back_on_the_first_fail(rig: Rig) -> None:
    script(rig, F)
    report = rig.runner().start(plan(max_failed_checks=1))
    assert report.exit_code == 1 and rig.mover.rollbacks == 1


def test_inconclusive_holds_then_passes(rig: Rig) -> None:
    script(rig, N, N, P, P)
    report = rig.runner().start(plan((50, 100)))
    assert report.exit_code == 0 and rig.mover.moves == [50, 100]
    decisions = [c.decision for c in report.checks]
    assert decisions == [Decision.HOLD, Decision.HOLD, Decision.ADVANCE, Decision.COMPLETE]
    held = rig.checker.requests[:3]
    assert {r.since for r in held} == {T0}  # holding keeps the window: more requests
    assert rig.clock.slept == pytest.approx(4 * 120)


def test_max_holds_stops_with_exit_3_at_the_current_weight(rig: Rig) -> None:
    script(rig, P, N, N)
    report = rig.runner().start(plan(max_holds=1))
    assert (report.outcome, report.exit_code, report.weight) == (Outcome.HELD, 3, 25)
    assert rig.mover.rollbacks == 0 and report.resumable
    assert rig.history.entries()[-1].details["outcome"] == "held"


def test_a_held_run_resumes_at_the_same_step_with_fresh_holds(rig: Rig) -> None:
    script(rig, P, N, N)
    rig.runner().start(plan(max_holds=1))
    script(rig, N, P, P, P)
    report = rig.resume()
    assert report.exit_code == 0 and rig.mover.moves == [5, 25, 25, 50, 100]


def test_ctrl_c_mid_interval_leaves_the_route_and_says_so(rig: Rig) -> None:
    script(rig, P, P, P, P)
    rig.clock.interrupt_at = 120 + 30  # 30 s into step 2
    report = rig.runner().start(plan())
    assert (report.outcome, report.exit_code, report.weight) == (Outcome.INTERRUPTED, 130, 25)
    assert report.resumable and rig.mover.rollbacks == 0
    end = rig.history.entries()[-1].details
    assert (end["event"], end["outcome"], end["left_at"], end["weight"]) == (
        "end",
        "interrupted",
        25,
        25,
    )


def test_resume_continues_from_the_step_and_failed_count(rig: Rig) -> None:
    script(rig, P, F, P)
    rig.clock.interrupt_at = 120 * 2 + 10  # during the re-check interval of step 2
    first = rig.runner().start(plan())
    assert first.outcome == Outcome.INTERRUPTED
    point = resume_point(ROUTE, rig.journal.last_run(ROUTE))
    assert (point.step_index, point.failed_checks, point.run_id) == (1, 1, "run1")
    assert point.plan == plan()
    script(rig, F)  # a second failure in the same run: rollback
    report = rig.resume()
    assert (report.outcome, report.exit_code) == (Outcome.ROLLED_BACK, 1)
    assert rig.mover.moves == [5, 25, 25] and rig.mover.rollbacks == 1


def test_resume_after_a_pass_enters_the_next_step(rig: Rig) -> None:
    script(rig, P, P)
    rig.mover.fail_move_to[50] = KeyboardInterrupt()
    first = rig.runner().start(plan())
    assert (first.outcome, first.weight) == (Outcome.INTERRUPTED, 25)
    script(rig, P, P)
    assert rig.resume().exit_code == 0
    assert rig.mover.moves == [5, 25, 50, 100]


def test_resume_at_100_uses_the_recorded_window_of_the_step_before(rig: Rig) -> None:
    script(rig, P, P)
    rig.clock.interrupt_at = 120 + 5  # in the 100% interval
    rig.runner().start(plan((50, 100)))
    script(rig, P)
    assert rig.resume().exit_code == 0
    final = rig.checker.requests[-1]
    assert final.mode == "previous-step" and final.control is None
    start_ms = int(T0.timestamp() * 1000)
    assert final.control_window == (start_ms, start_ms + 60_000)


def test_an_error_mid_run_is_recorded_and_resumable(rig: Rig) -> None:
    script(rig, P, P, P)
    rig.mover.fail_move_to[50] = AWSError("throttled")
    report = rig.runner().start(plan((25, 50, 100)))
    assert (report.outcome, report.exit_code, report.weight) == (Outcome.INTERRUPTED, 1, 25)
    assert report.error == "throttled"
    assert rig.resume().exit_code == 0


def test_an_unfinished_rollback_is_finished_by_resume(rig: Rig) -> None:
    script(rig, F, F)
    rig.mover.fail_rollback = AWSError("stage busy")
    report = rig.runner().start(plan())
    assert (report.outcome, report.weight) == (Outcome.INTERRUPTED, 5)
    resumed = rig.resume()
    assert (resumed.outcome, resumed.exit_code, resumed.weight) == (Outcome.ROLLED_BACK, 1, 0)
    assert rig.mover.moves == [5] and rig.mover.rollbacks == 1


def test_a_refused_first_move_changes_and_records_nothing(rig: Rig) -> None:
    rig.mover.fail_move_to[5] = StranglerError("drift")
    with pytest.raises(StranglerError):
        rig.runner().start(plan())
    assert rig.history.entries() == [] and rig.checker.requests == []


@pytest.mark.parametrize("verdicts", [(P, P), (F, F)])
def test_resume_without_an_unfinished_run_is_refused(rig: Rig, verdicts: tuple[Verdict]) -> None:
    with pytest.raises(UsageError) as nothing:
        resume_point(ROUTE, rig.journal.last_run(ROUTE))
    assert nothing.value.exit_code == 2
    script(rig, *verdicts)
    rig.runner().start(plan((50, 100)))
    with pytest.raises(UsageError, match="no unfinished"):
        resume_point(ROUTE, rig.journal.last_run(ROUTE))


def test_history_records_every_step_and_check(rig: Rig) -> None:
    script(rig, P, N, P)
    rig.runner().start(plan((50, 100)))
    assert rig.events() == ["start", "check", "step", "check", "check", "end"]
    entries = rig.history.entries()
    assert {(e.action, e.route, e.revision) for e in entries} == {("progressive", ROUTE, 7)}
    check = entries[1].details
    assert check["steps"] == [50, 100] and check["interval_s"] == 120
    assert (check["step_index"], check["weight"], check["verdict"]) == (0, 50, "pass")
    assert (check["mode"], check["decision"], check["run_id"]) == ("concurrent", "advance", "run1")
    assert entries[3].details["decision"] == "hold"
    assert entries[4].details["mode"] == "previous-step"
    assert entries[-1].details["outcome"] == "completed"


def test_live_status_counts_down_the_interval(rig: Rig) -> None:
    script(rig, P, P)
    rig.runner().start(plan((50, 100)))
    waiting = [s for s in rig.statuses if s.phase == "waiting" and s.step_index == 0]
    assert [s.left_s for s in waiting[:3]] == [120, 119, 118]
    assert {s.n_steps for s in rig.statuses} == {2}
    last = rig.statuses[-1]
    assert (last.weight, last.last_verdict) == (100, "pass")


@pytest.mark.parametrize(
    ("verdict", "failed", "holds", "last", "expected"),
    [
        (P, 0, 0, False, Decision.ADVANCE),
        (P, 1, 2, True, Decision.COMPLETE),
        (F, 0, 0, False, Decision.RECHECK),
        (F, 1, 0, False, Decision.ROLLBACK),
        (N, 0, 2, False, Decision.HOLD),
        (N, 0, 3, False, Decision.STOP),
    ],
)
def test_decide(verdict: Verdict, failed: int, holds: int, last: bool, expected: Decision) -> None:
    decision = decide(verdict, failed=failed, holds=holds, plan=plan(), last=last)
    assert decision == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5,5,100", "strictly increasing"),
        ("50,25,100", "strictly increasing"),
        ("0,100", "between 1 and 100"),
        ("5,101", "between 1 and 100"),
        ("5,,100", "expected percents"),
        ("five", "expected percents"),
        ("100", "step below 100"),
    ],
)
def test_bad_steps_are_refused_naming_the_option(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as refused:
        parse_steps(text)
    assert "--steps" in refused.value.message and refused.value.exit_code == 2


def test_a_last_step_below_100_is_allowed() -> None:
    assert parse_steps("5, 25,50") == (5, 25, 50)


@pytest.mark.parametrize(
    ("interval", "failed", "holds", "option"),
    [
        ("2x", None, None, "--interval"),
        ("0s", None, None, "--interval"),
        (None, 0, None, "--max-failed-checks"),
        (None, None, -1, "--max-holds"),
    ],
)
def test_bad_limits_are_refused(
    interval: str | None, failed: int | None, holds: int | None, option: str
) -> None:
    with pytest.raises(UsageError, match=option):
        plan_from_options(ROUTE, "5,100", interval, failed, holds, apply=False)


def test_defaults() -> None:
    made = plan_from_options(ROUTE, "5,25,50,100", None, None, None, apply=True)
    assert made == ProgressivePlan(ROUTE, (5, 25, 50, 100), timedelta(minutes=2), 2, 3, True)


@pytest.mark.parametrize(
    ("mix", "option"),
    [
        (OptionMix(steps=True, resume=True, weight=False, tuning=()), "--resume"),
        (OptionMix(steps=True, resume=False, weight=True, tuning=()), "--weight"),
        (OptionMix(steps=False, resume=True, weight=True, tuning=()), "--weight"),
        (OptionMix(steps=False, resume=True, weight=False, tuning=("--interval",)), "--interval"),
        (OptionMix(False, False, False, ("--max-holds",)), "--max-holds"),
    ],
)
def test_contradicting_options_are_refused(mix: OptionMix, option: str) -> None:
    with pytest.raises(UsageError, match=option):
        check_option_mix(mix)


@pytest.mark.parametrize(
    ("steps", "share", "expected"),
    [
        ((5, 50, 100), 2, (5, 50, 98, 100)),
        ((5, 50, 100), None, (5, 50, 100)),
        ((5, 97, 100), 5, (5, 97, 100)),  # a step already keeps that much
        ((5, 50), 2, (5, 50)),  # the run ends on a canary
    ],
)
def test_control_share_adds_a_concurrent_step_before_100(
    steps: tuple[int, ...], share: int | None, expected: tuple[int, ...]
) -> None:
    plan = ProgressivePlan("r", steps, timedelta(minutes=1))
    assert with_control_share(plan, share).steps == expected
