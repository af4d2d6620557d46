"""``migrate lock status|break``: the leases of long operations on an S3 state backend."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from migrate_cli.context import factory_for
from migrate_cli.options import DEFAULT_MANIFEST, JsonOpt, ManifestOpt
from migrate_cli.output import console, handle_errors, print_json
from router.errors import UsageError

__all__ = ["register"]

lock_app = typer.Typer(help="Leases of long operations (S3 state backend).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(lock_app, name="lock")
    lock_app.command("status")(status)
    lock_app.command("break")(break_lease)


@handle_errors
def status(
    ctx: typer.Context, manifest: ManifestOpt = DEFAULT_MANIFEST, as_json: JsonOpt = False
) -> None:
    """Show every lease: holder, host, pid, operation, start, expiry, alive.

    Example: [bold]migrate lock status --json[/]
    """
    factory = factory_for(ctx, manifest)
    leases = factory.lease_keeper().leases()
    now = factory.clock().timestamp()
    rows = [lease.to_json(now) for lease in leases]
    if as_json:
        print_json(rows)
        return
    table = Table(title="leases")
    for column in _COLUMNS:
        table.add_column(column)
    for row in rows:
        table.add_row(*(Text(str(row[c])) for c in _COLUMNS))
    console.print(table)


_COLUMNS = ("name", "holder", "host", "pid", "operation", "start", "expiry", "alive")


@handle_errors
def break_lease(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The lease to break (see `migrate lock status`).")],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why; kept in the history.")
    ] = None,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Break a stale lease (its holder died or hangs); the break is recorded in the history.

    Example: [bold]migrate lock break state --reason "laptop of the holder is gone"[/]
    """
    if not reason:
        raise UsageError("--reason is required: say why the lease is broken")
    factory = factory_for(ctx, manifest)
    lease = factory.break_lease(name, reason)
    if as_json:
        print_json({"broken": lease.to_json(factory.clock().timestamp()), "reason": reason})
        return
    console.print(f"broke lease {name} held by {lease.holder} on {lease.host}", markup=False)
