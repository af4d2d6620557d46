"""The real collaborators of the runner: route moves and checks through the services.

* ``ManifestMover``: ``RouteService.promote``/``rollback`` (the manifest only; a
  running ``migrate serve`` hot-reloads it); ``force`` skips the promote check;
* ``AppliedMover``: ``DeployService.promote``/``rollback``, so API Gateway's canary
  moves in the same locked step; ``force`` is passed through (drift, ...), the plan
  is confirmed once for the whole run by the caller;
* ``AnalysisChecker``: ``AnalysisService.compare`` in concurrent mode; at 100% the
  Lambda side of that comparison is re-judged against the previous step's monolith
  share (``verdict.compare`` with mode "baseline": a control from another window).

This module must not decide what happens after a verdict, print or write history.
"""

from __future__ import annotations

import dataclasses

from router.analysis.model import Figures, SampleSet
from router.analysis.service import AnalysisService, CompareResult
from router.deploy.service import DeployService
from router.errors import UsageError
from router.manifest.store import ManifestStore
from router.progressive.model import CheckMode, CheckRequest, CheckResult
from router.routes import RouteService, resolve_route

__all__ = ["AnalysisChecker", "AppliedMover", "ManifestMover"]

PREVIOUS_STEP_LABEL = "before (legacy, previous step)"


class ManifestMover:
    def __init__(
        self,
        routes: RouteService,
        route: str,
        function: str | None,
        *,
        force: bool = False,
        note: str | None = None,
    ) -> None:
        self.routes, self.route, self.function = routes, route, function
        self.force, self.note = force, note

    def move(self, weight: int, *, reason: str) -> None:
        why = _why(self.note, reason)
        self.routes.promote(
            self.route, function=self.function, weight=weight, reason=why, force=self.force
        )

    def rollback(self, *, reason: str) -> None:
        self.routes.rollback([self.route], reason=_why(self.note, reason))

    def weight(self) -> int:
        return _weight(self.routes.store, self.route)


class AppliedMover:
    def __init__(
        self,
        deploy: DeployService,
        route: str,
        function: str | None,
        *,
        force: bool,
        note: str | None = None,
    ) -> None:
        self.deploy, self.route, self.function = deploy, route, function
        self.force, self.note = force, note

    def move(self, weight: int, *, reason: str) -> None:
        self.deploy.promote(
            self.route,
            function=self.function,
            weight=weight,
            reason=_why(self.note, reason),
            force=self.force,
            confirm=lambda _plan: True,
        )

    def rollback(self, *, reason: str) -> None:
        why = _why(self.note, reason)
        self.deploy.rollback([self.route], reason=why, force=self.force, confirm=lambda _: True)

    def weight(self) -> int:
        return _weight(self.deploy.store, self.route)


def _why(note: str | None, reason: str) -> str:
    return f"{note} ({reason})" if note else reason


def _weight(store: ManifestStore, ref: str) -> int:
    return resolve_route(store.read(), ref).effective_weight


class AnalysisChecker:
    def __init__(self, analysis: AnalysisService) -> None:
        self.analysis = analysis

    def check(self, request: CheckRequest) -> CheckResult:
        result = self.analysis.compare(
            request.route, since=request.since, window=None, mode="concurrent"
        )
        if request.mode == "concurrent":
            return _result(result, result.before, "concurrent")
        control = self._control(result, request)
        thresholds = self.analysis.store.read().thresholds_for(result.route)
        from router.analysis.verdict import compare  # scipy: only when judging

        comparison = compare(control, result.after, thresholds, mode="baseline")
        judged = dataclasses.replace(result, comparison=comparison, before=control)
        return _result(judged, None, "previous-step")

    def _control(self, result: CompareResult, request: CheckRequest) -> Figures:
        if request.control is not None:
            return dataclasses.replace(request.control, label=PREVIOUS_STEP_LABEL)
        if request.control_window is None:
            raise UsageError(f"route {request.route!r}: no earlier step to compare 100% with")
        return self._refetch(result, request.control_window)

    def _refetch(self, result: CompareResult, window: tuple[int, int]) -> Figures:
        """The monolith requests of a recorded window (a resumed run lost them in memory)."""
        samples = self.analysis.logs.fetch(result.route, *window)
        legacy = [s for s in samples if s.target == "legacy"]
        return SampleSet(
            PREVIOUS_STEP_LABEL,
            tuple(s.latency_ms for s in legacy),
            tuple(s.status for s in legacy),
            "access-log",
            window,
            "legacy",
        )


def _result(result: CompareResult, control: Figures | None, mode: CheckMode) -> CheckResult:
    comparison = result.comparison
    return CheckResult(
        verdict=comparison.verdict,
        mode=mode,
        window=result.window.ms,
        lambda_count=comparison.after.count,
        legacy_count=comparison.before.count,
        reasons=comparison.reasons,
        control=control,
    )
