"""DeployService refuses a drifted plan before asking for confirmation (one safety check)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from router.deploy.model import Plan, RemoveCanary
from router.deploy.service import DeployService
from router.deploy.state import FileDeployState, state_path_for
from router.errors import Declined, ShadowMismatch, UnsafePlan
from router.history import HistoryLog, history_path_for
from router.manifest.model import Route
from router.manifest.store import ManifestStore
from router.routes import PromoteCheck, RouteService
from tests.helpers.deploy_builders import plan

DRIFTED = plan(RemoveCanary(None), drift=("stage 'prod' was deleted",))


class FixedPlanner:
    def __init__(self, fixed: Plan) -> None:
        self.fixed = fixed

    def plan(self, *_: Any) -> Plan:
        return self.fixed


def service(
    tmp_path: Path, *, routes: str = "routes: []\n", check: PromoteCheck | None = None
) -> DeployService:
    manifest = tmp_path / "migration.yaml"
    manifest.write_text(f"version: 1\nlegacy: {{url: 'http://legacy.example.com:5000'}}\n{routes}")
    store, history = ManifestStore(manifest), HistoryLog(history_path_for(manifest))

    def no_executor(_: object) -> Any:
        raise AssertionError("the executor must not be built")

    return DeployService(
        store,
        history,
        RouteService(store, history, code_root=tmp_path, promote_check=check),
        FixedPlanner(DRIFTED),
        no_executor,
        FileDeployState(state_path_for(manifest)),
    )


def test_drift_is_refused_before_the_confirmation(tmp_path: Path) -> None:
    asked: list[Plan] = []
    with pytest.raises(UnsafePlan, match="stage 'prod' was deleted") as refused:
        service(tmp_path).apply(force=False, confirm=lambda p: asked.append(p) or True)
    assert asked == []
    assert refused.value.hint == "inspect with `migrate plan`; re-run with --force to overwrite it"


def test_forced_drift_still_asks_for_confirmation(tmp_path: Path) -> None:
    asked: list[Plan] = []
    with pytest.raises(Declined):
        service(tmp_path).apply(force=True, confirm=lambda p: asked.append(p) or False)
    assert asked == [DRIFTED]


def test_promote_passes_force_to_the_promote_check(tmp_path: Path) -> None:
    """One --force, passed explicitly: it skips the injected check and allows drift."""
    (tmp_path / "force_probe_handlers.py").write_text("def handler(event, context):\n    pass\n")
    checked: list[str] = []

    def refuse(route: Route, handler: str) -> None:
        checked.append(handler)
        raise ShadowMismatch(f"{route.id}: refused")

    routes = "routes:\n  - {id: get-x, method: GET, path: /x, target: legacy}\n"
    deploy = service(tmp_path, routes=routes, check=refuse)
    kwargs: dict[str, Any] = {"function": "force_probe_handlers.handler", "weight": None}
    with pytest.raises(ShadowMismatch):
        deploy.promote("get-x", reason=None, force=False, confirm=lambda _: True, **kwargs)
    assert checked == ["force_probe_handlers.handler"]
    asked: list[Plan] = []
    with pytest.raises(Declined):
        deploy.promote(
            "get-x", reason=None, force=True, confirm=lambda p: asked.append(p) or False, **kwargs
        )
    assert checked == ["force_probe_handlers.handler"] and asked == [DRIFTED]
    assert deploy.store.read().routes[0].target == "legacy"
