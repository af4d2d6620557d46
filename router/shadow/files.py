"""Where shadow results live beside the manifest, and how they are read and stored.

``<manifest dir>/<manifest stem>.shadow/<route-id>/<run_id>.jsonl`` holds the lines
the gateway appends during a run (see ``record``); ``last.json`` beside it the report
of the route's latest run (written atomically) plus, per function, the summary of
the latest run of that function (``by_function``) that the promote refusal reads.
A torn or unreadable line (a crash mid-write) is skipped and counted, never fatal.
``ShadowReports`` is where the reports are kept: ``FileShadowReports`` (these files,
the default) or an S3 state backend's objects (``router.state.records``, which also
keeps a copy of each run's results), chosen with the manifest store
(``router.state.setup.open_shadow_reports``); the gateway always writes the results
file here. This module must not compare responses or change the manifest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from router.errors import StateError
from router.manifest.store import atomic_write
from router.shadow.record import Sample
from router.sidecars import shadow_dir

__all__ = [
    "FileShadowReports",
    "LineCounter",
    "Results",
    "ShadowReports",
    "last_path",
    "load_last",
    "merged_last",
    "parse_report",
    "read_results",
    "results_path",
    "save_last",
    "shadow_root",
    "summary_of",
]

LAST = "last.json"


def shadow_root(manifest_path: Path) -> Path:
    """``migration.yaml`` -> ``migration.shadow/`` in the same directory."""
    return shadow_dir(manifest_path)


def results_path(root: Path, route_id: str, run_id: str) -> Path:
    return root / route_id / f"{run_id}.jsonl"


def last_path(root: Path, route_id: str) -> Path:
    return root / route_id / LAST


@dataclass(frozen=True, slots=True)
class Results:
    samples: tuple[Sample, ...] = ()
    dropped: int = 0  # requests the gateway could not copy (queue full)
    skipped: int = 0  # requests not copied: over the gateway's copy rate (sampling)
    unreadable: int = 0  # lines that could not be parsed


def read_results(path: Path) -> Results:
    """Every sample of a results file (none when it does not exist yet)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return Results()
    samples: list[Sample] = []
    counts = {"dropped": 0, "skipped": 0, "unreadable": 0}
    for line in text.splitlines():
        try:
            data = json.loads(line)
            if data.get("kind") in ("dropped", "skipped"):
                counts[data["kind"]] += int(data.get("count", 0))
            else:
                samples.append(Sample.from_json(data))
        except (ValueError, KeyError, TypeError, AttributeError):
            counts["unreadable"] += line.strip() != ""
    return Results(tuple(samples), **counts)


class LineCounter:
    """Counts the sample lines of a growing results file cheaply (new bytes only)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self.count = 0

    def update(self) -> int:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except FileNotFoundError:
            return self.count
        end = chunk.rfind(b"\n") + 1  # a torn last line is counted once complete
        self._offset += end
        self.count += chunk.count(b'{"kind":"sample"', 0, end)
        return self.count


def load_last(root: Path, route_id: str) -> dict[str, Any] | None:
    """The route's stored ``last.json``, or None when it never had a shadow run."""
    path = last_path(root, route_id)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"{path}: unreadable shadow results: {exc}") from exc
    return parse_report(text, str(path))


def parse_report(text: str | bytes, where: str) -> dict[str, Any]:
    """A stored report (``last.json``); ``StateError`` naming ``where`` if it is none."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StateError(
            f"{where}: unreadable shadow results: {exc}",
            hint="re-run `migrate shadow` for the route (or delete the file)",
        ) from exc
    if not isinstance(data, dict):
        raise StateError(f"{where}: not a shadow report")
    return data


def save_last(root: Path, route_id: str, report: dict[str, Any]) -> Path:
    """Store ``report`` as the route's last run, keeping the other functions' summaries."""
    merged = merged_last(load_last(root, route_id), report)
    path = last_path(root, route_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(merged, indent=2, default=str) + "\n")
    return path


def merged_last(previous: dict[str, Any] | None, report: dict[str, Any]) -> dict[str, Any]:
    """``report`` as the last run, with the summaries of the other functions' last runs."""
    by_function = dict((previous or {}).get("by_function") or {})
    by_function[str(report["function"])] = summary_of(report)
    return {**report, "by_function": by_function}


class ShadowReports(Protocol):
    def load_last(self, route_id: str) -> dict[str, Any] | None:
        """The route's last report, or None when it never had a shadow run."""

    def save_last(self, route_id: str, report: dict[str, Any], results: Path) -> str:
        """Store ``report`` (its run's results file is ``results``); returns where."""


class FileShadowReports:
    """The reports as ``last.json`` files beside the results (``shadow_root``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def load_last(self, route_id: str) -> dict[str, Any] | None:
        return load_last(self.root, route_id)

    def save_last(self, route_id: str, report: dict[str, Any], results: Path) -> str:
        return str(save_last(self.root, route_id, report))

    def route_ids(self) -> list[str]:
        """The routes with a stored report."""
        return sorted(p.parent.name for p in self.root.glob(f"*/{LAST}"))

    def put_last(self, route_id: str, report: dict[str, Any]) -> None:
        """``report`` as the route's ``last.json``, as it is (``state pull``)."""
        path = last_path(self.root, route_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(report, indent=2, default=str) + "\n")


def summary_of(report: dict[str, Any]) -> dict[str, Any]:
    """What the promote refusal needs of one run."""
    keys = ("run_id", "function", "finished", "outcome", "requests")
    summary = {k: report.get(k) for k in keys}
    summary["mismatches"] = [m["path"] for m in report.get("mismatches", [])]
    return summary
