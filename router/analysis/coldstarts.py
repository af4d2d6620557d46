"""Cold starts from Lambda's own REPORT lines, for ``compare``.

Lambda writes one ``REPORT RequestId: <id> Duration: ...`` line per invocation to
``/aws/lambda/<function>``, with ``Init Duration: <ms>`` on a cold start only (the
local runtime writes the same lines there when an endpoint is set:
``router.lambda_runtime.cloudwatch``). ``ReportSource.fetch`` reads them over a window
into ``ColdStarts``: invocations, cold starts and their init durations, shown by
``compare``. ``cold_flags`` marks the access-log samples whose request id has a cold
REPORT line, which turns on the ``cold_start_*`` findings: the local gateway invokes
with the API request id as the Lambda request id. On AWS the two ids differ (the
access log would need ``$context.awsEndpointRequestId``), nothing matches and the flags
stay unknown, while the counts are still reported.
This module reads through ``router.aws``; it must not judge anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from router.aws.logs import CloudWatchLogs

__all__ = ["ColdStarts", "ReportSource", "cold_flags", "parse_reports"]

_REPORT = re.compile(r"^REPORT RequestId: (\S+)\s")
_INIT = re.compile(r"\tInit Duration: ([0-9.]+) ms")


@dataclass(frozen=True)
class ColdStarts:
    """What a function's REPORT lines say over a window."""

    invocations: int
    init_ms: dict[str, float] = field(default_factory=dict)  # request id -> Init Duration
    request_ids: frozenset[str] = frozenset()  # of every invocation

    @property
    def cold(self) -> int:
        return len(self.init_ms)

    @property
    def share(self) -> float | None:
        return self.cold / self.invocations if self.invocations else None

    def init_percentile(self, q: float) -> float | None:
        """The ``q`` quantile (0-1, nearest rank) of the init durations; None if none."""
        values = sorted(self.init_ms.values())
        if not values:
            return None
        return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]

    def describe(self) -> str:
        """One line for ``compare``'s output."""
        head = f"Lambda cold starts (REPORT lines): {self.cold} of {self.invocations} invocations"
        if not self.invocations:
            return head
        head += f" ({self.cold / self.invocations:.1%})"
        p50, most = self.init_percentile(0.5), self.init_percentile(1.0)
        if p50 is None or most is None:
            return head
        return f"{head}, Init Duration p50 {p50:.0f} ms, max {most:.0f} ms"

    def summary(self) -> dict[str, object]:
        return {
            "invocations": self.invocations, "cold_starts": self.cold, "share": self.share,
            "init_duration_ms_p50": self.init_percentile(0.5),
            "init_duration_ms_max": self.init_percentile(1.0),
        }  # fmt: skip


def parse_reports(messages: Iterable[str]) -> ColdStarts:
    """``ColdStarts`` of REPORT lines (other lines are ignored)."""
    ids: set[str] = set()
    init: dict[str, float] = {}
    for message in messages:
        found = _REPORT.match(message)
        if found is None:
            continue
        ids.add(found.group(1))
        cold = _INIT.search(message)
        if cold is not None:
            init[found.group(1)] = float(cold.group(1))
    return ColdStarts(len(ids), init, frozenset(ids))


class ReportSource:
    def __init__(self, logs: CloudWatchLogs) -> None:
        self.logs = logs

    def fetch(self, function: str, start_ms: int, end_ms: int) -> ColdStarts:
        """The REPORT lines of ``function`` logged in ``[start_ms, end_ms)``."""
        events = self.logs.filter_events(f"/aws/lambda/{function}", "REPORT", start_ms, end_ms - 1)
        return parse_reports(e.message for e in events)


def cold_flags(request_ids: Sequence[str | None], cold: ColdStarts) -> tuple[bool, ...] | None:
    """Per sample: was it a cold start? None when no sample's id has a REPORT line (ids
    from another system, or no logs): unknown rather than warm."""
    if not any(rid in cold.request_ids for rid in request_ids if rid is not None):
        return None
    return tuple(rid is not None and rid in cold.init_ms for rid in request_ids)
