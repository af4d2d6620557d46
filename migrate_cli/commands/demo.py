"""``migrate demo``: the whole workflow on embedded defaults, in about a minute."""

from __future__ import annotations

import os
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.rule import Rule

from migrate_cli.factory import Factory
from migrate_cli.output import console, err_console, handle_errors, print_json
from router.analysis.report import render_sparklines, render_table
from router.analysis.service import CompareResult
from router.aws.session import AwsContext
from router.demo.scenario import DemoConfig, DemoResult, ServiceFactory, run_demo
from router.progressive.model import RunReport
from router.state.location import KMS_ENV, STATE_ENV, parse_state_url

if TYPE_CHECKING:
    from router.shadow.service import ShadowOutcome

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


@handle_errors
def demo(
    workdir: Annotated[
        Path | None, typer.Option("--workdir", help="Where the demo project and reports go.")
    ] = None,
    rate: Annotated[float, typer.Option("--rate", help="Requests per second of traffic.")] = 200.0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON summary at the end.")
    ] = False,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="DATABASE_URL",
            help="Database of the monolith and the handlers, e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test (default: SQLite in the workdir).",
        ),
    ] = None,
    state: Annotated[
        str | None,
        typer.Option(
            "--state",
            help="Run everything on an S3 state backend on the demo's moto server, "
            "s3://BUCKET/PREFIX (created with versioning on; the manifest pushed to it).",
        ),
    ] = None,
) -> None:
    """Run the whole strangler workflow on this machine, nothing to configure.

    Starts moto, the monolith and the gateway on free loopback ports, drives
    traffic, baselines, shadows and progressively promotes a route, compares it,
    injects a regression into a second route (rolled back on its own), writes HTML
    reports, prints their paths and stops everything it started.

    Example: [bold]migrate demo[/]
    Example: [bold]migrate demo --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test[/]

    Example: [bold]migrate demo --state s3://demo-state/shop[/]
    """
    location = parse_state_url(state, "--state") if state else None  # exit 2 before starting
    url = location.url if location else None
    root = workdir or Path(tempfile.mkdtemp(prefix="strangler-demo-"))
    started = time.monotonic()
    narrator = _Narrator(err_console if as_json else console)  # --json: stdout is JSON only
    config = DemoConfig(root, rate_per_s=rate, database_url=database_url, state=url)
    result = run_demo(config, partial(_services, state=url), narrator)
    _summary(result, time.monotonic() - started, as_json)
    raise typer.Exit(0 if result.ok else 1)


def _services(manifest: Path, endpoint: str, *, state: str | None) -> ServiceFactory:
    """The commands' collaborators on the demo's moto: the state on its S3 backend, or
    on the demo project's files (never a backend this shell's MIGRATE_STATE names)."""
    env = {k: v for k, v in os.environ.items() if k != KMS_ENV}  # moto holds no KMS key
    env[STATE_ENV] = state or "local"
    return Factory(manifest, aws=AwsContext.local(endpoint, "us-east-1"), env=env)


class _Narrator:
    def __init__(self, out: Console) -> None:
        self.number = 0
        self.out = out

    def stage(self, title: str) -> None:
        self.number += 1
        self.out.print(Rule(f"[bold]{self.number}. {title}", align="left"))

    def note(self, text: str) -> None:
        self.out.print(f"   {text}", markup=False)

    def comparison(self, title: str, result: CompareResult) -> None:
        self.out.print(render_table(result.comparison))
        sparklines = render_sparklines(result.before, result.after)
        if sparklines is not None:
            self.out.print(sparklines)

    def progressive(self, title: str, report: RunReport) -> None:
        from router.progressive.view import checks_table

        self.out.print(checks_table(report))
        line = f"   {title}: {report.outcome}, left at {report.weight}% on Lambda"
        self.out.print(line, markup=False)

    def shadow(self, title: str, outcome: ShadowOutcome) -> None:
        from migrate_cli.views.shadow import shadow_message, shadow_table
        from router.shadow.service import outcome_json

        data = outcome_json(outcome)
        self.out.print(shadow_table(data))
        self.out.print(f"   {shadow_message(data)}", markup=False)


def _summary(result: DemoResult, seconds: float, as_json: bool) -> None:
    traffic = result.traffic
    sent = traffic.sent if traffic else 0
    failed = traffic.failed if traffic else 0
    if as_json:
        data: dict[str, Any] = {
            "ok": result.ok,
            "seconds": round(seconds, 1),
            "outcomes": result.outcomes,
            "reports": [str(p) for p in result.reports],
            "requests": sent,
            "failed_requests": failed,
            "workdir": str(result.workdir),
        }
        if result.state is not None:
            data["state"] = _state_json(result)
        print_json(data)
        return
    console.print(Rule("[bold]Summary", align="left"))
    for name, outcome in result.outcomes.items():
        console.print(f"   {name}: {outcome}", markup=False)
    console.print(f"   traffic: {sent} requests, {failed} failed")
    if result.state is not None:
        st = result.state
        console.print(f"   state: {st.url} at revision {st.revision}, "
                      f"{st.history_entries} history entries", markup=False)  # fmt: skip
    for path in result.reports:
        console.print(f"   HTML report: {path}", markup=False)
    verdict = "[green]demo OK[/]" if result.ok else "[red]demo did not go as expected[/]"
    where = escape(str(result.workdir))
    console.print(f"   {verdict} in {seconds:.0f} s; project and logs in {where}")


def _state_json(result: DemoResult) -> dict[str, Any]:
    st = result.state
    assert st is not None
    return {"backend": st.url, "revision": st.revision, "history_entries": st.history_entries}
