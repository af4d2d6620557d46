"""Safety checks a plan for real AWS must pass whatever ``--force`` says.

API Gateway calls an http_proxy integration from the internet side: a ``legacy.url``
on a loopback, link-local, private or other non-global address (``127.0.0.1``, ``169.254.169.254``,
``10.0.1.5``, ``fd00::1``) or a name that only a private resolver can answer
(``localhost``, ``*.internal``, ``*.local``, a single label) cannot be reached
without a VPC link, and would either fail every legacy request or, worse, reach
whatever answers that address. Host names are not resolved: what the operator's
machine resolves says nothing of what API Gateway resolves, and the check must not
depend on DNS. Against a local endpoint (``AWS_ENDPOINT_URL``) everything is allowed.
The planner runs these checks first, so a refusal reads nothing and changes nothing.
Pure: this module must not call AWS nor the network.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from router.errors import UnreachableLegacy
from router.manifest.model import Manifest

__all__ = [
    "PRIVATE_SUFFIXES",
    "legacy_url_refusals",
    "private_host_reason",
    "raise_if_unreachable",
]

# Names reserved for private or local use (RFC 6761, RFC 6762, RFC 8375, ICANN 2024).
PRIVATE_SUFFIXES = ("localhost", "local", "internal", "home.arpa", "localdomain")


def private_host_reason(host: str) -> str | None:
    """Why API Gateway cannot reach ``host`` over the internet, or None."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return _name_reason(host.lower().rstrip("."))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if address.is_global:
        return None
    kinds = ("loopback", "link_local", "unspecified", "private", "reserved")
    kind = next((k for k in kinds if getattr(address, f"is_{k}")), "non-global")
    return f"{address} is a {kind.replace('_', '-')} address"


def _name_reason(name: str) -> str | None:
    for suffix in PRIVATE_SUFFIXES:
        if name == suffix or name.endswith("." + suffix):
            return f"{name!r} is a name reserved for private use (.{suffix})"
    if "." not in name:
        return f"{name!r} is a single-label name only a private resolver answers"
    return None


def legacy_url_refusals(manifest: Manifest, *, is_local: bool) -> list[str]:
    """The refusals of ``manifest`` for real AWS (none against a local endpoint)."""
    if is_local or manifest.legacy.vpc_link is not None:
        return []
    host = urlsplit(manifest.legacy.url).hostname or ""
    reason = private_host_reason(host)
    if reason is None:
        return []
    return [
        f"legacy.url {manifest.legacy.url!r}: {reason}, which API Gateway cannot reach "
        "without a VPC link"
    ]


def raise_if_unreachable(manifest: Manifest, *, is_local: bool) -> None:
    """``UnreachableLegacy`` (an ``UnsafePlan``; exit 2, no ``--force``) on any refusal."""
    refusals = legacy_url_refusals(manifest, is_local=is_local)
    if refusals:
        raise UnreachableLegacy(
            "refusing to plan for real AWS:\n  " + "\n  ".join(refusals),
            hint=(
                "set legacy.vpc_link (id: the REST API VPC link; url: the URL of its private "
                "Network Load Balancer) or a public legacy.url; against a local endpoint "
                "(AWS_ENDPOINT_URL) a private legacy.url is allowed"
            ),
        )
