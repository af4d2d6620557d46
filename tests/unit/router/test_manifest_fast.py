"""The libyaml reader reads exactly what ruamel.yaml reads, or gives up (None)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from router.errors import ManifestError
from router.manifest._fast import fast_data
from router.manifest.store import _plain, load_manifest

SAMPLE = """\
# the shop's manifest
version: 1
revision: 12
api: {name: shop-api, stage: prod}
legacy:
  url: "http://127.0.0.1:5000"   # quoted
defaults:
  memory: 512
  environment:
    DEBUG: off
    LEVEL: yes
    EMPTY: ''
    RATIO: '0.5'
  thresholds:
    alpha: 0.05
    latency_p50_max_increase: .2
    min_samples: 100
routes:
  - id: a
    method: GET
    path: /a/{id}
    weight: null
  - {id: b, method: POST, path: /b}
"""


def ruamel_data(text: str) -> object:
    return _plain(YAML().load(text))


def test_reads_what_ruamel_reads() -> None:
    data = fast_data(SAMPLE)
    assert data == ruamel_data(SAMPLE)
    assert data is not None and data["defaults"]["environment"]["DEBUG"] == "off"  # YAML 1.2


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # anchors and aliases
        "a: !!set {x: null}\n",  # tags
        "a: !custom 1\n",
        "%YAML 1.1\n---\na: yes\n",  # a directive changes the rules
        "a: 1\na: 2\n",  # duplicate keys: ruamel refuses them
        "a: 0o17\n",  # numbers other than plain decimals
        "a: 017\n",
        "a: 1_000\n",
        "a: .inf\n",
        "a: 2024-01-01\n",  # timestamps
        "<<: {a: 1}\n",  # merge keys
        "? [1]\n: 2\n",  # a key that is not a scalar
        "- 1\n",  # not a mapping
        "",
        "a: [1\n",  # a syntax error: ruamel words it
        "a: 1\n---\nb: 2\n",
    ],
)
def test_gives_up_where_the_readers_could_differ(text: str) -> None:
    assert fast_data(text) is None


@settings(max_examples=300, deadline=None)
@example("\t")  # libyaml reads `key: <tab>` as null, ruamel refuses it
@example("!")  # libyaml reads "", ruamel null
@example("\r?")  # a complex key under a bare CR
@example("|#")  # libyaml reads a block scalar, ruamel refuses it
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12))
def test_a_plain_scalar_reads_as_ruamel_reads_it(value: str) -> None:
    text = f"key: {value}\n"
    fast = fast_data(text)
    if fast is None:
        return
    try:
        expected = ruamel_data(text)
    except YAMLError:
        pytest.fail(f"libyaml read {text!r}, ruamel refuses it")
    assert fast == expected and kind(fast["key"]) == kind(expected["key"])  # type: ignore[index]


def kind(value: object) -> type | None:
    """The plain type under ruamel's subclasses (ScalarInt, ScalarFloat, ...)."""
    return next((t for t in (bool, int, float, str) if isinstance(value, t)), None)


def test_errors_are_still_worded_by_ruamel_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "migration.yaml"
    path.write_text(SAMPLE.replace("method: POST", "method: FETCH"))
    with pytest.raises(ManifestError) as err:
        load_manifest(path)
    assert "route 'b' (routes[1]) field 'method' (line 23)" in str(err.value)
