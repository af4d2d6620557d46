"""Acceptance of the local Lambda runtime through ``migrate serve`` (its default mode):
one gateway process for the module, real worker processes, loopback HTTP.

* a handler importing a package its function does not declare answers 502 with
  ``Runtime.ImportModuleError``, although the gateway's own venv has that package;
  declaring it (requirements + lock) fixes it, without a restart;
* a Flask 2.0 lambdalith (apig-wsgi) runs beside the toolkit's Flask 3;
* 20 hung handlers leave another Lambda route at its normal latency;
* 20 calls of a handler leaking 20 MiB leave the gateway's RSS flat;
* ``os._exit(1)`` costs one 502, then the route serves as usual;
* a code change starts fresh environments while the in-flight request finishes on
  the old one;
* SIGTERM with hung handlers: the gateway exits within its grace, its workers gone.

The tests share the gateway (cold starts cost ~0.3-1 s each) and run in file order.
"""

from __future__ import annotations

import contextlib
import importlib.metadata as metadata
import json
import os
import re
import shutil
import signal
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from router.local import ManagedProcess, child_env
from tests.e2e.lambda_runtime.test_serve_isolated import _children
from tests.helpers.build import make_wheel, write_lock
from tests.helpers.e2e import write_manifest

pytestmark = pytest.mark.e2e

HANDLERS = Path(__file__).resolve().parents[1] / "lambda_handlers"
GRACE_S = 2.0
HUNG = 20
FNS = """\
import json, os, threading, time
from pathlib import Path

KEPT = []


def echo(event, context):
    return {"statusCode": 200, "body": json.dumps({"pid": os.getpid()})}


def hang(event, context):
    Path(os.environ["MARK_DIR"], context.aws_request_id).touch()
    threading.Event().wait()


def leak(event, context):
    KEPT.append(bytearray(20 * 1024 * 1024))  # touched: resident
    return {"statusCode": 200, "body": str(len(KEPT))}


def exit_process(event, context):
    os._exit(1)
"""
VERSIONED = """\
import json, os, time
from pathlib import Path

VERSION = {version}


def handler(event, context):
    Path(os.environ["MARK_DIR"], "versioned-" + context.aws_request_id).touch()
    time.sleep(float((event["queryStringParameters"] or {{}}).get("s", "0")))
    return {{"statusCode": 200, "body": json.dumps({{"version": VERSION, "pid": os.getpid()}})}}
"""
NEEDS = """\
import filelock  # in the gateway's venv, not in this function's layer until declared


def handler(event, context):
    return {"statusCode": 200, "body": filelock.MARKER}
"""


def _route(rid: str, function: str, **extra: object) -> dict[str, object]:
    return {"id": rid, "method": "GET", "path": f"/{rid}", "target": "lambda",
            "function": function, **extra}  # fmt: skip


@dataclass
class Gateway:
    proc: ManagedProcess
    base: str
    root: Path
    marks: Path
    wheelhouse: Path

    def get(self, path: str, timeout: float = 60) -> httpx.Response:
        return httpx.get(self.base + path, timeout=timeout)

    def log(self) -> str:
        assert self.proc.log_path is not None
        return self.proc.log_path.read_text()


def _project(tmp: Path) -> tuple[Path, Path, Path]:
    marks, wheels = tmp / "marks", tmp / "wheels"
    for directory in (marks, wheels, tmp / "fns", tmp / "needs"):
        directory.mkdir()
    for package in ("fns", "needs"):
        (tmp / package / "__init__.py").write_text("")
    (tmp / "fns" / "handlers.py").write_text(FNS)
    (tmp / "fns" / "versioned.py").write_text(VERSIONED.format(version=1))
    (tmp / "needs" / "app.py").write_text(NEEDS)
    shutil.copytree(HANDLERS / "flask2" / "oldapp", tmp / "oldapp")
    env = {"MARK_DIR": str(marks)}
    routes = [
        _route("echo", "fns.handlers.echo"),
        _route("hang", "fns.handlers.hang", timeout=29, reserved_concurrency=HUNG,
               environment=env),
        _route("leak", "fns.handlers.leak", memory=1024),
        _route("exit", "fns.handlers.exit_process"),
        _route("versioned", "fns.versioned.handler", environment=env),
        _route("needs", "needs.app.handler"),
        {"id": "old", "method": "GET", "path": "/old/{name}", "target": "lambda",
         "function": "oldapp.app.handler"},
    ]  # fmt: skip
    write_manifest(tmp, "http://127.0.0.1:9", routes)
    return tmp / "migration.yaml", marks, wheels


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("runtime_acceptance")
    manifest, marks, wheels = _project(tmp)
    argv = [sys.executable, "-m", "migrate_cli", "serve", "--port", "0", "--manifest",
            str(manifest), "--grace", str(GRACE_S)]  # fmt: skip
    env = child_env(PIP_FIND_LINKS=str(wheels), MIGRATE_TELEMETRY="off")
    proc = ManagedProcess(
        "gateway", argv, "http://127.0.0.1:{port}/health", cwd=tmp, env=env,
        ready=lambda status: True, log_path=tmp / "gateway.log",
        announce=re.compile(r"gateway listening on http://127\.0\.0\.1:(\d+)"),
    )  # fmt: skip
    proc.launch(300)  # the first run installs the Flask 2 layer
    try:
        yield Gateway(proc, f"http://127.0.0.1:{proc.port}", tmp, marks, wheels)
    finally:
        proc.stop()


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _wait(check: object, what: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.1)


def test_an_undeclared_package_fails_the_import_until_declared(gateway: Gateway) -> None:
    missing = gateway.get("/needs")
    assert missing.status_code == 502 and missing.json() == {"message": "Internal server error"}
    assert "Runtime.ImportModuleError" in gateway.log()
    assert "No module named 'filelock'" in gateway.log()  # though the gateway's venv has it
    wheel = make_wheel(gateway.wheelhouse, "filelock", "0.0.1", "MARKER = 'from the layer'\n")
    source = gateway.root / "needs" / "requirements.txt"
    source.write_text("filelock==0.0.1\n")
    write_lock(source, wheel)  # declared: the runtime re-packs and builds the layer

    def fixed() -> bool:
        answer = gateway.get("/needs")
        return answer.status_code == 200 and answer.text == "from the layer"

    _wait(fixed, "the declared package imported", within=90)


def test_a_flask_2_lambdalith_runs_beside_the_toolkits_flask_3(gateway: Gateway) -> None:
    answer = gateway.get("/old/ada?q=1")
    assert answer.status_code == 200, gateway.log()[-3000:]
    assert answer.json() == {"name": "ada", "q": "1", "flask": "2.0.3", "werkzeug": "2.0.3"}
    assert int(metadata.version("flask").split(".")[0]) >= 3  # the toolkit's own


def _p50(gateway: Gateway, path: str, n: int = 15) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        assert gateway.get(path).status_code == 200
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_hung_handlers_leave_other_routes_at_normal_latency(gateway: Gateway) -> None:
    normal = _p50(gateway, "/echo")
    with ThreadPoolExecutor(HUNG) as pool:
        hung = [pool.submit(gateway.get, "/hang", 90) for _ in range(HUNG)]
        _wait(lambda: len(list(gateway.marks.iterdir())) >= HUNG, f"{HUNG} hung handlers", 120)
        during = _p50(gateway, "/echo")
        assert not any(f.done() for f in hung)
        assert during < normal * 3 + 0.025, (normal, during)
        assert gateway.get("/hang").status_code == 500  # the 21st is throttled
        statuses = [f.result().status_code for f in hung]
    assert statuses == [504] * HUNG  # killed at the route's timeout, not the gateway


def test_a_leaking_handler_leaves_the_gateway_rss_flat(gateway: Gateway) -> None:
    assert gateway.proc.pid is not None
    assert gateway.get("/leak").text == "1"  # the environment started
    before = _rss_kib(gateway.proc.pid)
    answers = [gateway.get("/leak").text for _ in range(20)]
    assert answers[-1] == "21"  # one warm environment kept every block
    grown = _rss_kib(gateway.proc.pid) - before
    assert grown < 10 * 1024, f"the gateway grew {grown} KiB over 400 MiB of leaks"


def test_os_exit_costs_one_request(gateway: Gateway) -> None:
    assert gateway.get("/exit").status_code == 502
    assert "Runtime.ExitError" in gateway.log()
    assert gateway.get("/echo").status_code == 200


def test_a_code_change_gets_fresh_environments(gateway: Gateway) -> None:
    first = gateway.get("/versioned").json()
    assert first["version"] == 1
    in_flight: list[httpx.Response] = []
    slow = threading.Thread(target=lambda: in_flight.append(gateway.get("/versioned?s=4")))
    started = len(list(gateway.marks.glob("versioned-*")))
    slow.start()
    _wait(lambda: len(list(gateway.marks.glob("versioned-*"))) > started, "the slow call")
    (gateway.root / "fns" / "versioned.py").write_text(VERSIONED.format(version=2))
    _wait(lambda: gateway.get("/versioned").json()["version"] == 2, "the new code served")
    slow.join(30)
    assert json.loads(in_flight[0].text) == {"version": 1, "pid": first["pid"]}
    _wait(lambda: not Path(f"/proc/{first['pid']}").exists(), "the old environment stopped", 10)


def test_sigterm_with_hung_handlers_exits_within_the_grace(gateway: Gateway) -> None:
    pid = gateway.proc.pid
    assert pid is not None

    def call() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the gateway goes away under it
            gateway.get("/hang", 60)

    hung = [threading.Thread(target=call, daemon=True) for _ in range(3)]
    before = len(list(gateway.marks.iterdir()))
    for thread in hung:
        thread.start()
    _wait(lambda: len(list(gateway.marks.iterdir())) >= before + 3, "3 hung handlers")
    workers = _children(pid)
    sent = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    _wait(lambda: not gateway.proc.running, "the gateway's exit", GRACE_S + 5)
    assert time.monotonic() - sent < GRACE_S + 2.0
    assert not [w for w in workers if Path(f"/proc/{w}").exists()]
