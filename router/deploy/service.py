"""plan / apply / promote --apply / rollback --apply as one locked operation each.

The manifest change, the plan, the AWS changes, the state and the history happen
under the manifest lock (the ``state`` lease on an S3 backend, waited for while
another operator holds it: ``router.deploy.replan``). An ``apply`` that finds the
lease held plans first, then plans again on what it finds once the lease is its own,
and says what another operator landed meanwhile and what the plan is now. A refusal
(drift without ``--force``, a declined confirmation) or a failure leaves the manifest
and history as they were; the state keeps what AWS really holds, so re-running
converges. An apply with nothing to change writes the state only to record layer
builds it lacked (``router.deploy.reuse.record_builds``).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass

from router.aws.apigateway import ApiGateway
from router.aws.artifacts import ArtifactBucket
from router.aws.lambda_ import LambdaFunctions
from router.aws.layers import LambdaLayers
from router.aws.logs import CloudWatchLogs
from router.aws.session import AwsContext
from router.build import BuildService, LayerBuilder, cache_dir
from router.deploy.artifacts import Build
from router.deploy.executor import ApplyResult, Artifacts, Executor, Progress
from router.deploy.model import Plan
from router.deploy.plan import Planner
from router.deploy.replan import LockWait, Notify, Planned, meanwhile, quiet, waiting_lock
from router.deploy.reuse import record_builds
from router.deploy.state import (
    AppliedBy,
    DeployState,
    DeployStateStore,
    FileDeployState,
    state_path_for,
)
from router.errors import Declined, LeaseHeld, UsageError
from router.history import HistoryEntry, HistoryLog, RouteState, current_user, now_iso
from router.manifest.model import Manifest
from router.manifest.store import ManifestStore
from router.routes import RouteChange, RouteService, Then

__all__ = ["Applied", "Declined", "DeployService", "build_deploy_service"]

Confirm = Callable[[Plan], bool]


@dataclass
class Applied:
    plan: Plan
    result: ApplyResult | None  # None when there was nothing to do
    changes: list[RouteChange]


class DeployService:
    def __init__(
        self,
        store: ManifestStore,
        history: HistoryLog,
        routes: RouteService,
        planner: Planner,
        executor_for: Callable[[Callable[[DeployState], None]], Executor],
        deploy_state: DeployStateStore,
        *,
        notify: Notify = quiet,
        wait: LockWait | None = None,
    ) -> None:
        self.store, self.history, self.routes = store, history, routes
        self.planner, self.executor_for = planner, executor_for
        self.deploy_state, self.notify = deploy_state, notify
        self.wait = wait or LockWait()

    def plan(self) -> Plan:
        return self.planner.plan(self.store.read(), self.deploy_state.load())

    def apply(self, *, force: bool, confirm: Confirm) -> Applied:
        """Apply under the lock. When another operator holds it: plan (and build) now,
        wait for it, then plan again on what is there and say what landed meanwhile."""
        with ExitStack() as stack:
            before = None if _entered(stack, self.store.locked()) else self._planned()
            if before is not None:
                stack.enter_context(self._locked())
            manifest = self.store.read()
            seen = None if before is None else self._meanwhile(before, manifest.revision)
            plan, result = self._apply(manifest, force, confirm, deferred=False, seen=seen)
        return Applied(plan, result, [])

    def _planned(self) -> Planned:
        """The plan as things stand while another operator holds the lock (its artifacts
        built meanwhile, so a long build holds no lease)."""
        manifest, state = self.store.read(), self.deploy_state.load()
        self.planner.plan(manifest, state)
        return Planned(manifest.revision, state)

    def _meanwhile(self, before: Planned, revision: int) -> Callable[[Plan, DeployState], None]:
        def seen(plan: Plan, now: DeployState) -> None:
            news = meanwhile(before, revision, now, plan)
            if news is not None:
                self.notify(news)

        return seen

    def promote(
        self,
        ref: str,
        *,
        function: str | None,
        weight: int | None,
        reason: str | None,
        force: bool,
        confirm: Confirm,
    ) -> Applied:
        """Promote and apply in one locked step; ``force`` overrides both the route
        service's promote check (the shadow refusal) and an unsafe plan (drift)."""
        out = _Outcome()
        then = self._then(out, force, confirm)
        with self._locked():
            change = self.routes.promote(
                ref, function=function, weight=weight, reason=reason, then=then, force=force
            )
        return out.applied([change])

    def rollback(
        self, refs: list[str] | None, *, reason: str | None, force: bool, confirm: Confirm
    ) -> Applied:
        out = _Outcome()
        then = self._then(out, force, confirm)
        with self._locked():
            if refs is None:
                changes = self.routes.rollback_all(reason=reason, then=then)
            else:
                changes = self.routes.rollback(refs, reason=reason, then=then)
        return out.applied(changes) if out.plan else Applied(self.plan(), None, changes)

    def rollback_to_revision(
        self, revision: int, *, reason: str | None, force: bool, confirm: Confirm
    ) -> Applied:
        state = self.deploy_state.load()
        record = state.record_for_revision(revision)
        if record is None:
            raise _no_stable_record(state, revision)
        states = {rid: RouteState(t, w, f) for rid, (t, w, f) in record.routes.items()}
        out = _Outcome()
        why = reason or f"back to revision {revision}"
        with self._locked():
            changes = self.routes.restore(states, reason=why, then=self._then(out, force, confirm))
        return out.applied(changes)

    def _locked(self) -> AbstractContextManager[None]:
        """The store's lock, waited for while another operator's lease holds it."""
        return waiting_lock(self.store, self.notify, self.wait)

    def _then(self, out: _Outcome, force: bool, confirm: Confirm) -> Then:
        def then(manifest: Manifest) -> None:
            out.plan, out.result = self._apply(manifest, force, confirm, deferred=True)

        return then

    def _apply(
        self,
        manifest: Manifest,
        force: bool,
        confirm: Confirm,
        *,
        deferred: bool,
        seen: Callable[[Plan, DeployState], None] | None = None,
    ) -> tuple[Plan, ApplyResult | None]:
        state = self.deploy_state.load()
        plan = self.planner.plan(manifest, state)
        if seen is not None:
            seen(plan, state)
        if not plan.has_changes:
            if record_builds(plan, state):  # e.g. a state read from format 1
                self.deploy_state.save(state)
            return plan, None
        plan.raise_if_unsafe(force)
        if not confirm(plan):
            raise Declined("nothing was changed (the plan was not confirmed)")
        state.applied_by = AppliedBy.now()
        result = self.executor_for(self.deploy_state.save).apply(plan, manifest, state, force=force)
        entry = _apply_entry(manifest, plan, result, state.api_id)
        if deferred:  # after the route change's own entry, committed with the manifest
            self.store.record([entry])
        else:
            self.history.append([entry])
        return plan, result


def _entered(stack: ExitStack, lock: AbstractContextManager[None]) -> bool:
    """Whether ``lock`` was free (then held until ``stack`` closes)."""
    try:
        stack.enter_context(lock)
    except LeaseHeld:
        return False
    return True


@dataclass
class _Outcome:
    plan: Plan | None = None
    result: ApplyResult | None = None

    def applied(self, changes: list[RouteChange]) -> Applied:
        assert self.plan is not None
        return Applied(self.plan, self.result, changes)


def _apply_entry(
    manifest: Manifest, plan: Plan, result: ApplyResult, api_id: str | None
) -> HistoryEntry:
    details = {
        "api_id": api_id,
        "stage": plan.stage,
        "deployment_id": result.deployment_id,
        "previous_deployment_id": result.previous_deployment_id,
        "canary_deployment_id": result.canary_deployment_id,
        "canary_percent": plan.desired.canary_percent,
        "aws_calls": result.calls,
        "artifact_calls": result.artifact_calls,
    }
    return HistoryEntry(
        revision=manifest.revision,
        time=now_iso(),
        user=current_user(),
        action="apply",
        details={k: v for k, v in details.items() if v is not None},
    )


def build_deploy_service(
    routes: RouteService,
    ctx: AwsContext,
    *,
    apigw: ApiGateway | None = None,
    is_local: bool | None = None,
    build: Build | None = None,
    progress: Progress | None = None,
    deploy_state: DeployStateStore | None = None,
    wait: LockWait | None = None,
) -> DeployService:
    """A DeployService on ``ctx``, sharing ``routes``'s store (and so its lock) and history.

    ``deploy_state`` is where the deploy state lives (the CLI's factory picks it with
    the manifest store; ``migration.state.json`` beside the manifest without it);
    ``is_local`` defaults to whether ``ctx`` names an endpoint (moto semantics);
    ``build`` to ``migrate build``'s (cached under ``.migrate/build/``); ``progress``
    gets a line before each slow step (a layer build, an upload, a publish, a wait for
    another operator's lease) and what another apply landed meanwhile; ``wait`` says
    how long to wait for that lease.
    """
    api = apigw or ApiGateway(ctx)
    functions = LambdaFunctions(ctx)
    local = ctx.is_local if is_local is None else is_local
    root = routes.code_root
    build = build or BuildService(root, LayerBuilder(cache_dir(root)), progress).function
    artifacts = Artifacts(LambdaLayers(ctx), ArtifactBucket(ctx), progress or (lambda _: None))

    def executor_for(save: Callable[[DeployState], None]) -> Executor:
        return Executor(api, functions, CloudWatchLogs(ctx), save, artifacts)

    planner = Planner(
        api,
        functions,
        is_local=local,
        layers=artifacts.layers,
        bucket=artifacts.bucket,
        build=build,
    )
    return DeployService(
        routes.store,
        routes.history,
        routes,
        planner,
        executor_for,
        deploy_state or FileDeployState(state_path_for(routes.store.path)),
        notify=progress or quiet,
        wait=wait,
    )


def _no_stable_record(state: DeployState, revision: int) -> UsageError:
    """Only a stable deployment can be restored; the hint lists the revisions that can."""
    stable = sorted({r.revision for r in state.deployments if r.kind == "stable"})
    canary = any(r.revision == revision and r.kind != "stable" for r in state.deployments)
    why = "was applied only as a canary" if canary else "has no applied deployment"
    return UsageError(
        f"--to-revision {revision}: revision {revision} {why}",
        hint=f"revisions with a stable deployment: {', '.join(map(str, stable)) or 'none'}",
    )
