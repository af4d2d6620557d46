"""API Gateway's ``binaryMediaTypes`` rule: which media types a REST API treats as binary.

A media type matches an entry of ``api.binary_media_types`` when the entry is ``*/*``,
``type/*`` with the same type, or the same ``type/subtype`` (case-insensitive,
parameters ignored). For a Lambda proxy integration (API Gateway developer guide,
"Binary media types for REST APIs" and "Return binary media from a Lambda proxy
integration"):

* the request body reaches the function base64-encoded (``isBase64Encoded: true``)
  only when the request's ``Content-Type`` matches;
* a result with ``isBase64Encoded: true`` is decoded to bytes only when the client's
  **first** ``Accept`` media type matches ("API Gateway uses the first Accept header
  from clients to determine if a response should return binary media"); otherwise the
  client gets the base64 text as it is.

A request without ``Content-Type`` (or ``Accept``) is taken as ``application/json``,
API Gateway's default content type. This module must not do I/O or know about routes.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["DEFAULT_MEDIA_TYPE", "accepts_binary", "is_binary"]

DEFAULT_MEDIA_TYPE = "application/json"


def is_binary(content_type: str | None, binary_types: Sequence[str]) -> bool:
    """Whether a body of ``content_type`` is binary under ``binary_types``."""
    if not binary_types:
        return False
    media = _media_type(content_type)
    return any(_matches(media, entry.strip().lower()) for entry in binary_types)


def accepts_binary(accept: str | None, binary_types: Sequence[str]) -> bool:
    """Whether a client sending ``accept`` gets a base64 result decoded to bytes."""
    first = accept.split(",", 1)[0] if accept else None
    return is_binary(first, binary_types)


def _media_type(header: str | None) -> str:
    media = (header or "").partition(";")[0].strip().lower()
    return media or DEFAULT_MEDIA_TYPE


def _matches(media: str, entry: str) -> bool:
    if entry in ("*/*", media):
        return True
    kind, _, sub = entry.partition("/")
    return sub == "*" and media.partition("/")[0] == kind
