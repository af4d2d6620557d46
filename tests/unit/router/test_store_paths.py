"""A symlinked manifest: written through to its real file, sidecars beside that file."""

from __future__ import annotations

from pathlib import Path

from router.history import HistoryEntry, HistoryLog, history_path_for
from router.manifest.store import ManifestStore, load_manifest
from tests.unit.router.test_store_crash import MANIFEST


def test_a_symlinked_manifest_is_changed_through_the_link(tmp_path: Path) -> None:
    real = tmp_path / "config" / "shop.yaml"
    real.parent.mkdir()
    real.write_text(MANIFEST)
    link = tmp_path / "work" / "migration.yaml"
    link.parent.mkdir()
    link.symlink_to(real)

    store = ManifestStore(link)
    with store.edit() as draft:
        draft.routes[0].memory = 512
        store.record([HistoryEntry(4, "2026-01-01T00:00:00Z", "tester", "memory", "r0")])

    assert link.is_symlink() and link.resolve() == real
    assert load_manifest(real).model.revision == 4
    assert store.path == real and store.lock_path.parent == real.parent
    assert [e.action for e in HistoryLog(history_path_for(real)).entries()] == ["memory"]
    assert sorted(p.name for p in link.parent.iterdir()) == ["migration.yaml"]
