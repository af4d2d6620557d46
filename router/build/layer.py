"""Build the dependency layer of a lock: for Lambda (manylinux wheels) and for this host.

**Lambda layer.** ``pip install --platform manylinux2014_<arch> [--platform
manylinux_2_28_<arch> --platform manylinux_2_34_<arch>] --implementation cp
--python-version <3.12> --only-binary=:all: --no-deps --require-hashes --target
<dir>/python -r <lock>``: python3.12 and later run on Amazon Linux 2023 (glibc 2.34),
so wheels built for glibc 2.28 and 2.34 load there too (some packages publish only
those for aarch64, e.g. psycopg-binary 3.3); earlier runtimes run on Amazon Linux 2
(glibc 2.26) and get manylinux2014 (glibc 2.17) wheels only. The result is zipped
deterministically under ``python/`` (where Lambda puts ``/opt/python`` on
``sys.path``). Plain pip rather than aws-lambda-builders: the
latter's Python workflow runs the same ``pip download --platform`` underneath, then
falls back to building a source-only requirement on this host, which may not run on
Lambda; here such a requirement fails the build instead. pip is already installed,
and ``--require-hashes`` pins every file to the lock.

**Local layer.** The same lock installed for this machine's interpreter (``--target``,
no platform flags), byte-compiled and sealed read-only (``router.fsmodes``: files
``0o444``, executables ``0o555``, directories ``0o555``), as Lambda's ``/opt`` is: what
the local Lambda runtime puts on a worker's ``sys.path``. A local layer built before
layers were sealed is sealed when next used.

Both are cached under ``<cache>/`` by a key of the lock's bytes, the runtime and the
architecture (the host's tags for the local one): an unchanged lock is never
reinstalled or rezipped. ``LayerInputs`` names what determines a Lambda layer (the
lock's SHA-256, runtime, architecture, this builder's format and pip options); the
deploy state records them with each published version, so a plan on a machine whose
cache is empty can reuse that version instead of building (``router.deploy.reuse``).
A build happens in a scratch directory of its own (sealed there, for the local layer)
renamed into place, so a crash leaves no half layer and concurrent builders never
share one: the first rename wins, the others keep it and remove their own. This module
must not call AWS.
"""

from __future__ import annotations

import compileall
import hashlib
import json
import logging
import os
import shutil
import sys
import sysconfig
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from router.build._fs import scratch_dir
from router.build._run import Runner, run_tool
from router.build._zip import b64_sha256, tree_entries, zip_entries
from router.fsio import write_error
from router.fsmodes import is_read_only, make_read_only, remove_tree

__all__ = ["Layer", "LayerBuilder", "LayerInputs"]

log = logging.getLogger(__name__)

_MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}
_FORMAT = "2"  # bump when the layer's layout or pip flags change


def _platforms(runtime: str, architecture: str) -> list[str]:
    """pip's ``--platform`` flags: the manylinux tags the runtime's glibc can load."""
    machine = _MACHINE[architecture]
    tags = [f"manylinux2014_{machine}"]
    minor = int(runtime.removeprefix("python3."))
    if minor >= 12:  # Amazon Linux 2023: glibc 2.34
        tags += [f"manylinux_2_28_{machine}", f"manylinux_2_34_{machine}"]
    return [flag for tag in tags for flag in ("--platform", tag)]


class LayerInputs(BaseModel):
    """What determines a Lambda layer's zip: equal inputs build the same layer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lock_sha256: str  # hex SHA-256 of the lock file's bytes
    runtime: str
    architecture: str
    builder: str  # this builder's format and a digest of its pip options


@dataclass(frozen=True)
class Layer:
    key: str  # hex digest of lock + runtime + architecture
    zip_path: Path | None  # None: not built here, a published version is reused
    size: int  # zipped bytes
    unzipped_size: int
    sha256: str  # base64 SHA-256 of the zip, as Lambda reports it
    cached: bool
    inputs: LayerInputs | None = None


class LayerBuilder:
    """Builds and caches layers. ``pip_args`` adds pip options (a test's ``--no-index``)."""

    def __init__(
        self,
        cache: Path,
        *,
        pip_args: Sequence[str] = (),
        runner: Runner | None = None,
        python: str = sys.executable,
    ) -> None:
        self.cache = cache
        self._pip = [python, "-m", "pip", "install", "--no-deps", "--require-hashes"]
        self._pip += ["--no-compile", "--disable-pip-version-check", "--quiet", *pip_args]
        self._runner = runner
        self._options = hashlib.sha256("\0".join(pip_args).encode()).hexdigest()[:16]

    def inputs(self, lock: Path, runtime: str, architecture: str) -> LayerInputs:
        """What the layer of ``lock`` for ``runtime`` and ``architecture`` is built from."""
        digest = hashlib.sha256(lock.read_bytes()).hexdigest()
        builder = f"format {_FORMAT}, pip options {self._options}"
        return LayerInputs(
            lock_sha256=digest, runtime=runtime, architecture=architecture, builder=builder
        )

    def is_built(self, lock: Path, runtime: str, architecture: str) -> bool:
        return (self.cache / "layers" / _key(lock, runtime, architecture) / "layer.json").is_file()

    def is_local_built(self, lock: Path) -> bool:
        """Whether ``local(lock)`` is cached (else it runs pip)."""
        return (self._local_home(lock) / "python").is_dir()

    def layer(self, lock: Path, runtime: str, architecture: str) -> Layer:
        """The Lambda layer zip for ``runtime`` and ``architecture`` from ``lock``."""
        key = _key(lock, runtime, architecture)
        home = self.cache / "layers" / key
        cached = self.is_built(lock, runtime, architecture)
        if not cached:
            version = runtime.removeprefix("python")
            flags = [*_platforms(runtime, architecture), "--implementation", "cp"]
            flags += ["--python-version", version, "--only-binary=:all:"]
            self._place(home, lambda tmp: self._zip_layer(tmp, lock, flags))
        meta = json.loads((home / "layer.json").read_text(encoding="utf-8"))
        zipped, unzipped, sha = meta["size"], meta["unzipped"], meta["sha256"]
        inputs = self.inputs(lock, runtime, architecture)
        return Layer(key, home / "layer.zip", zipped, unzipped, sha, cached, inputs)

    def local(self, lock: Path) -> Path:
        """The directory to put on ``sys.path`` for this interpreter (``.../python``),
        read-only."""
        home = self._local_home(lock)
        if not (home / "python").is_dir():
            log.info("installing %s for this interpreter (once; cached by its hash)", lock)
            self._place(home, lambda tmp: self._install_compiled(tmp / "python", lock), seal=True)
        elif not is_read_only(home):  # built before local layers were read-only
            make_read_only(home)
        return home / "python"

    def _local_home(self, lock: Path) -> Path:
        host = f"{sys.implementation.cache_tag}-{sysconfig.get_platform()}"
        return self.cache / "local" / _key(lock, host, "host-pyc")

    def _install_compiled(self, target: Path, lock: Path) -> None:
        """Install, then byte-compile for this interpreter: a worker's cold start then
        imports ``.pyc`` files (the first one would otherwise compile every module)."""
        self._install(target, lock, [])
        compileall.compile_dir(target, quiet=2, workers=1)

    def _zip_layer(self, tmp: Path, lock: Path, flags: list[str]) -> None:
        target = tmp / "tree" / "python"
        self._install(target, lock, flags)
        data, raw = zip_entries(tree_entries(target, "python"))
        (tmp / "layer.zip").write_bytes(data)
        meta = {"size": len(data), "unzipped": raw, "sha256": b64_sha256(data)}
        shutil.rmtree(tmp / "tree")
        (tmp / "layer.json").write_text(json.dumps(meta), encoding="utf-8")

    def _install(self, target: Path, lock: Path, flags: list[str]) -> None:
        argv = [*self._pip, *flags, "--target", str(target), "-r", str(lock)]
        run_tool(argv, f"layer from {lock}", self._runner)

    def _place(self, home: Path, fill: Callable[[Path], None], *, seal: bool = False) -> None:
        """``fill`` a scratch directory (``seal``: then make it read-only), rename it to
        ``home`` (same parent: a read-only directory may be renamed there)."""
        tmp = scratch_dir(home.parent, ".build-")
        try:
            fill(tmp)
            if seal:
                make_read_only(tmp)
            os.rename(tmp, home)
        except OSError as exc:
            if not home.is_dir():  # else another build placed the same key first: keep that
                raise write_error(home, exc) from exc
        finally:
            remove_tree(tmp)  # read-only or not; nothing once renamed


def _key(lock: Path, *parts: str) -> str:
    digest = hashlib.sha256(lock.read_bytes())
    for part in (_FORMAT, *parts):
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()
