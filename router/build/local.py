"""What the local Lambda runtime runs for a function: its code as packaged, and its layer.

``local_code`` packs the handler exactly as ``migrate build`` does (``router.build.code``)
and extracts that zip into ``<cache>/code/<hash>/``: the worker's code directory holds
the function's package and nothing else (not the project root), read-only as Lambda's
``/var/task`` is (files ``0o444``, directories ``0o555``; ``router.fsmodes``: when the
gateway runs as root the modes are there but do not stop its workers' writes).
``local_layer`` installs the function's lock for this interpreter, read-only as
Lambda's ``/opt`` (``router.build.layer``). The cache is the project's build cache, or
``$STRANGLER_LOCAL_CACHE`` (tests share one). Both are cached by content, so a
project's functions share one layer and an unchanged function is never extracted
twice; a code change gives a new directory (hence fresh environments).
This module must not start processes or call AWS.
"""

from __future__ import annotations

import compileall
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from router.build._fs import scratch_dir
from router.build.code import Package, build_package
from router.build.layer import LayerBuilder
from router.build.requirements import check_lock, requirements_for
from router.build.service import cache_dir
from router.fsio import write_error
from router.fsmodes import is_read_only, make_read_only, remove_tree
from router.manifest.model import Manifest, Route

__all__ = [
    "CACHE_ENV",
    "LocalArtifact",
    "local_artifact",
    "local_cache",
    "local_code",
    "local_layer",
]

CACHE_ENV = "STRANGLER_LOCAL_CACHE"


def local_cache(project_root: Path) -> Path:
    """Where local artifacts are cached: the project's build cache, or
    ``$STRANGLER_LOCAL_CACHE`` (shareable between projects: entries are keyed by content)."""
    shared = os.environ.get(CACHE_ENV)
    return Path(shared) if shared else cache_dir(project_root)


@dataclass(frozen=True)
class LocalArtifact:
    code_dir: Path  # the function's package, extracted
    layer_dir: Path | None  # its requirements for this interpreter; None: no requirements
    code_sha256: str  # Lambda's CodeSha256 of the package
    sources: tuple[Path, ...] = ()  # the files it was built from (code, requirements, lock)


def local_layer(manifest: Manifest, route: Route, project_root: Path) -> Path | None:
    """The directory to put on a local worker's ``sys.path`` for ``route``'s requirements.

    Built (once, cached) for this interpreter from the same lock as the Lambda layer;
    ``None`` when the route declares no requirements. Exit 2 on a missing or stale lock.
    """
    found = requirements_for(manifest, route, project_root)
    if found is None:
        return None
    check_lock(found, manifest.defaults.runtime)
    return LayerBuilder(local_cache(project_root)).local(found.lock)


def local_code(root: Path, handler: str, cache: Path) -> tuple[Path, Package]:
    """``handler``'s package (from ``root``) extracted under ``cache``, read-only; and the
    package."""
    package = build_package(root, handler)
    home = cache / "code" / package.sha256.replace("/", "_").replace("+", "-").rstrip("=")
    if not home.is_dir():
        _extract(package, home)
    elif not is_read_only(home):  # extracted before code directories were read-only
        make_read_only(home)
    return home, package


def _extract(package: Package, home: Path) -> None:
    """Unzip, byte-compile and seal ``package`` in a scratch directory, then rename it
    to ``home`` (same parent: a read-only directory may be renamed there)."""
    tmp = scratch_dir(home.parent, ".extract-")
    try:
        with zipfile.ZipFile(io.BytesIO(package.zip_bytes)) as archive:
            archive.extractall(tmp)
        compileall.compile_dir(tmp, quiet=2, workers=1)
        make_read_only(tmp)
        os.rename(tmp, home)
    except OSError as exc:
        if not home.is_dir():  # else another process placed the same hash first
            raise write_error(home, exc) from exc
    finally:
        remove_tree(tmp)


def local_artifact(
    manifest: Manifest, route: Route, project_root: Path, code_root: Path | None = None
) -> LocalArtifact:
    """The code directory and layer of ``route``'s function, packed from ``code_root``
    (default: the project). Requirements the manifest declares are read from the
    project; else the handler package's own ``requirements.txt`` under ``code_root``."""
    assert route.function is not None
    code_root = code_root or project_root
    code, package = local_code(code_root, route.function, local_cache(project_root))
    declared = route.requirements or manifest.defaults.requirements
    found = requirements_for(manifest, route, project_root if declared else code_root)
    sources = [code_root / rel for rel in package.files]
    if found is None:  # a requirements file added later must be noticed too
        assert route.function is not None
        return LocalArtifact(code, None, package.sha256, (*sources, _default(code_root, route)))
    check_lock(found, manifest.defaults.runtime)
    layer = LayerBuilder(local_cache(project_root)).local(found.lock)
    return LocalArtifact(code, layer, package.sha256, (*sources, found.source, found.lock))


def _default(code_root: Path, route: Route) -> Path:
    assert route.function is not None
    return code_root / route.function.split(".")[0] / "requirements.txt"
