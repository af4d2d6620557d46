"""The shadow run as a table of fields and a one-line outcome (``migrate shadow``, the demo).

Reads the ``outcome_json`` dict only; must not run shadows nor print.
"""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table
from rich.text import Text

__all__ = ["shadow_message", "shadow_table"]

_EXAMPLE_CHARS = 60


def shadow_table(data: dict[str, Any]) -> Table:
    title = (
        f"shadow {data['route']} -> {data['function']} (run {data['run_id']}): "
        f"{data['requests']} requests compared ({data['skipped']} over the copy rate, "
        f"{data['dropped']} dropped), {data['truncated']} by status only"
    )
    table = Table(title=Text(title))
    for column in ("field", "verdict", "handler differs", "noise", "examples"):
        table.add_column(column)
    for row in [*data["mismatches"], *data["noise"]]:
        table.add_row(*map(Text, _cells(row)), style="red" if row["real"] else "dim")
    return table


def _cells(row: dict[str, Any]) -> list[str]:
    differs = f"{row['candidate_rate']:.1%} ({row['differing']}/{row['compared']})"
    noise = f"{row['noise_rate']:.1%} ({row['noise_differing']}/{row['noise_compared']})"
    examples = "\n".join(
        f"{e['request']}: {_short(e['primary'])} -> {_short(e['candidate'])}"
        for e in row["examples"]
    )
    return [row["path"], "MISMATCH" if row["real"] else "noise", differs, noise, examples]


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= _EXAMPLE_CHARS else text[: _EXAMPLE_CHARS - 3] + "..."


def shadow_message(data: dict[str, Any]) -> str:
    stopped = " (interrupted)" if data["interrupted"] else ""
    if data["outcome"] == "no-traffic":
        return (
            f"too little traffic{stopped}: {data['requests']} requests shadowed, "
            f"{data['min_requests']} needed; is `migrate serve` running on this manifest?"
        )
    if data["outcome"] == "mismatch":
        fields = ", ".join(m["path"] for m in data["mismatches"])
        return f"real mismatches{stopped} in: {fields} (run {data['run_id']})"
    return f"parity{stopped}: no field differs beyond noise ({data['requests']} requests)"
