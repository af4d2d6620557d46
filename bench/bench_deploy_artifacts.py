"""Benchmark: what `migrate apply` sends to Lambda and S3 when artifacts change or not.

Four project functions on Lambda sharing one dependency layer (the repository's
lock, built for python3.12 x86_64 from the package index on the first run), against a
moto server. Measured in one run: the first apply (publish the layer, create the
functions), an apply with nothing changed, and an apply after one handler changed;
for each, the wall time, the Lambda/S3 write calls and the request bytes sent to
Lambda and S3. Prints the ratios of the later applies' bytes to the first's.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from router.aws.session import AwsContext  # noqa: E402
from router.build import BuildService, LayerBuilder, cache_dir  # noqa: E402
from router.deploy.service import DeployService, build_deploy_service  # noqa: E402
from router.history import HistoryLog, history_path_for  # noqa: E402
from router.local import free_port, start_moto  # noqa: E402
from router.manifest.model import Manifest  # noqa: E402
from router.manifest.store import ManifestStore, dump_manifest  # noqa: E402
from router.routes import RouteService  # noqa: E402

FUNCTIONS = {
    ("GET", "/api/users/{user_id}"): "migrated_functions.users.get_user",
    ("GET", "/api/products"): "migrated_functions.products.list_products",
    ("GET", "/api/orders/{order_id}"): "migrated_functions.orders.get_order",
    ("POST", "/api/orders"): "migrated_functions.orders.create_order",
}


class Meter:
    """Request bytes and call names sent to Lambda and S3 (reads included in bytes)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.local = AwsContext.local(endpoint, "us-east-1")  # dummy credentials
        self.bytes = 0
        self.calls: list[str] = []

    def client(self, service: str) -> Any:
        client = self.local.client(service)
        if service in ("lambda", "s3"):
            client.meta.events.register("before-send", self._sent)
            client.meta.events.register("before-call", self._called)
        return client

    def _sent(self, request: Any, **_: Any) -> None:
        body = request.body
        self.bytes += len(body) if isinstance(body, bytes | str) else 0

    def _called(self, model: Any, **_: Any) -> None:
        if not model.name.startswith(("Get", "List", "Head")):
            self.calls.append(model.name)

    def reset(self) -> None:
        self.bytes, self.calls = 0, []


def project(root: Path, meter: Meter) -> DeployService:
    shutil.copytree(ROOT / "migrated_functions", root / "migrated_functions")
    routes = [
        {"id": f"r{i}", "method": m, "path": p, "target": "lambda", "function": f}
        for i, ((m, p), f) in enumerate(FUNCTIONS.items())
    ]
    data = {"api": {"name": "benchart"}, "legacy": {"url": "http://127.0.0.1:5000"}}
    manifest = root / "migration.yaml"
    manifest.write_text(dump_manifest(Manifest.model_validate({**data, "routes": routes})))
    store = ManifestStore(manifest)
    ctx = AwsContext(region="us-east-1", endpoint_url=meter.endpoint, client_factory=meter.client)
    build = BuildService(root, LayerBuilder(cache_dir(root))).function
    service = RouteService(store, HistoryLog(history_path_for(manifest)), code_root=root)
    return build_deploy_service(service, ctx, is_local=True, build=build)


def timed_apply(service: DeployService, meter: Meter) -> tuple[float, int, list[str]]:
    meter.reset()
    start = time.perf_counter()
    service.apply(force=False, confirm=lambda _: True)
    return time.perf_counter() - start, meter.bytes, list(meter.calls)


def main() -> None:
    proc = start_moto(free_port())
    try:
        meter = Meter(proc.ready_url.removesuffix("/moto-api/"))
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            service = project(root, meter)
            start = time.perf_counter()
            service.plan()  # builds the layer (pip) and the zips, then caches them
            print(f"first plan (layer built, pip): {time.perf_counter() - start:.1f} s")
            rows = [("first apply", *timed_apply(service, meter))]
            start = time.perf_counter()
            service.plan()
            print(f"plan, everything cached and deployed: {time.perf_counter() - start:.2f} s")
            rows.append(("nothing changed", *timed_apply(service, meter)))
            users = root / "migrated_functions" / "users.py"
            users.write_text(users.read_text() + "\n# a change\n")
            rows.append(("users.py changed", *timed_apply(service, meter)))
    finally:
        proc.stop()
    first = rows[0][2]
    for name, seconds, sent, calls in rows:
        print(
            f"{name:>18}: {seconds:.2f} s, {sent / 1048576:.2f} MB sent "
            f"({sent / first:.4f} of the first apply's), writes: {', '.join(calls) or 'none'}"
        )


if __name__ == "__main__":
    main()
