"""Run a packaging tool (pip, uv) as a subprocess and map its failure to ``BuildError``.

The runner is injected into the builders so tests can record or replace the call.
This module must not decide what to install.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence

from router.errors import BuildError

__all__ = ["Runner", "run_tool"]

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def _subprocess(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=False)


def run_tool(argv: Sequence[str], what: str, runner: Runner | None = None) -> str:
    """Run ``argv``; its stdout, or ``BuildError`` naming ``what`` with the tool's last words."""
    try:
        done = (runner or _subprocess)(argv)
    except OSError as exc:
        raise BuildError(f"{what}: cannot run {argv[0]}: {exc.strerror or exc}") from exc
    if done.returncode != 0:
        tail = "\n".join(_useful(done.stderr or done.stdout)[-12:])
        raise BuildError(f"{what}: {_tool(argv)} exited {done.returncode}\n{tail}")
    return done.stdout


def _tool(argv: Sequence[str]) -> str:
    """``pip`` for ``python -m pip ...``, else the program's name."""
    return argv[2] if argv[1:2] == ["-m"] else argv[0].rsplit("/", 1)[-1]


def _useful(text: str) -> list[str]:
    """The tool's output without pip's noise about unreachable configured indexes."""
    return [line for line in text.splitlines() if line.strip() and "is ignored" not in line]
