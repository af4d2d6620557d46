"""Compare shadow samples the Diffy way: candidate differences minus monolith noise.

Each response becomes a bag of field paths -> values (``fields``):

* ``:status``; ``:header:<name>`` for the selected headers (see ``record``);
* for a JSON body, every leaf as a path: ``user.email``, ``items[].price`` (list
  indexes collapse to ``[]``, so a path occurs once per list element and its rates
  are per occurrence); ``$`` is a scalar root; empty objects/lists are leaves; keys
  that are not plain names are quoted: ``meta["x.y"]``;
* ``:body`` for a non-JSON body (its SHA-256). No body paths when any of the three
  bodies passed the capture limit, or for HEAD (compared by status and headers).

Occurrences of a path are paired in order; one present on one side only (a missing
field, an extra list element) is a difference too. Per path, over all samples:
candidate rate = differing / compared for candidate vs primary, noise rate the same
for secondary vs primary (two monolith calls). A path is a REAL mismatch only when

    candidate_rate - noise_rate > absolute   and   candidate_rate > noise_rate * (1 + relative)

(``Thresholds``: absolute 0.05, relative 0.2 by default), so a timestamp or request
id that differs between two monolith calls is reported as noise, not a mismatch.
Lists are compared by position (a reordered list differs). Numbers compare by value
(1 == 1.0), booleans only with booleans. This module must not do I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from router.shadow.record import Observed, Sample

__all__ = [
    "DEFAULT_THRESHOLDS",
    "MISSING",
    "DiffReport",
    "Example",
    "PathReport",
    "Thresholds",
    "compare_samples",
    "fields",
    "flatten",
]

MAX_EXAMPLES = 3
MISSING = "<missing>"  # how an absent value is shown in examples
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_SHOWN_CHARS = 200


class _Absent:
    def __repr__(self) -> str:
        return MISSING


_ABSENT = _Absent()


@dataclass(frozen=True, slots=True)
class Thresholds:
    absolute: float = 0.05  # candidate rate must pass the noise rate by this much ...
    relative: float = 0.2  # ... and by this fraction of the noise rate

    def is_real(self, candidate_rate: float, noise_rate: float) -> bool:
        excess = candidate_rate - noise_rate
        return excess > self.absolute and candidate_rate > noise_rate * (1 + self.relative)


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class Example:
    request: str  # "GET /api/users/5"
    primary: Any
    candidate: Any


@dataclass(frozen=True, slots=True)
class PathReport:
    path: str
    compared: int  # occurrences compared, candidate vs primary
    differing: int
    noise_compared: int  # occurrences compared, secondary vs primary
    noise_differing: int
    real: bool
    examples: tuple[Example, ...] = ()

    @property
    def candidate_rate(self) -> float:
        return self.differing / self.compared if self.compared else 0.0

    @property
    def noise_rate(self) -> float:
        return self.noise_differing / self.noise_compared if self.noise_compared else 0.0


@dataclass(frozen=True, slots=True)
class DiffReport:
    samples: int
    truncated: int  # samples compared by status and headers only
    paths: tuple[PathReport, ...]  # every path that differed somewhere; real ones first
    thresholds: Thresholds = DEFAULT_THRESHOLDS

    @property
    def mismatches(self) -> tuple[PathReport, ...]:
        return tuple(p for p in self.paths if p.real)

    @property
    def noise(self) -> tuple[PathReport, ...]:
        return tuple(p for p in self.paths if not p.real)


@dataclass(slots=True)
class _Tally:
    compared: int = 0
    differing: int = 0
    noise_compared: int = 0
    noise_differing: int = 0
    examples: list[Example] = field(default_factory=list)


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(path, leaf value) pairs of a JSON value, list indexes collapsed to ``[]``."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from flatten(item, _join(prefix, str(key)))
    elif isinstance(value, list) and value:
        for item in value:
            yield from flatten(item, prefix + "[]")
    else:
        yield prefix or "$", value


def _join(prefix: str, key: str) -> str:
    if not _PLAIN_KEY.match(key):
        return f"{prefix}[{json.dumps(key)}]"
    return f"{prefix}.{key}" if prefix else key


def fields(observed: Observed, *, with_body: bool) -> dict[str, list[Any]]:
    """Path -> values (in order of occurrence) of one response."""
    out: dict[str, list[Any]] = {":status": [observed.status]}
    for name, value in observed.headers.items():
        out[f":header:{name}"] = [value]
    if not with_body:
        return out
    if observed.body_kind == "json":
        for path, value in flatten(observed.body):
            out.setdefault(path, []).append(value)
    elif observed.body_kind == "sha256":
        out[":body"] = [f"sha256:{observed.body}"]
    return out


def compare_samples(
    samples: Iterable[Sample], thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> DiffReport:
    """The per-path rates, verdicts and examples of a shadow run."""
    tallies: dict[str, _Tally] = {}
    count = truncated = 0
    for sample in samples:
        count += 1
        with_body = _with_body(sample)
        truncated += not with_body and sample.method != "HEAD"
        primary = fields(sample.primary, with_body=with_body)
        candidate = fields(sample.candidate, with_body=with_body)
        secondary = fields(sample.secondary, with_body=with_body)
        request = f"{sample.method} {sample.target}"
        _tally_candidate(tallies, primary, candidate, request)
        _tally_noise(tallies, primary, secondary)
    paths = [_report(path, t, thresholds) for path, t in tallies.items() if _differed(t)]
    paths.sort(key=lambda p: (not p.real, -p.candidate_rate, p.path))
    return DiffReport(count, truncated, tuple(paths), thresholds)


def _with_body(sample: Sample) -> bool:
    observed = (sample.primary, sample.secondary, sample.candidate)
    return sample.method != "HEAD" and all(o.body_kind != "truncated" for o in observed)


def _tally_candidate(
    tallies: dict[str, _Tally],
    primary: dict[str, list[Any]],
    candidate: dict[str, list[Any]],
    request: str,
) -> None:
    for path, left, right in _pairs(primary, candidate):
        tally = tallies.setdefault(path, _Tally())
        tally.compared += 1
        if not _same(left, right):
            tally.differing += 1
            if len(tally.examples) < MAX_EXAMPLES:
                tally.examples.append(Example(request, _shown(left), _shown(right)))


def _tally_noise(
    tallies: dict[str, _Tally], primary: dict[str, list[Any]], secondary: dict[str, list[Any]]
) -> None:
    for path, left, right in _pairs(primary, secondary):
        tally = tallies.setdefault(path, _Tally())
        tally.noise_compared += 1
        tally.noise_differing += not _same(left, right)


def _pairs(a: dict[str, list[Any]], b: dict[str, list[Any]]) -> Iterator[tuple[str, Any, Any]]:
    """Every occurrence of every path on either side, paired by position."""
    for path in a.keys() | b.keys():
        left, right = a.get(path, []), b.get(path, [])
        for i in range(max(len(left), len(right))):
            yield (
                path,
                left[i] if i < len(left) else _ABSENT,
                right[i] if i < len(right) else _ABSENT,
            )


def _same(a: Any, b: Any) -> bool:
    if a is _ABSENT or b is _ABSENT:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _differed(tally: _Tally) -> bool:
    return tally.differing > 0 or tally.noise_differing > 0


def _report(path: str, tally: _Tally, thresholds: Thresholds) -> PathReport:
    rates = PathReport(
        path, tally.compared, tally.differing, tally.noise_compared, tally.noise_differing, False
    )
    real = thresholds.is_real(rates.candidate_rate, rates.noise_rate)
    return PathReport(
        path, tally.compared, tally.differing, tally.noise_compared, tally.noise_differing,
        real, tuple(tally.examples),
    )  # fmt: skip


def _shown(value: Any) -> Any:
    """A value as examples show it: MISSING for an absent one, long text shortened."""
    if value is _ABSENT:
        return MISSING
    if isinstance(value, str) and len(value) > _SHOWN_CHARS:
        return value[:_SHOWN_CHARS] + "..."
    return value
