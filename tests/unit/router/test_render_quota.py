"""The resources-per-API quota warning of ``migrate render`` and ``migrate plan``."""

from __future__ import annotations

from router.manifest.model import Manifest
from router.render import render_openapi
from router.render.quota import DEFAULT_RESOURCE_QUOTA, resource_count, resource_quota_warning


def manifest_with(groups: int) -> Manifest:
    """``groups`` resources /api/gN, each with a {id} child: 2 * groups + 3 resources."""
    routes = [
        {"id": f"r{i}{kind}", "method": "GET", "path": f"/api/g{i}" + suffix}
        for i in range(groups)
        for kind, suffix in (("a", ""), ("b", "/{id}"))
    ]
    return Manifest.model_validate({"legacy": {"url": "http://x:1"}, "routes": routes})


def document(groups: int) -> dict[str, object]:
    return render_openapi(manifest_with(groups), lambda_uri=lambda _route: "")


def test_counts_every_path_prefix_once_and_the_root() -> None:
    assert resource_count([]) == 1
    assert resource_count(["/", "/{proxy+}"]) == 2
    assert resource_count(["/api/users", "/api/users/{id}", "/api/orders"]) == 5
    assert resource_count(document(10)["paths"]) == 2 * 10 + 3  # type: ignore[arg-type]


def test_warns_from_80_percent_and_says_how_to_raise_it() -> None:
    assert resource_quota_warning(document(110)) is None  # 223 resources
    close = resource_quota_warning(document(120))  # 243
    assert close is not None and "243 resources, close to" in close
    over = resource_quota_warning(document(150))  # 303
    assert over is not None and "303 resources, over" in over
    assert '"Resources per API"' in over and "Service Quotas" in over
    assert f"quota of {DEFAULT_RESOURCE_QUOTA}" in over
