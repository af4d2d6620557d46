"""Results files: normalising responses, the writer thread, reading, ``last.json``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from router.errors import StateError
from router.shadow.files import (
    LineCounter,
    last_path,
    load_last,
    read_results,
    results_path,
    save_last,
    shadow_root,
)
from router.shadow.record import Captured, RawSample, observe
from router.shadow.writer import ResultsWriter
from tests.helpers.polling import wait_until

JSON = (("Content-Type", "application/json; charset=UTF-8"), ("X-Other", "1"))


def raw(n: int = 1) -> RawSample:
    body = json.dumps({"id": n}).encode()
    primary = Captured(200, JSON, body, length=len(body))
    return RawSample("t", "GET", f"/u/{n}", f"r{n}", primary, primary, Captured(404))


def test_paths_sit_beside_the_manifest(tmp_path: Path) -> None:
    root = shadow_root(tmp_path / "migration.yaml")
    assert root == tmp_path / "migration.shadow"
    assert results_path(root, "r", "run") == root / "r" / "run.jsonl"
    assert last_path(root, "r") == root / "r" / "last.json"


def test_observe_selects_headers_and_parses_or_hashes_bodies() -> None:
    seen = observe(Captured(200, (*JSON, ("ETag", ' "x" ')), b'{"a": [1]}'))
    assert seen.headers == {"content-type": "application/json;charset=utf-8", "etag": '"x"'}
    assert (seen.body_kind, seen.body) == ("json", {"a": [1]})
    text = observe(Captured(200, (("Content-Type", "text/plain"),), b"hello"))
    assert (text.body_kind, text.body) == ("sha256", hashlib.sha256(b"hello").hexdigest())
    assert observe(Captured(204)).body_kind == "empty"
    assert observe(Captured(200, JSON, b"{not json")).body_kind == "sha256"
    assert observe(Captured(200, (), b"", truncated=True, length=5)).body_kind == "truncated"


def test_writer_appends_lines_the_reader_parses(tmp_path: Path) -> None:
    path = tmp_path / "out" / "run.jsonl"
    writer = ResultsWriter(flush_every=0.05)
    for n in range(3):
        writer.submit(path, raw(n))
    writer.count(path, "dropped", 2)
    writer.count(path, "skipped", 5)
    writer.close()
    results = read_results(path)
    assert [s.target for s in results.samples] == ["/u/0", "/u/1", "/u/2"]
    assert results.samples[0].primary.body == {"id": 0}
    assert results.samples[0].candidate.status == 404
    assert (results.dropped, results.skipped, results.unreadable) == (2, 5, 0)
    assert all(line.startswith("{") for line in path.read_text().splitlines())


def test_writer_drops_and_counts_when_its_queue_is_full(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    writer = ResultsWriter(max_queue=2, flush_every=60)  # drains only when closed
    for n in range(5):
        writer.submit(path, raw(n))
    writer.close()
    results = read_results(path)
    assert (len(results.samples), results.dropped) == (2, 3)


def test_writer_flushes_while_running(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    writer = ResultsWriter(flush_every=0.02)
    writer.submit(path, raw())
    wait_until(lambda: read_results(path).samples, "a flush while running")
    assert len(read_results(path).samples) == 1
    writer.close()


def test_reader_skips_torn_lines_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    assert read_results(path).samples == ()
    path.write_text(raw().sample().to_line() + '{"kind":"sample","meth')
    results = read_results(path)
    assert len(results.samples) == 1 and results.unreadable == 1


def test_line_counter_counts_only_complete_new_lines(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    counter = LineCounter(path)
    assert counter.update() == 0
    line = raw().sample().to_line()
    path.write_text(line + line[:20])
    assert counter.update() == 1
    with path.open("a") as handle:
        handle.write(line[20:] + line)
    assert counter.update() == 3


def test_last_json_keeps_the_latest_run_per_function(tmp_path: Path) -> None:
    bad = {"run_id": "r1", "function": "m.bad", "outcome": "mismatch",
           "mismatches": [{"path": "email"}]}  # fmt: skip
    good = {"run_id": "r2", "function": "m.good", "outcome": "parity", "mismatches": []}
    save_last(tmp_path, "route", bad)
    save_last(tmp_path, "route", good)
    last = load_last(tmp_path, "route")
    assert last is not None and last["run_id"] == "r2"
    assert last["by_function"]["m.bad"]["mismatches"] == ["email"]
    assert last["by_function"]["m.good"]["outcome"] == "parity"
    assert load_last(tmp_path, "other") is None


def test_unreadable_last_json_is_a_state_error(tmp_path: Path) -> None:
    path = last_path(tmp_path, "route")
    path.parent.mkdir()
    path.write_text("{oops")
    with pytest.raises(StateError, match="unreadable shadow results"):
        load_last(tmp_path, "route")
