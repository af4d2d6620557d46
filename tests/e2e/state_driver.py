"""Operator processes for the S3 state tests: ``python -m tests.e2e.state_driver OUT JOBS``.

``JOBS`` is a JSON list of ``[route, ops]``; one operator process is forked per job
once the ``migrate`` CLI is imported (20 cold interpreter starts cost minutes on a busy
machine; forked children share the imported modules and build their own AWS clients).
Each runs its ``ops`` (a comma list: ``p30`` is ``migrate route promote ROUTE --weight
30``, ``r`` is ``migrate rollback ROUTE``) through the CLI in order, as user ``opN``, and
writes one JSON line per operation to ``OUT/N.jsonl``: op, exit code, output.
The launcher exits 1 if any operator process failed.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import typer

from migrate_cli.main import app


def argv(route: str, op: str) -> list[str]:
    if op == "r":
        return ["rollback", route, "--reason", "driver"]
    return ["route", "promote", route, "--weight", op[1:], "--reason", "driver"]


def operate(number: int, route: str, ops: str, out: Path) -> None:
    os.environ["MIGRATE_USER"] = f"op{number}"
    command = typer.main.get_command(app)
    with (out / f"{number}.jsonl").open("w") as lines:
        for op in ops.split(","):
            output = io.StringIO()
            with redirect_stdout(output), redirect_stderr(output):
                try:
                    code = command.main(argv(route, op), prog_name="migrate", standalone_mode=False)
                except SystemExit as exc:
                    code = exc.code
            record = {"op": op, "exit": code or 0, "output": output.getvalue()}
            lines.write(json.dumps(record) + "\n")
            lines.flush()


def main() -> None:
    out, jobs = Path(sys.argv[1]), json.loads(sys.argv[2])
    fork = multiprocessing.get_context("fork")
    procs = [fork.Process(target=operate, args=(n, r, ops, out)) for n, (r, ops) in enumerate(jobs)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    sys.exit(0 if all(proc.exitcode == 0 for proc in procs) else 1)


if __name__ == "__main__":
    main()
