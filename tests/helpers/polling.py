"""Waiting in tests without guessing at timing: poll a condition until a deadline.

``wait_until(check)`` calls ``check`` until it returns something truthy and returns
that; past the deadline it fails the test with ``what`` and the last value seen. The
deadline is a generous bound for a loaded machine, not a speed claim: a test that
measures speed belongs in ``bench/``. This module must not sleep a fixed time
instead of checking.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["DEADLINE_S", "wait_until"]

T = TypeVar("T")
DEADLINE_S = 30.0


def wait_until(
    check: Callable[[], T],
    what: str = "the condition",
    *,
    deadline_s: float = DEADLINE_S,
    interval_s: float = 0.02,
) -> T:
    """``check()``'s first truthy value; AssertionError naming ``what`` past the deadline."""
    deadline = time.monotonic() + deadline_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not met within {deadline_s:g} s (last: {value!r})")
        time.sleep(interval_s)
