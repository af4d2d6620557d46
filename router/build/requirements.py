"""Which requirements a function has, and their lock (pinned versions with hashes).

A route's requirements file is ``requirements`` on the route, else on ``defaults``,
else the handler package's own ``requirements.txt`` (``migrated_functions/``); no file
means no layer. The lock is the same path with ``.lock``, written by ``lock()``:

``uv pip compile --universal --python-version <runtime> --generate-hashes``. uv, not
pip-tools, because pip-compile resolves for the interpreter it runs on (3.11 here)
and its markers, while uv resolves for a stated Python and every platform at once, so
one lock serves the Lambda layer (cp312, x86_64 or arm64) and the host's local layer
alike; every file of each pinned release is hashed, so ``pip --require-hashes``
accepts whichever wheel a platform picks. The lock's first lines record the runtime
and the SHA-256 of the requirements file: a lock older than its requirements is
refused (exit 2) rather than silently built. This module must not install anything.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from router.build._run import Runner, run_tool
from router.errors import InputError
from router.fsio import atomic_write
from router.manifest.model import Manifest, Route

__all__ = ["Requirements", "check_lock", "lock", "requirements_for", "requirements_of"]

_STAMP = "# strangler-lock: runtime={runtime} requirements-sha256={digest}"


@dataclass(frozen=True)
class Requirements:
    source: Path  # requirements.txt
    lock: Path  # its lock, pinned with hashes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.source.read_bytes()).hexdigest()


def requirements_for(manifest: Manifest, route: Route, root: Path) -> Requirements | None:
    """The route's requirements, or ``None`` when it declares none."""
    declared = route.requirements or manifest.defaults.requirements
    if declared is None:
        assert route.function is not None
        default = root / route.function.split(".")[0] / "requirements.txt"
        return Requirements(default, default.with_suffix(".lock")) if default.is_file() else None
    source = root / declared
    if not source.is_file():
        raise InputError(f"route {route.id}: requirements {declared}: no such file under {root}")
    return Requirements(source, source.with_suffix(".lock"))


def requirements_of(manifest: Manifest, root: Path) -> Callable[[Route], str | None]:
    """Each route's requirements file relative to ``root`` (for ``render_sam``)."""

    def relative(route: Route) -> str | None:
        found = requirements_for(manifest, route, root)
        return None if found is None else found.source.relative_to(root).as_posix()

    return relative


def check_lock(requirements: Requirements, runtime: str) -> None:
    """Exit 2 when the lock is missing or was made for other requirements or runtime."""
    hint = "run `migrate build --lock` and commit the lock"
    if not requirements.lock.is_file():
        missing = f"{requirements.source}: not locked ({requirements.lock} missing)"
        raise InputError(missing, hint=hint)
    first = requirements.lock.read_text(encoding="utf-8").partition("\n")[0]
    if first != _STAMP.format(runtime=runtime, digest=requirements.digest):
        raise InputError(
            f"{requirements.lock}: stale: not made from the current "
            f"{requirements.source.name} for {runtime}",
            hint=hint,
        )


def lock(requirements: Requirements, runtime: str, runner: Runner | None = None) -> str:
    """Resolve ``requirements`` into its lock file; returns the lock's text."""
    argv = [
        *_uv(), "pip", "compile", str(requirements.source), "--universal",
        "--python-version", runtime.removeprefix("python"), "--generate-hashes",
        "--no-header", "--quiet", "--no-annotate",
    ]  # fmt: skip
    body = run_tool(argv, f"lock {requirements.source}", runner)
    text = _STAMP.format(runtime=runtime, digest=requirements.digest) + "\n" + body
    atomic_write(requirements.lock, text)
    return text


def _uv() -> list[str]:
    try:
        from uv import find_uv_bin
    except ImportError:  # pragma: no cover - uv is a dependency; a module run is the fallback
        return [sys.executable, "-m", "uv"]
    return [find_uv_bin()]
