"""The invocation wrapper every handler goes through.

``run(event, context, route, view)`` calls ``view(event)``, turns an ``ApiError``
into its JSON response, refused database credentials into a 502 (the reason in
the invocation's log line, the password never), a write PostgreSQL aborted three
times into the monolith's 503, and any other exception into the monolith's 500
(the traceback goes to the log, never to the client), then writes one JSON log line
per invocation: ``aws_request_id``, ``route``, ``method``, ``path``, ``status``,
``latency_ms``. This module must not open connections nor hold state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from migrated_functions._shared.credentials import CredentialsError
from migrated_functions._shared.db import DatabaseConflict, DatabaseCredentialsRefused
from migrated_functions._shared.event import Event
from migrated_functions._shared.http import ApiError, internal_error
from migrated_functions._shared.logs import get_logger

__all__ = ["Response", "View", "run"]

Response = dict[str, Any]
View = Callable[[Event], Response]

log = get_logger(__name__)

DATABASE_UNAVAILABLE = "the database refused this function's credentials"
CONFLICT_MESSAGE = "the write conflicted with others; retry it"  # the monolith's 503


def run(event: Event, context: Any, route: str, view: View) -> Response:
    """Serve one invocation of ``view`` and log it."""
    started = time.perf_counter()
    fields = _request_fields(event, context, route)
    response = _dispatch(event, view, fields)
    _log_completion(fields, response, time.perf_counter() - started)
    return response


def _log_completion(fields: dict[str, Any], response: Response, elapsed_s: float) -> None:
    fields["status"] = response["statusCode"]
    fields["latency_ms"] = round(elapsed_s * 1000, 3)
    if response["headers"].get("Idempotent-Replayed") == "true":
        fields["idempotent_replay"] = True
    level = logging.ERROR if response["statusCode"] >= 500 else logging.INFO
    log.log(level, "request completed", extra={"fields": fields})


def _dispatch(event: Event, view: View, fields: dict[str, Any]) -> Response:
    try:
        return view(event)
    except ApiError as exc:
        return exc.response()
    except (DatabaseCredentialsRefused, CredentialsError) as exc:
        fields["error"] = str(exc)  # the one log line of this invocation says why
        return ApiError(502, "bad_gateway", DATABASE_UNAVAILABLE).response()
    except DatabaseConflict:
        return ApiError(503, "database_conflict", CONFLICT_MESSAGE).response()
    except Exception:
        log.exception("unhandled exception", extra={"fields": fields})
        return internal_error()


def _request_fields(event: Event, context: Any, route: str) -> dict[str, Any]:
    request_context = event.get("requestContext") or {}
    return {
        "aws_request_id": getattr(context, "aws_request_id", None),
        "api_request_id": request_context.get("requestId"),
        "function_name": getattr(context, "function_name", None),
        "route": route,
        "method": event.get("httpMethod"),
        "path": event.get("path"),
    }
