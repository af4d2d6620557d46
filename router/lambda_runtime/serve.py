"""``migrate serve``'s Lambda runtime: a ``ProcessInvoker`` for the manifest's Lambda routes.

Each route's function runs in its own worker processes with, on ``sys.path``, only the
function's package as ``migrate build`` packs it (extracted), its dependency layer built
for this interpreter from the function's lock, any ``--layer`` directories, and the
runtime-provided packages (``runtime_dir``, built once in the build cache). Name,
memory, ``environment`` and ``reserved_concurrency`` come from the manifest
(``artifacts.ManifestSpecs``). At start, what a killed gateway left (its environments'
temp directories, its builds' scratch directories) is removed (``leftovers``). Code and
layer directories are read-only by mode; as root that does not stop a handler's writes,
which is logged once here. This module must not build events or serve HTTP.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

from router.build import local_cache
from router.fsmodes import is_superuser
from router.lambda_runtime.artifacts import ManifestSpecs
from router.lambda_runtime.invoker import ProcessInvoker
from router.lambda_runtime.leftovers import reclaim_leftovers
from router.lambda_runtime.reports import InvocationRecord
from router.lambda_runtime.sandbox import runtime_dir, worker_command

__all__ = ["isolated_invoker"]

log = logging.getLogger(__name__)


def isolated_invoker(
    manifest: Path,
    layers: tuple[Path, ...] = (),
    pass_env: Mapping[str, str] | None = None,
    on_record: Callable[[InvocationRecord], None] | None = None,
    *,
    native_client: bool = False,
) -> tuple[ProcessInvoker, ManifestSpecs]:
    """Workers for the routes of ``manifest``, and the specs to ``prepare`` per manifest
    (``native_client``: awslambdaric's libcurl transport, not ``_runtime_client``)."""
    specs = ManifestSpecs(manifest, layers=tuple(p.resolve() for p in layers), pass_env=pass_env)
    cache = local_cache(specs.root)
    reclaim_leftovers(cache=cache)  # what a killed gateway (or build) left, before building
    runtime = runtime_dir(cache / "runtime")
    if is_superuser():
        log.warning(
            "running as root: the functions' code and layer directories are read-only by"
            " mode only, which does not stop root's writes (on Lambda, /var/task and /opt"
            " refuse them)"
        )
    command = partial(worker_command, native=native_client)
    invoker = ProcessInvoker(
        specs, runtime, refresh=specs.refresh, on_record=on_record, command=command
    )
    return invoker, specs
