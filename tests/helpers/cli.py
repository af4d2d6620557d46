"""A scratch project for the ``migrate`` CLI tests: a manifest and a ``CliRunner``.

``Project.run`` invokes the typer app in-process with ``MIGRATE_MANIFEST`` set; a
test that needs other collaborators (a fake clock, a scripted checker) sets
``Project.wiring`` to a ``Wiring`` whose factory builds them (``migrate_cli.context``).
The ``project`` fixture (tests/unit/migrate_cli/conftest.py) writes the files.
This module must not start processes.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from typer.testing import CliRunner, Result

from migrate_cli.context import Wiring
from migrate_cli.main import app

__all__ = ["MANIFEST", "Project"]

MANIFEST = """\
# strangler manifest for the shop
version: 1
revision: 0
api:
  name: shop-api  # REST API name
  stage: prod
  region: us-east-1
legacy:
  url: http://127.0.0.1:5000
  app: shop:create_app
routes:
  - id: get-api-users-id
    method: GET
    path: /api/users/{id}
    target: legacy  # not yet migrated
  - id: post-api-orders
    method: POST
    path: /api/orders
    target: legacy
"""


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifest = root / "migration.yaml"
        self.package = f"handlers_{uuid.uuid4().hex[:8]}"
        self.runner = CliRunner()
        self.wiring: Wiring | None = None

    @property
    def handler(self) -> str:
        return f"{self.package}.users.get_user"

    def run(self, *args: str) -> Result:
        env = {"MIGRATE_MANIFEST": str(self.manifest), "MIGRATE_USER": "tester"}
        return self.runner.invoke(app, list(args), env=env, obj=self.wiring)
