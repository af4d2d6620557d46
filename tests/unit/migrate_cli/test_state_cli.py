"""``migrate state push|pull|status|policy`` and the route commands on an S3 backend (moto;
``s3_env`` in conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from typer.testing import Result

from tests.helpers.cli import Project

STATE = "s3://team-state/shop"


def _s3() -> object:
    return boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="t"
    )


def _ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def test_route_moves_land_on_the_backend_not_the_local_file(project: Project, s3_env: None) -> None:
    local = project.manifest.read_text()
    _ok(project.run("state", "push"))
    _ok(project.run("route", "promote", "get-api-users-id", "-f", project.handler))
    assert project.manifest.read_text() == local
    routes = json.loads(_ok(project.run("routes", "--json")).stdout)
    assert routes["revision"] == 1 and routes["routes"][0]["target"] == "lambda"
    history = json.loads(_ok(project.run("history", "--json")).stdout)
    assert [(e["revision"], e["action"]) for e in history] == [(1, "promote")]
    status = json.loads(_ok(project.run("state", "status", "--json")).stdout)
    assert (status["local_revision"], status["backend_revision"], status["newer"]) == (
        0, 1, "backend",
    )  # fmt: skip
    assert "`migrate state pull` fetches it" in _ok(project.run("state", "status")).stdout


def test_pull_brings_the_manifest_and_history_home(project: Project, s3_env: None) -> None:
    _ok(project.run("state", "push"))
    _ok(project.run("route", "promote", "get-api-users-id", "-f", project.handler))
    _ok(project.run("state", "pull"))
    assert "revision: 1" in project.manifest.read_text()
    history = (project.root / "migration.history.jsonl").read_text().splitlines()
    assert [json.loads(line)["action"] for line in history] == ["promote"]
    status = json.loads(_ok(project.run("state", "status", "--json")).stdout)
    assert status["newer"] == "same"


def test_push_over_a_newer_backend_is_refused_unless_forced(project: Project, s3_env: None) -> None:
    _ok(project.run("state", "push"))
    _ok(project.run("route", "promote", "get-api-users-id", "-f", project.handler))
    refused = project.run("state", "push")
    assert refused.exit_code == 1
    assert "refused, nothing was changed" in refused.output
    forced = json.loads(_ok(project.run("state", "push", "--force", "--json")).stdout)
    assert forced["revision"] == 2
    routes = json.loads(_ok(project.run("routes", "--json")).stdout)
    assert routes["routes"][0]["target"] == "legacy"  # the local manifest won
    history = json.loads(_ok(project.run("history", "--json")).stdout)
    assert [e["action"] for e in history] == ["promote", "push"]


def test_an_unversioned_bucket_is_exit_2_and_changes_nothing(
    project: Project, s3_env: None
) -> None:
    _ok(project.run("state", "push"))
    _s3().put_bucket_versioning(  # type: ignore[attr-defined]
        Bucket="team-state", VersioningConfiguration={"Status": "Suspended"}
    )
    result = project.run("route", "promote", "get-api-users-id", "-f", project.handler)
    assert result.exit_code == 2
    assert "versioning is Suspended" in result.output
    assert "put-bucket-versioning" in result.output
    body = _s3().get_object(Bucket="team-state", Key="shop/manifest.json")["Body"]  # type: ignore[attr-defined]
    assert json.loads(body.read())["revision"] == 0


def test_an_unreachable_endpoint_is_exit_2(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIGRATE_STATE", STATE)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    before = project.manifest.read_text()
    result = project.run("route", "promote", "get-api-users-id", "-f", project.handler)
    assert result.exit_code == 2, result.output
    assert "cannot read the versioning of bucket team-state" in result.output
    assert project.manifest.read_text() == before


def test_a_bad_state_setting_is_exit_2(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIGRATE_STATE", "s3:/team-state")
    result = project.run("routes")
    assert result.exit_code == 2
    assert "MIGRATE_STATE: 's3:/team-state' is not a state backend" in result.output


@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_a_bad_lock_timeout_is_exit_2_and_changes_nothing(
    project: Project, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("MIGRATE_LOCK_TIMEOUT", value)
    before = project.manifest.read_text()
    result = project.run("route", "promote", "get-api-users-id", "-f", project.handler)
    assert result.exit_code == 2
    assert f"MIGRATE_LOCK_TIMEOUT: '{value}' is not a number of seconds" in result.output
    assert project.manifest.read_text() == before


def test_policy_prints_the_minimal_iam_and_tls_only_bucket_policies(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MIGRATE_STATE_KMS_KEY", "arn:aws:kms:us-east-1:123456789012:key/k1")
    result = _ok(project.run("state", "policy", "--backend", STATE))
    printed = json.loads(result.stdout)
    actions = {a for s in printed["operator_policy"]["Statement"] for a in s["Action"]}
    assert actions == {
        "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:ListBucket",
        "s3:ListBucketVersions", "s3:GetBucketVersioning", "kms:Encrypt", "kms:Decrypt",
        "kms:GenerateDataKey",
    }  # fmt: skip
    objects = printed["operator_policy"]["Statement"][0]["Resource"]
    assert objects == "arn:aws:s3:::team-state/shop/*"
    [deny] = printed["bucket_policy"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_local_projects_have_no_backend_to_push_to(project: Project) -> None:
    result = project.run("state", "push")
    assert result.exit_code == 2
    assert "keeps its state in local files" in result.output


def test_plan_says_which_side_is_newer(project: Project, s3_env: None) -> None:
    text = project.manifest.read_text()  # real AWS (no endpoint): a monolith it can reach
    project.manifest.write_text(text.replace("http://127.0.0.1:5000", "https://legacy.example.com"))
    _ok(project.run("state", "push"))
    _ok(project.run("route", "promote", "get-api-users-id", "-f", project.handler))
    planned = json.loads(_ok(project.run("plan", "--json")).stdout)
    assert planned["state"] == {
        "backend": STATE, "local_revision": 0, "backend_revision": 1, "newer": "backend",
    }  # fmt: skip
    text = _ok(project.run("plan"))
    assert "s3://team-state/shop is newer (revision 1) than the local manifest" in text.output


def test_lock_status_and_break_recorded_in_the_history(project: Project, s3_env: None) -> None:
    from router.aws.session import AwsContext
    from router.state import StateLocation, open_backend
    from router.state.lease import LeaseKeeper

    _ok(project.run("state", "push"))
    backend = open_backend(StateLocation("team-state", "shop"), AwsContext(region="us-east-1"))
    LeaseKeeper(backend.bucket, backend.location).acquire("state", "apply")
    [lease] = json.loads(_ok(project.run("lock", "status", "--json")).stdout)
    assert (lease["name"], lease["operation"], lease["alive"]) == ("state", "apply", True)
    refused = project.run("lock", "break", "state")
    assert refused.exit_code == 2 and "--reason is required" in refused.output
    _ok(project.run("lock", "break", "state", "--reason", "holder gone"))
    [lease] = json.loads(_ok(project.run("lock", "status", "--json")).stdout)
    assert lease["alive"] is False
    [entry] = json.loads(_ok(project.run("history", "--json")).stdout)
    assert (entry["action"], entry["reason"], entry["details"]["operation"]) == (
        "lock-break", "holder gone", "apply",
    )  # fmt: skip


def test_lock_status_judges_leases_by_the_injected_clock(project: Project, s3_env: None) -> None:
    from datetime import UTC, datetime, timedelta

    from migrate_cli.context import Wiring
    from migrate_cli.factory import Factory
    from router.aws.session import AwsContext
    from router.state import StateLocation, open_backend
    from router.state.lease import LeaseKeeper

    _ok(project.run("state", "push"))
    backend = open_backend(StateLocation("team-state", "shop"), AwsContext(region="us-east-1"))
    held = LeaseKeeper(backend.bucket, backend.location).acquire("state", "apply")
    later = datetime.fromtimestamp(held.lease.expiry, UTC) + timedelta(seconds=1)
    project.wiring = Wiring(lambda path: Factory(path, clock=lambda: later))
    [lease] = json.loads(_ok(project.run("lock", "status", "--json")).stdout)
    assert (lease["name"], lease["alive"]) == ("state", False)


def test_a_locked_change_is_refused_while_another_operator_holds_the_lease(
    project: Project, s3_env: None
) -> None:
    from router.aws.session import AwsContext
    from router.errors import LeaseHeld
    from router.state import BackendStore, StateLocation, open_backend
    from router.state.lease import LeaseKeeper

    _ok(project.run("state", "push"))
    backend = open_backend(StateLocation("team-state", "shop"), AwsContext(region="us-east-1"))
    LeaseKeeper(backend.bucket, backend.location).acquire("state", "apply")
    store = BackendStore(project.manifest, backend)
    with pytest.raises(LeaseHeld, match="apply is running"), store.locked():
        pass


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--steps", "5,abc"), "--steps"),
        (("--steps", "5,5,100"), "--steps"),
        (("--steps", "5,150"), "--steps"),
        (("--steps", "5,100", "--interval", "soon"), "--interval"),
    ],
)
def test_bad_steps_are_exit_2_before_any_lease_is_taken(
    project: Project, s3_env: None, args: tuple[str, ...], named: str
) -> None:
    from router.aws.session import AwsContext
    from router.state import StateLocation, open_backend

    _ok(project.run("state", "push"))
    backend = open_backend(StateLocation("team-state", "shop"), AwsContext(region="us-east-1"))
    before = backend.require_head()
    refused = project.run("route", "promote", "get-api-users-id", "-f", project.handler, *args)
    assert refused.exit_code == 2, refused.output
    assert named in refused.output
    assert backend.bucket.keys("shop/leases/") == []  # no lease was taken
    assert backend.require_head().etag == before.etag  # nothing changed
