"""The garbage collector paused while a manifest is parsed or packed.

This module must not parse, read or write anything.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """The garbage collector off meanwhile (as it was after): reading a 5,000-route
    manifest makes ~100,000 objects that are not garbage, and the passes its
    allocations triggered over them took a third of the reading time."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
