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

from router.progressive.journal import Journal, ResumePoint, resume_point
from router.progressive.model import Outcome, RunReport
from router.progressive.plan import OptionMix, ProgressivePlan, check_option_mix, plan_from_options
from router.progressive.runner import ProgressiveRunner

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
