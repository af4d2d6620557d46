"""A manifest is parsed once per command: the store serves its first read from the
manifest read to open it, while the file is unchanged; the collector is paused only
while a manifest is parsed."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from router.errors import ManifestError
from router.manifest.store import (
    ManifestStore,
    atomic_write,
    collector_paused,
    dump_manifest,
    load_manifest,
    parse_manifest,
)
from router.state import open_store
from tests.helpers.manifests import build_manifest, route

TEXT = dump_manifest(build_manifest([route("GET", "/a")]))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    target = tmp_path / "migration.yaml"
    atomic_write(target, TEXT)
    return target.resolve()


def test_the_first_read_is_the_manifest_the_store_was_opened_with(path: Path) -> None:
    loaded = load_manifest(path)
    marked = replace(loaded, model=loaded.model.model_copy(update={"revision": 41}))
    store = ManifestStore(path, loaded=marked)
    assert store.read() is marked.model  # not parsed again
    assert store.read().revision == 0  # later reads parse the file


def test_a_file_changed_since_is_read_again(path: Path) -> None:
    loaded = load_manifest(path)
    atomic_write(path, dump_manifest(build_manifest([route("GET", "/b")])))
    assert [r.path for r in ManifestStore(path, loaded=loaded).read().routes] == ["/b"]


def test_an_edit_starts_from_the_opened_manifest_and_commits(path: Path) -> None:
    store = open_store(path, {})
    with store.edit() as draft:
        draft.routes[0].timeout = 7
    assert load_manifest(path).model.routes[0].timeout == 7
    assert load_manifest(path).model.revision == 1


def test_a_text_without_a_file_is_never_taken_as_current(path: Path) -> None:
    assert not parse_manifest(path, TEXT).current()
    assert load_manifest(path).current()


@pytest.fixture
def collector() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    gc.enable() if enabled else gc.disable()


@pytest.mark.usefixtures("collector")
def test_the_collector_is_back_on_after_a_refused_manifest(path: Path) -> None:
    gc.enable()
    with pytest.raises(ManifestError):
        parse_manifest(path, TEXT.replace("routes:", "routes: [oops", 1))
    assert gc.isenabled()


@pytest.mark.usefixtures("collector")
def test_the_collector_is_paused_only_if_it_was_running() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
