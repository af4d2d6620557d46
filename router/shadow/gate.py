"""The promote refusal: no cutover to a function whose last shadow run found mismatches.

``ShadowGate(reports)(route, function)`` reads the route's last report and
raises ``ShadowMismatch`` (exit 1, a safety refusal like a drifted API: the input is
valid, ``--force`` overrides it) when the latest shadow run OF THAT FUNCTION had real
mismatches. A route never shadowed, or last shadowed with parity or too little
traffic, or with another function, passes. This module must not change the manifest.
"""

from __future__ import annotations

from router.errors import ShadowMismatch
from router.manifest.model import Route
from router.shadow.files import ShadowReports

__all__ = ["ShadowGate", "ShadowMismatch"]

_SHOWN_FIELDS = 5


class ShadowGate:
    """The check ``RouteService.promote`` runs unless forced."""

    def __init__(self, reports: ShadowReports) -> None:
        self.reports = reports

    def __call__(self, route: Route, function: str) -> None:
        last = self.reports.load_last(route.id)
        summary = (last or {}).get("by_function", {}).get(function)
        if not summary or summary.get("outcome") != "mismatch":
            return
        fields = [str(f) for f in summary.get("mismatches", [])]
        shown = ", ".join(fields[:_SHOWN_FIELDS]) + (", ..." if len(fields) > _SHOWN_FIELDS else "")
        raise ShadowMismatch(
            f"route {route.id!r}: shadow run {summary.get('run_id')} of {function} "
            f"({summary.get('finished')}) found real mismatches in: {shown}",
            hint=f"fix the handler and re-run `migrate shadow {route.id}`, "
            "or pass --force to promote anyway",
        )
