"""HeadFollower: the backend's current revision written to the local manifest file (moto).

One conditional GET a poll (304 while the head is unchanged), a write only when the
text differs, errors logged once (then every ``REMIND_S``) and retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from router.aws.session import AwsContext
from router.aws.state_s3 import StateBucket
from router.state import S3Backend, StateLocation
from router.state.follow import REMIND_S, HeadFollower
from tests.helpers.state import BUCKET, PREFIX, ROUTES, Operator

Stores = Callable[[int], list[Operator]]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _statuses(backend: S3Backend) -> list[int]:
    """The HTTP status of every GetObject the backend's client makes from now on."""
    seen: list[int] = []

    def record(http_response: Any, **_: Any) -> None:
        seen.append(http_response.status_code)

    client: Any = backend.bucket._client
    client.meta.events.register("after-call.s3.GetObject", record)
    return seen


def test_the_head_is_written_then_polled_with_one_conditional_get(
    stores: Stores, backend: S3Backend, tmp_path: Path
) -> None:
    stores(1)
    local = tmp_path / "migration.yaml"
    follower = HeadFollower(backend, local)
    statuses = _statuses(backend)
    assert follower.sync() == 3
    assert local.read_text() == backend.require_head().text
    inode = local.stat().st_ino
    statuses.clear()
    assert follower.sync() is None
    assert statuses == [304]
    assert local.stat().st_ino == inode
    assert follower.revision == 3


def test_a_promote_from_another_copy_reaches_the_file(
    stores: Stores, backend: S3Backend, tmp_path: Path
) -> None:
    [(_, alice)] = stores(1)
    local = tmp_path / "migration.yaml"
    follower = HeadFollower(backend, local)
    follower.sync()
    alice.promote(ROUTES[0], function=None, weight=None, reason="go")
    assert follower.sync() == 4
    assert "revision: 4" in local.read_text()
    assert local.read_text() == backend.require_head().text


def test_a_file_that_holds_the_head_already_is_not_rewritten(
    stores: Stores, backend: S3Backend, tmp_path: Path
) -> None:
    stores(1)
    local = tmp_path / "migration.yaml"
    local.write_text(backend.require_head().text)
    inode = local.stat().st_ino
    follower = HeadFollower(backend, local)
    assert follower.sync() is None
    assert (local.stat().st_ino, follower.revision) == (inode, 3)


def test_an_empty_backend_leaves_the_file_and_warns_once(
    backend: S3Backend, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    local = tmp_path / "migration.yaml"
    local.write_text("mine")
    follower = HeadFollower(backend, local)
    with caplog.at_level(logging.WARNING):
        assert follower.sync() is None
        assert follower.sync() is None
    assert local.read_text() == "mine"
    assert [r.getMessage() for r in caplog.records] == [
        f"s3://{BUCKET}/{PREFIX} holds no manifest yet: serving {local} "
        "(`migrate state push` uploads it)"
    ]


def test_errors_are_logged_once_a_minute_and_retried_until_s3_answers(
    ctx: AwsContext, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    backend = S3Backend(StateBucket(ctx, "later"), StateLocation("later", PREFIX))
    local, clock = tmp_path / "migration.yaml", Clock()
    follower = HeadFollower(backend, local, clock=clock)
    with caplog.at_level(logging.INFO):
        for _ in range(3):  # no such bucket yet
            assert follower.sync() is None
            clock.now += REMIND_S / 2
        StateBucket(ctx, "later").create_versioned("us-east-1")
        assert follower.sync() is None  # reachable, empty
    messages = [r.getMessage() for r in caplog.records]
    assert [m.split(" (")[0] for m in messages[:2]] == [f"cannot follow s3://later/{PREFIX}"] * 2
    assert "for 0 s;" in messages[0] and "for 60 s;" in messages[1]
    assert "bucket" in messages[0].lower()
    assert messages[3] == f"following s3://later/{PREFIX} again after 90 s"
    assert not local.exists()


def test_run_polls_until_the_wait_says_stop(
    stores: Stores, backend: S3Backend, tmp_path: Path
) -> None:
    [(_, alice)] = stores(1)
    waits: list[float] = []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        if len(waits) == 2:
            alice.promote(ROUTES[1], function=None, weight=None, reason="go")
        return len(waits) > 3

    local = tmp_path / "migration.yaml"
    HeadFollower(backend, local, interval=0.5, wait=wait).run()
    assert waits == [0.5] * 4
    assert "revision: 4" in local.read_text()


def test_start_and_stop_a_thread(stores: Stores, backend: S3Backend, tmp_path: Path) -> None:
    stores(1)
    follower = HeadFollower(backend, tmp_path / "migration.yaml", interval=0.01)
    follower.start()
    follower.stop()
    assert follower._thread is not None and not follower._thread.is_alive()


def _kept_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "not written to" in r.getMessage()]


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda text: text.replace("revision: 3", "revision: 9"), "it is revision 9, newer"),
        (lambda text: text.replace("/api/r1", "/api/mine"), "differs from the backend's at"),
        (lambda text: "state: s3://other/p\n" + text, "names state 's3://other/p', the backend"),
        (lambda text: text + "\nroutes: [", "it does not parse"),
    ],
    ids=["newer revision", "same revision, other content", "another backend", "unparsable"],
)
def test_a_working_copy_with_its_own_edits_is_kept_with_one_warning_a_revision(
    stores: Stores,
    backend: S3Backend,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    edit: Callable[[str], str],
    reason: str,
) -> None:
    [(_, alice)] = stores(1)
    local = tmp_path / "migration.yaml"
    mine = edit(backend.require_head().text)
    local.write_text(mine)
    follower = HeadFollower(backend, local)
    with caplog.at_level(logging.WARNING):
        assert follower.sync() is None
        assert follower.sync() is None  # looked at again, warned once for this revision
        if "revision 9" in reason:  # still newer than the backend after another promote
            alice.promote(ROUTES[0], function=None, weight=None, reason="go")
            assert follower.sync() is None
    assert local.read_text() == mine
    warnings = _kept_warnings(caplog)
    assert len(warnings) == (2 if "revision 9" in reason else 1)
    assert reason in warnings[0] and "`migrate state pull` takes the backend's" in warnings[0]
    assert follower.revision is None


def test_a_kept_file_is_followed_again_once_it_holds_nothing_of_its_own(
    stores: Stores, backend: S3Backend, tmp_path: Path
) -> None:
    [(_, alice)] = stores(1)
    local = tmp_path / "migration.yaml"
    head = backend.require_head().text
    local.write_text(head + "\nroutes: [")
    follower = HeadFollower(backend, local)
    assert follower.sync() is None
    local.write_text(head)  # the edit undone (or `migrate state pull`)
    assert follower.sync() is None and follower.revision == 3
    alice.promote(ROUTES[0], function=None, weight=None, reason="go")
    assert follower.sync() == 4


def test_an_older_working_copy_is_brought_to_the_backend_revision(
    stores: Stores, backend: S3Backend, tmp_path: Path
) -> None:
    [(_, alice)] = stores(1)
    local = tmp_path / "migration.yaml"
    local.write_text(backend.require_head().text)  # pulled at revision 3
    alice.promote(ROUTES[0], function=None, weight=None, reason="go")
    assert HeadFollower(backend, local).sync() == 4
    assert local.read_text() == backend.require_head().text


def test_a_kept_file_is_polled_with_conditional_gets_until_it_changes(
    stores: Stores, backend: S3Backend, tmp_path: Path
) -> None:
    stores(1)
    local = tmp_path / "migration.yaml"
    head = backend.require_head().text
    local.write_text(head.replace("revision: 3", "revision: 9"))
    follower = HeadFollower(backend, local)
    assert follower.sync() is None
    statuses = _statuses(backend)
    assert follower.sync() is None and follower.sync() is None
    assert statuses == [304, 304]  # no body, no manifest parsed, while nothing changed
    local.write_text(head)  # pulled: judged again against the kept revision
    assert follower.sync() is None and follower.revision == 3
