"""Where shadow results live beside the manifest, and how they are read and stored.

``<manifest dir>/<manifest stem>.shadow/<route-id>/<run_id>.jsonl`` holds the lines
the gateway appends during a run (see ``record``); ``last.json`` beside it the report
of the route's latest run (written atomically) plus, per function, the summary of
the latest run of that function (``by_function``) that the promote refusal reads.
A torn or unreadable line (a crash mid-write) is skipped and counted, never fatal.
This module must not compare responses or change the manifest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from router.errors import StateError
from router.manifest.store import atomic_write
from router.shadow.record import Sample
from router.sidecars import shadow_dir

__all__ = [
    "LineCounter",
    "Results",
    "last_path",
    "load_last",
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
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StateError(
            f"{path}: unreadable shadow results: {exc}",
            hint="re-run `migrate shadow` for the route (or delete the file)",
        ) from exc
    if not isinstance(data, dict):
        raise StateError(f"{path}: not a shadow report")
    return data


def save_last(root: Path, route_id: str, report: dict[str, Any]) -> Path:
    """Store ``report`` as the route's last run, keeping the other functions' summaries."""
    previous = load_last(root, route_id) or {}
    by_function = dict(previous.get("by_function") or {})
    by_function[str(report["function"])] = summary_of(report)
    path = last_path(root, route_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({**report, "by_function": by_function}, indent=2, default=str)
    atomic_write(path, text + "\n")
    return path


def summary_of(report: dict[str, Any]) -> dict[str, Any]:
    """What the promote refusal needs of one run."""
    keys = ("run_id", "function", "finished", "outcome", "requests")
    summary = {k: report.get(k) for k in keys}
    summary["mismatches"] = [m["path"] for m in report.get("mismatches", [])]
    return summary
