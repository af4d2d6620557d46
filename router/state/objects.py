"""One JSON object under the state prefix, replaced only by compare-and-swap.

``read`` remembers the ETag it got (none when the object is absent); ``write``
replaces the object only if it is still that one (``IfMatch``) or creates it only if
there still is none (``IfNoneMatch: *``), and remembers the new ETag.
A lost race is ``StateConflict`` for the caller to re-read and re-apply, or refuse.
This module must not know what the objects hold.
"""

from __future__ import annotations

from router.aws.state_s3 import StateBucket
from router.state.location import StateLocation

__all__ = ["JsonObject"]


class JsonObject:
    """``PREFIX/<name>``: its bytes and the ETag of the last read or write."""

    def __init__(self, bucket: StateBucket, location: StateLocation, name: str) -> None:
        self.bucket, self.key = bucket, location.key(name)
        self.label = f"{location.url}/{name}"
        self._etag: str | None = None

    def read(self) -> bytes | None:
        found = self.bucket.get(self.key)
        self._etag = found.etag if found else None
        return found.body if found else None

    def write(self, body: bytes) -> None:
        self._etag = self.bucket.put(self.key, body, if_match=self._etag)
