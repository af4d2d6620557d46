"""``migrate route promote --steps/--resume`` through the CLI, with a scripted checker
and a fake clock injected through the CLI's factory (no AWS, no waiting)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import Result

from migrate_cli.context import Wiring
from migrate_cli.factory import Factory
from router.analysis.model import Verdict
from router.progressive.model import CheckRequest, CheckResult
from tests.helpers.cli import MANIFEST, Project

ROUTE = "get-api-users-id"


class ScriptedChecker:
    verdicts: ClassVar[list[Verdict]] = []

    def check(self, request: CheckRequest) -> CheckResult:
        verdict = self.verdicts.pop(0)
        start = int(request.since.timestamp() * 1000)
        return CheckResult(verdict, request.mode, (start, start + 1000), 80, 80)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    proj = Project(tmp_path)
    proj.manifest.write_text(MANIFEST)
    (tmp_path / proj.package).mkdir()
    (tmp_path / proj.package / "__init__.py").write_text("")
    (tmp_path / proj.package / "users.py").write_text("def get_user(e, c):\n    return {}\n")
    clock = Clock()

    def factory(path: Path) -> Factory:
        return Factory(path, clock=clock, sleep=clock.sleep, checker=ScriptedChecker())

    proj.wiring = Wiring(factory)
    yield proj
    ScriptedChecker.verdicts = []


def promote(project: Project, *args: str) -> Result:
    return project.run("route", "promote", ROUTE, *args)


def routes(project: Project) -> dict[str, object]:
    data = json.loads(project.run("routes", "--json").stdout)
    return dict(data["routes"][0])


def test_a_passing_run_reaches_100_and_prints_a_json_summary(project: Project) -> None:
    ScriptedChecker.verdicts = [Verdict.PASS] * 3
    result = promote(project, "-f", project.handler, "--steps", "5,50,100", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["outcome"], summary["weight"], summary["resume"]) == ("completed", 100, None)
    assert [c["weight"] for c in summary["checks"]] == [5, 50, 100]
    assert [c["mode"] for c in summary["checks"]][-1] == "previous-step"
    assert summary["control_at_100"] == "previous-step"
    assert (routes(project)["target"], routes(project)["weight"]) == ("lambda", 100)
    history = json.loads(project.run("history", "--json").stdout)
    promotes = [h["after"]["weight"] for h in history if h["action"] == "promote"]
    assert promotes == [5, 50, 100]
    events = [h["details"]["event"] for h in history if h["action"] == "progressive"]
    assert events == ["start", "check", "step", "check", "step", "check", "end"]


def test_a_failing_run_rolls_back(project: Project) -> None:
    ScriptedChecker.verdicts = [Verdict.PASS, Verdict.FAIL, Verdict.FAIL]
    result = promote(project, "-f", project.handler, "--steps", "5,50,100", "--json")
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["outcome"] == "rolled-back"
    assert routes(project)["target"] == "legacy"


def test_held_run_says_where_it_stopped_and_resumes(project: Project) -> None:
    ScriptedChecker.verdicts = [Verdict.INCONCLUSIVE] * 2
    args = ("-f", project.handler, "--steps", "25,100", "--max-holds", "1", "--interval", "1m")
    held = promote(project, *args)
    assert held.exit_code == 3, held.output
    assert "left at 25% on Lambda" in held.stderr
    command = f"migrate route promote {ROUTE} --resume --manifest {project.manifest}"
    assert command in held.stderr
    assert routes(project)["weight"] == 25
    ScriptedChecker.verdicts = [Verdict.PASS] * 2
    resumed = promote(project, "--resume", "--json")
    assert resumed.exit_code == 0, resumed.output
    assert routes(project)["weight"] == 100


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("--steps", "5,5,100"), "--steps"),
        (("--steps", "5,150"), "--steps"),
        (("--steps", "5,100", "--interval", "soon"), "--interval"),
        (("--steps", "5,100", "--weight", "5"), "--weight"),
        (("--steps", "5,100", "--resume"), "--resume"),
        (("--max-failed-checks", "3"), "--max-failed-checks"),
        (("--resume",), "--resume"),
    ],
)
def test_bad_input_exits_2_naming_the_option(
    project: Project, args: tuple[str, ...], option: str
) -> None:
    result = promote(project, *args)
    assert result.exit_code == 2, result.output
    assert option in result.stderr
    assert routes(project)["target"] == "legacy"


def test_apply_without_yes_off_a_terminal_is_refused(project: Project) -> None:
    result = promote(project, "-f", project.handler, "--steps", "5,100", "--apply")
    assert result.exit_code == 2 and "--yes" in result.stderr


def test_a_control_share_keeps_the_monolith_for_one_concurrent_step(project: Project) -> None:
    text = project.manifest.read_text().replace(
        "    target: legacy  # not yet migrated",
        "    target: legacy  # not yet migrated\n"
        "    thresholds:\n      progressive_control_share: 2",
    )
    project.manifest.write_text(text)
    ScriptedChecker.verdicts = [Verdict.PASS] * 4
    result = promote(project, "-f", project.handler, "--steps", "5,50,100", "--json")
    assert result.exit_code == 0, result.output
    checks = json.loads(result.stdout)["checks"]
    assert [(c["weight"], c["mode"]) for c in checks] == [
        (5, "concurrent"),
        (50, "concurrent"),
        (98, "concurrent"),  # the settling window: 2% stays on the monolith
        (100, "previous-step"),  # judged against that 2%
    ]
