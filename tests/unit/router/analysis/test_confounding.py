"""router.analysis.confounding: rate, clock and age of a baseline comparison."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.console import Console

from router.analysis.confounding import confounders
from router.analysis.model import Limits, SampleSet
from router.analysis.report import comparison_to_json, render_table, write_html
from router.analysis.verdict import compare
from router.manifest.model import Thresholds

HOUR = 3_600_000
START = 1_763_800_000_000  # 08:26:40 UTC


def side(n: int, start: int, hours: float = 0.5, requests: int | None = None) -> SampleSet:
    values = tuple(np.random.default_rng(n).lognormal(4.4, 0.5, n).tolist())
    window = (start, start + int(hours * HOUR))
    return SampleSet("s", values, (200,) * n, "access-log", window, requests=requests)


def by_name(before: SampleSet, after: SampleSet, limits: Limits) -> dict[str, object]:
    return {c.name: c for c in confounders(before, after, limits, "baseline")}


def test_load_beyond_the_limit_either_way_is_noted() -> None:
    limits = Limits.resolve(None)
    found = by_name(side(500, START), side(575, START + HOUR), limits)
    rate = found["request_rate_ratio"]
    assert rate.value == 1.15 and rate.beyond  # type: ignore[attr-defined]
    quieter = by_name(side(500, START), side(425, START + HOUR), limits)
    assert quieter["request_rate_ratio"].beyond  # type: ignore[attr-defined]
    same = by_name(side(500, START), side(520, START + HOUR), limits)
    assert not same["request_rate_ratio"].beyond  # type: ignore[attr-defined]


def test_a_thinned_baseline_counts_every_request() -> None:
    found = by_name(
        side(500, START, requests=5_000), side(5_000, START + HOUR), Limits.resolve(None)
    )
    assert not found["request_rate_ratio"].beyond  # type: ignore[attr-defined]


def test_clock_and_age() -> None:
    limits = Limits.resolve(Thresholds(baseline_max_hours_apart=3, baseline_max_age_hours=48))
    week = 7 * 24 * HOUR
    found = by_name(side(500, START), side(500, START + week + 6 * HOUR), limits)
    assert found["hours_apart"].value == 6.0 and found["hours_apart"].beyond  # type: ignore[attr-defined]
    assert found["baseline_age_hours"].beyond  # type: ignore[attr-defined]
    same_hour = by_name(side(500, START), side(500, START + 24 * HOUR), limits)
    assert not same_hour["hours_apart"].beyond  # type: ignore[attr-defined]
    assert not same_hour["baseline_age_hours"].beyond  # type: ignore[attr-defined]
    day_long = by_name(side(500, START, hours=24), side(500, START + 30 * HOUR), limits)
    assert "hours_apart" not in day_long


def test_concurrent_or_windowless_comparisons_have_none() -> None:
    before, after = side(500, START), side(600, START)
    assert confounders(before, after, Limits.resolve(None), "concurrent") == ()
    bare = SampleSet("s", (1.0,), (200,), "file")
    assert confounders(bare, after, Limits.resolve(None), "baseline") == ()


def test_the_comparison_notes_a_confounder_but_keeps_its_verdict() -> None:
    before, after = side(500, START), side(575, START + HOUR)
    baseline = compare(before, after, mode="baseline")
    concurrent = compare(before, after, mode="concurrent")
    assert baseline.verdict is concurrent.verdict
    assert any(note.startswith("CONFOUNDED: request rate x1.15") for note in baseline.notes)
    assert not concurrent.confounders


def test_json_table_and_html_say_so(tmp_path: Path) -> None:
    before, after = side(500, START), side(575, START + HOUR)
    comparison = compare(before, after, mode="baseline")
    data = comparison_to_json(comparison)
    assert data["confounded"] is True
    assert [c["name"] for c in data["confounders"] if c["beyond"]] == ["request_rate_ratio"]
    console = Console(record=True, width=200)
    console.print(render_table(comparison))
    assert "WARNING: confounded (request_rate_ratio)" in console.export_text()
    html = write_html(comparison, before, after, tmp_path / "r.html").read_text()
    assert "<h2>Confounding</h2>" in html and "BEYOND" in html
    calm = comparison_to_json(compare(before, side(500, START + HOUR), mode="baseline"))
    assert calm["confounded"] is False
