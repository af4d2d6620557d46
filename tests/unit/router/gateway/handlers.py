"""Lambda handlers the gateway unit tests invoke by dotted path."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

RELEASE = threading.Event()  # ``slow`` waits on it; tests set it when done


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ctx = {
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
    body = json.dumps({"event": event, "context": ctx})
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": body}


def boom(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("kaboom from the handler")


def malformed(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": {"not": "a string"}}


def binary(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "statusCode": 201,
        "headers": {"Content-Type": "image/png", "X-One": "single", "X-Both": "from-headers"},
        "multiValueHeaders": {"X-Both": ["m1", "m2"], "Set-Cookie": ["a=1", "b=2"]},
        "body": base64.b64encode(b"\x89PNG\x00\xff").decode(),
        "isBase64Encoded": True,
    }


def huge(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": "x" * (6 * 1024 * 1024 + 200)}


def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
    RELEASE.wait(5)
    return {"statusCode": 200, "body": "late"}


def version(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": "v1"}


def remapped(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """What a WSGI adapter returns: framing and server headers of its own."""
    headers = {"Content-Length": "2", "Date": "Mon, 01 Jan 2001 00:00:00 GMT",
               "Transfer-Encoding": "chunked", "Server": "werkzeug"}  # fmt: skip
    return {"statusCode": 200, "headers": headers, "body": "ok"}
