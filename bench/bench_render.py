"""Benchmark: render_sam + YAML serialization of a 1,000-route manifest.

Prints the median wall time of ``render_template_text`` over several runs (target:
under 1 s). Run with ``.venv/bin/python bench/bench_render.py``.
"""

from __future__ import annotations

import statistics
import time

from router.manifest.model import Manifest
from router.render import render_template_text

ROUTES = 1_000
RUNS = 7
TARGET_SECONDS = 1.0
_METHODS = ("GET", "POST", "PUT", "DELETE")


def build_manifest(count: int = ROUTES) -> Manifest:
    """``count`` routes over distinct resources: a third on Lambda, some canaries."""
    routes = [_route(i) for i in range(count)]
    return Manifest.model_validate(
        {"legacy": {"url": "http://legacy.internal:8000"}, "routes": routes}
    )


def _route(i: int) -> dict[str, object]:
    method = _METHODS[i % len(_METHODS)]
    path = f"/api/res{i // 4}/{{id}}" if i % 2 else f"/api/res{i // 4}"
    route: dict[str, object] = {"id": f"r{i}", "method": method, "path": path}
    if i % 3 == 0:
        route.update(target="lambda", function=f"migrated_functions.r{i}.handler")
        if i % 9 == 0:
            route["weight"] = 25
    return route


def time_render(manifest: Manifest, runs: int = RUNS) -> float:
    """Median seconds of one render + serialization."""
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        render_template_text(manifest)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    manifest = build_manifest()
    median = time_render(manifest)
    verdict = "OK" if median < TARGET_SECONDS else "SLOW"
    print(
        f"render_template_text, {ROUTES} routes: median {median * 1000:.0f} ms "
        f"over {RUNS} runs (target < {TARGET_SECONDS:.0f} s) {verdict}"
    )


if __name__ == "__main__":
    main()
