"""A long table (thousands of rows) drawn like rich's default table, in linear time.

rich's ``Table`` measures, wraps and pads every cell as its own renderable: 5,000
routes took over 3 s to print. A table of plain one-line cells needs none of that:
``long_table`` pads each cell to its column's width and hands rich one ``Text`` of
lines in rich's heavy-head box, each row in its own style. Cells are never wrapped
(a wide table runs past the terminal's edge instead). This module must not decide
what the rows are.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text

__all__ = ["LONG_TABLE_ROWS", "long_table"]

LONG_TABLE_ROWS = 300
"""From this many rows on, commands print ``long_table`` instead of a rich ``Table``."""


def long_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], styles: Sequence[str]
) -> Text:
    """The table as one Text: title, header, one line per row in ``styles[i]``."""
    widths = [cell_len(c) for c in columns]
    for row in rows:
        widths = [max(w, cell_len(cell)) for w, cell in zip(widths, row, strict=True)]
    text = Text()
    text.append(title + "\n", style="italic")
    text.append(_rule("┏", "━", "┳", "┓", widths) + "\n")
    text.append(_line("┃", columns, widths) + "\n", style="bold")
    text.append(_rule("┡", "━", "╇", "┩", widths) + "\n")
    for row, style in zip(rows, styles, strict=True):
        text.append(_line("│", row, widths) + "\n", style=style)
    text.append(_rule("└", "─", "┴", "┘", widths))
    return text


def _rule(left: str, fill: str, cross: str, right: str, widths: Sequence[int]) -> str:
    return left + cross.join(fill * (w + 2) for w in widths) + right


def _line(bar: str, cells: Sequence[str], widths: Sequence[int]) -> str:
    padded = (cell + " " * (w - cell_len(cell)) for cell, w in zip(cells, widths, strict=True))
    return bar + bar.join(f" {cell} " for cell in padded) + bar
