"""The routing snapshot in a compact, picklable form, and its installation in slices.

A hot reload builds the snapshot's contents in a helper process (``router.gateway
.builder``): ``pack`` turns a manifest into a ``PackedSnapshot`` whose routes are plain
tuples of strings and numbers, pickled in chunks of ``CHUNK_ROWS``. Unpickling such a
chunk is a short C call and rebuilding its targets a few microseconds a route, so the
event loop installs a 5,000-route snapshot with ``SnapshotInstaller.step`` in slices of
about ``SLICE_S`` seconds, serving requests between them; nothing of the manifest
(pydantic, YAML) is ever unpickled on the loop. The snapshot also carries the few
routes that name a function to invoke (``invocable_manifest``, pickled, with a digest):
the isolated workers' artifacts are prepared from them, off the loop, so the gateway
never parses the manifest again on a reload.

This module must not do I/O, start processes or touch the event loop.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from router.gateway.events import ApiInfo
from router.gateway.snapshot import (
    LegacyBase,
    RouteTarget,
    ShadowSpec,
    Snapshot,
    UpstreamPart,
    invocable_key,
    invocable_manifest,
    legacy_base,
    named_functions,
    route_targets,
)
from router.manifest.model import Manifest
from router.paths import SegmentKind
from router.table import RouteTable

__all__ = ["CHUNK_ROWS", "SLICE_S", "PackedSnapshot", "SnapshotInstaller", "pack"]

CHUNK_ROWS = 8  # routes per pickled chunk: ~0.1 ms to unpickle and install
SLICE_S = 0.0002  # the loop installs chunks for about this long, then serves requests
# (50 rows and 1 ms held the loop 1.35 ms per slice, median; 8 rows and 0.2 ms: 0.22 ms)

_Shadow = tuple[str, str, float, bool]
_Row = tuple[
    str, str, str, str | None, int, str | None, float, float,
    tuple[tuple[str, str], ...], str, int, _Shadow | None,
]  # fmt: skip
_KINDS = {kind.value: kind for kind in SegmentKind}


@dataclass(frozen=True, slots=True)
class PackedSnapshot:
    """A snapshot as the helper sends it: the small parts whole, the routes in chunks."""

    legacy: LegacyBase
    api: ApiInfo
    functions: frozenset[str]
    revision: int
    chunks: tuple[bytes, ...]  # each a pickled tuple of at most CHUNK_ROWS rows
    invocable: bytes = b""  # the pickled ``invocable_manifest`` (see ``invocable_model``)
    invocable_key: str = ""  # its ``invocable_key``: unchanged functions, nothing to prepare

    def invocable_model(self) -> Manifest:
        """The manifest's routes with a function to invoke (unpickle it off the loop)."""
        model: Manifest = pickle.loads(self.invocable)
        return model


def pack(manifest: Manifest, *, legacy_url: str | None = None) -> PackedSnapshot:
    """The packed snapshot of ``manifest`` (raises InputError on conflicting variables)."""
    rows = [_row(method, path, target) for method, path, target in route_targets(manifest)]
    chunks = tuple(
        pickle.dumps(tuple(rows[i : i + CHUNK_ROWS]), protocol=pickle.HIGHEST_PROTOCOL)
        for i in range(0, len(rows), CHUNK_ROWS)
    )
    legacy = legacy_base(legacy_url or manifest.legacy.url)
    api, named = ApiInfo.from_manifest(manifest), named_functions(manifest)
    invocable = invocable_manifest(manifest)
    model = pickle.dumps(invocable, protocol=pickle.HIGHEST_PROTOCOL)
    key = invocable_key(invocable)
    return PackedSnapshot(legacy, api, named, manifest.revision, chunks, model, key)


def _row(method: str, path: str, t: RouteTarget) -> _Row:
    upstream = tuple((kind.value, text) for kind, text in t.upstream)
    s = t.shadow
    shadow = (s.run_id, s.function, s.until_epoch, s.allow_side_effects) if s else None
    return (
        method, path, t.route_id, t.manifest_id, t.weight, t.function, t.lambda_timeout_s,
        t.legacy_timeout_s, upstream, t.function_name, t.memory_mb, shadow,
    )  # fmt: skip


def _target(row: _Row) -> RouteTarget:
    _, resource, route_id, manifest_id, weight, function, lam_s, leg_s, up, name, mb, sh = row
    return RouteTarget(
        route_id=route_id,
        manifest_id=manifest_id,
        resource=resource,
        weight=weight,
        function=function,
        lambda_timeout_s=lam_s,
        legacy_timeout_s=leg_s,
        upstream=_upstream(up),
        function_name=name,
        memory_mb=mb,
        shadow=ShadowSpec(*sh) if sh else None,
    )


def _upstream(parts: tuple[tuple[str, str], ...]) -> tuple[UpstreamPart, ...]:
    return tuple((_KINDS[kind], text) for kind, text in parts)


class SnapshotInstaller:
    """Builds the snapshot of a ``PackedSnapshot`` a slice at a time (``step``).

    ``add`` raises ValueError on a route the table refuses (the helper's manifest
    validation makes that a bug); the snapshot being installed is then dropped.
    """

    def __init__(
        self,
        packed: PackedSnapshot,
        *,
        clock: Callable[[], float] = time.perf_counter,
        slice_s: float = SLICE_S,
    ) -> None:
        self._packed = packed
        self._table: RouteTable[RouteTarget] = RouteTable()
        self._chunks: Iterator[bytes] = iter(packed.chunks)
        self._clock, self._slice_s = clock, slice_s

    def step(self) -> Snapshot | None:
        """Install chunks for about one slice; the snapshot once every route is in."""
        deadline = self._clock() + self._slice_s
        for chunk in self._chunks:
            self._install(chunk)
            if self._clock() >= deadline:
                return None
        p = self._packed
        return Snapshot(self._table, p.legacy, p.api, p.functions, p.revision)

    def _install(self, chunk: bytes) -> None:
        rows: tuple[_Row, ...] = pickle.loads(chunk)
        add = self._table.add
        for row in rows:
            add(row[0], row[1], _target(row))
