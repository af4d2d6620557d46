"""Lambda's platform log lines for one invocation: ``START``, ``END``, ``REPORT``.

Formatted as the Lambda service writes them to CloudWatch Logs (tab-separated
``Duration``, ``Billed Duration``, ``Memory Size``, ``Max Memory Used``, and ``Init
Duration`` on a cold start). Billing is per 1 ms, rounded up. Each line goes to the
``router.lambda_runtime.report`` logger with ``extra`` fields a sink can ship to
``/aws/lambda/<function>`` (``lambda_log_group``, ``lambda_log_stream``: the
environment's stream; see ``cloudwatch``) and with the structured
``InvocationRecord`` (``lambda_record``, on END and REPORT), which also carries ``cold`` and
``init_duration_ms`` for ``compare``. This module must not run or map invocations.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

__all__ = ["InvocationRecord", "StartLine", "log_invocation", "report_line"]

log = logging.getLogger("router.lambda_runtime.report")


@dataclass(frozen=True)
class InvocationRecord:
    """What one invocation cost; ``status`` is ok, error, timeout, oom, exit or init."""

    function: str
    request_id: str
    status: str
    duration_ms: float
    memory_mb: int
    max_memory_mb: int
    cold: bool
    init_duration_ms: float | None = None
    error_type: str | None = None
    log_stream: str = ""  # the environment's CloudWatch Logs stream ("" when none ran)

    @property
    def billed_ms(self) -> int:
        return max(1, math.ceil(self.duration_ms))


def report_line(record: InvocationRecord) -> str:
    fields = [
        f"REPORT RequestId: {record.request_id}",
        f"Duration: {record.duration_ms:.2f} ms",
        f"Billed Duration: {record.billed_ms} ms",
        f"Memory Size: {record.memory_mb} MB",
        f"Max Memory Used: {record.max_memory_mb} MB",
    ]
    if record.init_duration_ms is not None:
        fields.append(f"Init Duration: {record.init_duration_ms:.2f} ms")
    if record.status not in ("ok", "error"):
        fields.append(f"Status: {record.status}")
    if record.error_type and record.status != "error":
        fields.append(f"Error Type: {record.error_type}")
    return "\t".join(fields)


class StartLine:
    """An invocation's START line, logged at most once: before the first line the
    function prints (``environment`` calls it) or else with END and REPORT."""

    __slots__ = ("done", "function", "log_stream", "request_id")

    def __init__(self, function: str, request_id: str, log_stream: str) -> None:
        self.function, self.request_id, self.log_stream = function, request_id, log_stream
        self.done = False

    def __call__(self) -> None:
        if self.done:
            return
        self.done = True
        if log.isEnabledFor(logging.INFO):
            extra = {
                "lambda_log_group": f"/aws/lambda/{self.function}",
                "lambda_log_stream": self.log_stream,
            }
            log.info("START RequestId: %s Version: $LATEST", self.request_id, extra=extra)


def log_invocation(record: InvocationRecord, start: StartLine | None = None) -> None:
    """START (unless ``start`` already logged it), END and REPORT for ``record`` in the
    gateway log (nothing built when the log does not take INFO)."""
    if not log.isEnabledFor(logging.INFO):
        return
    (start or StartLine(record.function, record.request_id, record.log_stream))()
    extra = {
        "lambda_log_group": f"/aws/lambda/{record.function}",
        "lambda_log_stream": record.log_stream,
        "lambda_record": record,
    }
    log.info("END RequestId: %s", record.request_id, extra=extra)
    log.info("%s", report_line(record), extra=extra)
