"""``FunctionPreparer``: a reload prepares the functions' artifacts from what the build
sent, and only when the routes with a function changed."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from router.gateway.packed import pack
from router.gateway.runtime import FunctionPreparer
from router.manifest.model import Manifest
from tests.helpers.gateway import H, lam, manifest_of
from tests.helpers.manifests import route


def reloads(start: Manifest, *manifests: Manifest) -> list[list[str | None]]:
    """The functions each reload of ``manifests`` prepared (nothing: not prepared)."""
    prepared: list[list[str | None]] = []
    with ThreadPoolExecutor(1) as executor:
        preparer = FunctionPreparer(
            lambda m: prepared.append([r.function for r in m.routes]), executor, start
        )
        for manifest in manifests:
            asyncio.run(preparer(pack(manifest)))
    return prepared


def routes(*extra: dict[str, Any], revision: int = 0) -> Manifest:
    built: Manifest = manifest_of(route("GET", "/a"), lam("GET", "/b"), *extra, revision=revision)
    return built


def test_unchanged_functions_are_not_prepared_again() -> None:
    """A reload that moves a legacy route, or only bumps the revision, builds nothing."""
    moved = manifest_of(route("GET", "/a", timeout=3), lam("GET", "/b"), revision=2)
    assert reloads(routes(), routes(revision=1), moved) == []


def test_a_new_or_changed_function_route_is_prepared_once() -> None:
    new = routes(lam("GET", "/c", "other"), revision=1)
    bigger = manifest_of(route("GET", "/a"), lam("GET", "/b", memory=512), revision=2)
    assert reloads(routes(), new, new, bigger) == [
        [f"{H}.echo", f"{H}.other"],
        [f"{H}.echo"],
    ]


def test_a_shadow_candidate_is_prepared() -> None:
    shadow = {"run_id": "run-1", "function": f"{H}.other", "until": "2030-01-01T00:00:00Z"}
    shadowed = routes(route("GET", "/s", shadow=shadow), revision=1)
    assert reloads(routes(), shadowed) == [[f"{H}.echo", None]]
