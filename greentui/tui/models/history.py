"""Filtering and sorting of the history table (pure data, no Textual)."""

from __future__ import annotations

from typing import Any, Callable, Sequence, TypeVar

from rich.text import Text

from greentui.metrics.registry import TABLE_METRICS
from greentui.report.printable import printable
from greentui.report.text import list_row
from greentui.store.query import compile_query
from greentui.store.summary import RunRow

Row = TypeVar("Row", bound=RunRow)  # summaries in, summaries out; records in, records out


def _metric(key: str) -> Callable[[RunRow], Any]:
    return lambda r: r.metric(key)


# (column title, sort key of a record, fixed width or None to fit). Widths are chosen so the
# table fits 100 columns; the detail pane shows whatever a cell cuts off. The metric columns
# are list_row's, titled by the registry.
COLUMNS: tuple[tuple[str, Callable[[RunRow], Any], int | None], ...] = (
    ("name", lambda r: r.name.lower(), 18),
    ("status", lambda r: r.status, None),
    ("date", lambda r: r.created_at, None),
    ("techniques", lambda r: " ".join(r.techniques()), 12),
    *((m.short, _metric(m.key), None) for m in TABLE_METRICS),
)
DATE_COLUMN = 2
SELECTED_MARK = "●"


def row_cells(record: RunRow, selected: bool) -> tuple[Text, ...]:
    """Table cells of one run: the shared list_row without the id, the name marked when selected.

    Plain Text, not strings: the table would read a string as markup, so a run named
    "[red]x" would show red and one named "a[/b]" would break the screen; it also spares
    a markup parse per cell, which adds up over thousands of runs.
    """
    cells = [printable(cell) for cell in list_row(record)[1:]]  # stored text: no control codes reach the terminal
    cells[0] = f"{SELECTED_MARK if selected else ' '} {cells[0]}"
    cells[2] = cells[2][5:]  # "11-21 10:01": the year costs columns an 80-wide terminal lacks
    return tuple(Text(cell, no_wrap=True, end="") for cell in cells)


def visible_runs(runs: Sequence[Row], query: str, sort_column: int, reverse: bool) -> list[Row]:
    """The runs to show: filtered by `query` (greentui.store.query), sorted by a column; missing values always sort last."""
    test = compile_query(query)  # QueryError for a word it cannot read: the screen says so
    shown = [r for r in runs if test(r)] if query.strip() else runs
    key = COLUMNS[sort_column][1]
    keyed = [(key(r), r) for r in shown]  # each key once: thousands of runs, sorted on every keypress
    present = [pair for pair in keyed if pair[0] is not None]
    present.sort(key=lambda pair: pair[0], reverse=reverse)
    return [r for _, r in present] + [r for k, r in keyed if k is None]
