"""A normalized view of an API's routing: ``"METHOD /path" -> (integration type, uri)``.

Both the rendered OpenAPI document and the methods read back from API Gateway are
reduced to this view so they can be compared (drift, plan). An integration through a
VPC link has the type ``http_proxy vpc_link:ID`` (the view stays a pair of strings, as
the state file records it). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from router.aws.apigateway import DeployedMethod
from router.render.openapi import ANY_METHOD_KEY
from router.render.resources import ApiResource

__all__ = [
    "ApiView",
    "ViewChange",
    "describe_target",
    "diff_views",
    "view_of_document",
    "view_of_methods",
    "view_of_resources",
    "without_connection_ids",
]

ApiView = dict[str, tuple[str, str]]

_HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


@dataclass(frozen=True)
class ViewChange:
    key: str  # "METHOD /path"
    before: tuple[str, str] | None
    after: tuple[str, str] | None

    @property
    def kind(self) -> str:
        if self.before is None:
            return "add"
        return "remove" if self.after is None else "change"

    def describe(self) -> str:
        return f"{self.key}: {describe_target(self.before)} -> {describe_target(self.after)}"


def describe_target(target: tuple[str, str] | None) -> str:
    if target is None:
        return "(none)"
    kind, uri = target
    if kind == "aws_proxy":
        return "lambda " + uri.split(":function:")[-1].split("/")[0]
    return f"{kind} {uri}"


def view_of_resources(resources: Iterable[ApiResource]) -> ApiView:
    """The view of the rendered resources (what ``view_of_document`` reads back from
    their OpenAPI document, without re-parsing it)."""
    return {
        r.key: (_kind(r.integration.kind, r.integration.connection_id), _uri(r.integration.uri))
        for r in resources
    }


def _kind(kind: str, connection_id: str | None, connection_type: str | None = None) -> str:
    if connection_id is None and (connection_type or "").upper() != "VPC_LINK":
        return kind
    return f"{kind} vpc_link:{connection_id or ''}"


def without_connection_ids(view: Mapping[str, tuple[str, str]]) -> ApiView:
    """``view`` with ``vpc_link:ID`` as ``vpc_link:``: for the local endpoint, whose
    import drops ``connectionId`` (see ``router.aws.apigateway``)."""
    return {
        k: (kind.split(":", 1)[0] + ":" if " vpc_link:" in kind else kind, uri)
        for k, (kind, uri) in view.items()
    }


def view_of_document(document: Mapping[str, Any]) -> ApiView:
    """The view of any OpenAPI document, read by its keys."""
    view: ApiView = {}
    for path, item in document.get("paths", {}).items():
        for key, operation in item.items():
            method = "ANY" if key == ANY_METHOD_KEY else key.upper()
            if key != ANY_METHOD_KEY and key not in _HTTP_METHODS:
                continue
            integration = operation.get("x-amazon-apigateway-integration", {})
            kind = _kind(
                str(integration.get("type", "")).lower(),
                integration.get("connectionId"),
                integration.get("connectionType"),
            )
            view[f"{method} {path}"] = (kind, _uri(integration.get("uri", "")))
    return view


def _uri(uri: object) -> str:
    return uri if isinstance(uri, str) else repr(uri)


def view_of_methods(methods: Iterable[DeployedMethod]) -> ApiView:
    return {
        f"{m.method} {m.path}": (
            _kind(m.integration_type or "", m.connection_id, m.connection_type),
            m.uri or "",
        )
        for m in methods
    }


def diff_views(
    before: Mapping[str, tuple[str, str]], after: Mapping[str, tuple[str, str]]
) -> list[ViewChange]:
    keys = sorted(set(before) | set(after), key=lambda k: (k.split(" ", 1)[1], k))
    return [
        ViewChange(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)
    ]
