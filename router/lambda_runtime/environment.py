"""One execution environment: a worker process, its Runtime API socket, one invoke at a time.

``start`` opens the environment's Runtime API socket, spawns the worker in its own
process group with a private temp directory (its ``/tmp``: ``sandbox.private_tmp``,
removed by ``kill``, which every end of an environment goes through), and waits for
its first ``next`` (init done: the handler's module is imported) or its
``init/error`` / exit. ``invoke`` hands
one event to the waiting runtime and waits for its response, its error, the process's
exit or the timeout. Memory: ``RLIMIT_AS`` would fail interpreters and native libraries
that reserve large virtual ranges (glibc arenas, numpy), so the limit is on resident
memory, as Lambda's cgroup does it: the peak RSS (``VmHWM``) is read after every invoke,
and during a long one every ``poll_s``; over ``memory_mb`` the environment is killed.
An init phase over ``init_timeout_s`` (Lambda: 10 s) fails the start. The worker's
stdout and stderr go to an ``output.OutputPipe`` that wakes nobody: ``flush_output``
logs its lines (after init, when the invoker asks, and when the worker is killed).
A timeout, an exit, an out-of-memory or an init error leave the environment dead
(``alive`` false): its owner replaces it. This module must not map results or log
START/END/REPORT lines: ``invoker`` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from router.fsmodes import remove_tree
from router.lambda_runtime.api import RuntimeApiProtocol, next_answer
from router.lambda_runtime.output import OutputPipe
from router.lambda_runtime.sandbox import (
    FunctionSpec,
    log_stream_name,
    private_tmp,
    worker_command,
    worker_env,
)

__all__ = ["INIT_TIMEOUT_S", "Environment", "InitFailed", "Outcome"]

log = logging.getLogger(__name__)
INIT_TIMEOUT_S = 10.0  # Lambda's limit on the init phase of an on-demand function


@dataclass
class Outcome:
    """How one invocation ended. ``kind``: ok, error, timeout, oom, exit."""

    kind: str
    payload: bytes = b""
    error_type: str | None = None
    duration_ms: float = 0.0
    max_memory_mb: int = 0


class InitFailed(Exception):
    """The worker could not initialise (``error_type`` as the runtime reported it)."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type


def _peak_rss_mib(status_fd: int) -> int:
    """Peak resident set (``VmHWM``) in MiB from an open ``/proc/PID/status``; 0 once gone.

    ``pread`` on a descriptor kept open costs a third of open+read+close (~20 vs ~60 us).
    """
    try:
        data = os.pread(status_fd, 8192, 0)
        start = data.index(b"VmHWM:") + 6
        return int(data[start : data.index(b"kB", start)]) // 1024
    except (OSError, ValueError):
        return 0


class Environment:
    """A worker process behind its own Runtime API socket."""

    def __init__(
        self,
        spec: FunctionSpec,
        runtime: Path,
        *,
        poll_s: float = 0.01,
        init_timeout_s: float = INIT_TIMEOUT_S,
        clock: Callable[[], float] = time.perf_counter,
        command: Callable[[FunctionSpec, Path], list[str]] = worker_command,
        tmp_parent: Path | None = None,
    ) -> None:
        self.spec, self._runtime, self._poll_s, self._clock = spec, runtime, poll_s, clock
        self._command, self._init_timeout_s = command, init_timeout_s
        self._tmp_parent = tmp_parent
        self.alive = False
        self.log_stream = log_stream_name()  # its CloudWatch Logs stream, as on Lambda
        self.init_ms = 0.0
        self.last_used = 0.0
        self._process: asyncio.subprocess.Process | None = None
        self._server: asyncio.AbstractServer | None = None
        self._tmp: Path | None = None
        self._waiting: RuntimeApiProtocol | None = None
        self._ready: asyncio.Future[None] | None = None
        self._result: tuple[str | None, bytes] | None = None  # (error type, body) of _request_id
        self._wake: asyncio.Future[None] | None = None  # what invoke awaits: next, result, exit
        self._request_id = ""
        self._exited: asyncio.Task[int] | None = None
        self._output: OutputPipe | None = None
        self._fn_log = logging.getLogger(f"router.lambda_runtime.function.{spec.name}")
        self._log_extra = {"lambda_log_group": spec.log_group, "lambda_log_stream": self.log_stream}
        self.before_output: Callable[[], None] | None = None  # once, before an invoke's lines
        self._status_fd = -1

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def tmp(self) -> Path | None:
        """The environment's private temp directory (its ``TMPDIR``) while it exists."""
        return self._tmp

    async def start(self) -> None:
        """Spawn the worker; return when its handler is loaded (or raise InitFailed).

        A start that fails in any way (spawn error, init error, cancellation) leaves
        nothing behind: no process, no socket, no temp directory."""
        try:
            await self._start()
        except BaseException:
            await self.kill()
            raise

    async def _start(self) -> None:
        loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        start = self._clock()
        self._server = await loop.create_server(lambda: RuntimeApiProtocol(self), "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self._tmp = private_tmp(self.spec.name, self._tmp_parent)
        self._output = OutputPipe()
        self._process = await asyncio.create_subprocess_exec(
            *self._command(self.spec, self._runtime),
            env=worker_env(
                self.spec, f"127.0.0.1:{port}", self._tmp, self._runtime, self.log_stream
            ),
            cwd=self.spec.code_dir,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._output.write_fd,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        self._output.close_writer()
        self._exited = loop.create_task(self._process.wait())
        self._exited.add_done_callback(lambda _: self._signal())
        self._status_fd = os.open(f"/proc/{self._process.pid}/status", os.O_RDONLY)
        await self._await_ready()
        self.flush_output()
        self.init_ms = (self._clock() - start) * 1000
        self.alive = True

    async def _await_ready(self) -> None:
        assert self._ready is not None and self._exited is not None
        await asyncio.wait(
            (self._ready, self._exited), timeout=self._init_timeout_s, return_when="FIRST_COMPLETED"
        )
        if self._ready.done() and self._ready.exception() is None:
            return
        error = self._ready.exception() if self._ready.done() else None
        exited = self._exited.done()
        await self.kill()
        if isinstance(error, InitFailed):
            raise error
        if not exited:
            raise InitFailed("Runtime.InitTimeout", f"init over {self._init_timeout_s:g} s")
        raise InitFailed("Runtime.ExitError", "the runtime exited before it was ready")

    async def invoke(self, request_id: str, event: bytes, timeout: float, trace_id: str) -> Outcome:
        """Run one event; the environment is dead afterwards unless the outcome is ok/error."""
        assert self.alive
        start = self._clock()
        self._request_id, self._result = request_id, None
        waiting = self._waiting or await self._next_request(start + timeout)
        if waiting is None:
            outcome = Outcome("exit" if self._exited_now() else "timeout")
        else:
            self._waiting = None
            deadline_ms = int((time.time() + timeout) * 1000)
            waiting.answer(next_answer(request_id, deadline_ms, self.spec.arn, trace_id, event))
            outcome = await self._wait(start + timeout)
        outcome.duration_ms = (self._clock() - start) * 1000
        self.last_used = self._clock()
        if outcome.kind not in ("ok", "error"):
            await self.kill()
        return outcome

    async def _next_request(self, deadline: float) -> RuntimeApiProtocol | None:
        """Wait for the runtime's next ``/invocation/next`` (it follows each response)."""
        while self._waiting is None and not self._exited_now():
            left = deadline - self._clock()
            if left <= 0:
                break
            await self._signalled(left)
        return self._waiting

    async def _signalled(self, timeout: float) -> None:
        """Until ``_signal`` (a ``next``, this invocation's result, the worker's exit) or
        ``timeout`` s. One future and one timer: ``asyncio.wait`` on two futures costs
        several times that on every invoke."""
        loop = asyncio.get_running_loop()
        wake = self._wake = loop.create_future()
        timer = loop.call_later(timeout, _wake_up, wake)
        try:
            await wake
        finally:
            timer.cancel()
            self._wake = None

    def _signal(self) -> None:
        _wake_up(self._wake)

    def _exited_now(self) -> bool:
        return self._exited is not None and self._exited.done()

    async def _wait(self, deadline: float) -> Outcome:
        while True:
            left = deadline - self._clock()
            if left <= 0:
                return Outcome("timeout")
            if self._result is None and not self._exited_now():
                await self._signalled(min(left, self._poll_s))
            peak = _peak_rss_mib(self._status_fd)
            if peak > self.spec.memory_mb:
                return Outcome("oom", error_type="Runtime.OutOfMemory", max_memory_mb=peak)
            if self._result is not None:
                error_type, body = self._result
                kind = "ok" if error_type is None else "error"
                return Outcome(kind, body, error_type, max_memory_mb=peak)
            if self._exited_now():
                return Outcome("exit", error_type="Runtime.ExitError", max_memory_mb=peak)

    async def kill(self) -> None:
        """SIGKILL the worker's process group, close its socket, remove its temp dir
        (every end goes through here: reaped, timed out, out of memory, crashed, init
        failed, retired, shut down). Idempotent."""
        self.alive = False
        process, self._process = self._process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        if self._output is not None:
            self._emit(self._output.close())
            self._output = None
        if self._server is not None:
            self._server.close()
        if self._waiting is not None:
            self._waiting.close()
        if self._status_fd >= 0:
            os.close(self._status_fd)
            self._status_fd = -1
        tmp, self._tmp = self._tmp, None
        if tmp is not None:
            remove_tree(tmp)  # whatever modes the handler gave its files

    # Channel: called by the Runtime API protocol
    def on_next(self, waiting: RuntimeApiProtocol) -> None:
        self._waiting = waiting
        self._signal()
        if self._ready is not None and not self._ready.done():
            self._ready.set_result(None)

    def on_result(self, request_id: str, body: bytes, error_type: str | None) -> None:
        if self._result is None and request_id == self._request_id:
            self._result = (error_type, body)
            self._signal()

    def on_init_error(self, body: bytes, error_type: str | None) -> None:
        message = _error_message(body)
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(InitFailed(error_type or "Runtime.Unknown", message))

    def flush_output(self) -> None:
        """Log what the worker printed since the last flush (``before_output`` first)."""
        if self._output is not None:
            self._emit(self._output.drain())

    def _emit(self, lines: list[str]) -> None:
        if not lines or not self._fn_log.isEnabledFor(logging.INFO):
            return
        if self.before_output is not None:
            self.before_output()
            self.before_output = None
        for line in lines:
            self._fn_log.info("%s", line, extra=self._log_extra)


def _wake_up(wake: asyncio.Future[None] | None) -> None:
    if wake is not None and not wake.done():
        wake.set_result(None)


def _error_message(body: bytes) -> str:
    try:
        doc = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")
    return str(doc.get("errorMessage", doc)) if isinstance(doc, dict) else str(doc)
