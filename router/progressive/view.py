"""How a progressive run looks: the live progress line, the summary, the JSON.

``LiveView`` is an ``Observer`` drawing a rich ``Progress`` on the console it is
given (stderr): step k/n, weight, phase, time left in the interval, last verdict.
``report_json``/``checks_table``/``outcome_message`` render a finished ``RunReport``;
``resume_command`` is the exact command that continues an unfinished run. This
module must not decide anything or change routes.
"""

from __future__ import annotations

import shlex
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn
from rich.table import Table
from rich.text import Text

from router.progressive.model import CheckRecord, Outcome, RunReport, Status

__all__ = ["LiveView", "checks_table", "outcome_message", "report_json", "resume_command"]


class LiveView:
    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[left]}"),
            console=console,
            transient=True,  # the summary follows; the last progress line would repeat it
        )
        self.task: TaskID | None = None

    def __enter__(self) -> LiveView:
        self.progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def update(self, status: Status) -> None:
        waiting = status.phase == "waiting"
        done = status.interval_s - status.left_s if waiting else status.interval_s
        text, left = _describe(status), f"{status.left_s:4.0f}s left" if waiting else ""
        if self.task is None:
            self.task = self.progress.add_task(text, total=status.interval_s, left=left)
        self.progress.update(
            self.task, description=text, total=status.interval_s, completed=done, left=left
        )


def _describe(status: Status) -> str:
    verdict = status.last_verdict or "-"
    return (
        f"step {status.step_index + 1}/{status.n_steps} [bold]{status.weight}%[/] on Lambda, "
        f"{status.phase}; last verdict {verdict}; "
        f"failed checks {status.failed_checks}, holds {status.holds}"
    )


def resume_command(route: str, manifest: str | None) -> str:
    where = ["--manifest", manifest] if manifest else []
    return shlex.join(["migrate", "route", "promote", route, "--resume", *where])


def outcome_message(report: RunReport, resume: str) -> str:
    left = f"route {report.route} is left at {report.weight}% on Lambda"
    if report.outcome == Outcome.COMPLETED:
        return f"promoted through {_steps(report)}: {left}"
    if report.outcome == Outcome.ROLLED_BACK:
        failed = report.checks[-1].failed_checks if report.checks else 0
        return f"rolled back to the monolith after {failed} failed check(s): {left}"
    why = (
        "too little traffic: the checks stayed inconclusive past --max-holds"
        if report.outcome == Outcome.HELD
        else f"interrupted ({report.error or 'stopped'})"
    )
    return f"{why}; {left}; continue with: {resume}"


def _steps(report: RunReport) -> str:
    return ",".join(f"{s}%" for s in report.steps)


def report_json(report: RunReport, resume: str) -> dict[str, Any]:
    return {
        "route": report.route,
        "run_id": report.run_id,
        "outcome": report.outcome.value,
        "exit_code": report.exit_code,
        "weight": report.weight,
        "steps": list(report.steps),
        "step_index": report.step_index,
        "control_at_100": report.control_at_100,
        "checks": [_check_json(c) for c in report.checks],
        "error": report.error,
        "resume": resume if report.resumable else None,
        "message": outcome_message(report, resume),
    }


def _check_json(check: CheckRecord) -> dict[str, Any]:
    return {
        "step": check.step_index + 1,
        "weight": check.weight,
        "verdict": check.verdict.value,
        "mode": check.mode,
        "decision": check.decision.value,
        "window_ms": list(check.window),
        "lambda_requests": check.lambda_count,
        "legacy_requests": check.legacy_count,
        "failed_checks": check.failed_checks,
        "holds": check.holds,
        "reasons": list(check.reasons),
    }


def checks_table(report: RunReport) -> Table:
    title = Text(f"progressive promotion of {report.route} (run {report.run_id})")
    table = Table(title=title)
    for column in ("step", "weight", "verdict", "mode", "decision", "lambda n", "legacy n"):
        table.add_column(column)
    for c in report.checks:
        cells = (c.step_index + 1, f"{c.weight}%", c.verdict.value, c.mode, c.decision.value)
        table.add_row(*(str(x) for x in (*cells, c.lambda_count, c.legacy_count)))
    return table
