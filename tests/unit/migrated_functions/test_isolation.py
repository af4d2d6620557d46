"""Migrated functions ship on their own: they never import the monolith (nor Flask)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import migrated_functions

PACKAGE_DIR = Path(migrated_functions.__file__).parent
FORBIDDEN = ("legacy_app", "flask", "werkzeug", "router", "migrate_cli")
HANDLER_MODULES = (
    "migrated_functions.users",
    "migrated_functions.products",
    "migrated_functions.orders",
)


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            modules.add(node.value)  # e.g. importlib.import_module("legacy_app")
    return modules


def is_forbidden(module: str) -> bool:
    return module.split(".")[0] in FORBIDDEN


def test_no_module_imports_the_monolith() -> None:
    sources = sorted(PACKAGE_DIR.rglob("*.py"))
    assert len(sources) >= 10
    offenders = {
        str(path.relative_to(PACKAGE_DIR)): sorted(filter(is_forbidden, imported_modules(path)))
        for path in sources
    }
    assert {path: found for path, found in offenders.items() if found} == {}


def test_handlers_import_without_the_monolith_in_a_fresh_interpreter() -> None:
    code = (
        "import sys\n"
        f"for name in {HANDLER_MODULES!r}: __import__(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE_DIR.parent,
        timeout=60,
    )
    assert result.stdout.strip() == ""
