"""Stored baselines: a route's figures while the monolith served it.

``Baselines`` is where they are kept: ``BaselineStore``, one JSON file per route in
``<manifest stem>.baselines/`` beside the manifest (the default), or an S3 state
backend's objects (``router.state.records``), chosen with the manifest store
(``router.state.setup.open_baselines``). Each is written under the manifest lock (the
``state`` lease), with the manifest revision, the target measured, the window and
where the figures came from. At most ``MAX_SAMPLES``
request samples are kept (an even thinning of larger windows). Must not call AWS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from router.errors import StateError
from router.manifest.store import atomic_write
from router.sidecars import baselines_dir

__all__ = ["MAX_SAMPLES", "Baseline", "BaselineStore", "Baselines", "thin"]

MAX_SAMPLES = 10_000  # compare() stays well under a second at this size


class Baseline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    route_id: str
    method: str
    path: str
    revision: int
    target: str
    captured_at: str
    window_start_ms: int
    window_end_ms: int
    source: str  # "access-log" (raw samples) or "metrics"
    requests: int  # requests seen in the window (before thinning)
    latencies_ms: list[float] = Field(default_factory=list)
    statuses: list[int] = Field(default_factory=list)
    metrics: dict[str, float | None] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)


def thin(values: list[float], statuses: list[int], limit: int) -> tuple[list[float], list[int]]:
    """Every k-th sample so at most ``limit`` remain, keeping the time spread."""
    if len(values) <= limit:
        return values, statuses
    step = len(values) / limit
    picks = [int(i * step) for i in range(limit)]
    return [values[i] for i in picks], [statuses[i] for i in picks]


class Baselines(Protocol):
    def save(self, baseline: Baseline) -> object:
        """Store ``baseline`` as its route's; returns where."""

    def load(self, route_id: str) -> Baseline | None: ...


class BaselineStore:
    """The baselines as files beside the manifest."""

    def __init__(self, manifest_path: Path) -> None:
        self.directory = baselines_dir(manifest_path)

    def path_for(self, route_id: str) -> Path:
        return self.directory / f"{route_id}.json"

    def route_ids(self) -> list[str]:
        """The routes with a stored baseline."""
        return sorted(p.stem for p in self.directory.glob("*.json"))

    def save(self, baseline: Baseline) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path_for(baseline.route_id)
        atomic_write(path, baseline.model_dump_json(indent=1) + "\n")
        return path

    def load(self, route_id: str) -> Baseline | None:
        path = self.path_for(route_id)
        if not path.exists():
            return None
        try:
            return Baseline.model_validate_json(path.read_text(encoding="utf-8"))
        except (ValidationError, OSError) as exc:
            raise StateError(
                f"{path}: unreadable baseline: {exc}",
                hint=f"capture it again with `migrate baseline {route_id}`",
            ) from exc
