"""Each Lambda route's ``FunctionSpec`` from the manifest: the function's code and layer as
``router.build`` packs them, its ``environment`` and its ``reserved_concurrency``.

``prepare(manifest)`` builds (off the event loop: packing, extracting, and a pip install
the first time a lock is seen) the spec of every function the manifest can invoke: each
Lambda route's function and each shadowed route's candidate. ``refresh()`` packs again
the functions one of whose source files (code, requirements, lock) changed on disk (a
``stat`` of each, so an idle refresh costs no parsing): a changed handler gets a new
code directory, hence a new spec, and the invoker starts fresh environments for it
while in-flight invocations finish on the old ones.
``__call__`` (the invoker's lookup, on the event loop) is one dict read. A function
whose artifact cannot be built (a stale lock, a missing module) keeps its error: its
invocations answer 502 with that error logged.

A handler package that is not under the project directory is packed from where this
interpreter finds it (functions installed beside the toolkit), with that package's own
``requirements.txt`` and lock; only its files and its layer reach the worker.
This module must not start processes.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from router.arns import function_name
from router.build import local_artifact
from router.errors import StranglerError
from router.gateway.events import LOCAL_ACCOUNT_ID, LambdaContext
from router.lambda_runtime.sandbox import FunctionSpec
from router.manifest.model import (
    Manifest,
    Route,
    reserved_concurrency,
)

__all__ = [
    "DEFAULT_PASS_ENV",
    "LOCAL_RESERVED_CONCURRENCY",
    "ArtifactUnavailable",
    "ManifestSpecs",
    "code_root",
    "pass_through",
    "worker_environment",
]

log = logging.getLogger(__name__)

LOCAL_RESERVED_CONCURRENCY = 10  # environments per function when the manifest sets none
# Gateway variables copied into every environment when set: the database the functions
# share with the monolith, and the AWS endpoint and credentials (on Lambda, the role's).
DEFAULT_PASS_ENV = (
    "DATABASE_URL", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
)  # fmt: skip

Key = tuple[str, str]  # (dotted handler, function name)


class ArtifactUnavailable(LookupError):
    """A function's code or layer could not be built (or the manifest does not name it)."""


def code_root(project_root: Path, handler: str) -> Path:
    """Where ``handler``'s top-level package is: the project, else where Python finds it."""
    top = handler.split(".")[0]
    if (project_root / top).is_dir() or (project_root / f"{top}.py").is_file():
        return project_root
    spec = importlib.util.find_spec(top)
    if spec is None or spec.origin is None:
        return project_root  # packing fails with the module named
    origin = Path(spec.origin)
    return origin.parent.parent if origin.name == "__init__.py" else origin.parent


class ManifestSpecs:
    """Function specs for one manifest file's routes (``prepare`` swaps them in)."""

    def __init__(
        self,
        manifest: Path,
        *,
        layers: tuple[Path, ...] = (),
        pass_env: Mapping[str, str] | None = None,
    ) -> None:
        self.root = manifest.resolve().parent
        self._layers = layers
        self._pass_env = dict(pass_env or {})
        self._specs: dict[Key, FunctionSpec | StranglerError] = {}
        self._sources: dict[Key, tuple[Path, ...]] = {}  # what each spec was built from
        self._seen: dict[Key, Signature] = {}  # and their stat when it was
        self._manifest: Manifest | None = None

    def prepare(self, manifest: Manifest) -> None:
        """Build the specs of ``manifest``'s functions (slow the first time; thread-safe
        for one caller at a time). Specs of functions it no longer names are kept for
        requests still on the previous snapshot."""
        self._manifest = manifest
        built = {key: self._build(key, manifest, route) for key, route in _functions(manifest)}
        self._specs = {**self._specs, **built}

    def refresh(self) -> None:
        """Pack again the functions whose source files changed (a new spec for each)."""
        if self._manifest is None:
            return
        manifest = self._manifest
        changed = {
            key: self._build(key, manifest, route)
            for key, route in _functions(manifest)
            if key not in self._seen or self._seen[key] != _signature(self._sources[key])
        }
        if changed:
            self._specs = {**self._specs, **changed}

    def errors(self) -> dict[Key, StranglerError]:
        return {k: v for k, v in self._specs.items() if isinstance(v, StranglerError)}

    def __call__(self, dotted: str, context: LambdaContext) -> FunctionSpec:
        found = self._specs.get((dotted, context.function_name))
        if found is None:
            raise ArtifactUnavailable(f"{dotted}: not a function of the served manifest")
        if isinstance(found, StranglerError):
            raise ArtifactUnavailable(f"{dotted}: {found}")
        return found

    def _build(self, key: Key, manifest: Manifest, route: Route) -> FunctionSpec | StranglerError:
        assert route.function is not None
        try:
            root = code_root(self.root, route.function)
            artifact = local_artifact(manifest, route, self.root, root)
        except StranglerError as exc:
            log.error("%s: cannot build its local artifact: %s", route.function, exc)
            self._seen.pop(key, None)  # retried at every refresh
            return exc
        self._sources[key] = artifact.sources
        self._seen[key] = _signature(artifact.sources)
        layers = (artifact.layer_dir,) if artifact.layer_dir else ()
        return FunctionSpec(
            name=function_name(manifest, route), handler=route.function,
            code_dir=artifact.code_dir, layer_dirs=(*layers, *self._layers),
            memory_mb=route.memory or manifest.defaults.memory,
            reserved_concurrency=_concurrency(manifest, route),
            environment=worker_environment(manifest.environment_for(route), self._pass_env),
            region=manifest.api.region, account=LOCAL_ACCOUNT_ID,
        )  # fmt: skip


Signature = tuple[tuple[Path, tuple[int, int] | None], ...]


def _signature(paths: tuple[Path, ...]) -> Signature:
    """Each file's (mtime_ns, size), or None when it is missing."""
    return tuple((path, _stat(path)) for path in paths)


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size


_DATABASE_VARIABLES = ("DATABASE_URL", "DB_SECRET_ARN", "DB_SSM_PARAMETER")


def worker_environment(declared: Mapping[str, str], passed: Mapping[str, str]) -> dict[str, str]:
    """The function's own variables over those passed from the gateway's shell, whose
    ``DATABASE_URL`` counts only when the function names no database of its own."""
    names_database = any(name in declared for name in _DATABASE_VARIABLES)
    given = {k: v for k, v in passed.items() if not (names_database and k == "DATABASE_URL")}
    return {**given, **declared}


def pass_through(names: tuple[str, ...], env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables of ``names`` set in ``env`` (default: this process's environment)."""
    source = os.environ if env is None else env
    return {name: source[name] for name in names if name in source}


def _concurrency(manifest: Manifest, route: Route) -> int:
    reserved = reserved_concurrency(manifest.defaults, route)
    return LOCAL_RESERVED_CONCURRENCY if reserved is None else reserved


def _functions(manifest: Manifest) -> Iterator[tuple[Key, Route]]:
    """Each function the gateway may invoke, with the route (function set) it runs for."""
    for route in manifest.routes:
        if route.status != "active":
            continue
        name = function_name(manifest, route)
        if route.target == "lambda" and route.function is not None:
            yield (route.function, name), route
        if route.shadow is not None:
            candidate = route.model_copy(update={"function": route.shadow.function})
            yield (route.shadow.function, name), candidate
