"""A project with one Lambda route whose requirements come from a local wheelhouse.

The wheel is written by hand (a wheel is a zip with METADATA, WHEEL and RECORD), so
these tests need no network and no build backend; pip installs it with
``--no-index --find-links`` exactly as it would a wheel from an index. The ``project`` fixture
(tests/unit/router/build/conftest.py) calls ``make_project``. This module must not
reach the network.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from router.build.layer import LayerBuilder
from router.build.requirements import _STAMP
from router.manifest.model import Legacy, Manifest, Route

__all__ = ["HANDLER", "Project", "make_project", "make_wheel", "write_lock"]

HANDLER = """\
import tinydep

from fns import helper


def handler(event, context):
    return {"statusCode": 200, "body": str(tinydep.VALUE + helper.ONE)}
"""


@dataclass(frozen=True)
class Project:
    root: Path
    wheelhouse: Path
    lock: Path

    def builder(self) -> LayerBuilder:
        pip_args = ["--no-index", "--find-links", str(self.wheelhouse)]
        return LayerBuilder(self.root / ".migrate" / "build", pip_args=pip_args)

    def relock(self, version: str) -> None:
        """Require (and lock) ``tinydep==version`` instead, from a new wheel."""
        wheel = make_wheel(self.wheelhouse, "tinydep", version, "VALUE = 41\n")
        source = self.root / "fns" / "requirements.txt"
        source.write_text(f"tinydep=={version}\n")
        write_lock(source, wheel)

    def manifest(self, **route: object) -> Manifest:
        fields = {"id": "get-x", "method": "GET", "path": "/x", "target": "lambda"}
        fields.update({"function": "fns.app.handler", **route})
        return Manifest(legacy=Legacy(url="http://127.0.0.1:5000"), routes=[Route(**fields)])


def make_wheel(directory: Path, name: str, version: str, source: str) -> Path:
    path = directory / f"{name}-{version}-py3-none-any.whl"
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": source,
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = [f"{n},sha256={_digest(c.encode())},{len(c.encode())}" for n, c in files.items()]
    files[f"{dist}/RECORD"] = "\n".join([*record, f"{dist}/RECORD,,"]) + "\n"
    with zipfile.ZipFile(path, "w") as archive:
        for name_in_zip, content in files.items():
            archive.writestr(name_in_zip, content)
    return path


def write_lock(source: Path, wheel: Path, runtime: str = "python3.12") -> Path:
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    name, version = wheel.name.split("-")[:2]
    pinned = f"{name}=={version} --hash=sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}"
    lock = source.with_suffix(".lock")
    lock.write_text(_STAMP.format(runtime=runtime, digest=digest) + "\n" + pinned + "\n")
    return lock


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_project(tmp_path: Path) -> Project:
    """``fns.app.handler`` importing ``fns.helper`` and ``tinydep`` (from ``wheels/``)."""
    root = tmp_path / "project"
    (root / "fns").mkdir(parents=True)
    (root / "fns" / "__init__.py").write_text("")
    (root / "fns" / "app.py").write_text(HANDLER)
    (root / "fns" / "helper.py").write_text("ONE = 1\n")
    (root / "fns" / "unused.py").write_text("import tinydep\n")
    source = root / "fns" / "requirements.txt"
    source.write_text("tinydep==1.0\n")
    wheelhouse = tmp_path / "wheels"
    wheelhouse.mkdir()
    wheel = make_wheel(wheelhouse, "tinydep", "1.0", "VALUE = 41\n")
    return Project(root, wheelhouse, write_lock(source, wheel))
