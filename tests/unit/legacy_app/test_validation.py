"""Pure helpers: field paths of validation errors, settings resolution, error slugs."""

from __future__ import annotations

from pathlib import Path

import pytest

from legacy_app.config import ensure_sqlite_parent, resolve_settings
from legacy_app.errors import ApiError, slug
from legacy_app.validation import field_path


@pytest.mark.parametrize(
    ("loc", "expected"),
    [((), "body"), (("email",), "email"), (("items", 0, "quantity"), "items[0].quantity"),
     (("tags", 3), "tags[3]")],
)  # fmt: skip
def test_field_path(loc: tuple[int | str, ...], expected: str) -> None:
    assert field_path(loc) == expected


def test_settings_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///env.db")
    monkeypatch.setenv("LEGACY_DELAY_MS", "12")
    assert resolve_settings().database_url == "sqlite:///env.db"
    assert resolve_settings().delay_ms == 12
    overridden = resolve_settings({"DATABASE_URL": "sqlite:///cfg.db", "LEGACY_DELAY_MS": 0})
    assert (overridden.database_url, overridden.delay_ms) == ("sqlite:///cfg.db", 0)


def test_ensure_sqlite_parent(tmp_path: Path) -> None:
    ensure_sqlite_parent(f"sqlite:///{(tmp_path / 'a' / 'b' / 'c.db').as_posix()}")
    assert (tmp_path / "a" / "b").is_dir()
    ensure_sqlite_parent("sqlite://")
    ensure_sqlite_parent("postgresql://user@localhost/db")


def test_slug() -> None:
    assert slug("Method Not Allowed") == "method_not_allowed"
    assert slug("I'm a teapot") == "im_a_teapot"


def test_api_error_body_order() -> None:
    err = ApiError(409, "insufficient_stock", "short", field="items[0].quantity", product_id=3)
    assert list(err.body()) == ["error", "message", "field", "product_id"]
    assert list(ApiError(404, "not_found", "gone").body()) == ["error", "message"]
