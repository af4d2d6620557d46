"""What a worker process sees: its ``sys.path``, its environment variables, its command.

``runtime_dir`` builds once (into a cache directory) a directory of symlinks to the
top-level packages of what Lambda's Python runtime itself provides: AWS's runtime
interface client and boto3, with their dependencies, found through their installed
distribution metadata. Only those are exposed, never the rest of the gateway's
site-packages. ``worker_env`` gives Lambda's standard variables ("Defined runtime
environment variables" in the Lambda developer guide) plus the function's own.

Each environment's ``/tmp``: ``private_tmp`` makes a fresh directory (mode ``0o700``,
named after the gateway process: ``router.owners``) when the environment starts, given
to the worker as ``TMPDIR``, ``TEMP``, ``TMP`` (what ``tempfile`` honours) and
``HOME``; its owner removes it when the environment ends (``leftovers`` when the
gateway was killed). So two environments of a function never see each other's files,
and one warm environment keeps them from one invocation to the next, as on Lambda.
Known difference: a handler
writing to the literal path ``/tmp`` writes to the machine's ``/tmp``, shared by every
environment (remapping it needs a mount namespace, hence privileges).
The code and layer directories are read-only by mode (``router.build``), which binds
the workers unless the gateway runs as root. This module must not start processes.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import os
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement

from router.fsmodes import remove_tree
from router.owners import owned_dir

__all__ = [
    "RUNTIME_DISTRIBUTIONS",
    "TMP_PREFIX",
    "FunctionSpec",
    "log_stream_name",
    "private_tmp",
    "runtime_dir",
    "worker_command",
    "worker_env",
]

RUNTIME_DISTRIBUTIONS = ("awslambdaric", "boto3")
TMP_PREFIX = "strangler-lambda-"  # an environment's TMPDIR: this, its owner, its function
_WORKER_MAIN = Path(__file__).with_name("_worker_main.py")


@dataclass(frozen=True)
class FunctionSpec:
    """One function as the runtime runs it."""

    name: str
    handler: str  # module.attribute, relative to code_dir
    code_dir: Path
    layer_dirs: tuple[Path, ...] = ()
    memory_mb: int = 128
    reserved_concurrency: int = 10
    environment: Mapping[str, str] = field(default_factory=dict)
    region: str = "us-east-1"
    account: str = "123456789012"

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"


def _closure(names: Iterable[str]) -> list[metadata.Distribution]:
    """The distributions ``names`` need, transitively (extras left out)."""
    seen: dict[str, metadata.Distribution] = {}
    todo = list(names)
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        dist = metadata.distribution(name)
        seen[name] = dist
        for text in dist.requires or ():
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return list(seen.values())


def _top_level(dist: metadata.Distribution) -> set[str]:
    """First path components of a distribution's files (packages and modules)."""
    tops: set[str] = set()
    for file in dist.files or ():
        top = file.parts[0]
        if top.endswith((".dist-info", ".egg-info", ".pth")) or top in ("..", "__pycache__"):
            continue
        tops.add(top)
    return tops


def runtime_dir(cache: Path, names: Iterable[str] = RUNTIME_DISTRIBUTIONS) -> Path:
    """A directory of symlinks to the runtime-provided packages (built once, reused)."""
    dists = _closure(names)
    # keyed by where they are too: the links point into this environment's site-packages
    tag = "-".join([sys.prefix, *sorted(f"{d.metadata['Name']}{d.version}" for d in dists)])
    target = cache / f"runtime-{hashlib.sha256(tag.encode()).hexdigest()[:16]}"
    if target.is_dir():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    building = owned_dir(cache, ".runtime-")  # reclaimed if this process dies meanwhile
    for dist in dists:
        base = Path(str(dist.locate_file("")))
        for top in _top_level(dist):
            link = building / top
            if (base / top).exists() and not link.exists():
                link.symlink_to(base / top)
    try:
        building.rename(target)
    except OSError:  # another builder won the race: theirs is as good
        remove_tree(building)
    return target


def worker_command(spec: FunctionSpec, runtime: Path, *, native: bool = False) -> list[str]:
    """The worker's argv: this interpreter, isolated, with only the function's paths;
    ``native``: awslambdaric's own libcurl transport instead of ``_runtime_client``."""
    paths = [str(spec.code_dir), *(str(p) for p in spec.layer_dirs), str(runtime)]
    argv = [sys.executable, "-I", "-S", str(_WORKER_MAIN), os.pathsep.join(paths), spec.handler]
    return [*argv, "native"] if native else argv


def log_stream_name(now: float | None = None) -> str:
    """A new environment's log stream, named as Lambda names them:
    ``YYYY/MM/DD/[$LATEST]<32 hex digits>``."""
    day = time.strftime("%Y/%m/%d", time.gmtime(now))
    return f"{day}/[$LATEST]{uuid.uuid4().hex}"


def private_tmp(function: str, parent: Path | None = None) -> Path:
    """A new environment's own temp directory (mode ``0o700``), in ``parent`` (default:
    the gateway's temp directory), named after the gateway process (``router.owners``).
    Removing it is the environment's owner's job; if that process is killed, the next
    runtime's start does it (``leftovers``)."""
    return owned_dir(parent, TMP_PREFIX, function)


def worker_env(
    spec: FunctionSpec, api: str, tmp: Path, runtime: Path, log_stream: str
) -> dict[str, str]:
    """Lambda's standard variables, then the function's own (which may not replace them);
    ``tmp`` (the environment's ``private_tmp``) as its temp and home directory."""
    env = dict(spec.environment)
    env.update(
        AWS_LAMBDA_RUNTIME_API=api,
        AWS_LAMBDA_FUNCTION_NAME=spec.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(spec.memory_mb),
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_LAMBDA_LOG_GROUP_NAME=spec.log_group,
        AWS_LAMBDA_LOG_STREAM_NAME=log_stream,
        AWS_LAMBDA_INITIALIZATION_TYPE="on-demand",
        _HANDLER=spec.handler,
        LAMBDA_TASK_ROOT=str(spec.code_dir),
        LAMBDA_RUNTIME_DIR=str(runtime),
        AWS_REGION=spec.region,
        AWS_DEFAULT_REGION=spec.region,
        AWS_EXECUTION_ENV=f"AWS_Lambda_python{sys.version_info.major}.{sys.version_info.minor}",
        TZ=":UTC",
        LANG="en_US.UTF-8",
        PATH="/usr/local/bin:/usr/bin:/bin",
        TMPDIR=str(tmp),
        TEMP=str(tmp),
        TMP=str(tmp),
        HOME=str(tmp),
    )
    return env
