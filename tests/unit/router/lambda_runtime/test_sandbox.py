"""``router.lambda_runtime.sandbox``: each environment's private ``/tmp`` (``TMPDIR``)."""

from __future__ import annotations

import stat
from pathlib import Path

from router.lambda_runtime.sandbox import FunctionSpec, private_tmp, worker_env
from router.owners import process_tag


def test_private_tmp_is_fresh_only_the_owners_and_named_after_the_gateway(
    tmp_path: Path,
) -> None:
    first, second = private_tmp("fn", tmp_path), private_tmp("fn", tmp_path)
    assert first != second and first.parent == second.parent == tmp_path
    assert first.name.startswith(f"strangler-lambda-{process_tag()}-fn-")
    assert not list(first.iterdir())
    assert stat.S_IMODE(first.stat().st_mode) == 0o700


def test_the_temp_variables_name_it_and_the_function_cannot_move_them(tmp_path: Path) -> None:
    spec = FunctionSpec("fn", "m.h", tmp_path, environment={"TMPDIR": "/elsewhere", "A": "1"})
    env = worker_env(spec, "127.0.0.1:1", tmp_path / "t", tmp_path / "rt", "stream")
    assert {env[name] for name in ("TMPDIR", "TEMP", "TMP", "HOME")} == {str(tmp_path / "t")}
    assert env["A"] == "1"
