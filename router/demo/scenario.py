"""The demo's stages, run against the real local stack under synthetic traffic.

0. build the handlers' dependency layer for the local Lambda runtime (a pip install the
   first time on a machine, then cached in the user's cache, ``user_cache``), so that no
   stage waits for it while its clock runs;
1. start moto, the monolith (gunicorn) and the gateway; send traffic through it;
2. baseline two routes while the monolith serves them;
3. shadow the first route against its Lambda handler and report parity;
4. promote it step by step, each step judged against the monolith's share;
5. compare it after the cutover with its baseline;
6. promote the second route to a deliberately slowed handler: the analysis fails
   and the route is rolled back on its own;
7. write the HTML reports; stop everything that was started.

With ``DemoConfig.state`` (``migrate demo --state s3://BUCKET/PREFIX``) the project's
state is an S3 backend on the stack's moto server: its bucket is created and the
manifest pushed as moto starts (``router.state.local``), the gateway follows the
backend, the injected services work on it, and the result names the backend with its
final revision and history. Every outcome goes to an injected ``Narrator``; nothing
here prints.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from router.analysis.report import write_html
from router.analysis.service import AnalysisService, CompareResult
from router.build import CACHE_ENV, LayerBuilder
from router.demo.project import DELAY_ENV, SLOW_HANDLER, DemoProject, create_project
from router.local.process import free_port
from router.local.stack import LocalStack, StackConfig, url
from router.local.traffic import RequestSpec, Traffic, TrafficStats
from router.progressive.model import RunReport
from router.progressive.session import RunOptions, Services, prepare, run
from router.shadow.service import ShadowOptions, ShadowOutcome, ShadowService
from router.state.backend import S3Backend
from router.state.local import seed_local_backend
from router.state.location import parse_state_url

__all__ = [
    "DemoConfig",
    "DemoResult",
    "Narrator",
    "ServiceFactory",
    "StateSummary",
    "run_demo",
    "user_cache",
]

USERS = "GET /api/users/{user_id}"
PRODUCTS = "GET /api/products"
USERS_HANDLER = "migrated_functions.users.get_user"


class ServiceFactory(Protocol):
    def analysis_service(self) -> AnalysisService: ...
    def shadow_service(self) -> ShadowService: ...
    def progressive_services(self) -> Services: ...


class Narrator(Protocol):
    def stage(self, title: str) -> None: ...
    def note(self, text: str) -> None: ...
    def comparison(self, title: str, result: CompareResult) -> None: ...
    def progressive(self, title: str, report: RunReport) -> None: ...
    def shadow(self, title: str, report: ShadowOutcome) -> None: ...


@dataclass(frozen=True)
class DemoConfig:
    workdir: Path
    rate_per_s: float = 200.0
    warmup_s: float = 8.0
    interval: str = "5s"
    slow_ms: int = 30
    shadow_s: float = 4.0
    seed: int = 0
    database_url: str | None = None  # None: a SQLite file in the workdir
    state: str | None = None  # an S3 backend on the stack's moto (s3://...); None: files


@dataclass(frozen=True)
class StateSummary:
    """The backend the demo ran on, as it left it."""

    url: str
    revision: int
    history_entries: int


@dataclass
class DemoResult:
    workdir: Path
    outcomes: dict[str, str] = field(default_factory=dict)
    reports: list[Path] = field(default_factory=list)
    traffic: TrafficStats | None = None
    state: StateSummary | None = None

    @property
    def ok(self) -> bool:
        expected = {
            "users-shadow": "parity",
            "users": "completed",
            "users-compare": "pass",
            "products": "rolled-back",
        }
        clean = self.traffic is not None and self.traffic.failed == 0
        return clean and all(self.outcomes.get(k) == v for k, v in expected.items())


def run_demo(
    config: DemoConfig,
    services_for: Callable[[Path, str], ServiceFactory],
    narrator: Narrator,
) -> DemoResult:
    ports = {"gateway": free_port(), "legacy": free_port(), "moto": free_port()}
    project = create_project(
        config.workdir, url(ports["legacy"]), config.slow_ms, database_url=config.database_url
    )
    result = DemoResult(config.workdir)
    cache = _build_layer(project, narrator)
    narrator.stage("Start the local stack: moto (AWS), the monolith on gunicorn, the gateway")
    env = {**_env(project, config), CACHE_ENV: str(cache)}
    backends: list[S3Backend] = []
    stack_config = _stack_config(project, ports, config.state)
    with LocalStack(stack_config, env=env, on_aws=_seeder(project, config, backends)) as stack:
        services = services_for(project.manifest, stack.urls.aws_endpoint)
        _where(stack, config, narrator)
        traffic = Traffic(
            stack.urls.gateway or "", _mix(), rate_per_s=config.rate_per_s, seed=config.seed
        )
        with traffic:
            _stages(config, project, services, narrator, result)
        result.traffic = traffic.stats
        result.state = _state_summary(backends)
    return result


def _seeder(
    project: DemoProject, config: DemoConfig, backends: list[S3Backend]
) -> Callable[[str], None] | None:
    """With ``config.state``: the backend on moto, seeded as moto starts (kept in
    ``backends`` for the summary)."""
    location = parse_state_url(config.state or "", "--state")
    if location is None:
        return None

    def seed(endpoint: str) -> None:
        backends.append(seed_local_backend(location, project.manifest, endpoint, "us-east-1"))

    return seed


def _where(stack: LocalStack, config: DemoConfig, narrator: Narrator) -> None:
    urls = stack.urls
    narrator.note(
        f"gateway {urls.gateway}, monolith {urls.legacy}, AWS endpoint {urls.aws_endpoint}"
    )
    if config.state:
        narrator.note(f"state on S3: {config.state} (moto, versioning on); the gateway follows it")


def _state_summary(backends: list[S3Backend]) -> StateSummary | None:
    if not backends:
        return None
    backend = backends[0]
    head = backend.require_head()
    return StateSummary(backend.url, head.revision, len(backend.entries()))


def user_cache() -> Path:
    """The local runtime's cache for demo projects: ``$STRANGLER_LOCAL_CACHE``, else
    ``strangler/local`` in the user's cache directory (``$XDG_CACHE_HOME`` or
    ``~/.cache``). Entries are keyed by content and interpreter, so every demo (each in
    a new workdir) reuses the layer the first one installed."""
    if shared := os.environ.get(CACHE_ENV):
        return Path(shared)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "strangler" / "local"


def _build_layer(project: DemoProject, narrator: Narrator) -> Path:
    """Install the handlers' lock for this interpreter now, before any stage's clock."""
    narrator.stage("Build the handlers' dependency layer for the local Lambda runtime")
    cache = user_cache()
    lock = project.root / "migrated_functions" / "requirements.lock"
    builder = LayerBuilder(cache)
    if not builder.is_local_built(lock):
        narrator.note("first run on this machine: installing it with pip (cached afterwards)")
    narrator.note(f"layer {builder.local(lock)}")
    return cache


def _stack_config(project: DemoProject, ports: dict[str, int], state: str | None) -> StackConfig:
    return StackConfig(
        state=state,
        manifest=project.manifest,
        gateway_port=ports["gateway"],
        legacy_port=ports["legacy"],
        moto_port=ports["moto"],
        database_url=project.database_url,
        log_dir=project.root,
    )


def _env(project: DemoProject, config: DemoConfig) -> dict[str, str]:
    import os

    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(project.root),
        DATABASE_URL=project.database_url,
        **{DELAY_ENV: str(config.slow_ms)},
    )
    return env


def _mix() -> list[RequestSpec]:
    def user(rng: random.Random) -> str:
        return f"/api/users/{rng.randint(1, 200)}"

    def products(rng: random.Random) -> str:
        return f"/api/products?per_page=5&page={rng.randint(1, 5)}&tag={rng.choice('abcde')}"

    def order(rng: random.Random) -> str:
        return f"/api/orders/{rng.randint(1, 300)}"

    return [
        RequestSpec("GET", user, 0.5),
        RequestSpec("GET", products, 0.35),
        RequestSpec("GET", order, 0.15),
    ]


def _stages(
    config: DemoConfig,
    project: DemoProject,
    services: ServiceFactory,
    narrator: Narrator,
    result: DemoResult,
) -> None:
    narrator.stage(f"Warm up: {config.rate_per_s:.0f} requests/s through the gateway")
    time.sleep(config.warmup_s)
    _baselines(config, services, narrator)
    narrator.stage(f"Shadow {USERS} against {USERS_HANDLER}")
    duration = timedelta(seconds=config.shadow_s)
    options = ShadowOptions(route=USERS, function=USERS_HANDLER, duration=duration)
    outcome = services.shadow_service().run(options)
    narrator.shadow(USERS, outcome)
    result.outcomes["users-shadow"] = outcome.outcome
    _promote_users(config, services, narrator, result)
    _regression(config, project, services, narrator, result)


def _baselines(config: DemoConfig, services: ServiceFactory, narrator: Narrator) -> None:
    narrator.stage("Baseline both routes while the monolith serves them")
    window = timedelta(seconds=config.warmup_s - 2)
    end = datetime.now(UTC) - timedelta(seconds=1.5)  # telemetry flushes every second
    for route in (USERS, PRODUCTS):
        captured = services.analysis_service().baseline(route, window, end)
        narrator.note(f"{captured.route_id}: {captured.requests} requests ({captured.source})")


def _progressive(services: ServiceFactory, options: RunOptions) -> RunReport:
    bundle = services.progressive_services()
    return run(prepare(options, bundle), options, bundle, None)


def _promote_users(
    config: DemoConfig, services: ServiceFactory, narrator: Narrator, result: DemoResult
) -> None:
    narrator.stage(f"Promote {USERS} step by step (50%, 100%), each step judged")
    options = RunOptions(
        USERS,
        steps="50,100",
        interval=config.interval,
        function=USERS_HANDLER,
        reason="demo: progressive cutover",
    )
    report = _progressive(services, options)
    narrator.progressive(USERS, report)
    result.outcomes["users"] = str(report.outcome)
    narrator.stage(f"Compare {USERS} after the cutover with its baseline")
    window = timedelta(seconds=_seconds(config.interval))
    compared = services.analysis_service().compare(
        USERS, since=None, window=window, mode="baseline"
    )
    narrator.comparison(USERS, compared)
    result.outcomes["users-compare"] = str(compared.comparison.verdict)
    result.reports.append(_html(compared, config.workdir / "reports" / "users.html"))


def _regression(
    config: DemoConfig,
    project: DemoProject,
    services: ServiceFactory,
    narrator: Narrator,
    result: DemoResult,
) -> None:
    narrator.stage(f"Inject a regression: {PRODUCTS} to a handler slowed by {config.slow_ms} ms")
    started = datetime.now(UTC)
    options = RunOptions(
        PRODUCTS,
        steps="50,100",
        interval=config.interval,
        max_failed_checks=1,
        function=SLOW_HANDLER,
        reason="demo: slowed handler",
    )
    report = _progressive(services, options)
    narrator.progressive(PRODUCTS, report)
    result.outcomes["products"] = str(report.outcome)
    compared = services.analysis_service().compare(
        PRODUCTS, since=started, window=None, mode="concurrent"
    )
    narrator.comparison(PRODUCTS, compared)
    result.reports.append(_html(compared, project.reports / "products.html"))


def _html(compared: CompareResult, path: Path) -> Path:
    return write_html(compared.comparison, compared.before, compared.after, path)


def _seconds(interval: str) -> float:
    from router.analysis.timespec import parse_window

    return parse_window(interval).total_seconds()
