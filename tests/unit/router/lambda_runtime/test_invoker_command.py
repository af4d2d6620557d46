"""``ProcessInvoker(command=...)``: the worker's argv is injectable (the bench runs another
runtime client through the same invoker); a worker that exits in init is an init error."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from router.gateway.events import LambdaContext
from router.lambda_runtime import FunctionSpec, ProcessInvoker


def test_the_injected_command_starts_the_worker(tmp_path: Path) -> None:
    spec = FunctionSpec("fn", "m.h", tmp_path)
    started: list[str] = []

    def command(given: FunctionSpec, runtime: Path) -> list[str]:
        started.append(given.name)
        return [sys.executable, "-I", "-c", "pass"]  # exits before its first next

    async def main() -> str | None:
        invoker = ProcessInvoker(lambda d, c: spec, tmp_path, tmp_root=tmp_path, command=command)
        context = LambdaContext(
            request_id="r1", function_name="fn", function_arn="arn", memory_mb=128, deadline=1e12
        )
        record, _ = await invoker.run("m.h", b"{}", context, 5.0)
        await invoker.aclose()
        return record.error_type

    assert asyncio.run(main()) == "Runtime.ExitError" and started == ["fn"]
