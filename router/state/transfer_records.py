"""Baselines and shadow reports carried by ``migrate state push`` and ``pull``.

``upload`` copies the local ones the backend does not hold yet (a push never replaces
one it holds: each is created with ``IfNoneMatch: *``); ``download`` reads the
backend's and ``write_local`` writes them over the local files. Shadow results files
stay where the gateway wrote them. This module must not move the manifest, its
history or the deploy state (``router.state.transfer``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from router.analysis.baseline import Baseline, BaselineStore
from router.shadow.files import FileShadowReports, shadow_root
from router.state.backend import S3Backend
from router.state.records import S3Baselines, S3ShadowReports

__all__ = ["Records", "download", "upload", "write_local"]


@dataclass(frozen=True)
class Records:
    baselines: list[Baseline]
    reports: dict[str, dict[str, Any]]  # by route id


def upload(backend: S3Backend, manifest_path: Path) -> None:
    local, shared = BaselineStore(manifest_path), S3Baselines(backend.bucket, backend.location)
    for baseline in (local.load(route_id) for route_id in local.route_ids()):
        if baseline is not None:
            shared.create(baseline)
    files = FileShadowReports(shadow_root(manifest_path))
    reports = S3ShadowReports(backend.bucket, backend.location)
    for route_id in files.route_ids():
        report = files.load_last(route_id)
        if report is not None:
            reports.create_last(route_id, report)


def download(backend: S3Backend) -> Records:
    baselines = S3Baselines(backend.bucket, backend.location)
    found = [baselines.load(route_id) for route_id in baselines.route_ids()]
    reports = S3ShadowReports(backend.bucket, backend.location)
    by_route = {route_id: reports.load_last(route_id) for route_id in reports.route_ids()}
    return Records(
        [b for b in found if b is not None], {r: v for r, v in by_route.items() if v is not None}
    )


def write_local(records: Records, manifest_path: Path) -> None:
    baselines = BaselineStore(manifest_path)
    for baseline in records.baselines:
        baselines.save(baseline)
    files = FileShadowReports(shadow_root(manifest_path))
    for route_id, report in records.reports.items():
        files.put_last(route_id, report)
