"""The local runtime's function specs from the manifest (``router.lambda_runtime.artifacts``):
the function's package as ``migrate build`` packs it, its layer from its lock, its
environment and reserved concurrency. pip installs the layer from a local wheelhouse."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.build import CACHE_ENV
from router.gateway.events import LambdaContext
from router.lambda_runtime.artifacts import (
    LOCAL_RESERVED_CONCURRENCY,
    ArtifactUnavailable,
    ManifestSpecs,
    pass_through,
)
from router.manifest.model import Defaults, Manifest
from tests.helpers.build import Project, make_project


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    found = make_project(tmp_path)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(found.wheelhouse))
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    (found.root / "migration.yaml").write_text("")  # only its directory is used
    return found


def _context(name: str = "legacy-api-get-x") -> LambdaContext:
    return LambdaContext(
        request_id="r", function_name=name, function_arn="arn", memory_mb=256,
        deadline=0.0, clock=lambda: 0.0,
    )  # fmt: skip


def _with_defaults(manifest: Manifest, **fields: object) -> Manifest:
    return manifest.model_copy(update={"defaults": Defaults(**fields)})  # type: ignore[arg-type]


def test_spec_holds_the_packed_code_and_the_layer(project: Project) -> None:
    specs = ManifestSpecs(project.root / "migration.yaml")
    specs.prepare(project.manifest())
    spec = specs("fns.app.handler", _context())
    files = sorted(p.relative_to(spec.code_dir).as_posix() for p in spec.code_dir.rglob("*.py"))
    assert files == ["fns/__init__.py", "fns/app.py", "fns/helper.py"]  # not unused.py
    assert spec.code_dir != project.root
    (layer,) = spec.layer_dirs
    assert (layer / "tinydep" / "__init__.py").read_text() == "VALUE = 41\n"
    assert spec.reserved_concurrency == LOCAL_RESERVED_CONCURRENCY


def test_environment_and_concurrency_come_from_the_manifest(project: Project) -> None:
    specs = ManifestSpecs(project.root / "migration.yaml", pass_env={"DATABASE_URL": "sqlite://"})
    manifest = project.manifest(environment={"B": "route"}, reserved_concurrency=3)
    specs.prepare(_with_defaults(manifest, environment={"A": "default", "B": "default"}))
    spec = specs("fns.app.handler", _context())
    assert dict(spec.environment) == {"A": "default", "B": "route", "DATABASE_URL": "sqlite://"}
    assert spec.reserved_concurrency == 3
    specs.prepare(_with_defaults(project.manifest(), reserved_concurrency=0))
    assert specs("fns.app.handler", _context()).reserved_concurrency == 0


def test_a_code_change_gives_a_new_code_directory(project: Project) -> None:
    specs = ManifestSpecs(project.root / "migration.yaml")
    specs.prepare(project.manifest())
    before = specs("fns.app.handler", _context())
    specs.refresh()
    assert specs("fns.app.handler", _context()) == before  # unchanged: the same spec
    (project.root / "fns" / "helper.py").write_text("ONE = 2\n")
    specs.refresh()
    after = specs("fns.app.handler", _context())
    assert after.code_dir != before.code_dir
    assert (after.code_dir / "fns" / "helper.py").read_text() == "ONE = 2\n"


def test_an_unknown_or_unbuildable_function_is_unavailable(project: Project) -> None:
    specs = ManifestSpecs(project.root / "migration.yaml")
    (project.root / "fns" / "requirements.txt").write_text("tinydep==2.0\n")  # lock now stale
    specs.prepare(project.manifest())
    with pytest.raises(ArtifactUnavailable, match="stale"):
        specs("fns.app.handler", _context())
    with pytest.raises(ArtifactUnavailable, match="not a function"):
        specs("fns.other.handler", _context())
    assert list(specs.errors()) == [("fns.app.handler", "legacy-api-get-x")]


def test_pass_through_copies_only_set_variables() -> None:
    assert pass_through(("A", "B"), {"A": "1", "C": "3"}) == {"A": "1"}
