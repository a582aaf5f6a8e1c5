"""Filtering and sorting of the history table, and its cells (pure data, no Textual)."""

from __future__ import annotations

from typing import Sequence, TypeVar

from rich.text import Text

from greentui.report.printable import printable
from greentui.store.query import compile_query
from greentui.store.summary import RunRow
from greentui.tui.models.history_columns import BY_KEY, Column, column_cells

Row = TypeVar("Row", bound=RunRow)  # summaries in, summaries out; records in, records out

DATE_COLUMN = "date"  # the table opens sorted by it, oldest first
SELECTED_MARK = "●"
SORT_MARKS = {False: "▲", True: "▼"}  # ascending, descending


MARK_WIDTH = 2  # the selection mark and its space, before the first shown cell


def row_texts(record: RunRow, columns: Sequence[Column]) -> list[str]:
    """One run's cells under `columns` as printable text (stored text: no control codes reach the terminal)."""
    return [printable(cell) for cell in column_cells(record, columns)]


def marked(texts: Sequence[str], selected: bool) -> list[str]:
    """A row's texts, the first led by the selection mark (a space when not selected, so columns line up)."""
    cells = list(texts)
    if cells:
        cells[0] = f"{SELECTED_MARK if selected else ' '} {cells[0]}"
    return cells


def row_cells(texts: Sequence[str]) -> tuple[Text, ...]:
    """Table cells of one run's texts.

    Plain Text, not strings: the table would read a string as markup, so a run named
    "[red]x" would show red and one named "a[/b]" would break the screen; it also spares
    a markup parse per cell, which adds up over thousands of runs. A cell cut to its column
    ends in "…", so a cut name reads as cut.
    """
    return tuple(Text(cell, no_wrap=True, end="", overflow="ellipsis") for cell in texts)


def header_label(column: Column, sort_key: str, reverse: bool) -> str:
    """A column's header: its title, and ▲ or ▼ when the table is sorted by it."""
    return f"{column.title} {SORT_MARKS[reverse]}" if column.key == sort_key else column.title


def visible_runs(runs: Sequence[Row], query: str, sort_key: str, reverse: bool) -> list[Row]:
    """The runs to show: filtered by `query` (greentui.store.query), sorted by a column; missing values always sort last."""
    test = compile_query(query)  # QueryError for a word it cannot read: the screen says so
    shown = [r for r in runs if test(r)] if query.strip() else runs
    key = BY_KEY[sort_key].sort_key
    keyed = [(key(r), r) for r in shown]  # each key once: thousands of runs, sorted on every keypress
    present = [pair for pair in keyed if pair[0] is not None]
    present.sort(key=lambda pair: pair[0], reverse=reverse)
    return [r for _, r in present] + [r for k, r in keyed if k is None]
