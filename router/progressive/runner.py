"""The state machine of ``migrate route promote --steps``: move, wait, check, decide.

For each step: set the weight (``Mover``), wait the interval, ask the ``Checker``
for a verdict on the step's window, then ``decide``:

    PASS          -> next step (COMPLETE after the last one: exit 0)
    INCONCLUSIVE  -> HOLD: same weight, same window start, one more interval;
                     past --max-holds STOP (exit 3), the route stays where it is
    FAIL          -> RECHECK: same weight, a fresh window; the run's failed checks
                     reaching --max-failed-checks -> ROLLBACK (exit 1)

Below 100% a check is *concurrent* (the Lambda share against the monolith share of
the same window); at 100% there is no monolith share left, so it is judged against
the monolith share of the step before (*previous-step*), kept in memory, or after
a resume re-read from the access logs of its recorded window.

Every move, check and end is journaled; Ctrl-C (exit 130) or a project error
records the run as interrupted at the weight the manifest holds, so ``--resume``
continues it. Before each move, check, rollback and wait tick the run checks its
lease (``guard``): once it was broken or taken over (``LeaseLost``) the run stops
there and journals nothing more, since the run is no longer its own. The clock and
the sleep are injected. This module must not print, parse options or talk to AWS
itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from router.errors import LeaseLost, StranglerError
from router.guard import UNGUARDED, Guard
from router.progressive.journal import Journal, ResumePoint
from router.progressive.model import (
    EXIT_INTERRUPTED,
    OUTCOME_EXIT,
    Checker,
    CheckMode,
    CheckRecord,
    CheckRequest,
    CheckResult,
    Decision,
    Mover,
    Observer,
    Outcome,
    RunReport,
    RunState,
    Status,
    decide,
)
from router.progressive.plan import ProgressivePlan

__all__ = ["Clock", "ProgressiveRunner", "Sleep"]

Clock = Callable[[], datetime]
Sleep = Callable[[float], None]


class _Quiet:
    def update(self, status: Status) -> None:
        pass


def _new_run_id() -> str:
    return uuid.uuid4().hex[:12]


class ProgressiveRunner:
    def __init__(
        self,
        mover: Mover,
        checker: Checker,
        journal: Journal,
        *,
        clock: Clock,
        sleep: Sleep,
        observer: Observer | None = None,
        tick_s: float = 1.0,
        new_run_id: Callable[[], str] = _new_run_id,
        guard: Guard = UNGUARDED,
    ) -> None:
        self.mover, self.checker, self.journal, self.guard = mover, checker, journal, guard
        self.clock, self.sleep, self.tick_s = clock, sleep, tick_s
        self.observer: Observer = observer or _Quiet()
        self.new_run_id = new_run_id

    def start(self, plan: ProgressivePlan) -> RunReport:
        """A new run. A refused or failed first move raises: nothing changed, nothing to resume."""
        state = RunState(run_id=self.new_run_id(), plan=plan)
        self._move(state)
        self.journal.record(state, "start", self.clock())
        return self._run(state)

    def resume(self, point: ResumePoint) -> RunReport:
        return self._run(point.state())

    def _run(self, state: RunState) -> RunReport:
        try:
            return self._loop(state)
        except KeyboardInterrupt:
            return self._finish(state, Outcome.INTERRUPTED, EXIT_INTERRUPTED, "Ctrl-C")
        except LeaseLost:
            raise  # the run is another operator's now: nothing more is journaled here
        except StranglerError as exc:
            return self._finish(state, Outcome.INTERRUPTED, exc.exit_code, exc.message)

    def _loop(self, state: RunState) -> RunReport:
        if state.pending_rollback:  # resumed after a rollback that did not finish
            return self._rollback(state)
        while True:
            if not state.moved:
                self._move(state)
                self.journal.record(state, "step", self.clock())
            report = self._settle(state)
            if report is not None:
                return report
            state.step_index, state.moved = state.step_index + 1, False

    def _move(self, state: RunState) -> None:
        self.guard.check()
        self._show(state, "moving")
        plan = state.plan
        reason = f"progressive {state.run_id}: step {state.step_index + 1}/{len(plan.steps)}"
        self.mover.move(state.weight, reason=reason)
        state.moved, state.holds, state.window_start = True, 0, self.clock()

    def _settle(self, state: RunState) -> RunReport | None:
        """Wait and check at the current weight until it advances (None) or the run ends."""
        while True:
            self._wait(state)
            decision = self._check(state).decision
            if decision == Decision.ADVANCE:
                return None
            if decision == Decision.COMPLETE:
                return self._finish(state, Outcome.COMPLETED)
            if decision == Decision.ROLLBACK:
                return self._rollback(state)
            if decision == Decision.STOP:
                return self._finish(state, Outcome.HELD)

    def _wait(self, state: RunState) -> None:
        deadline = self.clock() + state.plan.interval
        while (left := (deadline - self.clock()).total_seconds()) > 0:
            self.guard.check()
            self._show(state, "waiting", left)
            self.sleep(min(self.tick_s, left))

    def _check(self, state: RunState) -> CheckRecord:
        self.guard.check()
        self._show(state, "checking")
        result = self.checker.check(self._request(state))
        last = state.plan.is_last(state.step_index)
        counts = {"failed": state.failed_checks, "holds": state.holds}
        decision = decide(result.verdict, plan=state.plan, last=last, **counts)
        _count(state, result, decision, self.clock())
        record = _record(state, result, decision)
        state.checks.append(record)
        self.journal.record(state, "check", self.clock(), **_check_details(record))
        return record

    def _request(self, state: RunState) -> CheckRequest:
        since = state.window_start or self.clock()
        mode: CheckMode = "previous-step" if state.weight == 100 else "concurrent"
        if mode == "concurrent":
            return CheckRequest(state.plan.route, state.weight, since, mode)
        control, window = state.control, state.control_window
        return CheckRequest(state.plan.route, state.weight, since, mode, control, window)

    def _rollback(self, state: RunState) -> RunReport:
        self.guard.check()
        self._show(state, "rolling back")
        reason = (
            f"progressive {state.run_id}: {state.failed_checks} failed checks at {state.weight}%"
        )
        self.mover.rollback(reason=reason)
        state.pending_rollback = False
        return self._finish(state, Outcome.ROLLED_BACK)

    def _finish(
        self, state: RunState, outcome: Outcome, code: int | None = None, error: str | None = None
    ) -> RunReport:
        weight = self.mover.weight()
        extra = {"outcome": outcome.value, "left_at": weight}
        self.journal.record(state, "end", self.clock(), **extra, **_maybe("error", error))
        return RunReport(
            run_id=state.run_id,
            route=state.plan.route,
            outcome=outcome,
            exit_code=OUTCOME_EXIT[outcome] if code is None else code,
            weight=weight,
            steps=state.plan.steps,
            step_index=state.step_index,
            checks=tuple(state.checks),
            control_at_100="previous-step" if state.plan.steps[-1] == 100 else None,
            error=error,
        )

    def _show(self, state: RunState, phase: str, left_s: float = 0.0) -> None:
        last = state.checks[-1].verdict.value if state.checks else None
        self.observer.update(
            Status(
                step_index=state.step_index,
                n_steps=len(state.plan.steps),
                weight=state.weight,
                phase=phase,
                left_s=left_s,
                interval_s=state.plan.interval_s,
                last_verdict=last,
                failed_checks=state.failed_checks,
                holds=state.holds,
            )
        )


def _count(state: RunState, result: CheckResult, decision: Decision, now: datetime) -> None:
    """Update the counters and windows after a check."""
    if decision in (Decision.RECHECK, Decision.ROLLBACK):
        state.failed_checks += 1
        state.window_start = now  # judge the re-check on fresh requests only
    elif decision in (Decision.HOLD, Decision.STOP):
        state.holds += 1  # keep the window: the next check sees more requests
    elif result.mode == "concurrent" and result.control is not None:
        state.control, state.control_window = result.control, result.window
    state.pending_rollback = decision == Decision.ROLLBACK


def _record(state: RunState, result: CheckResult, decision: Decision) -> CheckRecord:
    return CheckRecord(
        step_index=state.step_index,
        weight=state.weight,
        verdict=result.verdict,
        mode=result.mode,
        decision=decision,
        window=result.window,
        lambda_count=result.lambda_count,
        legacy_count=result.legacy_count,
        failed_checks=state.failed_checks,
        holds=state.holds,
        reasons=result.reasons,
    )


def _check_details(record: CheckRecord) -> dict[str, object]:
    return {
        "verdict": record.verdict.value,
        "mode": record.mode,
        "decision": record.decision.value,
        "window": list(record.window),
        "lambda_count": record.lambda_count,
        "legacy_count": record.legacy_count,
        "reasons": list(record.reasons),
    }


def _maybe(key: str, value: str | None) -> dict[str, str]:
    return {key: value} if value is not None else {}
