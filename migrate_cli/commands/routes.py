"""``migrate routes``, ``migrate route promote``, ``migrate rollback``, ``migrate history``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from migrate_cli.factory import DEFAULT_MANIFEST, Factory, JsonOpt, ManifestOpt
from migrate_cli.output import console, handle_errors, print_json
from router.errors import UsageError
from router.history import HistoryEntry, RouteState
from router.manifest.model import Route
from router.routes import RouteChange

__all__ = ["register"]

route_app = typer.Typer(
    help="Move one route between the monolith and Lambda.", no_args_is_help=True
)
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why; kept in the history.")]


def register(app: typer.Typer) -> None:
    app.command("routes")(list_routes)
    app.add_typer(route_app, name="route")
    route_app.command("promote")(promote)
    app.command("rollback")(rollback)
    app.command("history")(history)


@handle_errors
def list_routes(manifest: ManifestOpt = DEFAULT_MANIFEST, as_json: JsonOpt = False) -> None:
    """List every route with its target, weight, function and last change.

    Example: [bold]migrate routes --json[/]
    """
    factory = Factory(manifest)
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


def _routes_table(rows: list[dict[str, object]], revision: int) -> Table:
    table = Table(title=f"routes (manifest revision {revision})")
    for column in ("id", "method", "path", "target", "weight", "function", "last change"):
        table.add_column(column)
    for row in rows:
        style = (
            "green" if row["target"] == "lambda" else ("dim" if row["status"] != "active" else "")
        )
        cells = [
            row["id"],
            row["method"],
            row["path"],
            row["target"],
            f"{row['weight']}%",
            row["function"] or "",
            row["last_change"] or "",
        ]
        table.add_row(*(str(c) for c in cells), style=style)
    return table


@handle_errors
def promote(
    route: Annotated[str, typer.Argument(help='Route id or "METHOD /path".')],
    function: Annotated[
        str | None, typer.Option("--function", "-f", help="Handler as package.module.handler.")
    ] = None,
    weight: Annotated[
        int | None, typer.Option("--weight", "-w", help="Percent of requests to Lambda (1-100).")
    ] = None,
    reason: ReasonOpt = None,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Send a route (or a share of it) to its Lambda function.

    The handler must import and be callable. Without --weight the route moves fully.

    Example: [bold]migrate route promote "GET /api/users/{id}" -f migrated_functions.users.get[/]
    """
    change = (
        Factory(manifest)
        .route_service()
        .promote(route, function=function, weight=weight, reason=reason)
    )
    _report([change], as_json)


@handle_errors
def rollback(
    routes: Annotated[
        list[str] | None, typer.Argument(help='Route ids or "METHOD /path" to send back.')
    ] = None,
    all_routes: Annotated[bool, typer.Option("--all", help="Every route now on Lambda.")] = False,
    reason: ReasonOpt = None,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Send routes back to the monolith (their function stays recorded).

    Example: [bold]migrate rollback get-api-users-id --reason "p99 regression"[/]
    """
    if bool(routes) == all_routes:
        raise UsageError("give ROUTE... or --all (not both)")
    service = Factory(manifest).route_service()
    changes = (
        service.rollback_all(reason=reason)
        if all_routes
        else service.rollback(routes or [], reason=reason)
    )
    _report(changes, as_json)


def _report(changes: list[RouteChange], as_json: bool) -> None:
    if as_json:
        print_json([_change_json(c) for c in changes])
        return
    if not any(c.changed for c in changes):
        console.print("nothing to change")
    for change in changes:
        if change.changed:
            console.print(f"{change.route}: {_state(change.before)} -> {_state(change.after)}")


def _change_json(change: RouteChange) -> dict[str, object]:
    return {
        "route": change.route,
        "changed": change.changed,
        "before": vars(change.before),
        "after": vars(change.after),
    }


def _state(state: RouteState | None) -> str:
    if state is None:
        return "-"
    if state.target == "legacy":
        return "legacy"
    return f"lambda {state.weight}% ({state.function})"


@handle_errors
def history(
    route: Annotated[str | None, typer.Option("--route", help="Only this route id.")] = None,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Show the audit trail of every manifest change.

    Example: [bold]migrate history --json[/]
    """
    entries = [e for e in Factory(manifest).history().entries() if route in (None, e.route)]
    if as_json:
        print_json([e.to_json() for e in entries])
        return
    console.print(_history_table(entries))


def _history_table(entries: list[HistoryEntry]) -> Table:
    table = Table(title="history")
    for column in ("rev", "time", "user", "action", "route", "from -> to", "reason"):
        table.add_column(column)
    for e in entries:
        move = f"{_state(e.before)} -> {_state(e.after)}" if e.after else _details(e)
        table.add_row(
            str(e.revision), e.time, e.user, e.action, e.route or "", move, e.reason or ""
        )
    return table


def _details(entry: HistoryEntry) -> str:
    return ", ".join(
        f"{k}: {len(v) if isinstance(v, list) else v}" for k, v in entry.details.items()
    )
