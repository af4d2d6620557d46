"""DeployService refuses a drifted plan before asking for confirmation (one safety check)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from router.deploy.model import Plan, RemoveCanary
from router.deploy.service import DeployService
from router.deploy.state import state_path_for
from router.errors import Declined, UnsafePlan
from router.history import HistoryLog, history_path_for
from router.manifest.store import ManifestStore
from router.routes import RouteService
from tests.unit.router.deploy.builders import plan

DRIFTED = plan(RemoveCanary(None), drift=("stage 'prod' was deleted",))


class FixedPlanner:
    def __init__(self, fixed: Plan) -> None:
        self.fixed = fixed

    def plan(self, *_: Any) -> Plan:
        return self.fixed


def service(tmp_path: Path) -> DeployService:
    manifest = tmp_path / "migration.yaml"
    manifest.write_text("version: 1\nlegacy: {url: 'http://legacy.internal:5000'}\nroutes: []\n")
    store, history = ManifestStore(manifest), HistoryLog(history_path_for(manifest))

    def no_executor(_: object) -> Any:
        raise AssertionError("the executor must not be built")

    return DeployService(
        store,
        history,
        RouteService(store, history, code_root=tmp_path),
        FixedPlanner(DRIFTED),
        no_executor,
        state_path_for(manifest),
        tmp_path,
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
