"""The block reader gives exactly ``fast_data``'s data, parsing only changed route blocks."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from router.gateway._build_main import answer
from router.manifest._fast import fast_data
from router.manifest.incremental import BlockReader

REPO = Path(__file__).resolve().parents[3]
HEAD = """\
# a manifest
version: 1
revision: {revision}
api: {{name: shop-api, stage: prod}}
legacy:
  url: "http://127.0.0.1:5000"
routes:
"""
TAIL = "defaults:\n  memory: 256\n"


def block(i: int, weight: int = 0) -> str:
    return (
        f"  - id: r{i}\n    method: GET\n    path: /r{i}/{{id}}   # trailing comment\n"
        f"    target: legacy\n    weight: {weight}\n"
    )


def text_of(blocks: list[str], revision: int = 1, between: str = "", tail: str = TAIL) -> str:
    return HEAD.format(revision=revision) + between.join(blocks) + tail


def test_the_repository_manifest_reads_as_fast_data_reads_it() -> None:
    text = (REPO / "migration.yaml").read_text(encoding="utf-8")
    reader = BlockReader()
    assert reader.data(text) == fast_data(text) and reader.parsed_blocks > 5
    assert reader.data(text) == fast_data(text) and reader.parsed_blocks == 0


def test_an_edit_parses_only_the_blocks_it_changed() -> None:
    blocks = [block(i) for i in range(200)]
    reader = BlockReader()
    reader.data(text_of(blocks))
    assert reader.parsed_blocks == 200
    assert reader.data(text_of(blocks, revision=2)) == fast_data(text_of(blocks, revision=2))
    assert reader.parsed_blocks == 0  # only the revision line moved
    blocks[17] = block(17, weight=50)
    edited = text_of(blocks, revision=3)
    data = reader.data(edited)
    assert data == fast_data(edited) and reader.parsed_blocks == 1
    assert data is not None and data["routes"][17]["weight"] == 50


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\nroutes: []\n",  # no blocks: the whole text
        "version: 1\nroutes:\n    - id: a\n      path: /a\n",  # another indentation
        "routes:\n  - id: a\n  junk: 1\n",  # not a list of items
        "routes:\n    foo\n  - id: a\n",  # text before the first item
        "routes:\n  - &r {id: a}\n  - *r\n",  # an alias across blocks: fast_data gives up
        text_of([block(1), block(2)], between="\n  # between\n\n"),
        text_of([block(1), block(2)], tail=""),  # routes last
        "routes:\n  - id: a\n\tbad: 1\n",  # a tab: fast_data gives up
    ],
)
def test_layouts_read_as_fast_data_reads_them(text: str) -> None:
    reader = BlockReader()
    assert reader.data(text) == fast_data(text)
    assert reader.data(text) == fast_data(text)  # and again, from the cache


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["weight", "drop", "dup", "swap", "comment", "tail", "junk"]),
        st.integers(0, 7),
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(EDITS)
def test_any_sequence_of_versions_reads_as_fast_data_reads_it(
    edits: list[tuple[str, int]],
) -> None:
    blocks, between, tail = [block(i) for i in range(8)], "", TAIL
    reader = BlockReader()
    for revision, (edit, i) in enumerate(edits, 2):
        blocks, between, tail = _edited(blocks, between, tail, edit, i)
        text = text_of(blocks, revision, between, tail)
        assert reader.data(text) == fast_data(text), (edit, i)


def _edited(
    blocks: list[str], between: str, tail: str, edit: str, i: int
) -> tuple[list[str], str, str]:
    i = i % max(len(blocks), 1)
    if edit == "weight" and blocks:
        blocks = [*blocks[:i], block(i, weight=i + 1), *blocks[i + 1 :]]
    elif edit == "drop":
        blocks = blocks[:i] + blocks[i + 1 :]
    elif edit == "dup" and blocks:
        blocks = [*blocks, blocks[i]]
    elif edit == "swap":
        blocks = blocks[::-1]
    elif edit == "comment":
        between = "  # note\n" if not between else ""
    elif edit == "tail":
        tail = "" if tail else TAIL
    elif edit == "junk":
        between = "  x: 1\n"
    return blocks, between, tail


def test_the_build_process_answers_the_same_with_the_reader(tmp_path: Path) -> None:
    manifest = tmp_path / "migration.yaml"
    manifest.write_text((REPO / "migration.yaml").read_text(encoding="utf-8"))
    request = pickle.dumps((str(manifest), None))
    reader = BlockReader()
    first = pickle.loads(answer(request, reader))
    assert first[0] == "ok" and reader.parsed_blocks > 0
    again = pickle.loads(answer(request, reader))
    assert reader.parsed_blocks == 0 and again == pickle.loads(answer(request))
