"""What ``migrate shadow`` does: set the route's shadow, wait, clear it, judge, store.

``ShadowService.run``:

1. validates (exit 2 on failure): the route exists and is served by the monolith
   (target legacy), the handler (``--function`` or the route's) imports and is callable;
   then holds the lease ``shadow-<route id>`` (an S3 state backend) until step 5 ends,
   checking it at every tick of the wait and before judging: once it was broken or
   taken over (``LeaseLost``, exit 1) the run clears its shadow and stops, unjudged;
2. sets ``route.shadow = Shadow(run_id, function, until, allow_side_effects)`` in one
   locked manifest edit with a ``shadow-start`` history entry; a running
   ``migrate serve`` picks it up by hot reload;
3. waits until ``until``, reporting progress (requests seen so far, counted from the
   results file); Ctrl-C ends the wait early (the run is reported as interrupted);
4. ALWAYS clears the shadow again (``shadow-stop`` entry), on Ctrl-C and on errors too;
   should even that fail, the gateway stops by itself at ``until``;
5. lets the gateway's writer settle, reads the results, compares (``diff``), stores
   the report (``ShadowReports``: ``last.json``, or the backend's objects) and
   returns the outcome: parity (exit 0), real mismatches (1), or fewer than
   ``min_requests`` samples (3).

This module must not print or parse command-line options.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from router.errors import HandlerError, UsageError
from router.guard import Guard
from router.history import HistoryEntry, HistoryLog, current_user, now_iso
from router.manifest.model import Route, Shadow
from router.manifest.store import ManifestStore
from router.routes import check_handler, resolve_route
from router.shadow.diff import (
    DEFAULT_THRESHOLDS,
    DiffReport,
    PathReport,
    Thresholds,
    compare_samples,
)
from router.shadow.files import (
    FileShadowReports,
    LineCounter,
    Results,
    ShadowReports,
    read_results,
    results_path,
    shadow_root,
)

__all__ = [
    "EXIT_MISMATCH",
    "EXIT_NO_TRAFFIC",
    "EXIT_PARITY",
    "Observer",
    "ShadowOptions",
    "ShadowOutcome",
    "ShadowRun",
    "ShadowService",
    "lease_name",
    "outcome_json",
    "path_json",
]

EXIT_PARITY, EXIT_MISMATCH, EXIT_NO_TRAFFIC = 0, 1, 3
MIN_REQUESTS = 10
PROGRESS_EVERY_S = 0.25
SETTLE_QUIET_S = 1.0  # the writer flushes every 0.5 s: this long without a new line ...
SETTLE_MAX_S = 5.0  # ... (or this long at most) after the shadow is cleared


@dataclass(frozen=True, slots=True)
class ShadowOptions:
    route: str
    function: str | None = None
    duration: timedelta = timedelta(minutes=5)
    allow_side_effects: bool = False
    min_requests: int = MIN_REQUESTS
    thresholds: Thresholds = DEFAULT_THRESHOLDS


@dataclass(frozen=True, slots=True)
class ShadowRun:
    route_id: str
    function: str
    run_id: str
    started: datetime
    until: datetime
    allow_side_effects: bool
    results: Path


@dataclass(frozen=True, slots=True)
class ShadowOutcome:
    run: ShadowRun
    report: DiffReport
    results: Results
    finished: datetime
    interrupted: bool
    outcome: str  # parity | mismatch | no-traffic
    exit_code: int
    min_requests: int
    stored: str | None = None  # where the report was stored


class Observer(Protocol):
    def progress(self, elapsed_s: float, total_s: float, requests: int) -> None:
        """Called about 4 times a second while the run waits."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ShadowService:
    """One shadow run per ``run`` call; clock and sleep are injectable for tests."""

    def __init__(
        self,
        store: ManifestStore,
        history: HistoryLog,
        *,
        code_root: Path,
        clock: Callable[[], datetime] = _utcnow,
        sleep: Callable[[float], None] = time.sleep,
        reports: ShadowReports | None = None,
    ) -> None:
        self.store, self.history, self.code_root = store, history, code_root
        self.root = shadow_root(store.path)  # where the gateway writes the results
        self.reports = reports or FileShadowReports(self.root)
        self._clock, self._sleep = clock, sleep

    def prepare(self, options: ShadowOptions) -> ShadowRun:
        """Validate the options against the manifest (InputError, exit 2)."""
        if options.duration <= timedelta(0):
            raise UsageError("--duration must be positive")
        route = resolve_route(self.store.read(), options.route)
        _check_shadowable(route)
        function = options.function or route.function
        if function is None:
            raise HandlerError(f"route {route.id!r} names no function yet: pass --function")
        check_handler(function, search_path=self.code_root)
        started = self._clock()
        run_id = f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"
        return ShadowRun(
            route.id, function, run_id, started, started + options.duration,
            options.allow_side_effects, results_path(self.root, route.id, run_id),
        )  # fmt: skip

    def run(self, options: ShadowOptions, observer: Observer | None = None) -> ShadowOutcome:
        """Validate, then the whole run under the lease ``shadow-<route id>`` (on an S3
        state backend; ``LeaseHeld`` naming the holder while another run lives)."""
        run = self.prepare(options)
        with self.store.held(lease_name(run.route_id), f"shadow run of {run.route_id}") as guard:
            self.start(run)
            try:
                interrupted = self._wait(run, observer, guard)
            finally:
                self.stop(run)
            results = self._settle(run)
            guard.check()
            return self._judge(run, options, results, interrupted)

    def start(self, run: ShadowRun) -> None:
        shadow = Shadow(
            run_id=run.run_id,
            function=run.function,
            until=_iso(run.until),
            allow_side_effects=run.allow_side_effects,
        )
        with self.store.edit() as draft:
            route = resolve_route(draft, run.route_id)
            _check_shadowable(route)
            self._check_idle(route)
            route.shadow = shadow
            self._record(draft.revision, "shadow-start", route.id, _details(run, shadow))

    def stop(self, run: ShadowRun) -> None:
        """Clear the run's shadow (a later run's is left alone)."""
        with self.store.edit() as draft:
            route = draft.route(run.route_id)
            if route is None or route.shadow is None or route.shadow.run_id != run.run_id:
                return
            route.shadow = None
            self._record(draft.revision, "shadow-stop", route.id, {"run_id": run.run_id})

    def _check_idle(self, route: Route) -> None:
        current = route.shadow
        if current is None:
            return
        until = datetime.fromisoformat(current.until.replace("Z", "+00:00"))
        if until > self._clock():
            raise UsageError(
                f"route {route.id!r} is already being shadowed (run {current.run_id} "
                f"until {current.until})",
                hint="wait for that run to end",
            )

    def _record(self, revision: int, action: str, route: str, details: dict[str, Any]) -> None:
        entry = HistoryEntry(
            revision=revision + 1,  # the store bumps it when it writes
            time=now_iso(),
            user=current_user(),
            action=action,
            route=route,
            details=details,
        )
        self.store.record([entry])

    def _wait(self, run: ShadowRun, observer: Observer | None, guard: Guard) -> bool:
        """Sleep until ``until``; True when interrupted (Ctrl-C). ``LeaseLost`` at the
        first tick after the run's lease was broken or taken over."""
        counter = LineCounter(run.results)
        total = (run.until - run.started).total_seconds()
        try:
            while (left := (run.until - self._clock()).total_seconds()) > 0:
                guard.check()
                self._sleep(min(PROGRESS_EVERY_S, left))
                if observer is not None:
                    elapsed = min(total, (self._clock() - run.started).total_seconds())
                    observer.progress(elapsed, total, counter.update())
        except KeyboardInterrupt:
            return True
        return False

    def _settle(self, run: ShadowRun) -> Results:
        """Wait for the gateway's last copies to be written, then read them all."""
        counter, quiet, waited = LineCounter(run.results), 0.0, 0.0
        seen = counter.update()
        while quiet < SETTLE_QUIET_S and waited < SETTLE_MAX_S:
            self._sleep(PROGRESS_EVERY_S)
            waited += PROGRESS_EVERY_S
            now = counter.update()
            quiet = 0.0 if now != seen else quiet + PROGRESS_EVERY_S
            seen = now
        return read_results(run.results)

    def _judge(
        self, run: ShadowRun, options: ShadowOptions, results: Results, interrupted: bool
    ) -> ShadowOutcome:
        report = compare_samples(results.samples, options.thresholds)
        outcome, code = _verdict(report, options.min_requests)
        done = ShadowOutcome(
            run, report, results, self._clock(), interrupted, outcome, code,
            options.min_requests,
        )  # fmt: skip
        stored = self.reports.save_last(run.route_id, outcome_json(done), run.results)
        return dataclasses.replace(done, stored=stored)


def lease_name(route_id: str) -> str:
    return f"shadow-{route_id}"


def _details(run: ShadowRun, shadow: Shadow) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "function": run.function,
        "until": shadow.until,
        "allow_side_effects": run.allow_side_effects,
    }


def _check_shadowable(route: Route) -> None:
    if route.status != "active":
        raise UsageError(f"route {route.id!r} is no longer in the app (status {route.status})")
    if route.target != "legacy":
        raise UsageError(
            f"route {route.id!r} is served by Lambda ({route.effective_weight}%): "
            "only routes on the monolith can be shadowed",
            hint=f"roll it back first: `migrate rollback {route.id}`",
        )


def _verdict(report: DiffReport, min_requests: int) -> tuple[str, int]:
    if report.samples < min_requests:
        return "no-traffic", EXIT_NO_TRAFFIC
    if report.mismatches:
        return "mismatch", EXIT_MISMATCH
    return "parity", EXIT_PARITY


def outcome_json(outcome: ShadowOutcome) -> dict[str, Any]:
    """The full report (``--json`` and ``last.json``)."""
    run, report = outcome.run, outcome.report
    return {
        "route": run.route_id,
        "run_id": run.run_id,
        "function": run.function,
        "started": _iso(run.started),
        "finished": _iso(outcome.finished),
        "duration_s": round((run.until - run.started).total_seconds(), 3),
        "allow_side_effects": run.allow_side_effects,
        "interrupted": outcome.interrupted,
        "outcome": outcome.outcome,
        "exit_code": outcome.exit_code,
        "requests": report.samples,
        "min_requests": outcome.min_requests,
        "dropped": outcome.results.dropped,
        "skipped": outcome.results.skipped,
        "truncated": report.truncated,
        "unreadable_lines": outcome.results.unreadable,
        "thresholds": dataclasses.asdict(report.thresholds),
        "mismatches": [path_json(p) for p in report.mismatches],
        "noise": [path_json(p) for p in report.noise],
        "results_file": str(run.results),
    }


def path_json(path: PathReport) -> dict[str, Any]:
    return {
        "path": path.path,
        "real": path.real,
        "candidate_rate": round(path.candidate_rate, 4),
        "noise_rate": round(path.noise_rate, 4),
        "compared": path.compared,
        "differing": path.differing,
        "noise_compared": path.noise_compared,
        "noise_differing": path.noise_differing,
        "examples": [
            {"request": e.request, "primary": e.primary, "candidate": e.candidate}
            for e in path.examples
        ],
    }
