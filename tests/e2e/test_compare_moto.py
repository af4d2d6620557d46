"""baseline / compare through the real path: access-log lines written into a moto
server process, read back by `migrate` processes; verdicts and exit codes."""

from __future__ import annotations

import json
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from router.aws.logs import CloudWatchLogs
from router.aws.session import AwsContext
from router.gateway.emitted import access_log_line
from router.gateway.records import RequestRecord
from router.history import HistoryEntry, HistoryLog, RouteState, history_path_for
from router.local.stack import local_aws_env
from router.manifest.store import load_manifest
from router.render.sam import access_log_group_name
from tests.helpers.e2e import REGION, run_migrate, write_manifest

pytestmark = pytest.mark.e2e

ROUTE = {
    "id": "get-api-users-id",
    "method": "GET",
    "path": "/api/users/{id}",
    "target": "lambda",
    "function": "migrated_functions.users.get_user",
}


class Scenario:
    def __init__(self, root: Path, moto_url: str) -> None:
        self.api = f"cmp-{uuid.uuid4().hex[:8]}"
        self.manifest = write_manifest(
            root,
            "http://127.0.0.1:5000",
            [ROUTE],
            api={"name": self.api, "stage": "prod", "region": REGION},
        )
        self.root, self.moto_url = root, moto_url
        self.env = {**local_aws_env(moto_url, REGION), "MIGRATE_MANIFEST": str(self.manifest)}
        ctx = AwsContext(region=REGION, endpoint_url=moto_url)
        self.logs = CloudWatchLogs(ctx)
        self.group = access_log_group_name(load_manifest(self.manifest).model)
        self.logs.ensure_group(self.group)
        self.logs.ensure_stream(self.group, "s")
        self.cutover = datetime.now(UTC) - timedelta(minutes=5)

    def promote_at_cutover(self) -> None:
        entry = HistoryEntry(
            revision=1,
            time=self.cutover.isoformat().replace("+00:00", "Z"),
            user="t",
            action="promote",
            route=ROUTE["id"],
            before=RouteState("legacy"),
            after=RouteState("lambda", 100, ROUTE["function"]),
        )
        HistoryLog(history_path_for(self.manifest)).append([entry])

    def write(
        self, latencies: np.ndarray, statuses: list[int], target: str, start: datetime
    ) -> list[str]:
        """Access-log lines, one per latency; their request ids."""
        start_ms = int(start.timestamp() * 1000)
        events, ids = [], []
        for i, (latency, status) in enumerate(zip(latencies, statuses, strict=True)):
            ids.append(uuid.uuid4().hex)
            rec = RequestRecord(
                request_id=ids[-1],
                request_time_epoch_ms=start_ms + i * 100,
                http_method="GET",
                path=f"/api/users/{i % 50 + 1}",
                resource_path="/api/users/{id}",
                route_id=ROUTE["id"],
                target=target,
                status=status,
                response_latency_ms=float(latency),
                integration_latency_ms=float(latency) * 0.9,
                source_ip="127.0.0.1",
                protocol="HTTP/1.1",
                response_length=120,
            )
            events.append((rec.request_time_epoch_ms, access_log_line(rec, "prod")))
        self.logs.put_events(self.group, "s", events)
        return ids

    def migrate(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_migrate(*args, cwd=self.root, env=self.env)


@pytest.fixture
def scenario(tmp_path: Path, moto_server: str) -> Scenario:
    return Scenario(tmp_path, moto_server)


def _lognormal(rng: np.random.Generator, n: int, scale: float = 1.0) -> np.ndarray:
    return rng.lognormal(mean=np.log(8.0), sigma=0.35, size=n) * scale


def _baseline(s: Scenario, rng: np.random.Generator, n: int = 500) -> None:
    s.write(_lognormal(rng, n), [200] * n, "legacy", s.cutover - timedelta(minutes=1, seconds=30))
    end = s.cutover.isoformat()
    result = s.migrate("baseline", ROUTE["id"], "--window", "2m", "--end", end, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["requests"] == n


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_same_distribution_passes(scenario: Scenario, seed: int) -> None:
    rng = np.random.default_rng(seed)
    _baseline(scenario, rng)
    scenario.promote_at_cutover()
    scenario.write(
        _lognormal(rng, 500), [200] * 500, "lambda", scenario.cutover + timedelta(seconds=5)
    )
    result = scenario.migrate("compare", ROUTE["id"], "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["verdict"] == "pass" and data["mode"] == "baseline"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_slower_handler_fails_and_rolls_back(scenario: Scenario, seed: int) -> None:
    rng = np.random.default_rng(seed)
    _baseline(scenario, rng)
    scenario.promote_at_cutover()
    scenario.write(
        _lognormal(rng, 500, 1.3), [200] * 500, "lambda", scenario.cutover + timedelta(seconds=5)
    )
    html = scenario.root / "report.html"
    result = scenario.migrate(
        "compare", ROUTE["id"], "--json", "--html", str(html), "--rollback-on-fail"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["verdict"] == "fail" and data["rolled_back"] is True
    assert "<img" in html.read_text() or "<svg" in html.read_text()
    route = load_manifest(scenario.manifest).model.routes[0]
    assert route.target == "legacy"


def test_error_rate_rise_fails(scenario: Scenario) -> None:
    rng = np.random.default_rng(7)
    _baseline(scenario, rng)
    scenario.promote_at_cutover()
    statuses = [500 if i % 20 == 0 else 200 for i in range(500)]  # 5%
    scenario.write(
        _lognormal(rng, 500), statuses, "lambda", scenario.cutover + timedelta(seconds=5)
    )
    result = scenario.migrate("compare", ROUTE["id"], "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    rows = {r["metric"]: r for r in json.loads(result.stdout)["rows"]}
    assert rows["error_rate_5xx"]["verdict"] == "fail"


def test_too_little_traffic_is_inconclusive(scenario: Scenario) -> None:
    rng = np.random.default_rng(3)
    _baseline(scenario, rng)
    scenario.promote_at_cutover()
    scenario.write(_lognormal(rng, 8), [200] * 8, "lambda", scenario.cutover + timedelta(seconds=5))
    result = scenario.migrate("compare", ROUTE["id"], "--json")
    assert result.returncode == 3, result.stdout + result.stderr
    assert json.loads(result.stdout)["verdict"] == "inconclusive"


def test_baseline_of_an_empty_window_is_refused(scenario: Scenario) -> None:
    result = scenario.migrate("baseline", ROUTE["id"], "--window", "1m")
    assert result.returncode == 2
    assert "no data for route" in result.stderr


def test_canary_is_judged_against_the_same_window(scenario: Scenario) -> None:
    rng = np.random.default_rng(5)
    text = scenario.manifest.read_text().replace("target: lambda", "target: lambda\n    weight: 50")
    scenario.manifest.write_text(text)
    start = scenario.cutover
    scenario.write(_lognormal(rng, 400), [200] * 400, "legacy", start)
    scenario.write(_lognormal(rng, 400), [200] * 400, "lambda", start)
    result = scenario.migrate("compare", ROUTE["id"], "--window", "10m", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["mode"] == "concurrent"


def test_cold_starts_from_report_lines_are_shown(scenario: Scenario) -> None:
    """REPORT lines in /aws/lambda/<function> (as the local runtime ships them) with the
    access log's request ids: compare counts the cold starts and flags those requests."""
    rng = np.random.default_rng(7)
    _baseline(scenario, rng)
    scenario.promote_at_cutover()
    latencies = _lognormal(rng, 500)
    latencies[:10] += 400.0  # the cold ones
    start = scenario.cutover + timedelta(seconds=5)
    ids = scenario.write(latencies, [200] * 500, "lambda", start)
    group = f"/aws/lambda/{scenario.api}-{ROUTE['id']}"
    scenario.logs.ensure_group(group)
    scenario.logs.ensure_stream(group, "2026/12/03/[$LATEST]0")
    at = int(start.timestamp() * 1000)
    reports = [
        (at + i * 100, f"REPORT RequestId: {rid}\tDuration: 5.00 ms\tBilled Duration: 5 ms"
         f"\tMemory Size: 256 MB\tMax Memory Used: 60 MB"
         + ("\tInit Duration: 390.00 ms" if i < 10 else ""))
        for i, rid in enumerate(ids)
    ]  # fmt: skip
    scenario.logs.put_events(group, "2026/12/03/[$LATEST]0", reports)
    result = scenario.migrate("compare", ROUTE["id"], "--json")
    data = json.loads(result.stdout)
    assert data["cold_starts"]["invocations"] == 500 and data["cold_starts"]["cold_starts"] == 10
    assert data["cold_starts"]["init_duration_ms_p50"] == 390.0
    assert "cold_start_share" in result.stdout and "cold_start_added_ms" in result.stdout
    table = scenario.migrate("compare", ROUTE["id"])
    assert "Lambda cold starts (REPORT lines): 10 of 500 invocations (2.0%)" in table.stdout
