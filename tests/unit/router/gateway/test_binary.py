"""API Gateway's binaryMediaTypes matching (developer guide, "Binary media types for
REST APIs"): exact types, ``type/*`` and ``*/*``; only the first Accept type counts."""

from __future__ import annotations

import pytest

from router.gateway.binary import accepts_binary, is_binary


@pytest.mark.parametrize(
    ("content_type", "types", "expected"),
    [
        ("image/png", ["image/png"], True),
        ("Image/PNG; charset=x", ["image/png"], True),
        ("image/jpeg", ["image/png"], False),
        ("image/jpeg", ["image/*"], True),
        ("imagex/jpeg", ["image/*"], False),
        ("text/html", ["*/*"], True),
        (None, ["*/*"], True),  # no Content-Type: API Gateway's default application/json
        (None, ["application/json"], True),
        (None, ["image/*"], False),
        ("application/octet-stream", [], False),
    ],
)
def test_is_binary(content_type: str | None, types: list[str], expected: bool) -> None:
    assert is_binary(content_type, types) is expected


def test_only_the_first_accept_type_counts() -> None:
    # A browser's <img> Accept: the known-issues page's own example.
    browser = "image/webp,image/*,*/*;q=0.8"
    assert accepts_binary(browser, ["image/webp"])
    assert not accepts_binary(browser, ["image/png"])
    assert accepts_binary(browser, ["*/*"])
    assert not accepts_binary("*/*", ["image/png"])  # curl's default is not a match
    assert accepts_binary("image/png", ["image/png"])
