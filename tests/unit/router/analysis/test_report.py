"""router.analysis.report: JSON, the rich table, sparklines and the HTML file."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from router.analysis.model import AggregateFigures, Comparison, SampleSet
from router.analysis.report import (
    comparison_to_json,
    render_sparklines,
    render_table,
    write_html,
)
from router.analysis.verdict import compare
from router.errors import WriteError

from ._synthetic import pair

ROW_KEYS = [
    "metric",
    "title",
    "unit",
    "before",
    "after",
    "change",
    "change_kind",
    "after_ci",
    "change_ci",
    "p_value",
    "test",
    "bootstrap_p",
    "threshold",
    "decides",
    "verdict",
    "reason",
]


@pytest.fixture(scope="module")
def sides() -> tuple[SampleSet, SampleSet]:
    return pair(21, 500, scale=1.4)


@pytest.fixture(scope="module")
def failing(sides: tuple[SampleSet, SampleSet]) -> Comparison:
    return compare(*sides)


def test_json_shape(failing: Comparison) -> None:
    data = comparison_to_json(failing)
    assert list(data) == [
        "schema",
        "mode",
        "verdict",
        "exit_code",
        "reasons",
        "notes",
        "before",
        "after",
        "thresholds",
        "ci_level",
        "n_resamples",
        "rows",
        "confounded",
        "confounders",
        "new_error_classes",
        "effective_samples",
    ]
    assert (data["verdict"], data["exit_code"], data["mode"]) == ("fail", 1, "baseline")
    assert data["before"]["raw_samples"] is True
    assert data["before"]["window"] == {"start_ms": 1_763_800_000_000, "end_ms": 1_763_803_600_000}
    assert data["thresholds"]["latency_p90_max_increase"] == 0.2
    assert all(list(row) == ROW_KEYS for row in data["rows"])
    p90 = next(row for row in data["rows"] if row["metric"] == "latency_p90")
    assert set(p90["change_ci"]) == {"low", "high", "level"}
    assert json.loads(json.dumps(data, allow_nan=False)) == data


def test_json_turns_infinity_into_null() -> None:
    zero = SampleSet("z", (0.0,) * 60, (200,) * 60, "access-log")
    slow = SampleSet("s", (5.0,) * 60, (200,) * 60, "access-log")
    data = comparison_to_json(compare(zero, slow))
    p50 = next(row for row in data["rows"] if row["metric"] == "latency_p50")
    assert p50["change"] is None
    json.dumps(data, allow_nan=False)


def test_table_renders_every_figure(failing: Comparison) -> None:
    console = Console(record=True, width=200)
    console.print(render_table(failing))
    text = console.export_text()
    for expected in ("latency p50", "latency p90", "latency p99", "5XX rate", "4XX rate"):
        assert expected in text
    assert "FAIL" in text and "INFO" in text
    assert "90% CI" in text and " ms" in text and "500" in text
    assert "baseline mode" in text


def test_table_colors_the_verdicts(failing: Comparison) -> None:
    console = Console(record=True, width=200, force_terminal=True, color_system="truecolor")
    console.print(render_table(failing))
    assert "\x1b[" in console.export_text(styles=True)


def test_sparklines_table(sides: tuple[SampleSet, SampleSet]) -> None:
    table = render_sparklines(*sides, width=30)
    assert table is not None
    console = Console(record=True, width=120)
    console.print(table)
    text = console.export_text()
    assert "before (legacy)" in text and " ms" in text
    assert re.search("[▁▂▃▄▅▆▇█]{30}", text)
    aggregate = AggregateFigures(10, 1.0, 2.0, None, None, 0, 0, "metrics")
    assert render_sparklines(aggregate, sides[1]) is None


def test_html_report(
    tmp_path: Path, failing: Comparison, sides: tuple[SampleSet, SampleSet]
) -> None:
    path = write_html(failing, *sides, tmp_path / "report.html")
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "FAIL" in html and "<table>" in html and "latency p90" in html
    assert "<style>" in html and "baseline" in html and "access-log" in html
    png = re.search(r'src="data:image/png;base64,([^"]+)"', html)
    assert png is not None
    assert base64.b64decode(png.group(1)).startswith(b"\x89PNG")
    assert "http" not in html.split("<body>")[1]  # self-contained: nothing fetched
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_html_report_with_aggregates_and_escaping(tmp_path: Path) -> None:
    _, after = pair(22, 200)
    before = AggregateFigures(5000, 80.0, 150.0, 260.0, 95.0, 5, 25, "metrics", label="<b>old</b>")
    html = write_html(compare(before, after), before, after, tmp_path / "r.html").read_text()
    assert "&lt;b&gt;old&lt;/b&gt;" in html and "<b>old</b>" not in html
    assert "effect size only" in html


def test_html_is_written_atomically(
    tmp_path: Path,
    failing: Comparison,
    sides: tuple[SampleSet, SampleSet],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "report.html"
    target.write_text("old report", encoding="utf-8")
    renames: list[tuple[str, str]] = []

    def failing_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        renames.append((str(src), str(dst)))
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(WriteError, match="disk full"):
        write_html(failing, *sides, target)
    assert target.read_text(encoding="utf-8") == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # temp file removed
    ((source, destination),) = renames
    assert Path(source).parent == tmp_path and destination == str(target)


def test_importing_the_package_loads_neither_scipy_nor_matplotlib() -> None:
    code = (
        "import sys, router.analysis, router.analysis.report; "
        "print(sorted(m for m in ('scipy', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
