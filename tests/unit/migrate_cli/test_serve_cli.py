"""``migrate serve`` options: the CLI defaults are the runtime's, the help has an example."""

from __future__ import annotations

import inspect

from typer.testing import CliRunner

from migrate_cli.commands.serve import serve
from migrate_cli.main import app
from router.gateway.runtime import DEFAULT_THREADS, ServeOptions


def _default(name: str) -> object:
    return inspect.signature(serve.__wrapped__).parameters[name].default  # type: ignore[attr-defined]


def test_cli_defaults_match_the_runtime() -> None:
    assert (
        _default("threads")
        == DEFAULT_THREADS
        == ServeOptions.__dataclass_fields__["threads"].default
    )
    assert _default("half_close") is ServeOptions.__dataclass_fields__["half_close"].default


def test_help_names_the_options_and_an_example() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for text in ("--threads", "--no-half-close", "Example: migrate serve"):
        assert text in result.output
