"""The CLI starts without loading boto3: commands that never call AWS don't pay for it."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_cli_does_not_load_boto3() -> None:
    code = "import sys, migrate_cli.main; print('boto3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
