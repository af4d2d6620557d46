"""The deploy state's format version: an older file is migrated, a newer one refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from router.deploy.state import FORMAT, FileDeployState, load_state
from router.errors import InputError, StateError

ARN = "arn:aws:lambda:us-east-1:123456789012:layer:shop-DepsLayer:3"
# as the format-1 code wrote it (no layer_builds)
FORMAT_1 = {
    "version": 1,
    "api_id": "a1b2c3d4e5",
    "api_name": "shop",
    "stage": "prod",
    "account_id": "123456789012",
    "last_put": None,
    "stable": None,
    "canary": None,
    "deployments": [],
    "layers": {"shop-DepsLayer": ARN},
    "function_layers": {"shop-get-user": [ARN]},
    "applied_by": None,
}


def _written(tmp_path: Path, data: dict[str, object]) -> Path:
    path = tmp_path / "migration.state.json"
    path.write_text(json.dumps(data))
    return path


def test_a_format_1_file_is_migrated_on_read_and_saved_in_the_current_format(
    tmp_path: Path,
) -> None:
    path = _written(tmp_path, FORMAT_1)
    state = load_state(path)
    assert (state.version, state.layers, state.layer_builds) == (FORMAT, FORMAT_1["layers"], {})
    assert state.function_layers == {"shop-get-user": [ARN]}
    FileDeployState(path).save(state)
    saved = json.loads(path.read_text())
    assert saved["version"] == FORMAT and saved["layer_builds"] == {}


def test_a_file_without_a_version_is_format_1(tmp_path: Path) -> None:
    data = {k: v for k, v in FORMAT_1.items() if k != "version"}
    assert load_state(_written(tmp_path, data)).version == FORMAT


def test_a_newer_format_is_refused_naming_the_file_and_left_as_it_was(tmp_path: Path) -> None:
    path = _written(tmp_path, {**FORMAT_1, "version": FORMAT + 1, "new_field": 1})
    before = path.read_bytes()
    with pytest.raises(InputError) as refused:
        load_state(path)
    assert refused.value.exit_code == 2
    assert str(refused.value).startswith(f"{path}: deploy state format version {FORMAT + 1} ")
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({**FORMAT_1, "version": FORMAT, "bogus": 1}, "bogus"),  # strict within a format
        ({**FORMAT_1, "version": "two"}, "version"),
        ([1, 2], "not a JSON object"),
    ],
)
def test_an_unreadable_state_names_the_file_and_what_is_wrong(
    tmp_path: Path, data: object, named: str
) -> None:
    path = tmp_path / "migration.state.json"
    path.write_text(json.dumps(data))
    with pytest.raises(StateError, match=str(path)) as refused:
        load_state(path)
    assert named in str(refused.value)
