"""The artifacts `migrate build` makes, checked the way Lambda would load them.

Real wheels from the package index (marked ``slow``; a failed download fails the
test, never skips it):

* The python3.12 layer for x86_64 and arm64 holds the cp312 manylinux builds of the
  lock's compiled packages, under ``python/``.
* Acceptance: the function zip and its layer, unzipped together into an empty
  directory, import and answer AWS's sample event shape in an isolated interpreter
  (``-I -S``: no site-packages; ``sys.path`` = the code directory, its ``python/``
  and the standard library, as ``/var/task`` and ``/opt/python`` on Lambda). This
  machine has no Python 3.12, which cannot import the cp312 wheels anyway, so the
  check runs on the lock-identical host build (the local layer). Without the layer
  the same import fails with ``ModuleNotFoundError``: the bug this layer fixes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from router.build import LayerBuilder, build_package
from router.build._zip import tree_entries, zip_entries
from router.gateway.events import ApiInfo, EventInput, build_event
from router.gateway.messages import GatewayRequest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "migrated_functions" / "requirements.lock"

INVOKE = """\
import json, sys
task = sys.argv[1]
sys.path[:0] = [task, task + "/python"]
assert not any("site-packages" in p for p in sys.path), sys.path
from migrated_functions.users import get_user
print(json.dumps(get_user(json.loads(sys.argv[2]), None)))
"""


@pytest.mark.parametrize(("arch", "tag"), [("x86_64", "x86_64"), ("arm64", "aarch64")])
def test_the_lambda_layer_holds_cp312_manylinux_wheels(tmp_path: Path, arch: str, tag: str) -> None:
    layer = LayerBuilder(tmp_path).layer(LOCK, "python3.12", arch)
    with zipfile.ZipFile(layer.zip_path) as archive:
        names = archive.namelist()
    assert {n.split("/")[1] for n in names} >= {"sqlalchemy", "pydantic", "pydantic_core"}
    assert all(n.startswith("python/") for n in names)
    (core,) = [n for n in names if n.startswith("python/pydantic_core/_pydantic_core.")]
    assert core.endswith(f".cpython-312-{tag}-linux-gnu.so")


def test_code_and_layer_unzipped_together_answer_the_sample_event(tmp_path: Path) -> None:
    database = _seeded_database(tmp_path)
    task = tmp_path / "task"
    _unzip(build_package(REPO, "migrated_functions.users.get_user").zip_bytes, task)
    without = _invoke(task, database)
    assert without.returncode == 1
    assert "ModuleNotFoundError: No module named 'sqlalchemy'" in without.stderr
    local = LayerBuilder(tmp_path / "cache").local(LOCK)
    _unzip(zip_entries(tree_entries(local, "python"))[0], task)
    answered = _invoke(task, database)
    assert answered.returncode == 0, answered.stderr
    result = json.loads(answered.stdout.splitlines()[-1])  # after the handler's log lines
    assert result["statusCode"] == 200
    assert json.loads(result["body"])["id"] == 1


def _sample_event() -> dict[str, object]:
    request = GatewayRequest("GET", "/api/users/1", [("Host", "api.example"), ("Accept", "*/*")])
    match = EventInput(
        "/api/users/1", "", "/api/users/{user_id}", {"user_id": "1"}, "req-1", 1_700_000_000_000
    )
    return build_event(request, match, ApiInfo("prod", "abc123", "us-east-1"))


def _invoke(task: Path, database: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-I", "-S", "-c", INVOKE, str(task), json.dumps(_sample_event())]
    env = {"DATABASE_URL": database, "PATH": "/usr/bin:/bin"}
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=task, timeout=60)


def _unzip(data: bytes, target: Path) -> None:
    target.mkdir(exist_ok=True)
    zipped = target.parent / "part.zip"
    zipped.write_bytes(data)
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(target)
    zipped.unlink()


def _seeded_database(tmp_path: Path) -> str:
    from legacy_app.db import init_database, make_engine

    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    engine = make_engine(url)
    init_database(engine)
    engine.dispose()
    return url
