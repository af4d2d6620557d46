from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from migrate_cli.main import app

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

    @property
    def handler(self) -> str:
        return f"{self.package}.users.get_user"

    def run(self, *args: str) -> Result:
        env = {"MIGRATE_MANIFEST": str(self.manifest), "MIGRATE_USER": "tester"}
        return self.runner.invoke(app, list(args), env=env)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    proj = Project(tmp_path)
    proj.manifest.write_text(MANIFEST)
    pkg = tmp_path / proj.package
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "users.py").write_text(
        textwrap.dedent(
            """
            def get_user(event, context):
                return {"statusCode": 200, "body": "{}"}

            NOT_CALLABLE = 3
            """
        )
    )
    return proj


@pytest.fixture
def run(project: Project) -> Callable[..., Result]:
    return project.run
