"""``migrate plan`` and ``migrate apply``: the manifest onto API Gateway and Lambda."""

from __future__ import annotations

from typing import Annotated

import typer

from migrate_cli.context import factory_for
from migrate_cli.options import DEFAULT_MANIFEST, ForceOpt, JsonOpt, ManifestOpt, YesOpt
from migrate_cli.output import err_console, handle_errors, print_json, progress
from migrate_cli.planview import confirm_for, plan_json, print_applied, print_plan

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
    app.command("apply")(apply)


@handle_errors
def plan(
    ctx: typer.Context,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when there are changes.")
    ] = False,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Show what `migrate apply` would change in API Gateway and Lambda (read-only).

    Uses the standard AWS credential chain, AWS_PROFILE and AWS_REGION, or
    AWS_ENDPOINT_URL for a local endpoint (`migrate up` starts one).

    On an S3 state backend it also says whether the local manifest differs from the
    backend's current revision, and which side is newer.

    Example: [bold]migrate plan --detailed-exitcode[/]   (0: in sync, 2: changes, 1: error)
    """
    factory = factory_for(ctx, manifest)
    result = factory.deploy_service(progress).plan()
    state = factory.state_comparison()  # on an S3 backend: which side is newer
    if as_json:
        extra = {"state": {"backend": state[0], **vars(state[1])}} if state else {}
        print_json({**plan_json(result), **extra})
    else:
        if state:
            err_console.print(state[1].sentence(state[0]), markup=False)
        print_plan(result)
    if detailed_exitcode and (result.has_changes or result.drift):
        raise typer.Exit(2)


@handle_errors
def apply(
    ctx: typer.Context,
    yes: YesOpt = False,
    force: ForceOpt = False,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Apply the manifest: import the definition, deploy the stage, sync the functions.

    Refuses when the deployed API was changed outside strangler, unless --force.

    Example: [bold]migrate apply --yes[/]
    """
    service = factory_for(ctx, manifest).deploy_service(progress)
    applied = service.apply(force=force, confirm=confirm_for(yes, as_json))
    if as_json:
        print_json({**plan_json(applied.plan), "result": _result(applied.result)})
        return
    if applied.result is None:
        print_plan(applied.plan)
    print_applied(applied)


def _result(result: object) -> object:
    return vars(result) if result is not None else None
