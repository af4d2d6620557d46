"""What a killed gateway left behind, reclaimed by the next runtime that starts.

A gateway killed with SIGKILL (or a crash of the machine's OOM killer) cannot remove its
environments' private temp directories (``sandbox.private_tmp``) nor the scratch
directories of the builds it was running in the build cache (``router.build``). Both
are named after the process that made them (``router.owners``: pid, start time and
boot), so ``reclaim_leftovers`` removes exactly those whose owner is no longer running,
never a live gateway's, and logs how many. The runtime has no socket files to reclaim:
each environment's Runtime API listens on a loopback TCP port, which the kernel frees
with the process. This module must not start or stop processes.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from router.build import reclaim_scratch
from router.lambda_runtime.sandbox import TMP_PREFIX
from router.owners import reclaim

__all__ = ["reclaim_leftovers"]

log = logging.getLogger(__name__)


def reclaim_leftovers(tmp_root: Path | None = None, cache: Path | None = None) -> int:
    """Remove the environments' temp directories in ``tmp_root`` (default: the temp
    directory) and the build scratch directories in ``cache`` whose owner is dead."""
    tmps = reclaim(tmp_root or Path(tempfile.gettempdir()), (TMP_PREFIX,))
    scratch = reclaim_scratch(cache) if cache is not None else 0
    if tmps or scratch:
        log.warning(
            "removed %d Lambda environment temp director%s and %d build scratch"
            " director%s left by gateways or builds no longer running",
            tmps, "y" if tmps == 1 else "ies", scratch, "y" if scratch == 1 else "ies",
        )  # fmt: skip
    return tmps + scratch
