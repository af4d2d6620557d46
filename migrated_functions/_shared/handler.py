"""The invocation wrapper every handler goes through.

``run(event, context, route, view)`` calls ``view(event)``, turns an ``ApiError``
into its JSON response and any other exception into the monolith's 500 (the
traceback goes to the log, never to the client), then writes one JSON log line
per invocation: ``aws_request_id``, ``route``, ``method``, ``path``, ``status``,
``latency_ms``. This module must not touch the database nor hold state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from migrated_functions._shared.event import Event
from migrated_functions._shared.http import ApiError, internal_error
from migrated_functions._shared.logs import get_logger

__all__ = ["Response", "View", "run"]

Response = dict[str, Any]
View = Callable[[Event], Response]

log = get_logger(__name__)


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
