"""``migrate demo --database-url postgresql+psycopg://...``: the whole demo on PostgreSQL.

The monolith, the shadowed and promoted handlers all use a fresh database of the
test server (``tests.helpers.pg``); the demo must pass with 0 failed requests, as on SQLite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from legacy_app.db import make_engine
from tests.helpers.pg import render, scratch_database

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.exclusive]


def test_demo_passes_on_postgresql(tmp_path: Path) -> None:
    with scratch_database("demo") as url:
        argv = [sys.executable, "-m", "migrate_cli", "demo", "--workdir", str(tmp_path / "demo"),
                "--json", "--database-url", render(url)]  # fmt: skip
        result = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        summary = json.loads(result.stdout)
        assert summary["ok"] is True and summary["failed_requests"] == 0
        assert summary["outcomes"]["users-shadow"] == "parity"
        assert summary["outcomes"]["products"] == "rolled-back"
        engine = make_engine(render(url))
        try:
            with engine.connect() as conn:  # the monolith seeded PostgreSQL, not a SQLite file
                assert conn.scalar(text("SELECT COUNT(*) FROM users")) == 200
        finally:
            engine.dispose()
        assert not (tmp_path / "demo" / "legacy.db").exists()
