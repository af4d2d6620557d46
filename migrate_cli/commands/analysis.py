"""``migrate baseline`` and ``migrate compare``: was the cutover good?"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from migrate_cli.context import factory_for
from migrate_cli.factory import Factory
from migrate_cli.options import DEFAULT_MANIFEST, JsonOpt, ManifestOpt
from migrate_cli.output import console, err_console, handle_errors, print_json
from router.analysis.model import Comparison, Figures, Mode
from router.analysis.report import (
    comparison_to_json,
    render_sparklines,
    render_table,
    sparkline,
    write_html,
)
from router.analysis.service import CompareResult
from router.analysis.timespec import parse_instant, parse_window
from router.errors import UsageError
from router.routes import resolve_route

__all__ = ["register"]

RouteArg = Annotated[str, typer.Argument(help='Route id or "METHOD /path".')]
FileOpt = Annotated[
    Path | None,
    typer.Option(
        help="Samples file (JSONL or .csv: latency_ms, status[, cold, time_ms]).", dir_okay=False
    ),
]


def register(app: typer.Typer) -> None:
    app.command("baseline")(baseline)
    app.command("compare")(compare)


@handle_errors
def baseline(
    ctx: typer.Context,
    route: RouteArg,
    window: Annotated[
        str, typer.Option("--window", "-w", help="How far back: 30s, 15m, 1h, 7d.")
    ] = "1h",
    end: Annotated[str, typer.Option("--end", help="Window end: now, -10m, ISO 8601.")] = "now",
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Capture a route's latency and errors while the monolith serves it.

    Reads the access logs (CloudWatch Logs) of the route in the window, or the
    CloudWatch metrics where no logs are kept. Refuses (exit 2) a window with no data.

    Example: [bold]migrate baseline "GET /api/users/{id}" --window 30m[/]
    """
    factory = factory_for(ctx, manifest)
    span = parse_window(window)
    until = parse_instant(end, now=factory.clock(), option="--end")
    with err_console.status("reading access logs and metrics..."):
        captured = factory.analysis_service().baseline(route, span, until)
    if as_json:
        print_json(captured.model_dump(exclude={"latencies_ms", "statuses"}))
        return
    console.print(
        f"baseline of {captured.route_id}: {captured.requests} requests from {captured.source}, "
        f"revision {captured.revision}, target {captured.target}",
        markup=False,
    )
    if captured.latencies_ms:
        console.print(f"  latency {sparkline(captured.latencies_ms)}")


@handle_errors
def compare(
    ctx: typer.Context,
    route: Annotated[
        str | None, typer.Argument(help='Route id or "METHOD /path" (optional with --before).')
    ] = None,
    before: FileOpt = None,
    after: FileOpt = None,
    since: Annotated[
        str | None, typer.Option("--since", help="After-window start (default: the last promote).")
    ] = None,
    window: Annotated[
        str | None, typer.Option("--window", "-w", help="Or the last W: 15m, 1h.")
    ] = None,
    mode: Annotated[
        str, typer.Option("--mode", help="auto, baseline (stored) or concurrent (canary control).")
    ] = "auto",
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write an HTML report here.")
    ] = None,
    rollback_on_fail: Annotated[
        bool,
        typer.Option("--rollback-on-fail", help="Roll the route back when the verdict is fail."),
    ] = False,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Compare a route's latency and errors after its cutover with before it.

    Exit 0 pass, 1 fail, 3 inconclusive (too little traffic), 2 bad input: cron and
    CI can gate on it. During a canary the Lambda share is judged against the
    monolith share of the same window (mode concurrent). With --before and --after
    it judges two files of exported samples instead (a load test, an Athena query),
    with the route's thresholds when ROUTE is given, else the defaults.

    Example: [bold]migrate compare "GET /api/users/{id}" --window 15m --json[/]
    Example: [bold]migrate compare --before legacy.jsonl --after lambda.csv[/]
    """
    if before is not None or after is not None:
        _compare_files(route, (before, after), mode, html, factory_for(ctx, manifest), as_json)
    if route is None:
        raise UsageError("give a ROUTE, or --before FILE and --after FILE")
    factory = factory_for(ctx, manifest)
    start, span, chosen = _live_window(since, window, mode, factory.clock())
    with err_console.status("reading access logs and metrics..."):
        result = factory.analysis_service().compare(route, since=start, window=span, mode=chosen)
    code = result.comparison.exit_code
    rolled_back = code == 1 and rollback_on_fail and _rollback(factory, result)
    _show(result, as_json, html, rolled_back)
    raise typer.Exit(code)


def _live_window(
    since: str | None, window: str | None, mode: str, now: datetime
) -> tuple[datetime | None, timedelta | None, Mode | None]:
    """--since, --window and --mode of a comparison of live traffic, checked and parsed."""
    if since is not None and window is not None:
        raise UsageError("give --since or --window, not both")
    if mode not in ("auto", "baseline", "concurrent"):
        raise UsageError(f"--mode {mode!r}: expected auto, baseline or concurrent")
    start = parse_instant(since, now=now, option="--since") if since else None
    span = parse_window(window) if window else None
    chosen: Mode | None = None if mode == "auto" else mode  # type: ignore[assignment]
    return start, span, chosen


def _compare_files(
    route: str | None,
    files: tuple[Path | None, Path | None],
    mode: str,
    html: Path | None,
    factory: Factory,
    as_json: bool,
) -> None:
    """``--before``/``--after``: judge two sample files; exits with the verdict's code."""
    from router.analysis.samplefile import read_samples
    from router.analysis.verdict import compare as judge

    first, second = files
    if first is None or second is None:
        raise UsageError("give both --before FILE and --after FILE")
    thresholds = None
    if route is not None:
        model = factory.store().read()
        thresholds = model.thresholds_for(resolve_route(model, route))
    sides = read_samples(first, "before"), read_samples(second, "after")
    chosen: Mode = "concurrent" if mode == "concurrent" else "baseline"
    comparison = judge(*sides, thresholds, mode=chosen)
    if html is not None:
        write_html(comparison, *sides, html)
    if as_json:
        files_json = {"before_file": str(first), "after_file": str(second)}
        print_json(
            {**files_json, **comparison_to_json(comparison), "html": str(html) if html else None}
        )
    else:
        _print_comparison(comparison, sides, html)
    raise typer.Exit(comparison.exit_code)


def _show(result: CompareResult, as_json: bool, html: Path | None, rolled_back: bool) -> None:
    if html is not None:
        write_html(result.comparison, result.before, result.after, html)
    if as_json:
        data = comparison_to_json(result.comparison)
        extra = {"html": str(html) if html else None, "rolled_back": rolled_back}
        cold = result.cold_starts.summary() if result.cold_starts else None
        print_json({"route": result.route.id, **data, **extra, "cold_starts": cold})
        return
    _print_comparison(result.comparison, (result.before, result.after), html)
    if result.cold_starts is not None:
        console.print(result.cold_starts.describe(), markup=False)
    if rolled_back:
        console.print(f"[red]rolled back[/] {escape(result.route.id)} to the monolith")


def _print_comparison(
    comparison: Comparison, sides: tuple[Figures, Figures], html: Path | None
) -> None:
    console.print(render_table(comparison))
    sparklines = render_sparklines(*sides)
    if sparklines is not None:
        console.print(sparklines)
    if html is not None:
        console.print(f"HTML report: {html}", markup=False)


def _rollback(factory: Factory, result: CompareResult) -> bool:
    reason = f"compare: {result.comparison.verdict} ({'; '.join(result.comparison.reasons)})"
    factory.route_rollback()(result.route.id, reason=reason)
    return True
