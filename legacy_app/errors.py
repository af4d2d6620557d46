"""Error type and handlers: every failure leaves as JSON, never as an HTML page.

Error body shape (keys in this order; ``field`` only when a field is at fault,
extra keys such as ``product_id`` only for the errors that document them)::

    {"error": "<slug>", "message": "<human text>", "field": "<name>"}

``<slug>`` is ``validation_error`` / ``invalid_json`` / ``conflict`` /
``insufficient_stock`` for application errors, otherwise the HTTP reason phrase
in snake case (``not_found``, ``method_not_allowed``, ``unsupported_media_type``,
``internal_server_error``...). This module must not touch the database; handlers
only format the exception they are given (a 500 never exposes a traceback).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from legacy_app.jsonio import json_response

__all__ = ["ApiError", "conflict", "not_found", "register_error_handlers", "validation_error"]

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An application error with an HTTP status and a JSON body."""

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


def validation_error(field: str, message: str) -> ApiError:
    return ApiError(400, "validation_error", message, field=field)


def not_found(what: str, ident: object) -> ApiError:
    return ApiError(404, "not_found", f"{what} {ident} not found")


def conflict(message: str, field: str | None = None) -> ApiError:
    return ApiError(409, "conflict", message, field=field)


def slug(reason: str) -> str:
    """``'Method Not Allowed'`` -> ``'method_not_allowed'``."""
    return "_".join(reason.lower().replace("-", " ").replace("'", "").split())


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)


def _handle_api_error(exc: ApiError) -> Response:
    return json_response(exc.body(), status=exc.status)


def _handle_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    body = {"error": slug(exc.name), "message": exc.description or exc.name}
    return json_response(body, status=status, headers=headers)


def _handle_unexpected(exc: Exception) -> Response:
    log.error("unhandled exception", exc_info=exc)
    body = {"error": "internal_server_error", "message": InternalServerError.description}
    return json_response(body, status=500)
