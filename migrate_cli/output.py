"""Terminal output for the ``migrate`` commands: tables, JSON, errors, exit codes.

Commands print through these helpers so that every command reports errors the
same way (message, hint, exit code) and ``--json`` is plain, parseable JSON on
stdout. This module must not decide anything about routes or AWS.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from router.errors import StranglerError
from router.fsio import write_error
from router.render.quota import resource_quota_warning

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_INCONCLUSIVE",
    "EXIT_OK",
    "console",
    "err_console",
    "handle_errors",
    "print_json",
    "warn_resource_quota",
]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INCONCLUSIVE = 0, 1, 2, 3

# Piped or on CI (no terminal, no COLUMNS), 80 columns would fold the tables.
_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 120
# emoji off: ":name:" in a route, reason or file name must print as typed.
console = Console(highlight=False, soft_wrap=True, width=_WIDTH, emoji=False)
# Errors to a log or a pipe stay one line each (a path is never folded mid-name).
err_console = Console(stderr=True, highlight=False, emoji=False, soft_wrap=not sys.stderr.isatty())

P = ParamSpec("P")
R = TypeVar("R")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def progress(line: str) -> None:
    """A line on stderr before a slow step (a layer build, an upload), outside --json."""
    err_console.print(f"… {line}", markup=False)


def warn(message: str) -> None:
    err_console.print(f"[yellow]warning:[/] {message}", markup=True, highlight=False)


def warn_resource_quota(document: Mapping[str, Any]) -> None:
    """On stderr, when the API nears API Gateway's resources-per-API quota."""
    message = resource_quota_warning(document)
    if message is not None:
        warn(message)


def report_error(exc: StranglerError) -> None:
    err_console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
    if exc.hint:
        err_console.print(f"[yellow]hint:[/] {escape(exc.hint)}")


def _os_error(exc: OSError) -> StranglerError:
    if exc.filename is not None:
        return write_error(Path(os.fsdecode(exc.filename)), exc, "read or write")
    return StranglerError(f"{exc.strerror or exc}", hint="fix the cause above, then retry")


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn project errors into a message on stderr and the error's exit code.

    An ``OSError`` that was not mapped where it happened exits 1 with a message too.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except StranglerError as exc:
            report_error(exc)
            raise typer.Exit(exc.exit_code) from exc
        except OSError as exc:  # one not mapped where it happened: still no traceback
            report_error(_os_error(exc))
            raise typer.Exit(EXIT_FAILED) from exc

    return wrapper
