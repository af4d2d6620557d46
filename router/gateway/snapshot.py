"""An immutable routing snapshot: the manifest's API Gateway resources as a RouteTable.

The table is built from the very resources ``router.render.openapi`` renders
(``router.render.resources.api_resources``: every active route plus the catch-all
``ANY /`` and ``ANY /{proxy+}``), so a request matches locally exactly as it would on
API Gateway. A snapshot never changes after it is built;
hot reload swaps in a new one. It keeps what serving needs of the manifest (the API's
event fields, the handlers named, the revision), not the manifest itself: a reload
builds it in a helper process and sends it over in a compact form
(``router.gateway.packed``). This module must not do I/O, import handlers or proxy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from router.arns import function_name
from router.gateway.events import ApiInfo
from router.manifest.model import Manifest, Route, Shadow
from router.paths import SegmentKind, parse_path
from router.render.resources import ApiResource, api_resources
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
    "invocable_key",
    "invocable_manifest",
    "named_functions",
    "route_targets",
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


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteTarget:
    """What one (method, resource) of the rendered API does (built with keywords)."""

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
    # The REST API VPC link API Gateway reaches the monolith through (``legacy.vpc_link``);
    # locally the gateway still proxies to ``legacy.url``.
    vpc_link: str | None = None

    @classmethod
    def catch_all(
        cls,
        resource: str,
        timeout_s: float,
        upstream: tuple[UpstreamPart, ...] = (),
        vpc_link: str | None = None,
    ) -> RouteTarget:
        """Whatever no manifest route covers: to the monolith, never to Lambda."""
        return cls(
            route_id=CATCH_ALL_ID,
            manifest_id=None,
            resource=resource,
            weight=0,
            function=None,
            lambda_timeout_s=timeout_s,
            legacy_timeout_s=timeout_s,
            upstream=upstream,
            vpc_link=vpc_link,
        )


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
    table: RouteTable[RouteTarget]
    legacy: LegacyBase
    api: ApiInfo  # what the Lambda event says about the API
    functions: frozenset[str]  # handlers the manifest names: route functions, shadow candidates
    revision: int


def build_snapshot(manifest: Manifest, *, legacy_url: str | None = None) -> Snapshot:
    """The routing snapshot of ``manifest`` (raises InputError on conflicting variables).

    ``legacy_url`` overrides ``manifest.legacy.url`` (a monolith started elsewhere locally).
    """
    table: RouteTable[RouteTarget] = RouteTable()
    for method, path, target in route_targets(manifest):
        table.add(method, path, target)
    legacy = legacy_base(legacy_url or manifest.legacy.url)
    api, named = ApiInfo.from_manifest(manifest), named_functions(manifest)
    return Snapshot(table, legacy, api, named, manifest.revision)


def route_targets(manifest: Manifest) -> list[tuple[str, str, RouteTarget]]:
    """(method, resource, target) of every rendered resource, in the renderer's order."""
    resources = api_resources(manifest, lambda_uri=_no_uri, view="canary")
    return [(r.method, r.path, _target(manifest, r)) for r in resources]


def named_functions(manifest: Manifest) -> frozenset[str]:
    """Handlers the manifest names: route functions and shadow candidates."""
    named = {r.function for r in manifest.routes if r.function}
    named.update(r.shadow.function for r in manifest.routes if r.shadow)
    return frozenset(named)


def invocable_manifest(manifest: Manifest) -> Manifest:
    """``manifest`` with only the active routes whose function the gateway may invoke (a
    Lambda route's, a shadow run's candidate): all the isolated workers' artifacts are
    prepared from, a few routes where the whole manifest has thousands."""
    routes = [r for r in manifest.routes if r.status == "active" and _invokes(r)]
    return manifest.model_copy(update={"routes": routes})


def invocable_key(invocable: Manifest) -> str:
    """A digest of an ``invocable_manifest`` but its revision: equal keys, same artifacts."""
    text = invocable.model_dump_json(exclude={"revision"})
    return hashlib.sha256(text.encode()).hexdigest()


def _invokes(route: Route) -> bool:
    return (route.target == "lambda" and route.function is not None) or route.shadow is not None


def _no_uri(_route: Route) -> str:
    return ""  # the gateway invokes handlers in-process: no integration URI


def _target(manifest: Manifest, resource: ApiResource) -> RouteTarget:
    route, path, limit = resource.route, resource.path, MAX_INTEGRATION_S
    upstream = _upstream_template(path, slash=route is not None and route.trailing_slash)
    link = manifest.legacy.vpc_link.id if manifest.legacy.vpc_link else None
    if route is None:
        return RouteTarget.catch_all(path, limit, upstream, link)
    return RouteTarget(
        route_id=route.id,
        manifest_id=route.id,
        resource=path,
        weight=route.effective_weight,
        function=route.function,
        lambda_timeout_s=float(min(route.timeout or manifest.defaults.timeout, limit)),
        legacy_timeout_s=float(min(route.timeout, limit)) if route.timeout else limit,
        upstream=upstream,
        function_name=function_name(manifest, route),
        memory_mb=route.memory or manifest.defaults.memory,
        shadow=ShadowSpec.of(route.shadow) if route.shadow else None,
        vpc_link=link if route.effective_weight < 100 else None,  # a monolith share
    )


def _upstream_template(resource: str, *, slash: bool) -> tuple[UpstreamPart, ...]:
    """The resource's parts; an empty last literal keeps the app's trailing slash."""
    parts = tuple((s.kind, s.value) for s in parse_path(resource))
    return (*parts, (SegmentKind.LITERAL, "")) if slash else parts


def legacy_base(url: str) -> LegacyBase:
    parts = urlsplit(url)
    scheme = parts.scheme or "http"
    port = parts.port or (443 if scheme == "https" else 80)
    return LegacyBase(scheme, parts.hostname or "127.0.0.1", port, parts.path.rstrip("/"))
