"""The gateway's side of the reload helper process (``router.gateway._build_main``).

``SnapshotBuilder.build(path)`` asks the helper for the packed snapshot of the manifest
at ``path`` and awaits the answer on the event loop (non-blocking pipe reads; the
answer is a few hundred KB of pickled chunks, unpickled here in well under a
millisecond). The helper is started on first use (``start`` starts it early), in the
gateway's process group (whoever stops the group stops it too); it ignores SIGINT (the
gateway decides when it ends) and exits at EOF on its stdin, so it also ends when the
gateway is killed.

Failures never hang the gateway and never install anything: a manifest error comes
back as a ``StranglerError`` carrying the helper's message; a helper that dies is
replaced and asked once more (``ProcessError`` if the new one dies too); one that
answers nothing within ``timeout_s`` is killed (``ProcessError``; the next build starts
a fresh one). ``close`` closes its stdin, waits ``CLOSE_GRACE_S`` and kills it.
This module must not parse manifests or touch the gateway's snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path

from router.errors import ProcessError, StranglerError
from router.gateway._build_main import FRAME
from router.gateway.packed import PackedSnapshot

__all__ = ["BUILD_TIMEOUT_S", "CLOSE_GRACE_S", "HELPER_COMMAND", "SnapshotBuilder"]

log = logging.getLogger(__name__)

BUILD_TIMEOUT_S = 60.0  # a 5,000-route manifest takes about 1 s of CPU
CLOSE_GRACE_S = 0.5  # it holds no state: a helper still importing is killed
HELPER_COMMAND = (sys.executable, "-m", "router.gateway._build_main")
_Process = asyncio.subprocess.Process


class _HelperDied(Exception):
    """The helper's pipes closed before it answered."""


class SnapshotBuilder:
    """One long-lived helper process that turns manifest files into packed snapshots."""

    def __init__(
        self,
        *,
        legacy_url: str | None = None,
        timeout_s: float = BUILD_TIMEOUT_S,
        command: Sequence[str] = HELPER_COMMAND,
    ) -> None:
        self._legacy_url = legacy_url
        self._timeout_s = timeout_s
        self._command = tuple(command)
        self._process: _Process | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def start(self) -> None:
        """Start the helper now, if it is not running (``build`` would start it);
        ProcessError if it cannot be started."""
        if self._process is not None and self._process.returncode is None:
            return
        try:
            self._process = await asyncio.create_subprocess_exec(
                *self._command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=1 << 20,
            )
        except OSError as exc:
            raise ProcessError(f"the reload helper did not start: {exc}") from exc

    async def build(self, path: Path) -> PackedSnapshot:
        """The packed snapshot of ``path``; StranglerError (logged by the caller) if not."""
        try:
            return await self._ask(path)
        except _HelperDied:
            log.warning("the reload helper died; starting a new one")
            await self.close()
        try:
            return await self._ask(path)
        except _HelperDied as exc:
            await self.close()
            raise ProcessError("the reload helper died twice while building") from exc

    async def close(self, grace: float = CLOSE_GRACE_S) -> None:
        """Stop the helper: EOF on its stdin, then SIGKILL after ``grace`` seconds."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()

    async def _ask(self, path: Path) -> PackedSnapshot:
        await self.start()
        process = self._process
        assert process is not None and process.stdin and process.stdout
        request = pickle.dumps((str(path), self._legacy_url))
        try:
            process.stdin.write(FRAME.pack(len(request)) + request)
            await process.stdin.drain()
            reply = await asyncio.wait_for(_read_frame(process.stdout), self._timeout_s)
        except (BrokenPipeError, ConnectionResetError, asyncio.IncompleteReadError) as exc:
            raise _HelperDied from exc
        except TimeoutError:
            await self.close(grace=0.0)
            message = f"the reload helper did not answer in {self._timeout_s:g} s; killed it"
            raise ProcessError(message) from None
        return _result(reply)


async def _read_frame(stream: asyncio.StreamReader) -> bytes:
    (size,) = FRAME.unpack(await stream.readexactly(FRAME.size))
    return await stream.readexactly(size)


def _result(reply: bytes) -> PackedSnapshot:
    status, value = pickle.loads(reply)
    if status != "ok":
        raise StranglerError(str(value))
    if not isinstance(value, PackedSnapshot):
        raise ProcessError(f"the reload helper answered {type(value).__name__}")
    return value
