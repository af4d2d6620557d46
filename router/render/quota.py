"""API Gateway's per-API resource quota, checked against a rendered OpenAPI document.

A REST API gets one resource per path segment (``/api``, ``/api/users``,
``/api/users/{id}`` are three, plus the root ``/``); by default an API may have 300
("Resources per API", raised per API through Service Quotas). An import over it fails
at deploy time, so ``migrate render`` and ``migrate plan`` warn before that, from 80%
of the quota on. Pure: no I/O, no printing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["DEFAULT_RESOURCE_QUOTA", "WARN_SHARE", "resource_count", "resource_quota_warning"]

DEFAULT_RESOURCE_QUOTA = 300
WARN_SHARE = 0.8


def resource_count(paths: Iterable[str]) -> int:
    """API Gateway resources that ``paths`` need: every prefix of every path, and ``/``."""
    resources = {"/"}
    for path in paths:
        segments = [s for s in path.split("/") if s]
        resources.update("/" + "/".join(segments[:n]) for n in range(1, len(segments) + 1))
    return len(resources)


def resource_quota_warning(
    document: Mapping[str, Any], quota: int = DEFAULT_RESOURCE_QUOTA
) -> str | None:
    """A warning when the document's resources near or pass ``quota``, else None."""
    count = resource_count(document.get("paths", {}))
    if count < quota * WARN_SHARE:
        return None
    where = "over" if count > quota else "close to"
    effect = (
        "importing it fails until the quota is raised"
        if count > quota
        else "a few more routes and importing it fails"
    )
    return (
        f"the API has {count:,} resources, {where} API Gateway's default quota of {quota} "
        f"resources per REST API: {effect}. Request an increase of the quota "
        f'"Resources per API" (service Amazon API Gateway) in Service Quotas for this API '
        "(it is raised per API)"
    )
