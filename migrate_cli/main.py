"""The ``migrate`` command: the typer app and its entry point.

Only wiring lives here: each command group is defined in ``migrate_cli.commands``.
"""

from __future__ import annotations

import typer

from migrate_cli.commands import (
    analysis,
    build,
    demo,
    deploy,
    history,
    inventory,
    lock,
    render,
    routes,
    serve,
    shadow,
    state,
    up,
)
from router import __version__

__all__ = ["app", "main"]

app = typer.Typer(
    name="migrate",
    help="Strangle a Flask monolith into AWS Lambda, one endpoint at a time.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"migrate (strangler) {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Strangle a Flask monolith into AWS Lambda, one endpoint at a time."""


inventory.register(app)
routes.register(app)
history.register(app)
render.register(app)
serve.register(app)
deploy.register(app)
analysis.register(app)
demo.register(app)
up.register(app)
shadow.register(app)
build.register(app)
state.register(app)
lock.register(app)


def main() -> None:
    app(prog_name="migrate")
