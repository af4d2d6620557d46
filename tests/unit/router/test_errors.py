"""router/errors.py's docstring lists every exception the project defines."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from types import ModuleType

import pytest

import migrate_cli
import router
from router import errors
from router.errors import StranglerError


def _modules(package: ModuleType) -> list[ModuleType]:
    names = [
        info.name
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
        if not info.name.endswith("__main__")
    ]
    return [package, *(importlib.import_module(n) for n in names)]


def _defined_exceptions() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for module in _modules(router) + _modules(migrate_cli):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == module.__name__:
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return list(found.values())


EXCEPTIONS = _defined_exceptions()
_TREE_LINE = re.compile(r"^ {4}((?:[│ ] {3})*)([├└]── )?([\w.]+)(?:\s|$)")


def _tree_parents(doc: str) -> dict[str, str | None]:
    """``{name: parent name}`` from the docstring's trees (depth from the indentation)."""
    parents: dict[str, str | None] = {}
    path: list[str] = []
    for line in doc.splitlines():
        found = _TREE_LINE.match(line)
        if found is None:
            continue
        depth = len(found.group(1)) // 4 + (1 if found.group(2) else 0)
        path = [*path[:depth], found.group(3)]
        parents[found.group(3)] = path[-2].split(".")[-1] if depth else None
    return parents


def test_every_module_was_walked() -> None:
    names = {cls.__name__ for cls in EXCEPTIONS}
    assert {"UnsafePlan", "Declined", "ShadowMismatch", "ProcessError", "UpstreamError"} <= names


@pytest.mark.parametrize("cls", EXCEPTIONS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_exception_is_in_the_tree(cls: type[BaseException]) -> None:
    parents = _tree_parents(errors.__doc__ or "")
    if cls.__module__ == errors.__name__:
        name = cls.__name__
        assert cls is StranglerError or issubclass(cls, StranglerError)
    else:
        name = f"{cls.__module__}.{cls.__qualname__}"
    assert name in parents, f"{name} is missing from router/errors.py's docstring"
    expected = None if cls is StranglerError else cls.__mro__[1].__name__
    assert parents[name] == expected, f"{name} is listed under {parents[name]}, not {expected}"


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("UnsafePlan", "router.deploy.executor"),
        ("Declined", "router.deploy.service"),
        ("ShadowMismatch", "router.shadow.gate"),
        ("ProcessError", "router.local.process"),
    ],
)
def test_moved_exceptions_still_import_from_their_old_module(name: str, module: str) -> None:
    assert getattr(importlib.import_module(module), name) is getattr(errors, name)
