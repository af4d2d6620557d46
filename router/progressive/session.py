"""One ``promote --steps``/``--resume`` invocation: options in, a runner ready to go.

``held`` is the run's lease (``progressive-<route id>`` on an S3 state backend,
nothing in local files): the caller holds it around ``prepare`` and ``run``, so a
second run or ``--resume`` of the route is refused, naming the holder, while the
first lives, and takes over once a killed holder's lease expired; ``run`` stops at
its next step once its lease was broken or taken over.
``validate`` checks the options before any lease is taken (a bad ``--steps`` is exit 2
with nothing held or changed); ``prepare`` resolves the route, and reads the resume point
from history (``--resume``) or builds a new plan (``--steps``); ``run`` wires the
collaborators ``Services`` carries (built lazily; the CLI's factory makes them,
clock and sleep included) into a ``ProgressiveRunner`` and runs it. Confirmation
and printing stay with the caller (the CLI). This module must not parse
command-line text, print, or pick a clock, a sleep or a checker itself.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace

from router.deploy.service import DeployService
from router.guard import UNGUARDED, Guard
from router.history import HistoryLog
from router.manifest.store import ManifestStore
from router.progressive.adapters import AppliedMover, ManifestMover
from router.progressive.journal import Journal, ResumePoint, resume_point
from router.progressive.model import Checker, Mover, Observer, RunReport
from router.progressive.plan import ProgressivePlan, plan_from_options, with_control_share
from router.progressive.runner import Clock, ProgressiveRunner, Sleep
from router.routes import RouteService, resolve_route

__all__ = [
    "Prepared",
    "RunOptions",
    "Services",
    "held",
    "lease_name",
    "prepare",
    "run",
    "validate",
]


@dataclass(frozen=True)
class RunOptions:
    """The options of ``migrate route promote --steps ...`` or ``--resume``."""

    route: str
    steps: str | None = None
    interval: str | None = None
    max_failed_checks: int | None = None
    max_holds: int | None = None
    resume: bool = False
    apply: bool = False
    force: bool = False
    function: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Services:
    """The collaborators, built only when needed (``deploy`` only with --apply).

    ``checker`` judges each step (``AnalysisChecker`` over CloudWatch in the CLI);
    ``clock`` and ``sleep`` time the intervals.
    """

    store: ManifestStore
    history: HistoryLog
    routes: Callable[[], RouteService]
    deploy: Callable[[], DeployService]
    checker: Callable[[], Checker]
    clock: Clock
    sleep: Sleep

    def journal(self) -> Journal:
        store = self.store
        return Journal(self.history, revision=lambda: store.read().revision, locked=store.locked)


@dataclass(frozen=True)
class Prepared:
    plan: ProgressivePlan
    point: ResumePoint | None  # set when resuming


def lease_name(route_id: str) -> str:
    return f"progressive-{route_id}"


def held(options: RunOptions, services: Services) -> AbstractContextManager[Guard]:
    """The route's progressive lease, for the whole run (``LeaseHeld`` while another
    live run holds it); ``run`` checks the guard it gives between the run's steps."""
    route_id = _route_id(options, services)
    return services.store.held(lease_name(route_id), f"progressive promotion of {route_id}")


def validate(options: RunOptions) -> ProgressivePlan | None:
    """The plan ``--steps`` and its tuning give (None for ``--resume``); ``UsageError``
    (exit 2) on a bad value. Called before ``held``, so bad input takes no lease."""
    if options.resume:
        return None
    return plan_from_options(
        options.route,
        options.steps or "",
        options.interval,
        options.max_failed_checks,
        options.max_holds,
        apply=options.apply,
    )


def prepare(options: RunOptions, services: Services) -> Prepared:
    """The plan to run; UsageError (exit 2) on bad options or nothing to resume."""
    plan = validate(options)
    if plan is not None:
        manifest = services.store.read()
        route = resolve_route(manifest, options.route)
        share = manifest.thresholds_for(route).progressive_control_share
        return Prepared(with_control_share(replace(plan, route=route.id), share), None)
    route_id = _route_id(options, services)
    point = resume_point(route_id, services.journal().last_run(route_id))
    plan = replace(point.plan, apply=point.plan.apply or options.apply)
    return Prepared(plan, replace(point, plan=plan))


def _route_id(options: RunOptions, services: Services) -> str:
    return resolve_route(services.store.read(), options.route).id


def run(
    prepared: Prepared,
    options: RunOptions,
    services: Services,
    observer: Observer | None,
    guard: Guard = UNGUARDED,
) -> RunReport:
    """The run; ``LeaseLost`` (exit 1) at the first step after ``guard``'s lease was
    broken or taken over."""
    runner = ProgressiveRunner(
        _mover(prepared.plan, options, services),
        services.checker(),
        services.journal(),
        clock=services.clock,
        sleep=services.sleep,
        observer=observer,
        guard=guard,
    )
    if prepared.point is not None:
        return runner.resume(prepared.point)
    return runner.start(prepared.plan)


def _mover(plan: ProgressivePlan, options: RunOptions, services: Services) -> Mover:
    route, function, force, note = plan.route, options.function, options.force, options.reason
    if plan.apply:
        return AppliedMover(services.deploy(), route, function, force=force, note=note)
    return ManifestMover(services.routes(), route, function, force=force, note=note)
