"""``BuildService``: every Lambda route's zip and layer, and the cache across runs."""

from __future__ import annotations

import zipfile

import pytest

from router.build import BuildService, local_layer
from router.build.code import build_package
from router.errors import InputError
from tests.helpers.build import Project


def test_builds_the_code_and_the_layer_then_reuses_both(project: Project) -> None:
    manifest = project.manifest()
    lines: list[str] = []
    (first,) = BuildService(project.root, project.builder(), lines.append).build(manifest)
    assert not first.code_cached and first.layer is not None and not first.layer.cached
    with zipfile.ZipFile(first.code_path) as archive:
        assert archive.namelist() == ["fns/__init__.py", "fns/app.py", "fns/helper.py"]
    assert first.unzipped_total == first.code.unzipped_size + first.layer.unzipped_size
    assert any("layer" in line for line in lines)
    (again,) = BuildService(project.root, project.builder()).build(manifest)
    assert again.code_cached and again.layer is not None and again.layer.cached
    assert (again.code.sha256, again.layer.sha256) == (first.code.sha256, first.layer.sha256)


def test_a_code_change_changes_the_hash(project: Project) -> None:
    before = build_package(project.root, "fns.app.handler")
    (project.root / "fns" / "helper.py").write_text("ONE = 2\n")
    after = build_package(project.root, "fns.app.handler")
    assert before.sha256 != after.sha256
    assert build_package(project.root, "fns.app.handler").zip_bytes == after.zip_bytes


def test_a_stale_lock_stops_the_build(project: Project) -> None:
    (project.root / "fns" / "requirements.txt").write_text("tinydep==1.0\nextra\n")
    with pytest.raises(InputError, match="stale"):
        BuildService(project.root, project.builder()).build(project.manifest())


def test_legacy_routes_are_not_built(project: Project) -> None:
    manifest = project.manifest(target="legacy", function=None)
    assert BuildService(project.root, project.builder()).build(manifest) == []


def test_local_layer_is_none_without_requirements(project: Project) -> None:
    (project.root / "fns" / "requirements.txt").unlink()
    manifest = project.manifest()
    assert local_layer(manifest, manifest.routes[0], project.root) is None


def test_fills_the_directories_template_yaml_names_for_sam_build(project: Project) -> None:
    manifest = project.manifest()
    BuildService(project.root, project.builder()).build(manifest)
    sam = project.root / ".migrate" / "build" / "sam"
    code = sam / "GetXFunction"
    files = sorted(p.relative_to(code).as_posix() for p in code.rglob("*.py"))
    assert files == ["fns/__init__.py", "fns/app.py", "fns/helper.py"]
    layer_src = sam / "FnsRequirementsLayer" / "requirements.txt"
    assert layer_src.read_text() == project.lock.read_text()
    (project.root / "fns" / "helper.py").write_text("ONE = 2\n")
    BuildService(project.root, project.builder()).build(manifest)
    assert (code / "fns" / "helper.py").read_text() == "ONE = 2\n"
    assert sorted(p.name for p in sam.iterdir()) == ["FnsRequirementsLayer", "GetXFunction"]
