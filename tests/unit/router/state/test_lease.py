"""Leases on S3 (moto): taken by conditional writes, renewed while alive, expiring after."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from router.errors import LeaseHeld, LeaseLost, StateBackendError
from router.state import S3Backend
from router.state.lease import DEFAULT_TTL, LeaseKeeper, Wait, lease_ttl


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def _keeper(backend: S3Backend, clock: Clock) -> LeaseKeeper:
    return LeaseKeeper(backend.bucket, backend.location, ttl=60, clock=clock)


def test_a_live_lease_refuses_another_holder_naming_it(backend: S3Backend) -> None:
    clock = Clock()
    mine, theirs = _keeper(backend, clock), _keeper(backend, clock)
    mine.acquire("state", "apply")
    clock.now += 59
    with pytest.raises(LeaseHeld, match=r"apply is running: lease 'state' held by") as caught:
        theirs.acquire("state", "progressive run")
    assert "migrate lock break state" in (caught.value.hint or "")


def test_an_expired_lease_is_taken_over(backend: S3Backend) -> None:
    clock = Clock()
    _keeper(backend, clock).acquire("state", "apply")
    clock.now += 61  # the holder died: nobody renewed it
    taken = _keeper(backend, clock).acquire("state", "progressive run")
    assert taken.lease.operation == "progressive run"
    [only] = _keeper(backend, clock).leases()
    assert only.operation == "progressive run" and only.alive(clock.now)


def test_renewal_keeps_it_alive_and_release_frees_it(backend: S3Backend) -> None:
    clock = Clock()
    keeper = _keeper(backend, clock)
    calls, renewed = [], threading.Event()

    def wait(stop: threading.Event, seconds: float) -> bool:
        calls.append(seconds)
        if len(calls) > 3:  # three renewals done
            renewed.set()
            return stop.wait(10)
        clock.now += seconds
        return False

    with keeper.hold("state", "apply", wait=wait):
        assert renewed.wait(10), "the renewal thread died"
        [live] = keeper.leases()
        assert calls[:3] == [20, 20, 20]
        assert live.expiry == 1_060 + 60  # renewed at +20, +40, +60
        with pytest.raises(LeaseHeld):
            _keeper(backend, clock).acquire("state", "other")
    assert not keeper.leases()[0].alive(clock.now)
    _keeper(backend, clock).acquire("state", "other")


def test_break_ends_a_live_lease(backend: S3Backend) -> None:
    clock = Clock()
    _keeper(backend, clock).acquire("state", "apply")
    broken = _keeper(backend, clock).break_("state")
    assert broken.operation == "apply"
    _keeper(backend, clock).acquire("state", "resumed run")


def test_the_time_to_live_comes_from_the_environment() -> None:
    assert lease_ttl({}) == DEFAULT_TTL
    assert lease_ttl({"MIGRATE_LEASE_TTL": "2.5"}) == 2.5
    for bad in ("0", "-1", "soon", "inf", "nan"):
        with pytest.raises(StateBackendError, match="MIGRATE_LEASE_TTL"):
            lease_ttl({"MIGRATE_LEASE_TTL": bad})


def test_a_lease_taken_over_meanwhile_is_left_to_its_new_holder(backend: S3Backend) -> None:
    clock = Clock()
    keeper, tick, ticked = _keeper(backend, clock), threading.Event(), threading.Event()

    def wait(stop: threading.Event, seconds: float) -> bool:
        if ticked.is_set():
            return stop.wait(10)
        tick.wait(10)  # one renewal, once the lease was broken and taken over
        ticked.set()
        return False

    with keeper.hold("state", "apply", wait=wait):
        _keeper(backend, clock).break_("state")
        _keeper(backend, clock).acquire("state", "other")
        tick.set()
    [lease] = keeper.leases()
    assert (lease.operation, lease.alive(clock.now)) == ("other", True)


def _one_renewal_after(done: threading.Event) -> Wait:
    """A renewal wait: one renewal once ``done`` is set, then none until stopped."""
    ticked = threading.Event()

    def wait(stop: threading.Event, seconds: float) -> bool:
        if ticked.is_set():
            return stop.wait(10)
        done.wait(10)
        ticked.set()
        return False

    return wait


def _lost_on_renewal(backend: S3Backend, change: Callable[[Clock], None]) -> str:
    """The ``LeaseLost`` message a holder gets once ``change`` happened to its lease and
    its renewal thread tried once."""
    clock, changed = Clock(), threading.Event()
    keeper = _keeper(backend, clock)
    with keeper.hold("progressive-r", "progressive promotion of r",
                     wait=_one_renewal_after(changed)) as holding:  # fmt: skip
        holding.check()  # ours
        change(clock)
        changed.set()
        for _ in range(100):
            if holding.lost is not None:
                break
            time.sleep(0.05)
        with pytest.raises(LeaseLost) as lost:
            holding.check()
    assert "this progressive promotion of r stops here" in lost.value.message
    return lost.value.message


def test_a_held_lease_broken_meanwhile_stops_its_run(backend: S3Backend) -> None:
    def broken(clock: Clock) -> None:
        _keeper(backend, clock).break_("progressive-r")

    assert "lease 'progressive-r' was broken (`migrate lock break`)" in _lost_on_renewal(
        backend, broken
    )


def test_a_held_lease_taken_over_meanwhile_names_the_new_holder(
    backend: S3Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    def taken(clock: Clock) -> None:
        clock.now += 61  # a stall longer than its time to live
        monkeypatch.setenv("MIGRATE_USER", "bob")
        _keeper(backend, clock).acquire("progressive-r", "progressive promotion of r")

    assert "was taken over by bob on " in _lost_on_renewal(backend, taken)


def test_a_lease_not_renewed_within_its_time_to_live_has_lapsed(backend: S3Backend) -> None:
    clock = Clock()
    keeper = _keeper(backend, clock)
    with keeper.hold("shadow-r", "shadow run of r", wait=lambda stop, _: stop.wait(10)) as held:
        clock.now += 60  # the renewal thread never ran (a stalled process)
        lapsed = r"lapsed: not renewed within its time to live \(60 s\)"
        with pytest.raises(LeaseLost, match=lapsed):
            held.check()
    assert keeper.leases()[0].holder == held.lease.holder  # released, nobody else's
