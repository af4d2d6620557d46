"""``migrate serve --isolated``: a ``ProcessInvoker`` for the manifest's Lambda routes.

Each route's function runs in its own worker processes with, on ``sys.path``, the
project directory (the manifest's; until per-function artifacts exist it holds the
whole project, so ``router`` and ``legacy_app`` stay importable to handlers), the given
layer directories, and the runtime-provided packages (built once under
``var/lambda-runtime`` beside the manifest). Name, memory and ARN come from the route
(the gateway's ``LambdaContext``). The environment is the function's own from the
manifest (``defaults.environment`` then the route's, re-read when the file changes: a
change gives the function fresh environments, as a configuration update does on
Lambda), plus what the Lambda service itself would give it: the gateway's AWS
endpoint and credentials (standing for the execution role's), and the gateway's
``DATABASE_URL`` when the function names no database of its own (``DATABASE_URL``,
``DB_SECRET_ARN`` or ``DB_SSM_PARAMETER``). This module must not build events or
serve HTTP.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from router.gateway.events import LambdaContext
from router.lambda_runtime.invoker import ProcessInvoker
from router.lambda_runtime.sandbox import FunctionSpec, runtime_dir
from router.manifest.model import Manifest
from router.manifest.store import load_manifest

__all__ = ["ManifestEnvironment", "function_environment", "isolated_invoker", "route_specs"]

_FORWARDED = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
_DATABASE_VARIABLES = ("DATABASE_URL", "DB_SECRET_ARN", "DB_SSM_PARAMETER")


class ManifestEnvironment:
    """Each function's environment as the manifest declares it, re-read on a change."""

    def __init__(self, manifest: Path) -> None:
        self._path = manifest
        self._stamp: tuple[int, int] | None = None
        self._by_function: dict[str, dict[str, str]] = {}

    def __call__(self, dotted: str) -> dict[str, str]:
        stat = self._path.stat()
        if (stat.st_mtime_ns, stat.st_size) != self._stamp:
            self._by_function = _declared(load_manifest(self._path).model)
            self._stamp = (stat.st_mtime_ns, stat.st_size)
        return self._by_function.get(dotted, {})


def _declared(model: Manifest) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for route in model.routes:
        if route.function is not None and route.function not in found:
            found[route.function] = {**model.defaults.environment, **route.environment}
    return found


def function_environment(
    declared: Mapping[str, str], gateway: Mapping[str, str] = os.environ
) -> dict[str, str]:
    """``declared`` plus the AWS endpoint and credentials of ``gateway``, and its database
    when ``declared`` names none."""
    env = {name: gateway[name] for name in _FORWARDED if gateway.get(name)}
    if not any(name in declared for name in _DATABASE_VARIABLES) and gateway.get("DATABASE_URL"):
        env["DATABASE_URL"] = gateway["DATABASE_URL"]
    return {**env, **declared}


def route_specs(
    code_dir: Path,
    layers: tuple[Path, ...],
    environment: Mapping[str, str] | Callable[[str], Mapping[str, str]] | None = None,
) -> Callable[[str, LambdaContext], FunctionSpec]:
    """The worker configuration of a route's function, from its invocation context;
    ``environment`` is the same for all, or each function's (a callable)."""
    fixed = dict(environment or {}) if not callable(environment) else {}

    def spec(dotted: str, context: LambdaContext) -> FunctionSpec:
        env = function_environment(environment(dotted) if callable(environment) else fixed)
        parts = context.invoked_function_arn.split(":")
        region, account = (parts[3], parts[4]) if len(parts) > 5 else ("us-east-1", "123456789012")
        return FunctionSpec(
            name=context.function_name, handler=dotted, code_dir=code_dir, layer_dirs=layers,
            memory_mb=int(context.memory_limit_in_mb), environment=env,
            region=region, account=account,
        )  # fmt: skip

    return spec


def isolated_invoker(manifest: Path, layers: tuple[Path, ...]) -> ProcessInvoker:
    """Workers for the routes of ``manifest`` (its directory is the code directory)."""
    root = manifest.resolve().parent
    runtime = runtime_dir(root / "var" / "lambda-runtime")
    layer_dirs = tuple(p.resolve() for p in layers)
    return ProcessInvoker(route_specs(root, layer_dirs, ManifestEnvironment(manifest)), runtime)
