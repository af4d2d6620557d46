"""``RouteRollback``: through API Gateway once the API was applied, else the manifest only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from router.deploy.rollback import RouteRollback
from router.deploy.state import DeployState, FileDeployState, save_state


class Recorder:
    """Stands in for RouteService and DeployService: records each rollback call."""

    def __init__(self, calls: list[tuple[str, dict[str, Any]]], name: str) -> None:
        self.calls, self.name = calls, name

    def rollback(self, refs: list[str], **kwargs: Any) -> None:
        self.calls.append((self.name, {"refs": refs, **kwargs}))


def rollback_in(tmp_path: Path, calls: list[tuple[str, dict[str, Any]]]) -> RouteRollback:
    routes, deploy = Recorder(calls, "routes"), Recorder(calls, "deploy")
    return RouteRollback(FileDeployState(tmp_path / "state.json"), lambda: routes, lambda: deploy)  # type: ignore[arg-type,return-value]


def test_not_applied_rolls_back_the_manifest_only(tmp_path: Path) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    rollback_in(tmp_path, calls)("get-x", reason="compare: fail (p90)")
    assert calls == [("routes", {"refs": ["get-x"], "reason": "compare: fail (p90)"})]


def test_applied_rolls_back_through_api_gateway_unforced_and_confirmed(tmp_path: Path) -> None:
    save_state(tmp_path / "state.json", DeployState(api_id="abc123"))
    calls: list[tuple[str, dict[str, Any]]] = []
    rollback_in(tmp_path, calls)("get-x", reason="compare: fail")
    [(name, kwargs)] = calls
    assert name == "deploy" and kwargs["refs"] == ["get-x"] and kwargs["force"] is False
    assert kwargs["reason"] == "compare: fail" and kwargs["confirm"](object()) is True
