"""What a long operation checks between its steps: that it still holds its lease.

A run that holds a lease for its whole duration (a progressive run, a shadow run)
gets a ``Guard`` from its store's ``held``; ``check`` raises ``LeaseLost`` (exit 1)
once the lease was broken, taken over by another operator or lapsed, so the run stops
before its next step instead of acting on a state that is no longer its own. Local
files hold no lease: ``UNGUARDED`` never raises. This module must not read or write
anything.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["UNGUARDED", "Guard"]


class Guard(Protocol):
    def check(self) -> None:
        """``LeaseLost`` once the operation's lease is no longer its own."""


class _Unguarded:
    def check(self) -> None:
        """Nothing to lose: no lease is held."""


UNGUARDED: Guard = _Unguarded()
