"""Accessors for API Gateway REST proxy events (payload format 1.0).

They reproduce what the monolith's Flask request sees: a single-valued query
parameter is the FIRST value of a repeated key (``request.args.get``; API
Gateway's ``queryStringParameters`` keeps the last one), headers are looked up
case-insensitively, bodies are decoded from base64 when ``isBase64Encoded``.
``read_json`` applies the monolith's body rules (415, 413, 400 ``invalid_json``).
This module must not touch the database nor build success responses.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from typing import Any

from migrated_functions._shared.http import ApiError, route_not_found

__all__ = [
    "MAX_CONTENT_LENGTH",
    "Event",
    "body_bytes",
    "header",
    "int_path_param",
    "is_json_content_type",
    "path_param",
    "query_all",
    "query_first",
    "read_json",
]

Event = Mapping[str, Any]

MAX_CONTENT_LENGTH = 1024 * 1024  # the monolith's Flask MAX_CONTENT_LENGTH
_INT_SEGMENT = re.compile(r"\d+")  # werkzeug's ``int`` converter


def path_param(event: Event, name: str) -> str | None:
    return (event.get("pathParameters") or {}).get(name)


def int_path_param(event: Event, name: str) -> int:
    """A ``<int:name>`` path segment; anything else is the monolith's unmatched-URL 404."""
    raw = path_param(event, name)
    if raw is None or not _INT_SEGMENT.fullmatch(raw):
        raise route_not_found()
    return int(raw)


def query_all(event: Event, name: str) -> list[str]:
    """Every value of query parameter ``name``, in request order."""
    multi = event.get("multiValueQueryStringParameters") or {}
    if multi.get(name) is not None:
        return [str(value) for value in multi[name]]
    single = (event.get("queryStringParameters") or {}).get(name)
    return [] if single is None else [str(single)]


def query_first(event: Event, name: str) -> str | None:
    """The first value of ``name`` (Flask's ``request.args.get``), None when absent."""
    values = query_all(event, name)
    return values[0] if values else None


def header(event: Event, name: str) -> str | None:
    """Header ``name`` looked up case-insensitively (``headers``, then ``multiValueHeaders``)."""
    wanted = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == wanted and value is not None:
            return str(value)
    for key, values in (event.get("multiValueHeaders") or {}).items():
        if key.lower() == wanted and values:
            return str(values[-1])
    return None


def body_bytes(event: Event) -> bytes:
    """The raw request body (base64-decoded when ``isBase64Encoded``)."""
    body = event.get("body")
    if body is None:
        return b""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return str(body).encode("utf-8")


def is_json_content_type(content_type: str | None) -> bool:
    """Flask's ``request.is_json``: ``application/json`` or ``application/*+json``."""
    mimetype = (content_type or "").partition(";")[0].strip().lower()
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def read_json(event: Event) -> Any:
    """The parsed JSON body: 415 for another content type, 413 if too big, 400 if unparsable."""
    if not is_json_content_type(header(event, "Content-Type")):
        raise ApiError(415, "unsupported_media_type", "Content-Type must be application/json")
    body = body_bytes(event)
    if len(body) > MAX_CONTENT_LENGTH:
        raise ApiError(
            413,
            "request_entity_too_large",
            "The data value transmitted exceeds the capacity limit.",
        )
    try:
        return json.loads(body)
    except ValueError:
        raise ApiError(
            400, "invalid_json", "request body is not valid JSON", field="body"
        ) from None
