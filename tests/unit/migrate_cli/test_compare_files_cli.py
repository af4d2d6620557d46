"""``migrate compare --before FILE --after FILE``: exit codes, JSON, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from migrate_cli.main import app

runner = CliRunner()


def write(path: Path, seed: int, scale: float = 1.0, n: int = 500) -> Path:
    rng = np.random.default_rng(seed)
    lines = [
        json.dumps({"latency_ms": float(x), "status": 503 if e else 200})
        for x, e in zip(rng.lognormal(4.4, 0.5, n) * scale, rng.random(n) < 0.005, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("scale", "n", "code"), [(1.0, 500, 0), (1.6, 500, 1), (1.0, 20, 3)])
def test_exit_codes(tmp_path: Path, scale: float, n: int, code: int) -> None:
    before = write(tmp_path / "before.jsonl", 1, n=n)
    after = write(tmp_path / "after.jsonl", 2, scale, n)
    result = runner.invoke(app, ["compare", "--before", str(before), "--after", str(after)])
    assert result.exit_code == code, result.output


def test_json_and_csv(tmp_path: Path) -> None:
    before = write(tmp_path / "before.jsonl", 1)
    after = tmp_path / "after.csv"
    rows = np.random.default_rng(3).lognormal(4.4, 0.5, 500)
    after.write_text("latency_ms,status\n" + "".join(f"{x},200\n" for x in rows), encoding="utf-8")
    args = ["compare", "--before", str(before), "--after", str(after), "--json"]
    result = runner.invoke(app, args)
    data = json.loads(result.stdout)
    assert data["verdict"] == "pass" and data["after_file"] == str(after)
    assert {"rows", "confounders", "new_error_classes", "effective_samples"} <= set(data)


def test_a_bad_file_is_exit_2_naming_file_and_line(tmp_path: Path) -> None:
    before = write(tmp_path / "before.jsonl", 1)
    after = tmp_path / "after.jsonl"
    after.write_text('{"latency_ms": 5, "status": 200}\n{"latency_ms": "slow", "status": 200}\n')
    result = runner.invoke(app, ["compare", "--before", str(before), "--after", str(after)])
    assert result.exit_code == 2
    assert f"{after}:2: latency_ms 'slow'" in result.output.replace("\n", "")


def test_both_files_or_a_route_are_needed(tmp_path: Path) -> None:
    before = write(tmp_path / "before.jsonl", 1)
    assert runner.invoke(app, ["compare", "--before", str(before)]).exit_code == 2
    assert runner.invoke(app, ["compare"]).exit_code == 2
