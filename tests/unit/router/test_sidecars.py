"""Every sidecar file is named from the manifest path in one place, as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.analysis.baseline import BaselineStore
from router.deploy.state import state_path_for
from router.history import history_path_for
from router.manifest.store import ManifestStore
from router.shadow.files import shadow_root
from router.sidecars import baselines_dir, history_path, lock_path, shadow_dir, state_path


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (history_path, "prod.history.jsonl"),
        (state_path, "prod.state.json"),
        (baselines_dir, "prod.baselines"),
        (shadow_dir, "prod.shadow"),
        (lock_path, "prod.yaml.lock"),
    ],
)
def test_sidecars_sit_beside_the_manifest(build: object, name: str) -> None:
    manifest = Path("/srv/app/prod.yaml")
    assert build(manifest) == manifest.parent / name  # type: ignore[operator]


def test_the_users_of_the_sidecars_agree_with_it(tmp_path: Path) -> None:
    manifest = tmp_path / "prod.yaml"
    assert history_path_for(manifest) == history_path(manifest)
    assert state_path_for(manifest) == state_path(manifest)
    assert shadow_root(manifest) == shadow_dir(manifest)
    assert BaselineStore(manifest).directory == baselines_dir(manifest)
    assert ManifestStore(manifest).lock_path == lock_path(manifest)
