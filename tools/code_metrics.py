"""Complexity and function-length figures of ``router`` and ``migrate_cli`` (radon).

    .venv/bin/python tools/code_metrics.py [SOURCE_ROOT]

SOURCE_ROOT (default: this checkout) holds the two packages; to measure another
revision, extract it first (``git archive REV | tar -x -C DIR``). Prints, per package
and for both: the blocks radon rates (functions, methods, classes), their average
cyclomatic complexity, the worst blocks, and the median and 90th percentile length
of functions and methods in lines (``def`` to last line, decorators excluded). It
only reads files; it must not import the code it measures.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from radon.complexity import cc_rank, cc_visit
from radon.visitors import Class, Function

PACKAGES = ("router", "migrate_cli")
WORST = 5


@dataclass(frozen=True)
class Block:
    name: str
    complexity: int
    lines: int
    is_function: bool


def blocks(root: Path, package: str) -> Iterator[Block]:
    """The blocks ``radon cc`` lists (closures count in their enclosing function)."""
    for path in sorted((root / package).rglob("*.py")):
        for item in cc_visit(path.read_text(encoding="utf-8")):
            yield _block(item, f"{path.relative_to(root)}")


def _block(item: Function | Class, where: str) -> Block:
    lines = item.endline - item.lineno + 1
    name = f"{where}:{item.lineno} {item.fullname}"
    return Block(name, item.complexity, lines, isinstance(item, Function))


def report(title: str, found: list[Block]) -> None:
    lengths = sorted(b.lines for b in found if b.is_function)
    average = statistics.fmean(b.complexity for b in found)
    p90 = statistics.quantiles(lengths, n=10, method="inclusive")[-1]
    print(f"{title}: {len(found)} blocks, average complexity {average:.2f} ({cc_rank(average)})")
    print(f"  function length: median {statistics.median(lengths):g}, p90 {p90:g} lines")
    for b in sorted(found, key=lambda b: (-b.complexity, b.name))[:WORST]:
        print(f"  {cc_rank(b.complexity)} {b.complexity:2d}  {b.name}")


def main(argv: list[str]) -> None:
    root = Path(argv[1] if len(argv) > 1 else ".")
    every: list[Block] = []
    for package in PACKAGES:
        found = list(blocks(root, package))
        report(package, found)
        every += found
    report(" + ".join(PACKAGES), every)


if __name__ == "__main__":
    main(sys.argv)
