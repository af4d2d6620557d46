"""Move routes between the monolith and Lambda: the manifest changes behind
``migrate route promote``, ``migrate rollback`` and ``migrate init``.

Each change is computed as data (``RouteChange``), written to the manifest in one
locked, atomic edit and recorded in the history log. Nothing is written when a
check fails. This module must not talk to AWS or render templates.
"""

from __future__ import annotations

import difflib
import importlib
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from router.errors import HandlerError, RouteNotFound, UsageError
from router.history import HistoryEntry, HistoryLog, RouteState, current_user, now_iso
from router.inventory import Inventory, merge_inventory
from router.manifest.model import Legacy, Manifest, Route
from router.manifest.store import ManifestStore

__all__ = [
    "PromoteCheck",
    "RouteChange",
    "RouteService",
    "Then",
    "check_handler",
    "resolve_route",
    "state_of",
]


@dataclass(frozen=True)
class RouteChange:
    route: str
    before: RouteState
    after: RouteState

    @property
    def changed(self) -> bool:
        return self.before != self.after


def state_of(route: Route) -> RouteState:
    return RouteState(route.target, route.effective_weight, route.function)


def resolve_route(manifest: Manifest, ref: str) -> Route:
    """The route named by id or ``"METHOD /path"``; RouteNotFound suggests near names."""
    route = manifest.route(ref)
    if route is not None:
        return route
    names = [r.id for r in manifest.routes] + [r.key for r in manifest.routes]
    near = difflib.get_close_matches(ref, names, n=3)
    hint = f"did you mean {', '.join(repr(n) for n in near)}?" if near else "see `migrate routes`"
    raise RouteNotFound(f"no route {ref!r} in the manifest", hint=hint)


def check_handler(dotted: str, *, search_path: Path | None = None) -> None:
    """Import ``package.module.handler`` and check it is callable, or raise HandlerError."""
    module_name, _, attr = dotted.rpartition(".")
    if not module_name:
        raise HandlerError(f"--function {dotted!r}: expected MODULE.handler")
    if search_path is not None and str(search_path) not in sys.path:
        sys.path.insert(0, str(search_path))
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise HandlerError(f"--function {dotted!r}: cannot import {module_name!r}: {exc}") from exc
    if not callable(getattr(module, attr, None)):
        raise HandlerError(f"--function {dotted!r}: {module_name} has no callable {attr!r}")


def _check_weight(weight: int | None) -> None:
    if weight is not None and not 1 <= weight <= 100:
        raise UsageError(f"--weight {weight}: must be between 1 and 100")


PromoteCheck = Callable[[Route, str], None]
"""Runs before a promotion (route, handler) unless forced; raises to refuse it. The
factory injects ``router.shadow.gate.ShadowGate`` (refuses a handler whose last shadow
run found real mismatches); none is run when none is given."""

Then = Callable[[Manifest], None]
"""Runs inside the edit, after the change, with the manifest as it will be written
(revision included); raising from it leaves the manifest and history untouched."""


class RouteService:
    """Manifest changes with their history entries, one edit each.

    Each change is a function of the manifest (``store.update``): a store that lost a
    race to another operator (``router.state``) runs it again on the new state.
    """

    def __init__(
        self,
        store: ManifestStore,
        history: HistoryLog,
        *,
        code_root: Path,
        promote_check: PromoteCheck | None = None,
    ) -> None:
        self.store = store
        self.history = history
        self.code_root = code_root
        self.promote_check = promote_check

    def promote(
        self,
        ref: str,
        *,
        function: str | None,
        weight: int | None,
        reason: str | None,
        then: Then | None = None,
        force: bool = False,
    ) -> RouteChange:
        """Send ``ref`` to Lambda; ``force`` skips ``promote_check`` (the shadow refusal)."""
        _check_weight(weight)

        def edit(draft: Manifest) -> RouteChange:
            route = resolve_route(draft, ref)
            handler = function or route.function
            if handler is None:
                raise HandlerError(f"route {route.id!r} has no function yet: pass --function")
            check_handler(handler, search_path=self.code_root)
            if self.promote_check is not None and not force:
                self.promote_check(route, handler)
            change = _apply(route, RouteState("lambda", weight or 100, handler))
            self._finish(draft, "promote", [change], reason, then)
            return change

        return self.store.update(edit)

    def rollback(
        self, refs: Iterable[str], *, reason: str | None, then: Then | None = None
    ) -> list[RouteChange]:
        names = list(refs)

        def edit(draft: Manifest) -> list[RouteChange]:
            routes = [resolve_route(draft, ref) for ref in names]
            changes = [_apply(r, RouteState("legacy", 0, r.function)) for r in routes]
            self._finish(draft, "rollback", changes, reason, then)
            return changes

        return self.store.update(edit)

    def rollback_all(self, *, reason: str | None, then: Then | None = None) -> list[RouteChange]:
        on_lambda = [r.id for r in self.store.read().routes if r.target == "lambda"]
        return self.rollback(on_lambda, reason=reason, then=then)

    def restore(
        self, states: dict[str, RouteState], *, reason: str | None, then: Then | None = None
    ) -> list[RouteChange]:
        """Put every route named in ``states`` back to that state (``--to-revision``)."""

        def edit(draft: Manifest) -> list[RouteChange]:
            routes = [r for r in draft.routes if r.id in states]
            changes = [_apply(r, states[r.id]) for r in routes]
            self._finish(draft, "rollback", changes, reason, then)
            return changes

        return self.store.update(edit)

    def init(self, inventory: Inventory, legacy: Legacy) -> tuple[list[Route], list[Route]]:
        with self.store.edit() as draft:
            added, vanished = merge_inventory(draft, inventory.routes, legacy)
            details = {"added": [r.id for r in added], "vanished": [r.id for r in vanished]}
            if added or vanished or draft.legacy != legacy:
                self._append(draft, [_entry(draft, "init", None, None, details)])
        return added, vanished

    def _finish(
        self,
        draft: Manifest,
        action: str,
        changes: list[RouteChange],
        reason: str | None,
        then: Then | None,
    ) -> None:
        changed = [c for c in changes if c.changed]
        self._append(draft, [_entry(draft, action, c, reason, {}) for c in changed])
        if then is not None:
            then(draft.model_copy(update={"revision": draft.revision + (1 if changed else 0)}))

    def _append(self, draft: Manifest, entries: list[HistoryEntry]) -> None:
        if entries:
            self.store.record(entries)


def _entry(
    draft: Manifest,
    action: str,
    change: RouteChange | None,
    reason: str | None,
    details: dict[str, Any],
) -> HistoryEntry:
    # The store bumps the revision when it writes; record the one it will write.
    return HistoryEntry(
        revision=draft.revision + 1,
        time=now_iso(),
        user=current_user(),
        action=action,
        route=change.route if change else None,
        before=change.before if change else None,
        after=change.after if change else None,
        reason=reason,
        details=details,
    )


def _apply(route: Route, after: RouteState) -> RouteChange:
    before = state_of(route)
    route.target = "lambda" if after.target == "lambda" else "legacy"
    route.weight = after.weight if 0 < after.weight < 100 else None
    route.function = after.function
    return RouteChange(route.id, before, after)
