"""The history of progressive runs: write one entry per event, read back where to resume.

Every entry has ``action="progressive"``, the route, and details carrying the whole
plan and position (``RunState.details()``) plus ``event``:

* ``start``: the first weight is set; ``step``: a step's weight is set (again on resume);
* ``check``: a comparison ran: ``verdict``, ``mode``, ``decision``, ``window``;
* ``end``: ``outcome`` completed | rolled-back | held | interrupted (``error`` if any).

``resume_point`` folds the entries of a route's last run into the position to
continue from. The weight changes themselves are RouteService's ``promote`` and
``rollback`` entries. This module must not move routes or judge figures.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from router.errors import UsageError
from router.history import HistoryEntry, HistoryLog, current_user
from router.progressive.model import Decision, Outcome, RunState
from router.progressive.plan import ProgressivePlan

__all__ = ["ACTION", "Journal", "ResumePoint", "resume_point"]

ACTION = "progressive"


@dataclass(frozen=True)
class ResumePoint:
    """Where an unfinished run stands: the step to (re)enter and the counts so far."""

    run_id: str
    plan: ProgressivePlan
    step_index: int
    failed_checks: int
    control_window: tuple[int, int] | None
    pending_rollback: bool

    def state(self) -> RunState:
        """Holds start afresh on resume; failed checks carry over."""
        return RunState(
            run_id=self.run_id,
            plan=self.plan,
            step_index=self.step_index,
            failed_checks=self.failed_checks,
            control_window=self.control_window,
            pending_rollback=self.pending_rollback,
        )


class Journal:
    """Appends progressive entries under the manifest lock, at the manifest's revision."""

    def __init__(
        self,
        history: HistoryLog,
        *,
        revision: Callable[[], int],
        locked: Callable[[], AbstractContextManager[Any]],
    ) -> None:
        self.history, self.revision, self.locked = history, revision, locked

    def record(self, state: RunState, event: str, at: datetime, **extra: Any) -> None:
        details = {"event": event, **state.details(), **extra}
        with self.locked():
            entry = HistoryEntry(
                revision=self.revision(),
                time=_iso(at),
                user=current_user(),
                action=ACTION,
                route=state.plan.route,
                details=details,
            )
            self.history.append([entry])

    def last_run(self, route: str) -> list[HistoryEntry]:
        """The entries of the route's most recent run (empty when it has none)."""
        mine = [e for e in self.history.entries() if e.action == ACTION and e.route == route]
        if not mine:
            return []
        run_id = mine[-1].details.get("run_id")
        return [e for e in mine if e.details.get("run_id") == run_id]


def resume_point(route: str, entries: list[HistoryEntry]) -> ResumePoint:
    """Fold a run's entries into where to continue; UsageError when nothing is left to do."""
    anchor = _anchor(entries)
    if anchor is None or _finished(entries[-1], anchor):
        raise UsageError(
            f"--resume: route {route!r} has no unfinished progressive promotion",
            hint="start one with `migrate route promote ROUTE --steps 5,25,50,100`",
        )
    position, decision = anchor.details, _decision(anchor)
    return ResumePoint(
        run_id=str(position["run_id"]),
        plan=_plan(route, position),
        step_index=int(position["step_index"]) + (1 if decision == Decision.ADVANCE else 0),
        failed_checks=int(position["failed_checks"]),
        control_window=_window(entries[-1].details.get("control_window")),
        pending_rollback=decision == Decision.ROLLBACK,
    )


def _anchor(entries: list[HistoryEntry]) -> HistoryEntry | None:
    """The last entry that moved the run: start, step or check (not end)."""
    moving = [e for e in entries if e.details.get("event") in ("start", "step", "check")]
    return moving[-1] if moving else None


def _decision(entry: HistoryEntry) -> Decision | None:
    if entry.details.get("event") != "check":
        return None
    return Decision(entry.details["decision"])


def _finished(last: HistoryEntry, anchor: HistoryEntry) -> bool:
    if last.details.get("event") == "end":
        return Outcome(last.details["outcome"]).finished
    return _decision(anchor) == Decision.COMPLETE  # crashed before writing "end"


def _plan(route: str, details: dict[str, Any]) -> ProgressivePlan:
    return ProgressivePlan(
        route=route,
        steps=tuple(int(s) for s in details["steps"]),
        interval=timedelta(seconds=float(details["interval_s"])),
        max_failed_checks=int(details["max_failed_checks"]),
        max_holds=int(details["max_holds"]),
        apply=bool(details.get("apply", False)),
    )


def _window(value: Any) -> tuple[int, int] | None:
    return (int(value[0]), int(value[1])) if value else None


def _iso(at: datetime) -> str:
    text = at.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")
