"""Lambda artifacts that carry their dependencies: function zips and dependency layers.

``code`` zips a handler with the project modules it imports; ``requirements`` finds a
function's requirements and locks them; ``layer`` builds the dependency layer for
Lambda (manylinux wheels) and for this host (``local_layer``: what the local runtime
puts on ``sys.path``); ``limits`` checks Lambda's size limits; ``service`` ties them
together for ``migrate build``. This package must not call AWS.
"""

from __future__ import annotations

from pathlib import Path

from router.build.code import Package, build_package
from router.build.layer import Layer, LayerBuilder
from router.build.requirements import Requirements, check_lock, requirements_for
from router.build.service import BuildService, FunctionBuild, cache_dir
from router.manifest.model import Manifest, Route

__all__ = [
    "BuildService",
    "FunctionBuild",
    "Layer",
    "LayerBuilder",
    "Package",
    "Requirements",
    "build_package",
    "cache_dir",
    "local_layer",
]


def local_layer(manifest: Manifest, route: Route, project_root: Path) -> Path | None:
    """The directory to put on a local worker's ``sys.path`` for ``route``'s requirements.

    Built (once, cached) for this interpreter from the same lock as the Lambda layer;
    ``None`` when the route declares no requirements. Exit 2 on a missing or stale lock.
    """
    found = requirements_for(manifest, route, project_root)
    if found is None:
        return None
    check_lock(found, manifest.defaults.runtime)
    return LayerBuilder(cache_dir(project_root)).local(found.lock)
