"""Baselines and shadow runs on the S3 backend (moto in-process): ``S3Baselines``,
``S3ShadowReports`` (what the promote refusal reads from any working copy), and a
shadow run holding the lease ``shadow-<route id>`` for its whole duration."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from router.analysis.baseline import Baseline
from router.aws.session import AwsContext
from router.aws.state_s3 import StateBucket
from router.errors import LeaseHeld, LeaseLost, ShadowMismatch, StateConflict, StateError
from router.manifest.model import Route
from router.manifest.store import load_manifest
from router.shadow.gate import ShadowGate
from router.shadow.service import ShadowOptions, ShadowService
from router.state import BackendStore, S3Backend, open_baselines, open_shadow_reports
from router.state.lease import LeaseKeeper
from router.state.records import S3Baselines, S3ShadowReports
from tests.helpers.shadow import shadow_project
from tests.helpers.state import BUCKET, PREFIX, s3_client

ROUTE = "get-api-users-id"


def _baseline(captured_at: str, requests: int = 5) -> Baseline:
    return Baseline(route_id=ROUTE, method="GET", path="/api/users/{id}", revision=3,
                    target="legacy", captured_at=captured_at, window_start_ms=0,
                    window_end_ms=1, source="access-log", requests=requests)  # fmt: skip


def _report(run_id: str, function: str, outcome: str) -> dict[str, Any]:
    return {"run_id": run_id, "function": function, "finished": "2026-01-02T03:04:05Z",
            "outcome": outcome, "mismatches": [{"path": "email"}]}  # fmt: skip


def test_a_baseline_one_operator_took_is_the_others(backend: S3Backend, tmp_path: Path) -> None:
    alice = S3Baselines(backend.bucket, backend.location)
    bob = S3Baselines(backend.bucket, backend.location)
    assert bob.load(ROUTE) is None
    where = alice.save(_baseline("t1"))
    assert where == f"s3://{BUCKET}/{PREFIX}/baselines/{ROUTE}.json"
    assert bob.load(ROUTE) == _baseline("t1")
    bob.save(_baseline("t2"))
    assert alice.load(ROUTE) == _baseline("t2")


def test_a_baseline_lost_race_is_refused_and_keeps_the_one_that_landed(
    backend: S3Backend, ctx: AwsContext
) -> None:
    class RacingBucket(StateBucket):
        """Another capture lands between this one's read and its write."""

        def put(self, key: str, body: bytes, *, if_match: str | None = None) -> str:
            S3Baselines(backend.bucket, backend.location).save(_baseline("t-other"))
            return super().put(key, body, if_match=if_match)

    racing = RacingBucket(ctx, BUCKET)
    with pytest.raises(StateConflict, match=r"another baseline of .* \(captured at t-other\)"):
        S3Baselines(racing, backend.location).save(_baseline("t-mine"))
    assert S3Baselines(backend.bucket, backend.location).load(ROUTE) == _baseline("t-other")


def test_an_unreadable_baseline_names_the_object(backend: S3Backend) -> None:
    key = f"{PREFIX}/baselines/{ROUTE}.json"
    s3_client("s3").put_object(Bucket=BUCKET, Key=key, Body=b"{}")
    with pytest.raises(StateError, match=f"s3://{BUCKET}/{key}: unreadable baseline"):
        S3Baselines(backend.bucket, backend.location).load(ROUTE)


def test_shadow_reports_merge_every_functions_last_run_and_copy_results_once(
    backend: S3Backend, tmp_path: Path
) -> None:
    results = tmp_path / "run-1.jsonl"
    results.write_text('{"kind":"sample"}\n')
    alice = S3ShadowReports(backend.bucket, backend.location)
    bob = S3ShadowReports(backend.bucket, backend.location)
    alice.save_last(ROUTE, _report("run-1", "pkg.a", "mismatch"), results)
    bob.save_last(ROUTE, _report("run-2", "pkg.b", "parity"), tmp_path / "none.jsonl")
    last = alice.load_last(ROUTE)
    assert last is not None and last["run_id"] == "run-2"
    assert {f: s["outcome"] for f, s in last["by_function"].items()} == {
        "pkg.a": "mismatch", "pkg.b": "parity",
    }  # fmt: skip
    results.write_text("changed\n")
    alice.save_last(ROUTE, _report("run-1", "pkg.a", "mismatch"), results)
    copy = s3_client("s3").get_object(Bucket=BUCKET, Key=f"{PREFIX}/shadow/{ROUTE}/run-1.jsonl")
    assert copy["Body"].read() == b'{"kind":"sample"}\n'  # created once, never replaced
    gate = ShadowGate(bob)
    with pytest.raises(ShadowMismatch, match=r"run-1 of pkg\.a"):
        gate(Route(id=ROUTE, method="GET", path="/x"), "pkg.a")
    gate(Route(id=ROUTE, method="GET", path="/x"), "pkg.b")


def test_an_unreadable_shadow_report_names_the_object(backend: S3Backend) -> None:
    key = f"{PREFIX}/shadow/{ROUTE}/last.json"
    s3_client("s3").put_object(Bucket=BUCKET, Key=key, Body=b"[1]")
    with pytest.raises(StateError, match=f"s3://{BUCKET}/{key}: not a shadow report"):
        S3ShadowReports(backend.bucket, backend.location).load_last(ROUTE)


def test_the_seam_picks_the_objects_on_a_backend(backend: S3Backend, tmp_path: Path) -> None:
    store = BackendStore(tmp_path / "migration.yaml", backend)
    assert isinstance(open_baselines(store), S3Baselines)
    assert isinstance(open_shadow_reports(store), S3ShadowReports)


def test_a_shadow_run_holds_its_lease_for_its_whole_duration(
    backend: S3Backend, tmp_path: Path
) -> None:
    project = shadow_project(tmp_path)
    alice = BackendStore(project.manifest, backend, sleep=lambda _: None)
    alice.create(load_manifest(project.manifest).model)
    bob = BackendStore(tmp_path / "bob" / "migration.yaml", backend, sleep=lambda _: None)
    keeper = LeaseKeeper(backend.bucket, backend.location)
    options = ShadowOptions(route=ROUTE, function=project.handler, duration=timedelta(seconds=1))

    def service(store: BackendStore) -> ShadowService:
        return ShadowService(store, store.history, code_root=project.root,
                             clock=project.time.clock, sleep=project.time.sleep,
                             reports=open_shadow_reports(store))  # fmt: skip

    refusals: list[str] = []

    def bob_tries() -> None:
        if not refusals:
            with pytest.raises(LeaseHeld, match=f"lease 'shadow-{ROUTE}' held by") as held:
                service(bob).run(options)
            refusals.append(held.value.message)

    project.time.on_sleep.append(bob_tries)
    outcome = service(alice).run(options)
    assert outcome.outcome == "no-traffic" and len(refusals) == 1
    [lease] = keeper.leases()
    assert lease.name == f"shadow-{ROUTE}" and not lease.alive(lease.expiry)  # released
    assert outcome.stored == f"s3://{BUCKET}/{PREFIX}/shadow/{ROUTE}/last.json"
    actions = [e.action for e in alice.history.entries()]
    assert actions == ["shadow-start", "shadow-stop"]  # bob's attempt changed nothing
    last = json.loads(
        s3_client("s3")
        .get_object(Bucket=BUCKET, Key=f"{PREFIX}/shadow/{ROUTE}/last.json")["Body"]
        .read()
    )
    assert last["run_id"] == outcome.run.run_id


def test_a_shadow_run_whose_lease_is_taken_over_stops_unjudged(
    backend: S3Backend, tmp_path: Path
) -> None:
    project = shadow_project(tmp_path)
    alice = BackendStore(project.manifest, backend, sleep=lambda _: None, lease_ttl=0.6)
    alice.create(load_manifest(project.manifest).model)
    options = ShadowOptions(route=ROUTE, function=project.handler, duration=timedelta(seconds=5))
    service = ShadowService(alice, alice.history, code_root=project.root,
                            clock=project.time.clock, sleep=project.time.sleep,
                            reports=open_shadow_reports(alice))  # fmt: skip
    keeper = LeaseKeeper(backend.bucket, backend.location, ttl=60)

    def take_over() -> None:  # once, half a second into the run
        if project.time.slept == 0.5:
            keeper.break_(f"shadow-{ROUTE}")
            keeper.acquire(f"shadow-{ROUTE}", "shadow run of r (bob)")
            time.sleep(0.6)  # alice's renewal thread (every 0.2 s) finds it gone

    project.time.on_sleep.append(take_over)
    with pytest.raises(LeaseLost, match=rf"lease 'shadow-{ROUTE}' was taken over by .* stops"):
        service.run(options)
    assert project.time.slept == pytest.approx(0.5)  # stopped at the next tick, unslept
    assert [e.action for e in alice.history.entries()] == ["shadow-start", "shadow-stop"]
    assert open_shadow_reports(alice).load_last(ROUTE) is None  # unjudged
    [lease] = keeper.leases()
    assert lease.operation == "shadow run of r (bob)" and lease.alive(time.time())
