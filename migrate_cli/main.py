"""The ``migrate`` command: the typer app and its entry point.

Only wiring lives here: each command group is defined in ``migrate_cli.commands``.
``main`` imports only the module of the command it runs (``COMMANDS``; all of them for
``--help`` or an unknown name): the others pull in numpy, httpx and the AWS and demo
code, about 1.5 s of CPU that ``migrate routes`` or ``migrate route promote`` never
needs. ``app`` (every command, in help order) is built on first access.
"""

from __future__ import annotations

import importlib
import sys

import typer

from router import __version__

__all__ = ["COMMANDS", "MODULES", "build_app", "main"]  # and ``app``, built on first access

MODULES = ("inventory", "routes", "history", "render", "serve", "deploy", "analysis", "demo",
           "up", "shadow", "build", "state", "lock")  # fmt: skip
"""The modules of ``migrate_cli.commands``, in the order ``--help`` lists them."""
COMMANDS = {
    "init": "inventory", "routes": "routes", "route": "routes", "rollback": "routes",
    "history": "history", "render": "render", "serve": "serve", "plan": "deploy",
    "apply": "deploy", "baseline": "analysis", "compare": "analysis", "demo": "demo",
    "up": "up", "shadow": "shadow", "build": "build", "state": "state", "lock": "lock",
}  # fmt: skip
"""Each top-level command (or group) and the module that registers it."""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"migrate (strangler) {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Strangle a Flask monolith into AWS Lambda, one endpoint at a time."""


def build_app(modules: tuple[str, ...] = MODULES) -> typer.Typer:
    """The app with the commands of ``modules`` registered."""
    built = typer.Typer(
        name="migrate",
        help="Strangle a Flask monolith into AWS Lambda, one endpoint at a time.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
    )
    built.callback()(_root)
    for name in modules:
        importlib.import_module(f"migrate_cli.commands.{name}").register(built)
    return built


def __getattr__(name: str) -> typer.Typer:
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    full = globals()["app"] = build_app()
    return full


def main() -> None:
    module = COMMANDS.get(sys.argv[1]) if len(sys.argv) > 1 else None
    build_app((module,) if module else MODULES)(prog_name="migrate")
