"""What was applied to API Gateway: ``migration.state.json`` beside the manifest.

Remembers the REST API id, the deployment the stage serves (and its canary), the
view each recorded deployment serves and the route states at that revision, the
view of the last ``put_rest_api``, and the layer versions applied (each layer's, and
each function's list), so a deleted version or a function's layers changed by hand
show as drift. Written atomically under the manifest lock.
This module must not call AWS.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from router.errors import StateError
from router.manifest.store import atomic_write
from router.sidecars import state_path

__all__ = ["DeployState", "DeploymentRecord", "load_state", "save_state", "state_path_for"]

MAX_RECORDS = 100


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeploymentRecord(_Model):
    deployment_id: str
    revision: int
    time: str
    kind: str  # "stable" | "canary"
    view: dict[str, tuple[str, str]]
    routes: dict[str, tuple[str, int, str | None]] = Field(default_factory=dict)
    canary_percent: float | None = None


class DeployState(_Model):
    version: int = 1
    api_id: str | None = None
    api_name: str | None = None
    stage: str | None = None
    account_id: str | None = None
    last_put: dict[str, tuple[str, str]] | None = None
    stable: DeploymentRecord | None = None
    canary: DeploymentRecord | None = None
    deployments: list[DeploymentRecord] = Field(default_factory=list)
    layers: dict[str, str] = Field(default_factory=dict)  # layer name -> applied version ARN
    function_layers: dict[str, list[str]] = Field(default_factory=dict)  # function -> ARNs

    def remember(self, record: DeploymentRecord) -> None:
        self.deployments = [*self.deployments, record][-MAX_RECORDS:]

    def record_for_view(self, view: dict[str, tuple[str, str]]) -> DeploymentRecord | None:
        """The newest recorded stable deployment that serves exactly ``view``."""
        matches = [r for r in self.deployments if r.kind == "stable" and r.view == view]
        return matches[-1] if matches else None

    def record_for_revision(self, revision: int) -> DeploymentRecord | None:
        matches = [r for r in self.deployments if r.kind == "stable" and r.revision == revision]
        return matches[-1] if matches else None


def state_path_for(manifest_path: Path) -> Path:
    return state_path(manifest_path)


def load_state(path: Path) -> DeployState:
    if not path.exists():
        return DeployState()
    try:
        return DeployState.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, OSError) as exc:
        raise StateError(
            f"{path}: unreadable deployment state: {exc}",
            hint="restore it from version control; `migrate plan` shows what AWS holds",
        ) from exc


def save_state(path: Path, state: DeployState) -> None:
    atomic_write(path, json.dumps(state.model_dump(mode="json"), indent=1, sort_keys=True) + "\n")
