"""``python -m migrate_cli`` runs the ``migrate`` command."""

from __future__ import annotations

from migrate_cli.main import main

main()
