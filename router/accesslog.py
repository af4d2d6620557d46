"""The one definition of the API Gateway JSON access-log format, and its parser.

``ACCESS_LOG_FIELDS`` maps each JSON field to the ``$context`` variable API Gateway
substitutes. The SAM template puts ``access_log_format()`` into the stage's
``AccessLogSetting.Format``; the local gateway writes lines with the same fields, and
the comparison engine reads both kinds with ``parse_access_log_line``.

API Gateway writes every value as a quoted string and ``-`` when a variable has no
value (e.g. ``integrationLatency`` when no integration ran); the parser converts the
numbers and booleans and turns ``-`` into ``None``.

This module is pure: no I/O, no boto3, no logging configuration.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar

__all__ = [
    "ACCESS_LOG_FIELDS",
    "AccessLogFormatError",
    "AccessLogRecord",
    "access_log_format",
    "parse_access_log_line",
]

ACCESS_LOG_FIELDS: Mapping[str, str] = MappingProxyType(
    {
        "requestId": "$context.requestId",
        "requestTimeEpoch": "$context.requestTimeEpoch",
        "stage": "$context.stage",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "path": "$context.path",
        "protocol": "$context.protocol",
        "sourceIp": "$context.identity.sourceIp",
        "status": "$context.status",
        "integrationStatus": "$context.integration.status",
        "responseLength": "$context.responseLength",
        "responseLatency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        "isCanaryRequest": "$context.isCanaryRequest",
        "errorResponseType": "$context.error.responseType",
    }
)
"""Field -> ``$context`` variable, in the order the JSON line is written."""

_MISSING = "-"
_T = TypeVar("_T")


class AccessLogFormatError(ValueError):
    """A line that is not a JSON access-log record in ``ACCESS_LOG_FIELDS`` form."""


@dataclass(frozen=True, slots=True)
class AccessLogRecord:
    """One parsed access-log line. Latencies are milliseconds; epoch is ms since 1970."""

    request_id: str
    request_time_epoch: int
    http_method: str
    path: str
    status: int
    resource_path: str | None = None
    stage: str | None = None
    protocol: str | None = None
    source_ip: str | None = None
    integration_status: int | None = None
    response_length: int | None = None
    response_latency: float | None = None  # API Gateway writes whole ms; the local gateway µs
    integration_latency: float | None = None
    is_canary_request: bool | None = None
    error_response_type: str | None = None


def access_log_format() -> str:
    """The single-line JSON format string for ``AccessLogSetting.Format``."""
    return json.dumps(dict(ACCESS_LOG_FIELDS), separators=(",", ":"))


def parse_access_log_line(text: str) -> AccessLogRecord:
    """Parse one JSON access-log line; raises AccessLogFormatError when malformed."""
    data = _load_object(text)
    try:
        return _record(data)
    except (TypeError, ValueError) as exc:
        raise AccessLogFormatError(f"invalid access-log line: {exc}") from exc


def _load_object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AccessLogFormatError(f"access-log line is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise AccessLogFormatError("access-log line is not a JSON object")
    return data


def _record(data: dict[str, Any]) -> AccessLogRecord:
    return AccessLogRecord(
        request_id=_required(_text(data, "requestId"), "requestId"),
        request_time_epoch=_required(_int(data, "requestTimeEpoch"), "requestTimeEpoch"),
        http_method=_required(_text(data, "httpMethod"), "httpMethod"),
        path=_required(_text(data, "path"), "path"),
        status=_required(_int(data, "status"), "status"),
        resource_path=_text(data, "resourcePath"),
        stage=_text(data, "stage"),
        protocol=_text(data, "protocol"),
        source_ip=_text(data, "sourceIp"),
        integration_status=_int(data, "integrationStatus"),
        response_length=_int(data, "responseLength"),
        response_latency=_float(data, "responseLatency"),
        integration_latency=_float(data, "integrationLatency"),
        is_canary_request=_bool(data, "isCanaryRequest"),
        error_response_type=_text(data, "errorResponseType"),
    )


def _required(value: _T | None, field: str) -> _T:
    if value is None:
        raise ValueError(f"field {field!r} is missing or '-'")
    return value


def _raw(data: dict[str, Any], field: str) -> object:
    value = data.get(field)
    return None if value in (None, _MISSING, "") else value


def _text(data: dict[str, Any], field: str) -> str | None:
    value = _raw(data, field)
    return None if value is None else str(value)


def _int(data: dict[str, Any], field: str) -> int | None:
    value = _raw(data, field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise ValueError(f"field {field!r}: {value!r} is not a number")
    return int(float(value)) if isinstance(value, str) and "." in value else int(value)


def _float(data: dict[str, Any], field: str) -> float | None:
    value = _raw(data, field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise ValueError(f"field {field!r}: {value!r} is not a number")
    return float(value)


def _bool(data: dict[str, Any], field: str) -> bool | None:
    value = _raw(data, field)
    if value is None or isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise ValueError(f"field {field!r}: {value!r} is not true/false")
