"""Command-line options shared by several commands (typer ``Annotated`` aliases).

One definition per option, so its flag and help read the same in every command.
This module must not build collaborators (that is ``factory``) nor print.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["DEFAULT_MANIFEST", "ForceOpt", "JsonOpt", "ManifestOpt", "YesOpt"]

DEFAULT_MANIFEST = Path("migration.yaml")

ManifestOpt = Annotated[
    Path,
    typer.Option(
        "--manifest",
        "-m",
        envvar="MIGRATE_MANIFEST",
        help="Migration manifest to read and change.",
        show_default=True,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Apply even when the deployed API drifted (overwrites it).")
]
