"""A handler module whose import never finishes (a hung init phase)."""

from __future__ import annotations

import time
from typing import Any

time.sleep(3600)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": "never"}
