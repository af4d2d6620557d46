"""The draft an edit changes is independent of the loaded model, on both load paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.manifest.store import _draft, atomic_write, dump_manifest, load_manifest
from tests.helpers.manifests import build_manifest, route

FAST = dump_manifest(build_manifest([route("GET", "/a", environment={"K": "v"})]))
SLOW = '# ruamel reads it: a "!" (a tag sign) sends the load there\n' + FAST


@pytest.mark.parametrize("text", [FAST, SLOW], ids=["libyaml", "ruamel"])
def test_changing_the_draft_leaves_the_loaded_model_alone(tmp_path: Path, text: str) -> None:
    path = tmp_path / "migration.yaml"
    atomic_write(path, text)
    loaded = load_manifest(path)
    draft = _draft(loaded)
    assert draft == loaded.model and draft is not loaded.model
    draft.routes[0].environment["K"] = "changed"
    draft.routes[0].weight = 50
    draft.routes.append(draft.routes[0])
    assert loaded.model.routes[0].environment == {"K": "v"}
    assert loaded.model.routes[0].weight != 50 and len(loaded.model.routes) == 1


def test_the_anchor_sends_the_load_through_ruamel(tmp_path: Path) -> None:
    path = tmp_path / "migration.yaml"
    atomic_write(path, SLOW)
    assert load_manifest(path).data is None
