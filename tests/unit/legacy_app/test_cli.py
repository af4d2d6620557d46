"""Command line and gunicorn wiring (no server is started here; see tests/e2e)."""

from __future__ import annotations

from pathlib import Path

import pytest

from legacy_app import __main__ as cli
from legacy_app.config import Settings
from legacy_app.server import LegacyGunicorn, ServerOptions, gunicorn_options, prepare_database


def test_parser_defaults() -> None:
    args = cli.build_parser().parse_args([])
    assert (args.host, args.port, args.workers, args.threads) == ("127.0.0.1", 5000, 2, 1)
    assert args.database_url is None and args.delay_ms is None


def test_main_resolves_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clean_env: None
) -> None:
    calls: list[tuple[Settings, ServerOptions]] = []
    monkeypatch.chdir(tmp_path)
    cli.main(
        ["--port", "8123", "--workers", "3", "--delay-ms", "7"],
        server=lambda s, o: calls.append((s, o)),
    )
    settings, opts = calls[0]
    assert settings == Settings(f"sqlite:///{(tmp_path / 'var' / 'legacy.db').as_posix()}", 7)
    assert (opts.host, opts.port, opts.workers) == ("127.0.0.1", 8123, 3)


def test_main_database_url_option_beats_env(
    monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    calls: list[Settings] = []
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-env.db")
    cli.main(["--database-url", "sqlite:///from-cli.db"], server=lambda s, o: calls.append(s))
    assert calls[0].database_url == "sqlite:///from-cli.db"


def test_gunicorn_options() -> None:
    sync = gunicorn_options(ServerOptions(port=9000))
    assert (sync["bind"], sync["workers"], sync["worker_class"]) == ("127.0.0.1:9000", 2, "sync")
    assert gunicorn_options(ServerOptions(threads=4))["worker_class"] == "gthread"


def test_gunicorn_application_loads_app(db_path: Path, clean_env: None) -> None:
    settings = Settings(f"sqlite:///{db_path.as_posix()}", 0)
    application = LegacyGunicorn(settings, gunicorn_options(ServerOptions(port=9001)))
    assert application.cfg.bind == ["127.0.0.1:9001"]
    assert application.cfg.worker_class_str == "sync"
    flask_app = application.load()
    assert flask_app.test_client().get("/api/users/1").status_code == 200


def test_prepare_database_seeds_once(tmp_path: Path) -> None:
    settings = Settings(f"sqlite:///{(tmp_path / 'deep' / 'dir' / 'x.db').as_posix()}", 0)
    assert prepare_database(settings) is True
    assert prepare_database(settings) is False
