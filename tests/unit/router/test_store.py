from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import filelock
import pytest
from pydantic import ValidationError

from router.errors import LockTimeout, ManifestError
from router.history import HistoryLog, history_path_for
from router.manifest.model import Manifest, Route
from router.manifest.store import ManifestStore, atomic_write, load_manifest, to_document

TEXT = """\
# top comment
version: 1
revision: 3
api:
  name: shop  # the name
  stage: prod
  region: eu-west-1
legacy:
  url: http://127.0.0.1:5000/
routes:
{routes}"""


def _write(tmp_path: Path, n_routes: int = 2) -> Path:
    routes = "".join(
        f"  - id: r{i}\n    method: GET\n    path: /r/{i}  # route {i}\n" for i in range(n_routes)
    )
    path = tmp_path / "migration.yaml"
    path.write_text(TEXT.format(routes=routes))
    return path


def test_load_normalizes_and_keeps_raw(tmp_path: Path) -> None:
    loaded = load_manifest(_write(tmp_path))
    assert loaded.model.legacy.url == "http://127.0.0.1:5000"
    assert loaded.model.api.region == "eu-west-1"
    assert loaded.model.revision == 3


def test_edit_bumps_revision_and_keeps_comments(tmp_path: Path) -> None:
    path = _write(tmp_path)
    with ManifestStore(path).edit() as draft:
        draft.routes[1].memory = 512
    text = path.read_text()
    assert "revision: 4" in text
    assert "# top comment" in text and "name: shop  # the name" in text
    assert "path: /r/1  # route 1" in text and "memory: 512" in text


def test_noop_edit_writes_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path)
    before = path.read_bytes()
    with ManifestStore(path).edit():
        pass
    assert path.read_bytes() == before


def test_invalid_edit_leaves_file(tmp_path: Path) -> None:
    path = _write(tmp_path)
    before = path.read_bytes()
    with pytest.raises(ManifestError, match="needs a 'function'"), ManifestStore(path).edit() as d:
        d.routes[0].target = "lambda"
    assert path.read_bytes() == before


def test_exception_inside_edit_leaves_file(tmp_path: Path) -> None:
    path = _write(tmp_path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError), ManifestStore(path).edit() as draft:
        draft.routes[0].memory = 1024
        raise RuntimeError("boom")
    assert path.read_bytes() == before


def test_atomic_write_failure_keeps_old_file(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("old")

    with pytest.raises(AttributeError):
        atomic_write(path, 42)  # type: ignore[arg-type]
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.yaml"]


def test_lock_timeout_is_reported(tmp_path: Path) -> None:
    path = _write(tmp_path)
    store = ManifestStore(path, lock_timeout=0.1)
    other = filelock.FileLock(str(store.lock_path))
    other.acquire()
    try:
        thread_result: list[BaseException] = []
        import threading

        def attempt() -> None:
            try:
                with store.edit():
                    pass
            except BaseException as exc:
                thread_result.append(exc)

        worker = threading.Thread(target=attempt)
        worker.start()
        worker.join()
        assert isinstance(thread_result[0], LockTimeout)
    finally:
        other.release()


def test_concurrent_operators_lose_nothing(tmp_path: Path) -> None:
    """Eight `migrate` processes edit one manifest at once: every change lands."""
    path = _write(tmp_path, n_routes=8)
    (tmp_path / "hpkg.py").write_text("def fn(event, context):\n    return {}\n")
    env = {**os.environ, "MIGRATE_MANIFEST": str(path), "PYTHONPATH": str(tmp_path)}
    env["MIGRATE_LOCK_TIMEOUT"] = "240"  # the last waits for seven others: slow under load
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "migrate_cli", "route", "promote", f"r{i}", "-f", "hpkg.fn"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for i in range(8)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, outputs
    model = load_manifest(path).model
    assert {r.target for r in model.routes} == {"lambda"}
    assert model.revision == 3 + 8
    revisions = [e.revision for e in HistoryLog(history_path_for(path)).entries()]
    assert sorted(revisions) == list(range(4, 12))


def test_trailing_slash_is_written_only_when_set() -> None:
    manifest = Manifest.model_validate(
        {
            "legacy": {"url": "http://127.0.0.1:5000"},
            "routes": [
                {"id": "get-items", "method": "GET", "path": "/items", "trailing_slash": True},
                {"id": "get-plain", "method": "GET", "path": "/plain"},
            ],
        }
    )
    routes = to_document(manifest)["routes"]
    assert routes[0]["trailing_slash"] is True and "trailing_slash" not in routes[1]
    with pytest.raises(ValidationError, match="root path"):
        Route.model_validate({"id": "r", "method": "GET", "path": "/", "trailing_slash": True})
