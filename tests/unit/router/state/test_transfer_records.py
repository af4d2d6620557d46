"""``state push``/``pull`` carry baselines and shadow reports (moto in-process)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from router.analysis.baseline import Baseline, BaselineStore
from router.shadow.files import FileShadowReports, save_last, shadow_root
from router.state import S3Backend
from router.state.records import S3Baselines, S3ShadowReports
from router.state.transfer import pull, push

ROUTE, OTHER = "get-api-r0", "get-api-r1"


def _baseline(route_id: str, captured_at: str) -> Baseline:
    return Baseline(route_id=route_id, method="GET", path="/api/r", revision=0,
                    target="legacy", captured_at=captured_at, window_start_ms=0,
                    window_end_ms=1, source="access-log", requests=3)  # fmt: skip


def _report(run_id: str, function: str) -> dict[str, Any]:
    return {"run_id": run_id, "function": function, "finished": "t", "outcome": "parity",
            "mismatches": []}  # fmt: skip


def _project(tmp_path: Path) -> Path:
    """A local project with a baseline of two routes and a shadow report of two functions."""
    manifest = tmp_path / "migration.yaml"
    manifest.write_text("version: 1\nlegacy: {url: 'http://127.0.0.1:5000'}\nroutes: []\n")
    for route_id in (ROUTE, OTHER):
        BaselineStore(manifest).save(_baseline(route_id, "local"))
    save_last(shadow_root(manifest), ROUTE, _report("run-a", "pkg.a"))
    save_last(shadow_root(manifest), ROUTE, _report("run-b", "pkg.b"))
    return manifest


def test_push_uploads_what_the_backend_does_not_hold(backend: S3Backend, tmp_path: Path) -> None:
    manifest = _project(tmp_path)
    shared = S3Baselines(backend.bucket, backend.location)
    shared.save(_baseline(OTHER, "backend"))  # never replaced by a push
    push(manifest, backend)
    assert shared.load(ROUTE) == _baseline(ROUTE, "local")
    assert shared.load(OTHER) == _baseline(OTHER, "backend")
    last = S3ShadowReports(backend.bucket, backend.location).load_last(ROUTE)
    assert last == FileShadowReports(shadow_root(manifest)).load_last(ROUTE)
    assert last is not None and sorted(last["by_function"]) == ["pkg.a", "pkg.b"]


def test_pull_writes_the_backends_over_the_local_files(backend: S3Backend, tmp_path: Path) -> None:
    manifest = _project(tmp_path)
    push(manifest, backend)
    S3Baselines(backend.bucket, backend.location).save(_baseline(ROUTE, "bob"))
    reports = S3ShadowReports(backend.bucket, backend.location)
    reports.save_last(OTHER, _report("run-c", "pkg.c"), tmp_path / "none.jsonl")
    pull(manifest, backend)
    assert BaselineStore(manifest).load(ROUTE) == _baseline(ROUTE, "bob")
    assert BaselineStore(manifest).load(OTHER) == _baseline(OTHER, "local")
    files = FileShadowReports(shadow_root(manifest))
    assert files.route_ids() == [ROUTE, OTHER]
    other = files.load_last(OTHER)
    assert other is not None and other["run_id"] == "run-c"
