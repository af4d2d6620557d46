"""Which requirements a route has, and refusing a missing or stale lock (exit 2)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from router.build.requirements import check_lock, requirements_for
from router.errors import InputError
from router.manifest.model import Defaults, Route
from tests.helpers.build import Project


def test_the_handler_package_requirements_are_the_default(project: Project) -> None:
    manifest = project.manifest()
    found = requirements_for(manifest, manifest.routes[0], project.root)
    assert found is not None and found.lock == project.lock
    check_lock(found, "python3.12")


def test_a_route_overrides_the_defaults(project: Project) -> None:
    (project.root / "other.txt").write_text("tinydep\n")
    manifest = project.manifest(requirements="other.txt")
    manifest.defaults.requirements = "fns/requirements.txt"
    found = requirements_for(manifest, manifest.routes[0], project.root)
    assert found is not None and found.source == project.root / "other.txt"
    with pytest.raises(InputError, match="not locked") as caught:
        check_lock(found, "python3.12")
    assert caught.value.exit_code == 2


def test_no_requirements_file_means_no_layer(project: Project) -> None:
    (project.root / "fns" / "requirements.txt").unlink()
    manifest = project.manifest()
    assert requirements_for(manifest, manifest.routes[0], project.root) is None


def test_a_declared_file_that_is_missing_names_the_route(project: Project) -> None:
    manifest = project.manifest(requirements="nope.txt")
    with pytest.raises(InputError, match=r"route get-x: requirements nope.txt: no such file"):
        requirements_for(manifest, manifest.routes[0], project.root)


@pytest.mark.parametrize("change", ["requirements", "runtime"])
def test_a_stale_lock_is_refused(project: Project, change: str) -> None:
    manifest = project.manifest()
    found = requirements_for(manifest, manifest.routes[0], project.root)
    assert found is not None
    runtime = "python3.12"
    if change == "requirements":
        found.source.write_text("tinydep==1.0\nother\n")
    else:
        runtime = "python3.13"
    with pytest.raises(InputError, match="stale"):
        check_lock(found, runtime)


@pytest.mark.parametrize("bad", ["/etc/req.txt", "../req.txt", "a/../../req.txt", "req.in"])
def test_requirements_must_be_a_txt_file_inside_the_project(bad: str) -> None:
    with pytest.raises(ValidationError, match="relative path"):
        Defaults(requirements=bad)
    with pytest.raises(ValidationError, match="relative path"):
        Route(id="r", method="GET", path="/", requirements=bad)


def test_architecture_is_one_of_lambdas() -> None:
    assert Defaults().architecture == "x86_64"
    assert Defaults(architecture="arm64").architecture == "arm64"
    with pytest.raises(ValidationError):
        Defaults(architecture="aarch64")  # type: ignore[arg-type]
