"""Show a deployment plan (and what applying it did) in the terminal or as JSON.

Output only: must not compute or change anything.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import typer
from rich.markup import escape

from migrate_cli.output import console, err_console
from router.deploy.model import ArtifactChange, Plan
from router.deploy.service import Applied
from router.deploy.view import ViewChange

__all__ = ["confirm_for", "plan_json", "print_applied", "print_plan"]


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "api": plan.api_name,
        "api_id": plan.api_id,
        "stage": plan.stage,
        "has_changes": plan.has_changes,
        "drift": list(plan.drift),
        "routes": [_change_json(c) for c in plan.route_changes],
        "canary": [_change_json(c) for c in plan.canary_changes],
        "canary_percent": {"before": plan.canary_percent[0], "after": plan.canary_percent[1]},
        "artifacts": [_artifact_json(a) for a in plan.artifacts],
        "steps": [step.describe() for step in plan.steps],
        "notes": list(plan.notes),
        "warnings": list(plan.warnings),
    }


def _artifact_json(change: ArtifactChange) -> dict[str, Any]:
    return {
        "kind": change.kind,
        "name": change.name,
        "sha256_before": change.before,
        "sha256": change.after,
        "size": change.size,
        "unzipped": change.unzipped,
        "action": change.action,
        "via": change.via,
    }


def _change_json(change: ViewChange) -> dict[str, Any]:
    return {"route": change.key, "kind": change.kind, "change": change.describe()}


def print_plan(plan: Plan) -> None:
    where = f"{plan.api_name} ({plan.api_id or 'not created yet'}), stage {plan.stage}"
    console.print(f"[bold]plan for {escape(where)}[/]")
    for line in plan.drift:
        console.print(f"  [red]drift:[/] {escape(line)}")
    for line in plan.warnings:
        console.print(f"  [yellow]warning:[/] {escape(line)}")
    for change in plan.route_changes:
        console.print(f"  [yellow]~[/] {escape(change.describe())}")
    for change in plan.canary_changes:
        console.print(f"  [cyan]canary[/] {escape(change.describe())}")
    for artifact in plan.artifacts:
        console.print(f"  [blue]artifact[/] {escape(artifact.describe())}")
    for number, step in enumerate(plan.steps, 1):
        console.print(f"  {number}. {escape(step.describe())}")
    for note in plan.notes:
        console.print(f"  [dim]note: {escape(note)}[/]")
    if not plan.has_changes:
        console.print("  no changes: the deployed API matches the manifest")


def print_applied(applied: Applied) -> None:
    result = applied.result
    if result is None:
        return
    calls = ", ".join(result.calls) or "none"
    artifact_calls = ", ".join(result.artifact_calls) or "none"
    console.print(
        f"[green]applied[/]: deployment {escape(result.deployment_id or '-')}; "
        f"API Gateway calls: {escape(calls)}; Lambda and S3 writes: {escape(artifact_calls)}"
    )


def confirm_for(yes: bool, as_json: bool) -> Callable[[Plan], bool]:
    """A confirmation callback: --yes, else ask on a terminal, else refuse."""

    def confirm(plan: Plan) -> bool:
        if yes:
            return True
        if not as_json:
            print_plan(plan)
        if not sys.stdin.isatty():
            err_console.print("not a terminal: pass --yes to apply without a prompt")
            return False
        return bool(typer.confirm("apply these changes?", default=False))

    return confirm
