"""``migrate routes``, ``migrate route promote``, ``migrate rollback``, ``migrate history``."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from migrate_cli.bigtable import LONG_TABLE_ROWS, long_table
from migrate_cli.context import factory_for
from migrate_cli.factory import Factory
from migrate_cli.options import DEFAULT_MANIFEST, ForceOpt, JsonOpt, ManifestOpt, YesOpt
from migrate_cli.output import console, err_console, handle_errors, print_json, progress
from migrate_cli.planview import confirm_for, plan_json, print_applied
from migrate_cli.views.routes import describe_state
from router.deploy.service import Applied, Declined
from router.errors import UsageError
from router.history import HistoryEntry
from router.manifest.model import Route
from router.progressive.plan import OptionMix, ProgressivePlan, check_option_mix
from router.routes import RouteChange

if TYPE_CHECKING:
    from router.progressive.model import Observer, RunReport
    from router.progressive.session import RunOptions

__all__ = ["register"]

route_app = typer.Typer(
    help="Move one route between the monolith and Lambda.", no_args_is_help=True
)
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why; kept in the history.")]
ApplyOpt = Annotated[
    bool, typer.Option("--apply", help="Also apply to API Gateway now (see `migrate apply`).")
]
StepsOpt = Annotated[
    str | None,
    typer.Option(
        "--steps", help="Walk the Lambda share through these percents, checking each: 5,25,50,100."
    ),
]
IntervalOpt = Annotated[
    str | None,
    typer.Option("--interval", help="With --steps: time at each weight before its check [2m]."),
]
MaxFailedOpt = Annotated[
    int | None,
    typer.Option(
        "--max-failed-checks", help="With --steps: failed checks in a run before rollback [2]."
    ),
]
MaxHoldsOpt = Annotated[
    int | None,
    typer.Option("--max-holds", help="With --steps: extra intervals on too little traffic [3]."),
]
PromoteForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Promote despite real mismatches in the handler's last shadow run "
        "(with --apply: also despite drift).",
    ),
]
ResumeOpt = Annotated[
    bool, typer.Option("--resume", help="Continue the route's unfinished --steps run.")
]


def register(app: typer.Typer) -> None:
    app.command("routes")(list_routes)
    app.add_typer(route_app, name="route")
    route_app.command("promote")(promote)
    app.command("rollback")(rollback)


@handle_errors
def list_routes(
    ctx: typer.Context, manifest: ManifestOpt = DEFAULT_MANIFEST, as_json: JsonOpt = False
) -> None:
    """List every route with its target, weight, function and last change.

    Example: [bold]migrate routes --json[/]
    """
    factory = factory_for(ctx, manifest)
    model = factory.store().read()
    last = _last_changes(factory.history().entries())
    rows = [_route_row(r, last.get(r.id)) for r in model.routes]
    if as_json:
        print_json({"revision": model.revision, "routes": rows})
        return
    console.print(_routes_table(rows, model.revision))


def _last_changes(entries: list[HistoryEntry]) -> dict[str, str]:
    return {e.route: e.time for e in entries if e.route is not None}


def _route_row(route: Route, changed: str | None) -> dict[str, object]:
    return {
        "id": route.id,
        "method": route.method,
        "path": route.path,
        "target": route.target,
        "weight": route.effective_weight,
        "function": route.function,
        "status": route.status,
        "last_change": changed,
    }


_COLUMNS = ("id", "method", "path", "target", "weight", "function", "last change")


def _routes_table(rows: list[dict[str, object]], revision: int) -> RenderableType:
    title = f"routes (manifest revision {revision})"
    cells = [_cells(row) for row in rows]
    styles = [_style(row) for row in rows]
    if len(rows) >= LONG_TABLE_ROWS:
        return long_table(title, _COLUMNS, cells, styles)
    table = Table(title=title)
    for column in _COLUMNS:
        table.add_column(column)
    for row_cells, style in zip(cells, styles, strict=True):
        table.add_row(*(Text(c) for c in row_cells), style=style)
    return table


def _style(row: dict[str, object]) -> str:
    return "green" if row["target"] == "lambda" else ("dim" if row["status"] != "active" else "")


def _cells(row: dict[str, object]) -> list[str]:
    return [
        str(row["id"]), str(row["method"]), str(row["path"]), str(row["target"]),
        f"{row['weight']}%", str(row["function"] or ""), str(row["last_change"] or ""),
    ]  # fmt: skip


@handle_errors
def promote(
    ctx: typer.Context,
    route: Annotated[str, typer.Argument(help='Route id or "METHOD /path".')],
    function: Annotated[
        str | None, typer.Option("--function", "-f", help="Handler as package.module.handler.")
    ] = None,
    weight: Annotated[
        int | None, typer.Option("--weight", "-w", help="Percent of requests to Lambda (1-100).")
    ] = None,
    reason: ReasonOpt = None,
    apply_now: ApplyOpt = False,
    yes: YesOpt = False,
    force: PromoteForceOpt = False,
    steps: StepsOpt = None,
    interval: IntervalOpt = None,
    max_failed_checks: MaxFailedOpt = None,
    max_holds: MaxHoldsOpt = None,
    resume: ResumeOpt = False,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Send a route (or a share of it) to its Lambda function.

    The handler must import and be callable. Without --weight the route moves fully.
    A handler whose last `migrate shadow` run on the route found real mismatches is
    refused (exit 1) unless --force.
    With --apply the change reaches API Gateway in the same step (a weight under 100
    becomes a canary deployment); if that fails, the manifest is left as it was.

    With --steps the share moves step by step: after each --interval the Lambda share
    is compared with the monolith share of the same window (at 100%: with the
    monolith share of the step before). Pass: next step; inconclusive: hold (at most
    --max-holds, then exit 3); fail: re-check, and roll back at --max-failed-checks
    (exit 1). Ctrl-C leaves the route at its current weight; --resume continues.

    Example: [bold]migrate route promote "GET /api/users/{id}" -f migrated_functions.users.get[/]

    Example: [bold]migrate route promote get-api-users-id --steps 5,25,50,100 --interval 2m[/]
    """
    tuning = (("--interval", interval), ("--max-failed-checks", max_failed_checks))
    given = tuple(n for n, v in (*tuning, ("--max-holds", max_holds)) if v is not None)
    check_option_mix(OptionMix(steps is not None, resume, weight is not None, given))
    factory = factory_for(ctx, manifest)
    if steps is not None or resume:
        from router.progressive.session import RunOptions

        options = RunOptions(
            route=route,
            steps=steps,
            interval=interval,
            max_failed_checks=max_failed_checks,
            max_holds=max_holds,
            resume=resume,
            apply=apply_now,
            force=force,
            function=function,
            reason=reason,
        )
        _progressive(factory, options, yes, as_json)
        return
    if not apply_now:
        change = factory.route_service().promote(
            route, function=function, weight=weight, reason=reason, force=force
        )
        _report([change], as_json)
        return
    applied = factory.deploy_service(progress).promote(
        route,
        function=function,
        weight=weight,
        reason=reason,
        force=force,
        confirm=confirm_for(yes, as_json),
    )
    _report_applied(applied, as_json)


def _progressive(factory: Factory, options: RunOptions, yes: bool, as_json: bool) -> None:
    from router.progressive.session import held, prepare, run, validate

    validate(options)  # bad input (exit 2) takes no lease
    services = factory.progressive_services()
    with held(options, services) as guard:  # read the resume point once the run is ours
        prepared = prepare(options, services)
        if prepared.plan.apply:
            _confirm_run(prepared.plan, yes)
        with _observer(as_json) as observer:
            report = run(prepared, options, services, observer, guard)
    _show_progressive(report, factory.manifest_path, as_json)


def _confirm_run(plan: ProgressivePlan, yes: bool) -> None:
    """--apply moves API Gateway at every step (and may roll back): ask once, up front."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError("--apply with --steps changes API Gateway at every step: pass --yes")
    steps = ",".join(f"{s}%" for s in plan.steps)
    if not typer.confirm(f"walk {plan.route} through {steps} on API Gateway?", default=False):
        raise Declined("nothing was changed (the progressive promotion was not confirmed)")


def _observer(as_json: bool) -> AbstractContextManager[Observer | None]:
    from router.progressive.view import LiveView

    return nullcontext(None) if as_json else LiveView(err_console)


def _show_progressive(report: RunReport, manifest: Path, as_json: bool) -> None:
    from router.progressive.view import checks_table, outcome_message, report_json, resume_command

    resume = resume_command(report.route, None if manifest == DEFAULT_MANIFEST else str(manifest))
    if as_json:
        print_json(report_json(report, resume))
    else:
        console.print(checks_table(report))
    style = "green" if report.exit_code == 0 else "yellow"
    message = outcome_message(report, resume)  # unwrapped: the resume command is copied
    err_console.print(Text(message, style=style), highlight=False, soft_wrap=True)
    raise typer.Exit(report.exit_code)


@handle_errors
def rollback(
    ctx: typer.Context,
    routes: Annotated[
        list[str] | None, typer.Argument(help='Route ids or "METHOD /path" to send back.')
    ] = None,
    all_routes: Annotated[bool, typer.Option("--all", help="Every route now on Lambda.")] = False,
    to_revision: Annotated[
        int | None,
        typer.Option("--to-revision", help="Every route as in this applied manifest revision."),
    ] = None,
    reason: ReasonOpt = None,
    apply_now: ApplyOpt = False,
    yes: YesOpt = False,
    force: ForceOpt = False,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Send routes back to the monolith (their function stays recorded).

    With --apply, rolling back the latest change points the stage at the previous
    deployment in one `update_stage` call (no re-import).

    Example: [bold]migrate rollback get-api-users-id --reason "p99 regression" --apply --yes[/]
    """
    if sum((bool(routes), all_routes, to_revision is not None)) != 1:
        raise UsageError("give ROUTE..., --all or --to-revision N (one of them)")
    factory = factory_for(ctx, manifest)
    if apply_now or to_revision is not None:
        applied = _rollback_applied(factory, routes, to_revision, reason, force, yes, as_json)
        _report_applied(applied, as_json)
        return
    service = factory.route_service()
    changes = (
        service.rollback_all(reason=reason)
        if all_routes
        else service.rollback(routes or [], reason=reason)
    )
    _report(changes, as_json)


def _rollback_applied(
    factory: Factory,
    routes: list[str] | None,
    to_revision: int | None,
    reason: str | None,
    force: bool,
    yes: bool,
    as_json: bool,
) -> Applied:
    service, confirm = factory.deploy_service(progress), confirm_for(yes, as_json)
    if to_revision is not None:
        return service.rollback_to_revision(
            to_revision, reason=reason, force=force, confirm=confirm
        )
    return service.rollback(routes or None, reason=reason, force=force, confirm=confirm)


def _report_applied(applied: Applied, as_json: bool) -> None:
    if as_json:
        result = vars(applied.result) if applied.result else None
        print_json(
            {
                "changes": [_change_json(c) for c in applied.changes],
                "plan": plan_json(applied.plan),
                "result": result,
            }
        )
        return
    _report(applied.changes, as_json)
    print_applied(applied)


def _report(changes: list[RouteChange], as_json: bool) -> None:
    if as_json:
        print_json([_change_json(c) for c in changes])
        return
    if not any(c.changed for c in changes):
        console.print("nothing to change")
    for change in changes:
        if change.changed:
            before, after = describe_state(change.before), describe_state(change.after)
            console.print(f"{change.route}: {before} -> {after}", markup=False)


def _change_json(change: RouteChange) -> dict[str, object]:
    return {
        "route": change.route,
        "changed": change.changed,
        "before": vars(change.before),
        "after": vars(change.after),
    }
