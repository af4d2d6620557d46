"""An immutable routing snapshot: the manifest's API Gateway resources as a RouteTable.

The table is built from the very resources ``router.render.openapi`` renders (every
active route plus the catch-all ``ANY /`` and ``ANY /{proxy+}``), so a request matches
locally exactly as it would on API Gateway. A snapshot never changes after it is built;
hot reload swaps in a new one. This module must not do I/O, import handlers or proxy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from router.arns import function_name
from router.manifest.model import Manifest, Route, Shadow
from router.paths import SegmentKind, parse_path
from router.render.openapi import ANY_METHOD_KEY, render_openapi
from router.table import RouteTable

__all__ = [
    "CATCH_ALL_ID",
    "MAX_INTEGRATION_S",
    "LegacyBase",
    "RouteTarget",
    "ShadowSpec",
    "Snapshot",
    "UpstreamPart",
    "build_snapshot",
]

CATCH_ALL_ID = "legacy-catch-all"
"""``X-Migrate-Route`` of requests no manifest route covers (``ANY /``, ``ANY /{proxy+}``)."""
MAX_INTEGRATION_S = 29.0
UpstreamPart = tuple[SegmentKind, str]
"""(kind, literal text or parameter name) of the legacy integration's path template."""


@dataclass(frozen=True, slots=True)
class ShadowSpec:
    """A route's shadow run as the gateway needs it (``until`` as epoch seconds)."""

    run_id: str
    function: str
    until_epoch: float
    allow_side_effects: bool

    @classmethod
    def of(cls, shadow: Shadow) -> ShadowSpec:
        until = datetime.fromisoformat(shadow.until.replace("Z", "+00:00"))
        epoch = until.timestamp()  # a time without zone is taken as local, like the CLI's
        return cls(shadow.run_id, shadow.function, epoch, shadow.allow_side_effects)


@dataclass(frozen=True, slots=True)
class RouteTarget:
    """What one (method, resource) of the rendered API does."""

    route_id: str  # the manifest route id, or CATCH_ALL_ID
    manifest_id: str | None  # None for the catch-all
    resource: str
    weight: int  # percent of requests to Lambda (0 = legacy only)
    function: str | None
    lambda_timeout_s: float  # route or default Lambda timeout, at most 29 s
    legacy_timeout_s: float  # route timeout, else 29 s (the http_proxy integration's)
    upstream: tuple[UpstreamPart, ...]  # legacy path template: /api/users/{id}, "" = end "/"
    function_name: str = ""  # the deployed Lambda's name ({api.name}-{route.id})
    memory_mb: int = 0
    shadow: ShadowSpec | None = None  # set while ``migrate shadow`` runs on the route


@dataclass(frozen=True, slots=True)
class LegacyBase:
    """The monolith's address, split once: the request path can never change it."""

    scheme: str
    host: str
    port: int
    base_path: str  # "" or "/prefix" (no trailing slash)

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Snapshot:
    manifest: Manifest
    table: RouteTable[RouteTarget]
    legacy: LegacyBase

    @property
    def functions(self) -> frozenset[str]:
        """Handlers the manifest names: route functions and shadow candidates."""
        named = {r.function for r in self.manifest.routes if r.function}
        named.update(r.shadow.function for r in self.manifest.routes if r.shadow)
        return frozenset(named)


def build_snapshot(manifest: Manifest, *, legacy_url: str | None = None) -> Snapshot:
    """The routing snapshot of ``manifest`` (raises InputError on conflicting variables).

    ``legacy_url`` overrides ``manifest.legacy.url`` (a monolith started elsewhere locally).
    """
    document = render_openapi(manifest, lambda_uri=lambda _route: "", view="canary")
    routes = {r.key: r for r in manifest.routes if r.status == "active"}
    table: RouteTable[RouteTarget] = RouteTable()
    for resource, operations in document["paths"].items():
        for key in operations:
            method = "ANY" if key == ANY_METHOD_KEY else key.upper()
            route = routes.get(f"{method} {resource}")
            table.add(method, resource, _target(manifest, resource, route))
    return Snapshot(manifest, table, legacy_base(legacy_url or manifest.legacy.url))


def _target(manifest: Manifest, resource: str, route: Route | None) -> RouteTarget:
    upstream = _upstream_template(resource, slash=route is not None and route.trailing_slash)
    limit = MAX_INTEGRATION_S
    if route is None:
        return RouteTarget(CATCH_ALL_ID, None, resource, 0, None, limit, limit, upstream)
    lambda_s = float(min(route.timeout or manifest.defaults.timeout, limit))
    legacy_s = float(min(route.timeout, limit)) if route.timeout else limit
    weight, function = route.effective_weight, route.function
    shadow = ShadowSpec.of(route.shadow) if route.shadow else None
    return RouteTarget(
        route.id, route.id, resource, weight, function, lambda_s, legacy_s, upstream,
        function_name(manifest, route), route.memory or manifest.defaults.memory, shadow,
    )  # fmt: skip


def _upstream_template(resource: str, *, slash: bool) -> tuple[UpstreamPart, ...]:
    """The resource's parts; an empty last literal keeps the app's trailing slash."""
    parts = tuple((s.kind, s.value) for s in parse_path(resource))
    return (*parts, (SegmentKind.LITERAL, "")) if slash else parts


def legacy_base(url: str) -> LegacyBase:
    parts = urlsplit(url)
    scheme = parts.scheme or "http"
    port = parts.port or (443 if scheme == "https" else 80)
    return LegacyBase(scheme, parts.hostname or "127.0.0.1", port, parts.path.rstrip("/"))
