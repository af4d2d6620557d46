"""The CLI starts without loading boto3: commands that never call AWS don't pay for it."""

from __future__ import annotations

import subprocess
import sys

import typer


def test_importing_the_cli_does_not_load_boto3() -> None:
    code = "import sys, migrate_cli.main; print('boto3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _run_main(*argv: str, report: str) -> str:
    """``main()`` with ``argv`` in a fresh interpreter; what ``report`` prints after it."""
    code = (
        "import contextlib, io, sys\nfrom migrate_cli.main import main\n"
        f"sys.argv = ['migrate', *{list(argv)!r}]\nhelp = io.StringIO()\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(help):\n    main()\n"
        f"print({report})"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_a_command_imports_only_its_own_module() -> None:
    """``migrate routes``/``route promote`` skip numpy, httpx and the other commands."""
    heavy = "('numpy', 'httpx', 'migrate_cli.commands.demo', 'migrate_cli.commands.analysis')"
    for argv in (("routes", "--help"), ("route", "promote", "--help")):
        assert _run_main(*argv, report=f"[m for m in {heavy} if m in sys.modules]") == "[]"


def test_the_top_level_help_still_lists_every_command() -> None:
    listed = _run_main("--help", report="help.getvalue()")
    for name in ("init", "routes", "route", "rollback", "serve", "plan", "demo", "up", "build"):
        assert f" {name} " in listed, name


def test_every_command_is_mapped_to_the_module_that_registers_it() -> None:
    """``main`` builds the app from ``COMMANDS[argv[1]]`` alone: that module must have it."""
    from migrate_cli.main import COMMANDS, MODULES, build_app

    def names(app: typer.Typer) -> set[str]:
        commands = {c.name or "" for c in app.registered_commands}
        return commands | {g.name or "" for g in app.registered_groups}

    everything = names(build_app())
    assert set(COMMANDS) == everything and set(COMMANDS.values()) == set(MODULES)
    for command, module in COMMANDS.items():
        assert command in names(build_app((module,))), command
