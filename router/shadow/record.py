"""One shadowed request as data: the three responses, normalised, and its JSON line.

``Captured`` is what the gateway saw (status, headers, body bytes up to the capture
limit); ``observe`` turns it into an ``Observed``: the status, the selected headers
(``SELECTED_HEADERS``, lower-case names, repeated values joined with ", ",
Content-Type without blanks and lower-cased), and the body parsed as JSON when it is
JSON, else its SHA-256 (``sha256``), ``empty``, or ``truncated`` when it passed the
capture limit (then only status and headers are compared).

A results line is ``{"kind": "sample", "time", "method", "target", "request_id",
"primary", "secondary", "candidate"}`` (each an ``Observed`` object:
``{"status", "headers", "body_kind", "body", "length"}``), or
``{"kind": "dropped"|"skipped", "count", "time"}`` for copies not made (a full
queue; over the gateway's copy rate).
This module must not do I/O or compare responses (see ``diff``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal, cast

__all__ = [
    "CAPTURE_LIMIT",
    "SELECTED_HEADERS",
    "BodyKind",
    "Captured",
    "Observed",
    "RawSample",
    "Sample",
    "count_line",
    "observe",
]

CAPTURE_LIMIT = 1024 * 1024  # bytes of a body kept for comparison; larger: status only
SELECTED_HEADERS = frozenset(
    {"content-type", "location", "cache-control", "content-encoding", "content-disposition", "etag"}
)
BodyKind = Literal["json", "sha256", "empty", "truncated"]
_KINDS = ("json", "sha256", "empty", "truncated")


@dataclass(frozen=True, slots=True)
class Captured:
    """A response as the gateway saw it; ``body`` is empty when ``truncated``."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    truncated: bool = False
    length: int = 0  # bytes seen (at least the limit when truncated)


@dataclass(frozen=True, slots=True)
class Observed:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body_kind: BodyKind = "empty"
    body: Any = None  # the parsed JSON, or the hex SHA-256 of the bytes
    length: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "headers": self.headers,
            "body_kind": self.body_kind,
            "body": self.body,
            "length": self.length,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Observed:
        kind = data.get("body_kind", "empty")
        if kind not in _KINDS or not isinstance(data.get("status"), int):
            raise ValueError(f"not a shadow response: {data!r:.200}")
        headers = {str(k): str(v) for k, v in dict(data.get("headers") or {}).items()}
        length = int(data.get("length") or 0)
        return cls(data["status"], headers, cast(BodyKind, kind), data.get("body"), length)


@dataclass(frozen=True, slots=True)
class Sample:
    """One shadowed request: what the client got and what the two copies got."""

    time: str
    method: str
    target: str  # path and query, as the client sent them
    request_id: str
    primary: Observed
    secondary: Observed
    candidate: Observed

    def to_line(self) -> str:
        data = {
            "kind": "sample",
            "time": self.time,
            "method": self.method,
            "target": self.target,
            "request_id": self.request_id,
            "primary": self.primary.to_json(),
            "secondary": self.secondary.to_json(),
            "candidate": self.candidate.to_json(),
        }
        return json.dumps(data, separators=(",", ":"), default=str) + "\n"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sample:
        return cls(
            str(data.get("time", "")),
            str(data["method"]),
            str(data["target"]),
            str(data.get("request_id", "")),
            Observed.from_json(data["primary"]),
            Observed.from_json(data["secondary"]),
            Observed.from_json(data["candidate"]),
        )


@dataclass(frozen=True, slots=True)
class RawSample:
    """What the gateway hands the writer; normalised off the event loop (``sample``)."""

    time: str
    method: str
    target: str
    request_id: str
    primary: Captured
    secondary: Captured
    candidate: Captured

    def sample(self) -> Sample:
        return Sample(
            self.time, self.method, self.target, self.request_id,
            observe(self.primary), observe(self.secondary), observe(self.candidate),
        )  # fmt: skip


def count_line(kind: str, count: int, time: str) -> str:
    return json.dumps({"kind": kind, "count": count, "time": time}) + "\n"


def observe(captured: Captured) -> Observed:
    """The comparable view of a captured response."""
    headers = _selected(captured.headers)
    length = max(captured.length, len(captured.body))
    if captured.truncated:
        return Observed(captured.status, headers, "truncated", None, length)
    kind, body = _body(captured.body, headers.get("content-type", ""))
    return Observed(captured.status, headers, kind, body, length)


def _selected(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in pairs:
        lower = name.lower()
        if lower in SELECTED_HEADERS:
            value = "".join(value.split()).lower() if lower == "content-type" else value.strip()
            out[lower] = f"{out[lower]}, {value}" if lower in out else value
    return out


def _body(raw: bytes, content_type: str) -> tuple[BodyKind, Any]:
    if not raw:
        return "empty", None
    if "json" in content_type or raw.lstrip()[:1] in (b"{", b"["):
        try:
            return "json", json.loads(raw)
        except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            pass
    return "sha256", hashlib.sha256(raw).hexdigest()
