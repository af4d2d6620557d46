"""``POST /api/orders`` under an ``Idempotency-Key`` header: one order per key.

The answer of the first successful request is stored in ``idempotency_keys`` in the
same transaction as the order; a repeat with the same key and the same request
(route + canonical JSON body) gets it back with ``Idempotent-Replayed: true``, a
different request 422. The migrated ``create_order`` reads and writes the same table
with the same fingerprint, so a client's retry is answered once whichever side a
canary sends it to. Concurrent first attempts collide on the key's primary key:
the loser's transaction (its order and stock) is rolled back and it replays the
winner's answer. This module must not know the order tables.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable

from flask import Response, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from legacy_app.common import utc_now
from legacy_app.errors import ApiError, validation_error
from legacy_app.models import IdempotencyKey

__all__ = ["KEY_HEADER", "REPLAY_HEADER", "idempotency_key", "request_fingerprint", "run_once"]

KEY_HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
_KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
_STORED_HEADERS = ("Content-Type", "Location")


def idempotency_key() -> str | None:
    """The request's key (any header case); None if absent, 400 if malformed."""
    raw = request.headers.get(KEY_HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if not _KEY_PATTERN.fullmatch(key):
        raise validation_error(
            KEY_HEADER, f"{KEY_HEADER}: must be 1 to 255 printable ASCII characters without spaces"
        )
    return key


def request_fingerprint(route: str, body: bytes) -> str:
    """SHA-256 of ``route`` and the body as canonical JSON (raw bytes when unparsable)."""
    with contextlib.suppress(ValueError, RecursionError):
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(route.encode() + b"\n" + body).hexdigest()


def run_once(
    session: Session, key: str, request_hash: str, place: Callable[[], Response]
) -> Response:
    """``place()``'s answer, committed with the key row; a stored answer is replayed."""
    stored = _lookup(session, key)
    if stored is not None:
        session.rollback()
        return _replay(stored, request_hash)
    try:
        return _place_and_store(session, key, request_hash, place)
    except IntegrityError:  # a concurrent first attempt committed the key first
        session.rollback()
        stored = _lookup(session, key)
        if stored is None:
            raise
        return _replay(stored, request_hash)


def _place_and_store(
    session: Session, key: str, request_hash: str, place: Callable[[], Response]
) -> Response:
    response = place()
    if 200 <= response.status_code < 300:
        headers = {
            name: response.headers[name] for name in _STORED_HEADERS if name in response.headers
        }
        session.add(
            IdempotencyKey(
                key=key,
                request_hash=request_hash,
                status=response.status_code,
                headers_json=json.dumps(headers, separators=(",", ":")),
                body=response.get_data(as_text=True),
                created_at=utc_now(),
            )
        )
    session.commit()
    return response


def _lookup(session: Session, key: str) -> IdempotencyKey | None:
    return session.get(IdempotencyKey, key, populate_existing=True)


def _replay(stored: IdempotencyKey, request_hash: str) -> Response:
    """The stored answer marked as replayed; 422 when the key came with another request."""
    if stored.request_hash == request_hash:
        headers = {**json.loads(stored.headers_json), REPLAY_HEADER: "true"}
        return Response(stored.body, status=stored.status, headers=headers)
    message = f"{KEY_HEADER} was already used with a different request"
    raise ApiError(422, "idempotency_key_mismatch", message, field=KEY_HEADER)
