"""Inventory a Flask app's routes in API Gateway path syntax (``migrate init``).

Imports the app (an app object or a factory), walks ``url_map`` and returns the
(method, path) pairs API Gateway can express, plus warnings for the rules it
cannot. A rule's trailing slash (``/items/``) is kept as the route's
``trailing_slash``: the resource is ``/items``, the monolith is called at ``/items/``.
Rules bound to a host or subdomain (``host=``, ``subdomain=``) are left to the
catch-all with a warning: API Gateway resources match the path only. Merging into an
existing manifest never resets a route's target, weight, function or history. This
module must not write files.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from router.errors import InputError
from router.manifest.model import Legacy, Manifest, Route, route_key
from router.paths import Segment, SegmentKind, parse_path

__all__ = [
    "Inventory",
    "InventoryRoute",
    "flask_rule_to_path",
    "inventory_app",
    "load_app",
    "merge_inventory",
    "route_id_for",
]

_VAR = re.compile(r"<(?:(?P<conv>[A-Za-z_][A-Za-z0-9_]*)(?:\([^)]*\))?:)?(?P<name>[A-Za-z_]\w*)>")
_IMPLICIT = {"HEAD", "OPTIONS"}


@dataclass(frozen=True)
class InventoryRoute:
    method: str
    path: str
    endpoint: str
    trailing_slash: bool = False


@dataclass(frozen=True)
class Inventory:
    routes: tuple[InventoryRoute, ...]
    warnings: tuple[str, ...]


def load_app(ref: str, *, search_path: Path | None = None) -> Any:
    """Import ``MODULE:ATTR`` (or ``MODULE``, looking for ``app`` / ``create_app``)."""
    module_name, _, attr = ref.partition(":")
    if search_path is not None and str(search_path) not in sys.path:
        sys.path.insert(0, str(search_path))
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise InputError(f"--app {ref!r}: cannot import {module_name!r}: {exc}") from exc
    return _app_from(module, attr.removesuffix("()"), ref)


def _app_from(module: Any, attr: str, ref: str) -> Any:
    names = [attr] if attr else ["app", "application", "create_app", "make_app"]
    for name in names:
        obj = getattr(module, name, None)
        if obj is None:
            continue
        app = obj if hasattr(obj, "url_map") else _call_factory(obj, ref)
        if hasattr(app, "url_map"):
            return app
    raise InputError(f"--app {ref!r}: no Flask app or factory found (tried {', '.join(names)})")


def _call_factory(factory: Any, ref: str) -> Any:
    if not callable(factory):
        return None
    try:
        return factory()
    except Exception as exc:
        raise InputError(f"--app {ref!r}: the factory raised {exc!r}") from exc


def flask_rule_to_path(rule: str) -> str:
    """``/a/<int:id>/<path:rest>`` -> ``/a/{id}/{rest+}``; ValueError when inexpressible."""
    segments = [s for s in rule.split("/") if s]
    out = [_segment(seg, last=i == len(segments) - 1) for i, seg in enumerate(segments)]
    return "/" + "/".join(out)


def _segment(seg: str, *, last: bool) -> str:
    match = _VAR.fullmatch(seg)
    if match is None:
        if "<" in seg:
            raise ValueError(f"segment {seg!r} mixes text and a variable")
        return seg
    greedy = match.group("conv") == "path"
    if greedy and not last:
        raise ValueError(f"<path:{match.group('name')}> is not the last segment")
    return "{" + match.group("name") + ("+" if greedy else "") + "}"


def inventory_app(app: Any) -> Inventory:
    routes: dict[tuple[str, str], InventoryRoute] = {}
    warnings: list[str] = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = _rule_path(rule, warnings)
        if path is None:
            continue
        slash = rule.rule.endswith("/") and path != "/"
        for method in _methods(rule):
            _add_route(routes, InventoryRoute(method, path, rule.endpoint, slash), warnings)
    unified = _unify_variables(list(routes.values()), warnings)
    ordered = sorted(unified, key=lambda r: (r.path, _method_order(r.method)))
    return Inventory(tuple(ordered), tuple(warnings))


def _rule_path(rule: Any, warnings: list[str]) -> str | None:
    """The rule's resource path, or None (with a warning) when API Gateway cannot route it."""
    bound = _host_binding(rule)
    if bound:
        warnings.append(
            f"{rule.rule}: bound to {bound}; API Gateway routes by path only, so it is "
            "left to the monolith through /{proxy+} (which answers it only when the app "
            "takes the client's host from X-Forwarded-Host)"
        )
        return None
    try:
        return flask_rule_to_path(rule.rule)
    except ValueError as exc:
        warnings.append(f"{rule.rule}: {exc}; left to the monolith through /{{proxy+}}")
        return None


def _host_binding(rule: Any) -> str:
    """``host 'api.example.com'`` / ``subdomain 'admin'`` for a host-bound rule, else ""."""
    host, subdomain = getattr(rule, "host", None), getattr(rule, "subdomain", None)
    if host:
        return f"host {host!r}"
    return f"subdomain {subdomain!r}" if subdomain else ""


def _add_route(
    routes: dict[tuple[str, str], InventoryRoute], item: InventoryRoute, warnings: list[str]
) -> None:
    known = routes.setdefault((item.method, item.path), item)
    if known.trailing_slash != item.trailing_slash:
        warnings.append(
            f"{item.method} {item.path}: the app has the rule with and without a trailing "
            f"slash; API Gateway answers both from one resource, which calls the monolith "
            f"at {_spelled(known)} ({_spelled(item)} is not reached through the gateway)"
        )


def _spelled(item: InventoryRoute) -> str:
    return item.path + "/" if item.trailing_slash else item.path


def _unify_variables(routes: list[InventoryRoute], warnings: list[str]) -> list[InventoryRoute]:
    """One variable name per resource level, as API Gateway requires.

    ``/u/{id}`` and ``/u/{name}/posts`` become ``/u/{id}`` and ``/u/{id}/posts`` (the
    handler then reads ``pathParameters["id"]``); a greedy and a plain variable
    under one resource cannot be merged, and the later route is left to the monolith.
    """
    children: dict[tuple[str, ...], Segment] = {}
    kept: list[InventoryRoute] = []
    for item in sorted(routes, key=lambda r: (r.path, _method_order(r.method))):
        path = _rename(parse_path(item.path), children)
        if path is None:
            warnings.append(
                f"{item.method} {item.path}: a sibling variable of another kind "
                "already exists; left to the monolith through /{proxy+}"
            )
            continue
        if path != item.path:
            warnings.append(
                f"{item.method} {item.path}: renamed to {path} (one variable per level)"
            )
        kept.append(InventoryRoute(item.method, path, item.endpoint, item.trailing_slash))
    return kept


def _rename(segments: tuple[Segment, ...], children: dict[tuple[str, ...], Segment]) -> str | None:
    out: list[Segment] = []
    for segment in segments:
        if segment.kind is not SegmentKind.LITERAL:
            known = children.setdefault(tuple(s.render() for s in out), segment)
            if known.kind is not segment.kind:
                return None
            segment = known
        out.append(segment)
    return "/" + "/".join(s.render() for s in out)


def _methods(rule: Any) -> list[str]:
    methods = set(rule.methods or ())
    implicit = set(_IMPLICIT)
    if not getattr(rule, "provide_automatic_options", True):
        implicit.discard("OPTIONS")
    if "GET" not in methods:
        implicit.discard("HEAD")
    return sorted(methods - implicit)


def _method_order(method: str) -> int:
    order = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"]
    return order.index(method) if method in order else len(order)


def route_id_for(method: str, path: str, taken: set[str]) -> str:
    """A stable, readable id such as ``get-api-users-id``, unique within ``taken``."""
    words = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "root"
    base = f"{method.lower()}-{words}"[:120].rstrip("-")
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def merge_inventory(
    manifest: Manifest, found: Iterable[InventoryRoute], legacy: Legacy
) -> tuple[list[Route], list[Route]]:
    """Add new routes, mark vanished ones; returns (added, vanished). Mutates ``manifest``."""
    manifest.legacy = legacy
    found_keys = {route_key(r.method, r.path): r for r in found}
    added = _add_new(manifest, found_keys)
    vanished = _mark_vanished(manifest, set(found_keys))
    return added, vanished


def _add_new(manifest: Manifest, found: dict[str, InventoryRoute]) -> list[Route]:
    existing = {r.key: r for r in manifest.routes}
    taken = {r.id for r in manifest.routes}
    added: list[Route] = []
    for key, item in found.items():
        if key in existing:
            existing[key].status = "active"
            existing[key].trailing_slash = item.trailing_slash  # the app's spelling, as of now
            continue
        rid = route_id_for(item.method, item.path, taken)
        fields = {"id": rid, "method": item.method, "path": item.path}
        route = Route.model_validate({**fields, "trailing_slash": item.trailing_slash})
        taken.add(route.id)
        added.append(route)
    manifest.routes = [*manifest.routes, *added]
    return added


def _mark_vanished(manifest: Manifest, found: set[str]) -> list[Route]:
    vanished = [r for r in manifest.routes if r.key not in found and r.status == "active"]
    for route in vanished:
        route.status = "vanished"
    return vanished
