"""router.analysis.sparkline: block-character lines of series and distributions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from router.analysis.sparkline import BLOCKS, distribution_sparklines, log_edges, sparkline

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


def test_levels_from_low_to_high() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == BLOCKS
    assert sparkline([3, 3, 3]) == BLOCKS[0] * 3
    assert sparkline([]) == ""
    assert sparkline([1.0, float("nan"), 2.0]) == f"{BLOCKS[0]} {BLOCKS[-1]}"


def test_fixed_scale() -> None:
    assert sparkline([0.0, 5.0], low=0.0, high=10.0) == BLOCKS[0] + BLOCKS[4]
    assert sparkline([20.0], low=0.0, high=10.0) == BLOCKS[-1]  # clipped


@given(st.lists(finite, max_size=300))
def test_one_block_per_value(values: list[float]) -> None:
    line = sparkline(values)
    assert len(line) == len(values)
    assert set(line) <= set(BLOCKS)


@given(st.lists(finite | st.just(float("nan")), max_size=300), st.integers(1, 120))
def test_width_is_exact(values: list[float], width: int) -> None:
    line = sparkline(values, width=width)
    assert len(line) == width
    assert set(line) <= set(BLOCKS + " ")


def test_width_must_be_positive() -> None:
    with pytest.raises(ValueError):
        sparkline([1.0], width=0)


def test_distributions_share_range_and_scale() -> None:
    rng = np.random.default_rng(0)
    before = rng.lognormal(4, 0.3, 2000)
    lines = distribution_sparklines(before, before * 2, width=24)
    assert len(lines.before) == len(lines.after) == 24
    assert lines.low_ms == pytest.approx(before.min())
    assert lines.high_ms == pytest.approx(before.max() * 2)
    peak_before = max(range(24), key=lambda i: BLOCKS.index(lines.before[i]))
    peak_after = max(range(24), key=lambda i: BLOCKS.index(lines.after[i]))
    assert peak_after > peak_before  # slower: the mass moves right


@given(
    st.lists(st.floats(0.0, 1e5), max_size=50),
    st.lists(st.floats(0.0, 1e5), max_size=50),
    st.integers(1, 60),
)
def test_distribution_lines_have_the_width(
    before: list[float], after: list[float], width: int
) -> None:
    lines = distribution_sparklines(before, after, width=width)
    assert len(lines.before) == len(lines.after) == width
    edges = log_edges([before, after], width)
    assert np.all(np.diff(edges) > 0)
