"""``migrate shadow``: input validation (exit 2), exit codes, JSON and table output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.shadow import Project, cli, shadow_project

ROUTE = "get-api-users-id"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """The shadow tests' project (handlers package, manifest, fake clock)."""
    return shadow_project(tmp_path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nope",), "no route"),
        (("get-api-orders",), "served by Lambda"),
        ((ROUTE,), "names no function"),
        ((ROUTE, "-f", "missing_pkg_xyz.handler"), "cannot import"),
        ((ROUTE, "-f", "PKG.users.NOT_CALLABLE"), "no callable"),
        ((ROUTE, "-f", "PKG.users.get_user", "--duration", "5x"), "--duration"),
        ((ROUTE, "-f", "PKG.users.get_user", "--min-requests", "0"), "min-requests"),
    ],
)
def test_bad_input_is_exit_2_and_changes_nothing(
    project: Project, args: tuple[str, ...], message: str
) -> None:
    before = project.manifest.read_text()
    result = cli(project, "shadow", *(a.replace("PKG", project.package) for a in args))
    assert result.exit_code == 2, result.output
    assert message in result.output.replace("\n", " ")
    assert project.manifest.read_text() == before


def test_json_report_of_a_mismatch_is_exit_1(project: Project) -> None:
    project.gateway(candidate=lambda n: {"id": n, "email": "other"})
    result = cli(project, "shadow", ROUTE, "-f", project.handler, "-d", "2s", "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert [m["path"] for m in report["mismatches"]] == ["email"]
    assert report["mismatches"][0]["examples"][0]["candidate"] == "other"
    assert report["outcome"] == "mismatch" and report["requests"] >= 10
    assert project.shadow_of() is None


def test_table_report_of_parity_is_exit_0(project: Project) -> None:
    project.gateway()
    result = cli(project, "shadow", ROUTE, "-f", project.handler, "-d", "2s")
    assert result.exit_code == 0, result.output
    assert "parity" in result.output and ROUTE in result.output


def test_no_traffic_is_exit_3_with_a_hint(project: Project) -> None:
    result = cli(project, "shadow", ROUTE, "-f", project.handler, "-d", "1s")
    assert result.exit_code == 3
    assert "too little traffic" in result.output and "migrate serve" in result.output


def test_table_names_mismatching_fields_and_noise(project: Project) -> None:
    project.gateway(candidate=lambda n: {"id": n + 1, "email": "a@x"})
    result = cli(project, "shadow", ROUTE, "-f", project.handler, "-d", "2s")
    assert result.exit_code == 1
    assert "MISMATCH" in result.output and "real mismatches in: id" in result.output
