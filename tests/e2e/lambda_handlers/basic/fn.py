"""Handlers for the local Lambda runtime's tests: each shows one Lambda behaviour."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from typing import Any

LOADED_AT = time.time()


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """What the worker sees: the event, the context and its sandbox."""
    body = {
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "pid": os.getpid(),
        "loaded_at": LOADED_AT,
        "sys_path": sys.path,
        "tmp": tempfile.gettempdir(),
        "env": {
            k: os.environ.get(k)
            for k in ("_HANDLER", "LAMBDA_TASK_ROOT", "AWS_REGION", "TZ", "GREETING", "HOME")
        },
    }
    return {"statusCode": 200, "body": json.dumps(body)}


def trivial(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": "ok"}


def hang(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(3600)
    return {"statusCode": 200, "body": "never"}


def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(float(event.get("seconds", 0.3)))
    return {"statusCode": 200, "body": str(os.getpid())}


def exit_process(event: dict[str, Any], context: Any) -> dict[str, Any]:
    os._exit(1)


def hog(event: dict[str, Any], context: Any) -> dict[str, Any]:
    block = b"x" * (200 * 1024 * 1024)  # touched: resident, not just reserved
    return {"statusCode": 200, "body": str(len(block))}


def fail(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise ValueError("the handler failed")


def tmp_files(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Write ``event["write"]`` into the temp directory, wait, list what is there."""
    tmp = tempfile.gettempdir()
    with tempfile.NamedTemporaryFile("w", prefix=event["write"], delete=False) as file:
        file.write("x")
    time.sleep(float(event.get("seconds", 0)))
    files = sorted(name[: len(event["write"])] for name in os.listdir(tmp))
    return {"statusCode": 200, "body": json.dumps({"tmp": tmp, "files": files, "pid": os.getpid()})}


def chatty(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Print ``lines`` numbered lines of ``width`` bytes, then sleep ``seconds``."""
    for number in range(int(event.get("lines", 1))):
        print(f"line {number:07d} " + "x" * int(event.get("width", 0)))
    time.sleep(float(event.get("seconds", 0)))
    return {"statusCode": 200, "body": "printed"}


def print_later(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer at once; a thread prints ``text`` a little later (between invocations)."""
    threading.Timer(0.2, print, args=(event["text"],), kwargs={"flush": True}).start()
    return {"statusCode": 200, "body": "later"}
