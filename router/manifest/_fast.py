"""Read a manifest's data fast: libyaml (PyYAML's C parser) under YAML 1.2 rules.

ruamel.yaml's round-trip loader keeps comments for edits but is pure Python: a
5,000-route manifest took about 9 s to read. Commands that only read need the data,
so ``fast_data`` composes the document with libyaml, resolving plain scalars with
ruamel's own YAML 1.2 patterns (``on``/``yes`` stay strings, as ruamel reads them),
and builds plain dicts and lists. Wherever the two readers could disagree it gives up
and returns None: anchors and aliases, tags (any ``!``), ``%`` directives, duplicate or
non-string keys, numbers other than plain decimals, timestamps, tabs, line breaks
other than ``\n``, a block scalar header run into a comment (``|#``), or any syntax
error (libyaml reads ``key: <tab>`` as null where ruamel refuses it, and ``key: !`` as
``''`` where ruamel reads null: found by the property test). The caller then
reads the file with ruamel, which also words the errors (with line numbers).
This module must not validate the data, read files or write anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml
from ruamel.yaml.resolver import implicit_resolvers

__all__ = ["fast_data"]

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DIRECTIVE = re.compile(r"^%", re.MULTILINE)
_UNSURE = re.compile("[\t\r\x85\u2028\u2029!]|[|>]#")  # see the docstring
_DECIMAL = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
_TAG = "tag:yaml.org,2002:"
_MAP, _SEQ = _TAG + "map", _TAG + "seq"


class _GiveUp(Exception):
    """The document uses something only the ruamel reader handles the same way."""


class _Yaml12Loader(_Loader):  # type: ignore[misc]
    """libyaml's parser with the implicit types of YAML 1.2 as ruamel.yaml resolves them."""

    yaml_implicit_resolvers: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012


for _versions, _tag, _regexp, _first in implicit_resolvers:
    if (1, 2) in _versions:
        _Yaml12Loader.add_implicit_resolver(_tag, _regexp, _first)

# The resolvers by first character (none for every character), looked up once a scalar
# in ``_resolve``: libyaml calls it back for every node, PyYAML's own ``resolve`` took a
# quarter of the reading time of a 5,000-route manifest.
_RESOLVERS: dict[str | None, tuple[tuple[str, re.Pattern[str]], ...]] = {
    first: tuple(pairs) for first, pairs in _Yaml12Loader.yaml_implicit_resolvers.items()
}
_DEFAULT_TAGS: dict[type, str] = {
    yaml.ScalarNode: _Yaml12Loader.DEFAULT_SCALAR_TAG,
    yaml.SequenceNode: _Yaml12Loader.DEFAULT_SEQUENCE_TAG,
    yaml.MappingNode: _Yaml12Loader.DEFAULT_MAPPING_TAG,
}


def _resolve(_loader: object, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
    """PyYAML's ``BaseResolver.resolve`` for a loader with no path or wildcard resolvers."""
    if kind is yaml.ScalarNode and implicit[0]:
        for tag, regexp in _RESOLVERS.get(value[:1], ()):
            if regexp.match(value):
                return tag
    return _DEFAULT_TAGS[kind]


if None not in _RESOLVERS and not _Yaml12Loader.yaml_path_resolvers:  # what it skips
    _Yaml12Loader.resolve = _resolve


def fast_data(text: str) -> dict[str, Any] | None:
    """The document as plain data, or None where only the ruamel reader may be trusted."""
    if _UNSURE.search(text) or _DIRECTIVE.search(text):
        return None
    try:
        node = yaml.compose(text, Loader=_Yaml12Loader)
        data = _Builder(aliases="*" in text).value(node) if node is not None else None
    except (yaml.YAMLError, _GiveUp, RecursionError, TypeError):
        return None
    return data if isinstance(data, dict) else None


class _Builder:
    """Plain data from a node graph; gives up on a node seen twice (an alias). Without
    a ``*`` in the text there is no alias, and nodes are not tracked."""

    def __init__(self, *, aliases: bool = True) -> None:
        self._seen: set[int] | None = set() if aliases else None

    def value(self, node: yaml.Node) -> Any:
        if self._seen is not None:
            self._check(node)
        kind = type(node)
        if kind is yaml.ScalarNode:
            return _scalar(node.tag, node.value)
        if kind is yaml.MappingNode:
            return self._mapping(node)  # type: ignore[arg-type]
        if kind is yaml.SequenceNode and node.tag == _SEQ:
            return [self.value(item) for item in node.value]
        raise _GiveUp(node.tag)

    def _check(self, node: yaml.Node) -> None:
        assert self._seen is not None
        if id(node) in self._seen:
            raise _GiveUp("alias")
        self._seen.add(id(node))

    def _mapping(self, node: yaml.MappingNode) -> dict[Any, Any]:
        if node.tag != _MAP:
            raise _GiveUp(node.tag)
        data = {self.value(key): self.value(value) for key, value in node.value}
        if len(data) != len(node.value) or not all(isinstance(k, str) for k in data):
            raise _GiveUp("duplicate key")
        return data


def _scalar(tag: str, text: str) -> Any:
    construct = _SCALARS.get(tag)
    if construct is None:
        raise _GiveUp(tag)
    return construct(text)


def _int(text: str) -> int:
    if not _DECIMAL.fullmatch(text):
        raise _GiveUp("int")
    return int(text)


def _float(text: str) -> float:
    if not _FLOAT.fullmatch(text):
        raise _GiveUp("float")
    return float(text)


_SCALARS: dict[str, Callable[[str], Any]] = {
    _TAG + "str": str,
    _TAG + "int": _int,
    _TAG + "float": _float,
    _TAG + "bool": lambda text: text.lower() == "true",
    _TAG + "null": lambda _text: None,
}
