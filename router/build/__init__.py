"""Lambda artifacts that carry their dependencies: function zips and dependency layers.

``code`` zips a handler with the project modules it imports; ``requirements`` finds a
function's requirements and locks them; ``layer`` builds the dependency layer for
Lambda (manylinux wheels) and for this host (``local_layer``: what the local runtime
puts on ``sys.path``); ``limits`` checks Lambda's size limits; ``service`` ties them
together for ``migrate build``; ``local`` gives the local runtime a function's
extracted package and local layer. This package must not call AWS.
"""

from __future__ import annotations

from router.build._fs import reclaim_scratch
from router.build.code import Package, build_package
from router.build.layer import Layer, LayerBuilder, LayerInputs
from router.build.local import (
    CACHE_ENV,
    LocalArtifact,
    local_artifact,
    local_cache,
    local_code,
    local_layer,
)
from router.build.requirements import Requirements
from router.build.service import BuildService, FunctionBuild, Reuse, cache_dir

__all__ = [
    "CACHE_ENV",
    "BuildService",
    "FunctionBuild",
    "Layer",
    "LayerBuilder",
    "LayerInputs",
    "LocalArtifact",
    "Package",
    "Requirements",
    "Reuse",
    "build_package",
    "cache_dir",
    "local_artifact",
    "local_cache",
    "local_code",
    "local_layer",
    "reclaim_scratch",
]
