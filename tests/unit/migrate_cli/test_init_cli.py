from __future__ import annotations

import importlib
import json
import sys
import textwrap

import pytest

from tests.helpers.cli import Project

APP = """
from flask import Flask


def create_app():
    app = Flask(__name__)

    @app.get("/")
    def index():
        return "hi"

    @app.route("/api/users/<int:user_id>", methods=["GET", "DELETE"])
    def user(user_id):
        return "u"

    @app.get("/api/files/<path:key>")
    def files(key):
        return "f"

    {extra}
    return app
"""


def _write_app(project: Project, extra: str = "") -> str:
    module = f"{project.package}_app"
    body = textwrap.indent(textwrap.dedent(extra), "    ").strip()
    (project.root / f"{module}.py").write_text(APP.replace("{extra}", body))
    return f"{module}:create_app"


def test_init_creates_manifest(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.manifest.unlink()
    ref = _write_app(project)
    monkeypatch.chdir(project.root)
    result = project.run("init", "--app", ref, "--legacy-url", "http://127.0.0.1:5000", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == [
        "get-root",
        "get-api-files-key",
        "get-api-users-user-id",
        "delete-api-users-user-id",
    ]
    routes = json.loads(project.run("routes", "--json").stdout)["routes"]
    assert {(r["method"], r["path"], r["target"]) for r in routes} == {
        ("GET", "/", "legacy"),
        ("GET", "/api/files/{key+}", "legacy"),
        ("GET", "/api/users/{user_id}", "legacy"),
        ("DELETE", "/api/users/{user_id}", "legacy"),
    }


def test_reinit_keeps_promotions(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project.root)
    project.manifest.unlink()
    ref = _write_app(project)
    project.run("init", "--app", ref, "--legacy-url", "http://127.0.0.1:5000")
    promoted = project.run(
        "route", "promote", "get-api-users-user-id", "-f", project.handler, "-w", "30"
    )
    assert promoted.exit_code == 0, promoted.output
    ref2 = _write_app(project, '@app.post("/api/orders")\ndef orders():\n    return "o"\n')
    sys.modules.pop(ref2.split(":")[0], None)
    importlib.invalidate_caches()
    again = project.run("init", "--app", ref2, "--legacy-url", "http://127.0.0.1:5000", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["added"] == ["post-api-orders"]
    route = next(
        r
        for r in json.loads(project.run("routes", "--json").stdout)["routes"]
        if r["id"] == "get-api-users-user-id"
    )
    assert (route["target"], route["weight"], route["function"]) == ("lambda", 30, project.handler)


def test_init_bad_app_exit_2(project: Project) -> None:
    before = project.manifest.read_bytes()
    result = project.run("init", "--app", "no_such_module:app", "--legacy-url", "http://x:1")
    assert result.exit_code == 2
    assert "no_such_module" in result.stderr
    assert project.manifest.read_bytes() == before


def test_init_bad_url_exit_2(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project.root)
    ref = _write_app(project)
    before = project.manifest.read_bytes()
    result = project.run("init", "--app", ref, "--legacy-url", "not a url")
    assert result.exit_code == 2
    assert "legacy-url" in result.stderr
    assert project.manifest.read_bytes() == before
