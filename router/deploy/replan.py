"""Wait for the state lease, then say what changed since an apply planned.

An ``apply`` that finds the store's lock (the ``state`` lease on an S3 backend) held
by another operator plans first, then waits for it. ``waiting_lock`` retries a lease
another operator holds until ``timeout`` (``LeaseHeld`` naming the holder after it),
saying once that it waits; the local file lock waits by itself. Once the lock is
ours, ``meanwhile`` compares what the plan was made from with what is there now:
another apply that landed (the deploy state it signed) or a manifest revision that
moved, and the fresh plan's steps. This module must not call AWS nor print (``Notify`` does).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from router.deploy.model import Plan
from router.deploy.state import DeployState
from router.errors import LeaseHeld
from router.manifest.store import ManifestStore

__all__ = ["LockWait", "Notify", "Planned", "meanwhile", "plan_summary", "quiet", "waiting_lock"]

Notify = Callable[[str], None]
POLL = 1.0  # seconds between tries of a held lease
SHOWN_STEPS = 4


def quiet(_line: str) -> None:
    """A ``Notify`` that says nothing."""


@dataclass(frozen=True)
class Planned:
    """What a plan was made from: the manifest revision and the deploy state."""

    revision: int
    state: DeployState


@dataclass(frozen=True)
class LockWait:
    """How long to wait for a held lease (``MIGRATE_LOCK_TIMEOUT``), and with what."""

    timeout: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


@contextmanager
def waiting_lock(store: ManifestStore, notify: Notify, wait: LockWait) -> Iterator[None]:
    """``store.locked()``, tried again every ``POLL`` s while another live holder has it."""
    deadline, told = wait.clock() + wait.timeout, False
    with ExitStack() as stack:
        while True:
            try:
                stack.enter_context(store.locked())
                break
            except LeaseHeld as held:
                if wait.clock() >= deadline:
                    raise
                if not told:
                    notify(f"waiting (up to {wait.timeout:g} s): {held.message}")
                    told = True
                wait.sleep(POLL)
        yield


def meanwhile(before: Planned, revision: int, state: DeployState, plan: Plan) -> str | None:
    """What landed between ``before`` and now, and the plan now; None if nothing did."""
    if state != before.state:
        by = state.applied_by.describe() if state.applied_by else "an unsigned apply"
        landed = state.stable.revision if state.stable else revision
        what = f"another apply by {by} landed revision {landed} meanwhile"
    elif revision != before.revision:
        what = f"the manifest moved from revision {before.revision} to {revision} meanwhile"
    else:
        return None
    return f"{what}; plan now: {plan_summary(plan)}"


def plan_summary(plan: Plan) -> str:
    """The plan's steps in one line (the first few of many)."""
    if not plan.has_changes:
        return "nothing to change"
    steps = [step.describe() for step in plan.steps]
    more = len(steps) - SHOWN_STEPS
    shown = "; ".join(steps[:SHOWN_STEPS])
    return f"{len(steps)} step(s): {shown}" + (f" (and {more} more)" if more > 0 else "")
