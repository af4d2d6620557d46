"""Which ``Factory`` a running command uses: the caller's, else one per manifest path.

A caller that runs the typer app in-process (a test, an embedding program) passes
``Wiring`` as click's context object, chalice-style::

    CliRunner().invoke(app, args, obj=Wiring(lambda path: Factory(path, clock=fake)))

and every command (each takes typer's ``ctx``) builds its collaborators through
that factory. ``migrate`` run from the shell passes nothing, so commands get
``Factory(manifest)``. This module
must not build collaborators itself (that is ``factory``) nor print.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import typer

from migrate_cli.factory import Factory

__all__ = ["Wiring", "factory_for"]


@dataclass(frozen=True)
class Wiring:
    """How commands build their ``Factory`` from the manifest path they were given."""

    factory: Callable[[Path], Factory] = Factory


def factory_for(ctx: typer.Context, manifest: Path) -> Factory:
    """The command's factory for ``manifest`` (built by the caller's ``Wiring``, if any)."""
    return (ctx.find_object(Wiring) or Wiring()).factory(manifest)
