"""Suite-wide settings: hypothesis is derandomized on CI so a run is reproducible.

Order: tests marked ``slow`` first, then the end-to-end ones, then the rest (a stable
sort, so each group keeps its files' order): under pytest-xdist the long tests start
early and none of them starts last and holds the run while the other workers idle.

SIGTERM (a cancelled CI job, a ``kill``) ends the run like Ctrl-C, so fixtures still
stop every server they started; by default it killed pytest at once and left them.

Tests marked ``exclusive`` (the demos: their verdicts compare the monolith's latency
with the Lambda route's, through extra processes) hold a file lock shared by every
pytest-xdist worker while they run, so two of them never load the two cores at once.

PostgreSQL: with ``STRANGLER_REQUIRE_POSTGRES=1`` (``.ci/run``) the run stops at once,
exit 1, when the server of ``STRANGLER_TEST_POSTGRES_URL`` is unreachable, instead
of skipping every test that needs it (``tests.helpers.pg``).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType

import filelock
import pytest
from hypothesis import settings

from tests.helpers import pg

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def _exclusive(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    if request.node.get_closest_marker("exclusive") is None:
        yield
        return
    shared = tmp_path_factory.getbasetemp().parent  # the same for every xdist worker
    with filelock.FileLock(shared / "exclusive-tests.lock"):
        yield


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_weight)


def _weight(item: pytest.Item) -> int:
    if item.get_closest_marker("slow"):
        return 0
    return 1 if item.get_closest_marker("e2e") else 2


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get(pg.REQUIRE_ENV) != "1":
        return
    reason = pg.unreachable_reason()
    if reason is not None:
        url = pg.server_url().render_as_string(hide_password=True)
        pytest.exit(
            f"{pg.REQUIRE_ENV}=1 but PostgreSQL at {url} is unreachable: {reason}\n"
            f"start it, or point {pg.URL_ENV} at a server (see README, Tests)",
            returncode=1,
        )


def pytest_configure(config: pytest.Config) -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
