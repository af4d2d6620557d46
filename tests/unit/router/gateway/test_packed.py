"""The packed snapshot installs, a slice at a time, the very table ``build_snapshot`` builds."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

from router.gateway.packed import CHUNK_ROWS, SnapshotInstaller, pack
from router.gateway.snapshot import Snapshot, build_snapshot
from router.manifest.model import Manifest
from tests.helpers.gateway import lam, manifest_of
from tests.helpers.manifests import route

SHADOW = {"run_id": "run-1", "function": "pkg.mod.fn", "until": "2030-01-01T00:00:00Z"}
PROBES = [("GET", "/items/"), ("GET", "/users/7"), ("POST", "/users/7"), ("GET", "/files/a/b"),
          ("DELETE", "/x/y"), ("GET", "/"), ("GET", "/g3"), ("PUT", "/g3")]  # fmt: skip


def routes() -> list[dict[str, Any]]:
    return [
        route("GET", "/items", trailing_slash=True),
        lam("GET", "/users/{id}", weight=30, timeout=5, memory=512),
        route("POST", "/users/{id}", shadow=SHADOW),
        route("GET", "/files/{rest+}"),
        *(lam("GET", f"/g{i}") for i in range(3 * CHUNK_ROWS)),
    ]


def manifest() -> Manifest:
    built: Manifest = manifest_of(*routes(), revision=9)
    return built


def installed(snapshot_steps: Iterator[Snapshot | None]) -> tuple[Snapshot, int]:
    for steps, snapshot in enumerate(snapshot_steps, 1):
        if snapshot is not None:
            return snapshot, steps
    raise AssertionError("never finished")


def steps(installer: SnapshotInstaller) -> Iterator[Snapshot | None]:
    while True:
        yield installer.step()


def test_the_installed_snapshot_equals_the_built_one() -> None:
    m = manifest()
    packed = pickle.loads(pickle.dumps(pack(m, legacy_url="http://127.0.0.1:9/base")))
    got, _ = installed(steps(SnapshotInstaller(packed)))
    want = build_snapshot(m, legacy_url="http://127.0.0.1:9/base")
    assert (got.legacy, got.api, got.functions, got.revision) == (
        want.legacy, want.api, want.functions, want.revision,
    )  # fmt: skip
    assert len(got.table) == len(want.table)
    for method, path in PROBES:
        assert got.table.match(method, path) == want.table.match(method, path), (method, path)
    shadowed = got.table.match("POST", "/users/7")
    assert shadowed is not None and shadowed.value.shadow is not None


def test_each_step_installs_chunks_until_its_slice_is_over() -> None:
    packed = pack(manifest())
    ticks = iter(range(1000))
    installer = SnapshotInstaller(packed, clock=lambda: float(next(ticks)), slice_s=1.5)
    snapshot, count = installed(steps(installer))  # two chunks a step: 0 -> 1 -> 2 >= 1.5
    assert len(packed.chunks) == 4 and count == 3
    assert len(snapshot.table) == len(build_snapshot(manifest()).table) == 3 * CHUNK_ROWS + 6


def test_a_retired_table_is_dismantled_in_batches() -> None:
    table = build_snapshot(manifest()).table
    batches = sum(1 for _ in table.dismantle(batch=2))
    assert batches > 10 and len(table) == 0 and table.match("GET", "/g3") is None


def test_the_packed_snapshot_carries_only_the_active_routes_with_a_function() -> None:
    vanished = lam("GET", "/old", status="vanished")
    packed = pickle.loads(pickle.dumps(pack(manifest_of(*routes(), vanished))))
    ids = [r.id for r in packed.invocable_model().routes]
    assert ids[:2] == ["get-users-id", "post-users-id"] and len(ids) == 2 + 3 * CHUNK_ROWS
    assert packed.invocable_key == pack(manifest()).invocable_key  # revision aside
