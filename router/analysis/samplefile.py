"""Per-request samples exported by users: JSON Lines or CSV files, one request a row.

Fields (any order; the first name of each list is the documented one):

* latency: ``latency_ms`` (or ``latency``, ``responseLatency``, ``duration_ms``), ms;
* status: ``status`` (or ``status_code``, ``statusCode``), an HTTP status;
* optional ``cold`` (true/false, 1/0) or ``init_duration_ms`` (a non-empty value
  means a cold start, as Lambda's REPORT line's ``Init Duration``);
* optional ``time_ms`` (or ``requestTimeEpoch``), epoch ms: gives the window.

A ``.csv`` file has a header row; any other file is JSON Lines (blank lines skipped).
Rows are taken in file order (arrival order, for the dependence correction). A bad
row is a ``UsageError`` naming the file and the line. This module must not judge
or print.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from router.analysis.model import SampleSet
from router.errors import UsageError

__all__ = ["read_samples"]

_LATENCY = ("latency_ms", "latency", "responseLatency", "duration_ms")
_STATUS = ("status", "status_code", "statusCode")
_TIME = ("time_ms", "requestTimeEpoch")
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}


@dataclass
class _Rows:
    latencies: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    cold: list[bool] = field(default_factory=list)
    times: list[int] = field(default_factory=list)
    cold_known: bool = False


def read_samples(path: Path, label: str) -> SampleSet:
    """The samples of ``path`` as a ``SampleSet`` labelled ``label``."""
    rows = _Rows()
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            for line, record in _records(path, handle):
                _add(rows, record, f"{path}:{line}")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if not rows.statuses:
        raise UsageError(f"{path}: no samples", hint="one request per line: latency_ms, status")
    window = (
        (min(rows.times), max(rows.times) + 1) if len(rows.times) == len(rows.statuses) else None
    )
    cold = tuple(rows.cold) if rows.cold_known else None
    return SampleSet(label, tuple(rows.latencies), tuple(rows.statuses), "file", window, cold=cold)


def _records(path: Path, handle: Iterator[str]) -> Iterator[tuple[int, Mapping[str, object]]]:
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(handle)
        for record in reader:
            yield reader.line_num, record
        return
    for number, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except ValueError as exc:
            raise UsageError(f"{path}:{number}: not JSON: {exc}") from exc
        if not isinstance(record, dict):
            raise UsageError(f"{path}:{number}: expected a JSON object per line")
        yield number, record


def _add(rows: _Rows, record: Mapping[str, object], where: str) -> None:
    latency = _number(_pick(record, _LATENCY, where), where, "latency_ms")
    if not (math.isfinite(latency) and latency >= 0):
        raise UsageError(f"{where}: latency_ms {latency!r}: expected a number of ms >= 0")
    status = _number(_pick(record, _STATUS, where), where, "status")
    if status != int(status) or not 100 <= status <= 599:
        raise UsageError(f"{where}: status {status!r}: expected an HTTP status (100-599)")
    rows.latencies.append(latency)
    rows.statuses.append(int(status))
    rows.cold.append(_cold(record, where, rows))
    moment = next((record[k] for k in _TIME if record.get(k) not in (None, "")), None)
    if moment is not None:
        rows.times.append(int(_number(moment, where, "time_ms")))


def _pick(record: Mapping[str, object], names: tuple[str, ...], where: str) -> object:
    for name in names:
        if record.get(name) not in (None, ""):
            return record[name]
    raise UsageError(f"{where}: no {names[0]} field (or {', '.join(names[1:])})")


def _number(value: object, where: str, name: str) -> float:
    if isinstance(value, bool):
        raise UsageError(f"{where}: {name} {value!r}: expected a number")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{where}: {name} {value!r}: expected a number") from exc


def _cold(record: Mapping[str, object], where: str, rows: _Rows) -> bool:
    if record.get("init_duration_ms") not in (None, ""):
        rows.cold_known = True
        return True
    flag = record.get("cold")
    if flag is None:
        return False
    rows.cold_known = True
    if isinstance(flag, bool):
        return flag
    text = str(flag).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise UsageError(f"{where}: cold {flag!r}: expected true or false")
