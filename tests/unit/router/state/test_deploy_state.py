"""The deploy state on the S3 backend (``S3DeployState``) and the seam that picks it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from router.deploy.state import FORMAT, AppliedBy, DeployState, FileDeployState, save_state
from router.errors import InputError, StateConflict, StateError
from router.manifest.store import ManifestStore
from router.state import S3Backend, open_deploy_state
from router.state.deploy_state import DEPLOY_STATE, S3DeployState
from router.state.transfer import pull, push
from tests.helpers.state import BUCKET, PREFIX, Operator, s3_client

Stores = Callable[[int], list[Operator]]
KEY = f"{PREFIX}/{DEPLOY_STATE}"


def _signed(user: str, api_id: str) -> DeployState:
    by = AppliedBy(user=user, host="h", pid=7, time="2026-01-01T00:00:00Z")
    return DeployState(api_id=api_id, applied_by=by)


def test_the_seam_picks_the_object_on_a_backend_and_the_file_locally(
    stores: Stores, tmp_path: Path
) -> None:
    [(store, _)] = stores(1)
    assert isinstance(open_deploy_state(store), S3DeployState)
    local = open_deploy_state(ManifestStore(tmp_path / "prod.yaml"))
    assert isinstance(local, FileDeployState)
    assert local.path == tmp_path / "prod.state.json"


def test_an_operator_reads_what_another_saved(backend: S3Backend) -> None:
    alice = S3DeployState(backend.bucket, backend.location)
    bob = S3DeployState(backend.bucket, backend.location)
    assert bob.load() == DeployState() and bob.stored() is None
    alice.load()
    alice.save(_signed("alice", "api1"))
    assert bob.load().api_id == "api1"
    bob.save(_signed("bob", "api2"))  # replaces what it read (IfMatch on that ETag)
    assert alice.load().api_id == "api2"


def test_a_write_over_a_state_changed_since_read_is_refused_naming_its_writer(
    backend: S3Backend,
) -> None:
    alice = S3DeployState(backend.bucket, backend.location)
    bob = S3DeployState(backend.bucket, backend.location)
    alice.load(), bob.load()
    alice.save(_signed("alice", "api1"))
    with pytest.raises(StateConflict, match="another apply by alice on h \\(pid 7\\)"):
        bob.save(_signed("bob", "api2"))
    assert alice.load().api_id == "api1"  # not overwritten


def test_two_first_writes_one_lands(backend: S3Backend) -> None:
    """Both read "no state": the second's ``IfNoneMatch: *`` fails."""
    alice = S3DeployState(backend.bucket, backend.location)
    bob = S3DeployState(backend.bucket, backend.location)
    alice.load(), bob.load()
    alice.save(_signed("alice", "api1"))
    with pytest.raises(StateConflict):
        bob.save(_signed("bob", "api2"))


def test_an_unreadable_object_names_it(backend: S3Backend) -> None:
    s3_client("s3").put_object(Bucket=BUCKET, Key=KEY, Body=b'{"api_id": 5, "bogus": 1}')
    with pytest.raises(StateError, match=f"s3://{BUCKET}/{PREFIX}/{DEPLOY_STATE}"):
        S3DeployState(backend.bucket, backend.location).load()


def test_a_format_1_object_is_migrated_on_read(backend: S3Backend) -> None:
    body = {"version": 1, "api_id": "api1", "layers": {"l": "arn:aws:lambda:r:1:layer:l:1"}}
    s3_client("s3").put_object(Bucket=BUCKET, Key=KEY, Body=json.dumps(body).encode())
    state = S3DeployState(backend.bucket, backend.location).load()
    assert (state.version, state.api_id, state.layer_builds) == (FORMAT, "api1", {})


def test_an_object_of_a_newer_format_is_refused_naming_it(backend: S3Backend) -> None:
    body = json.dumps({"version": FORMAT + 1, "api_id": "api1"}).encode()
    s3_client("s3").put_object(Bucket=BUCKET, Key=KEY, Body=body)
    store = S3DeployState(backend.bucket, backend.location)
    with pytest.raises(InputError) as refused:
        store.load()
    label = f"s3://{BUCKET}/{PREFIX}/{DEPLOY_STATE}"
    assert str(refused.value).startswith(f"{label}: deploy state format version {FORMAT + 1} ")
    assert refused.value.exit_code == 2
    assert s3_client("s3").get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == body


def _applied_locally(tmp_path: Path) -> Path:
    """A local project whose deploy state names ``api1``; its manifest."""
    manifest = tmp_path / "migration.yaml"
    manifest.write_text("version: 1\nlegacy: {url: 'http://127.0.0.1:5000'}\nroutes: []\n")
    save_state(tmp_path / "migration.state.json", _signed("alice", "api1"))
    return manifest


def _bob_saves(backend: S3Backend) -> S3DeployState:
    shared = S3DeployState(backend.bucket, backend.location)
    shared.load()
    shared.save(_signed("bob", "api2"))
    return shared


def test_push_uploads_the_local_deploy_state_and_pull_brings_it_home(
    backend: S3Backend, tmp_path: Path
) -> None:
    manifest = _applied_locally(tmp_path)
    push(manifest, backend)
    body = json.loads(s3_client("s3").get_object(Bucket=BUCKET, Key=KEY)["Body"].read())
    assert body["api_id"] == "api1"
    _bob_saves(backend)
    pull(manifest, backend)
    assert FileDeployState(tmp_path / "migration.state.json").load().api_id == "api2"


def test_push_never_replaces_a_deploy_state_the_backend_holds(
    backend: S3Backend, tmp_path: Path
) -> None:
    manifest = _applied_locally(tmp_path)
    shared = _bob_saves(backend)
    push(manifest, backend)
    assert shared.load().api_id == "api2"
    assert backend.require_head().revision == 0  # the manifest still landed
