"""API Gateway proxy responses in the monolith's wire format, and the error type.

Bodies are encoded exactly like the monolith
(``json.dumps(body, ensure_ascii=True, separators=(",", ":"), allow_nan=False)``,
keys in insertion order) with ``Content-Type: application/json``. Error bodies
are ``{"error": slug, "message": text, "field"?: name, ...extra}``. This module
must not read events, touch the database or log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "INTERNAL_ERROR_MESSAGE",
    "JSON_MIMETYPE",
    "ROUTE_NOT_FOUND_MESSAGE",
    "ApiError",
    "dumps",
    "internal_error",
    "json_response",
    "not_found",
    "raw_response",
    "route_not_found",
    "validation_error",
]

JSON_MIMETYPE = "application/json"
# The monolith's texts for an unmatched URL and an unexpected error (werkzeug's).
ROUTE_NOT_FOUND_MESSAGE = (
    "The requested URL was not found on the server. If you entered the URL manually "
    "please check your spelling and try again."
)
INTERNAL_ERROR_MESSAGE = (
    "The server encountered an internal error and was unable to complete your request. "
    "Either the server is overloaded or there is an error in the application."
)


def dumps(body: Any) -> str:
    """The canonical encoding of ``body`` (byte-identical to the monolith's)."""
    return json.dumps(body, ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def raw_response(status: int, body: str, headers: Mapping[str, str]) -> dict[str, Any]:
    """A REST proxy integration (payload 1.0) response with an already encoded body."""
    return {
        "statusCode": status,
        "headers": dict(headers),
        "body": body,
        "isBase64Encoded": False,
    }


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A response carrying ``body`` as canonical JSON (plus ``headers``, e.g. Location)."""
    return raw_response(status, dumps(body), {"Content-Type": JSON_MIMETYPE, **(headers or {})})


class ApiError(Exception):
    """An error with an HTTP status and the monolith's JSON error body."""

    def __init__(
        self, status: int, error: str, message: str, field: str | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.field = field
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.error, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        body.update(self.extra)
        return body

    def response(self) -> dict[str, Any]:
        return json_response(self.body(), status=self.status)


def validation_error(field: str, message: str) -> ApiError:
    return ApiError(400, "validation_error", message, field=field)


def not_found(what: str, ident: object) -> ApiError:
    return ApiError(404, "not_found", f"{what} {ident} not found")


def route_not_found() -> ApiError:
    """What the monolith answers when a path parameter does not match its converter."""
    return ApiError(404, "not_found", ROUTE_NOT_FOUND_MESSAGE)


def internal_error() -> dict[str, Any]:
    """The monolith's 500 response (never a traceback)."""
    return ApiError(500, "internal_server_error", INTERNAL_ERROR_MESSAGE).response()
