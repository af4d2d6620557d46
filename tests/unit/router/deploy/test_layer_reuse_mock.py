"""A recorded layer version is reused, not rebuilt, on a machine with an empty cache.

Each "machine" is a ``BuildService`` on a cache directory of its own whose pip runs
are counted (``Counting`` runs pip for real, from the hand-made wheelhouse of
``tests.helpers.build``: no network); all share one project, its deploy state and
in-process moto, which implements ``GetLayerVersion`` and ``DeleteLayerVersion``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from router.aws.session import AwsContext
from router.build import BuildService, LayerBuilder
from router.deploy.model import PublishLayer
from router.deploy.service import DeployService, build_deploy_service
from router.deploy.state import FORMAT, load_state, state_path_for
from router.errors import InputError
from router.history import HistoryLog, history_path_for
from router.manifest.model import Route
from router.manifest.store import ManifestStore, dump_manifest
from router.routes import RouteService
from tests.helpers.build import Project, make_project

LAYER = "legacy-api-FnsRequirementsLayer"


def yes(_: object) -> bool:
    return True


class Counting:
    """Runs pip for real and counts the runs."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.runs += 1
        return subprocess.run(list(argv), capture_output=True, text=True, check=False)


@dataclass
class Rig:
    project: Project
    routes: RouteService
    ctx: AwsContext
    lam: Any

    def machine(self, name: str) -> tuple[DeployService, Counting]:
        """A deploy service whose build cache (``name``) starts empty, and its pip count."""
        runner = Counting()
        pip_args = ["--no-index", "--find-links", str(self.project.wheelhouse)]
        builder = LayerBuilder(self.project.root / name, pip_args=pip_args, runner=runner)
        build = BuildService(self.project.root, builder).function
        return build_deploy_service(self.routes, self.ctx, is_local=True, build=build), runner

    def versions(self) -> list[int]:
        listed = self.lam.list_layer_versions(LayerName=LAYER)["LayerVersions"]
        return sorted(v["Version"] for v in listed)

    @property
    def state_file(self) -> Path:
        return state_path_for(self.project.root / "migration.yaml")


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    """Two Lambda routes sharing the layer, applied once from the machine ``first``."""
    project = make_project(tmp_path)
    manifest = project.manifest()
    second = Route(id="get-y", method="GET", path="/y", target="lambda", function="fns.app.handler")
    manifest = manifest.model_copy(update={"routes": [*manifest.routes, second]})
    path = project.root / "migration.yaml"
    path.write_text(dump_manifest(manifest))
    store = ManifestStore(path)
    routes = RouteService(store, HistoryLog(history_path_for(path)), code_root=project.root)
    with mock_aws():
        ctx = AwsContext(
            region="us-east-1", client_factory=lambda s: boto3.client(s, region_name="us-east-1")
        )
        made = Rig(project, routes, ctx, ctx.client("lambda"))
        first, runs = made.machine("first")
        first.apply(force=False, confirm=yes)
        assert runs.runs == 1 and made.versions() == [1]
        yield made


def test_the_applied_layer_is_recorded_with_its_inputs(rig: Rig) -> None:
    state = load_state(rig.state_file)
    recorded = state.layer_builds[LAYER]
    assert state.version == FORMAT and recorded.arn == state.layers[LAYER]
    assert recorded.arn.endswith(f":layer:{LAYER}:1")
    assert (recorded.inputs.runtime, recorded.inputs.architecture) == ("python3.12", "x86_64")
    layer = rig.lam.get_layer_version(LayerName=LAYER, VersionNumber=1)
    assert (recorded.sha256, recorded.size) == (
        layer["Content"]["CodeSha256"],
        layer["Content"]["CodeSize"],
    )
    (meta,) = (rig.project.root / "first" / "layers").glob("*/layer.json")
    assert recorded.unzipped == json.loads(meta.read_text())["unzipped"] > 0


def test_a_cold_cache_plans_and_applies_without_building(rig: Rig) -> None:
    service, runs = rig.machine("fresh")
    plan = service.plan()
    assert runs.runs == 0 and not plan.has_changes and plan.drift == ()
    (layer,) = [a for a in plan.artifacts if a.kind == "layer"]
    assert layer.action == f"unchanged ({LAYER}:1)"
    assert service.apply(force=False, confirm=yes).result is None
    assert runs.runs == 0 and rig.versions() == [1]
    assert not (rig.project.root / "fresh" / "layers").exists()  # nothing built there


def test_a_rollback_apply_on_a_cold_cache_does_not_build(rig: Rig) -> None:
    service, runs = rig.machine("fresh")
    applied = service.rollback(["get-x"], reason="slow", force=False, confirm=yes)
    assert runs.runs == 0 and applied.result is not None
    assert rig.routes.store.read().route("get-x").target == "legacy"
    assert rig.versions() == [1]
    assert not any(isinstance(s, PublishLayer) for s in applied.plan.steps)


def test_a_changed_lock_builds_once_and_publishes_a_new_version(rig: Rig) -> None:
    rig.project.relock("2.0")
    service, runs = rig.machine("fresh")
    plan = service.plan()
    assert runs.runs == 1 and [s.layer.name for s in plan.steps if isinstance(s, PublishLayer)]
    service.apply(force=False, confirm=yes)
    assert runs.runs == 1 and rig.versions() == [1, 2]  # the plan's build was cached
    recorded = load_state(rig.state_file).layer_builds[LAYER]
    assert recorded.arn.endswith(":2")
    again, runs_again = rig.machine("another")
    assert not again.plan().has_changes and runs_again.runs == 0


def test_a_deleted_recorded_version_is_built_again(rig: Rig) -> None:
    rig.lam.delete_layer_version(LayerName=LAYER, VersionNumber=1)
    service, runs = rig.machine("fresh")
    plan = service.plan()
    assert runs.runs == 1 and any(isinstance(s, PublishLayer) for s in plan.steps)
    assert f"the applied layer version {LAYER}:1 was deleted" in plan.drift
    service.apply(force=True, confirm=yes)
    assert rig.versions() == [2]
    assert load_state(rig.state_file).layer_builds[LAYER].arn.endswith(":2")


def test_other_builder_options_are_other_inputs(rig: Rig) -> None:
    pip_args = ["--no-index", "--find-links", str(rig.project.wheelhouse), "--no-cache-dir"]
    runner = Counting()
    builder = LayerBuilder(rig.project.root / "opts", pip_args=pip_args, runner=runner)
    build = BuildService(rig.project.root, builder).function
    service = build_deploy_service(rig.routes, rig.ctx, is_local=True, build=build)
    service.plan()
    assert runner.runs == 1


def test_a_format_1_state_builds_once_and_a_no_change_apply_records_the_build(rig: Rig) -> None:
    data = json.loads(rig.state_file.read_text())
    del data["layer_builds"]
    rig.state_file.write_text(json.dumps({**data, "version": 1}))
    service, runs = rig.machine("upgraded")
    assert not service.plan().has_changes and runs.runs == 1  # no inputs recorded yet
    assert service.apply(force=False, confirm=yes).result is None
    recorded = load_state(rig.state_file)
    assert recorded.version == FORMAT and recorded.layer_builds[LAYER].arn.endswith(":1")
    fresh, fresh_runs = rig.machine("fresh")
    assert not fresh.plan().has_changes and fresh_runs.runs == 0
    assert rig.versions() == [1]


def test_a_state_of_a_newer_format_is_refused_and_nothing_is_written(rig: Rig) -> None:
    text = rig.state_file.read_text().replace(f'"version": {FORMAT}', f'"version": {FORMAT + 1}')
    rig.state_file.write_text(text)
    manifest = rig.routes.store.path.read_bytes()
    service, runs = rig.machine("fresh")
    for attempt in (service.plan, lambda: service.apply(force=True, confirm=yes)):
        with pytest.raises(InputError) as refused:
            attempt()
        assert refused.value.exit_code == 2
        assert f"{rig.state_file}: deploy state format version {FORMAT + 1}" in str(refused.value)
    with pytest.raises(InputError):
        service.rollback(["get-x"], reason="slow", force=False, confirm=yes)
    assert rig.state_file.read_text() == text and rig.routes.store.path.read_bytes() == manifest
    assert runs.runs == 0 and rig.versions() == [1]
