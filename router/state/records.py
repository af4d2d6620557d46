"""Baselines and shadow-run reports as objects of the S3 state backend.

* ``PREFIX/baselines/<route id>.json``: the route's baseline (``S3Baselines``). It is
  written under the ``state`` lease, replacing the object read just before (``IfMatch``;
  ``IfNoneMatch: *`` for the first); a lost race (a broken lease) is refused naming
  the capture that landed, which is kept.
* ``PREFIX/shadow/<route id>/last.json``: the route's last shadow report with each
  function's last summary (what the promote refusal reads, from any working copy);
  a lost race re-reads it and merges again, so no run's summary is lost.
* ``PREFIX/shadow/<route id>/<run id>.jsonl``: a copy of the run's results file (the
  local gateway wrote it), created once (``IfNoneMatch: *``).

This module must not decide when a baseline is taken or a run judged.
"""

from __future__ import annotations

import json
from contextlib import suppress
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from router.analysis.baseline import Baseline
from router.aws.state_s3 import StateBucket
from router.errors import StateConflict, StateError
from router.shadow.files import merged_last, parse_report
from router.state.location import StateLocation
from router.state.objects import JsonObject

__all__ = ["S3Baselines", "S3ShadowReports"]

MERGE_ATTEMPTS = 10


class S3Baselines:
    """``save``/``load`` of the backend's baselines (a ``Baselines``)."""

    def __init__(self, bucket: StateBucket, location: StateLocation) -> None:
        self.bucket, self.location = bucket, location

    def _object(self, route_id: str) -> JsonObject:
        return JsonObject(self.bucket, self.location, f"baselines/{route_id}.json")

    def load(self, route_id: str) -> Baseline | None:
        obj = self._object(route_id)
        body = obj.read()
        return None if body is None else _baseline(body, obj.label, route_id)

    def route_ids(self) -> list[str]:
        """The routes the backend holds a baseline of."""
        keys = self.bucket.keys(self.location.key("baselines/"))
        return [k.rsplit("/", 1)[-1].removesuffix(".json") for k in keys if k.endswith(".json")]

    def create(self, baseline: Baseline) -> bool:
        """Store ``baseline`` unless the backend holds one of its route (False then)."""
        try:
            self._object(baseline.route_id).write(_baseline_body(baseline))
        except StateConflict:
            return False
        return True

    def save(self, baseline: Baseline) -> str:
        obj = self._object(baseline.route_id)
        obj.read()
        try:
            obj.write(_baseline_body(baseline))
        except StateConflict as exc:
            other = self.load(baseline.route_id)
            landed = f"captured at {other.captured_at}" if other else "since removed"
            raise StateConflict(
                f"{obj.label}: refused, not overwritten: another baseline of "
                f"{baseline.route_id} ({landed}) landed while this one was written",
                hint=f"check it, then `migrate baseline {baseline.route_id}` again if needed",
            ) from exc
        return obj.label


class S3ShadowReports:
    """``load_last``/``save_last`` of the backend's shadow reports (a ``ShadowReports``)."""

    def __init__(self, bucket: StateBucket, location: StateLocation) -> None:
        self.bucket, self.location = bucket, location

    def _last(self, route_id: str) -> JsonObject:
        return JsonObject(self.bucket, self.location, f"shadow/{route_id}/last.json")

    def load_last(self, route_id: str) -> dict[str, Any] | None:
        return _report(self._last(route_id))

    def route_ids(self) -> list[str]:
        """The routes the backend holds a shadow report of."""
        keys = self.bucket.keys(self.location.key("shadow/"))
        return [k.split("/")[-2] for k in keys if k.endswith("/last.json")]

    def create_last(self, route_id: str, report: dict[str, Any]) -> bool:
        """Store ``report`` as it is unless the backend holds one of the route (False)."""
        try:
            self._last(route_id).write(_report_body(report))
        except StateConflict:
            return False
        return True

    def save_last(self, route_id: str, report: dict[str, Any], results: Path) -> str:
        self._copy_results(route_id, str(report["run_id"]), results)
        last = self._last(route_id)
        for _ in range(MERGE_ATTEMPTS):
            merged = merged_last(_report(last), report)
            try:
                last.write(_report_body(merged))
                return last.label
            except StateConflict:
                continue  # another run's report landed: merge onto it
        raise StateConflict(f"{last.label}: gave up after {MERGE_ATTEMPTS} lost races")

    def _copy_results(self, route_id: str, run_id: str, results: Path) -> None:
        """The run's results file, copied once (absent when no request was copied)."""
        if results.exists():
            copy = JsonObject(self.bucket, self.location, f"shadow/{route_id}/{run_id}.jsonl")
            with suppress(StateConflict):  # copied already: never written twice
                copy.write(results.read_bytes())


def _baseline_body(baseline: Baseline) -> bytes:
    return baseline.model_dump_json(indent=1).encode("utf-8")


def _report_body(report: dict[str, Any]) -> bytes:
    return json.dumps(report, indent=2, default=str).encode("utf-8")


def _baseline(body: bytes, label: str, route_id: str) -> Baseline:
    try:
        return Baseline.model_validate_json(body)
    except ValidationError as exc:
        raise StateError(
            f"{label}: unreadable baseline: {exc}",
            hint=f"capture it again with `migrate baseline {route_id}`",
        ) from exc


def _report(obj: JsonObject) -> dict[str, Any] | None:
    body = obj.read()
    return None if body is None else parse_report(body, obj.label)
