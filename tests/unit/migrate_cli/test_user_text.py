"""User text (route refs, reasons, paths, warnings, file names) prints as typed.

Rich interprets ``[...]`` as markup and ``:name:`` as emoji, and a rich progress
column formats its text with ``str.format``: user text must reach none of them.
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest
from rich.console import Console

from migrate_cli.commands.history import _history_table
from migrate_cli.factory import Factory
from migrate_cli.views.shadow import shadow_table
from tests.helpers.cli import Project

MARKUP = "[bold]p99[/bold] up :fire: {id} 40%"


def test_shadow_with_a_method_path_ref_does_not_crash(project: Project) -> None:
    """The README's own example: ``{id}`` went through the progress column's format."""
    result = project.run(
        "shadow", "GET /api/users/{id}", "-f", project.handler, "-d", "1s", "--min-requests", "1"
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 3, result.output  # no gateway running: too little traffic
    assert "KeyError" not in result.output


def test_history_reason_prints_verbatim(project: Project) -> None:
    promoted = project.run("route", "promote", "get-api-users-id", "-f", project.handler)
    assert promoted.exit_code == 0, promoted.output
    back = project.run("rollback", "get-api-users-id", "--reason", MARKUP)
    assert back.exit_code == 0, back.output
    wide = Console(width=400, record=True, file=io.StringIO())
    wide.print(_history_table(Factory(project.manifest).history().entries()))
    assert MARKUP in wide.export_text()


def test_error_messages_print_verbatim(project: Project) -> None:
    result = project.run("rollback", "GET /api/[red]gone[/red]/:fire:")
    assert result.exit_code == 2, result.output
    assert "GET /api/[red]gone[/red]/:fire:" in result.output


def test_init_warnings_and_file_names_print_verbatim(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # `init` imports the app from the working directory
    (tmp_path / f"{project.package}_app.py").write_text(
        textwrap.dedent(
            """
            from flask import Flask

            app = Flask(__name__)
            app.add_url_rule("/r/<path:p>/[bold]x", "bad", lambda p: "x")
            app.add_url_rule("/ok", "ok", lambda: "ok")
            """
        )
    )
    manifest = tmp_path / "[dim]m.yaml"
    result = project.run(
        "init", "--app", f"{project.package}_app:app", "--manifest", str(manifest),
        "--legacy-url", "http://127.0.0.1:5000",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "/r/<path:p>/[bold]x" in result.output
    assert "[dim]m.yaml" in result.output
    rendered = project.run("render", "--manifest", str(manifest), "--out", str(manifest) + ".t")
    assert rendered.exit_code == 0, rendered.output
    assert "[dim]m.yaml.t" in " ".join(rendered.output.split())


def test_shadow_table_and_message_print_verbatim() -> None:
    row = {
        "path": "items[].[b]name", "real": True, "candidate_rate": 0.5, "differing": 1,
        "compared": 2, "noise_rate": 0.0, "noise_differing": 0, "noise_compared": 2,
        "examples": [{"request": "GET /x/[i]y", "primary": "[red]a", "candidate": ":fire:"}],
    }  # fmt: skip
    data = {
        "route": "get-x", "function": "h.m.f", "run_id": "r1", "requests": 2, "skipped": 0,
        "dropped": 0, "truncated": 0, "mismatches": [row], "noise": [],
    }  # fmt: skip
    wide = Console(width=400, record=True, file=io.StringIO())
    wide.print(shadow_table(data))
    text = wide.export_text()
    for typed in ("items[].[b]name", "GET /x/[i]y", '"[red]a"', '":fire:"'):
        assert typed in text
