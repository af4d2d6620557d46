"""The promote refusal after a shadow run with real mismatches, and ``--force``.

The same through the CLI: tests/unit/migrate_cli/test_shadow_gate_cli.py.
"""

from __future__ import annotations

import pytest

from migrate_cli.factory import Factory
from router.manifest.model import Route
from router.progressive.adapters import ManifestMover
from router.routes import RouteService
from router.shadow.files import FileShadowReports, shadow_root
from router.shadow.gate import ShadowGate, ShadowMismatch
from tests.helpers.shadow import Project, store_run

ROUTE = "get-api-users-id"


def routes(project: Project) -> RouteService:
    """The route service as the CLI builds it: the factory injects the shadow gate."""
    return Factory(project.manifest).route_service()


def test_promote_is_refused_after_real_mismatches_of_the_same_function(project: Project) -> None:
    store_run(project, project.handler, "mismatch", "email", "items[].price")
    with pytest.raises(ShadowMismatch) as caught:
        routes(project).promote(ROUTE, function=project.handler, weight=None, reason=None)
    assert caught.value.exit_code == 1
    assert "email, items[].price" in caught.value.message and "run-mismatch" in caught.value.message
    assert "--force" in (caught.value.hint or "")
    assert project.store().read().routes[0].target == "legacy"


def test_force_promotes_anyway(project: Project) -> None:
    store_run(project, project.handler, "mismatch", "email")
    change = routes(project).promote(
        ROUTE, function=project.handler, weight=None, reason=None, force=True
    )
    assert change.after.target == "lambda"


def test_other_functions_parity_and_unshadowed_routes_pass(project: Project) -> None:
    gate = ShadowGate(FileShadowReports(shadow_root(project.manifest)))
    route = Route(id=ROUTE, method="GET", path="/api/users/{id}")
    gate(route, project.handler)  # never shadowed
    store_run(project, project.handler, "mismatch", "email")
    gate(route, f"{project.package}.users.other")  # another function
    store_run(project, project.handler, "parity")  # the same function, fixed since
    gate(route, project.handler)
    store_run(project, project.handler, "no-traffic")
    gate(route, project.handler)


def test_a_later_run_of_another_function_keeps_the_refusal(project: Project) -> None:
    store_run(project, project.handler, "mismatch", "email")
    store_run(project, f"{project.package}.users.other", "parity")
    with pytest.raises(ShadowMismatch):
        gate = ShadowGate(FileShadowReports(shadow_root(project.manifest)))
        gate(Route(id=ROUTE, method="GET", path="/x"), project.handler)


def test_injected_check_replaces_the_default(project: Project) -> None:
    store_run(project, project.handler, "mismatch", "email")
    calls: list[tuple[str, str]] = []
    service = RouteService(
        project.store(), project.history(), code_root=project.root,
        promote_check=lambda route, handler: calls.append((route.id, handler)),
    )  # fmt: skip
    service.promote(ROUTE, function=project.handler, weight=None, reason=None)
    assert calls == [(ROUTE, project.handler)]


def test_progressive_manifest_mover_passes_force(project: Project) -> None:
    """`promote --steps --force`: the mover passes force, nothing nulls the check."""
    store_run(project, project.handler, "mismatch", "email")
    refused = ManifestMover(routes(project), ROUTE, project.handler)
    with pytest.raises(ShadowMismatch):
        refused.move(5, reason="step 1")
    forced = ManifestMover(routes(project), ROUTE, project.handler, force=True)
    forced.move(5, reason="step 1")
    assert project.store().read().routes[0].effective_weight == 5
