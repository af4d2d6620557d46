"""Rules of the test suite itself, checked on its source (ast), so they hold after merges.

* no test module imports a ``conftest`` module: shared builders, fakes and waits
  live in ``tests/helpers``; a conftest holds fixtures only;
* no test monkeypatches project code (``router``, ``migrate_cli``, ``legacy_app``,
  ``migrated_functions``): inject the clock, sleep or collaborator instead (the CLI
  takes a factory through ``migrate_cli.context.Wiring``);
* the end-to-end fixtures never skip: a missing prerequisite fails with its reason.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
PROJECT = ("router", "migrate_cli", "legacy_app", "migrated_functions")


def modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(TESTS.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_project(module: str) -> bool:
    return module.split(".")[0] in PROJECT


def conftest_imports(tree: ast.Module) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] == "conftest":
            lines.append(node.lineno)
        if isinstance(node, ast.Import) and any(a.name.endswith("conftest") for a in node.names):
            lines.append(node.lineno)
    return lines


def project_names(tree: ast.Module) -> set[str]:
    """Names bound to project modules or objects by the module's imports."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _is_project(node.module or ""):
            names |= {a.asname or a.name for a in node.names}
        if isinstance(node, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in node.names if _is_project(a.name)}
    return names


def project_patches(tree: ast.Module) -> list[int]:
    names, lines = project_names(tree), []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "setattr" or not node.args:
            continue
        target = node.args[0]
        if isinstance(target, ast.Constant) and _is_project(str(target.value)):
            lines.append(node.lineno)
        if isinstance(target, ast.Name | ast.Attribute) and _root(target) in names:
            lines.append(node.lineno)
    return lines


def _root(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def test_no_test_imports_a_conftest_module() -> None:
    found = {str(p.relative_to(TESTS)): ls for p, t in modules() if (ls := conftest_imports(t))}
    assert found == {}, f"import helpers from tests/helpers instead of a conftest: {found}"


def test_no_test_monkeypatches_project_code() -> None:
    found = {str(p.relative_to(TESTS)): ls for p, t in modules() if (ls := project_patches(t))}
    assert found == {}, f"inject a clock, sleep or collaborator instead of patching: {found}"


def test_the_end_to_end_fixtures_never_skip() -> None:
    source = (TESTS / "e2e" / "conftest.py").read_text(encoding="utf-8")
    assert not [w for w in ("skip(", "importorskip", "skipif") if w in source]


def test_the_checks_find_what_they_look_for() -> None:
    tree = ast.parse(
        "from tests.unit.router.conftest import route\n"
        "from .conftest import Lambda\n"
        "from router.progressive import session\n"
        "import legacy_app.common as common\n"
        "monkeypatch.setattr(session, '_now', None)\n"
        "monkeypatch.setattr(common.datetime, 'now', None)\n"
        "monkeypatch.setattr('migrated_functions.orders.utc_now', None)\n"
        "monkeypatch.setattr(os, 'replace', None)\n"
    )
    assert conftest_imports(tree) == [1, 2]
    assert project_patches(tree) == [5, 6, 7]
