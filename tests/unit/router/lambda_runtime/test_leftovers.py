"""What a killed gateway left (its environments' temp directories, its builds' scratch
directories in the cache) is removed by the next runtime's start; a live one's stays."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from router.gateway.events import LambdaContext
from router.lambda_runtime import ProcessInvoker
from router.lambda_runtime.leftovers import reclaim_leftovers
from router.lambda_runtime.sandbox import TMP_PREFIX, FunctionSpec, private_tmp
from router.owners import owned_dir
from tests.helpers.procs import dead_process_tag

SCRATCH = {"local": ".build-", "code": ".extract-", "layers": ".build-", "runtime": ".runtime-"}


def _dead_tmp(root: Path) -> Path:
    path = root / f"{TMP_PREFIX}{dead_process_tag()}-fn-x1"
    path.mkdir(parents=True)
    (path / "written-by-the-handler").write_text("x")
    return path


def test_a_dead_owners_directories_go_and_a_live_ones_stay(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tmps, cache = tmp_path / "tmp", tmp_path / "cache"
    dead, live = [_dead_tmp(tmps)], [private_tmp("fn", tmps)]
    for folder, prefix in SCRATCH.items():
        dead.append(cache / folder / f"{prefix}{dead_process_tag()}-y2")
        dead[-1].mkdir(parents=True)
        live.append(owned_dir(cache / folder, prefix))  # a build of this process, running
    with caplog.at_level(logging.WARNING, "router.lambda_runtime.leftovers"):
        assert reclaim_leftovers(tmps, cache) == 5
    assert not any(path.exists() for path in dead) and all(path.is_dir() for path in live)
    assert "removed 1 Lambda environment temp directory and 4 build scratch" in caplog.text
    assert reclaim_leftovers(tmps, cache) == 0


def test_the_invokers_first_invocation_reclaims_in_the_background(tmp_path: Path) -> None:
    dead, live = _dead_tmp(tmp_path), private_tmp("fn", tmp_path)

    def no_spec(dotted: str, context: LambdaContext) -> FunctionSpec:
        raise LookupError(f"{dotted}: no artifact")

    async def main() -> None:
        invoker = ProcessInvoker(no_spec, tmp_path, tmp_root=tmp_path)
        context = LambdaContext(
            request_id="r1", function_name="fn", function_arn="arn", memory_mb=128, deadline=1e12
        )
        await invoker.run("m.h", b"{}", context, 1.0)
        for _ in range(500):
            if not dead.exists():
                break
            await asyncio.sleep(0.01)
        await invoker.aclose()

    asyncio.run(main())
    assert not dead.exists() and live.is_dir()
