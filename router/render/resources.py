"""The API's resources as typed data: every (method, path) the manifest renders.

``api_resources`` decides what API Gateway gets: each active route as its own
resource (to Lambda, ``aws_proxy``, in the *stable* view at weight 100 and in the
*canary* view above 0; else ``http_proxy`` to the monolith at the same path) plus
the catch-all ``ANY /`` and ``ANY /{proxy+}`` (see ``router.render.openapi``). It is
the one list the OpenAPI renderer, the deploy view (``router.deploy.view``) and the
gateway snapshot (``router.gateway.snapshot``) consume, so none of them re-parses
the OpenAPI dict. Pure: this module must not do I/O nor call AWS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from router.errors import InputError
from router.manifest.model import Manifest, Route
from router.paths import (
    PathSyntaxError,
    Segment,
    SegmentKind,
    parse_path,
    path_param_names,
    variable_children,
)

__all__ = [
    "ANY_METHOD_KEY",
    "MAX_INTEGRATION_MS",
    "ApiResource",
    "Integration",
    "LambdaUri",
    "View",
    "api_resources",
    "method_key",
]

View = Literal["stable", "canary"]
LambdaUri = Callable[[Route], object]

ANY_METHOD_KEY = "x-amazon-apigateway-any-method"
MAX_INTEGRATION_MS = 29_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Integration:
    """Where API Gateway sends a resource's requests."""

    kind: Literal["aws_proxy", "http_proxy"]
    http_method: str
    uri: object  # a string, or the SAM template's ``Fn::Sub`` dict
    timeout_ms: int
    request_params: tuple[str, ...] = ()  # path variables passed on (http_proxy only)
    connection_id: str | None = None  # a REST API VPC link (http_proxy only): VPC_LINK


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiResource:
    """One (method, path) of the rendered API."""

    method: str  # GET, POST, ... or ANY
    path: str
    route: Route | None  # None: a catch-all to the monolith
    params: tuple[str, ...]  # the path's parameter names
    integration: Integration

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def method_key(method: str) -> str:
    """The OpenAPI operation key of ``method`` (API Gateway's own key for ANY)."""
    return ANY_METHOD_KEY if method == "ANY" else method.lower()


def api_resources(
    manifest: Manifest, *, lambda_uri: LambdaUri, view: View = "stable"
) -> list[ApiResource]:
    """Sorted by path, then operation key; raises InputError on conflicting variables."""
    routes = [r for r in manifest.routes if r.status == "active"]
    variables = _variable_children(r.path for r in routes)
    found: dict[tuple[str, str], ApiResource] = {}
    for route in routes:
        found[(route.path, method_key(route.method))] = _of_route(manifest, route, lambda_uri, view)
    for path in _catch_all_paths(variables):
        found.setdefault((path, ANY_METHOD_KEY), _catch_all(_Monolith.of(manifest), path))
    return [found[key] for key in sorted(found)]


@dataclass(frozen=True, slots=True)
class _Monolith:
    """How API Gateway reaches the monolith: ``legacy.url`` over the internet, or the
    VPC link's load balancer URL through the link (``migrate serve`` always proxies to
    ``legacy.url``; the local gateway keeps the link id in its model of the routes)."""

    base_url: str
    connection_id: str | None

    @classmethod
    def of(cls, manifest: Manifest) -> _Monolith:
        link = manifest.legacy.vpc_link
        if link is None:
            return cls(manifest.legacy.url, None)
        return cls(link.base_url, link.id)


def _of_route(manifest: Manifest, route: Route, lambda_uri: LambdaUri, view: View) -> ApiResource:
    if _goes_to_lambda(route, view):
        integration = _lambda_integration(manifest, route, lambda_uri)
    else:
        slash = "/" if route.trailing_slash else ""
        monolith = _Monolith.of(manifest)
        integration = _legacy_integration(monolith, route.path, route.method, slash)
    params = tuple(path_param_names(route.path))
    return ApiResource(
        method=route.method, path=route.path, route=route, params=params, integration=integration
    )


def _catch_all(monolith: _Monolith, path: str) -> ApiResource:
    integration = _legacy_integration(monolith, path, "ANY")
    params = tuple(path_param_names(path))
    return ApiResource(method="ANY", path=path, route=None, params=params, integration=integration)


def _goes_to_lambda(route: Route, view: View) -> bool:
    weight = route.effective_weight
    return weight == 100 if view == "stable" else weight > 0


def _lambda_integration(manifest: Manifest, route: Route, lambda_uri: LambdaUri) -> Integration:
    seconds = route.timeout or manifest.defaults.timeout
    timeout_ms = min(seconds * 1000, MAX_INTEGRATION_MS)
    return Integration(
        kind="aws_proxy", http_method="POST", uri=lambda_uri(route), timeout_ms=timeout_ms
    )


def _legacy_integration(
    monolith: _Monolith, path: str, method: str, slash: str = ""
) -> Integration:
    """An ``http_proxy`` to the monolith at ``path`` (+ ``slash``: the app's trailing slash).

    A resource path cannot end with ``/`` but an integration URI can, and API Gateway
    calls it as written: a strict-slash rule (``/items/``) answers instead of
    redirecting the client to the monolith's own address.
    """
    return Integration(
        kind="http_proxy",
        http_method=method,
        uri=monolith.base_url + _integration_path(path) + slash,
        timeout_ms=MAX_INTEGRATION_MS,
        request_params=tuple(path_param_names(path)),
        connection_id=monolith.connection_id,
    )


def _integration_path(path: str) -> str:
    """``/files/{rest+}`` -> ``/files/{rest}``: a greedy variable is mapped by its name."""
    parts = [
        s.value if s.kind is SegmentKind.LITERAL else f"{{{s.value}}}" for s in parse_path(path)
    ]
    return "/" + "/".join(parts)


def _variable_children(paths: Iterable[str]) -> dict[tuple[str, ...], Segment]:
    try:
        return variable_children(paths)
    except PathSyntaxError as exc:
        raise InputError(str(exc)) from exc


def _catch_all_paths(variables: dict[tuple[str, ...], Segment]) -> list[str]:
    """The resources whose ANY sends everything no route covers to the monolith."""
    prefix: tuple[str, ...] = ()
    paths = ["/"]
    child = variables.get(prefix)
    while child is not None and child.kind is SegmentKind.PARAM:
        prefix = (*prefix, child.render())
        paths.append("/" + "/".join(prefix))
        child = variables.get(prefix)
    greedy = child.render() if child is not None else "{proxy+}"
    paths.append("/" + "/".join((*prefix, greedy)))
    return paths
