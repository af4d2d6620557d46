"""What else differs between a stored baseline and the after-window.

In baseline mode the two sides come from different windows, so a latency change may
come from the window rather than the code. Three differences are measured from the
windows and request counts, each against a limit of ``Limits``:

* ``request_rate_ratio``: after's requests per second over the baseline's (from
  ``total``, the requests seen before any thinning); beyond ``rate_ratio`` either way;
* ``hours_apart``: the distance between the two windows' mid-points on the 24-hour
  clock (UTC); beyond ``hours_apart`` (not measured for windows of a day or more);
* ``baseline_age_hours``: from the end of the baseline to the start of the
  after-window; beyond ``age_hours``.

A concurrent comparison (same window) has none. This module must not judge (a
confounder never changes a verdict; the report carries it), print, or do I/O.
"""

from __future__ import annotations

from router.analysis.model import Confounder, Figures, Limits, Mode

__all__ = ["confounders"]

_HOUR_MS = 3_600_000
_DAY_HOURS = 24.0


def confounders(
    before: Figures, after: Figures, limits: Limits, mode: Mode
) -> tuple[Confounder, ...]:
    """The confounders of a baseline-mode comparison whose windows are known."""
    if mode != "baseline" or before.window is None or after.window is None:
        return ()
    found = (
        _rate(before, after, limits.rate_ratio),
        _clock(before.window, after.window, limits.hours_apart),
        _age(before.window, after.window, limits.age_hours),
    )
    return tuple(c for c in found if c is not None)


def _rate(before: Figures, after: Figures, limit: float) -> Confounder | None:
    rates = [_per_second(side) for side in (before, after)]
    rate_b, rate_a = rates
    if rate_b is None or rate_a is None or rate_b == 0:
        return None
    ratio = rate_a / rate_b
    beyond = ratio > limit or ratio < 1.0 / limit
    note = (
        f"request rate x{ratio:.2f} of the baseline's ({rate_b:.2f}/s before, {rate_a:.2f}/s "
        f"after; limit x{limit:.2f} either way): load alone can move latency, "
        "prefer a concurrent control"
    )
    return Confounder("request_rate_ratio", rate_b, rate_a, ratio, limit, beyond, note)


def _per_second(side: Figures) -> float | None:
    if side.window is None or side.window[1] <= side.window[0]:
        return None
    return side.total / ((side.window[1] - side.window[0]) / 1000.0)


def _clock(before: tuple[int, int], after: tuple[int, int], limit: float) -> Confounder | None:
    if max(before[1] - before[0], after[1] - after[0]) >= _DAY_HOURS * _HOUR_MS:
        return None
    hours = [((w[0] + w[1]) / 2 / _HOUR_MS) % _DAY_HOURS for w in (before, after)]
    apart = abs(hours[0] - hours[1])
    apart = min(apart, _DAY_HOURS - apart)
    note = (
        f"windows {apart:.1f} h apart on the clock (mid-points {hours[0]:.1f} h and "
        f"{hours[1]:.1f} h UTC; limit {limit:g} h): time-of-day traffic differs"
    )
    return Confounder("hours_apart", hours[0], hours[1], apart, limit, apart > limit, note)


def _age(before: tuple[int, int], after: tuple[int, int], limit: float) -> Confounder | None:
    age = (after[0] - before[1]) / _HOUR_MS
    note = (
        f"baseline {age:.1f} h older than the after-window (limit {limit:g} h): "
        "data, dependencies and traffic may have changed since; capture a fresh one"
    )
    return Confounder("baseline_age_hours", None, None, age, limit, age > limit, note)
