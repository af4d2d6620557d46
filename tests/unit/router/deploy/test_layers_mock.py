"""Layers and the artifact bucket through plan/apply against in-process moto.

A project with one Lambda route whose requirements come from a hand-made wheel
(``tests/unit/router/build/conftest.py``: no network). moto implements
``PublishLayerVersion``, ``ListLayerVersions``, ``DeleteLayerVersion``, a function's
``Layers`` and code from S3; the S3 calls of the artifact bucket too.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from router.aws.session import AwsContext
from router.build import BuildService, build_package
from router.deploy.model import PublishLayer, SyncFunction, UploadArtifact
from router.deploy.service import DeployService, build_deploy_service
from router.deploy.state import load_state, state_path_for
from router.errors import UnsafePlan
from router.history import HistoryLog, history_path_for
from router.manifest.store import ManifestStore, dump_manifest
from router.routes import RouteService
from tests.helpers.build import Project, make_project

FUNCTION = "legacy-api-get-x"
LAYER = "legacy-api-FnsRequirementsLayer"


def yes(_: object) -> bool:
    return True


@dataclass
class Rig:
    project: Project
    service: DeployService
    lam: Any
    s3: Any

    def apply(self, *, force: bool = False) -> list[str]:
        result = self.service.apply(force=force, confirm=yes).result
        return result.artifact_calls if result else []

    def versions(self) -> list[int]:
        listed = self.lam.list_layer_versions(LayerName=LAYER)["LayerVersions"]
        return sorted(v["Version"] for v in listed)

    def function_layers(self) -> list[str]:
        config = self.lam.get_function_configuration(FunctionName=FUNCTION)
        return [layer["Arn"] for layer in config.get("Layers", [])]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    project = make_project(tmp_path)
    path = project.root / "migration.yaml"
    path.write_text(dump_manifest(project.manifest()))
    store = ManifestStore(path)
    routes = RouteService(store, HistoryLog(history_path_for(path)), code_root=project.root)
    with mock_aws():
        ctx = AwsContext(
            region="us-east-1", client_factory=lambda s: boto3.client(s, region_name="us-east-1")
        )
        build = BuildService(project.root, project.builder()).function
        service = build_deploy_service(routes, ctx, is_local=True, build=build)
        yield Rig(project, service, ctx.client("lambda"), ctx.client("s3"))


def test_a_layer_is_published_once_and_attached(rig: Rig) -> None:
    plan = rig.service.plan()
    (publish,) = [s for s in plan.steps if isinstance(s, PublishLayer)]
    (sync,) = [s for s in plan.steps if isinstance(s, SyncFunction)]
    assert (publish.layer.name, sync.pending_layer) == (LAYER, LAYER)
    kinds = {a.kind: a for a in plan.artifacts}
    assert kinds["layer"].action == "publish" and kinds["code"].action == "upload"
    assert kinds["code"].after == sync.spec.code_sha256 and kinds["code"].via == "direct"
    package = build_package(rig.project.root, "fns.app.handler")
    assert (kinds["code"].size, kinds["code"].unzipped) == (package.size, package.unzipped_size)
    assert (kinds["layer"].size, kinds["layer"].after) == (publish.layer.size, publish.layer.sha256)

    assert rig.apply() == ["publish_layer_version", "create_function"]
    assert rig.versions() == [1]
    (arn,) = rig.function_layers()
    assert arn.endswith(f":layer:{LAYER}:1")
    layer = rig.lam.get_layer_version(LayerName=LAYER, VersionNumber=1)  # moto: not by ARN
    assert layer["Content"]["CodeSha256"] == publish.layer.sha256  # moto hashed what it got
    assert layer["CompatibleRuntimes"] == ["python3.12"]
    config = rig.lam.get_function_configuration(FunctionName=FUNCTION)
    assert config["CodeSha256"] == sync.spec.code_sha256

    again = rig.service.plan()
    assert not again.has_changes and again.drift == ()
    assert {a.action for a in again.artifacts} == {"unchanged", "unchanged (" + LAYER + ":1)"}
    assert rig.apply() == []
    assert rig.versions() == [1]


def test_a_new_lock_publishes_one_version_and_reuses_the_code(rig: Rig) -> None:
    rig.apply()
    rig.project.relock("2.0")
    plan = rig.service.plan()
    assert [type(s).__name__ for s in plan.steps] == ["PublishLayer", "SyncFunction"]
    assert "code unchanged" in plan.steps[1].describe()
    assert rig.apply() == ["publish_layer_version", "update_function_configuration"]
    assert rig.versions() == [1, 2]
    assert rig.function_layers()[0].endswith(":2")
    state = load_state(state_path_for(rig.project.root / "migration.yaml"))
    assert state.layers[LAYER].endswith(":2")
    rig.project.relock("1.0")  # back to the first lock: its version still holds that zip
    assert rig.apply() == ["update_function_configuration"]
    assert rig.versions() == [1, 2] and rig.function_layers()[0].endswith(":1")


def test_a_deleted_layer_version_is_drift(rig: Rig) -> None:
    rig.apply()
    rig.lam.delete_layer_version(LayerName=LAYER, VersionNumber=1)
    plan = rig.service.plan()
    assert f"the applied layer version {LAYER}:1 was deleted" in plan.drift
    with pytest.raises(UnsafePlan):
        rig.apply()
    assert rig.versions() == []
    assert rig.apply(force=True) == ["publish_layer_version", "update_function_configuration"]
    assert rig.versions() == [2]
    assert rig.service.plan().drift == ()


def test_layers_changed_by_hand_are_drift(rig: Rig) -> None:
    rig.apply()
    rig.lam.update_function_configuration(FunctionName=FUNCTION, Layers=[])
    plan = rig.service.plan()
    assert plan.drift == (f"Lambda function {FUNCTION} uses no layer, not the applied {LAYER}:1",)
    assert rig.apply(force=True) == ["update_function_configuration"]
    assert not rig.service.plan().has_changes


def test_a_zip_over_50_mb_goes_through_the_artifact_bucket_once(rig: Rig) -> None:
    big = rig.project.root / "fns" / "blob.py"
    noise = base64.b64encode(os.urandom(54 * 1024 * 1024)).decode()  # deflates to ~76%
    big.write_text(f"BLOB = {noise!r}\n")
    app = rig.project.root / "fns" / "app.py"
    app.write_text("from fns import blob\n" + app.read_text())
    plan = rig.service.plan()
    (upload,) = [s for s in plan.steps if isinstance(s, UploadArtifact)]
    bucket = "legacy-api-artifacts-123456789012-us-east-1"
    assert upload.location.bucket == bucket
    assert upload.location.key.startswith(f"functions/{FUNCTION}/")
    assert plan.steps[1].describe().startswith(f"create S3 bucket {bucket}")
    calls = rig.apply()
    assert calls == ["create_bucket", "put_object", "publish_layer_version", "create_function"]
    assert rig.s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    encryption = rig.s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    head = rig.s3.head_object(Bucket=bucket, Key=upload.location.key)
    assert head["Metadata"]["sha256"] == upload.sha256
    config = rig.lam.get_function_configuration(FunctionName=FUNCTION)
    assert config["CodeSha256"] == upload.sha256  # moto read the code from the bucket
    assert rig.apply() == []  # nothing uploaded again
