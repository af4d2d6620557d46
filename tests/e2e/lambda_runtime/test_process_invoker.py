"""The local Lambda runtime with real worker processes and sockets (loopback only).

Each test builds a ``ProcessInvoker`` over the handlers in ``tests/e2e/lambda_handlers``
and closes it; every worker pid seen is checked gone afterwards.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvloop

from router.gateway.events import LambdaContext
from router.gateway.messages import GatewayResponse
from router.lambda_runtime import FunctionSpec, InvocationRecord, ProcessInvoker, runtime_dir
from router.lambda_runtime.sandbox import TMP_PREFIX
from router.owners import process_tag

HANDLERS = Path(__file__).resolve().parents[1] / "lambda_handlers"
T = TypeVar("T")
_counter = iter(range(1_000_000))


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return runtime_dir(tmp_path_factory.mktemp("runtime-cache"))


def _context(function: str = "fn") -> LambdaContext:
    return LambdaContext(
        request_id=f"req-{next(_counter)}",
        function_name=function,
        function_arn="arn",
        memory_mb=128,
        deadline=time.monotonic() + 30,
    )


class Harness:
    """An invoker plus everything it recorded; ``pids`` of every worker it started."""

    def __init__(self, runtime: Path, **spec: Any) -> None:
        self.records: list[InvocationRecord] = []
        self.pids: set[int] = set()
        self.spec = {"name": "fn", "code_dir": HANDLERS / "basic", **spec}
        self.invoker = ProcessInvoker(self._spec, runtime, on_record=self.records.append)

    def _spec(self, dotted: str, context: LambdaContext) -> FunctionSpec:
        return FunctionSpec(handler=dotted, **self.spec)

    async def call(
        self, dotted: str, event: dict[str, Any] | None = None, timeout: float = 20.0
    ) -> GatewayResponse:
        task = asyncio.ensure_future(self.invoker.invoke(dotted, event or {}, _context(), timeout))
        while not task.done():
            self._note_pids()
            await asyncio.wait((task,), timeout=0.01)
        self._note_pids()  # a fast call may end before the loop above saw its worker
        return task.result()[0]

    def _note_pids(self) -> None:
        for pool in self.invoker.pools.values():
            self.pids.update(env.pid for env in pool.live if env.pid is not None)

    def assert_no_workers(self) -> None:
        alive = [pid for pid in self.pids if Path(f"/proc/{pid}").exists()]
        assert not alive, f"worker processes left running: {alive}"


def run(
    runtime: Path, body: Callable[[Harness], Awaitable[T]], loop: str = "uvloop", **spec: Any
) -> tuple[T, Harness]:
    """``body`` on the gateway's loop (uvloop) or asyncio's; the invoker closed after."""
    harness = Harness(runtime, **spec)

    async def main() -> T:
        try:
            return await body(harness)
        finally:
            harness._note_pids()
            await harness.invoker.aclose(grace_s=1.0)

    result = (uvloop.run if loop == "uvloop" else asyncio.run)(main())
    harness.assert_no_workers()
    return result, harness


def _json(response: GatewayResponse) -> Any:
    assert response.status == 200, response.body
    return json.loads(bytes(response.body))


def test_event_context_environment_and_sys_path(runtime: Path) -> None:
    async def body(h: Harness) -> Any:
        return _json(await h.call("fn.echo", {"hello": "world"}))

    seen, _ = run(runtime, body, environment={"GREETING": "hi"}, memory_mb=256)
    assert seen["event"] == {"hello": "world"}
    assert seen["request_id"].startswith("req-")
    assert (seen["function_name"], seen["memory"]) == ("fn", "256")
    assert seen["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:fn"
    assert 0 < seen["remaining_ms"] <= 20_000
    assert seen["env"]["_HANDLER"] == "fn.echo"
    assert seen["env"]["LAMBDA_TASK_ROOT"] == str(HANDLERS / "basic")
    assert (seen["env"]["TZ"], seen["env"]["GREETING"]) == (":UTC", "hi")
    assert seen["tmp"] == seen["env"]["HOME"]
    assert Path(seen["tmp"]).name.startswith(f"{TMP_PREFIX}{process_tag()}-fn-")  # owner: us
    assert not Path(seen["tmp"]).exists()  # the private temp dir goes with its worker
    assert seen["sys_path"][:2] == [str(HANDLERS / "basic"), str(runtime)]
    assert not [p for p in seen["sys_path"] if "site-packages" in p]


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_warm_reuse_and_reports(runtime: Path, caplog: pytest.LogCaptureFixture, loop: str) -> None:
    async def body(h: Harness) -> list[Any]:
        return [_json(await h.call("fn.echo")) for _ in range(3)]

    with caplog.at_level(logging.INFO, logger="router.lambda_runtime.report"):
        seen, h = run(runtime, body, loop)
    assert len({s["pid"] for s in seen}) == 1 and len({s["loaded_at"] for s in seen}) == 1
    assert [r.cold for r in h.records] == [True, False, False]
    assert h.records[0].init_duration_ms is not None and h.records[0].init_duration_ms > 0
    assert h.records[1].init_duration_ms is None
    reports = [r.getMessage() for r in caplog.records if r.getMessage().startswith("REPORT")]
    assert len(reports) == 3 and "Init Duration" in reports[0]
    assert not [r for r in reports[1:] if "Init Duration" in r]
    assert "Billed Duration" in reports[1] and "Max Memory Used" in reports[1]
    starts = [r for r in caplog.records if r.getMessage().startswith("START RequestId")]
    assert getattr(starts[0], "lambda_log_group", None) == "/aws/lambda/fn"


def test_import_error_without_the_package_in_the_layer_works_with_it(
    runtime: Path, tmp_path: Path
) -> None:
    async def body(h: Harness) -> GatewayResponse:
        return await h.call("app.handler")

    code = HANDLERS / "needs_flask"
    missing, h = run(runtime, body, code_dir=code)
    assert missing.status == 502
    assert h.invoker.last is not None and h.invoker.last.error_type == "Runtime.ImportModuleError"
    layer = runtime_dir(tmp_path, ["flask"])  # flask and its dependencies, as a layer
    present, _ = run(runtime, body, code_dir=code, layer_dirs=(layer,))
    assert bytes(present.body) == b"flask"


def test_concurrency_up_to_the_limit_then_throttled(runtime: Path) -> None:
    async def body(h: Harness) -> list[GatewayResponse]:
        calls = [h.call("fn.slow", {"seconds": 1.0}) for _ in range(5)]
        return list(await asyncio.gather(*calls))

    responses, _ = run(runtime, body, reserved_concurrency=3)
    statuses = sorted(r.status for r in responses)
    assert statuses == [200, 200, 200, 500, 500]
    assert len({bytes(r.body) for r in responses if r.status == 200}) == 3  # three workers
    assert b"Internal server error" in bytes(next(r for r in responses if r.status == 500).body)


def test_timeout_kills_and_replaces_the_environment_others_unaffected(runtime: Path) -> None:
    async def body(h: Harness) -> tuple[GatewayResponse, ...]:
        hung = asyncio.ensure_future(h.call("fn.slow", {"seconds": 3600}, timeout=1.0))
        other = await h.call("fn.trivial")  # another function, answered meanwhile
        assert not hung.done()
        timed_out = await hung
        again = await h.call("fn.slow", {"seconds": 0})
        return other, timed_out, again

    (other, timed_out, again), h = run(runtime, body)
    assert other.status == 200
    assert timed_out.status == 504 and b"Endpoint request timed out" in bytes(timed_out.body)
    assert again.status == 200
    slow = [r for r in h.records if r.function == "fn" and r.status in ("timeout", "ok")]
    assert [r.status for r in slow][-2:] == ["timeout", "ok"] and slow[-1].cold


def test_exit_costs_one_request(runtime: Path) -> None:
    async def body(h: Harness) -> list[GatewayResponse]:
        return [await h.call("fn.exit_process"), await h.call("fn.trivial")]

    (exited, after), h = run(runtime, body)
    assert exited.status == 502 and after.status == 200
    assert h.records[0].error_type == "Runtime.ExitError"


def test_memory_over_the_limit_kills_the_environment(runtime: Path) -> None:
    async def body(h: Harness) -> GatewayResponse:
        return await h.call("fn.hog")

    over, h = run(runtime, body, memory_mb=128)
    assert over.status == 502
    assert h.records[0].status == "oom" and h.records[0].max_memory_mb > 128
    enough, _ = run(runtime, body, memory_mb=512)
    assert enough.status == 200


def test_function_error_is_502_and_keeps_the_environment(runtime: Path) -> None:
    async def body(h: Harness) -> list[GatewayResponse]:
        return [await h.call("fn.fail"), await h.call("fn.fail")]

    responses, h = run(runtime, body)
    assert [r.status for r in responses] == [502, 502]
    assert [r.cold for r in h.records] == [True, False]
    assert h.records[0].status == "error"


def test_idle_environments_are_reaped(runtime: Path) -> None:
    now = [0.0]
    harness = Harness(runtime)
    harness.invoker = ProcessInvoker(harness._spec, runtime, max_idle_s=10, clock=lambda: now[0])

    async def main() -> tuple[int, int]:
        try:
            await harness.call("fn.trivial")
            kept = await harness.invoker.reap()
            now[0] += 11
            return kept, await harness.invoker.reap()
        finally:
            await harness.invoker.aclose(grace_s=1.0)

    assert uvloop.run(main()) == (0, 1)
    harness.assert_no_workers()


def test_shutdown_kills_in_flight_workers_at_the_grace_deadline(runtime: Path) -> None:
    harness = Harness(runtime)

    async def main() -> tuple[GatewayResponse, float]:
        hung = asyncio.ensure_future(harness.call("fn.hang", timeout=600))
        await harness.call("fn.trivial")  # an idle environment as well
        while not [p for p in harness.invoker.pools.values() if p.live and not p.idle]:
            await asyncio.sleep(0.01)
        harness._note_pids()  # both workers, busy and idle, before the shutdown
        start = time.monotonic()
        await harness.invoker.aclose(grace_s=0.5)
        return await hung, time.monotonic() - start

    response, spent = uvloop.run(main())
    # uvloop's timers have 1 ms granularity: the grace may end a little before 0.5 s
    assert response.status == 502 and 0.45 <= spent < 10, (response.status, spent)
    assert len(harness.pids) == 2, harness.pids
    harness.assert_no_workers()


def test_a_hung_init_fails_the_request_after_the_init_timeout(runtime: Path) -> None:
    harness = Harness(runtime)
    harness.invoker = ProcessInvoker(harness._spec, runtime, init_timeout_s=1.0)

    async def main() -> GatewayResponse:
        try:
            return await harness.call("slow_init.handler")
        finally:
            await harness.invoker.aclose(grace_s=1.0)

    assert uvloop.run(main()).status == 502
    assert harness.invoker.last is not None
    assert harness.invoker.last.error_type == "Runtime.InitTimeout"
    harness.assert_no_workers()


def test_a_code_change_from_another_thread_starts_fresh_environments(runtime: Path) -> None:
    async def body(h: Harness) -> list[Any]:
        first = _json(await h.call("fn.echo"))
        await asyncio.to_thread(h.invoker.invalidate, ["fn.echo"])  # the reload thread
        while "fn.echo" in h.invoker.pools:
            await asyncio.sleep(0.01)
        return [first, _json(await h.call("fn.echo"))]

    (first, second), h = run(runtime, body)
    assert first["pid"] != second["pid"] and [r.cold for r in h.records] == [True, True]
    assert not Path(f"/proc/{first['pid']}").exists()  # the retired idle worker is stopped


def test_each_environment_has_its_own_tmp_kept_while_warm_removed_after(runtime: Path) -> None:
    async def body(h: Harness) -> list[Any]:
        both = [h.call("fn.tmp_files", {"write": name, "seconds": 1.0}) for name in "ab"]
        first = await asyncio.gather(*both)  # two environments at once
        again = await h.call("fn.tmp_files", {"write": "c"})  # one of them, warm
        return [_json(r) for r in (*first, again)]

    (a, b, c), _ = run(runtime, body, reserved_concurrency=2)
    assert a["pid"] != b["pid"] and a["tmp"] != b["tmp"]
    assert (a["files"], b["files"]) == (["a"], ["b"])  # neither sees the other's file
    warm = a if c["pid"] == a["pid"] else b
    assert c["tmp"] == warm["tmp"] and c["files"] == sorted([*warm["files"], "c"])
    assert not Path(a["tmp"]).exists() and not Path(b["tmp"]).exists()  # gone at shutdown


def _log_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    prefixes = ("router.lambda_runtime.report", "router.lambda_runtime.function.fn")
    return [r.getMessage() for r in caplog.records if r.name.startswith(prefixes)]


def test_printed_lines_sit_between_start_and_end_even_past_the_pipe_size(
    runtime: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """3 MiB printed in one invocation (three times the pipe): back-pressure, no loss."""

    async def body(h: Harness) -> GatewayResponse:
        return await h.call("fn.chatty", {"lines": 3072, "width": 1000}, timeout=20)

    with caplog.at_level(logging.INFO, logger="router.lambda_runtime"):
        response, h = run(runtime, body)
    assert response.status == 200
    lines = _log_lines(caplog)
    start = lines.index(f"START RequestId: {h.records[0].request_id} Version: $LATEST")
    end = lines.index(f"END RequestId: {h.records[0].request_id}")
    printed = [line for line in lines[start + 1 : end] if line.startswith("line ")]
    assert [int(line.split()[1]) for line in printed] == list(range(3072))
    assert h.records[0].duration_ms < 10_000


def test_lines_printed_between_invocations_and_before_a_timeout_are_logged(
    runtime: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def body(h: Harness) -> list[int]:
        first = await h.call("fn.print_later", {"text": "printed by a thread, later"})
        await asyncio.sleep(1.0)  # no invocation runs now: the periodic drain logs it
        later = "printed by a thread, later" in _log_lines(caplog)
        timed_out = await h.call("fn.chatty", {"lines": 2, "seconds": 30}, timeout=0.5)
        return [first.status, int(later), timed_out.status]

    with caplog.at_level(logging.INFO, logger="router.lambda_runtime"):
        statuses, h = run(runtime, body)
    assert statuses == [200, 1, 504]
    lines = _log_lines(caplog)
    rid = h.records[-1].request_id
    start, end = (
        lines.index(f"START RequestId: {rid} Version: $LATEST"),
        lines.index(f"END RequestId: {rid}"),
    )
    assert [line.split()[:2] for line in lines[start + 1 : end]][:2] == [
        ["line", "0000000"],
        ["line", "0000001"],
    ]
