"""Columns of a run table and how many fit a terminal's width: the history's and `greentui ls`'s.

Pure data (no Textual, no Rich console), so the CLI and the TUI fit their tables the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from rich.cells import cell_len

from greentui.report.text import LIST_HEADER
from greentui.store.summary import RunRow

CELL_PADDING = 2  # the table draws a space either side of each cell
SORT_MARK_ROOM = 2  # the sorted column's header: " ▲"


@dataclass(frozen=True)
class Column:
    """One column of a run table (the history's, `greentui ls`'s).

    `rank` orders the columns by importance for a narrow terminal: the highest rank is dropped
    first, and rank 0 (the name) last. A flexible column can be narrowed down to `min_width`
    (its cells then end in "…"); the others always get their natural width, so a figure is
    either shown whole or not at all.
    """

    key: str  # as the columns file stores it
    title: str
    description: str  # in the columns chooser
    sort_key: Callable[[RunRow], Any]
    cell: Callable[[RunRow, tuple[str, ...]], str]  # from the run and its list_row
    rank: int
    min_width: int = 0  # 0: not flexible
    max_width: int = 40  # a flexible column grows to its longest cell up to here before the name takes the rest

    @property
    def flexible(self) -> bool:
        """Whether the column may be narrower than its cells."""
        return self.min_width > 0


def listed_cell(title: str) -> Callable[[RunRow, tuple[str, ...]], str]:
    """The cell of `list_row` under the title `title`."""
    index = LIST_HEADER.index(title)
    return lambda _run, listed: listed[index]


def natural_widths(columns: Sequence[Column], rows: Sequence[Sequence[str]], sort_key: str = "") -> dict[str, int]:
    """Each column's width for its title (the sorted one's with its ▲) and the widest of `rows`' cells."""
    widths = {}
    for index, column in enumerate(columns):
        widest = max((cell_len(row[index]) for row in rows), default=0)  # a CJK letter takes two
        title = cell_len(column.title) + (SORT_MARK_ROOM if column.key == sort_key else 0)
        widths[column.key] = max(title, widest)
    return widths


def fit_columns(columns: Sequence[Column], natural: Mapping[str, int], width: int) -> list[tuple[Column, int]]:
    """The columns that fit `width` terminal cells, in their order, each with its width.

    The least important columns go until the rest fit at their narrowest; then the flexible ones
    grow back, most important first, to their longest cell (up to their `max_width`), and whatever
    width is left goes to the name (else the first flexible column), so the table spans the terminal.
    """
    def narrowest(column: Column) -> int:
        return min(column.min_width, natural[column.key]) if column.flexible else natural[column.key]

    kept = list(columns)
    while len(kept) > 1 and sum(narrowest(c) + CELL_PADDING for c in kept) > width:
        kept.remove(max(kept, key=lambda c: c.rank))
    widths = {c.key: narrowest(c) for c in kept}
    spare = width - sum(w + CELL_PADDING for w in widths.values())
    flexible = sorted((c for c in kept if c.flexible), key=lambda c: c.rank)
    for column in flexible:
        grow = max(0, min(spare, min(natural[column.key], column.max_width) - widths[column.key]))
        widths[column.key] += grow
        spare -= grow
    if flexible and spare > 0:
        widths[flexible[0].key] += spare
    return [(c, widths[c.key]) for c in kept]
