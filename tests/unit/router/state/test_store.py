"""BackendStore: every change is read -> edit -> conditional write on S3 (moto).

A lost race re-applies the same edit on the state that won, unless the other change
touched the same route: then it is refused, naming that change, and nothing changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from router.errors import StateBackendError, StateConflict
from router.manifest.model import Manifest
from router.state import S3Backend
from tests.helpers.state import BUCKET, PREFIX, ROUTES, Operator, s3_client

Stores = Callable[[int], list[Operator]]


def test_promote_and_rollback_land_as_revisions_with_history(stores: Stores) -> None:
    [(store, service)] = stores(1)
    service.promote(ROUTES[0], function=None, weight=None, reason="go")
    service.rollback([ROUTES[0]], reason="back")
    model = store.read()
    assert model.revision == 5
    assert model.route(ROUTES[0]) is not None and model.route(ROUTES[0]).target == "legacy"  # type: ignore[union-attr]
    entries = store.history.entries()
    assert [(e.revision, e.action, e.route) for e in entries] == [
        (4, "promote", ROUTES[0]),
        (5, "rollback", ROUTES[0]),
    ]
    assert entries[0].after == entries[1].before
    assert len({e.txn for e in entries}) == 2


def test_a_lost_race_on_another_route_is_reapplied(stores: Stores) -> None:
    (store_a, a), (_, b) = stores(2)
    raced = []

    def race(_: Manifest) -> None:  # runs inside a's edit, before its write
        if not raced:
            raced.append(b.promote(ROUTES[1], function=None, weight=None, reason="b"))

    a.promote(ROUTES[0], function=None, weight=10, reason="a", then=race)
    model = store_a.read()
    assert model.revision == 5
    assert [r.target for r in model.routes[:2]] == ["lambda", "lambda"]
    assert [(e.revision, e.route) for e in store_a.history.entries()] == [
        (4, ROUTES[1]),
        (5, ROUTES[0]),
    ]


def test_a_lost_race_on_the_same_route_is_refused_naming_the_other_change(
    stores: Stores,
) -> None:
    (store_a, a), (_, b) = stores(2)

    def race(_: Manifest) -> None:
        b.rollback([ROUTES[0]], reason="b wins")

    b.promote(ROUTES[0], function=None, weight=None, reason="first")
    with pytest.raises(StateConflict) as caught:
        a.promote(ROUTES[0], function=None, weight=20, reason="a", then=race)
    message = caught.value.message
    assert "refused, nothing was changed" in message
    assert f"revision 5: rollback {ROUTES[0]} lambda->legacy" in message
    assert store_a.read().revision == 5
    assert [e.action for e in store_a.history.entries()] == ["promote", "rollback"]


def test_edit_refuses_any_lost_race(stores: Stores) -> None:
    (store_a, _), (_, b) = stores(2)
    with pytest.raises(StateConflict, match=f"promote {ROUTES[2]}"), store_a.edit() as draft:
        draft.routes[0].weight = 5
        draft.routes[0].target = "lambda"
        b.promote(ROUTES[2], function=None, weight=None, reason=None)
    assert store_a.read().routes[0].target == "legacy"


def test_a_writer_dead_before_copying_its_history_loses_no_entry(
    stores: Stores, backend: S3Backend
) -> None:
    [(store, service)] = stores(1)
    copy = store.backend.put_change
    store.backend.put_change = lambda *args: None  # type: ignore[method-assign]
    service.promote(ROUTES[0], function=None, weight=None, reason="dies before the copy")
    service.promote(ROUTES[1], function=None, weight=None, reason="so does this one")
    store.backend.put_change = copy  # type: ignore[method-assign]
    service.promote(ROUTES[2], function=None, weight=None, reason="next writer")
    assert backend.bucket.get(f"{PREFIX}/history/0000000004/0-change.json") is None
    entries = store.history.entries()  # fills the gaps from the head's versions
    assert [(e.revision, e.route) for e in entries] == [
        (4, ROUTES[0]),
        (5, ROUTES[1]),
        (6, ROUTES[2]),
    ]
    assert backend.bucket.get(f"{PREFIX}/history/0000000004/0-change.json") is not None
    assert store.history.entries() == entries


def test_the_same_race_after_a_lost_copy_still_names_the_other_change(stores: Stores) -> None:
    (_store_a, a), (store_b, b) = stores(2)
    store_b.backend.put_change = lambda *args: None  # type: ignore[method-assign]

    def race(_: Manifest) -> None:
        b.rollback([ROUTES[0]], reason="b wins")

    b.promote(ROUTES[0], function=None, weight=None, reason="first")
    with pytest.raises(StateConflict, match=f"revision 5: rollback {ROUTES[0]}"):
        a.promote(ROUTES[0], function=None, weight=20, reason="a", then=race)


def test_history_copies_are_never_written_twice(stores: Stores, backend: S3Backend) -> None:
    [(store, service)] = stores(1)
    service.promote(ROUTES[0], function=None, weight=None, reason=None)
    head = backend.require_head()
    assert head.txn is not None
    backend.put_change(head.revision, head.txn, [])
    assert len(store.history.entries()) == 1


def test_creating_over_an_existing_head_is_refused(stores: Stores) -> None:
    [(store, _)] = stores(1)
    with pytest.raises(StateConflict):
        store.create(store.read())


def test_unversioned_bucket_is_bad_input_with_the_fix(backend: S3Backend) -> None:
    s3_client("s3").put_bucket_versioning(
        Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"}
    )
    with pytest.raises(StateBackendError) as caught:
        backend.head()
    assert caught.value.exit_code == 2
    assert "versioning is Suspended" in caught.value.message
    assert "put-bucket-versioning --bucket team-state" in (caught.value.hint or "")


def test_no_manifest_on_the_backend_says_push(backend: S3Backend) -> None:
    with pytest.raises(StateBackendError, match="holds no manifest") as caught:
        backend.require_head()
    assert "migrate state push" in (caught.value.hint or "")


def test_head_layout_carries_the_change(stores: Stores) -> None:
    [(_, service)] = stores(1)
    service.promote(ROUTES[3], function=None, weight=None, reason="r")
    body = s3_client("s3").get_object(Bucket=BUCKET, Key=f"{PREFIX}/manifest.json")["Body"]
    head = json.loads(body.read())
    assert head["revision"] == 4
    assert "revision: 4" in head["manifest"]
    assert [e["route"] for e in head["change"]["entries"]] == [ROUTES[3]]
