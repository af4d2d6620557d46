"""ShadowService: set, wait, always clear, judge, store; validation (exit 2)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from router.errors import HandlerError, RouteNotFound, UsageError
from router.manifest.model import Shadow
from router.shadow.files import load_last
from router.shadow.service import ShadowOptions
from tests.helpers.shadow import Project

ROUTE = "get-api-users-id"


def options(project: Project, **fields: object) -> ShadowOptions:
    base: dict[str, object] = {"route": ROUTE, "function": project.handler,
                               "duration": timedelta(seconds=2)}  # fmt: skip
    return ShadowOptions(**{**base, **fields})  # type: ignore[arg-type]


def test_parity_run_sets_then_clears_the_shadow_and_records_history(project: Project) -> None:
    gateway = project.gateway()
    outcome = project.service().run(options(project, allow_side_effects=True))
    assert (outcome.outcome, outcome.exit_code) == ("parity", 0)
    shadow = gateway.seen[0]
    assert (shadow.function, shadow.allow_side_effects) == (project.handler, True)
    assert shadow.until == "2026-01-02T03:04:07.000Z" and shadow.run_id == outcome.run.run_id
    assert project.shadow_of() is None
    actions = [(e.action, e.route) for e in project.history().entries()]
    assert actions == [("shadow-start", ROUTE), ("shadow-stop", ROUTE)]
    assert outcome.report.samples == gateway.count >= 10
    last = load_last(project.root / "migration.shadow", ROUTE)
    assert last is not None and last["outcome"] == "parity" and last["run_id"] == shadow.run_id


def test_one_changed_field_is_a_mismatch(project: Project) -> None:
    project.gateway(candidate=lambda n: {"id": n, "email": "b@x"})
    outcome = project.service().run(options(project))
    assert (outcome.outcome, outcome.exit_code) == ("mismatch", 1)
    assert [p.path for p in outcome.report.mismatches] == ["email"]


def test_too_little_traffic_is_exit_3(project: Project) -> None:
    project.gateway(per_tick=0)
    outcome = project.service().run(options(project))
    assert (outcome.outcome, outcome.exit_code, outcome.report.samples) == ("no-traffic", 3, 0)
    assert project.shadow_of() is None


def test_ctrl_c_ends_the_wait_early_and_still_clears(project: Project) -> None:
    project.gateway(per_tick=20)

    pressed: list[bool] = []

    def interrupt() -> None:  # one Ctrl-C, half a second in
        if project.time.slept >= 0.5 and not pressed:
            pressed.append(True)
            raise KeyboardInterrupt

    project.time.on_sleep.append(interrupt)
    service = project.service()
    outcome = service.run(options(project, duration=timedelta(minutes=5)))
    assert outcome.interrupted and project.shadow_of() is None
    assert outcome.exit_code == 0 and outcome.report.samples >= 10


def test_an_error_while_waiting_clears_the_shadow_and_propagates(project: Project) -> None:
    class Broken:
        def progress(self, elapsed_s: float, total_s: float, requests: int) -> None:
            raise RuntimeError("terminal gone")

    with pytest.raises(RuntimeError, match="terminal gone"):
        project.service().run(options(project), Broken())
    assert project.shadow_of() is None
    assert [e.action for e in project.history().entries()] == ["shadow-start", "shadow-stop"]


def test_progress_reports_requests_seen_so_far(project: Project) -> None:
    project.gateway(per_tick=2)
    seen: list[tuple[float, int]] = []

    class Watch:
        def progress(self, elapsed_s: float, total_s: float, requests: int) -> None:
            seen.append((elapsed_s, requests))

    project.service().run(options(project), Watch())
    assert seen[0] == (0.25, 2) and seen[-1][0] == 2.0
    assert [n for _, n in seen] == sorted(n for _, n in seen)


def test_the_function_defaults_to_the_routes(project: Project) -> None:
    project.gateway()
    run = project.service().prepare(options(project, route="get-api-products", function=None))
    assert run.function == project.handler and run.route_id == "get-api-products"


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"route": "get-api-orders"}, UsageError, "served by Lambda"),
        ({"route": "nope"}, RouteNotFound, "no route"),
        ({"function": None}, HandlerError, "names no function"),
        ({"function": "missing_pkg_xyz.mod.handler"}, HandlerError, "cannot import"),
        ({"function": "PKG.users.NOT_CALLABLE"}, HandlerError, "no callable"),
        ({"duration": timedelta(0)}, UsageError, "positive"),
    ],
)
def test_invalid_runs_are_input_errors(
    project: Project, fields: dict[str, object], error: type[Exception], message: str
) -> None:
    if isinstance(fields.get("function"), str):
        fields = {"function": str(fields["function"]).replace("PKG", project.package)}
    with pytest.raises(error, match=message) as caught:
        project.service().run(options(project, **fields))
    assert getattr(caught.value, "exit_code", None) == 2
    assert project.shadow_of() is None and project.history().entries() == []


def test_a_route_already_being_shadowed_is_refused(project: Project) -> None:
    service = project.service()
    first = service.prepare(options(project))
    service.start(first)
    with pytest.raises(UsageError, match="already being shadowed"):
        service.run(options(project))
    project.time.sleep(5)  # the first run expired (its command died): a new one may start
    project.gateway()
    assert service.run(options(project)).exit_code == 0


def test_stop_leaves_another_runs_shadow_alone(project: Project) -> None:
    service = project.service()
    run = service.prepare(options(project))
    with service.store.edit() as draft:
        route = draft.route(ROUTE)
        assert route is not None
        route.shadow = Shadow(
            run_id="someone-else", function=project.handler, until="2099-01-01T00:00:00Z"
        )
    service.stop(run)
    shadow = project.shadow_of()
    assert shadow is not None and shadow.run_id == "someone-else"
