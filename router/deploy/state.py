"""What was applied to API Gateway, and where that record is kept.

Remembers the REST API id, the deployment the stage serves (and its canary), the
view each recorded deployment serves and the route states at that revision, the
view of the last ``put_rest_api``, and the layer versions applied (each layer's, and
each function's list), so a deleted version or a function's layers changed by hand
show as drift, and who wrote it last (``applied_by``). For each applied layer,
``layer_builds`` keeps what it was built from (``LayerInputs``) with its version ARN,
zip hash and sizes: a plan whose layer has the same inputs reuses that version
without building (``router.deploy.reuse``).

**Format.** ``version`` is the format of the state (``FORMAT``). An older state (no
``layer_builds``) is migrated on read; a state of a newer format is refused (exit 2,
naming the file or object and its version) before anything is written; unknown fields
are refused within a format.

``DeployStateStore`` is where it lives: ``FileDeployState`` is ``migration.state.json``
beside the manifest (written atomically under the manifest lock, the default); an S3
state backend keeps it as an object (``router.state.deploy_state``). The store is
chosen with the manifest store (``router.state.setup.open_deploy_state``).
This module must not call AWS.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from router.build import LayerInputs
from router.errors import InputError, StateError
from router.history import current_user, now_iso
from router.manifest.store import atomic_write
from router.sidecars import state_path

__all__ = [
    "FORMAT",
    "AppliedBy",
    "DeployState",
    "DeployStateStore",
    "DeploymentRecord",
    "FileDeployState",
    "LayerBuild",
    "load_state",
    "parse_state",
    "save_state",
    "state_path_for",
]

MAX_RECORDS = 100
FORMAT = 2  # 1: no layer_builds; 2: layer_builds


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


class AppliedBy(_Model):
    """The operator whose apply wrote the state last."""

    user: str
    host: str
    pid: int
    time: str

    @classmethod
    def now(cls) -> AppliedBy:
        return cls(user=current_user(), host=socket.gethostname(), pid=os.getpid(), time=now_iso())

    def describe(self) -> str:
        return f"{self.user} on {self.host} (pid {self.pid}) at {self.time}"


class LayerBuild(_Model):
    """A published layer version and what its zip was built from."""

    inputs: LayerInputs
    arn: str  # the version's ARN
    sha256: str  # base64 SHA-256 of the zip (Lambda's ``CodeSha256``)
    size: int  # zipped bytes
    unzipped: int


class DeployState(_Model):
    version: int = FORMAT  # the format of this state (see the module docstring)
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
    layer_builds: dict[str, LayerBuild] = Field(default_factory=dict)  # layer name -> build
    applied_by: AppliedBy | None = None

    def remember(self, record: DeploymentRecord) -> None:
        self.deployments = [*self.deployments, record][-MAX_RECORDS:]

    def record_for_view(self, view: dict[str, tuple[str, str]]) -> DeploymentRecord | None:
        """The newest recorded stable deployment that serves exactly ``view``."""
        matches = [r for r in self.deployments if r.kind == "stable" and r.view == view]
        return matches[-1] if matches else None

    def record_for_revision(self, revision: int) -> DeploymentRecord | None:
        matches = [r for r in self.deployments if r.kind == "stable" and r.revision == revision]
        return matches[-1] if matches else None


class DeployStateStore(Protocol):
    """Where the deploy state lives; ``save`` replaces what the last ``load`` read."""

    @property
    def label(self) -> str: ...

    def load(self) -> DeployState: ...

    def save(self, state: DeployState) -> None: ...


class FileDeployState:
    """``migration.state.json`` beside the manifest (written under the manifest lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def label(self) -> str:
        return str(self.path)

    def load(self) -> DeployState:
        return load_state(self.path)

    def save(self, state: DeployState) -> None:
        save_state(self.path, state)


def state_path_for(manifest_path: Path) -> Path:
    return state_path(manifest_path)


def load_state(path: Path) -> DeployState:
    if not path.exists():
        return DeployState()
    hint = "restore it from version control; `migrate plan` shows what AWS holds"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StateError(f"{path}: unreadable deployment state: {exc}", hint=hint) from exc
    return parse_state(text, str(path), hint)


def parse_state(text: str | bytes, label: str, hint: str) -> DeployState:
    """The state in ``text`` (read from ``label``), migrated from an older format;
    ``InputError`` for a newer format, ``StateError`` (with ``hint``) when unreadable."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return DeployState.model_validate(_migrated(data, label))
    except ValueError as exc:  # ValidationError is a ValueError
        raise StateError(f"{label}: unreadable deployment state: {exc}", hint=hint) from exc


def _migrated(data: dict[str, object], label: str) -> dict[str, object]:
    """``data`` in the current format: older formats only lack fields that default."""
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        return data  # validation names the field
    if version > FORMAT:
        raise InputError(
            f"{label}: deploy state format version {version} is newer than this strangler "
            f"reads (up to {FORMAT}); nothing was changed",
            hint="run the strangler release that wrote it, or a newer one",
        )
    return {**data, "version": FORMAT}


def save_state(path: Path, state: DeployState) -> None:
    atomic_write(path, json.dumps(state.model_dump(mode="json"), indent=1, sort_keys=True) + "\n")
