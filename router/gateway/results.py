"""Map a Lambda proxy result to an HTTP response exactly as API Gateway (REST) does.

Accepted keys: ``statusCode`` (int, required), ``headers``, ``multiValueHeaders``,
``body`` (string or null) and ``isBase64Encoded``. Anything else is the "Malformed Lambda
proxy response" API Gateway answers with 502: a result that isn't an object, an unknown
key (e.g. ``cookies``, ``statusDescription``: lamby#78, micronaut-aws#12), a
non-integer status, a non-string body (sam#1096), undecodable base64. Headers from both
maps are merged; for a name in ``multiValueHeaders`` only its values are used (the
developer guide: "If the same key-value pair is specified in both, only the values from
multiValueHeaders will appear"). This module must not invoke handlers or log.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from router.gateway.messages import GatewayResponse, Headers

__all__ = ["ALLOWED_KEYS", "MalformedResult", "map_result"]

ALLOWED_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})


class MalformedResult(ValueError):
    """API Gateway's "Malformed Lambda proxy response" (-> 502)."""


def map_result(result: object) -> GatewayResponse:
    """The response for a handler's return value; MalformedResult names the problem."""
    if not isinstance(result, dict):
        raise MalformedResult(f"the result is a {type(result).__name__}, not an object")
    unknown = set(result) - ALLOWED_KEYS
    if unknown:
        raise MalformedResult(f"unknown keys in the result: {sorted(unknown)}")
    status = _status(result.get("statusCode"))
    headers = _merged_headers(result.get("headers"), result.get("multiValueHeaders"))
    body = _body(result.get("body"), result.get("isBase64Encoded"))
    return GatewayResponse(status, headers, body)


def _status(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise MalformedResult(f"statusCode must be an integer 100-599, got {value!r}")
    return value


def _merged_headers(single: object, multi: object) -> Headers:
    singles = _mapping(single, "headers")
    multis = _mapping(multi, "multiValueHeaders")
    named = {name.lower() for name in multis}
    out: Headers = [(n, _text(v)) for n, v in singles.items() if n.lower() not in named]
    for name, values in multis.items():
        if not isinstance(values, list):
            raise MalformedResult(f"multiValueHeaders[{name!r}] must be a list")
        out.extend((name, _text(v)) for v in values)
    return out


def _mapping(value: object, key: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise MalformedResult(f"{key} must be an object of header names")
    return value


def _text(value: object) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, int | float | bool):
        text = str(value).lower() if isinstance(value, bool) else str(value)
    else:
        raise MalformedResult(f"header value {value!r} is not a string")
    return text.replace("\r", " ").replace("\n", " ")  # no header injection


def _body(body: object, is_base64: object) -> bytes:
    if is_base64 is not None and not isinstance(is_base64, bool):
        raise MalformedResult(f"isBase64Encoded must be a boolean, got {is_base64!r}")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedResult(f"body must be a string, got {type(body).__name__}")
    if not is_base64:
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedResult(f"body is not valid base64: {exc}") from exc
