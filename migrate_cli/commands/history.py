"""``migrate history``: the audit trail of every manifest change."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from migrate_cli.context import factory_for
from migrate_cli.options import DEFAULT_MANIFEST, JsonOpt, ManifestOpt
from migrate_cli.output import console, handle_errors, print_json
from migrate_cli.views.routes import describe_state
from router.history import HistoryEntry

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("history")(history)


@handle_errors
def history(
    ctx: typer.Context,
    route: Annotated[str | None, typer.Option("--route", help="Only this route id.")] = None,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Show the audit trail of every manifest change.

    Example: [bold]migrate history --json[/]
    """
    entries = [
        e for e in factory_for(ctx, manifest).history().entries() if route in (None, e.route)
    ]
    if as_json:
        print_json([e.to_json() for e in entries])
        return
    console.print(_history_table(entries))


def _history_table(entries: list[HistoryEntry]) -> Table:
    table = Table(title="history")
    for column in ("rev", "time", "user", "action", "route", "from -> to", "reason"):
        table.add_column(column)
    for e in entries:
        move = (
            f"{describe_state(e.before)} -> {describe_state(e.after)}" if e.after else _details(e)
        )
        cells = (str(e.revision), e.time, e.user, e.action, e.route or "", move, e.reason or "")
        table.add_row(*map(Text, cells))  # Text: a "[bold]" in a reason is not markup
    return table


def _details(entry: HistoryEntry) -> str:
    return ", ".join(
        f"{k}: {len(v) if isinstance(v, list) else v}" for k, v in entry.details.items()
    )
