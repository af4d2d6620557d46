"""An environment's private temp directory lives exactly as long as the environment:
created by ``start``, removed by every way it ends, also a start that fails."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from router.lambda_runtime.environment import Environment, InitFailed
from router.lambda_runtime.sandbox import TMP_PREFIX, FunctionSpec

Command = Callable[[FunctionSpec, Path], list[str]]


def _env(tmp_path: Path, command: Command) -> Environment:
    spec = FunctionSpec("fn", "m.h", tmp_path)
    parent = tmp_path / "tmps"
    parent.mkdir(exist_ok=True)
    return Environment(spec, tmp_path, command=command, init_timeout_s=5, tmp_parent=parent)


def _python(code: str) -> Command:
    return lambda spec, runtime: [sys.executable, "-I", "-c", code]


def test_a_spawn_that_fails_leaves_no_temp_directory(tmp_path: Path) -> None:
    env = _env(tmp_path, lambda spec, runtime: [str(tmp_path / "no-such-interpreter")])
    with pytest.raises(OSError):
        asyncio.run(env.start())
    assert env.tmp is None and not list((tmp_path / "tmps").iterdir())


def test_a_worker_exiting_in_init_leaves_no_temp_directory(tmp_path: Path) -> None:
    env = _env(tmp_path, _python("pass"))
    with pytest.raises(InitFailed, match=r"Runtime\.ExitError"):
        asyncio.run(env.start())
    assert env.tmp is None and not list((tmp_path / "tmps").iterdir())


_WRITES_THEN_HANGS = (
    "import os, tempfile, time; d = os.path.join(tempfile.gettempdir(), 'd'); os.mkdir(d);"
    "open(os.path.join(d, 'f'), 'w').close(); os.chmod(d, 0o500); time.sleep(60)"
)


def test_cancelled_while_starting_its_files_go_too(tmp_path: Path) -> None:
    env = _env(tmp_path, _python(_WRITES_THEN_HANGS))

    async def main() -> list[Path]:
        task = asyncio.ensure_future(env.start())
        while not (written := list((tmp_path / "tmps").glob(f"{TMP_PREFIX}*-fn-*/d/f"))):
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return written

    (written,) = asyncio.run(main())
    assert not written.parent.parent.exists() and env.pid is None
