"""The vocabulary of a progressive promotion: what is asked, seen, decided and reported.

Frozen records (``CheckRequest``, ``CheckResult``, ``CheckRecord``, ``Status``,
``RunReport``), the decision and outcome enums, the pure ``decide`` rule, the
mutable ``RunState`` the runner advances, and the three collaborator protocols the
runner is given (``Mover``, ``Checker``, ``Observer``). This module must not move
routes, fetch figures, print or write history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from router.analysis.model import Figures, Verdict
from router.progressive.plan import ProgressivePlan

__all__ = [
    "EXIT_INTERRUPTED",
    "CheckMode",
    "CheckRecord",
    "CheckRequest",
    "CheckResult",
    "Checker",
    "Decision",
    "Mover",
    "Observer",
    "Outcome",
    "RunReport",
    "RunState",
    "Status",
    "decide",
]

CheckMode = Literal["concurrent", "previous-step"]
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT


class Decision(StrEnum):
    ADVANCE = "advance"  # PASS below the last step: next weight
    COMPLETE = "complete"  # PASS at the last step: done
    HOLD = "hold"  # INCONCLUSIVE: same weight, same window, one more interval
    STOP = "stop"  # INCONCLUSIVE past --max-holds: stop where we are
    RECHECK = "recheck"  # FAIL below --max-failed-checks: same weight, fresh window
    ROLLBACK = "rollback"  # FAIL reaching --max-failed-checks


class Outcome(StrEnum):
    COMPLETED = "completed"
    ROLLED_BACK = "rolled-back"
    HELD = "held"
    INTERRUPTED = "interrupted"

    @property
    def finished(self) -> bool:
        """Whether ``--resume`` has nothing left to do after this outcome."""
        return self in (Outcome.COMPLETED, Outcome.ROLLED_BACK)


OUTCOME_EXIT = {Outcome.COMPLETED: 0, Outcome.ROLLED_BACK: 1, Outcome.HELD: 3}


def decide(
    verdict: Verdict, *, failed: int, holds: int, plan: ProgressivePlan, last: bool
) -> Decision:
    """The next move after a check; ``failed``/``holds`` are the counts before it."""
    if verdict == Verdict.PASS:
        return Decision.COMPLETE if last else Decision.ADVANCE
    if verdict == Verdict.FAIL:
        return Decision.ROLLBACK if failed + 1 >= plan.max_failed_checks else Decision.RECHECK
    return Decision.STOP if holds + 1 > plan.max_holds else Decision.HOLD


@dataclass(frozen=True)
class CheckRequest:
    """Judge ``route`` since ``since``; ``previous-step`` mode judges against ``control``
    (or, after a resume, the monolith requests logged in ``control_window``)."""

    route: str
    weight: int
    since: datetime
    mode: CheckMode
    control: Figures | None = None
    control_window: tuple[int, int] | None = None


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    mode: CheckMode
    window: tuple[int, int]  # epoch ms of the Lambda side
    lambda_count: int
    legacy_count: int
    reasons: tuple[str, ...] = ()
    control: Figures | None = None  # this window's monolith share (kept for 100%)


@dataclass(frozen=True)
class CheckRecord:
    """One check as reported and written to history."""

    step_index: int
    weight: int
    verdict: Verdict
    mode: CheckMode
    decision: Decision
    window: tuple[int, int]
    lambda_count: int
    legacy_count: int
    failed_checks: int
    holds: int
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Status:
    """What the live display shows."""

    step_index: int
    n_steps: int
    weight: int
    phase: str  # moving, waiting, checking, rolling back
    left_s: float
    interval_s: float
    last_verdict: str | None
    failed_checks: int
    holds: int


@dataclass(frozen=True)
class RunReport:
    run_id: str
    route: str
    outcome: Outcome
    exit_code: int
    weight: int  # the Lambda share the route is left at
    steps: tuple[int, ...]
    step_index: int
    checks: tuple[CheckRecord, ...]
    control_at_100: CheckMode | None  # which control judged the 100% step
    error: str | None = None

    @property
    def resumable(self) -> bool:
        return not self.outcome.finished


@dataclass
class RunState:
    """The runner's position; ``details()`` is what every history entry of it carries."""

    run_id: str
    plan: ProgressivePlan
    step_index: int = 0
    failed_checks: int = 0
    holds: int = 0
    window_start: datetime | None = None
    control: Figures | None = None
    control_window: tuple[int, int] | None = None
    moved: bool = False  # the weight of step_index is set already
    pending_rollback: bool = False
    checks: list[CheckRecord] = field(default_factory=list)

    @property
    def weight(self) -> int:
        return self.plan.steps[self.step_index]

    def details(self) -> dict[str, Any]:
        plan = self.plan
        data: dict[str, Any] = {
            "run_id": self.run_id,
            "steps": list(plan.steps),
            "step_index": self.step_index,
            "weight": self.weight,
            "interval_s": plan.interval_s,
            "max_failed_checks": plan.max_failed_checks,
            "max_holds": plan.max_holds,
            "apply": plan.apply,
            "failed_checks": self.failed_checks,
            "holds": self.holds,
        }
        if self.control_window is not None:
            data["control_window"] = list(self.control_window)
        return data


class Mover(Protocol):
    """Moves the route's Lambda share (the manifest, and API Gateway with --apply)."""

    def move(self, weight: int, *, reason: str) -> None: ...

    def rollback(self, *, reason: str) -> None: ...

    def weight(self) -> int:
        """The Lambda share the manifest gives the route now (0: on the monolith)."""
        ...


class Checker(Protocol):
    def check(self, request: CheckRequest) -> CheckResult: ...


class Observer(Protocol):
    def update(self, status: Status) -> None: ...
