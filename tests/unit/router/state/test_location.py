"""The state setting: ``MIGRATE_STATE`` over the manifest's ``state:``, local by default."""

from __future__ import annotations

import pytest

from router.errors import StateBackendError
from router.state import StateLocation, parse_state_url, state_setting


def test_local_files_are_the_default() -> None:
    assert state_setting({}, None) is None
    assert state_setting({}, "local") is None


def test_the_manifest_names_an_s3_location() -> None:
    location = state_setting({}, "s3://team-state/projects/shop/")
    assert location == StateLocation("team-state", "projects/shop")
    assert location.key("manifest.json") == "projects/shop/manifest.json"
    assert location.url == "s3://team-state/projects/shop"


def test_the_environment_wins_and_names_a_kms_key() -> None:
    env = {"MIGRATE_STATE": "s3://other-bucket", "MIGRATE_STATE_KMS_KEY": "alias/state"}
    location = state_setting(env, "s3://team-state/p")
    assert location == StateLocation("other-bucket", "", "alias/state")
    assert location.key("manifest.json") == "manifest.json"


@pytest.mark.parametrize("value", ["s3://", "gs://bucket/p", "s3://Bad_Bucket/p", "s3://b/p"])
def test_a_bad_setting_is_bad_input_naming_where_it_came_from(value: str) -> None:
    with pytest.raises(StateBackendError, match=r"MIGRATE_STATE: .* is not a state backend") as e:
        parse_state_url(value, "MIGRATE_STATE")
    assert e.value.exit_code == 2
