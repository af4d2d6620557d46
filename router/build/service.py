"""``migrate build``: every Lambda route's function zip and dependency layer, cached.

For each active route on Lambda: the function zip (``router.build.code``), written to
``<cache>/functions/<sha>.zip`` unless already there; its requirements' lock checked
against the requirements file and the runtime; the layer for the manifest's runtime and
architecture (``router.build.layer``); the limits (``router.build.limits``); the
directories ``template.yaml`` names for ``sam build`` (``router.build.sam``). Routes
sharing a lock share one layer, built once. ``lock_all`` writes the locks. A layer not
in the cache is first offered to ``reuse`` (the deploy's recorded published versions,
``router.deploy.reuse``): when it returns one, nothing is built and the limits are
checked on its recorded size. This module must not call AWS nor print (``progress``
receives a line before each slow step).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from router.build._zip import b64_sha256
from router.build.code import Package, build_package
from router.build.layer import Layer, LayerBuilder, LayerInputs
from router.build.limits import check_limits, needs_s3
from router.build.requirements import Requirements, check_lock, lock, requirements_for
from router.build.sam import SamDirs
from router.fsio import write_error
from router.manifest.model import Manifest, Route

__all__ = ["BuildService", "FunctionBuild", "Reuse", "cache_dir"]

Progress = Callable[[str], None]
# (the requirements file relative to the project, the layer's inputs) -> a published
# layer built from exactly those inputs, or None (then it is built here)
Reuse = Callable[[str, LayerInputs], Layer | None]


@dataclass(frozen=True)
class FunctionBuild:
    route_id: str
    handler: str
    code: Package
    code_path: Path
    code_cached: bool
    layer: Layer | None
    unzipped_total: int
    requirements: str | None = None  # the layer's requirements file, relative to the project

    @property
    def needs_s3(self) -> bool:
        return needs_s3(self.code.size) or (self.layer is not None and needs_s3(self.layer.size))


def cache_dir(project_root: Path) -> Path:
    """Where builds are cached: ``.migrate/build/`` beside the manifest (not committed)."""
    return project_root / ".migrate" / "build"


class BuildService:
    def __init__(self, root: Path, layers: LayerBuilder, progress: Progress | None = None) -> None:
        self.root = root
        self.layers = layers
        self._progress = progress or (lambda _line: None)
        self._sam = SamDirs(layers.cache / "sam")

    def build(self, manifest: Manifest) -> list[FunctionBuild]:
        return [self.function(manifest, route) for route in _lambda_routes(manifest)]

    def lock_all(self, manifest: Manifest) -> list[Path]:
        """Resolve every distinct requirements file of the Lambda routes into its lock."""
        done: dict[Path, Requirements] = {}
        for route in _lambda_routes(manifest):
            found = requirements_for(manifest, route, self.root)
            if found is not None and found.lock not in done:
                self._progress(f"locking {found.source} for {manifest.defaults.runtime}")
                lock(found, manifest.defaults.runtime)
                done[found.lock] = found
        return list(done)

    def function(
        self, manifest: Manifest, route: Route, reuse: Reuse | None = None
    ) -> FunctionBuild:
        """One route's code zip and layer (each cached, or the layer ``reuse``d), within
        Lambda's limits."""
        assert route.function is not None
        package = build_package(self.root, route.function)
        path, cached = self._store_code(package)
        found = requirements_for(manifest, route, self.root)
        layer = self._layer(manifest, found, reuse) if found else None
        self._sam.code(route, package.zip_bytes)
        sizes = [layer.unzipped_size] if layer else []
        total = check_limits(route.function, package.unzipped_size, sizes)
        source = found.source.relative_to(self.root).as_posix() if found else None
        return FunctionBuild(route.id, route.function, package, path, cached, layer, total, source)

    def _layer(self, manifest: Manifest, found: Requirements, reuse: Reuse | None) -> Layer:
        runtime, arch = manifest.defaults.runtime, manifest.defaults.architecture
        check_lock(found, runtime)
        relative = found.source.relative_to(self.root).as_posix()
        self._sam.layer(relative, found.lock)
        if not self.layers.is_built(found.lock, runtime, arch):
            inputs = self.layers.inputs(found.lock, runtime, arch)
            published = reuse(relative, inputs) if reuse else None
            if published is not None:
                return published
            self._progress(f"building the layer of {found.lock} for {runtime} {arch} (pip)")
        return self.layers.layer(found.lock, runtime, arch)

    def _store_code(self, package: Package) -> tuple[Path, bool]:
        name = b64_sha256(package.zip_bytes).replace("/", "_").replace("+", "-")
        path = self.layers.cache / "functions" / f"{name}.zip"
        if path.is_file():
            return path, True
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(package.zip_bytes)
            tmp.replace(path)
        except OSError as exc:
            raise write_error(path, exc) from exc
        return path, False


def _lambda_routes(manifest: Manifest) -> list[Route]:
    return [r for r in manifest.routes if r.status == "active" and r.target == "lambda"]
