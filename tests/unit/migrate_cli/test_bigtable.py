"""``long_table`` draws what rich's Table draws for one-line cells, in one Text."""

from __future__ import annotations

import io

from rich.console import Console, RenderableType
from rich.table import Table

from migrate_cli.bigtable import long_table

COLUMNS = ("id", "method", "path", "weight")
ROWS = [
    ["get-user", "GET", "/api/users/{id}", "100%"],
    ["list-orders", "GET", "/api/orders", "0%"],
    ["café", "POST", "/api/ünïcode/漢字", "5%"],
]


def rendered(renderable: RenderableType) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None, soft_wrap=True).print(renderable)
    return out.getvalue()


def test_matches_rich_table_layout() -> None:
    table = Table(title="routes (manifest revision 3)")
    for column in COLUMNS:
        table.add_column(column)
    for row in ROWS:
        table.add_row(*row)
    fast = long_table("routes (manifest revision 3)", COLUMNS, ROWS, [""] * len(ROWS))
    assert rendered(fast) == rendered(table)


def test_each_row_keeps_its_style() -> None:
    text = long_table("t", COLUMNS, ROWS, ["green", "", "dim"])
    styled = {str(span.style) for span in text.spans}
    assert {"green", "dim", "bold", "italic"} <= styled
