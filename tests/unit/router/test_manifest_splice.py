"""Edits of existing routes re-write only those routes' blocks; anything else the whole file."""

from __future__ import annotations

import difflib
from pathlib import Path

from router.manifest._splice import MAX_SPLICED_ROUTES, splice_routes
from router.manifest.store import ManifestStore, load_manifest, to_document

MANIFEST = """\
# the shop  (top comment)
version: 1
revision: 7   # bumped by every change
api:
  name: shop-api
legacy:
  url: http://127.0.0.1:5000
routes:
  # users first
  - id: get-user
    method: GET
    path: /api/users/{id}   # the hot one
    # kept with the route
    memory: 512
  - id: list-orders
    method: GET
    path: /api/orders

  # trailing comment of the list
{more}"""


def write(tmp_path: Path, extra_routes: int = 0) -> Path:
    more = "".join(f"  - id: r{i}\n    method: GET\n    path: /r{i}\n" for i in range(extra_routes))
    path = tmp_path / "migration.yaml"
    path.write_text(MANIFEST.replace("{more}", more))
    return path


def changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_a_promote_rewrites_only_that_route_and_the_revision(tmp_path: Path) -> None:
    path = write(tmp_path, extra_routes=3)
    before = path.read_text()
    with ManifestStore(path).edit() as draft:
        route = draft.routes[0]
        route.target, route.function = "lambda", "handlers.users.get_user"
    after = path.read_text()
    assert changed_lines(before, after) == [
        "-revision: 7   # bumped by every change",
        "+revision: 8   # bumped by every change",
        "+    target: lambda",
        "+    function: handlers.users.get_user",
    ]
    assert "    # kept with the route\n" in after and "# trailing comment of the list" in after
    assert load_manifest(path).model.routes[0].function == "handlers.users.get_user"


def test_other_changes_go_through_the_whole_document(tmp_path: Path) -> None:
    path = write(tmp_path)
    with ManifestStore(path).edit() as draft:
        draft.defaults.memory = 1024
    text = path.read_text()
    assert "memory: 1024" in text and "revision: 8" in text
    assert "# the hot one" in text and "# users first" in text  # ruamel keeps comments
    assert load_manifest(path).model.defaults.memory == 1024


def test_a_layout_it_does_not_know_falls_back(tmp_path: Path) -> None:
    path = tmp_path / "migration.yaml"
    path.write_text(  # items at column 0: no "  - " blocks to splice
        "version: 1\nrevision: 1\nlegacy:\n  url: http://x:1\nroutes:\n"
        "- id: a\n  method: GET\n  path: /a\n"
    )
    with ManifestStore(path).edit() as draft:
        draft.routes[0].memory = 256
    model = load_manifest(path).model
    assert model.revision == 2 and model.routes[0].memory == 256


def test_gives_up_on_many_routes_or_a_changed_route_list(tmp_path: Path) -> None:
    loaded = load_manifest(write(tmp_path, extra_routes=MAX_SPLICED_ROUTES + 1))
    assert loaded.data is not None
    old = to_document(loaded.model)

    def redump(block: str, route: dict[str, object]) -> str:
        raise AssertionError("nothing should be re-emitted")

    many = {**old, "revision": 8, "routes": [{**r, "memory": 256} for r in old["routes"]]}
    assert splice_routes(loaded.text, loaded.data, old, many, redump) is None
    fewer = {**old, "revision": 8, "routes": old["routes"][1:]}
    assert splice_routes(loaded.text, loaded.data, old, fewer, redump) is None


def test_a_splice_that_does_not_read_back_as_intended_is_refused(tmp_path: Path) -> None:
    loaded = load_manifest(write(tmp_path))
    assert loaded.data is not None
    old = to_document(loaded.model)
    new = {**old, "revision": 8, "routes": [{**old["routes"][0], "memory": 256}, old["routes"][1]]}
    wrong = "routes:\n  - id: get-user\n    method: GET\n    path: /elsewhere\n"
    assert splice_routes(loaded.text, loaded.data, old, new, lambda _b, _r: wrong) is None


def test_a_manifest_without_a_revision_line_is_written_whole(tmp_path: Path) -> None:
    path = write(tmp_path)
    path.write_text(path.read_text().replace("revision: 7   # bumped by every change\n", ""))
    with ManifestStore(path).edit() as draft:
        draft.routes[1].memory = 256
    model = load_manifest(path).model
    assert model.revision == 1 and model.routes[1].memory == 256
    assert "revision: 1" in path.read_text()
