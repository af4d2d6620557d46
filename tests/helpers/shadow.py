"""Builders of shadow samples and a shadow project on a fake clock (shadow and CLI tests).

``FakeTime`` only moves when slept on; ``FakeGateway`` plays ``migrate serve`` by
writing samples at each sleep. The ``project`` fixture
(tests/unit/router/shadow/conftest.py) calls ``shadow_project``. This module must
not sleep nor start processes (``cli`` runs ``migrate`` in-process).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from migrate_cli.context import Wiring
from migrate_cli.factory import Factory
from migrate_cli.main import app
from router.history import HistoryLog, history_path_for
from router.manifest.model import Shadow
from router.manifest.store import ManifestStore, load_manifest
from router.shadow.files import results_path, save_last, shadow_root
from router.shadow.record import Observed, Sample
from router.shadow.service import ShadowService

__all__ = [
    "FakeGateway",
    "FakeTime",
    "Project",
    "cli",
    "json_response",
    "sample",
    "shadow_project",
    "store_run",
]


def json_response(body: Any, status: int = 200, **headers: str) -> Observed:
    names = {
        "content-type": "application/json",
        **{k.replace("_", "-"): v for k, v in headers.items()},
    }
    return Observed(status, names, "json", body, 10)


def sample(
    primary: Any,
    candidate: Any,
    secondary: Any = None,
    *,
    target: str = "/api/users/1",
    method: str = "GET",
) -> Sample:
    """A sample of JSON bodies (``secondary`` defaults to ``primary``: no noise)."""

    def wrap(value: Any) -> Observed:
        return value if isinstance(value, Observed) else json_response(value)

    second = primary if secondary is None else secondary
    return Sample("t", method, target, "id", wrap(primary), wrap(second), wrap(candidate))


MANIFEST = """\
legacy:
  url: http://127.0.0.1:5000
routes:
  - id: get-api-users-id
    method: GET
    path: /api/users/{id}
  - id: get-api-orders
    method: GET
    path: /api/orders
    target: lambda
    function: PKG.users.get_user
  - id: get-api-products
    method: GET
    path: /api/products
    function: PKG.users.get_user
"""
HANDLERS = """\
def get_user(event, context):
    return {"statusCode": 200, "body": "{}"}


def other(event, context):
    return {"statusCode": 200, "body": "{}"}


NOT_CALLABLE = 3
"""


class FakeTime:
    """A clock that only moves when slept on; ``on_sleep`` runs at every sleep."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        self.on_sleep: list[Callable[[], None]] = []
        self.slept = 0.0

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.slept += seconds
        for action in self.on_sleep:
            action()


class FakeGateway:
    """Plays ``migrate serve``: while the manifest shadows the route, writes samples."""

    def __init__(self, manifest: Path, per_tick: int, candidate: Callable[[int], Any]) -> None:
        self.manifest, self.per_tick, self.candidate = manifest, per_tick, candidate
        self.seen: list[Shadow] = []
        self.count = 0

    def __call__(self) -> None:
        route = load_manifest(self.manifest).model.route("get-api-users-id")
        if route is None or route.shadow is None:
            return
        self.seen.append(route.shadow)
        path = results_path(shadow_root(self.manifest), route.id, route.shadow.run_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            for _ in range(self.per_tick):
                self.count += 1
                body = {"id": self.count, "email": "a@x"}
                handle.write(sample(body, self.candidate(self.count)).to_line())


@dataclass
class Project:
    root: Path
    package: str
    time: FakeTime

    @property
    def manifest(self) -> Path:
        return self.root / "migration.yaml"

    @property
    def handler(self) -> str:
        return f"{self.package}.users.get_user"

    def store(self) -> ManifestStore:
        return ManifestStore(self.manifest)

    def history(self) -> HistoryLog:
        return HistoryLog(history_path_for(self.manifest))

    def service(self) -> ShadowService:
        return ShadowService(
            self.store(), self.history(), code_root=self.root,
            clock=self.time.clock, sleep=self.time.sleep,
        )  # fmt: skip

    def gateway(
        self, per_tick: int = 3, candidate: Callable[[int], Any] | None = None
    ) -> FakeGateway:
        fake = FakeGateway(
            self.manifest, per_tick, candidate or (lambda n: {"id": n, "email": "a@x"})
        )
        self.time.on_sleep.append(fake)
        return fake

    def shadow_of(self, route: str = "get-api-users-id") -> Shadow | None:
        found = self.store().read().route(route)
        assert found is not None
        return found.shadow


def shadow_project(tmp_path: Path) -> Project:
    """A manifest with a handler package under ``tmp_path`` and a fake clock."""
    package = f"shadow_handlers_{uuid.uuid4().hex[:8]}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "users.py").write_text(HANDLERS)
    (tmp_path / "migration.yaml").write_text(MANIFEST.replace("PKG", package))
    return Project(tmp_path, package, FakeTime())


def store_run(project: Project, function: str, outcome: str, *fields: str) -> None:
    """Keep a finished shadow run of ``function`` on ``get-api-users-id`` as ``last.json``."""
    report = {
        "run_id": f"run-{outcome}",
        "function": function,
        "finished": "2026-01-02T03:04:05Z",
        "outcome": outcome,
        "mismatches": [{"path": f} for f in fields],
    }
    save_last(shadow_root(project.manifest), "get-api-users-id", report)


def cli(project: Project, *args: str) -> Result:
    """``migrate ARGS`` in-process, its factory on the project's fake clock and sleep."""
    env = {"MIGRATE_MANIFEST": str(project.manifest), "MIGRATE_USER": "tester"}
    clock, sleep = project.time.clock, project.time.sleep
    wiring = Wiring(lambda path: Factory(path, clock=clock, sleep=sleep))
    return CliRunner().invoke(app, list(args), env=env, obj=wiring)
