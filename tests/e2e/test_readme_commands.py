"""Every ``migrate ...`` line of the README's ```bash blocks runs, in README order.

The lines are read from README.md when the test runs, so a command added to the
README later is covered too. They run in a scratch project (a copy of
``migrated_functions``, which ``--apply`` packages; the first line is the README's own
``migrate init`` of ``legacy_app``) with ``AWS_ENDPOINT_URL`` on the session's moto
server and the monolith under gunicorn on a free port. Once ``init`` has written the
manifest, a ``migrate serve`` on it carries light traffic (about 100 requests/s) for
the rest of the run, as the README's other shell would: ``shadow``, ``baseline`` and
``compare`` then see real requests and access logs.

Every line runs verbatim except for the rewrites below, each listed here:

* ``[--opt ...]`` is the README's notation for an optional part: the line runs
  once without its optional parts and once with all of them.
* ``SUBSTITUTIONS``: the fixed ports of the examples become free ports (other
  servers may hold 5000/5001/8080 on this machine), and waits that would take
  minutes (``--duration 5m``, ``--interval 2m``) become seconds. ``--window 30m``
  is a look-back, not a wait, and runs as written.
* ``LONG_RUNNING`` commands (``up``, ``serve``) serve until Ctrl-C: each is started,
  must become ready (the gateway answers HTTP; ``up`` prints ``ready``), then gets
  SIGINT and must exit 0.

Commands run with a terminal on stdin that answers "y", as a user at a prompt would
(``--apply`` without ``--yes`` asks before changing API Gateway).

A line passes when it exits with an expected code (``EXPECTED_EXIT``: 0 unless the
README documents another outcome for the scratch project's state, e.g. ``compare``
is inconclusive, exit 3, without traffic) and prints no traceback.
"""

from __future__ import annotations

import os
import pty
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from router.local import child_env, free_port, local_aws_env, start_gateway, start_legacy
from tests.helpers.e2e import REGION

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
TRAFFIC_PATHS = ("/api/users/1", "/api/users/2", "/api/users/3", "/api/products")
_FENCE = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)
_OPTIONAL = re.compile(r"\s\[(--[^\]]+)\]")
_READY_S = 60.0

# (pattern, replacement) applied in order to every line; {legacy}, {port}, {legacy_port}
# and {moto_port} are filled per run.
SUBSTITUTIONS: list[tuple[str, str]] = [
    (r"http://127\.0\.0\.1:5000", "{legacy}"),
    (
        r"^migrate up(?= |$)",
        "migrate up --port {port} --legacy-port {legacy_port} --moto-port {moto_port}",
    ),
    (r"^(migrate serve .*)--port 8080", r"\1--port {port}"),
    (r"--duration 5m", "--duration 2s"),
    (r"--interval 2m", "--interval 1s"),
]
LONG_RUNNING = ("migrate up", "migrate serve")

# (command pattern, exit codes, why): the first match wins; lines matching none must exit 0.
EXPECTED_EXIT: list[tuple[str, frozenset[int], str]] = [
    (r"^migrate plan .*--detailed-exitcode", frozenset({0, 2}), "0 in sync, 2 changes"),
    (r"^migrate shadow ", frozenset({0, 1, 3}), "parity, mismatches (1), too few copies (3)"),
    (r"^migrate compare ", frozenset({0, 1, 3}), "pass, fail (1), too little traffic (3)"),
    (r"--steps |--resume", frozenset({0, 1, 3}), "passes, rolls back (1) or holds (3)"),
]


@dataclass(frozen=True)
class Outcome:
    line: str
    code: int | None
    output: str
    seconds: float = 0.0


def readme_commands(text: str) -> list[str]:
    """The ``migrate`` lines of the ```bash blocks, continuation lines joined."""
    lines: list[str] = []
    for block in _FENCE.findall(text):
        joined = re.sub(r"\s*\\\n\s*", " ", block)
        lines.extend(s.strip() for s in joined.splitlines() if s.strip().startswith("migrate "))
    return lines


def variants(line: str) -> list[str]:
    """The line without its ``[--optional]`` parts and, when it has some, with all of them."""
    minimal = " ".join(_OPTIONAL.sub("", line).split())
    full = " ".join(_OPTIONAL.sub(r" \1", line).split())
    return [minimal] if minimal == full else [minimal, full]


def substitute(line: str, values: dict[str, str]) -> str:
    command = shlex.join(shlex.split(line, comments=True))  # the README's "# ..." notes go
    for pattern, replacement in SUBSTITUTIONS:
        command = re.sub(pattern, replacement.format(**values), command)
    return command


def expected_codes(command: str) -> frozenset[int]:
    for pattern, codes, _why in EXPECTED_EXIT:
        if re.search(pattern, command):
            return codes
    return frozenset({0})


def test_readme_lines_are_extracted() -> None:
    sample = "x\n```bash\nmigrate a  # note\nmake b\nmigrate c \\\n    --d 1 [--e]\n```\n"
    assert readme_commands(sample) == ["migrate a  # note", "migrate c --d 1 [--e]"]
    both = ["migrate c --d 1", "migrate c --d 1 --e --f 2"]
    assert variants("migrate c --d 1 [--e] [--f 2]") == both
    values = {"legacy": "http://127.0.0.1:1", "port": "2", "legacy_port": "3", "moto_port": "4"}
    assert substitute('migrate x "GET /a/{id}" --duration 5m  # y', values) == (
        "migrate x 'GET /a/{id}' --duration 2s"
    )
    assert substitute("migrate up", values) == "migrate up --port 2 --legacy-port 3 --moto-port 4"
    assert substitute("migrate up --state s3://b/p", values) == (
        "migrate up --port 2 --legacy-port 3 --moto-port 4 --state s3://b/p"
    )


@pytest.mark.slow
@pytest.mark.timeout(900)  # ~60 commands; the first `--apply` builds the layer with pip
def test_every_readme_command_runs(tmp_path: Path, moto_server: str) -> None:
    httpx.post(f"{moto_server}/moto-api/reset", timeout=10).raise_for_status()
    shutil.copytree(ROOT / "migrated_functions", tmp_path / "migrated_functions",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    database = f"sqlite:///{(tmp_path / 'legacy.db').as_posix()}"
    env = child_env(local_aws_env(moto_server, REGION), MIGRATE_USER="readme")
    env["DATABASE_URL"] = database  # the handlers read the monolith's database
    lines = readme_commands(README.read_text(encoding="utf-8"))
    assert lines[0].startswith("migrate init "), "the README's first command must be its init"
    outcomes: list[Outcome] = []
    with ExitStack() as background:
        legacy_proc = start_legacy(free_port(), database, cwd=tmp_path, log_path=tmp_path / "l.log")
        background.callback(legacy_proc.stop)
        legacy = legacy_proc.ready_url.removesuffix("/health")
        for index, line in enumerate(lines):
            outcomes.extend(_run_line(v, tmp_path, env, legacy) for v in variants(line))
            if index == 0:  # the manifest exists: the other shell's gateway and its traffic
                background.enter_context(_gateway_traffic(tmp_path, env))
    failures = [o for o in outcomes if _failed(o)]
    timings = "\n".join(f"{o.seconds:5.1f} s  exit {o.code}  {o.line}" for o in outcomes)
    print(timings)  # shown with -s or on failure
    report = "\n\n".join(f"{o.line}\n  exit {o.code}\n{o.output[-3000:]}" for o in failures)
    assert not failures, report


def _run_line(line: str, cwd: Path, env: dict[str, str], legacy: str) -> Outcome:
    values = {"legacy": legacy, "port": str(free_port()),
              "legacy_port": str(free_port()), "moto_port": str(free_port())}  # fmt: skip
    command = substitute(line, values)
    run = _run_long if command.startswith(LONG_RUNNING) else _run
    start = time.monotonic()
    outcome = run(command, cwd, env)
    return Outcome(outcome.line, outcome.code, outcome.output, time.monotonic() - start)


@contextmanager
def _gateway_traffic(project: Path, env: dict[str, str]) -> Iterator[None]:
    """``migrate serve`` on the project's manifest and ~25 requests/s through it (at most
    10 minutes), both stopped when the block ends."""
    proc = start_gateway(free_port(), project / "migration.yaml", env, log_path=project / "g.log")
    gateway = proc.ready_url.removesuffix("/health")
    stop = threading.Event()

    def send() -> None:
        with httpx.Client(base_url=gateway, timeout=10) as client:
            for n in range(15_000):
                if stop.wait(0.04):
                    return
                client.get(TRAFFIC_PATHS[n % len(TRAFFIC_PATHS)])

    thread = threading.Thread(target=send, name="readme-traffic", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=15)
        proc.stop()


def _failed(outcome: Outcome) -> bool:
    if "Traceback (most recent call last)" in outcome.output:
        return True
    return outcome.code not in expected_codes(outcome.line)


def _argv(command: str) -> list[str]:
    return [sys.executable, "-m", "migrate_cli", *shlex.split(command)[1:]]


def _run(command: str, cwd: Path, env: dict[str, str]) -> Outcome:
    """Run to the end; stdin is a terminal that answers "y" to a confirmation prompt."""
    controller, terminal = pty.openpty()
    try:
        os.write(controller, b"y\n")
        done = subprocess.run(
            _argv(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
            stdin=terminal,
        )  # fmt: skip
    finally:
        os.close(terminal)
        os.close(controller)
    return Outcome(command, done.returncode, done.stdout + done.stderr)


def _run_long(command: str, cwd: Path, env: dict[str, str]) -> Outcome:
    """Start a serving command, wait until it is ready, Ctrl-C it, collect its exit."""
    log = cwd / f"long-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            _argv(command), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    try:
        ready = _wait(lambda: _is_ready(command, log), proc)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text(encoding="utf-8", errors="replace")
    return Outcome(command, code if ready else None, text)


def _is_ready(command: str, log: Path) -> bool:
    if command.startswith("migrate up"):
        return "ready; press Ctrl-C" in log.read_text(encoding="utf-8", errors="replace")
    port = shlex.split(command)[shlex.split(command).index("--port") + 1]
    try:
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
    except httpx.TransportError:
        return False
    return True


def _wait(ready: Callable[[], bool], proc: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + _READY_S
    while time.monotonic() < deadline and proc.poll() is None:
        if ready():
            return True
        time.sleep(0.1)
    return False
