"""The migration manifest: model (``model``), storage (``store``)."""

from __future__ import annotations

from router.manifest.model import (
    METHODS,
    Api,
    Defaults,
    Legacy,
    Manifest,
    Route,
    RouteStatus,
    Shadow,
    Target,
    Thresholds,
    route_key,
)
from router.manifest.store import (
    LoadedManifest,
    ManifestStore,
    atomic_write,
    dump_manifest,
    load_manifest,
)

__all__ = [
    "METHODS",
    "Api",
    "Defaults",
    "Legacy",
    "LoadedManifest",
    "Manifest",
    "ManifestStore",
    "Route",
    "RouteStatus",
    "Shadow",
    "Target",
    "Thresholds",
    "atomic_write",
    "dump_manifest",
    "load_manifest",
    "route_key",
]
