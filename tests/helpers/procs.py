"""Tags of processes that are no longer running, for the reclaiming of leftovers."""

from __future__ import annotations

import subprocess

from router.owners import process_tag

__all__ = ["dead_process_tag"]


def dead_process_tag() -> str:
    """The ``router.owners`` tag of a process that ran, was killed and was reaped."""
    proc = subprocess.Popen(["sleep", "60"])
    try:
        tag = process_tag(proc.pid)
    finally:
        proc.kill()
        proc.wait()
    assert tag is not None
    return tag
