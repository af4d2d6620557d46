"""A handler importing a package the gateway has but this function's code does not ship."""

from __future__ import annotations

from typing import Any

import flask


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": flask.__name__}
