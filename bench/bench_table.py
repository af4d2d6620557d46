"""Benchmark RouteTable.match: lookup time must stay flat as the table grows.

Run: ``python bench/bench_table.py``. Builds tables of 10, 1,000 and 10,000 realistic
routes (literal, ``{param}`` and ``{greedy+}`` resources, several methods, plus
``ANY /`` and ``ANY /{proxy+}``) and prints the median time per lookup for hits (the
exact route answers) and fall-throughs (the resource lacks the method, so the request
backtracks to ``/{proxy+}``), both drawn from the whole table, and for a fixed set of
requests reused at every size. The fixed set isolates table size from the CPU-cache
cost of touching thousands of distinct paths and trie nodes.
"""

from __future__ import annotations

import itertools
import random
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from router.table import RouteTable

SIZES = (10, 1_000, 10_000)
LOOKUPS = 2_000
REPEATS = 9

# (resource template, methods, concrete-path template); {n} is the service number
SHAPES = [
    ("/api/svc{n}/items", ("GET", "POST"), "/api/svc{n}/items"),
    ("/api/svc{n}/items/{{id}}", ("GET", "PUT", "DELETE"), "/api/svc{n}/items/42"),
    ("/api/svc{n}/items/{{id}}/notes", ("GET",), "/api/svc{n}/items/7/notes/"),
    ("/api/svc{n}/files/{{path+}}", ("GET",), "/api/svc{n}/files/a/b%20c.txt"),
    ("/api/svc{n}/health", ("ANY",), "/api/svc{n}/health"),
]


def resources(size: int) -> Iterator[tuple[str, tuple[str, ...], str]]:
    """(resource, methods, concrete path) per service until ``size`` routes in all."""
    count = 2  # ANY / and ANY /{proxy+}
    for service in itertools.count():
        for resource, methods, path in SHAPES:
            count += len(methods)
            if count > size:
                return
            yield resource.format(n=service), methods, path.format(n=service)


def build(size: int) -> tuple[RouteTable[int], list[tuple[str, str]], list[tuple[str, str]]]:
    """A table with ``size`` routes, plus sample hit and fall-through requests."""
    table: RouteTable[int] = RouteTable([("ANY", "/", 0), ("ANY", "/{proxy+}", 1)])
    hits: list[tuple[str, str]] = []
    misses: list[tuple[str, str]] = []
    for resource, methods, path in resources(size):
        for method in methods:
            table.add(method, resource, len(table))
        hits.append(("PATCH" if methods == ("ANY",) else methods[0], path))
        if "ANY" not in methods:
            misses.append(("PATCH", path))
    return table, hits, misses


def time_lookups(table: RouteTable[int], requests: list[tuple[str, str]]) -> float:
    """Median nanoseconds per lookup over REPEATS runs of LOOKUPS random requests."""
    rng = random.Random(1234)
    sample = [rng.choice(requests) for _ in range(LOOKUPS)]
    match = table.match
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter_ns()
        for method, path in sample:
            match(method, path)
        runs.append((time.perf_counter_ns() - start) / LOOKUPS)
    return statistics.median(runs)


def check(
    table: RouteTable[int], hits: list[tuple[str, str]], misses: list[tuple[str, str]]
) -> None:
    """Make sure the benchmark measures what it claims to."""
    for method, path in hits:
        found = table.match(method, path)
        assert found is not None and found.resource != "/{proxy+}", (method, path)
    for method, path in misses:
        found = table.match(method, path)
        assert found is not None and found.resource == "/{proxy+}", (method, path)


def main() -> None:
    rows = []
    fixed: list[tuple[str, str]] = []  # the smallest table's requests, reused at every size
    for size in SIZES:
        table, hits, misses = build(size)
        check(table, hits, misses)
        fixed = fixed or hits + misses
        timings = [time_lookups(table, reqs) for reqs in (hits, misses, fixed)]
        rows.append((len(table), *timings))
    print("median ns per lookup (hits/fall-throughs drawn from the whole table)")
    print(f"{'routes':>8} {'hit':>8} {'fall-through':>13} {'same requests':>14}")
    for routes, hit, miss, same in rows:
        print(f"{routes:>8,} {hit:>8.0f} {miss:>13.0f} {same:>14.0f}")
    ratios = [large / small for small, large in zip(rows[0][1:], rows[-1][1:], strict=True)]
    print(f"{'x ratio':>8} {ratios[0]:>8.2f} {ratios[1]:>13.2f} {ratios[2]:>14.2f}", end="")
    print(f"  ({SIZES[-1]:,} routes vs {SIZES[0]})")


if __name__ == "__main__":
    main()
