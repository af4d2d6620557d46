"""``apply`` on an S3 backend (moto in-process): it waits for another operator's
``state`` lease, then re-reads the deploy state, plans again and says what landed
meanwhile (``router.deploy.replan``). The other operator's apply is played by the
injected sleep: it signs the deploy state and releases its lease."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest

from router.deploy.executor import ApplyResult
from router.deploy.model import CreateApi, Plan
from router.deploy.replan import LockWait, Planned, meanwhile, plan_summary, waiting_lock
from router.deploy.service import DeployService
from router.deploy.state import AppliedBy, DeploymentRecord, DeployState, DeployStateStore
from router.errors import LeaseHeld
from router.state import BackendStore, open_deploy_state
from tests.helpers.deploy_builders import plan
from tests.helpers.state import Operator

Stores = Callable[[int], list[Operator]]
CREATE = CreateApi("shop", "strangler")


class Planner:
    """Create the API while the state names none; nothing to do once it does."""

    def __init__(self) -> None:
        self.seen: list[str | None] = []

    def plan(self, _manifest: Any, state: DeployState) -> Plan:
        self.seen.append(state.api_id)
        return plan() if state.api_id else plan(CREATE, api_id=None)


class Executor:
    def __init__(self, save: Callable[[DeployState], None]) -> None:
        self.save = save

    def apply(self, _plan: Plan, manifest: Any, state: DeployState, *, force: bool) -> ApplyResult:
        state.api_id = "api-alice"
        self.save(state)
        return ApplyResult(calls=["create_rest_api"])


def _service(store: BackendStore, operator: Operator, sleep: Callable[[float], None]) -> Any:
    lines: list[str] = []
    service = DeployService(
        store, store.history, operator[1], Planner(), Executor, open_deploy_state(store),  # type: ignore[arg-type]
        notify=lines.append, wait=LockWait(timeout=30, sleep=sleep, clock=lambda: 0.0),
    )  # fmt: skip
    return service, lines


def _bob_applies(state: DeployStateStore) -> None:
    state.load()
    by = AppliedBy(user="bob", host="h2", pid=42, time="2026-01-01T00:00:00Z")
    record = DeploymentRecord(deployment_id="d1", revision=3, time="t", kind="stable", view={})
    state.save(DeployState(api_id="api-bob", applied_by=by, stable=record))


def test_an_apply_that_waited_replans_on_what_landed_and_says_so(stores: Stores) -> None:
    [alice, bob] = stores(2)
    with ExitStack() as bobs:
        bobs.enter_context(bob[0].held("state", "apply"))  # bob's apply holds the lease

        def sleep(_: float) -> None:  # while alice waits, bob's apply lands and ends
            _bob_applies(open_deploy_state(bob[0]))
            bobs.close()

        service, lines = _service(alice[0], alice, sleep)
        applied = service.apply(force=False, confirm=lambda _: True)
    assert applied.result is None and not applied.plan.has_changes
    assert service.planner.seen == [None, "api-bob"]  # planned, waited, planned again
    assert lines[0].startswith("waiting (up to 30 s): ") and "held by" in lines[0]
    assert lines[1] == (
        "another apply by bob on h2 (pid 42) at 2026-01-01T00:00:00Z landed revision 3 "
        "meanwhile; plan now: nothing to change"
    )
    assert open_deploy_state(alice[0]).load().api_id == "api-bob"  # not overwritten


def test_an_apply_that_found_the_lease_free_plans_once_and_signs_the_state(
    stores: Stores,
) -> None:
    [alice] = stores(1)
    service, lines = _service(alice[0], alice, lambda _: pytest.fail("no wait"))
    applied = service.apply(force=False, confirm=lambda _: True)
    assert applied.result is not None and service.planner.seen == [None]
    state = open_deploy_state(alice[0]).load()
    assert state.api_id == "api-alice" and state.applied_by is not None
    assert lines == []
    assert [e.action for e in alice[0].history.entries()][-1] == "apply"


def test_a_lease_held_past_the_timeout_is_refused_naming_its_holder(stores: Stores) -> None:
    [alice, bob] = stores(2)
    ticks = iter(range(100))
    wait = LockWait(timeout=3, sleep=lambda _: None, clock=lambda: float(next(ticks)))
    refused = pytest.raises(LeaseHeld, match="apply is running: lease 'state' held by")
    with bob[0].held("state", "apply"), refused, waiting_lock(alice[0], lambda _: None, wait):
        pytest.fail("the lease is bob's")


def test_what_changed_names_a_manifest_revision_that_moved() -> None:
    before = Planned(4, DeployState(api_id="a"))
    assert meanwhile(before, 4, DeployState(api_id="a"), plan()) is None
    moved = meanwhile(before, 6, DeployState(api_id="a"), plan(CREATE))
    assert moved == (
        "the manifest moved from revision 4 to 6 meanwhile; "
        "plan now: 1 step(s): create REST API 'shop'"
    )


def test_a_long_plan_is_summed_up() -> None:
    steps = [CreateApi(f"api{n}", "d") for n in range(6)]
    summary = plan_summary(plan(*steps))
    assert summary.startswith("6 step(s): ") and summary.endswith(" (and 2 more)")
