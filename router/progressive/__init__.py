"""Progressive promotion (``migrate route promote ROUTE --steps 5,25,50,100``).

Walk a route's Lambda share through the steps, judging each step's window before
going on, holding on too little traffic and rolling back on repeated failures;
every event goes to the history so an interrupted run can be resumed.

* ``plan``: option validation and the frozen ``ProgressivePlan``;
* ``model``: records, decisions, outcomes and the collaborator protocols;
* ``runner``: the state machine (injected clock, sleep, mover, checker);
* ``journal``: history entries and the resume point;
* ``adapters``: the real mover (RouteService / DeployService) and checker
  (AnalysisService);
* ``session``: one CLI invocation: options -> plan or resume point -> run;
* ``view``: the live display and the summary.

This package must not parse command-line options itself (``migrate_cli`` does) nor
change the manifest other than through ``RouteService``/``DeployService``.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "Journal",
    "OptionMix",
    "Outcome",
    "ProgressivePlan",
    "ProgressiveRunner",
    "ResumePoint",
    "RunReport",
    "check_option_mix",
    "plan_from_options",
    "resume_point",
]

# Imported on first use: ``model`` pulls in numpy (through ``router.analysis``), which
# ``migrate route promote`` without --steps never needs, yet it imports ``plan``.
_HOMES = {
    "Journal": "journal", "ResumePoint": "journal", "resume_point": "journal",
    "Outcome": "model", "RunReport": "model", "ProgressiveRunner": "runner",
    "OptionMix": "plan", "ProgressivePlan": "plan", "check_option_mix": "plan",
    "plan_from_options": "plan",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    """Load a submodule on first access to one of its names (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
