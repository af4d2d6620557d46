"""``migrate shadow``: compare a Lambda handler with the monolith on live traffic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.text import Text

from migrate_cli.context import factory_for
from migrate_cli.options import DEFAULT_MANIFEST, JsonOpt, ManifestOpt
from migrate_cli.output import console, err_console, handle_errors, print_json
from migrate_cli.views.shadow import shadow_message, shadow_table
from router.analysis.timespec import parse_window
from router.shadow.diff import DEFAULT_THRESHOLDS, Thresholds
from router.shadow.service import (
    MIN_REQUESTS,
    ShadowOptions,
    ShadowOutcome,
    outcome_json,
)

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("shadow")(shadow)


@handle_errors
def shadow(
    ctx: typer.Context,
    route: Annotated[str, typer.Argument(help='Route id or "METHOD /path".')],
    function: Annotated[
        str | None,
        typer.Option("--function", "-f", help="Candidate handler (default: the route's function)."),
    ] = None,
    duration: Annotated[str, typer.Option("--duration", "-d", help="How long: 30s, 5m.")] = "5m",
    allow_side_effects: Annotated[
        bool,
        typer.Option("--allow-side-effects", help="Also copy POST/PUT/PATCH/DELETE requests."),
    ] = False,
    min_requests: Annotated[
        int, typer.Option("--min-requests", min=1, help="Fewer shadowed requests: exit 3.")
    ] = MIN_REQUESTS,
    absolute: Annotated[
        float,
        typer.Option("--abs-threshold", min=0, max=1, help="Rate above noise for a mismatch."),
    ] = DEFAULT_THRESHOLDS.absolute,
    relative: Annotated[
        float,
        typer.Option("--rel-threshold", min=0, help="Fraction above the noise rate as well."),
    ] = DEFAULT_THRESHOLDS.relative,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Send copies of a monolith route's live requests to a Lambda handler and compare.

    While it runs, a `migrate serve` on this manifest answers every request from the
    monolith as usual and, off the request path, sends a copy to the handler
    (candidate) and one to the monolith again (to learn which fields are noise, e.g.
    timestamps). Only GET/HEAD unless --allow-side-effects; at most 50 requests a second
    are copied (the gateway's MIGRATE_SHADOW_RATE). A field is a real mismatch
    when the handler differs from the monolith more often than two monolith calls
    differ from each other, by --abs-threshold and --rel-threshold. The result is kept
    in <manifest stem>.shadow/ROUTE/last.json:
    `migrate route promote` refuses the same handler after real mismatches unless
    --force.

    Exit codes: 0 parity, 1 real mismatches, 2 bad input, 3 too little traffic.

    Example: [bold]migrate shadow get-api-users-id -f migrated_functions.users.get_user -d 5m[/]
    """
    factory = factory_for(ctx, manifest)
    options = ShadowOptions(
        route=route,
        function=function,
        duration=parse_window(duration, option="--duration"),
        allow_side_effects=allow_side_effects,
        min_requests=min_requests,
        thresholds=Thresholds(absolute, relative),
    )
    with _progress(route) as observer:
        outcome = factory.shadow_service().run(options, observer)
    _show(outcome, as_json)
    raise typer.Exit(outcome.exit_code)


class _Observer:
    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress, self._task = progress, task

    def progress(self, elapsed_s: float, total_s: float, requests: int) -> None:
        self._progress.update(self._task, completed=elapsed_s, total=total_s, requests=requests)


@contextmanager
def _progress(route: str) -> Iterator[_Observer]:
    # The route goes in as a task field, never into the column's format string or
    # markup: "GET /api/users/{id}" would be a format field, "[b]" a style.
    columns = (
        TextColumn("shadowing {task.fields[route]}", markup=False),
        BarColumn(),
        TextColumn("{task.fields[requests]} requests"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task("shadow", total=None, requests=0, route=route)
        yield _Observer(progress, task)


def _show(outcome: ShadowOutcome, as_json: bool) -> None:
    data = outcome_json(outcome)
    if as_json:
        print_json(data)
    else:
        console.print(shadow_table(data))
    style = {0: "green", 1: "red"}.get(outcome.exit_code, "yellow")
    err_console.print(Text(shadow_message(data), style=style), highlight=False, soft_wrap=True)
