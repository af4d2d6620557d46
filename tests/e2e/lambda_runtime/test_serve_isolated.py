"""``migrate serve --isolated`` end to end: a real gateway process, its worker processes,
loopback HTTP. The monolith is never called (every route is a Lambda route)."""

from __future__ import annotations

import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from router.lambda_runtime import runtime_dir
from router.local import free_port
from router.local.process import ManagedProcess
from tests.helpers.e2e import write_manifest

HANDLERS = Path(__file__).resolve().parents[1] / "lambda_handlers"
ROUTES = [
    {"id": "echo", "method": "GET", "path": "/echo", "target": "lambda",
     "function": "lambdas.fn.echo"},
    {"id": "flask", "method": "GET", "path": "/flask", "target": "lambda",
     "function": "lambdas.app.handler"},
    {"id": "exit", "method": "GET", "path": "/exit", "target": "lambda",
     "function": "lambdas.fn.exit_process"},
    {"id": "hang", "method": "GET", "path": "/hang", "target": "lambda",
     "function": "lambdas.fn.hang", "timeout": 3},
]  # fmt: skip


def _project(tmp: Path) -> Path:
    package = tmp / "lambdas"
    package.mkdir()
    (package / "__init__.py").write_text("")
    shutil.copy(HANDLERS / "basic" / "fn.py", package / "fn.py")
    shutil.copy(HANDLERS / "needs_flask" / "app.py", package / "app.py")
    return write_manifest(tmp, f"http://127.0.0.1:{free_port()}", ROUTES)


def _serve(manifest: Path, *layers: Path, client: str = "python") -> ManagedProcess:
    port = free_port()
    argv = [sys.executable, "-m", "migrate_cli", "serve", "--isolated", "--port", str(port),
            "--manifest", str(manifest), "--grace", "2", "--runtime-client", client]  # fmt: skip
    for layer in layers:
        argv += ["--layer", str(layer)]
    log = manifest.parent / f"gateway-{port}.log"
    proc = ManagedProcess("gateway", argv, f"http://127.0.0.1:{port}/health", cwd=manifest.parent,
                          ready=lambda status: True, log_path=log)  # fmt: skip
    return proc.launch(60)


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


@pytest.mark.parametrize("transport", ["python", "native"])
def test_isolated_serve_import_error_exit_and_sigterm(tmp_path: Path, transport: str) -> None:
    """With either transport of awslambdaric (``--runtime-client``)."""
    manifest = _project(tmp_path)
    gateway = _serve(manifest, client=transport)
    try:
        base = gateway.ready_url.removesuffix("/health")
        with httpx.Client(base_url=base, timeout=30) as client:
            missing = client.get("/flask")
            assert missing.status_code == 502, missing.text
            assert missing.json() == {"message": "Internal server error"}
            echo = client.get("/echo", params={"q": "1"})
            assert echo.status_code == 200 and echo.json()["event"]["path"] == "/echo"
            assert echo.json()["function_name"].endswith("-echo")
            assert client.get("/exit").status_code == 502
            assert client.get("/echo").status_code == 200  # the gateway survived os._exit
        assert gateway.pid is not None
        workers = _children(gateway.pid)
        assert len(workers) >= 1  # the echo environment, idle
        argv = [Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") for pid in workers]
        assert [a[-2] == b"native" for a in argv if b"lambdas.fn.echo" in a] == [
            transport == "native"
        ]
    finally:
        gateway.stop()
    assert "Runtime.ImportModuleError" in gateway.log_path.read_text()
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


def test_isolated_serve_with_the_package_in_a_layer(tmp_path: Path) -> None:
    manifest = _project(tmp_path)
    layer = runtime_dir(tmp_path / "layer", ["flask"])
    gateway = _serve(manifest, layer)
    try:
        base = gateway.ready_url.removesuffix("/health")
        answer = httpx.get(f"{base}/flask", timeout=30)
        assert answer.status_code == 200 and answer.text == "flask"
    finally:
        gateway.stop()


def test_hung_handlers_hold_their_own_workers_only(tmp_path: Path) -> None:
    gateway = _serve(_project(tmp_path))
    try:
        base = gateway.ready_url.removesuffix("/health")
        with ThreadPoolExecutor(6) as pool, httpx.Client(base_url=base, timeout=30) as client:
            hung = [pool.submit(httpx.get, f"{base}/hang", timeout=30) for _ in range(6)]
            echo = client.get("/echo")  # another function, while six hang
            assert echo.status_code == 200 and not any(f.done() for f in hung)
            statuses = sorted(f.result().status_code for f in hung)
        assert statuses == [504] * 6
        assert httpx.get(f"{base}/echo", timeout=30).status_code == 200
    finally:
        gateway.stop()
