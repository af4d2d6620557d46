"""ManagedProcess and the stack helpers, with tiny ``python -c`` servers."""

from __future__ import annotations

import os
import re
import socket
import sys
import textwrap
from pathlib import Path

import pytest

from router.local import (
    LEGACY_URL_ENV,
    LocalStack,
    ManagedProcess,
    ProcessError,
    StackConfig,
    child_env,
    free_port,
    group_pids,
    http_status,
    local_aws_env,
    pid_alive,
    port_in_use,
)
from router.local.stack import SOURCE_ROOT
from tests.helpers.polling import wait_until

SERVER = textwrap.dedent(
    """
    import http.server, subprocess, sys
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")
        def log_message(self, *args):
            pass
    if "--child" in sys.argv:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        print("child", child.pid, flush=True)
    if "--ignore-term" in sys.argv:
        import signal
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    print("serving at http://127.0.0.1:%d" % server.server_port, flush=True)
    server.serve_forever()
    """
)


ANNOUNCE = re.compile(r"serving at http://127\.0\.0\.1:(\d+)")


def server(*flags: str) -> ManagedProcess:
    """A tiny server on a port it binds itself (port 0), found from its output."""
    argv = [sys.executable, "-c", SERVER, "0", *flags]
    return ManagedProcess("tiny", argv, "http://127.0.0.1:{port}/", announce=ANNOUNCE)


def test_ready_then_stopped_with_nothing_left() -> None:
    with server() as proc:
        assert proc.running and proc.pid is not None
        pid = proc.pid
        assert "serving" in proc.tail()
    assert not pid_alive(pid)
    assert group_pids(pid) == []
    assert proc.returncode == -15


def test_stop_kills_the_whole_process_group() -> None:
    with server("--child") as proc:
        assert proc.pid is not None
        pgid = proc.pid
        match = re.search(r"child (\d+)", proc.tail())
        assert match is not None
        child = int(match.group(1))
        assert pid_alive(child)
    assert not pid_alive(child)
    assert group_pids(pgid) == []


def test_a_server_on_port_0_is_found_at_the_port_it_names() -> None:
    with server() as proc:
        assert proc.port is not None and proc.port > 0
        assert proc.ready_url == f"http://127.0.0.1:{proc.port}/"
        assert http_status(proc.ready_url) == 200


def test_sigkill_after_the_timeout_when_sigterm_is_ignored() -> None:
    proc = server("--ignore-term").launch(timeout_s=10)
    assert proc.stop(timeout_s=0.3) == -9


def test_early_exit_shows_the_last_output() -> None:
    argv = [sys.executable, "-c", "print('boom: no database'); raise SystemExit(3)"]
    proc = ManagedProcess("broken", argv, "http://127.0.0.1:{port}/", announce=ANNOUNCE)
    with pytest.raises(ProcessError, match=r"broken exited with code 3") as caught:
        proc.launch(timeout_s=10)
    assert "boom: no database" in caught.value.message
    assert not proc.running


def test_deadline_with_injected_clock_shows_output(tmp_path: Path) -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    argv = [
        sys.executable,
        "-c",
        "print('still starting', flush=True); import time; time.sleep(30)",
    ]
    proc = ManagedProcess(
        "slow",
        argv,
        "http://127.0.0.1:9/",
        log_path=tmp_path / "slow.log",
        clock=lambda: now[0],
        sleep=sleep,
        probe=lambda url: 503,
    )
    proc.start()
    try:
        _wait_for_output(proc)
        with pytest.raises(
            ProcessError, match=r"not ready at http://127\.0\.0\.1:9/ within 2 s"
        ) as e:
            proc.wait_ready(timeout_s=2.0)
    finally:
        proc.stop()
    assert "still starting" in e.value.message
    assert now[0] == pytest.approx(2.0)
    assert not proc.running


def _wait_for_output(proc: ManagedProcess) -> None:
    wait_until(proc.tail, "output of the process")


def test_a_failed_launch_leaves_no_process(tmp_path: Path) -> None:
    proc = ManagedProcess(
        "never-ready", [sys.executable, "-c", "import time; time.sleep(30)"], "http://x/",
        probe=lambda url: None,
    )  # fmt: skip
    with pytest.raises(ProcessError):
        proc.launch(timeout_s=0.2)
    assert not proc.running


def test_port_in_use_and_free_port() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert port_in_use(port)
    assert not port_in_use(free_port())


def test_child_env_can_import_the_project_and_keeps_the_base() -> None:
    env = child_env({"PYTHONPATH": "elsewhere", "KEEP": "1"}, EXTRA="2")
    assert env["PYTHONPATH"].split(os.pathsep) == [str(SOURCE_ROOT), "elsewhere"]
    assert (env["KEEP"], env["EXTRA"], env["PYTHONUNBUFFERED"]) == ("1", "2", "1")
    assert (SOURCE_ROOT / "router" / "local" / "stack.py").is_file()


def test_local_aws_env_uses_dummy_credentials_and_drops_the_profile() -> None:
    base = {"AWS_PROFILE": "prod", "AWS_ACCESS_KEY_ID": "AKIAREAL", "HOME": "/h"}
    env = local_aws_env("http://127.0.0.1:5001", "eu-west-1", base)
    assert "AWS_PROFILE" not in env
    assert env["AWS_ACCESS_KEY_ID"] == "testing"
    assert (env["AWS_ENDPOINT_URL"], env["AWS_REGION"]) == ("http://127.0.0.1:5001", "eu-west-1")
    assert base["AWS_ACCESS_KEY_ID"] == "AKIAREAL" and env["HOME"] == "/h"


def test_stack_gives_the_gateway_the_monolith_and_moto_urls(tmp_path: Path) -> None:
    config = StackConfig(manifest=tmp_path / "m.yaml", legacy_port=5100, moto_port=5101)
    stack = LocalStack(config, env={"AWS_PROFILE": "prod"})
    env = stack.gateway_env()
    assert env[LEGACY_URL_ENV] == "http://127.0.0.1:5100"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5101"
    assert "AWS_PROFILE" not in env
    assert stack.urls.gateway == "http://127.0.0.1:8080"


def test_stack_gives_the_gateway_the_monolith_database(tmp_path: Path) -> None:
    """Lambda workers run in their code directory: the default database is made absolute."""
    config = StackConfig(manifest=tmp_path / "m.yaml")
    default = LocalStack(config, env={}).gateway_env()["DATABASE_URL"]
    assert default == f"sqlite:///{(tmp_path / 'var' / 'legacy.db').as_posix()}"
    shell = LocalStack(config, env={"DATABASE_URL": "postgresql://db/x"}).gateway_env()
    assert shell["DATABASE_URL"] == "postgresql://db/x"
    given = StackConfig(manifest=tmp_path / "m.yaml", database_url="sqlite:///given.db")
    assert LocalStack(given, env={}).gateway_env()["DATABASE_URL"] == "sqlite:///given.db"
