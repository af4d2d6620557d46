"""What a progressive promotion will do: the validated steps and limits of one run.

``plan_from_options`` turns the ``--steps``/``--interval``/``--max-*`` option values
into a frozen ``ProgressivePlan``; ``check_option_mix`` refuses combinations that
make no sense (``--resume`` with ``--steps``, ``--weight`` with ``--steps``, ...).
Every refusal is a ``UsageError`` (exit 2) naming the option. The rules:

* steps are whole percents in 1..100, strictly increasing;
* the last step may be below 100: the run stops there and leaves a canary;
* a run that ends at 100 needs at least one step below 100, because the monolith
  share of the step before 100 is the control of the 100% check;
* with a control share ``c`` (the route's ``progressive_control_share``, 1-5%), a
  run ending at 100 gets a step at ``100 - c`` before it (unless a step already
  sits there or above): the monolith keeps ``c``% of the traffic for one more
  interval, the settling window, and that step is judged concurrently.

This module must not move routes, read figures or write history.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from itertools import pairwise

from router.analysis.timespec import parse_window
from router.errors import UsageError

__all__ = [
    "DEFAULT_INTERVAL",
    "DEFAULT_MAX_FAILED_CHECKS",
    "DEFAULT_MAX_HOLDS",
    "OptionMix",
    "ProgressivePlan",
    "check_option_mix",
    "parse_steps",
    "plan_from_options",
    "with_control_share",
]

DEFAULT_INTERVAL = "2m"
DEFAULT_MAX_FAILED_CHECKS = 2
DEFAULT_MAX_HOLDS = 3


@dataclass(frozen=True)
class ProgressivePlan:
    """One run: ``steps`` are Lambda percents, each held ``interval`` then checked."""

    route: str
    steps: tuple[int, ...]
    interval: timedelta
    max_failed_checks: int = DEFAULT_MAX_FAILED_CHECKS
    max_holds: int = DEFAULT_MAX_HOLDS
    apply: bool = False

    @property
    def interval_s(self) -> float:
        return self.interval.total_seconds()

    def is_last(self, index: int) -> bool:
        return index == len(self.steps) - 1


@dataclass(frozen=True)
class OptionMix:
    """Which of the mutually constrained options of ``migrate route promote`` were given."""

    steps: bool
    resume: bool
    weight: bool
    tuning: tuple[str, ...]  # the given --interval / --max-failed-checks / --max-holds


def check_option_mix(mix: OptionMix) -> None:
    """Refuse option combinations that contradict each other (exit 2)."""
    _check_run_options(mix)
    _check_tuning(mix)


def _check_run_options(mix: OptionMix) -> None:
    """--steps, --resume and --weight: at most one of them."""
    if mix.resume and mix.steps:
        raise UsageError("--resume continues the recorded run: do not give --steps with it")
    if mix.weight and (mix.steps or mix.resume):
        option = "--steps" if mix.steps else "--resume"
        raise UsageError(f"--weight and {option} exclude each other: the steps set the weights")


def _check_tuning(mix: OptionMix) -> None:
    """--interval, --max-failed-checks, --max-holds: only for a new progressive run."""
    if mix.tuning and mix.resume:
        raise UsageError(f"{mix.tuning[0]}: --resume uses the value recorded for the run")
    if mix.tuning and not mix.steps:
        raise UsageError(f"{mix.tuning[0]}: only with --steps (a progressive promotion)")


def parse_steps(text: str) -> tuple[int, ...]:
    """``"5,25,50,100"`` as ``(5, 25, 50, 100)``, or UsageError naming ``--steps``."""
    try:
        steps = tuple(int(part) for part in text.split(","))
    except ValueError as exc:
        raise UsageError(f"--steps {text!r}: expected percents like 5,25,50,100") from exc
    if any(not 1 <= s <= 100 for s in steps):
        raise UsageError(f"--steps {text!r}: every step must be between 1 and 100")
    if any(a >= b for a, b in pairwise(steps)):
        raise UsageError(f"--steps {text!r}: steps must be strictly increasing")
    if steps[-1] == 100 and len(steps) == 1:
        raise UsageError(
            f"--steps {text!r}: give a step below 100 first (its monolith share is the "
            "control of the 100% check)",
            hint="e.g. --steps 25,100, or a plain `migrate route promote` without --steps",
        )
    return steps


def plan_from_options(
    route: str,
    steps: str,
    interval: str | None,
    max_failed_checks: int | None,
    max_holds: int | None,
    *,
    apply: bool,
) -> ProgressivePlan:
    failed = DEFAULT_MAX_FAILED_CHECKS if max_failed_checks is None else max_failed_checks
    holds = DEFAULT_MAX_HOLDS if max_holds is None else max_holds
    if failed < 1:
        raise UsageError(f"--max-failed-checks {failed}: must be at least 1")
    if holds < 0:
        raise UsageError(f"--max-holds {holds}: must be 0 or more")
    span = parse_window(interval or DEFAULT_INTERVAL, option="--interval")
    return ProgressivePlan(route, parse_steps(steps), span, failed, holds, apply)


def with_control_share(plan: ProgressivePlan, share: int | None) -> ProgressivePlan:
    """``plan`` with a ``100 - share`` step before its 100% step (see the module doc)."""
    if share is None or plan.steps[-1] != 100:
        return plan
    kept = 100 - share
    if plan.steps[-2] >= kept:
        return plan
    return replace(plan, steps=(*plan.steps[:-1], kept, 100))
