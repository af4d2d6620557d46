"""Benchmark: the manifest limits (alias bomb, size) and what they cost a big manifest.

Prints, measured in one run: the time and peak memory to reject a billion-laughs
file (10^9 nodes once expanded); the cost of expanding a 10^5 bomb as the loader
did before the limit (the 10^9 one is ten thousand times that); the size of a
5,000-route manifest against the 8 MiB limit; and the share of its load time
spent on the alias check. Run with ``.venv/bin/python bench/bench_manifest_limits.py``.
"""

from __future__ import annotations

import contextlib
import resource
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_render import build_manifest

from router.errors import ManifestError
from router.manifest._limits import MAX_MANIFEST_BYTES, check_aliases
from router.manifest.store import _plain, _read_raw, dump_manifest, load_manifest

HEAD = "version: 1\nrevision: 1\napi: {name: shop}\nlegacy: {url: 'http://127.0.0.1:5000'}\n"


def alias_bomb(levels: int) -> str:
    lines = [HEAD + "x0: &x0 [" + ", ".join(['"lol"'] * 10) + "]"]
    lines += [f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + f"\nroutes: *x{levels}\n"


def measured(work: Callable[[], Any], *, memory: bool = False) -> tuple[float, float]:
    """(seconds, peak MiB allocated) of one call; a ManifestError counts as done.

    Memory is traced only when asked: tracing slows a big expansion a hundredfold.
    """
    if memory:
        tracemalloc.start()
    started = time.perf_counter()
    with contextlib.suppress(ManifestError):
        work()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if memory else 0.0
    tracemalloc.stop()
    return seconds, peak


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bomb = Path(tmp) / "bomb.yaml"
        bomb.write_text(alias_bomb(9))
        seconds, _ = measured(lambda: load_manifest(bomb))
        _, peak = measured(lambda: load_manifest(bomb), memory=True)
        print(
            f"billion laughs ({bomb.stat().st_size} bytes): rejected in {seconds * 1000:.0f} ms, "
            f"peak {peak:.1f} MiB"
        )
        small = Path(tmp) / "small.yaml"
        small.write_text(alias_bomb(5))
        raw, rss = _read_raw_unchecked(small), _rss_mib()
        seconds, _ = measured(lambda: _plain(raw))
        print(
            f"expanding a 10^5 bomb as before the limit: {seconds:.2f} s, "
            f"+{_rss_mib() - rss:.0f} MiB peak RSS (the 10^9 one: 10,000 times that)"
        )
        big = Path(tmp) / "migration.yaml"
        big.write_text(dump_manifest(build_manifest(5_000)))
        size = big.stat().st_size
        print(
            f"5,000-route manifest: {size / 2**20:.2f} MiB ({size / MAX_MANIFEST_BYTES:.0%} "
            f"of the {MAX_MANIFEST_BYTES // 2**20} MiB limit)"
        )
        loads = [measured(lambda: load_manifest(big))[0] for _ in range(3)]
        raw_big = _read_raw(big)
        checks = [measured(lambda: check_aliases(big, raw_big))[0] for _ in range(3)]
        load, check = statistics.median(loads), statistics.median(checks)
        print(
            f"its load: {load:.2f} s, of which the alias check {check * 1000:.0f} ms "
            f"({check / load:.1%})"
        )


def _read_raw_unchecked(path: Path) -> Any:
    from ruamel.yaml import YAML

    return YAML().load(path.read_text())


if __name__ == "__main__":
    main()
