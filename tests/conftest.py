"""Suite-wide settings: hypothesis is derandomized on CI so a run is reproducible.

SIGTERM (a cancelled CI job, a ``kill``) ends the run like Ctrl-C, so fixtures still
stop every server they started; by default it killed pytest at once and left them.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def pytest_configure(config: pytest.Config) -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
