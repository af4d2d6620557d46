from __future__ import annotations

import json
from collections.abc import Callable

from typer.testing import Result

from tests.helpers.cli import MANIFEST, Project


def test_version(run: Callable[..., Result]) -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert "migrate" in result.stdout


def test_routes_json_lists_every_route(run: Callable[..., Result]) -> None:
    result = run("routes", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [r["id"] for r in data["routes"]] == ["get-api-users-id", "post-api-orders"]
    assert data["routes"][0]["target"] == "legacy"
    assert data["routes"][0]["weight"] == 0


def test_promote_then_rollback_records_history(project: Project) -> None:
    promoted = project.run(
        "route", "promote", "GET /api/users/{id}", "--function", project.handler, "--reason", "go"
    )
    assert promoted.exit_code == 0, promoted.output
    routes = json.loads(project.run("routes", "--json").stdout)["routes"]
    assert routes[0]["target"] == "lambda" and routes[0]["weight"] == 100
    assert routes[0]["function"] == project.handler
    back = project.run("rollback", "get-api-users-id", "--reason", "slow")
    assert back.exit_code == 0, back.output
    history = json.loads(project.run("history", "--json").stdout)
    assert [(h["action"], h["route"]) for h in history] == [
        ("promote", "get-api-users-id"),
        ("rollback", "get-api-users-id"),
    ]
    assert history[0]["after"] == {"target": "lambda", "weight": 100, "function": project.handler}
    assert history[1]["before"]["target"] == "lambda"
    assert history[1]["after"]["target"] == "legacy"
    assert history[0]["user"] == "tester" and history[1]["reason"] == "slow"
    assert [h["revision"] for h in history] == [1, 2]


def test_promote_with_weight_is_a_canary(project: Project) -> None:
    result = project.run("route", "promote", "get-api-users-id", "-f", project.handler, "-w", "25")
    assert result.exit_code == 0, result.output
    route = json.loads(project.run("routes", "--json").stdout)["routes"][0]
    assert (route["target"], route["weight"]) == ("lambda", 25)


def test_promote_keeps_comments_and_key_order(project: Project) -> None:
    project.run("route", "promote", "get-api-users-id", "-f", project.handler)
    text = project.manifest.read_text()
    assert "# strangler manifest for the shop" in text
    assert "name: shop-api  # REST API name" in text
    assert text.index("api:") < text.index("legacy:") < text.index("routes:")
    assert "revision: 1" in text


def _unchanged_after(project: Project, *args: str) -> Result:
    before = project.manifest.read_bytes()
    result = project.run(*args)
    assert project.manifest.read_bytes() == before
    assert not project.manifest.with_name("migration.history.jsonl").exists()
    return result


def test_unknown_route_exit_2_and_suggests(project: Project) -> None:
    result = _unchanged_after(project, "route", "promote", "get-api-user-id", "-f", project.handler)
    assert result.exit_code == 2
    assert "no route 'get-api-user-id'" in result.stderr
    assert "get-api-users-id" in result.stderr


def test_unimportable_handler_exit_2(project: Project) -> None:
    result = _unchanged_after(project, "route", "promote", "get-api-users-id", "-f", "nope.mod.fn")
    assert result.exit_code == 2
    assert "cannot import 'nope.mod'" in result.stderr


def test_not_callable_handler_exit_2(project: Project) -> None:
    ref = f"{project.package}.users.NOT_CALLABLE"
    result = _unchanged_after(project, "route", "promote", "get-api-users-id", "-f", ref)
    assert result.exit_code == 2
    assert "no callable 'NOT_CALLABLE'" in result.stderr


def test_weight_out_of_range_exit_2(project: Project) -> None:
    for weight in ("0", "101", "-5"):
        result = _unchanged_after(
            project, "route", "promote", "get-api-users-id", "-f", project.handler, "-w", weight
        )
        assert result.exit_code == 2, weight
        assert "--weight" in result.stderr


def test_promote_without_function_exit_2(project: Project) -> None:
    result = _unchanged_after(project, "route", "promote", "get-api-users-id")
    assert result.exit_code == 2
    assert "--function" in result.stderr


def test_rollback_all(project: Project) -> None:
    project.run("route", "promote", "get-api-users-id", "-f", project.handler)
    project.run("route", "promote", "post-api-orders", "-f", project.handler, "-w", "10")
    result = project.run("rollback", "--all", "--json")
    assert result.exit_code == 0, result.output
    assert {c["route"] for c in json.loads(result.stdout)} == {
        "get-api-users-id",
        "post-api-orders",
    }
    routes = json.loads(project.run("routes", "--json").stdout)["routes"]
    assert {r["target"] for r in routes} == {"legacy"}


def test_rollback_needs_a_route_or_all(project: Project) -> None:
    result = _unchanged_after(project, "rollback")
    assert result.exit_code == 2


def test_missing_manifest_exit_2(project: Project) -> None:
    project.manifest.unlink()
    result = project.run("routes")
    assert result.exit_code == 2
    assert "manifest not found" in result.stderr


def test_render_warns_near_the_resource_quota_with_the_same_exit_codes(project: Project) -> None:
    routes = "".join(
        f"  - {{id: r{i}, method: GET, path: '/api/g{i}/{{id}}'}}\n" for i in range(150)
    )
    project.manifest.write_text(MANIFEST.split("routes:")[0] + "routes:\n" + routes)
    written = project.run("render")
    assert written.exit_code == 0, written.output
    assert "warning:" in written.stderr and '"Resources per API"' in written.stderr
    checked = project.run("render", "--check")
    assert checked.exit_code == 0 and "Resources per API" in checked.stderr
    project.manifest.write_text(MANIFEST)
    quiet = project.run("render", "--check")
    assert quiet.exit_code == 1 and "warning:" not in quiet.stderr  # stale, few resources
