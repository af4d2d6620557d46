"""Supervise one local server process: start it, wait until it answers HTTP, stop it.

A ``ManagedProcess`` runs in its own session and process group (so a terminal's
Ctrl-C reaches only the supervisor, which stops children in order), writes its
output to a log file, and is stopped with SIGTERM to the whole group, then SIGKILL
after a timeout. Readiness is an HTTP poll with a deadline; on failure the error
shows the last lines of the process's output. A server started on port 0 binds a
port of the OS's choice and names it in its output (``announce``): no other process
can take that port between a pick and the bind, as one picked by ``free_port`` can.

This module must not know what the processes are (see ``router.local.stack``), and
must not change ``os.environ`` or signal handlers.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx

from router.errors import ProcessError

__all__ = [
    "LOCALHOST",
    "ManagedProcess",
    "ProcessError",
    "free_port",
    "group_pids",
    "http_status",
    "pid_alive",
    "port_in_use",
]

LOCALHOST = "127.0.0.1"
TAIL_LINES = 30


def free_port(host: str = LOCALHOST) -> int:
    """A TCP port nobody listens on right now (the OS's choice).

    Another process may take it before the caller binds it: prefer starting a server
    on port 0 with ``ManagedProcess(announce=...)``.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = LOCALHOST) -> bool:
    """True when a server could not bind ``host:port`` (someone listens there)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def http_status(url: str, timeout_s: float = 1.0) -> int | None:
    """The status of ``GET url``, or None when nothing answers."""
    try:
        return httpx.get(url, timeout=timeout_s).status_code
    except httpx.HTTPError:
        return None


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    state = _proc_state(pid)
    if state is not None:
        return state != "Z"
    if Path("/proc").is_dir():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def group_pids(pgid: int) -> list[int]:
    """Live (non-zombie) members of process group ``pgid``; [] where /proc is missing."""
    members = []
    for entry in Path("/proc").glob("[0-9]*"):
        fields = _proc_stat(int(entry.name))
        if fields is not None and fields[2] == str(pgid) and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _proc_stat(pid: int) -> list[str] | None:
    """``state ppid pgrp ...`` of /proc/PID/stat (after the command name)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def _proc_state(pid: int) -> str | None:
    fields = _proc_stat(pid)
    return None if fields is None else fields[0]


def _status_ok(status: int) -> bool:
    return 200 <= status < 300


class ManagedProcess:
    """One server subprocess in its own process group; a context manager.

    ``with ManagedProcess(...) as proc:`` starts it and waits until ``ready_url``
    answers with a status ``ready`` accepts; leaving the block stops it. With
    ``announce`` (a pattern whose group 1 is the port the server bound, found in its
    output), ``ready_url`` holds ``{port}`` until that line appears; ``port`` is then set.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        ready_url: str,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        ready: Callable[[int], bool] = _status_ok,
        log_path: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        probe: Callable[[str], int | None] = http_status,
        announce: re.Pattern[str] | None = None,
    ) -> None:
        self.name, self.argv, self.ready_url = name, tuple(argv), ready_url
        self.port: int | None = None
        self._announce = announce
        self._env, self._cwd, self._ready = env, cwd, ready
        self._clock, self._sleep, self._probe = clock, sleep, probe
        self._owns_log = log_path is None
        self.log_path = log_path or _temp_log(name)
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopped = False

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def returncode(self) -> int | None:
        return None if self._proc is None else self._proc.poll()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> ManagedProcess:
        """Launch the process (in a new session, output to ``log_path``)."""
        if self._proc is not None:
            raise ProcessError(f"{self.name} was already started")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=None if self._env is None else dict(self._env),
                cwd=self._cwd,
                start_new_session=True,
            )
        return self

    def wait_ready(self, timeout_s: float = 30.0, poll_s: float = 0.05) -> None:
        """Poll ``ready_url`` until accepted; ProcessError (with output) on exit or deadline."""
        deadline = self._clock() + timeout_s
        while self._clock() < deadline:
            if not self.running:
                raise self._failure(f"exited with code {self.returncode} before it was ready")
            status = self._probe(self.ready_url) if self._announced() else None
            if status is not None and self._ready(status):
                return
            self._sleep(poll_s)
        raise self._failure(f"not ready at {self.ready_url} within {timeout_s:.0f} s")

    def stop(self, timeout_s: float = 10.0) -> int | None:
        """SIGTERM the group, wait, SIGKILL what is left; returns the exit code.

        A group whose leader was reaped and that has no member left is not signalled:
        its id is free, and another process may already lead a group of that id.
        """
        proc = self._proc
        if proc is None or self._stopped:
            return None if proc is None else proc.returncode
        self._stopped = True
        if proc.poll() is None or group_pids(proc.pid):  # else the id may be reused by now
            self._signal_group(signal.SIGTERM)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            proc.wait()
        self._reap_group(min(timeout_s, 5.0))
        if self._owns_log:
            self.log_path.unlink(missing_ok=True)
        return proc.returncode

    def tail(self, lines: int = TAIL_LINES) -> str:
        """The last ``lines`` lines of the process's output."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def launch(self, timeout_s: float = 30.0) -> ManagedProcess:
        """``start`` and ``wait_ready``; stops the process when it does not become ready."""
        self.start()
        try:
            self.wait_ready(timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def __enter__(self) -> ManagedProcess:
        return self.launch()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _announced(self) -> bool:
        """True once the port is known: fixed, or named by the process's output."""
        if self._announce is None or self.port is not None:
            return True
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
        match = self._announce.search(text)
        if match is None:
            return False
        self.port = int(match.group(1))
        self.ready_url = self.ready_url.format(port=self.port)
        return True

    def _failure(self, what: str) -> ProcessError:
        output = self.tail() or "(no output)"
        return ProcessError(
            f"{self.name} {what}; its last output:\n{output}",
            hint=f"command: {' '.join(self.argv)}",
        )

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self._proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, sig)

    def _reap_group(self, timeout_s: float) -> None:
        """Wait for members that outlived the leader; SIGKILL them at the deadline."""
        assert self._proc is not None
        deadline = self._clock() + timeout_s
        while group_pids(self._proc.pid):
            if self._clock() >= deadline:
                self._signal_group(signal.SIGKILL)
                return
            self._sleep(0.05)


def _temp_log(name: str) -> Path:
    handle, path = tempfile.mkstemp(prefix=f"strangler-{name}-", suffix=".log")
    os.close(handle)
    return Path(path)
