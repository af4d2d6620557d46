"""A route's state in one short phrase (``migrate route promote``, ``migrate history``).

Must not read the manifest nor print.
"""

from __future__ import annotations

from router.history import RouteState

__all__ = ["describe_state"]


def describe_state(state: RouteState | None) -> str:
    if state is None:
        return "-"
    if state.target == "legacy":
        return "legacy"
    return f"lambda {state.weight}% ({state.function})"
