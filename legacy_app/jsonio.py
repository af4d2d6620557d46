"""Canonical JSON encoding of every response body.

Wire format (migrated handlers must reproduce it byte for byte)::

    json.dumps(body, ensure_ascii=True, separators=(",", ":"), allow_nan=False)

Keys keep insertion order (never sorted), no whitespace, no trailing newline,
``Content-Type: application/json``. This module must not build payloads; it
only encodes them (see ``serializers``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider

__all__ = ["CanonicalJSONProvider", "dumps", "json_response"]

JSON_MIMETYPE = "application/json"


def dumps(body: Any) -> str:
    """The canonical encoding of ``body``."""
    return json.dumps(body, ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A Flask response carrying ``body`` in canonical JSON."""
    return Response(dumps(body), status=status, headers=headers, mimetype=JSON_MIMETYPE)


class CanonicalJSONProvider(DefaultJSONProvider):
    """Makes ``flask.jsonify`` and ``app.json`` use the canonical encoding too."""

    sort_keys = False
    ensure_ascii = True
    compact = True

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return dumps(obj)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        body = self._prepare_response_obj(args, kwargs)
        return json_response(body)


def install(app: Flask) -> None:
    """Replace the app's JSON provider with the canonical one."""
    app.json = CanonicalJSONProvider(app)
