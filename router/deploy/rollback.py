"""Send one route back to the monolith the way it got to Lambda (``compare --rollback-on-fail``).

Once the API was applied (the deploy state names an API), the rollback goes through
``DeployService.rollback`` so API Gateway follows in the same locked step; before
that, only the manifest changes (``RouteService.rollback``). This module must not
judge verdicts nor print.
"""

from __future__ import annotations

from collections.abc import Callable

from router.deploy.service import DeployService
from router.deploy.state import DeployStateStore
from router.routes import RouteService

__all__ = ["RouteRollback"]


class RouteRollback:
    """Built by the factory; the services are built only when the choice needs them."""

    def __init__(
        self,
        deploy_state: DeployStateStore,
        routes: Callable[[], RouteService],
        deploy: Callable[[], DeployService],
    ) -> None:
        self.deploy_state, self._routes, self._deploy = deploy_state, routes, deploy

    def applied(self) -> bool:
        return self.deploy_state.load().api_id is not None

    def __call__(self, route_id: str, *, reason: str) -> None:
        if self.applied():
            self._deploy().rollback([route_id], reason=reason, force=False, confirm=lambda _: True)
        else:
            self._routes().rollback([route_id], reason=reason)
