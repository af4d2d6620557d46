"""Leases for long operations on the S3 backend: who holds one, from where, until when.

A lease is the object ``PREFIX/leases/<name>.json`` (holder, host, pid, operation,
start, expiry). It is taken by a conditional write: ``IfNoneMatch: *`` when there is
none, ``IfMatch`` on the ETag of an expired or released one; a live lease of another
holder is ``LeaseHeld``. ``hold`` renews it (``IfMatch`` on the ETag it wrote) every
third of its time to live from a thread while the operation lives (a failed renewal
is retried at the next third; a lease broken or taken over meanwhile is left to its
new holder), and releases it (expiry now) when it ends; a killed holder stops
renewing, so the lease expires. The block gets a ``Holding`` whose ``check`` it calls
between its steps: ``LeaseLost`` once the lease was broken, taken over or lapsed
(not renewed within its time to live, e.g. a stalled process), so it stops there.
``break_`` ends a lease whatever its state (recorded in the history by the caller).
``MIGRATE_LEASE_TTL`` (seconds) sets the time to live (``lease_ttl``; 60 s without it).
Clocks and waits are injected. This module must not decide which operations need one.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime

from router.aws.state_s3 import StateBucket
from router.errors import (
    LeaseHeld,
    LeaseLost,
    StateBackendError,
    StateConflict,
    StateError,
    StranglerError,
)
from router.history import current_user
from router.state.location import StateLocation

__all__ = ["DEFAULT_TTL", "LEASE_TTL_ENV", "Holding", "Lease", "LeaseKeeper", "lease_ttl"]

DEFAULT_TTL = 60.0  # seconds a lease lives without renewal
LEASE_TTL_ENV = "MIGRATE_LEASE_TTL"
LEASES = "leases/"
Wait = Callable[[threading.Event, float], bool]  # Event.wait: True once stopped


def lease_ttl(env: Mapping[str, str]) -> float:
    """The leases' time to live from ``MIGRATE_LEASE_TTL``; exit 2 unless a positive number."""
    value = env.get(LEASE_TTL_ENV, "").strip()
    if not value:
        return DEFAULT_TTL
    try:
        ttl = float(value)
    except ValueError:
        ttl = 0.0
    if not 0 < ttl < float("inf"):
        raise StateBackendError(
            f"{LEASE_TTL_ENV}: {value!r} is not a time to live",
            hint="give the seconds a lease lives without renewal, e.g. 60",
        )
    return ttl


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    host: str
    pid: int
    operation: str
    start: float
    expiry: float

    def alive(self, now: float) -> bool:
        return now < self.expiry

    def to_json(self, now: float) -> dict[str, object]:
        return {**asdict(self), "start": _iso(self.start), "expiry": _iso(self.expiry),
                "alive": self.alive(now)}  # fmt: skip


@dataclass(frozen=True)
class _Held:
    lease: Lease
    etag: str


class LeaseKeeper:
    """Take, renew, release, list and break the leases of one state location."""

    def __init__(
        self,
        bucket: StateBucket,
        location: StateLocation,
        *,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bucket, self.location, self.ttl, self._clock = bucket, location, ttl, clock

    def now(self) -> float:
        return self._clock()

    def acquire(self, name: str, operation: str) -> _Held:
        now = self._clock()
        current = self._read(name)
        if current is not None and current[0].alive(now):
            raise _held(current[0], self.location.url)
        lease = Lease(name, current_user(), socket.gethostname(), os.getpid(), operation,
                      now, now + self.ttl)  # fmt: skip
        etag = self._write(lease, current[1] if current else None)
        return _Held(lease, etag)

    def renew(self, held: _Held) -> _Held:
        lease = replace(held.lease, expiry=self._clock() + self.ttl)
        return _Held(lease, self._write(lease, held.etag))

    def release(self, held: _Held) -> None:
        self._write(replace(held.lease, expiry=self._clock()), held.etag)

    def break_(self, name: str) -> Lease:
        """End ``name``'s lease now (``StateError`` if there is none)."""
        current = self._read(name)
        if current is None:
            raise StateError(f"{self.location.url}: no lease {name!r} to break")
        self._write(replace(current[0], expiry=self._clock()), current[1])
        return current[0]

    def leases(self) -> list[Lease]:
        keys = self.bucket.keys(self.location.key(LEASES))
        found = [self._read(key.rsplit("/", 1)[-1].removesuffix(".json")) for key in keys]
        return [f[0] for f in found if f is not None]

    @contextmanager
    def hold(self, name: str, operation: str, *, wait: Wait | None = None) -> Iterator[Holding]:
        """The lease for the block's duration, renewed from a thread every ttl / 3; the
        block checks it between its steps (``Holding.check``)."""
        holding = Holding(self, self.acquire(name, operation))
        stop = threading.Event()
        pause = wait or (lambda event, seconds: event.wait(seconds))

        def renew() -> None:
            while not pause(stop, self.ttl / 3):
                try:
                    holding.held = self.renew(holding.held)
                except (StateConflict, LeaseHeld):
                    holding.lost = self.loss(holding.held.lease)  # no longer ours to renew
                    return
                except StranglerError:
                    continue  # unreachable for a moment: retried at the next third

        thread = threading.Thread(target=renew, name=f"lease-{name}", daemon=True)
        thread.start()
        try:
            yield holding
        finally:
            stop.set()
            thread.join()
            with suppress(StateConflict, LeaseHeld):  # IfMatch: never overwrites
                self.release(holding.held)  # whoever broke or took it over meanwhile

    def loss(self, ours: Lease) -> str:
        """How ``ours`` was lost: broken, or taken over (by whom)."""
        try:
            current = self._read(ours.name)
        except StranglerError:
            return "was broken or taken over"
        if current is None:
            return "was removed"
        lease = current[0]
        if lease.alive(self._clock()) and (lease.pid, lease.start) != (ours.pid, ours.start):
            return f"was taken over by {lease.holder} on {lease.host} (pid {lease.pid})"
        return "was broken (`migrate lock break`)"

    def _key(self, name: str) -> str:
        return self.location.key(f"{LEASES}{name}.json")

    def _read(self, name: str) -> tuple[Lease, str] | None:
        found = self.bucket.get(self._key(name))
        if found is None:
            return None
        return Lease(**json.loads(found.body)), found.etag

    def _write(self, lease: Lease, etag: str | None) -> str:
        body = json.dumps(asdict(lease), sort_keys=True).encode("utf-8")
        try:
            return self.bucket.put(self._key(lease.name), body, if_match=etag)
        except StateConflict as exc:
            now = self._clock()
            current = self._read(lease.name)
            if current is not None and current[0].alive(now):
                raise _held(current[0], self.location.url) from exc
            raise StateConflict(f"lease {lease.name!r} changed while taking it: retry") from exc


class Holding:
    """A lease held by this process for a block (a ``router.guard.Guard``): ``check``
    raises ``LeaseLost`` once it was broken, taken over or lapsed unrenewed."""

    def __init__(self, keeper: LeaseKeeper, held: _Held) -> None:
        self._keeper, self.held = keeper, held
        self.lost: str | None = None  # set by the renewal thread

    @property
    def lease(self) -> Lease:
        return self.held.lease

    def check(self) -> None:
        lease, keeper = self.held.lease, self._keeper
        if self.lost is None and not lease.alive(keeper.now()):
            self.lost = f"lapsed: not renewed within its time to live ({keeper.ttl:g} s)"
        if self.lost is not None:
            raise LeaseLost(
                f"{keeper.location.url}: lease {lease.name!r} {self.lost}: this "
                f"{lease.operation} stops here; it changes nothing more",
                hint="`migrate lock status` shows who holds it now, `migrate history` what "
                "the run did; once it is free, `--resume` continues a progressive run",
            )


def _held(lease: Lease, url: str) -> LeaseHeld:
    return LeaseHeld(
        f"{url}: {lease.operation} is running: lease {lease.name!r} held by {lease.holder} "
        f"on {lease.host} (pid {lease.pid}) since {_iso(lease.start)}, "
        f"until {_iso(lease.expiry)} unless renewed",
        hint=f"wait for it; if its holder is gone: migrate lock break {lease.name} --reason '...'",
    )


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
