"""Hostile manifests: YAML alias bombs, aliases into themselves, oversized files."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.errors import ManifestError
from router.manifest._limits import MAX_MANIFEST_BYTES, check_aliases
from router.manifest.store import load_manifest

HEAD = """\
version: 1
revision: 1
api: {name: shop, stage: prod, region: us-east-1}
legacy: {url: "http://127.0.0.1:5000"}
"""


def alias_bomb(levels: int) -> str:
    """Billion laughs: ``levels`` lists of ten aliases to the one before (10^levels)."""
    lines = [HEAD, 'x0: &x0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + f"\nroutes: *x{levels}\n"


def test_an_alias_bomb_is_rejected_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "migration.yaml"
    path.write_text(alias_bomb(6))  # 10^6 strings: seconds and hundreds of MB to expand
    with pytest.raises(ManifestError, match="aliases expand") as caught:
        load_manifest(path)
    assert str(path) in caught.value.message and caught.value.exit_code == 2


def test_an_alias_into_itself_is_rejected(tmp_path: Path) -> None:
    """ruamel builds ``&r [*r]`` as ``[None]``; a loader that builds the cycle is caught."""
    path = tmp_path / "migration.yaml"
    path.write_text(HEAD + "routes: &r [*r]\n")
    with pytest.raises(ManifestError, match="routes"):
        load_manifest(path)
    cycle: list[object] = []
    cycle.append({"routes": cycle})
    with pytest.raises(ManifestError, match="refers to a node that contains it"):
        check_aliases(path, cycle)


def test_aliases_that_share_a_value_still_load(tmp_path: Path) -> None:
    """An ``&env`` shared by many routes is what aliases are for: within the budget."""
    count = 2000
    env = "&env {" + ", ".join(f"K{i}: v{i}" for i in range(20)) + "}"
    routes = "".join(
        f"  - {{id: r{i}, method: GET, path: /r/{i}, environment: {'*env' if i else env}}}\n"
        for i in range(count)
    )
    path = tmp_path / "migration.yaml"
    path.write_text(HEAD + "routes:\n" + routes)
    # aliases add 40 nodes to each route written with ~10: more than the file holds
    model = load_manifest(path).model
    assert {r.environment["K19"] for r in model.routes} == {"v19"}


def test_an_oversized_manifest_is_rejected_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "migration.yaml"
    with path.open("w") as handle:
        handle.write(HEAD + "routes: []\n")
        handle.write(("# padding " + "x" * 1013 + "\n") * (MAX_MANIFEST_BYTES // 1024 + 1))
    with pytest.raises(ManifestError, match="a manifest may be at most 8,388,608") as caught:
        load_manifest(path)
    assert str(path) in caught.value.message
