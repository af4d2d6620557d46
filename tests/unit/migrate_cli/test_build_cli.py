"""``migrate build``: what it built, cached the second time, exit 2 on a stale lock.

pip reads ``PIP_NO_INDEX``/``PIP_FIND_LINKS`` from the environment, so the layer comes
from the test's local wheelhouse: no network.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from migrate_cli.main import app
from tests.helpers.build import Project, make_project

MANIFEST = """\
version: 1
legacy: {url: "http://127.0.0.1:5000"}
routes:
  - {id: get-x, method: GET, path: /x, target: lambda, function: fns.app.handler}
  - {id: get-y, method: GET, path: /y}
"""


def _run(project: Project, *args: str) -> Result:
    (project.root / "migration.yaml").write_text(MANIFEST)
    env = {
        "MIGRATE_MANIFEST": str(project.root / "migration.yaml"),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(project.wheelhouse),
    }
    return CliRunner().invoke(app, ["build", *args], env=env)


def test_build_json_then_cached(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    first = _run(project, "--json")
    assert first.exit_code == 0, first.output
    (built,) = json.loads(first.stdout)["functions"]
    assert built["route"] == "get-x" and not built["code"]["cached"]
    assert built["layer"]["size"] > 0 and not built["layer"]["cached"] and not built["needs_s3"]
    assert Path(built["layer"]["path"]).is_relative_to(project.root / ".migrate" / "build")
    again = json.loads(_run(project, "--json").stdout)["functions"][0]
    assert again["code"]["cached"] and again["layer"]["cached"]
    assert again["layer"]["sha256"] == built["layer"]["sha256"]


def test_build_table_says_built_or_cached(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    first = _run(project)
    assert first.exit_code == 0, first.output
    assert "building the layer" in first.stderr and "(built)" in first.stdout
    assert "(cached)" in _run(project).stdout


def test_a_stale_lock_is_exit_2_naming_the_file(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (project.root / "fns" / "requirements.txt").write_text("tinydep==2.0\n")
    result = _run(project)
    assert result.exit_code == 2
    said = result.stderr.replace("\n", "")  # the error console wraps long paths
    assert "fns/requirements.lock: stale" in said and "migrate build --lock" in said
