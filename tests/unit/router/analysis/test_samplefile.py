"""router.analysis.samplefile: JSONL and CSV samples, errors naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.analysis.samplefile import read_samples
from router.errors import UsageError


def test_jsonl_with_aliases_cold_and_time(tmp_path: Path) -> None:
    path = tmp_path / "after.jsonl"
    path.write_text(
        '{"latency_ms": 12.5, "status": 200, "time_ms": 1000}\n'
        "\n"
        '{"responseLatency": 40, "statusCode": "503", "init_duration_ms": 310.2, "time_ms": 1500}\n'
        '{"latency": 9, "status_code": 200, "cold": false, "time_ms": 1200}\n',
        encoding="utf-8",
    )
    samples = read_samples(path, "after")
    assert samples.latencies_ms == (12.5, 40.0, 9.0)
    assert samples.statuses == (200, 503, 200)
    assert samples.cold == (False, True, False)
    assert samples.window == (1000, 1501)
    assert samples.source == "file" and samples.label == "after"


def test_csv_without_cold_or_time(tmp_path: Path) -> None:
    path = tmp_path / "before.csv"
    path.write_text("latency_ms,status\n10,200\n11.5,404\n", encoding="utf-8")
    samples = read_samples(path, "before")
    assert samples.latencies_ms == (10.0, 11.5)
    assert samples.cold is None and samples.window is None


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.jsonl", '{"latency_ms": 1, "status": 200}\n{"latency_ms": 1\n', r"a.jsonl:2: not JSON"),
        (
            "b.jsonl",
            '{"latency_ms": 1, "status": 200}\n[1, 2]\n',
            r"b.jsonl:2: expected a JSON object",
        ),
        ("c.jsonl", '{"status": 200}\n', r"c.jsonl:1: no latency_ms field"),
        ("d.csv", "latency_ms,status\n1,200\n-3,200\n", r"d.csv:3: latency_ms -3.0"),
        ("e.csv", "latency_ms,status\n1,abc\n", r"e.csv:2: status 'abc'"),
        ("f.csv", "latency_ms,status\n1,200.5\n", r"f.csv:2: status 200.5"),
        ("g.jsonl", '{"latency_ms": 1, "status": 200, "cold": "maybe"}\n', r"g.jsonl:1: cold"),
        ("h.jsonl", "\n", r"h.jsonl: no samples"),
        ("i.jsonl", '{"latency_ms": true, "status": 200}\n', r"i.jsonl:1: latency_ms True"),
    ],
)
def test_bad_rows_name_the_file_and_line(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        read_samples(path, "before")


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        read_samples(tmp_path / "nope.jsonl", "before")
